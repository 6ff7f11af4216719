// Polls catalog.db's data_version, then its change serials (see WorkspaceWatcher.h).
#include "core/store/WorkspaceWatcher.h"

#include "core/store/Database.h"

#include <QTimer>

#include <algorithm>
#include <exception>
#include <string>

namespace pw::store {

namespace {

constexpr int kDefaultIntervalMs = 250;
// A poll never waits long for a lock: it is tried again at the next tick instead.
constexpr int kBusyTimeoutMs = 20;

// The order of WorkspaceWatcher::Figures; metrics (index 6) counts towards runs.
constexpr const char *kConcerns[] = {"runs", "models", "catalog", "review", "pipelines", "settings"};
constexpr Change kBits[] = {RunsChanged,      ModelsChanged,   CatalogChanged, ReviewChanged,
                            PipelinesChanged, SettingsChanged, RunsChanged};

} // namespace

WorkspaceWatcher::WorkspaceWatcher(QObject *parent)
    : QObject(parent)
    , m_timer(new QTimer(this))
{
    m_timer->setInterval(kDefaultIntervalMs);
    connect(m_timer, &QTimer::timeout, this, &WorkspaceWatcher::poll);
}

WorkspaceWatcher::~WorkspaceWatcher() = default;

void WorkspaceWatcher::setWorkspace(const QString &root)
{
    m_timer->stop();
    m_db.reset();
    m_dataVersion = -1;
    m_error.clear();
    try {
        m_db = std::make_unique<Database>((root + QStringLiteral("/catalog.db")).toStdString(), kBusyTimeoutMs);
        m_dataVersion = dataVersion();
        readFigures(m_figures);
    } catch (const std::exception &e) {
        m_error = QString::fromUtf8(e.what());
        m_db.reset();
        return;
    }
    m_timer->start();
}

void WorkspaceWatcher::setInterval(int ms)
{
    m_timer->setInterval(std::max(10, ms));
}

int WorkspaceWatcher::interval() const
{
    return m_timer->interval();
}

std::int64_t WorkspaceWatcher::dataVersion()
{
    Statement st(*m_db, "PRAGMA data_version");
    st.step();
    return st.int64(0);
}

void WorkspaceWatcher::readFigures(Figures &out)
{
    // One read transaction, so that the serials and the metrics' rowid are of one moment.
    Statement serials(*m_db, "SELECT concern, serial FROM workspace_changes");
    Statement metrics(*m_db, "SELECT coalesce(max(rowid), 0) FROM metrics");
    m_db->exec("BEGIN");
    try {
        while (serials.step()) {
            const std::string concern = serials.text(0);
            for (std::size_t i = 0; i < std::size(kConcerns); ++i)
                if (concern == kConcerns[i])
                    out[i] = serials.int64(1);
        }
        metrics.step();
        out[6] = metrics.int64(0);
    } catch (...) {
        m_db->exec("ROLLBACK");
        throw;
    }
    serials.reset();
    metrics.reset();
    m_db->exec("COMMIT");
}

void WorkspaceWatcher::poll()
{
    if (!m_db)
        return;
    Figures now = m_figures;
    try {
        const std::int64_t version = dataVersion();
        if (version == m_dataVersion)
            return;
        readFigures(now);
        m_dataVersion = version;
        m_error.clear();
    } catch (const std::exception &e) {
        m_error = QString::fromUtf8(e.what()); // busy, or gone: the next poll tries again
        return;
    }
    Changes what = 0;
    for (std::size_t i = 0; i < now.size(); ++i)
        if (now[i] != m_figures[i])
            what |= kBits[i];
    m_figures = now;
    if (what)
        Q_EMIT changed(what);
}

} // namespace pw::store
