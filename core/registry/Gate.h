// The promotion gate: a candidate model version against the current Production version, both evaluated on
// the same table at the same catalog version.
#pragma once

#include "core/registry/Registry.h"

#include <atomic>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace pw::store {
class Database;
class Workspace;
} // namespace pw::store

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

/**
 * The tables a model trained on `trainedOn` may be evaluated or compared on, the held-out ones first (those it was not
 * trained on, the newest first: the one whose images were last added), the training table last. Dialogs default to
 * the first.
 */
std::vector<std::string> evaluationTables(store::Database &db, const std::string &trainedOn);

/** A promotion refused by its gate: the candidate is less accurate than the Production version. */
class PromotionRefused : public std::runtime_error
{
public:
    explicit PromotionRefused(GateResult gate);
    GateResult gate;
};

/** What promote() did: the transitions recorded (the requested one first) and the comparison made, if any. */
struct PromoteOutcome
{
    std::vector<Transition> transitions;
    std::optional<GateResult> gate;
};

/**
 * The gate table a promotion to `stage` is compared on: the request's table, else the workspace's
 * registry.gate_table setting (core/store/Settings.h); empty when there is none or the request skips the comparison.
 */
std::string gateTableFor(store::Database &db, const PromoteRequest &request);

/**
 * A promotion as the CLI, the promote task and the workbench make it. Into Production: the candidate is compared
 * with the Production version on gateTableFor() (a comparison the caller already made on that table, `made`, is
 * used instead of evaluating again) and a less accurate candidate is refused (PromotionRefused); the history entry
 * says what was checked (Transition::gate): the comparison, "promoted without comparison: REASON" when the request
 * skipped it (no_gate), or "promoted without comparison: no gate table given". Other stages: a plain transition.
 */
PromoteOutcome promote(const store::Workspace &ws, store::Database &db, const PromoteRequest &request,
                       const std::atomic<bool> *cancel = nullptr, const GateResult *made = nullptr);

} // namespace pw::registry
