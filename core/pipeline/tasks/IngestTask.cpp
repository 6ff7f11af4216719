// The ingest task type: new and changed image files under a folder become one catalog version.
#include "core/ingest/Ingestor.h"
#include "core/ingest/LabelRule.h"
#include "core/pipeline/TaskParams.h"
#include "core/pipeline/TaskType.h"
#include "core/requests/Choices.h"

#include <ostream>

namespace pw::pipeline {

namespace {

QJsonObject runIngest(const TaskContext &c, const TaskParams &p)
{
    const ingest::IngestOptions o = p.parse(ingest::parseIngestOptions);
    const auto r = ingest::ingest(c.workspace, o, {}, c.cancel);
    c.log << "ingest " << o.source << " -> " << o.table << ": version " << r.version << ", added " << r.added
          << ", updated " << r.updated << ", unchanged " << r.unchanged << ", rejected " << r.rejected << "\n";
    for (const auto &f : r.rejectedFiles)
        c.log << "  rejected " << f.path << ": " << f.reason << "\n";
    return QJsonObject{{"version", qint64(r.version)},   {"added", qint64(r.added)},
                       {"updated", qint64(r.updated)},   {"unchanged", qint64(r.unchanged)},
                       {"rejected", qint64(r.rejected)}, {"table", QString::fromStdString(o.table)}};
}

} // namespace

TaskType ingestTask()
{
    return {
        .name = "ingest",
        .summary = "Appends the new and changed image files under a folder to a catalog table (one catalog version).",
        .params = {{"source", "string", true, "the folder to discover images under"},
                   {"table", "string", false, "catalog table (default images)", "tables"},
                   {"labels", requests::choiceKind<ingest::kLabelRules>(), false, "label rule (default caltech)"},
                   {"glob", "string", false, "file filter"},
                   {"max_megapixels", "number", false, "reject larger images (default 100)"},
                   {"commit_every", "integer", false, "files per committed batch"}},
        .outputs = {"version", "added", "updated", "unchanged", "rejected", "table"},
        .run = runIngest,
        .colour = "#00897b",
        .glyph = "I",
        .databricks = {.notebook = "/Pipewright/ingest",
                       .substrings = {"prep", "load", "ingest"},
                       .lifts = {{.notebookParam = "image_path", .param = "source", .localFolder = true},
                                 {.notebookParam = "images_path", .param = "source", .localFolder = true},
                                 {.notebookParam = "input_path", .param = "source", .localFolder = true},
                                 {.notebookParam = "source_path", .param = "source", .localFolder = true},
                                 {.notebookParam = "table_name", .param = "table"}}},
    };
}

} // namespace pw::pipeline
