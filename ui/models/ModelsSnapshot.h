// What the Models page shows, read in one go off the GUI thread: every registered version, each model's
// transition history, and the final val_accuracy of the runs the versions came from.
#pragma once

#include "core/compute/Training.h"
#include "core/registry/Gate.h"
#include "core/registry/Registry.h"

#include <QString>

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace pw::ui {

struct ModelsSnapshot
{
    QString error; // non-empty when the registry could not be read
    std::vector<std::string> models; // names, sorted
    std::vector<registry::ModelVersion> versions; // by name, newest version first
    std::map<std::string, std::vector<registry::Transition>> history; // per model, oldest first
    std::map<std::string, double> runValAccuracy; // by run id, where the run logged val_accuracy
    std::vector<std::string> tables; // the workspace's tables, newest first: what a promotion can be compared on
    std::string gateTable; // the workspace's registry.gate_table: every promotion to Production is compared on it
};

/** Reads the snapshot through its own connection: safe to call on any thread. */
ModelsSnapshot loadModelsSnapshot(const std::string &workspaceRoot);

/** What a stage change did: the transitions recorded, or the error. */
struct TransitionOutcome
{
    QString error;
    std::vector<registry::Transition> transitions;
};

/** Moves a version to `to` (Registry::transition, default handling of the versions there); any thread. */
TransitionOutcome transitionVersion(const std::string &workspaceRoot, const std::string &model, std::int64_t version,
                                    registry::Stage to, const std::string &comment);

/** A transition as requested (archive choice, expected Production version); any thread. */
TransitionOutcome transitionVersion(const std::string &workspaceRoot, const registry::TransitionRequest &request);

/**
 * A promotion as the CLI makes it (registry::promote: the gate table asked for, else the workspace's; no_gate with its
 * reason), using the comparison `made` in the dialog on that table instead of evaluating again; any thread.
 */
TransitionOutcome promoteVersion(const std::string &workspaceRoot, const registry::PromoteRequest &request,
                                 const std::optional<registry::GateResult> &made);

/** Sets (`set`) or deletes an alias of `model`; the error, empty when done. Any thread. */
QString changeAlias(const std::string &workspaceRoot, const std::string &model, const std::string &alias,
                    std::int64_t version, bool set);

/**
 * A candidate against the Production version on one table at one catalog version: the gate's verdict
 * (registry::checkPromotionGate, the CLI's rule) and both evaluations for the per-class differences.
 */
struct PromotionComparison
{
    QString error;
    registry::GateResult gate;
    compute::EvaluationResult candidate;
    compute::EvaluationResult production; // empty when nothing is in Production
};

/** Runs the comparison (the worker, twice or four times); slow: call it off the GUI thread. */
PromotionComparison comparePromotion(const std::string &workspaceRoot, const std::string &model, std::int64_t version,
                                     const std::string &table, const std::atomic<bool> *cancel = nullptr);

} // namespace pw::ui
