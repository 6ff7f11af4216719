// The Images page: core image queries (keyset paging for every sort, filters, lineage) on a real workspace with
// merged predictions; the thumbnail list model under QAbstractItemModelTester with fetchMore; thumbnails arriving
// as DecorationRole-only dataChanged while the GUI thread keeps running; the page's Browse and Catalog tabs; the
// page's read-ahead (the next page fetched while the end is still screens away); the page with real events: the first
// click after a label filter selects, selecting does not reflow the grid, the unlabeled choice, the total and a scroll
// bar over the whole result, the largest or last used table first, the selection kept by image across a reload.
#include "core/catalog/ImageQuery.h"
#include "core/ingest/Ingestor.h"
#include "core/score/Scoring.h"
#include "core/store/Database.h"
#include "core/store/Workspace.h"
#include "tests/TestData.h"
#include "ui/catalog/CatalogPage.h"
#include "ui/images/ImageDetailPane.h"
#include "ui/images/ImageListModel.h"
#include "ui/images/ImagesPage.h"
#include "ui/images/LabelCountChart.h"
#include "ui/review/ThumbnailLoader.h"

#include <QAbstractItemModelTester>
#include <QBuffer>
#include <QComboBox>
#include <QLabel>
#include <QLineEdit>
#include <QSettings>
#include <QStandardPaths>
#include <QStyle>
#include <QStyleOptionSlider>
#include <QElapsedTimer>
#include <QIcon>
#include <QListView>
#include <QScrollBar>
#include <QSignalSpy>
#include <QTabWidget>
#include <QTemporaryDir>
#include <QTest>
#include <QTimer>
#include <QTreeWidget>

#include <set>

using namespace pw;
using Sort = catalog::ImageFilter::Sort;
Q_DECLARE_METATYPE(catalog::ImageFilter::Sort)

class tst_ImagesPage : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void keysetPagingReturnsEveryRowOnce_data();
    void keysetPagingReturnsEveryRowOnce();
    void filters_data();
    void filters();
    void imageDetailLineage();
    void listModelFetchesPages();
    void thumbnailsArriveWithoutBlocking();
    void pageShowsBrowseAndCatalogTabs();
    void catalogTabWaitsForTheFirstPage();
    void ownThumbnailsSkipTheStore();
    void pageReadsAheadWhileScrolling();
    void firstClickAfterALabelFilterSelects_data();
    void firstClickAfterALabelFilterSelects();
    void selectingDoesNotReflowTheGrid();
    void unlabeledChoice();
    void opensOnTheLargestOrLastUsedTable();
    void reloadKeepsTheSelectedImage();

private:
    /** Shows `page` on `root` at 1366x768 and waits until its first rows and counts are in. */
    static bool openPage(ui::ImagesPage &page, const QString &root);
    /** A click on the thumbnail of `row`. */
    static void clickRow(ui::ImagesPage &page, int row);

private:
    std::unique_ptr<store::Database> catalogDb() const;
    QTemporaryDir m_dir;
    QString m_ws;
    std::vector<catalog::ImageRow> m_byPath; // the valid images of "pets", sorted by path
    std::int64_t m_ingestVersion = 0;
};

static constexpr int kCats = 5, kDogs = 4, kImages = kCats + kDogs;

std::unique_ptr<store::Database> tst_ImagesPage::catalogDb() const
{
    return store::Workspace::open(m_ws.toStdString()).openCatalog();
}

void tst_ImagesPage::initTestCase()
{
    QVERIFY(m_dir.isValid());
    QStandardPaths::setTestModeEnabled(true); // the page's QSettings (last used table) stay out of the user's
    m_ws = m_dir.filePath("ws");
    for (int i = 0; i < kCats; ++i)
        QVERIFY(test::writeImage(m_dir.filePath(QString("a/001.cat/%1.png").arg(i)), 12, 12, 3, i));
    for (int i = 0; i < kDogs; ++i)
        QVERIFY(test::writeImage(m_dir.filePath(QString("a/002.dog/%1.png").arg(i)), 12, 12, 3, 10 + i));
    QVERIFY(test::writeFile(m_dir.filePath("a/002.dog/broken.png"), "broken"));
    const auto ws = store::Workspace::open(m_ws.toStdString());
    ingest::IngestOptions o;
    o.source = m_dir.filePath("a").toStdString();
    o.table = "pets";
    ingest::ingest(ws, o);
    // A smaller table, first by name: one labeled image and one unlabeled (a file directly in the source folder).
    QVERIFY(test::writeImage(m_dir.filePath("small/001.cat/x.png"), 12, 12, 3, 40));
    QVERIFY(test::writeImage(m_dir.filePath("small/loose.png"), 12, 12, 3, 41));
    ingest::IngestOptions small;
    small.source = m_dir.filePath("small").toStdString();
    small.table = "aaa-small";
    QCOMPARE(ingest::ingest(ws, small).added, 2);

    auto db = ws.openCatalog();
    catalog::ImageFilter all;
    all.table = "pets";
    m_byPath = catalog::queryImages(*db, all, {}, 1000);
    QCOMPARE(int(m_byPath.size()), kImages);
    m_ingestVersion = m_byPath.front().validFrom;

    // Image i (by path) is predicted cat/dog alternately with confidence 0.1 + 0.1 i. The images are labeled by their
    // folders: review "labeled" queues the four whose prediction differs from the label (i = 1, 3, 6, 8).
    std::vector<score::PredictionRow> rows;
    for (int i = 0; i < kImages; ++i) {
        const auto &r = m_byPath[std::size_t(i)];
        const std::string predicted = i % 2 ? "dog" : "cat";
        const double confidence = 0.1 + 0.1 * i;
        rows.push_back({r.path, r.contentHash, predicted, confidence,
                        "[{\"label\": \"" + predicted + "\", \"probability\": " + std::to_string(confidence)
                            + "}, {\"label\": \"other\", \"probability\": 0.01}]"});
    }
    score::MergeOptions m;
    m.table = "pets";
    m.model = "pets-cnn";
    m.modelVersion = 1;
    m.threshold = 0.5;
    m.review = score::ReviewMode::All;
    store::WriterLock lock(ws);
    const auto stats = score::mergePredictions(*db, m, rows);
    QCOMPARE(stats.inserted, kImages);
    QCOMPARE(stats.queued, 4);
}

void tst_ImagesPage::keysetPagingReturnsEveryRowOnce_data()
{
    QTest::addColumn<Sort>("sort");
    QTest::addColumn<int>("pageSize");
    QTest::newRow("path, 1 per page") << Sort::Path << 1;
    QTest::newRow("path, 4 per page") << Sort::Path << 4;
    QTest::newRow("confidence, 2 per page") << Sort::Confidence << 2;
    QTest::newRow("confidence, 9 per page") << Sort::Confidence << 9;
    QTest::newRow("added, 1 per page") << Sort::Added << 1;
    QTest::newRow("added, 3 per page") << Sort::Added << 3;
}

void tst_ImagesPage::keysetPagingReturnsEveryRowOnce()
{
    QFETCH(Sort, sort);
    QFETCH(int, pageSize);
    auto db = catalogDb();
    catalog::ImageFilter f;
    f.table = "pets";
    f.sort = sort;
    std::vector<catalog::ImageRow> seen;
    std::optional<catalog::Cursor> cursor;
    for (int pages = 0; pages < 100; ++pages) {
        const auto page = catalog::queryImages(*db, f, cursor, pageSize);
        QVERIFY(int(page.size()) <= pageSize);
        seen.insert(seen.end(), page.begin(), page.end());
        if (int(page.size()) < pageSize)
            break;
        cursor = catalog::cursorAfter(page.back(), sort);
    }
    QCOMPARE(int(seen.size()), kImages);
    std::set<std::int64_t> ids;
    for (const auto &r : seen)
        ids.insert(r.id);
    QCOMPARE(int(ids.size()), kImages); // none twice
    for (std::size_t i = 1; i < seen.size(); ++i) {
        const auto &a = seen[i - 1], &b = seen[i];
        if (sort == Sort::Path)
            QVERIFY(a.path < b.path);
        else if (sort == Sort::Confidence)
            QVERIFY(*a.confidence < *b.confidence || (*a.confidence == *b.confidence && a.id < b.id));
        else
            QVERIFY(a.validFrom < b.validFrom || (a.validFrom == b.validFrom && a.id < b.id));
    }
}

void tst_ImagesPage::filters_data()
{
    QTest::addColumn<QString>("label");
    QTest::addColumn<QString>("predicted");
    QTest::addColumn<double>("minConfidence");
    QTest::addColumn<double>("maxConfidence");
    QTest::addColumn<bool>("rejected");
    QTest::addColumn<bool>("asOfIngest");
    QTest::addColumn<int>("expected");
    QTest::newRow("all") << QString() << QString() << -1.0 << -1.0 << false << false << kImages;
    QTest::newRow("label cat") << "cat" << QString() << -1.0 << -1.0 << false << false << kCats;
    QTest::newRow("label dog") << "dog" << QString() << -1.0 << -1.0 << false << false << kDogs;
    QTest::newRow("label unknown") << "cow" << QString() << -1.0 << -1.0 << false << false << 0;
    QTest::newRow("rejected") << QString() << QString() << -1.0 << -1.0 << true << false << 1;
    QTest::newRow("predicted dog") << QString() << "dog" << -1.0 << -1.0 << false << false << 4;
    QTest::newRow("confidence 0.25-0.65") << QString() << QString() << 0.25 << 0.65 << false << false << 4;
    QTest::newRow("confidence >= 0.55") << QString() << QString() << 0.55 << -1.0 << false << false << 4;
    QTest::newRow("confidence <= 0.15") << QString() << QString() << -1.0 << 0.15 << false << false << 1;
    QTest::newRow("cat, >= 0.45") << "cat" << QString() << 0.45 << -1.0 << false << false << 1;
    QTest::newRow("as of ingest: no predictions yet") << QString() << QString() << 0.0 << -1.0 << false << true << 0;
    QTest::newRow("as of ingest: all images") << QString() << QString() << -1.0 << -1.0 << false << true << kImages;
}

void tst_ImagesPage::filters()
{
    QFETCH(QString, label);
    QFETCH(QString, predicted);
    QFETCH(double, minConfidence);
    QFETCH(double, maxConfidence);
    QFETCH(bool, rejected);
    QFETCH(bool, asOfIngest);
    QFETCH(int, expected);
    catalog::ImageFilter f;
    f.table = "pets";
    if (!label.isEmpty())
        f.label = label.toStdString();
    if (!predicted.isEmpty())
        f.predicted = predicted.toStdString();
    if (minConfidence >= 0)
        f.minConfidence = minConfidence;
    if (maxConfidence >= 0)
        f.maxConfidence = maxConfidence;
    f.rejected = rejected;
    if (asOfIngest)
        f.asOfVersion = m_ingestVersion;
    auto db = catalogDb();
    const auto rows = catalog::queryImages(*db, f, {}, 1000);
    QCOMPARE(int(rows.size()), expected);
    for (const auto &r : rows) {
        QCOMPARE(r.status, rejected ? "rejected" : "ok");
        if (rejected)
            QVERIFY(!r.reason.empty());
        if (f.label)
            QCOMPARE(r.label, *f.label);
        if (f.predicted)
            QCOMPARE(r.predicted, *f.predicted);
        if (f.minConfidence)
            QVERIFY(r.confidence && *r.confidence >= *f.minConfidence);
        if (f.maxConfidence)
            QVERIFY(r.confidence && *r.confidence <= *f.maxConfidence);
        if (asOfIngest)
            QVERIFY(!r.confidence);
    }
    std::int64_t counted = 0;
    for (const auto &[name, n] : catalog::countByLabel(*db, f))
        counted += n;
    QCOMPARE(counted, std::int64_t(expected));
}

void tst_ImagesPage::imageDetailLineage()
{
    auto db = catalogDb();
    const auto &unsure = m_byPath[1]; // a cat predicted dog: queued for review
    const auto d = catalog::imageDetail(*db, "pets", unsure.path);
    QVERIFY(d.current);
    QCOMPARE(d.current->id, unsure.id);
    QCOMPARE(d.current->predicted, "dog");
    QCOMPARE(d.versions.size(), std::size_t(1));
    QCOMPARE(d.versions[0].validFrom, m_ingestVersion);
    QVERIFY(!d.versions[0].validTo);
    QCOMPARE(d.versions[0].labelSource, "path");
    QCOMPARE(d.predictions.size(), std::size_t(1));
    QCOMPARE(d.predictions[0].model, "pets-cnn");
    QCOMPARE(d.predictions[0].modelVersion, 1);
    QVERIFY(d.predictions[0].version > m_ingestVersion);
    QVERIFY(d.predictions[0].top5.find("other") != std::string::npos);
    QCOMPARE(d.reviews.size(), std::size_t(1));
    QCOMPARE(d.reviews[0].state, "pending");
    QVERIFY(!d.reviews[0].mergedVersion);

    const auto sure = catalog::imageDetail(*db, "pets", m_byPath[7].path); // a dog predicted dog: not queued
    QCOMPARE(sure.reviews.size(), std::size_t(0));
    const auto none = catalog::imageDetail(*db, "pets", "/no/such.png");
    QVERIFY(!none.current);
    QVERIFY(none.versions.empty());
}

void tst_ImagesPage::listModelFetchesPages()
{
    ui::ImageListModel model;
    QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
    model.setPageSize(2);
    QSignalSpy pages(&model, &ui::ImageListModel::pageLoaded);
    catalog::ImageFilter f;
    f.table = "pets";
    f.sort = Sort::Confidence;
    model.setQuery(m_ws, f);
    QVERIFY(!model.canFetchMore({})); // the first page is on its way
    // The tester fetches too (it calls fetchMore when canFetchMore): fetch until nothing is left either way.
    for (int guard = 0; guard < 20; ++guard) {
        if (model.isFetching()) {
            QVERIFY(pages.wait(5000));
            QVERIFY(pages.last().at(0).toString().isEmpty());
            continue;
        }
        if (!model.canFetchMore({}))
            break;
        model.fetchMore({});
        QVERIFY(model.isFetching());
        QVERIFY(!model.canFetchMore({})); // one fetch at a time
    }
    QVERIFY(pages.count() >= (kImages + 1) / 2);
    QCOMPARE(model.rowCount(), kImages);
    QVERIFY(!model.canFetchMore({}));
    std::set<QString> paths;
    for (int i = 0; i < model.rowCount(); ++i)
        paths.insert(model.index(i).data(ui::ImageListModel::PathRole).toString());
    QCOMPARE(int(paths.size()), kImages);
    QCOMPARE(model.index(0).data(ui::ImageListModel::ConfidenceRole).toDouble(), 0.1);

    // A new query starts over.
    f.label = "dog";
    model.setPageSize(100);
    model.setQuery(m_ws, f);
    QCOMPARE(model.rowCount(), 0);
    QVERIFY(pages.wait(5000));
    QCOMPARE(model.rowCount(), kDogs);
}

void tst_ImagesPage::thumbnailsArriveWithoutBlocking()
{
    ui::ImageListModel model;
    QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
    QSignalSpy pages(&model, &ui::ImageListModel::pageLoaded);
    catalog::ImageFilter f;
    f.table = "pets";
    model.setQuery(m_ws, f);
    QVERIFY(pages.wait(5000));
    QCOMPARE(model.rowCount(), kImages);

    QSignalSpy changed(&model, &QAbstractItemModel::dataChanged);
    QElapsedTimer asking;
    asking.start();
    for (int i = 0; i < kImages; ++i) {
        QVERIFY(model.index(i).data(Qt::DecorationRole).isNull()); // not loaded yet: queued, not read here
        QVERIFY(!model.index(i).data(ui::ImageListModel::ThumbnailLoadedRole).toBool());
    }
    QVERIFY2(asking.elapsed() < 200, "data() must not read thumbnails on the GUI thread");

    // The event loop keeps turning while they load: a 5 ms timer never waits long.
    QElapsedTimer sinceTick;
    sinceTick.start();
    qint64 longestGap = 0;
    QTimer tick;
    tick.setInterval(5);
    connect(&tick, &QTimer::timeout, this, [&] { longestGap = std::max(longestGap, sinceTick.restart()); });
    tick.start();
    QTRY_VERIFY_WITH_TIMEOUT(
        [&] {
            for (int i = 0; i < kImages; ++i)
                if (!model.index(i).data(ui::ImageListModel::ThumbnailLoadedRole).toBool())
                    return false;
            return true;
        }(),
        10000);
    tick.stop();
    QVERIFY2(longestGap < 500, qPrintable(QString("GUI thread blocked for %1 ms").arg(longestGap)));

    QVERIFY(changed.count() >= kImages);
    std::set<int> rows;
    for (const auto &args : changed) {
        const auto topLeft = args.at(0).value<QModelIndex>();
        QCOMPARE(topLeft, args.at(1).value<QModelIndex>());
        QCOMPARE(args.at(2).value<QList<int>>(), QList<int>{Qt::DecorationRole});
        rows.insert(topLeft.row());
    }
    QCOMPARE(int(rows.size()), kImages);
    const QIcon icon = model.index(0).data(Qt::DecorationRole).value<QIcon>();
    QVERIFY(!icon.isNull());
}

void tst_ImagesPage::pageShowsBrowseAndCatalogTabs()
{
    ui::ImagesPage page;
    QCOMPARE(page.tabs()->tabText(0), "Browse");
    QCOMPARE(page.tabs()->tabText(1), "Catalog");
    QCOMPARE(page.view()->viewMode(), QListView::IconMode);
    QVERIFY(page.view()->uniformItemSizes());
    QSignalSpy browsed(&page, &ui::ImagesPage::browseLoaded);
    QSignalSpy catalogLoaded(page.catalogPage(), &ui::CatalogPage::loaded);
    page.setWorkspace(m_ws);
    QVERIFY(browsed.wait(10000));
    QVERIFY(catalogLoaded.count() > 0 || catalogLoaded.wait(10000));
    QCOMPARE(page.currentFilter().table, "pets");
    const auto counts = page.chart()->counts();
    QCOMPARE(counts.at("cat"), kCats);
    QCOMPARE(counts.at("dog"), kDogs);
    QTRY_COMPARE_WITH_TIMEOUT(page.imageModel()->fetchedCount(), kImages, 60000);

    QSignalSpy shown(page.detailPane(), &ui::ImageDetailPane::detailShown);
    page.view()->setCurrentIndex(page.imageModel()->index(0));
    QVERIFY(shown.wait(5000));
    QCOMPARE(page.detailPane()->detail().predictions.size(), std::size_t(1));
    QCOMPARE(page.detailPane()->lineage()->topLevelItemCount(), 3);

    catalog::ImageFilter f = page.currentFilter();
    f.label = "dog";
    browsed.clear();
    page.setFilter(f);
    QVERIFY(browsed.wait(5000));
    QCOMPARE(page.chart()->counts().size(), std::size_t(1));
    QTRY_COMPARE_WITH_TIMEOUT(page.imageModel()->rowCount(), kDogs, 60000);
}

// Behind the Browse tab, the Catalog tab's load (whole-catalog counts: seconds at a million images) starts only once
// the listing's first page is in; with the Catalog tab in front it starts at once.
void tst_ImagesPage::catalogTabWaitsForTheFirstPage()
{
    {
        ui::ImagesPage page;
        QSignalSpy pages(page.imageModel(), &ui::ImageListModel::pageLoaded);
        QSignalSpy catalogLoading(page.catalogPage(), &ui::CatalogPage::loadingChanged);
        QSignalSpy catalogLoaded(page.catalogPage(), &ui::CatalogPage::loaded);
        page.setWorkspace(m_ws);
        QCOMPARE(catalogLoading.count(), 0);
        QVERIFY(catalogLoading.wait(10000));
        QCOMPARE(catalogLoading.first().first().toBool(), true);
        QVERIFY2(pages.count() >= 1, "the Catalog tab started loading before the first page of the listing");
        QVERIFY(catalogLoaded.count() > 0 || catalogLoaded.wait(10000));
    }
    {
        ui::ImagesPage page;
        page.tabs()->setCurrentWidget(page.catalogPage());
        QSignalSpy pages(page.imageModel(), &ui::ImageListModel::pageLoaded);
        QSignalSpy catalogLoading(page.catalogPage(), &ui::CatalogPage::loadingChanged);
        page.setWorkspace(m_ws);
        QCOMPARE(catalogLoading.count(), 1); // shown: it loads at once
        QCOMPARE(pages.count(), 0);
        QSignalSpy catalogLoaded(page.catalogPage(), &ui::CatalogPage::loaded);
        QVERIFY(catalogLoaded.wait(10000));
    }
}

// A small PNG or JPEG is its own thumbnail (thumbnails.db never holds one): a request that says so reads the file
// without asking the store. Shown with a store entry planted for the file's hash: asked, the store's (red) image
// comes back; not asked, the file's.
void tst_ImagesPage::ownThumbnailsSkipTheStore()
{
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const QString file = dir.filePath("small.png");
    QImage blue(8, 8, QImage::Format_RGB32);
    blue.fill(Qt::blue);
    QVERIFY(blue.save(file));
    const auto ws = store::Workspace::open(dir.filePath("ws").toStdString());
    {
        QImage red(8, 8, QImage::Format_RGB32);
        red.fill(Qt::red);
        QByteArray bytes;
        QBuffer buffer(&bytes);
        QVERIFY(red.save(&buffer, "PNG"));
        auto db = ws.openThumbnails();
        store::Statement st(*db, "INSERT INTO thumbnails(content_hash, format, width, height, data) VALUES "
                                 "('h', 'png', 8, 8, ?)");
        st.bindBlob(1, reinterpret_cast<const unsigned char *>(bytes.constData()), std::size_t(bytes.size()));
        st.exec();
    }
    for (const bool own : {false, true}) {
        const ui::ThumbnailLoader::Request r{"k", "h", file.toStdString(), own};
        const auto images = ui::ThumbnailLoader::load(ws.root(), {r}, 96);
        QCOMPARE(images.size(), std::size_t(1));
        QVERIFY(!images.front().second.isNull());
        QCOMPARE(QColor(images.front().second.pixel(0, 0)), own ? QColor(Qt::blue) : QColor(Qt::red));
    }
}

void tst_ImagesPage::pageReadsAheadWhileScrolling()
{
    // A table of 150 images, listed 4 rows per page: far more than the screens that read-ahead keeps fetched.
    constexpr int kMany = 150;
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    for (int i = 0; i < kMany; ++i)
        QVERIFY(test::writeImage(dir.filePath(QString("src/%1.thing/%2.png").arg(i % 3).arg(i, 3, 10, QChar('0'))), 8,
                                 8, 3, i));
    const QString root = dir.filePath("ws");
    {
        ingest::IngestOptions o;
        o.source = dir.filePath("src").toStdString();
        o.table = "many";
        ingest::ingest(store::Workspace::open(root.toStdString()), o);
    }

    ui::ImagesPage page;
    ui::ImageListModel *model = page.imageModel();
    // No QAbstractItemModelTester here: it calls fetchMore() whenever canFetchMore(), which would fetch every page
    // whatever the page does (listModelFetchesPages runs the model under one).
    model->setPageSize(4);
    page.resize(1000, 700);
    page.show();
    QVERIFY(QTest::qWaitForWindowExposed(&page));
    QListView *view = page.view();
    QScrollBar *bar = view->verticalScrollBar();
    // Turns the event loop until no page is on its way and none starts for a while.
    auto settle = [&] {
        for (int quiet = 0, guard = 0; quiet < 3 && guard < 500; ++guard) {
            QTest::qWait(20);
            quiet = model->isFetching() ? 0 : quiet + 1;
        }
        return !model->isFetching();
    };
    auto lastTop = [&] { return view->visualRect(model->index(model->fetchedCount() - 1)).top(); };
    const int screen = view->viewport()->height();
    QVERIFY(screen > 200);

    page.setWorkspace(root);
    QTRY_VERIFY_WITH_TIMEOUT(model->rowCount() > 0, 60000);
    // The total is counted apart: the page says it, and the model has that many rows (placeholders after the fetched
    // ones), so that the scroll bar spans the whole result.
    QTRY_COMPARE_WITH_TIMEOUT(page.totalText(), QString("150 images"), 10000);
    QCOMPARE(model->rowCount(), kMany);
    QVERIFY(settle());
    QVERIFY(model->fetchedCount() < kMany);
    QVERIFY(model->index(kMany - 1).data(ui::ImageListModel::PathRole).toString().isEmpty());
    QCOMPARE(model->index(kMany - 1).data(Qt::SizeHintRole).toSize(), model->index(0).data(Qt::SizeHintRole).toSize());
    for (int scrolls = 0;; ++scrolls) {
        QVERIFY(settle());
        if (!model->canFetchMore({}))
            break; // all fetched
        // More than a screen of rows below the viewport was fetched without the end ever showing (the view alone
        // fetches a page only once the last row is visible, so it would stop within a page of the bottom) ...
        QVERIFY2(lastTop() > 2 * screen,
                 qPrintable(QString("scroll %1: the last of %2 fetched rows is at y %3, the viewport %4 high")
                                .arg(scrolls)
                                .arg(model->rowCount())
                                .arg(lastTop())
                                .arg(screen)));
        // ... and no further than read-ahead needs (3 screens, a page and a grid line).
        QVERIFY(lastTop() <= 4 * screen);
        QVERIFY(model->fetchedCount() < kMany);
        QVERIFY(scrolls < 100);
        bar->setValue(bar->value() + screen / 2);
    }
    QCOMPARE(model->rowCount(), kMany);
    QCOMPARE(model->fetchedCount(), kMany);

    // Pages fetched ahead, by cursor, are the rows of one query, in its order.
    catalog::ImageFilter f = page.currentFilter();
    QCOMPARE(f.table, "many");
    const auto all = catalog::queryImages(*store::Workspace::open(root.toStdString()).openCatalog(), f, {}, 1000);
    QCOMPARE(int(all.size()), kMany);
    for (int i = 0; i < kMany; ++i)
        QCOMPARE(model->rowAt(i)->id, all[std::size_t(i)].id);

    // Jumping to the end at once: the rows there come (in one query, not page by page).
    ui::ImagesPage jumper;
    jumper.imageModel()->setPageSize(4);
    jumper.resize(1000, 700);
    jumper.show();
    QVERIFY(QTest::qWaitForWindowExposed(&jumper));
    QSignalSpy pages(jumper.imageModel(), &ui::ImageListModel::pageLoaded);
    jumper.setWorkspace(root);
    QTRY_COMPARE_WITH_TIMEOUT(jumper.imageModel()->rowCount(), kMany, 10000);
    QTRY_VERIFY(!jumper.imageModel()->isFetching());
    const int fetchedBefore = jumper.imageModel()->fetchedCount();
    const int pagesBefore = int(pages.count());
    QVERIFY(fetchedBefore < kMany);
    // Drag the scroll bar's handle to the bottom.
    QScrollBar *jumperBar = jumper.view()->verticalScrollBar();
    QStyleOptionSlider handle;
    handle.initFrom(jumperBar);
    handle.orientation = Qt::Vertical;
    handle.minimum = jumperBar->minimum();
    handle.maximum = jumperBar->maximum();
    handle.sliderPosition = handle.sliderValue = jumperBar->value();
    handle.pageStep = jumperBar->pageStep();
    handle.singleStep = jumperBar->singleStep();
    const QRect grip = jumperBar->style()->subControlRect(QStyle::CC_ScrollBar, &handle, QStyle::SC_ScrollBarSlider,
                                                          jumperBar);
    QVERIFY(grip.isValid());
    QTest::mousePress(jumperBar, Qt::LeftButton, {}, grip.center());
    QTest::mouseMove(jumperBar, QPoint(grip.center().x(), jumperBar->height() - 1));
    QTest::mouseRelease(jumperBar, Qt::LeftButton, {}, QPoint(grip.center().x(), jumperBar->height() - 1));
    QCOMPARE(jumperBar->value(), jumperBar->maximum());
    QTRY_COMPARE_WITH_TIMEOUT(jumper.imageModel()->fetchedCount(), kMany, 10000);
    QVERIFY2(pages.count() - pagesBefore <= 3, qPrintable(QString("%1 queries").arg(pages.count() - pagesBefore)));
    QCOMPARE(jumper.imageModel()->rowAt(kMany - 1)->id, all.back().id);
}

bool tst_ImagesPage::openPage(ui::ImagesPage &page, const QString &root)
{
    QSignalSpy browsed(&page, &ui::ImagesPage::browseLoaded);
    page.resize(1366, 768);
    page.show();
    if (!QTest::qWaitForWindowExposed(&page))
        return false;
    page.activateWindow();
    page.setWorkspace(root);
    if (!browsed.wait(10000))
        return false;
    QTest::qWaitFor([&] { return page.imageModel()->fetchedCount() > 0 && !page.imageModel()->isFetching(); }, 10000);
    return page.imageModel()->fetchedCount() > 0;
}

void tst_ImagesPage::clickRow(ui::ImagesPage &page, int row)
{
    QListView *view = page.view();
    view->scrollTo(page.imageModel()->index(row));
    QTest::mouseClick(view->viewport(), Qt::LeftButton, {}, view->visualRect(page.imageModel()->index(row)).center());
}

void tst_ImagesPage::firstClickAfterALabelFilterSelects_data()
{
    QTest::addColumn<bool>("typed");
    QTest::newRow("picked with the arrow keys") << false;
    QTest::newRow("typed, then Enter") << true;
}

void tst_ImagesPage::firstClickAfterALabelFilterSelects()
{
    QFETCH(bool, typed);
    ui::ImagesPage page;
    QVERIFY(openPage(page, m_ws));
    QCOMPARE(page.currentFilter().table, "pets");
    QTRY_COMPARE(page.totalText(), QString("9 images"));
    QComboBox *labels = page.labelCombo();
    QLineEdit *label = labels->lineEdit();
    label->setFocus();
    QTRY_VERIFY(label->hasFocus());
    if (typed) {
        QTest::keyClicks(label, "dog");
        QTest::keyClick(label, Qt::Key_Return);
    } else {
        // The arrow keys step through the label choices, each one listed as it is reached.
        for (int guard = 0; labels->currentText() != "dog" && guard < 5; ++guard)
            QTest::keyClick(label, Qt::Key_Down);
    }
    QCOMPARE(page.currentFilter().label, std::optional<std::string>("dog"));
    QTRY_COMPARE(page.totalText(), QString("4 images"));
    QTRY_COMPARE_WITH_TIMEOUT(page.imageModel()->fetchedCount(), kDogs, 10000);
    QTRY_VERIFY(!page.imageModel()->isFetching());
    // The first click on a thumbnail (it takes the focus from the label field) selects it.
    QSignalSpy shown(page.detailPane(), &ui::ImageDetailPane::detailShown);
    clickRow(page, 2);
    QVERIFY(page.view()->hasFocus());
    QCOMPARE(page.view()->currentIndex().row(), 2);
    QVERIFY(shown.wait(5000));
    QVERIFY(page.detailPane()->detail().current);
    QCOMPARE(QString::fromStdString(page.detailPane()->detail().current->path),
             page.imageModel()->index(2).data(ui::ImageListModel::PathRole).toString());
    QCOMPARE(page.view()->currentIndex().row(), 2); // not listed again since
}

void tst_ImagesPage::selectingDoesNotReflowTheGrid()
{
    ui::ImagesPage page;
    QVERIFY(openPage(page, m_ws));
    QTRY_COMPARE_WITH_TIMEOUT(page.imageModel()->rowCount(), kImages, 10000);
    QListView *view = page.view();
    const QRect viewBefore = view->geometry();
    const QRect paneBefore = page.detailPane()->geometry();
    const QRect cellBefore = view->visualRect(page.imageModel()->index(kImages - 1));
    // The 12x12 images are shown enlarged: they must fit the pane as it is, not widen it.
    for (int row : {kImages - 1, 0, 3}) {
        QSignalSpy shown(page.detailPane(), &ui::ImageDetailPane::detailShown);
        clickRow(page, row);
        QVERIFY(shown.wait(5000));
        QCOMPARE(view->currentIndex().row(), row);
        QTest::qWait(0); // the layout requests the pixmap made
        QCoreApplication::sendPostedEvents();
        QCOMPARE(view->geometry(), viewBefore);
        QCOMPARE(page.detailPane()->geometry(), paneBefore);
        QCOMPARE(view->visualRect(page.imageModel()->index(kImages - 1)), cellBefore);
        const QPixmap shownImage = page.detailPane()->imageLabel()->pixmap();
        QVERIFY(!shownImage.isNull());
        QVERIFY(shownImage.width() <= page.detailPane()->imageLabel()->width());
        QVERIFY(shownImage.width() >= 100); // enlarged to the room there is
    }
}

void tst_ImagesPage::unlabeledChoice()
{
    ui::ImagesPage page;
    QVERIFY(openPage(page, m_ws));
    QComboBox *tables = page.tableCombo();
    tables->setCurrentIndex(tables->findText("aaa-small"));
    QTRY_COMPARE(page.totalText(), QString("2 images"));
    QTRY_VERIFY(!page.imageModel()->isFetching());
    // The label filter offers the unlabeled images; picking the entry lists them.
    QComboBox *labels = page.labelCombo();
    const int unlabeled = labels->findText(ui::ImagesPage::unlabeledText());
    QVERIFY2(unlabeled >= 0, qPrintable(QString("label choices: %1").arg(labels->count())));
    QVERIFY(labels->findText("cat") >= 0);
    // The arrow keys step through the choices (each one listed as it is reached) up to the unlabeled entry.
    labels->lineEdit()->setFocus();
    QTRY_VERIFY(labels->lineEdit()->hasFocus());
    QTest::keyClick(labels->lineEdit(), Qt::Key_Down);
    for (int guard = 0; labels->currentIndex() > unlabeled && guard < 10; ++guard)
        QTest::keyClick(labels->lineEdit(), Qt::Key_Up);
    QCOMPARE(labels->currentText(), ui::ImagesPage::unlabeledText());
    QCOMPARE(page.currentFilter().label, std::optional<std::string>(""));
    QTRY_COMPARE(page.totalText(), QString("1 image"));
    QTRY_VERIFY(!page.imageModel()->isFetching());
    QCOMPARE(page.imageModel()->fetchedCount(), 1);
    QVERIFY(page.imageModel()->index(0).data(ui::ImageListModel::PathRole).toString().endsWith("loose.png"));
    QCOMPARE(page.imageModel()->index(0).data(ui::ImageListModel::LabelRole).toString(), QString());
    QCOMPARE(page.chart()->counts().size(), std::size_t(1));
    QCOMPARE(page.chart()->tickNames(), QStringList{"(none)"});

    // The core query: label "" lists the unlabeled images (and counts them) in every sort.
    auto db = catalogDb();
    for (Sort sort : {Sort::Path, Sort::Confidence, Sort::Added}) {
        catalog::ImageFilter f;
        f.table = "aaa-small";
        f.label = "";
        f.sort = sort;
        const auto rows = catalog::queryImages(*db, f, {}, 10);
        QCOMPARE(int(rows.size()), 1);
        QVERIFY(rows[0].label.empty());
        QCOMPARE(catalog::countByLabel(*db, f).at(""), 1);
    }
}

void tst_ImagesPage::opensOnTheLargestOrLastUsedTable()
{
    QSettings().remove("images/table/" + m_ws); // no table used last yet (unlabeledChoice picked one)
    {
        // "aaa-small" comes first by name; "pets" is the largest.
        ui::ImagesPage page;
        QVERIFY(openPage(page, m_ws));
        QCOMPARE(page.tableCombo()->itemText(0), QString("aaa-small"));
        QCOMPARE(page.currentFilter().table, "pets");
        // The reader picks the small table: the next page opened on this workspace shows it.
        page.tableCombo()->setCurrentIndex(0);
        QTRY_COMPARE(page.totalText(), QString("2 images"));
    }
    {
        ui::ImagesPage page;
        QVERIFY(openPage(page, m_ws));
        QCOMPARE(page.currentFilter().table, "aaa-small");
        page.tableCombo()->setCurrentIndex(page.tableCombo()->findText("pets")); // as the other tests expect
        QTRY_COMPARE(page.totalText(), QString("9 images"));
    }
    ui::ImagesPage page;
    QVERIFY(openPage(page, m_ws));
    QCOMPARE(page.currentFilter().table, "pets");
}

void tst_ImagesPage::reloadKeepsTheSelectedImage()
{
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    for (int i = 1; i <= 5; ++i)
        QVERIFY(test::writeImage(dir.filePath(QString("src/001.cat/b%1.png").arg(i)), 8, 8, 3, i));
    const QString root = dir.filePath("ws");
    auto ingestAll = [&] {
        ingest::IngestOptions o;
        o.source = dir.filePath("src").toStdString();
        o.table = "cats";
        ingest::ingest(store::Workspace::open(root.toStdString()), o);
    };
    ingestAll();
    ui::ImagesPage page;
    QVERIFY(openPage(page, root));
    QTRY_COMPARE(page.imageModel()->fetchedCount(), 5);
    QSignalSpy shown(page.detailPane(), &ui::ImageDetailPane::detailShown);
    clickRow(page, 2);
    QVERIFY(shown.wait(5000));
    const QString selected = page.view()->currentIndex().data(ui::ImageListModel::PathRole).toString();
    QVERIFY(selected.endsWith("b3.png"));

    // Two images that sort before it arrive; the page reloads (as it does on a catalog change).
    QVERIFY(test::writeImage(dir.filePath("src/001.cat/a1.png"), 8, 8, 3, 20));
    QVERIFY(test::writeImage(dir.filePath("src/001.cat/a2.png"), 8, 8, 3, 21));
    ingestAll();
    page.reload();
    QTRY_COMPARE_WITH_TIMEOUT(page.imageModel()->fetchedCount(), 7, 10000);
    QTRY_COMPARE(page.view()->currentIndex().data(ui::ImageListModel::PathRole).toString(), selected);
    QCOMPARE(page.view()->currentIndex().row(), 4); // the same image, another row
    QTRY_VERIFY(page.detailPane()->detail().current);
    QCOMPARE(QString::fromStdString(page.detailPane()->detail().current->path), selected);
}

QTEST_MAIN(tst_ImagesPage)
#include "tst_imagespage.moc"
