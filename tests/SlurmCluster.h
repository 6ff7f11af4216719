// A real one-node Slurm cluster for tests: munged, slurmctld and slurmd started as this process's children with a
// generated slurm.conf (free ports, everything in one temporary folder), stopped by pid.
#pragma once

#include <QByteArray>
#include <QProcessEnvironment>
#include <QString>
#include <QStringList>
#include <QTemporaryDir>

#include <memory>
#include <vector>

class QProcess;

namespace pw::test {

/**
 * The cluster: node "localhost" (127.0.0.1) with this machine's CPUs, partition "debug" (the default), no
 * accounting (sacct has nothing), jobcomp/filetxt recording every job's final state in jobcompPath().
 * Clients (sbatch, squeue, ...) find it through SLURM_CONF=confPath(): start() sets it in this process's environment
 * (so every child, Pipewright included, talks to this cluster) and the destructor restores it.
 *
 * Not thread-safe; one per test executable at a time. stop() cancels every job, waits until none is left, then ends
 * slurmd, slurmctld and munged by their pids.
 */
class SlurmCluster
{
public:
    SlurmCluster();
    ~SlurmCluster();
    SlurmCluster(const SlurmCluster &) = delete;
    SlurmCluster &operator=(const SlurmCluster &) = delete;

    /** Starts the daemons and waits (up to 30 s) until the node is idle. False with errorString() when it cannot. */
    [[nodiscard]] bool start();
    void stop();
    QString errorString() const { return m_error; }

    QString dirPath() const { return m_dir.path(); }
    QString confPath() const { return m_dir.filePath(QStringLiteral("slurm.conf")); }
    QString jobcompPath() const { return m_dir.filePath(QStringLiteral("jobcomp.txt")); }
    /** The node's CPUs (this machine's). */
    int cpus() const { return m_cpus; }

    /** Runs a Slurm client (sbatch, squeue, scontrol, scancel, sinfo) against the cluster: its stdout (and stderr
     *  into `err`), its exit code in `exitCode`. */
    QByteArray client(const QString &program, const QStringList &args, int *exitCode = nullptr,
                      QByteArray *err = nullptr) const;
    /** The state of a job from scontrol ("PENDING", "RUNNING", ...; empty when the controller does not know it). */
    QString jobState(const QString &jobId) const;
    /** The job ids squeue shows (pending, running, completing). */
    QStringList jobs() const;

private:
    bool startDaemon(const QString &program, const QStringList &args, const QString &log);
    bool writeConfig();

    QTemporaryDir m_dir;
    std::vector<std::unique_ptr<QProcess>> m_daemons; // munged, slurmctld, slurmd
    int m_cpus = 1;
    QString m_error;
    QByteArray m_previousConf;
    bool m_hadPreviousConf = false;
    bool m_started = false;
};

} // namespace pw::test
