// Loads review thumbnails lazily on the thread pool (as digiKam's thumbnail model does): a view asks for the
// images of the rows it paints, the loader reads them in batches, most recent requests first, and announces
// each one that is ready. Thumbnails come from thumbnails.db by content hash; an image without an entry (the
// small PNG and JPEG files ingest keeps as their own thumbnails) is read from its file.
#pragma once

#include <QCache>
#include <QImage>
#include <QObject>
#include <QSet>
#include <QString>

#include <vector>

class QThreadPool;

namespace pw::ui {

class ThumbnailLoader : public QObject
{
    Q_OBJECT
public:
    /** Thumbnails are scaled to fit `side` pixels. */
    explicit ThumbnailLoader(int side, QObject *parent = nullptr);

    void setWorkspace(const QString &root);
    int side() const { return m_side; }
    /** Loads on `pool` (not owned; it must outlive the loader) instead of the global pool: a view whose thumbnails
     *  must not wait behind other background work (a count of a whole table) gets a pool of its own. */
    void setThreadPool(QThreadPool *pool) { m_pool = pool; }

    /** The thumbnail of `key` if loaded (a null image when it could not be), else nullptr and a load queued. */
    const QImage *thumbnail(const QString &key, const std::string &contentHash, const std::string &path,
                            bool ownThumbnail = false);
    /** The key the loader files an image under: its content hash, else its path. */
    static QString keyOf(const std::string &contentHash, const std::string &path);

    struct Request
    {
        QString key;
        std::string contentHash;
        std::string path;
        bool ownThumbnail = false; // the file is its own thumbnail (ingest::fileIsOwnThumbnail): no store lookup
    };
    /** Reads thumbnails of `requests` (any thread): the store's, else the file's, scaled to fit `side`. */
    static std::vector<std::pair<QString, QImage>> load(const std::string &workspaceRoot,
                                                        const std::vector<Request> &requests, int side);

Q_SIGNALS:
    /** The thumbnail of `key` is loaded (or failed to load: thumbnail() then gives a null image). */
    void thumbnailReady(const QString &key);

private:
    void startBatch();
    void startOneBatch();

    int m_side;
    QString m_root;
    QCache<QString, QImage> m_cache; // cost: bytes
    std::vector<Request> m_queue; // newest last
    QSet<QString> m_queued;
    int m_running = 0; // batches loading (at most kMaxBatches)
    int m_generation = 0; // a new workspace drops what an older batch brings
    QThreadPool *m_pool = nullptr; // nullptr: workPool()
};

} // namespace pw::ui
