// The image browser's list model (see ImageListModel.h).
#include "ui/images/ImageListModel.h"

#include "core/ingest/ImageProbe.h"
#include "core/store/Database.h"
#include "core/store/Workspace.h"
#include "ui/images/WhenFinished.h"
#include "ui/review/ThumbnailLoader.h"

#include <QFileInfo>
#include <QFuture>
#include <QPixmap>
#include <QThreadPool>
#include <QtConcurrent/QtConcurrentRun>

#include <algorithm>
#include <limits>

namespace pw::ui {

namespace {
constexpr int kThumbnailSide = 256;
// Icons kept for the rows on screen and around them, by size: a 28 px image grows to 252 px (254 KB), and 2,000 of
// those were half a gigabyte.
constexpr qsizetype kIconCacheBytes = 64 * 1024 * 1024;
// The model's own pool: a page fetch and the thumbnail loader's two batches can run side by side.
constexpr int kPoolThreads = 3;
// The most rows one query brings (fetchUpTo() after a jump of the scroll bar far past the fetched rows).
constexpr int kMaxFetch = 20000;

struct Page
{
    std::vector<catalog::ImageRow> rows;
    QString error;
};
} // namespace

ImageListModel::ImageListModel(QObject *parent)
    : QAbstractListModel(parent)
    , m_pool(new QThreadPool(this))
    , m_loader(new ThumbnailLoader(kThumbnailSide, this))
    , m_icons(kIconCacheBytes)
{
    m_pool->setMaxThreadCount(kPoolThreads);
    m_loader->setThreadPool(m_pool);
    // Queued: the loader can announce a thumbnail from inside data() (a continuation run at once), and a model must
    // not emit dataChanged from data().
    connect(m_loader, &ThumbnailLoader::thumbnailReady, this, &ImageListModel::thumbnailReady, Qt::QueuedConnection);
}

void ImageListModel::setQuery(const QString &root, const catalog::ImageFilter &filter)
{
    beginResetModel();
    ++m_generation;
    m_root = root;
    m_filter = filter;
    m_rows.clear();
    m_rowsOfKey.clear();
    m_icons.clear();
    m_cursor.reset();
    m_total = 0;
    m_fetching = false;
    m_atEnd = root.isEmpty() || filter.table.empty();
    m_loader->setWorkspace(root);
    endResetModel();
    if (canFetchMore({}))
        fetchMore({});
}

const catalog::ImageRow *ImageListModel::rowAt(int row) const
{
    return row >= 0 && row < int(m_rows.size()) ? &m_rows[std::size_t(row)] : nullptr;
}

int ImageListModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : std::max(int(m_rows.size()), m_total);
}

void ImageListModel::setTotal(const catalog::ImageFilter &filter, std::int64_t total)
{
    if (filter != m_filter || m_root.isEmpty())
        return;
    const int fetched = int(m_rows.size());
    // Once everything is fetched the fetched rows are the truth; before, never fewer rows than fetched.
    const int want = m_atEnd ? fetched
                             : std::max(fetched, int(std::min<std::int64_t>(total, std::numeric_limits<int>::max())));
    const int rows = rowCount();
    if (want > rows) {
        beginInsertRows({}, rows, want - 1);
        m_total = want;
        endInsertRows();
    } else if (want < rows) {
        beginRemoveRows({}, want, rows - 1);
        m_total = want;
        endRemoveRows();
    }
}

void ImageListModel::fetchUpTo(int row)
{
    if (canFetchMore({}))
        fetch(std::clamp(row + 1 - int(m_rows.size()), m_pageSize, kMaxFetch));
}

bool ImageListModel::canFetchMore(const QModelIndex &parent) const
{
    return !parent.isValid() && !m_atEnd && !m_fetching;
}

void ImageListModel::fetchMore(const QModelIndex &parent)
{
    if (canFetchMore(parent))
        fetch(m_pageSize);
}

void ImageListModel::fetch(int limit)
{
    m_fetching = true;
    const std::string root = m_root.toStdString();
    const catalog::ImageFilter filter = m_filter;
    const std::optional<catalog::Cursor> cursor = m_cursor;
    const int generation = m_generation;
    const auto read = [root, filter, cursor, limit] {
        Page page;
        try {
            // One connection per query: a connection is never shared between threads.
            const auto db = store::Workspace::open(root).openCatalog();
            page.rows = catalog::queryImages(*db, filter, cursor, limit);
        } catch (const std::exception &e) {
            page.error = QString::fromStdString(e.what());
        }
        return page;
    };
    whenFinished(this, QtConcurrent::run(m_pool, read), [this, generation, limit](const Page &page) {
        if (generation != m_generation)
            return; // another query since
        m_fetching = false;
        if (!page.error.isEmpty()) {
            m_atEnd = true;
            Q_EMIT pageLoaded(page.error);
            return;
        }
        append(page.rows, int(page.rows.size()) < limit);
        Q_EMIT pageLoaded({});
    });
}

void ImageListModel::append(std::vector<catalog::ImageRow> rows, bool atEnd)
{
    // The cursor first: a view (or a model tester) may fetch the next page from inside the insertion.
    m_atEnd = atEnd;
    if (!rows.empty())
        m_cursor = catalog::cursorAfter(rows.back(), m_filter.sort);
    const int first = int(m_rows.size());
    const int end = first + int(rows.size());
    const int before = rowCount();
    // Rows past the placeholders are inserted; the placeholders they fill in announce dataChanged.
    if (end > before)
        beginInsertRows({}, before, end - 1);
    for (auto &r : rows) {
        m_rowsOfKey[ThumbnailLoader::keyOf(r.contentHash, r.path)].append(int(m_rows.size()));
        m_rows.push_back(std::move(r));
    }
    if (end > before)
        endInsertRows();
    if (first < std::min(end, before))
        Q_EMIT dataChanged(index(first), index(std::min(end, before) - 1));
    if (m_atEnd && rowCount() > end) { // fewer than counted (the catalog changed since): no placeholder is left
        beginRemoveRows({}, end, rowCount() - 1);
        m_total = end;
        endRemoveRows();
    }
}

QVariant ImageListModel::data(const QModelIndex &index, int role) const
{
    const catalog::ImageRow *r = index.isValid() ? rowAt(index.row()) : nullptr;
    if (!r) // a placeholder: not fetched yet
        return role == Qt::SizeHintRole && index.isValid() && m_itemSize.isValid() ? QVariant(m_itemSize) : QVariant();
    switch (role) {
    case Qt::DisplayRole: return QFileInfo(QString::fromStdString(r->path)).fileName();
    case Qt::ToolTipRole: {
        QString tip = QString::fromStdString(r->path);
        if (!r->label.empty())
            tip += tr("\nlabel: %1 (%2)").arg(QString::fromStdString(r->label), QString::fromStdString(r->labelSource));
        if (r->confidence)
            tip += tr("\npredicted: %1 (%2)").arg(QString::fromStdString(r->predicted)).arg(*r->confidence, 0, 'f', 3);
        if (!r->reason.empty())
            tip += tr("\nrejected: %1").arg(QString::fromStdString(r->reason));
        return tip;
    }
    case Qt::SizeHintRole: return m_itemSize.isValid() ? QVariant(m_itemSize) : QVariant();
    case Qt::DecorationRole:
    case ThumbnailLoadedRole: {
        const QString key = ThumbnailLoader::keyOf(r->contentHash, r->path);
        if (const QIcon *icon = m_icons.object(key))
            return role == ThumbnailLoadedRole ? QVariant(true) : QVariant(*icon);
        // Not in: queue a load (non-blocking) and show nothing until thumbnailReady.
        const QImage *image = m_loader->thumbnail(key, r->contentHash, r->path,
                                                  ingest::fileIsOwnThumbnail(r->format, std::max(r->width, r->height)));
        if (!image)
            return role == ThumbnailLoadedRole ? QVariant(false) : QVariant();
        auto *icon = new QIcon(QPixmap::fromImage(*image));
        const QIcon copy = *icon;
        m_icons.insert(key, icon, std::max<qsizetype>(1, image->sizeInBytes()));
        return role == ThumbnailLoadedRole ? QVariant(true) : QVariant(copy);
    }
    case PathRole: return QString::fromStdString(r->path);
    case LabelRole: return QString::fromStdString(r->label);
    case PredictedRole: return QString::fromStdString(r->predicted);
    case ConfidenceRole: return r->confidence ? QVariant(*r->confidence) : QVariant();
    default: return {};
    }
}

void ImageListModel::thumbnailReady(const QString &key)
{
    const auto it = m_rowsOfKey.constFind(key);
    if (it == m_rowsOfKey.constEnd())
        return;
    for (int row : *it) {
        const QModelIndex i = index(row);
        Q_EMIT dataChanged(i, i, {Qt::DecorationRole});
    }
}

} // namespace pw::ui
