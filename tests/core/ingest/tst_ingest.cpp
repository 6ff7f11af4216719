// Ingest over generated folders: every bad-input class, unicode names, symlinks, duplicates,
// changed and added files, time travel, cancel and resume, thumbnails.
#include "core/catalog/Catalog.h"
#include "core/catalog/ThumbnailStore.h"
#include "core/ingest/Ingestor.h"
#include "core/store/Database.h"
#include "core/store/Workspace.h"
#include "tests/TestData.h"

#include <QDir>
#include <QFile>
#include <QTemporaryDir>
#include <QTest>

#include <thread>

#include <unistd.h>

using namespace pw;

class tst_Ingest : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void init();
    void firstIngestCountsEveryFile();
    void rejectedReasons_data();
    void rejectedReasons();
    void tooLargeImagesSayTheirSizeAndTheLimit_data();
    void tooLargeImagesSayTheirSizeAndTheLimit();
    void labelsAndStats();
    void rerunWithNothingNewMakesNoVersion();
    void changedAndAddedFilesMakeOneVersion();
    void timeTravel();
    void globOverridesTheFilter();
    void labelRules_data();
    void labelRules();
    void thumbnails();
    void cancelKeepsBatchesAndRerunResumes();
    void otherOperationDiscardsAnInterruptedVersion();
    void missingSourceIsAClearError();

private:
    QString src(const QString &rel) const { return m_dir->filePath("src/" + rel); }
    ingest::IngestResult run(const QString &sourceRel = "src", const std::string &table = "images");
    catalog::TableStats stats(const std::string &table = "images", std::optional<std::int64_t> asOf = {});

    std::unique_ptr<QTemporaryDir> m_dir;
    std::optional<store::Workspace> m_ws;
    QByteArray m_catBytes;
};

// The tree every test starts from: 9 good images (one duplicated under a second path), 6 bad files,
// plus entries that must not count (a text file, a hidden file, a symlink loop).
void tst_Ingest::init()
{
    m_dir = std::make_unique<QTemporaryDir>();
    QVERIFY(m_dir->isValid());
    m_ws = store::Workspace::open(m_dir->filePath("ws").toStdString());

    m_catBytes = test::encodeImage("png", 32, 32, 3, 1);
    QVERIFY(test::writeFile(src("001.cat/a.png"), m_catBytes));
    QVERIFY(test::writeImage(src("001.cat/b.jpg"), 40, 30, 3, 2));
    QVERIFY(test::writeImage(src("001.cat/nested/deeper/c.bmp"), 16, 16, 3, 3));
    QVERIFY(test::writeImage(src("002.dog/d.tif"), 20, 10, 1, 4));
    QVERIFY(test::writeImage(src("002.dog/e.webp"), 24, 24, 3, 5));
    QVERIFY(test::writeFile(src("002.dog/UPPER.PNG"), test::encodeImage("png", 8, 8, 4, 6)));
    QVERIFY(test::writeFile(src("002.dog/copy of a.png"), m_catBytes)); // same bytes, second path
    QVERIFY(test::writeImage(src(QString::fromUtf8("003.bird with space/ü ñ 日本.png")), 12, 12, 1, 7));
    QVERIFY(test::writeImage(src("003.bird with space/folder.png/inner.png"), 10, 10, 3, 8)); // a folder named .png

    const QByteArray png = test::encodeImage("png", 64, 64, 3, 9);
    const QByteArray jpg = test::encodeImage("jpg", 64, 64, 3, 10);
    QVERIFY(test::writeFile(src("001.cat/empty.png"), {}));
    QVERIFY(test::writeFile(src("001.cat/text.jpg"), "this is not an image"));
    QVERIFY(test::writeFile(src("002.dog/trunc.png"), png.left(png.size() / 2)));
    QVERIFY(test::writeFile(src("002.dog/trunc.jpg"), jpg.left(jpg.size() / 2)));
    QVERIFY(test::writeFile(src("002.dog/bomb.png"), test::pngHeaderOnly(20000, 20000)));
    QVERIFY(QFile::link(src("002.dog/nowhere"), src("002.dog/dangling.png")));

    QVERIFY(test::writeFile(src("001.cat/notes.txt"), "not matched by the filter"));
    QVERIFY(test::writeImage(src("001.cat/.hidden.png"), 8, 8));
    QVERIFY(QFile::link(m_dir->filePath("src"), src("001.cat/loop"))); // a directory symlink loop
}

ingest::IngestResult tst_Ingest::run(const QString &sourceRel, const std::string &table)
{
    ingest::IngestOptions o;
    o.source = m_dir->filePath(sourceRel).toStdString();
    o.table = table;
    o.commitEvery = 3; // several batches even on small trees
    return ingest::ingest(*m_ws, o);
}

catalog::TableStats tst_Ingest::stats(const std::string &table, std::optional<std::int64_t> asOf)
{
    auto db = m_ws->openCatalog();
    return catalog::Catalog(*db).stats(table, asOf);
}

void tst_Ingest::firstIngestCountsEveryFile()
{
    const auto r = run();
    QCOMPARE(r.discovered, 15);
    QCOMPARE(r.added, 9);
    QCOMPARE(r.rejected, 6);
    QCOMPARE(r.updated, 0);
    QCOMPARE(r.unchanged, 0);
    QCOMPARE(r.version, 1);
    QVERIFY(!r.resumed);
    QCOMPARE(qsizetype(r.rejectedFiles.size()), 6);
    // The loop is reported, never walked twice.
    bool loopReported = false;
    for (const auto &w : r.warnings)
        loopReported = loopReported || w.find("already visited") != std::string::npos;
    QVERIFY(loopReported);

    auto db = m_ws->openCatalog();
    catalog::Catalog cat(*db);
    QCOMPARE(cat.latestVersion(), 1);
    const auto history = cat.history();
    QCOMPARE(qsizetype(history.size()), 1);
    QCOMPARE(history[0].operation, std::string("INGEST"));
    QVERIFY(history[0].metrics.find("\"added\":9") != std::string::npos);
    // Same bytes under two paths: two rows, one hash.
    store::Statement st(*db, "SELECT count(*), count(DISTINCT content_hash) FROM images WHERE path LIKE '%a.png'");
    QVERIFY(st.step());
    QCOMPARE(st.int64(0), 2);
    QCOMPARE(st.int64(1), 1);
}

void tst_Ingest::rejectedReasons_data()
{
    QTest::addColumn<QString>("file");
    QTest::addColumn<QString>("reasonStart");
    QTest::newRow("empty") << "001.cat/empty.png"
                           << "empty file";
    QTest::newRow("not an image") << "001.cat/text.jpg"
                                  << "not an image";
    QTest::newRow("truncated png") << "002.dog/trunc.png"
                                   << "truncated or corrupt";
    QTest::newRow("truncated jpeg") << "002.dog/trunc.jpg"
                                    << "truncated or corrupt";
    QTest::newRow("decompression bomb") << "002.dog/bomb.png"
                                        << "too large: 20000x20000 (400.0 megapixels) exceeds --max-megapixels 100";
    QTest::newRow("dangling symlink") << "002.dog/dangling.png"
                                      << "unreadable";
}

void tst_Ingest::rejectedReasons()
{
    QFETCH(QString, file);
    QFETCH(QString, reasonStart);
    run();
    auto db = m_ws->openCatalog();
    const auto rejected = catalog::Catalog(*db).rejected("images");
    QCOMPARE(qsizetype(rejected.size()), 6);
    const std::string path = QDir(m_dir->filePath("src")).canonicalPath().toStdString() + "/" + file.toStdString();
    auto it = std::find_if(rejected.begin(), rejected.end(), [&](const auto &f) { return f.path == path; });
    QVERIFY2(it != rejected.end(), path.c_str());
    QVERIFY2(QString::fromStdString(it->reason).startsWith(reasonStart), it->reason.c_str());
}

// An image over --max-megapixels, or over what the decoder takes, is rejected as too large with its size and
// the limit, never as "truncated or corrupt" (each file here would fail to decode, but for the first row's).
void tst_Ingest::tooLargeImagesSayTheirSizeAndTheLimit_data()
{
    QTest::addColumn<QByteArray>("bytes");
    QTest::addColumn<double>("maxMegapixels");
    QTest::addColumn<QString>("reason");
    QTest::newRow("a whole image over --max-megapixels")
        << test::encodeImage("png", 300, 200, 3, 1) << 0.05
        << "too large: 300x200 (0.1 megapixels) exceeds --max-megapixels 0.05";
    QTest::newRow("over --max-megapixels") << test::pngHeaderOnly(12000, 9000) << 50.0
                                           << "too large: 12000x9000 (108.0 megapixels) exceeds --max-megapixels 50";
    QTest::newRow("over a fractional limit") << test::pngHeaderOnly(4000, 4000) << 12.5
                                             << "too large: 4000x4000 (16.0 megapixels) exceeds --max-megapixels 12.5";
    const QString decoder = "exceeds what the image decoder takes (1073.7 megapixels, 1048576x1048576 pixels at most)";
    QTest::newRow("within --max-megapixels, over the decoder's pixels")
        << test::pngHeaderOnly(40000, 30000) << 2000.0 << "too large: 40000x30000 (1200.0 megapixels) " + decoder;
    QTest::newRow("within --max-megapixels, wider than the decoder takes")
        << test::pngHeaderOnly(2000000, 10) << 100.0 << "too large: 2000000x10 (20.0 megapixels) " + decoder;
}

void tst_Ingest::tooLargeImagesSayTheirSizeAndTheLimit()
{
    QFETCH(QByteArray, bytes);
    QFETCH(double, maxMegapixels);
    QFETCH(QString, reason);
    QVERIFY(test::writeFile(m_dir->filePath("large/001.big/image.png"), bytes));
    ingest::IngestOptions o;
    o.source = m_dir->filePath("large").toStdString();
    o.table = "large";
    o.maxMegapixels = maxMegapixels;
    const auto r = ingest::ingest(*m_ws, o);
    QCOMPARE(r.rejected, 1);
    QCOMPARE(QString::fromStdString(r.rejectedFiles.at(0).reason), reason);
    auto db = m_ws->openCatalog();
    const auto recorded = catalog::Catalog(*db).rejected("large");
    QCOMPARE(qsizetype(recorded.size()), 1);
    QCOMPARE(QString::fromStdString(recorded[0].reason), reason);
}

void tst_Ingest::labelsAndStats()
{
    run();
    const auto s = stats();
    QCOMPARE(s.images, 9);
    QCOMPARE(s.labeled, 9);
    QCOMPARE(s.unlabeled, 0);
    QCOMPARE(s.rejected, 6);
    QCOMPARE(s.labels.at("cat"), 3);
    QCOMPARE(s.labels.at("dog"), 4);
    QCOMPARE(s.labels.at("bird with space"), 2);
    auto db = m_ws->openCatalog();
    store::Statement st(*db, "SELECT label_id, width, height, channels, format FROM images WHERE path LIKE ?");
    st.bind(1, "%/" + std::string(QString::fromUtf8("ü ñ 日本.png").toUtf8().constData()));
    QVERIFY(st.step());
    QCOMPARE(st.int64(0), 3);
    QCOMPARE(st.int64(1), 12);
    QCOMPARE(st.int64(2), 12);
    QCOMPARE(st.int64(3), 1);
    QCOMPARE(st.text(4), std::string("png"));
}

void tst_Ingest::rerunWithNothingNewMakesNoVersion()
{
    run();
    const auto r = run();
    QCOMPARE(r.version, 1);
    QCOMPARE(r.discovered, 15);
    QCOMPARE(r.unchanged, 15);
    QCOMPARE(r.added + r.updated + r.rejected, 0);
    auto db = m_ws->openCatalog();
    QCOMPARE(qsizetype(catalog::Catalog(*db).history().size()), 1);
}

void tst_Ingest::changedAndAddedFilesMakeOneVersion()
{
    run();
    // A changed file (new content, new mtime), a fixed broken file, two new files.
    QVERIFY(test::writeImage(src("001.cat/b.jpg"), 40, 30, 3, 99));
    QVERIFY(test::touchFile(src("001.cat/b.jpg"), 0));
    QVERIFY(test::writeImage(src("001.cat/empty.png"), 20, 20, 3, 11));
    QVERIFY(test::writeImage(src("004.fish/f1.png"), 20, 20, 3, 12));
    QVERIFY(test::writeImage(src("004.fish/f2.png"), 20, 20, 3, 13));
    const auto r = run();
    QCOMPARE(r.version, 2);
    QCOMPARE(r.discovered, 17);
    QCOMPARE(r.added, 2);
    QCOMPARE(r.updated, 2);
    QCOMPARE(r.rejected, 0);
    QCOMPARE(r.unchanged, 13);
    const auto s = stats();
    QCOMPARE(s.images, 12);
    QCOMPARE(s.rejected, 5);
    QCOMPARE(s.labels.at("fish"), 2);
    // One current row per path; the old row of b.jpg is kept for time travel.
    auto db = m_ws->openCatalog();
    store::Statement st(*db, "SELECT count(*), sum(valid_to IS NULL) FROM images WHERE path LIKE '%/b.jpg'");
    QVERIFY(st.step());
    QCOMPARE(st.int64(0), 2);
    QCOMPARE(st.int64(1), 1);
}

void tst_Ingest::timeTravel()
{
    run();
    QVERIFY(test::writeImage(src("004.fish/f1.png"), 20, 20, 3, 12));
    QVERIFY(QFile::remove(src("001.cat/empty.png")));
    QVERIFY(test::writeImage(src("001.cat/empty.png"), 20, 20, 3, 11)); // fixed: now a cat image
    QCOMPARE(run().version, 2);
    const auto v1 = stats("images", 1);
    const auto v2 = stats("images", 2);
    QCOMPARE(v1.version, 1);
    QCOMPARE(v1.images, 9);
    QCOMPARE(v1.rejected, 6);
    QCOMPARE(v1.labels.count("fish"), size_t(0));
    QCOMPARE(v1.labels.at("cat"), 3);
    QCOMPARE(v2.images, 11);
    QCOMPARE(v2.rejected, 5);
    QCOMPARE(v2.labels.at("fish"), 1);
    QCOMPARE(v2.labels.at("cat"), 4);
    QCOMPARE(stats("images", 0).images, 0);
    QVERIFY_THROWS_EXCEPTION(std::runtime_error, stats("images", 3));
}

void tst_Ingest::globOverridesTheFilter()
{
    ingest::IngestOptions o;
    o.source = m_dir->filePath("src").toStdString();
    o.glob = "*.png";
    const auto r = ingest::ingest(*m_ws, o);
    // a.png, copy of a.png, ü ñ 日本.png, inner.png, empty.png, trunc.png, bomb.png, dangling.png
    QCOMPARE(r.discovered, 8);
    o.glob = "002.dog/*";
    o.table = "dogs";
    const auto dogs = ingest::ingest(*m_ws, o);
    QCOMPARE(dogs.discovered, 8); // everything under 002.dog, including non-image names if any
}

void tst_Ingest::labelRules_data()
{
    QTest::addColumn<QString>("rule");
    QTest::addColumn<QString>("expectedLabel");
    QTest::newRow("caltech") << "caltech"
                             << "cat";
    QTest::newRow("folder") << "folder"
                            << "001.cat";
    QTest::newRow("none") << "none"
                          << "";
}

void tst_Ingest::labelRules()
{
    QFETCH(QString, rule);
    QFETCH(QString, expectedLabel);
    ingest::IngestOptions o;
    o.source = m_dir->filePath("src").toStdString();
    o.labels = *ingest::parseLabelRule(rule.toStdString());
    ingest::ingest(*m_ws, o);
    auto db = m_ws->openCatalog();
    store::Statement st(*db, "SELECT coalesce(label, ''), label_source FROM images WHERE path LIKE '%/001.cat/a.png'");
    QVERIFY(st.step());
    QCOMPARE(QString::fromStdString(st.text(0)), expectedLabel);
    QCOMPARE(st.isNull(1), expectedLabel.isEmpty());
    QCOMPARE(stats().unlabeled, expectedLabel.isEmpty() ? 9 : 0);
}

void tst_Ingest::thumbnails()
{
    QVERIFY(test::writeImage(src("005.big/photo.jpg"), 600, 400, 3, 20));
    run();
    auto db = m_ws->openCatalog();
    store::Statement st(*db, "SELECT content_hash FROM images WHERE path LIKE '%photo.jpg'");
    QVERIFY(st.step());
    auto thumbsDb = m_ws->openThumbnails();
    catalog::ThumbnailStore thumbs(*thumbsDb);
    const auto t = thumbs.find(st.text(0));
    QVERIFY(t.has_value());
    QCOMPARE(t->format, std::string("jpeg"));
    QCOMPARE(t->width, 256);
    QCOMPARE(t->height, 171);
    QVERIFY(t->data.size() > 100);
    // Small PNG/JPEG files are their own thumbnails: nothing stored for them.
    QCOMPARE(thumbs.count(), 1 + 3); // photo.jpg plus the small BMP, TIFF and WebP, re-encoded as JPEG
}

void tst_Ingest::cancelKeepsBatchesAndRerunResumes()
{
    for (int i = 0; i < 30; ++i)
        QVERIFY(test::writeImage(src(QString("006.many/%1.png").arg(i)), 8, 8, 1, 100 + i));
    std::atomic<bool> cancel{false};
    ingest::IngestOptions o;
    o.source = m_dir->filePath("src").toStdString();
    o.commitEvery = 4;
    o.threads = 1;
    // The ingest waits after its first committed batch until the cancel comes, which a watcher sends once it sees
    // that batch in the catalog: the cancel lands while most batches are still to come.
    qputenv("PIPEWRIGHT_TEST_HOLD_AFTER_ROWS", "4");
    std::atomic<bool> watching{true};
    std::thread watcher([&] {
        auto db = m_ws->openCatalog();
        while (watching && !cancel) {
            store::Statement st(*db, "SELECT count(*) FROM images");
            if (st.step() && st.int64(0) > 0)
                cancel = true;
            else
                std::this_thread::sleep_for(std::chrono::milliseconds(5)); // paces the poll
        }
    });
    const auto first = ingest::ingest(*m_ws, o, {}, &cancel);
    watching = false;
    watcher.join();
    qunsetenv("PIPEWRIGHT_TEST_HOLD_AFTER_ROWS");
    QVERIFY(first.cancelled);
    QCOMPARE(first.version, 0); // nothing visible yet: not even the table
    QCOMPARE(stats("").images, 0);
    QVERIFY_THROWS_EXCEPTION(std::runtime_error, stats("images"));
    {
        auto db = m_ws->openCatalog();
        store::Statement st(*db, "SELECT count(*) FROM images");
        QVERIFY(st.step());
        QVERIFY2(st.int64(0) > 0 && st.int64(0) < 45, "some, not all, batches committed before the cancel");
    }

    const auto second = ingest::ingest(*m_ws, o);
    QVERIFY(second.resumed);
    QCOMPARE(second.version, 1);
    QCOMPARE(second.discovered, 45);
    QCOMPARE(second.added, 39);
    QCOMPARE(second.rejected, 6);
    QCOMPARE(second.unchanged, 0);
    auto db = m_ws->openCatalog();
    store::Statement st(*db, "SELECT count(*), count(DISTINCT path) FROM images");
    QVERIFY(st.step());
    QCOMPARE(st.int64(0), 45);
    QCOMPARE(st.int64(1), 45);
    QCOMPARE(qsizetype(catalog::Catalog(*db).history().size()), 1);
}

void tst_Ingest::otherOperationDiscardsAnInterruptedVersion()
{
    QVERIFY(test::writeImage(m_dir->filePath("other/001.x/x.png"), 8, 8));
    {
        // An interrupted ingest: a pending version with rows, as a killed run leaves it.
        auto db = m_ws->openCatalog();
        catalog::Catalog cat(*db);
        const auto v = cat.beginVersion("INGEST", "{}", "INGEST\nimages\n/somewhere/else");
        store::Statement st(*db, "INSERT INTO images(table_name, path, size, mtime_ns, status, valid_from) "
                                 "VALUES ('images', '/somewhere/else/1.png', 1, 1, 'ok', ?)");
        st.bind(1, v).exec();
    }
    const auto r = run("other");
    QCOMPARE(r.version, 1);
    QCOMPARE(r.added, 1);
    bool warned = false;
    for (const auto &w : r.warnings)
        warned = warned || w.find("discarded unfinished catalog version 1") != std::string::npos;
    QVERIFY(warned);
    auto db = m_ws->openCatalog();
    store::Statement st(*db, "SELECT count(*) FROM images WHERE path = '/somewhere/else/1.png'");
    QVERIFY(st.step());
    QCOMPARE(st.int64(0), 0);
}

void tst_Ingest::missingSourceIsAClearError()
{
    ingest::IngestOptions o;
    o.source = m_dir->filePath("does-not-exist").toStdString();
    try {
        ingest::ingest(*m_ws, o);
        QFAIL("no error for a missing source");
    } catch (const std::runtime_error &e) {
        QVERIFY2(std::string(e.what()).find("does-not-exist") != std::string::npos, e.what());
    }
}

QTEST_GUILESS_MAIN(tst_Ingest)
#include "tst_ingest.moc"
