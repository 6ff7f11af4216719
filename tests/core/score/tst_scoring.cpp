// The scoring and review loop on real data: train on a Fashion-MNIST subset, register, promote, ingest
// unlabeled images, score (MERGE PREDICTIONS), queue the unsure ones, label some, commit (MERGE LABELS), and
// the next shard includes them with their human labels. Also export/import round trips and bad input.
#include "core/catalog/Catalog.h"
#include "core/catalog/ImageQuery.h"
#include "core/compute/Training.h"
#include "core/data/FashionMnist.h"
#include "core/data/Npy.h"
#include "core/data/Shards.h"
#include "core/ingest/Ingestor.h"
#include "core/registry/Registry.h"
#include "core/review/Review.h"
#include "core/score/Scoring.h"
#include "core/store/Database.h"
#include "core/store/Workspace.h"

#include "tests/TestData.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QTemporaryDir>
#include <QTest>
#include <QUrl>

#include <cerrno>
#include <map>
#include <optional>

#include <signal.h>
#include <unistd.h>

using namespace pw;

class tst_Scoring : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void scoreMergesAndQueues();
    void scoringTwiceKeepsOnePredictionPerImage();
    void reviewLabelAcceptSkip();
    void commitMergesLabelsIntoTheNextShard();
    void csvRoundTrip();
    void labelStudioRoundTrip();
    void importReportsWhatItLeavesOut();
    void predictionsExport();
    void unreadableImageDoesNotStopTheBatch();
    void badInput();
    void queueFollowsTheReviewMode_data();
    void queueFollowsTheReviewMode();
    void confidenceSortFindsEveryUnscoredImage();
    void cliContract();
    void staleScratchFoldersAreRemoved();

private:
    std::int64_t count(const std::string &sql) const;
    // The true class folder ("003.dress") of an unlabeled test image, from its path.
    static std::string truthOf(const std::string &path);
    QTemporaryDir m_dir;
    std::optional<store::Workspace> m_ws;
    std::string m_runId;
    std::int64_t m_trainImages = 0;
    std::int64_t m_unlabeled = 0;
};

std::int64_t tst_Scoring::count(const std::string &sql) const
{
    auto db = m_ws->openCatalog();
    store::Statement st(*db, sql);
    return st.step() ? st.int64(0) : -1;
}

std::string tst_Scoring::truthOf(const std::string &path)
{
    const QString folder = QFileInfo(QString::fromStdString(path)).dir().dirName(); // "003.dress"
    return folder.mid(4).toStdString();
}

void tst_Scoring::initTestCase()
{
    QVERIFY(m_dir.isValid());
    QVERIFY2(QFile::exists(QString(data::kFashionMnistDir) + "/train-images-idx3-ubyte.gz"),
             "dataset-fashion-mnist is not installed (run packaging/install-deps.sh)");
    const std::string train = m_dir.filePath("train").toStdString();
    const std::string incoming = m_dir.filePath("incoming").toStdString();
    m_trainImages = data::writeFashionMnist(train, "train", 3000);
    m_unlabeled = data::writeFashionMnist(incoming, "test", 300);
    QCOMPARE(m_trainImages, 3000);
    m_ws = store::Workspace::open(m_dir.filePath("ws").toStdString());
    ingest::IngestOptions o;
    o.source = train;
    o.table = "fashion";
    QCOMPARE(ingest::ingest(*m_ws, o).added, 3000);

    compute::TrainRequest r;
    r.table = "fashion";
    r.experiment = "loop";
    r.epochs = 3;
    r.device = pw::compute::Device::Cpu;
    const auto outcome = compute::runTraining(*m_ws, r);
    QCOMPARE(outcome.status, std::string("FINISHED"));
    QVERIFY2(outcome.metrics.at("val_accuracy") > 0.6, qPrintable(QString::number(outcome.metrics.at("val_accuracy"))));
    m_runId = outcome.runId;

    auto db = m_ws->openCatalog();
    registry::Registry reg(*m_ws, *db);
    const auto v = reg.registerRun(m_runId, "fashion");
    QCOMPARE(v.version, 1);
    reg.transition({"fashion", 1, registry::Stage::Production, registry::Existing::Default, "test", {}, {}, {}});

    // The new images arrive unlabeled in the same table (their folders say the truth, the rule ignores it).
    ingest::IngestOptions u;
    u.source = incoming;
    u.table = "fashion";
    u.labels = ingest::LabelRule::None;
    QCOMPARE(ingest::ingest(*m_ws, u).added, 300);
    catalog::Catalog cat(*db);
    QCOMPARE(cat.stats("fashion").unlabeled, 300);
}

void tst_Scoring::scoreMergesAndQueues()
{
    score::ScoreRequest r;
    r.model = "fashion@Production";
    r.table = "fashion";
    QStringList phases;
    const auto res = score::score(*m_ws, r, [&](const std::string &phase, std::int64_t, std::int64_t) {
        if (!phases.contains(QString::fromStdString(phase)))
            phases << QString::fromStdString(phase);
    });
    QVERIFY(res.wrote);
    QCOMPARE(res.model, std::string("fashion"));
    QCOMPARE(res.modelVersion, 1);
    QCOMPARE(res.scored, 3300);
    QCOMPARE(res.inserted, 3300);
    QCOMPARE(res.skipped, 0);
    QCOMPARE(res.failed, 0);
    QVERIFY(phases.contains("decode"));
    QCOMPARE(count("SELECT count(*) FROM predictions WHERE table_name = 'fashion'"), 3300);
    QCOMPARE(
        count("SELECT operation = 'MERGE PREDICTIONS' FROM versions WHERE version = " + std::to_string(res.version)),
        1);

    // The queue (review mode unlabeled, the default): exactly the scored images without a label below 0.95, least
    // confident first; the training images, labeled by their folders, are not queued however unsure the model is.
    const auto below = count("SELECT count(*) FROM predictions p JOIN images i ON i.table_name = p.table_name AND "
                             "i.path = p.path AND i.valid_to IS NULL WHERE p.table_name = 'fashion' AND "
                             "p.confidence < 0.95 AND i.label IS NULL");
    QVERIFY(below > 0);
    QVERIFY(below < count("SELECT count(*) FROM predictions WHERE table_name = 'fashion' AND confidence < 0.95"));
    QCOMPARE(res.queuedForReview, below);
    auto db = m_ws->openCatalog();
    review::ReviewQueue queue(*m_ws, *db);
    const auto items = queue.list({"pending", {}, false, -1});
    QCOMPARE(std::int64_t(items.size()), below);
    for (std::size_t i = 1; i < items.size(); ++i)
        QVERIFY(items[i - 1].confidence <= items[i].confidence);
    for (const auto &it : items) {
        QVERIFY(it.confidence < 0.95);
        QVERIFY(it.currentLabel.empty());
        QVERIFY(QString::fromStdString(it.reason).startsWith("confidence below"));
        QVERIFY(!it.top5.empty() && it.top5.size() <= 5);
        QCOMPARE(it.top5.front().first, it.predicted);
        QVERIFY(qAbs(it.top5.front().second - it.confidence) < 1e-5);
    }
    // A calibrated model trained on 3,000 images is right on most of the images it is confident about.
    const auto confidentRight = count("SELECT count(*) FROM predictions p JOIN images i ON i.table_name = p.table_name "
                                      "AND i.path = p.path AND i.valid_to IS NULL WHERE p.confidence >= 0.95 AND "
                                      "i.label = p.predicted");
    const auto confident = count("SELECT count(*) FROM predictions p JOIN images i ON i.table_name = p.table_name "
                                 "AND i.path = p.path AND i.valid_to IS NULL WHERE p.confidence >= 0.95 AND "
                                 "i.label IS NOT NULL");
    QVERIFY(confident > 0);
    QVERIFY2(double(confidentRight) / double(confident) > 0.9,
             qPrintable(QString("%1 of %2").arg(confidentRight).arg(confident)));
}

void tst_Scoring::scoringTwiceKeepsOnePredictionPerImage()
{
    score::ScoreRequest r;
    r.model = "fashion:1";
    r.table = "fashion";
    const auto latest = catalog::Catalog(*m_ws->openCatalog()).latestVersion();
    const auto again = score::score(*m_ws, r);
    QVERIFY(!again.wrote);
    QCOMPARE(again.scored, 0);
    QCOMPARE(again.skipped, 3300);
    QCOMPARE(again.version, latest); // nothing written: no new version
    QCOMPARE(catalog::Catalog(*m_ws->openCatalog()).latestVersion(), latest);
    const auto queued = count("SELECT count(*) FROM review_queue");

    r.rescore = true;
    const auto rescored = score::score(*m_ws, r);
    QVERIFY(rescored.wrote);
    QCOMPARE(rescored.scored, 3300);
    QCOMPARE(rescored.updated, 3300);
    QCOMPARE(rescored.inserted, 0);
    QCOMPARE(rescored.version, latest + 1);
    QCOMPARE(count("SELECT count(*) FROM predictions"), 3300);
    QCOMPARE(count("SELECT count(*) FROM predictions WHERE version = " + std::to_string(rescored.version)), 3300);
    QCOMPARE(count("SELECT count(*) FROM review_queue"), queued); // refreshed, not duplicated
    QCOMPARE(
        count("SELECT count(*) FROM (SELECT path FROM review_queue GROUP BY table_name, path HAVING count(*) > 1)"), 0);
}

// A killed scoring leaves shards/.score-<pid>-<n>: the next scoring removes those of processes that are gone,
// and keeps those of running ones.
void tst_Scoring::staleScratchFoldersAreRemoved()
{
    QProcess child; // a pid that is surely dead: a child that has ended and been reaped
    child.start("true", QStringList{});
    QVERIFY(child.waitForStarted());
    const qint64 deadPid = child.processId();
    QVERIFY(child.waitForFinished());
    QVERIFY(::kill(pid_t(deadPid), 0) != 0 && errno == ESRCH);
    const QString shards = QString::fromStdString(m_ws->shardsDir());
    const QString stale = shards + QString("/.score-%1-0").arg(deadPid);
    const QString live = shards + QString("/.score-%1-0").arg(::getppid());
    QVERIFY(QDir().mkpath(stale));
    QVERIFY(QDir().mkpath(live));
    for (const QString &dir : {stale, live}) {
        QFile f(dir + "/images.npy");
        QVERIFY(f.open(QIODevice::WriteOnly) && f.write("half-written") > 0);
    }

    score::ScoreRequest r;
    r.model = "fashion@Production";
    r.table = "fashion";
    r.rescore = true;
    QVERIFY(score::score(*m_ws, r).wrote);
    QVERIFY2(!QFileInfo::exists(stale), qPrintable(stale));
    QVERIFY2(QFileInfo::exists(live + "/images.npy"), qPrintable(live));
    // This scoring's own scratch folder is gone too.
    QCOMPARE(QDir(shards).entryList({QString(".score-%1-*").arg(::getpid())}, QDir::Dirs | QDir::Hidden),
             QStringList{});
    QVERIFY(QDir(live).removeRecursively());
}

void tst_Scoring::reviewLabelAcceptSkip()
{
    auto db = m_ws->openCatalog();
    review::ReviewQueue queue(*m_ws, *db);
    std::vector<review::ReviewItem> unlabeled;
    for (const auto &it : queue.list({"pending", "fashion", false, -1})) {
        if (it.path.find("/incoming/") != std::string::npos)
            unlabeled.push_back(it);
    }
    QVERIFY2(unlabeled.size() >= 8, qPrintable(QString::number(unlabeled.size())));

    // Label by id and by path with the truth; a label outside the model's classes is refused.
    const auto a = queue.label(std::to_string(unlabeled[0].id), truthOf(unlabeled[0].path));
    QCOMPARE(a.state, std::string("labeled"));
    QCOMPARE(a.label, truthOf(unlabeled[0].path));
    QCOMPARE(a.labelSource, std::string("human"));
    QVERIFY(!a.labeledBy.empty());
    queue.label(unlabeled[1].path, truthOf(unlabeled[1].path));
    QVERIFY_THROWS_EXCEPTION(std::runtime_error, queue.label(unlabeled[2].path, "not-a-class"));
    QCOMPARE(queue.find(unlabeled[2].path).state, std::string("pending"));
    // Accept takes the prediction; skip leaves it out.
    const auto accepted = queue.accept(std::to_string(unlabeled[2].id));
    QCOMPARE(accepted.label, unlabeled[2].predicted);
    const auto skipped = queue.skip(std::to_string(unlabeled[3].id));
    QCOMPARE(skipped.state, std::string("skipped"));
    QVERIFY(skipped.label.empty());
    // Relabeling a labeled entry replaces its label.
    queue.label(unlabeled[4].path, "bag");
    QCOMPARE(queue.label(unlabeled[4].path, truthOf(unlabeled[4].path)).label, truthOf(unlabeled[4].path));
    QCOMPARE(queue.list({"labeled", {}, false, -1}).size(), std::size_t(4));
    QCOMPARE(queue.list({"skipped", {}, false, -1}).size(), std::size_t(1));
    QVERIFY_THROWS_EXCEPTION(std::runtime_error, queue.find("999999"));
    QVERIFY_THROWS_EXCEPTION(std::runtime_error, queue.find("/no/such/image.png"));
    QVERIFY_THROWS_EXCEPTION(std::runtime_error, queue.list({"done", {}, false, -1}));
}

void tst_Scoring::commitMergesLabelsIntoTheNextShard()
{
    auto db = m_ws->openCatalog();
    review::ReviewQueue queue(*m_ws, *db);
    std::map<std::string, std::string> labeled;
    for (const auto &it : queue.list({"labeled", {}, false, -1}))
        labeled[it.path] = it.label;
    QCOMPARE(labeled.size(), std::size_t(4));
    catalog::Catalog cat(*db);
    const auto before = cat.stats("fashion");

    const auto res = queue.commit();
    QCOMPARE(res.labelsMerged, 4);
    QVERIFY(res.notMerged.empty());
    QCOMPARE(res.version, cat.latestVersion());
    QCOMPARE(count("SELECT operation = 'MERGE LABELS' FROM versions WHERE version = " + std::to_string(res.version)),
             1);
    const auto after = cat.stats("fashion");
    QCOMPARE(after.labeled, before.labeled + 4);
    QCOMPARE(after.unlabeled, before.unlabeled - 4);
    QCOMPARE(after.images, before.images);
    QCOMPARE(
        count(
            "SELECT count(*) FROM images WHERE table_name = 'fashion' AND valid_to IS NULL AND label_source = 'human'"),
        4);
    // Time travel: as of the version before, those images were unlabeled.
    QCOMPARE(cat.stats("fashion", res.version - 1).unlabeled, before.unlabeled);
    // The merged entries leave the open queue; a second commit merges nothing and writes no version.
    QCOMPARE(queue.list({"labeled", {}, false, -1}).size(), std::size_t(0));
    QCOMPARE(queue.list({"labeled", {}, true, -1}).size(), std::size_t(4));
    const auto again = queue.commit();
    QCOMPARE(again.labelsMerged, 0);
    QCOMPARE(again.version, res.version);

    // Scoring again does not queue images a person labeled.
    score::ScoreRequest r;
    r.model = "fashion@Production";
    r.table = "fashion";
    r.rescore = true;
    score::score(*m_ws, r);
    for (const auto &[path, label] : labeled)
        QCOMPARE(count("SELECT count(*) FROM review_queue WHERE merged_version IS NULL AND path = '" + path + "'"), 0);

    // The next shard holds them, with their human labels.
    data::ShardSpec spec;
    spec.table = "fashion";
    spec.valFraction = 0;
    const auto shard = data::materialise(*m_ws, spec);
    QCOMPARE(shard.dataVersion, res.version);
    QCOMPARE(shard.trainCount, m_trainImages + 4);
    QCOMPARE(shard.classes.size(), std::size_t(10));
    QCOMPARE(shard.classes.front(), std::string("t-shirt_top")); // Caltech order kept
    const data::NpyFile labels(shard.dir + "/train_labels.npy");
    const data::NpyFile images(shard.dir + "/train_images.npy");
    // Rows are in path order: find each labeled image's row among the paths of the table.
    std::vector<std::string> paths;
    {
        store::Statement st(*db, "SELECT path FROM images WHERE table_name = 'fashion' AND valid_to IS NULL AND "
                                 "label IS NOT NULL AND status = 'ok' ORDER BY path");
        while (st.step())
            paths.push_back(st.text(0));
    }
    QCOMPARE(std::int64_t(paths.size()), shard.trainCount);
    for (const auto &[path, label] : labeled) {
        const auto row = std::find(paths.begin(), paths.end(), path) - paths.begin();
        QVERIFY(row < std::int64_t(paths.size()));
        const auto cls = labels.values<std::int64_t>()[row];
        QCOMPARE(shard.classes[std::size_t(cls)], label);
    }
    Q_UNUSED(images);
}

void tst_Scoring::csvRoundTrip()
{
    auto db = m_ws->openCatalog();
    review::ReviewQueue queue(*m_ws, *db);
    const QString file = m_dir.filePath("queue.csv");
    const auto pending = queue.list({"pending", {}, false, -1});
    QCOMPARE(queue.exportCsv(file.toStdString()), std::int64_t(pending.size()));
    QFile f(file);
    QVERIFY(f.open(QIODevice::ReadOnly));
    QList<QByteArray> lines = f.readAll().split('\n');
    f.close();
    QCOMPARE(lines.front(), QByteArray("id,table,path,predicted,confidence,top5,model,label"));
    // A person fills in the label column of three incoming images, writes one unknown label, and one row
    // names an image that is not queued.
    QByteArray out = lines.front() + "\n";
    int filled = 0;
    std::vector<std::string> expectLabeled;
    std::string badLabelPath;
    for (int i = 1; i < lines.size(); ++i) {
        if (lines[i].isEmpty())
            continue;
        const auto fields = review::parseCsvRecord(lines[i].toStdString());
        QCOMPARE(fields.size(), std::size_t(8));
        if (fields[2].find("/incoming/") != std::string::npos && filled < 3) {
            out += lines[i] + truthOf(fields[2]).c_str() + "\n";
            expectLabeled.push_back(fields[2]);
            ++filled;
        } else if (badLabelPath.empty() && fields[2].find("/incoming/") != std::string::npos) {
            out += lines[i] + "zebra\n";
            badLabelPath = fields[2];
        } else {
            out += lines[i] + "\n"; // left empty
        }
    }
    out += ",fashion,/nowhere/x.png,bag,0.5,,fashion:1,bag\n"; // no id: matched by path
    QCOMPARE(filled, 3);
    QVERIFY(!badLabelPath.empty());
    QFile w(file);
    QVERIFY(w.open(QIODevice::WriteOnly | QIODevice::Truncate));
    w.write(out);
    w.close();

    const auto res = queue.importFile(file.toStdString());
    QCOMPARE(res.format, std::string("csv"));
    QCOMPARE(res.imported, 3);
    bool sawBadLabel = false, sawUnknown = false;
    for (const auto &[where, why] : res.skipped) {
        sawBadLabel = sawBadLabel || (why.find("zebra") != std::string::npos);
        sawUnknown = sawUnknown
                     || (why.find("/nowhere/x.png") != std::string::npos
                         || where.find("/nowhere/x.png") != std::string::npos);
    }
    QVERIFY(sawBadLabel);
    QVERIFY(sawUnknown);
    for (const auto &p : expectLabeled) {
        const auto it = queue.find(p);
        QCOMPARE(it.state, std::string("labeled"));
        QCOMPARE(it.label, truthOf(p));
        QCOMPARE(it.labelSource, std::string("import"));
    }
    QCOMPARE(queue.find(badLabelPath).state, std::string("pending"));
    // A CSV without the needed columns is refused as a whole.
    QFile bad(m_dir.filePath("bad.csv"));
    QVERIFY(bad.open(QIODevice::WriteOnly));
    bad.write("file,class\nx.png,bag\n");
    bad.close();
    QVERIFY_THROWS_EXCEPTION(std::runtime_error, queue.importFile(m_dir.filePath("bad.csv").toStdString()));
    QVERIFY_THROWS_EXCEPTION(std::runtime_error, queue.importFile(m_dir.filePath("missing.csv").toStdString()));
}

void tst_Scoring::labelStudioRoundTrip()
{
    auto db = m_ws->openCatalog();
    review::ReviewQueue queue(*m_ws, *db);
    const QString file = m_dir.filePath("tasks.json");
    const auto n = queue.exportLabelStudio(file.toStdString());
    QVERIFY(n > 2);
    QFile f(file);
    QVERIFY(f.open(QIODevice::ReadOnly));
    QJsonArray tasks = QJsonDocument::fromJson(f.readAll()).array();
    f.close();
    QCOMPARE(tasks.size(), n);
    const QJsonObject first = tasks.at(0).toObject();
    QVERIFY(first.value("data").toObject().contains("image"));
    const QJsonArray predictions = first.value("predictions").toArray();
    QCOMPARE(predictions.size(), 1);
    QVERIFY(predictions.at(0).toObject().value("score").toDouble() < 0.95);
    QCOMPARE(predictions.at(0).toObject().value("result").toArray().at(0).toObject().value("type").toString(),
             QString("choices"));

    // What Label Studio exports after annotation: the tasks with "annotations" (the data kept as we sent it,
    // except one task that only has an image URL of Label Studio's local-files form).
    std::vector<std::string> expect;
    QJsonArray exported;
    for (int i = 0; i < 3; ++i) {
        QJsonObject t = tasks.at(i).toObject();
        QJsonObject data = t.value("data").toObject();
        const std::string path = data.value("path").toString().toStdString();
        const std::string label = truthOf(path).empty() ? std::string("bag") : truthOf(path);
        if (i == 2) {
            data = QJsonObject{
                {"image", "/data/local-files/?d="
                              + QString::fromUtf8(QUrl::toPercentEncoding(QString::fromStdString(path), "/"))}};
            t.insert("data", data);
        }
        // An image from the labeled training set has no truth folder of the test split: label it as predicted.
        const std::string chosen = path.find("/incoming/") != std::string::npos ? label
                                                                                : t.value("predictions")
                                                                                      .toArray()
                                                                                      .at(0)
                                                                                      .toObject()
                                                                                      .value("result")
                                                                                      .toArray()
                                                                                      .at(0)
                                                                                      .toObject()
                                                                                      .value("value")
                                                                                      .toObject()
                                                                                      .value("choices")
                                                                                      .toArray()
                                                                                      .at(0)
                                                                                      .toString()
                                                                                      .toStdString();
        t.insert(
            "annotations",
            QJsonArray{QJsonObject{
                {"was_cancelled", false},
                {"result", QJsonArray{QJsonObject{
                               {"from_name", "label"},
                               {"to_name", "image"},
                               {"type", "choices"},
                               {"value", QJsonObject{{"choices", QJsonArray{QString::fromStdString(chosen)}}}}}}}}});
        exported.append(t);
        expect.push_back(path + "\n" + chosen);
    }
    exported.append(QJsonObject{
        {"data", QJsonObject{{"image", "/elsewhere/unknown.png"}}},
        {"annotations",
         QJsonArray{QJsonObject{
             {"result", QJsonArray{QJsonObject{{"value", QJsonObject{{"choices", QJsonArray{"bag"}}}}}}}}}}});
    exported.append(QJsonObject{{"data", tasks.at(3).toObject().value("data")}, {"annotations", QJsonArray{}}});
    QFile w(m_dir.filePath("export.json"));
    QVERIFY(w.open(QIODevice::WriteOnly));
    w.write(QJsonDocument(exported).toJson());
    w.close();
    const auto res = queue.importFile(m_dir.filePath("export.json").toStdString());
    QCOMPARE(res.format, std::string("labelstudio"));
    QCOMPARE(res.imported, 3);
    QCOMPARE(res.skipped.size(), std::size_t(2)); // the unknown image, the task without annotation
    for (const auto &e : expect) {
        const auto cut = e.find('\n');
        const auto it = queue.find(e.substr(0, cut));
        QCOMPARE(it.state, std::string("labeled"));
        QCOMPARE(it.label, e.substr(cut + 1));
    }
    QFile broken(m_dir.filePath("broken.json"));
    QVERIFY(broken.open(QIODevice::WriteOnly));
    broken.write("[{\"data\": ");
    broken.close();
    QVERIFY_THROWS_EXCEPTION(std::runtime_error, queue.importFile(m_dir.filePath("broken.json").toStdString()));
    // A task with two "data" keys is refused, not read last-wins.
    const QString twice = m_dir.filePath("twice.json");
    QFile dup(twice);
    QVERIFY(dup.open(QIODevice::WriteOnly));
    dup.write(R"([{"data": {"path": "/a.png"}, "data": {"path": "/b.png"}}])");
    dup.close();
    try {
        queue.importFile(twice.toStdString());
        QFAIL("a duplicate key was accepted");
    } catch (const std::runtime_error &e) {
        QVERIFY2(
            std::string(e.what()).find("'" + twice.toStdString() + "': line 1, column 31: duplicate key 'data' in [0]")
                == 0,
            e.what());
    }
}

// One "where: why" line per skipped row (compared as text, so a failure shows both lists).
static QString skippedText(const std::vector<std::pair<std::string, std::string>> &skipped)
{
    QString text;
    for (const auto &[where, why] : skipped)
        text += QString::fromStdString(where + ": " + why + "\n");
    return text;
}

void tst_Scoring::importReportsWhatItLeavesOut()
{
    // Every row an import leaves out is reported with where it is and why, and the rest is applied. The CSV
    // has a byte-order mark, an 'image' column, CRLF line ends and a quoted field holding a line break (one
    // record, so the lines after it are counted from there); the Label Studio tasks have no image, or only
    // a cancelled annotation.
    auto db = m_ws->openCatalog();
    review::ReviewQueue queue(*m_ws, *db);
    std::vector<std::string> pending;
    for (const auto &it : queue.list({"pending", "fashion", false, -1})) {
        if (it.path.find("/incoming/") != std::string::npos)
            pending.push_back(it.path);
    }
    QVERIFY2(pending.size() >= 4, qPrintable(QString::number(pending.size())));
    const std::string &a = pending[0], &b = pending[1], &c = pending[2], &d = pending[3];
    const QString csvFile = m_dir.filePath("left-out.csv");
    QFile csv(csvFile);
    QVERIFY(csv.open(QIODevice::WriteOnly));
    csv.write(QByteArray::fromStdString("\xEF\xBB\xBFimage,label\r\n" + a + "," + truthOf(a) + "\r\n,bag\r\n" + b
                                        + ",\r\n\"" + c + "\",\"ba\ng\"\r\n" + b + ",\r\n"));
    csv.close();
    const auto fromCsv = queue.importFile(csvFile.toStdString());
    QCOMPARE(fromCsv.format, std::string("csv"));
    QCOMPARE(fromCsv.imported, 1);
    // Rows that cannot be read come first, then those the queue refuses.
    const std::vector<std::pair<std::string, std::string>> csvSkipped{
        {"line 3", "no path or id"},
        {"line 4 (" + b + ")", "no label"},
        {"line 6 (" + b + ")", "no label"},
        {"line 5 (" + c + ")", "label 'ba\ng' is not a class of model fashion:1"}};
    QCOMPARE(skippedText(fromCsv.skipped), skippedText(csvSkipped));
    QCOMPARE(queue.find(a).state, std::string("labeled"));
    QCOMPARE(queue.find(a).label, truthOf(a));
    QCOMPARE(queue.find(b).state, std::string("pending"));
    QCOMPARE(queue.find(c).state, std::string("pending"));

    const auto choice = [](const std::string &label) {
        return QJsonArray{QJsonObject{{"value", QJsonObject{{"choices", QJsonArray{QString::fromStdString(label)}}}}}};
    };
    const QJsonArray tasks{
        QJsonObject{{"data", QJsonObject{{"path", QString::fromStdString(d)}}},
                    {"annotations", QJsonArray{QJsonObject{{"was_cancelled", true}, {"result", choice(truthOf(d))}}}}},
        QJsonObject{{"data", QJsonObject{}}, {"annotations", QJsonArray{QJsonObject{{"result", choice("bag")}}}}}};
    const QString jsonFile = m_dir.filePath("left-out.json");
    QFile json(jsonFile);
    QVERIFY(json.open(QIODevice::WriteOnly));
    json.write(QJsonDocument(tasks).toJson());
    json.close();
    const auto fromJson = queue.importFile(jsonFile.toStdString());
    QCOMPARE(fromJson.format, std::string("labelstudio"));
    QCOMPARE(fromJson.imported, 0);
    const std::vector<std::pair<std::string, std::string>> jsonSkipped{
        {"task 1 (" + d + ")", "no annotation with a choice"}, {"task 2 (no image)", "the task names no image"}};
    QCOMPARE(skippedText(fromJson.skipped), skippedText(jsonSkipped));
    QCOMPARE(queue.find(d).state, std::string("pending"));
}

void tst_Scoring::predictionsExport()
{
    auto db = m_ws->openCatalog();
    const QString file = m_dir.filePath("predictions.csv");
    const auto rows = score::exportPredictionsCsv(*db, "fashion", file.toStdString());
    QCOMPARE(rows, 3300);
    QFile f(file);
    QVERIFY(f.open(QIODevice::ReadOnly));
    const QList<QByteArray> lines = f.readAll().trimmed().split('\n');
    QCOMPARE(lines.size(), 3301);
    QCOMPARE(lines.front(), QByteArray("path,predicted_label,confidence,model,model_version,scored_at"));
    const auto fields = review::parseCsvRecord(lines.at(1).toStdString());
    QCOMPARE(fields.size(), std::size_t(6));
    QCOMPARE(fields[3], std::string("fashion"));
    QCOMPARE(fields[4], std::string("1"));
    QVERIFY_THROWS_EXCEPTION(std::runtime_error, score::exportPredictionsCsv(*db, "nope", file.toStdString()));
}

void tst_Scoring::unreadableImageDoesNotStopTheBatch()
{
    // Two new unlabeled images; one of them is then corrupted on disk after ingest.
    const QString dir = m_dir.filePath("late");
    QDir().mkpath(dir);
    for (const auto &[folder, name] : {std::pair{"000.t-shirt_top", "a.png"}, std::pair{"001.trouser", "b.png"}}) {
        const QDir incoming(m_dir.filePath(QString("incoming/") + folder));
        const QStringList files = incoming.entryList({"*.png"}, QDir::Files, QDir::Name);
        QVERIFY(!files.isEmpty());
        QVERIFY(QFile::copy(incoming.filePath(files.first()), dir + "/" + name));
    }
    ingest::IngestOptions u;
    u.source = dir.toStdString();
    u.table = "late";
    u.labels = ingest::LabelRule::None;
    QCOMPARE(ingest::ingest(*m_ws, u).added, 2);
    QFile b(dir + "/b.png");
    QVERIFY(b.open(QIODevice::WriteOnly | QIODevice::Truncate));
    b.write("not a png any more");
    b.close();

    score::ScoreRequest r;
    r.model = "fashion@Production";
    r.table = "late";
    const auto res = score::score(*m_ws, r);
    QCOMPARE(res.scored, 1);
    QCOMPARE(res.failed, 1);
    QCOMPARE(res.failures.size(), std::size_t(1));
    QVERIFY(res.failures.front().path.find("b.png") != std::string::npos);
    QVERIFY2(res.failures.front().reason.find("changed") != std::string::npos, res.failures.front().reason.c_str());
    QCOMPARE(count("SELECT count(*) FROM predictions WHERE table_name = 'late'"), 1);
}

void tst_Scoring::queueFollowsTheReviewMode_data()
{
    QTest::addColumn<QString>("mode");
    QTest::addColumn<QStringList>("queued"); // file names, sorted
    // a.png: no label, unsure; b.png: no label, sure; c.png: labeled "circle" by its folder, predicted "square"
    // (sure); d.png: labeled "circle", predicted "circle" (unsure); e.png: labeled "circle" by a person, predicted
    // "square".
    QTest::newRow("unlabeled (the seed's rule)") << "unlabeled" << QStringList{"a.png"};
    QTest::newRow("labeled: likely label errors") << "labeled" << QStringList{"c.png"};
    QTest::newRow("all") << "all" << QStringList{"a.png", "c.png"};
}

// The queue a MERGE PREDICTIONS makes, by review mode, on five images whose labels and predictions are set by hand.
void tst_Scoring::queueFollowsTheReviewMode()
{
    QFETCH(QString, mode);
    QFETCH(QStringList, queued);
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const QString labeled = dir.filePath("src/circle"), unlabeled = dir.filePath("new");
    for (const char *name : {"c.png", "d.png", "e.png"})
        QVERIFY(test::writeImage(labeled + "/" + name, 16, 16, 3, name[0]));
    for (const char *name : {"a.png", "b.png"})
        QVERIFY(test::writeImage(unlabeled + "/" + name, 16, 16, 3, name[0]));
    const auto ws = store::Workspace::open(dir.filePath("ws").toStdString());
    ingest::IngestOptions o;
    o.source = dir.filePath("src").toStdString();
    o.table = "t";
    o.labels = ingest::LabelRule::Folder;
    QCOMPARE(ingest::ingest(ws, o).added, 3);
    o.source = unlabeled.toStdString();
    o.labels = ingest::LabelRule::None;
    QCOMPARE(ingest::ingest(ws, o).added, 2);
    auto db = ws.openCatalog();
    {
        // e.png's label came from a person (a merged review): not second-guessed by a labeled review.
        store::Statement st(*db, "UPDATE images SET label_source = 'human' WHERE path LIKE '%/e.png'");
        st.exec();
    }
    auto path = [&](const char *name) {
        store::Statement st(*db, "SELECT path FROM images WHERE path LIKE ?1");
        st.bind(1, std::string("%/") + name);
        return st.step() ? st.text(0) : std::string();
    };
    const std::vector<score::PredictionRow> rows = {{path("a.png"), "", "square", 0.5, "[]"},
                                                    {path("b.png"), "", "square", 0.99, "[]"},
                                                    {path("c.png"), "", "square", 0.99, "[]"},
                                                    {path("d.png"), "", "circle", 0.5, "[]"},
                                                    {path("e.png"), "", "square", 0.99, "[]"}};
    score::MergeOptions m;
    m.table = "t";
    m.model = "m";
    m.modelVersion = 1;
    m.threshold = 0.95;
    m.review = *score::kReviewModes.parse(mode.toStdString());
    const auto stats = score::mergePredictions(*db, m, rows);
    QCOMPARE(stats.queued, queued.size());
    QStringList names;
    for (const auto &item : review::ReviewQueue(ws, *db).list()) {
        names << QFileInfo(QString::fromStdString(item.path)).fileName();
        // Each entry says the image's label now and where it came from, and why it is there.
        if (names.last() == "c.png") {
            QCOMPARE(item.currentLabel, std::string("circle"));
            QCOMPARE(item.currentLabelSource, std::string("path"));
            QCOMPARE(item.reason, std::string("predicted square, labeled circle (path)"));
        } else {
            QCOMPARE(item.currentLabel, std::string());
            QCOMPARE(item.reason, std::string("confidence below 0.95"));
        }
    }
    names.sort();
    QCOMPARE(names, queued);
}

// The confidence sort lists the unscored images first, searching from where the last merge recorded that every
// image before is scored (prediction_coverage). Checked against a plain search of every image, after each of:
// a partial merge, an ingest of new images, merges that fill the gaps, and as of an older version.
void tst_Scoring::confidenceSortFindsEveryUnscoredImage()
{
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    for (int i = 0; i < 6; ++i)
        QVERIFY(test::writeImage(dir.filePath(QString("src/a/%1.png").arg(i)), 8, 8, 1, 10 + i));
    const auto ws = store::Workspace::open(dir.filePath("ws").toStdString());
    ingest::IngestOptions o;
    o.source = dir.filePath("src").toStdString();
    o.table = "t";
    QCOMPARE(ingest::ingest(ws, o).added, 6);
    auto db = ws.openCatalog();
    // Image ids and paths in id order (the order the unscored search walks).
    auto images = [&] {
        std::vector<std::pair<std::int64_t, std::string>> all;
        store::Statement st(*db, "SELECT id, path FROM images WHERE table_name = 't' AND valid_to IS NULL ORDER BY id");
        while (st.step())
            all.emplace_back(st.int64(0), st.text(1));
        return all;
    };
    auto merge = [&](const std::vector<std::string> &paths) {
        std::vector<score::PredictionRow> rows;
        for (const auto &p : paths)
            rows.push_back({p, "", "a", 0.5 + 0.01 * double(rows.size()), "[]"});
        score::MergeOptions m;
        m.table = "t";
        m.model = "m";
        m.modelVersion = 1;
        return score::mergePredictions(*db, m, rows).version;
    };
    auto coverage = [&] {
        store::Statement st(*db, "SELECT scored_below FROM prediction_coverage WHERE table_name = 't'");
        return st.step() ? st.int64(0) : std::int64_t(-1);
    };
    // The unscored images as of `asOf`, by a search of every image (the reference), and as the sort lists them
    // (its first rows, those without a confidence), read in pages of 2 so that the cursor is used.
    auto reference = [&](std::int64_t asOf) {
        std::vector<std::int64_t> ids;
        store::Statement st(*db, "SELECT i.id FROM images i WHERE i.table_name = 't' AND i.valid_from <= ?1 AND "
                                 "(i.valid_to IS NULL OR i.valid_to > ?1) AND i.status = 'ok' AND NOT EXISTS (SELECT "
                                 "1 FROM predictions q WHERE q.table_name = 't' AND q.path = i.path AND "
                                 "q.version <= ?1) ORDER BY i.id");
        st.bind(1, asOf);
        while (st.step())
            ids.push_back(st.int64(0));
        return ids;
    };
    auto listed = [&](std::optional<std::int64_t> asOf) {
        catalog::ImageFilter f;
        f.table = "t";
        f.sort = catalog::ImageFilter::Sort::Confidence;
        f.asOfVersion = asOf;
        std::vector<std::int64_t> ids;
        std::optional<catalog::Cursor> after;
        for (;;) {
            const auto page = catalog::queryImages(*db, f, after, 2);
            for (const auto &r : page)
                if (!r.confidence)
                    ids.push_back(r.id);
            if (page.size() < 2)
                break;
            after = catalog::cursorAfter(page.back(), f.sort);
        }
        return ids;
    };
    auto latest = [&] { return catalog::Catalog(*db).latestVersion(); };

    auto first = images();
    QCOMPARE(first.size(), std::size_t(6));
    // Images 0, 1, 2 and 4 scored: the search starts at image 3.
    merge({first[0].second, first[1].second, first[2].second, first[4].second});
    QCOMPARE(coverage(), first[3].first);
    QCOMPARE(listed({}), reference(latest()));
    QCOMPARE(listed({}), (std::vector<std::int64_t>{first[3].first, first[5].first}));

    // Two new images in a later version: unscored too, past the recorded id.
    for (int i = 6; i < 8; ++i)
        QVERIFY(test::writeImage(dir.filePath(QString("src/a/%1.png").arg(i)), 8, 8, 1, 10 + i));
    QCOMPARE(ingest::ingest(ws, o).added, 2);
    const std::int64_t afterIngest = latest();
    auto all = images();
    QCOMPARE(all.size(), std::size_t(8));
    QCOMPARE(listed({}), reference(afterIngest));
    QCOMPARE(listed({}).size(), std::size_t(4));

    // Images 3, 5 and 6 scored: only 7 is left, and the record says so.
    merge({all[3].second, all[5].second, all[6].second});
    QCOMPARE(coverage(), all[7].first);
    QCOMPARE(listed({}), (std::vector<std::int64_t>{all[7].first}));
    QCOMPARE(listed({}), reference(latest()));
    // As of the version before that merge the record does not hold: the four are still listed.
    QCOMPARE(listed(afterIngest), reference(afterIngest));
    QCOMPARE(listed(afterIngest).size(), std::size_t(4));

    // Everything scored: the record is one past the last image and nothing is listed without a confidence.
    merge({all[7].second});
    QVERIFY(coverage() > all.back().first);
    QVERIFY(listed({}).empty());
    QVERIFY(reference(latest()).empty());
}

void tst_Scoring::badInput()
{
    score::ScoreRequest r;
    r.table = "fashion";
    auto fails = [&](const std::string &model, const std::string &mention) {
        r.model = model;
        try {
            score::score(*m_ws, r);
        } catch (const std::runtime_error &e) {
            return std::string(e.what()).find(mention) != std::string::npos;
        }
        return false;
    };
    QVERIFY(fails("nope@Production", "nope"));
    QVERIFY(fails("fashion@Staging", "Staging"));
    QVERIFY(fails("fashion@champion", "champion"));
    QVERIFY(fails("fashion:7", "7"));
    QVERIFY(fails("fashion", "NAME@Production"));
    r.table = "no-such-table";
    QVERIFY(fails("fashion@Production", "no-such-table"));
    r.table = "fashion";
    r.threshold = 1.5;
    QVERIFY(fails("fashion@Production", "threshold"));
    r.threshold = 0.95;
    r.reviewFraction = 0;
    QVERIFY(fails("fashion@Production", "fraction"));
}

void tst_Scoring::cliContract()
{
    auto run = [&](const QStringList &args, QJsonDocument *json = nullptr, QByteArray *err = nullptr) {
        QProcess p;
        p.start(PIPEWRIGHT_BIN, args + QStringList{"--workspace", QString::fromStdString(m_ws->root()), "--json"});
        p.waitForFinished(120000);
        if (json)
            *json = QJsonDocument::fromJson(p.readAllStandardOutput());
        if (err)
            *err = p.readAllStandardError();
        return p.exitCode();
    };
    QJsonDocument doc;
    QByteArray err;
    QCOMPARE(run({"score", "--model", "fashion@Production", "--table", "fashion", "--review-fraction", "0.5"}, &doc),
             0);
    for (const char *key : {"version", "model_version", "scored", "skipped", "queued_for_review"})
        QVERIFY2(doc.object().contains(key), key);
    QCOMPARE(doc.object().value("scored").toInteger(), 0);
    QCOMPARE(run({"review", "list", "--state", "pending"}, &doc), 0);
    QVERIFY(doc.isArray() && !doc.array().isEmpty());
    const QJsonObject item = doc.array().at(0).toObject();
    for (const char *key : {"id", "path", "confidence", "predicted", "top5", "state"})
        QVERIFY2(item.contains(key), key);
    const QString id = QString::number(item.value("id").toInteger());
    QCOMPARE(run({"review", "label", id, "zebra"}, nullptr, &err), 1);
    QVERIFY2(err.contains("zebra"), err.constData());
    QCOMPARE(run({"review", "accept", id}, &doc), 0);
    QCOMPARE(doc.object().value("state").toString(), QString("labeled"));
    QCOMPARE(run({"review", "commit"}, &doc), 0);
    QVERIFY(doc.object().contains("version"));
    QVERIFY(doc.object().value("labels_merged").toInteger() >= 1);
    QCOMPARE(run({"review", "skip", "/no/such.png"}, nullptr, &err), 1);
    QVERIFY2(err.contains("/no/such.png"), err.constData());
    QCOMPARE(run({"review", "export", "--format", "xml", m_dir.filePath("x")}, nullptr, &err), 2);
    QCOMPARE(run({"score", "--table", "fashion"}, nullptr, &err), 2);
    QVERIFY(err.contains("--model"));
    QCOMPARE(run({"score", "--model", "fashion@Production", "--threshold", "2"}, nullptr, &err), 2);
    QCOMPARE(run({"predictions", "export", m_dir.filePath("p.csv"), "--table", "fashion"}, &doc), 0);
    QCOMPARE(doc.object().value("rows").toInteger(), 3300);

    // The review sample is seeded: the same fraction and seed pick the same images.
    QVERIFY(score::inReviewSample("/a/b.png", 1.0, 1));
    int in = 0;
    for (int i = 0; i < 1000; ++i)
        in += score::inReviewSample("/img/" + std::to_string(i) + ".png", 0.1, 42);
    QVERIFY2(in > 60 && in < 140, qPrintable(QString::number(in)));
    for (int i = 0; i < 50; ++i) {
        const std::string p = "/img/" + std::to_string(i) + ".png";
        QCOMPARE(score::inReviewSample(p, 0.3, 7), score::inReviewSample(p, 0.3, 7));
    }
}

QTEST_GUILESS_MAIN(tst_Scoring)
#include "tst_scoring.moc"
