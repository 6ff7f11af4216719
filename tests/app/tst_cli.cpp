// The CLI contract: command names, JSON keys, exit codes (0 ok, 1 failure, 2 usage) and messages
// that name what is at fault.
#include "core/store/Database.h"
#include "core/store/Workspace.h"
#include "core/track/Tracker.h"
#include "tests/TestData.h"

#include <QDir>
#include <QDirIterator>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QTemporaryDir>
#include <QTest>

class tst_Cli : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void usageErrors_data();
    void usageErrors();
    void failures_data();
    void failures();
    void help();
    void ingestJson();
    void catalogJson();
    void demoData();
    void runTagsAndNote();
    void readersNeedAWorkspace_data();
    void readersNeedAWorkspace();
    void writersSayTheyCreatedIt();
    void defaultWorkspaceIsNamed();
    void helpNeedsNoDisplay_data();
    void helpNeedsNoDisplay();
    void cudaRefusedUpFront();

private:
    struct Result
    {
        int exitCode = -1;
        QByteArray out;
        QByteArray err;
        QJsonDocument json() const { return QJsonDocument::fromJson(out); }
    };
    Result run(const QStringList &args);
    /** Runs in `folder` (the current one when empty) with `env` (the system's when empty). */
    Result runIn(const QString &folder, const QStringList &args, const QProcessEnvironment &env = {});

    QTemporaryDir m_dir;
    QString m_ws;
};

tst_Cli::Result tst_Cli::run(const QStringList &args)
{
    return runIn(QString(), args);
}

tst_Cli::Result tst_Cli::runIn(const QString &folder, const QStringList &args, const QProcessEnvironment &env)
{
    QProcess p;
    p.setWorkingDirectory(folder);
    if (!env.isEmpty())
        p.setProcessEnvironment(env);
    p.start(PIPEWRIGHT_BIN, args);
    Result r;
    if (!p.waitForFinished(120000))
        return r;
    r.exitCode = p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -1;
    r.out = p.readAllStandardOutput();
    r.err = p.readAllStandardError();
    return r;
}

void tst_Cli::initTestCase()
{
    QVERIFY(m_dir.isValid());
    m_ws = m_dir.filePath("ws");
    QVERIFY(pw::test::writeImage(m_dir.filePath("src/001.ant/a.png"), 10, 10));
    QVERIFY(pw::test::writeImage(m_dir.filePath("src/002.bee/b.png"), 10, 10, 3, 1));
    QVERIFY(pw::test::writeFile(m_dir.filePath("src/002.bee/broken.png"), "not a png"));
}

void tst_Cli::usageErrors_data()
{
    QTest::addColumn<QStringList>("args");
    QTest::addColumn<QString>("message");
    QTest::newRow("unknown command") << QStringList{"frobnicate"} << "unknown command 'frobnicate'";
    QTest::newRow("unknown option") << QStringList{"ingest", "x", "--bogus"} << "bogus";
    QTest::newRow("missing source") << QStringList{"ingest"} << "missing SOURCE";
    QTest::newRow("bad label rule") << QStringList{"ingest", "x", "--labels", "colour"} << "--labels: 'colour'";
    QTest::newRow("bad megapixels") << QStringList{"ingest", "x", "--max-megapixels", "-3"} << "--max-megapixels";
    QTest::newRow("bad version number") << QStringList{"catalog", "stats", "--as-of-version", "abc"} << "--as-of-version: 'abc'";
    QTest::newRow("unknown catalog command") << QStringList{"catalog", "drop"} << "unknown catalog command 'drop'";
    QTest::newRow("unknown data set") << QStringList{"demo-data", "cifar", "--out", "x"} << "unknown data set 'cifar'";
    QTest::newRow("bad split") << QStringList{"demo-data", "fashion-mnist", "--out", "x", "--split", "val"} << "--split: 'val'";
    QTest::newRow("help of unknown") << QStringList{"help", "nope"} << "unknown command 'nope'";
}

void tst_Cli::usageErrors()
{
    QFETCH(QStringList, args);
    QFETCH(QString, message);
    const Result r = run(args + QStringList{"--workspace", m_ws});
    QCOMPARE(r.exitCode, 2);
    QVERIFY2(QString::fromUtf8(r.err).contains(message), r.err.constData());
    QVERIFY(r.out.isEmpty());
}

void tst_Cli::failures_data()
{
    QTest::addColumn<QStringList>("args");
    QTest::addColumn<QString>("message");
    QTest::newRow("missing source folder") << QStringList{"ingest", m_dir.filePath("no-such-folder")} << "no-such-folder";
    QTest::newRow("version that does not exist") << QStringList{"catalog", "stats", "--as-of-version", "99"} << "catalog version 99";
    QTest::newRow("table that does not exist") << QStringList{"catalog", "stats", "--table", "nope"} << "no table 'nope'";
    QTest::newRow("workspace is a file") << QStringList{"catalog", "history", "--workspace", m_dir.filePath("src/001.ant/a.png")} << "is not a folder";
}

void tst_Cli::failures()
{
    QFETCH(QStringList, args);
    QFETCH(QString, message);
    const Result r = run(args.contains("--workspace") ? args : args + QStringList{"--workspace", m_ws});
    QCOMPARE(r.exitCode, 1);
    QVERIFY2(QString::fromUtf8(r.err).contains(message), r.err.constData());
}

void tst_Cli::help()
{
    const Result all = run({"help"});
    QCOMPARE(all.exitCode, 0);
    for (const char *command : {"ingest", "catalog", "demo-data", "demo"})
        QVERIFY2(all.out.contains(command), command);
    const Result ingest = run({"help", "ingest"});
    QCOMPARE(ingest.exitCode, 0);
    QVERIFY(ingest.out.contains("--max-megapixels"));
    QVERIFY(ingest.out.contains("--glob"));
    const Result version = run({"--version"});
    QCOMPARE(version.exitCode, 0);
    QVERIFY(version.out.startsWith("pipewright "));
}

void tst_Cli::ingestJson()
{
    // Options may come before the command too.
    const Result r = run({"--json", "ingest", m_dir.filePath("src"), "--workspace", m_ws, "--table", "bugs"});
    QCOMPARE(r.exitCode, 0);
    const QJsonObject o = r.json().object();
    for (const char *key : {"version", "discovered", "added", "updated", "unchanged", "rejected"})
        QVERIFY2(o.contains(key), key);
    QCOMPARE(o.value("discovered").toInteger(), 3);
    QCOMPARE(o.value("added").toInteger(), 2);
    QCOMPARE(o.value("rejected").toInteger(), 1);
    QVERIFY(r.err.contains("broken.png")); // the rejected file is named on stderr
}

void tst_Cli::catalogJson()
{
    QCOMPARE(run({"ingest", m_dir.filePath("src"), "--workspace", m_ws, "--table", "insects"}).exitCode, 0);
    const Result history = run({"catalog", "history", "--workspace", m_ws, "--json"});
    QCOMPARE(history.exitCode, 0);
    const QJsonArray versions = history.json().array();
    QVERIFY(!versions.isEmpty());
    const QJsonObject newest = versions.first().toObject();
    for (const char *key : {"version", "timestamp", "operation", "parameters", "metrics"})
        QVERIFY2(newest.contains(key), key);
    QCOMPARE(newest.value("operation").toString(), "INGEST");
    QCOMPARE(newest.value("parameters").toObject().value("table").toString(), "insects");
    QVERIFY(versions.size() < 2 || versions.at(1).toObject().value("version").toInteger() < newest.value("version").toInteger());

    const Result stats = run({"catalog", "stats", "--table", "insects", "--workspace", m_ws, "--json"});
    QCOMPARE(stats.exitCode, 0);
    const QJsonObject s = stats.json().object();
    for (const char *key : {"version", "images", "labeled", "unlabeled", "rejected", "labels"})
        QVERIFY2(s.contains(key), key);
    QCOMPARE(s.value("images").toInteger(), 2);
    QCOMPARE(s.value("rejected").toInteger(), 1);
    QCOMPARE(s.value("labels").toObject().value("ant").toInteger(), 1);
    QCOMPARE(s.value("labels").toObject().value("bee").toInteger(), 1);

    const Result rejected = run({"catalog", "rejected", "--table", "insects", "--workspace", m_ws, "--json"});
    QCOMPARE(rejected.exitCode, 0);
    const QJsonArray files = rejected.json().array();
    QCOMPARE(files.size(), 1);
    QVERIFY(files.at(0).toObject().value("path").toString().endsWith("002.bee/broken.png"));
    QVERIFY(files.at(0).toObject().value("reason").toString().startsWith("not an image"));
}

void tst_Cli::demoData()
{
    const QString out = m_dir.filePath("fm");
    const Result r = run({"demo-data", "fashion-mnist", "--out", out, "--split", "test", "--limit", "30", "--json"});
    if (!QFile::exists("/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz")) {
        QCOMPARE(r.exitCode, 1); // a clear failure naming the package
        QVERIFY(r.err.contains("dataset-fashion-mnist"));
        return;
    }
    QCOMPARE(r.exitCode, 0);
    const QJsonObject o = r.json().object();
    QCOMPARE(o.value("images").toInteger(), 30);
    QCOMPARE(o.value("classes").toInt(), 10);
    QCOMPARE(o.value("split").toString(), "test");
    int pngs = 0;
    for (QDirIterator it(out, {"*.png"}, QDir::Files, QDirIterator::Subdirectories); it.hasNext(); it.next())
        ++pngs;
    QCOMPARE(pngs, 30);
    QVERIFY(QFile::exists(out + "/009.ankle_boot/00000.png")); // the first test image is an ankle boot
}

void tst_Cli::runTagsAndNote()
{
    const QString ws = m_dir.filePath("tags-ws");
    std::string runId;
    {
        const auto w = pw::store::Workspace::open(ws.toStdString());
        auto db = w.openCatalog();
        pw::track::Tracker tracker(*db);
        runId = tracker.createRun({"tags", "r1", "images", 1, {}});
        tracker.endRun(runId, "FINISHED");
    }
    const QString prefix = QString::fromStdString(runId.substr(0, 8));
    Result r = run({"runs", "tag", prefix, "dataset", "fashion v2", "--workspace", ws, "--json"});
    QCOMPARE(r.exitCode, 0);
    QCOMPARE(r.json().object().value("run_id").toString(), QString::fromStdString(runId));
    QCOMPARE(r.json().object().value("value").toString(), QString("fashion v2"));
    r = run({"runs", "note", prefix, "baseline for the sweep", "--workspace", ws});
    QCOMPARE(r.exitCode, 0);
    r = run({"runs", "tag", prefix, "mlflow.user", "x", "--workspace", ws});
    QCOMPARE(r.exitCode, 2);
    QVERIFY2(r.err.contains("reserved"), r.err.constData());
    r = run({"runs", "tag", "ffffffff", "k", "v", "--workspace", ws});
    QCOMPARE(r.exitCode, 1);
    QVERIFY2(r.err.contains("ffffffff"), r.err.constData());

    const auto w = pw::store::Workspace::open(ws.toStdString());
    auto db = w.openCatalog();
    const auto tags = pw::track::Tracker(*db).tags(runId);
    QCOMPARE(tags.at("dataset"), std::string("fashion v2"));
    QCOMPARE(tags.at("mlflow.note.content"), std::string("baseline for the sweep"));
    QVERIFY(!tags.count("mlflow.user") || tags.at("mlflow.user") != "x");
}

void tst_Cli::readersNeedAWorkspace_data()
{
    QTest::addColumn<QStringList>("args");
    QTest::newRow("catalog stats") << QStringList{"catalog", "stats"};
    QTest::newRow("catalog history") << QStringList{"catalog", "history"};
    QTest::newRow("runs list") << QStringList{"runs", "list"};
    QTest::newRow("models list") << QStringList{"models", "list"};
    QTest::newRow("review list") << QStringList{"review", "list"};
    QTest::newRow("pipeline runs") << QStringList{"pipeline", "runs"};
}

void tst_Cli::readersNeedAWorkspace()
{
    // A relative, mistyped --workspace from another folder: the command fails naming the absolute folder, and
    // creates nothing (it used to print "0 images" and leave an empty workspace behind).
    QFETCH(QStringList, args);
    const QString elsewhere = m_dir.filePath("elsewhere");
    QVERIFY(QDir().mkpath(elsewhere));
    const Result r = runIn(elsewhere, args + QStringList{"--workspace", "wss"});
    QCOMPARE(r.exitCode, 1);
    QVERIFY2(r.err.contains("no workspace at " + QDir(elsewhere).filePath("wss").toUtf8()), r.err.constData());
    QVERIFY(!QFileInfo::exists(QDir(elsewhere).filePath("wss")));
}

void tst_Cli::writersSayTheyCreatedIt()
{
    const QString elsewhere = m_dir.filePath("elsewhere-writer");
    QVERIFY(QDir().mkpath(elsewhere));
    const Result r = runIn(elsewhere, {"ingest", m_dir.filePath("src"), "--table", "fasion", "--workspace", "fresh"});
    QCOMPARE(r.exitCode, 0);
    QVERIFY2(r.err.contains("created workspace " + QDir(elsewhere).filePath("fresh").toUtf8()), r.err.constData());
    QVERIFY2(r.err.contains("new table 'fasion'"), r.err.constData());
    QVERIFY(QFileInfo::exists(QDir(elsewhere).filePath("fresh/catalog.db")));
    // The second time it exists, and the table too: neither is announced.
    const Result again = runIn(elsewhere, {"ingest", m_dir.filePath("src"), "--table", "fasion", "--workspace", "fresh"});
    QCOMPARE(again.exitCode, 0);
    QVERIFY2(!again.err.contains("created workspace") && !again.err.contains("new table"), again.err.constData());
}

void tst_Cli::defaultWorkspaceIsNamed()
{
    const QString ws = m_dir.filePath("default-ws");
    QCOMPARE(run({"ingest", m_dir.filePath("src"), "--workspace", ws}).exitCode, 0);
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.insert("PIPEWRIGHT_WORKSPACE", ws);
    const Result r = runIn(m_dir.path(), {"catalog", "history"}, env);
    QCOMPARE(r.exitCode, 0);
    QVERIFY2(r.err.contains("workspace " + ws.toUtf8()), r.err.constData());
    env.insert("PIPEWRIGHT_WORKSPACE", m_dir.filePath("no-default-here"));
    const Result missing = runIn(m_dir.path(), {"catalog", "history"}, env);
    QCOMPARE(missing.exitCode, 1);
    QVERIFY2(missing.err.contains("(the default; name one with --workspace DIR)"), missing.err.constData());
}

void tst_Cli::helpNeedsNoDisplay_data()
{
    QTest::addColumn<QStringList>("args");
    QTest::addColumn<QString>("expected");
    QTest::newRow("--help") << QStringList{"--help"} << "Usage: pipewright [--workspace DIR]";
    QTest::newRow("-h") << QStringList{"-h"} << "Usage: pipewright [--workspace DIR]";
    QTest::newRow("ingest --help") << QStringList{"ingest", "--help"} << "Usage: pipewright ingest SOURCE";
    QTest::newRow("catalog -h") << QStringList{"catalog", "-h"} << "Usage: pipewright catalog";
    QTest::newRow("pipeline validate --help") << QStringList{"pipeline", "validate", "--help"} << "Usage: pipewright pipeline";
}

void tst_Cli::helpNeedsNoDisplay()
{
    // No display at all (not even Qt's offscreen platform): help must not need the GUI (it aborted, exit 134).
    QFETCH(QStringList, args);
    QFETCH(QString, expected);
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.remove("DISPLAY");
    env.remove("WAYLAND_DISPLAY");
    env.remove("QT_QPA_PLATFORM");
    const Result r = runIn(m_dir.path(), args, env);
    QCOMPARE(r.exitCode, 0);
    QVERIFY2(QString::fromUtf8(r.out).contains(expected), r.out.constData());
}

void tst_Cli::cudaRefusedUpFront()
{
    // This machine's worker has no CUDA: `train --device cuda` is refused before shards are built or a run recorded.
    const QString ws = m_dir.filePath("cuda-ws");
    QCOMPARE(run({"ingest", m_dir.filePath("src"), "--table", "bugs", "--workspace", ws}).exitCode, 0);
    const Result r = run({"train", "--table", "bugs", "--device", "cuda", "--workspace", ws});
    QCOMPARE(r.exitCode, 1);
    QVERIFY2(r.err.contains("--device cuda") && r.err.contains("no CUDA device"), r.err.constData());
    const Result runs = run({"runs", "list", "--workspace", ws, "--json"});
    QCOMPARE(runs.exitCode, 0);
    QCOMPARE(runs.json().array().size(), 0);
    QVERIFY(QDir(ws + "/shards").entryList(QDir::Dirs | QDir::NoDotAndDotDot).isEmpty());
}

QTEST_GUILESS_MAIN(tst_Cli)
#include "tst_cli.moc"
