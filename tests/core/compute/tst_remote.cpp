// Remote execution over SSH against a real sshd on 127.0.0.1 (tests/SshServer): compute targets, a training
// run on a Fashion-MNIST subset through the target, the shard copied once, cancel, reattach after the ssh client
// is killed, a worker that disappears, and every way the connection can be refused.
#include "core/compute/Ssh.h"
#include "core/compute/Targets.h"
#include "core/compute/Training.h"
#include "core/compute/WorkerProcess.h"
#include "core/data/FashionMnist.h"
#include "core/ingest/Ingestor.h"
#include "core/store/Database.h"
#include "core/store/Workspace.h"
#include "core/track/Tracker.h"
#include "tests/SshServer.h"
#include "tests/WorkerHold.h"

#include <QDir>
#include <QDirIterator>
#include <QElapsedTimer>
#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QProcess>
#include <QTemporaryDir>
#include <QTest>

#include <csignal>

using namespace pw;

class tst_Remote : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void cleanup();
    void cleanupTestCase();
    void targetsAreValidatedAndStored();
    void argumentsReachTheHostQuoted();
    void testReportsTheWorker();
    void trainsThroughTheTarget();
    void shardIsNotCopiedTwice();
    void scoresThroughTheTarget();
    void cancelStopsTheRemoteWorker();
    void killedSshClientReattaches();
    void vanishedWorkerFailsWithReason();
    void connectionRefused();
    void wrongKeyRefused();
    void unknownHostKeyRefused();
    void changedHostKeyRefused();
    void missingWorker();
    void cliTargets();
    void pipelineTaskRunsOnTarget();
    void attachAfterTheSupervisorDied();

private:
    compute::Target target(const std::string &name = "box") const;
    compute::TrainRequest request(int epochs) const;
    /** Processes whose command line mentions `text` (the "remote" is this machine). */
    static QStringList processesMentioning(const QString &text);
    /**
     * compute::runTraining that never throws out of a test function: an exception fails the test and comes back
     * as the status "THREW" with its message, which the caller's status check then shows.
     */
    compute::TrainOutcome train(const compute::TrainRequest &request, const compute::TrainObserver &observer = {},
                                const std::atomic<bool> *cancel = nullptr);
    /** A 1-epoch training on `t`, added to the workspace for the run and removed after it. */
    compute::TrainOutcome trainOn(const compute::Target &t);
    std::int64_t count(const std::string &sql) const;

    QTemporaryDir m_dir;
    test::SshServer m_sshd;
    test::WorkerHold m_hold; // the remote worker runs on this machine: the same hold folder serves it
    std::optional<store::Workspace> m_ws;
    QString m_remoteDir;
};

void tst_Remote::initTestCase()
{
    QVERIFY(m_dir.isValid());
    QVERIFY2(m_sshd.start(), qPrintable(m_sshd.errorString()));
    QVERIFY(m_sshd.trustHostKey());
    qputenv("PIPEWRIGHT_SSH_CONFIG", m_sshd.clientConfigPath().toUtf8());
    QVERIFY2(QFile::exists(QString(data::kFashionMnistDir) + "/train-images-idx3-ubyte.gz"),
             "dataset-fashion-mnist is not installed (run packaging/install-deps.sh)");
    const std::string images = m_dir.filePath("images").toStdString();
    QCOMPARE(data::writeFashionMnist(images, "train", 1200), 1200);
    m_ws = store::Workspace::open(m_dir.filePath("ws").toStdString());
    ingest::IngestOptions o;
    o.source = images;
    o.table = "fashion";
    QCOMPARE(ingest::ingest(*m_ws, o).added, 1200);
    m_remoteDir = m_dir.filePath("remote");
    auto db = m_ws->openCatalog();
    compute::addTarget(*db, target());
}

void tst_Remote::cleanup()
{
    m_hold.releaseAll(); // a test that failed while it held a worker lets it finish
}

void tst_Remote::cleanupTestCase()
{
    // Nothing started through the "remote" may outlive the tests.
    QTRY_VERIFY_WITH_TIMEOUT(processesMentioning(m_remoteDir + "/runs").isEmpty(), 30000);
}

compute::Target tst_Remote::target(const std::string &name) const
{
    return compute::makeSshTarget(name, m_sshd.url().toStdString(), m_remoteDir.toStdString(),
                                  compute::workerPath().toStdString());
}

compute::TrainRequest tst_Remote::request(int epochs) const
{
    compute::TrainRequest r;
    r.table = "fashion";
    r.experiment = "remote";
    r.epochs = epochs;
    r.device = pw::compute::Device::Cpu;
    r.target = "box";
    return r;
}

QStringList tst_Remote::processesMentioning(const QString &text)
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

compute::TrainOutcome tst_Remote::train(const compute::TrainRequest &request, const compute::TrainObserver &observer,
                                        const std::atomic<bool> *cancel)
{
    try {
        return compute::runTraining(*m_ws, request, observer, cancel);
    } catch (const std::exception &e) {
        QTest::qFail(qPrintable(QString("training threw: ") + e.what()), __FILE__, __LINE__);
        compute::TrainOutcome threw;
        threw.status = "THREW";
        threw.message = e.what();
        return threw;
    }
}

compute::TrainOutcome tst_Remote::trainOn(const compute::Target &t)
{
    auto db = m_ws->openCatalog();
    compute::addTarget(*db, t);
    auto req = request(1);
    req.target = t.name;
    const auto outcome = train(req);
    compute::removeTarget(*db, t.name);
    return outcome;
}

std::int64_t tst_Remote::count(const std::string &sql) const
{
    auto db = m_ws->openCatalog();
    store::Statement st(*db, sql);
    return st.step() ? st.int64(0) : -1;
}

void tst_Remote::targetsAreValidatedAndStored()
{
    auto db = m_ws->openCatalog();
    const auto names = compute::targetNames(*db);
    QCOMPARE(names, (std::vector<std::string>{"local", "box"}));
    const auto box = compute::findTarget(*db, "box");
    QCOMPARE(box.port, m_sshd.port());
    QCOMPARE(QString::fromStdString(box.user), m_sshd.user());
    QCOMPARE(box.url(), m_sshd.url().toStdString());
    QCOMPARE(compute::makeSshTarget("v6", "ssh://me@[::1]:2200", "/w").host, std::string("::1"));
    QCOMPARE(compute::makeSshTarget("plain", "ssh://gpu-box", "/w/").workdir, std::string("/w"));

    auto expectInvalid = [](const std::function<void()> &f, const char *needle) {
        try {
            f();
        } catch (const std::invalid_argument &e) {
            QVERIFY2(QString(e.what()).contains(needle), e.what());
            return;
        }
        QFAIL(qPrintable(QString("no error; expected one containing '%1'").arg(needle)));
    };
    expectInvalid([] { compute::makeSshTarget("x", "http://host", "/w"); }, "is not ssh://");
    expectInvalid([] { compute::makeSshTarget("x", "ssh://host:70000", "/w"); }, "outside 1..65535");
    expectInvalid([] { compute::makeSshTarget("x", "ssh://host; rm -rf /", "/w"); }, "is not ssh://");
    expectInvalid([] { compute::makeSshTarget("x", "ssh://-oProxyCommand=evil", "/w"); }, "is not ssh://");
    expectInvalid([] { compute::makeSshTarget("x", "ssh://host", "relative/dir"); }, "absolute");
    expectInvalid([] { compute::makeSshTarget("bad name", "ssh://host", "/w"); }, "letters, digits");
    expectInvalid([] { compute::makeSshTarget("local", "ssh://host", "/w"); }, "always there");
    expectInvalid([&] { compute::addTarget(*db, target()); }, "exists already");
    expectInvalid([&] { compute::removeTarget(*db, "local"); }, "cannot be removed");
    expectInvalid([&] { compute::removeTarget(*db, "nope"); }, "unknown compute target 'nope' (targets: local, box");
    expectInvalid([&] { compute::findTarget(*db, "nope"); }, "targets: local, box");

    compute::addTarget(*db, compute::makeSshTarget("spare", "ssh://h", "/w"));
    QCOMPARE(compute::targetNames(*db).size(), std::size_t(3));
    compute::removeTarget(*db, "spare");
    QCOMPARE(compute::targetNames(*db).size(), std::size_t(2));

    // An unknown target is refused before any shard is built or run created.
    compute::TrainRequest r = request(1);
    r.target = "nowhere";
    const auto runsBefore = count("SELECT count(*) FROM runs");
    expectInvalid([&] { compute::runTraining(*m_ws, r); }, "unknown compute target 'nowhere'");
    QCOMPARE(count("SELECT count(*) FROM runs"), runsBefore);
}

void tst_Remote::argumentsReachTheHostQuoted()
{
    // Every argument arrives as one argument, byte for byte: nothing is interpolated by the remote shell.
    const QStringList nasty{"plain",
                            "two words",
                            "it's",
                            "$(touch " + m_dir.filePath("pwned") + ")",
                            "`id`",
                            "a;b|c&d",
                            "*",
                            "\"dq\"",
                            "back\\slash",
                            "$HOME",
                            "",
                            "new\nline",
                            "~"};
    QStringList argv{"printf", "[%s]\\n"};
    argv += nasty;
    const auto r = compute::ssh::run(target(), argv);
    QVERIFY2(r.exitCode == 0, r.err.constData());
    QString expected;
    for (const QString &a : nasty)
        expected += "[" + a + "]\n";
    QCOMPARE(QString::fromUtf8(r.out), expected);
    QVERIFY(!QFile::exists(m_dir.filePath("pwned")));
}

void tst_Remote::testReportsTheWorker()
{
    const QJsonObject r = compute::testTarget(target());
    QVERIFY2(!r.contains("error"), qPrintable(r.value("error").toString()));
    QCOMPARE(r.value("name").toString(), QString("box"));
    QCOMPARE(r.value("reachable").toBool(), true);
    QVERIFY(!r.value("worker").toString().isEmpty());
    QVERIFY(r.value("torch").toString().contains('.'));
    QVERIFY(r.value("cuda").isBool());
    const QJsonArray devices = r.value("devices").toArray();
    QVERIFY(!devices.isEmpty());
    QCOMPARE(devices.first().toObject().value("type").toString(), QString("cpu"));
    const QJsonObject local = compute::testTarget(compute::localTarget());
    QCOMPARE(local.value("reachable").toBool(), true);
    QCOMPARE(local.value("worker"), r.value("worker"));
}

void tst_Remote::trainsThroughTheTarget()
{
    std::vector<QJsonObject> events;
    const auto outcome = train(request(2), [&](const QJsonObject &e) { events.push_back(e); });
    QVERIFY2(outcome.status == "FINISHED", outcome.message.c_str());
    QCOMPARE(outcome.epochs, std::int64_t(2));
    QVERIFY2(outcome.metrics.at("val_accuracy") > 0.5, qPrintable(QString::number(outcome.metrics.at("val_accuracy"))));

    auto has = [&](const char *type) {
        return std::count_if(events.begin(), events.end(),
                             [&](const QJsonObject &e) { return e.value("event") == type; });
    };
    QCOMPARE(has("remote_started"), 1L);
    QCOMPARE(has("remote_fetched"), 1L);
    QCOMPARE(has("started"), 1L);
    QCOMPARE(has("finished"), 1L);
    QVERIFY(has("metric") >= 6);
    const auto upload = std::find_if(events.begin(), events.end(),
                                     [](const QJsonObject &e) { return e.value("event") == "remote_upload"; });
    QVERIFY(upload != events.end());
    QCOMPARE(upload->value("copied").toBool(), true);
    QVERIFY(upload->value("bytes").toInteger() > 1200 * 28 * 28 / 2);

    // The model and logs came back into the run's artifacts; the worker ran in the target's workdir.
    const QString runDir = QString::fromStdString(m_ws->artifactsDir() + "/" + outcome.runId);
    for (const char *f : {"model.pt", "classes.txt", "events.jsonl", "worker.log"})
        QVERIFY2(QFile::exists(runDir + "/" + f), f);
    QVERIFY(QFile::exists(m_remoteDir + "/runs/" + QString::fromStdString(outcome.runId) + "/model.pt"));
    auto db = m_ws->openCatalog();
    track::Tracker tracker(*db);
    QCOMPARE(tracker.params(outcome.runId).at("target"), std::string("box"));
    bool modelArtifact = false;
    for (const auto &a : tracker.artifacts(outcome.runId))
        modelArtifact |= a.path == "model.pt" && a.kind == "model";
    QVERIFY(modelArtifact);
    // Every metric the worker printed was logged once.
    QFile log(runDir + "/events.jsonl");
    QVERIFY(log.open(QIODevice::ReadOnly));
    const auto printed = log.readAll().count("\"event\":\"metric\"");
    QCOMPARE(count("SELECT count(*) FROM metrics WHERE run_id = '" + outcome.runId + "'"), std::int64_t(printed));
    // The run's model works here: evaluate it locally.
    const auto eval = compute::evaluateRun(*m_ws, outcome.runId, "fashion");
    QVERIFY(eval.accuracy > 0.5);
}

void tst_Remote::shardIsNotCopiedTwice()
{
    const QDir shards(m_remoteDir + "/shards");
    const QStringList before = shards.entryList(QDir::Dirs | QDir::NoDotAndDotDot);
    QCOMPARE(before.size(), 1);
    const QDateTime mtime = QFileInfo(shards.filePath(before.first()) + "/train_images.npy").lastModified();
    std::vector<QJsonObject> uploads;
    const auto outcome = train(request(1), [&](const QJsonObject &e) {
        if (e.value("event") == "remote_upload")
            uploads.push_back(e);
    });
    QVERIFY2(outcome.status == "FINISHED", outcome.message.c_str());
    QCOMPARE(uploads.size(), std::size_t(1));
    QCOMPARE(uploads.front().value("copied").toBool(), false);
    QCOMPARE(uploads.front().value("bytes").toInteger(), 0);
    QCOMPARE(shards.entryList(QDir::Dirs | QDir::NoDotAndDotDot), before);
    QCOMPARE(QFileInfo(shards.filePath(before.first()) + "/train_images.npy").lastModified(), mtime);
}

void tst_Remote::scoresThroughTheTarget()
{
    // predictFile on the target: the model and images go there, the probabilities come back.
    const auto outcome = train(request(1));
    QVERIFY2(outcome.status == "FINISHED", outcome.message.c_str());
    const std::string shard = QDir(QString::fromStdString(m_ws->shardsDir()))
                                  .entryInfoList(QDir::Dirs | QDir::NoDotAndDotDot)
                                  .first()
                                  .absoluteFilePath()
                                  .toStdString();
    const std::string model = m_ws->artifactsDir() + "/" + outcome.runId + "/model.pt";
    const std::string remoteOut = m_dir.filePath("probs-remote.npy").toStdString();
    const std::string localOut = m_dir.filePath("probs-local.npy").toStdString();
    QVERIFY_THROWS_NO_EXCEPTION(
        compute::predictFile(model, shard + "/val_images.npy", remoteOut, nullptr, {}, target()));
    QVERIFY_THROWS_NO_EXCEPTION(compute::predictFile(model, shard + "/val_images.npy", localOut));
    QFile a(QString::fromStdString(remoteOut)), b(QString::fromStdString(localOut));
    QVERIFY(a.open(QIODevice::ReadOnly) && b.open(QIODevice::ReadOnly));
    const QByteArray remoteBytes = a.readAll();
    QVERIFY(remoteBytes.size() > 100);
    QCOMPARE(remoteBytes, b.readAll()); // the same worker and model: the same probabilities
    // The images served this job only: gone from the host with the job's folder; the model stays for the next.
    const QStringList blobs = QDir(m_remoteDir + "/blobs").entryList(QDir::Files);
    QCOMPARE(blobs.size(), 1);
    QVERIFY2(blobs.first().endsWith("-model.pt"), qPrintable(blobs.first()));
    QVERIFY(QDir(m_remoteDir + "/runs").entryList({"predict-*"}, QDir::Dirs).isEmpty());
}

void tst_Remote::cancelStopsTheRemoteWorker()
{
    // The worker waits after its first epoch until the cancel reaches it: it cannot run to the end first.
    QVERIFY(m_hold.hold("epoch-1-end"));
    std::atomic<bool> cancel{false};
    QElapsedTimer sinceCancel;
    const auto outcome = train(
        request(50),
        [&](const QJsonObject &e) {
            if (e.value("event") == "metric" && !cancel) {
                cancel = true;
                sinceCancel.start();
            }
        },
        &cancel);
    QCOMPARE(outcome.status, std::string("KILLED"));
    QVERIFY(outcome.epochs <= 1); // stopped in the first epoch, or where it was held at the first epoch's end
    qInfo("remote cancel took %lld ms", static_cast<long long>(sinceCancel.elapsed()));
    // No worker is left on the "remote": the job's folder is in no command line.
    const QString job = m_remoteDir + "/runs/" + QString::fromStdString(outcome.runId);
    QTRY_VERIFY2_WITH_TIMEOUT(processesMentioning(job).isEmpty(), qPrintable(processesMentioning(job).join('\n')),
                              60000);
    QFile code(job + "/exit_code");
    QVERIFY(code.open(QIODevice::ReadOnly));
    QCOMPARE(code.readAll().trimmed(), QByteArray("3")); // the worker's "stopped by a signal" exit
    QVERIFY(QFile::exists(QString::fromStdString(m_ws->artifactsDir() + "/" + outcome.runId) + "/checkpoint.pt"));
}

void tst_Remote::killedSshClientReattaches()
{
    // While the run trains, kill the ssh client that streams its events (as a dropped link would end it), twice.
    // The worker waits at the end of epochs 1 and 2 until the stream is back: the kill always finds the worker
    // running (on a fast machine the run could otherwise end before the kill lands).
    QVERIFY(m_hold.hold("epoch-1-end"));
    QVERIFY(m_hold.hold("epoch-2-end"));
    int killed = 0;
    int reattached = 0;
    std::vector<std::pair<std::int64_t, std::string>> metricKeys;
    const auto outcome = train(request(3), [&](const QJsonObject &e) {
        if (e.value("event") == "remote_reattached") {
            ++reattached;
            m_hold.release("epoch-" + QString::number(reattached) + "-end");
        }
        if (e.value("event") == "metric")
            metricKeys.emplace_back(e.value("step").toInteger(), e.value("key").toString().toStdString());
        if (e.value("event") == "metric" && killed < 2 && e.value("key") == "val_accuracy") {
            for (const QString &p : processesMentioning("remote_exit")) {
                if (p.contains("ssh ") || p.contains("/ssh")) {
                    ::kill(p.section(':', 0, 0).toInt(), SIGKILL);
                    ++killed;
                }
            }
        }
    });
    QVERIFY2(outcome.status == "FINISHED", outcome.message.c_str());
    QCOMPARE(killed, 2);
    QCOMPARE(reattached, 2);
    QCOMPARE(outcome.epochs, std::int64_t(3));
    // Each event arrived once: the stream resumed where it stopped.
    auto sorted = metricKeys;
    std::sort(sorted.begin(), sorted.end());
    QVERIFY(std::adjacent_find(sorted.begin(), sorted.end()) == sorted.end());
    QFile log(QString::fromStdString(m_ws->artifactsDir() + "/" + outcome.runId) + "/events.jsonl");
    QVERIFY(log.open(QIODevice::ReadOnly));
    QCOMPARE(std::int64_t(metricKeys.size()), std::int64_t(log.readAll().count("\"event\":\"metric\"")));
    QCOMPARE(count("SELECT count(*) FROM metrics WHERE run_id = '" + outcome.runId + "'"),
             std::int64_t(metricKeys.size()));
}

void tst_Remote::vanishedWorkerFailsWithReason()
{
    // The worker and its supervising shell on the host are killed outright (as by a reboot or the OOM killer
    // taking both): no exit status is ever written. The run ends FAILED and says so.
    QVERIFY(m_hold.hold("epoch-1-end")); // the worker is still there when it is killed
    bool done = false;
    const auto outcome = train(request(50), [&](const QJsonObject &e) {
        if (e.value("event") != "metric" || done)
            return;
        done = true;
        // The supervising shells first (so none of them can write the exit status), then the worker.
        const QStringList procs = processesMentioning(m_remoteDir + "/runs/");
        for (const QString &p : procs) {
            if (p.section(": ", 1).startsWith("sh -c"))
                ::kill(p.section(':', 0, 0).toInt(), SIGKILL);
        }
        for (const QString &p : procs) {
            if (p.contains("pipewright-worker train"))
                ::kill(p.section(':', 0, 0).toInt(), SIGKILL);
        }
    });
    QVERIFY(done);
    QCOMPARE(outcome.status, std::string("FAILED"));
    QVERIFY2(QString::fromStdString(outcome.message).contains("gone without an exit status"), outcome.message.c_str());
}

void tst_Remote::connectionRefused()
{
    auto t = compute::makeSshTarget(
        "closed", "ssh://127.0.0.1:" + std::to_string(test::SshServer::freePortWithNothingListening()),
        m_remoteDir.toStdString(), compute::workerPath().toStdString());
    const QJsonObject r = compute::testTarget(t);
    QCOMPARE(r.value("reachable").toBool(), false);
    QVERIFY2(r.value("error").toString().contains("connection refused"), qPrintable(r.value("error").toString()));
    const auto outcome = trainOn(t);
    QCOMPARE(outcome.status, std::string("FAILED"));
    QVERIFY2(QString::fromStdString(outcome.message).contains("connection refused"), outcome.message.c_str());
}

void tst_Remote::wrongKeyRefused()
{
    auto t = target();
    t.identity = m_sshd.otherUserKey().toStdString();
    qputenv("PIPEWRIGHT_SSH_CONFIG", m_sshd.clientConfigPath(test::SshServer::Identity::None).toUtf8());
    const QJsonObject r = compute::testTarget(t);
    qputenv("PIPEWRIGHT_SSH_CONFIG", m_sshd.clientConfigPath().toUtf8());
    QCOMPARE(r.value("reachable").toBool(), false);
    QVERIFY2(r.value("error").toString().contains("refused the key"), qPrintable(r.value("error").toString()));
    QVERIFY(r.value("error").toString().contains(QString::fromStdString(t.identity)));
}

void tst_Remote::unknownHostKeyRefused()
{
    QVERIFY(m_sshd.forgetHostKey());
    const QJsonObject r = compute::testTarget(target());
    const auto run = train(request(1));
    QVERIFY(m_sshd.trustHostKey());
    QCOMPARE(r.value("reachable").toBool(), false);
    const QString e = r.value("error").toString();
    QVERIFY2(e.contains("not in known_hosts") && e.contains("ssh-keyscan -p " + QString::number(m_sshd.port())),
             qPrintable(e));
    QCOMPARE(run.status, std::string("FAILED"));
    QVERIFY2(QString::fromStdString(run.message).contains("not in known_hosts"), run.message.c_str());
}

void tst_Remote::changedHostKeyRefused()
{
    QVERIFY(m_sshd.trustWrongHostKey());
    const QJsonObject r = compute::testTarget(target());
    QVERIFY(m_sshd.trustHostKey());
    QCOMPARE(r.value("reachable").toBool(), false);
    const QString e = r.value("error").toString();
    QVERIFY2(e.contains("host key has CHANGED") && e.contains("ssh-keygen -R"), qPrintable(e));
}

void tst_Remote::missingWorker()
{
    auto t = compute::makeSshTarget("noworker", m_sshd.url().toStdString(), m_remoteDir.toStdString(),
                                    "/nonexistent/pipewright-worker");
    const QJsonObject r = compute::testTarget(t);
    QCOMPARE(r.value("reachable").toBool(), true);
    QVERIFY2(r.value("error").toString().contains("is not on noworker"), qPrintable(r.value("error").toString()));
    const auto outcome = trainOn(t);
    QCOMPARE(outcome.status, std::string("FAILED"));
    QVERIFY2(QString::fromStdString(outcome.message).contains("is not on this host"), outcome.message.c_str());
}

void tst_Remote::cliTargets()
{
    auto cli = [&](const QStringList &args, int expectedExit) {
        QProcess p;
        p.start(PIPEWRIGHT_BIN, args + QStringList{"--workspace", QString::fromStdString(m_ws->root())});
        p.waitForFinished(120000);
        const QByteArray out = p.readAllStandardOutput();
        const QByteArray err = p.readAllStandardError();
        if (p.exitCode() != expectedExit)
            qWarning("%s", (out + err).constData());
        [&] { QCOMPARE(p.exitCode(), expectedExit); }();
        return std::pair{QJsonDocument::fromJson(out), QString::fromUtf8(err)};
    };
    const auto [added, e1] = cli({"targets", "add", "cli-box", m_sshd.url(), "--workdir", m_remoteDir, "--worker",
                                  compute::workerPath(), "--json"},
                                 0);
    QCOMPARE(added.object().value("name").toString(), QString("cli-box"));
    QCOMPARE(added.object().value("port").toInt(), m_sshd.port());
    const auto [listed, e2] = cli({"targets", "list", "--json"}, 0);
    QStringList names;
    for (const auto &v : listed.array())
        names << v.toObject().value("name").toString();
    QCOMPARE(names, (QStringList{"local", "box", "cli-box"}));
    const auto [tested, e3] = cli({"targets", "test", "cli-box", "--json"}, 0);
    for (const char *key : {"name", "reachable", "worker", "torch", "cuda", "devices"})
        QVERIFY2(tested.object().contains(key), key);
    QCOMPARE(tested.object().value("reachable").toBool(), true);
    const auto [bad, e4] = cli({"targets", "add", "x", "ftp://h", "--workdir", "/w"}, 2);
    QVERIFY2(e4.contains("is not ssh://"), qPrintable(e4));
    const auto [missing, e5] = cli({"targets", "add", "x", "ssh://h"}, 2);
    QVERIFY2(e5.contains("--workdir"), qPrintable(e5));
    cli({"targets", "remove", "cli-box"}, 0);
    const auto [gone, e6] = cli({"targets", "remove", "cli-box"}, 1);
    QVERIFY2(e6.contains("unknown compute target 'cli-box'"), qPrintable(e6));
    const auto [trainBad, e7] = cli({"train", "--table", "fashion", "--target", "cli-box"}, 1);
    QVERIFY2(e7.contains("unknown compute target 'cli-box'"), qPrintable(e7));
}

void tst_Remote::pipelineTaskRunsOnTarget()
{
    // A train task naming the target runs there; a task naming a target the workspace lacks fails saying so.
    const QString file = m_dir.filePath("remote-pipeline.json");
    auto write = [&](const QString &target) {
        QFile f(file);
        QVERIFY(f.open(QIODevice::WriteOnly | QIODevice::Truncate));
        f.write(QString(R"({"name": "remote-train", "tasks": [{"task_key": "train", "type": "train", "target": "%1",
                         "params": {"table": "fashion", "epochs": 1, "experiment": "pipeline-remote", "device": "cpu"}}]})")
                    .arg(target)
                    .toUtf8());
    };
    auto runPipeline = [&] {
        QProcess p;
        p.start(PIPEWRIGHT_BIN,
                {"pipeline", "run", file, "--workspace", QString::fromStdString(m_ws->root()), "--json"});
        p.waitForFinished(300000);
        return std::pair{p.exitCode(), QJsonDocument::fromJson(p.readAllStandardOutput()).object()};
    };
    write("box");
    const auto [code, run] = runPipeline();
    QCOMPARE(code, 0);
    QCOMPARE(run.value("result_state").toString(), QString("SUCCESS"));
    auto db = m_ws->openCatalog();
    track::Tracker tracker(*db);
    const auto runs = tracker.runs("pipeline-remote");
    QCOMPARE(runs.size(), std::size_t(1));
    QCOMPARE(tracker.params(runs.front().runId).at("target"), std::string("box"));
    QVERIFY(QFile::exists(m_remoteDir + "/runs/" + QString::fromStdString(runs.front().runId) + "/model.pt"));

    write("elsewhere");
    const auto [failCode, failed] = runPipeline();
    QCOMPARE(failCode, 1);
    QCOMPARE(failed.value("result_state").toString(), QString("FAILED"));
    const QString message = QJsonDocument(failed).toJson();
    QVERIFY2(message.contains("unknown compute target 'elsewhere'"), qPrintable(message));
}

void tst_Remote::attachAfterTheSupervisorDied()
{
    // The CLI that started a remote run is killed outright; the worker goes on there. `runs attach` (here its
    // function) follows it to the end: every metric once, the model back, the run FINISHED.
    // The worker waits after its first batch until the CLI is gone: it cannot finish while the CLI still follows it.
    QVERIFY(m_hold.hold("epoch-1-batch-1"));
    QProcess cli;
    cli.start(PIPEWRIGHT_BIN, {"train", "--table", "fashion", "--epochs", "3", "--device", "cpu", "--experiment",
                               "attach", "--target", "box", "--workspace", QString::fromStdString(m_ws->root())});
    QVERIFY(cli.waitForStarted());
    QTRY_VERIFY_WITH_TIMEOUT(m_hold.isHeld("epoch-1-batch-1") || cli.state() == QProcess::NotRunning, 120000);
    QVERIFY2(cli.state() == QProcess::Running, cli.readAllStandardError().constData());
    std::string runId;
    {
        auto db = m_ws->openCatalog();
        track::Tracker tracker(*db);
        const auto runs = tracker.runs("attach");
        QCOMPARE(runs.size(), std::size_t(1));
        runId = runs.front().runId;
        QCOMPARE(runs.front().status, std::string("RUNNING"));
    }
    cli.kill();
    QVERIFY(cli.waitForFinished(-1));
    m_hold.release("epoch-1-batch-1");
    compute::TrainOutcome outcome;
    try {
        outcome = compute::attachTraining(*m_ws, runId.substr(0, 8));
    } catch (const std::exception &e) {
        QFAIL(qPrintable(QString("attaching failed: ") + e.what()));
    }
    QVERIFY2(outcome.status == "FINISHED", outcome.message.c_str());
    QCOMPARE(outcome.runId, runId);
    QCOMPARE(outcome.epochs, std::int64_t(3));
    const QString runDir = QString::fromStdString(m_ws->artifactsDir() + "/" + runId);
    QVERIFY(QFile::exists(runDir + "/model.pt"));
    QFile log(runDir + "/events.jsonl");
    QVERIFY(log.open(QIODevice::ReadOnly));
    QCOMPARE(count("SELECT count(*) FROM metrics WHERE run_id = '" + runId + "'"),
             std::int64_t(log.readAll().count("\"event\":\"metric\"")));

    auto expectRefused = [&](const std::string &run, const char *needle) {
        try {
            compute::attachTraining(*m_ws, run);
        } catch (const std::invalid_argument &e) {
            QVERIFY2(QString(e.what()).contains(needle), e.what());
            return;
        } catch (const std::exception &e) {
            QFAIL(qPrintable(QString("attaching failed otherwise: ") + e.what()));
        }
        QFAIL("attaching was not refused");
    };
    expectRefused(runId, "has ended (FINISHED)");
    auto local = request(1);
    local.target = "local";
    const auto localRun = train(local);
    QCOMPARE(localRun.status, std::string("FINISHED"));
    expectRefused(localRun.runId, "ran on this machine");
}

QTEST_GUILESS_MAIN(tst_Remote)
#include "tst_remote.moc"
