// The promotion gate.
#include "core/registry/Gate.h"

#include "core/catalog/Catalog.h"
#include "core/compute/Training.h"
#include "core/registry/Registry.h"
#include "core/store/Database.h"
#include "core/store/Settings.h"
#include "core/store/Workspace.h"

#include <algorithm>
#include <cstdio>
#include <utility>

namespace pw::registry {

namespace {

std::string percent(double v)
{
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.2f%%", 100.0 * v);
    return buf;
}

} // namespace

std::string GateResult::summary() const
{
    std::string s = "candidate version " + std::to_string(candidateVersion) + " " + percent(candidateAccuracy);
    if (productionVersion)
        s += ", Production version " + std::to_string(productionVersion) + " " + percent(productionAccuracy);
    else
        s += "; no version in Production to compare with";
    return s + " (table " + table + ", catalog version " + std::to_string(dataVersion) + ")";
}

GateResult checkPromotionGate(const store::Workspace &ws, const std::string &name, std::int64_t version,
                              const std::string &table, const std::atomic<bool> *cancel)
{
    auto db = ws.openCatalog();
    Registry reg(ws, *db);
    const ModelVersion candidate = reg.version(name, version);
    const auto current = reg.inStage(name, Stage::Production);
    // Both on the same catalog version of the table.
    const std::int64_t asOf = catalog::Catalog(*db).latestVersion();
    auto evaluate = [&](const ModelVersion &v) {
        compute::ModelFiles files{v.artifact, v.classes, v.imageSize, v.channels};
        return compute::evaluateModel(ws, files, table, asOf, cancel);
    };
    GateResult g;
    g.table = table;
    g.candidateVersion = version;
    const auto c = evaluate(candidate);
    g.candidateAccuracy = c.accuracy;
    g.dataVersion = c.dataVersion;
    if (current && current->version != version) {
        g.productionVersion = current->version;
        g.productionAccuracy = evaluate(*current).accuracy;
    }
    g.passed = g.productionVersion == 0 || g.candidateAccuracy >= g.productionAccuracy;
    return g;
}

std::vector<std::string> evaluationTables(store::Database &db, const std::string &trainedOn)
{
    // Per table, the catalog version that last added an image (an index range: images_table_added).
    store::Statement newest(db, "SELECT coalesce(max(valid_from), 0) FROM images WHERE table_name = ?");
    std::vector<std::pair<std::int64_t, std::string>> heldOut;
    bool trained = false;
    for (const std::string &t : catalog::Catalog(db).tables()) {
        if (t == trainedOn) {
            trained = true;
            continue;
        }
        newest.bind(1, t);
        newest.step();
        heldOut.emplace_back(newest.int64(0), t);
        newest.reset();
    }
    std::stable_sort(heldOut.begin(), heldOut.end(), [](const auto &a, const auto &b) { return a.first > b.first; });
    std::vector<std::string> out;
    for (auto &[version, table] : heldOut)
        out.push_back(std::move(table));
    if (trained)
        out.push_back(trainedOn);
    return out;
}

PromotionRefused::PromotionRefused(GateResult g)
    : std::runtime_error("promotion refused: " + g.summary()
                         + ": the candidate is less accurate than the Production version")
    , gate(std::move(g))
{
}

std::string gateTableFor(store::Database &db, const PromoteRequest &request)
{
    if (request.transition.to != Stage::Production || request.noGate)
        return {};
    if (!request.gateTable.empty())
        return request.gateTable;
    return store::setting(db, store::kGateTableSetting).value_or(std::string());
}

PromoteOutcome promote(const store::Workspace &ws, store::Database &db, const PromoteRequest &request,
                       const std::atomic<bool> *cancel, const GateResult *made)
{
    PromoteOutcome out;
    TransitionRequest r = request.transition;
    if (r.to == Stage::Production) {
        const std::string table = gateTableFor(db, request);
        if (request.noGate) {
            r.gate = "promoted without comparison: " + request.reason;
        } else if (table.empty()) {
            r.gate = "promoted without comparison: no gate table given";
        } else {
            GateResult g = made && made->table == table && made->candidateVersion == r.version
                               ? *made
                               : checkPromotionGate(ws, r.name, r.version, table, cancel);
            if (!g.passed)
                throw PromotionRefused(g);
            r.gate = "compared: " + g.summary();
            r.expectProduction = g.productionVersion; // the check holds only while Production is still that one
            out.gate = std::move(g);
        }
    }
    out.transitions = Registry(ws, db).transition(r);
    return out;
}

} // namespace pw::registry
