// Loads and changes the Models page's data through the registry and tracking APIs (never SQL here).
#include "ui/models/ModelsSnapshot.h"

#include "ui/experiments/ExperimentsSnapshot.h"

#include "core/catalog/Catalog.h"
#include "core/store/Database.h"
#include "core/store/Settings.h"
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
        s.tables = registry::evaluationTables(*db, {}); // newest first
        s.gateTable = store::setting(*db, store::kGateTableSetting).value_or(std::string());
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
    registry::TransitionRequest request;
    request.name = model;
    request.version = version;
    request.to = to;
    request.comment = comment;
    return transitionVersion(workspaceRoot, request);
}

TransitionOutcome transitionVersion(const std::string &workspaceRoot, const registry::TransitionRequest &request)
{
    TransitionOutcome out;
    try {
        const auto ws = store::Workspace::open(workspaceRoot);
        auto db = ws.openCatalog();
        registry::Registry reg(ws, *db);
        out.transitions = reg.transition(request);
    } catch (const std::exception &e) {
        out.error = QString::fromStdString(e.what());
    }
    return out;
}

TransitionOutcome promoteVersion(const std::string &workspaceRoot, const registry::PromoteRequest &request,
                                 const std::optional<registry::GateResult> &made)
{
    TransitionOutcome out;
    try {
        const auto ws = store::Workspace::open(workspaceRoot);
        auto db = ws.openCatalog();
        out.transitions = registry::promote(ws, *db, request, nullptr, made ? &*made : nullptr).transitions;
    } catch (const std::exception &e) {
        out.error = QString::fromStdString(e.what());
    }
    return out;
}

QString changeAlias(const std::string &workspaceRoot, const std::string &model, const std::string &alias,
                    std::int64_t version, bool set)
{
    try {
        const auto ws = store::Workspace::open(workspaceRoot);
        auto db = ws.openCatalog();
        registry::Registry reg(ws, *db);
        if (set)
            reg.setAlias(model, alias, version);
        else
            reg.deleteAlias(model, alias);
    } catch (const std::exception &e) {
        return QString::fromStdString(e.what());
    }
    return {};
}

PromotionComparison comparePromotion(const std::string &workspaceRoot, const std::string &model, std::int64_t version,
                                     const std::string &table, const std::atomic<bool> *cancel)
{
    PromotionComparison out;
    try {
        const auto ws = store::Workspace::open(workspaceRoot);
        out.gate = registry::checkPromotionGate(ws, model, version, table, cancel);
        auto db = ws.openCatalog();
        const registry::Registry reg(ws, *db);
        // The same catalog version the gate used, so the per-class figures add up to its accuracies.
        auto evaluate = [&](const registry::ModelVersion &v) {
            const compute::ModelFiles files{v.artifact, v.classes, v.imageSize, v.channels};
            return compute::evaluateModel(ws, files, table, out.gate.dataVersion, cancel);
        };
        out.candidate = evaluate(reg.version(model, version));
        if (out.gate.productionVersion)
            out.production = evaluate(reg.version(model, out.gate.productionVersion));
    } catch (const std::exception &e) {
        out.error = QString::fromStdString(e.what());
    }
    return out;
}

} // namespace pw::ui
