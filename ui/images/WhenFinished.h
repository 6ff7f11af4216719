// Runs a continuation on the GUI thread once a future has finished, always from the event loop. (QFuture::then with a
// context object runs it at once, inside the caller, when the future has already finished: a model would then insert
// rows inside fetchMore().) The continuation dies with `context`.
#pragma once

#include <QFuture>
#include <QFutureWatcher>

#include <utility>

namespace pw::ui {

template<typename T, typename F> void whenFinished(QObject *context, QFuture<T> future, F &&continuation)
{
    auto *watcher = new QFutureWatcher<T>(context);
    QObject::connect(watcher, &QFutureWatcherBase::finished, context,
                     [watcher, f = std::forward<F>(continuation)]() mutable {
                         watcher->deleteLater();
                         f(watcher->result());
                     });
    watcher->setFuture(std::move(future)); // a finished future still reports through a posted event
}

} // namespace pw::ui
