// Runs pipewright-worker as a child process and streams its JSON-line events back.
#pragma once

#include <QJsonObject>
#include <QString>
#include <QStringList>

#include <atomic>
#include <functional>

namespace pw::compute {

/** The worker binary: $PIPEWRIGHT_WORKER, else pipewright-worker next to this program, else on PATH. */
QString workerPath();

/** How a worker process ended. */
struct WorkerExit
{
    bool started = false;    // false: the program could not be started (error says why)
    bool crashed = false;    // killed by a signal or crashed
    int exitCode = -1;
    QJsonObject finished;    // the "finished" event, when the worker sent one
    QString error;           // why it could not start, or the tail of its stderr when it failed
    bool cancelled = false;  // `cancel` was set and the worker was stopped
};

/**
 * Runs `worker args...` locally and blocks until it ends (for headless callers: the CLI, pipeline tasks on
 * worker threads). Every JSON line on the worker's stdout is parsed and handed to `onEvent` on the calling
 * thread; other lines go to `onLog`. When `cancel` becomes true the worker gets SIGTERM (it checkpoints
 * and exits 3) and, if it is still running 20 s later, SIGKILL: no worker process outlives the call.
 * `onStarted` receives the child's pid.
 */
WorkerExit runWorker(const QStringList &args, const std::function<void(const QJsonObject &)> &onEvent,
                     const std::atomic<bool> *cancel = nullptr,
                     const std::function<void(const QString &)> &onLog = {},
                     const std::function<void(qint64 pid)> &onStarted = {});

} // namespace pw::compute
