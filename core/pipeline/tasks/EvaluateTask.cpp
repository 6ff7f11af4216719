// The evaluate task type: a run's model on a table's labeled images (stored with the run).
#include "core/compute/Training.h"
#include "core/pipeline/TaskParams.h"
#include "core/pipeline/TaskType.h"

#include <optional>
#include <ostream>

namespace pw::pipeline {

namespace {

QJsonObject runEvaluate(const TaskContext &c, const TaskParams &p)
{
    const compute::EvaluateRequest request = p.parse(compute::parseEvaluateRequest);
    const auto r = compute::evaluateRun(c.workspace, request.run, request.table, request.asOfVersion, c.cancel);
    c.log << "run " << r.runId << " on " << r.table << ": accuracy " << r.accuracy << "\n";
    return QJsonObject{
        {"accuracy", r.accuracy}, {"images", qint64(r.images)}, {"run_id", QString::fromStdString(r.runId)}};
}

} // namespace

TaskType evaluateTask()
{
    return {
        .name = "evaluate",
        .summary = "Evaluates a run's model on a table's labeled images.",
        .params = {{"run", "string", true, "run id"},
                   {"table", "string", true, "catalog table", "tables"},
                   {"as_of_version", "integer", false, ""}},
        .outputs = {"accuracy", "images", "run_id"},
        .run = runEvaluate,
        .colour = "#3949ab",
        .glyph = "E",
        .databricks = {.notebook = "/Pipewright/evaluate",
                       .substrings = {"eval"},
                       .lifts = {{.notebookParam = "table_name", .param = "table"}},
                       .wires = {{"run", "train", "run_id", "the run of its upstream train task"},
                                 {"table", "ingest", "table", "the table its upstream ingest task wrote"}}},
    };
}

} // namespace pw::pipeline
