// The review-export task type: the review queue as a file for an external labeling tool (CSV or Label Studio).
#include "core/pipeline/TaskParams.h"
#include "core/pipeline/TaskType.h"
#include "core/requests/Choices.h"
#include "core/review/Review.h"
#include "core/store/Database.h"
#include "core/store/Workspace.h"

#include <QFileInfo>

#include <ostream>

namespace pw::pipeline {

namespace {

QJsonObject runReviewExport(const TaskContext &c, const TaskParams &p)
{
    review::ExportRequest r = p.parse(review::parseExportRequest);
    auto db = c.workspace.openCatalog();
    review::ReviewQueue queue(c.workspace, *db);
    // A relative file is the workspace's (a task's working folder is whatever started the run).
    if (QFileInfo(QString::fromStdString(r.file)).isRelative())
        r.file = c.workspace.root() + "/" + r.file;
    const std::string &file = r.file;
    const std::int64_t n = review::exportEntries(queue, r);
    c.log << "wrote " << n << " entries to " << file << "\n";
    return QJsonObject{{"file", QString::fromStdString(file)}, {"entries", qint64(n)}};
}

} // namespace

TaskType reviewExportTask()
{
    return {
        .name = "review-export",
        .summary = "Writes the review queue for an external labeling tool (CSV or Label Studio tasks).",
        .params = {{"file", "string", true, "output file (a relative one is under the workspace)"},
                   {"format", requests::choiceKind<review::kExportFormats>(), false, "default csv"},
                   {"state", requests::choiceKind<review::kEntryStates>(), false, "default pending"}},
        .outputs = {"file", "entries"},
        .run = runReviewExport,
        .colour = "#7cb342",
        .glyph = "R",
        .databricks = {.notebook = "/Pipewright/review-export",
                       .substrings = {"label", "review"},
                       .defaults = {{.param = "file",
                                     .pipelineParam = "review_file",
                                     .value = ImportDefault::Value::Literal,
                                     .literal = "review-{task_key}.csv",
                                     .why = "a file under the workspace",
                                     .perTask = true}}},
    };
}

} // namespace pw::pipeline
