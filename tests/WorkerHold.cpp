// Test hold points of pipewright-worker: see WorkerHold.h.
#include "tests/WorkerHold.h"

#include <QDir>
#include <QFile>

namespace pw::test {

namespace {
constexpr const char *kVariable = "PIPEWRIGHT_WORKER_HOLD_DIR";
}

WorkerHold::WorkerHold()
{
    m_hadPrevious = qEnvironmentVariableIsSet(kVariable);
    m_previous = qgetenv(kVariable);
    qputenv(kVariable, m_dir.path().toUtf8());
}

WorkerHold::~WorkerHold()
{
    releaseAll();
    if (m_hadPrevious)
        qputenv(kVariable, m_previous);
    else
        qunsetenv(kVariable);
}

bool WorkerHold::hold(const QString &point)
{
    // A worker of an earlier test may have said it was held here: that says nothing of the next one.
    QDir dir(m_dir.path());
    for (const QString &said : dir.entryList({point + ".held", point + ".rank-*.held"}, QDir::Files))
        dir.remove(said);
    QFile f(m_dir.filePath(point));
    if (!f.open(QIODevice::WriteOnly))
        return false;
    m_held << point;
    return true;
}

bool WorkerHold::isHeld(const QString &point) const
{
    return QFile::exists(m_dir.filePath(point + ".held"));
}

void WorkerHold::release(const QString &point)
{
    QFile::remove(m_dir.filePath(point));
    m_held.removeAll(point);
}

void WorkerHold::releaseAll()
{
    for (const QString &p : QStringList(m_held))
        release(p);
}

} // namespace pw::test
