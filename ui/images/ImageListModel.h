// The images of a catalog table as a list model for a thumbnail view: pages of ImageRow read off the GUI thread with
// keyset cursors (canFetchMore/fetchMore), thumbnails loaded lazily by ThumbnailLoader; when one arrives only
// Qt::DecorationRole of its rows is announced. Once the total of the query is known (setTotal()), the model has that
// many rows, those not fetched yet as placeholders, so that the view's scroll bar spans the whole result; fetched
// pages then fill the placeholders in.
#pragma once

#include "core/catalog/ImageQuery.h"

#include <QAbstractListModel>
#include <QCache>
#include <QSize>
#include <QHash>
#include <QIcon>

#include <optional>
#include <vector>

class QThreadPool;

namespace pw::ui {

class ThumbnailLoader;

class ImageListModel : public QAbstractListModel
{
    Q_OBJECT
public:
    /** The size of one grid cell, returned as Qt::SizeHintRole: a cell keeps it before its thumbnail arrives
     *  (the view sizes uniform items from the first one, which has no image yet). */
    void setItemSize(const QSize &size) { m_itemSize = size; }
    enum Role
    {
        PathRole = Qt::UserRole + 1,
        LabelRole,
        PredictedRole,
        ConfidenceRole,
        ThumbnailLoadedRole, // true once the row's thumbnail is in (DecorationRole then shows it)
    };

    explicit ImageListModel(QObject *parent = nullptr);

    /** Lists `filter` of the workspace at `root` from the start; the first page loads in the background. */
    void setQuery(const QString &root, const catalog::ImageFilter &filter);
    const catalog::ImageFilter &filter() const { return m_filter; }
    const QString &root() const { return m_root; }
    /** Rows per fetchMore(). */
    void setPageSize(int rows) { m_pageSize = rows; }
    /**
     * The number of images `filter` lists in all (counted apart): rows up to it are placeholders until fetched.
     * Ignored unless `filter` is the query listed now.
     */
    void setTotal(const catalog::ImageFilter &filter, std::int64_t total);
    /** The rows fetched so far (the first fetchedCount() rows); rowCount() may be more: placeholders follow. */
    int fetchedCount() const { return int(m_rows.size()); }
    /** Fetches, in one query, at least up to row `row` (from fetchedCount() on; at most kMaxFetch rows). */
    void fetchUpTo(int row);
    const catalog::ImageRow *rowAt(int row) const;
    bool isFetching() const { return m_fetching; }

    int rowCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    bool canFetchMore(const QModelIndex &parent) const override;
    void fetchMore(const QModelIndex &parent) override;

Q_SIGNALS:
    /** A page was appended (or the query failed: `error` says why). */
    void pageLoaded(const QString &error);

private:
    void thumbnailReady(const QString &key);
    void fetch(int limit);
    void append(std::vector<catalog::ImageRow> rows, bool atEnd);

    QString m_root;
    catalog::ImageFilter m_filter;
    std::vector<catalog::ImageRow> m_rows;
    std::optional<catalog::Cursor> m_cursor;
    QHash<QString, QList<int>> m_rowsOfKey; // thumbnail key -> rows showing it
    // The pages and the thumbnails are read on this pool, not the global one: the first screen never waits behind
    // a page's counts or another page's load (seconds each on a table of a million images).
    QThreadPool *m_pool;
    ThumbnailLoader *m_loader;
    mutable QCache<QString, QIcon> m_icons; // cost: bytes
    QSize m_itemSize;
    int m_total = 0; // placeholder rows up to here (0: total not known)
    int m_pageSize = 200;
    int m_generation = 0; // a new query drops what an older fetch brings
    bool m_fetching = false;
    bool m_atEnd = true;
};

} // namespace pw::ui
