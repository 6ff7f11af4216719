// Holds pipewright-worker at known points of a training (its --hold-dir), so that a test acts while the worker is
// provably at that point instead of hoping it is slow enough: a fast CPU (bf16) or a busy one changes nothing.
#pragma once

#include <QString>
#include <QStringList>
#include <QTemporaryDir>

namespace pw::test {

/**
 * While it lives, every training this process (or a child it starts) supervises passes `--hold-dir` to its
 * worker (PIPEWRIGHT_WORKER_HOLD_DIR). hold(P) makes the worker wait at point P ("epoch-E-batch-1" after the
 * first batch of epoch E, "epoch-E-end" after epoch E's metrics and checkpoint) until release(P); the worker
 * says it is there (isHeld). The destructor releases every point, so a failing test never leaves a worker waiting.
 * The worker also leaves a point when it is told to stop (SIGTERM), so cancel tests can hold it too.
 */
class WorkerHold
{
public:
    WorkerHold();
    ~WorkerHold();
    WorkerHold(const WorkerHold &) = delete;
    WorkerHold &operator=(const WorkerHold &) = delete;

    /** The worker will wait at `point`. */
    bool hold(const QString &point);
    /** True once a worker waits (or has waited) at `point` since hold(point). */
    bool isHeld(const QString &point) const;
    /** Lets the worker go on from `point`. */
    void release(const QString &point);
    /** Releases every held point (also done by the destructor). */
    void releaseAll();
    QString dirPath() const { return m_dir.path(); }

private:
    QTemporaryDir m_dir;
    QStringList m_held;
    QByteArray m_previous;
    bool m_hadPrevious = false;
};

} // namespace pw::test
