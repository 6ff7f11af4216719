// What an SSH run and a Slurm run share: commands on the target's host (through ssh, or on this machine for a
// Slurm cluster whose submit host is this one), inputs placed in its workdir content-addressed, outputs fetched.
#pragma once

#include "core/compute/Ssh.h"
#include "core/compute/Targets.h"
#include "core/compute/WorkerProcess.h"

#include <QJsonValue>
#include <QProcess>
#include <QString>
#include <QStringList>

#include <atomic>
#include <functional>
#include <utility>
#include <vector>

namespace pw::compute {

/** Starts `argv` on the target's host: ssh for a remote host, the program itself when the target runs here. */
void startOnHost(QProcess &process, const Target &target, const QStringList &argv);
/** Runs `argv` on the target's host as ssh::run does (exit code 255 is ssh's own failure only for remote hosts). */
ssh::Result runOnHost(const Target &target, const QStringList &argv, const QByteArray &input = {},
                      int timeoutMs = 60000);

/** Where an input lives in the workdir: shards/NAME-HASH for a folder, blobs/HASH-NAME for a file. */
QString remoteInputPath(const QString &local);
/** The inputs of a job: (local path, its place relative to the workdir). */
using RemoteInputs = std::vector<std::pair<QString, QString>>;
/** The worker and its arguments on the host: the inputs and the output folder (runs/JOB) get their places there. */
QStringList remoteWorkerArgv(const Target &target, const WorkerJob &job, const RemoteInputs &inputs);

/** Copies one input to `remote` (relative to the workdir) on the host; throws with the reason. */
void uploadInput(const Target &target, const QString &local, const QString &remote, const std::atomic<bool> *cancel,
                 const std::function<void(qint64, qint64)> &progress);
/** Brings runs/JOB/ (or only `outputs` of it) back into `outputDir`; the bytes, or 0 with `error` set. */
qint64 fetchJobOutputs(const Target &target, const QString &jobId, const QStringList &outputs, const QString &outputDir,
                       QString &error);
/** Removes paths (relative to the workdir) on the host. */
void removeFromWorkdir(const Target &target, const QStringList &paths);
/** Rewrites the remote job folder to the local output folder in every string of an event (artifact paths). */
QJsonValue mapJobPaths(const QJsonValue &v, const QString &remoteDir, const QString &localDir);

} // namespace pw::compute
