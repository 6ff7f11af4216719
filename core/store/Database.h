// SQLite connection, prepared statements and an RAII transaction for the workspace databases.
//
// Thread-safety rule: a Database (connection) is never shared between threads. Each thread
// opens its own connection to the same file; WAL mode lets readers run beside one writer.
#pragma once

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

struct sqlite3;
struct sqlite3_stmt;

namespace pw::store {

/** Thrown for any SQLite failure; the message names the database file and the statement. */
class DatabaseError : public std::runtime_error
{
public:
    using std::runtime_error::runtime_error;
};

/**
 * A DatabaseError because the disk holding the database is full (SQLite's SQLITE_FULL, or an I/O error with
 * ENOSPC): the message says "no space left on device writing '<file>'". Nothing was written by the statement;
 * a smaller write may still succeed (SQLite reuses the space a failed transaction took in the WAL file).
 */
class DiskFullError : public DatabaseError
{
public:
    using DatabaseError::DatabaseError;
};

class Database;

/**
 * The memory map of each connection opened from now on (PRAGMA mmap_size), in bytes; 256 MiB unless set. The
 * workbench sets 64 MiB (ui::configureWorkbenchProcess()): each of its connections maps the file apart and every
 * map's resident pages count in its memory (at a million images, 570 MB of its 1.2 GB peak were such maps).
 */
void setConnectionMmapBytes(std::int64_t bytes);

/** A prepared statement. Bind values with 1-based indexes, step() through rows, read columns 0-based. */
class Statement
{
public:
    Statement(Database &db, std::string_view sql);
    ~Statement();
    Statement(const Statement &) = delete;
    Statement &operator=(const Statement &) = delete;
    Statement(Statement &&other) noexcept;

    Statement &bind(int index, std::int64_t value);
    Statement &bind(int index, int value) { return bind(index, static_cast<std::int64_t>(value)); }
    Statement &bind(int index, double value);
    Statement &bind(int index, std::string_view text);
    Statement &bind(int index, const char *text) { return bind(index, std::string_view(text)); }
    Statement &bind(int index, const std::string &text) { return bind(index, std::string_view(text)); }
    Statement &bindBlob(int index, const void *data, std::size_t size);
    Statement &bindNull(int index);
    template<typename T> Statement &bind(int index, const std::optional<T> &value)
    {
        return value ? bind(index, *value) : bindNull(index);
    }

    /** Advances to the next row; false when done. Throws on error. */
    bool step();
    /** Runs a statement that returns no rows (or ignores them), then resets it for reuse. */
    void exec();
    /** Resets the statement and clears its bindings, ready to run again. */
    void reset();

    bool isNull(int column) const;
    std::int64_t int64(int column) const;
    int int32(int column) const { return static_cast<int>(int64(column)); }
    double real(int column) const;
    std::string text(int column) const;
    std::optional<std::string> optText(int column) const;
    std::optional<std::int64_t> optInt64(int column) const;
    std::vector<unsigned char> blob(int column) const;

private:
    Database *m_db;
    sqlite3_stmt *m_stmt = nullptr;
};

/**
 * One SQLite connection: WAL, foreign keys on, a busy timeout so writers wait for each other.
 *
 * Opening a database that is up to date writes nothing, so reads work on a full disk. There, a WAL database
 * whose shared-memory file (<file>-shm) cannot be created is opened in exclusive locking mode, which keeps
 * that index in the connection's memory (https://sqlite.org/wal.html#noshm): while such a connection is open,
 * other processes wait to open the database (they could not write to the full disk anyway).
 */
class Database
{
public:
    /** Opens (creating if needed) the database file at `path`. Throws DiskFullError when a full disk stops it. */
    explicit Database(const std::string &path, int busyTimeoutMs = 30000);
    ~Database();
    Database(const Database &) = delete;
    Database &operator=(const Database &) = delete;

    void exec(std::string_view sql);
    Statement prepare(std::string_view sql) { return Statement(*this, sql); }
    std::int64_t lastInsertRowId() const;
    int changes() const;
    const std::string &path() const { return m_path; }
    sqlite3 *handle() const { return m_db; }

    int userVersion();
    void setUserVersion(int version);

    /** Throws a DatabaseError naming this file, `what` and SQLite's message (a DiskFullError for a full disk). */
    [[noreturn]] void fail(std::string_view what) const;

private:
    void open(int busyTimeoutMs);
    void enterWal(int busyTimeoutMs);
    /** Whether the last failure of this connection came from a full disk. */
    bool lastErrorIsDiskFull() const;

    sqlite3 *m_db = nullptr;
    std::string m_path;
};

/** BEGIN IMMEDIATE on construction; rolls back in the destructor unless commit() was called. */
class Transaction
{
public:
    explicit Transaction(Database &db);
    ~Transaction();
    Transaction(const Transaction &) = delete;
    Transaction &operator=(const Transaction &) = delete;
    void commit();

private:
    Database &m_db;
    bool m_done = false;
};

/** A numbered schema change: migration N brings PRAGMA user_version from N-1 to N. */
struct Migration
{
    int version;
    const char *sql;
};

/**
 * Applies, each in its own transaction, every migration above the database's user_version.
 * Refuses (throws) a database written by a newer Pipewright (user_version above the last migration).
 */
void migrate(Database &db, const std::vector<Migration> &migrations);

} // namespace pw::store
