// Slurm targets end to end through the CLI, against a real one-node Slurm started by the test (tests/SlurmCluster):
// targets add/test, trainings submitted with sbatch (this machine's, and through the loopback sshd), a run queued
// behind a busy node, cancel, a killed rank, runs attach, and the ways a job is refused. The worker is held at known
// points (--hold-dir) wherever a test acts while it trains.
#include "tests/SlurmCluster.h"
#include "tests/SshServer.h"
#include "tests/TestData.h"
#include "tests/WorkerHold.h"

#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QMap>
#include <QProcess>
#include <QTemporaryDir>
#include <QTest>

#include <cmath>
#include <csignal>
#include <memory>

class tst_SlurmCli : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void cleanup();
    void cleanupTestCase();
    void targetsAddListTest();
    void testNamesTheMissingPartition();
    void trainsOneRankEndToEnd();
    void trainsTwoRanksEndToEnd();
    void queuedBehindABusyNode();
    void cancelEndsTheJob();
    void killedRankFailsTheRun();
    void attachFollowsTheJob();
    void usr1RequeuesAndResumes();
    void scoresInPartsOnTheCluster();
    void refusedJobs_data();
    void refusedJobs();
    void throughSsh();
    void impossibleJobsWaitWithSlurmsReason_data();
    void impossibleJobsWaitWithSlurmsReason();

private:
    struct Result
    {
        int exitCode = -1;
        QByteArray out;
        QByteArray err;
        QJsonObject json() const { return QJsonDocument::fromJson(out).object(); }
    };
    Result cli(const QStringList &args);
    std::unique_ptr<QProcess> startCli(const QStringList &args);
    QStringList trainArgs(const QString &target, int epochs) const;
    QString workerPath() const;
    QString runningRunId();
    /** Starts a training of `epochs` on hpc and waits until its worker is held after epoch 1: the run and job ids. */
    void heldAfterEpoch1(int epochs, std::unique_ptr<QProcess> &train, QString &runId, QString &jobId);
    QJsonObject show(const QString &runId);
    /** Processes whose command line mentions `text`. */
    static QStringList processesMentioning(const QString &text);

    QTemporaryDir m_dir;
    pw::test::SlurmCluster m_cluster;
    pw::test::WorkerHold m_hold;
    QString m_ws;
    QString m_workdir;
};

tst_SlurmCli::Result tst_SlurmCli::cli(const QStringList &args)
{
    QProcess p;
    p.start(PIPEWRIGHT_BIN, QStringList{"--workspace", m_ws} + args);
    Result r;
    if (!p.waitForFinished(240000)) {
        p.kill();
        p.waitForFinished();
    }
    r.exitCode = p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -1;
    r.out = p.readAllStandardOutput();
    r.err = p.readAllStandardError();
    return r;
}

std::unique_ptr<QProcess> tst_SlurmCli::startCli(const QStringList &args)
{
    auto p = std::make_unique<QProcess>();
    p->start(PIPEWRIGHT_BIN, QStringList{"--workspace", m_ws} + args);
    return p;
}

QStringList tst_SlurmCli::trainArgs(const QString &target, int epochs) const
{
    return {"train",        "--table", "shapes",         "--target", target,     "--epochs", QString::number(epochs),
            "--image-size", "16",      "--val-fraction", "0.2",      "--device", "cpu",      "--json"};
}

QString tst_SlurmCli::workerPath() const
{
    const QString beside = QFileInfo(PIPEWRIGHT_BIN).absolutePath() + "/pipewright-worker";
    return QFileInfo(beside).isExecutable() ? beside
                                            : QFileInfo(PIPEWRIGHT_BIN).absolutePath() + "/worker/pipewright-worker";
}

QString tst_SlurmCli::runningRunId()
{
    const Result r = cli({"runs", "list", "--json"});
    for (const auto &v : QJsonDocument::fromJson(r.out).array()) {
        if (v.toObject().value("status").toString() == "RUNNING")
            return v.toObject().value("run_id").toString();
    }
    return {};
}

void tst_SlurmCli::heldAfterEpoch1(int epochs, std::unique_ptr<QProcess> &train, QString &runId, QString &jobId)
{
    QVERIFY(m_hold.hold("epoch-1-end"));
    train = startCli(trainArgs("hpc", epochs));
    QTRY_VERIFY_WITH_TIMEOUT(m_hold.isHeld("epoch-1-end"), 120000);
    runId = runningRunId();
    jobId = show(runId).value("tags").toObject().value("slurm_job_id").toString();
    QVERIFY(!jobId.isEmpty());
}

QJsonObject tst_SlurmCli::show(const QString &runId)
{
    return cli({"runs", "show", runId, "--json"}).json();
}

QStringList tst_SlurmCli::processesMentioning(const QString &text)
{
    QStringList out;
    for (const QString &pid : QDir("/proc").entryList(QDir::Dirs)) {
        bool ok = false;
        pid.toInt(&ok);
        if (!ok)
            continue;
        QFile f("/proc/" + pid + "/cmdline");
        if (!f.open(QIODevice::ReadOnly))
            continue;
        const QByteArray cmd = f.readAll().replace('\0', ' ');
        if (cmd.contains(text.toUtf8()))
            out << pid + ": " + QString::fromUtf8(cmd.left(200));
    }
    return out;
}

void tst_SlurmCli::initTestCase()
{
    QVERIFY(m_dir.isValid());
    QVERIFY2(m_cluster.start(), qPrintable(m_cluster.errorString()));
    m_ws = m_dir.filePath("ws");
    m_workdir = m_dir.filePath("cluster");
    QVERIFY(QFileInfo(workerPath()).isExecutable());
    QVERIFY(pw::test::writeShapeClasses(m_dir.filePath("shapes"), 40, 7));
    const Result ingest = cli({"ingest", m_dir.filePath("shapes"), "--table", "shapes"});
    QVERIFY2(ingest.exitCode == 0, ingest.err.constData());
    const Result add = cli({"targets", "add", "hpc", "slurm:", "--workdir", m_workdir, "--worker", workerPath(),
                            "--time", "00:10:00", "--json"});
    QVERIFY2(add.exitCode == 0, add.err.constData());
    QCOMPARE(add.json().value("kind").toString(), QString("slurm"));
}

void tst_SlurmCli::cleanup()
{
    m_hold.releaseAll();
}

void tst_SlurmCli::cleanupTestCase()
{
    QTRY_VERIFY_WITH_TIMEOUT(processesMentioning(m_workdir + "/runs").isEmpty(), 30000);
}

void tst_SlurmCli::targetsAddListTest()
{
    const Result list = cli({"targets", "list", "--json"});
    QJsonObject hpc;
    for (const auto &v : QJsonDocument::fromJson(list.out).array()) {
        if (v.toObject().value("name") == "hpc")
            hpc = v.toObject();
    }
    QCOMPARE(hpc.value("url").toString(), QString("slurm:"));
    QCOMPARE(hpc.value("slurm").toObject().value("time").toString(), QString("00:10:00"));
    QVERIFY(!hpc.value("slurm").toObject().contains("mem"));

    const Result test = cli({"targets", "test", "hpc", "--json"});
    QVERIFY2(test.exitCode == 0, (test.out + test.err).constData());
    const QJsonObject t = test.json();
    QCOMPARE(t.value("cluster").toString(), QString("pwtest"));
    QCOMPARE(t.value("accounting").toBool(), false);
    const QJsonObject debug = t.value("partitions").toArray().first().toObject();
    QCOMPARE(debug.value("name").toString(), QString("debug"));
    QVERIFY(debug.value("default").toBool());
    QCOMPARE(debug.value("nodes").toInt(), 1);
    QCOMPARE(debug.value("idle").toInt(), 1);
    QVERIFY(!t.value("torch").toString().isEmpty());
    QCOMPARE(t.value("backend").toString(), QString("gloo"));
    QCOMPARE(t.value("worker_checked_on").toString(), QString("submit host"));
    const Result text = cli({"targets", "test", "hpc"});
    QVERIFY2(text.out.contains("partition debug (default, up): 1 nodes, 1 idle, 0 allocated"), text.out.constData());

    // Bad options never reach the workspace.
    const Result badTime = cli({"targets", "add", "x", "slurm:", "--workdir", "/w", "--time", "2h"});
    QCOMPARE(badTime.exitCode, 2);
    QVERIFY2(badTime.err.contains("--time '2h'"), badTime.err.constData());
    const Result badGpus = cli({"targets", "add", "x", "slurm:", "--workdir", "/w", "--gpus-per-node", "0"});
    QCOMPARE(badGpus.exitCode, 2);
}

void tst_SlurmCli::testNamesTheMissingPartition()
{
    QVERIFY(cli({"targets", "add", "nopart", "slurm:", "--workdir", m_workdir, "--worker", workerPath(), "--partition",
                 "gpu"})
                .exitCode
            == 0);
    const Result test = cli({"targets", "test", "nopart", "--json"});
    QCOMPARE(test.exitCode, 1);
    QCOMPARE(test.json().value("error").toString(),
             QString("partition 'gpu' is not on cluster pwtest (partitions there: debug)"));
    // A run on it: sbatch's own refusal, and the partitions there.
    const Result run = cli(trainArgs("nopart", 1));
    QCOMPARE(run.exitCode, 1);
    const QString message = run.json().value("message").toString();
    QVERIFY2(message.contains("sbatch on nopart refused the job: sbatch: error: invalid partition specified: gpu"),
             qPrintable(message));
    QVERIFY2(message.contains("(partitions there: debug)"), qPrintable(message));
    QCOMPARE(run.json().value("status").toString(), QString("FAILED"));
    QVERIFY(cli({"targets", "remove", "nopart"}).exitCode == 0);
}

void tst_SlurmCli::trainsOneRankEndToEnd()
{
    const Result r = cli(trainArgs("hpc", 2));
    QVERIFY2(r.exitCode == 0, (r.out + r.err).constData());
    const QJsonObject out = r.json();
    QCOMPARE(out.value("status").toString(), QString("FINISHED"));
    QCOMPARE(out.value("epochs").toInt(), 2);
    QVERIFY2(r.err.contains("submitted Slurm job "), r.err.constData());
    const QString runId = out.value("run_id").toString();
    const QJsonObject run = show(runId);
    const QJsonObject tags = run.value("tags").toObject();
    QVERIFY(tags.value("slurm_job_id").toString().toInt() > 0);
    QCOMPARE(tags.value("slurm_cluster").toString(), QString("pwtest"));
    QCOMPARE(tags.value("slurm_partition").toString(), QString("debug"));
    QCOMPARE(tags.value("world_size").toString(), QString("1"));
    QCOMPARE(tags.value("slurm_state").toString(), QString("COMPLETED"));
    QCOMPARE(tags.value("slurm_restart_count").toString(), QString("0"));
    QVERIFY2(run.value("device").toString().startsWith("hpc (slurm, 1×1 ranks)"),
             qPrintable(run.value("device").toString()));
    // Each metric once per epoch, though the events were read from a file that Slurm's job wrote.
    for (const QString key : {"train_loss", "val_loss", "val_accuracy"}) {
        const QJsonArray history = run.value("history").toObject().value(key).toArray();
        QCOMPARE(history.size(), 2);
        QCOMPARE(history.at(0).toObject().value("epoch").toInt(), 1);
        QCOMPARE(history.at(1).toObject().value("epoch").toInt(), 2);
    }
    QStringList artifacts;
    for (const auto &a : run.value("artifacts").toArray())
        artifacts << a.toObject().value("path").toString();
    for (const char *name : {"model.pt", "job.sbatch", "events.0.jsonl", "worker.0.log", "slurm.out"})
        QVERIFY2(artifacts.contains(name), qPrintable(artifacts.join(", ")));
    // The batch script is the one that ran.
    QFile script(m_ws + "/artifacts/" + runId + "/job.sbatch");
    QVERIFY(script.open(QIODevice::ReadOnly));
    const QByteArray text = script.readAll();
    QVERIFY(text.contains("#SBATCH --time=00:10:00\n"));
    QVERIFY(text.contains("#SBATCH --ntasks-per-node=1\n"));
    QVERIFY(!text.contains("--mem"));
    // The model came back and is evaluated here.
    const Result eval = cli({"evaluate", "--run", runId, "--table", "shapes", "--json"});
    QVERIFY2(eval.exitCode == 0, eval.err.constData());
    QVERIFY2(eval.json().value("images").toInt() > 0, eval.out.constData());
}

void tst_SlurmCli::trainsTwoRanksEndToEnd()
{
    // Two ranks on the node: srun starts both workers, torch.distributed joins them, rank 0 reports.
    const Result r = cli(trainArgs("hpc", 2) + QStringList{"--processes-per-node", "2"});
    QVERIFY2(r.exitCode == 0, (r.out + r.err).constData());
    const QJsonObject out = r.json();
    QCOMPARE(out.value("status").toString(), QString("FINISHED"));
    const QJsonObject run = show(out.value("run_id").toString());
    QCOMPARE(run.value("tags").toObject().value("world_size").toString(), QString("2"));
    QVERIFY2(run.value("device").toString().startsWith("hpc (slurm, 1×2 ranks)"),
             qPrintable(run.value("device").toString()));
    for (const QString key : {"train_loss", "val_accuracy"})
        QCOMPARE(run.value("history").toObject().value(key).toArray().size(), 2); // each epoch once
    QStringList artifacts;
    for (const auto &a : run.value("artifacts").toArray())
        artifacts << a.toObject().value("path").toString();
    for (const char *name : {"model.pt", "worker.0.log", "worker.1.log", "events.0.jsonl"})
        QVERIFY2(artifacts.contains(name), qPrintable(artifacts.join(", ")));
    QFile rank1(m_ws + "/artifacts/" + out.value("run_id").toString() + "/worker.1.log");
    QVERIFY(rank1.open(QIODevice::ReadOnly));
    QVERIFY2(rank1.readAll().contains("rank 1 of 2 joined"), "rank 1's log does not say it joined");
}

void tst_SlurmCli::queuedBehindABusyNode()
{
    // A job that holds every CPU of the node until a file appears.
    const QString go = m_dir.filePath("go-busy");
    int code = -1;
    QByteArray err;
    const QString busy =
        QString::fromUtf8(m_cluster.client("sbatch",
                                           {"--parsable", "-n", QString::number(m_cluster.cpus()), "--output=/dev/null",
                                            "--wrap", "while [ ! -e '" + go + "' ]; do sleep 0.1; done"},
                                           &code, &err))
            .trimmed();
    QVERIFY2(code == 0, err.constData());
    QTRY_COMPARE_WITH_TIMEOUT(m_cluster.jobState(busy), QString("RUNNING"), 30000);

    auto train = startCli(trainArgs("hpc", 1));
    QByteArray stderrText;
    QTRY_VERIFY2_WITH_TIMEOUT((stderrText += train->readAllStandardError()).contains("queued on debug: Resources"),
                              stderrText.constData(), 60000);
    const QString runId = runningRunId();
    QVERIFY(!runId.isEmpty());
    const QJsonObject tags = show(runId).value("tags").toObject();
    QCOMPARE(tags.value("slurm_state").toString(), QString("PENDING"));
    QVERIFY2(tags.value("pipewright.status_message").toString().startsWith("queued on debug: Resources"),
             qPrintable(tags.value("pipewright.status_message").toString()));

    QVERIFY(pw::test::writeFile(go, "go"));
    QVERIFY(train->waitForFinished(240000));
    const QJsonObject out = QJsonDocument::fromJson(train->readAllStandardOutput()).object();
    QCOMPARE(out.value("status").toString(), QString("FINISHED"));
    QCOMPARE(out.value("run_id").toString(), runId);
}

void tst_SlurmCli::cancelEndsTheJob()
{
    std::unique_ptr<QProcess> train;
    QString runId, jobId;
    heldAfterEpoch1(3, train, runId, jobId);
    if (QTest::currentTestFailed())
        return;
    ::kill(pid_t(train->processId()), SIGINT); // Ctrl-C
    QVERIFY(train->waitForFinished(120000));
    QCOMPARE(train->exitCode(), 1);
    const QJsonObject out = QJsonDocument::fromJson(train->readAllStandardOutput()).object();
    QCOMPARE(out.value("status").toString(), QString("KILLED"));
    QVERIFY2(out.value("message").toString().contains("Slurm job " + jobId + " was cancelled"),
             qPrintable(out.value("message").toString()));
    QCOMPARE(m_cluster.jobState(jobId), QString("CANCELLED"));
    const QString jobDir = m_workdir + "/runs/" + runId;
    QVERIFY2(processesMentioning(jobDir).isEmpty(), qPrintable(processesMentioning(jobDir).join('\n')));
    QCOMPARE(show(runId).value("status").toString(), QString("KILLED"));
}

void tst_SlurmCli::killedRankFailsTheRun()
{
    QVERIFY(m_hold.hold("epoch-1-end"));
    auto train = startCli(trainArgs("hpc", 2));
    QTRY_VERIFY_WITH_TIMEOUT(m_hold.isHeld("epoch-1-end"), 120000);
    const QString runId = runningRunId();
    QStringList workers;
    for (const QString &p : processesMentioning(m_workdir + "/runs/" + runId)) {
        if (p.section(": ", 1).startsWith(workerPath() + " train"))
            workers << p;
    }
    QCOMPARE(workers.size(), 1);
    ::kill(workers.first().section(u':', 0, 0).toInt(), SIGKILL);
    QVERIFY(train->waitForFinished(120000));
    const QJsonObject out = QJsonDocument::fromJson(train->readAllStandardOutput()).object();
    QCOMPARE(out.value("status").toString(), QString("FAILED"));
    const QString message = out.value("message").toString();
    QVERIFY2(message.contains("rank 0 on localhost was killed (signal 9)"), qPrintable(message));
    QVERIFY2(message.contains("Slurm job "), qPrintable(message));
}

void tst_SlurmCli::attachFollowsTheJob()
{
    // The supervising CLI dies while the job trains; `runs attach` follows the same job to its end.
    QVERIFY(m_hold.hold("epoch-1-end"));
    auto train = startCli(trainArgs("hpc", 2));
    QTRY_VERIFY_WITH_TIMEOUT(m_hold.isHeld("epoch-1-end"), 120000);
    const QString runId = runningRunId();
    train->kill();
    QVERIFY(train->waitForFinished(30000));
    auto attach = startCli({"runs", "attach", runId, "--json"});
    QByteArray stderrText;
    QTRY_VERIFY2_WITH_TIMEOUT((stderrText += attach->readAllStandardError()).contains("running on localhost"),
                              stderrText.constData(), 60000);
    m_hold.release("epoch-1-end");
    QVERIFY(attach->waitForFinished(240000));
    const QJsonObject out = QJsonDocument::fromJson(attach->readAllStandardOutput()).object();
    QVERIFY2(out.value("status").toString() == "FINISHED", qPrintable(out.value("message").toString()));
    const QJsonObject run = show(runId);
    QCOMPARE(run.value("history").toObject().value("val_accuracy").toArray().size(), 2); // each epoch once
}

void tst_SlurmCli::usr1RequeuesAndResumes()
{
    // Slurm's warning before the time limit (or a preemption) is USR1 to the job's tasks: the worker checkpoints and
    // asks to be requeued, the batch script requeues the job, and the requeued job resumes from the checkpoint. Each
    // epoch is counted once. The worker is held after epoch 1 while the signal is sent.
    std::unique_ptr<QProcess> train;
    QString runId, jobId;
    heldAfterEpoch1(3, train, runId, jobId);
    if (QTest::currentTestFailed())
        return;
    int code = -1;
    QByteArray err;
    m_cluster.client("scancel", {"--signal=USR1", jobId}, &code, &err); // the job's steps: the workers
    QVERIFY2(code == 0, err.constData());
    m_hold.release("epoch-1-end");
    QVERIFY(train->waitForFinished(300000));
    const QByteArray said = train->readAllStandardError();
    const QJsonObject out = QJsonDocument::fromJson(train->readAllStandardOutput()).object();
    QVERIFY2(out.value("status").toString() == "FINISHED", qPrintable(out.value("message").toString() + "\n" + said));
    QCOMPARE(out.value("run_id").toString(), runId);
    const QJsonObject run = show(runId);
    QCOMPARE(run.value("tags").toObject().value("slurm_restart_count").toString(), QString("1"));
    QCOMPARE(run.value("tags").toObject().value("slurm_job_id").toString(), jobId); // the same job, requeued
    for (const QString key : {"train_loss", "val_loss", "val_accuracy"}) {
        const QJsonArray history = run.value("history").toObject().value(key).toArray();
        QCOMPARE(history.size(), 3);
        for (int e = 0; e < 3; ++e)
            QCOMPARE(history.at(e).toObject().value("epoch").toInt(), e + 1);
    }
    QFile slurmOut(m_ws + "/artifacts/" + runId + "/slurm.out");
    QVERIFY(slurmOut.open(QIODevice::ReadOnly));
    const QByteArray log = slurmOut.readAll();
    QVERIFY2(log.contains("the workers checkpointed and ask to be requeued"), log.constData());
    QVERIFY2(log.contains("(restart 1)"), log.constData());
}

void tst_SlurmCli::scoresInPartsOnTheCluster()
{
    // A model trained here scores the table as one Slurm job of 2 tasks, each predicting its share; the predictions
    // are merged once and equal the ones this machine makes.
    const Result train = cli(
        {"train", "--table", "shapes", "--epochs", "1", "--image-size", "16", "--device", "cpu", "--json"});
    QVERIFY2(train.exitCode == 0, train.err.constData());
    const QString runId = train.json().value("run_id").toString();
    QVERIFY(cli({"models", "register", "--run", runId, "--name", "slurmscored"}).exitCode == 0);
    const Result onCluster = cli({"score", "--model", "slurmscored:1", "--table", "shapes", "--target", "hpc",
                                  "--processes-per-node", "2", "--review", "all", "--json"});
    QVERIFY2(onCluster.exitCode == 0, (onCluster.out + onCluster.err).constData());
    const QJsonObject out = onCluster.json();
    QCOMPARE(out.value("parts").toInt(), 2);
    QCOMPARE(out.value("target").toString(), QString("hpc"));
    QCOMPARE(out.value("failed").toInt(), 0);
    QVERIFY(out.value("wrote_version").toBool());
    const int images = out.value("scored").toInt();
    QVERIFY(images >= 40);
    QCOMPARE(out.value("inserted").toInt(), images); // merged once: one row per image

    auto exported = [this](const QString &name) {
        const QString file = m_dir.filePath(name);
        const Result r = cli({"predictions", "export", file, "--table", "shapes"});
        QMap<QString, QStringList> rows;
        QFile f(file);
        if (r.exitCode != 0 || !f.open(QIODevice::ReadOnly))
            return rows;
        f.readLine(); // header
        while (!f.atEnd()) {
            const QStringList cells = QString::fromUtf8(f.readLine()).trimmed().split(u',');
            rows.insert(cells.value(0), cells);
        }
        return rows;
    };
    const auto clusterRows = exported("cluster.csv");
    QCOMPARE(clusterRows.size(), images);
    const Result here = cli({"score", "--model", "slurmscored:1", "--table", "shapes", "--rescore", "--json"});
    QVERIFY2(here.exitCode == 0, here.err.constData());
    QCOMPARE(here.json().value("updated").toInt(), images);
    const auto localRows = exported("local.csv");
    QCOMPARE(localRows.size(), images);
    for (auto it = localRows.begin(); it != localRows.end(); ++it) {
        const QStringList c = clusterRows.value(it.key());
        QVERIFY2(c.value(1) == it.value().value(1), qPrintable(it.key() + ": " + c.join(',')));
        QVERIFY2(std::abs(c.value(2).toDouble() - it.value().value(2).toDouble()) < 1e-5,
                 qPrintable(it.key() + ": " + c.value(2) + " vs " + it.value().value(2)));
    }

    // Parts need a Slurm target: a usage error naming the option.
    const Result local = cli({"score", "--model", "slurmscored:1", "--table", "shapes", "--nodes", "2"});
    QCOMPARE(local.exitCode, 2);
    QVERIFY2(local.err.contains("--nodes: splitting the images needs a Slurm target; 'local' is not one"),
             local.err.constData());
}

void tst_SlurmCli::refusedJobs_data()
{
    QTest::addColumn<QStringList>("targetOptions");
    QTest::addColumn<QStringList>("trainOptions");
    QTest::addColumn<QString>("message");
    QTest::newRow("sbatch refuses --time")
        << QStringList{"--sbatch-arg", "--time=soon"} << QStringList{}
        << "sbatch on bad refused the job: sbatch: error: Invalid --time specification";
    QTest::newRow("worker missing") << QStringList{"--worker", "/nonexistent/pipewright-worker"} << QStringList{}
                                    << "bad: the worker '/nonexistent/pipewright-worker' is not on the cluster";
}

void tst_SlurmCli::refusedJobs()
{
    QFETCH(QStringList, targetOptions);
    QFETCH(QStringList, trainOptions);
    QFETCH(QString, message);
    const QStringList add = QStringList{"targets", "add", "bad", "slurm:", "--workdir", m_workdir} + targetOptions;
    const Result added = cli(targetOptions.contains("--worker") ? add : add + QStringList{"--worker", workerPath()});
    QVERIFY2(added.exitCode == 0, added.err.constData());
    const Result r = cli(trainArgs("bad", 1) + trainOptions);
    cli({"targets", "remove", "bad"});
    QCOMPARE(r.exitCode, 1);
    QCOMPARE(r.json().value("status").toString(), QString("FAILED"));
    QVERIFY2(r.json().value("message").toString().contains(message), r.out.constData());
}

void tst_SlurmCli::throughSsh()
{
    // The same cluster's submit host reached with ssh: the remote login shell finds the cluster by SetEnv.
    pw::test::SshServer sshd;
    sshd.addConfig("SetEnv SLURM_CONF=" + m_cluster.confPath() + "\n");
    QVERIFY2(sshd.start(), qPrintable(sshd.errorString()));
    QVERIFY(sshd.trustHostKey());
    qputenv("PIPEWRIGHT_SSH_CONFIG", sshd.clientConfigPath().toUtf8());
    const QString url = "slurm://" + sshd.user() + "@127.0.0.1:" + QString::number(sshd.port());
    const Result add = cli({"targets", "add", "login", url, "--workdir", m_dir.filePath("viassh"), "--worker",
                            workerPath(), "--partition", "debug"});
    QVERIFY2(add.exitCode == 0, add.err.constData());
    const Result test = cli({"targets", "test", "login", "--json"});
    QVERIFY2(test.exitCode == 0, (test.out + test.err).constData());
    QCOMPARE(test.json().value("cluster").toString(), QString("pwtest"));
    const Result r = cli(trainArgs("login", 1));
    qunsetenv("PIPEWRIGHT_SSH_CONFIG");
    QVERIFY2(r.exitCode == 0, (r.out + r.err).constData());
    QCOMPARE(r.json().value("status").toString(), QString("FINISHED"));
    QVERIFY(QFile::exists(m_ws + "/artifacts/" + r.json().value("run_id").toString() + "/model.pt"));
    QVERIFY(QFile::exists(m_dir.filePath("viassh") + "/runs/" + r.json().value("run_id").toString() + "/model.pt"));
}

void tst_SlurmCli::impossibleJobsWaitWithSlurmsReason_data()
{
    QTest::addColumn<QStringList>("trainOptions");
    QTest::newRow("more nodes than the cluster has") << QStringList{"--nodes", "3"};
    QTest::newRow("more ranks than a node holds") << QStringList{"--processes-per-node", "512"};
}

void tst_SlurmCli::impossibleJobsWaitWithSlurmsReason()
{
    // sbatch takes a job this one-node cluster can never run: the run says it is queued and why, in Slurm's
    // words, and Ctrl-C ends it KILLED.
    QFETCH(QStringList, trainOptions);
    auto train = startCli(trainArgs("hpc", 1) + trainOptions);
    QByteArray stderrText;
    QTRY_VERIFY2_WITH_TIMEOUT((stderrText += train->readAllStandardError()).contains("queued on debug: "),
                              stderrText.constData(), 60000);
    const QString runId = runningRunId();
    QVERIFY(!runId.isEmpty());
    const QJsonObject tags = show(runId).value("tags").toObject();
    QCOMPARE(tags.value("slurm_state").toString(), QString("PENDING"));
    const QString said = tags.value("pipewright.status_message").toString();
    QVERIFY2(said.startsWith("queued on debug: ") && said.size() > QString("queued on debug: ").size(),
             qPrintable(said));
    qInfo("%s", qPrintable(said));
    ::kill(pid_t(train->processId()), SIGINT);
    QVERIFY(train->waitForFinished(120000));
    QCOMPARE(QJsonDocument::fromJson(train->readAllStandardOutput()).object().value("status").toString(),
             QString("KILLED"));
}

QTEST_GUILESS_MAIN(tst_SlurmCli)
#include "tst_slurmcli.moc"
