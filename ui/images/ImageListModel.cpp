// The image browser's list model (see ImageListModel.h).
#include "ui/images/ImageListModel.h"

#include "core/store/Database.h"
#include "core/store/Workspace.h"
#include "ui/images/WhenFinished.h"
#include "ui/review/ThumbnailLoader.h"

#include <QFileInfo>
#include <QFuture>
#include <QPixmap>
#include <QtConcurrent/QtConcurrentRun>

namespace pw::ui {

namespace {
constexpr int kThumbnailSide = 256;
constexpr int kIconCacheEntries = 2000;

struct Page
{
    std::vector<catalog::ImageRow> rows;
    QString error;
};
} // namespace

ImageListModel::ImageListModel(QObject *parent)
    : QAbstractListModel(parent)
    , m_loader(new ThumbnailLoader(kThumbnailSide, this))
    , m_icons(kIconCacheEntries)
{
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
    return parent.isValid() ? 0 : int(m_rows.size());
}

bool ImageListModel::canFetchMore(const QModelIndex &parent) const
{
    return !parent.isValid() && !m_atEnd && !m_fetching;
}

void ImageListModel::fetchMore(const QModelIndex &parent)
{
    if (!canFetchMore(parent))
        return;
    m_fetching = true;
    const std::string root = m_root.toStdString();
    const catalog::ImageFilter filter = m_filter;
    const std::optional<catalog::Cursor> cursor = m_cursor;
    const int limit = m_pageSize;
    const int generation = m_generation;
    whenFinished(this, QtConcurrent::run([root, filter, cursor, limit] {
                     Page page;
                     try {
                         // One connection per query: a connection is never shared between threads.
                         const auto db = store::Workspace::open(root).openCatalog();
                         page.rows = catalog::queryImages(*db, filter, cursor, limit);
                     } catch (const std::exception &e) {
                         page.error = QString::fromStdString(e.what());
                     }
                     return page;
                 }),
                 [this, generation, limit](const Page &page) {
                     if (generation != m_generation)
                         return; // another query since
                     m_fetching = false;
                     if (!page.error.isEmpty()) {
                         m_atEnd = true;
                         Q_EMIT pageLoaded(page.error);
                         return;
                     }
                     m_atEnd = int(page.rows.size()) < limit;
                     if (!page.rows.empty()) {
                         m_cursor = catalog::cursorAfter(page.rows.back(), m_filter.sort);
                         const int first = int(m_rows.size());
                         beginInsertRows({}, first, first + int(page.rows.size()) - 1);
                         for (const auto &r : page.rows) {
                             m_rowsOfKey[ThumbnailLoader::keyOf(r.contentHash, r.path)].append(int(m_rows.size()));
                             m_rows.push_back(r);
                         }
                         endInsertRows();
                     }
                     Q_EMIT pageLoaded({});
                 });
}

QVariant ImageListModel::data(const QModelIndex &index, int role) const
{
    const catalog::ImageRow *r = index.isValid() ? rowAt(index.row()) : nullptr;
    if (!r)
        return {};
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
        const QImage *image = m_loader->thumbnail(key, r->contentHash, r->path);
        if (!image)
            return role == ThumbnailLoadedRole ? QVariant(false) : QVariant();
        auto *icon = new QIcon(QPixmap::fromImage(*image));
        const QIcon copy = *icon;
        m_icons.insert(key, icon);
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
