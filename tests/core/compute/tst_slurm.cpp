// Slurm targets and the pure side of a Slurm run (core/compute/Slurm): validation and storage of the target's
// sbatch options, the generated batch script, and the parsing of what scontrol, sacct, the jobcomp file, sinfo and
// srun print (lines as Slurm 22.05 prints them).
#include "core/compute/Slurm.h"
#include "core/compute/Targets.h"
#include "core/store/Database.h"
#include "core/store/Workspace.h"

#include <QJsonArray>
#include <QProcess>
#include <QTemporaryDir>
#include <QTest>

#include <functional>

using namespace pw;
using compute::SlurmOptions;

class tst_Slurm : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void urls();
    void options_data();
    void options();
    void sshTargetsTakeNoSlurmOptions();
    void storedAndListed();
    void batchScript();
    void batchScriptLeavesDefaults();
    void batchScriptQuotesEveryValue();
    void scontrolLine();
    void sacctAndJobComp();
    void states_data();
    void states();
    void words();
    void failedRanks();
    void sinfo();
};

namespace {

// What `targets add` says of a refused target: a field named by its option ("--time '2h': …"), as the CLI does.
QString invalidMessage(const std::function<void()> &f)
{
    try {
        f();
    } catch (const compute::TargetFieldError &e) {
        return QString::fromStdString(
            e.describe("--" + QString::fromStdString(e.field()).replace('_', '-').toStdString()));
    } catch (const std::invalid_argument &e) {
        return QString::fromUtf8(e.what());
    }
    return {};
}

compute::Target slurmTarget(const SlurmOptions &o = {}, const std::string &workdir = "/shared/me/pw")
{
    return compute::makeSlurmTarget("hpc", "slurm://me@login.cluster", workdir, "/shared/bin/pipewright-worker", {}, o);
}

} // namespace

void tst_Slurm::urls()
{
    const auto here = compute::makeSlurmTarget("h", "slurm:", "/w", {}, {}, {});
    QVERIFY(here.isSlurm());
    QVERIFY(here.runsHere());
    QCOMPARE(here.url(), std::string("slurm:"));
    QVERIFY(compute::makeSlurmTarget("h", "slurm://localhost", "/w", {}, {}, {}).runsHere());
    const auto remote = compute::makeSlurmTarget("h", "slurm://me@login.cluster:2222", "/w", {}, {}, {});
    QVERIFY(!remote.runsHere());
    QCOMPARE(remote.destination(), std::string("me@login.cluster"));
    QCOMPARE(remote.port, 2222);
    QCOMPARE(remote.url(), std::string("slurm://me@login.cluster:2222"));
    QVERIFY(!compute::makeSlurmTarget("h", "slurm://me@localhost", "/w", {}, {}, {}).runsHere()); // a user: ssh
    QVERIFY(invalidMessage([] {
                compute::makeSlurmTarget("h", "ssh://host", "/w", {}, {}, {});
            }).contains("is not slurm://"));
    QVERIFY(invalidMessage([] {
                compute::makeSlurmTarget("h", "slurm://host;reboot", "/w", {}, {}, {});
            }).contains("is not slurm://"));
    QVERIFY(invalidMessage([] { slurmTarget({}, "/shared/my pw"); }).contains("no spaces"));
    QVERIFY(invalidMessage([] { slurmTarget({}, "/shared/%j"); }).contains("--workdir"));
}

void tst_Slurm::options_data()
{
    QTest::addColumn<QString>("option");
    QTest::addColumn<QString>("value");
    QTest::addColumn<QString>("error"); // empty: accepted
    for (const char *t : {"30", "30:00", "02:00:00", "1-0", "1-02", "1-02:00", "1-02:00:00", "UNLIMITED"})
        QTest::newRow(qPrintable(QString("time %1").arg(t))) << "time" << t << "";
    for (const char *t : {"abc", "1:2:3:4", "02:00:00; reboot", "-1", "1-"})
        QTest::newRow(qPrintable(QString("bad time %1").arg(t))) << "time" << t << "--time";
    for (const char *m : {"4000", "4000M", "4G", "1T", "512k"})
        QTest::newRow(qPrintable(QString("mem %1").arg(m))) << "mem" << m << "";
    for (const char *m : {"4GB", "0", "-1", "4 G", "lots"})
        QTest::newRow(qPrintable(QString("bad mem %1").arg(m))) << "mem" << m << "--mem";
    QTest::newRow("partition list") << "partition"
                                    << "gpu,debug"
                                    << "";
    QTest::newRow("bad partition") << "partition"
                                   << "gpu;reboot"
                                   << "--partition";
    QTest::newRow("account") << "account"
                             << "proj-42"
                             << "";
    QTest::newRow("bad account") << "account"
                                 << "proj 42"
                                 << "--account";
    QTest::newRow("bad qos") << "qos"
                             << "$(reboot)"
                             << "--qos";
    QTest::newRow("sbatch arg") << "sbatch-arg"
                                << "--constraint=a100&nvlink"
                                << "";
    QTest::newRow("sbatch flag") << "sbatch-arg"
                                 << "--exclusive"
                                 << "";
    QTest::newRow("short sbatch arg") << "sbatch-arg"
                                      << "-C a100"
                                      << "--sbatch-arg";
    QTest::newRow("two lines") << "sbatch-arg"
                               << "--comment=a\n#SBATCH --mem=1"
                               << "--sbatch-arg";
    QTest::newRow("negative gpus") << "gpus"
                                   << "-1"
                                   << "positive";
}

void tst_Slurm::options()
{
    QFETCH(QString, option);
    QFETCH(QString, value);
    QFETCH(QString, error);
    SlurmOptions o;
    const std::string v = value.toStdString();
    if (option == "time")
        o.time = v;
    else if (option == "mem")
        o.mem = v;
    else if (option == "partition")
        o.partition = v;
    else if (option == "account")
        o.account = v;
    else if (option == "qos")
        o.qos = v;
    else if (option == "sbatch-arg")
        o.sbatchArgs = {v};
    else if (option == "gpus")
        o.gpusPerNode = value.toInt();
    const QString message = invalidMessage([&] { slurmTarget(o); });
    if (error.isEmpty())
        QVERIFY2(message.isEmpty(), qPrintable(message));
    else
        QVERIFY2(message.contains(error) && (option == "gpus" || message.contains(value.left(4))), qPrintable(message));
}

void tst_Slurm::sshTargetsTakeNoSlurmOptions()
{
    SlurmOptions o;
    o.partition = "gpu";
    QVERIFY(invalidMessage([&] {
                compute::makeTarget("box", "ssh://host", "/w", {}, {}, o);
            }).contains("for slurm:// targets"));
    QCOMPARE(compute::makeTarget("box", "ssh://host", "/w", {}, {}, {}).kind, std::string("ssh"));
    QCOMPARE(compute::makeTarget("hpc", "slurm:", "/w", {}, {}, o).kind, std::string("slurm"));
}

void tst_Slurm::storedAndListed()
{
    QTemporaryDir dir;
    const auto ws = store::Workspace::open(dir.filePath("ws").toStdString());
    auto db = ws.openCatalog();
    SlurmOptions o;
    o.partition = "gpu";
    o.time = "02:00:00";
    o.gpusPerNode = 4;
    o.sbatchArgs = {"--constraint=a100", "--exclusive"};
    compute::addTarget(*db, slurmTarget(o));
    compute::addTarget(*db, compute::makeSshTarget("box", "ssh://gpu-box", "/w"));
    const auto names = compute::targetNames(*db);
    QCOMPARE(names, (std::vector<std::string>{"local", "box", "hpc"}));
    const auto hpc = compute::findTarget(*db, "hpc");
    QCOMPARE(hpc.kind, std::string("slurm"));
    QCOMPARE(hpc.url(), std::string("slurm://me@login.cluster"));
    QCOMPARE(hpc.slurm.partition, std::string("gpu"));
    QCOMPARE(hpc.slurm.time, std::string("02:00:00"));
    QCOMPARE(hpc.slurm.gpusPerNode, 4);
    QCOMPARE(hpc.slurm.cpusPerTask, 0);
    QCOMPARE(hpc.slurm.sbatchArgs, (std::vector<std::string>{"--constraint=a100", "--exclusive"}));
    const QJsonObject json = compute::targetJson(hpc);
    QCOMPARE(json.value("kind").toString(), QString("slurm"));
    QCOMPARE(json.value("slurm").toObject().value("gpus_per_node").toInt(), 4);
    QVERIFY(!json.value("slurm").toObject().contains("mem")); // only what was given
    QVERIFY(!compute::targetJson(compute::findTarget(*db, "box")).contains("slurm"));
}

void tst_Slurm::batchScript()
{
    SlurmOptions o;
    o.partition = "gpu";
    o.account = "proj";
    o.qos = "normal";
    o.time = "02:00:00";
    o.gpusPerNode = 4;
    o.cpusPerTask = 8;
    o.mem = "64G";
    o.sbatchArgs = {"--constraint=a100"};
    compute::slurm::BatchJob job;
    job.jobName = "pipewright-abc";
    job.jobDir = "/shared/pw/runs/abc";
    job.workerArgv = {"/shared/bin/pipewright-worker", "train", "--out", "/shared/pw/runs/abc"};
    job.shape = {2, 4};
    job.checkpoint = "checkpoint.pt";
    const QString s = compute::slurm::batchScript(o, job);
    QStringList sbatch;
    for (const QString &line : s.split(u'\n')) {
        if (line.startsWith("#SBATCH "))
            sbatch << line.mid(8);
    }
    QCOMPARE(sbatch, (QStringList{"--job-name=pipewright-abc", "--partition=gpu", "--account=proj", "--qos=normal",
                                  "--time=02:00:00", "--nodes=2", "--ntasks-per-node=4", "--mem=64G",
                                  "--cpus-per-task=8", "--gpus-per-node=4", "--constraint=a100", "--signal=USR1@120",
                                  "--open-mode=append", "--requeue", "--output=/shared/pw/runs/abc/slurm.out"}));
    QVERIFY(s.startsWith("#!/bin/sh\n"));
    QVERIFY(s.contains("srun --kill-on-bad-exit=1"));
    QVERIFY(s.contains("--output='/shared/pw/runs/abc/events.%t.jsonl'"));
    QVERIFY(s.contains("--error='/shared/pw/runs/abc/worker.%t.log'"));
    QVERIFY(s.contains("RANK=$SLURM_PROCID WORLD_SIZE=$SLURM_NTASKS LOCAL_RANK=$SLURM_LOCALID"));
    QVERIFY(s.contains("scontrol show hostnames \"$SLURM_JOB_NODELIST\" | head -n 1"));
    QVERIFY(s.contains("MASTER_PORT=$((20000 + SLURM_JOB_ID % 30000))"));
    QVERIFY(s.contains("[ -e 'checkpoint.pt' ] && set -- \"$@\" --resume"));
    QVERIFY(s.contains("-eq 4 ]"));
    QVERIFY(s.contains("scontrol requeue \"$SLURM_JOB_ID\""));
    QProcess sh; // the script is valid POSIX shell
    sh.start("sh", {"-n"});
    sh.write(s.toUtf8());
    sh.closeWriteChannel();
    QVERIFY(sh.waitForFinished(10000));
    QVERIFY2(sh.exitCode() == 0, sh.readAllStandardError().constData());
}

void tst_Slurm::batchScriptLeavesDefaults()
{
    compute::slurm::BatchJob job;
    job.jobName = "j";
    job.jobDir = "/w/runs/j";
    job.workerArgv = {"pipewright-worker", "predict"};
    const QString s = compute::slurm::batchScript({}, job);
    for (const char *absent :
         {"--mem", "--cpus-per-task", "--gpus-per-node", "--partition", "--account", "--qos", "--time", "--resume"})
        QVERIFY2(!s.contains(absent), absent);
    QVERIFY(s.contains("#SBATCH --nodes=1\n#SBATCH --ntasks-per-node=1\n"));
}

void tst_Slurm::batchScriptQuotesEveryValue()
{
    // Arguments reach the worker as they were, whatever they contain: run the script's own `set --` line in a
    // shell and print the arguments back.
    const QStringList argv{"/w/bin/pipewright-worker", "train", "--out", "/w/it's $(reboot) `x`", "a b;c", "*"};
    compute::slurm::BatchJob job;
    job.jobName = "j";
    job.jobDir = "/w/runs/j";
    job.workerArgv = argv;
    const QString s = compute::slurm::batchScript({}, job);
    QString setLine;
    for (const QString &line : s.split(u'\n')) {
        if (line.startsWith("set -- "))
            setLine = line;
    }
    QVERIFY(!setLine.isEmpty());
    QProcess sh;
    sh.start("sh", {"-c", setLine + "\nfor a in \"$@\"; do printf '%s\\n' \"$a\"; done"});
    QVERIFY(sh.waitForFinished(10000));
    QCOMPARE(QString::fromUtf8(sh.readAllStandardOutput()).split(u'\n', Qt::SkipEmptyParts), argv);
}

void tst_Slurm::scontrolLine()
{
    const QByteArray line =
        "JobId=17 JobName=pipewright-abc UserId=root(0) GroupId=root(0) MCS_label=N/A Priority=4294901759 Nice=0 "
        "Account=(null) QOS=(null) JobState=PENDING Reason=Resources Dependency=(null) Requeue=1 Restarts=2 "
        "BatchFlag=1 Reboot=0 ExitCode=0:0 RunTime=00:00:00 TimeLimit=UNLIMITED Partition=debug "
        "NodeList=(null) NumNodes=1 NumCPUs=2";
    const auto s = compute::slurm::parseScontrolJob(line);
    QVERIFY(s.known);
    QCOMPARE(s.jobId, QString("17"));
    QCOMPARE(s.state, QString("PENDING"));
    QCOMPARE(s.reason, QString("Resources"));
    QCOMPARE(s.partition, QString("debug"));
    QCOMPARE(s.restarts, 2);
    QVERIFY(s.nodes.isEmpty());
    const auto done = compute::slurm::parseScontrolJob(
        "JobId=18 JobState=FAILED Reason=NonZeroExitCode Restarts=0 ExitCode=1:0 Partition=debug NodeList=localhost");
    QCOMPARE(done.exitCode, 1);
    QCOMPARE(done.nodes, QString("localhost"));
    QVERIFY(!compute::slurm::parseScontrolJob("slurm_load_jobs error: Invalid job id specified").known);
}

void tst_Slurm::sacctAndJobComp()
{
    const auto a = compute::slurm::parseSacct("12|CANCELLED by 0|0:15|None|gpu\n");
    QVERIFY(a.known);
    QCOMPARE(a.state, QString("CANCELLED"));
    QCOMPARE(a.signal, 15);
    QCOMPARE(a.partition, QString("gpu"));
    QVERIFY(!compute::slurm::parseSacct("").known);
    const QByteArray comp =
        "JobId=1 UserId=root(0) GroupId=root(0) Name=t JobState=COMPLETED Partition=debug NodeList=localhost "
        "ExitCode=0:0 \n"
        "JobId=12 UserId=root(0) GroupId=root(0) Name=u JobState=TIMEOUT Partition=debug NodeList=localhost "
        "ExitCode=0:15 \n"
        "JobId=123 UserId=root(0) JobState=COMPLETED Partition=debug ExitCode=0:0 \n";
    const auto c = compute::slurm::parseJobComp(comp, "12");
    QCOMPARE(c.state, QString("TIMEOUT"));
    QCOMPARE(c.signal, 15);
    QVERIFY(!compute::slurm::parseJobComp(comp, "2").known);
}

void tst_Slurm::states_data()
{
    QTest::addColumn<QString>("state");
    QTest::addColumn<QString>("status");
    QTest::addColumn<bool>("final");
    QTest::newRow("pending") << "PENDING"
                             << "PENDING" << false;
    QTest::newRow("requeued") << "REQUEUED"
                              << "PENDING" << false;
    QTest::newRow("configuring") << "CONFIGURING"
                                 << "RUNNING" << false;
    QTest::newRow("running") << "RUNNING"
                             << "RUNNING" << false;
    QTest::newRow("completing") << "COMPLETING"
                                << "RUNNING" << false;
    QTest::newRow("completed") << "COMPLETED"
                               << "FINISHED" << true;
    QTest::newRow("failed") << "FAILED"
                            << "FAILED" << true;
    QTest::newRow("node fail") << "NODE_FAIL"
                               << "FAILED" << true;
    QTest::newRow("oom") << "OUT_OF_MEMORY"
                         << "FAILED" << true;
    QTest::newRow("timeout") << "TIMEOUT"
                             << "FAILED" << true;
    QTest::newRow("cancelled") << "CANCELLED"
                               << "KILLED" << true;
}

void tst_Slurm::states()
{
    QFETCH(QString, state);
    QFETCH(QString, status);
    QFETCH(bool, final);
    QCOMPARE(compute::slurm::runStatus(state), status);
    QCOMPARE(compute::slurm::isFinal(state), final);
}

void tst_Slurm::words()
{
    compute::slurm::JobState s;
    s.jobId = "7";
    s.state = "PENDING";
    s.reason = "Resources";
    s.partition = "gpu";
    QCOMPARE(compute::slurm::queuedMessage(s), QString("queued on gpu: Resources (the nodes are busy)"));
    SlurmOptions o;
    o.time = "00:01:00";
    s.state = "TIMEOUT";
    QCOMPARE(compute::slurm::describeEnd(s, o), QString("Slurm job 7 reached its time limit (--time 00:01:00)"));
    s.state = "OUT_OF_MEMORY";
    QVERIFY(compute::slurm::describeEnd(s, {}).contains("ran out of memory"));
    s.state = "NODE_FAIL";
    s.nodes = "node3";
    QVERIFY(compute::slurm::describeEnd(s, {}).contains("a node of it failed (node3)"));
    s.state = "FAILED";
    s.exitCode = 2;
    s.reason = "NonZeroExitCode"; // says what the exit code says
    QCOMPARE(compute::slurm::describeEnd(s, {}), QString("Slurm job 7 failed with exit code 2"));
    s.state = "CANCELLED";
    QVERIFY(compute::slurm::describeEnd(s, {}).contains("cancelled"));
    QCOMPARE(compute::slurm::parseSubmittedJobId("42\n"), QString("42"));
    QCOMPARE(compute::slurm::parseSubmittedJobId("42;pwtest\n"), QString("42"));
    QVERIFY(compute::slurm::parseSubmittedJobId("sbatch: error: x\n").isEmpty());
}

void tst_Slurm::failedRanks()
{
    const QByteArray out = "pipewright: job 3 (restart 0) on localhost, 2 ranks\n"
                           "srun: error: localhost: task 1: Killed\n"
                           "srun: launch/slurm: _step_signal: Terminating StepId=3.0\n"
                           "srun: error: node2: task 0: Exited with exit code 2\n"
                           "srun: error: node4: tasks 2-3: Segmentation fault\n";
    QCOMPARE(compute::slurm::failedRanks(out),
             QString("rank 1 on localhost was killed (signal 9); rank 0 on node2 exited with code 2; "
                     "ranks 2-3 on node4 ended: Segmentation fault"));
    QVERIFY(compute::slurm::failedRanks("pipewright: srun ended with code 0\n").isEmpty());
}

void tst_Slurm::sinfo()
{
    const auto parts = compute::slurm::parseSinfo("debug*|up|1|idle|(null)\n"
                                                  "gpu|up|3|allocated|gpu:4\n"
                                                  "gpu|up|1|idle|gpu:4\n"
                                                  "gpu|up|1|mixed|gpu:a100:4\n");
    QCOMPARE(parts.size(), std::size_t(2));
    QCOMPARE(parts[0].name, QString("debug"));
    QVERIFY(parts[0].isDefault);
    QCOMPARE(parts[0].idle, 1);
    QVERIFY(parts[0].gres.isEmpty());
    QCOMPARE(parts[1].nodes, 5);
    QCOMPARE(parts[1].idle, 1);
    QCOMPARE(parts[1].allocated, 4);
    QCOMPARE(parts[1].gres, QString("gpu:4,gpu:a100:4"));
}

QTEST_GUILESS_MAIN(tst_Slurm)
#include "tst_slurm.moc"
