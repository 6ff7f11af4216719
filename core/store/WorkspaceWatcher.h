// The workspace's change signal: what changed in catalog.db since the last look, by concern, whoever wrote it (this
// window, the CLI, a worker, a scheduler, a second window). The workbench's pages reload on it.
#pragma once

#include <QObject>
#include <QString>

#include <array>
#include <cstdint>
#include <memory>

class QTimer;

namespace pw::store {

class Database;

/** A concern of the workspace that changed; a set of them is a Changes (bits). */
enum Change : unsigned
{
    RunsChanged = 1u << 0, // runs, their params, tags, metrics, artifacts; experiments
    ModelsChanged = 1u << 1, // registered models, versions, stages, aliases, stage history
    CatalogChanged = 1u << 2, // catalog versions: ingests, label merges, predictions merged
    ReviewChanged = 1u << 3, // the review queue
    PipelinesChanged = 1u << 4, // pipeline runs and their tasks
    SettingsChanged = 1u << 5, // workspace settings, compute targets
};
using Changes = unsigned;
inline constexpr Changes kAllChanges = 0x3f;

/**
 * Polls catalog.db for changes: every interval it asks SQLite's PRAGMA data_version (a counter in the connection's
 * memory that moves when another connection, of any process, commits: no file is read while nothing changed), and
 * only when it moved reads the change serials (workspace_changes, kept by triggers; schema migration 8) and the
 * newest metric's rowid. A concern whose figure moved is announced once per poll.
 *
 * It keeps its own connection, on the thread it lives in (the GUI thread of the workbench): the reads are a few
 * rows and, in WAL mode, never wait for a writer; a busy database (a checkpoint) is tried again at the next poll.
 */
class WorkspaceWatcher : public QObject
{
    Q_OBJECT
public:
    /** Polls every 250 ms once a workspace is set. */
    explicit WorkspaceWatcher(QObject *parent = nullptr);
    ~WorkspaceWatcher() override;

    /** Watches the workspace at `root` (its catalog.db, which must exist): what it holds now is the baseline. */
    void setWorkspace(const QString &root);
    /** The polling interval (at least 10 ms). */
    void setInterval(int ms);
    int interval() const;
    /** Why the last poll could not read the workspace; empty when it could. */
    QString lastError() const { return m_error; }

public Q_SLOTS:
    /** Polls now (the timer does it every interval); changed() follows when something did. */
    void poll();

Q_SIGNALS:
    /** These concerns changed since the last poll (a bit set of Change). */
    void changed(pw::store::Changes what);

private:
    /** The figures now: one serial per concern (metrics' largest rowid counts towards runs). */
    using Figures = std::array<std::int64_t, 7>;
    void readFigures(Figures &out);
    std::int64_t dataVersion();

    QTimer *m_timer;
    std::unique_ptr<Database> m_db;
    std::int64_t m_dataVersion = -1;
    Figures m_figures{};
    QString m_error;
};

} // namespace pw::store
