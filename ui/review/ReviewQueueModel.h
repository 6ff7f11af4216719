// Table model of the open review queue, least confident first: thumbnail, path, predicted class, confidence,
// top-5, state and label. Thumbnails arrive lazily from a ThumbnailLoader (DecorationRole of the first column).
#pragma once

#include "core/review/Review.h"

#include <QAbstractTableModel>
#include <QHash>

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
        PredictedColumn,
        ConfidenceColumn,
        Top5Column,
        StateColumn,
        LabelColumn,
        ColumnCount
    };
    enum Role
    {
        IdRole = Qt::UserRole,
        ConfidenceRole,
        ModelKeyRole
    };

    explicit ReviewQueueModel(ThumbnailLoader *thumbnails, QObject *parent = nullptr);

    /** Paths under `root` are shown relative to it. */
    void setWorkspaceRoot(const QString &root) { m_root = root; }
    void setItems(std::vector<review::ReviewItem> items);
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

    ThumbnailLoader *m_thumbnails;
    QString m_root;
    std::vector<review::ReviewItem> m_items;
    QHash<QString, QList<int>> m_rowsByKey; // thumbnail key -> rows
    QHash<std::int64_t, int> m_rowById;
};

/** "shirt 21% · pullover 19% · …" (the exact values are in the tooltip and the side panel) */
QString top5Text(const std::vector<std::pair<std::string, double>> &top5, int decimals = 0);
/** The colour of a review state: pending blue-grey, labeled green, skipped amber. */
QColor reviewStateColor(const std::string &state);

} // namespace pw::ui
