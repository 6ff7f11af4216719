// The Review page driven by its keys, as a reviewer works: number keys label and move on, Backspace undoes,
// Enter accepts, S skips, a grid selection takes one key, and Commit labels confirms a summary before merging.
// Also the core behind it: ReviewQueue::reopen and the confidence histogram of a scored table.
#include "core/catalog/Catalog.h"
#include "core/ingest/ContentHash.h"
#include "core/ingest/Ingestor.h"
#include "core/registry/Registry.h"
#include "core/review/Review.h"
#include "core/score/Scoring.h"
#include "core/store/Database.h"
#include "core/store/Workspace.h"
#include "core/track/Tracker.h"
#include "tests/TestData.h"
#include "ui/review/ConfidenceHistogramView.h"
#include "ui/review/ReviewKeysDialog.h"
#include "ui/review/ReviewPage.h"
#include "ui/review/ReviewQueueModel.h"

#include <QAbstractItemModelTester>
#include <QAction>
#include <QCheckBox>
#include <QComboBox>
#include <QElapsedTimer>
#include <QFile>
#include <QFileInfo>
#include <QItemSelectionModel>
#include <QLabel>
#include <QLineEdit>
#include <QListView>
#include <QSettings>
#include <QSignalSpy>
#include <QHeaderView>
#include <QTableView>
#include <QTemporaryDir>
#include <QTest>

#include <numeric>

using namespace pw;

namespace {

constexpr int kImages = 30;
constexpr int kQueued = 25; // confidence below 0.95
constexpr int kClasses = 12;

double confidenceOf(int i)
{
    return i < kQueued ? 0.10 + 0.03 * i : 0.96 + 0.005 * (i - kQueued);
}

QString className(int c)
{
    return QStringLiteral("k%1").arg(c);
}

// Waits until `n` more actions ended; returns their errors joined ("" when all succeeded).
QString waitForActions(QSignalSpy &spy, int n)
{
    if (!QTest::qWaitFor([&] { return spy.count() >= n; }, 10000))
        return QStringLiteral("<timeout: %1 of %2>").arg(spy.count()).arg(n);
    QStringList errors;
    for (int i = 0; i < n; ++i)
        if (const QString e = spy.takeFirst().at(0).toString(); !e.isEmpty())
            errors << e;
    return errors.join(QLatin1Char('\n'));
}

int keyOf(int binding)
{
    return binding == 9 ? Qt::Key_0 : Qt::Key_1 + binding;
}

} // namespace

class tst_ReviewFlow : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void histogramOfTheScoredTable();
    void thresholdTuner_data();
    void thresholdTuner();
    void keysLabelUndoAcceptSkipGridAndCommit();
    void reopenPutsAnEntryBackToPending();
    void pickerAndReboundKeys();
    void queueSaysWhatItHolds();

private:
    QString stateOf(ui::ReviewQueueModel *model, int row) const;

    QTemporaryDir m_dir;
    QString m_ws;
};

void tst_ReviewFlow::initTestCase()
{
    QVERIFY(m_dir.isValid());
    QSettings::setPath(QSettings::NativeFormat, QSettings::UserScope, m_dir.filePath("settings"));
    m_ws = m_dir.filePath("ws");
    const auto ws = store::Workspace::open(m_ws.toStdString());
    for (int i = 0; i < kImages; ++i)
        QVERIFY(test::writeImage(m_dir.filePath(QString("pool/%1.png").arg(i, 2, 10, QLatin1Char('0'))), 12, 12, 3, i));
    ingest::IngestOptions o;
    o.source = m_dir.filePath("pool").toStdString();
    o.table = "pool";
    o.labels = ingest::LabelRule::None;
    ingest::ingest(ws, o);

    auto db = ws.openCatalog();
    track::Tracker tracker(*db);
    track::NewRun nr;
    nr.experiment = "review";
    nr.table = "pool";
    nr.dataVersion = 1;
    const std::string run = tracker.createRun(nr);
    tracker.logParams(run, {{"image_size", "12"}, {"channels", "3"}});
    tracker.endRun(run, "FINISHED");
    QByteArray classes;
    for (int c = 0; c < kClasses; ++c)
        classes += className(c).toUtf8() + '\n';
    const QString artifacts = m_dir.filePath("ws/artifacts/" + QString::fromStdString(run));
    QVERIFY(test::writeFile(artifacts + "/model.pt", "model bytes"));
    QVERIFY(test::writeFile(artifacts + "/classes.txt", classes));
    registry::Registry reg(ws, *db);
    QCOMPARE(reg.registerRun(run, "clf").version, std::int64_t(1));

    // Image i predicted k(i mod 12) with confidence 0.10 + 0.03 i; the last five are sure and stay out.
    std::vector<score::PredictionRow> rows;
    ingest::ContentHasher hasher;
    for (int i = 0; i < kImages; ++i) {
        const QString file =
            QFileInfo(m_dir.filePath(QString("pool/%1.png").arg(i, 2, 10, QLatin1Char('0')))).canonicalFilePath();
        QFile f(file);
        QVERIFY(f.open(QIODevice::ReadOnly));
        const QByteArray bytes = f.readAll();
        const double c = confidenceOf(i);
        rows.push_back({file.toStdString(), hasher.hex(bytes.data(), std::size_t(bytes.size())),
                        className(i % kClasses).toStdString(), c,
                        QString(R"([{"label":"%1","probability":%2},{"label":"%3","probability":%4}])")
                            .arg(className(i % kClasses))
                            .arg(c)
                            .arg(className((i + 1) % kClasses))
                            .arg(1 - c)
                            .toStdString()});
    }
    store::WriterLock lock(ws);
    score::MergeOptions mo;
    mo.table = "pool";
    mo.model = "clf";
    mo.modelVersion = 1;
    QCOMPARE(score::mergePredictions(*db, mo, rows).queued, std::int64_t(kQueued));
}

QString tst_ReviewFlow::stateOf(ui::ReviewQueueModel *model, int row) const
{
    return model->index(row, ui::ReviewQueueModel::StateColumn).data().toString();
}

void tst_ReviewFlow::histogramOfTheScoredTable()
{
    const auto ws = store::Workspace::open(m_ws.toStdString());
    auto db = ws.openCatalog();
    const score::ConfidenceHistogram h = score::confidenceHistogram(*db, "pool", "clf", 1, 50);
    QCOMPARE(int(h.counts.size()), 50);
    QCOMPARE(h.total, std::int64_t(kImages));
    QCOMPARE(std::accumulate(h.counts.begin(), h.counts.end(), std::int64_t(0)), std::int64_t(kImages));
    std::vector<std::int64_t> expected(50, 0);
    for (int i = 0; i < kImages; ++i)
        ++expected[std::size_t(std::min(49, int(confidenceOf(i) * 50)))];
    QCOMPARE(h.counts, expected);
    // Another model version scored nothing; a bad bin count or table is refused by name.
    QCOMPARE(score::confidenceHistogram(*db, "pool", "clf", 2, 10).total, std::int64_t(0));
    QVERIFY_THROWS_EXCEPTION(std::runtime_error, score::confidenceHistogram(*db, "pool", "clf", 1, 0));
    QVERIFY_THROWS_EXCEPTION(std::runtime_error, score::confidenceHistogram(*db, "nope", "clf", 1, 50));
}

void tst_ReviewFlow::thresholdTuner_data()
{
    QTest::addColumn<double>("threshold");
    QTest::newRow("0.50") << 0.50;
    QTest::newRow("0.20") << 0.20;
    QTest::newRow("0.95 (the default)") << 0.95;
    QTest::newRow("1.00 (everything)") << 1.0;
    QTest::newRow("0.00 (nothing)") << 0.0;
}

void tst_ReviewFlow::thresholdTuner()
{
    QFETCH(double, threshold);
    ui::ReviewPage page;
    page.resize(1200, 800);
    page.show();
    QSignalSpy loaded(&page, &ui::ReviewPage::loaded);
    page.setWorkspace(m_ws);
    QVERIFY(loaded.wait(10000));
    ui::ConfidenceHistogramView *view = page.histogramView();
    QCOMPARE(view->total(), std::int64_t(kImages));
    QCOMPARE(std::accumulate(view->counts().begin(), view->counts().end(), std::int64_t(0)), std::int64_t(kImages));
    QCOMPARE(view->threshold(), 0.95); // scoring's default threshold, exactly, until it is dragged

    // Dragging the line: press where the threshold is, move there (the view snaps to a bin edge).
    const QRect r = view->plotRect();
    const int x = r.left() + int(std::lround(threshold * r.width()));
    QTest::mousePress(view, Qt::LeftButton, {}, QPoint(r.left() + r.width() / 3, r.center().y()));
    QMouseEvent move(QEvent::MouseMove, QPointF(x, r.center().y()), view->mapToGlobal(QPointF(x, r.center().y())),
                     Qt::NoButton, Qt::LeftButton, Qt::NoModifier);
    QApplication::sendEvent(view, &move);
    QTest::mouseRelease(view, Qt::LeftButton, {}, QPoint(x, r.center().y()));
    QVERIFY2(std::abs(view->threshold() - threshold) <= 0.01 + 1e-9, qPrintable(QString::number(view->threshold())));

    std::int64_t direct = 0;
    for (int i = 0; i < kImages; ++i)
        direct += confidenceOf(i) < view->threshold() ? 1 : 0;
    QCOMPARE(view->countBelow(), direct);
    const auto ws = store::Workspace::open(m_ws.toStdString());
    auto db = ws.openCatalog();
    QCOMPARE(score::countBelowThreshold(*db, "pool", "clf", 1, view->threshold()), direct);
    QVERIFY2(page.thresholdLabel()->text().contains(QStringLiteral(": %1 of %2 images").arg(direct).arg(kImages)),
             qPrintable(page.thresholdLabel()->text()));
}

void tst_ReviewFlow::keysLabelUndoAcceptSkipGridAndCommit()
{
    ui::ReviewPage page;
    page.resize(1200, 800);
    page.show();
    ui::ReviewQueueModel *queue = page.queueModel();
    const auto tester = std::make_unique<QAbstractItemModelTester>(
        queue, QAbstractItemModelTester::FailureReportingMode::QtTest);
    QSignalSpy loaded(&page, &ui::ReviewPage::loaded);
    page.setWorkspace(m_ws);
    QVERIFY(loaded.wait(10000));
    QCOMPARE(queue->rowCount(), kQueued);
    QCOMPARE(page.counts().pending, std::int64_t(kQueued));

    // Keys 1..9, 0 are bound to the model's first ten classes and shown.
    QCOMPARE(page.keyBindings().size(), 10);
    QCOMPARE(page.keyBindings().at(0), "k0");
    QCOMPARE(page.keyBindings().at(9), "k9");
    QCOMPARE(page.labelCombo()->count(), kClasses);

    QSignalSpy finished(&page, &ui::ReviewPage::actionFinished);
    QTableView *table = page.queueView();
    table->setFocus();
    auto selectedRow = [&] { return table->selectionModel()->currentIndex().row(); };
    QCOMPARE(selectedRow(), 0);

    // 20 number keys: row i gets class k(i mod 10), and each key shows the next image at once.
    qint64 slowest = 0;
    QElapsedTimer all;
    all.start();
    for (int i = 0; i < 20; ++i) {
        QCOMPARE(selectedRow(), i);
        QElapsedTimer t;
        t.start();
        QTest::keyClick(table, Qt::Key(keyOf(i % 10)));
        slowest = std::max(slowest, t.elapsed());
        QCOMPARE(selectedRow(), i + 1);
    }
    QVERIFY2(slowest <= 50, qPrintable(QStringLiteral("a decision took %1 ms to show the next image").arg(slowest)));
    QCOMPARE(waitForActions(finished, 20), QString());
    QTRY_VERIFY_WITH_TIMEOUT(!page.busy(), 60000);
    qInfo("20 decisions: the next image in at most %lld ms, all written in %lld ms", slowest, all.elapsed());
    for (int i = 0; i < 20; ++i)
        QCOMPARE(queue->index(i, ui::ReviewQueueModel::LabelColumn).data().toString(), className(i % 10));
    QCOMPARE(page.counts().labeled, std::int64_t(20));

    // Backspace: the last decision (row 19, k9) goes back to pending and is selected again.
    QTest::keyClick(table, Qt::Key_Backspace);
    QCOMPARE(waitForActions(finished, 1), QString());
    QCOMPARE(selectedRow(), 19);
    QCOMPARE(stateOf(queue, 19), "pending");
    QCOMPARE(queue->index(19, ui::ReviewQueueModel::LabelColumn).data().toString(), QString());
    QCOMPARE(page.counts().labeled, std::int64_t(19));

    // Enter accepts the prediction (image 19: k7); S skips the next one.
    QTest::keyClick(table, Qt::Key_Return);
    QCOMPARE(selectedRow(), 20);
    QTest::keyClick(table, Qt::Key_S);
    QCOMPARE(selectedRow(), 21);
    QCOMPARE(waitForActions(finished, 2), QString());
    QCOMPARE(queue->index(19, ui::ReviewQueueModel::LabelColumn).data().toString(), "k7");
    QCOMPARE(stateOf(queue, 20), "skipped");

    // The grid: three thumbnails selected, one key labels them all.
    page.setGridMode(true);
    QVERIFY(page.gridMode());
    QListView *grid = page.gridView();
    QCOMPARE(grid->model(), static_cast<QAbstractItemModel *>(queue));
    QItemSelection three;
    for (int row : {21, 22, 23})
        three.select(queue->index(row, ui::ReviewQueueModel::ThumbnailColumn),
                     queue->index(row, ui::ReviewQueueModel::ThumbnailColumn));
    grid->selectionModel()->select(three, QItemSelectionModel::ClearAndSelect);
    QTest::keyClick(grid, Qt::Key_3);
    QCOMPARE(waitForActions(finished, 1), QString());
    QTRY_VERIFY_WITH_TIMEOUT(!page.busy(), 60000);
    for (int row : {21, 22, 23})
        QCOMPARE(queue->index(row, ui::ReviewQueueModel::LabelColumn).data().toString(), "k2");
    QCOMPARE(selectedRow(), 24); // the one pending entry left
    QCOMPARE(page.counts().labeled, std::int64_t(23));
    QCOMPARE(page.counts().skipped, std::int64_t(1));
    QCOMPARE(page.counts().pending, std::int64_t(1));

    // Commit: the summary names the counts per label; declined, nothing is merged; confirmed, it is.
    std::map<std::string, std::int64_t> expected;
    for (int c = 0; c < 10; ++c)
        expected[className(c).toStdString()] = 2;
    expected["k9"] = 1;
    expected["k7"] = 3;
    expected["k2"] = 5;
    QString summary;
    page.setCommitConfirmer([&](const QString &text) {
        summary = text;
        return false;
    });
    QVERIFY(page.commitAction()->isEnabled());
    page.commitAction()->trigger();
    QVERIFY2(summary.contains("23 labels will be merged"), qPrintable(summary));
    QVERIFY2(summary.contains("k2: 5") && summary.contains("k7: 3") && summary.contains("k9: 1"), qPrintable(summary));
    QCOMPARE(finished.count(), 0);
    const std::int64_t before = [&] {
        const auto ws = store::Workspace::open(m_ws.toStdString());
        auto db = ws.openCatalog();
        return catalog::Catalog(*db).latestVersion();
    }();

    page.setCommitConfirmer([](const QString &) { return true; });
    const int loads = int(loaded.count());
    page.commitAction()->trigger();
    QCOMPARE(waitForActions(finished, 1), QString());
    QTRY_COMPARE_WITH_TIMEOUT(int(loaded.count()), loads + 1, 60000);
    QCOMPARE(queue->rowCount(), 2); // the skipped and the pending entry stay open

    const auto ws = store::Workspace::open(m_ws.toStdString());
    auto db = ws.openCatalog();
    catalog::Catalog cat(*db);
    QCOMPARE(cat.latestVersion(), before + 1);
    QCOMPARE(cat.history(1).at(0).operation, std::string("MERGE LABELS"));
    const catalog::TableStats stats = cat.stats("pool");
    QCOMPARE(stats.labeled, std::int64_t(23));
    QCOMPARE(stats.unlabeled, std::int64_t(kImages - 23));
    QCOMPARE(stats.labels, expected);
}

void tst_ReviewFlow::reopenPutsAnEntryBackToPending()
{
    const auto ws = store::Workspace::open(m_ws.toStdString());
    auto db = ws.openCatalog();
    review::ReviewQueue queue(ws, *db);
    review::ListOptions pending;
    pending.state = "pending";
    const std::vector<review::ReviewItem> open = queue.list(pending);
    QVERIFY(!open.empty());
    const std::string id = std::to_string(open.front().id);
    QCOMPARE(queue.label(id, "k11").state, std::string("labeled"));
    const review::ReviewItem back = queue.reopen(id);
    QCOMPARE(back.state, std::string("pending"));
    QCOMPARE(back.label, std::string());
    QCOMPARE(back.labelSource, std::string());
    QCOMPARE(queue.skip(id).state, std::string("skipped"));
    QCOMPARE(queue.reopen(id).state, std::string("pending"));

    // A merged entry cannot be reopened, and says so.
    review::ListOptions all;
    all.includeMerged = true;
    for (const review::ReviewItem &item : queue.list(all))
        if (item.mergedVersion) {
            try {
                queue.reopen(std::to_string(item.id));
                QFAIL("reopening a merged entry was not refused");
            } catch (const std::runtime_error &e) {
                QVERIFY2(QString(e.what()).contains("merged"), e.what());
            }
            return;
        }
    QFAIL("no merged entry (the commit test runs first)");
}

void tst_ReviewFlow::pickerAndReboundKeys()
{
    // The dialog lists the classes per key; its choice is saved per model name and read back.
    QStringList classes;
    for (int c = 0; c < kClasses; ++c)
        classes << className(c);
    QStringList defaults = ui::ReviewKeysDialog::loadBindings("clf", classes);
    QCOMPARE(defaults.at(0), "k0");
    ui::ReviewKeysDialog dialog(classes, defaults);
    auto *key1 = dialog.findChild<QComboBox *>("key1");
    QVERIFY(key1);
    key1->setCurrentIndex(key1->findData("k11"));
    QCOMPARE(dialog.bindings().at(0), "k11");

    ui::ReviewPage page;
    page.resize(1200, 800);
    page.show();
    QSignalSpy loaded(&page, &ui::ReviewPage::loaded);
    page.setWorkspace(m_ws);
    QVERIFY(loaded.wait(10000));
    ui::ReviewQueueModel *queue = page.queueModel();
    QVERIFY(queue->rowCount() >= 2);
    page.setKeyBindings(dialog.bindings());
    QCOMPARE(page.keyBindings().at(0), "k11");
    QCOMPARE(ui::ReviewKeysDialog::loadBindings("clf", classes).at(0), "k11");

    // "/" opens the picker; a typed class and Enter label the selected entry and move on.
    QSignalSpy finished(&page, &ui::ReviewPage::actionFinished);
    const qint64 first = queue->index(0, 0).data(ui::ReviewQueueModel::IdRole).toLongLong();
    const qint64 second = queue->index(1, 0).data(ui::ReviewQueueModel::IdRole).toLongLong();
    QVERIFY(page.selectEntry(first));
    QTest::keyClick(page.queueView(), Qt::Key_Slash);
    QLineEdit *edit = page.labelCombo()->lineEdit();
    edit->setText("k10");
    QTest::keyClick(edit, Qt::Key_Return);
    QCOMPARE(waitForActions(finished, 1), QString());
    QCOMPARE(queue->index(queue->rowOf(first), ui::ReviewQueueModel::LabelColumn).data().toString(), "k10");

    // The rebound key 1 assigns k11 now.
    QCOMPARE(page.keyBindings().at(0), "k11");
    QVERIFY(page.selectEntry(second));
    QTest::keyClick(page.queueView(), Qt::Key_1);
    QCOMPARE(waitForActions(finished, 1), QString());
    QCOMPARE(queue->index(queue->rowOf(second), ui::ReviewQueueModel::LabelColumn).data().toString(), "k11");
}

// Issue 19, item 5: each entry shows the image's label now and its source beside the prediction and the model
// version that queued it; a filter lists unlabeled or labeled images; State and the reviewer's label stay in sight at
// a laptop's width whatever the paths; each decision is told in words; an Archived queuing model is said.
void tst_ReviewFlow::queueSaysWhatItHolds()
{
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    // Deep folders: long paths, as an incoming tree has them.
    const QString deep = "incoming/2026/12/05/camera-north-entrance-batch-000123/shift-b/";
    QVERIFY(test::writeImage(dir.filePath("src/circle/" + deep + "c.png"), 12, 12, 3, 1));
    QVERIFY(test::writeImage(dir.filePath("new/" + deep + "a.png"), 12, 12, 3, 2));
    QVERIFY(test::writeImage(dir.filePath("new/" + deep + "b.png"), 12, 12, 3, 3));
    const auto ws = store::Workspace::open(dir.filePath("ws").toStdString());
    ingest::IngestOptions o;
    o.source = dir.filePath("src").toStdString();
    o.table = "t";
    o.labels = ingest::LabelRule::Folder;
    QCOMPARE(ingest::ingest(ws, o).added, 1);
    o.source = dir.filePath("new").toStdString();
    o.labels = ingest::LabelRule::None;
    QCOMPARE(ingest::ingest(ws, o).added, 2);
    auto db = ws.openCatalog();
    track::Tracker tracker(*db);
    track::NewRun nr;
    nr.experiment = "fresh";
    const std::string run = tracker.createRun(nr);
    tracker.logParams(run, {{"image_size", "12"}, {"channels", "3"}});
    tracker.endRun(run, "FINISHED");
    QVERIFY(test::writeFile(dir.filePath("ws/artifacts/" + QString::fromStdString(run) + "/model.pt"), "model"));
    QVERIFY(test::writeFile(dir.filePath("ws/artifacts/" + QString::fromStdString(run) + "/classes.txt"),
                            "circle\nsquare\n"));
    registry::Registry reg(ws, *db);
    QCOMPARE(reg.registerRun(run, "fresh").version, std::int64_t(1));
    std::vector<score::PredictionRow> rows;
    for (const QString &f : {"src/circle/" + deep + "c.png", "new/" + deep + "a.png", "new/" + deep + "b.png"})
        rows.push_back({QFileInfo(dir.filePath(f)).canonicalFilePath().toStdString(), "", "square", 0.5,
                        R"([{"label":"square","probability":0.5},{"label":"circle","probability":0.5}])"});
    {
        store::WriterLock lock(ws);
        score::MergeOptions mo;
        mo.table = "t";
        mo.model = "fresh";
        mo.modelVersion = 1;
        mo.review = score::ReviewMode::All;
        QCOMPARE(score::mergePredictions(*db, mo, rows).queued, std::int64_t(3));
    }

    ui::ReviewPage page;
    page.resize(1366 - 170, 700); // the page's share of a 1366 px window
    page.show();
    QVERIFY(QTest::qWaitForWindowExposed(&page));
    ui::ReviewQueueModel *queue = page.queueModel();
    const auto tester = std::make_unique<QAbstractItemModelTester>(
        queue, QAbstractItemModelTester::FailureReportingMode::QtTest);
    QSignalSpy loaded(&page, &ui::ReviewPage::loaded);
    page.setWorkspace(dir.filePath("ws"));
    QVERIFY(loaded.wait(10000));
    QCOMPARE(queue->rowCount(), 3);
    const auto text = [&](int row, int column) { return queue->index(row, column).data().toString(); };
    const auto rowOfFile = [&](const QString &name) {
        for (int r = 0; r < queue->rowCount(); ++r)
            if (text(r, ui::ReviewQueueModel::PathColumn).endsWith("/" + name))
                return r;
        return -1;
    };
    QCOMPARE(text(rowOfFile("c.png"), ui::ReviewQueueModel::CatalogLabelColumn), QString("circle (folder)"));
    QCOMPARE(text(rowOfFile("a.png"), ui::ReviewQueueModel::CatalogLabelColumn), QString("(none)"));
    QCOMPARE(text(rowOfFile("a.png"), ui::ReviewQueueModel::ModelColumn), QString("fresh v1"));
    QCOMPARE(queue->headerData(ui::ReviewQueueModel::CatalogLabelColumn, Qt::Horizontal).toString(), "Label now");

    // State and the reviewer's label in sight, whatever the paths.
    QTableView *view = page.queueView();
    for (const int column : {ui::ReviewQueueModel::StateColumn, ui::ReviewQueueModel::LabelColumn})
        QVERIFY2(view->columnViewportPosition(column) + view->columnWidth(column) <= view->viewport()->width(),
                 qPrintable(QString("column %1 ends at %2 of %3")
                                .arg(column)
                                .arg(view->columnViewportPosition(column) + view->columnWidth(column))
                                .arg(view->viewport()->width())));

    // The filter, as a reviewer picks it with the keyboard.
    QComboBox *filter = page.filterCombo();
    filter->setFocus();
    QTest::keyClick(filter, Qt::Key_Down); // Unlabeled images
    QCOMPARE(queue->rowCount(), 2);
    QCOMPARE(rowOfFile("c.png"), -1);
    QTest::keyClick(filter, Qt::Key_Down); // Labeled images (likely label errors)
    QCOMPARE(queue->rowCount(), 1);
    QCOMPARE(text(0, ui::ReviewQueueModel::CatalogLabelColumn), QString("circle (folder)"));
    QTest::keyClick(filter, Qt::Key_Up);
    QCOMPARE(queue->rowCount(), 2);

    // A decision, told in words in the status bar.
    QSignalSpy messages(&page, &ui::Page::message);
    QSignalSpy finished(&page, &ui::ReviewPage::actionFinished);
    QVERIFY(page.selectEntry(queue->item(rowOfFile("a.png"))->id));
    view->setFocus();
    QTest::keyClick(view, Qt::Key_1); // key 1: the first class, circle
    QCOMPARE(waitForActions(finished, 1), QString());
    QVERIFY(!messages.isEmpty());
    QCOMPARE(messages.last().first().toString(), QString("Labeled a.png as circle — Backspace to undo"));
    QTest::keyClick(view, Qt::Key_Backspace);
    QCOMPARE(waitForActions(finished, 1), QString());
    QCOMPARE(messages.last().first().toString(), QString("a.png back to pending"));

    // The model that queued the entries is archived: the page says so, and the column shows it.
    QVERIFY(page.archivedNote().isEmpty());
    registry::TransitionRequest archive;
    archive.name = "fresh";
    archive.version = 1;
    archive.to = registry::Stage::Archived;
    reg.transition(archive);
    page.reload();
    QVERIFY(loaded.wait(10000));
    QVERIFY2(page.archivedNote().contains("fresh:1, Archived"), qPrintable(page.archivedNote()));
    QCOMPARE(text(0, ui::ReviewQueueModel::ModelColumn), QString("fresh v1 (Archived)"));
    // Said above the queue, in a bar of its own, with the command that rescores with the current version.
    QVERIFY(page.archivedBanner()->isVisible());
    QVERIFY2(page.archivedNote().startsWith(QString("%1 entries queued by fresh:1").arg(queue->totalCount())),
             qPrintable(page.archivedNote()));
    QVERIFY2(page.archivedNote().contains("pipewright score --model fresh@Production --table "
                                          + QString::fromStdString(queue->item(0)->table)),
             qPrintable(page.archivedNote()));
    QVERIFY2(page.minimumSizeHint().width() <= 1366 - 200, "the note must wrap, not widen the page");
    // The current queue, a click away: every entry here came from the archived version, so none is left.
    const int all = queue->rowCount();
    QVERIFY(all > 0);
    QCheckBox *currentOnly = page.currentOnlyBox();
    QTest::mouseClick(currentOnly, Qt::LeftButton, {}, QPoint(8, currentOnly->height() / 2));
    QVERIFY(currentOnly->isChecked());
    QCOMPARE(queue->rowCount(), 0);
    QCOMPARE(queue->archivedCount(), queue->totalCount());
    QTest::mouseClick(currentOnly, Qt::LeftButton, {}, QPoint(8, currentOnly->height() / 2));
    QCOMPARE(queue->rowCount(), all);

    // Back in a stage in use: the bar goes.
    archive.to = registry::Stage::Staging;
    reg.transition(archive);
    page.reload();
    QVERIFY(loaded.wait(10000));
    QVERIFY(page.archivedNote().isEmpty());
    QVERIFY(!page.archivedBanner()->isVisible());
}

QTEST_MAIN(tst_ReviewFlow)
#include "tst_reviewflow.moc"
