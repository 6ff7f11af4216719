// The promotion gate: a candidate model version against the current Production version, both evaluated on
// the same table at the same catalog version.
#pragma once

#include <atomic>
#include <cstdint>
#include <string>

namespace pw::store {
class Workspace;
}

namespace pw::registry {

struct GateResult
{
    std::string table;
    std::int64_t dataVersion = 0;
    std::int64_t candidateVersion = 0;
    double candidateAccuracy = 0;
    std::int64_t productionVersion = 0; // 0: no version in Production (the gate passes)
    double productionAccuracy = 0;
    bool passed = false;
    /** "candidate version 3 92.31%, Production version 2 91.80%" */
    std::string summary() const;
};

/**
 * Evaluates version `version` of model `name` and the model's current Production version on the labeled images
 * of `table` as of the latest catalog version; passes when there is no Production version or the candidate is
 * at least as accurate. Throws naming the model, version or table at fault.
 */
GateResult checkPromotionGate(const store::Workspace &ws, const std::string &name, std::int64_t version,
                              const std::string &table, const std::atomic<bool> *cancel = nullptr);

} // namespace pw::registry
