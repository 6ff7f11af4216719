// The CLI contract: command names, JSON keys, exit codes (0 ok, 1 failure, 2 usage) and messages
// that name what is at fault.
#include "core/store/Database.h"
#include "core/store/Workspace.h"
#include "core/track/Tracker.h"
#include "core/ingest/Ingestor.h"
#include "tests/TestData.h"
#include "tests/WorkerHold.h"

#include <QDir>
#include <QDirIterator>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QtEndian>
#include <QTemporaryDir>
#include <QTest>

#include <map>

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
    void optionsASubcommandDoesNotTake_data();
    void optionsASubcommandDoesNotTake();
    void helpJsonIsTheTable();
    void everyCommandHasHelpAndTakesItsOptions();
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
    void screenshotSize();
    void trainResumeContinuesAKilledRun();

private:
    struct Result
    {
        int exitCode = -1;
        QByteArray out;
        QByteArray err;
        QJsonDocument json() const { return QJsonDocument::fromJson(out); }
    };
    Result run(const QStringList &args);
    /** `pipewright help --json`, parsed. */
    QJsonObject table();
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
    QTest::newRow("bad version number") << QStringList{"catalog", "stats", "--as-of-version", "abc"}
                                        << "--as-of-version: 'abc'";
    QTest::newRow("unknown catalog command") << QStringList{"catalog", "drop"} << "unknown catalog command 'drop'";
    QTest::newRow("unknown data set") << QStringList{"demo-data", "cifar", "--out", "x"} << "unknown data set 'cifar'";
    QTest::newRow("bad split") << QStringList{"demo-data", "fashion-mnist", "--out", "x", "--split", "val"}
                               << "--split: 'val'";
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
    QTest::newRow("missing source folder")
        << QStringList{"ingest", m_dir.filePath("no-such-folder")} << "no-such-folder";
    QTest::newRow("version that does not exist")
        << QStringList{"catalog", "stats", "--as-of-version", "99"} << "catalog version 99";
    QTest::newRow("table that does not exist")
        << QStringList{"catalog", "stats", "--table", "nope"} << "no table 'nope'";
    QTest::newRow("workspace is a file") << QStringList{"catalog", "history", "--workspace",
                                                        m_dir.filePath("src/001.ant/a.png")}
                                         << "is not a folder";
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

void tst_Cli::optionsASubcommandDoesNotTake_data()
{
    // Options another subcommand takes, once accepted here and ignored: a usage error naming the option, before
    // the workspace is looked at (the workspace does not exist).
    QTest::addColumn<QStringList>("args");
    QTest::addColumn<QString>("option");
    QTest::newRow("catalog history --table") << QStringList{"catalog", "history", "--table", "t"} << "--table";
    QTest::newRow("catalog stats --limit") << QStringList{"catalog", "stats", "--limit", "3"} << "--limit";
    QTest::newRow("catalog rejected --limit") << QStringList{"catalog", "rejected", "--limit", "3"} << "--limit";
    QTest::newRow("runs show --experiment")
        << QStringList{"runs", "show", "abcd", "--experiment", "e"} << "--experiment";
    QTest::newRow("models list --run") << QStringList{"models", "list", "--run", "abcd"} << "--run";
    QTest::newRow("models alias --comment")
        << QStringList{"models", "alias", "m", "a", "1", "--comment", "c"} << "--comment";
    QTest::newRow("review label --format")
        << QStringList{"review", "label", "1", "cat", "--format", "csv"} << "--format";
    QTest::newRow("review commit --state") << QStringList{"review", "commit", "--state", "labeled"} << "--state";
    QTest::newRow("targets list --workdir") << QStringList{"targets", "list", "--workdir", "/w"} << "--workdir";
    QTest::newRow("evaluate --limit") << QStringList{"evaluate", "--run", "r", "--table", "t", "--limit", "1"}
                                      << "--limit";
    QTest::newRow("predictions export --rescore")
        << QStringList{"predictions", "export", "p.csv", "--rescore"} << "--rescore";
    QTest::newRow("flag given a value") << QStringList{"score", "--model", "m@Production", "--rescore=yes"}
                                        << "--rescore";
    QTest::newRow("value missing") << QStringList{"runs", "list", "--experiment"} << "--experiment";
}

void tst_Cli::optionsASubcommandDoesNotTake()
{
    QFETCH(QStringList, args);
    QFETCH(QString, option);
    const QString ws = m_dir.filePath("never-created");
    const Result r = run(QStringList{"--workspace", ws} + args);
    QCOMPARE(r.exitCode, 2);
    QVERIFY2(QString::fromUtf8(r.err).contains(option), r.err.constData());
    QVERIFY(r.out.isEmpty());
    QVERIFY(!QFileInfo::exists(ws));
}

QJsonObject tst_Cli::table()
{
    const Result r = run({"help", "--json"});
    if (r.exitCode != 0)
        return {};
    return r.json().object();
}

void tst_Cli::helpJsonIsTheTable()
{
    const QJsonObject t = table();
    QCOMPARE(t.value("program").toString(), "pipewright");
    // Every command and subcommand of the CLI contract, and what each does with its workspace.
    const std::map<QString, QString> expected{{"ingest", "may_create"},
                                              {"catalog history", "must_exist"},
                                              {"catalog stats", "must_exist"},
                                              {"catalog rejected", "must_exist"},
                                              {"demo-data", "none"},
                                              {"demo", "none"},
                                              {"train", "may_create"},
                                              {"runs list", "must_exist"},
                                              {"runs show", "must_exist"},
                                              {"runs compare", "must_exist"},
                                              {"runs tag", "must_exist"},
                                              {"runs note", "must_exist"},
                                              {"runs attach", "must_exist"},
                                              {"evaluate", "must_exist"},
                                              {"config get", "must_exist"},
                                              {"config set", "must_exist"},
                                              {"config unset", "must_exist"},
                                              {"config list", "must_exist"},
                                              {"models register", "must_exist"},
                                              {"models list", "must_exist"},
                                              {"models transition", "must_exist"},
                                              {"models history", "must_exist"},
                                              {"models alias", "must_exist"},
                                              {"models export", "must_exist"},
                                              {"score", "must_exist"},
                                              {"predictions export", "must_exist"},
                                              {"review list", "must_exist"},
                                              {"review label", "must_exist"},
                                              {"review accept", "must_exist"},
                                              {"review skip", "must_exist"},
                                              {"review commit", "must_exist"},
                                              {"review export", "must_exist"},
                                              {"review import", "must_exist"},
                                              {"pipeline validate", "none"},
                                              {"pipeline run", "may_create"},
                                              {"pipeline run-task", "must_exist"},
                                              {"pipeline runs", "must_exist"},
                                              {"pipeline show", "must_exist"},
                                              {"pipeline repair", "must_exist"},
                                              {"pipeline cancel", "must_exist"},
                                              {"pipeline import-databricks", "none"},
                                              {"pipeline export-databricks", "none"},
                                              {"schedule next", "none"},
                                              {"schedule install", "none"},
                                              {"schedule uninstall", "none"},
                                              {"schedule pause", "none"},
                                              {"schedule resume", "none"},
                                              {"scheduler", "may_create"},
                                              {"targets add", "may_create"},
                                              {"targets list", "must_exist"},
                                              {"targets remove", "must_exist"},
                                              {"targets test", "must_exist"},
                                              {"help", "none"}};
    std::map<QString, QString> found;
    std::map<QString, QStringList> options;
    for (const QJsonValue &cv : t.value("commands").toArray()) {
        const QJsonObject c = cv.toObject();
        const QJsonArray subs = c.value("subcommands").toArray();
        QVERIFY2(!c.value("synopsis").toString().isEmpty() && !c.value("description").toString().isEmpty(),
                 qPrintable(c.value("name").toString()));
        QVERIFY(c.value("options").isArray());
        QJsonArray leaves = subs;
        if (subs.isEmpty())
            leaves.append(c);
        for (const QJsonValue &lv : leaves) {
            const QJsonObject l = lv.toObject();
            const QString path = subs.isEmpty() ? l.value("name").toString()
                                                : c.value("name").toString() + " " + l.value("name").toString();
            QVERIFY2(l.value("synopsis").toString().startsWith("pipewright " + path), qPrintable(path));
            QVERIFY2(!l.value("description").toString().isEmpty(), qPrintable(path));
            found[path] = l.value("workspace_use").toString();
            for (const QJsonValue &ov : l.value("options").toArray()) {
                const QJsonObject o = ov.toObject();
                QVERIFY2(!o.value("name").toString().isEmpty() && !o.value("help").toString().isEmpty(),
                         qPrintable(path));
                QVERIFY2(o.contains("value"), qPrintable(path)); // null for a flag
                options[path] << o.value("name").toString();
            }
        }
    }
    for (const auto &[path, use] : expected)
        QVERIFY2(found.count(path) && found.at(path) == use,
                 qPrintable(path + ": " + (found.count(path) ? found.at(path) : "missing")));
    QCOMPARE(found.size(), expected.size());
    // The options of a few subcommands, exactly (others take theirs from the table; see the next test).
    QCOMPARE(options["catalog history"], QStringList{"limit"});
    QCOMPARE(options["catalog stats"], (QStringList{"table", "as-of-version"}));
    QCOMPARE(options["runs list"], QStringList{"experiment"});
    QCOMPARE(options["runs show"], QStringList());
    QCOMPARE(options["schedule next"], (QStringList{"count", "after"}));
    QCOMPARE(options["schedule install"], (QStringList{"method", "dry-run"}));
    QCOMPARE(options["pipeline validate"], QStringList());
    QCOMPARE(options["pipeline run"], (QStringList{"param", "only", "from", "to"}));
    QCOMPARE(options["ingest"], (QStringList{"table", "glob", "labels", "max-megapixels", "commit-every", "threads"}));
    QCOMPARE(options["train"].size(), 22); // with --resume
    QStringList common;
    for (const QJsonValue &o : t.value("options").toArray())
        common << o.toObject().value("name").toString();
    QCOMPARE(common, (QStringList{"workspace", "json", "help"}));

    // One command's entry alone, and the man page with a section per command.
    const Result one = run({"help", "catalog", "stats", "--json"});
    QCOMPARE(one.exitCode, 0);
    QCOMPARE(one.json().object().value("name").toString(), "stats");
    const Result man = run({"help", "--man"});
    QCOMPARE(man.exitCode, 0);
    for (const QJsonValue &c : t.value("commands").toArray())
        QVERIFY(man.out.contains(".SS " + c.toObject().value("name").toString().toUtf8() + "\n"));
}

void tst_Cli::everyCommandHasHelpAndTakesItsOptions()
{
    // Walks the table: `help COMMAND [SUB]` and `COMMAND [SUB] --help` print the same usage, and parsing accepts
    // every option the table gives that command (all at once, with --help, so nothing runs).
    const QJsonObject t = table();
    QVERIFY(!t.isEmpty());
    int leavesSeen = 0;
    for (const QJsonValue &cv : t.value("commands").toArray()) {
        const QJsonObject c = cv.toObject();
        const QString name = c.value("name").toString();
        QJsonArray leaves = c.value("subcommands").toArray();
        if (!leaves.isEmpty()) {
            const Result group = run({"help", name});
            QCOMPARE(group.exitCode, 0);
            for (const QJsonValue &sv : leaves) {
                const QJsonObject s = sv.toObject();
                if (!s.value("hidden").toBool())
                    QVERIFY2(group.out.contains("  " + name.toUtf8() + " " + s.value("name").toString().toUtf8()),
                             qPrintable(name + " " + s.value("name").toString()));
            }
        } else {
            leaves.append(QJsonValue());
        }
        for (const QJsonValue &sv : leaves) {
            const QJsonObject l = sv.isNull() ? c : sv.toObject();
            QStringList path{name};
            if (!sv.isNull())
                path << l.value("name").toString();
            const QByteArray usage = "Usage: pipewright " + path.join(' ').toUtf8();
            const Result help = run(QStringList{"help"} + path);
            QVERIFY2(help.exitCode == 0 && help.out.startsWith(usage), qPrintable(path.join(' ') + ": " + help.err));
            QStringList args = path;
            for (const QJsonValue &ov : l.value("options").toArray()) {
                const QJsonObject o = ov.toObject();
                args << "--" + o.value("name").toString();
                if (!o.value("value").isNull())
                    args << "1";
            }
            const Result parsed = run(args + QStringList{"--json", "--workspace", m_dir.filePath("none"), "--help"});
            QVERIFY2(parsed.exitCode == 0, qPrintable(args.join(' ') + ": " + parsed.err));
            QCOMPARE(parsed.out, help.out);
            ++leavesSeen;
        }
    }
    QVERIFY(leavesSeen >= 48);
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
    QVERIFY(versions.size() < 2
            || versions.at(1).toObject().value("version").toInteger() < newest.value("version").toInteger());

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
    const Result again = runIn(elsewhere,
                               {"ingest", m_dir.filePath("src"), "--table", "fasion", "--workspace", "fresh"});
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
    QTest::newRow("pipeline validate --help")
        << QStringList{"pipeline", "validate", "--help"} << "Usage: pipewright pipeline";
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

void tst_Cli::screenshotSize()
{
    // `--size WxH` and its value are the workbench's: "1366x768" is not taken for a command, and the PNG has
    // that size (the window's minimum size fits a 1366x768 laptop screen).
    const QString ws = m_dir.filePath("shot-ws");
    QCOMPARE(run({"ingest", m_dir.filePath("src"), "--table", "bugs", "--workspace", ws}).exitCode, 0);
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.insert("QT_QPA_PLATFORM", "offscreen");
    for (const QString &size : {QStringLiteral("1366x768"), QStringLiteral("1920x1080")}) {
        const QString file = m_dir.filePath("shot-" + size + ".png");
        const Result r = runIn(QString(), {"--workspace", ws, "--screenshot", file, "--size", size, "--page", "images"},
                               env);
        QVERIFY2(r.exitCode == 0, r.err.constData());
        QFile png(file);
        QVERIFY(png.open(QIODevice::ReadOnly));
        const QByteArray header = png.read(24); // the signature, then IHDR: width and height, big-endian
        QCOMPARE(header.size(), 24);
        const auto be32 = [&](int at) { return qFromBigEndian<quint32>(header.constData() + at); };
        QCOMPARE(QStringLiteral("%1x%2").arg(be32(16)).arg(be32(20)), size);
    }
    const Result bad = runIn(QString(), {"--workspace", ws, "--screenshot", m_dir.filePath("x.png"), "--size", "big"},
                             env);
    QCOMPARE(bad.exitCode, 2);
    QVERIFY2(bad.err.contains("--size: 'big'"), bad.err.constData());
}

void tst_Cli::trainResumeContinuesAKilledRun()
{
    // `train` stopped by SIGTERM at a held point ends its run KILLED with a checkpoint; `train --resume RUN` goes on
    // with the same run from there to the end, each epoch counted once.
    const QString ws = m_dir.filePath("resume-ws");
    QVERIFY(pw::test::writeShapeClasses(m_dir.filePath("shapes"), 30, 5));
    {
        const auto w = pw::store::Workspace::open(ws.toStdString());
        pw::ingest::IngestOptions o;
        o.source = m_dir.filePath("shapes").toStdString();
        o.table = "shapes";
        pw::ingest::ingest(w, o);
    }
    pw::test::WorkerHold hold;
    QVERIFY(hold.hold("epoch-1-batch-1"));
    QProcess train;
    train.start(PIPEWRIGHT_BIN,
                {"train", "--table", "shapes", "--epochs", "2", "--batch-size", "16", "--image-size", "16",
                 "--val-fraction", "0.2", "--device", "cpu", "--name", "to resume", "--workspace", ws, "--json"});
    QVERIFY(train.waitForStarted());
    QTRY_VERIFY_WITH_TIMEOUT(hold.isHeld("epoch-1-batch-1"), 120000);
    train.terminate(); // SIGTERM: the worker stops after the batch, with a checkpoint
    QVERIFY(train.waitForFinished(120000));
    QCOMPARE(train.exitCode(), 1);
    const QJsonObject killed = QJsonDocument::fromJson(train.readAllStandardOutput()).object();
    QCOMPARE(killed.value("status").toString(), QString("KILLED"));
    const QString runId = killed.value("run_id").toString();
    QVERIFY(!runId.isEmpty());
    hold.releaseAll();

    // Usage: --resume takes no training option; a run that cannot be resumed is named.
    Result r = run({"train", "--resume", runId.left(8), "--epochs", "3", "--workspace", ws});
    QCOMPARE(r.exitCode, 2);
    QVERIFY2(r.err.contains("--epochs cannot be given with it"), r.err.constData());

    r = run({"train", "--resume", runId.left(8), "--workspace", ws, "--json"});
    QVERIFY2(r.exitCode == 0, r.err.constData());
    const QJsonObject resumed = r.json().object();
    QCOMPARE(resumed.value("run_id").toString(), runId);
    QCOMPARE(resumed.value("status").toString(), QString("FINISHED"));
    QCOMPARE(resumed.value("epochs").toInt(), 2);
    {
        const auto w = pw::store::Workspace::open(ws.toStdString());
        auto db = w.openCatalog();
        pw::track::Tracker tracker(*db);
        QList<std::int64_t> epochs;
        for (const auto &m : tracker.metricHistory(runId.toStdString(), "train_loss"))
            epochs << m.epoch;
        QCOMPARE(epochs, (QList<std::int64_t>{1, 2}));
        QCOMPARE(tracker.run(runId.toStdString()).name, std::string("to resume"));
    }
    r = run({"train", "--resume", runId.left(8), "--workspace", ws});
    QCOMPARE(r.exitCode, 1);
    QVERIFY2(r.err.contains("is FINISHED: only a KILLED or FAILED run can be resumed"), r.err.constData());

    // runs compare heads its value columns with the runs' ids.
    r = run({"train", "--table", "shapes", "--epochs", "1", "--batch-size", "16", "--image-size", "16", "--lr", "0.002",
             "--device", "cpu", "--workspace", ws, "--json"});
    QVERIFY2(r.exitCode == 0, r.err.constData());
    const QString second = r.json().object().value("run_id").toString();
    r = run({"runs", "compare", runId.left(8), second.left(8), "--workspace", ws});
    QCOMPARE(r.exitCode, 0);
    const QList<QByteArray> lines = r.out.split('\n');
    const QByteArray header = "key " + runId.left(8).toUtf8() + " " + second.left(8).toUtf8();
    QVERIFY2(lines.size() > 2 && lines.at(1).simplified() == header, r.out.constData());
    QVERIFY2(r.out.contains("final metrics:\n  key "), r.out.constData());
}

QTEST_GUILESS_MAIN(tst_Cli)
#include "tst_cli.moc"
