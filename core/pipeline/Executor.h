// The local pipeline executor: runs a pipeline's tasks in dependency order, independent ones in parallel,
// each attempt as its own child process (its own process group, so a timeout or a cancel ends the whole
// tree), with run_if, retries, timeouts, repair and partial runs; records everything in catalog.db and reports
// every state change. States and names follow Databricks Jobs 2.1.
#pragma once

#include "core/pipeline/Pipeline.h"

#include <QJsonObject>

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace pw::store {
class Database;
class Workspace;
} // namespace pw::store

namespace pw::pipeline {

// Life-cycle states: PENDING, RUNNING, TERMINATING, TERMINATED, SKIPPED, INTERNAL_ERROR.
// Result states: SUCCESS, FAILED, TIMEDOUT, CANCELED, EXCLUDED, UPSTREAM_FAILED, UPSTREAM_CANCELED,
// MAXIMUM_CONCURRENT_RUNS_REACHED.

struct RunOptions
{
    std::map<std::string, std::string> params; // override the pipeline's parameter defaults
    std::vector<std::string> only; // run only these tasks
    std::string from; // run this task and everything downstream of it
    std::string to; // run this task and everything upstream of it
    std::string trigger = "manual"; // manual | schedule | file_arrival | repair
    std::string file; // the pipeline file, recorded with the run
    std::optional<std::int64_t> repairOf; // set by repair()
    std::map<std::string, QJsonObject> reused; // task key -> outputs reused from an earlier run (repair)
    std::string pipewrightPath; // the CLI that runs built-in task types; empty: found
    std::int64_t logLimitBytes = 10 * 1024 * 1024; // per attempt; the rest is counted, not written
    int killGraceMillis = 5000; // SIGTERM, then SIGKILL after this
    std::function<void(std::int64_t runId)> onRunCreated;
    /** Shows a desktop notification ({"desktop": true} entries); unset: they are only logged. */
    std::function<void(const std::string &title, const std::string &body)> desktopNotifier;
};

struct AttemptInfo
{
    int attempt = 0;
    std::string lifeCycle;
    std::string result;
    std::string message;
    std::string start, end;
    std::optional<int> exitCode;
    std::string logPath;
    QJsonObject outputs;
};

struct TaskRunInfo
{
    std::string key;
    std::string lifeCycle;
    std::string result;
    std::string message;
    int attempts = 0; // attempts made (0: never started)
    double durationSeconds = 0; // all attempts
    QJsonObject outputs; // of the last attempt
    std::vector<AttemptInfo> attemptList;
};

struct RunInfo
{
    std::int64_t runId = 0;
    std::string pipeline;
    std::string file;
    std::string trigger;
    std::int64_t repairOf = 0;
    std::string lifeCycle;
    std::string result;
    std::string message;
    std::string start, end;
    QJsonObject parameters;
    std::vector<TaskRunInfo> tasks; // in dependency order
};

/** A state change, reported to observers from the executor's thread. */
struct Event
{
    std::int64_t runId = 0;
    std::string taskKey; // empty: the run itself
    int attempt = 0;
    std::string lifeCycle;
    std::string result;
    std::string message;
    std::string logPath;
};
using Observer = std::function<void(const Event &)>;

/**
 * Runs `p` (which must validate) to its end and returns what happened; blocks the caller while the executor's
 * own threads run the tasks and call `observer`. `cancel` (or `pipeline cancel RUN_ID` from another process)
 * stops it: running tasks are ended (SIGTERM to their process group, SIGKILL after the grace period) and the
 * run ends CANCELED. A run that would exceed max_concurrent_runs is recorded SKIPPED and returned at once.
 * Throws std::runtime_error for a pipeline that does not validate or options naming unknown tasks.
 */
RunInfo runPipeline(const store::Workspace &ws, const Pipeline &p, const RunOptions &options,
                    const Observer &observer = {}, const std::atomic<bool> *cancel = nullptr);

/**
 * Repairs run `runId`: runs its failed, timed-out, canceled and skipped tasks again, and everything downstream
 * of them, with the pipeline and parameters the run had; the tasks that succeeded keep their outputs. A run whose
 * executor was killed is ended first (failOrphanedRuns), so it can be repaired at once. Returns the new run
 * (trigger "repair", repair_of = runId). Throws when the run does not exist, is still running or succeeded.
 */
RunInfo repairRun(const store::Workspace &ws, std::int64_t runId, RunOptions options = {},
                  const Observer &observer = {}, const std::atomic<bool> *cancel = nullptr);

/** An attempt of a task made before the current one: in this run, or in a run this run repairs. */
struct EarlierAttempt
{
    std::int64_t runId = 0;
    int attempt = 0;
    std::string result; // as recorded; FAILED for an attempt whose executor was killed
    QJsonObject outputs; // what it recorded, also when it did not finish
};

/**
 * The attempts of task `taskKey` before attempt `attempt` of run `runId`, newest first: this run's earlier
 * attempts, then those of the run it repairs, and so on back. A built-in task's retry finds there the tracked
 * run or model version a killed attempt created, and reuses it instead of making another.
 */
std::vector<EarlierAttempt> earlierAttempts(store::Database &db, std::int64_t runId, const std::string &taskKey,
                                            int attempt);
/**
 * Records `outputs` as what attempt `attempt` of task `taskKey` has created so far, while it runs: written before
 * the task's state changes, so that a repair after a crash (of the task or of its executor) finds them.
 */
void recordAttemptOutputs(store::Database &db, std::int64_t runId, const std::string &taskKey, int attempt,
                          const QJsonObject &outputs);

/** A recorded run with its tasks and attempts; throws naming the run id when there is none. */
RunInfo loadRun(store::Database &db, std::int64_t runId);
/** Runs, newest first, of the pipeline named `pipeline` (all when empty); `limit` < 0 for all. */
std::vector<RunInfo> listRuns(store::Database &db, const std::string &pipeline = {}, int limit = -1);
/** The pipeline files that have recorded runs (as the runs name them), the one run last first. */
std::vector<std::string> filesWithRuns(store::Database &db);
/** The pipeline a run started with. */
Pipeline pipelineOfRun(store::Database &db, std::int64_t runId);
/**
 * Asks the executor of a running run to cancel it (it polls). A run whose executor process is gone is
 * ended CANCELED here. Returns false when the run had already ended.
 */
bool requestCancel(store::Database &db, std::int64_t runId);
/** Runs left RUNNING or PENDING by an executor process that no longer exists end INTERNAL_ERROR; returns how many. */
int failOrphanedRuns(store::Database &db);

/** The run as JSON: {"run_id", "pipeline", "result_state", "life_cycle_state", "tasks": [{"task_key", ...}]}. */
QJsonObject runJson(const RunInfo &run, bool withAttempts = false);

/** Replaces {{params.X}}, {{tasks.K.OUT}}, {{run.id}} and {{run.name}} inside one string. Unknown ones throw. */
std::string substitute(const std::string &text, const std::map<std::string, std::string> &params,
                       const std::map<std::string, QJsonObject> &outputs, std::int64_t runId,
                       const std::string &runName);

} // namespace pw::pipeline
