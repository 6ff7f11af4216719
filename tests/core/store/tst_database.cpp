// Tests of the SQLite layer (core/store/Database.h: connection, statements, transactions, migrations)
// and of the workspace folder and its writer lock (core/store/Workspace.h).
#include "core/store/Database.h"
#include "core/store/Schema.h"
#include "core/store/Workspace.h"

#include "tests/TestData.h"
#include "tests/Tmpfs.h"

#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QFileInfo>
#include <QJsonDocument>
#include <QProcess>
#include <QTemporaryDir>
#include <QTest>
#include <QThread>

#include <cerrno>
#include <csignal>
#include <cstdint>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <fcntl.h>
#include <sys/file.h>
#include <sys/wait.h>
#include <unistd.h>

using pw::store::Database;
using pw::store::DatabaseError;
using pw::store::DiskFullError;
using pw::store::Migration;
using pw::store::Statement;
using pw::store::Transaction;
using pw::store::Workspace;
using pw::store::WriterLock;

namespace {

std::string toStd(const QString &s)
{
    return s.toStdString();
}

/** The single value of a one-row, one-column query, as text. */
std::string scalarText(Database &db, const std::string &sql)
{
    Statement st = db.prepare(sql);
    if (!st.step())
        return "<no row>";
    return st.text(0);
}

std::int64_t scalarInt(Database &db, const std::string &sql)
{
    Statement st = db.prepare(sql);
    if (!st.step())
        return -1;
    return st.int64(0);
}

/** Waits up to `ms` milliseconds for `path` to exist. */
bool waitForFile(const QString &path, int ms)
{
    QElapsedTimer t;
    t.start();
    while (!QFile::exists(path)) {
        if (t.elapsed() > ms)
            return false;
        QThread::msleep(10);
    }
    return true;
}

/**
 * Waits up to `ms` milliseconds for process `pid` to be blocked waiting for a flock (a "-> FLOCK" line of
 * /proc/locks with its pid): from then on, a lock it is granted can only come from a release.
 */
bool waitUntilBlockedOnFlock(pid_t pid, int ms)
{
    const QByteArray needle = " WRITE " + QByteArray::number(pid) + " ";
    QElapsedTimer t;
    t.start();
    for (;;) {
        QFile locks("/proc/locks");
        if (locks.open(QIODevice::ReadOnly))
            for (const QByteArray &line : locks.readAll().split('\n'))
                if (line.contains("-> FLOCK") && line.contains(needle))
                    return true;
        if (t.elapsed() > ms)
            return false;
        QThread::msleep(10); // paces the poll
    }
}

/** Creates `path` (an empty marker file) with plain POSIX calls, safe in a forked child. */
void touchMarker(const std::string &path)
{
    const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd >= 0)
        ::close(fd);
}

// Migrations that log the order in which they ran: migration N inserts N.
const std::vector<Migration> kLoggedMigrations = {
    {1, "CREATE TABLE log(n INTEGER); INSERT INTO log VALUES (1);"},
    {2, "INSERT INTO log VALUES (2);"},
    {3, "CREATE TABLE extra(x TEXT); INSERT INTO log VALUES (3);"},
};

std::vector<std::int64_t> loggedMigrations(Database &db)
{
    std::vector<std::int64_t> out;
    Statement st = db.prepare("SELECT n FROM log ORDER BY rowid");
    while (st.step())
        out.push_back(st.int64(0));
    return out;
}

struct CliResult
{
    int exitCode = -1;
    QByteArray out;
    QByteArray err;
};

CliResult runCli(const QStringList &args)
{
    QProcess p;
    p.start(PIPEWRIGHT_BIN, args);
    CliResult r;
    if (!p.waitForFinished(120000)) {
        p.kill();
        p.waitForFinished();
        return r;
    }
    r.exitCode = p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -1;
    r.out = p.readAllStandardOutput();
    r.err = p.readAllStandardError();
    return r;
}

} // namespace

class tst_Database : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void init();
    void cleanup();

    void openCreatesFileInWalMode();
    void openFailureNamesFile();

    void int64RoundTrip_data();
    void int64RoundTrip();
    void doubleRoundTrip_data();
    void doubleRoundTrip();
    void textRoundTrip_data();
    void textRoundTrip();
    void blobRoundTrip_data();
    void blobRoundTrip();
    void nullAndOptionalRoundTrip_data();
    void nullAndOptionalRoundTrip();
    void statementIsReusableAfterExec();

    void transaction_data();
    void transaction();
    void transactionRollsBackOnException();

    void migrate_data();
    void migrate();
    void migrateStopsAtFailingMigration();
    void migrateRefusesNewerDatabase_data();
    void migrateRefusesNewerDatabase();

    void badSqlNamesFile_data();
    void badSqlNamesFile();

    void workspaceCreatesLayout_data();
    void workspaceCreatesLayout();
    void workspaceMigratesBothDatabases();
    void workspaceReopenKeepsData();
    void workspaceRootIsCanonical_data();
    void workspaceRootIsCanonical();
    void workspaceRefusesRegularFile();

    void writerLockBlocksSecondHolder();
    void writerLockReleasedWhenHolderKilled();

    void fullDiskReadsWorkAndWritesSaySo();
    void cliOnAFullDisk_data();
    void cliOnAFullDisk();

private:
    std::unique_ptr<QTemporaryDir> m_dir;
    std::unique_ptr<Database> m_db;
    std::string dbPath() const { return toStd(m_dir->filePath("test.db")); }
};

void tst_Database::init()
{
    m_dir = std::make_unique<QTemporaryDir>();
    QVERIFY(m_dir->isValid());
    m_db = std::make_unique<Database>(dbPath());
    m_db->exec("CREATE TABLE t(id INTEGER PRIMARY KEY, v)");
}

void tst_Database::cleanup()
{
    m_db.reset();
    m_dir.reset();
}

void tst_Database::openCreatesFileInWalMode()
{
    const std::string path = toStd(m_dir->filePath("fresh.db"));
    QVERIFY(!QFile::exists(QString::fromStdString(path)));
    Database db(path);
    QVERIFY(QFile::exists(QString::fromStdString(path)));
    QCOMPARE(db.path(), path);
    QCOMPARE(scalarText(db, "PRAGMA journal_mode"), std::string("wal"));
    QCOMPARE(scalarInt(db, "PRAGMA foreign_keys"), std::int64_t(1));
    // WAL is a property of the file: a second connection sees it too.
    db.exec("CREATE TABLE x(a)");
    Database other(path);
    QCOMPARE(scalarText(other, "PRAGMA journal_mode"), std::string("wal"));
    QCOMPARE(other.userVersion(), 0);
}

void tst_Database::openFailureNamesFile()
{
    const std::string path = toStd(m_dir->filePath("no/such/folder/x.db"));
    try {
        Database db(path);
        QFAIL("opening a database in a missing folder did not throw");
    } catch (const DatabaseError &e) {
        QVERIFY2(std::string(e.what()).find(path) != std::string::npos, e.what());
    }
}

void tst_Database::int64RoundTrip_data()
{
    QTest::addColumn<qint64>("value");
    QTest::newRow("zero") << qint64(0);
    QTest::newRow("one") << qint64(1);
    QTest::newRow("minus one") << qint64(-1);
    QTest::newRow("above 32 bits") << (qint64(1) << 40);
    QTest::newRow("max") << std::numeric_limits<qint64>::max();
    QTest::newRow("min") << std::numeric_limits<qint64>::min();
}

void tst_Database::int64RoundTrip()
{
    QFETCH(qint64, value);
    m_db->prepare("INSERT INTO t(v) VALUES (?)").bind(1, std::int64_t(value)).exec();
    Statement st = m_db->prepare("SELECT v, typeof(v) FROM t");
    QVERIFY(st.step());
    QVERIFY(!st.isNull(0));
    QCOMPARE(st.int64(0), std::int64_t(value));
    QCOMPARE(st.optInt64(0), std::optional<std::int64_t>(value));
    QCOMPARE(st.text(1), std::string("integer"));
    QVERIFY(!st.step());
}

void tst_Database::doubleRoundTrip_data()
{
    QTest::addColumn<double>("value");
    QTest::newRow("zero") << 0.0;
    QTest::newRow("fraction") << 3.25;
    QTest::newRow("negative") << -1.0e-7;
    QTest::newRow("huge") << 1.0e300;
    QTest::newRow("not exactly binary") << 0.1;
    QTest::newRow("lowest") << std::numeric_limits<double>::lowest();
}

void tst_Database::doubleRoundTrip()
{
    QFETCH(double, value);
    m_db->prepare("INSERT INTO t(v) VALUES (?)").bind(1, value).exec();
    Statement st = m_db->prepare("SELECT v, typeof(v) FROM t");
    QVERIFY(st.step());
    // Bit-exact: SQLite stores IEEE doubles unchanged.
    QCOMPARE(st.real(0), value);
    QCOMPARE(st.text(1), std::string("real"));
}

void tst_Database::textRoundTrip_data()
{
    QTest::addColumn<QByteArray>("utf8");
    QTest::newRow("ascii") << QByteArray("hello");
    QTest::newRow("empty") << QByteArray("");
    QTest::newRow("unicode") << QStringLiteral("Ünïcødé 日本語 🙂 ελληνικά").toUtf8();
    QTest::newRow("quotes and sql") << QByteArray("'); DROP TABLE t; --");
    QTest::newRow("embedded nul") << QByteArray("a\0b", 3);
    QTest::newRow("long") << QByteArray(100000, 'x');
}

void tst_Database::textRoundTrip()
{
    QFETCH(QByteArray, utf8);
    const std::string text(utf8.constData(), std::size_t(utf8.size()));
    {
        // Both overloads: std::string and std::string_view.
        Statement ins = m_db->prepare("INSERT INTO t(id, v) VALUES (?, ?)");
        ins.bind(1, 1).bind(2, text).exec();
        ins.bind(1, 2).bind(2, std::string_view(text)).exec();
    }
    Statement st = m_db->prepare("SELECT v, typeof(v), length(CAST(v AS BLOB)) FROM t ORDER BY id");
    for (int row = 0; row < 2; ++row) {
        QVERIFY(st.step());
        QCOMPARE(st.text(0), text);
        QCOMPARE(st.optText(0), std::optional<std::string>(text));
        QCOMPARE(st.text(1), std::string("text"));
        QCOMPARE(st.int64(2), std::int64_t(text.size()));
    }
    QVERIFY(!st.step());
    if (!utf8.contains('\0')) {
        // A const char * binds the same text.
        m_db->prepare("INSERT INTO t(id, v) VALUES (3, ?)").bind(1, text.c_str()).exec();
        QCOMPARE(scalarText(*m_db, "SELECT v FROM t WHERE id = 3"), text);
    }
}

void tst_Database::blobRoundTrip_data()
{
    QTest::addColumn<QByteArray>("bytes");
    QTest::newRow("one byte") << QByteArray(1, '\x7f');
    QTest::newRow("zeros and high bytes") << QByteArray("\x00\xff\x00\x80\x01", 5);
    QByteArray all;
    for (int i = 0; i < 256; ++i)
        all.append(char(i));
    QTest::newRow("every byte value") << all;
    QTest::newRow("png") << pw::test::encodeImage("png", 16, 16);
}

void tst_Database::blobRoundTrip()
{
    QFETCH(QByteArray, bytes);
    m_db->prepare("INSERT INTO t(v) VALUES (?)").bindBlob(1, bytes.constData(), std::size_t(bytes.size())).exec();
    Statement st = m_db->prepare("SELECT v, typeof(v) FROM t");
    QVERIFY(st.step());
    const std::vector<unsigned char> got = st.blob(0);
    QCOMPARE(QByteArray(reinterpret_cast<const char *>(got.data()), qsizetype(got.size())), bytes);
    QCOMPARE(st.text(1), std::string("blob"));
}

void tst_Database::nullAndOptionalRoundTrip_data()
{
    QTest::addColumn<QString>("how");
    QTest::addColumn<bool>("expectNull");
    QTest::newRow("bindNull") << "bindNull" << true;
    QTest::newRow("empty optional int64") << "optInt" << true;
    QTest::newRow("empty optional string") << "optText" << true;
    QTest::newRow("set optional int64") << "optIntSet" << false;
    QTest::newRow("set optional string") << "optTextSet" << false;
    QTest::newRow("unbound parameter") << "unbound" << true;
}

void tst_Database::nullAndOptionalRoundTrip()
{
    QFETCH(QString, how);
    QFETCH(bool, expectNull);
    Statement ins = m_db->prepare("INSERT INTO t(v) VALUES (?)");
    if (how == "bindNull")
        ins.bindNull(1);
    else if (how == "optInt")
        ins.bind(1, std::optional<std::int64_t>());
    else if (how == "optText")
        ins.bind(1, std::optional<std::string>());
    else if (how == "optIntSet")
        ins.bind(1, std::optional<std::int64_t>(42));
    else if (how == "optTextSet")
        ins.bind(1, std::optional<std::string>("42x"));
    ins.exec();

    Statement st = m_db->prepare("SELECT v, typeof(v) FROM t");
    QVERIFY(st.step());
    QCOMPARE(st.isNull(0), expectNull);
    QCOMPARE(st.text(1), std::string(expectNull ? "null" : how == "optIntSet" ? "integer" : "text"));
    if (expectNull) {
        QCOMPARE(st.optInt64(0), std::optional<std::int64_t>());
        QCOMPARE(st.optText(0), std::optional<std::string>());
        QCOMPARE(st.text(0), std::string());
        QVERIFY(st.blob(0).empty());
    } else if (how == "optIntSet") {
        QCOMPARE(st.optInt64(0), std::optional<std::int64_t>(42));
    } else {
        QCOMPARE(st.optText(0), std::optional<std::string>("42x"));
    }
}

void tst_Database::statementIsReusableAfterExec()
{
    Statement ins = m_db->prepare("INSERT INTO t(id, v) VALUES (?, ?)");
    for (int i = 1; i <= 5; ++i)
        ins.bind(1, i).bind(2, i * 10).exec();
    // exec() cleared the bindings: an insert without binding v stores NULL.
    ins.bind(1, 6).exec();
    QCOMPARE(scalarInt(*m_db, "SELECT count(*) FROM t"), std::int64_t(6));
    QCOMPARE(scalarInt(*m_db, "SELECT sum(v) FROM t"), std::int64_t(150));
    QCOMPARE(scalarInt(*m_db, "SELECT count(*) FROM t WHERE v IS NULL"), std::int64_t(1));
    QCOMPARE(m_db->changes(), 1);
    QCOMPARE(m_db->lastInsertRowId(), std::int64_t(6));

    // A moved-from statement is left empty; the moved-to one still runs.
    Statement q = m_db->prepare("SELECT v FROM t WHERE id = ?");
    Statement moved(std::move(q));
    moved.bind(1, 3);
    QVERIFY(moved.step());
    QCOMPARE(moved.int32(0), 30);
    moved.reset();
    moved.bind(1, 4);
    QVERIFY(moved.step());
    QCOMPARE(moved.int32(0), 40);
}

void tst_Database::transaction_data()
{
    QTest::addColumn<bool>("commit");
    QTest::addColumn<qint64>("rowsAfter");
    QTest::newRow("committed keeps rows") << true << qint64(3);
    QTest::newRow("not committed rolls back") << false << qint64(1);
}

void tst_Database::transaction()
{
    QFETCH(bool, commit);
    QFETCH(qint64, rowsAfter);
    m_db->exec("INSERT INTO t(v) VALUES ('before')");
    {
        Transaction tx(*m_db);
        m_db->exec("INSERT INTO t(v) VALUES ('a'), ('b')");
        // Inside the transaction the rows are visible to this connection, not to another one.
        QCOMPARE(scalarInt(*m_db, "SELECT count(*) FROM t"), std::int64_t(3));
        Database other(dbPath());
        QCOMPARE(scalarInt(other, "SELECT count(*) FROM t"), std::int64_t(1));
        if (commit)
            tx.commit();
    }
    QCOMPARE(scalarInt(*m_db, "SELECT count(*) FROM t"), std::int64_t(rowsAfter));
    Database other(dbPath());
    QCOMPARE(scalarInt(other, "SELECT count(*) FROM t"), std::int64_t(rowsAfter));
    // No transaction is left open: a new one can begin and commit.
    Transaction next(*m_db);
    m_db->exec("INSERT INTO t(v) VALUES ('after')");
    next.commit();
    QCOMPARE(scalarInt(other, "SELECT count(*) FROM t"), std::int64_t(rowsAfter + 1));
}

void tst_Database::transactionRollsBackOnException()
{
    bool threw = false;
    try {
        Transaction tx(*m_db);
        m_db->exec("INSERT INTO t(id, v) VALUES (1, 'a')");
        m_db->exec("INSERT INTO t(id, v) VALUES (1, 'duplicate')"); // primary key violation
        tx.commit();
    } catch (const DatabaseError &) {
        threw = true;
    }
    QVERIFY(threw);
    QCOMPARE(scalarInt(*m_db, "SELECT count(*) FROM t"), std::int64_t(0));
}

void tst_Database::migrate_data()
{
    QTest::addColumn<int>("alreadyApplied");
    QTest::newRow("fresh database") << 0;
    QTest::newRow("at version 1") << 1;
    QTest::newRow("at version 2") << 2;
    QTest::newRow("up to date") << 3;
}

void tst_Database::migrate()
{
    QFETCH(int, alreadyApplied);
    const std::vector<Migration> prefix(kLoggedMigrations.begin(), kLoggedMigrations.begin() + alreadyApplied);
    pw::store::migrate(*m_db, prefix);
    QCOMPARE(m_db->userVersion(), alreadyApplied);

    pw::store::migrate(*m_db, kLoggedMigrations);
    QCOMPARE(m_db->userVersion(), 3);
    QCOMPARE(loggedMigrations(*m_db), (std::vector<std::int64_t>{1, 2, 3}));
    QCOMPARE(scalarInt(*m_db, "SELECT count(*) FROM sqlite_master WHERE name = 'extra'"), std::int64_t(1));

    // Idempotent: a second run (and a run from another connection) changes nothing.
    pw::store::migrate(*m_db, kLoggedMigrations);
    Database other(dbPath());
    pw::store::migrate(other, kLoggedMigrations);
    QCOMPARE(other.userVersion(), 3);
    QCOMPARE(loggedMigrations(*m_db), (std::vector<std::int64_t>{1, 2, 3}));
}

void tst_Database::migrateStopsAtFailingMigration()
{
    const std::vector<Migration> migrations = {
        {1, "CREATE TABLE log(n INTEGER); INSERT INTO log VALUES (1);"},
        {2, "INSERT INTO log VALUES (2); CREATE TABLE half(x); THIS IS NOT SQL;"},
        {3, "INSERT INTO log VALUES (3);"},
    };
    QVERIFY_THROWS_EXCEPTION(DatabaseError, pw::store::migrate(*m_db, migrations));
    // Migration 1 stays; migration 2 is rolled back as a whole; migration 3 never ran.
    QCOMPARE(m_db->userVersion(), 1);
    QCOMPARE(loggedMigrations(*m_db), std::vector<std::int64_t>{1});
    QCOMPARE(scalarInt(*m_db, "SELECT count(*) FROM sqlite_master WHERE name = 'half'"), std::int64_t(0));
}

void tst_Database::migrateRefusesNewerDatabase_data()
{
    QTest::addColumn<int>("userVersion");
    QTest::addColumn<int>("migrationCount");
    QTest::newRow("one ahead") << 4 << 3;
    QTest::newRow("far ahead") << 99 << 3;
    QTest::newRow("no migrations known") << 1 << 0;
}

void tst_Database::migrateRefusesNewerDatabase()
{
    QFETCH(int, userVersion);
    QFETCH(int, migrationCount);
    m_db->setUserVersion(userVersion);
    const std::vector<Migration> known(kLoggedMigrations.begin(), kLoggedMigrations.begin() + migrationCount);
    try {
        pw::store::migrate(*m_db, known);
        QFAIL("migrate() accepted a database newer than its migrations");
    } catch (const DatabaseError &e) {
        const std::string msg = e.what();
        QVERIFY2(msg.find(dbPath()) != std::string::npos, e.what());
        QVERIFY2(msg.find(std::to_string(userVersion)) != std::string::npos, e.what());
    }
    // Nothing was applied and the version is left alone.
    QCOMPARE(m_db->userVersion(), userVersion);
    QCOMPARE(scalarInt(*m_db, "SELECT count(*) FROM sqlite_master WHERE name = 'log'"), std::int64_t(0));
}

void tst_Database::badSqlNamesFile_data()
{
    QTest::addColumn<QString>("how");
    QTest::newRow("exec syntax error") << "exec";
    QTest::newRow("prepare unknown table") << "prepare";
    QTest::newRow("step constraint violation") << "step";
    QTest::newRow("bind index out of range") << "bind";
}

void tst_Database::badSqlNamesFile()
{
    QFETCH(QString, how);
    m_db->exec("INSERT INTO t(id, v) VALUES (1, 'x')");
    try {
        if (how == "exec") {
            m_db->exec("SELEC nothing");
        } else if (how == "prepare") {
            Statement st = m_db->prepare("SELECT * FROM no_such_table");
        } else if (how == "step") {
            Statement st = m_db->prepare("INSERT INTO t(id, v) VALUES (1, 'again')");
            st.step();
        } else if (how == "bind") {
            Statement st = m_db->prepare("SELECT ?");
            st.bind(5, 1);
        }
        QFAIL("no DatabaseError was thrown");
    } catch (const DatabaseError &e) {
        QVERIFY2(std::string(e.what()).find(dbPath()) != std::string::npos, e.what());
    }
    // The connection is still usable afterwards.
    QCOMPARE(scalarInt(*m_db, "SELECT count(*) FROM t"), std::int64_t(1));
}

void tst_Database::workspaceCreatesLayout_data()
{
    QTest::addColumn<QString>("entry");
    QTest::addColumn<bool>("isFolder");
    QTest::newRow("catalog.db") << "catalog.db" << false;
    QTest::newRow("thumbnails.db") << "thumbnails.db" << false;
    QTest::newRow("artifacts") << "artifacts" << true;
    QTest::newRow("shards") << "shards" << true;
    QTest::newRow("pipelines") << "pipelines" << true;
    QTest::newRow("logs") << "logs" << true;
}

void tst_Database::workspaceCreatesLayout()
{
    QFETCH(QString, entry);
    QFETCH(bool, isFolder);
    // A root whose parents are missing too.
    const QString root = m_dir->filePath("deep/er/ws");
    const Workspace ws = Workspace::open(toStd(root));
    const QFileInfo info(root + "/" + entry);
    QVERIFY2(info.exists(), qPrintable(info.filePath()));
    QCOMPARE(info.isDir(), isFolder);
    const std::string accessor = entry == "catalog.db"      ? ws.catalogPath()
                                 : entry == "thumbnails.db" ? ws.thumbnailsPath()
                                 : entry == "artifacts"     ? ws.artifactsDir()
                                 : entry == "shards"        ? ws.shardsDir()
                                 : entry == "pipelines"     ? ws.pipelinesDir()
                                                            : ws.logsDir();
    QCOMPARE(QFileInfo(QString::fromStdString(accessor)).canonicalFilePath(), info.canonicalFilePath());
}

void tst_Database::workspaceMigratesBothDatabases()
{
    const Workspace ws = Workspace::open(toStd(m_dir->filePath("ws")));
    auto catalog = ws.openCatalog();
    QCOMPARE(catalog->userVersion(), pw::store::catalogMigrations().back().version);
    QCOMPARE(scalarText(*catalog, "PRAGMA journal_mode"), std::string("wal"));
    for (const char *table : {"versions", "images", "ingest_sources"})
        QCOMPARE(scalarInt(*catalog, std::string("SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = '")
                                         + table + "'"),
                 std::int64_t(1));
    auto thumbs = ws.openThumbnails();
    QCOMPARE(thumbs->userVersion(), pw::store::thumbnailMigrations().back().version);
    QCOMPARE(scalarInt(*thumbs, "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'thumbnails'"),
             std::int64_t(1));
}

void tst_Database::workspaceReopenKeepsData()
{
    const std::string root = toStd(m_dir->filePath("ws"));
    {
        const Workspace ws = Workspace::open(root);
        ws.openCatalog()->exec("INSERT INTO versions(version, timestamp, operation) VALUES (1, 'now', 'INGEST')");
    }
    const Workspace again = Workspace::open(root);
    QCOMPARE(scalarInt(*again.openCatalog(), "SELECT count(*) FROM versions"), std::int64_t(1));
}

void tst_Database::workspaceRootIsCanonical_data()
{
    QTest::addColumn<QString>("spelling");
    QTest::newRow("plain") << "ws";
    QTest::newRow("trailing slash") << "ws/";
    QTest::newRow("dot segment") << "./ws";
    QTest::newRow("dot-dot segment") << "other/../ws";
}

void tst_Database::workspaceRootIsCanonical()
{
    QFETCH(QString, spelling);
    QVERIFY(QDir(m_dir->path()).mkpath("other"));
    const Workspace ws = Workspace::open(toStd(m_dir->path() + "/" + spelling));
    const QString expected = QFileInfo(m_dir->filePath("ws")).canonicalFilePath();
    QCOMPARE(QString::fromStdString(ws.root()), expected);
    QCOMPARE(QString::fromStdString(ws.catalogPath()), expected + "/catalog.db");
}

void tst_Database::workspaceRefusesRegularFile()
{
    const QString file = m_dir->filePath("not-a-folder");
    QVERIFY(pw::test::writeFile(file, "hello"));
    try {
        Workspace::open(toStd(file));
        QFAIL("Workspace::open accepted a regular file");
    } catch (const std::runtime_error &e) {
        QVERIFY2(std::string(e.what()).find(toStd(file)) != std::string::npos, e.what());
    }
    // The file is left as it was.
    QFile f(file);
    QVERIFY(f.open(QIODevice::ReadOnly));
    QCOMPARE(f.readAll(), QByteArray("hello"));
    QVERIFY_THROWS_EXCEPTION(std::runtime_error, Workspace::open(""));
}

void tst_Database::writerLockBlocksSecondHolder()
{
    const Workspace ws = Workspace::open(toStd(m_dir->filePath("ws")));
    const std::string trying = toStd(m_dir->filePath("trying"));
    const std::string acquired = toStd(m_dir->filePath("acquired"));

    // Fork before this process takes the lock: a child forked while the lock is held would
    // inherit the locked descriptor and keep the lock alive after the parent releases it.
    int go[2];
    QCOMPARE(::pipe(go), 0);
    const pid_t child = ::fork();
    QVERIFY(child >= 0);
    if (child == 0) {
        ::close(go[1]);
        char c;
        if (::read(go[0], &c, 1) != 1)
            ::_exit(2);
        try {
            touchMarker(trying);
            WriterLock lock(ws);
            touchMarker(acquired);
        } catch (...) {
            ::_exit(1);
        }
        ::_exit(0);
    }
    ::close(go[0]);

    auto lock = std::make_unique<WriterLock>(ws);
    QCOMPARE(::write(go[1], "g", 1), ssize_t(1));
    ::close(go[1]);
    QVERIFY(waitForFile(QString::fromStdString(trying), 5000));
    // The child is then either blocked in flock (seen in /proc/locks) or, were the lock broken, granted it already.
    const bool blocked = waitUntilBlockedOnFlock(child, 10000);
    const bool acquiredWhileHeld = QFile::exists(QString::fromStdString(acquired));
    lock.reset();
    const bool acquiredAfterRelease = waitForFile(QString::fromStdString(acquired), 10000);
    int status = 0;
    if (!acquiredAfterRelease)
        ::kill(child, SIGKILL);
    QCOMPARE(::waitpid(child, &status, 0), child);

    QVERIFY2(blocked, "the second WriterLock never waited for the first (no blocked flock in /proc/locks)");
    QVERIFY2(!acquiredWhileHeld, "a second WriterLock was granted while the first was held");
    QVERIFY2(acquiredAfterRelease, "the second WriterLock was not granted after the first was released");
    QVERIFY(WIFEXITED(status));
    QCOMPARE(WEXITSTATUS(status), 0);
}

void tst_Database::writerLockReleasedWhenHolderKilled()
{
    const Workspace ws = Workspace::open(toStd(m_dir->filePath("ws")));
    const std::string held = toStd(m_dir->filePath("held"));
    const pid_t child = ::fork();
    QVERIFY(child >= 0);
    if (child == 0) {
        try {
            WriterLock lock(ws);
            touchMarker(held);
            ::sleep(60); // killed by the parent long before this ends
        } catch (...) {
        }
        ::_exit(1);
    }
    const bool childHolds = waitForFile(QString::fromStdString(held), 10000);

    // Probe the lock without blocking, on a descriptor of our own.
    const int fd = ::open(ws.writerLockPath().c_str(), O_RDWR | O_CLOEXEC);
    const bool blockedWhileHeld = fd >= 0 && ::flock(fd, LOCK_EX | LOCK_NB) != 0 && errno == EWOULDBLOCK;
    ::kill(child, SIGKILL);
    int status = 0;
    ::waitpid(child, &status, 0);
    const bool freeAfterKill = fd >= 0 && ::flock(fd, LOCK_EX | LOCK_NB) == 0;
    if (fd >= 0)
        ::close(fd);

    QVERIFY(childHolds);
    QVERIFY2(blockedWhileHeld, "the lock file was not locked while the child held a WriterLock");
    QVERIFY2(freeAfterKill, "the lock stayed held after its holder was killed");
    // And a WriterLock in this process is granted at once.
    QElapsedTimer t;
    t.start();
    WriterLock mine(ws);
    QVERIFY(t.elapsed() < 2000);
}

// With 0 bytes free, a WAL database whose -shm file cannot be made is still read (exclusive locking mode), a
// write fails as DiskFullError naming the file, and once there is room again the database opens as usual.
void tst_Database::fullDiskReadsWorkAndWritesSaySo()
{
    PW_REQUIRE_TMPFS(disk, 2 * 1024 * 1024);
    const std::string path = toStd(disk.path() + "/full.db");
    {
        Database db(path);
        db.exec("CREATE TABLE t(v TEXT); INSERT INTO t VALUES ('kept')");
    } // the last connection closed: the -wal and -shm files are gone, and a reader has to make them again
    QVERIFY(!QFile::exists(QString::fromStdString(path + "-shm")));
    QVERIFY(disk.fill(0));

    {
        Database reader(path);
        QCOMPARE(scalarText(reader, "SELECT v FROM t"), std::string("kept"));
        try {
            Transaction tx(reader);
            Statement insert = reader.prepare("INSERT INTO t VALUES (?)");
            for (int i = 0; i < 100; ++i)
                insert.bind(1, std::string(4000, char('a' + i % 26))).exec();
            tx.commit();
            QFAIL("writing 400 KB to a full disk did not throw");
        } catch (const DiskFullError &e) {
            QVERIFY2(std::string(e.what()).find("no space left on device writing '" + path + "'") == 0, e.what());
        }
        QCOMPARE(scalarInt(reader, "SELECT count(*) FROM t"), std::int64_t(1));
    }

    QVERIFY(disk.unfill());
    Database db(path);
    db.exec("INSERT INTO t VALUES ('more')");
    QCOMPARE(scalarInt(db, "SELECT count(*) FROM t"), std::int64_t(2));
    QCOMPARE(scalarText(db, "PRAGMA locking_mode"), std::string("normal"));
}

// The CLI on a workspace whose disk has 0 bytes free: read-only commands work; a write says the disk is full.
void tst_Database::cliOnAFullDisk_data()
{
    QTest::addColumn<QStringList>("args");
    QTest::addColumn<int>("exitCode");
    QTest::addColumn<QString>("expected"); // in stdout (exit 0) or stderr (exit 1); WS is the workspace
    QTest::newRow("catalog history") << QStringList{"catalog", "history", "--json"} << 0 << "\"operation\": \"INGEST\"";
    QTest::newRow("catalog stats") << QStringList{"catalog", "stats", "--json"} << 0 << "\"images\": 6";
    QTest::newRow("models list") << QStringList{"models", "list", "--json"} << 0 << "[";
    QTest::newRow("ingest (a write)") << QStringList{"ingest", "MORE", "--json"} << 1
                                      << "no space left on device writing 'WS/catalog.db'";
}

void tst_Database::cliOnAFullDisk()
{
    QFETCH(QStringList, args);
    QFETCH(int, exitCode);
    QFETCH(QString, expected);
    PW_REQUIRE_TMPFS(disk, 8 * 1024 * 1024);
    const QString ws = disk.path() + "/ws";
    QVERIFY(pw::test::writeShapeClasses(m_dir->filePath("src"), 2, 1));
    QVERIFY(pw::test::writeShapeClasses(m_dir->filePath("more"), 3, 2));
    const CliResult setup = runCli({"ingest", m_dir->filePath("src"), "--workspace", ws, "--json"});
    QVERIFY2(setup.exitCode == 0, setup.err.constData());
    QVERIFY(disk.fill(0));
    QCOMPARE(disk.freeBytes(), qint64(0));

    args.replaceInStrings("MORE", m_dir->filePath("more"));
    const CliResult r = runCli(args + QStringList{"--workspace", ws});
    const QString out = QString::fromUtf8(exitCode == 0 ? r.out : r.err);
    QVERIFY2(r.exitCode == exitCode, qPrintable(QString("exit %1: %2").arg(r.exitCode).arg(QString::fromUtf8(r.err))));
    QVERIFY2(out.contains(QString(expected).replace("WS", QFileInfo(ws).canonicalFilePath())), qPrintable(out));
    if (exitCode == 0) {
        QJsonParseError error{};
        QJsonDocument::fromJson(r.out, &error);
        QCOMPARE(error.error, QJsonParseError::NoError);
    }
}

QTEST_GUILESS_MAIN(tst_Database)
#include "tst_database.moc"
