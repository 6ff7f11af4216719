// Tests of experiment tracking (core/track/Tracker.h) on a temporary workspace: experiments, runs,
// params, tags, metric history, artifacts, ending runs, run id prefixes, orphaned workers and
// migration 2 over an existing catalog.
#include "core/store/Database.h"
#include "core/store/Schema.h"
#include "core/store/Workspace.h"
#include "core/track/Tracker.h"

#include <QDateTime>
#include <QLocale>
#include <QRegularExpression>
#include <QStringList>
#include <QTemporaryDir>
#include <QTest>

#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <functional>
#include <limits>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include <sys/wait.h>
#include <unistd.h>

using pw::store::Database;
using pw::store::Statement;
using pw::store::Workspace;
using pw::track::ArtifactInfo;
using pw::track::MetricPoint;
using pw::track::NewRun;
using pw::track::RunInfo;
using pw::track::Tracker;

namespace {

/** The message of the std::runtime_error `f` throws, or "<no error>". */
QString errorOf(const std::function<void()> &f)
{
    try {
        f();
    } catch (const std::runtime_error &e) {
        return QString::fromUtf8(e.what());
    }
    return QStringLiteral("<no error>");
}

std::int64_t scalarInt(Database &db, const std::string &sql)
{
    Statement st = db.prepare(sql);
    return st.step() ? st.int64(0) : -1;
}

/** "key|value|step|epoch|timestampMs;..." as metric points; value may be nan, inf, -inf. */
std::vector<MetricPoint> parsePoints(const QString &text)
{
    std::vector<MetricPoint> out;
    for (const QString &item : text.split(';', Qt::SkipEmptyParts)) {
        const QStringList f = item.split('|');
        Q_ASSERT(f.size() == 5);
        out.push_back({f[0].toStdString(), std::strtod(f[1].toUtf8().constData(), nullptr), f[2].toLongLong(),
                       f[3].toLongLong(), f[4].toLongLong()});
    }
    return out;
}

QString number(double v)
{
    // The shortest text that reads back as exactly v.
    return std::isnan(v) ? QStringLiteral("nan") : QString::number(v, 'g', QLocale::FloatingPointShortest);
}

QStringList pointsText(const std::vector<MetricPoint> &points)
{
    QStringList out;
    for (const MetricPoint &p : points)
        out << QStringLiteral("%1|%2|%3|%4|%5")
                   .arg(QString::fromStdString(p.key), number(p.value))
                   .arg(p.step)
                   .arg(p.epoch)
                   .arg(p.timestampMs);
    return out;
}

QStringList latestText(const std::map<std::string, double> &latest)
{
    QStringList out;
    for (const auto &[key, value] : latest)
        out << QString::fromStdString(key) + "=" + number(value);
    return out;
}

QStringList runIds(const std::vector<RunInfo> &runs)
{
    QStringList out;
    for (const RunInfo &r : runs)
        out << QString::fromStdString(r.runId);
    return out;
}

QDateTime parseIso(const std::string &text)
{
    return QDateTime::fromString(QString::fromStdString(text), Qt::ISODateWithMs);
}

/** A pid that was alive a moment ago and is now gone: a child that exited and was reaped. */
pid_t deadPid()
{
    const pid_t child = ::fork();
    if (child == 0)
        ::_exit(0);
    int status = 0;
    ::waitpid(child, &status, 0);
    return child;
}

} // namespace

class tst_Tracker : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void init();
    void cleanup();

    void experiments();
    void unknownExperimentIsAnError_data();
    void unknownExperimentIsAnError();
    void createRun();
    void createRunUsesDefaultExperiment();
    void paramsRoundTrip_data();
    void paramsRoundTrip();
    void paramCannotChange();
    void tagsRoundTrip_data();
    void tagsRoundTrip();
    void metrics_data();
    void metrics();
    void batchReadsMatchPerRunReads();
    void metricTimestampDefaultsToNow();
    void logMetricsIsOneTransaction();
    void artifactsUpsert();
    void badArtifactPath_data();
    void badArtifactPath();
    void runFields();
    void badWorkerPid_data();
    void badWorkerPid();
    void endRun_data();
    void endRun();
    void endRunRefuses_data();
    void endRunRefuses();
    void runByPrefix_data();
    void runByPrefix();
    void runsNewestFirst();
    void runsByExperiment();
    void unknownRunIsAnError_data();
    void unknownRunIsAnError();
    void failOrphanedRuns();
    void metricsSurviveFailure_data();
    void metricsSurviveFailure();
    void deletingRunCascades();
    void migrationKeepsExistingCatalog();

private:
    std::unique_ptr<QTemporaryDir> m_dir;
    std::unique_ptr<Database> m_db;
    std::unique_ptr<Tracker> m_tracker;
};

void tst_Tracker::init()
{
    m_dir = std::make_unique<QTemporaryDir>();
    QVERIFY(m_dir->isValid());
    const Workspace ws = Workspace::open(m_dir->filePath("ws").toStdString());
    m_db = ws.openCatalog();
    m_tracker = std::make_unique<Tracker>(*m_db);
}

void tst_Tracker::cleanup()
{
    m_tracker.reset();
    m_db.reset();
    m_dir.reset();
}

void tst_Tracker::experiments()
{
    QVERIFY(m_tracker->experiments().empty());
    const std::int64_t b = m_tracker->experimentId("beta");
    const std::int64_t a = m_tracker->experimentId("alpha");
    QVERIFY(a != b);
    QCOMPARE(m_tracker->experimentId("beta"), b); // found, not created again
    QCOMPARE(m_tracker->experimentId("alpha", /*create=*/false), a);
    QCOMPARE(m_tracker->experiments(), (std::vector<std::string>{"alpha", "beta"}));
    QCOMPARE(scalarInt(*m_db, "SELECT count(*) FROM experiments"), std::int64_t(2));
    Statement created = m_db->prepare("SELECT created FROM experiments WHERE name = 'alpha'");
    QVERIFY(created.step());
    QVERIFY2(parseIso(created.text(0)).isValid(), created.text(0).c_str());
}

void tst_Tracker::unknownExperimentIsAnError_data()
{
    QTest::addColumn<QString>("call");
    QTest::addColumn<bool>("haveOthers");
    QTest::newRow("experimentId, no experiments") << "experimentId" << false;
    QTest::newRow("experimentId, others exist") << "experimentId" << true;
    QTest::newRow("runs, no experiments") << "runs" << false;
    QTest::newRow("runs, others exist") << "runs" << true;
}

void tst_Tracker::unknownExperimentIsAnError()
{
    QFETCH(QString, call);
    QFETCH(bool, haveOthers);
    if (haveOthers) {
        m_tracker->createRun({"vision", "r1", "train", 1, {}});
        m_tracker->experimentId("audio");
    }
    const QString message = errorOf([&] {
        if (call == "experimentId")
            m_tracker->experimentId("nope", /*create=*/false);
        else
            m_tracker->runs("nope");
    });
    QVERIFY2(message.contains("no experiment 'nope'"), qPrintable(message));
    if (haveOthers)
        QVERIFY2(message.contains("audio") && message.contains("vision"), qPrintable(message));
    // Nothing was created by asking.
    QCOMPARE(scalarInt(*m_db, "SELECT count(*) FROM experiments WHERE name = 'nope'"), std::int64_t(0));
}

void tst_Tracker::createRun()
{
    const QDateTime before = QDateTime::currentDateTimeUtc().addMSecs(-1);
    const std::string id = m_tracker->createRun({"vision", "resnet-baseline", "train", 7, "pr-42"});
    const std::string other = m_tracker->createRun({"vision", "second", "train", 7, {}});
    QVERIFY2(QRegularExpression("^[0-9a-f]{32}$").match(QString::fromStdString(id)).hasMatch(), id.c_str());
    QVERIFY(id != other);

    const RunInfo r = m_tracker->run(id);
    QCOMPARE(r.runId, id);
    QCOMPARE(r.experiment, std::string("vision"));
    QCOMPARE(r.name, std::string("resnet-baseline"));
    QCOMPARE(r.status, std::string("RUNNING"));
    QCOMPARE(r.table, std::string("train"));
    QCOMPARE(r.dataVersion, std::int64_t(7));
    QCOMPARE(r.pipelineRunId, std::string("pr-42"));
    QVERIFY(r.endTime.empty());
    QVERIFY(r.failureReason.empty());
    QCOMPARE(r.workerPid, std::int64_t(0));
    const QDateTime start = parseIso(r.startTime);
    QVERIFY2(start.isValid(), r.startTime.c_str());
    QVERIFY2(start >= before && start <= QDateTime::currentDateTimeUtc(), r.startTime.c_str());
    QVERIFY2(r.startTime.size() == 24 && r.startTime.back() == 'Z', r.startTime.c_str()); // UTC, with ms
    QCOMPARE(m_tracker->experiments(), std::vector<std::string>{"vision"});
    QVERIFY(m_tracker->run(other).pipelineRunId.empty());
}

void tst_Tracker::createRunUsesDefaultExperiment()
{
    NewRun unnamed;
    unnamed.experiment.clear();
    const std::string a = m_tracker->createRun(NewRun{});
    const std::string b = m_tracker->createRun(unnamed);
    QCOMPARE(m_tracker->run(a).experiment, std::string("Default"));
    QCOMPARE(m_tracker->run(b).experiment, std::string("Default"));
    QCOMPARE(m_tracker->experiments(), std::vector<std::string>{"Default"});
    QCOMPARE(m_tracker->runs("Default").size(), std::size_t(2));
}

void tst_Tracker::paramsRoundTrip_data()
{
    QTest::addColumn<QStringList>("keys");
    QTest::addColumn<QStringList>("values");
    QTest::newRow("ascii") << QStringList{"lr", "batch_size", "model"} << QStringList{"0.001", "64", "resnet18"};
    QTest::newRow("unicode") << QStringList{"学习率", "modèle", "emoji 🚀"}
                             << QStringList{"0,001", "réseau ü", "火箭 🚀"};
    QTest::newRow("empty value") << QStringList{"augment"} << QStringList{""};
    QTest::newRow("long value") << QStringList{"classes"} << QStringList{QString("cat,dog,").repeated(500)};
    QTest::newRow("quotes and SQL") << QStringList{"it's"} << QStringList{"'); DROP TABLE runs; --"};
}

void tst_Tracker::paramsRoundTrip()
{
    QFETCH(QStringList, keys);
    QFETCH(QStringList, values);
    const std::string id = m_tracker->createRun({});
    const std::string other = m_tracker->createRun({});
    std::map<std::string, std::string> params;
    for (int i = 0; i < keys.size(); ++i)
        params[keys[i].toStdString()] = values[i].toStdString();
    m_tracker->logParams(id, params);
    m_tracker->logParams(other, {{"lr", "9"}});
    QCOMPARE(m_tracker->params(id), params);
    QCOMPARE(m_tracker->params(other), (std::map<std::string, std::string>{{"lr", "9"}}));
    // Logging the same values again is accepted and changes nothing.
    m_tracker->logParams(id, params);
    QCOMPARE(m_tracker->params(id), params);
}

void tst_Tracker::paramCannotChange()
{
    const std::string id = m_tracker->createRun({});
    m_tracker->logParams(id, {{"lr", "0.1"}});
    const QString message = errorOf([&] { m_tracker->logParams(id, {{"epochs", "5"}, {"lr", "0.2"}}); });
    QVERIFY2(message.contains("'lr'") && message.contains("0.1") && message.contains("0.2"), qPrintable(message));
    // One transaction: "epochs" (before "lr" in key order) was not kept either.
    QCOMPARE(m_tracker->params(id), (std::map<std::string, std::string>{{"lr", "0.1"}}));
    QVERIFY(errorOf([&] { m_tracker->logParams(id, {{"", "x"}}); }).contains("key"));
}

void tst_Tracker::tagsRoundTrip_data()
{
    QTest::addColumn<QString>("key");
    QTest::addColumn<QString>("first");
    QTest::addColumn<QString>("second");
    QTest::newRow("ascii") << "mlflow.note.content"
                           << "baseline"
                           << "baseline, rerun";
    QTest::newRow("unicode") << "备注"
                             << "première 🚀"
                             << "zweite Ä";
    QTest::newRow("to empty") << "stage"
                              << "draft"
                              << "";
}

void tst_Tracker::tagsRoundTrip()
{
    QFETCH(QString, key);
    QFETCH(QString, first);
    QFETCH(QString, second);
    const std::string id = m_tracker->createRun({});
    m_tracker->setTag(id, key.toStdString(), first.toStdString());
    m_tracker->setTag(id, "other", "x");
    QCOMPARE(m_tracker->tags(id),
             (std::map<std::string, std::string>{{key.toStdString(), first.toStdString()}, {"other", "x"}}));
    // Unlike params, tags can be overwritten.
    m_tracker->setTag(id, key.toStdString(), second.toStdString());
    QCOMPARE(m_tracker->tags(id),
             (std::map<std::string, std::string>{{key.toStdString(), second.toStdString()}, {"other", "x"}}));
    QVERIFY(m_tracker->params(id).empty());
}

void tst_Tracker::metrics_data()
{
    QTest::addColumn<QString>("logged");
    QTest::addColumn<QString>("history"); // expected, in history order
    QTest::addColumn<QStringList>("latest");

    QTest::newRow("one key, steps in order")
        << "loss|0.9|1|0|1000;loss|0.5|2|0|2000;loss|0.3|3|1|3000"
        << "loss|0.9|1|0|1000;loss|0.5|2|0|2000;loss|0.3|3|1|3000" << QStringList{"loss=0.3"};
    QTest::newRow("steps logged out of order")
        << "loss|0.3|3|1|3000;loss|0.9|1|0|1000;loss|0.5|2|0|2000"
        << "loss|0.9|1|0|1000;loss|0.5|2|0|2000;loss|0.3|3|1|3000" << QStringList{"loss=0.3"};
    QTest::newRow("several keys")
        << "loss|0.9|1|0|1000;acc|0.5|1|0|1000;loss|0.4|2|0|2000;acc|0.7|2|0|2000;val_loss|1.1|1|0|1500"
        << "acc|0.5|1|0|1000;acc|0.7|2|0|2000;loss|0.9|1|0|1000;loss|0.4|2|0|2000;val_loss|1.1|1|0|1500"
        << QStringList{"acc=0.7", "loss=0.4", "val_loss=1.1"};
    QTest::newRow("same step: later timestamp wins")
        << "loss|0.8|5|0|2000;loss|0.6|5|0|1000"
        << "loss|0.6|5|0|1000;loss|0.8|5|0|2000" << QStringList{"loss=0.8"};
    QTest::newRow("same step and timestamp: last logged wins")
        << "loss|0.8|5|0|1000;loss|0.6|5|0|1000"
        << "loss|0.8|5|0|1000;loss|0.6|5|0|1000" << QStringList{"loss=0.6"};
    QTest::newRow("higher step beats newer timestamp")
        << "acc|0.9|10|2|1000;acc|0.1|2|0|5000"
        << "acc|0.1|2|0|5000;acc|0.9|10|2|1000" << QStringList{"acc=0.9"};
    QTest::newRow("NaN and infinities") << "loss|nan|1|0|1000;loss|inf|2|0|2000;gain|-inf|1|0|1000"
                                        << "gain|-inf|1|0|1000;loss|nan|1|0|1000;loss|inf|2|0|2000"
                                        << QStringList{"gain=-inf", "loss=inf"};
    QTest::newRow("NaN as the latest value") << "loss|0.5|1|0|1000;loss|nan|2|0|2000"
                                             << "loss|0.5|1|0|1000;loss|nan|2|0|2000" << QStringList{"loss=nan"};
    QTest::newRow("unicode key, negative step") << "精度|0.5|0|0|1000;精度|0.25|-1|0|1000"
                                                << "精度|0.25|-1|0|1000;精度|0.5|0|0|1000" << QStringList{"精度=0.5"};
}

void tst_Tracker::metrics()
{
    QFETCH(QString, logged);
    QFETCH(QString, history);
    QFETCH(QStringList, latest);
    const std::string id = m_tracker->createRun({});
    const std::string other = m_tracker->createRun({});
    m_tracker->logMetrics(other, {{"loss", 42, 100, 9, 9000}});
    // Logged in two calls, to show the history accumulates.
    std::vector<MetricPoint> points = parsePoints(logged);
    const std::vector<MetricPoint> firstHalf(points.begin(), points.begin() + points.size() / 2);
    const std::vector<MetricPoint> secondHalf(points.begin() + points.size() / 2, points.end());
    m_tracker->logMetrics(id, firstHalf);
    m_tracker->logMetrics(id, secondHalf);

    const QStringList expected = pointsText(parsePoints(history));
    QCOMPARE(pointsText(m_tracker->metricHistory(id)), expected);
    QCOMPARE(latestText(m_tracker->latestMetrics(id)), latest);
    // Per key.
    std::set<std::string> keys;
    for (const MetricPoint &p : points)
        keys.insert(p.key);
    for (const std::string &key : keys) {
        const QString prefix = QString::fromStdString(key) + "|";
        QCOMPARE(pointsText(m_tracker->metricHistory(id, key)),
                 expected.filter(QRegularExpression("^" + QRegularExpression::escape(prefix))));
    }
    QVERIFY(m_tracker->metricHistory(id, "no such key").empty());
    QCOMPARE(pointsText(m_tracker->metricHistory(other)), QStringList{"loss|42|100|9|9000"});

    // The set-based reads of every run order and break ties the same way.
    const auto histories = m_tracker->allMetricHistories();
    QStringList batched;
    for (const auto &[key, keyPoints] : histories.at(id))
        batched << pointsText(keyPoints);
    QCOMPARE(batched, expected);
    QCOMPARE(pointsText(histories.at(other).at("loss")), QStringList{"loss|42|100|9|9000"});
    const auto latestAll = m_tracker->allLatestMetrics();
    QCOMPARE(latestText(latestAll.at(id)), latest);
    QCOMPARE(latestText(latestAll.at(other)), QStringList{"loss=42"});
}

void tst_Tracker::batchReadsMatchPerRunReads()
{
    const std::string a = m_tracker->createRun({});
    const std::string b = m_tracker->createRun({});
    const std::string bare = m_tracker->createRun({}); // nothing logged
    m_tracker->logParams(a, {{"lr", "0.1"}, {"batch", "32"}});
    m_tracker->logParams(b, {{"lr", "0.01"}});
    m_tracker->setTag(a, "team", "vision");
    m_tracker->setTag(a, "pipewright.source", "cli");
    m_tracker->setTag(b, "mlflow.note.content", "a note");
    // The two runs' rows interleave in the table, and neither run's come in step order.
    m_tracker->logMetrics(a, {{"loss", 0.5, 2, 1, 2000}, {"batch_loss", 0.7, 1, 0, 1500}});
    m_tracker->logMetrics(b, {{"loss", 0.9, 1, 0, 1000}, {"acc", 0.4, 1, 0, 1000}});
    m_tracker->logMetrics(a, {{"loss", 0.9, 1, 0, 1000}, {"acc", 0.6, 2, 1, 2000}, {"loss", 0.45, 2, 1, 2000}});
    m_tracker->logMetrics(
        b, {{"loss", std::numeric_limits<double>::quiet_NaN(), 2, 1, 2000}, {"batch_loss", 0.8, 3, 1, 900}});

    const auto params = m_tracker->allParams();
    const auto tags = m_tracker->allTags();
    const auto latest = m_tracker->allLatestMetrics();
    const auto histories = m_tracker->allMetricHistories();
    const auto withoutBatch = m_tracker->allMetricHistories("batch_");
    for (const std::string &id : {a, b}) {
        QCOMPARE(params.at(id), m_tracker->params(id));
        QCOMPARE(tags.at(id), m_tracker->tags(id));
        QCOMPARE(latestText(latest.at(id)), latestText(m_tracker->latestMetrics(id)));
        QStringList all;
        for (const auto &[key, points] : histories.at(id)) {
            QCOMPARE(pointsText(points), pointsText(m_tracker->metricHistory(id, key)));
            all << pointsText(points);
        }
        QCOMPARE(all, pointsText(m_tracker->metricHistory(id)));
        QCOMPARE(withoutBatch.at(id).size(), histories.at(id).size() - 1);
        QCOMPARE(withoutBatch.at(id).count("batch_loss"), std::size_t(0));
        for (const auto &[key, points] : withoutBatch.at(id))
            QCOMPARE(pointsText(points), pointsText(m_tracker->metricHistory(id, key)));
    }
    // Ties at the highest step: the last logged wins; a NaN there is the latest value.
    QCOMPARE(latestText(latest.at(a)), (QStringList{"acc=0.6", "batch_loss=0.7", "loss=0.45"}));
    QCOMPARE(latestText(latest.at(b)), (QStringList{"acc=0.4", "batch_loss=0.8", "loss=nan"}));
    // A run with nothing logged is absent from each.
    QVERIFY(!params.count(bare) && !tags.count(bare) && !latest.count(bare) && !histories.count(bare));
    QCOMPARE(params.size(), std::size_t(2));
}

void tst_Tracker::metricTimestampDefaultsToNow()
{
    const std::string id = m_tracker->createRun({});
    const std::int64_t before = QDateTime::currentMSecsSinceEpoch();
    m_tracker->logMetrics(id, {{"loss", 1.5, 1, 0, 0}, {"loss", 1.0, 2, 0, 1234}});
    const std::int64_t after = QDateTime::currentMSecsSinceEpoch();
    const auto h = m_tracker->metricHistory(id, "loss");
    QCOMPARE(h.size(), std::size_t(2));
    QVERIFY2(h[0].timestampMs >= before && h[0].timestampMs <= after, qPrintable(QString::number(h[0].timestampMs)));
    QCOMPARE(h[1].timestampMs, std::int64_t(1234));
}

void tst_Tracker::logMetricsIsOneTransaction()
{
    const std::string id = m_tracker->createRun({});
    m_tracker->logMetrics(id, {{"loss", 1.0, 1, 0, 1000}});
    const QString message = errorOf([&] {
        m_tracker->logMetrics(id, {{"loss", 0.9, 2, 0, 2000}, {"acc", 0.5, 2, 0, 2000}, {"", 0.1, 3, 0, 3000}});
    });
    QVERIFY2(message.contains("key"), qPrintable(message));
    // The points before the bad one were rolled back with it.
    QCOMPARE(pointsText(m_tracker->metricHistory(id)), QStringList{"loss|1|1|0|1000"});
    // The connection is usable afterwards (no transaction left open).
    m_tracker->logMetrics(id, {{"loss", 0.8, 2, 0, 2000}});
    QCOMPARE(m_tracker->latestMetrics(id).at("loss"), 0.8);
}

void tst_Tracker::artifactsUpsert()
{
    const std::string id = m_tracker->createRun({});
    const std::string other = m_tracker->createRun({});
    m_tracker->addArtifact(id, {"model.pt", "model", 100, "2024-01-01T00:00:00.000Z"});
    m_tracker->addArtifact(id, {"checkpoints/epoch-1.pt", "checkpoint", 50, {}});
    m_tracker->addArtifact(other, {"model.pt", "model", 7, {}});
    m_tracker->addArtifact(id, {"model.pt", "model", 120, "2024-01-02T00:00:00.000Z"}); // replaced, not added

    const auto a = m_tracker->artifacts(id);
    QCOMPARE(a.size(), std::size_t(2));
    QCOMPARE(a[0].path, std::string("checkpoints/epoch-1.pt"));
    QCOMPARE(a[0].kind, std::string("checkpoint"));
    QCOMPARE(a[0].size, std::int64_t(50));
    QVERIFY2(parseIso(a[0].created).isValid(), a[0].created.c_str()); // empty created means now
    QCOMPARE(a[1].path, std::string("model.pt"));
    QCOMPARE(a[1].size, std::int64_t(120));
    QCOMPARE(a[1].created, std::string("2024-01-02T00:00:00.000Z"));
    QCOMPARE(m_tracker->artifacts(other).size(), std::size_t(1));
    QCOMPARE(m_tracker->artifacts(other)[0].size, std::int64_t(7));
}

void tst_Tracker::badArtifactPath_data()
{
    QTest::addColumn<QString>("path");
    QTest::newRow("empty") << "";
    QTest::newRow("absolute") << "/etc/passwd";
    QTest::newRow("parent") << "../other-run/model.pt";
    QTest::newRow("parent inside") << "a/../../model.pt";
    QTest::newRow("dot") << "./model.pt";
    QTest::newRow("empty segment") << "a//model.pt";
    QTest::newRow("trailing slash") << "checkpoints/";
}

void tst_Tracker::badArtifactPath()
{
    QFETCH(QString, path);
    const std::string id = m_tracker->createRun({});
    const QString message = errorOf([&] { m_tracker->addArtifact(id, {path.toStdString(), "model", 1, {}}); });
    QVERIFY2(message.contains("artifact path '" + path + "'"), qPrintable(message));
    QVERIFY(m_tracker->artifacts(id).empty());
}

void tst_Tracker::runFields()
{
    const std::string id = m_tracker->createRun({});
    m_tracker->setDevice(id, "cuda:0 (NVIDIA H100)");
    m_tracker->setImagesPerSecond(id, 1234.5);
    m_tracker->setWorkerPid(id, 4242);
    const RunInfo r = m_tracker->run(id);
    QCOMPARE(r.device, std::string("cuda:0 (NVIDIA H100)"));
    QCOMPARE(r.imagesPerSecond, 1234.5);
    QCOMPARE(r.workerPid, std::int64_t(4242));
    m_tracker->setDevice(id, "cpu");
    QCOMPARE(m_tracker->run(id).device, std::string("cpu"));
}

void tst_Tracker::badWorkerPid_data()
{
    QTest::addColumn<qint64>("pid");
    QTest::newRow("zero (the process group)") << qint64(0);
    QTest::newRow("-1 (every process)") << qint64(-1);
    QTest::newRow("beyond pid_t") << qint64(std::numeric_limits<std::int64_t>::max());
}

void tst_Tracker::badWorkerPid()
{
    QFETCH(qint64, pid);
    const std::string id = m_tracker->createRun({});
    const QString message = errorOf([&] { m_tracker->setWorkerPid(id, pid); });
    QVERIFY2(message.contains("pid " + QString::number(pid)), qPrintable(message));
    QCOMPARE(m_tracker->run(id).workerPid, std::int64_t(0));
}

void tst_Tracker::endRun_data()
{
    QTest::addColumn<QString>("status");
    QTest::addColumn<QString>("reason");
    QTest::newRow("FINISHED") << "FINISHED"
                              << "";
    QTest::newRow("FAILED with a reason") << "FAILED"
                                          << "CUDA out of memory";
    QTest::newRow("KILLED") << "KILLED"
                            << "cancelled by the user";
}

void tst_Tracker::endRun()
{
    QFETCH(QString, status);
    QFETCH(QString, reason);
    const std::string id = m_tracker->createRun({});
    const std::string other = m_tracker->createRun({});
    m_tracker->endRun(id, status.toStdString(), reason.toStdString());
    const RunInfo r = m_tracker->run(id);
    QCOMPARE(QString::fromStdString(r.status), status);
    QCOMPARE(QString::fromStdString(r.failureReason), reason);
    const QDateTime end = parseIso(r.endTime);
    QVERIFY2(end.isValid(), r.endTime.c_str());
    QVERIFY(end >= parseIso(r.startTime));
    QVERIFY(end <= QDateTime::currentDateTimeUtc());
    QCOMPARE(m_tracker->run(other).status, std::string("RUNNING"));
    QVERIFY(m_tracker->run(other).endTime.empty());
}

void tst_Tracker::endRunRefuses_data()
{
    QTest::addColumn<QString>("firstStatus"); // "" to leave the run RUNNING
    QTest::addColumn<QString>("status");
    QTest::addColumn<QString>("expectedStatus"); // the run's status afterwards
    QTest::addColumn<QStringList>("needles");
    QTest::newRow("unknown status") << ""
                                    << "DONE"
                                    << "RUNNING" << QStringList{"'DONE'", "FINISHED, FAILED or KILLED"};
    QTest::newRow("RUNNING is no end") << ""
                                       << "RUNNING"
                                       << "RUNNING" << QStringList{"'RUNNING'"};
    QTest::newRow("lower case") << ""
                                << "finished"
                                << "RUNNING" << QStringList{"'finished'"};
    QTest::newRow("empty status") << ""
                                  << ""
                                  << "RUNNING" << QStringList{"''"};
    QTest::newRow("twice") << "FINISHED"
                           << "FAILED"
                           << "FINISHED" << QStringList{"already ended", "FINISHED"};
    QTest::newRow("twice, same status") << "KILLED"
                                        << "KILLED"
                                        << "KILLED" << QStringList{"already ended"};
}

void tst_Tracker::endRunRefuses()
{
    QFETCH(QString, firstStatus);
    QFETCH(QString, status);
    QFETCH(QString, expectedStatus);
    QFETCH(QStringList, needles);
    const std::string id = m_tracker->createRun({});
    if (!firstStatus.isEmpty())
        m_tracker->endRun(id, firstStatus.toStdString(), "first");
    const RunInfo before = m_tracker->run(id);
    const QString message = errorOf([&] { m_tracker->endRun(id, status.toStdString(), "second"); });
    QVERIFY2(message.contains(QString::fromStdString(id)), qPrintable(message));
    for (const QString &needle : needles)
        QVERIFY2(message.contains(needle), qPrintable(message + " lacks " + needle));
    const RunInfo after = m_tracker->run(id);
    QCOMPARE(QString::fromStdString(after.status), expectedStatus);
    QCOMPARE(after.endTime, before.endTime);
    QCOMPARE(after.failureReason, before.failureReason);
}

void tst_Tracker::runByPrefix_data()
{
    QTest::addColumn<QString>("query");
    QTest::addColumn<QString>("expected"); // the run id found, or "" for an error
    QTest::addColumn<QStringList>("needles"); // in the error message
    const QString a = "abcd0000000000000000000000000001";
    const QString b = "abcd1111111111111111111111111111";
    const QString c = "abce2222222222222222222222222222";
    QTest::newRow("full id") << a << a << QStringList{};
    QTest::newRow("unique 4-char prefix") << "abce" << c << QStringList{};
    QTest::newRow("unique longer prefix") << "abcd1" << b << QStringList{};
    QTest::newRow("upper case prefix") << "ABCE22" << c << QStringList{};
    QTest::newRow("ambiguous prefix") << "abcd"
                                      << "" << QStringList{"'abcd'", "ambiguous", a, b};
    QTest::newRow("ambiguous short prefix") << "abc"
                                            << "" << QStringList{"'abc'", "at least 4"};
    QTest::newRow("too short") << "ab"
                               << "" << QStringList{"'ab'", "at least 4"};
    QTest::newRow("empty") << ""
                           << "" << QStringList{"''"};
    QTest::newRow("missing prefix") << "ffff"
                                    << "" << QStringList{"no run 'ffff'"};
    QTest::newRow("missing full id") << "abcd0000000000000000000000000002"
                                     << "" << QStringList{"no run 'abcd0000000000000000000000000002'"};
    QTest::newRow("longer than an id") << a + "0"
                                       << "" << QStringList{"no run '" + a + "0'"};
    QTest::newRow("not hex") << "abcz"
                             << "" << QStringList{"no run 'abcz'"};
    QTest::newRow("glob characters") << "abc*"
                                     << "" << QStringList{"no run 'abc*'"};
}

void tst_Tracker::runByPrefix()
{
    QFETCH(QString, query);
    QFETCH(QString, expected);
    QFETCH(QStringList, needles);
    // Runs with chosen ids: created normally, then renamed (they have no params etc. yet).
    for (const char *id :
         {"abcd0000000000000000000000000001", "abcd1111111111111111111111111111", "abce2222222222222222222222222222"}) {
        const std::string created = m_tracker->createRun({"Default", id, {}, 0, {}});
        Statement st = m_db->prepare("UPDATE runs SET run_id = ? WHERE run_id = ?");
        st.bind(1, id).bind(2, created).exec();
    }
    if (expected.isEmpty()) {
        const QString message = errorOf([&] { m_tracker->run(query.toStdString()); });
        for (const QString &needle : needles)
            QVERIFY2(message.contains(needle), qPrintable(message + " lacks " + needle));
    } else {
        const RunInfo r = m_tracker->run(query.toStdString());
        QCOMPARE(QString::fromStdString(r.runId), expected);
        QCOMPARE(QString::fromStdString(r.name), expected); // the row read is that run's
    }
}

void tst_Tracker::runsNewestFirst()
{
    const std::string a = m_tracker->createRun({"e", "a", {}, 0, {}});
    const std::string b = m_tracker->createRun({"e", "b", {}, 0, {}});
    const std::string c = m_tracker->createRun({"e", "c", {}, 0, {}});
    // Created within the same millisecond or not, the last created is the newest.
    QCOMPARE(runIds(m_tracker->runs()), (QStringList{c.c_str(), b.c_str(), a.c_str()}));
    // Ordered by start time, not by insertion: start a later than the others.
    Statement st = m_db->prepare("UPDATE runs SET start_time = ? WHERE run_id = ?");
    st.bind(1, QDateTime::currentDateTimeUtc().addSecs(60).toString(Qt::ISODateWithMs).toStdString()).bind(2, a).exec();
    QCOMPARE(runIds(m_tracker->runs()), (QStringList{a.c_str(), c.c_str(), b.c_str()}));
    QCOMPARE(runIds(m_tracker->runs("e")), (QStringList{a.c_str(), c.c_str(), b.c_str()}));
}

void tst_Tracker::runsByExperiment()
{
    const std::string a1 = m_tracker->createRun({"A", "a1", {}, 0, {}});
    const std::string b1 = m_tracker->createRun({"B", "b1", {}, 0, {}});
    const std::string a2 = m_tracker->createRun({"A", "a2", {}, 0, {}});
    m_tracker->experimentId("empty");
    QCOMPARE(runIds(m_tracker->runs("A")), (QStringList{a2.c_str(), a1.c_str()}));
    QCOMPARE(runIds(m_tracker->runs("B")), QStringList{b1.c_str()});
    QVERIFY(m_tracker->runs("empty").empty());
    QCOMPARE(runIds(m_tracker->runs()), (QStringList{a2.c_str(), b1.c_str(), a1.c_str()}));
    for (const RunInfo &r : m_tracker->runs("B"))
        QCOMPARE(r.experiment, std::string("B"));
}

void tst_Tracker::unknownRunIsAnError_data()
{
    QTest::addColumn<QString>("call");
    for (const char *call :
         {"logParams", "logMetrics", "logMetrics (none)", "setTag", "addArtifact", "setDevice", "setImagesPerSecond",
          "setWorkerPid", "endRun", "params", "tags", "latestMetrics", "metricHistory", "artifacts"})
        QTest::newRow(call) << call;
}

void tst_Tracker::unknownRunIsAnError()
{
    QFETCH(QString, call);
    const std::string existing = m_tracker->createRun({});
    // A prefix of an existing run is not accepted by these calls: they take a full run id.
    const std::string id = existing.substr(0, 8);
    const std::map<QString, std::function<void()>> calls = {
        {"logParams",
         [&] {
             m_tracker->logParams(id, {{"lr", "1"}});
         }},
        {"logMetrics",
         [&] {
             m_tracker->logMetrics(id, {{"loss", 1, 1, 0, 1}});
         }},
        {"logMetrics (none)", [&] { m_tracker->logMetrics(id, {}); }},
        {"setTag", [&] { m_tracker->setTag(id, "k", "v"); }},
        {"addArtifact",
         [&] {
             m_tracker->addArtifact(id, {"model.pt", "model", 1, {}});
         }},
        {"setDevice", [&] { m_tracker->setDevice(id, "cpu"); }},
        {"setImagesPerSecond", [&] { m_tracker->setImagesPerSecond(id, 1.0); }},
        {"setWorkerPid", [&] { m_tracker->setWorkerPid(id, 1); }},
        {"endRun", [&] { m_tracker->endRun(id, "FINISHED"); }},
        {"params", [&] { m_tracker->params(id); }},
        {"tags", [&] { m_tracker->tags(id); }},
        {"latestMetrics", [&] { m_tracker->latestMetrics(id); }},
        {"metricHistory", [&] { m_tracker->metricHistory(id); }},
        {"artifacts", [&] { m_tracker->artifacts(id); }},
    };
    QVERIFY(calls.count(call));
    const QString message = errorOf(calls.at(call));
    QVERIFY2(message.contains("no run '" + QString::fromStdString(id) + "'"), qPrintable(message));
    // Nothing was written anywhere.
    for (const char *table : {"params", "metrics", "tags", "artifacts"})
        QCOMPARE(scalarInt(*m_db, std::string("SELECT count(*) FROM ") + table), std::int64_t(0));
    const RunInfo r = m_tracker->run(existing);
    QCOMPARE(r.status, std::string("RUNNING"));
    QVERIFY(r.device.empty());
    QCOMPARE(r.workerPid, std::int64_t(0));
}

void tst_Tracker::failOrphanedRuns()
{
    const pid_t dead = deadPid();
    QVERIFY(dead > 0);
    const std::string crashed = m_tracker->createRun({"e", "crashed", {}, 0, {}});
    const std::string alive = m_tracker->createRun({"e", "alive", {}, 0, {}});
    const std::string noPid = m_tracker->createRun({"e", "no pid", {}, 0, {}});
    const std::string finished = m_tracker->createRun({"e", "finished", {}, 0, {}});
    m_tracker->setWorkerPid(crashed, dead);
    m_tracker->setWorkerPid(alive, ::getpid());
    m_tracker->setWorkerPid(finished, dead);
    m_tracker->endRun(finished, "FINISHED");
    const std::string finishedEnd = m_tracker->run(finished).endTime;

    QCOMPARE(m_tracker->failOrphanedRuns(), 1);
    const RunInfo c = m_tracker->run(crashed);
    QCOMPARE(c.status, std::string("FAILED"));
    QCOMPARE(c.failureReason, std::string("the worker process ended without reporting (crashed or killed)"));
    QVERIFY2(parseIso(c.endTime).isValid(), c.endTime.c_str());
    QCOMPARE(m_tracker->run(alive).status, std::string("RUNNING"));
    QVERIFY(m_tracker->run(alive).endTime.empty());
    QCOMPARE(m_tracker->run(noPid).status, std::string("RUNNING"));
    QCOMPARE(m_tracker->run(finished).status, std::string("FINISHED"));
    QCOMPARE(m_tracker->run(finished).endTime, finishedEnd);
    QVERIFY(m_tracker->run(finished).failureReason.empty());
    // Idempotent: nothing is left to fail.
    QCOMPARE(m_tracker->failOrphanedRuns(), 0);
    QCOMPARE(m_tracker->run(crashed).endTime, c.endTime);
}

void tst_Tracker::metricsSurviveFailure_data()
{
    QTest::addColumn<QString>("how");
    QTest::newRow("endRun FAILED") << "FAILED";
    QTest::newRow("endRun KILLED") << "KILLED";
    QTest::newRow("orphaned worker") << "orphan";
}

void tst_Tracker::metricsSurviveFailure()
{
    QFETCH(QString, how);
    const std::string id = m_tracker->createRun({});
    m_tracker->logParams(id, {{"lr", "0.1"}});
    m_tracker->logMetrics(id, {{"loss", 0.9, 1, 0, 1000}, {"loss", 0.7, 2, 0, 2000}, {"acc", 0.6, 2, 0, 2000}});
    m_tracker->addArtifact(id, {"checkpoints/step-2.pt", "checkpoint", 10, {}});
    const QStringList before = pointsText(m_tracker->metricHistory(id));
    QCOMPARE(before.size(), 3);
    if (how == "orphan") {
        m_tracker->setWorkerPid(id, deadPid());
        QCOMPARE(m_tracker->failOrphanedRuns(), 1);
    } else {
        m_tracker->endRun(id, how.toStdString(), "boom");
    }
    QVERIFY(m_tracker->run(id).status != "RUNNING");
    QCOMPARE(pointsText(m_tracker->metricHistory(id)), before);
    QCOMPARE(m_tracker->latestMetrics(id).at("loss"), 0.7);
    QCOMPARE(m_tracker->params(id).at("lr"), std::string("0.1"));
    QCOMPARE(m_tracker->artifacts(id).size(), std::size_t(1));
}

void tst_Tracker::deletingRunCascades()
{
    const std::string id = m_tracker->createRun({});
    const std::string kept = m_tracker->createRun({});
    for (const std::string &run : {id, kept}) {
        m_tracker->logParams(run, {{"lr", "0.1"}});
        m_tracker->logMetrics(run, {{"loss", 0.9, 1, 0, 1000}});
        m_tracker->setTag(run, "k", "v");
        m_tracker->addArtifact(run, {"model.pt", "model", 1, {}});
    }
    Statement del = m_db->prepare("DELETE FROM runs WHERE run_id = ?");
    del.bind(1, id).exec();
    for (const char *table : {"params", "metrics", "tags", "artifacts"}) {
        QCOMPARE(scalarInt(*m_db, std::string("SELECT count(*) FROM ") + table + " WHERE run_id = '" + id + "'"),
                 std::int64_t(0));
        QCOMPARE(scalarInt(*m_db, std::string("SELECT count(*) FROM ") + table + " WHERE run_id = '" + kept + "'"),
                 std::int64_t(1));
    }
    // And rows of a run that does not exist are refused by the foreign keys.
    QVERIFY_THROWS_EXCEPTION(pw::store::DatabaseError,
                             m_db->exec("INSERT INTO tags(run_id, key, value) VALUES ('" + id + "', 'k', 'v')"));
}

void tst_Tracker::migrationKeepsExistingCatalog()
{
    const std::string path = m_dir->filePath("old-catalog.db").toStdString();
    const auto &all = pw::store::catalogMigrations();
    QVERIFY(all.size() >= 2);
    QCOMPARE(all[1].version, 2);
    {
        // A catalog written before tracking existed: only migration 1, with images.
        Database db(path);
        pw::store::migrate(db, {all[0]});
        QCOMPARE(db.userVersion(), 1);
        db.exec("INSERT INTO versions(version, timestamp, operation) VALUES (1, '2024-01-01T00:00:00.000Z', 'INGEST')");
        db.exec("INSERT INTO images(table_name, path, size, mtime_ns, label, status, valid_from) VALUES "
                "('train', 'a.png', 10, 1, 'cat', 'ok', 1), ('train', 'b.png', 20, 2, 'dog', 'ok', 1)");
        QCOMPARE(scalarInt(db, "SELECT count(*) FROM sqlite_master WHERE name = 'runs'"), std::int64_t(0));
    }
    Database db(path);
    pw::store::migrate(db, all);
    QCOMPARE(db.userVersion(), all.back().version);
    QCOMPARE(scalarInt(db, "SELECT count(*) FROM images"), std::int64_t(2));
    QCOMPARE(scalarInt(db, "SELECT count(*) FROM images WHERE path = 'b.png' AND label = 'dog' AND size = 20"),
             std::int64_t(1));
    QCOMPARE(scalarInt(db, "SELECT count(*) FROM versions"), std::int64_t(1));
    for (const char *table : {"experiments", "runs", "params", "metrics", "tags", "artifacts"})
        QCOMPARE(scalarInt(db, std::string("SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = '")
                                   + table + "'"),
                 std::int64_t(1));
    QCOMPARE(scalarInt(db, "SELECT count(*) FROM sqlite_master WHERE type = 'index' AND name = 'metrics_run_key_step'"),
             std::int64_t(1));
    // The migrated catalog tracks runs.
    Tracker tracker(db);
    const std::string id = tracker.createRun({"Default", "first", "train", 1, {}});
    tracker.logMetrics(id, {{"loss", 0.5, 1, 0, 1000}});
    QCOMPARE(tracker.run(id).dataVersion, std::int64_t(1));
    QCOMPARE(tracker.latestMetrics(id).at("loss"), 0.5);
}

QTEST_GUILESS_MAIN(tst_Tracker)
#include "tst_tracker.moc"
