// Tests of the workspace's change signal (core/store/WorkspaceWatcher.h) on a temporary workspace: each concern is
// announced when another connection writes to one of its tables, nothing when nothing changed, and a write by another
// process (the CLI) is seen as well. Polls are made by hand (poll()), so nothing here waits on a timer.
#include "core/store/Database.h"
#include "core/store/Settings.h"
#include "core/store/Workspace.h"
#include "core/store/WorkspaceWatcher.h"
#include "core/track/Tracker.h"

#include <QProcess>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>

using namespace pw;

class tst_WorkspaceWatcher : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void init();
    void announcesTheConcernWritten_data();
    void announcesTheConcernWritten();
    void metricsCountAsRuns();
    void anotherProcessIsSeen();
    void timerPollsWithinAnInterval();

private:
    std::unique_ptr<QTemporaryDir> m_dir;
    std::optional<store::Workspace> m_ws;
};

void tst_WorkspaceWatcher::init()
{
    m_dir = std::make_unique<QTemporaryDir>();
    QVERIFY(m_dir->isValid());
    m_ws = store::Workspace::open(m_dir->filePath("ws").toStdString());
}

void tst_WorkspaceWatcher::announcesTheConcernWritten_data()
{
    QTest::addColumn<QString>("sql");
    QTest::addColumn<uint>("expected");
    QTest::newRow("experiment") << "INSERT INTO experiments (name, created) VALUES ('e', 'now')"
                                << uint(store::RunsChanged);
    QTest::newRow("registered model") << "INSERT INTO registered_models (name, created, updated) VALUES ('m', 'a', 'a')"
                                      << uint(store::ModelsChanged);
    QTest::newRow("catalog version") << "INSERT INTO versions (timestamp, operation) VALUES ('now', 'WRITE')"
                                     << uint(store::CatalogChanged);
    QTest::newRow("review entry")
        << "INSERT INTO review_queue (table_name, path, model_name, model_version, predicted, "
           "confidence, top5, reason, queued_at) VALUES ('t', 'p', 'm', 1, 'a', 0.5, '[]', "
           "'r', 'now')"
        << uint(store::ReviewChanged);
    QTest::newRow("pipeline run") << "INSERT INTO pipeline_runs (pipeline, definition, life_cycle_state, start_time) "
                                     "VALUES ('p', '{}', 'RUNNING', 'now')"
                                  << uint(store::PipelinesChanged);
    QTest::newRow("setting") << "INSERT INTO workspace_settings VALUES ('registry.gate_table', 't', 'now')"
                             << uint(store::SettingsChanged);
    QTest::newRow("two concerns in one transaction")
        << "BEGIN; INSERT INTO experiments (name, created) VALUES ('e', 'now'); "
           "INSERT INTO versions (timestamp, operation) VALUES ('now', 'WRITE'); COMMIT"
        << uint(store::RunsChanged | store::CatalogChanged);
}

void tst_WorkspaceWatcher::announcesTheConcernWritten()
{
    QFETCH(QString, sql);
    QFETCH(uint, expected);
    store::WorkspaceWatcher watcher;
    watcher.setWorkspace(QString::fromStdString(m_ws->root()));
    QVERIFY2(watcher.lastError().isEmpty(), qPrintable(watcher.lastError()));
    QSignalSpy changed(&watcher, &store::WorkspaceWatcher::changed);
    watcher.poll();
    QCOMPARE(changed.size(), 0); // nothing written yet

    auto db = m_ws->openCatalog(); // another connection, as another window or process would have
    db->exec(sql.toStdString());
    watcher.poll();
    QCOMPARE(changed.size(), 1);
    QCOMPARE(changed.first().first().value<store::Changes>(), store::Changes(expected));
    watcher.poll();
    QCOMPARE(changed.size(), 1); // announced once
}

void tst_WorkspaceWatcher::metricsCountAsRuns()
{
    auto db = m_ws->openCatalog();
    track::Tracker tracker(*db);
    track::NewRun nr;
    nr.experiment = "e";
    const std::string run = tracker.createRun(nr);
    store::WorkspaceWatcher watcher;
    watcher.setWorkspace(QString::fromStdString(m_ws->root()));
    QSignalSpy changed(&watcher, &store::WorkspaceWatcher::changed);
    // A metric is no trigger's business (training logs thousands): the watcher reads the metrics' newest rowid.
    tracker.logMetrics(run, {{"loss", 0.5, 1, 0}});
    watcher.poll();
    QCOMPARE(changed.size(), 1);
    QCOMPARE(changed.first().first().value<store::Changes>(), store::Changes(store::RunsChanged));
}

void tst_WorkspaceWatcher::anotherProcessIsSeen()
{
    store::WorkspaceWatcher watcher;
    watcher.setWorkspace(QString::fromStdString(m_ws->root()));
    QSignalSpy changed(&watcher, &store::WorkspaceWatcher::changed);
    {
        // A table to name: one image ingested.
        auto db = m_ws->openCatalog();
        db->exec("INSERT INTO versions (version, timestamp, operation) VALUES (1, 'now', 'WRITE');"
                 "INSERT INTO images (table_name, path, size, mtime_ns, status, valid_from) VALUES "
                 "('t', '/a.png', 1, 1, 'ok', 1)");
    }
    watcher.poll();
    QCOMPARE(changed.size(), 1);
    QProcess cli;
    cli.start(PIPEWRIGHT_BIN,
              {"config", "set", "registry.gate_table", "t", "--workspace", QString::fromStdString(m_ws->root())});
    QVERIFY(cli.waitForFinished(60000));
    QCOMPARE(cli.exitCode(), 0);
    watcher.poll();
    QCOMPARE(changed.size(), 2);
    QCOMPARE(changed.last().first().value<store::Changes>(), store::Changes(store::SettingsChanged));
    auto db = m_ws->openCatalog();
    QCOMPARE(store::setting(*db, store::kGateTableSetting).value_or(""), std::string("t"));
}

void tst_WorkspaceWatcher::timerPollsWithinAnInterval()
{
    store::WorkspaceWatcher watcher;
    watcher.setInterval(20);
    watcher.setWorkspace(QString::fromStdString(m_ws->root()));
    QSignalSpy changed(&watcher, &store::WorkspaceWatcher::changed);
    auto db = m_ws->openCatalog();
    db->exec("INSERT INTO registered_models (name, created, updated) VALUES ('m', 'a', 'a')");
    QTRY_COMPARE_WITH_TIMEOUT(changed.size(), 1, 10000);
}

QTEST_GUILESS_MAIN(tst_WorkspaceWatcher)
#include "tst_workspacewatcher.moc"
