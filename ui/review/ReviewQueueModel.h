// Table model of the open review queue, least confident first: thumbnail, path, state and the reviewer's label (kept
// left, in sight on a laptop), predicted class, confidence, the image's label in the catalog now and its source, the
// model version that queued the entry, top-5. A filter shows the entries of unlabeled images, of labeled ones (likely
// label errors) or all. Thumbnails arrive lazily from a ThumbnailLoader (DecorationRole of the first column).
#pragma once

#include "core/review/Review.h"

#include <QAbstractTableModel>
#include <QHash>

#include <map>
#include <string>
#include <vector>

namespace pw::ui {

class ThumbnailLoader;

class ReviewQueueModel : public QAbstractTableModel
{
    Q_OBJECT
public:
    enum Column
    {
        ThumbnailColumn,
        PathColumn,
        StateColumn,
        LabelColumn, // the reviewer's label
        PredictedColumn,
        ConfidenceColumn,
        CatalogLabelColumn, // the image's label in the catalog now, and its source
        ModelColumn, // the model version that queued the entry
        Top5Column,
        ColumnCount
    };
    enum Role
    {
        IdRole = Qt::UserRole,
        ConfidenceRole,
        ModelKeyRole
    };

    /** Which entries are listed, by the image's label in the catalog now. */
    enum class Filter
    {
        All,
        Unlabeled, // images without a label (the seed's rule: what scoring queues by default)
        Labeled // images with a label: likely label errors (score --review labeled)
    };

    explicit ReviewQueueModel(ThumbnailLoader *thumbnails, QObject *parent = nullptr);

    /** Paths under `root` are shown relative to it. */
    void setWorkspaceRoot(const QString &root) { m_root = root; }
    void setItems(std::vector<review::ReviewItem> items);
    /** Lists only the entries `filter` keeps (a reset). */
    void setFilter(Filter filter);
    Filter filter() const { return m_filter; }
    /** Leaves out (or lists again) the entries queued by a model version Archived now (setModelStages()). */
    void setHideArchived(bool hide);
    bool hideArchived() const { return m_hideArchived; }
    /** Entries of the queue (listed or not) queued by a model version Archived now. */
    int archivedCount() const;
    /** The tables of those entries, sorted. */
    QStringList archivedTables() const;
    /** Entries of the queue, listed or not. */
    int totalCount() const { return int(m_all.size()); }
    /** The stage of each queuing model version now, by "model:version" (an Archived one is shown as such). */
    void setModelStages(std::map<std::string, std::string> stages);
    /** Replaces the entries with these ids (after a label, accept or skip) in place. */
    void updateItems(const std::vector<review::ReviewItem> &items);
    const review::ReviewItem *item(int row) const;
    /** The row of the entry `id`, or -1. */
    int rowOf(std::int64_t id) const;

    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

private:
    void thumbnailReady(const QString &key);
    bool isArchived(const review::ReviewItem &item) const;
    /** m_rows from m_all by the filter, and the indexes. */
    void rebuild();

    ThumbnailLoader *m_thumbnails;
    QString m_root;
    std::vector<review::ReviewItem> m_all; // the whole open queue, as loaded
    std::vector<std::size_t> m_rows; // the entries listed: their indexes in m_all (a 100,000-entry queue is held once)
    Filter m_filter = Filter::All;
    bool m_hideArchived = false;
    std::map<std::string, std::string> m_stages;
    QHash<QString, QList<int>> m_rowsByKey; // thumbnail key -> rows
    QHash<std::int64_t, int> m_rowById;
};

/** "shirt 21% · pullover 19% · …" (the exact values are in the tooltip and the side panel) */
QString top5Text(const std::vector<std::pair<std::string, double>> &top5, int decimals = 0);
/** The image's label in the catalog now and its source: "coat (folder)", "coat (human)", "(none)". */
QString catalogLabelText(const review::ReviewItem &item);
/** The colour of a review state: pending blue-grey, labeled green, skipped amber. */
QColor reviewStateColor(const std::string &state);

} // namespace pw::ui
