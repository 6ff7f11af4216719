// What the Experiments page shows, read in one go off the GUI thread: every run with its params, its final
// metrics and the per-epoch curves the page draws.
#pragma once

#include "core/track/Tracker.h"

#include "core/compute/Training.h"

#include <QString>

#include <map>
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
    std::map<std::string, std::string> tags; // every tag, the system ones ("pipewright.", "mlflow.") included
    // False in a live snapshot for a run that ended before the last load: params, metrics and curves were not
    // read again (they cannot change once a run has ended) and the page keeps the ones it has.
    bool detailed = true;
};

/** MLflow's tag holding a run's note (its "description" in the MLflow UI). */
inline constexpr const char *kNoteTag = "mlflow.note.content";

/** True for the tags Pipewright and MLflow set themselves ("pipewright." and "mlflow." keys): read-only here. */
bool isSystemTag(const std::string &key);
/**
 * Why `key` cannot be a user tag, in words; empty when it can. MLflow's rules: at most 250 characters of
 * letters, digits, '_', '-', '.', ' ' and '/'; the "pipewright." and "mlflow." prefixes are reserved.
 */
QString userTagKeyError(const QString &key);
/** The longest tag value accepted (MLflow's limit is 8000; a note gets more room). */
inline constexpr int kMaxTagValueLength = 8000;
inline constexpr int kMaxNoteLength = 65536;

struct ExperimentsSnapshot
{
    QString error; // non-empty when the runs could not be read
    std::vector<std::string> experiments; // names, in name order
    std::vector<RunRow> runs; // newest first
};

/**
 * Reads the snapshot through its own connection: safe to call on any thread. Many runs are read with a few
 * set-based queries (Tracker::allParams() and the like), not a dozen per run. With `ended` (the runs the
 * caller has that had already ended), those runs are read without their params, metrics and curves
 * (`detailed` false): a live refresh then reads the runs and their tags, and only the unfinished runs in detail.
 */
ExperimentsSnapshot loadExperimentsSnapshot(const std::string &workspaceRoot,
                                            const std::vector<std::string> &ended = {});

/** Sets tags of a run (Tracker::setTag, one at a time); returns the error in words, empty on success. Any thread. */
QString writeRunTags(const std::string &workspaceRoot, const std::string &runId,
                     const std::map<std::string, std::string> &tags);

/** What the train dialog offers: the workspace's tables, experiments and compute targets. */
struct TrainChoices
{
    QString error; // non-empty when the workspace could not be read
    std::vector<std::string> tables;
    std::vector<std::string> experiments;
    std::vector<std::string> targets; // "local" first
    std::vector<std::string> slurmTargets; // those of them that are Slurm clusters (nodes x processes per node)
};
/** Reads the train dialog's choices; any thread. */
TrainChoices loadTrainChoices(const std::string &workspaceRoot);
/**
 * compute::runTraining on a fresh Workspace, or compute::resumeTraining of the run `resumeRunId` when it is given;
 * errors (a bad request, a run that cannot be resumed) come back as a FAILED outcome without a run id. Any thread.
 */
compute::TrainOutcome trainInWorkspace(const std::string &workspaceRoot, const compute::TrainRequest &request,
                                       const compute::TrainObserver &observer, const std::atomic<bool> *cancel,
                                       const std::string &resumeRunId = {});

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
/**
 * The workspace's tables, empty on error: those a model trained on `trainedOn` did not see first, the newest first, and
 * `trainedOn` last (registry::evaluationTables). What the Evaluate dialog offers, the first by default. Any thread.
 */
std::vector<std::string> workspaceTables(const std::string &workspaceRoot, const std::string &trainedOn = {});

} // namespace pw::ui
