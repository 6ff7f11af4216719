// The workbench's background pools (ui/WorkPool): a page's load never occupies Qt's global pool (which Qt's raster
// painting waits on), and the slow reads run at a lower priority.
#include "core/store/Database.h"
#include "ui/SnapshotLoader.h"
#include "ui/WorkPool.h"

#include <QApplication>
#include <QFutureWatcher>
#include <QSemaphore>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>
#include <QThreadPool>
#include <QtConcurrent/QtConcurrentRun>

#include <atomic>

#include <sys/resource.h>
#include <unistd.h>

using namespace pw;

class tst_WorkPool : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void loadsLeaveTheGlobalPoolFree_data();
    void loadsLeaveTheGlobalPoolFree();
    void slowReadsRunAtALowerPriority();
    void workbenchConnectionsMapLess();
};

void tst_WorkPool::loadsLeaveTheGlobalPoolFree_data()
{
    QTest::addColumn<bool>("slowRead");
    QTest::newRow("interactive") << false;
    QTest::newRow("slow read") << true;
}

// A load held at a known point (a semaphore) while the global pool, cut to one thread, must still run a task: had the
// load been queued there, the task would wait for it (as Qt's painting did for a catalog count).
void tst_WorkPool::loadsLeaveTheGlobalPoolFree()
{
    QFETCH(bool, slowRead);
    QVERIFY(ui::workPool() != QThreadPool::globalInstance());
    QVERIFY(ui::slowReadPool() != QThreadPool::globalInstance());
    const int globalThreads = QThreadPool::globalInstance()->maxThreadCount();
    QThreadPool::globalInstance()->setMaxThreadCount(1);

    QObject context;
    QSemaphore started, release;
    std::atomic<bool> onGlobal{true};
    int shown = 0;
    using Loader = ui::SnapshotLoader<int>;
    Loader loader(
        &context,
        [&]() -> Loader::Job {
            return [&] {
                onGlobal = QThreadPool::globalInstance()->contains(QThread::currentThread());
                started.release();
                release.acquire();
                return 7;
            };
        },
        [&](int value) { shown = value; }, [](bool) {},
        slowRead ? Loader::Priority::SlowRead : Loader::Priority::Interactive);
    loader.reload();
    QVERIFY(started.tryAcquire(1, 10000));
    QVERIFY(!onGlobal);

    QFutureWatcher<int> other;
    QSignalSpy done(&other, &QFutureWatcherBase::finished);
    other.setFuture(QtConcurrent::run(QThreadPool::globalInstance(), [] { return 1; }));
    const bool ran = done.wait(5000);
    release.release();
    QTRY_COMPARE_WITH_TIMEOUT(shown, 7, 10000);
    QThreadPool::globalInstance()->setMaxThreadCount(globalThreads);
    QVERIFY2(ran, "a task on the global pool waited for the page's load");
}

void tst_WorkPool::slowReadsRunAtALowerPriority()
{
    const int own = getpriority(PRIO_PROCESS, id_t(gettid()));
    // Waited for through a watcher: QFuture::result() may run a job not started yet on the waiting thread itself.
    auto niceOf = [](QThreadPool *pool, bool lower) {
        QFutureWatcher<int> watcher;
        QSignalSpy done(&watcher, &QFutureWatcherBase::finished);
        watcher.setFuture(QtConcurrent::run(pool, [lower] {
            if (lower)
                ui::lowerThreadPriority();
            return getpriority(PRIO_PROCESS, id_t(gettid()));
        }));
        return done.wait(10000) ? watcher.result() : -100;
    };
    QCOMPARE(niceOf(ui::slowReadPool(), true), std::max(own, 10));
    QCOMPARE(niceOf(ui::workPool(), false), own); // the interactive pool's threads keep the process's priority
    QCOMPARE(getpriority(PRIO_PROCESS, id_t(gettid())), own); // and so does this one
}

// The workbench's connections map 64 MiB of a database file, not 256 MiB: several are open at once and each map's
// resident pages count in its memory.
void tst_WorkPool::workbenchConnectionsMapLess()
{
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    auto mmapOf = [&] {
        store::Database db(dir.filePath("t.db").toStdString());
        store::Statement st(db, "PRAGMA mmap_size");
        return st.step() ? st.int64(0) : -1;
    };
    QCOMPARE(mmapOf(), std::int64_t(256) << 20);
    ui::configureWorkbenchProcess();
    QCOMPARE(mmapOf(), std::int64_t(64) << 20);
}

QTEST_MAIN(tst_WorkPool)
#include "tst_workpool.moc"
