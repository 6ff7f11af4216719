// A worker on an SSH host: content-addressed inputs, a detached worker writing its events to a file,
// the events streamed back (and reattached after a dropped connection), cancel, outputs fetched back.
#include "core/compute/Ssh.h"
#include "core/compute/Targets.h"
#include "core/compute/WorkerProcess.h"

#include <QCoreApplication>
#include <QCryptographicHash>
#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QProcess>
#include <QThread>

#include <optional>

namespace pw::compute {

namespace {

constexpr int kKillGraceMs = 20000;
constexpr int kMissingInputs = 90;
constexpr int kWorkerMissing = 91;
constexpr int kWorkdirUnusable = 92;
constexpr int kWorkerNotStarted = 93;
constexpr int kNoSuchJob = 95;

// On the host, with $1 the workdir, $2 the job id, $3 the byte offset of events.jsonl already read, $4 "launch" or
// "attach" (follow a job that must exist), $5 the count of inputs that must be there, then those inputs (relative
// to the workdir), then the worker and its arguments.
// Launches the worker once per job (detached: setsid, its own session, nothing tied to this connection), then
// follows its events from the offset until it ends, and says how it ended as a last JSON line.
constexpr const char *kRunScript = R"sh(wd=$1 job=$1/runs/$2 off=$3 mode=$4 n=$5
shift 5
mkdir -p "$wd/runs" 2>/dev/null || { echo "cannot create $wd/runs on this host" >&2; exit 92; }
missing=0
while [ "$n" -gt 0 ]; do
  [ -e "$wd/$1" ] || { echo "@missing $1"; missing=1; }
  shift; n=$((n-1))
done
[ "$missing" = 0 ] || exit 90
if [ ! -e "$job/worker.pid" ] && [ "$mode" = attach ]; then
  echo "there is no job $2 in $wd/runs on this host (removed, or another workdir)" >&2; exit 95
fi
if [ ! -e "$job/worker.pid" ]; then
  case "$1" in */*) [ -x "$1" ] ;; *) command -v "$1" >/dev/null 2>&1 ;; esac || {
    echo "the worker '$1' is not on this host (not executable, or not on the PATH of a non-interactive login)" >&2; exit 91; }
  mkdir -p "$job" && cd "$job" || { echo "cannot create $job" >&2; exit 92; }
  : >events.jsonl
  setsid sh -c '"$@" >>events.jsonl 2>worker.log </dev/null & echo $! >worker.pid.tmp; mv worker.pid.tmp worker.pid; wait $!; echo $? >exit_code.tmp; mv exit_code.tmp exit_code' sh "$@" </dev/null >/dev/null 2>&1 &
fi
cd "$job" || { echo "the job folder $job is gone" >&2; exit 92; }
i=0
while [ ! -s worker.pid ]; do
  i=$((i+1)); [ "$i" -gt 400 ] && { echo "the worker did not start (no worker.pid in $job)" >&2; exit 93; }
  sleep 0.05
done
echo @attached
tail -c +$((off+1)) -s 0.2 --pid="$(cat worker.pid)" -f events.jsonl
i=0
while [ ! -e exit_code ] && [ "$i" -lt 100 ]; do i=$((i+1)); sleep 0.05; done
if [ -e exit_code ]; then printf '\n{"event":"remote_exit","code":%s}\n' "$(cat exit_code)"
else printf '\n{"event":"remote_exit","code":-1,"gone":true}\n'; fi)sh";

// $1 workdir, $2 job id, $3 signal: signals the job's worker, if it runs.
constexpr const char *kSignalScript = R"sh(cd "$1/runs/$2" 2>/dev/null && [ -s worker.pid ] && [ ! -e exit_code ] && kill -s "$3" "$(cat worker.pid)" 2>/dev/null; exit 0)sh";

// $1 workdir, $2 destination (relative), $3 "dir" (a tar stream on stdin) or "file" (the bytes on stdin).
// Written beside the destination, then renamed: a copy that breaks off never looks complete.
constexpr const char *kUploadScript = R"sh(cd "$1" || exit 92
mkdir -p "$(dirname "$2")" || exit 92
[ -e "$2" ] && { cat >/dev/null; exit 0; }
tmp="$2.part-$$"
rm -rf "$tmp"
if [ "$3" = dir ]; then mkdir "$tmp" && tar -xf - -C "$tmp" || { rm -rf "$tmp"; exit 94; }
else cat >"$tmp" || { rm -f "$tmp"; exit 94; }; fi
mv "$tmp" "$2" 2>/dev/null || rm -rf "$tmp")sh";

// $1 workdir, $2 job id, then the files to send (none: all): a tar stream of the job's folder on stdout.
constexpr const char *kFetchScript = R"sh(cd "$1/runs/$2" || exit 92
shift 2
if [ "$#" -eq 0 ]; then exec tar -cf - --exclude=./worker.pid --exclude=./exit_code .; fi
exec tar -cf - "$@")sh";

// $1 workdir, then paths relative to it: removed (what a job no longer needs on the host).
constexpr const char *kRemoveScript = R"sh(cd "$1" || exit 92
shift
rm -rf -- "$@")sh";

QString q(const std::string &s)
{
    return QString::fromStdString(s);
}

// Where an input lives in the workdir: folders by the hash of their manifest (a shard's manifest names its
// selection's content hash) or of their file list; files by the hash of their bytes.
QString remoteInputPath(const QString &local)
{
    const QFileInfo info(local);
    QCryptographicHash h(QCryptographicHash::Sha256);
    if (info.isDir()) {
        QFile manifest(local + "/manifest.json");
        if (manifest.open(QIODevice::ReadOnly)) {
            h.addData(manifest.readAll());
        } else {
            for (const QFileInfo &f : QDir(local).entryInfoList(QDir::Files | QDir::NoDotAndDotDot, QDir::Name)) {
                h.addData(f.fileName().toUtf8());
                QFile file(f.filePath());
                if (file.open(QIODevice::ReadOnly))
                    h.addData(&file);
            }
        }
        return "shards/" + info.fileName() + "-" + h.result().toHex().left(16);
    }
    QFile file(local);
    if (!file.open(QIODevice::ReadOnly))
        throw std::runtime_error("cannot read the input '" + local.toStdString() + "'");
    h.addData(&file);
    return "blobs/" + h.result().toHex().left(24) + "-" + info.fileName();
}

qint64 sizeOf(const QString &path)
{
    const QFileInfo info(path);
    if (!info.isDir())
        return info.size();
    qint64 total = 0;
    for (const QFileInfo &f : QDir(path).entryInfoList(QDir::Files | QDir::NoDotAndDotDot))
        total += f.size();
    return total;
}

// Copies one input to the host: a folder as a tar stream (the local tar's output, passed on here so that the
// bytes can be counted), a file as its bytes. `progress` gets (bytes sent, bytes in all) about twice a second.
void upload(const Target &t, const QString &local, const QString &remote, const std::atomic<bool> *cancel,
            const std::function<void(qint64, qint64)> &progress)
{
    const bool dir = QFileInfo(local).isDir();
    const qint64 total = sizeOf(local);
    QProcess sshProc;
    QProcess tar;
    sshProc.start(ssh::program(), ssh::arguments(t, {"sh", "-c", kUploadScript, "sh", q(t.workdir), remote,
                                                     dir ? "dir" : "file"}));
    if (!sshProc.waitForStarted(10000))
        throw std::runtime_error("cannot start ssh: " + sshProc.errorString().toStdString());
    QFile file(local);
    if (dir) {
        tar.start("tar", {"-C", local, "-cf", "-", "."});
        if (!tar.waitForStarted(10000))
            throw std::runtime_error("cannot start tar: " + tar.errorString().toStdString());
    } else if (!file.open(QIODevice::ReadOnly)) {
        throw std::runtime_error("cannot read '" + local.toStdString() + "'");
    }
    qint64 sent = 0;
    QElapsedTimer sinceProgress;
    sinceProgress.start();
    for (;;) {
        if (cancel && cancel->load())
            break;
        QByteArray chunk;
        if (dir) {
            if (tar.bytesAvailable() == 0 && tar.state() != QProcess::NotRunning)
                tar.waitForReadyRead(200);
            chunk = tar.read(1 << 20);
            if (chunk.isEmpty() && tar.state() == QProcess::NotRunning && tar.bytesAvailable() == 0)
                break;
        } else {
            chunk = file.read(1 << 20);
            if (chunk.isEmpty())
                break;
        }
        if (sshProc.state() != QProcess::Running)
            break; // ssh ended early: its exit status says why
        sshProc.write(chunk);
        sent += chunk.size();
        while (sshProc.bytesToWrite() > (4 << 20) && sshProc.state() == QProcess::Running)
            sshProc.waitForBytesWritten(1000);
        if (progress && sinceProgress.elapsed() >= 500) {
            progress(std::min(sent, total), total);
            sinceProgress.restart();
        }
    }
    while (sshProc.bytesToWrite() > 0 && sshProc.state() == QProcess::Running)
        sshProc.waitForBytesWritten(1000);
    sshProc.closeWriteChannel();
    QByteArray err;
    while (sshProc.state() != QProcess::NotRunning) {
        sshProc.waitForFinished(200);
        err += sshProc.readAllStandardError();
        if (cancel && cancel->load()) {
            sshProc.kill();
            tar.kill();
        }
    }
    if (dir)
        tar.waitForFinished(10000);
    err += sshProc.readAllStandardError();
    if (cancel && cancel->load())
        throw std::runtime_error("cancelled while copying '" + local.toStdString() + "' to " + t.name);
    if (dir && (tar.exitStatus() != QProcess::NormalExit || tar.exitCode() != 0))
        throw std::runtime_error("packing '" + local.toStdString() + "' with tar failed: "
                                 + QString::fromUtf8(tar.readAllStandardError()).trimmed().toStdString());
    if (sshProc.exitStatus() != QProcess::NormalExit || sshProc.exitCode() != 0)
        throw std::runtime_error("copying '" + local.toStdString() + "' to " + t.name + ":" + t.workdir + "/"
                                 + remote.toStdString() + " failed: "
                                 + (sshProc.exitCode() == 255 ? ssh::explainFailure(t, err) : QString::fromUtf8(err).trimmed())
                                       .toStdString());
}

// Brings the job's outputs back into `outputDir` (a tar stream from the host into the local tar).
qint64 fetch(const Target &t, const QString &jobId, const QStringList &outputs, const QString &outputDir, QString &error)
{
    QDir().mkpath(outputDir);
    QProcess sshProc;
    QProcess tar;
    sshProc.setStandardOutputProcess(&tar);
    tar.setProgram("tar");
    tar.setArguments({"-xf", "-", "-C", outputDir});
    tar.start();
    QStringList args{"sh", "-c", kFetchScript, "sh", q(t.workdir), jobId};
    args += outputs;
    sshProc.start(ssh::program(), ssh::arguments(t, args));
    sshProc.waitForFinished(-1);
    const QByteArray err = sshProc.readAllStandardError();
    tar.closeWriteChannel();
    tar.waitForFinished(60000);
    const QByteArray tarErr = tar.readAllStandardError();
    if (sshProc.exitStatus() != QProcess::NormalExit || sshProc.exitCode() != 0) {
        error = "fetching the outputs of job " + jobId + " from " + q(t.name) + " failed: "
                + (sshProc.exitCode() == 255 ? ssh::explainFailure(t, err) : QString::fromUtf8(err).trimmed());
        return 0;
    }
    if (tar.exitStatus() != QProcess::NormalExit || tar.exitCode() != 0) {
        error = "unpacking the outputs of job " + jobId + " into " + outputDir + " failed: " + QString::fromUtf8(tarErr).trimmed();
        return 0;
    }
    qint64 bytes = 0;
    if (outputs.isEmpty()) {
        bytes = sizeOf(outputDir);
    } else {
        for (const QString &o : outputs)
            bytes += QFileInfo(outputDir + "/" + o).size();
    }
    return bytes;
}

// Rewrites the remote job folder to the local output folder in every string of an event (artifact paths).
QJsonValue mapPaths(const QJsonValue &v, const QString &remoteDir, const QString &localDir)
{
    if (v.isString()) {
        const QString s = v.toString();
        if (s == remoteDir || s.startsWith(remoteDir + "/"))
            return localDir + s.mid(remoteDir.size());
        return v;
    }
    if (v.isArray()) {
        QJsonArray out;
        for (const QJsonValue &x : v.toArray())
            out.append(mapPaths(x, remoteDir, localDir));
        return out;
    }
    if (v.isObject()) {
        QJsonObject out;
        const QJsonObject o = v.toObject();
        for (auto it = o.begin(); it != o.end(); ++it)
            out.insert(it.key(), mapPaths(it.value(), remoteDir, localDir));
        return out;
    }
    return v;
}

int reattachSeconds()
{
    bool ok = false;
    const int v = qEnvironmentVariableIntValue("PIPEWRIGHT_REATTACH_SECONDS", &ok);
    return ok && v >= 0 ? v : 600;
}

} // namespace

WorkerExit runWorkerOn(const Target &target, const WorkerJob &job,
                       const std::function<void(const QJsonObject &)> &onEvent, const std::atomic<bool> *cancel,
                       const std::function<void(const QString &)> &onLog, const std::function<void(qint64)> &onStarted)
{
    if (target.isLocal())
        return runWorker(job.args, onEvent, cancel, onLog, onStarted);

    WorkerExit result;
    auto emitEvent = [&](const QJsonObject &e) {
        if (onEvent)
            onEvent(e);
    };
    const QString wd = q(target.workdir);
    const QString remoteJobDir = wd + "/runs/" + job.jobId;
    const QString localOut = QDir::cleanPath(job.outputDir);

    // Inputs: their places in the workdir; the arguments name those instead of the local paths.
    std::vector<std::pair<QString, QString>> inputs; // local, remote (relative to the workdir)
    try {
        for (const QString &in : job.inputs)
            inputs.emplace_back(QDir::cleanPath(in), remoteInputPath(in));
    } catch (const std::exception &e) {
        result.error = e.what();
        return result;
    }
    QStringList workerArgs;
    QString worker = q(target.worker);
    if (worker.contains(u'/') && !worker.startsWith(u'/'))
        worker = wd + "/" + worker;
    workerArgs << worker;
    for (const QString &a : job.args) {
        const QString clean = a.startsWith(u'/') ? QDir::cleanPath(a) : a;
        QString mapped = a;
        bool input = false;
        for (const auto &[local, remote] : inputs) {
            if (clean == local) {
                mapped = wd + "/" + remote;
                input = true;
            }
        }
        if (!input && !localOut.isEmpty() && (clean == localOut || clean.startsWith(localOut + "/")))
            mapped = remoteJobDir + clean.mid(localOut.size());
        workerArgs << mapped;
    }
    auto runArgs = [&](qint64 offset) {
        QStringList a{"sh", "-c", kRunScript, "sh", wd, job.jobId, QString::number(offset),
                      job.attachOnly ? "attach" : "launch", QString::number(inputs.size())};
        for (const auto &in : inputs)
            a << in.second;
        return a + workerArgs;
    };
    auto signalWorker = [&](const char *sig) {
        ssh::run(target, {"sh", "-c", kSignalScript, "sh", wd, job.jobId, sig}, {}, 30000);
    };

    if (cancel && cancel->load()) {
        result.cancelled = true;
        result.error = "cancelled before the worker started on " + q(target.name);
        return result;
    }
    if (onStarted)
        onStarted(QCoreApplication::applicationPid());

    qint64 offset = 0;           // bytes of events.jsonl read (whole lines)
    std::optional<int> exitCode; // the worker's, once known
    bool gone = false;
    bool uploadTried = false;
    bool everAttached = false;   // the worker was launched and followed at least once
    QStringList copied;          // inputs this run copied
    int attempt = 0;
    QElapsedTimer disconnected;  // since the connection was lost (invalid while connected)
    QElapsedTimer sinceTerm;
    bool termSent = false, killSent = false;
    const int reattachLimitMs = reattachSeconds() * 1000;
    // On cancel, once: SIGTERM to the remote worker (it checkpoints after the current batch and exits 3).
    auto stopIfCancelled = [&] {
        if (!cancel || !cancel->load() || termSent)
            return;
        signalWorker("TERM");
        termSent = true;
        result.cancelled = true;
        sinceTerm.start();
    };

    while (!exitCode) {
        QProcess p;
        p.start(ssh::program(), ssh::arguments(target, runArgs(offset)));
        if (!p.waitForStarted(10000)) {
            result.error = "cannot start '" + ssh::program() + "': " + p.errorString();
            return result;
        }
        ++attempt;
        QByteArray pending, err;
        QStringList missing;
        bool attached = false; // this connection got past the launch: the lines that follow are events
        for (;;) {
            const bool running = p.state() != QProcess::NotRunning;
            if (running)
                p.waitForReadyRead(100);
            pending += p.readAllStandardOutput();
            err += p.readAllStandardError();
            qsizetype nl;
            while ((nl = pending.indexOf('\n')) >= 0) {
                const QByteArray raw = pending.left(nl);
                pending.remove(0, nl + 1);
                const QByteArray line = raw.trimmed();
                if (!attached) {
                    if (line.startsWith("@missing "))
                        missing << QString::fromUtf8(line.mid(9));
                    if (line == "@attached") {
                        attached = true;
                        disconnected.invalidate();
                        if (!everAttached) {
                            for (const auto &[local, remote] : inputs)
                                emitEvent(QJsonObject{{"event", "remote_upload"}, {"path", local}, {"remote", wd + "/" + remote},
                                                      {"bytes", copied.contains(local) ? sizeOf(local) : 0},
                                                      {"copied", copied.contains(local)}});
                            emitEvent(QJsonObject{{"event", "remote_started"}, {"target", q(target.name)},
                                                  {"host", q(target.host)}, {"dir", remoteJobDir}});
                        } else {
                            emitEvent(QJsonObject{{"event", "remote_reattached"}, {"attempt", attempt}, {"offset", offset}});
                        }
                        everAttached = true;
                    }
                    continue;
                }
                QJsonParseError perr{};
                const QJsonDocument doc = line.isEmpty() ? QJsonDocument() : QJsonDocument::fromJson(line, &perr);
                if (doc.isObject() && doc.object().value("event").toString() == "remote_exit") {
                    exitCode = doc.object().value("code").toInt(-1);
                    gone = doc.object().value("gone").toBool();
                    continue;
                }
                offset += raw.size() + 1;
                if (line.isEmpty())
                    continue;
                if (perr.error == QJsonParseError::NoError && doc.isObject()) {
                    const QJsonObject event = mapPaths(doc.object(), remoteJobDir, localOut).toObject();
                    if (event.value("event").toString() == "finished")
                        result.finished = event;
                    emitEvent(event);
                } else if (onLog) {
                    onLog(QString::fromUtf8(line));
                }
            }
            if (everAttached)
                stopIfCancelled();
            if (termSent && !killSent && sinceTerm.elapsed() > kKillGraceMs) {
                signalWorker("KILL");
                killSent = true;
            }
            if (!running && p.bytesAvailable() == 0)
                break;
        }
        p.waitForFinished(1000);
        err += p.readAllStandardError();
        if (exitCode)
            break;
        const bool crashed = p.exitStatus() == QProcess::CrashExit;
        const int code = crashed ? -1 : p.exitCode();
        if (!crashed && code == kMissingInputs && !uploadTried) {
            // Copy what the host lacks, then launch again.
            uploadTried = true;
            for (const auto &[local, remote] : inputs) {
                if (!missing.contains(remote))
                    continue;
                try {
                    upload(target, local, remote, cancel, [&](qint64 done, qint64 total) {
                        emitEvent(QJsonObject{{"event", "remote_upload_progress"}, {"path", local}, {"done", done},
                                              {"total", total}});
                    });
                } catch (const std::exception &e) {
                    result.error = e.what();
                    result.cancelled = cancel && cancel->load();
                    return result;
                }
                copied << local;
            }
            continue;
        }
        if (!crashed && (code == kMissingInputs || code == kWorkerMissing || code == kWorkdirUnusable
                         || code == kWorkerNotStarted || code == kNoSuchJob)) {
            result.started = everAttached;
            result.error = q(target.name) + ": " + QString::fromUtf8(err).trimmed();
            return result;
        }
        if (code == 255 && (!everAttached || ssh::isPermanentFailure(err))) {
            // Nothing started there (or the host is not the one we knew): nothing to reattach to.
            result.started = everAttached;
            result.error = ssh::explainFailure(target, err);
            return result;
        }
        if (!everAttached && !crashed) {
            result.error = q(target.name) + ": the remote side ended with code " + QString::number(code) + ": "
                           + QString::fromUtf8(err).trimmed();
            return result;
        }
        // The connection dropped while the worker runs there: reattach from the last event read.
        if (!disconnected.isValid())
            disconnected.start();
        if (disconnected.elapsed() > reattachLimitMs) {
            result.started = true;
            result.error = "lost the connection to " + q(target.name) + " for " + QString::number(reattachLimitMs / 1000)
                           + " s; the worker may still run there in " + remoteJobDir + " (last error: "
                           + (code == 255 ? ssh::explainFailure(target, err) : QString::fromUtf8(err).trimmed()) + ")";
            return result;
        }
        stopIfCancelled();
        QThread::msleep(std::min<qint64>(5000, 100LL << std::min(attempt, 6)));
    }

    result.started = true;
    result.exitCode = *exitCode;
    result.crashed = gone || *exitCode > 128;
    if (gone) {
        result.error = "the worker on " + q(target.name) + " is gone without an exit status (killed together with its "
                       "supervisor, or the host restarted); its events end at byte " + QString::number(offset)
                       + " of " + remoteJobDir + "/events.jsonl";
        return result;
    }
    QElapsedTimer fetchClock;
    fetchClock.start();
    QString fetchError;
    const qint64 bytes = fetch(target, job.jobId, job.outputs, localOut, fetchError);
    QStringList remove;
    for (const auto &[local, remote] : inputs) {
        for (const QString &t : job.transientInputs) {
            if (QDir::cleanPath(t) == local)
                remove << remote;
        }
    }
    if (job.removeJobDir)
        remove << "runs/" + job.jobId;
    if (!remove.isEmpty())
        ssh::run(target, QStringList{"sh", "-c", kRemoveScript, "sh", wd} + remove, {}, 60000);
    if (!fetchError.isEmpty()) {
        result.error = fetchError;
        if (result.finished.value("status").toString() == "FINISHED") {
            result.finished["status"] = "FAILED";
            result.finished["message"] = fetchError;
        }
        return result;
    }
    emitEvent(QJsonObject{{"event", "remote_fetched"}, {"bytes", bytes}, {"seconds", double(fetchClock.elapsed()) / 1000.0}});
    if (result.exitCode != 0) {
        QFile log(localOut + "/worker.log");
        if (log.open(QIODevice::ReadOnly)) {
            const QByteArray all = log.readAll();
            result.error = QString::fromUtf8(all.right(4000)).trimmed();
        }
    }
    return result;
}

} // namespace pw::compute
