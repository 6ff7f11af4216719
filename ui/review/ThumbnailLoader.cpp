// The review thumbnails.
#include "ui/review/ThumbnailLoader.h"

#include "core/catalog/ThumbnailStore.h"
#include "core/store/Database.h"
#include "core/store/Workspace.h"
#include "ui/WorkPool.h"
#include "ui/images/WhenFinished.h"

#include <QFuture>
#include <QImageReader>
#include <QThreadPool>
#include <QtConcurrent/QtConcurrentRun>

#include <filesystem>
#include <memory>
#include <optional>

namespace pw::ui {

namespace {
// A screen of the Images page (56 cells at 1600x1000) is split over two batches that load side by side.
constexpr int kBatchSize = 24;
constexpr int kMaxBatches = 2;
constexpr qsizetype kCacheBytes = 64 * 1024 * 1024;
// ThumbnailStore: images up to this side, PNG or JPEG, are their own thumbnails.
constexpr int kOwnThumbnailSide = 256;
} // namespace

ThumbnailLoader::ThumbnailLoader(int side, QObject *parent)
    : QObject(parent)
    , m_side(side)
    , m_cache(kCacheBytes)
{
}

void ThumbnailLoader::setWorkspace(const QString &root)
{
    if (root == m_root)
        return;
    m_root = root;
    m_cache.clear();
    m_queue.clear();
    m_queued.clear();
    ++m_generation;
    m_running = 0; // the batches still loading belong to the old generation
}

QString ThumbnailLoader::keyOf(const std::string &contentHash, const std::string &path)
{
    return QString::fromStdString(contentHash.empty() ? path : contentHash);
}

const QImage *ThumbnailLoader::thumbnail(const QString &key, const std::string &contentHash, const std::string &path,
                                         bool ownThumbnail)
{
    if (const QImage *image = m_cache.object(key))
        return image;
    if (!m_queued.contains(key) && !m_root.isEmpty()) {
        m_queued.insert(key);
        m_queue.push_back({key, contentHash, path, ownThumbnail});
        startBatch();
    }
    return nullptr;
}

void ThumbnailLoader::startBatch()
{
    while (m_running < kMaxBatches && !m_queue.empty())
        startOneBatch();
}

void ThumbnailLoader::startOneBatch()
{
    ++m_running;
    // Most recent requests first: the rows on screen now, not those scrolled past.
    std::vector<Request> batch;
    while (!m_queue.empty() && int(batch.size()) < kBatchSize) {
        batch.push_back(std::move(m_queue.back()));
        m_queue.pop_back();
    }
    const std::string root = m_root.toStdString();
    const int side = m_side;
    const int generation = m_generation;
    // whenFinished: the continuation runs from the event loop on this thread, and dies with the loader (a page
    // closed while a batch loads).
    QThreadPool *pool = m_pool ? m_pool : workPool();
    whenFinished(this, QtConcurrent::run(pool, [root, batch, side] { return load(root, batch, side); }),
                 [this, generation](const std::vector<std::pair<QString, QImage>> &images) {
                     if (generation != m_generation)
                         return; // another workspace since
                     --m_running;
                     for (const auto &[key, image] : images) {
                         m_queued.remove(key);
                         m_cache.insert(key, new QImage(image), std::max<qsizetype>(1, image.sizeInBytes()));
                         Q_EMIT thumbnailReady(key);
                     }
                     startBatch();
                 });
}

std::vector<std::pair<QString, QImage>> ThumbnailLoader::load(const std::string &workspaceRoot,
                                                              const std::vector<Request> &requests, int side)
{
    // Never throws: a request that cannot be read comes back as a null image (the row shows none).
    std::vector<std::pair<QString, QImage>> out;
    std::unique_ptr<store::Database> db;
    std::optional<catalog::ThumbnailStore> store;
    try {
        const auto ws = store::Workspace::open(workspaceRoot);
        std::error_code ec;
        if (std::filesystem::exists(ws.thumbnailsPath(), ec)) {
            db = ws.openThumbnails();
            store.emplace(*db);
        }
    } catch (const std::exception &) {
        store.reset(); // no thumbnails.db to read: the files themselves still are
    }
    for (const Request &r : requests) {
        QImage image;
        if (store && !r.contentHash.empty() && !r.ownThumbnail) {
            try {
                if (const auto t = store->find(r.contentHash))
                    image = QImage::fromData(t->data.data(), int(t->data.size()));
            } catch (const std::exception &) {
                image = QImage(); // fall back to the file
            }
        }
        if (image.isNull()) {
            // No stored thumbnail: a small file is its own; a large one is read scaled (JPEG decodes at 1/8).
            QImageReader reader(QString::fromStdString(r.path));
            const QSize size = reader.size();
            if (size.isValid() && std::max(size.width(), size.height()) > kOwnThumbnailSide)
                reader.setScaledSize(size.scaled(side, side, Qt::KeepAspectRatio));
            image = reader.read();
        }
        if (!image.isNull()) {
            const int longest = std::max(image.width(), image.height());
            if (longest > side)
                image = image.scaled(side, side, Qt::KeepAspectRatio, Qt::SmoothTransformation);
            else if (longest * 2 <= side) // tiny images (28 px) grow by whole pixels, so they stay sharp
                image = image.scaled(image.size() * (side / longest), Qt::KeepAspectRatio, Qt::FastTransformation);
        }
        out.emplace_back(r.key, std::move(image));
    }
    return out;
}

} // namespace pw::ui
