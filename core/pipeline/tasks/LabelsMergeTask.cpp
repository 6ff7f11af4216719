// The labels-merge task type: the reviewed labels become one new catalog version (MERGE LABELS).
#include "core/pipeline/TaskParams.h"
#include "core/pipeline/TaskType.h"
#include "core/review/Review.h"
#include "core/store/Database.h"
#include "core/store/Workspace.h"

#include <ostream>

namespace pw::pipeline {

namespace {

QJsonObject runLabelsMerge(const TaskContext &c, const TaskParams &p)
{
    const review::MergeRequest request = p.parse(review::parseMergeRequest);
    auto db = c.workspace.openCatalog();
    review::ReviewQueue queue(c.workspace, *db);
    const auto r = queue.commit(request.table);
    for (const auto &[path, why] : r.notMerged)
        c.log << "  not merged: " << path << ": " << why << "\n";
    c.log << "merged " << r.labelsMerged << " labels\n";
    return QJsonObject{{"version", qint64(r.version)}, {"labels_merged", qint64(r.labelsMerged)}};
}

} // namespace

TaskType labelsMergeTask()
{
    return {
        .name = "labels-merge",
        .summary = "Merges the reviewed labels into the catalog as one new version (MERGE LABELS).",
        .params = {{"table", "string", false, "only this table's entries", "tables"}},
        .outputs = {"version", "labels_merged"},
        .run = runLabelsMerge,
        .colour = "#ad1457",
        .glyph = "L",
        .databricks = {.notebook = "/Pipewright/labels-merge"},
    };
}

} // namespace pw::pipeline
