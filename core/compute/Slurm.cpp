// The batch script and the parsing of Slurm's command output (see Slurm.h): no process is started here.
#include "core/compute/Slurm.h"

#include "core/compute/Ssh.h"

#include <QMap>
#include <QRegularExpression>

#include <algorithm>

namespace pw::compute::slurm {

namespace {

QString q(const std::string &s)
{
    return QString::fromStdString(s);
}

// The #SBATCH lines: only what was given, so that the cluster's defaults hold for the rest.
QStringList sbatchLines(const SlurmOptions &o, const BatchJob &job)
{
    QStringList lines{"--job-name=" + job.jobName};
    const std::pair<const char *, const std::string *> texts[] = {
        {"partition", &o.partition}, {"account", &o.account}, {"qos", &o.qos}, {"time", &o.time}};
    for (const auto &[key, v] : texts) {
        if (!v->empty())
            lines << QString("--%1=%2").arg(key, q(*v));
    }
    lines << "--nodes=" + QString::number(job.shape.nodes)
          << "--ntasks-per-node=" + QString::number(job.shape.processesPerNode);
    if (!o.mem.empty())
        lines << "--mem=" + q(o.mem);
    if (o.cpusPerTask > 0)
        lines << "--cpus-per-task=" + QString::number(o.cpusPerTask);
    if (o.gpusPerNode > 0)
        lines << "--gpus-per-node=" + QString::number(o.gpusPerNode);
    for (const std::string &a : o.sbatchArgs)
        lines << q(a);
    // USR1 120 s before the time limit (or a preemption): the workers checkpoint and the job is requeued.
    lines << "--signal=USR1@120"
          << "--open-mode=append"
          << "--requeue"
          << "--output=" + job.jobDir + "/slurm.out";
    return lines;
}

// Key=Value pairs of one scontrol or jobcomp line (values have no spaces in the fields read here).
QMap<QString, QString> keyValues(const QByteArray &line)
{
    QMap<QString, QString> out;
    for (const QString &word : QString::fromUtf8(line).split(u' ', Qt::SkipEmptyParts)) {
        const auto eq = word.indexOf(u'=');
        if (eq > 0 && !out.contains(word.left(eq)))
            out.insert(word.left(eq), word.mid(eq + 1));
    }
    return out;
}

void setExit(JobState &s, const QString &exitCode)
{
    const QStringList parts = exitCode.split(u':');
    s.exitCode = parts.value(0).toInt();
    s.signal = parts.value(1).toInt();
}

JobState fromKeyValues(const QMap<QString, QString> &kv)
{
    JobState s;
    s.jobId = kv.value("JobId");
    s.state = kv.value("JobState");
    s.known = !s.jobId.isEmpty() && !s.state.isEmpty();
    s.reason = kv.value("Reason");
    if (s.reason == "None" || s.reason == "(null)")
        s.reason.clear();
    s.partition = kv.value("Partition");
    s.nodes = kv.value("NodeList");
    if (s.nodes == "(null)")
        s.nodes.clear();
    s.restarts = kv.value("Restarts").toInt();
    setExit(s, kv.value("ExitCode"));
    return s;
}

} // namespace

QString batchScript(const SlurmOptions &options, const BatchJob &job)
{
    QString s = "#!/bin/sh\n";
    for (const QString &line : sbatchLines(options, job))
        s += "#SBATCH " + line + "\n";
    const QString dir = ssh::shellQuote(job.jobDir);
    s += "# Pipewright: one pipewright-worker per task; rank 0's stdout (events.0.jsonl) is the run's events.\n"
         "cd "
         + dir
         + " || exit 92\n"
           "MASTER_ADDR=$(scontrol show hostnames \"$SLURM_JOB_NODELIST\" | head -n 1)\n"
           "MASTER_PORT=$((20000 + SLURM_JOB_ID % 30000))\n"
           "export MASTER_ADDR MASTER_PORT\n"
           "echo \"pipewright: job $SLURM_JOB_ID (restart ${SLURM_RESTART_COUNT:-0}) on $SLURM_JOB_NODELIST, "
           "$SLURM_NTASKS ranks, rendezvous $MASTER_ADDR:$MASTER_PORT\"\n"
           "set -- "
         + ssh::remoteCommand(job.workerArgv) + "\n";
    if (!job.checkpoint.isEmpty())
        s += "[ -e " + ssh::shellQuote(job.checkpoint) + " ] && set -- \"$@\" --resume\n";
    s += "srun --kill-on-bad-exit=1 --open-mode=append --output=" + ssh::shellQuote(job.jobDir + "/events.%t.jsonl")
         + " --error=" + ssh::shellQuote(job.jobDir + "/worker.%t.log")
         + " \\\n"
           "  sh -c 'RANK=$SLURM_PROCID WORLD_SIZE=$SLURM_NTASKS LOCAL_RANK=$SLURM_LOCALID; "
           "export RANK WORLD_SIZE LOCAL_RANK; exec \"$@\"' sh \"$@\"\n"
           "rc=$?\n"
           "echo \"pipewright: srun ended with code $rc\"\n"
           "if [ \"$rc\" -eq "
         + QString::number(kRequeueExitCode)
         + " ]; then\n"
           "  echo \"pipewright: the workers checkpointed and ask to be requeued\"\n"
           "  scontrol requeue \"$SLURM_JOB_ID\" && exit 0\n"
           "fi\n"
           "exit \"$rc\"\n";
    return s;
}

JobState parseScontrolJob(const QByteArray &line)
{
    return fromKeyValues(keyValues(line.trimmed()));
}

JobState parseSacct(const QByteArray &line)
{
    const QStringList f = QString::fromUtf8(line.trimmed()).split(u'|');
    JobState s;
    if (f.size() < 3)
        return s;
    s.jobId = f[0];
    s.state = f[1].section(u' ', 0, 0); // "CANCELLED by 0"
    s.known = !s.jobId.isEmpty() && !s.state.isEmpty();
    setExit(s, f[2]);
    s.reason = f.value(3) == "None" ? QString() : f.value(3);
    s.partition = f.value(4);
    return s;
}

JobState parseJobComp(const QByteArray &text, const QString &jobId)
{
    JobState last;
    for (const QByteArray &line : text.split('\n')) {
        if (!line.startsWith("JobId=" + jobId.toUtf8() + " "))
            continue;
        last = fromKeyValues(keyValues(line));
    }
    return last;
}

bool isFinal(const QString &state)
{
    static const QStringList finals{"COMPLETED",     "FAILED",    "CANCELLED", "TIMEOUT",     "NODE_FAIL",
                                    "OUT_OF_MEMORY", "BOOT_FAIL", "DEADLINE",  "SPECIAL_EXIT"};
    return finals.contains(state);
}

QString runStatus(const QString &state)
{
    if (state == "PENDING" || state.startsWith("REQUEUE") || state == "SUSPENDED" || state == "PREEMPTED")
        return "PENDING";
    if (state == "COMPLETED")
        return "FINISHED";
    if (state == "CANCELLED")
        return "KILLED";
    if (isFinal(state))
        return "FAILED";
    return "RUNNING"; // RUNNING, CONFIGURING, COMPLETING, STAGE_OUT, SIGNALING, RESIZING
}

QString describeEnd(const JobState &s, const SlurmOptions &o)
{
    const QString job = "Slurm job " + s.jobId;
    if (s.state == "COMPLETED")
        return job + " completed";
    if (s.state == "CANCELLED")
        return job + " was cancelled (scancel)";
    if (s.state == "TIMEOUT")
        return job + " reached its time limit"
               + (o.time.empty() ? QString(" (the partition's)") : " (--time " + q(o.time) + ")");
    if (s.state == "OUT_OF_MEMORY")
        return job + " ran out of memory"
               + (o.mem.empty() ? QString(" (the cluster's default --mem)") : " (--mem " + q(o.mem) + ")");
    if (s.state == "NODE_FAIL")
        return job + " failed because a node of it failed" + (s.nodes.isEmpty() ? QString() : " (" + s.nodes + ")");
    if (s.state == "BOOT_FAIL")
        return job + " failed: a node did not boot";
    if (s.state == "DEADLINE")
        return job + " was ended at its deadline";
    QString text = job + " " + s.state.toLower();
    if (s.signal > 0)
        text += ", its batch script killed by signal " + QString::number(s.signal);
    else if (s.exitCode != 0)
        text += " with exit code " + QString::number(s.exitCode);
    if (!s.reason.isEmpty() && s.reason != "NonZeroExitCode")
        text += " (" + s.reason + ")";
    return text;
}

QString queuedMessage(const JobState &s)
{
    static const QMap<QString, QString> words{
        {"Resources", "the nodes are busy"},
        {"Priority", "jobs of higher priority go first"},
        {"BeginTime", "it may start later (a requeued job waits for its begin time)"},
        {"Dependency", "it waits for another job"},
        {"JobHeldUser", "held by its user"},
        {"JobHeldAdmin", "held by an administrator"},
        {"PartitionNodeLimit", "it asks for more nodes than the partition has"},
        {"PartitionTimeLimit", "its time limit is above the partition's"},
        {"ReqNodeNotAvail", "the nodes it needs are not available"},
        {"QOSMaxNodePerJobLimit", "its QOS allows fewer nodes"},
        {"AssocGrpCpuLimit", "the account's CPU limit is reached"},
    };
    const QString why = s.reason.isEmpty() ? QString("waiting") : s.reason;
    const QString more = words.value(s.reason);
    return "queued on " + (s.partition.isEmpty() ? QString("the default partition") : s.partition) + ": " + why
           + (more.isEmpty() ? QString() : " (" + more + ")");
}

QString failedRanks(const QByteArray &srunOutput)
{
    // srun: error: NODE: task 1: Killed | Exited with exit code 2 | Segmentation fault ...; "tasks 0-1" for several
    static const QRegularExpression re(QStringLiteral(R"(srun: error: (\S+): tasks? ([0-9,-]+): (.+))"));
    QStringList out;
    for (const QByteArray &raw : srunOutput.split('\n')) {
        const auto m = re.match(QString::fromUtf8(raw).trimmed());
        if (!m.hasMatch())
            continue;
        const QString ranks = m.captured(2);
        const QString what = m.captured(3).trimmed();
        const bool several = ranks.contains(u',') || ranks.contains(u'-');
        QString how;
        if (what.startsWith("Exited with exit code "))
            how = "exited with code " + what.mid(22);
        else if (what == "Killed")
            how = "was killed (signal 9)";
        else
            how = "ended: " + what;
        out << QString("%1 %2 on %3 %4").arg(several ? "ranks" : "rank", ranks, m.captured(1), how);
    }
    out.removeDuplicates();
    return out.join("; ");
}

QString parseSubmittedJobId(const QByteArray &out)
{
    for (const QByteArray &raw : out.split('\n')) {
        const QString line = QString::fromUtf8(raw).trimmed().section(u';', 0, 0);
        static const QRegularExpression digits(QStringLiteral("^[0-9]+$"));
        if (digits.match(line).hasMatch())
            return line;
    }
    return {};
}

std::vector<Partition> parseSinfo(const QByteArray &text)
{
    std::vector<Partition> out;
    for (const QByteArray &raw : text.split('\n')) {
        const QStringList f = QString::fromUtf8(raw).trimmed().split(u'|');
        if (f.size() < 4)
            continue;
        QString name = f[0];
        const bool isDefault = name.endsWith(u'*');
        if (isDefault)
            name.chop(1);
        auto it = std::find_if(out.begin(), out.end(), [&](const Partition &p) { return p.name == name; });
        if (it == out.end()) {
            out.push_back(Partition{name, isDefault, f[1], 0, 0, 0, {}});
            it = out.end() - 1;
        }
        const int n = f[2].toInt();
        const QString state = f[3].toLower().remove(u'*');
        it->nodes += n;
        if (state.startsWith("idle"))
            it->idle += n;
        else if (state.startsWith("alloc") || state.startsWith("mix") || state.startsWith("comp"))
            it->allocated += n;
        const QString gres = f.value(4);
        if (!gres.isEmpty() && gres != "(null)" && !it->gres.split(u',').contains(gres))
            it->gres = it->gres.isEmpty() ? gres : it->gres + "," + gres;
    }
    return out;
}

} // namespace pw::compute::slurm
