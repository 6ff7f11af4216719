// Training runs end to end through the real worker process: shards, tracking, events, evaluation,
// cancel (KILLED, no worker left) and a worker killed mid-run (FAILED, metrics kept).
#include "core/compute/Training.h"
#include "core/ingest/Ingestor.h"
#include "core/store/Database.h"
#include "core/store/Workspace.h"
#include "core/track/Tracker.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QJsonDocument>
#include <QProcess>
#include <QTemporaryDir>
#include <QTest>

#include "tests/TestData.h"
#include "tests/WorkerHold.h"
#include "tests/Tmpfs.h"

#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>

#include <csignal>
#include <random>

using namespace pw;

class tst_Training : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void trainTracksEverything();
    void evaluateStoresTheResult();
    void cancelEndsKilledWithNoWorkerLeft();
    void killedWorkerLeavesAFailedRun();
    void tableSmallerThanABatchTrains();
    void diskFullEndsTheRunFailed_data();
    void diskFullEndsTheRunFailed();
    void badRequests_data();
    void badRequests();

private:
    compute::TrainRequest request(int epochs) const;
    QTemporaryDir m_dir;
    std::optional<store::Workspace> m_ws;
    std::string m_finishedRun;
};

// 3 classes of 16x16 gray PNGs: bright top half, bright left half, dark with a bright centre; with noise.
void tst_Training::initTestCase()
{
    QVERIFY(m_dir.isValid());
    QVERIFY(test::writeShapeClasses(m_dir.filePath("src"), 80, 3));
    QDir().mkpath(m_dir.filePath("one/001.only"));
    for (int i = 0; i < 5; ++i)
        QVERIFY(cv::imwrite(m_dir.filePath(QString("one/001.only/%1.png").arg(i)).toStdString(),
                            cv::Mat(16, 16, CV_8U, cv::Scalar(i * 40))));
    m_ws = store::Workspace::open(m_dir.filePath("ws").toStdString());
    for (const auto &[src, table] : {std::pair{"src", "shapes"}, std::pair{"one", "single"}}) {
        ingest::IngestOptions o;
        o.source = m_dir.filePath(src).toStdString();
        o.table = table;
        ingest::ingest(*m_ws, o);
    }
}

compute::TrainRequest tst_Training::request(int epochs) const
{
    compute::TrainRequest r = test::shapesTraining();
    r.experiment = "tests";
    r.epochs = epochs;
    r.batchSize = 16;
    return r;
}

void tst_Training::trainTracksEverything()
{
    QStringList seen;
    const auto outcome = compute::runTraining(*m_ws, request(3),
                                              [&](const QJsonObject &e) { seen << e.value("event").toString(); });
    QCOMPARE(outcome.status, std::string("FINISHED"));
    QCOMPARE(outcome.epochs, 3);
    QCOMPARE(outcome.dataVersion, 1);
    QVERIFY2(outcome.metrics.at("val_accuracy") > 0.6, qPrintable(QString::number(outcome.metrics.at("val_accuracy"))));
    for (const char *type : {"shards_ready", "started", "metric", "checkpoint", "finished"})
        QVERIFY2(seen.contains(type), type);
    m_finishedRun = outcome.runId;

    auto db = m_ws->openCatalog();
    track::Tracker tracker(*db);
    const auto run = tracker.run(outcome.runId);
    QCOMPARE(run.status, std::string("FINISHED"));
    QCOMPARE(run.experiment, std::string("tests"));
    QCOMPARE(run.table, std::string("shapes"));
    QCOMPARE(run.device, std::string("cpu"));
    QVERIFY(run.imagesPerSecond > 0);
    const auto params = tracker.params(outcome.runId);
    QCOMPARE(params.at("model"), std::string("small-cnn"));
    QCOMPARE(params.at("epochs"), std::string("3"));
    QCOMPARE(params.at("image_size"), std::string("16"));
    QCOMPARE(params.at("table"), std::string("shapes"));
    QCOMPARE(params.at("data_version"), std::string("1"));
    QCOMPARE(qsizetype(tracker.metricHistory(outcome.runId, "val_accuracy").size()), 3);
    QStringList kinds;
    for (const auto &a : tracker.artifacts(outcome.runId)) {
        kinds << QString::fromStdString(a.kind);
        QVERIFY(a.size > 0);
        QVERIFY(QFile::exists(QString::fromStdString(m_ws->artifactsDir() + "/" + outcome.runId + "/" + a.path)));
    }
    QVERIFY(kinds.contains("model") && kinds.contains("checkpoint") && kinds.contains("classes"));
}

void tst_Training::evaluateStoresTheResult()
{
    QVERIFY(!m_finishedRun.empty());
    const auto r = compute::evaluateRun(*m_ws, m_finishedRun.substr(0, 8), "shapes");
    QCOMPARE(r.images, 240);
    QCOMPARE(r.skipped, 0);
    QCOMPARE(qsizetype(r.classes.size()), 3);
    std::int64_t total = 0, diagonal = 0;
    for (std::size_t i = 0; i < r.confusion.size(); ++i)
        for (std::size_t j = 0; j < r.confusion[i].size(); ++j) {
            total += r.confusion[i][j];
            diagonal += i == j ? r.confusion[i][j] : 0;
        }
    QCOMPARE(total, 240);
    QCOMPARE(r.accuracy, double(diagonal) / 240.0);
    QVERIFY(r.accuracy > 0.6);
    QVERIFY(QFile::exists(QString::fromStdString(m_ws->artifactsDir() + "/" + m_finishedRun + "/" + r.artifact)));
    const auto json = compute::evaluationJson(r);
    for (const char *key : {"accuracy", "per_class", "confusion"})
        QVERIFY2(json.contains(key), key);
    QVERIFY_THROWS_EXCEPTION(std::runtime_error, compute::evaluateRun(*m_ws, "ffffffff", "shapes"));
}

void tst_Training::cancelEndsKilledWithNoWorkerLeft()
{
    test::WorkerHold hold; // the worker waits after epoch 1 until the cancel reaches it
    QVERIFY(hold.hold("epoch-1-end"));
    std::atomic<bool> cancel{false};
    const auto outcome = compute::runTraining(
        *m_ws, request(200),
        [&](const QJsonObject &e) {
            if (e.value("event").toString() == "metric")
                cancel = true;
        },
        &cancel);
    QCOMPARE(outcome.status, std::string("KILLED"));
    QVERIFY(outcome.epochs <= 1); // stopped in the first epoch, or where it was held at the first epoch's end
    auto db = m_ws->openCatalog();
    track::Tracker tracker(*db);
    const auto run = tracker.run(outcome.runId);
    QCOMPARE(run.status, std::string("KILLED"));
    QVERIFY(run.workerPid > 0);
    QCOMPARE(::kill(pid_t(run.workerPid), 0), -1); // the worker is gone
    QVERIFY(QFile::exists(QString::fromStdString(m_ws->artifactsDir() + "/" + outcome.runId + "/checkpoint.pt")));
}

void tst_Training::killedWorkerLeavesAFailedRun()
{
    test::WorkerHold hold; // the worker is still there when it is killed
    QVERIFY(hold.hold("epoch-1-end"));
    auto db = m_ws->openCatalog();
    bool killed = false;
    const auto outcome = compute::runTraining(*m_ws, request(200), [&](const QJsonObject &e) {
        if (killed || e.value("event").toString() != "metric" || e.value("key").toString() != "val_loss")
            return;
        // After the first epoch's metrics: kill -9 the worker, as an out-of-memory kill would.
        store::Statement st(*db, "SELECT worker_pid FROM runs WHERE status = 'RUNNING'");
        if (st.step()) {
            ::kill(pid_t(st.int64(0)), SIGKILL);
            killed = true;
        }
    });
    QVERIFY(killed);
    QCOMPARE(outcome.status, std::string("FAILED"));
    QVERIFY2(outcome.message.find("crashed") != std::string::npos, outcome.message.c_str());
    track::Tracker tracker(*db);
    const auto run = tracker.run(outcome.runId);
    QCOMPARE(run.status, std::string("FAILED"));
    QVERIFY(!run.failureReason.empty());
    QVERIFY(!tracker.metricHistory(outcome.runId, "train_loss").empty()); // what was logged is kept
}

void tst_Training::tableSmallerThanABatchTrains()
{
    // ~190 training images and a batch of 1,000: one batch of the whole table per epoch (it used to fail with a
    // tensor shape error).
    auto r = request(2);
    r.batchSize = 1000;
    std::int64_t trainImages = 0, batchSize = 0;
    const auto outcome = compute::runTraining(*m_ws, r, [&](const QJsonObject &e) {
        if (e.value("event").toString() == "started") {
            trainImages = e.value("train_images").toInteger();
            batchSize = e.value("batch_size").toInteger();
        }
    });
    QVERIFY2(outcome.status == "FINISHED", outcome.message.c_str());
    QCOMPARE(outcome.epochs, std::int64_t(2));
    QVERIFY(trainImages > 0 && trainImages < 1000);
    QCOMPARE(batchSize, trainImages);
}

// A workspace on a small disk fills up while the worker saves its checkpoint at the end of the epoch: the run ends
// FAILED saying the disk is full and naming the file, the metrics logged stay, no .tmp is left behind, and the
// CLI still prints its JSON. When even the catalog has no room left, the outcome says that the run's end could
// not be recorded.
void tst_Training::diskFullEndsTheRunFailed_data()
{
    QTest::addColumn<bool>("viaCli");
    QTest::addColumn<bool>("catalogFull"); // true: no byte left from the worker's start; false: half a model file
    QTest::newRow("the checkpoint does not fit (CLI)") << true << false;
    QTest::newRow("the catalog cannot record anything either") << false << true;
}

void tst_Training::diskFullEndsTheRunFailed()
{
    QFETCH(bool, viaCli);
    QFETCH(bool, catalogFull);
    PW_REQUIRE_TMPFS(disk, 32 * 1024 * 1024);
    const store::Workspace ws = store::Workspace::open((disk.path() + "/ws").toStdString());
    ingest::IngestOptions o;
    o.source = m_dir.filePath("src").toStdString();
    o.table = "shapes";
    QCOMPARE(ingest::ingest(ws, o).added, 240);
    // A first run makes the shards (the next run reuses them) and shows how large the model and checkpoint are.
    const compute::TrainRequest r = request(1);
    const std::string first = test::trainToEnd(ws, r);
    QVERIFY(!first.empty());
    auto sizeOf = [&](const char *name) {
        return QFileInfo(QString::fromStdString(ws.artifactsDir() + "/" + first + "/" + name)).size();
    };
    const qint64 modelBytes = sizeOf("model.pt");
    const qint64 checkpointBytes = sizeOf("checkpoint.pt"); // the weights and the optimizer's state: larger
    QVERIFY2(checkpointBytes > modelBytes + 192 * 1024,
             qPrintable(QString("%1 %2").arg(modelBytes).arg(checkpointBytes)));

    compute::TrainOutcome outcome;
    if (viaCli) {
        // Room for the model file (saved first) and the catalog's writes, never for the checkpoint after them: it
        // needs all of the room, and the model already took part of it. (The catalog writes more since its change
        // counters, so the room is no longer halved between them.)
        QVERIFY(disk.fill(checkpointBytes));
        QProcess cli;
        cli.start(PIPEWRIGHT_BIN, {"train", "--table", "shapes", "--experiment", "tests", "--epochs", "1",
                                   "--batch-size", "16", "--image-size", "16", "--val-fraction", "0.2", "--device",
                                   "cpu", "--json", "--workspace", QString::fromStdString(ws.root())});
        QVERIFY(cli.waitForFinished(240000));
        QCOMPARE(cli.exitCode(), 1);
        const QJsonObject json = QJsonDocument::fromJson(cli.readAllStandardOutput()).object();
        QVERIFY2(!json.isEmpty(), cli.readAllStandardError().constData());
        outcome.runId = json.value("run_id").toString().toStdString();
        outcome.status = json.value("status").toString().toStdString();
        outcome.message = json.value("message").toString().toStdString();
    } else {
        bool filled = false;
        outcome = compute::runTraining(ws, r, [&](const QJsonObject &e) {
            if (e.value("event").toString() == "started")
                filled = disk.fill(0);
        });
        QVERIFY(filled);
    }
    QCOMPARE(outcome.status, std::string("FAILED"));
    const std::string runDir = ws.artifactsDir() + "/" + outcome.runId;
    QVERIFY2(outcome.message.find("no space left on device writing '" + runDir + "/") != std::string::npos,
             outcome.message.c_str());
    QCOMPARE(QDir(QString::fromStdString(runDir)).entryList({"*.tmp"}, QDir::Files | QDir::Hidden), QStringList{});

    QVERIFY(disk.unfill());
    auto db = ws.openCatalog();
    track::Tracker tracker(*db);
    const auto run = tracker.run(outcome.runId);
    if (catalogFull) {
        const std::string said = "the catalog could not record the run's end (no space left on device writing '"
                                 + ws.catalogPath() + "'";
        QVERIFY2(outcome.message.find(said) != std::string::npos, outcome.message.c_str());
        QCOMPARE(run.status, std::string("RUNNING"));
    } else {
        QCOMPARE(run.status, std::string("FAILED"));
        QCOMPARE(run.failureReason, outcome.message);
        QCOMPARE(qsizetype(tracker.metricHistory(outcome.runId, "train_loss").size()), 1); // logged before the save
    }
}

void tst_Training::badRequests_data()
{
    QTest::addColumn<QString>("table");
    QTest::addColumn<QString>("model");
    QTest::addColumn<int>("imageSize");
    QTest::addColumn<QString>("message");
    QTest::newRow("unknown model") << "shapes"
                                   << "alexnet" << 16 << "unknown model 'alexnet'";
    QTest::newRow("image size too small") << "shapes"
                                          << "small-cnn" << 4 << "--image-size: 4 px";
    QTest::newRow("unknown table") << "nope"
                                   << "small-cnn" << 16 << "nope";
    QTest::newRow("one class") << "single"
                               << "small-cnn" << 16 << "only one class";
}

void tst_Training::badRequests()
{
    QFETCH(QString, table);
    QFETCH(QString, model);
    QFETCH(int, imageSize);
    QFETCH(QString, message);
    auto r = request(1);
    r.table = table.toStdString();
    r.model = model.toStdString();
    r.imageSize = imageSize;
    auto db = m_ws->openCatalog();
    track::Tracker tracker(*db);
    const auto before = tracker.runs().size();
    try {
        compute::runTraining(*m_ws, r);
        QFAIL("no error");
    } catch (const std::exception &e) {
        QVERIFY2(QString::fromUtf8(e.what()).contains(message), e.what());
    }
    QCOMPARE(tracker.runs().size(), before); // no run was created
}

QTEST_GUILESS_MAIN(tst_Training)
#include "tst_training.moc"
