// The register task type: a FINISHED run's model becomes the next version of a registered model. A retry finds
// the version an earlier, killed attempt registered (the registration commits before the attempt records it).
#include "core/pipeline/TaskAttempt.h"
#include "core/pipeline/TaskParams.h"
#include "core/pipeline/TaskType.h"
#include "core/registry/Registry.h"
#include "core/store/Database.h"
#include "core/store/Workspace.h"
#include "core/track/Tracker.h"

#include <optional>
#include <ostream>

namespace pw::pipeline {

namespace {

QJsonObject versionOutputs(const registry::ModelVersion &v)
{
    return QJsonObject{{"name", QString::fromStdString(v.name)},
                       {"version", qint64(v.version)},
                       {"stage", registry::stageName(v.stage)}};
}

// A retry: the newest version of `name` from the same run, which an earlier attempt may have registered.
std::optional<registry::ModelVersion> registeredEarlier(store::Database &db, const registry::Registry &reg,
                                                        const registry::RegisterRequest &r, const TaskAttempt &attempt)
{
    if (attempt.earlier(db).empty())
        return std::nullopt;
    std::string runId;
    std::vector<registry::ModelVersion> versions;
    try {
        runId = track::Tracker(db).run(r.run).runId;
        versions = reg.versions(r.name);
    } catch (const std::exception &) {
        return std::nullopt; // no such run or model yet: registerRun says what is wrong
    }
    std::optional<registry::ModelVersion> found;
    for (const auto &v : versions) {
        if (v.runId == runId)
            found = v; // the newest
    }
    return found;
}

QJsonObject runRegister(const TaskContext &c, const TaskParams &p)
{
    const registry::RegisterRequest r = p.parse(registry::parseRegisterRequest);
    auto db = c.workspace.openCatalog();
    registry::Registry reg(c.workspace, *db);
    if (const auto v = registeredEarlier(*db, reg, r, c.attempt)) {
        c.log << v->name << " version " << v->version << " of run " << v->runId
              << " was registered by an earlier attempt: reused, not registered again\n";
        return versionOutputs(*v);
    }
    const auto v = reg.registerRun(r.run, r.name, r.description);
    c.attempt.record(*db, versionOutputs(v));
    c.log << "registered " << v.name << " version " << v.version << "\n";
    return versionOutputs(v);
}

} // namespace

TaskType registerTask()
{
    return {
        .name = "register",
        .summary = "Registers a FINISHED run's model as the next version of a registered model.",
        .params = {{"run", "string", true, "run id"},
                   {"name", "string", true, "registered model name", "model-names"},
                   {"description", "string", false, ""}},
        .outputs = {"name", "version", "stage"},
        .run = runRegister,
        .colour = "#6d4c41",
        .glyph = "R",
        .databricks = {.notebook = "/Pipewright/register",
                       .substrings = {"regist"},
                       .lifts = {{.notebookParam = "model_name", .param = "name"},
                                 {.notebookParam = "registered_model_name", .param = "name"}},
                       .wires = {{"run", "train", "run_id", "the run of its upstream train task"}},
                       .defaults = {{"name", "model_name", ImportDefault::Value::ModelName, nullptr, nullptr}}},
    };
}

} // namespace pw::pipeline
