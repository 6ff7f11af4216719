// Materialising a catalog version into training shards: select, split by content hash, decode in
// parallel straight into mapped .npy files, compact, and rename the finished folder into place.
#include "core/data/Shards.h"

#include "core/store/FileIo.h"

#include "core/catalog/Catalog.h"
#include "core/data/Npy.h"
#include "core/imaging/ImagingModule.h"
#include "core/ingest/ContentHash.h"
#include "core/store/Database.h"
#include "core/store/Workspace.h"

#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>

#include <algorithm>
#include <array>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <exception>
#include <filesystem>
#include <future>
#include <map>
#include <mutex>
#include <thread>

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

namespace pw::data {

namespace fs = std::filesystem;

namespace {

using Clock = std::chrono::steady_clock;

constexpr const char *kTrainImages = "train_images.npy";
constexpr const char *kTrainLabels = "train_labels.npy";
constexpr const char *kValImages = "val_images.npy";
constexpr const char *kValLabels = "val_labels.npy";
constexpr const char *kClasses = "classes.txt";
constexpr const char *kManifest = "manifest.json";
// Rows a decoding thread claims at a time, at most: enough that the shared counter is not contended,
// fewer on small tables so that every thread gets work.
constexpr std::size_t kMaxChunk = 64;

double secondsSince(Clock::time_point t)
{
    return std::chrono::duration<double>(Clock::now() - t).count();
}

std::string inQuotes(const std::string &s)
{
    return "'" + s + "'";
}

// One selected image.
struct Row
{
    std::string path;
    std::string hash;
    std::int64_t cls = 0;
    bool val = false;
    std::int64_t index = 0; // row within its split
};

// A left-out image. `missing`: the file did not exist, so a later materialise rebuilds once it is back.
struct Skip
{
    std::string path;
    std::string reason;
    bool missing = false;
};

void syncPath(const std::string &path, bool directory)
{
    const int fd = ::open(path.c_str(), (directory ? O_RDONLY | O_DIRECTORY : O_RDONLY) | O_CLOEXEC);
    if (fd < 0)
        throw std::runtime_error("cannot open '" + path + "': " + std::strerror(errno));
    const int rc = directory ? ::fsync(fd) : ::fdatasync(fd);
    const int err = errno;
    ::close(fd);
    if (rc != 0)
        throw std::runtime_error("cannot write '" + path + "' to disk: " + std::strerror(err));
}

void writeTextFile(const std::string &path, const std::string &text)
{
    const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0)
        throw std::runtime_error("cannot create '" + path + "': " + std::strerror(errno));
    std::size_t done = 0;
    while (done < text.size()) {
        const ssize_t n = ::write(fd, text.data() + done, text.size() - done);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            const int err = errno;
            ::close(fd);
            throw std::runtime_error("cannot write '" + path + "': " + std::strerror(err));
        }
        done += std::size_t(n);
    }
    if (::fdatasync(fd) != 0 || ::close(fd) != 0)
        throw std::runtime_error("cannot write '" + path + "' to disk: " + std::strerror(errno));
}

// The shortest text that reads back as `v`, with at least two decimals: 0.1 -> "0.10", 0.125 -> "0.125".
std::string fractionText(double v)
{
    char buf[64];
    const auto res = std::to_chars(buf, buf + sizeof buf, v);
    std::string s(buf, res.ptr);
    if (!std::isfinite(v) || s.find_first_of("eE") != std::string::npos)
        return s;
    const auto dot = s.find('.');
    if (dot == std::string::npos)
        s += ".";
    const std::size_t decimals = s.size() - s.find('.') - 1;
    if (decimals < 2)
        s.append(2 - decimals, '0');
    return s;
}

// Removes a temporary build folder unless it was renamed into place.
class TempDir
{
public:
    explicit TempDir(std::string path)
        : m_path(std::move(path))
    {
        std::error_code ec;
        fs::create_directory(m_path, ec);
        if (ec)
            throw std::runtime_error("cannot create folder '" + m_path + "': " + ec.message());
    }
    ~TempDir()
    {
        if (!m_path.empty()) {
            std::error_code ec;
            fs::remove_all(m_path, ec);
        }
    }
    TempDir(const TempDir &) = delete;
    TempDir &operator=(const TempDir &) = delete;
    const std::string &path() const { return m_path; }
    void release() { m_path.clear(); }

private:
    std::string m_path;
};

std::string uniqueSuffix()
{
    static std::atomic<int> counter{0};
    return std::to_string(::getpid()) + "-" + std::to_string(counter.fetch_add(1)) + "-"
           + std::to_string(Clock::now().time_since_epoch().count() % 1000000);
}

// What decodeParallel() found, per row.
struct DecodeStatus
{
    std::vector<char> ok, missing;
    std::vector<std::string> reasons;
};

// Reads row i's file (path(i)), checks its bytes against hash(i), and decodes it resized into dest(i), on
// `threadsWanted` threads (0: one per core). progress(doneBase + rows done, total) on the calling thread;
// when `cancel` is set the rows not yet done are left undone (the caller throws the result away).
DecodeStatus decodeParallel(std::size_t n, const std::function<const std::string &(std::size_t)> &path,
                            const std::function<const std::string &(std::size_t)> &hash,
                            const std::function<unsigned char *(std::size_t)> &dest, int size, int channels,
                            int threadsWanted, const imaging::ModuleApi &codecs,
                            const std::function<void(std::int64_t, std::int64_t)> &progress, std::int64_t doneBase,
                            std::int64_t total, const std::atomic<bool> *cancel)
{
    const int threads = int(std::clamp<std::size_t>(
        threadsWanted > 0 ? std::size_t(threadsWanted) : std::size_t(std::thread::hardware_concurrency()), 1,
        std::max<std::size_t>(1, n)));
    const std::size_t chunk = std::clamp<std::size_t>(n / (std::size_t(threads) * 8), 1, kMaxChunk);
    DecodeStatus status;
    status.ok.assign(n, 0);
    status.missing.assign(n, 0);
    status.reasons.resize(n); // each element written by the one thread that owns the row
    std::atomic<std::size_t> next{0};
    std::atomic<std::int64_t> done{doneBase};
    std::mutex mutex;
    std::condition_variable finishedCv;
    int finished = 0;
    std::exception_ptr error;
    auto work = [&] {
        try {
            std::vector<unsigned char> buf;
            std::string why;
            ingest::ContentHasher hasher;
            for (bool cancelled = false; !cancelled;) {
                const std::size_t begin = next.fetch_add(chunk);
                if (begin >= n)
                    break;
                const std::size_t end = std::min(n, begin + chunk);
                for (std::size_t i = begin; i < end; ++i) {
                    if (cancel && cancel->load()) {
                        cancelled = true; // the rows not done are never looked at: the build is thrown away
                        break;
                    }
                    store::FileFacts facts;
                    if (!store::readWholeFile(path(i), buf, why, &facts)) {
                        status.reasons[i] = "cannot read: " + why;
                        status.missing[i] = facts.missing;
                    } else if (hasher.hex(buf.data(), buf.size()) != hash(i)) {
                        status.reasons[i] =
                            "changed since it was ingested (its content hash differs from the catalog's)";
                    } else if (!codecs.decodeResized(buf.data(), buf.size(), size, channels, dest(i), why)) {
                        status.reasons[i] = "cannot decode: " + why;
                    } else {
                        status.ok[i] = 1;
                    }
                }
                done.fetch_add(std::int64_t(end - begin));
            }
        } catch (...) {
            std::lock_guard lock(mutex);
            if (!error)
                error = std::current_exception();
            next.store(n); // the others stop too
        }
        std::lock_guard lock(mutex);
        ++finished;
        finishedCv.notify_all();
    };
    std::vector<std::thread> pool;
    pool.reserve(std::size_t(threads));
    try {
        for (int t = 0; t < threads; ++t)
            pool.emplace_back(work);
        std::unique_lock lock(mutex);
        while (finished < threads) {
            finishedCv.wait_for(lock, std::chrono::milliseconds(100), [&] { return finished == threads; });
            if (progress && finished < threads) {
                lock.unlock();
                progress(done.load(), total);
                lock.lock();
            }
        }
    } catch (...) {
        // A thread that cannot start, or a progress callback that throws: the threads use this frame.
        next.store(n);
        for (auto &t : pool)
            t.join();
        throw;
    }
    for (auto &t : pool)
        t.join();
    if (error)
        std::rethrow_exception(error);
    return status;
}

// What a complete shard for this request must say about itself.
struct Expected
{
    std::string table;
    std::int64_t dataVersion;
    int imageSize;
    int channels;
    double valFraction;
    std::string selection; // SHA-256 of the selected (path, content hash, label) rows
    const std::vector<std::string> *classes;
};

// The shard at `dir` when it is complete and matches; std::nullopt when it must be (re)built.
std::optional<ShardSet> tryReuse(const std::string &dir, const Expected &e)
{
    std::error_code ec;
    if (!fs::is_directory(dir, ec))
        return std::nullopt;
    try {
        QFile f(QString::fromStdString(dir + "/" + kManifest));
        if (!f.open(QIODevice::ReadOnly))
            return std::nullopt;
        const QJsonObject m = QJsonDocument::fromJson(f.readAll()).object();
        std::vector<std::string> classes;
        for (const QJsonValue &c : m.value("classes").toArray())
            classes.push_back(c.toString().toStdString());
        const QJsonObject counts = m.value("counts").toObject();
        const std::int64_t train = counts.value("train").toInteger(-1);
        const std::int64_t val = counts.value("val").toInteger(-1);
        if (m.value("shard_format").toInt() != kShardFormat || m.value("table").toString().toStdString() != e.table
            || m.value("data_version").toInteger() != e.dataVersion || m.value("image_size").toInt() != e.imageSize
            || m.value("channels").toInt() != e.channels || m.value("val_fraction").toDouble(-1) != e.valFraction
            || m.value("selection_sha256").toString().toStdString() != e.selection || classes != *e.classes || train < 0
            || val < 0)
            return std::nullopt;
        // The arrays must hold what the manifest counts (headers only: nothing is read beyond them).
        const std::int64_t s = e.imageSize;
        const auto shapeIs = [&](const char *file, const std::vector<std::int64_t> &shape, NpyType type) {
            const NpyHeader h = readNpyHeader(dir + "/" + file);
            struct stat st
            {
            };
            return h.type == type && h.shape == shape && ::stat((dir + "/" + file).c_str(), &st) == 0
                   && std::size_t(st.st_size) == h.dataOffset + h.dataBytes();
        };
        if (!shapeIs(kTrainImages, {train, s, s, e.channels}, NpyType::UInt8)
            || !shapeIs(kTrainLabels, {train}, NpyType::Int64)
            || !shapeIs(kValImages, {val, s, s, e.channels}, NpyType::UInt8)
            || !shapeIs(kValLabels, {val}, NpyType::Int64) || !fs::is_regular_file(dir + "/" + kClasses, ec))
            return std::nullopt;
        ShardSet set;
        set.dir = dir;
        set.dataVersion = e.dataVersion;
        set.imageSize = e.imageSize;
        set.channels = e.channels;
        set.classes = classes;
        set.trainCount = train;
        set.valCount = val;
        set.reused = true;
        for (const QJsonValue &v : m.value("skipped").toArray()) {
            const QJsonObject o = v.toObject();
            const std::string path = o.value("path").toString().toStdString();
            // A file that was missing and is back: build again, with it.
            if (o.value("missing").toBool() && ::access(path.c_str(), F_OK) == 0)
                return std::nullopt;
            set.skipped.push_back(path + ": " + o.value("reason").toString().toStdString());
        }
        return set;
    } catch (const std::exception &) {
        return std::nullopt; // unreadable or inconsistent: rebuilt
    }
}

} // namespace

bool isValidation(std::string_view contentHash, double valFraction)
{
    std::uint64_t prefix = 0;
    const char *first = contentHash.data();
    const bool hex = contentHash.size() >= 16 && std::from_chars(first, first + 16, prefix, 16).ptr == first + 16;
    if (!hex)
        throw std::invalid_argument("content hash '" + std::string(contentHash)
                                    + "' does not start with 16 hex digits");
    return double(prefix) / 18446744073709551616.0 < valFraction; // divided by 2^64
}

std::string shardKey(const std::string &table, std::int64_t dataVersion, int imageSize, int channels,
                     double valFraction)
{
    std::string name = table;
    bool changed = name.empty();
    for (std::size_t i = 0; i < name.size(); ++i) {
        char &c = name[i];
        const bool plain = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_'
                           || c == '-' || (c == '.' && i > 0);
        if (!plain) {
            c = '_';
            changed = true;
        }
    }
    if (changed) {
        // Two names that read the same once cleaned ("a b", "a/b") still get different folders.
        std::uint64_t h = 1469598103934665603ULL; // FNV-1a
        for (const unsigned char c : table)
            h = (h ^ c) * 1099511628211ULL;
        char hex[17];
        std::snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(h));
        name += "~" + std::string(hex, 8);
    }
    return name + "-v" + std::to_string(dataVersion) + "-" + std::to_string(imageSize) + "px-"
           + std::to_string(channels) + "ch-val" + fractionText(valFraction);
}

namespace {

// The request's own limits, checked before the catalog is opened.
void checkSpec(const ShardSpec &spec)
{
    if (spec.table.empty())
        throw std::runtime_error("table: the table name is empty");
    if (spec.imageSize < 8 || spec.imageSize > 1024)
        throw std::runtime_error("image size " + std::to_string(spec.imageSize) + ": must be 8 to 1024 pixels");
    if (!(spec.valFraction >= 0 && spec.valFraction <= 0.9))
        throw std::runtime_error("validation fraction " + fractionText(spec.valFraction) + ": must be 0 to 0.9");
    if (spec.channels != 0 && spec.channels != 1 && spec.channels != 3)
        throw std::runtime_error("channels " + std::to_string(spec.channels)
                                 + ": must be 1 (gray), 3 (RGB) or 0 (1 when every image is gray, else 3)");
    if (spec.threads < 0)
        throw std::runtime_error("threads " + std::to_string(spec.threads) + ": must be 0 (one per core) or more");
}

// One labeled image of the table, as the catalog holds it.
struct Selected
{
    std::string path, hash, label;
    std::optional<std::int64_t> labelId;
    int channels;
};

// The table as of one catalog version.
struct Selection
{
    std::int64_t asOf = 0;
    std::int64_t dataVersion = 0; // the last version up to asOf that changed the table
    std::vector<Selected> rows; // in path order
    std::future<void> codecsLoaded; // valid when the codec module is being loaded meanwhile
};

// The last version up to asOf that changed this table (a row became valid, or stopped being valid):
// the table as of asOf is the table as of that version, whatever later versions did to other tables.
std::int64_t lastChange(store::Database &db, const std::string &table, std::int64_t asOf)
{
    std::int64_t dataVersion = asOf;
    store::Statement st(db, "SELECT max(max(valid_from), "
                            "coalesce(max(CASE WHEN valid_to <= ?2 THEN valid_to END), 0)) "
                            "FROM images WHERE table_name = ?1 AND valid_from <= ?2");
    st.bind(1, table).bind(2, asOf);
    if (st.step() && !st.isNull(0))
        dataVersion = st.int64(0);
    return dataVersion;
}

// Loading the codec module takes ~0.2 s (shared libraries, mostly waiting on the disk): when no shard
// of this data version exists, it is needed, so it is loaded while the rows are selected.
std::future<void> preloadCodecs(const store::Workspace &ws, const ShardSpec &spec, std::int64_t dataVersion)
{
    bool mayReuse = false;
    for (const int c : {1, 3}) {
        std::error_code ec;
        const std::string key = shardKey(spec.table, dataVersion, spec.imageSize, c, spec.valFraction);
        mayReuse = mayReuse
                   || ((spec.channels == 0 || spec.channels == c) && fs::exists(ws.shardsDir() + "/" + key, ec));
    }
    if (mayReuse)
        return {};
    return std::async(std::launch::async, [] {
        try {
            imaging::module();
        } catch (...) {
            // reported by the call before decoding
        }
    });
}

// Selects the rows. A committed version never changes, so the queries below, all "as of" one version,
// agree with each other even while another process ingests. The catalog is closed on return.
Selection selectRows(const store::Workspace &ws, const ShardSpec &spec)
{
    auto db = ws.openCatalog();
    catalog::Catalog cat(*db);
    const std::int64_t latest = cat.latestVersion();
    if (spec.asOfVersion && *spec.asOfVersion < 1)
        throw std::runtime_error("catalog version " + std::to_string(*spec.asOfVersion) + " does not exist (latest is "
                                 + std::to_string(latest) + ")");
    Selection sel;
    sel.asOf = spec.asOfVersion.value_or(latest);
    cat.checkVersion(sel.asOf);
    cat.checkTable(spec.table);
    sel.dataVersion = lastChange(*db, spec.table, sel.asOf);
    sel.codecsLoaded = preloadCodecs(ws, spec, sel.dataVersion);

    store::Statement st(*db, "SELECT path, coalesce(content_hash, ''), label, label_id, coalesce(channels, 0) "
                             "FROM images WHERE table_name = ?1 AND status = 'ok' AND label IS NOT NULL "
                             "AND valid_from <= ?2 AND (valid_to IS NULL OR valid_to > ?2) ORDER BY path");
    st.bind(1, spec.table).bind(2, sel.asOf);
    while (st.step())
        sel.rows.push_back({st.text(0), st.text(1), st.text(2), st.optInt64(3), st.int32(4)});
    return sel;
}

// The classes of a selection and whether every image is gray.
struct Classes
{
    std::vector<std::string> names; // class index i = names[i]
    std::map<std::string, std::int64_t> index;
    bool allGray = true;
};

// Classes: Caltech order (label_id) when every image has one, else by name. `where` names the table in
// errors ("table 'x' ").
Classes chooseClasses(const std::vector<Selected> &selected, const std::string &where, std::int64_t asOf)
{
    Classes out;
    std::map<std::string, std::int64_t> firstId; // the smallest id seen for each name
    bool allIds = true;
    for (const Selected &s : selected) {
        allIds = allIds && s.labelId.has_value();
        out.allGray = out.allGray && s.channels == 1;
        auto [it, inserted] = firstId.try_emplace(s.label, s.labelId.value_or(0));
        if (!inserted && s.labelId)
            it->second = std::min(it->second, *s.labelId);
    }
    for (const auto &[name, id] : firstId)
        out.names.push_back(name);
    if (allIds) {
        std::stable_sort(out.names.begin(), out.names.end(),
                         [&](const std::string &a, const std::string &b) { return firstId[a] < firstId[b]; });
    }
    if (out.names.size() < 2)
        throw std::runtime_error(where + "has only one class " + inQuotes(out.names.front()) + " as of version "
                                 + std::to_string(asOf) + ": training needs at least two");
    for (const std::string &c : out.names) {
        if (c.find_first_of("\r\n") != std::string::npos)
            throw std::runtime_error(where + "has a class name with a line break, " + inQuotes(c)
                                     + ": classes.txt holds one name per line");
    }
    for (std::size_t i = 0; i < out.names.size(); ++i)
        out.index[out.names[i]] = std::int64_t(i);
    return out;
}

// The selection split into train and validation rows.
struct Split
{
    std::vector<Row> rows; // path order within each split
    std::vector<Skip> skips; // rows left out so far
    std::int64_t nTrain = 0, nVal = 0;
    std::string selectionHash; // SHA-256 of the selected (path, content hash, label) rows
};

// Splits by content hash; rows keep path order within each split. `selected` is consumed.
Split splitByHash(std::vector<Selected> selected, const std::map<std::string, std::int64_t> &classIndex,
                  double valFraction)
{
    Split out;
    out.rows.reserve(selected.size());
    std::string selection;
    selection.reserve(selected.size() * 128);
    for (Selected &s : selected) {
        selection.append(s.path).append(1, '\0').append(s.hash).append(1, '\0').append(s.label).append(1, '\n');
        Row r;
        try {
            r.val = isValidation(s.hash, valFraction);
        } catch (const std::invalid_argument &e) {
            out.skips.push_back({s.path, std::string("in the catalog: ") + e.what(), false});
            continue;
        }
        r.cls = classIndex.at(s.label);
        r.index = r.val ? out.nVal++ : out.nTrain++;
        r.path = std::move(s.path);
        r.hash = std::move(s.hash);
        out.rows.push_back(std::move(r));
    }
    selected.clear();
    selected.shrink_to_fit();
    ingest::ContentHasher selectionHasher;
    out.selectionHash = selectionHasher.hex(selection.data(), selection.size());
    return out;
}

// The arrays of a shard being built in its temporary folder: images decoded straight into mapped files.
struct ShardArrays
{
    ShardArrays(const std::string &dir, const Split &split, int size, int channels)
        : trainImages(dir + "/" + kTrainImages, NpyType::UInt8, {split.nTrain, size, size, channels})
        , valImages(dir + "/" + kValImages, NpyType::UInt8, {split.nVal, size, size, channels})
        , trainLabels(std::size_t(split.nTrain), 0)
        , valLabels(std::size_t(split.nVal), 0)
    {
        for (const Row &r : split.rows)
            labels(r.val)[std::size_t(r.index)] = r.cls;
    }
    NpyWriter &images(bool val) { return val ? valImages : trainImages; }
    std::vector<std::int64_t> &labels(bool val) { return val ? valLabels : trainLabels; }

    NpyWriter trainImages, valImages;
    std::vector<std::int64_t> trainLabels, valLabels;
};

// Compacts: drops the rows of left-out images (adding them to split.skips, sorted by path), keeping the
// order. Returns the rows kept in train ([0]) and validation ([1]).
std::array<std::int64_t, 2> compact(Split &split, const DecodeStatus &status, ShardArrays &arrays)
{
    const std::vector<Row> &rows = split.rows;
    for (std::size_t i = 0; i < rows.size(); ++i) {
        if (!status.ok[i])
            split.skips.push_back({rows[i].path, status.reasons[i], bool(status.missing[i])});
    }
    std::sort(split.skips.begin(), split.skips.end(), [](const Skip &a, const Skip &b) { return a.path < b.path; });
    std::array<std::int64_t, 2> kept = {0, 0};
    for (std::size_t i = 0; i < rows.size(); ++i) {
        if (!status.ok[i])
            continue;
        const Row &r = rows[i];
        NpyWriter &images = arrays.images(r.val);
        std::vector<std::int64_t> &labels = arrays.labels(r.val);
        std::int64_t &to = kept[r.val];
        if (to != r.index) {
            std::memcpy(images.row(to), images.row(r.index), images.rowBytes()); // to < index: no overlap
            labels[std::size_t(to)] = labels[std::size_t(r.index)];
        }
        ++to;
    }
    return kept;
}

// Cuts the arrays to the kept rows and writes them out with their labels.
void finishArrays(ShardArrays &a, const std::array<std::int64_t, 2> &kept, const Split &split, const std::string &dir)
{
    a.trainLabels.resize(std::size_t(kept[0]));
    a.valLabels.resize(std::size_t(kept[1]));
    if (kept[0] != split.nTrain)
        a.trainImages.truncateRows(kept[0]);
    if (kept[1] != split.nVal)
        a.valImages.truncateRows(kept[1]);
    a.trainImages.finish();
    a.valImages.finish();
    writeNpy(dir + "/" + kTrainLabels, NpyType::Int64, {kept[0]}, a.trainLabels.data());
    writeNpy(dir + "/" + kValLabels, NpyType::Int64, {kept[1]}, a.valLabels.data());
}

// Writes classes.txt, then the manifest: it is written last, so that a folder without one is never taken
// for a complete shard.
void writeDescription(const std::string &dir, const Expected &e, const std::array<std::int64_t, 2> &kept,
                      const std::vector<Skip> &skips)
{
    std::string classesText;
    QJsonArray classesJson;
    for (const std::string &c : *e.classes) {
        classesText += c + "\n";
        classesJson.append(QString::fromStdString(c));
    }
    writeTextFile(dir + "/" + kClasses, classesText);

    QJsonArray skippedJson;
    for (const Skip &s : skips) {
        skippedJson.append(QJsonObject{{"path", QString::fromStdString(s.path)},
                                       {"reason", QString::fromStdString(s.reason)},
                                       {"missing", s.missing}});
    }
    const QJsonObject manifest{
        {"shard_format", kShardFormat},
        {"table", QString::fromStdString(e.table)},
        {"data_version", qint64(e.dataVersion)},
        {"image_size", e.imageSize},
        {"channels", e.channels},
        {"val_fraction", e.valFraction},
        {"layout", "NHWC"},
        {"split_rule", "validation when int(content_hash[:16], 16) / 2**64 < val_fraction"},
        {"classes", classesJson},
        {"counts",
         QJsonObject{{"train", qint64(kept[0])}, {"val", qint64(kept[1])}, {"skipped", qint64(skips.size())}}},
        {"files", QJsonObject{{"train_images", kTrainImages},
                              {"train_labels", kTrainLabels},
                              {"val_images", kValImages},
                              {"val_labels", kValLabels},
                              {"classes", kClasses}}},
        {"selection_sha256", QString::fromStdString(e.selection)},
        {"skipped", skippedJson},
        {"created", QString::fromStdString(catalog::nowIso())}};
    writeTextFile(dir + "/" + kManifest, QJsonDocument(manifest).toJson().toStdString());
}

// Renames the finished build `tmp` to shardsDir/key, moving aside an incomplete or outdated folder of the
// same name. Returns the shard of another process that finished the same one meanwhile (then `tmp` stays
// and is removed); std::nullopt when `tmp` is in place.
std::optional<ShardSet> renameIntoPlace(TempDir &tmp, const std::string &shardsDir, const std::string &key,
                                        const Expected &expected)
{
    const std::string dir = shardsDir + "/" + key;
    std::error_code ec;
    std::string old;
    if (fs::exists(dir, ec)) {
        old = shardsDir + "/." + key + ".old-" + uniqueSuffix();
        if (::rename(dir.c_str(), old.c_str()) != 0) {
            if (errno != ENOENT)
                throw std::runtime_error("cannot move '" + dir + "' aside: " + std::strerror(errno));
            old.clear();
        }
    }
    if (::rename(tmp.path().c_str(), dir.c_str()) != 0) {
        const int err = errno;
        if (err == EEXIST || err == ENOTEMPTY) {
            // Another process finished the same shard meanwhile: use it.
            if (auto other = tryReuse(dir, expected))
                return other;
        }
        throw std::runtime_error("cannot rename '" + tmp.path() + "' to '" + dir + "': " + std::strerror(err));
    }
    tmp.release();
    syncPath(shardsDir, true);
    if (!old.empty())
        fs::remove_all(old, ec);
    return std::nullopt;
}

} // namespace

ShardSet materialise(const store::Workspace &ws, const ShardSpec &spec,
                     const std::function<void(std::int64_t, std::int64_t)> &progress, const std::atomic<bool> *cancel)
{
    const auto started = Clock::now();
    checkSpec(spec);
    Selection sel = selectRows(ws, spec);
    const std::string where = "table " + inQuotes(spec.table) + " ";
    if (sel.rows.empty())
        throw std::runtime_error(where + "has no labeled images as of version " + std::to_string(sel.asOf));
    Classes classes = chooseClasses(sel.rows, where, sel.asOf);
    const int channels = spec.channels ? spec.channels : (classes.allGray ? 1 : 3);
    const int size = spec.imageSize;
    Split split = splitByHash(std::move(sel.rows), classes.index, spec.valFraction);

    // --- Reuse a complete shard.
    const std::string shardsDir = ws.shardsDir();
    std::error_code ec;
    fs::create_directories(shardsDir, ec);
    if (ec)
        throw std::runtime_error("cannot create folder '" + shardsDir + "': " + ec.message());
    const std::string key = shardKey(spec.table, sel.dataVersion, size, channels, spec.valFraction);
    const std::string dir = shardsDir + "/" + key;
    const Expected expected{spec.table,       sel.dataVersion,     size,          channels,
                            spec.valFraction, split.selectionHash, &classes.names};
    const auto total = std::int64_t(split.rows.size() + split.skips.size());
    if (auto existing = tryReuse(dir, expected)) {
        existing->seconds = secondsSince(started);
        if (progress)
            progress(total, total);
        return *existing;
    }

    // --- Build in a temporary folder.
    if (sel.codecsLoaded.valid())
        sel.codecsLoaded.wait();
    const imaging::ModuleApi &codecs = imaging::module(); // a load failure stops here, with its message
    // Temporary folders are ".<key>.tmp-<pid>-<n>" (a build) and ".<key>.old-<pid>-<n>" (a replaced shard):
    // those of processes that no longer run were left by a crash.
    store::removeStaleTemporaries(shardsDir, {".tmp-", ".old-"});
    TempDir tmp(shardsDir + "/." + key + ".tmp-" + uniqueSuffix());
    ShardArrays arrays(tmp.path(), split, size, channels);
    const std::vector<Row> &rows = split.rows;
    const DecodeStatus status = decodeParallel(
        rows.size(), [&](std::size_t i) -> const std::string & { return rows[i].path; },
        [&](std::size_t i) -> const std::string & { return rows[i].hash; },
        [&](std::size_t i) { return arrays.images(rows[i].val).row(rows[i].index); }, size, channels, spec.threads,
        codecs, progress, std::int64_t(split.skips.size()), total, cancel);
    if (cancel && cancel->load())
        throw MaterialiseCancelled("materialising " + where + "as of version " + std::to_string(sel.asOf)
                                   + " was cancelled");
    const std::array<std::int64_t, 2> kept = compact(split, status, arrays);
    if (kept[0] + kept[1] == 0)
        throw std::runtime_error("none of the " + std::to_string(total) + " labeled images of " + where
                                 + "as of version " + std::to_string(sel.asOf) + " could be read; the first: "
                                 + split.skips.front().path + ": " + split.skips.front().reason);
    finishArrays(arrays, kept, split, tmp.path());
    writeDescription(tmp.path(), expected, kept, split.skips);
    syncPath(tmp.path(), true);
    if (auto other = renameIntoPlace(tmp, shardsDir, key, expected)) {
        other->seconds = secondsSince(started);
        return *other;
    }

    ShardSet set;
    set.dir = dir;
    set.dataVersion = sel.dataVersion;
    set.imageSize = size;
    set.channels = channels;
    set.classes = std::move(classes.names);
    set.trainCount = kept[0];
    set.valCount = kept[1];
    for (const Skip &s : split.skips)
        set.skipped.push_back(s.path + ": " + s.reason);
    if (progress)
        progress(total, total);
    set.seconds = secondsSince(started);
    return set;
}

DecodedImages decodeImages(const std::vector<ImageRef> &images, int size, int channels, const std::string &npyPath,
                           const std::function<void(std::int64_t, std::int64_t)> &progress,
                           const std::atomic<bool> *cancel, int threads)
{
    const auto started = Clock::now();
    if (size < 8 || size > 1024)
        throw std::runtime_error("image size " + std::to_string(size) + ": must be 8 to 1024 pixels");
    if (channels != 1 && channels != 3)
        throw std::runtime_error("channels " + std::to_string(channels) + ": must be 1 or 3");
    const imaging::ModuleApi &codecs = imaging::module();
    const auto n = std::int64_t(images.size());
    DecodedImages out;
    out.rowOf.assign(images.size(), -1);
    out.reasons.resize(images.size());
    {
        NpyWriter writer(npyPath + ".part", NpyType::UInt8, {n, size, size, channels});
        const DecodeStatus status = decodeParallel(
            images.size(), [&](std::size_t i) -> const std::string & { return images[i].path; },
            [&](std::size_t i) -> const std::string & { return images[i].contentHash; },
            [&](std::size_t i) { return writer.row(std::int64_t(i)); }, size, channels, threads, codecs, progress, 0, n,
            cancel);
        if (cancel && cancel->load()) {
            std::error_code ec;
            fs::remove(npyPath + ".part", ec);
            throw MaterialiseCancelled("decoding " + std::to_string(n) + " images was cancelled");
        }
        std::int64_t kept = 0;
        for (std::size_t i = 0; i < images.size(); ++i) {
            if (!status.ok[i]) {
                out.reasons[i] = status.reasons[i];
                continue;
            }
            if (kept != std::int64_t(i))
                std::memcpy(writer.row(kept), writer.row(std::int64_t(i)), writer.rowBytes());
            out.rowOf[i] = kept++;
        }
        if (kept != n)
            writer.truncateRows(kept);
        writer.finish(false); // a temporary: read once, by the worker, then removed
        out.rows = kept;
    }
    if (::rename((npyPath + ".part").c_str(), npyPath.c_str()) != 0)
        throw std::runtime_error("cannot rename '" + npyPath + ".part' to '" + npyPath + "': " + std::strerror(errno));
    if (progress)
        progress(n, n);
    out.seconds = secondsSince(started);
    return out;
}

} // namespace pw::data
