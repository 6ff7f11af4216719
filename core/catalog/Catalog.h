// The versioned image catalog ("the lakehouse table"): history, stats and time travel.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace pw::store {
class Database;
}

namespace pw::catalog {

/** One entry of the catalog history (Delta: DESCRIBE HISTORY). parameters/metrics are JSON objects. */
struct VersionInfo
{
    std::int64_t version = 0;
    std::string timestamp; // ISO 8601, UTC
    std::string operation; // INGEST, MERGE PREDICTIONS, MERGE LABELS, RESTORE, ...
    std::string parameters;
    std::string metrics;
};

/** Counts of one table (or all tables) as of a version. */
struct TableStats
{
    std::int64_t version = 0;
    std::int64_t images = 0; // valid (status ok) images
    std::int64_t labeled = 0;
    std::int64_t unlabeled = 0;
    std::int64_t rejected = 0;
    std::map<std::string, std::int64_t> labels;
};

struct RejectedFile
{
    std::string table;
    std::string path;
    std::string reason;
};

/** An operation that writes a new catalog version; committed rows stay invisible until finish(). */
struct PendingVersion
{
    std::int64_t version = 0;
    std::string operation;
    std::string resumeKey;
    std::string metrics; // JSON accumulated so far
};

/**
 * Read and version-bookkeeping access to catalog.db over one connection (so: one thread).
 * The latest version is the highest COMMITTED one; 0 means the catalog is empty.
 */
class Catalog
{
public:
    explicit Catalog(store::Database &db);

    std::int64_t latestVersion() const;
    /** Committed versions, newest first; `limit` < 0 for all. */
    std::vector<VersionInfo> history(int limit = -1) const;
    /** Stats of `table` (all tables when empty) as of `asOf` (latest when unset). Throws for an unknown table. */
    TableStats stats(const std::string &table = {}, std::optional<std::int64_t> asOf = {}) const;
    /** Rejected files of `table` (all when empty) as of the latest version. */
    std::vector<RejectedFile> rejected(const std::string &table = {}, std::optional<std::int64_t> asOf = {}) const;
    /** Table names that have rows as of the latest version. */
    std::vector<std::string> tables() const;
    /** Throws when `asOf` names no committed version. */
    void checkVersion(std::int64_t asOf) const;
    /** Throws, listing the tables there are, when no committed version ever had a table named `table`. */
    void checkTable(const std::string &table) const;

    // Writing a version. The caller holds a store::WriterLock for the whole operation.
    /** The pending version left by an operation that did not finish (crash, kill, cancel), if any. */
    std::optional<PendingVersion> pendingVersion() const;
    /** Starts a new PENDING version; parameters is a JSON object. */
    std::int64_t beginVersion(const std::string &operation, const std::string &parameters,
                              const std::string &resumeKey);
    /** Saves the metrics so far of a pending version (call inside the batch's transaction). */
    void setPendingMetrics(std::int64_t version, const std::string &metrics);
    /** Makes a pending version visible: COMMITTED, stamped now, with its final metrics. */
    void commitVersion(std::int64_t version, const std::string &metrics);
    /** Undoes a pending version: its rows are removed, rows it superseded become current again. */
    void discardVersion(std::int64_t version);

private:
    store::Database &m_db;
};

/** Now, as ISO 8601 UTC with milliseconds. */
std::string nowIso();

} // namespace pw::catalog
