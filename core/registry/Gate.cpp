// The promotion gate.
#include "core/registry/Gate.h"

#include "core/catalog/Catalog.h"
#include "core/compute/Training.h"
#include "core/registry/Registry.h"
#include "core/store/Database.h"
#include "core/store/Workspace.h"

#include <cstdio>

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

} // namespace pw::registry
