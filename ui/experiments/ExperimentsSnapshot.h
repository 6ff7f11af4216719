// What the Experiments page shows, read in one go off the GUI thread: every run with its params, its final
// metrics and the per-epoch curves the page draws.
#pragma once

#include "core/track/Tracker.h"

#include <QString>

#include <map>
#include "core/compute/Training.h"

#include <string>
#include <vector>

namespace pw::ui {

/** The metrics the run chart draws (the keys pipewright-worker logs once per epoch). */
inline constexpr const char *kTrainLossKey = "train_loss";
inline constexpr const char *kValLossKey = "val_loss";
inline constexpr const char *kValAccuracyKey = "val_accuracy";

struct RunRow
{
    track::RunInfo info;
    std::map<std::string, std::string> params;
    std::map<std::string, double> metrics; // the latest value of each key
    std::map<std::string, std::vector<track::MetricPoint>> curves; // every logged key but the per-batch ones
};

struct ExperimentsSnapshot
{
    QString error; // non-empty when the runs could not be read
    std::vector<std::string> experiments; // names, in name order
    std::vector<RunRow> runs; // newest first
};

/** Reads the snapshot through its own connection: safe to call on any thread. */
ExperimentsSnapshot loadExperimentsSnapshot(const std::string &workspaceRoot);

/** A run's evaluation: the latest stored one, or one just made; `found` false when there is none. */
struct RunEvaluation
{
    QString error;
    bool found = false;
    compute::EvaluationResult result;
    QString file; // the artifact read
};

/** The newest artifacts/<run>/evaluation-*.json of `runId` (by modification time); any thread. */
RunEvaluation loadLatestEvaluation(const std::string &workspaceRoot, const std::string &runId);
/** compute::evaluateRun on `table` (runs the worker: slow); any thread. */
RunEvaluation evaluateRunOn(const std::string &workspaceRoot, const std::string &runId, const std::string &table);
/** The workspace's tables; empty on error. Any thread. */
std::vector<std::string> workspaceTables(const std::string &workspaceRoot);

} // namespace pw::ui
