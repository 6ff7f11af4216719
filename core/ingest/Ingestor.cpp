// Ingest: parallel read/hash/decode on a thread per core, one writer committing batches.
#include "core/ingest/Ingestor.h"

#include "core/ingest/ContentHash.h"
#include "core/ingest/Discovery.h"
#include "core/ingest/ImageProbe.h"
#include "core/store/Database.h"
#include "core/store/FileIo.h"
#include "core/store/Workspace.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <future>
#include <mutex>
#include <stdexcept>
#include <thread>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace pw::ingest {

namespace {

using Clock = std::chrono::steady_clock;

double secondsSince(Clock::time_point t)
{
    return std::chrono::duration<double>(Clock::now() - t).count();
}

// Size and mtime recorded for a file that could not be stat'ed or read.
constexpr std::int64_t kUnknownSize = -1;

// A path's current row: the ingest checkpoint entry.
struct CurrentRow
{
    std::int64_t size;
    std::int64_t mtimeNs;
};

// A new or changed file, read and checked by a decoding thread, waiting for the writer.
struct Processed
{
    const DiscoveredFile *file = nullptr;
    bool isUpdate = false;
    std::int64_t size = 0;
    std::int64_t mtimeNs = 0;
    std::string hash;
    PathLabel label;
    ProbeResult probe; // probe.ok false + reason when rejected
};

std::int64_t mtimeOf(const struct stat &st)
{
    return std::int64_t(st.st_mtim.tv_sec) * 1000000000LL + st.st_mtim.tv_nsec;
}

std::string toJson(const QJsonObject &o)
{
    return QJsonDocument(o).toJson(QJsonDocument::Compact).toStdString();
}

// A bounded hand-over queue from the decoding threads to the writer.
class ResultQueue
{
public:
    explicit ResultQueue(std::size_t capacity)
        : m_capacity(capacity)
    {
    }
    void push(std::vector<Processed> &batch)
    {
        std::unique_lock lock(m_mutex);
        m_notFull.wait(lock, [&] { return m_items.size() < m_capacity || m_discarding; });
        if (!m_discarding) {
            for (auto &p : batch)
                m_items.push_back(std::move(p));
        }
        batch.clear();
        m_notEmpty.notify_one();
    }
    // Waits up to `timeout` for items. Returns false once every producer is done and all is drained.
    bool popAll(std::vector<Processed> &out, std::chrono::milliseconds timeout)
    {
        std::unique_lock lock(m_mutex);
        m_notEmpty.wait_for(lock, timeout, [&] { return !m_items.empty() || m_producers == 0; });
        out.clear();
        if (m_items.empty())
            return m_producers > 0;
        for (auto &p : m_items)
            out.push_back(std::move(p));
        m_items.clear();
        m_notFull.notify_all();
        return true;
    }
    void setProducers(int n)
    {
        std::lock_guard lock(m_mutex);
        m_producers = n;
    }
    void producerDone()
    {
        std::lock_guard lock(m_mutex);
        --m_producers;
        m_notEmpty.notify_all();
    }
    // After a writer failure: producers drop what they make instead of waiting for room.
    void discard()
    {
        std::lock_guard lock(m_mutex);
        m_discarding = true;
        m_items.clear();
        m_notFull.notify_all();
    }

private:
    std::mutex m_mutex;
    std::condition_variable m_notEmpty, m_notFull;
    std::deque<Processed> m_items;
    std::size_t m_capacity;
    int m_producers = 0;
    bool m_discarding = false;
};

// Rows per INSERT statement: one statement per 20 rows costs ~40% less than one per row.
constexpr int kRowsPerInsert = 20;
constexpr int kInsertColumns = 16;

std::string insertSql(int rows)
{
    std::string sql = "INSERT INTO images(table_name, path, source, content_hash, size, mtime_ns, width, height, "
                      "channels, format, label, label_id, label_source, status, reason, valid_from) VALUES ";
    for (int r = 0; r < rows; ++r)
        sql += r ? ",(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)" : "(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)";
    return sql;
}

// The writer's prepared statements over the two databases.
class Writer
{
public:
    Writer(store::Database &catalogDb, store::Database &thumbsDb, const std::string &table, const std::string &source)
        : m_thumbs(thumbsDb)
        , m_table(table)
        , m_source(source)
        , m_invalidate(catalogDb, "UPDATE images SET valid_to = ?1 WHERE table_name = ?2 AND path = ?3 "
                                  "AND valid_to IS NULL")
        , m_insertOne(catalogDb, insertSql(1))
        , m_insertMany(catalogDb, insertSql(kRowsPerInsert))
        , m_thumb(thumbsDb, "INSERT OR IGNORE INTO thumbnails(content_hash, format, width, height, data) "
                            "VALUES (?1, ?2, ?3, ?4, ?5)")
    {
    }

    /** Thumbnails first, in their own database: a committed image row always has its thumbnail. */
    void writeThumbnails(const std::vector<Processed> &rows)
    {
        store::Transaction tx(m_thumbs);
        for (const Processed &p : rows) {
            if (!p.probe.ok || p.probe.thumbnail.empty())
                continue;
            m_thumb.bind(1, p.hash).bind(2, p.probe.thumbFormat).bind(3, p.probe.thumbWidth);
            m_thumb.bind(4, p.probe.thumbHeight).bindBlob(5, p.probe.thumbnail.data(), p.probe.thumbnail.size());
            m_thumb.exec();
        }
        tx.commit();
    }

    /** Writes the rows under `version`; the caller owns the transaction. */
    void writeRows(const std::vector<Processed> &rows, std::int64_t version)
    {
        // Close the current row of each changed path first: the new rows take its place.
        for (const Processed &p : rows) {
            if (p.isUpdate) {
                m_invalidate.bind(1, version).bind(2, m_table).bind(3, p.file->path);
                m_invalidate.exec();
            }
        }
        std::size_t i = 0;
        for (; i + kRowsPerInsert <= rows.size(); i += kRowsPerInsert) {
            for (int r = 0; r < kRowsPerInsert; ++r)
                bindRow(m_insertMany, r * kInsertColumns, rows[i + std::size_t(r)], version);
            m_insertMany.exec();
        }
        for (; i < rows.size(); ++i) {
            bindRow(m_insertOne, 0, rows[i], version);
            m_insertOne.exec();
        }
    }

private:
    void bindRow(store::Statement &st, int base, const Processed &p, std::int64_t version)
    {
        st.bind(base + 1, m_table).bind(base + 2, p.file->path).bind(base + 3, m_source);
        if (!p.hash.empty())
            st.bind(base + 4, p.hash);
        st.bind(base + 5, p.size).bind(base + 6, p.mtimeNs);
        if (p.probe.ok)
            st.bind(base + 7, p.probe.width).bind(base + 8, p.probe.height).bind(base + 9, p.probe.channels);
        if (!p.probe.format.empty())
            st.bind(base + 10, p.probe.format);
        st.bind(base + 11, p.label.name).bind(base + 12, p.label.id);
        if (p.label.name)
            st.bind(base + 13, "path");
        st.bind(base + 14, p.probe.ok ? "ok" : "rejected");
        if (!p.probe.ok)
            st.bind(base + 15, p.probe.reason);
        st.bind(base + 16, version);
    }

    store::Database &m_thumbs;
    const std::string &m_table;
    const std::string &m_source;
    store::Statement m_invalidate;
    store::Statement m_insertOne;
    store::Statement m_insertMany;
    store::Statement m_thumb;
};

} // namespace

IngestResult ingest(const store::Workspace &workspace, const IngestOptions &options, const IngestProgressFn &progress,
                    const std::atomic<bool> *cancel)
{
    if (options.table.empty())
        throw std::invalid_argument("--table: the table name is empty");
    if (!(options.maxMegapixels > 0))
        throw std::invalid_argument("--max-megapixels: must be a positive number");
    if (options.commitEvery < 1)
        throw std::invalid_argument("--commit-every: must be at least 1");

    IngestResult result;
    const auto started = Clock::now();
    char *real = realpath(options.source.c_str(), nullptr);
    if (!real)
        throw std::runtime_error("source folder '" + options.source + "': " + std::strerror(errno));
    const std::string source = real;
    std::free(real);

    // Discovery walks the folder while this thread takes the lock and loads the checkpoint.
    auto discovery = std::async(std::launch::async, [&] {
        DiscoveryResult d = discoverFiles(source, options.glob);
        return std::pair{std::move(d), secondsSince(started)};
    });

    store::WriterLock lock(workspace);
    auto catalogDb = workspace.openCatalog();
    auto thumbsDb = workspace.openThumbnails();
    catalog::Catalog catalog(*catalogDb);

    // An interrupted run of this same ingest is resumed; any other unfinished operation is undone
    // (its rows never became visible) before a new version starts.
    const std::string resumeKey = "INGEST\n" + options.table + "\n" + source;
    std::int64_t version = 0;
    std::int64_t baseAdded = 0, baseUpdated = 0, baseRejected = 0;
    if (auto pending = catalog.pendingVersion()) {
        if (pending->resumeKey == resumeKey) {
            version = pending->version;
            result.resumed = true;
            const QJsonObject m = QJsonDocument::fromJson(QByteArray::fromStdString(pending->metrics)).object();
            baseAdded = m.value("added").toInteger();
            baseUpdated = m.value("updated").toInteger();
            baseRejected = m.value("rejected").toInteger();
        } else {
            catalog.discardVersion(pending->version);
            result.warnings.push_back("discarded unfinished catalog version " + std::to_string(pending->version)
                                      + " (" + pending->operation + "), left by an interrupted run");
        }
    }

    // The checkpoint: the current row of every path of this table (pending rows included), in path
    // order (the images_current index gives it without sorting).
    std::vector<std::pair<std::string, CurrentRow>> current;
    {
        store::Statement st(*catalogDb, "SELECT path, size, mtime_ns FROM images "
                                        "WHERE table_name = ? AND valid_to IS NULL ORDER BY path");
        st.bind(1, options.table);
        while (st.step())
            current.emplace_back(st.text(0), CurrentRow{st.int64(1), st.int64(2)});
    }
    result.checkpointSeconds = secondsSince(started);
    // A first ingest into a table decodes every file: load the codec module (~0.1 s of shared-library
    // start-up) while discovery still runs, instead of in the first decoding thread.
    std::future<void> codecs;
    if (current.empty())
        codecs = std::async(std::launch::async, [] { configureImageCodecs(); });

    auto [found, discoverSeconds] = discovery.get();
    if (codecs.valid())
        codecs.wait(); // a load failure surfaces, with its message, from the first decode
    result.discoverSeconds = discoverSeconds;
    result.warnings.insert(result.warnings.begin(), found.warnings.begin(), found.warnings.end());
    result.discovered = std::int64_t(found.files.size());

    // Match files to checkpoint entries with one merge of the two sorted lists (files are sorted by
    // relative path, which under one root is the order of their full paths).
    std::vector<const CurrentRow *> known(found.files.size(), nullptr);
    for (std::size_t i = 0, j = 0; i < found.files.size() && j < current.size();) {
        const int c = found.files[i].path.compare(current[j].first);
        if (c == 0)
            known[i++] = &current[j++].second;
        else if (c < 0)
            ++i;
        else
            ++j;
    }

    // Decoding threads: each takes chunks of the discovered files, skips the unchanged ones (a stat
    // against the checkpoint) and reads, hashes, decodes and thumbnails the rest. The codec module is
    // loaded by the first decode, so a run with nothing new never loads it.
    const int threads = options.threads > 0 ? options.threads
                                            : std::max(1, int(std::thread::hardware_concurrency()));
    ResultQueue queue(std::size_t(std::max(256, options.commitEvery)));
    queue.setProducers(threads);
    std::atomic<std::size_t> next{0};
    std::atomic<std::int64_t> examined{0};
    const auto &files = found.files;
    const double maxMp = options.maxMegapixels;
    std::mutex errorMutex;
    std::exception_ptr decoderError; // e.g. the codec module cannot be loaded: stops the run
    auto decodeChunks = [&] {
        std::vector<unsigned char> buf;
        std::vector<Processed> local;
        ContentHasher hasher;
        constexpr std::size_t kChunk = 32;
        for (;;) {
            if (cancel && cancel->load())
                break;
            const std::size_t begin = next.fetch_add(kChunk);
            if (begin >= files.size())
                break;
            const std::size_t end = std::min(files.size(), begin + kChunk);
            for (std::size_t i = begin; i < end; ++i) {
                const DiscoveredFile &f = files[i];
                if (const CurrentRow *row = known[i]) {
                    struct stat st {};
                    const bool readable = f.statError.empty() && ::stat(f.path.c_str(), &st) == 0;
                    if (readable ? st.st_size == row->size && mtimeOf(st) == row->mtimeNs : row->size == kUnknownSize)
                        continue; // unchanged since the checkpoint (or still unreadable)
                }
                Processed p;
                p.file = &f;
                p.isUpdate = known[i] != nullptr;
                p.label = labelFromPath(options.labels, f.relative);
                std::string error = f.statError;
                store::FileFacts facts;
                if (error.empty() && store::readWholeFile(f.path, buf, error, &facts)) {
                    // Size and mtime of the open file: they describe exactly the bytes that were read.
                    p.size = facts.size;
                    p.mtimeNs = facts.mtimeNs;
                    p.hash = hasher.hex(buf.data(), buf.size());
                    p.probe = probeImage(buf.data(), buf.size(), maxMp);
                } else {
                    p.size = p.mtimeNs = kUnknownSize;
                    p.probe.reason = "unreadable: " + error;
                }
                local.push_back(std::move(p));
            }
            examined.fetch_add(std::int64_t(end - begin));
            if (!local.empty())
                queue.push(local);
        }
    };
    auto decode = [&] {
        try {
            decodeChunks();
        } catch (...) {
            std::lock_guard errorLock(errorMutex);
            if (!decoderError)
                decoderError = std::current_exception();
            next.store(files.size()); // the other decoders stop too
        }
        queue.producerDone();
    };
    std::vector<std::thread> pool;
    for (int t = 0; t < threads; ++t)
        pool.emplace_back(decode);

    // The writer: this thread. Rows of one batch are one transaction.
    const QJsonObject params{{"table", QString::fromStdString(options.table)},
                             {"source", QString::fromStdString(source)},
                             {"labels", labelRuleName(options.labels)},
                             {"glob", options.glob ? QJsonValue(QString::fromStdString(*options.glob)) : QJsonValue()},
                             {"max_megapixels", options.maxMegapixels}};
    Writer writer(*catalogDb, *thumbsDb, options.table, source);
    std::int64_t added = 0, updated = 0, rejected = 0;
    auto metricsJson = [&](std::int64_t unchanged) {
        return toJson(QJsonObject{{"discovered", qint64(result.discovered)},
                                  {"added", qint64(baseAdded + added)},
                                  {"updated", qint64(baseUpdated + updated)},
                                  {"rejected", qint64(baseRejected + rejected)},
                                  {"unchanged", qint64(unchanged)}});
    };
    // Tests: once this many rows are committed, the ingest waits until it is cancelled or its parent (the test) is
    // gone, so a kill or a cancel lands while batches remain however fast or busy the machine is.
    const std::int64_t holdAfterRows = [] {
        const char *rows = std::getenv("PIPEWRIGHT_TEST_HOLD_AFTER_ROWS");
        return rows ? std::atoll(rows) : 0;
    }();
    std::int64_t rowsWritten = 0;
    std::vector<Processed> pendingRows;
    auto flush = [&] {
        if (pendingRows.empty())
            return;
        const auto flushStart = Clock::now();
        writer.writeThumbnails(pendingRows);
        store::Transaction tx(*catalogDb);
        if (version == 0)
            version = catalog.beginVersion("INGEST", toJson(params), resumeKey);
        writer.writeRows(pendingRows, version);
        for (const Processed &p : pendingRows) {
            if (!p.probe.ok)
                ++rejected;
            else if (p.isUpdate)
                ++updated;
            else
                ++added;
        }
        catalog.setPendingMetrics(version, metricsJson(0));
        tx.commit();
        for (const Processed &p : pendingRows) {
            if (!p.probe.ok)
                result.rejectedFiles.push_back({options.table, p.file->path, p.probe.reason});
        }
        rowsWritten += std::int64_t(pendingRows.size());
        pendingRows.clear();
        result.writeSeconds += secondsSince(flushStart);
        if (holdAfterRows > 0 && rowsWritten >= holdAfterRows) {
            for (const pid_t parent = ::getppid(); ::getppid() == parent && !(cancel && cancel->load());)
                std::this_thread::sleep_for(std::chrono::milliseconds(10));
        }
    };
    IngestProgress prog{result.discovered, 0};
    auto lastProgress = Clock::now();
    if (progress)
        progress(prog);
    auto stopDecoders = [&] {
        next.store(files.size());
        queue.discard();
        for (auto &t : pool)
            t.join();
    };
    std::vector<Processed> batch;
    bool stopped = false; // cancelled: the batch in flight was committed, the rest is left for a rerun
    try {
        auto reportProgress = [&] {
            if (progress && Clock::now() - lastProgress > std::chrono::milliseconds(200)) {
                lastProgress = Clock::now();
                prog.processed = examined.load();
                progress(prog);
            }
        };
        while (!stopped && queue.popAll(batch, std::chrono::milliseconds(200))) {
            for (auto &p : batch) {
                if (stopped)
                    break;
                pendingRows.push_back(std::move(p));
                if (std::int64_t(pendingRows.size()) >= options.commitEvery) {
                    flush();
                    reportProgress();
                    stopped = cancel && cancel->load();
                }
            }
            reportProgress();
            stopped = stopped || (cancel && cancel->load());
        }
        flush();
    } catch (...) {
        stopDecoders(); // they use this frame: stop them before unwinding
        throw;
    }
    stopDecoders();
    if (decoderError)
        std::rethrow_exception(decoderError); // what was committed stays pending for a rerun
    prog.processed = examined.load();
    if (progress)
        progress(prog);

    result.added = baseAdded + added;
    result.updated = baseUpdated + updated;
    result.rejected = baseRejected + rejected;
    result.unchanged = std::max<std::int64_t>(0, result.discovered - result.added - result.updated - result.rejected);
    if (stopped) {
        result.cancelled = true;
        result.version = catalog.latestVersion();
        result.totalSeconds = secondsSince(started);
        return result;
    }
    if (version == 0) {
        result.version = catalog.latestVersion(); // nothing new or changed: no new version
        result.totalSeconds = secondsSince(started);
        return result;
    }
    {
        store::Transaction tx(*catalogDb);
        catalog.commitVersion(version, metricsJson(result.unchanged));
        store::Statement src(*catalogDb, "INSERT INTO ingest_sources(table_name, source, last_version, last_run) "
                                         "VALUES (?1, ?2, ?3, ?4) ON CONFLICT(table_name, source) DO UPDATE SET "
                                         "last_version = excluded.last_version, last_run = excluded.last_run");
        src.bind(1, options.table).bind(2, source).bind(3, version).bind(4, catalog::nowIso()).exec();
        tx.commit();
    }
    result.version = version;
    result.totalSeconds = secondsSince(started);
    return result;
}

QJsonObject resultJson(const IngestResult &r)
{
    QJsonArray warnings;
    for (const auto &w : r.warnings)
        warnings.append(QString::fromStdString(w));
    QJsonArray rejected;
    for (const auto &f : r.rejectedFiles)
        rejected.append(QJsonObject{{"path", QString::fromStdString(f.path)},
                                    {"reason", QString::fromStdString(f.reason)}});
    return QJsonObject{{"version", qint64(r.version)},     {"discovered", qint64(r.discovered)},
                       {"added", qint64(r.added)},         {"updated", qint64(r.updated)},
                       {"unchanged", qint64(r.unchanged)}, {"rejected", qint64(r.rejected)},
                       {"resumed", r.resumed},            {"warnings", warnings},
                       {"rejected_files", rejected},
                       {"seconds", QJsonObject{{"discover", r.discoverSeconds},
                                               {"checkpoint", r.checkpointSeconds},
                                               {"write", r.writeSeconds},
                                               {"total", r.totalSeconds}}}};
}

} // namespace pw::ingest
