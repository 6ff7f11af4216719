// The one parser of a review export and of a labels merge from key/value input.
#include "core/review/Review.h"

#include "core/requests/KeyValues.h"

namespace pw::review {

ExportRequest parseExportRequest(const requests::KeyValues &values)
{
    requests::KeyReader in(values);
    ExportRequest r;
    r.file = in.required("file");
    r.format = in.choice("format", r.format, kExportFormats);
    r.state = in.choice("state", r.state, kEntryStates);
    in.done();
    return r;
}

std::int64_t exportEntries(const ReviewQueue &queue, const ExportRequest &request)
{
    const std::string state = kEntryStates.name(request.state);
    switch (request.format) {
    case ExportFormat::LabelStudio: return queue.exportLabelStudio(request.file, state);
    case ExportFormat::Csv: break;
    }
    return queue.exportCsv(request.file, state);
}

MergeRequest parseMergeRequest(const requests::KeyValues &values)
{
    requests::KeyReader in(values);
    MergeRequest r;
    r.table = in.text("table");
    in.done();
    return r;
}

} // namespace pw::review
