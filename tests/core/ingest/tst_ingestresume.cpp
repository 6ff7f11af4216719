// Kill -9 in the middle of a CLI ingest, then rerun: nothing committed is lost, nothing duplicated,
// and the rerun finishes the version with exact counts.
#include "core/catalog/Catalog.h"
#include "core/store/Database.h"
#include "core/store/Workspace.h"
#include "tests/TestData.h"

#include <QElapsedTimer>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QTemporaryDir>
#include <QTest>

#include <csignal>

using namespace pw;

class tst_IngestResume : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void killAndResume_data();
    void killAndResume();

private:
    QJsonObject runIngest(const QString &ws, QProcessEnvironment env = QProcessEnvironment::systemEnvironment());
    std::int64_t countRows(const QString &ws, const char *where = "1");

    QTemporaryDir m_dir;
    static constexpr int kFiles = 600;
};

void tst_IngestResume::initTestCase()
{
    QVERIFY(m_dir.isValid());
    for (int i = 0; i < kFiles; ++i) {
        const QString path = m_dir.filePath(
            QString("src/%1.class%2/img_%3.png").arg(i % 5, 3, 10, QChar('0')).arg(i % 5).arg(i));
        QVERIFY(test::writeImage(path, 16, 16, 1, i));
    }
}

QJsonObject tst_IngestResume::runIngest(const QString &ws, QProcessEnvironment env)
{
    QProcess p;
    p.setProcessEnvironment(env);
    p.start(PIPEWRIGHT_BIN, {"ingest", m_dir.filePath("src"), "--workspace", ws, "--commit-every", "20", "--json"});
    if (!p.waitForFinished(120000) || p.exitCode() != 0) {
        qWarning() << p.readAllStandardError();
        return {};
    }
    return QJsonDocument::fromJson(p.readAllStandardOutput()).object();
}

std::int64_t tst_IngestResume::countRows(const QString &ws, const char *where)
{
    store::Database db(ws.toStdString() + "/catalog.db");
    store::Statement st(db, std::string("SELECT count(*) FROM images WHERE ") + where);
    st.step();
    return st.int64(0);
}

void tst_IngestResume::killAndResume_data()
{
    QTest::addColumn<int>("killAfterRows");
    QTest::newRow("after the first batch") << 20;
    QTest::newRow("mid-way") << 300;
    QTest::newRow("near the end") << 560;
}

void tst_IngestResume::killAndResume()
{
    QFETCH(int, killAfterRows);
    const QString ws = m_dir.filePath(QString("ws-%1").arg(killAfterRows));
    store::Workspace::open(ws.toStdString());

    // The writer waits once killAfterRows rows are committed, so that the kill lands while batches remain.
    auto env = QProcessEnvironment::systemEnvironment();
    env.insert("PIPEWRIGHT_TEST_HOLD_AFTER_ROWS", QString::number(killAfterRows));
    QProcess child;
    child.setProcessEnvironment(env);
    child.start(PIPEWRIGHT_BIN, {"ingest", m_dir.filePath("src"), "--workspace", ws, "--commit-every", "20", "--json"});
    QVERIFY(child.waitForStarted());
    QElapsedTimer timer;
    timer.start();
    while (countRows(ws) < killAfterRows) {
        QVERIFY2(child.state() == QProcess::Running, "the ingest finished before it could be killed");
        QVERIFY2(timer.elapsed() < 120000, "no progress");
        QTest::qWait(2); // paces the poll of the row count
    }
    ::kill(pid_t(child.processId()), SIGKILL);
    QVERIFY(child.waitForFinished());
    QCOMPARE(child.exitStatus(), QProcess::CrashExit);

    const std::int64_t committed = countRows(ws);
    QVERIFY(committed >= killAfterRows);
    QVERIFY(committed < kFiles);
    {
        // Nothing of the interrupted version is visible yet.
        store::Database db(ws.toStdString() + "/catalog.db");
        catalog::Catalog cat(db);
        QCOMPARE(cat.latestVersion(), 0);
        QCOMPARE(cat.stats().images, 0);
        QVERIFY(cat.pendingVersion().has_value());
    }

    const QJsonObject rerun = runIngest(ws);
    QVERIFY(!rerun.isEmpty());
    QCOMPARE(rerun.value("version").toInteger(), 1);
    QCOMPARE(rerun.value("discovered").toInteger(), kFiles);
    QCOMPARE(rerun.value("added").toInteger(), kFiles);
    QCOMPARE(rerun.value("updated").toInteger(), 0);
    QCOMPARE(rerun.value("rejected").toInteger(), 0);
    QCOMPARE(rerun.value("unchanged").toInteger(), 0);
    QCOMPARE(rerun.value("resumed").toBool(), true);

    QCOMPARE(countRows(ws), kFiles);
    store::Database db(ws.toStdString() + "/catalog.db");
    store::Statement distinct(db, "SELECT count(DISTINCT path) FROM images");
    QVERIFY(distinct.step());
    QCOMPARE(distinct.int64(0), kFiles);
    catalog::Catalog cat(db);
    QCOMPARE(cat.stats().images, kFiles);
    QCOMPARE(cat.stats().labels.at("class3"), kFiles / 5);
    const auto history = cat.history();
    QCOMPARE(qsizetype(history.size()), 1);
    QVERIFY(history[0].metrics.find("\"added\":600") != std::string::npos);
    QVERIFY(!cat.pendingVersion().has_value());

    // And once more: nothing left to do.
    const QJsonObject again = runIngest(ws);
    QCOMPARE(again.value("version").toInteger(), 1);
    QCOMPARE(again.value("unchanged").toInteger(), kFiles);
    QCOMPARE(again.value("added").toInteger(), 0);
}

QTEST_GUILESS_MAIN(tst_IngestResume)
#include "tst_ingestresume.moc"
