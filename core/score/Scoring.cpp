// Scoring: select the unscored images, decode them, predict with the worker, merge and queue.
#include "core/score/Scoring.h"

#include "core/catalog/Catalog.h"
#include "core/catalog/ImageQuery.h"
#include "core/compute/Targets.h"
#include "core/compute/Training.h"
#include "core/data/Npy.h"
#include "core/data/Shards.h"
#include "core/registry/Registry.h"
#include "core/requests/KeyValues.h"
#include "core/review/Review.h"
#include "core/store/Database.h"
#include "core/store/FileIo.h"
#include "core/store/Workspace.h"

#include <QJsonDocument>
#include <QJsonObject>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <numeric>
#include <optional>

#include <sqlite3.h>
#include <unistd.h>

namespace pw::score {

namespace fs = std::filesystem;

namespace {

using Clock = std::chrono::steady_clock;

double secondsSince(Clock::time_point t)
{
    return std::chrono::duration<double>(Clock::now() - t).count();
}

void appendJsonString(std::string &out, const std::string &s)
{
    out += '"';
    for (const char ch : s) {
        const auto c = static_cast<unsigned char>(ch);
        switch (c) {
        case '"': out += "\\\""; break;
        case '\\': out += "\\\\"; break;
        case '\n': out += "\\n"; break;
        case '\r': out += "\\r"; break;
        case '\t': out += "\\t"; break;
        default:
            if (c < 0x20) {
                char buf[8];
                std::snprintf(buf, sizeof buf, "\\u%04x", c);
                out += buf;
            } else {
                out += ch;
            }
        }
    }
    out += '"';
}

// A temporary folder under shards/, removed with everything in it.
// The scratch folder of one scoring is shards/.score-<pid>-<n>: the pid tells a stale one.
constexpr const char *kScratchMarker = ".score-";

struct ScratchDir
{
    std::string path;
    ~ScratchDir()
    {
        std::error_code ec;
        fs::remove_all(path, ec);
    }
};

// The images a review mode queues, over predictions p and the image's current row i (NULL columns when it is gone);
// ?6 is the threshold. Unlabeled: no label, less confident than the threshold (the seed's rule). Labeled: a label no
// person gave (folder, import) that the model predicts otherwise: a likely label error.
std::string queueCondition(ReviewMode mode)
{
    const std::string unlabeled = "i.label IS NULL AND p.confidence < ?6";
    const std::string labeled = "i.label IS NOT NULL AND i.label_source <> 'human' AND i.label <> p.predicted";
    switch (mode) {
    case ReviewMode::Unlabeled: return unlabeled;
    case ReviewMode::Labeled: return labeled;
    case ReviewMode::All: break;
    }
    return "(" + unlabeled + ") OR (" + labeled + ")";
}

// The reason an entry was queued, as an SQL expression over p and i.
std::string queueReason(double threshold)
{
    char below[96];
    std::snprintf(below, sizeof below, "confidence below %.4g", threshold);
    return std::string("CASE WHEN i.label IS NULL THEN '") + below
           + "' ELSE 'predicted ' || p.predicted || ', labeled ' || i.label || ' (' || i.label_source || ')' END";
}

// pw_in_review_sample(path, fraction, seed): inReviewSample() as an SQL function on this connection.
void registerSampleFunction(store::Database &db)
{
    auto fn = [](sqlite3_context *ctx, int, sqlite3_value **argv) {
        const auto *text = reinterpret_cast<const char *>(sqlite3_value_text(argv[0]));
        const std::string path = text ? std::string(text, std::size_t(sqlite3_value_bytes(argv[0]))) : std::string();
        sqlite3_result_int(
            ctx,
            inReviewSample(path, sqlite3_value_double(argv[1]), std::uint64_t(sqlite3_value_int64(argv[2]))) ? 1 : 0);
    };
    if (sqlite3_create_function(db.handle(), "pw_in_review_sample", 3, SQLITE_UTF8 | SQLITE_DETERMINISTIC, nullptr, fn,
                                nullptr, nullptr)
        != SQLITE_OK)
        db.fail("registering pw_in_review_sample");
}

} // namespace

bool inReviewSample(const std::string &path, double fraction, std::uint64_t seed)
{
    if (fraction >= 1.0)
        return true;
    std::uint64_t h = 1469598103934665603ULL ^ seed; // FNV-1a, seeded
    for (const unsigned char c : path)
        h = (h ^ c) * 1099511628211ULL;
    h ^= h >> 33; // FNV's low bits mix poorly: fold the high ones in
    h *= 0xff51afd7ed558ccdULL;
    h ^= h >> 33;
    return double(h >> 11) / 9007199254740992.0 < fraction; // 53 bits / 2^53
}

std::vector<int> topKIndices(const float *p, std::size_t classes, int k)
{
    std::vector<int> order(classes);
    std::iota(order.begin(), order.end(), 0);
    k = std::min<int>(k, int(order.size()));
    std::partial_sort(order.begin(), order.begin() + k, order.end(),
                      [&](int a, int b) { return p[a] > p[b] || (p[a] == p[b] && a < b); });
    order.resize(std::size_t(k));
    return order;
}

std::string topKJson(const float *p, const std::vector<std::string> &classes, int k, int *best)
{
    const std::vector<int> order = topKIndices(p, classes.size(), k);
    if (best)
        *best = order.empty() ? -1 : order.front();
    std::string out = "[";
    char buf[32];
    for (std::size_t i = 0; i < order.size(); ++i) {
        out += i ? ",{\"label\":" : "{\"label\":";
        appendJsonString(out, classes[std::size_t(order[i])]);
        std::snprintf(buf, sizeof buf, ",\"probability\":%.6g}", double(p[order[i]]));
        out += buf;
    }
    return out + "]";
}

MergeStats mergePredictions(store::Database &db, const MergeOptions &o, const std::vector<PredictionRow> &rows)
{
    MergeStats stats;
    catalog::Catalog cat(db);
    store::Transaction tx(db);
    stats.version = cat.beginVersion("MERGE PREDICTIONS", o.parameters, {});
    const std::string now = catalog::nowIso();
    // Inserted vs updated, from the count of this model version's predictions before and after.
    store::Statement countRows(db, "SELECT count(*) FROM predictions WHERE table_name = ?1 AND model_name = ?2 "
                                   "AND model_version = ?3");
    auto predictionCount = [&] {
        countRows.bind(1, o.table).bind(2, o.model).bind(3, o.modelVersion);
        const std::int64_t c = countRows.step() ? countRows.int64(0) : 0;
        countRows.reset();
        return c;
    };
    const std::int64_t before = predictionCount();
    // Upserts of kRowsPerUpsert rows per statement (one statement per row costs ~40% more).
    constexpr std::size_t kRowsPerUpsert = 20;
    auto upsertSql = [](std::size_t n) {
        std::string sql = "INSERT INTO predictions (table_name, path, model_name, model_version, content_hash, "
                          "predicted, confidence, top5, version, scored_at) VALUES ";
        for (std::size_t i = 0; i < n; ++i)
            sql += i ? ",(?,?,?,?,?,?,?,?,?,?)" : "(?,?,?,?,?,?,?,?,?,?)";
        return sql
               + " ON CONFLICT(table_name, path, model_name, model_version) DO UPDATE SET "
                 "content_hash = excluded.content_hash, predicted = excluded.predicted, confidence = "
                 "excluded.confidence, top5 = excluded.top5, version = excluded.version, "
                 "scored_at = excluded.scored_at";
    };
    store::Statement upsertMany(db, upsertSql(kRowsPerUpsert));
    std::optional<store::Statement> upsertRest;
    for (std::size_t begin = 0; begin < rows.size(); begin += kRowsPerUpsert) {
        const std::size_t n = std::min(kRowsPerUpsert, rows.size() - begin);
        if (n < kRowsPerUpsert)
            upsertRest.emplace(db, upsertSql(n));
        store::Statement &st = n == kRowsPerUpsert ? upsertMany : *upsertRest;
        for (std::size_t i = 0; i < n; ++i) {
            const PredictionRow &r = rows[begin + i];
            const int b = int(i * 10);
            st.bind(b + 1, o.table).bind(b + 2, r.path).bind(b + 3, o.model).bind(b + 4, o.modelVersion);
            st.bind(b + 5, r.contentHash).bind(b + 6, r.predicted).bind(b + 7, r.confidence).bind(b + 8, r.top5);
            st.bind(b + 9, stats.version).bind(b + 10, now);
        }
        st.exec();
    }
    // The queue, in one statement over the predictions this version wrote (queueCondition(): which images, by the
    // review mode), in the seeded sample. One open entry per image: a pending one is refreshed with the newer
    // prediction; one a person labeled or skipped stays.
    registerSampleFunction(db);
    store::Statement queue(
        db, "INSERT INTO review_queue (table_name, path, content_hash, model_name, model_version, "
            "predicted, confidence, top5, reason, queued_at, queued_version) SELECT p.table_name, "
            "p.path, p.content_hash, p.model_name, p.model_version, p.predicted, p.confidence, "
            "p.top5, "
                + queueReason(o.threshold)
                + ", ?5, ?4 FROM predictions p LEFT JOIN images i "
                  "ON i.table_name = p.table_name AND i.path = p.path AND i.valid_to IS NULL "
                  "WHERE p.table_name = ?1 AND p.model_name = ?2 AND p.model_version = ?3 AND "
                  "p.version = ?4 AND ("
                + queueCondition(o.review)
                + ") AND "
                  "pw_in_review_sample(p.path, ?7, ?8) ORDER BY p.path "
                  "ON CONFLICT(table_name, path) WHERE merged_version IS NULL "
                  "DO UPDATE SET content_hash = excluded.content_hash, model_name = excluded.model_name, "
                  "model_version = excluded.model_version, predicted = excluded.predicted, confidence = "
                  "excluded.confidence, top5 = excluded.top5, reason = excluded.reason, queued_version = "
                  "excluded.queued_version WHERE review_queue.state = 'pending'");
    queue.bind(1, o.table).bind(2, o.model).bind(3, o.modelVersion).bind(4, stats.version);
    queue.bind(5, now).bind(6, o.threshold).bind(7, o.reviewFraction).bind(8, std::int64_t(o.seed));
    queue.exec();
    stats.queued = db.changes();
    stats.inserted = predictionCount() - before;
    stats.updated = std::int64_t(rows.size()) - stats.inserted;
    const QJsonObject metrics{{"scored", qint64(rows.size())},
                              {"inserted", qint64(stats.inserted)},
                              {"updated", qint64(stats.updated)},
                              {"queued_for_review", qint64(stats.queued)}};
    catalog::recordPredictionCoverage(db, o.table, stats.version);
    cat.commitVersion(stats.version, QJsonDocument(metrics).toJson(QJsonDocument::Compact).toStdString());
    tx.commit();
    return stats;
}

ConfidenceHistogram confidenceHistogram(store::Database &db, const std::string &table, const std::string &model,
                                        std::int64_t modelVersion, int bins)
{
    if (bins < 1 || bins > 10000)
        throw std::runtime_error("histogram bins " + std::to_string(bins) + " out of range (1 to 10000)");
    catalog::Catalog(db).checkTable(table);
    // One prediction per (table, path, model version): binned in SQL, the images never leave the database.
    store::Statement st(db, "SELECT min(max(CAST(p.confidence * ?4 AS INTEGER), 0), ?4 - 1) AS bin, count(*) "
                            "FROM predictions p INDEXED BY predictions_model JOIN images i ON i.table_name = "
                            "p.table_name AND i.path = p.path AND "
                            "i.valid_to IS NULL AND i.status = 'ok' WHERE p.table_name = ?1 AND p.model_name = ?2 "
                            "AND p.model_version = ?3 GROUP BY bin");
    st.bind(1, table).bind(2, model).bind(3, modelVersion).bind(4, bins);
    ConfidenceHistogram h;
    h.counts.assign(std::size_t(bins), 0);
    while (st.step()) {
        h.counts[std::size_t(st.int64(0))] += st.int64(1);
        h.total += st.int64(1);
    }
    return h;
}

std::int64_t countBelowThreshold(store::Database &db, const std::string &table, const std::string &model,
                                 std::int64_t modelVersion, double threshold)
{
    catalog::Catalog(db).checkTable(table);
    store::Statement st(db, "SELECT count(*) FROM predictions p JOIN images i ON i.table_name = p.table_name AND "
                            "i.path = p.path AND i.valid_to IS NULL AND i.status = 'ok' WHERE p.table_name = ?1 AND "
                            "p.model_name = ?2 AND p.model_version = ?3 AND p.confidence < ?4");
    st.bind(1, table).bind(2, model).bind(3, modelVersion).bind(4, threshold);
    st.step();
    return st.int64(0);
}

std::int64_t exportPredictionsCsv(store::Database &db, const std::string &table, const std::string &file)
{
    catalog::Catalog(db).checkTable(table);
    store::Statement st(db, "SELECT p.path, p.predicted, p.confidence, p.model_name, p.model_version, p.scored_at "
                            "FROM predictions p JOIN images i ON i.table_name = p.table_name AND i.path = p.path AND "
                            "i.valid_to IS NULL AND i.status = 'ok' WHERE p.table_name = ?1 "
                            "ORDER BY p.path, p.version DESC, p.model_version DESC");
    st.bind(1, table);
    const std::string tmp = file + ".tmp";
    std::FILE *out = std::fopen(tmp.c_str(), "wb");
    if (!out)
        throw std::runtime_error("cannot create '" + tmp + "'");
    const auto field = review::csvField;
    std::fputs("path,predicted_label,confidence,model,model_version,scored_at\n", out);
    std::int64_t rows = 0;
    std::string last;
    bool first = true;
    while (st.step()) {
        std::string path = st.text(0);
        if (!first && path == last)
            continue; // an older prediction of the same image
        first = false;
        std::fprintf(out, "%s,%s,%.6f,%s,%lld,%s\n", field(path).c_str(), field(st.text(1)).c_str(), st.real(2),
                     field(st.text(3)).c_str(), static_cast<long long>(st.int64(4)), st.text(5).c_str());
        last = std::move(path);
        ++rows;
    }
    const bool ok = std::ferror(out) == 0;
    if (std::fclose(out) != 0 || !ok || std::rename(tmp.c_str(), file.c_str()) != 0) {
        std::remove(tmp.c_str());
        throw std::runtime_error("cannot write '" + file + "'");
    }
    return rows;
}

namespace {

void checkRequest(const ScoreRequest &request)
{
    if (!(request.threshold > 0 && request.threshold <= 1))
        throw std::runtime_error("threshold " + std::to_string(request.threshold) + ": must be above 0 and at most 1");
    if (!(request.reviewFraction > 0 && request.reviewFraction <= 1))
        throw std::runtime_error("review fraction " + std::to_string(request.reviewFraction)
                                 + ": must be above 0 and at most 1");
}

// The table's usable images without a prediction of this model version for their bytes (all of them with
// rescore); the others are counted in result.skipped.
std::vector<data::ImageRef> selectUnscored(store::Database &db, const ScoreRequest &request,
                                           const registry::ModelVersion &model, ScoreResult &result)
{
    std::vector<data::ImageRef> todo;
    store::Statement st(db, "SELECT i.path, coalesce(i.content_hash, ''), p.content_hash IS NOT NULL AND "
                            "p.content_hash = i.content_hash FROM images i LEFT JOIN predictions p ON "
                            "p.table_name = i.table_name AND p.path = i.path AND p.model_name = ?2 AND "
                            "p.model_version = ?3 WHERE i.table_name = ?1 AND i.valid_to IS NULL AND "
                            "i.status = 'ok' ORDER BY i.path");
    st.bind(1, request.table).bind(2, model.name).bind(3, model.version);
    while (st.step()) {
        if (st.int64(2) && !request.rescore) {
            ++result.skipped;
            continue;
        }
        todo.push_back({st.text(0), st.text(1)});
    }
    return todo;
}

// One prediction row per decoded image from the worker's probabilities (decoded.rows x classes).
std::vector<PredictionRow> rowsFromProbabilities(const std::string &probsPath, const registry::ModelVersion &model,
                                                 const std::vector<data::ImageRef> &todo,
                                                 const data::DecodedImages &decoded)
{
    const data::NpyFile probs(probsPath);
    const auto k = std::int64_t(model.classes.size());
    if (probs.shape().size() != 2 || probs.shape()[0] != decoded.rows || probs.shape()[1] != k)
        throw std::runtime_error("'" + probsPath + "': expected " + std::to_string(decoded.rows) + " x "
                                 + std::to_string(k) + " probabilities");
    const float *p = probs.values<float>();
    std::vector<PredictionRow> rows;
    rows.reserve(std::size_t(decoded.rows));
    for (std::size_t i = 0; i < todo.size(); ++i) {
        const std::int64_t row = decoded.rowOf[i];
        if (row < 0)
            continue;
        PredictionRow r;
        int best = 0;
        r.top5 = topKJson(p + row * k, model.classes, 5, &best);
        r.path = todo[i].path;
        r.contentHash = todo[i].contentHash;
        r.predicted = model.classes[std::size_t(best)];
        r.confidence = double(p[row * k + best]);
        rows.push_back(std::move(r));
    }
    return rows;
}

MergeOptions mergeOptionsFor(const ScoreRequest &request, const registry::ModelVersion &model)
{
    MergeOptions mo;
    mo.table = request.table;
    mo.model = model.name;
    mo.modelVersion = model.version;
    mo.threshold = request.threshold;
    mo.review = request.review;
    mo.reviewFraction = request.reviewFraction;
    mo.seed = request.seed;
    mo.parameters = QJsonDocument(QJsonObject{{"table", QString::fromStdString(request.table)},
                                              {"model", QString::fromStdString(model.name)},
                                              {"model_version", qint64(model.version)},
                                              {"threshold", request.threshold},
                                              {"review", kReviewModes.name(request.review)},
                                              {"review_fraction", request.reviewFraction},
                                              {"rescore", request.rescore}})
                        .toJson(QJsonDocument::Compact)
                        .toStdString();
    return mo;
}

} // namespace

ScoreResult score(const store::Workspace &ws, const ScoreRequest &request, const ScoreProgress &progress,
                  const std::atomic<bool> *cancel)
{
    const auto started = Clock::now();
    checkRequest(request);
    auto db = ws.openCatalog();
    registry::Registry reg(ws, *db);
    const registry::ModelVersion model = reg.resolve(request.model);
    const compute::Target target = compute::findTarget(*db, request.target); // throws, naming the known targets
    const compute::slurm::Shape parts{request.nodes, request.processesPerNode};
    if (parts.ranks() > 1 && !target.isSlurm())
        throw requests::RequestError(request.nodes > 1 ? "nodes" : "processes_per_node",
                                     "splitting the images needs a Slurm target; '" + target.name + "' is not one");
    ScoreResult result;
    result.model = model.name;
    result.modelVersion = model.version;

    store::WriterLock lock(ws);
    // Scratch folders of scorings that were killed or crashed ("shards/.score-<pid>-<n>").
    store::removeStaleTemporaries(ws.shardsDir(), {kScratchMarker});
    catalog::Catalog cat(*db);
    cat.checkTable(request.table);
    if (auto pending = cat.pendingVersion()) {
        cat.discardVersion(pending->version);
        result.warnings.push_back("discarded unfinished catalog version " + std::to_string(pending->version) + " ("
                                  + pending->operation + "), left by an interrupted run");
    }

    // --- Select.
    const std::vector<data::ImageRef> todo = selectUnscored(*db, request, model, result);
    result.selectSeconds = secondsSince(started);
    if (todo.empty()) {
        result.version = cat.latestVersion();
        result.seconds = secondsSince(started);
        return result;
    }

    // --- Decode and predict, in a scratch folder.
    std::error_code ec;
    fs::create_directories(ws.shardsDir(), ec);
    static std::atomic<int> counter{0};
    ScratchDir scratch{ws.shardsDir() + "/" + kScratchMarker + std::to_string(::getpid()) + "-"
                       + std::to_string(counter++)};
    fs::create_directories(scratch.path, ec);
    if (ec)
        throw std::runtime_error("cannot create folder '" + scratch.path + "': " + ec.message());
    auto phase = Clock::now();
    const data::DecodedImages decoded = data::decodeImages(
        todo, model.imageSize, model.channels, scratch.path + "/images.npy",
        [&](std::int64_t done, std::int64_t total) {
            if (progress)
                progress("decode", done, total);
        },
        cancel);
    result.decodeSeconds = secondsSince(phase);
    for (std::size_t i = 0; i < todo.size(); ++i) {
        if (decoded.rowOf[i] < 0)
            result.failures.push_back({todo[i].path, decoded.reasons[i]});
    }
    result.failed = std::int64_t(result.failures.size());

    std::vector<PredictionRow> rows;
    if (decoded.rows > 0) {
        phase = Clock::now();
        const std::string probsPath = scratch.path + "/probabilities.npy";
        compute::predictFile(
            model.artifact, scratch.path + "/images.npy", probsPath, cancel,
            [&](const QJsonObject &e) {
                if (progress && e.value("event").toString() == "progress")
                    progress("predict", e.value("done").toInteger(), e.value("total").toInteger());
            },
            target, parts);
        result.predictSeconds = secondsSince(phase);
        rows = rowsFromProbabilities(probsPath, model, todo, decoded);
    }
    if (cancel && cancel->load())
        throw std::runtime_error("scoring was cancelled; nothing was written");
    if (rows.empty()) {
        result.version = cat.latestVersion();
        result.seconds = secondsSince(started);
        return result;
    }

    // --- Merge: one catalog version.
    phase = Clock::now();
    const MergeStats merged = mergePredictions(*db, mergeOptionsFor(request, model), rows);
    result.mergeSeconds = secondsSince(phase);
    result.version = merged.version;
    result.wrote = true;
    result.scored = std::int64_t(rows.size());
    result.inserted = merged.inserted;
    result.updated = merged.updated;
    result.queuedForReview = merged.queued;
    result.seconds = secondsSince(started);
    return result;
}

} // namespace pw::score
