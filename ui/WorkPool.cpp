// The workbench's background thread pools and process settings (see WorkPool.h).
#include "ui/WorkPool.h"

#include "core/store/Database.h"

#include <QCoreApplication>
#include <QPointer>
#include <QThread>
#include <QThreadPool>

#include <algorithm>

#ifdef __linux__
#include <cerrno>

#include <sys/resource.h>
#include <unistd.h>
#endif

namespace pw::ui {

QThreadPool *workPool()
{
    // Owned by the application: a pool that outlived it would run jobs into destroyed pages. A test that makes a
    // second application gets a second pool.
    static QPointer<QThreadPool> pool;
    if (!pool) {
        pool = new QThreadPool(QCoreApplication::instance());
        pool->setObjectName("pipewright-work");
        pool->setMaxThreadCount(std::max(4, QThread::idealThreadCount()));
    }
    return pool;
}

QThreadPool *slowReadPool()
{
    static QPointer<QThreadPool> pool;
    if (!pool) {
        pool = new QThreadPool(QCoreApplication::instance());
        pool->setObjectName("pipewright-slow-reads");
        pool->setMaxThreadCount(2);
    }
    return pool;
}

void configureWorkbenchProcess()
{
    store::setConnectionMmapBytes(std::int64_t(64) << 20);
}

void lowerThreadPriority()
{
#ifdef __linux__
    // On Linux a nice value set with the thread's id is the thread's own. Raising it needs no privilege; lowering
    // it again would, so the slow-read pool's threads keep it (they serve nothing else).
    constexpr int kNice = 10;
    const pid_t tid = gettid();
    errno = 0;
    const int now = getpriority(PRIO_PROCESS, id_t(tid));
    if (errno == 0 && now < kNice)
        setpriority(PRIO_PROCESS, id_t(tid), kNice);
#endif
}

} // namespace pw::ui
