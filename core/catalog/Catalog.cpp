// Catalog queries: history, stats and rejected files "as of" a version; pending version bookkeeping.
#include "core/catalog/Catalog.h"

#include "core/store/Database.h"

#include <QDateTime>

#include <stdexcept>

namespace pw::catalog {

using store::Statement;

// Rows valid as of version ?2 (bound by the callers below).
static constexpr const char *kAsOf = "valid_from <= ?2 AND (valid_to IS NULL OR valid_to > ?2)";

std::string nowIso()
{
    return QDateTime::currentDateTimeUtc().toString(Qt::ISODateWithMs).toStdString();
}

Catalog::Catalog(store::Database &db)
    : m_db(db)
{
}

std::int64_t Catalog::latestVersion() const
{
    Statement st(m_db, "SELECT coalesce(max(version), 0) FROM versions WHERE state = 'COMMITTED'");
    st.step();
    return st.int64(0);
}

void Catalog::checkVersion(std::int64_t asOf) const
{
    if (asOf == 0)
        return; // the empty catalog before the first version
    Statement st(m_db, "SELECT 1 FROM versions WHERE version = ? AND state = 'COMMITTED'");
    st.bind(1, asOf);
    if (!st.step())
        throw std::runtime_error("catalog version " + std::to_string(asOf) + " does not exist (latest is "
                                 + std::to_string(latestVersion()) + ")");
}

void Catalog::checkTable(const std::string &table) const
{
    if (table.empty())
        return;
    Statement st(m_db, "SELECT 1 FROM images JOIN versions ON versions.version = images.valid_from "
                       "WHERE table_name = ? AND state = 'COMMITTED' LIMIT 1");
    st.bind(1, table);
    if (st.step())
        return;
    std::string known;
    for (const std::string &t : tables())
        known += (known.empty() ? "" : ", ") + t;
    throw std::runtime_error("the catalog has no table '" + table + "'"
                             + (known.empty() ? std::string(" (it has no tables yet)") : " (tables: " + known + ")"));
}

std::vector<VersionInfo> Catalog::history(int limit) const
{
    Statement st(m_db, "SELECT version, timestamp, operation, parameters, metrics FROM versions "
                       "WHERE state = 'COMMITTED' ORDER BY version DESC LIMIT ?");
    st.bind(1, static_cast<std::int64_t>(limit));
    std::vector<VersionInfo> out;
    while (st.step())
        out.push_back({st.int64(0), st.text(1), st.text(2), st.text(3), st.text(4)});
    return out;
}

TableStats Catalog::stats(const std::string &table, std::optional<std::int64_t> asOf) const
{
    TableStats s;
    s.version = asOf ? *asOf : latestVersion();
    checkVersion(s.version);
    checkTable(table);
    Statement st(m_db, std::string("SELECT status, label, count(*) FROM images WHERE (?1 = '' OR table_name = ?1) AND ")
                           + kAsOf + " GROUP BY status, label");
    st.bind(1, table).bind(2, s.version);
    while (st.step()) {
        const std::int64_t n = st.int64(2);
        if (st.text(0) == "rejected") {
            s.rejected += n;
            continue;
        }
        s.images += n;
        if (st.isNull(1)) {
            s.unlabeled += n;
        } else {
            s.labeled += n;
            s.labels[st.text(1)] += n;
        }
    }
    return s;
}

std::vector<RejectedFile> Catalog::rejected(const std::string &table, std::optional<std::int64_t> asOf) const
{
    const std::int64_t v = asOf ? *asOf : latestVersion();
    checkVersion(v);
    checkTable(table);
    Statement st(m_db, std::string("SELECT table_name, path, coalesce(reason, '') FROM images "
                                   "WHERE status = 'rejected' AND (?1 = '' OR table_name = ?1) AND ")
                           + kAsOf + " ORDER BY table_name, path");
    st.bind(1, table).bind(2, v);
    std::vector<RejectedFile> out;
    while (st.step())
        out.push_back({st.text(0), st.text(1), st.text(2)});
    return out;
}

std::vector<std::string> Catalog::tables() const
{
    Statement st(m_db, "SELECT DISTINCT table_name FROM images "
                       "WHERE valid_from <= ?1 AND (valid_to IS NULL OR valid_to > ?1) ORDER BY table_name");
    st.bind(1, latestVersion());
    std::vector<std::string> out;
    while (st.step())
        out.push_back(st.text(0));
    return out;
}

std::optional<PendingVersion> Catalog::pendingVersion() const
{
    Statement st(m_db, "SELECT version, operation, coalesce(resume_key, ''), metrics FROM versions "
                       "WHERE state = 'PENDING' ORDER BY version LIMIT 1");
    if (!st.step())
        return std::nullopt;
    return PendingVersion{st.int64(0), st.text(1), st.text(2), st.text(3)};
}

std::int64_t Catalog::beginVersion(const std::string &operation, const std::string &parameters,
                                   const std::string &resumeKey)
{
    Statement st(m_db, "INSERT INTO versions(version, timestamp, operation, parameters, metrics, state, resume_key) "
                       "VALUES ((SELECT coalesce(max(version), 0) + 1 FROM versions), ?, ?, ?, '{}', 'PENDING', ?)");
    st.bind(1, nowIso()).bind(2, operation).bind(3, parameters).bind(4, resumeKey);
    st.exec();
    Statement q(m_db, "SELECT max(version) FROM versions");
    q.step();
    return q.int64(0);
}

void Catalog::setPendingMetrics(std::int64_t version, const std::string &metrics)
{
    Statement st(m_db, "UPDATE versions SET metrics = ? WHERE version = ? AND state = 'PENDING'");
    st.bind(1, metrics).bind(2, version).exec();
}

void Catalog::commitVersion(std::int64_t version, const std::string &metrics)
{
    Statement st(m_db, "UPDATE versions SET state = 'COMMITTED', timestamp = ?, metrics = ?, resume_key = NULL "
                       "WHERE version = ? AND state = 'PENDING'");
    st.bind(1, nowIso()).bind(2, metrics).bind(3, version).exec();
    if (m_db.changes() != 1)
        throw std::runtime_error("catalog version " + std::to_string(version) + " is not pending");
}

void Catalog::discardVersion(std::int64_t version)
{
    store::Transaction tx(m_db);
    Statement check(m_db, "SELECT 1 FROM versions WHERE version = ? AND state = 'PENDING'");
    check.bind(1, version);
    if (!check.step())
        throw std::runtime_error("catalog version " + std::to_string(version)
                                 + " is not pending: a committed version is never discarded");
    Statement del(m_db, "DELETE FROM images WHERE valid_from = ?");
    del.bind(1, version).exec();
    Statement reopen(m_db, "UPDATE images SET valid_to = NULL WHERE valid_to = ?");
    reopen.bind(1, version).exec();
    Statement drop(m_db, "DELETE FROM versions WHERE version = ? AND state = 'PENDING'");
    drop.bind(1, version).exec();
    tx.commit();
}

} // namespace pw::catalog
