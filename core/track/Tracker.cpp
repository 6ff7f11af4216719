// Experiment tracking over catalog.db (see Tracker.h): each write one transaction, values in and out.
#include "core/track/Tracker.h"

#include "core/catalog/Catalog.h"
#include "core/store/Database.h"

#include <QDateTime>
#include <QUuid>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <limits>
#include <optional>
#include <stdexcept>
#include <tuple>

#include <signal.h>

namespace pw::track {

using catalog::nowIso;
using store::Statement;
using store::Transaction;

namespace {

constexpr std::size_t kMinPrefix = 4;
constexpr std::size_t kRunIdLength = 32;

// The columns readRun() expects, in order.
constexpr const char *kRunColumns =
    "SELECT r.run_id, e.name, coalesce(r.name, ''), r.status, r.start_time, coalesce(r.end_time, ''), "
    "coalesce(r.table_name, ''), coalesce(r.data_version, 0), coalesce(r.device, ''), "
    "coalesce(r.images_per_second, 0), coalesce(r.pipeline_run_id, ''), coalesce(r.failure_reason, ''), "
    "coalesce(r.worker_pid, 0) FROM runs r JOIN experiments e ON e.experiment_id = r.experiment_id ";

RunInfo readRun(const Statement &st)
{
    RunInfo r;
    r.runId = st.text(0);
    r.experiment = st.text(1);
    r.name = st.text(2);
    r.status = st.text(3);
    r.startTime = st.text(4);
    r.endTime = st.text(5);
    r.table = st.text(6);
    r.dataVersion = st.int64(7);
    r.device = st.text(8);
    r.imagesPerSecond = st.real(9);
    r.pipelineRunId = st.text(10);
    r.failureReason = st.text(11);
    r.workerPid = st.int64(12);
    return r;
}

// Empty strings are stored as NULL: "never set".
std::optional<std::string> orNull(const std::string &s)
{
    return s.empty() ? std::nullopt : std::optional<std::string>(s);
}

bool isEndStatus(const std::string &status)
{
    return status == "FINISHED" || status == "FAILED" || status == "KILLED";
}

bool isHex(const std::string &s)
{
    return std::all_of(s.begin(), s.end(), [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

/** A relative, '/'-separated path with no empty, '.' or '..' segment: it cannot leave the run's folder. */
bool isCleanRelativePath(const std::string &path)
{
    if (path.empty())
        return false;
    std::size_t start = 0;
    while (true) {
        const std::size_t end = path.find('/', start);
        const std::string segment = path.substr(start, end == std::string::npos ? std::string::npos : end - start);
        if (segment.empty() || segment == "." || segment == "..")
            return false;
        if (end == std::string::npos)
            return true;
        start = end + 1;
    }
}

} // namespace

Tracker::Tracker(store::Database &db)
    : m_db(db)
{
}

void Tracker::requireRun(const std::string &runId) const
{
    Statement st(m_db, "SELECT 1 FROM runs WHERE run_id = ?");
    st.bind(1, runId);
    if (!st.step())
        throw std::runtime_error("no run '" + runId + "'");
}

std::int64_t Tracker::findOrCreateExperiment(const std::string &name)
{
    Statement insert(m_db, "INSERT INTO experiments(name, created) VALUES (?, ?) ON CONFLICT(name) DO NOTHING");
    insert.bind(1, name).bind(2, nowIso()).exec();
    Statement st(m_db, "SELECT experiment_id FROM experiments WHERE name = ?");
    st.bind(1, name);
    st.step();
    return st.int64(0);
}

std::int64_t Tracker::requireExperiment(const std::string &name) const
{
    Statement st(m_db, "SELECT experiment_id FROM experiments WHERE name = ?");
    st.bind(1, name);
    if (st.step())
        return st.int64(0);
    std::string known;
    for (const std::string &e : experiments())
        known += (known.empty() ? "" : ", ") + e;
    throw std::runtime_error(
        "no experiment '" + name + "'"
        + (known.empty() ? std::string(" (there are no experiments yet)") : " (experiments: " + known + ")"));
}

std::int64_t Tracker::experimentId(const std::string &name, bool create)
{
    if (name.empty())
        throw std::runtime_error("an experiment needs a name");
    if (!create)
        return requireExperiment(name);
    {
        // Most calls find it: no write lock for them.
        Statement st(m_db, "SELECT experiment_id FROM experiments WHERE name = ?");
        st.bind(1, name);
        if (st.step())
            return st.int64(0);
    }
    Transaction tx(m_db);
    const std::int64_t id = findOrCreateExperiment(name);
    tx.commit();
    return id;
}

std::vector<std::string> Tracker::experiments() const
{
    Statement st(m_db, "SELECT name FROM experiments ORDER BY name");
    std::vector<std::string> out;
    while (st.step())
        out.push_back(st.text(0));
    return out;
}

std::string Tracker::createRun(const NewRun &run)
{
    // An MLflow run id: a UUID4 as 32 lower-case hex characters.
    const std::string runId = QUuid::createUuid().toString(QUuid::Id128).toLower().toStdString();
    Transaction tx(m_db);
    const std::int64_t experiment = findOrCreateExperiment(run.experiment.empty() ? "Default" : run.experiment);
    Statement st(m_db, "INSERT INTO runs(run_id, experiment_id, name, status, start_time, table_name, "
                       "data_version, pipeline_run_id) VALUES (?, ?, ?, 'RUNNING', ?, ?, ?, ?)");
    st.bind(1, runId)
        .bind(2, experiment)
        .bind(3, run.name)
        .bind(4, nowIso())
        .bind(5, orNull(run.table))
        .bind(6, run.dataVersion)
        .bind(7, orNull(run.pipelineRunId));
    st.exec();
    tx.commit();
    return runId;
}

void Tracker::logParams(const std::string &runId, const std::map<std::string, std::string> &params)
{
    Transaction tx(m_db);
    requireRun(runId);
    Statement old(m_db, "SELECT value FROM params WHERE run_id = ? AND key = ?");
    Statement insert(m_db, "INSERT INTO params(run_id, key, value) VALUES (?, ?, ?)");
    for (const auto &[key, value] : params) {
        if (key.empty())
            throw std::runtime_error("run '" + runId + "': a param needs a key");
        old.bind(1, runId).bind(2, key);
        if (old.step()) {
            const std::string before = old.text(0);
            old.reset();
            // MLflow: "Changing param values is not allowed".
            if (before != value)
                throw std::runtime_error("run '" + runId + "': param '" + key + "' is already '" + before
                                         + "'; a param cannot change (to '" + value + "')");
            continue;
        }
        old.reset();
        insert.bind(1, runId).bind(2, key).bind(3, value).exec();
    }
    tx.commit();
}

void Tracker::logMetrics(const std::string &runId, const std::vector<MetricPoint> &points)
{
    Transaction tx(m_db);
    requireRun(runId);
    const std::int64_t now = QDateTime::currentMSecsSinceEpoch();
    Statement insert(m_db, "INSERT INTO metrics(run_id, key, value, step, epoch, timestamp_ms) "
                           "VALUES (?, ?, ?, ?, ?, ?)");
    for (const MetricPoint &p : points) {
        if (p.key.empty())
            throw std::runtime_error("run '" + runId + "': a metric needs a key (step " + std::to_string(p.step) + ")");
        insert.bind(1, runId).bind(2, p.key);
        if (std::isnan(p.value))
            insert.bindNull(3);
        else
            insert.bind(3, p.value);
        insert.bind(4, p.step).bind(5, p.epoch).bind(6, p.timestampMs != 0 ? p.timestampMs : now);
        insert.exec();
    }
    tx.commit();
}

void Tracker::setTag(const std::string &runId, const std::string &key, const std::string &value)
{
    if (key.empty())
        throw std::runtime_error("run '" + runId + "': a tag needs a key");
    Transaction tx(m_db);
    requireRun(runId);
    Statement st(m_db, "INSERT INTO tags(run_id, key, value) VALUES (?, ?, ?) "
                       "ON CONFLICT(run_id, key) DO UPDATE SET value = excluded.value");
    st.bind(1, runId).bind(2, key).bind(3, value).exec();
    tx.commit();
}

void Tracker::addArtifact(const std::string &runId, const ArtifactInfo &artifact)
{
    if (!isCleanRelativePath(artifact.path))
        throw std::runtime_error("run '" + runId + "': artifact path '" + artifact.path
                                 + "' must be relative to the run's artifact folder "
                                   "(no leading '/', no empty, '.' or '..' parts)");
    Transaction tx(m_db);
    requireRun(runId);
    Statement st(m_db, "INSERT INTO artifacts(run_id, path, kind, size, created) VALUES (?, ?, ?, ?, ?) "
                       "ON CONFLICT(run_id, path) DO UPDATE SET kind = excluded.kind, size = excluded.size, "
                       "created = excluded.created");
    st.bind(1, runId)
        .bind(2, artifact.path)
        .bind(3, artifact.kind)
        .bind(4, artifact.size)
        .bind(5, artifact.created.empty() ? nowIso() : artifact.created);
    st.exec();
    tx.commit();
}

void Tracker::setDevice(const std::string &runId, const std::string &device)
{
    Transaction tx(m_db);
    requireRun(runId);
    Statement st(m_db, "UPDATE runs SET device = ? WHERE run_id = ?");
    st.bind(1, orNull(device)).bind(2, runId).exec();
    tx.commit();
}

void Tracker::setImagesPerSecond(const std::string &runId, double imagesPerSecond)
{
    Transaction tx(m_db);
    requireRun(runId);
    Statement st(m_db, "UPDATE runs SET images_per_second = ? WHERE run_id = ?");
    st.bind(1, imagesPerSecond).bind(2, runId).exec();
    tx.commit();
}

void Tracker::setWorkerPid(const std::string &runId, std::int64_t pid)
{
    // kill(0 or a negative pid, ...) addresses process groups, not a worker.
    if (pid <= 0 || pid > std::numeric_limits<pid_t>::max())
        throw std::runtime_error("run '" + runId + "': worker pid " + std::to_string(pid) + " is not a process id");
    Transaction tx(m_db);
    requireRun(runId);
    Statement st(m_db, "UPDATE runs SET worker_pid = ? WHERE run_id = ?");
    st.bind(1, pid).bind(2, runId).exec();
    tx.commit();
}

void Tracker::endRun(const std::string &runId, const std::string &status, const std::string &failureReason)
{
    if (!isEndStatus(status))
        throw std::runtime_error("run '" + runId + "': cannot end with status '" + status
                                 + "' (expected FINISHED, FAILED or KILLED)");
    Transaction tx(m_db);
    Statement current(m_db, "SELECT status, coalesce(end_time, '') FROM runs WHERE run_id = ?");
    current.bind(1, runId);
    if (!current.step())
        throw std::runtime_error("no run '" + runId + "'");
    if (current.text(0) != "RUNNING")
        throw std::runtime_error("run '" + runId + "' has already ended: " + current.text(0) + " at " + current.text(1)
                                 + " (cannot end it again as " + status + ")");
    Statement st(m_db, "UPDATE runs SET status = ?, end_time = ?, failure_reason = ? WHERE run_id = ?");
    st.bind(1, status).bind(2, nowIso()).bind(3, orNull(failureReason)).bind(4, runId).exec();
    tx.commit();
}

void Tracker::reopenRun(const std::string &runId)
{
    requireRun(runId);
    Statement st(m_db, "UPDATE runs SET status = 'RUNNING', end_time = NULL, failure_reason = NULL WHERE run_id = ?");
    st.bind(1, runId).exec();
}

RunInfo Tracker::run(const std::string &runIdOrPrefix) const
{
    std::string prefix = runIdOrPrefix;
    std::transform(prefix.begin(), prefix.end(), prefix.begin(),
                   [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; });
    if (prefix.size() < kMinPrefix)
        throw std::runtime_error("run id '" + runIdOrPrefix + "' is too short: give at least "
                                 + std::to_string(kMinPrefix) + " characters of it");
    if (prefix.size() > kRunIdLength || !isHex(prefix))
        throw std::runtime_error("no run '" + runIdOrPrefix + "'");
    // Every id starting with the prefix sorts in [prefix, prefix + "g"): 'g' follows every hex digit.
    Statement st(m_db,
                 std::string(kRunColumns) + "WHERE r.run_id >= ?1 AND r.run_id < ?1 || 'g' ORDER BY r.run_id LIMIT 6");
    st.bind(1, prefix);
    std::vector<RunInfo> found;
    while (st.step())
        found.push_back(readRun(st));
    if (found.empty())
        throw std::runtime_error("no run '" + runIdOrPrefix + "'");
    if (found.size() > 1) {
        std::string ids;
        for (std::size_t i = 0; i < found.size() && i < 5; ++i)
            ids += (i ? ", " : "") + found[i].runId;
        throw std::runtime_error("run id '" + runIdOrPrefix + "' is ambiguous: it starts " + ids
                                 + (found.size() > 5 ? ", ..." : "") + "; give more characters");
    }
    return found.front();
}

std::vector<RunInfo> Tracker::runs(const std::string &experiment) const
{
    std::int64_t id = 0;
    if (!experiment.empty())
        id = requireExperiment(experiment);
    // Times have millisecond resolution; among runs started in the same millisecond the later
    // insert (higher rowid) is the newer.
    Statement st(m_db, std::string(kRunColumns)
                           + "WHERE ?1 = 0 OR r.experiment_id = ?1 ORDER BY r.start_time DESC, r.rowid DESC");
    st.bind(1, id);
    std::vector<RunInfo> out;
    while (st.step())
        out.push_back(readRun(st));
    return out;
}

std::map<std::string, std::string> Tracker::params(const std::string &runId) const
{
    requireRun(runId);
    Statement st(m_db, "SELECT key, value FROM params WHERE run_id = ?");
    st.bind(1, runId);
    std::map<std::string, std::string> out;
    while (st.step())
        out.emplace(st.text(0), st.text(1));
    return out;
}

std::map<std::string, std::string> Tracker::tags(const std::string &runId) const
{
    requireRun(runId);
    Statement st(m_db, "SELECT key, value FROM tags WHERE run_id = ?");
    st.bind(1, runId);
    std::map<std::string, std::string> out;
    while (st.step())
        out.emplace(st.text(0), st.text(1));
    return out;
}

std::map<std::string, double> Tracker::latestMetrics(const std::string &runId) const
{
    requireRun(runId);
    Statement st(m_db, "SELECT key, value FROM (SELECT key, value, row_number() OVER ("
                       "PARTITION BY key ORDER BY step DESC, timestamp_ms DESC, rowid DESC) AS n "
                       "FROM metrics WHERE run_id = ?) WHERE n = 1");
    st.bind(1, runId);
    std::map<std::string, double> out;
    while (st.step())
        out.emplace(st.text(0), st.isNull(1) ? std::numeric_limits<double>::quiet_NaN() : st.real(1));
    return out;
}

std::vector<MetricPoint> Tracker::metricHistory(const std::string &runId, const std::string &key) const
{
    requireRun(runId);
    Statement st(m_db, "SELECT key, value, step, epoch, timestamp_ms FROM metrics "
                       "WHERE run_id = ?1 AND (?2 = '' OR key = ?2) ORDER BY key, step, timestamp_ms, rowid");
    st.bind(1, runId).bind(2, key);
    std::vector<MetricPoint> out;
    while (st.step())
        out.push_back({st.text(0), st.isNull(1) ? std::numeric_limits<double>::quiet_NaN() : st.real(1), st.int64(2),
                       st.int64(3), st.int64(4)});
    return out;
}

namespace {

std::map<std::string, Tracker::KeyValues> keyValuesByRun(store::Database &db, const char *table)
{
    Statement st(db, std::string("SELECT run_id, key, value FROM ") + table + " ORDER BY run_id");
    std::map<std::string, Tracker::KeyValues> out;
    auto at = out.end();
    while (st.step()) {
        std::string run = st.text(0);
        if (at == out.end() || at->first != run)
            at = out.try_emplace(out.end(), std::move(run));
        at->second.emplace(st.text(1), st.text(2));
    }
    return out;
}

double metricValue(const Statement &st, int column)
{
    return st.isNull(column) ? std::numeric_limits<double>::quiet_NaN() : st.real(column);
}

} // namespace

std::map<std::string, Tracker::KeyValues> Tracker::allParams() const
{
    return keyValuesByRun(m_db, "params");
}

std::map<std::string, Tracker::KeyValues> Tracker::allTags() const
{
    return keyValuesByRun(m_db, "tags");
}

std::map<std::string, std::map<std::string, double>> Tracker::allLatestMetrics() const
{
    // The highest step of each (run, key) comes off the metrics_run_key_step index; the rows at that step
    // are few, and ties are broken here as latestMetrics() does (latest timestamp, then last logged). A
    // window function over the whole table, as latestMetrics() uses per run, sorts every row (~15x slower).
    Statement st(m_db, "SELECT m.run_id, m.key, m.value, m.timestamp_ms, m.rowid FROM metrics m "
                       "JOIN (SELECT run_id, key, max(step) AS step FROM metrics GROUP BY run_id, key) g "
                       "ON m.run_id = g.run_id AND m.key = g.key AND m.step = g.step");
    struct Latest
    {
        double value;
        std::int64_t timestampMs;
        std::int64_t rowid;
    };
    std::map<std::string, std::map<std::string, Latest>> best;
    while (st.step()) {
        const Latest now{metricValue(st, 2), st.int64(3), st.int64(4)};
        auto [it, added] = best[st.text(0)].try_emplace(st.text(1), now);
        if (!added && std::tie(now.timestampMs, now.rowid) > std::tie(it->second.timestampMs, it->second.rowid))
            it->second = now;
    }
    std::map<std::string, std::map<std::string, double>> out;
    for (auto &[run, keys] : best) {
        auto &values = out[run];
        for (const auto &[key, latest] : keys)
            values.emplace_hint(values.end(), key, latest.value);
    }
    return out;
}

std::map<std::string, std::map<std::string, std::vector<MetricPoint>>>
Tracker::allMetricHistories(const std::string &skipKeyPrefix) const
{
    // One scan in table order, grouped here: ordering by (run_id, key, step, timestamp_ms, rowid) in SQL
    // sorts within every index group (~6x slower on 245,000 points). Rows mostly come in log order already,
    // so a group is sorted only when its points arrived out of (step, timestamp, rowid) order.
    Statement st(m_db, "SELECT run_id, key, value, step, epoch, timestamp_ms, rowid FROM metrics "
                       "WHERE ?1 = '' OR substr(key, 1, length(?1)) <> ?1");
    st.bind(1, skipKeyPrefix);
    struct Group
    {
        std::vector<MetricPoint> points;
        std::vector<std::int64_t> rowids;
        bool sorted = true;
    };
    std::map<std::string, std::map<std::string, Group>> groups;
    Group *group = nullptr;
    std::string lastRun, lastKey;
    while (st.step()) {
        std::string run = st.text(0);
        std::string key = st.text(1);
        if (!group || run != lastRun || key != lastKey) {
            group = &groups[run][key];
            lastRun = std::move(run);
            lastKey = key;
        }
        MetricPoint p{std::move(key), metricValue(st, 2), st.int64(3), st.int64(4), st.int64(5)};
        const std::int64_t rowid = st.int64(6);
        if (!group->points.empty()) {
            const MetricPoint &prev = group->points.back();
            group->sorted = group->sorted
                            && std::tie(prev.step, prev.timestampMs, group->rowids.back())
                                   < std::tie(p.step, p.timestampMs, rowid);
        }
        group->points.push_back(std::move(p));
        group->rowids.push_back(rowid);
    }
    std::map<std::string, std::map<std::string, std::vector<MetricPoint>>> out;
    for (auto &[run, keys] : groups) {
        auto &histories = out[run];
        for (auto &[key, g] : keys) {
            if (!g.sorted) {
                std::vector<std::size_t> order(g.points.size());
                for (std::size_t i = 0; i < order.size(); ++i)
                    order[i] = i;
                std::sort(order.begin(), order.end(), [&g](std::size_t a, std::size_t b) {
                    return std::tie(g.points[a].step, g.points[a].timestampMs, g.rowids[a])
                           < std::tie(g.points[b].step, g.points[b].timestampMs, g.rowids[b]);
                });
                std::vector<MetricPoint> sorted;
                sorted.reserve(order.size());
                for (std::size_t i : order)
                    sorted.push_back(std::move(g.points[i]));
                g.points = std::move(sorted);
            }
            histories.emplace_hint(histories.end(), key, std::move(g.points));
        }
    }
    return out;
}

std::vector<ArtifactInfo> Tracker::artifacts(const std::string &runId) const
{
    requireRun(runId);
    Statement st(m_db, "SELECT path, kind, size, created FROM artifacts WHERE run_id = ? ORDER BY path");
    st.bind(1, runId);
    std::vector<ArtifactInfo> out;
    while (st.step())
        out.push_back({st.text(0), st.text(1), st.int64(2), st.text(3)});
    return out;
}

int Tracker::failOrphanedRuns()
{
    Transaction tx(m_db);
    Statement running(m_db, "SELECT run_id, worker_pid FROM runs WHERE status = 'RUNNING' AND worker_pid > 0");
    std::vector<std::string> orphans;
    while (running.step()) {
        const std::int64_t pid = running.int64(1);
        if (pid > std::numeric_limits<pid_t>::max())
            continue;
        // Signal 0 only checks: ESRCH means no such process; EPERM means alive but not ours.
        if (::kill(static_cast<pid_t>(pid), 0) != 0 && errno == ESRCH)
            orphans.push_back(running.text(0));
    }
    Statement fail(m_db, "UPDATE runs SET status = 'FAILED', end_time = ?, failure_reason = ? "
                         "WHERE run_id = ? AND status = 'RUNNING'");
    const std::string now = nowIso();
    for (const std::string &runId : orphans)
        fail.bind(1, now).bind(2, kOrphanedRunReason).bind(3, runId).exec();
    tx.commit();
    return static_cast<int>(orphans.size());
}

} // namespace pw::track
