// Runs pipewright-worker as a child process and streams its JSON-line events back.
#pragma once

#include <QJsonObject>
#include <QString>
#include <QStringList>

#include <atomic>
#include <functional>

namespace pw::compute {

struct Target;

/** The worker binary: $PIPEWRIGHT_WORKER, else pipewright-worker next to this program, else on PATH. */
QString workerPath();

/** How a worker process ended. */
struct WorkerExit
{
    bool started = false; // false: the program could not be started (error says why)
    bool crashed = false; // killed by a signal or crashed
    int exitCode = -1;
    QJsonObject finished; // the "finished" event, when the worker sent one
    QString error; // why it could not start, or the tail of its stderr when it failed
    bool cancelled = false; // `cancel` was set and the worker was stopped
    int failedRank = -1; // runWorkerRanks(): the rank whose end failed the run (error says how)
};

/**
 * Runs `worker args...` locally and blocks until it ends (for headless callers: the CLI, pipeline tasks on
 * worker threads). Every JSON line on the worker's stdout is parsed and handed to `onEvent` on the calling
 * thread; other lines go to `onLog`. When `cancel` becomes true the worker gets SIGTERM (it checkpoints
 * and exits 3) and, if it is still running 20 s later, SIGKILL: no worker process outlives the call.
 * `onStarted` receives the child's pid.
 */
WorkerExit runWorker(const QStringList &args, const std::function<void(const QJsonObject &)> &onEvent,
                     const std::atomic<bool> *cancel = nullptr, const std::function<void(const QString &)> &onLog = {},
                     const std::function<void(qint64 pid)> &onStarted = {});

/**
 * runWorker() for a data-parallel training on this host: starts `ranks` workers with `args` (which hold
 * --distributed) and torchrun's environment (RANK, WORLD_SIZE, LOCAL_RANK, MASTER_ADDR 127.0.0.1 and a free
 * MASTER_PORT). Rank 0's stdout is read as runWorker() reads it; every rank's stderr goes to logDir/rank-R.log.
 * When a rank ends by a signal or with an exit code other than 0, the others are stopped (SIGTERM, then SIGKILL)
 * and failedRank and error name it ("rank 1 exited with signal 9 (Killed)", "rank 1 exited with exit 1: <its last
 * stderr line>"). `cancel` stops every rank (they checkpoint together); exitCode and crashed are rank 0's.
 */
WorkerExit runWorkerRanks(const QStringList &args, int ranks, const QString &logDir,
                          const std::function<void(const QJsonObject &)> &onEvent,
                          const std::atomic<bool> *cancel = nullptr,
                          const std::function<void(const QString &)> &onLog = {},
                          const std::function<void(qint64 pid)> &onStarted = {});

/**
 * A worker run that can go to any compute target. Its arguments name local paths: `inputs` (files or folders
 * the worker reads) and `outputDir` (where it writes). On a remote target the inputs are copied to the
 * target's workdir content-addressed (folders under shards/, files under blobs/; skipped when already there),
 * those paths in the arguments become the remote ones, the worker writes into runs/JOB/ there, and at the end
 * `outputs` (names relative to outputDir; empty: everything, logs included) come back into outputDir.
 */
struct WorkerJob
{
    QStringList args;
    QStringList inputs;
    QString outputDir;
    QStringList outputs;
    QString jobId; // names the job's folder on the target (a run id): unique per job
    // Removed from the target once the job ended and its outputs came back: inputs that serve this job only
    // (scoring's decoded images), and with `removeJobDir` the job's folder (kept by default: a run's logs).
    QStringList transientInputs;
    bool removeJobDir = false;
    // Follow a job that was launched before (a run whose supervisor ended): never start a worker; the job's
    // events are read from the start of events.jsonl.
    bool attachOnly = false;
    // More than 1: a data-parallel training whose ranks all run on this host (runWorkerRanks(), logs under logs/).
    int ranks = 1;
};

/**
 * runWorker() on `target`. For "local" it is runWorker(job.args). For an SSH host the worker starts there
 * detached from the connection, writing its events to runs/JOB/events.jsonl, which is streamed back live;
 * a dropped connection is reattached (from the last event read) until the worker's exit is known or
 * $PIPEWRIGHT_REATTACH_SECONDS (default 600) pass without a connection. Cancel sends SIGTERM (then SIGKILL)
 * to the remote worker. Progress of the transfer is reported as events too: remote_upload {path, bytes,
 * copied}, remote_started {host, dir}, remote_reattached {attempt, offset}, remote_fetched {bytes, seconds}.
 * `onStarted` receives this process's pid (the supervisor of the remote run).
 */
WorkerExit runWorkerOn(const Target &target, const WorkerJob &job,
                       const std::function<void(const QJsonObject &)> &onEvent,
                       const std::atomic<bool> *cancel = nullptr,
                       const std::function<void(const QString &)> &onLog = {},
                       const std::function<void(qint64 pid)> &onStarted = {});

} // namespace pw::compute
