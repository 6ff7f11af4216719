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

void checkOptions(const IngestOptions &options)
{
    if (options.table.empty())
        throw std::invalid_argument("--table: the table name is empty");
    if (!(options.maxMegapixels > 0))
        throw std::invalid_argument("--max-megapixels: must be a positive number");
    if (options.commitEvery < 1)
        throw std::invalid_argument("--commit-every: must be at least 1");
}

// The source folder's absolute path, links resolved.
std::string realSource(const std::string &path)
{
    char *real = realpath(path.c_str(), nullptr);
    if (!real)
        throw std::runtime_error("source folder '" + path + "': " + std::strerror(errno));
    const std::string source = real;
    std::free(real);
    return source;
}

// Where this run starts: a new version (0, begun with the first batch) or the pending one it resumes,
// with the counts that version already holds.
struct Start
{
    std::int64_t version = 0;
    std::int64_t added = 0, updated = 0, rejected = 0;
};

// An interrupted run of this same ingest is resumed; any other unfinished operation is undone (its rows
// never became visible) before a new version starts.
Start resumeOrDiscard(catalog::Catalog &catalog, const std::string &resumeKey, IngestResult &result)
{
    Start start;
    const auto pending = catalog.pendingVersion();
    if (!pending)
        return start;
    if (pending->resumeKey == resumeKey) {
        start.version = pending->version;
        result.resumed = true;
        const QJsonObject m = QJsonDocument::fromJson(QByteArray::fromStdString(pending->metrics)).object();
        start.added = m.value("added").toInteger();
        start.updated = m.value("updated").toInteger();
        start.rejected = m.value("rejected").toInteger();
    } else {
        catalog.discardVersion(pending->version);
        result.warnings.push_back("discarded unfinished catalog version " + std::to_string(pending->version) + " ("
                                  + pending->operation + "), left by an interrupted run");
    }
    return start;
}

using Checkpoint = std::vector<std::pair<std::string, CurrentRow>>;

// The checkpoint: the current row of every path of this table (pending rows included), in path order
// (the images_current index gives it without sorting).
Checkpoint loadCheckpoint(store::Database &db, const std::string &table)
{
    Checkpoint current;
    store::Statement st(db, "SELECT path, size, mtime_ns FROM images "
                            "WHERE table_name = ? AND valid_to IS NULL ORDER BY path");
    st.bind(1, table);
    while (st.step())
        current.emplace_back(st.text(0), CurrentRow{st.int64(1), st.int64(2)});
    return current;
}

// Matches files to checkpoint entries with one merge of the two sorted lists (files are sorted by relative
// path, which under one root is the order of their full paths). known[i]: file i's entry, or null.
std::vector<const CurrentRow *> matchCheckpoint(const std::vector<DiscoveredFile> &files, const Checkpoint &current)
{
    std::vector<const CurrentRow *> known(files.size(), nullptr);
    for (std::size_t i = 0, j = 0; i < files.size() && j < current.size();) {
        const int c = files[i].path.compare(current[j].first);
        if (c == 0)
            known[i++] = &current[j++].second;
        else if (c < 0)
            ++i;
        else
            ++j;
    }
    return known;
}

// The decoding threads: each takes chunks of the discovered files, skips the unchanged ones (a stat
// against the checkpoint) and reads, hashes, decodes and thumbnails the rest, handing them to the writer
// through a bounded queue. The codec module is loaded by the first decode, so a run with nothing new never
// loads it. The threads start with the pool and are stopped, at the latest, when it is destroyed.
class DecoderPool
{
public:
    DecoderPool(const std::vector<DiscoveredFile> &files, const std::vector<const CurrentRow *> &known,
                const IngestOptions &options, const std::atomic<bool> *cancel)
        : m_files(files)
        , m_known(known)
        , m_options(options)
        , m_cancel(cancel)
        , m_queue(std::size_t(std::max(256, options.commitEvery)))
    {
        const int threads = options.threads > 0 ? options.threads
                                                : std::max(1, int(std::thread::hardware_concurrency()));
        m_queue.setProducers(threads);
        try {
            for (int t = 0; t < threads; ++t)
                m_pool.emplace_back([this] { run(); });
        } catch (...) {
            stop();
            throw;
        }
    }
    ~DecoderPool() { stop(); }
    DecoderPool(const DecoderPool &) = delete;
    DecoderPool &operator=(const DecoderPool &) = delete;

    ResultQueue &queue() { return m_queue; }
    std::int64_t examined() const { return m_examined.load(); }
    // Stops the threads (what they have not handed over is dropped) and waits for them.
    void stop()
    {
        m_next.store(m_files.size());
        m_queue.discard();
        for (auto &t : m_pool) {
            if (t.joinable())
                t.join();
        }
    }
    // A decoder's failure (e.g. the codec module cannot be loaded) stops the run; call after stop().
    void rethrowError() const
    {
        if (m_error)
            std::rethrow_exception(m_error);
    }

private:
    void run()
    {
        try {
            decodeChunks();
        } catch (...) {
            std::lock_guard errorLock(m_errorMutex);
            if (!m_error)
                m_error = std::current_exception();
            m_next.store(m_files.size()); // the other decoders stop too
        }
        m_queue.producerDone();
    }

    bool unchanged(std::size_t i) const
    {
        const CurrentRow *row = m_known[i];
        if (!row)
            return false;
        const DiscoveredFile &f = m_files[i];
        struct stat st
        {
        };
        const bool readable = f.statError.empty() && ::stat(f.path.c_str(), &st) == 0;
        // unchanged since the checkpoint (or still unreadable)
        return readable ? st.st_size == row->size && mtimeOf(st) == row->mtimeNs : row->size == kUnknownSize;
    }

    void decodeChunks()
    {
        std::vector<unsigned char> buf;
        std::vector<Processed> local;
        ContentHasher hasher;
        constexpr std::size_t kChunk = 32;
        for (;;) {
            if (m_cancel && m_cancel->load())
                break;
            const std::size_t begin = m_next.fetch_add(kChunk);
            if (begin >= m_files.size())
                break;
            const std::size_t end = std::min(m_files.size(), begin + kChunk);
            for (std::size_t i = begin; i < end; ++i) {
                if (unchanged(i))
                    continue;
                const DiscoveredFile &f = m_files[i];
                Processed p;
                p.file = &f;
                p.isUpdate = m_known[i] != nullptr;
                p.label = labelFromPath(m_options.labels, f.relative);
                std::string error = f.statError;
                store::FileFacts facts;
                if (error.empty() && store::readWholeFile(f.path, buf, error, &facts)) {
                    // Size and mtime of the open file: they describe exactly the bytes that were read.
                    p.size = facts.size;
                    p.mtimeNs = facts.mtimeNs;
                    p.hash = hasher.hex(buf.data(), buf.size());
                    p.probe = probeImage(buf.data(), buf.size(), m_options.maxMegapixels);
                } else {
                    p.size = p.mtimeNs = kUnknownSize;
                    p.probe.reason = "unreadable: " + error;
                }
                local.push_back(std::move(p));
            }
            m_examined.fetch_add(std::int64_t(end - begin));
            if (!local.empty())
                m_queue.push(local);
        }
    }

    const std::vector<DiscoveredFile> &m_files;
    const std::vector<const CurrentRow *> &m_known;
    const IngestOptions &m_options;
    const std::atomic<bool> *m_cancel;
    ResultQueue m_queue;
    std::atomic<std::size_t> m_next{0};
    std::atomic<std::int64_t> m_examined{0};
    std::mutex m_errorMutex;
    std::exception_ptr m_error;
    std::vector<std::thread> m_pool; // last: the threads use the members above
};

// The writer side, on the calling thread: rows are committed in batches, one transaction each, into one
// pending catalog version (begun with the first batch), which becomes visible when the run completes.
class BatchCommitter
{
public:
    BatchCommitter(store::Database &catalogDb, store::Database &thumbsDb, catalog::Catalog &catalog,
                   const IngestOptions &options, const std::string &source, const std::string &resumeKey,
                   const Start &start, IngestResult &result, const std::atomic<bool> *cancel)
        : m_db(catalogDb)
        , m_catalog(catalog)
        , m_options(options)
        , m_source(source)
        , m_resumeKey(resumeKey)
        , m_base(start)
        , m_version(start.version)
        , m_result(result)
        , m_cancel(cancel)
        , m_params{{"table", QString::fromStdString(options.table)},
                   {"source", QString::fromStdString(source)},
                   {"labels", labelRuleName(options.labels)},
                   {"glob", options.glob ? QJsonValue(QString::fromStdString(*options.glob)) : QJsonValue()},
                   {"max_megapixels", options.maxMegapixels}}
        , m_writer(catalogDb, thumbsDb, options.table, source)
    {
    }

    // Queues a row; returns true when a batch is full (commitBatch() is due).
    bool add(Processed &&p)
    {
        m_pending.push_back(std::move(p));
        return std::int64_t(m_pending.size()) >= m_options.commitEvery;
    }

    // Commits the queued rows as one transaction (their thumbnails first, in their own database).
    void commitBatch()
    {
        if (m_pending.empty())
            return;
        const auto flushStart = Clock::now();
        m_writer.writeThumbnails(m_pending);
        store::Transaction tx(m_db);
        if (m_version == 0)
            m_version = m_catalog.beginVersion("INGEST", toJson(m_params), m_resumeKey);
        m_writer.writeRows(m_pending, m_version);
        for (const Processed &p : m_pending) {
            if (!p.probe.ok)
                ++m_rejected;
            else if (p.isUpdate)
                ++m_updated;
            else
                ++m_added;
        }
        m_catalog.setPendingMetrics(m_version, metricsJson(0));
        tx.commit();
        for (const Processed &p : m_pending) {
            if (!p.probe.ok)
                m_result.rejectedFiles.push_back({m_options.table, p.file->path, p.probe.reason});
        }
        m_rowsWritten += std::int64_t(m_pending.size());
        m_pending.clear();
        m_result.writeSeconds += secondsSince(flushStart);
        holdForTests();
    }

    // The totals of the run (what a resumed version held included); commits the version unless the run
    // was cancelled or found nothing new or changed.
    void finish(bool cancelled)
    {
        IngestResult &r = m_result;
        r.added = m_base.added + m_added;
        r.updated = m_base.updated + m_updated;
        r.rejected = m_base.rejected + m_rejected;
        r.unchanged = std::max<std::int64_t>(0, r.discovered - r.added - r.updated - r.rejected);
        if (cancelled || m_version == 0) { // with nothing new or changed: no new version
            r.cancelled = cancelled;
            r.version = m_catalog.latestVersion();
            return;
        }
        store::Transaction tx(m_db);
        m_catalog.commitVersion(m_version, metricsJson(r.unchanged));
        store::Statement src(m_db, "INSERT INTO ingest_sources(table_name, source, last_version, last_run) "
                                   "VALUES (?1, ?2, ?3, ?4) ON CONFLICT(table_name, source) DO UPDATE SET "
                                   "last_version = excluded.last_version, last_run = excluded.last_run");
        src.bind(1, m_options.table).bind(2, m_source).bind(3, m_version).bind(4, catalog::nowIso()).exec();
        tx.commit();
        r.version = m_version;
    }

private:
    std::string metricsJson(std::int64_t unchanged) const
    {
        return toJson(QJsonObject{{"discovered", qint64(m_result.discovered)},
                                  {"added", qint64(m_base.added + m_added)},
                                  {"updated", qint64(m_base.updated + m_updated)},
                                  {"rejected", qint64(m_base.rejected + m_rejected)},
                                  {"unchanged", qint64(unchanged)}});
    }

    // Tests: once this many rows are committed, the ingest waits until it is cancelled or its parent (the
    // test) is gone, so a kill or a cancel lands while batches remain however fast or busy the machine is.
    void holdForTests() const
    {
        if (m_holdAfterRows > 0 && m_rowsWritten >= m_holdAfterRows) {
            for (const pid_t parent = ::getppid(); ::getppid() == parent && !(m_cancel && m_cancel->load());)
                std::this_thread::sleep_for(std::chrono::milliseconds(10));
        }
    }

    store::Database &m_db;
    catalog::Catalog &m_catalog;
    const IngestOptions &m_options;
    const std::string &m_source;
    const std::string &m_resumeKey;
    const Start m_base;
    std::int64_t m_version;
    IngestResult &m_result;
    const std::atomic<bool> *m_cancel;
    const QJsonObject m_params;
    Writer m_writer;
    std::vector<Processed> m_pending;
    std::int64_t m_added = 0, m_updated = 0, m_rejected = 0;
    std::int64_t m_rowsWritten = 0;
    const std::int64_t m_holdAfterRows = [] {
        const char *rows = std::getenv("PIPEWRIGHT_TEST_HOLD_AFTER_ROWS");
        return rows ? std::atoll(rows) : 0;
    }();
};

// Hands the decoded rows to the committer until the decoders are done, or until the run is cancelled:
// then the batch in flight is committed and the rest is left for a rerun. Returns whether it was cancelled.
bool writeAll(DecoderPool &decoders, BatchCommitter &committer, const IngestProgressFn &progress,
              const std::atomic<bool> *cancel, IngestProgress &prog)
{
    auto lastProgress = Clock::now();
    if (progress)
        progress(prog);
    auto reportProgress = [&] {
        if (progress && Clock::now() - lastProgress > std::chrono::milliseconds(200)) {
            lastProgress = Clock::now();
            prog.processed = decoders.examined();
            progress(prog);
        }
    };
    std::vector<Processed> batch;
    bool stopped = false;
    while (!stopped && decoders.queue().popAll(batch, std::chrono::milliseconds(200))) {
        for (auto &p : batch) {
            if (stopped)
                break;
            if (committer.add(std::move(p))) {
                committer.commitBatch();
                reportProgress();
                stopped = cancel && cancel->load();
            }
        }
        reportProgress();
        stopped = stopped || (cancel && cancel->load());
    }
    committer.commitBatch();
    return stopped;
}

} // namespace

IngestResult ingest(const store::Workspace &workspace, const IngestOptions &options, const IngestProgressFn &progress,
                    const std::atomic<bool> *cancel)
{
    checkOptions(options);
    IngestResult result;
    const auto started = Clock::now();
    const std::string source = realSource(options.source);

    // Discovery walks the folder while this thread takes the lock and loads the checkpoint.
    auto discovery = std::async(std::launch::async, [&] {
        DiscoveryResult d = discoverFiles(source, options.glob);
        return std::pair{std::move(d), secondsSince(started)};
    });

    store::WriterLock lock(workspace);
    auto catalogDb = workspace.openCatalog();
    auto thumbsDb = workspace.openThumbnails();
    catalog::Catalog catalog(*catalogDb);
    const std::string resumeKey = "INGEST\n" + options.table + "\n" + source;
    const Start start = resumeOrDiscard(catalog, resumeKey, result);
    const Checkpoint current = loadCheckpoint(*catalogDb, options.table);
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
    const std::vector<const CurrentRow *> known = matchCheckpoint(found.files, current);

    DecoderPool decoders(found.files, known, options, cancel);
    BatchCommitter committer(*catalogDb, *thumbsDb, catalog, options, source, resumeKey, start, result, cancel);
    IngestProgress prog{result.discovered, 0};
    // On an error the decoders are stopped (they use this frame) when `decoders` goes, before the rest.
    const bool stopped = writeAll(decoders, committer, progress, cancel, prog);
    decoders.stop();
    decoders.rethrowError(); // what was committed stays pending for a rerun
    prog.processed = decoders.examined();
    if (progress)
        progress(prog);
    committer.finish(stopped);
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
        rejected.append(
            QJsonObject{{"path", QString::fromStdString(f.path)}, {"reason", QString::fromStdString(f.reason)}});
    return QJsonObject{{"version", qint64(r.version)},
                       {"discovered", qint64(r.discovered)},
                       {"added", qint64(r.added)},
                       {"updated", qint64(r.updated)},
                       {"unchanged", qint64(r.unchanged)},
                       {"rejected", qint64(r.rejected)},
                       {"resumed", r.resumed},
                       {"warnings", warnings},
                       {"rejected_files", rejected},
                       {"seconds", QJsonObject{{"discover", r.discoverSeconds},
                                               {"checkpoint", r.checkpointSeconds},
                                               {"write", r.writeSeconds},
                                               {"total", r.totalSeconds}}}};
}

} // namespace pw::ingest
