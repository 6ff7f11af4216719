// The review-export task type: the review queue as a file for an external labeling tool (CSV or Label Studio).
#include "core/pipeline/TaskParams.h"
#include "core/pipeline/TaskType.h"
#include "core/review/Review.h"
#include "core/store/Database.h"
#include "core/store/Workspace.h"

#include <QFileInfo>

#include <ostream>

namespace pw::pipeline {

namespace {

struct ReviewExportRequest
{
    std::string file;
    std::string format;
    std::string state;
};

ReviewExportRequest reviewExportRequestFrom(const TaskParams &p)
{
    return {p.text("file"), p.text("format", "csv"), p.text("state", "pending")};
}

QJsonObject runReviewExport(const TaskContext &c, const TaskParams &p)
{
    const ReviewExportRequest r = reviewExportRequestFrom(p);
    auto db = c.workspace.openCatalog();
    review::ReviewQueue queue(c.workspace, *db);
    // A relative file is the workspace's (a task's working folder is whatever started the run).
    std::string file = r.file;
    if (QFileInfo(QString::fromStdString(file)).isRelative())
        file = c.workspace.root() + "/" + file;
    const std::int64_t n = r.format == "labelstudio" ? queue.exportLabelStudio(file, r.state) : queue.exportCsv(file, r.state);
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
                   {"format", "choice:csv|labelstudio", false, "default csv"},
                   {"state", "choice:pending|labeled|skipped", false, "default pending"}},
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
