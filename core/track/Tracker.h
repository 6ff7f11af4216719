// Experiment tracking in catalog.db: experiments, runs, params, metrics, tags and artifacts (the
// MLflow tracking data model, with MLflow's names: run_id, status, start_time, end_time, step, ...).
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace pw::store {
class Database;
}

namespace pw::track {

/** One value of a metric (MLflow: Metric). A timestampMs of 0 means "now" when logged. */
struct MetricPoint
{
    std::string key;
    double value = 0; // NaN and +-inf are kept (SQLite stores NaN as NULL; it reads back as NaN)
    std::int64_t step = 0;
    std::int64_t epoch = 0;
    std::int64_t timestampMs = 0; // milliseconds since the Unix epoch
};

/** A run as stored; fields that were never set read as empty strings or 0. */
struct RunInfo
{
    std::string runId; // 32 lower-case hex characters, like an MLflow run_id
    std::string experiment;
    std::string name;
    std::string status; // RUNNING | FINISHED | FAILED | KILLED
    std::string startTime; // ISO 8601 UTC with milliseconds
    std::string endTime; // empty while RUNNING
    std::string table; // the catalog table trained on
    std::int64_t dataVersion = 0; // the catalog version trained on
    std::string device;
    double imagesPerSecond = 0;
    std::string pipelineRunId; // the pipeline run that started this run, if any
    std::string failureReason;
    std::int64_t workerPid = 0;
};

/** A file of a run, under the workspace's artifacts/<run_id>/ folder. */
struct ArtifactInfo
{
    std::string path; // relative to artifacts/<run_id>/, '/'-separated, no '.' or '..' segments
    std::string kind; // model | checkpoint | confusion | log | ...
    std::int64_t size = 0; // bytes
    std::string created; // ISO 8601 UTC; empty means "now" when added
};

/** What createRun() needs; an empty experiment means "Default". */
struct NewRun
{
    std::string experiment = "Default";
    std::string name;
    std::string table;
    std::int64_t dataVersion = 0;
    std::string pipelineRunId;
};

/**
 * Writes and reads the tracking tables of catalog.db over one connection, so a Tracker is used from
 * one thread (a connection is never shared between threads). Every write is one transaction.
 * Writes and reads take a full run id and throw std::runtime_error naming it when no such run
 * exists; only run() accepts a prefix.
 */
class Tracker
{
public:
    explicit Tracker(store::Database &db);

    /** The id of the experiment `name`, creating it when missing and `create`; throws naming it otherwise. */
    std::int64_t experimentId(const std::string &name, bool create = true);
    /** Experiment names, in name order. */
    std::vector<std::string> experiments() const;

    /** A new run: status RUNNING, started now, its experiment created if needed. Returns its run id. */
    std::string createRun(const NewRun &run);
    /**
     * Logs params (MLflow: log_params). As in MLflow a param is immutable: logging the same value
     * again is accepted, a different value is refused naming the key and both values.
     */
    void logParams(const std::string &runId, const std::map<std::string, std::string> &params);
    /** Appends metric values (the full history is kept), all in one transaction: all or none. */
    void logMetrics(const std::string &runId, const std::vector<MetricPoint> &points);
    /** Sets (or overwrites) a tag. */
    void setTag(const std::string &runId, const std::string &key, const std::string &value);
    /** Records an artifact, replacing the record with the same path; refuses a path that leaves the run's folder. */
    void addArtifact(const std::string &runId, const ArtifactInfo &artifact);
    void setDevice(const std::string &runId, const std::string &device);
    void setImagesPerSecond(const std::string &runId, double imagesPerSecond);
    /** The pid of the local worker process running this run (> 0), watched by failOrphanedRuns(). */
    void setWorkerPid(const std::string &runId, std::int64_t pid);
    /**
     * Ends a RUNNING run with status FINISHED, FAILED or KILLED, stamping its end time. Refuses any
     * other status, and a run that has already ended, with a message naming the run and status.
     */
    void endRun(const std::string &runId, const std::string &status, const std::string &failureReason = {});
    /** Makes an ended run RUNNING again (its end time and failure reason cleared): a remote run reattached to. */
    void reopenRun(const std::string &runId);

    /**
     * The run whose id is `runIdOrPrefix` or starts with it (at least 4 characters, case-insensitive),
     * like git's abbreviated hashes. Throws std::runtime_error naming the value when no run matches,
     * when several do (listing them) or when the prefix is too short.
     */
    RunInfo run(const std::string &runIdOrPrefix) const;
    /** Runs of `experiment` (all when empty), newest first; throws for an unknown experiment name. */
    std::vector<RunInfo> runs(const std::string &experiment = {}) const;
    std::map<std::string, std::string> params(const std::string &runId) const;
    std::map<std::string, std::string> tags(const std::string &runId) const;
    /** Per key, the value at the highest step (the latest timestamp, then the last logged, on ties). */
    std::map<std::string, double> latestMetrics(const std::string &runId) const;
    /** Every logged value of `key` (all keys when empty), ordered by key, step, timestamp, then log order. */
    std::vector<MetricPoint> metricHistory(const std::string &runId, const std::string &key = {}) const;
    /** Artifacts in path order. */
    std::vector<ArtifactInfo> artifacts(const std::string &runId) const;

    // Set-based reads of every run at once, for views that list them all (the Experiments page): a few
    // queries in all instead of a few per run. Each gives per run id what the per-run call gives for that run;
    // runs with nothing logged are absent.
    using KeyValues = std::map<std::string, std::string>;
    /** params() of every run, by run id; one query. */
    std::map<std::string, KeyValues> allParams() const;
    /** tags() of every run, by run id; one query. */
    std::map<std::string, KeyValues> allTags() const;
    /** latestMetrics() of every run, by run id; one query. */
    std::map<std::string, std::map<std::string, double>> allLatestMetrics() const;
    /**
     * metricHistory(run, key) of every run and key, by run id then key; one scan of the metrics table. Keys
     * starting with `skipKeyPrefix` (when it is not empty) are left out: per-batch histories are long.
     */
    std::map<std::string, std::map<std::string, std::vector<MetricPoint>>>
    allMetricHistories(const std::string &skipKeyPrefix = {}) const;

    /**
     * Runs left RUNNING whose worker_pid is set but no longer alive (kill(pid, 0) fails with ESRCH)
     * become FAILED with reason "the worker process ended without reporting (crashed or killed)";
     * returns how many. Only meaningful on the machine that started the workers: a pid is local.
     * A worker that exited but was not yet reaped by its parent (a zombie) still counts as alive.
     */
    int failOrphanedRuns();

private:
    /** Throws naming `runId` unless that exact run exists. */
    void requireRun(const std::string &runId) const;
    /** The id of experiment `name`; throws naming it, and listing those there are, when missing. */
    std::int64_t requireExperiment(const std::string &name) const;
    std::int64_t findOrCreateExperiment(const std::string &name);

    store::Database &m_db;
};

/** The failure reason failOrphanedRuns() writes. */
inline constexpr const char *kOrphanedRunReason = "the worker process ended without reporting (crashed or killed)";

} // namespace pw::track
