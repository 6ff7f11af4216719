// The promote task type: a model version moves to a stage, optionally behind a promotion gate. Idempotent: a
// version already in the stage (an earlier attempt promoted it, then was killed) is where it should be.
#include "core/pipeline/TaskParams.h"
#include "core/pipeline/TaskType.h"
#include "core/requests/Choices.h"
#include "core/registry/Gate.h"
#include "core/registry/Registry.h"
#include "core/store/Database.h"
#include "core/store/Workspace.h"

#include <optional>
#include <ostream>
#include <stdexcept>

namespace pw::pipeline {

namespace {

QJsonObject promoteOutputs(const registry::TransitionRequest &r)
{
    return QJsonObject{
        {"name", QString::fromStdString(r.name)}, {"version", qint64(r.version)}, {"stage", registry::stageName(r.to)}};
}

QJsonObject runPromote(const TaskContext &c, const TaskParams &p)
{
    const registry::PromoteRequest request = p.parse(registry::parsePromoteRequest);
    registry::TransitionRequest r = request.transition;
    auto db = c.workspace.openCatalog();
    registry::Registry reg(c.workspace, *db);
    if (const auto current = reg.version(r.name, r.version); current.stage == r.to) {
        c.log << r.name << " version " << r.version << " is already in " << registry::stageName(r.to)
              << ": nothing to do\n";
        return promoteOutputs(r);
    }
    // The workspace's gate table (registry.gate_table) applies here too: registry::promote() reads it.
    const registry::PromoteOutcome done = registry::promote(c.workspace, *db, request, c.cancel);
    for (const auto &t : done.transitions)
        c.log << t.name << " version " << t.version << ": " << t.from << " -> " << t.to
              << (t.gate.empty() ? "" : " (" + t.gate + ")") << "\n";
    return promoteOutputs(r);
}

} // namespace

TaskType promoteTask()
{
    return {
        .name = "promote",
        .summary = "Moves a model version to a stage (None, Staging, Production, Archived), optionally gated.",
        .params = {{"name", "string", true, "registered model", "model-names"},
                   {"version", "integer", true, "version number (or a reference to a register task's version)"},
                   {"stage", requests::choiceKind<registry::kStages>(), true, ""},
                   {"archive_existing", "boolean", false, ""},
                   {"keep_existing", "boolean", false, ""},
                   {"comment", "string", false, ""},
                   {"gate_table", "string", false,
                    "refuse when the candidate is less accurate than Production on it (default: the workspace's "
                    "registry.gate_table)",
                    "tables"},
                   {"no_gate", "boolean", false, "skip the comparison the workspace's registry.gate_table asks for"},
                   {"reason", "string", false, "why the comparison is skipped (no_gate; recorded)"}},
        .outputs = {"name", "version", "stage"},
        .run = runPromote,
        .colour = "#c06a00",
        .glyph = "P",
        .databricks = {.notebook = "/Pipewright/promote",
                       .substrings = {"promot"},
                       .lifts = {{.notebookParam = "model_name", .param = "name"},
                                 {.notebookParam = "registered_model_name", .param = "name"}},
                       .wires = {{"name", "register", "name", "the model its upstream register task registered"},
                                 {"version", "register", "version", "the version its upstream register task made"}},
                       .defaults = {{"name", "model_name", ImportDefault::Value::ModelName, nullptr, nullptr},
                                    {"stage", "stage", ImportDefault::Value::Literal, "Staging",
                                     "the safe stage: Production is a person's call"}}},
    };
}

} // namespace pw::pipeline
