// Tests of the versioned catalog (core/catalog/Catalog.h) on a temporary workspace: version
// bookkeeping (begin, commit, discard, history) and stats / rejected files "as of" a version; the image browser's
// keyset pages (core/catalog/ImageQuery.h) against a reference query, for every sort and filter.
#include "core/catalog/Catalog.h"
#include "core/catalog/ImageQuery.h"
#include "core/store/Database.h"
#include "core/store/Workspace.h"

#include <QDateTime>
#include <QStringList>
#include <QTemporaryDir>
#include <QTest>

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

using pw::catalog::Catalog;
using pw::catalog::TableStats;
using pw::store::Database;
using pw::store::Statement;
using pw::store::Workspace;

namespace {

/** One row of the images table, valid from `from` up to, not including, `to` (unset: still valid). */
struct ImageRow
{
    const char *table;
    const char *path;
    std::optional<std::string> label;
    const char *status; // ok, rejected
    std::int64_t from;
    std::optional<std::int64_t> to;
};

// The catalog used by the "as of" tests. Versions 1-4 are committed, version 5 is pending.
//   train: a.png cat (1-), b.png dog (1-3) relabelled cat (3-), c.png unlabeled (2-),
//          d.png rejected, with a path label (2-4), e.png dog (4-), f.png cat (5-, pending),
//          b.png superseded again by the pending version 5
//   test:  x.png cat (1-), y.png rejected (3-), z.png unlabeled (1-2)
//   valid: v.png cat (5-, pending: a table that exists only in the pending version)
const std::vector<ImageRow> kRows = {
    {"train", "a.png", "cat", "ok", 1, std::nullopt},
    {"train", "b.png", "dog", "ok", 1, 3},
    {"train", "b.png", "cat", "ok", 3, 5},
    {"train", "b.png", "bird", "ok", 5, std::nullopt},
    {"train", "c.png", std::nullopt, "ok", 2, std::nullopt},
    {"train", "d.png", "dog", "rejected", 2, 4},
    {"train", "e.png", "dog", "ok", 4, std::nullopt},
    {"train", "f.png", "cat", "ok", 5, std::nullopt},
    {"test", "x.png", "cat", "ok", 1, std::nullopt},
    {"test", "y.png", std::nullopt, "rejected", 3, std::nullopt},
    {"test", "z.png", std::nullopt, "ok", 1, 2},
    {"valid", "v.png", "cat", "ok", 5, std::nullopt},
};

/** "cat=2,dog=1" as a map. */
std::map<std::string, std::int64_t> parseLabels(const QString &text)
{
    std::map<std::string, std::int64_t> out;
    for (const QString &item : text.split(',', Qt::SkipEmptyParts)) {
        const QStringList kv = item.split('=');
        out[kv.at(0).toStdString()] = kv.at(1).toLongLong();
    }
    return out;
}

QString labelsText(const std::map<std::string, std::int64_t> &labels)
{
    QStringList items;
    for (const auto &[name, n] : labels)
        items << QString::fromStdString(name) + "=" + QString::number(n);
    return items.join(',');
}

std::int64_t scalarInt(Database &db, const std::string &sql)
{
    Statement st = db.prepare(sql);
    return st.step() ? st.int64(0) : -1;
}

} // namespace

class tst_Catalog : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void init();
    void cleanup();

    void emptyCatalog();
    void beginAndCommitVersion();
    void pendingMetricsAreSaved();
    void history_data();
    void history();
    void commitRefusesNonPendingVersion_data();
    void commitRefusesNonPendingVersion();
    void discardVersionRestoresSupersededRows();
    void discardLeavesCommittedVersionAlone();

    void stats_data();
    void stats();
    void unknownTableIsAnError_data();
    void unknownTableIsAnError();
    void statsDefaultsToLatestVersion();
    void rejected_data();
    void rejected();
    void missingVersionThrows_data();
    void missingVersionThrows();
    void tables();
    void pagesMatchReference_data();
    void pagesMatchReference();

private:
    void insertImage(const ImageRow &row);
    /** Versions 1-4 committed, 5 pending, and the rows of kRows. */
    void buildFixture();
    /** buildFixture() and table "big": versioned, relabelled and rejected images, predictions by two models. */
    void buildBrowseFixture();

    std::unique_ptr<QTemporaryDir> m_dir;
    std::unique_ptr<Database> m_db;
    std::unique_ptr<Catalog> m_catalog;
};

void tst_Catalog::init()
{
    m_dir = std::make_unique<QTemporaryDir>();
    QVERIFY(m_dir->isValid());
    const Workspace ws = Workspace::open(m_dir->filePath("ws").toStdString());
    m_db = ws.openCatalog();
    m_catalog = std::make_unique<Catalog>(*m_db);
}

void tst_Catalog::cleanup()
{
    m_catalog.reset();
    m_db.reset();
    m_dir.reset();
}

void tst_Catalog::insertImage(const ImageRow &row)
{
    Statement st = m_db->prepare(
        "INSERT INTO images(table_name, path, source, size, mtime_ns, label, label_source, status, reason, "
        "valid_from, valid_to) VALUES (?, ?, '/src', 100, 1, ?, ?, ?, ?, ?, ?)");
    st.bind(1, row.table)
        .bind(2, row.path)
        .bind(3, row.label)
        .bind(4, row.label ? std::optional<std::string>("path") : std::nullopt)
        .bind(5, row.status)
        .bind(6, std::string(row.status) == "rejected" ? std::optional<std::string>(std::string("bad ") + row.path)
                                                       : std::nullopt)
        .bind(7, row.from)
        .bind(8, row.to);
    st.exec();
}

void tst_Catalog::buildFixture()
{
    for (int v = 1; v <= 5; ++v) {
        const std::int64_t version = m_catalog->beginVersion("INGEST", "{}", "");
        QCOMPARE(version, std::int64_t(v));
        if (v < 5)
            m_catalog->commitVersion(version, "{}");
    }
    for (const ImageRow &row : kRows)
        insertImage(row);
}

void tst_Catalog::emptyCatalog()
{
    QCOMPARE(m_catalog->latestVersion(), std::int64_t(0));
    QVERIFY(m_catalog->history().empty());
    QVERIFY(!m_catalog->pendingVersion());
    QVERIFY(m_catalog->tables().empty());
    const TableStats s = m_catalog->stats();
    QCOMPARE(s.version, std::int64_t(0));
    QCOMPARE(s.images + s.labeled + s.unlabeled + s.rejected, std::int64_t(0));
    QVERIFY(s.labels.empty());
    QVERIFY(m_catalog->rejected().empty());
}

void tst_Catalog::beginAndCommitVersion()
{
    const std::int64_t v = m_catalog->beginVersion("INGEST", R"({"source":"/data"})", "resume-1");
    QCOMPARE(v, std::int64_t(1));

    // Pending: reported as such, invisible to everything else.
    const auto pending = m_catalog->pendingVersion();
    QVERIFY(pending);
    QCOMPARE(pending->version, v);
    QCOMPARE(pending->operation, std::string("INGEST"));
    QCOMPARE(pending->resumeKey, std::string("resume-1"));
    QCOMPARE(m_catalog->latestVersion(), std::int64_t(0));
    QVERIFY(m_catalog->history().empty());
    QVERIFY_THROWS_EXCEPTION(std::runtime_error, m_catalog->stats({}, v));

    m_catalog->commitVersion(v, R"({"added":3})");
    QVERIFY(!m_catalog->pendingVersion());
    QCOMPARE(m_catalog->latestVersion(), v);
    const auto history = m_catalog->history();
    QCOMPARE(history.size(), std::size_t(1));
    QCOMPARE(history[0].version, v);
    QCOMPARE(history[0].operation, std::string("INGEST"));
    QCOMPARE(history[0].parameters, std::string(R"({"source":"/data"})"));
    QCOMPARE(history[0].metrics, std::string(R"({"added":3})"));
    const QDateTime stamp = QDateTime::fromString(QString::fromStdString(history[0].timestamp), Qt::ISODateWithMs);
    QVERIFY2(stamp.isValid(), history[0].timestamp.c_str());
    QVERIFY(qAbs(stamp.secsTo(QDateTime::currentDateTimeUtc())) < 60);
    QCOMPARE(m_catalog->stats({}, v).version, v);
    // The resume key is cleared on commit.
    QCOMPARE(scalarInt(*m_db, "SELECT count(*) FROM versions WHERE resume_key IS NULL"), std::int64_t(1));
}

void tst_Catalog::pendingMetricsAreSaved()
{
    const std::int64_t v = m_catalog->beginVersion("INGEST", "{}", "k");
    m_catalog->setPendingMetrics(v, R"({"seen":10})");
    QCOMPARE(m_catalog->pendingVersion()->metrics, std::string(R"({"seen":10})"));
    m_catalog->commitVersion(v, R"({"seen":20})");
    // Once committed, the metrics are final.
    m_catalog->setPendingMetrics(v, R"({"seen":99})");
    QCOMPARE(m_catalog->history().at(0).metrics, std::string(R"({"seen":20})"));
}

void tst_Catalog::history_data()
{
    QTest::addColumn<int>("committed");
    QTest::addColumn<bool>("leavePending");
    QTest::addColumn<int>("limit");
    QTest::addColumn<QList<qint64>>("expected");
    QTest::newRow("all") << 3 << false << -1 << QList<qint64>{3, 2, 1};
    QTest::newRow("limit 2") << 3 << false << 2 << QList<qint64>{3, 2};
    QTest::newRow("limit above count") << 3 << false << 10 << QList<qint64>{3, 2, 1};
    QTest::newRow("limit 0") << 3 << false << 0 << QList<qint64>{};
    QTest::newRow("pending version hidden") << 3 << true << -1 << QList<qint64>{3, 2, 1};
    QTest::newRow("only a pending version") << 0 << true << -1 << QList<qint64>{};
}

void tst_Catalog::history()
{
    QFETCH(int, committed);
    QFETCH(bool, leavePending);
    QFETCH(int, limit);
    QFETCH(QList<qint64>, expected);
    for (int i = 0; i < committed; ++i) {
        const std::int64_t v = m_catalog->beginVersion("OP" + std::to_string(i + 1), "{}", "");
        m_catalog->commitVersion(v, "{}");
    }
    if (leavePending)
        m_catalog->beginVersion("PENDING OP", "{}", "");

    QList<qint64> got;
    for (const auto &info : m_catalog->history(limit)) {
        got << info.version;
        QCOMPARE(info.operation, "OP" + std::to_string(info.version));
    }
    QCOMPARE(got, expected);
    QCOMPARE(m_catalog->latestVersion(), std::int64_t(committed));
}

void tst_Catalog::commitRefusesNonPendingVersion_data()
{
    QTest::addColumn<qint64>("version");
    QTest::newRow("already committed") << qint64(1);
    QTest::newRow("never begun") << qint64(99);
}

void tst_Catalog::commitRefusesNonPendingVersion()
{
    QFETCH(qint64, version);
    m_catalog->commitVersion(m_catalog->beginVersion("INGEST", "{}", ""), R"({"n":1})");
    try {
        m_catalog->commitVersion(version, R"({"n":2})");
        QFAIL("commitVersion accepted a version that is not pending");
    } catch (const std::runtime_error &e) {
        QVERIFY2(std::string(e.what()).find("version " + std::to_string(version)) != std::string::npos, e.what());
    }
    QCOMPARE(m_catalog->history().at(0).metrics, std::string(R"({"n":1})"));
    QCOMPARE(m_catalog->latestVersion(), std::int64_t(1));
}

void tst_Catalog::discardVersionRestoresSupersededRows()
{
    const std::int64_t v1 = m_catalog->beginVersion("INGEST", "{}", "");
    insertImage({"train", "a.png", "cat", "ok", v1, std::nullopt});
    insertImage({"train", "b.png", "dog", "ok", v1, std::nullopt});
    m_catalog->commitVersion(v1, "{}");

    // Version 2 relabels a.png, deletes b.png and adds c.png, then is abandoned.
    const std::int64_t v2 = m_catalog->beginVersion("INGEST", "{}", "resume");
    m_db->exec("UPDATE images SET valid_to = 2 WHERE path IN ('a.png', 'b.png')");
    insertImage({"train", "a.png", "bird", "ok", v2, std::nullopt});
    insertImage({"train", "c.png", "cat", "ok", v2, std::nullopt});
    QVERIFY(m_catalog->pendingVersion());

    m_catalog->discardVersion(v2);
    QVERIFY(!m_catalog->pendingVersion());
    QCOMPARE(m_catalog->latestVersion(), v1);
    QCOMPARE(scalarInt(*m_db, "SELECT count(*) FROM versions"), std::int64_t(1));
    QCOMPARE(scalarInt(*m_db, "SELECT count(*) FROM images"), std::int64_t(2));
    QCOMPARE(scalarInt(*m_db, "SELECT count(*) FROM images WHERE valid_to IS NULL AND valid_from = 1"),
             std::int64_t(2));
    const TableStats s = m_catalog->stats("train");
    QCOMPARE(s.images, std::int64_t(2));
    QCOMPARE(labelsText(s.labels), QString("cat=1,dog=1"));
    // The next operation gets the discarded version's number.
    QCOMPARE(m_catalog->beginVersion("INGEST", "{}", ""), v2);
}

void tst_Catalog::discardLeavesCommittedVersionAlone()
{
    // discardVersion() undoes a *pending* version. Called with a committed one, it must not
    // destroy that version's rows while leaving the version in the history (it may throw instead).
    const std::int64_t v1 = m_catalog->beginVersion("INGEST", "{}", "");
    insertImage({"train", "a.png", "cat", "ok", v1, std::nullopt});
    m_catalog->commitVersion(v1, "{}");
    const std::int64_t v2 = m_catalog->beginVersion("INGEST", "{}", "");
    m_db->exec("UPDATE images SET valid_to = 2 WHERE path = 'a.png'");
    insertImage({"train", "a.png", "dog", "ok", v2, std::nullopt});
    m_catalog->commitVersion(v2, "{}");

    try {
        m_catalog->discardVersion(v2);
    } catch (const std::exception &) {
        // Refusing is fine too.
    }
    QCOMPARE(m_catalog->latestVersion(), v2);
    QCOMPARE(labelsText(m_catalog->stats("train", v2).labels), QString("dog=1"));
    QCOMPARE(labelsText(m_catalog->stats("train", v1).labels), QString("cat=1"));
}

void tst_Catalog::stats_data()
{
    QTest::addColumn<QString>("table");
    QTest::addColumn<qint64>("version");
    QTest::addColumn<qint64>("images");
    QTest::addColumn<qint64>("labeled");
    QTest::addColumn<qint64>("unlabeled");
    QTest::addColumn<qint64>("rejected");
    QTest::addColumn<QString>("labels");

    QTest::newRow("train v1") << "train" << qint64(1) << qint64(2) << qint64(2) << qint64(0) << qint64(0)
                              << "cat=1,dog=1";
    QTest::newRow("train v2") << "train" << qint64(2) << qint64(3) << qint64(2) << qint64(1) << qint64(1)
                              << "cat=1,dog=1";
    QTest::newRow("train v3 relabelled") << "train" << qint64(3) << qint64(3) << qint64(2) << qint64(1) << qint64(1)
                                         << "cat=2";
    QTest::newRow("train v4") << "train" << qint64(4) << qint64(4) << qint64(3) << qint64(1) << qint64(0)
                              << "cat=2,dog=1";
    QTest::newRow("test v1") << "test" << qint64(1) << qint64(2) << qint64(1) << qint64(1) << qint64(0) << "cat=1";
    QTest::newRow("test v2 deleted") << "test" << qint64(2) << qint64(1) << qint64(1) << qint64(0) << qint64(0)
                                     << "cat=1";
    QTest::newRow("test v3") << "test" << qint64(3) << qint64(1) << qint64(1) << qint64(0) << qint64(1) << "cat=1";
    QTest::newRow("test v4") << "test" << qint64(4) << qint64(1) << qint64(1) << qint64(0) << qint64(1) << "cat=1";
    QTest::newRow("all v1") << "" << qint64(1) << qint64(4) << qint64(3) << qint64(1) << qint64(0) << "cat=2,dog=1";
    QTest::newRow("all v2") << "" << qint64(2) << qint64(4) << qint64(3) << qint64(1) << qint64(1) << "cat=2,dog=1";
    QTest::newRow("all v3") << "" << qint64(3) << qint64(4) << qint64(3) << qint64(1) << qint64(2) << "cat=3";
    QTest::newRow("all v4") << "" << qint64(4) << qint64(5) << qint64(4) << qint64(1) << qint64(1) << "cat=3,dog=1";
    QTest::newRow("all v0 (empty catalog)")
        << "" << qint64(0) << qint64(0) << qint64(0) << qint64(0) << qint64(0) << "";
    QTest::newRow("table before it existed")
        << "test" << qint64(0) << qint64(0) << qint64(0) << qint64(0) << qint64(0) << "";
}

void tst_Catalog::unknownTableIsAnError_data()
{
    QTest::addColumn<QString>("table");
    QTest::newRow("never existed") << "nope";
    QTest::newRow("only in the pending version") << "valid";
}

void tst_Catalog::unknownTableIsAnError()
{
    QFETCH(QString, table);
    buildFixture();
    for (const bool rejectedList : {false, true}) {
        try {
            if (rejectedList)
                m_catalog->rejected(table.toStdString());
            else
                m_catalog->stats(table.toStdString(), 4);
            QFAIL("no error for an unknown table");
        } catch (const std::runtime_error &e) {
            const QString message = QString::fromUtf8(e.what());
            QVERIFY2(message.contains("no table '" + table + "'"), e.what());
            QVERIFY2(message.contains("train") && message.contains("test"), e.what()); // lists what there is
        }
    }
}

void tst_Catalog::stats()
{
    QFETCH(QString, table);
    QFETCH(qint64, version);
    QFETCH(qint64, images);
    QFETCH(qint64, labeled);
    QFETCH(qint64, unlabeled);
    QFETCH(qint64, rejected);
    QFETCH(QString, labels);
    buildFixture();

    const TableStats s = m_catalog->stats(table.toStdString(), version);
    QCOMPARE(s.version, version);
    QCOMPARE(s.images, images);
    QCOMPARE(s.labeled, labeled);
    QCOMPARE(s.unlabeled, unlabeled);
    QCOMPARE(s.rejected, rejected);
    QCOMPARE(labelsText(s.labels), labels);
    QCOMPARE(s.labels, parseLabels(labels));
}

void tst_Catalog::statsDefaultsToLatestVersion()
{
    buildFixture();
    QCOMPARE(m_catalog->latestVersion(), std::int64_t(4));
    const TableStats latest = m_catalog->stats();
    const TableStats v4 = m_catalog->stats({}, 4);
    QCOMPARE(latest.version, std::int64_t(4));
    QCOMPARE(latest.images, v4.images);
    QCOMPARE(latest.rejected, v4.rejected);
    QCOMPARE(latest.labels, v4.labels);
    // The pending version's rows (f.png, b.png as bird) are not counted.
    QCOMPARE(latest.labels.count("bird"), std::size_t(0));
    QCOMPARE(latest.images, std::int64_t(5));
}

void tst_Catalog::rejected_data()
{
    QTest::addColumn<QString>("table");
    QTest::addColumn<qint64>("version");
    QTest::addColumn<QStringList>("expected");
    QTest::newRow("train v1") << "train" << qint64(1) << QStringList{};
    QTest::newRow("train v2") << "train" << qint64(2) << QStringList{"train/d.png"};
    QTest::newRow("train v4 (file gone)") << "train" << qint64(4) << QStringList{};
    QTest::newRow("test v3") << "test" << qint64(3) << QStringList{"test/y.png"};
    QTest::newRow("all v3") << "" << qint64(3) << QStringList{"test/y.png", "train/d.png"};
    QTest::newRow("all v4") << "" << qint64(4) << QStringList{"test/y.png"};
    QTest::newRow("all latest") << "" << qint64(-1) << QStringList{"test/y.png"};
}

void tst_Catalog::rejected()
{
    QFETCH(QString, table);
    QFETCH(qint64, version);
    QFETCH(QStringList, expected);
    buildFixture();

    const auto files = m_catalog->rejected(table.toStdString(),
                                           version < 0 ? std::nullopt : std::optional<std::int64_t>(version));
    QStringList got;
    for (const auto &f : files) {
        got << QString::fromStdString(f.table + "/" + f.path);
        QCOMPARE(f.reason, "bad " + f.path);
    }
    QCOMPARE(got, expected);
}

void tst_Catalog::missingVersionThrows_data()
{
    QTest::addColumn<qint64>("version");
    QTest::newRow("pending version") << qint64(5);
    QTest::newRow("future version") << qint64(99);
    QTest::newRow("negative version") << qint64(-3);
}

void tst_Catalog::missingVersionThrows()
{
    QFETCH(qint64, version);
    buildFixture();
    const std::string needle = "version " + std::to_string(version);
    try {
        m_catalog->stats("train", version);
        QFAIL("stats() accepted a version that does not exist");
    } catch (const std::runtime_error &e) {
        QVERIFY2(std::string(e.what()).find(needle) != std::string::npos, e.what());
    }
    try {
        m_catalog->rejected({}, version);
        QFAIL("rejected() accepted a version that does not exist");
    } catch (const std::runtime_error &e) {
        QVERIFY2(std::string(e.what()).find(needle) != std::string::npos, e.what());
    }
}

void tst_Catalog::tables()
{
    buildFixture();
    // "valid" has rows only in the pending version.
    QCOMPARE(m_catalog->tables(), (std::vector<std::string>{"test", "train"}));
    m_catalog->commitVersion(5, "{}");
    QCOMPARE(m_catalog->tables(), (std::vector<std::string>{"test", "train", "valid"}));
}

namespace {

// The reference for ImageQuery's pages: its query before keyset pages were restructured (one statement over every
// matching row, sorted), run without a cursor. ?1 as of, ?2 table, ?3 status, ?4 label, ?5 label source,
// ?6 predicted, ?7/?8 confidence bounds.
constexpr const char *kReferenceQuery = R"sql(
WITH v(asof) AS (
    SELECT coalesce(?1, (SELECT coalesce(max(version), 0) FROM versions WHERE state = 'COMMITTED'))
),
base AS (
    SELECT i.id, i.path, i.valid_from,
           (SELECT p.rowid FROM predictions p
             WHERE p.table_name = i.table_name AND p.path = i.path AND p.version <= v.asof
             ORDER BY p.version DESC, p.scored_at DESC LIMIT 1) AS pid
      FROM images i, v
     WHERE i.table_name = ?2 AND i.valid_from <= v.asof AND (i.valid_to IS NULL OR i.valid_to > v.asof)
       AND i.status = ?3 AND (?4 IS NULL OR i.label = ?4) AND (?5 IS NULL OR i.label_source = ?5)
)
SELECT b.id, pr.confidence, coalesce(pr.predicted, '')
  FROM base b LEFT JOIN predictions pr ON pr.rowid = b.pid
 WHERE (?6 IS NULL OR pr.predicted = ?6) AND (?7 IS NULL OR pr.confidence >= ?7)
   AND (?8 IS NULL OR pr.confidence <= ?8)
)sql";

struct ListedRow
{
    std::int64_t id;
    std::optional<double> confidence;
    std::string predicted;
    bool operator==(const ListedRow &) const = default;
};

QString describe(const std::vector<ListedRow> &rows)
{
    QStringList items;
    for (const auto &r : rows)
        items << QString("%1:%2").arg(r.id).arg(r.confidence ? QString::number(*r.confidence) : "-");
    return items.join(' ');
}

std::vector<ListedRow> referenceRows(Database &db, const pw::catalog::ImageFilter &f)
{
    using Sort = pw::catalog::ImageFilter::Sort;
    const char *key = f.sort == Sort::Path    ? "b.path"
                      : f.sort == Sort::Added ? "b.valid_from"
                                              : "coalesce(pr.confidence, -1.0)";
    Statement st = db.prepare(std::string(kReferenceQuery) + " ORDER BY " + key + ", b.id");
    st.bind(1, f.asOfVersion).bind(2, f.table).bind(3, f.rejected ? "rejected" : "ok").bind(4, f.label);
    st.bind(5, f.labelSource).bind(6, f.predicted).bind(7, f.minConfidence).bind(8, f.maxConfidence);
    std::vector<ListedRow> rows;
    while (st.step())
        rows.push_back({st.int64(0), st.isNull(1) ? std::nullopt : std::optional(st.real(1)), st.text(2)});
    return rows;
}

} // namespace

void tst_Catalog::buildBrowseFixture()
{
    buildFixture();
    // 60 images of "big", inserted out of path order; versions 1-4 committed, 5 pending (its rows are invisible).
    for (int n = 0; n < 60; ++n) {
        const int i = (n * 37) % 60;
        const std::string path = "big/" + std::to_string(1000 + i) + ".png";
        const char *labels[] = {"cat", "dog", nullptr};
        const std::int64_t from = i % 10 == 9 ? 5 : 1 + i % 4;
        const bool relabelled = i % 7 == 0 && from < 5; // superseded by a row one version later
        std::optional<std::string> label = labels[i % 3] ? std::optional<std::string>(labels[i % 3]) : std::nullopt;
        Statement st = m_db->prepare(
            "INSERT INTO images(table_name, path, source, size, mtime_ns, label, label_source, status, reason, "
            "valid_from, valid_to) VALUES ('big', ?, '/src', 100, 1, ?, ?, ?, ?, ?, ?)");
        const bool rejected = i % 13 == 5;
        st.bind(1, path).bind(2, label).bind(3, label ? std::optional<std::string>(i % 2 ? "human" : "path")
                                                      : std::nullopt);
        st.bind(4, rejected ? "rejected" : "ok").bind(5, rejected ? std::optional<std::string>("bad") : std::nullopt);
        st.bind(6, from).bind(7, relabelled ? std::optional(from + 1) : std::nullopt);
        st.exec();
        if (relabelled) {
            Statement again = m_db->prepare(
                "INSERT INTO images(table_name, path, source, size, mtime_ns, label, label_source, status, valid_from) "
                "VALUES ('big', ?, '/src', 100, 1, 'bird', 'human', 'ok', ?)");
            again.bind(1, path).bind(2, from + 1);
            again.exec();
        }
        // Predictions: none for every fifth image; model a in version 2-4 (confidences repeat: ties); model b
        // rescoring some in a later version or at a later time of the same version.
        auto predict = [&](const char *model, std::int64_t version, const char *predicted, double confidence,
                           const char *at) {
            Statement p = m_db->prepare(
                "INSERT INTO predictions(table_name, path, model_name, model_version, predicted, "
                "confidence, top5, version, scored_at) VALUES ('big', ?, ?, 1, ?, ?, '[]', ?, ?)");
            p.bind(1, path).bind(2, model).bind(3, predicted).bind(4, confidence).bind(5, version).bind(6, at);
            p.exec();
        };
        if (i % 5 == 0)
            continue;
        const double confidences[] = {0.25, 0.5, 0.75, 0.5};
        predict("a", 2 + i % 3, i % 2 ? "dog" : "cat", confidences[i % 4], "2026-01-01T00:00:00Z");
        if (i % 4 == 1)
            predict("b", 2 + i % 3, "cat", 0.9, "2026-01-02T00:00:00Z"); // same version, scored later: newest
        if (i % 6 == 2)
            predict("b", 4, "dog", 0.5, "2026-01-03T00:00:00Z");
    }
    // "train" too: images without predictions but for one.
    Statement p = m_db->prepare("INSERT INTO predictions(table_name, path, model_name, model_version, predicted, "
                                "confidence, top5, version, scored_at) VALUES ('train', 'a.png', 'a', 1, 'cat', 0.5, "
                                "'[]', 2, '2026-01-01T00:00:00Z')");
    p.exec();
}

void tst_Catalog::pagesMatchReference_data()
{
    using Sort = pw::catalog::ImageFilter::Sort;
    QTest::addColumn<int>("sort");
    QTest::addColumn<QString>("table");
    QTest::addColumn<QString>("filter");
    QTest::addColumn<int>("pageSize");
    const std::pair<Sort, const char *> sorts[] = {
        {Sort::Path, "path"}, {Sort::Confidence, "confidence"}, {Sort::Added, "added"}};
    const char *filters[] = {"",
                             "label=cat",
                             "source=human",
                             "predicted=dog",
                             "min=0.5",
                             "max=0.5",
                             "min=0.3,max=0.8",
                             "rejected",
                             "asof=1",
                             "asof=2",
                             "asof=3",
                             "label=cat,min=0.5",
                             "predicted=cat,asof=3"};
    for (const auto &[sort, sortName] : sorts) {
        for (const char *filter : filters)
            for (int pageSize : {1, 4, 1000})
                QTest::addRow("big, %s, %s, %d per page", sortName, *filter ? filter : "all", pageSize)
                    << int(sort) << "big" << filter << pageSize;
        QTest::addRow("train, %s, all, 2 per page", sortName) << int(sort) << "train"
                                                              << "" << 2;
    }
}

void tst_Catalog::pagesMatchReference()
{
    QFETCH(int, sort);
    QFETCH(QString, table);
    QFETCH(QString, filter);
    QFETCH(int, pageSize);
    buildBrowseFixture();
    pw::catalog::ImageFilter f;
    f.table = table.toStdString();
    f.sort = pw::catalog::ImageFilter::Sort(sort);
    for (const QString &item : filter.split(',', Qt::SkipEmptyParts)) {
        const QString name = item.section('=', 0, 0), value = item.section('=', 1);
        if (name == "label")
            f.label = value.toStdString();
        else if (name == "source")
            f.labelSource = value.toStdString();
        else if (name == "predicted")
            f.predicted = value.toStdString();
        else if (name == "min")
            f.minConfidence = value.toDouble();
        else if (name == "max")
            f.maxConfidence = value.toDouble();
        else if (name == "rejected")
            f.rejected = true;
        else if (name == "asof")
            f.asOfVersion = value.toLongLong();
    }
    const std::vector<ListedRow> expected = referenceRows(*m_db, f);
    QVERIFY(!expected.empty() || filter == "rejected" || table != "big");
    std::vector<ListedRow> paged;
    std::optional<pw::catalog::Cursor> cursor;
    for (int pages = 0; pages <= int(expected.size()) + 1; ++pages) {
        const auto page = pw::catalog::queryImages(*m_db, f, cursor, pageSize);
        QVERIFY(int(page.size()) <= pageSize);
        for (const auto &r : page)
            paged.push_back({r.id, r.confidence, r.predicted});
        if (int(page.size()) < pageSize)
            break;
        cursor = pw::catalog::cursorAfter(page.back(), f.sort);
    }
    QVERIFY2(paged == expected, qPrintable("paged:    " + describe(paged) + "\nexpected: " + describe(expected)));
}

QTEST_GUILESS_MAIN(tst_Catalog)
#include "tst_catalog.moc"
