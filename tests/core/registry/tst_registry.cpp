// Tests of the model registry (core/registry/Registry.h) on a temporary workspace: the stage rules of
// transition() row by row, at most one Production version under concurrent promotions from two CLI
// processes, registration, model references and aliases, and the JSON contract of `pipewright models`.
#include "core/registry/Registry.h"
#include "core/store/Database.h"
#include "core/store/Workspace.h"
#include "core/track/Tracker.h"
#include "tests/TestData.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QStringList>
#include <QTemporaryDir>
#include <QTest>

#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

using namespace pw;
using pw::registry::Existing;
using pw::registry::ModelVersion;
using pw::registry::Registry;
using pw::registry::Stage;
using pw::registry::Transition;
using pw::registry::TransitionRequest;
using pw::store::Database;
using pw::store::Statement;
using pw::store::Workspace;

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

QString qs(const std::string &s)
{
    return QString::fromStdString(s);
}

TransitionRequest request(const std::string &name, std::int64_t version, Stage to,
                          Existing existing = Existing::Default)
{
    TransitionRequest r;
    r.name = name;
    r.version = version;
    r.to = to;
    r.existing = existing;
    return r;
}

Existing existingFrom(const QString &mode)
{
    if (mode == "Archive")
        return Existing::Archive;
    if (mode == "Keep")
        return Existing::Keep;
    return Existing::Default;
}

struct ProcessResult
{
    int exitCode = -1;
    QByteArray out;
    QByteArray err;
    QJsonDocument json() const { return QJsonDocument::fromJson(out); }
};

ProcessResult finish(QProcess &p)
{
    ProcessResult r;
    if (!p.waitForFinished(60000))
        return r;
    r.exitCode = p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -1;
    r.out = p.readAllStandardOutput();
    r.err = p.readAllStandardError();
    return r;
}

} // namespace

class tst_Registry : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void stageSemantics_data();
    void stageSemantics();
    void atMostOneProductionUnderConcurrentPromotions();
    void registerRun();
    void resolve();
    void aliases();
    void cliContract();

private:
    /** A run of the tracker with `status`; with the model files of a trained run unless `withModel` is false. */
    std::string makeRun(const std::string &status, bool withModel = true);
    QString stageOf(const std::string &name, std::int64_t version);
    void setStage(const std::string &name, std::int64_t version, const QString &stage);
    std::int64_t countInStage(const std::string &name, const QString &stage);
    QStringList cliArgs(const QStringList &args) const;
    ProcessResult cli(const QStringList &args);

    QTemporaryDir m_dir;
    std::optional<Workspace> m_ws;
    std::unique_ptr<Database> m_db;
    std::unique_ptr<Registry> m_reg;
    std::string m_run; // a FINISHED run with model.pt and classes.txt
    int m_runs = 0;
    int m_models = 0;
};

std::string tst_Registry::makeRun(const std::string &status, bool withModel)
{
    track::Tracker tracker(*m_db);
    track::NewRun nr;
    nr.experiment = "registry-tests";
    nr.name = "run" + std::to_string(++m_runs);
    nr.table = "t";
    nr.dataVersion = 1;
    const std::string id = tracker.createRun(nr);
    tracker.logParams(id, {{"image_size", "28"}, {"channels", "1"}});
    if (status != "RUNNING")
        tracker.endRun(id, status, status == "FAILED" ? "boom" : "");
    const QString dir = qs(m_ws->artifactsDir() + "/" + id);
    if (withModel && !pw::test::writeFile(dir + "/model.pt", "model bytes of " + QByteArray::fromStdString(id)))
        throw std::runtime_error("cannot write model.pt");
    if (!pw::test::writeFile(dir + "/classes.txt", "a\nb\nc\n"))
        throw std::runtime_error("cannot write classes.txt");
    return id;
}

QString tst_Registry::stageOf(const std::string &name, std::int64_t version)
{
    Statement st(*m_db, "SELECT stage FROM model_versions WHERE name = ?1 AND version = ?2");
    st.bind(1, name).bind(2, version);
    return st.step() ? qs(st.text(0)) : QStringLiteral("<no version>");
}

void tst_Registry::setStage(const std::string &name, std::int64_t version, const QString &stage)
{
    Statement st(*m_db, "UPDATE model_versions SET stage = ?1 WHERE name = ?2 AND version = ?3");
    st.bind(1, stage.toStdString()).bind(2, name).bind(3, version);
    st.exec();
}

std::int64_t tst_Registry::countInStage(const std::string &name, const QString &stage)
{
    Statement st(*m_db, "SELECT count(*) FROM model_versions WHERE name = ?1 AND stage = ?2");
    st.bind(1, name).bind(2, stage.toStdString());
    return st.step() ? st.int64(0) : -1;
}

QStringList tst_Registry::cliArgs(const QStringList &args) const
{
    return QStringList{"models"} + args + QStringList{"--workspace", qs(m_ws->root())};
}

ProcessResult tst_Registry::cli(const QStringList &args)
{
    QProcess p;
    p.start(QString::fromUtf8(PIPEWRIGHT_BIN), cliArgs(args));
    return finish(p);
}

void tst_Registry::initTestCase()
{
    QVERIFY(m_dir.isValid());
    m_ws.emplace(Workspace::open(m_dir.filePath("ws").toStdString()));
    m_db = m_ws->openCatalog();
    m_reg = std::make_unique<Registry>(*m_ws, *m_db);
    m_run = makeRun("FINISHED");
}

// --- transition(): every from/to pair with every Existing mode ---------------------------------------------
//
// Before each row: version 1 (the subject) in `from`, version 2 in Production (None when the subject is in
// Production) and version 3 in Staging. The columns are the expected outcome, written out.

void tst_Registry::stageSemantics_data()
{
    QTest::addColumn<QString>("from");
    QTest::addColumn<QString>("to");
    QTest::addColumn<QString>("mode");
    QTest::addColumn<QString>("error"); // a fragment of the expected message; empty: the transition succeeds
    QTest::addColumn<QString>("v1After");
    QTest::addColumn<QString>("v2After");
    QTest::addColumn<QString>("v3After");
    QTest::addColumn<int>("count"); // transitions returned

    const char *same = "is already in";
    const char *onlyStagingProduction = "applies to Staging and Production only";
    const char *oneProduction = "at most one version";
    auto row = [](const char *from, const char *to, const char *mode, const char *error, const char *v1, const char *v2,
                  const char *v3, int count) {
        QTest::addRow("%s->%s %s", from, to, mode) << QString(from) << QString(to) << QString(mode) << QString(error)
                                                   << QString(v1) << QString(v2) << QString(v3) << count;
    };

    // from None: v1 None, v2 Production, v3 Staging
    row("None", "None", "Default", same, "None", "Production", "Staging", 0);
    row("None", "None", "Archive", same, "None", "Production", "Staging", 0);
    row("None", "None", "Keep", same, "None", "Production", "Staging", 0);
    row("None", "Staging", "Default", "", "Staging", "Production", "Staging", 1);
    row("None", "Staging", "Archive", "", "Staging", "Production", "Archived", 2);
    row("None", "Staging", "Keep", "", "Staging", "Production", "Staging", 1);
    row("None", "Production", "Default", "", "Production", "Archived", "Staging", 2);
    row("None", "Production", "Archive", "", "Production", "Archived", "Staging", 2);
    row("None", "Production", "Keep", oneProduction, "None", "Production", "Staging", 0);
    row("None", "Archived", "Default", "", "Archived", "Production", "Staging", 1);
    row("None", "Archived", "Archive", onlyStagingProduction, "None", "Production", "Staging", 0);
    row("None", "Archived", "Keep", onlyStagingProduction, "None", "Production", "Staging", 0);

    // from Staging: v1 Staging, v2 Production, v3 Staging
    row("Staging", "None", "Default", "", "None", "Production", "Staging", 1);
    row("Staging", "None", "Archive", onlyStagingProduction, "Staging", "Production", "Staging", 0);
    row("Staging", "None", "Keep", onlyStagingProduction, "Staging", "Production", "Staging", 0);
    row("Staging", "Staging", "Default", same, "Staging", "Production", "Staging", 0);
    row("Staging", "Staging", "Archive", same, "Staging", "Production", "Staging", 0);
    row("Staging", "Staging", "Keep", same, "Staging", "Production", "Staging", 0);
    row("Staging", "Production", "Default", "", "Production", "Archived", "Staging", 2);
    row("Staging", "Production", "Archive", "", "Production", "Archived", "Staging", 2);
    row("Staging", "Production", "Keep", oneProduction, "Staging", "Production", "Staging", 0);
    row("Staging", "Archived", "Default", "", "Archived", "Production", "Staging", 1);
    row("Staging", "Archived", "Archive", onlyStagingProduction, "Staging", "Production", "Staging", 0);
    row("Staging", "Archived", "Keep", onlyStagingProduction, "Staging", "Production", "Staging", 0);

    // from Production: v1 Production, v2 None, v3 Staging
    row("Production", "None", "Default", "", "None", "None", "Staging", 1);
    row("Production", "None", "Archive", onlyStagingProduction, "Production", "None", "Staging", 0);
    row("Production", "None", "Keep", onlyStagingProduction, "Production", "None", "Staging", 0);
    row("Production", "Staging", "Default", "", "Staging", "None", "Staging", 1);
    row("Production", "Staging", "Archive", "", "Staging", "None", "Archived", 2);
    row("Production", "Staging", "Keep", "", "Staging", "None", "Staging", 1);
    row("Production", "Production", "Default", same, "Production", "None", "Staging", 0);
    row("Production", "Production", "Archive", same, "Production", "None", "Staging", 0);
    row("Production", "Production", "Keep", same, "Production", "None", "Staging", 0);
    row("Production", "Archived", "Default", "", "Archived", "None", "Staging", 1);
    row("Production", "Archived", "Archive", onlyStagingProduction, "Production", "None", "Staging", 0);
    row("Production", "Archived", "Keep", onlyStagingProduction, "Production", "None", "Staging", 0);

    // from Archived: v1 Archived, v2 Production, v3 Staging
    row("Archived", "None", "Default", "", "None", "Production", "Staging", 1);
    row("Archived", "None", "Archive", onlyStagingProduction, "Archived", "Production", "Staging", 0);
    row("Archived", "None", "Keep", onlyStagingProduction, "Archived", "Production", "Staging", 0);
    row("Archived", "Staging", "Default", "", "Staging", "Production", "Staging", 1);
    row("Archived", "Staging", "Archive", "", "Staging", "Production", "Archived", 2);
    row("Archived", "Staging", "Keep", "", "Staging", "Production", "Staging", 1);
    row("Archived", "Production", "Default", "", "Production", "Archived", "Staging", 2);
    row("Archived", "Production", "Archive", "", "Production", "Archived", "Staging", 2);
    row("Archived", "Production", "Keep", oneProduction, "Archived", "Production", "Staging", 0);
    row("Archived", "Archived", "Default", same, "Archived", "Production", "Staging", 0);
    row("Archived", "Archived", "Archive", same, "Archived", "Production", "Staging", 0);
    row("Archived", "Archived", "Keep", same, "Archived", "Production", "Staging", 0);
}

void tst_Registry::stageSemantics()
{
    QFETCH(QString, from);
    QFETCH(QString, to);
    QFETCH(QString, mode);
    QFETCH(QString, error);
    QFETCH(QString, v1After);
    QFETCH(QString, v2After);
    QFETCH(QString, v3After);
    QFETCH(int, count);

    const std::string name = "stages-" + std::to_string(++m_models);
    for (std::int64_t v = 1; v <= 3; ++v)
        QCOMPARE(m_reg->registerRun(m_run, name).version, v);
    setStage(name, 2, from == "Production" ? "None" : "Production");
    setStage(name, 3, "Staging");
    setStage(name, 1, from);
    const std::array<QString, 3> before{stageOf(name, 1), stageOf(name, 2), stageOf(name, 3)};
    QCOMPARE(before[0], from);
    const auto historyBefore = m_reg->history(name);

    const auto target = registry::parseStage(to.toStdString());
    QVERIFY(target);
    std::vector<Transition> got;
    const QString message = errorOf([&] { got = m_reg->transition(request(name, 1, *target, existingFrom(mode))); });

    QCOMPARE(stageOf(name, 1), v1After);
    QCOMPARE(stageOf(name, 2), v2After);
    QCOMPARE(stageOf(name, 3), v3After);
    QVERIFY(countInStage(name, "Production") <= 1);
    const auto historyAfter = m_reg->history(name);

    if (!error.isEmpty()) {
        QVERIFY2(message.contains(error), qPrintable(message));
        QVERIFY(got.empty());
        QCOMPARE(count, 0);
        QCOMPARE(historyAfter.size(), historyBefore.size());
        // Refused: nothing changed.
        QCOMPARE(stageOf(name, 1), before[0]);
        QCOMPARE(stageOf(name, 2), before[1]);
        QCOMPARE(stageOf(name, 3), before[2]);
        return;
    }

    QCOMPARE(message, QStringLiteral("<no error>"));
    QCOMPARE(int(got.size()), count);
    QCOMPARE(historyAfter.size(), historyBefore.size() + got.size());
    const std::string user = registry::currentUser();
    // The requested transition first...
    QCOMPARE(got[0].name, name);
    QCOMPARE(got[0].version, std::int64_t(1));
    QCOMPARE(qs(got[0].from), from);
    QCOMPARE(qs(got[0].to), to);
    QCOMPARE(got[0].by, user);
    QVERIFY(!got[0].at.empty());
    // ...then the version it archived.
    if (count == 2) {
        const std::int64_t archived = got[1].version;
        QVERIFY2(archived == 2 || archived == 3, qPrintable(QString::number(archived)));
        QCOMPARE(qs(got[1].from), before[std::size_t(archived - 1)]);
        QCOMPARE(qs(got[1].to), QStringLiteral("Archived"));
        QCOMPARE(stageOf(name, archived), QStringLiteral("Archived"));
        QCOMPARE(got[1].by, user);
    }
    // The history's new entries are the transitions returned (in any order).
    for (const Transition &t : got) {
        bool found = false;
        for (std::size_t i = historyBefore.size(); i < historyAfter.size(); ++i) {
            const Transition &h = historyAfter[i];
            if (h.name == t.name && h.version == t.version && h.from == t.from && h.to == t.to && h.by == t.by
                && h.at == t.at && h.comment == t.comment)
                found = true;
        }
        QVERIFY2(
            found,
            qPrintable(
                QStringLiteral("version %1: %2 -> %3 not in the history").arg(t.version).arg(qs(t.from), qs(t.to))));
    }
}

// --- two processes promoting two versions at the same time ---------------------------------------------------

void tst_Registry::atMostOneProductionUnderConcurrentPromotions()
{
    const std::string name = "race";
    QCOMPARE(m_reg->registerRun(m_run, name).version, std::int64_t(1));
    QCOMPARE(m_reg->registerRun(m_run, name).version, std::int64_t(2));
    const QString model = qs(name);

    for (int round = 0; round < 5; ++round) {
        const std::size_t historyBefore = m_reg->history(name).size();
        QProcess p1, p2;
        const QStringList args1 = cliArgs({"transition", model, "1", "Production", "--json"});
        const QStringList args2 = cliArgs({"transition", model, "2", "Production", "--json"});
        if (round % 2 == 0) {
            p1.start(QString::fromUtf8(PIPEWRIGHT_BIN), args1);
            p2.start(QString::fromUtf8(PIPEWRIGHT_BIN), args2);
        } else {
            p2.start(QString::fromUtf8(PIPEWRIGHT_BIN), args2);
            p1.start(QString::fromUtf8(PIPEWRIGHT_BIN), args1);
        }
        const ProcessResult r1 = finish(p1);
        const ProcessResult r2 = finish(p2);
        QVERIFY2(r1.exitCode == 0, r1.err.constData());
        QVERIFY2(r2.exitCode == 0, r2.err.constData());

        QCOMPARE(countInStage(name, "Production"), std::int64_t(1));
        const auto production = m_reg->inStage(name, Stage::Production);
        QVERIFY(production);
        const std::int64_t last = production->version; // promoted second: it archived the other
        const std::int64_t first = 3 - last;
        QCOMPARE(stageOf(name, first), QStringLiteral("Archived"));

        // The history: first None -> Production, then (one transaction) first Production -> Archived and
        // last None -> Production.
        const auto history = m_reg->history(name);
        QCOMPARE(history.size(), historyBefore + 3);
        const Transition &promotedFirst = history[historyBefore];
        QCOMPARE(promotedFirst.version, first);
        QCOMPARE(qs(promotedFirst.from), QStringLiteral("None"));
        QCOMPARE(qs(promotedFirst.to), QStringLiteral("Production"));
        int archivedAt = -1, promotedAt = -1;
        for (std::size_t i = historyBefore + 1; i < history.size(); ++i) {
            if (history[i].version == first && history[i].from == "Production" && history[i].to == "Archived")
                archivedAt = int(i);
            if (history[i].version == last && history[i].from == "None" && history[i].to == "Production")
                promotedAt = int(i);
        }
        QVERIFY2(archivedAt >= 0, "the first promoted version was not archived in the history");
        QVERIFY2(promotedAt >= 0, "the second promotion is not in the history");
        QCOMPARE(history[std::size_t(archivedAt)].at, history[std::size_t(promotedAt)].at);

        // Each process reports what it did: one transition, then two.
        const QJsonObject firstOut = (first == 1 ? r1 : r2).json().object();
        const QJsonObject lastOut = (last == 1 ? r1 : r2).json().object();
        QCOMPARE(firstOut.value("transitions").toArray().size(), 1);
        QCOMPARE(lastOut.value("transitions").toArray().size(), 2);
        QCOMPARE(lastOut.value("version").toInteger(), last);
        QCOMPARE(lastOut.value("stage").toString(), QStringLiteral("Production"));
        const QJsonObject archivedOut = lastOut.value("transitions").toArray().at(1).toObject();
        QCOMPARE(archivedOut.value("version").toInteger(), first);
        QCOMPARE(archivedOut.value("to").toString(), QStringLiteral("Archived"));

        // Back to None for the next round.
        QCOMPARE(m_reg->transition(request(name, first, Stage::None)).size(), std::size_t(1));
        QCOMPARE(m_reg->transition(request(name, last, Stage::None)).size(), std::size_t(1));
        QCOMPARE(countInStage(name, "None"), std::int64_t(2));
    }

    // --keep-existing on both, from no Production: one wins, the other is refused.
    const std::size_t historyBefore = m_reg->history(name).size();
    QProcess p1, p2;
    p1.start(QString::fromUtf8(PIPEWRIGHT_BIN),
             cliArgs({"transition", model, "1", "Production", "--keep-existing", "--json"}));
    p2.start(QString::fromUtf8(PIPEWRIGHT_BIN),
             cliArgs({"transition", model, "2", "Production", "--keep-existing", "--json"}));
    const ProcessResult r1 = finish(p1);
    const ProcessResult r2 = finish(p2);
    QVERIFY2((r1.exitCode == 0 && r2.exitCode == 1) || (r1.exitCode == 1 && r2.exitCode == 0),
             qPrintable(QStringLiteral("exit codes %1 and %2").arg(r1.exitCode).arg(r2.exitCode)));
    const ProcessResult &refused = r1.exitCode == 1 ? r1 : r2;
    const std::int64_t winner = r1.exitCode == 0 ? 1 : 2;
    QVERIFY2(refused.err.contains("Production"), refused.err.constData());
    QVERIFY2(refused.err.contains("at most one"), refused.err.constData());
    QCOMPARE(countInStage(name, "Production"), std::int64_t(1));
    QCOMPARE(stageOf(name, winner), QStringLiteral("Production"));
    QCOMPARE(stageOf(name, 3 - winner), QStringLiteral("None"));
    const auto history = m_reg->history(name);
    QCOMPARE(history.size(), historyBefore + 1);
    QCOMPARE(history.back().version, winner);
    QCOMPARE(qs(history.back().to), QStringLiteral("Production"));
}

// --- registerRun ----------------------------------------------------------------------------------------------

void tst_Registry::registerRun()
{
    const std::string name = "reg";
    const std::string runA = makeRun("FINISHED");
    const std::string runB = makeRun("FINISHED");
    const ModelVersion v1 = m_reg->registerRun(runA, name, "first");
    const ModelVersion v2 = m_reg->registerRun(runB.substr(0, 8), name); // a run id prefix
    const ModelVersion v3 = m_reg->registerRun(runA, name);
    QCOMPARE(v1.version, std::int64_t(1));
    QCOMPARE(v2.version, std::int64_t(2));
    QCOMPARE(v3.version, std::int64_t(3));
    QCOMPARE(v1.runId, runA);
    QCOMPARE(v2.runId, runB);
    QCOMPARE(v1.description, std::string("first"));
    QCOMPARE(v1.stage, Stage::None);
    QCOMPARE(v1.classes, (std::vector<std::string>{"a", "b", "c"}));
    QCOMPARE(v1.imageSize, 28);
    QCOMPARE(v1.channels, 1);
    QCOMPARE(v1.dataTable, std::string("t"));
    QCOMPARE(v1.dataVersion, std::int64_t(1));
    QVERIFY(!v1.created.empty());

    for (const ModelVersion &v : {v1, v2, v3}) {
        const QString dir = qs(m_ws->artifactsDir()) + "/registry/reg/v" + QString::number(v.version);
        QCOMPARE(qs(v.artifact), dir + "/model.pt");
        QFile model(dir + "/model.pt");
        QVERIFY2(model.open(QIODevice::ReadOnly), qPrintable(dir));
        QCOMPARE(model.readAll(), "model bytes of " + QByteArray::fromStdString(v.runId));
        QFile classes(dir + "/classes.txt");
        QVERIFY2(classes.open(QIODevice::ReadOnly), qPrintable(dir));
        QCOMPARE(classes.readAll(), QByteArray("a\nb\nc\n"));
    }
    // No temporary folder is left beside the versions.
    QCOMPARE(QDir(qs(m_ws->artifactsDir()) + "/registry/reg")
                 .entryList(QDir::AllEntries | QDir::Hidden | QDir::NoDotAndDotDot),
             (QStringList{"v1", "v2", "v3"}));
    // The version outlives the run's folder.
    QVERIFY(QDir(qs(m_ws->artifactsDir() + "/" + runB)).removeRecursively());
    QVERIFY(QFileInfo::exists(qs(m_reg->version(name, 2).artifact)));
    QCOMPARE(m_reg->versions(name).size(), std::size_t(3));

    // Refused: runs that did not finish, a run without a model file, an unknown run.
    const std::string running = makeRun("RUNNING");
    const std::string failed = makeRun("FAILED");
    const std::string noModel = makeRun("FINISHED", false);
    for (const std::string &run : {running, failed}) {
        const QString message = errorOf([&] { m_reg->registerRun(run, "unfinished"); });
        QVERIFY2(message.contains(qs(run)), qPrintable(message));
        QVERIFY2(message.contains("FINISHED"), qPrintable(message));
    }
    QVERIFY(errorOf([&] { m_reg->registerRun(running, "unfinished"); }).contains("RUNNING"));
    QVERIFY(errorOf([&] { m_reg->registerRun(failed, "unfinished"); }).contains("FAILED"));
    {
        const QString message = errorOf([&] { m_reg->registerRun(noModel, "unfinished"); });
        QVERIFY2(message.contains(qs(noModel)), qPrintable(message));
        QVERIFY2(message.contains("model"), qPrintable(message));
    }
    {
        const QString message = errorOf([&] { m_reg->registerRun("0123456789abcdef", "unfinished"); });
        QVERIFY2(message.contains("0123456789abcdef"), qPrintable(message));
    }
    // Refused: model names that cannot name a folder or a reference.
    const std::vector<std::string> badNames{"a/b", "x@y", "", "has:colon", ".hidden", "sp ace", std::string(101, 'x')};
    for (const std::string &bad : badNames) {
        const QString message = errorOf([&] { m_reg->registerRun(runA, bad); });
        QVERIFY2(message.contains("model name '" + qs(bad) + "'"), qPrintable(message));
        QVERIFY(errorOf([&] { Registry::checkName(bad); }) != QStringLiteral("<no error>"));
    }
    for (const std::string &good : std::vector<std::string>{"a", "A-b_c.9", std::string(100, 'x')})
        QCOMPARE(errorOf([&] { Registry::checkName(good); }), QStringLiteral("<no error>"));
    // None of the refused registrations left a model or a folder.
    for (const std::string &m : m_reg->models()) {
        QVERIFY2(m != "unfinished", m.c_str());
        for (const std::string &bad : badNames)
            QVERIFY2(m != bad, m.c_str());
    }
    QVERIFY(!QFileInfo::exists(qs(m_ws->artifactsDir()) + "/registry/unfinished"));
    QVERIFY(!QFileInfo::exists(qs(m_ws->artifactsDir()) + "/registry/a"));
    QVERIFY(!QFileInfo::exists(qs(m_ws->artifactsDir()) + "/registry/x@y"));
    QCOMPARE(m_reg->versions(name).size(), std::size_t(3));
}

// --- resolve() ------------------------------------------------------------------------------------------------

void tst_Registry::resolve()
{
    const std::string name = "res";
    for (int i = 0; i < 4; ++i)
        m_reg->registerRun(m_run, name);
    QCOMPARE(m_reg->transition(request(name, 2, Stage::Production)).size(), std::size_t(1));
    QCOMPARE(m_reg->transition(request(name, 1, Stage::Staging)).size(), std::size_t(1));
    QCOMPARE(m_reg->transition(request(name, 3, Stage::Staging)).size(), std::size_t(1));

    auto version = [&](const std::string &reference) {
        std::int64_t v = -1;
        const QString message = errorOf([&] { v = m_reg->resolve(reference).version; });
        if (message != QStringLiteral("<no error>"))
            qWarning("%s: %s", reference.c_str(), qPrintable(message));
        return v;
    };
    QCOMPARE(version("res@Production"), std::int64_t(2));
    QCOMPARE(version("res@production"), std::int64_t(2));
    QCOMPARE(version("res@PRODUCTION"), std::int64_t(2));
    QCOMPARE(version("res@Staging"), std::int64_t(3)); // the newest of the versions in Staging
    QCOMPARE(version("res@sTaGiNg"), std::int64_t(3));
    QCOMPARE(version("res@None"), std::int64_t(4));
    QCOMPARE(version("res:2"), std::int64_t(2));
    QCOMPARE(version("res:1"), std::int64_t(1));
    QCOMPARE(version("res:latest"), std::int64_t(4));
    const ModelVersion resolved = m_reg->resolve("res@Production");
    QCOMPARE(resolved.name, name);
    QCOMPARE(resolved.stage, Stage::Production);
    QCOMPARE(resolved.runId, m_run);

    m_reg->setAlias(name, "champion", 1);
    QCOMPARE(version("res@champion"), std::int64_t(1));
    m_reg->setAlias(name, "champion", 3); // moves
    QCOMPARE(version("res@champion"), std::int64_t(3));

    auto errorFor = [&](const std::string &reference) { return errorOf([&] { m_reg->resolve(reference); }); };
    {
        const QString e = errorFor("res@Archived"); // no version is Archived
        QVERIFY2(e.contains("'res'") && e.contains("Archived"), qPrintable(e));
    }
    m_reg->transition(request(name, 2, Stage::Archived));
    {
        const QString e = errorFor("res@Production"); // Production is empty now
        QVERIFY2(e.contains("'res'") && e.contains("Production"), qPrintable(e));
        // It lists the versions there are, newest first, and names the command that promotes one.
        QVERIFY2(e.contains("its versions: v4 (None), v3 (Staging), v2 (Archived), v1 (Staging)"), qPrintable(e));
        QVERIFY2(e.contains("`pipewright models transition res 4 Production`"), qPrintable(e));
        QCOMPARE(version("res@archived"), std::int64_t(2));
    }
    {
        const QString e = errorFor("res@nosuchalias");
        QVERIFY2(e.contains("'res'") && e.contains("nosuchalias"), qPrintable(e));
    }
    {
        const QString e = errorFor("nosuchmodel@Production");
        QVERIFY2(e.contains("nosuchmodel"), qPrintable(e));
    }
    {
        const QString e = errorFor("nosuchmodel:1");
        QVERIFY2(e.contains("nosuchmodel"), qPrintable(e));
    }
    for (const char *outOfRange : {"res:5", "res:99"}) {
        const QString e = errorFor(outOfRange);
        QVERIFY2(e.contains("'res'") && e.contains(QString(outOfRange).mid(4)), qPrintable(e));
    }
    for (const std::string malformed : {"res", "res:abc", "res:0", "res:-1", "res:", "res@Production:1", ""}) {
        const QString e = errorFor(malformed);
        QVERIFY2(e != QStringLiteral("<no error>"), malformed.c_str());
        QVERIFY2(e.contains("NAME:VERSION") || e.contains("no registered model"), qPrintable(e));
    }
    QVERIFY(errorFor("res").contains("'res'"));
    QVERIFY(errorFor("res:abc").contains("'abc'"));
}

// --- aliases --------------------------------------------------------------------------------------------------

void tst_Registry::aliases()
{
    const std::string name = "ali";
    for (int i = 0; i < 3; ++i)
        m_reg->registerRun(m_run, name);

    m_reg->setAlias(name, "champion", 1);
    m_reg->setAlias(name, "challenger", 1);
    QCOMPARE(m_reg->version(name, 1).aliases, (std::vector<std::string>{"challenger", "champion"}));
    m_reg->setAlias(name, "champion", 2); // moves: one version per alias
    QCOMPARE(m_reg->version(name, 1).aliases, (std::vector<std::string>{"challenger"}));
    QCOMPARE(m_reg->version(name, 2).aliases, (std::vector<std::string>{"champion"}));
    QCOMPARE(m_reg->resolve("ali@champion").version, std::int64_t(2));

    // Names that would read as a stage, a version or 'latest' are refused, and change nothing.
    for (const std::string bad :
         {"Production", "production", "Staging", "None", "archived", "3", "12", "latest", "", "a b", "x@y"}) {
        const QString e = errorOf([&] { m_reg->setAlias(name, bad, 3); });
        QVERIFY2(e != QStringLiteral("<no error>"), bad.c_str());
        QVERIFY2(e.contains("'" + qs(bad) + "'"), qPrintable(e));
    }
    QVERIFY(m_reg->version(name, 3).aliases.empty());
    // An alias to an unknown version or model.
    QVERIFY(errorOf([&] { m_reg->setAlias(name, "ghost", 9); }).contains("9"));
    QVERIFY(errorOf([&] { m_reg->setAlias("nosuchmodel", "ghost", 1); }).contains("nosuchmodel"));
    QVERIFY(errorOf([&] { m_reg->resolve("ali@ghost"); }).contains("ghost"));

    m_reg->deleteAlias(name, "champion");
    QVERIFY(m_reg->version(name, 2).aliases.empty());
    QVERIFY(errorOf([&] { m_reg->resolve("ali@champion"); }).contains("champion"));
    {
        const QString e = errorOf([&] { m_reg->deleteAlias(name, "champion"); });
        QVERIFY2(e.contains("'champion'") && e.contains("'ali'"), qPrintable(e));
    }
    QVERIFY(errorOf([&] { m_reg->deleteAlias("nosuchmodel", "challenger"); }).contains("nosuchmodel"));
    QCOMPARE(m_reg->version(name, 1).aliases, (std::vector<std::string>{"challenger"}));
}

// --- the CLI contract -----------------------------------------------------------------------------------------

void tst_Registry::cliContract()
{
    const QString run = qs(m_run);

    const ProcessResult reg1 = cli({"register", "--run", run, "--name", "cli", "--json"});
    QVERIFY2(reg1.exitCode == 0, reg1.err.constData());
    const QJsonObject r1 = reg1.json().object();
    for (const char *key : {"name", "version", "stage"})
        QVERIFY2(r1.contains(key), key);
    QCOMPARE(r1.value("name").toString(), QStringLiteral("cli"));
    QCOMPARE(r1.value("version").toInteger(), 1);
    QCOMPARE(r1.value("stage").toString(), QStringLiteral("None"));
    const ProcessResult reg2 = cli({"register", "--run", run, "--name", "cli", "--json"});
    QVERIFY2(reg2.exitCode == 0, reg2.err.constData());
    QCOMPARE(reg2.json().object().value("version").toInteger(), 2);

    const ProcessResult transition = cli({"transition", "cli", "1", "production", "--comment", "ship it", "--json"});
    QVERIFY2(transition.exitCode == 0, transition.err.constData());
    const QJsonObject t = transition.json().object();
    QCOMPARE(t.value("version").toInteger(), 1);
    QCOMPARE(t.value("stage").toString(), QStringLiteral("Production"));
    QCOMPARE(t.value("transitions").toArray().size(), 1);

    const ProcessResult alias = cli({"alias", "cli", "champion", "1", "--json"});
    QVERIFY2(alias.exitCode == 0, alias.err.constData());
    QCOMPARE(alias.json().object().value("alias").toString(), QStringLiteral("champion"));
    QCOMPARE(alias.json().object().value("version").toInteger(), 1);

    for (const QStringList &listArgs : {QStringList{"list", "--json"}, QStringList{"list", "cli", "--json"}}) {
        const ProcessResult list = cli(listArgs);
        QVERIFY2(list.exitCode == 0, list.err.constData());
        QVERIFY(list.json().isArray());
        const QJsonArray versions = list.json().array();
        QVERIFY(!versions.isEmpty());
        int seen = 0;
        for (const QJsonValue &value : versions) {
            const QJsonObject v = value.toObject();
            for (const char *key : {"name", "version", "stage", "run_id", "aliases", "created"})
                QVERIFY2(v.contains(key), key);
            if (listArgs.contains("cli"))
                QCOMPARE(v.value("name").toString(), QStringLiteral("cli"));
            if (v.value("name").toString() != "cli")
                continue;
            ++seen;
            QCOMPARE(v.value("run_id").toString(), run);
            QVERIFY(v.value("aliases").isArray());
            if (v.value("version").toInteger() == 1) {
                QCOMPARE(v.value("stage").toString(), QStringLiteral("Production"));
                QCOMPARE(v.value("aliases").toArray(), (QJsonArray{"champion"}));
            } else {
                QCOMPARE(v.value("stage").toString(), QStringLiteral("None"));
                QVERIFY(v.value("aliases").toArray().isEmpty());
            }
        }
        QCOMPARE(seen, 2);
    }

    const ProcessResult history = cli({"history", "cli", "--json"});
    QVERIFY2(history.exitCode == 0, history.err.constData());
    const QJsonArray entries = history.json().array();
    QCOMPARE(entries.size(), 1);
    const QJsonObject h = entries.at(0).toObject();
    for (const char *key : {"version", "from", "to", "at", "by", "comment"})
        QVERIFY2(h.contains(key), key);
    QCOMPARE(h.value("version").toInteger(), 1);
    QCOMPARE(h.value("from").toString(), QStringLiteral("None"));
    QCOMPARE(h.value("to").toString(), QStringLiteral("Production"));
    QCOMPARE(h.value("comment").toString(), QStringLiteral("ship it"));
    QCOMPARE(h.value("by").toString(), qs(registry::currentUser()));

    // Failures (exit 1) and usage errors (exit 2), each naming the value at fault on stderr.
    struct Bad
    {
        QStringList args;
        int exitCode;
        const char *message;
    };
    const std::vector<Bad> bad{
        {{"transition", "nosuchmodel", "1", "Production"}, 1, "nosuchmodel"},
        {{"transition", "cli", "9", "Production"}, 1, "version 9"},
        {{"transition", "cli", "2", "Bogus"}, 2, "Bogus"},
        {{"transition", "cli", "abc", "Production"}, 2, "abc"},
        {{"transition", "cli", "1"}, 2, "missing"},
        {{"transition", "cli", "1", "Production"}, 1, "already in Production"},
        {{"history", "nosuchmodel"}, 1, "nosuchmodel"},
        {{"history"}, 2, "missing"},
        {{"list", "nosuchmodel"}, 1, "nosuchmodel"},
        {{"alias", "cli", "champion", "9"}, 1, "9"},
        {{"alias", "cli", "champion", "abc"}, 2, "abc"},
        {{"alias", "cli", "Production", "1"}, 1, "Production"},
        {{"alias", "cli", "nosuchalias", "--delete"}, 1, "nosuchalias"},
        {{"register", "--name", "cli"}, 2, "--run"},
        {{"register", "--run", run}, 2, "--name"},
        {{"register", "--run", "feedfacefeedface", "--name", "cli"}, 1, "feedfacefeedface"},
        {{"register", "--run", run, "--name", "bad/name"}, 1, "bad/name"},
        {{"frobnicate"}, 2, "frobnicate"},
    };
    for (const Bad &b : bad) {
        const ProcessResult r = cli(b.args + QStringList{"--json"});
        const QString what = b.args.join(' ') + ": " + QString::fromUtf8(r.err);
        QVERIFY2(r.exitCode == b.exitCode, qPrintable(QStringLiteral("exit %1, ").arg(r.exitCode) + what));
        QVERIFY2(r.err.contains(b.message), qPrintable(what));
    }
    // None of them changed the model.
    QCOMPARE(m_reg->versions("cli").size(), std::size_t(2));
    QCOMPARE(m_reg->history("cli").size(), std::size_t(1));
    QCOMPARE(stageOf("cli", 1), QStringLiteral("Production"));
}

QTEST_GUILESS_MAIN(tst_Registry)
#include "tst_registry.moc"
