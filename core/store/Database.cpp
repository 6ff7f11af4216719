// SQLite connection, statements, transactions and migrations (see Database.h).
#include "core/store/Database.h"

#include "core/store/FileIo.h"

#include <algorithm>
#include <atomic>
#include <cerrno>

#include <sqlite3.h>

namespace pw::store {

namespace {

std::atomic<std::int64_t> g_mmapBytes{std::int64_t(256) << 20};

// Below this many free bytes, an I/O error is taken for a full disk: SQLite reports the failed allocation of
// its -shm file as a plain I/O error, without the errno reaching the connection.
constexpr std::int64_t kNearlyFullBytes = 1 << 20;

} // namespace

void setConnectionMmapBytes(std::int64_t bytes)
{
    g_mmapBytes = std::max<std::int64_t>(0, bytes);
}

Database::Database(const std::string &path, int busyTimeoutMs)
    : m_path(path)
{
    try {
        open(busyTimeoutMs);
        try {
            enterWal(busyTimeoutMs);
        } catch (const DiskFullError &) {
            // A WAL database needs its -shm file even to be read, and on a full disk that file cannot be made.
            // In exclusive locking mode SQLite keeps the wal-index in this connection's memory instead.
            sqlite3_close_v2(m_db);
            m_db = nullptr;
            open(busyTimeoutMs);
            exec("PRAGMA locking_mode=EXCLUSIVE");
            enterWal(busyTimeoutMs); // a DiskFullError now: not even a read is possible
        }
        exec("PRAGMA synchronous=NORMAL");
        exec("PRAGMA foreign_keys=ON");
        // A page cache big enough for the indexes of a large ingest (allocated only as used), and
        // memory-mapped reads instead of a pread and a copy per page.
        exec("PRAGMA cache_size=-65536");
        exec("PRAGMA mmap_size=" + std::to_string(g_mmapBytes.load()));
    } catch (...) {
        sqlite3_close_v2(m_db);
        m_db = nullptr;
        throw;
    }
}

void Database::open(int busyTimeoutMs)
{
    const int rc = sqlite3_open_v2(m_path.c_str(), &m_db,
                                   SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
    if (rc != SQLITE_OK) {
        std::string msg = m_db ? sqlite3_errmsg(m_db) : sqlite3_errstr(rc);
        sqlite3_close(m_db);
        m_db = nullptr;
        throw DatabaseError("cannot open database '" + m_path + "': " + msg);
    }
    sqlite3_busy_timeout(m_db, busyTimeoutMs);
}

void Database::enterWal(int busyTimeoutMs)
{
    // On a database in WAL mode already this writes nothing: it opens the WAL (the first read of the file).
    // Switching a new database to WAL takes an exclusive lock, and SQLite answers SQLITE_BUSY at once instead
    // of waiting (the busy handler is not called for it): when two processes open a new workspace together,
    // one of them retries until the other's switch is done.
    for (int waited = 0;; waited += 10) {
        const int walRc = sqlite3_exec(m_db, "PRAGMA journal_mode=WAL", nullptr, nullptr, nullptr);
        if (walRc == SQLITE_OK)
            return;
        if ((walRc != SQLITE_BUSY && walRc != SQLITE_LOCKED) || waited >= busyTimeoutMs)
            fail("PRAGMA journal_mode=WAL");
        sqlite3_sleep(10);
    }
}

bool Database::lastErrorIsDiskFull() const
{
    const int primary = sqlite3_extended_errcode(m_db) & 0xFF;
    if (primary == SQLITE_FULL)
        return true;
    if (primary != SQLITE_IOERR && primary != SQLITE_CANTOPEN)
        return false;
    const int error = sqlite3_system_errno(m_db);
    if (error == ENOSPC || error == EDQUOT)
        return true;
    const std::int64_t free = freeDiskSpace(m_path);
    return free >= 0 && free < kNearlyFullBytes;
}

Database::~Database()
{
    sqlite3_close_v2(m_db);
}

void Database::fail(std::string_view what) const
{
    const std::string detail = std::string(what) + ": " + sqlite3_errmsg(m_db);
    if (lastErrorIsDiskFull())
        throw DiskFullError("no space left on device writing '" + m_path + "' (" + detail + ")");
    throw DatabaseError("database '" + m_path + "': " + detail);
}

void Database::exec(std::string_view sql)
{
    char *err = nullptr;
    const std::string s(sql);
    if (sqlite3_exec(m_db, s.c_str(), nullptr, nullptr, &err) != SQLITE_OK) {
        std::string msg = err ? err : "unknown error";
        sqlite3_free(err);
        if (lastErrorIsDiskFull())
            throw DiskFullError("no space left on device writing '" + m_path + "' (" + msg + " in: " + s.substr(0, 200)
                                + ")");
        throw DatabaseError("database '" + m_path + "': " + msg + " in: " + s.substr(0, 200));
    }
}

std::int64_t Database::lastInsertRowId() const
{
    return sqlite3_last_insert_rowid(m_db);
}

int Database::changes() const
{
    return sqlite3_changes(m_db);
}

int Database::userVersion()
{
    Statement st(*this, "PRAGMA user_version");
    st.step();
    return st.int32(0);
}

void Database::setUserVersion(int version)
{
    exec("PRAGMA user_version=" + std::to_string(version));
}

Statement::Statement(Database &db, std::string_view sql)
    : m_db(&db)
{
    if (sqlite3_prepare_v3(db.handle(), sql.data(), static_cast<int>(sql.size()), SQLITE_PREPARE_PERSISTENT, &m_stmt,
                           nullptr)
        != SQLITE_OK)
        db.fail("cannot prepare '" + std::string(sql.substr(0, 200)) + "'");
}

Statement::Statement(Statement &&other) noexcept
    : m_db(other.m_db)
    , m_stmt(other.m_stmt)
{
    other.m_stmt = nullptr;
}

Statement::~Statement()
{
    sqlite3_finalize(m_stmt);
}

Statement &Statement::bind(int index, std::int64_t value)
{
    if (sqlite3_bind_int64(m_stmt, index, value) != SQLITE_OK)
        m_db->fail("bind");
    return *this;
}

Statement &Statement::bind(int index, double value)
{
    if (sqlite3_bind_double(m_stmt, index, value) != SQLITE_OK)
        m_db->fail("bind");
    return *this;
}

Statement &Statement::bind(int index, std::string_view text)
{
    if (sqlite3_bind_text64(m_stmt, index, text.data(), text.size(), SQLITE_TRANSIENT, SQLITE_UTF8) != SQLITE_OK)
        m_db->fail("bind");
    return *this;
}

Statement &Statement::bindBlob(int index, const void *data, std::size_t size)
{
    if (sqlite3_bind_blob64(m_stmt, index, data, size, SQLITE_TRANSIENT) != SQLITE_OK)
        m_db->fail("bind");
    return *this;
}

Statement &Statement::bindNull(int index)
{
    if (sqlite3_bind_null(m_stmt, index) != SQLITE_OK)
        m_db->fail("bind");
    return *this;
}

bool Statement::step()
{
    const int rc = sqlite3_step(m_stmt);
    if (rc == SQLITE_ROW)
        return true;
    if (rc == SQLITE_DONE)
        return false;
    const std::string sql = sqlite3_sql(m_stmt) ? sqlite3_sql(m_stmt) : "";
    sqlite3_reset(m_stmt);
    m_db->fail("cannot run '" + sql.substr(0, 200) + "'");
}

void Statement::exec()
{
    while (step()) {
    }
    reset();
}

void Statement::reset()
{
    sqlite3_reset(m_stmt);
    sqlite3_clear_bindings(m_stmt);
}

bool Statement::isNull(int column) const
{
    return sqlite3_column_type(m_stmt, column) == SQLITE_NULL;
}

std::int64_t Statement::int64(int column) const
{
    return sqlite3_column_int64(m_stmt, column);
}

double Statement::real(int column) const
{
    return sqlite3_column_double(m_stmt, column);
}

std::string Statement::text(int column) const
{
    const auto *p = sqlite3_column_text(m_stmt, column);
    return p ? std::string(reinterpret_cast<const char *>(p), sqlite3_column_bytes(m_stmt, column)) : std::string();
}

std::optional<std::string> Statement::optText(int column) const
{
    if (isNull(column))
        return std::nullopt;
    return text(column);
}

std::optional<std::int64_t> Statement::optInt64(int column) const
{
    if (isNull(column))
        return std::nullopt;
    return int64(column);
}

std::vector<unsigned char> Statement::blob(int column) const
{
    const auto *p = static_cast<const unsigned char *>(sqlite3_column_blob(m_stmt, column));
    const int n = sqlite3_column_bytes(m_stmt, column);
    return p ? std::vector<unsigned char>(p, p + n) : std::vector<unsigned char>();
}

Transaction::Transaction(Database &db)
    : m_db(db)
{
    m_db.exec("BEGIN IMMEDIATE");
}

Transaction::~Transaction()
{
    if (!m_done)
        sqlite3_exec(m_db.handle(), "ROLLBACK", nullptr, nullptr, nullptr);
}

void Transaction::commit()
{
    m_db.exec("COMMIT");
    m_done = true;
}

void migrate(Database &db, const std::vector<Migration> &migrations)
{
    const int current = db.userVersion();
    const int latest = migrations.empty() ? 0 : migrations.back().version;
    if (current > latest)
        throw DatabaseError("database '" + db.path() + "' has schema version " + std::to_string(current)
                            + ", newer than this Pipewright understands (" + std::to_string(latest)
                            + "); upgrade Pipewright");
    for (const Migration &m : migrations) {
        if (m.version <= current)
            continue;
        Transaction tx(db);
        // Re-read inside the write lock: another process may have migrated meanwhile.
        if (db.userVersion() >= m.version)
            continue;
        db.exec(m.sql);
        db.setUserVersion(m.version);
        tx.commit();
    }
}

} // namespace pw::store
