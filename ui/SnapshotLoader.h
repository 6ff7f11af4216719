// Loads a page's snapshot of the workspace on the workbench's pool (workPool()), one load at a time: a reload asked for
// while one runs follows it. The Catalog, Review, Experiments and Models pages each own one.
#pragma once

#include "ui/WorkPool.h"

#include <QFutureWatcher>
#include <QObject>
#include <QtConcurrent/QtConcurrentRun>

#include <functional>
#include <utility>

namespace pw::ui {

template<typename T> class SnapshotLoader
{
public:
    using Job = std::function<T()>;

    /**
     * `prepare` runs on the GUI thread when a load starts and gives the job to run on the thread pool (an empty
     * Job: nothing to load); `show` receives the job's result, moved out, on the GUI thread; `loading` is told
     * when a load starts (true) and when it has been shown (false). The callbacks die with `context`.
     */
    enum class Priority
    {
        Interactive, // workPool()
        SlowRead // slowReadPool(), at a lower priority: a load nobody looks at yet
    };

    SnapshotLoader(QObject *context, std::function<Job()> prepare, std::function<void(T)> show,
                   std::function<void(bool)> loading, Priority priority = Priority::Interactive)
        : m_prepare(std::move(prepare))
        , m_show(std::move(show))
        , m_loading(std::move(loading))
        , m_priority(priority)
    {
        QObject::connect(&m_watcher, &QFutureWatcherBase::finished, context, [this] {
            m_show(m_watcher.future().takeResult());
            m_loading(false);
            if (std::exchange(m_queued, false))
                reload();
        });
    }

    /** Starts a load, or queues one behind the load that runs. */
    void reload()
    {
        if (m_watcher.isRunning()) {
            m_queued = true;
            return;
        }
        Job job = m_prepare();
        if (!job)
            return;
        m_loading(true);
        if (m_priority == Priority::SlowRead)
            m_watcher.setFuture(QtConcurrent::run(slowReadPool(), [job = std::move(job)] {
                lowerThreadPriority();
                return job();
            }));
        else
            m_watcher.setFuture(QtConcurrent::run(workPool(), std::move(job)));
    }

private:
    std::function<Job()> m_prepare;
    std::function<void(T)> m_show;
    std::function<void(bool)> m_loading;
    QFutureWatcher<T> m_watcher;
    bool m_queued = false;
    Priority m_priority;
};

} // namespace pw::ui
