// The score task type: a registered model scores a table's unscored images and queues the unsure ones for review.
#include "core/pipeline/TaskParams.h"
#include "core/pipeline/TaskType.h"
#include "core/requests/Choices.h"
#include "core/score/Scoring.h"

#include <ostream>

namespace pw::pipeline {

namespace {

QJsonObject runScore(const TaskContext &c, const TaskParams &p)
{
    score::ScoreRequest r = p.parse(score::parseScoreRequest);
    r.target = c.target;
    const auto res = score::score(c.workspace, r, {}, c.cancel);
    c.log << "scored " << res.scored << " images with " << res.model << ":" << res.modelVersion << "; "
          << res.queuedForReview << " queued for review\n";
    for (const auto &f : res.failures)
        c.log << "  not scored: " << f.path << ": " << f.reason << "\n";
    return QJsonObject{{"version", qint64(res.version)}, {"model_version", qint64(res.modelVersion)},
                       {"scored", qint64(res.scored)},   {"skipped", qint64(res.skipped)},
                       {"failed", qint64(res.failed)},   {"queued_for_review", qint64(res.queuedForReview)}};
}

} // namespace

TaskType scoreTask()
{
    return {
        .name = "score",
        .summary = "Scores a table's unscored images with a registered model and queues the unsure ones for review.",
        .params = {{"model", "string", true, "NAME@Production, NAME@ALIAS, NAME:VERSION", "models"},
                   {"table", "string", false, "catalog table (default images)", "tables"},
                   {"threshold", "number", false, "review below this confidence (default 0.95)"},
                   {"review", requests::choiceKind<score::kReviewModes>(), false,
                    "what is queued: unlabeled images below the threshold (default), labeled images the model "
                    "predicts otherwise (likely label errors), or all"},
                   {"review_fraction", "number", false, ""},
                   {"rescore", "boolean", false, ""},
                   {"nodes", "integer", false, "a Slurm target: split the images over this many nodes (default 1)"},
                   {"processes_per_node", "integer", false, "a Slurm target: tasks per node (default 1)"}},
        .outputs = {"version", "model_version", "scored", "skipped", "failed", "queued_for_review"},
        .run = runScore,
        .onTarget = true,
        .colour = "#00838f",
        .glyph = "S",
        .databricks =
            {.notebook = "/Pipewright/score",
             .substrings = {"scor"},
             .lifts = {{.notebookParam = "model_name", .param = "model", .format = "{}@Production"},
                       {.notebookParam = "registered_model_name", .param = "model", .format = "{}@Production"},
                       {.notebookParam = "table_name", .param = "table"},
                       {.notebookParam = "confidence_threshold", .param = "threshold"}},
             .wires = {{"table", "ingest", "table", "the table its upstream ingest task wrote"}},
             .defaults = {{.param = "model",
                           .pipelineParam = "model_name",
                           .value = ImportDefault::Value::ModelName,
                           .literal = nullptr,
                           .why = nullptr,
                           .format = "{}@Production"}}},
    };
}

} // namespace pw::pipeline
