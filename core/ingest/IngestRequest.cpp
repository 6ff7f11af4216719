// The one parser of an ingest request (IngestOptions) from key/value input.
#include "core/ingest/Ingestor.h"

#include "core/requests/KeyValues.h"

namespace pw::ingest {

IngestOptions parseIngestOptions(const requests::KeyValues &values)
{
    requests::KeyReader in(values);
    IngestOptions o;
    o.source = in.required("source");
    o.table = in.text("table", o.table);
    if (in.has("glob"))
        o.glob = in.text("glob");
    o.labels = in.choice("labels", o.labels, kLabelRules);
    o.maxMegapixels = in.number("max_megapixels", o.maxMegapixels, requests::kPositive);
    o.commitEvery = int(in.wholeNumber("commit_every", o.commitEvery, {1}));
    o.threads = int(in.wholeNumber("threads", o.threads, {0}));
    in.done();
    return o;
}

} // namespace pw::ingest
