// Loads and changes the Models page's data through the registry and tracking APIs (never SQL here).
#include "ui/models/ModelsSnapshot.h"

#include "ui/experiments/ExperimentsSnapshot.h"

#include "core/store/Database.h"
#include "core/store/Workspace.h"
#include "core/track/Tracker.h"

#include <algorithm>

namespace pw::ui {

ModelsSnapshot loadModelsSnapshot(const std::string &workspaceRoot)
{
    ModelsSnapshot s;
    try {
        const auto ws = store::Workspace::open(workspaceRoot);
        auto db = ws.openCatalog();
        const registry::Registry reg(ws, *db);
        const track::Tracker tracker(*db);
        s.models = reg.models();
        s.versions = reg.versions();
        std::stable_sort(s.versions.begin(), s.versions.end(), [](const auto &a, const auto &b) {
            return a.name != b.name ? a.name < b.name : a.version > b.version;
        });
        for (const std::string &m : s.models)
            s.history.emplace(m, reg.history(m));
        for (const registry::ModelVersion &v : s.versions) {
            if (v.runId.empty() || s.runValAccuracy.count(v.runId))
                continue;
            try {
                const auto metrics = tracker.latestMetrics(v.runId);
                if (const auto it = metrics.find(kValAccuracyKey); it != metrics.end())
                    s.runValAccuracy.emplace(v.runId, it->second);
            } catch (const std::exception &) {
                // The run was deleted; the version (a copy of its model) outlives it: no metric to show.
            }
        }
    } catch (const std::exception &e) {
        s.error = QString::fromStdString(e.what());
    }
    return s;
}

TransitionOutcome transitionVersion(const std::string &workspaceRoot, const std::string &model, std::int64_t version,
                                    registry::Stage to, const std::string &comment)
{
    TransitionOutcome out;
    try {
        const auto ws = store::Workspace::open(workspaceRoot);
        auto db = ws.openCatalog();
        registry::Registry reg(ws, *db);
        registry::TransitionRequest request;
        request.name = model;
        request.version = version;
        request.to = to;
        request.comment = comment;
        out.transitions = reg.transition(request);
    } catch (const std::exception &e) {
        out.error = QString::fromStdString(e.what());
    }
    return out;
}

} // namespace pw::ui
