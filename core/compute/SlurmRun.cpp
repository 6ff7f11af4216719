// A worker run as a Slurm batch job, and the Slurm target's test (see SlurmRun.h).
#include "core/compute/SlurmRun.h"

#include "core/compute/RemoteHost.h"
#include "core/compute/Ssh.h"

#include <QCoreApplication>
#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QThread>

#include <optional>

namespace pw::compute::slurm {

namespace {

constexpr int kMissingInputs = 90;
constexpr int kWorkerMissing = 91;
constexpr int kNoSuchJob = 95;
constexpr int kNoSlurm = 96;
constexpr int kSbatchRefused = 97;

// On the submit host, with $1 the workdir, $2 the job (run) id, $3 the worker, $4 the count of inputs that must
// be there, then those inputs (relative to the workdir); the batch script on stdin. Submits once per job folder.
constexpr const char *kSubmitScript = R"sh(wd=$1 job=$1/runs/$2 worker=$3 n=$4
shift 4
mkdir -p "$wd/runs" 2>/dev/null || { echo "cannot create $wd/runs on the submit host" >&2; exit 92; }
missing=0
while [ "$n" -gt 0 ]; do
  [ -e "$wd/$1" ] || { echo "@missing $1"; missing=1; }
  shift; n=$((n-1))
done
[ "$missing" = 0 ] || exit 90
case "$worker" in */*) [ -x "$worker" ] ;; *) command -v "$worker" >/dev/null 2>&1 ;; esac || {
  echo "the worker '$worker' is not on the cluster (not executable on the submit host, or not on the PATH of a non-interactive login)" >&2; exit 91; }
command -v sbatch >/dev/null 2>&1 || { echo "there is no sbatch on this host: is it a Slurm submit host (slurm-client)?" >&2; exit 96; }
mkdir -p "$job" && cd "$job" || { echo "cannot create $job" >&2; exit 92; }
cat >job.sbatch || exit 92
if [ ! -s slurm_job_id ]; then
  out=$(sbatch --parsable job.sbatch 2>sbatch.err) || {
    cat sbatch.err >&2; echo "@partitions $(sinfo -h -o %P 2>/dev/null | sed 's/[*]$//' | tr '\n' ' ')"; exit 97; }
  echo "$out" | sed 's/;.*//' >slurm_job_id
fi
echo "@job $(cat slurm_job_id)"
echo "@cluster $(scontrol show config 2>/dev/null | sed -n 's/^ClusterName *= *//p')")sh";

// $1 the job folder, $2 the byte offset of events.0.jsonl already read. Streams rank 0's events on stdout and the
// job's state on stderr (a line "@state <scontrol show job -o>" per change), until the job ended and its processes
// are gone; then its final state from accounting (@sacct) or, when the controller has forgotten it, the jobcomp
// file (@jobcomp), and "@end".
constexpr const char *kFollowScript = R"sh(cd "$1" 2>/dev/null && [ -s slurm_job_id ] || {
  echo "there is no Slurm job in $1 (removed, or another workdir)" >&2; exit 95; }
id=$(cat slurm_job_id) off=$2
sleep 1000000 </dev/null >/dev/null 2>&1 & keep=$!
tail -c +$((off+1)) -s 0.2 --pid=$keep -F events.0.jsonl 2>/dev/null & tp=$!
last=
while :; do
  s=$(scontrol show job -o "$id" 2>/dev/null | head -n 1)
  [ -n "$s" ] || break
  st=$(printf '%s' "$s" | sed -n 's/.* JobState=\([A-Z_]*\).*/\1/p')
  key=$(printf '%s' "$s" | sed -n 's/.*\( JobState=[^ ]*\).*\( Reason=[^ ]*\).*\( Restarts=[^ ]*\).*/\1\2\3/p')
  [ "$key" = "$last" ] || { printf '@state %s\n' "$s" >&2; last=$key; }
  case "$st" in COMPLETED|FAILED|CANCELLED|TIMEOUT|NODE_FAIL|OUT_OF_MEMORY|BOOT_FAIL|DEADLINE|SPECIAL_EXIT)
    while squeue -h -j "$id" -t CG -o %i 2>/dev/null | grep -q .; do sleep 0.2; done; break ;;
  esac
  sleep 0.3
done
kill $keep; wait $tp
a=$(sacct -n -P -X -j "$id" -o JobID,State,ExitCode,Reason,Partition 2>/dev/null | head -n 1)
[ -n "$a" ] && printf '@sacct %s\n' "$a" >&2
if [ -z "$s" ]; then
  loc=$(scontrol show config 2>/dev/null | sed -n 's/^JobCompLoc *= *//p')
  [ -r "$loc" ] && printf '@jobcomp %s\n' "$(grep "^JobId=$id " "$loc" | tail -n 1)" >&2
fi
echo @end >&2)sh";

QString q(const std::string &s)
{
    return QString::fromStdString(s);
}

// One Slurm job of a run: submitted (or found again), followed to its end, its outputs fetched.
class SlurmJobRun
{
public:
    SlurmJobRun(const Target &target, const WorkerJob &job, const Shape &shape,
                const std::function<void(const QJsonObject &)> &onEvent, const std::atomic<bool> *cancel)
        : m_target(target)
        , m_job(job)
        , m_shape(shape)
        , m_onEvent(onEvent)
        , m_cancel(cancel)
        , m_jobDir(q(target.workdir) + "/runs/" + job.jobId)
        , m_localOut(QDir::cleanPath(job.outputDir))
    {
    }

    WorkerExit run(const std::function<void(qint64)> &onStarted)
    {
        try {
            for (const QString &in : m_job.inputs)
                m_inputs.emplace_back(QDir::cleanPath(in), remoteInputPath(in));
        } catch (const std::exception &e) {
            m_result.error = e.what();
            return m_result;
        }
        if (!m_job.attachOnly && !submit())
            return m_result;
        if (onStarted)
            onStarted(QCoreApplication::applicationPid());
        if (!followToEnd())
            return m_result;
        return finish();
    }

private:
    bool cancelled() const { return m_cancel && m_cancel->load(); }

    void emitEvent(const QJsonObject &e) const
    {
        if (m_onEvent)
            m_onEvent(e);
    }

    QString deviceText() const
    {
        return q(m_target.name) + QString(" (slurm, %1×%2 ranks)").arg(m_shape.nodes).arg(m_shape.processesPerNode);
    }

    QString script() const
    {
        BatchJob b;
        b.jobName = "pipewright-" + m_job.jobId.left(12);
        b.jobDir = m_jobDir;
        b.workerArgv = remoteWorkerArgv(m_target, m_job, m_inputs);
        b.shape = m_shape;
        const bool training = m_job.args.value(0) == "train";
        if (training && m_shape.ranks() > 1)
            b.workerArgv << "--distributed";
        if (training)
            b.checkpoint = "checkpoint.pt";
        return batchScript(m_target.slurm, b);
    }

    QStringList submitArgs() const
    {
        QStringList a{"sh", "-c", kSubmitScript, "sh", q(m_target.workdir), m_job.jobId};
        a << remoteWorkerArgv(m_target, m_job, m_inputs).value(0) << QString::number(m_inputs.size());
        for (const auto &in : m_inputs)
            a << in.second;
        return a;
    }

    // Places the inputs (copying those the cluster lacks, once) and submits the batch script.
    bool submit()
    {
        const QByteArray text = script().toUtf8();
        if (m_job.outputs.isEmpty()) { // a training keeps its batch script with its artifacts
            QDir().mkpath(m_localOut);
            QFile f(m_localOut + "/job.sbatch");
            if (f.open(QIODevice::WriteOnly | QIODevice::Truncate))
                f.write(text);
        }
        for (int attempt = 0;; ++attempt) {
            if (cancelled()) {
                m_result.cancelled = true;
                m_result.error = "cancelled before the job was submitted to " + q(m_target.name);
                return false;
            }
            const ssh::Result r = runOnHost(m_target, submitArgs(), text, 120000);
            if (r.started && r.exitCode == 0)
                return submitted(r.out);
            if (r.started && r.exitCode == kMissingInputs && attempt == 0) {
                if (!uploadMissing(r.out))
                    return false;
                continue;
            }
            m_result.error = submitError(r);
            return false;
        }
    }

    QString submitError(const ssh::Result &r) const
    {
        const QString err = QString::fromUtf8(r.err).trimmed();
        if (!r.started)
            return err;
        if (r.exitCode == 255 && !m_target.runsHere())
            return ssh::explainFailure(m_target, r.err);
        if (r.exitCode == kSbatchRefused) {
            QString partitions;
            for (const QByteArray &line : r.out.split('\n')) {
                if (line.startsWith("@partitions "))
                    partitions = QString::fromUtf8(line.mid(12)).trimmed().replace(u' ', ", ");
            }
            return "sbatch on " + q(m_target.name) + " refused the job: " + err
                   + (err.contains("partition", Qt::CaseInsensitive) && !partitions.isEmpty()
                          ? " (partitions there: " + partitions + ")"
                          : QString());
        }
        if (r.exitCode == kWorkerMissing || r.exitCode == kNoSlurm)
            return q(m_target.name) + ": " + err
                   + (r.exitCode == kWorkerMissing ? ": install pipewright-worker there or give --worker PATH"
                                                   : QString());
        return q(m_target.name) + ": submitting the job failed (code " + QString::number(r.exitCode) + "): " + err;
    }

    bool uploadMissing(const QByteArray &out)
    {
        QStringList missing;
        for (const QByteArray &line : out.split('\n')) {
            if (line.startsWith("@missing "))
                missing << QString::fromUtf8(line.mid(9)).trimmed();
        }
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
            emitEvent(QJsonObject{{"event", "remote_upload"},
                                  {"path", local},
                                  {"remote", q(m_target.workdir) + "/" + remote},
                                  {"copied", true}});
        }
        return true;
    }

    bool submitted(const QByteArray &out)
    {
        QString cluster;
        for (const QByteArray &line : out.split('\n')) {
            if (line.startsWith("@job "))
                m_jobId = QString::fromUtf8(line.mid(5)).trimmed();
            if (line.startsWith("@cluster "))
                cluster = QString::fromUtf8(line.mid(9)).trimmed();
        }
        if (m_jobId.isEmpty()) {
            m_result.error = "sbatch on " + q(m_target.name) + " gave no job id";
            return false;
        }
        const QString partition = q(m_target.slurm.partition);
        QJsonObject tags{{"slurm_job_id", m_jobId},
                         {"slurm_cluster", cluster.isEmpty() ? q(m_target.name) : cluster},
                         {"world_size", QString::number(m_shape.ranks())}};
        if (!partition.isEmpty())
            tags.insert("slurm_partition", partition);
        emitEvent(QJsonObject{{"event", "slurm_submitted"},
                              {"target", q(m_target.name)},
                              {"job_id", m_jobId},
                              {"cluster", cluster},
                              {"partition", partition},
                              {"world_size", m_shape.ranks()},
                              {"dir", m_jobDir},
                              {"device", deviceText()},
                              {"tags", tags}});
        return true;
    }

    // What one connection to the follow script has read.
    struct Connection
    {
        QByteArray out, err;
        bool ended = false;
    };

    // Follows the job until its end is known, connecting again when a connection drops. False with the error
    // when it cannot be followed.
    bool followToEnd()
    {
        QElapsedTimer disconnected;
        for (int attempt = 0;; ++attempt) {
            QProcess p;
            startOnHost(p, m_target, {"sh", "-c", kFollowScript, "sh", m_jobDir, QString::number(m_offset)});
            if (!p.waitForStarted(10000)) {
                m_result.error = "cannot follow the Slurm job on " + q(m_target.name) + ": " + p.errorString();
                return false;
            }
            Connection c;
            readUntilEnd(p, c);
            if (c.ended)
                return true;
            const int code = p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -1;
            const QString err = QString::fromUtf8(c.err).trimmed();
            if (code == kNoSuchJob || (code == 255 && !m_target.runsHere() && ssh::isPermanentFailure(c.err))) {
                m_result.error = code == 255 ? ssh::explainFailure(m_target, c.err) : q(m_target.name) + ": " + err;
                return false;
            }
            if (!disconnected.isValid())
                disconnected.start();
            if (disconnected.elapsed() > 600000) {
                m_result.error = "lost " + q(m_target.name) + " while following Slurm job " + m_jobId
                                 + " (it may still run there: pipewright runs attach): " + err;
                return false;
            }
            QThread::msleep(std::min(5000, 200 << std::min(attempt, 4)));
        }
    }

    void readUntilEnd(QProcess &p, Connection &c)
    {
        for (;;) {
            const bool running = p.state() != QProcess::NotRunning;
            if (running)
                p.waitForReadyRead(100);
            c.out += p.readAllStandardOutput();
            c.err += p.readAllStandardError();
            qsizetype nl;
            while ((nl = c.out.indexOf('\n')) >= 0) {
                eventLine(c.out.left(nl));
                c.out.remove(0, nl + 1);
            }
            while ((nl = c.err.indexOf('\n')) >= 0) {
                c.ended = stateLine(c.err.left(nl).trimmed()) || c.ended;
                c.err.remove(0, nl + 1);
            }
            if (cancelled() && !m_cancelSent && !m_jobId.isEmpty()) {
                runOnHost(m_target, {"scancel", m_jobId}, {}, 30000);
                m_cancelSent = true;
            }
            if (!running && p.bytesAvailable() == 0)
                break;
        }
    }

    void eventLine(const QByteArray &raw)
    {
        m_offset += raw.size() + 1;
        const QByteArray line = raw.trimmed();
        const QJsonDocument doc = QJsonDocument::fromJson(line);
        if (!doc.isObject())
            return;
        const QJsonObject event = mapJobPaths(doc.object(), m_jobDir, m_localOut).toObject();
        if (event.value("event").toString() == "finished")
            m_finished = event;
        emitEvent(event);
    }

    // A line of the follow script's stderr; true for its last ("@end").
    bool stateLine(const QByteArray &line)
    {
        if (line == "@end")
            return true;
        if (line.startsWith("@state ")) {
            const JobState s = parseScontrolJob(line.mid(7));
            if (s.known)
                stateChanged(s);
        } else if (line.startsWith("@sacct ")) {
            const JobState s = parseSacct(line.mid(7));
            if (s.known && isFinal(s.state))
                m_final = s;
        } else if (line.startsWith("@jobcomp ")) {
            const JobState s = parseScontrolJob(line.mid(9));
            if (s.known && !m_final)
                m_final = s;
        }
        return false;
    }

    void stateChanged(const JobState &s)
    {
        m_jobId = s.jobId;
        if (isFinal(s.state))
            m_final = s;
        const QString status = runStatus(s.state);
        const QString message = status == "PENDING"   ? queuedMessage(s)
                                : status == "RUNNING" ? "running on " + s.nodes + " (Slurm job " + s.jobId + ")"
                                                      : describeEnd(s, m_target.slurm);
        QJsonObject tags{{"slurm_job_id", s.jobId},
                         {"slurm_state", s.state},
                         {"slurm_restart_count", QString::number(s.restarts)},
                         {"pipewright.status_message", message}};
        if (!s.partition.isEmpty())
            tags.insert("slurm_partition", s.partition);
        emitEvent(QJsonObject{{"event", "slurm_state"},
                              {"job_id", s.jobId},
                              {"state", s.state},
                              {"reason", s.reason},
                              {"partition", s.partition},
                              {"status", status},
                              {"restarts", s.restarts},
                              {"message", message},
                              {"tags", tags}});
    }

    QByteArray localFile(const QString &name) const
    {
        QFile f(m_localOut + "/" + name);
        return f.open(QIODevice::ReadOnly) ? f.readAll() : QByteArray();
    }

    // What the failed ranks said last (their stderr), for the run's message.
    QString rankLogs() const
    {
        QString out;
        for (int r = 0; r < m_shape.ranks(); ++r) {
            const QString tail = QString::fromUtf8(localFile(QString("worker.%1.log").arg(r)).right(600)).trimmed();
            if (!tail.isEmpty() && (out.size() < 1500))
                out += QString("; rank %1's log: %2").arg(r).arg(tail.section(u'\n', -3));
        }
        return out;
    }

    WorkerExit finish()
    {
        m_result.started = true;
        if (!m_final) {
            m_result.error = "Slurm job " + m_jobId + " on " + q(m_target.name)
                             + " ended, but the cluster has no record of how (no accounting, and the controller has "
                               "forgotten it): its files are in "
                             + m_jobDir;
            return m_result;
        }
        m_result.exitCode = m_final->exitCode;
        QString fetchError;
        QElapsedTimer fetchClock;
        fetchClock.start();
        const qint64 bytes = fetchJobOutputs(m_target, m_job.jobId, m_job.outputs, m_localOut, fetchError);
        removeLeftovers();
        const QString status = runStatus(m_final->state);
        const QString ranks = failedRanks(localFile("slurm.out"));
        m_result.finished = m_finished;
        if (status == "FINISHED" && !fetchError.isEmpty()) {
            m_result.finished = QJsonObject{{"event", "finished"}, {"status", "FAILED"}, {"message", fetchError}};
        } else if (status == "KILLED") {
            m_result.cancelled = m_cancelSent;
            m_result.finished = QJsonObject{
                {"event", "finished"},
                {"status", "KILLED"},
                {"message", (m_cancelSent ? "cancelled; " : "") + describeEnd(*m_final, m_target.slurm)}};
        } else if (status == "FAILED" && m_finished.value("status").toString() != "FAILED") {
            m_result.finished = QJsonObject{
                {"event", "finished"},
                {"status", "FAILED"},
                {"message",
                 describeEnd(*m_final, m_target.slurm) + (ranks.isEmpty() ? QString() : ": " + ranks) + rankLogs()}};
        }
        if (m_result.finished.isEmpty())
            m_result.error = describeEnd(*m_final, m_target.slurm) + rankLogs();
        if (fetchError.isEmpty())
            emitEvent(QJsonObject{
                {"event", "remote_fetched"}, {"bytes", bytes}, {"seconds", double(fetchClock.elapsed()) / 1000.0}});
        return m_result;
    }

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

    const Target &m_target;
    const WorkerJob &m_job;
    const Shape m_shape;
    const std::function<void(const QJsonObject &)> &m_onEvent;
    const std::atomic<bool> *m_cancel;
    const QString m_jobDir;
    const QString m_localOut;
    RemoteInputs m_inputs;
    QString m_jobId;
    WorkerExit m_result;
    QJsonObject m_finished;
    std::optional<JobState> m_final;
    qint64 m_offset = 0;
    bool m_cancelSent = false;
};

} // namespace

namespace {

// On the submit host, $1 the workdir and $2 the worker: the cluster's partitions, accounting, accounts and QOS of
// the user, then the worker's `info` (run on the submit host: the ranks run the same file on the compute nodes).
constexpr const char *kTestScript = R"sh(command -v sinfo >/dev/null 2>&1 || {
  echo "there is no sinfo on this host: is it a Slurm submit host (slurm-client)?" >&2; exit 96; }
echo @sinfo
sinfo -h -o '%P|%a|%D|%T|%G' || exit 98
cfg=$(scontrol show config 2>/dev/null)
echo "@cluster $(printf '%s\n' "$cfg" | sed -n 's/^ClusterName *= *//p')"
echo "@accounting $(printf '%s\n' "$cfg" | sed -n 's/^AccountingStorageType *= *//p')"
echo "@accounts $(sacctmgr -n -P show assoc user="$(id -un)" format=account 2>/dev/null | sort -u | tr '\n' ' ')"
echo "@qos $(sacctmgr -n -P show qos format=name 2>/dev/null | tr '\n' ' ')"
echo @worker
cd "$1" 2>/dev/null
case "$2" in */*) [ -x "$2" ] || exit 127 ;; *) command -v "$2" >/dev/null 2>&1 || exit 127 ;; esac
exec "$2" info)sh";

// The names in `wanted` (comma-separated) that `have` lacks, as an error naming the ones there are; empty if none.
QString lacking(const char *what, const std::string &wanted, const QStringList &have, const QString &cluster)
{
    QStringList missing;
    for (const QString &name : QString::fromStdString(wanted).split(u',', Qt::SkipEmptyParts)) {
        if (!have.contains(name))
            missing << name;
    }
    if (missing.isEmpty())
        return {};
    return QString("%1 '%2' is not on cluster %3 (%1s there: %4)")
        .arg(what, missing.join(", "), cluster, have.isEmpty() ? QString("none") : have.join(", "));
}

// The cluster's side of the test: partitions, and whether the target's partition, account and QOS exist.
void readCluster(const Target &t, const QByteArray &text, QJsonObject &out)
{
    const auto sinfo = text.mid(text.indexOf("@sinfo\n") + 7, text.indexOf("@cluster ") - text.indexOf("@sinfo\n") - 7);
    QJsonArray partitions;
    QStringList partitionNames;
    for (const Partition &p : parseSinfo(sinfo)) {
        partitionNames << p.name;
        partitions.append(QJsonObject{{"name", p.name},
                                      {"default", p.isDefault},
                                      {"availability", p.availability},
                                      {"nodes", p.nodes},
                                      {"idle", p.idle},
                                      {"allocated", p.allocated},
                                      {"gres", p.gres}});
    }
    out["partitions"] = partitions;
    QMap<QString, QString> lines;
    for (const QByteArray &line : text.split('\n')) {
        const QString l = QString::fromUtf8(line);
        if (l.startsWith(u'@'))
            lines.insert(l.section(u' ', 0, 0), l.section(u' ', 1).trimmed());
    }
    const QString cluster = lines.value("@cluster");
    out["cluster"] = cluster;
    const bool accounting = !lines.value("@accounting").isEmpty()
                            && lines.value("@accounting") != "accounting_storage/none";
    out["accounting"] = accounting;
    QStringList problems;
    problems << lacking("partition", t.slurm.partition, partitionNames, cluster);
    if (accounting) {
        problems << lacking("account", t.slurm.account, lines.value("@accounts").split(u' ', Qt::SkipEmptyParts),
                            cluster);
        problems << lacking("qos", t.slurm.qos, lines.value("@qos").split(u' ', Qt::SkipEmptyParts), cluster);
    }
    problems.removeAll(QString());
    if (!problems.isEmpty())
        out["error"] = problems.join("; ");
}

// The worker's side: its `info` line.
void readWorker(const Target &t, const QByteArray &text, int exitCode, const QByteArray &err, QJsonObject &out)
{
    if (exitCode == 127) {
        out["error"] = "the worker '" + q(t.worker) + "' is not on cluster " + out.value("cluster").toString()
                       + " (looked for it on the submit host from " + q(t.workdir)
                       + " and on the PATH of a non-interactive login): install pipewright-worker on the shared "
                         "filesystem or give --worker PATH";
        return;
    }
    for (const QByteArray &line : text.mid(text.indexOf("@worker\n")).split('\n')) {
        const QJsonDocument doc = QJsonDocument::fromJson(line.trimmed());
        if (doc.isObject() && doc.object().value("event").toString() == "info") {
            const QJsonObject info = doc.object();
            out["worker"] = info.value("worker_version");
            out["torch"] = info.value("torch_version");
            out["cuda"] = info.value("cuda_available").toBool();
            out["devices"] = info.value("devices");
            out["backend"] = info.contains("distributed_backend")    ? info.value("distributed_backend")
                             : info.value("cuda_available").toBool() ? "nccl"
                                                                     : "gloo";
            return;
        }
    }
    out["error"] = "the worker on " + q(t.name) + " did not answer `info` (exit code " + QString::number(exitCode)
                   + "): " + QString::fromUtf8(err.right(600)).trimmed();
}

} // namespace

QJsonObject testCluster(const Target &t)
{
    QElapsedTimer clock;
    clock.start();
    QJsonObject out{{"name", q(t.name)},  {"url", q(t.url())},          {"kind", "slurm"},
                    {"reachable", false}, {"worker", QJsonValue::Null}, {"torch", QJsonValue::Null},
                    {"cuda", false},      {"devices", QJsonArray()},    {"worker_checked_on", "submit host"}};
    const ssh::Result r = runOnHost(t, {"sh", "-c", kTestScript, "sh", q(t.workdir), q(t.worker)}, {}, 60000);
    out["seconds"] = double(clock.elapsed()) / 1000.0;
    if (!r.started || r.timedOut || (r.exitCode == 255 && !t.runsHere())) {
        out["error"] = r.started && !t.runsHere() ? ssh::explainFailure(t, r.err) : QString::fromUtf8(r.err).trimmed();
        return out;
    }
    out["reachable"] = true;
    if (r.exitCode == 96 || r.exitCode == 98) {
        out["error"] = q(t.name) + ": " + QString::fromUtf8(r.err).trimmed();
        return out;
    }
    readCluster(t, r.out, out);
    const QString clusterError = out.value("error").toString();
    readWorker(t, r.out, r.exitCode, r.err, out);
    if (!clusterError.isEmpty() && out.value("error").toString() != clusterError)
        out["error"] = clusterError + "; " + out.value("error").toString();
    return out;
}

WorkerExit runJob(const Target &target, const WorkerJob &job, const Shape &shape,
                  const std::function<void(const QJsonObject &)> &onEvent, const std::atomic<bool> *cancel,
                  const std::function<void(qint64)> &onStarted)
{
    return SlurmJobRun(target, job, shape, onEvent, cancel).run(onStarted);
}

} // namespace pw::compute::slurm
