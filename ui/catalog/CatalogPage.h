// The Catalog page: image counts per table and label, the version history, the rejected files.
#pragma once

#include "ui/SnapshotLoader.h"

#include "ui/catalog/CatalogSnapshot.h"

#include <QFutureWatcher>
#include <QWidget>

class QLabel;
class QTreeView;
class QTableView;
class QTimer;

namespace pw::ui {

class TableCountsModel;
class HistoryModel;
class RejectedModel;

class CatalogPage : public QWidget
{
    Q_OBJECT
public:
    explicit CatalogPage(QWidget *parent = nullptr);

    /**
     * Shows the catalog of the workspace at `root`: loads it in the background, or, with `load` false, says it is
     * loading and waits for reload() (the Images page starts it once its first screen of thumbnails is in).
     */
    void setWorkspace(const QString &root, bool load = true);
    /** Reloads in the background; a reload asked for while one runs follows it. */
    void reload();

    TableCountsModel *tableModel() const { return m_tableModel; }
    HistoryModel *historyModel() const { return m_historyModel; }
    RejectedModel *rejectedModel() const { return m_rejectedModel; }

Q_SIGNALS:
    /** A snapshot was loaded and shown (or its error shown). */
    void loaded();
    void loadingChanged(bool loading);

private:
    void showSnapshot(const CatalogSnapshot &snapshot);
    /** The next load of the page's snapshot (run by m_loader), or none without a workspace. */
    SnapshotLoader<CatalogSnapshot>::Job loadJob();

    QString m_root;
    std::int64_t m_shownVersion = -1;
    QLabel *m_summary;
    QTreeView *m_tables;
    QTableView *m_history;
    QTableView *m_rejected;
    QLabel *m_rejectedTitle;
    TableCountsModel *m_tableModel;
    HistoryModel *m_historyModel;
    RejectedModel *m_rejectedModel;
    QTimer *m_refreshTimer;
    SnapshotLoader<CatalogSnapshot> m_loader; // last: its callbacks use the members above
};

} // namespace pw::ui
