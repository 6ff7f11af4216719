// A worker on an SSH host: content-addressed inputs, a detached worker writing its events to a file,
// the events streamed back (and reattached after a dropped connection), cancel, outputs fetched back.
#include "core/compute/RemoteHost.h"
#include "core/compute/SlurmRun.h"
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
constexpr const char *kSignalScript =
    R"sh(cd "$1/runs/$2" 2>/dev/null && [ -s worker.pid ] && [ ! -e exit_code ] && kill -s "$3" "$(cat worker.pid)" 2>/dev/null; exit 0)sh";

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

} // namespace

void startOnHost(QProcess &process, const Target &target, const QStringList &argv)
{
    if (target.runsHere())
        process.start(argv.first(), argv.mid(1));
    else
        process.start(ssh::program(), ssh::arguments(target, argv));
}

ssh::Result runOnHost(const Target &target, const QStringList &argv, const QByteArray &input, int timeoutMs)
{
    if (!target.runsHere())
        return ssh::run(target, argv, input, timeoutMs);
    ssh::Result r;
    QProcess p;
    p.start(argv.first(), argv.mid(1));
    if (!p.waitForStarted(10000)) {
        r.err = ("cannot start '" + argv.first() + "': " + p.errorString()).toUtf8();
        return r;
    }
    r.started = true;
    p.write(input);
    p.closeWriteChannel();
    if (!p.waitForFinished(timeoutMs)) {
        p.kill();
        p.waitForFinished(5000);
        r.timedOut = true;
    }
    r.out = p.readAllStandardOutput();
    r.err = p.readAllStandardError();
    r.exitCode = p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -1;
    return r;
}

namespace {

QString q(const std::string &s)
{
    return QString::fromStdString(s);
}

qint64 sizeOf(const QString &path);

} // namespace

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

namespace {

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

} // namespace

void removeFromWorkdir(const Target &target, const QStringList &paths)
{
    runOnHost(target, QStringList{"sh", "-c", kRemoveScript, "sh", q(target.workdir)} + paths, {}, 60000);
}

// The worker and its arguments on the host: inputs and the output folder name their remote places.
QStringList remoteWorkerArgv(const Target &target, const WorkerJob &job, const RemoteInputs &inputs)
{
    const QString wd = q(target.workdir);
    const QString remoteJobDir = wd + "/runs/" + job.jobId;
    const QString localOut = QDir::cleanPath(job.outputDir);
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
    return workerArgs;
}

// Copies one input to the host: a folder as a tar stream (the local tar's output, passed on here so that the
// bytes can be counted), a file as its bytes. `progress` gets (bytes sent, bytes in all) about twice a second.
void uploadInput(const Target &t, const QString &local, const QString &remote, const std::atomic<bool> *cancel,
                 const std::function<void(qint64, qint64)> &progress)
{
    const bool dir = QFileInfo(local).isDir();
    const qint64 total = sizeOf(local);
    QProcess sshProc;
    QProcess tar;
    startOnHost(sshProc, t, {"sh", "-c", kUploadScript, "sh", q(t.workdir), remote, dir ? "dir" : "file"});
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
        throw std::runtime_error(
            "copying '" + local.toStdString() + "' to " + t.name + ":" + t.workdir + "/" + remote.toStdString()
            + " failed: "
            + (sshProc.exitCode() == 255 ? ssh::explainFailure(t, err) : QString::fromUtf8(err).trimmed())
                  .toStdString());
}

// Brings the job's outputs back into `outputDir` (a tar stream from the host into the local tar).
qint64 fetchJobOutputs(const Target &t, const QString &jobId, const QStringList &outputs, const QString &outputDir,
                       QString &error)
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
    startOnHost(sshProc, t, args);
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
        error = "unpacking the outputs of job " + jobId + " into " + outputDir
                + " failed: " + QString::fromUtf8(tarErr).trimmed();
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
QJsonValue mapJobPaths(const QJsonValue &v, const QString &remoteDir, const QString &localDir)
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
            out.append(mapJobPaths(x, remoteDir, localDir));
        return out;
    }
    if (v.isObject()) {
        QJsonObject out;
        const QJsonObject o = v.toObject();
        for (auto it = o.begin(); it != o.end(); ++it)
            out.insert(it.key(), mapJobPaths(it.value(), remoteDir, localDir));
        return out;
    }
    return v;
}

namespace {

int reattachSeconds()
{
    bool ok = false;
    const int v = qEnvironmentVariableIntValue("PIPEWRIGHT_REATTACH_SECONDS", &ok);
    return ok && v >= 0 ? v : 600;
}

// One run of a worker on an SSH host: its inputs placed in the workdir, the connections that launch the
// worker and follow its events (again after a dropped connection), cancel, and the outputs fetched back.
class RemoteRun
{
public:
    RemoteRun(const Target &target, const WorkerJob &job, const std::function<void(const QJsonObject &)> &onEvent,
              const std::atomic<bool> *cancel, const std::function<void(const QString &)> &onLog)
        : m_target(target)
        , m_job(job)
        , m_onEvent(onEvent)
        , m_cancel(cancel)
        , m_onLog(onLog)
        , m_wd(q(target.workdir))
        , m_remoteJobDir(m_wd + "/runs/" + job.jobId)
        , m_localOut(QDir::cleanPath(job.outputDir))
    {
    }

    WorkerExit run(const std::function<void(qint64)> &onStarted)
    {
        if (!placeInputs())
            return m_result;
        m_workerArgs = remoteWorkerArgv(m_target, m_job, m_inputs);
        if (cancelled()) {
            m_result.cancelled = true;
            m_result.error = "cancelled before the worker started on " + q(m_target.name);
            return m_result;
        }
        if (onStarted)
            onStarted(QCoreApplication::applicationPid());
        m_reattachLimitMs = reattachSeconds() * 1000;
        while (!m_exitCode) {
            QProcess p;
            p.start(ssh::program(), ssh::arguments(m_target, runArgs(m_offset)));
            if (!p.waitForStarted(10000)) {
                m_result.error = "cannot start '" + ssh::program() + "': " + p.errorString();
                return m_result;
            }
            ++m_attempt;
            Connection c;
            follow(p, c);
            p.waitForFinished(1000);
            c.err += p.readAllStandardError();
            if (m_exitCode)
                break;
            if (!afterDisconnect(p, c))
                return m_result;
        }
        return finish();
    }

private:
    // What one ssh connection has read so far.
    struct Connection
    {
        QByteArray pending, err; // stdout not yet split into lines; stderr
        QStringList missing; // inputs the host lacks
        bool attached = false; // got past the launch: the lines that follow are events
    };

    bool cancelled() const { return m_cancel && m_cancel->load(); }

    void emitEvent(const QJsonObject &e) const
    {
        if (m_onEvent)
            m_onEvent(e);
    }

    // Inputs: their places in the workdir. False (with the error) when one cannot be read.
    bool placeInputs()
    {
        try {
            for (const QString &in : m_job.inputs)
                m_inputs.emplace_back(QDir::cleanPath(in), remoteInputPath(in));
        } catch (const std::exception &e) {
            m_result.error = e.what();
            return false;
        }
        return true;
    }

    QStringList runArgs(qint64 offset) const
    {
        QStringList a{"sh",
                      "-c",
                      kRunScript,
                      "sh",
                      m_wd,
                      m_job.jobId,
                      QString::number(offset),
                      m_job.attachOnly ? "attach" : "launch",
                      QString::number(m_inputs.size())};
        for (const auto &in : m_inputs)
            a << in.second;
        return a + m_workerArgs;
    }

    void signalWorker(const char *sig) const
    {
        ssh::run(m_target, {"sh", "-c", kSignalScript, "sh", m_wd, m_job.jobId, sig}, {}, 30000);
    }

    // On cancel, once: SIGTERM to the remote worker (it checkpoints after the current batch and exits 3).
    void stopIfCancelled()
    {
        if (!cancelled() || m_termSent)
            return;
        signalWorker("TERM");
        m_termSent = true;
        m_result.cancelled = true;
        m_sinceTerm.start();
    }

    // Reads one connection until ssh ends, handing on events and signalling the worker on cancel.
    void follow(QProcess &p, Connection &c)
    {
        for (;;) {
            const bool running = p.state() != QProcess::NotRunning;
            if (running)
                p.waitForReadyRead(100);
            c.pending += p.readAllStandardOutput();
            c.err += p.readAllStandardError();
            qsizetype nl;
            while ((nl = c.pending.indexOf('\n')) >= 0) {
                const QByteArray raw = c.pending.left(nl);
                c.pending.remove(0, nl + 1);
                readLine(raw, c);
            }
            if (m_everAttached)
                stopIfCancelled();
            if (m_termSent && !m_killSent && m_sinceTerm.elapsed() > kKillGraceMs) {
                signalWorker("KILL");
                m_killSent = true;
            }
            if (!running && p.bytesAvailable() == 0)
                break;
        }
    }

    // One line from the host: before "@attached" the launch script's notes, after it an event, a log line,
    // or the script's last line saying how the worker ended.
    void readLine(const QByteArray &raw, Connection &c)
    {
        const QByteArray line = raw.trimmed();
        if (!c.attached) {
            if (line.startsWith("@missing "))
                c.missing << QString::fromUtf8(line.mid(9));
            if (line == "@attached") {
                c.attached = true;
                attached();
            }
            return;
        }
        QJsonParseError perr{};
        const QJsonDocument doc = line.isEmpty() ? QJsonDocument() : QJsonDocument::fromJson(line, &perr);
        if (doc.isObject() && doc.object().value("event").toString() == "remote_exit") {
            m_exitCode = doc.object().value("code").toInt(-1);
            m_gone = doc.object().value("gone").toBool();
            return;
        }
        m_offset += raw.size() + 1;
        if (line.isEmpty())
            return;
        if (perr.error == QJsonParseError::NoError && doc.isObject()) {
            const QJsonObject event = mapJobPaths(doc.object(), m_remoteJobDir, m_localOut).toObject();
            if (event.value("event").toString() == "finished")
                m_result.finished = event;
            emitEvent(event);
        } else if (m_onLog) {
            m_onLog(QString::fromUtf8(line));
        }
    }

    // The worker runs there and this connection follows it: the first time, say what was copied and where
    // it started; later, that it was reattached.
    void attached()
    {
        m_disconnected.invalidate();
        if (!m_everAttached) {
            for (const auto &[local, remote] : m_inputs)
                emitEvent(QJsonObject{{"event", "remote_upload"},
                                      {"path", local},
                                      {"remote", m_wd + "/" + remote},
                                      {"bytes", m_copied.contains(local) ? sizeOf(local) : 0},
                                      {"copied", m_copied.contains(local)}});
            emitEvent(QJsonObject{{"event", "remote_started"},
                                  {"target", q(m_target.name)},
                                  {"host", q(m_target.host)},
                                  {"dir", m_remoteJobDir}});
        } else {
            emitEvent(QJsonObject{{"event", "remote_reattached"}, {"attempt", m_attempt}, {"offset", m_offset}});
        }
        m_everAttached = true;
    }

    // Copies the inputs the host lacks (once). False (with the error) when a copy fails or is cancelled.
    bool uploadMissing(const QStringList &missing)
    {
        m_uploadTried = true;
        for (const auto &[local, remote] : m_inputs) {
            if (!missing.contains(remote))
                continue;
            try {
                uploadInput(m_target, local, remote, m_cancel, [&](qint64 done, qint64 total) {
                    emitEvent(QJsonObject{
                        {"event", "remote_upload_progress"}, {"path", local}, {"done", done}, {"total", total}});
                });
            } catch (const std::exception &e) {
                m_result.error = e.what();
                m_result.cancelled = cancelled();
                return false;
            }
            m_copied << local;
        }
        return true;
    }

    // The connection ended before the worker's exit status came. Returns true to connect again (after
    // copying missing inputs, or after a pause when the connection dropped while the worker runs there),
    // false to give up (the result says why).
    bool afterDisconnect(const QProcess &p, const Connection &c)
    {
        const bool crashed = p.exitStatus() == QProcess::CrashExit;
        const int code = crashed ? -1 : p.exitCode();
        if (!crashed && code == kMissingInputs && !m_uploadTried)
            return uploadMissing(c.missing); // then launch again
        if (!crashed
            && (code == kMissingInputs || code == kWorkerMissing || code == kWorkdirUnusable
                || code == kWorkerNotStarted || code == kNoSuchJob)) {
            m_result.started = m_everAttached;
            m_result.error = q(m_target.name) + ": " + QString::fromUtf8(c.err).trimmed();
            return false;
        }
        if (code == 255 && (!m_everAttached || ssh::isPermanentFailure(c.err))) {
            // Nothing started there (or the host is not the one we knew): nothing to reattach to.
            m_result.started = m_everAttached;
            m_result.error = ssh::explainFailure(m_target, c.err);
            return false;
        }
        if (!m_everAttached && !crashed) {
            m_result.error = q(m_target.name) + ": the remote side ended with code " + QString::number(code) + ": "
                             + QString::fromUtf8(c.err).trimmed();
            return false;
        }
        // The connection dropped while the worker runs there: reattach from the last event read.
        if (!m_disconnected.isValid())
            m_disconnected.start();
        if (m_disconnected.elapsed() > m_reattachLimitMs) {
            m_result.started = true;
            m_result.error = "lost the connection to " + q(m_target.name) + " for "
                             + QString::number(m_reattachLimitMs / 1000) + " s; the worker may still run there in "
                             + m_remoteJobDir + " (last error: "
                             + (code == 255 ? ssh::explainFailure(m_target, c.err) : QString::fromUtf8(c.err).trimmed())
                             + ")";
            return false;
        }
        stopIfCancelled();
        QThread::msleep(std::min<qint64>(5000, 100LL << std::min(m_attempt, 6)));
        return true;
    }

    // Removes from the host what the job no longer needs there: its transient inputs, and with
    // removeJobDir its folder.
    void removeLeftovers() const
    {
        QStringList remove;
        for (const auto &[local, remote] : m_inputs) {
            for (const QString &t : m_job.transientInputs) {
                if (QDir::cleanPath(t) == local)
                    remove << remote;
            }
        }
        if (m_job.removeJobDir)
            remove << "runs/" + m_job.jobId;
        if (!remove.isEmpty())
            removeFromWorkdir(m_target, remove);
    }

    // The worker's exit is known: fetch its outputs back and tidy the host.
    WorkerExit finish()
    {
        m_result.started = true;
        m_result.exitCode = *m_exitCode;
        m_result.crashed = m_gone || *m_exitCode > 128;
        if (m_gone) {
            m_result.error = "the worker on " + q(m_target.name)
                             + " is gone without an exit status (killed together "
                               "with its supervisor, or the host restarted); its events end at byte "
                             + QString::number(m_offset) + " of " + m_remoteJobDir + "/events.jsonl";
            return m_result;
        }
        QElapsedTimer fetchClock;
        fetchClock.start();
        QString fetchError;
        const qint64 bytes = fetchJobOutputs(m_target, m_job.jobId, m_job.outputs, m_localOut, fetchError);
        removeLeftovers();
        if (!fetchError.isEmpty()) {
            m_result.error = fetchError;
            if (m_result.finished.value("status").toString() == "FINISHED") {
                m_result.finished["status"] = "FAILED";
                m_result.finished["message"] = fetchError;
            }
            return m_result;
        }
        emitEvent(QJsonObject{
            {"event", "remote_fetched"}, {"bytes", bytes}, {"seconds", double(fetchClock.elapsed()) / 1000.0}});
        if (m_result.exitCode != 0) {
            QFile log(m_localOut + "/worker.log");
            if (log.open(QIODevice::ReadOnly)) {
                const QByteArray all = log.readAll();
                m_result.error = QString::fromUtf8(all.right(4000)).trimmed();
            }
        }
        return m_result;
    }

    const Target &m_target;
    const WorkerJob &m_job;
    const std::function<void(const QJsonObject &)> &m_onEvent;
    const std::atomic<bool> *m_cancel;
    const std::function<void(const QString &)> &m_onLog;
    const QString m_wd;
    const QString m_remoteJobDir;
    const QString m_localOut;
    RemoteInputs m_inputs; // local, remote (relative to the workdir)
    QStringList m_workerArgs;
    WorkerExit m_result;
    qint64 m_offset = 0; // bytes of events.jsonl read (whole lines)
    std::optional<int> m_exitCode; // the worker's, once known
    bool m_gone = false;
    bool m_uploadTried = false;
    bool m_everAttached = false; // the worker was launched and followed at least once
    QStringList m_copied; // inputs this run copied
    int m_attempt = 0;
    QElapsedTimer m_disconnected; // since the connection was lost (invalid while connected)
    QElapsedTimer m_sinceTerm;
    bool m_termSent = false, m_killSent = false;
    int m_reattachLimitMs = 0;
};

} // namespace

WorkerExit runWorkerOn(const Target &target, const WorkerJob &job,
                       const std::function<void(const QJsonObject &)> &onEvent, const std::atomic<bool> *cancel,
                       const std::function<void(const QString &)> &onLog, const std::function<void(qint64)> &onStarted)
{
    if (target.isLocal())
        return runWorker(job.args, onEvent, cancel, onLog, onStarted);
    if (target.isSlurm())
        return slurm::runJob(target, job, {}, onEvent, cancel, onStarted);
    return RemoteRun(target, job, onEvent, cancel, onLog).run(onStarted);
}

} // namespace pw::compute
