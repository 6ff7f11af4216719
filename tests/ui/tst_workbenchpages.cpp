// The Experiments, Models and Review pages on a workspace built through the core API (no training): two
// tracked runs and a failed one, a registered model with two versions, and a review queue filled by merging
// predictions. Every item model runs under QAbstractItemModelTester; actions go through the pages' functions.
// The main window's pages are walked through the page interface alone (ui/Page.h), so a new page is covered.
#include "core/catalog/Catalog.h"
#include "core/ingest/ContentHash.h"
#include "core/ingest/Ingestor.h"
#include "core/registry/Registry.h"
#include "core/score/Scoring.h"
#include "core/store/Database.h"
#include "core/store/Workspace.h"
#include "core/track/Tracker.h"
#include "tests/TestData.h"
#include "ui/MainWindow.h"
#include "ui/Page.h"
#include "ui/experiments/ExperimentsPage.h"
#include "ui/experiments/MetricChart.h"
#include "ui/experiments/RunComparisonModel.h"
#include "ui/experiments/RunsModel.h"
#include "ui/models/ModelVersionsModel.h"
#include "ui/models/ModelsPage.h"
#include "ui/models/TransitionsModel.h"
#include "ui/pipelines/PipelinesPage.h"
#include "ui/review/ReviewPage.h"
#include "ui/review/ReviewQueueModel.h"

#include <QAbstractButton>
#include <QAbstractItemModelTester>
#include <QAction>
#include <QComboBox>
#include <QFile>
#include <QFileInfo>
#include <QItemSelectionModel>
#include <QLabel>
#include <QLineEdit>
#include <QListWidget>
#include <QMessageBox>
#include <QPixmap>
#include <QSet>
#include <QSettings>
#include <QSignalSpy>
#include <QSortFilterProxyModel>
#include <QTableView>
#include <QTemporaryDir>
#include <QTest>
#include <QToolBar>
#include <QToolButton>
#include <QWidgetAction>

using namespace pw;

namespace {

QString qs(const std::string &s)
{
    return QString::fromStdString(s);
}

// The page's selection of these source rows of a (possibly proxied) table.
void selectRows(QTableView *view, const QList<int> &rows)
{
    QItemSelection selection;
    for (int r : rows)
        selection.select(view->model()->index(r, 0), view->model()->index(r, view->model()->columnCount() - 1));
    view->selectionModel()->select(selection, QItemSelectionModel::ClearAndSelect);
}

// The next actionFinished(error) of a page: its error text, "" on success, "<timeout>" when none came.
QString nextOutcome(QSignalSpy &spy)
{
    if (!QTest::qWaitFor([&] { return spy.count() > 0; }, 10000))
        return QStringLiteral("<timeout>");
    return spy.takeFirst().at(0).toString();
}

// What a page shows as problems: its labels and status-bar lines that say something cannot be read (every page
// words a failure to read the workspace "Cannot …").
QStringList problemsShown(const ui::Page *page, const QStringList &messages)
{
    QStringList problems;
    for (const QLabel *label : page->findChildren<QLabel *>())
        if (label->text().contains("Cannot"))
            problems << label->text();
    for (const QString &m : messages)
        if (m.contains("Cannot"))
            problems << m;
    return problems;
}

// The window's action whose shortcut is `key`, or nullptr.
QAction *actionWithShortcut(const QWidget &window, const QKeySequence &key)
{
    for (QAction *a : window.findChildren<QAction *>())
        if (a->shortcut() == key)
            return a;
    return nullptr;
}

} // namespace

class tst_WorkbenchPages : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void experimentsShowRunsCurvesAndComparison();
    void modelsShowStagesAndPromote();
    void reviewListsLabelsAndCommits();
    void mainWindowHasThePages();
    void navigationAndToolbarsHaveIcons();
    void everyPageThroughTheInterface();
    void everyPageShowsAnUnreadableWorkspace();

private:
    std::string makeRun(track::Tracker &tracker, const std::string &experiment, const std::string &name,
                        const std::string &lr, double finalAccuracy);

    QTemporaryDir m_dir;
    QString m_ws;
    std::string m_runA, m_runB, m_failed; // A older than B
    std::map<QString, double> m_confidence; // image file name -> its predicted confidence
};

std::string tst_WorkbenchPages::makeRun(track::Tracker &tracker, const std::string &experiment, const std::string &name,
                                        const std::string &lr, double finalAccuracy)
{
    track::NewRun nr;
    nr.experiment = experiment;
    nr.name = name;
    nr.table = "pool";
    nr.dataVersion = 1;
    const std::string id = tracker.createRun(nr);
    tracker.logParams(id, {{"lr", lr}, {"batch_size", "64"}, {"image_size", "12"}, {"channels", "3"}});
    std::vector<track::MetricPoint> points;
    for (int epoch = 1; epoch <= 3; ++epoch) {
        const double t = epoch / 3.0;
        points.push_back({"train_loss", 1.2 - 0.3 * epoch, epoch, epoch});
        points.push_back({"val_loss", 1.3 - 0.3 * epoch, epoch, epoch});
        points.push_back({"val_accuracy", finalAccuracy * t, epoch, epoch});
    }
    tracker.logMetrics(id, points);
    tracker.setDevice(id, "cpu");
    tracker.setImagesPerSecond(id, 1234.5);
    tracker.endRun(id, "FINISHED");
    const QString dir = m_dir.filePath("ws/artifacts/" + qs(id));
    if (!test::writeFile(dir + "/model.pt", "model bytes of " + QByteArray::fromStdString(id))
        || !test::writeFile(dir + "/classes.txt", "a\nb\nc\n"))
        throw std::runtime_error("cannot write the run's artifacts");
    return id;
}

void tst_WorkbenchPages::initTestCase()
{
    QVERIFY(m_dir.isValid());
    QSettings::setPath(QSettings::NativeFormat, QSettings::UserScope, m_dir.filePath("settings"));
    m_ws = m_dir.filePath("ws");
    const auto ws = store::Workspace::open(m_ws.toStdString());

    // Four unlabeled images in table "pool".
    for (int i = 0; i < 4; ++i)
        QVERIFY(test::writeImage(m_dir.filePath(QString("pool/%1.png").arg(i)), 12, 12, 3, i));
    ingest::IngestOptions o;
    o.source = m_dir.filePath("pool").toStdString();
    o.table = "pool";
    o.labels = ingest::LabelRule::None;
    ingest::ingest(ws, o);

    auto db = ws.openCatalog();
    track::Tracker tracker(*db);
    m_runA = makeRun(tracker, "alpha", "baseline", "0.01", 0.80);
    m_runB = makeRun(tracker, "alpha", "lower-lr", "0.001", 0.90);
    track::NewRun nr;
    nr.experiment = "beta";
    m_failed = tracker.createRun(nr);
    tracker.endRun(m_failed, "FAILED", "out of memory");

    registry::Registry reg(ws, *db);
    QCOMPARE(reg.registerRun(m_runA, "clf").version, std::int64_t(1));
    QCOMPARE(reg.registerRun(m_runB, "clf").version, std::int64_t(2));
    registry::TransitionRequest staging;
    staging.name = "clf";
    staging.version = 1;
    staging.to = registry::Stage::Staging;
    reg.transition(staging);

    // Predictions of clf:2; those below 0.95 enter the review queue (0.99 does not).
    const double confidences[] = {0.6, 0.4, 0.99, 0.5};
    std::vector<score::PredictionRow> rows;
    ingest::ContentHasher hasher;
    for (int i = 0; i < 4; ++i) {
        const QString file = QFileInfo(m_dir.filePath(QString("pool/%1.png").arg(i))).canonicalFilePath();
        QFile f(file);
        QVERIFY(f.open(QIODevice::ReadOnly));
        const QByteArray bytes = f.readAll();
        const double c = confidences[i];
        m_confidence[QFileInfo(file).fileName()] = c;
        rows.push_back(
            {file.toStdString(), hasher.hex(bytes.data(), std::size_t(bytes.size())), "a", c,
             QString(
                 R"([{"label":"a","probability":%1},{"label":"b","probability":%2},{"label":"c","probability":%3}])")
                 .arg(c)
                 .arg((1 - c) * 0.6)
                 .arg((1 - c) * 0.4)
                 .toStdString()});
    }
    store::WriterLock lock(ws);
    score::MergeOptions mo;
    mo.table = "pool";
    mo.model = "clf";
    mo.modelVersion = 2;
    QCOMPARE(score::mergePredictions(*db, mo, rows).queued, std::int64_t(3));
}

void tst_WorkbenchPages::experimentsShowRunsCurvesAndComparison()
{
    ui::ExperimentsPage page;
    page.resize(1200, 700);
    page.show();
    const auto t1 = test::modelTester(page.runsModel());
    const auto t2 = test::modelTester(page.runsProxy());
    const auto t3 = test::modelTester(page.comparisonModel());
    QSignalSpy loaded(&page, &ui::ExperimentsPage::loaded);
    page.setWorkspace(m_ws);
    QVERIFY(loaded.wait(10000));

    // Newest first: the failed run, then B, then A; metric values as logged at the last epoch.
    QAbstractItemModel *runs = page.runsProxy();
    QCOMPARE(runs->rowCount(), 3);
    auto cell = [&](int row, int column) { return runs->index(row, column).data().toString(); };
    QCOMPARE(runs->index(0, 0).data(ui::RunsModel::RunIdRole).toString(), qs(m_failed));
    QCOMPARE(runs->index(1, 0).data(ui::RunsModel::RunIdRole).toString(), qs(m_runB));
    QCOMPARE(runs->index(2, 0).data(ui::RunsModel::RunIdRole).toString(), qs(m_runA));
    QCOMPARE(cell(1, ui::RunsModel::RunColumn), qs(m_runB.substr(0, 8)));
    QCOMPARE(cell(1, ui::RunsModel::NameColumn), "lower-lr");
    QCOMPARE(cell(1, ui::RunsModel::ExperimentColumn), "alpha");
    QCOMPARE(cell(1, ui::RunsModel::StatusColumn), "FINISHED");
    QCOMPARE(cell(1, ui::RunsModel::DataColumn), "pool@1");
    QCOMPARE(cell(1, ui::RunsModel::DeviceColumn), "cpu");
    QCOMPARE(cell(1, ui::RunsModel::ValAccuracyColumn), "0.9000");
    QCOMPARE(cell(2, ui::RunsModel::ValAccuracyColumn), "0.8000");
    QCOMPARE(cell(2, ui::RunsModel::ValLossColumn), "0.4000");
    QCOMPARE(cell(0, ui::RunsModel::StatusColumn), "FAILED");
    QVERIFY(runs->index(0, ui::RunsModel::StatusColumn).data(Qt::ToolTipRole).toString().contains("out of memory"));
    QVERIFY(runs->index(0, ui::RunsModel::StatusColumn).data(Qt::ForegroundRole).value<QBrush>().color()
            != runs->index(1, ui::RunsModel::StatusColumn).data(Qt::ForegroundRole).value<QBrush>().color());

    // One run: all its params, its final metrics, and three curves of three epochs.
    selectRows(page.runsView(), {2});
    QCOMPARE(page.comparisonModel()->runCount(), 1);
    QCOMPARE(page.comparisonModel()->paramKeys(), QStringList({"batch_size", "channels", "image_size", "lr"}));
    QCOMPARE(page.chart()->series().size(), std::size_t(3));
    for (const ui::ChartSeries &s : page.chart()->series())
        QCOMPARE(s.points.size(), std::size_t(3));
    QCOMPARE(page.chart()->series()[2].label, "val_accuracy");
    QCOMPARE(page.chart()->series()[2].points.back(), QPointF(3, 0.8));
    QVERIFY(!page.chart()->grab().toImage().isNull());

    // Two runs: only the param that differs, and the final metrics side by side (B's accuracy the best).
    selectRows(page.runsView(), {1, 2});
    QCOMPARE(page.selectedRunIds(), QStringList({qs(m_runB), qs(m_runA)}));
    QCOMPARE(page.comparisonModel()->runCount(), 2);
    QCOMPARE(page.comparisonModel()->paramKeys(), QStringList({"lr"}));
    QCOMPARE(page.comparisonModel()->equalParamCount(), 3);
    const auto *cmp = page.comparisonModel();
    bool sawLr = false, sawAccuracy = false;
    for (int r = 0; r < cmp->rowCount(); ++r) {
        const QString key = cmp->index(r, 0).data(ui::RunComparisonModel::KeyRole).toString();
        if (key == "lr") {
            QCOMPARE(cmp->index(r, 1).data().toString(), "0.001");
            QCOMPARE(cmp->index(r, 2).data().toString(), "0.01");
            sawLr = true;
        }
        if (key == "val_accuracy") {
            QCOMPARE(cmp->index(r, 1).data().toString(), "0.9000");
            QCOMPARE(cmp->index(r, 2).data().toString(), "0.8000");
            QVERIFY(cmp->index(r, 1).data(Qt::FontRole).value<QFont>().bold());
            QVERIFY(!cmp->index(r, 2).data(Qt::FontRole).isValid());
            sawAccuracy = true;
        }
    }
    QVERIFY(sawLr);
    QVERIFY(sawAccuracy);
    QCOMPARE(page.chart()->series().size(), std::size_t(2)); // val_accuracy of each run

    // The filter, and a refresh that keeps the selection.
    page.setExperimentFilter("beta");
    QCOMPARE(runs->rowCount(), 1);
    page.setExperimentFilter({});
    QCOMPARE(runs->rowCount(), 3);
    selectRows(page.runsView(), {1, 2});
    page.reload();
    QVERIFY(loaded.wait(10000));
    QCOMPARE(page.selectedRunIds(), QStringList({qs(m_runB), qs(m_runA)}));
}

void tst_WorkbenchPages::modelsShowStagesAndPromote()
{
    ui::ModelsPage page;
    const auto t1 = test::modelTester(page.versionsModel());
    const auto t2 = test::modelTester(page.historyModel());
    QSignalSpy loaded(&page, &ui::ModelsPage::loaded);
    page.setWorkspace(m_ws);
    QVERIFY(loaded.wait(10000));

    auto *versions = page.versionsModel();
    QCOMPARE(versions->rowCount(), 2);
    auto cell = [&](int row, int column) { return versions->index(row, column).data().toString(); };
    QCOMPARE(cell(0, ui::ModelVersionsModel::VersionColumn), "2"); // newest version first
    QCOMPARE(cell(0, ui::ModelVersionsModel::StageColumn), "None");
    QCOMPARE(cell(1, ui::ModelVersionsModel::StageColumn), "Staging");
    QCOMPARE(cell(0, ui::ModelVersionsModel::RunColumn), qs(m_runB.substr(0, 8)));
    QCOMPARE(cell(0, ui::ModelVersionsModel::ValAccuracyColumn), "0.9000");
    QCOMPARE(cell(0, ui::ModelVersionsModel::DataColumn), "pool@1");
    QCOMPARE(page.historyModel()->rowCount(), 1);
    QCOMPARE(page.historyModel()->index(0, ui::TransitionsModel::TransitionColumn).data().toString(), "None → Staging");

    // Promote version 2 to Production through the page's action.
    QSignalSpy finished(&page, &ui::ModelsPage::actionFinished);
    QVERIFY(page.selectVersion("clf", 2));
    page.commentEdit()->setText("better val_accuracy");
    page.transitionSelected(registry::Stage::Production);
    QCOMPARE(nextOutcome(finished), QString());
    QTRY_COMPARE_WITH_TIMEOUT(loaded.count(), 2, 10000);
    {
        const auto ws = store::Workspace::open(m_ws.toStdString());
        auto db = ws.openCatalog();
        QCOMPARE(registry::Registry(ws, *db).version("clf", 2).stage, registry::Stage::Production);
    }
    const int row = versions->rowOf("clf", 2);
    QCOMPARE(cell(row, ui::ModelVersionsModel::StageColumn), "Production");
    QCOMPARE(page.selectVersion("clf", 2), true);
    QCOMPARE(page.historyModel()->rowCount(), 2);
    QCOMPARE(page.historyModel()->index(0, ui::TransitionsModel::TransitionColumn).data().toString(),
             "None → Production");
    QCOMPARE(page.historyModel()->index(0, ui::TransitionsModel::CommentColumn).data().toString(),
             "better val_accuracy");

    // A refused transition reports the registry's words (and leaves the stages as they were).
    page.transitionSelected(registry::Stage::Production);
    const QString refused = nextOutcome(finished);
    QVERIFY2(refused.contains("already in Production"), qPrintable(refused));
    const auto *box = page.findChild<QMessageBox *>();
    QVERIFY(box); // shown with open(), so it does not block
    QVERIFY(box->text().contains("already in Production"));
    QCOMPARE(cell(row, ui::ModelVersionsModel::StageColumn), "Production");
}

void tst_WorkbenchPages::reviewListsLabelsAndCommits()
{
    ui::ReviewPage page;
    page.resize(1200, 700);
    page.show();
    const auto tester = test::modelTester(page.queueModel());
    QSignalSpy loaded(&page, &ui::ReviewPage::loaded);
    page.setWorkspace(m_ws);
    QVERIFY(loaded.wait(10000));

    // Least confident first: 1.png (0.4), 3.png (0.5), 0.png (0.6); 2.png (0.99) was not queued.
    auto *queue = page.queueModel();
    QCOMPARE(queue->rowCount(), 3);
    QStringList order;
    for (int r = 0; r < 3; ++r)
        order << QFileInfo(queue->index(r, ui::ReviewQueueModel::PathColumn).data().toString()).fileName();
    QCOMPARE(order, QStringList({"1.png", "3.png", "0.png"}));
    QCOMPARE(queue->index(0, ui::ReviewQueueModel::ConfidenceColumn).data().toString(), "40.0%");
    QCOMPARE(queue->index(0, ui::ReviewQueueModel::PredictedColumn).data().toString(), "a");
    QCOMPARE(queue->index(0, ui::ReviewQueueModel::Top5Column).data().toString(), "a 40% · b 36% · c 24%");
    QCOMPARE(queue->index(0, ui::ReviewQueueModel::StateColumn).data().toString(), "pending");
    QCOMPARE(page.counts().pending, std::int64_t(3));
    // The thumbnail: the small PNG is its own, read lazily on the pool.
    QTRY_VERIFY_WITH_TIMEOUT(
        !queue->index(0, ui::ReviewQueueModel::ThumbnailColumn).data(Qt::DecorationRole).value<QPixmap>().isNull(),
        5000);

    // The label combo lists the model's classes; label the least confident entry "c".
    QCOMPARE(page.labelCombo()->count(), 3);
    QCOMPARE(page.labelCombo()->itemText(2), "c");
    const qint64 id = queue->index(0, 0).data(ui::ReviewQueueModel::IdRole).toLongLong();
    QSignalSpy finished(&page, &ui::ReviewPage::actionFinished);
    QVERIFY(page.selectEntry(id));
    page.labelSelected("c");
    QCOMPARE(nextOutcome(finished), QString());
    QCOMPARE(queue->index(queue->rowOf(id), ui::ReviewQueueModel::StateColumn).data().toString(), "labeled");
    QCOMPARE(queue->index(queue->rowOf(id), ui::ReviewQueueModel::LabelColumn).data().toString(), "c");
    QCOMPARE(page.counts().labeled, std::int64_t(1));
    QCOMPARE(page.counts().pending, std::int64_t(2));

    // A class the model does not have is refused, naming it; skipping works.
    const qint64 second = queue->index(1, 0).data(ui::ReviewQueueModel::IdRole).toLongLong();
    QVERIFY(page.selectEntry(second));
    page.labelSelected("zebra");
    QVERIFY(nextOutcome(finished).contains("zebra"));
    QVERIFY(page.selectEntry(second));
    page.skipSelected();
    QCOMPARE(nextOutcome(finished), QString());
    QCOMPARE(page.counts().skipped, std::int64_t(1));

    // Commit: one MERGE LABELS version carrying the label; the merged entry leaves the open queue.
    const int loads = loaded.count();
    page.commitLabels();
    QCOMPARE(nextOutcome(finished), QString());
    QTRY_COMPARE_WITH_TIMEOUT(loaded.count(), loads + 1, 10000);
    QVERIFY2(page.commitText().contains("Merged 1 label into catalog version"), qPrintable(page.commitText()));
    QCOMPARE(queue->rowCount(), 2);
    QCOMPARE(queue->rowOf(id), -1);
    const auto ws = store::Workspace::open(m_ws.toStdString());
    auto db = ws.openCatalog();
    catalog::Catalog cat(*db);
    QCOMPARE(cat.history(1).at(0).operation, std::string("MERGE LABELS"));
    QVERIFY2(page.commitText().contains(QString::number(cat.latestVersion())), qPrintable(page.commitText()));
    const catalog::TableStats stats = cat.stats("pool");
    QCOMPARE(stats.labeled, std::int64_t(1));
    QCOMPARE(stats.labels.at("c"), std::int64_t(1));
}

void tst_WorkbenchPages::mainWindowHasThePages()
{
    ui::MainWindow window;
    QSignalSpy loaded(&window, &ui::MainWindow::workspaceLoaded);
    window.openWorkspace(m_ws);
    window.show();
    QVERIFY(loaded.wait(10000));
    QCOMPARE(window.pageNames(), QStringList({"pipelines", "images", "review", "experiments", "models"}));
    // Every page has its data once the window says the workspace is loaded (what --screenshot waits for).
    QCOMPARE(window.page<ui::ReviewPage>()->queueModel()->rowCount(), 2);
    QCOMPARE(window.page<ui::ExperimentsPage>()->runsModel()->rowCount(), 3);
    QCOMPARE(window.page<ui::ModelsPage>()->versionsModel()->rowCount(), 2);
    QVERIFY(!window.showPage("nope"));

    // View → Refresh (F5) reloads the page on screen, the Pipelines page too (Run has its own key).
    QAction *refresh = nullptr;
    for (QAction *a : window.findChildren<QAction *>())
        if (a->text() == "&Refresh")
            refresh = a;
    QVERIFY(refresh);
    QCOMPARE(refresh->shortcut(), QKeySequence(QKeySequence::Refresh));
    QVERIFY(window.showPage("pipelines"));
    QVERIFY(refresh->isEnabled());
    QVERIFY(window.showPage("models"));
    QVERIFY(refresh->isEnabled());
    QSignalSpy modelsLoaded(window.page<ui::ModelsPage>(), &ui::ModelsPage::loaded);
    QSignalSpy reviewLoaded(window.page<ui::ReviewPage>(), &ui::ReviewPage::loaded);
    refresh->trigger();
    QVERIFY(modelsLoaded.wait(10000));
    QVERIFY(window.showPage("review"));
    refresh->trigger();
    QVERIFY(reviewLoaded.wait(10000));
    QVERIFY(window.showPage("experiments"));
    QCOMPARE(loaded.count(), 1);
}

void tst_WorkbenchPages::navigationAndToolbarsHaveIcons()
{
    // Every icon has its bundled SVG, and it draws (offscreen there is no icon theme: the SVGs are what shows).
    for (const QString &name : ui::iconNames()) {
        const QIcon icon = ui::themedIcon(name);
        QVERIFY2(!icon.isNull(), qPrintable(name));
        const QImage image = icon.pixmap(24, 24).toImage();
        int drawn = 0;
        for (int y = 0; y < image.height(); ++y)
            for (int x = 0; x < image.width(); ++x)
                drawn += qAlpha(image.pixel(x, y)) > 0;
        QVERIFY2(drawn > 20, qPrintable(QString("%1: %2 pixels drawn").arg(name).arg(drawn)));
    }
    QVERIFY(ui::themedIcon("no-such-icon").isNull());
    QCOMPARE(ui::themeIconName("refresh"), QString("view-refresh"));

    // The navigation list: an icon per page, each its own.
    ui::MainWindow window;
    window.show();
    auto *nav = window.findChild<QListWidget *>("navigation");
    QVERIFY(nav);
    QCOMPARE(nav->count(), int(window.pages().size()));
    QSet<QByteArray> images;
    for (int i = 0; i < nav->count(); ++i) {
        const QIcon icon = nav->item(i)->icon();
        QVERIFY2(!icon.isNull(), qPrintable(nav->item(i)->text()));
        const QImage image = icon.pixmap(nav->iconSize()).toImage();
        images.insert(QByteArray(reinterpret_cast<const char *>(image.constBits()), int(image.sizeInBytes())));
    }
    QCOMPARE(int(images.size()), nav->count());

    // The Review, Models and Experiments toolbars: every action has its icon, shown beside its text.
    for (ui::Page *page : {static_cast<ui::Page *>(window.page<ui::ReviewPage>()),
                           static_cast<ui::Page *>(window.page<ui::ModelsPage>()),
                           static_cast<ui::Page *>(window.page<ui::ExperimentsPage>())}) {
        const auto bars = page->findChildren<QToolBar *>();
        QVERIFY(!bars.isEmpty());
        for (QToolBar *bar : bars) {
            QCOMPARE(bar->toolButtonStyle(), Qt::ToolButtonTextBesideIcon);
            for (QAction *a : bar->actions())
                if (!a->isSeparator() && !qobject_cast<QWidgetAction *>(a))
                    QVERIFY2(!a->icon().isNull(), qPrintable(page->pageId() + ": " + a->text()));
        }
    }
    // The Experiments page's Train…, Resume and Cancel buttons beside its toolbar.
    for (QAbstractButton *b : window.page<ui::ExperimentsPage>()->findChildren<QAbstractButton *>())
        if (QStringList{"Train…", "Resume", "Cancel"}.contains(b->text()))
            QVERIFY2(!b->icon().isNull(), qPrintable("experiments: " + b->text()));
    // The Pipelines toolbar: every action has an icon, each its own; the file, edit and view actions show it alone
    // (their names in the tooltips), the run actions and Import/Export beside their names.
    auto *pipelines = window.page<ui::PipelinesPage>();
    QToolBar *bar = pipelines->findChild<QToolBar *>();
    QVERIFY(bar);
    QSet<qint64> keys;
    int withText = 0, iconOnly = 0;
    for (QAction *a : bar->actions()) {
        if (a->isSeparator())
            continue;
        QVERIFY2(!a->icon().isNull(), qPrintable("pipelines: " + a->text()));
        keys.insert(a->icon().cacheKey());
        auto *button = qobject_cast<QToolButton *>(bar->widgetForAction(a));
        QVERIFY2(button, qPrintable(a->text()));
        const bool runs = a->text().startsWith("Run") || a->text() == "Cancel" || a->text() == "Repair"
                          || a->text() == "Import/Export";
        QCOMPARE(button->toolButtonStyle(), runs ? Qt::ToolButtonTextBesideIcon : Qt::ToolButtonIconOnly);
        if (!runs) // the name shows only in the tooltip
            QVERIFY2(a->toolTip().contains(a->text().remove(QChar(0x2026))), qPrintable(a->toolTip()));
        (runs ? withText : iconOnly)++;
    }
    QCOMPARE(withText, 6);
    QVERIFY(iconOnly >= 8);
    QCOMPARE(int(keys.size()), withText + iconOnly);
}

void tst_WorkbenchPages::everyPageThroughTheInterface()
{
    ui::MainWindow window;
    std::map<const ui::Page *, QStringList> messages;
    for (ui::Page *page : window.pages())
        connect(page, &ui::Page::message, this, [&messages, page](const QString &m) { messages[page] << m; });
    QSignalSpy workspaceLoaded(&window, &ui::MainWindow::workspaceLoaded);
    window.openWorkspace(m_ws);
    window.show();
    QVERIFY(workspaceLoaded.wait(10000));

    // The page list is what a user can open: one navigation entry per page, in its order, and no other page.
    const auto *nav = window.findChild<QListWidget *>("navigation");
    QVERIFY(nav);
    QCOMPARE(nav->count(), window.pages().size());
    QCOMPARE(window.findChildren<ui::Page *>().size(), window.pages().size());
    QStringList ids;
    for (int i = 0; i < window.pages().size(); ++i) {
        ui::Page *page = window.pages().at(i);
        const QString id = page->pageId();
        QVERIFY2(!id.isEmpty() && !ids.contains(id), qPrintable(id));
        ids << id;
        QCOMPARE(window.page(id), page);
        QVERIFY(!page->pageTitle().isEmpty());
        QCOMPARE(nav->item(i)->text(), page->pageTitle());
        QCOMPARE(nav->item(i)->toolTip(), QString("%1 (Ctrl+%2)").arg(page->pageToolTip()).arg(i + 1));

        // Reached by its id and by its shortcut (from another page).
        QVERIFY(window.showPage(window.pages().at((i + 1) % window.pages().size())->pageId()));
        QVERIFY(!page->isVisible());
        QVERIFY(window.showPage(id));
        QVERIFY(page->isVisible());
        QVERIFY(window.showPage(window.pages().at((i + 1) % window.pages().size())->pageId()));
        QAction *go = actionWithShortcut(window, QKeySequence(Qt::CTRL | Qt::Key(Qt::Key_1 + i)));
        QVERIFY(go);
        go->trigger();
        QVERIFY(page->isVisible());
        QCOMPARE(nav->currentRow(), i);
        // Its docks show with it (and only with it).
        for (const ui::PageDock &d : page->docks()) {
            QVERIFY(d.widget->isVisible());
            QVERIFY(window.showPage(window.pages().at((i + 1) % window.pages().size())->pageId()));
            QVERIFY(!d.widget->isVisible());
            go->trigger();
        }

        // Its first data came without a problem, and so does a reload.
        QVERIFY2(problemsShown(page, messages[page]).isEmpty(),
                 qPrintable(problemsShown(page, messages[page]).join('\n')));
        QSignalSpy loaded(page, &ui::Page::loaded);
        page->reload();
        QVERIFY(loaded.count() > 0 || loaded.wait(10000));
        QVERIFY2(problemsShown(page, messages[page]).isEmpty(),
                 qPrintable(problemsShown(page, messages[page]).join('\n')));
    }
    QCOMPARE(window.pageNames(), ids);
    QCOMPARE(workspaceLoaded.count(), 1);
}

void tst_WorkbenchPages::everyPageShowsAnUnreadableWorkspace()
{
    // The other side of the walk above: a catalog that is no database is a problem every page shows.
    const QString root = m_dir.filePath("unreadable");
    QVERIFY(test::writeFile(root + "/catalog.db", QByteArray(4096, 'x')));
    ui::MainWindow window;
    std::map<const ui::Page *, QStringList> messages;
    for (ui::Page *page : window.pages())
        connect(page, &ui::Page::message, this, [&messages, page](const QString &m) { messages[page] << m; });
    QSignalSpy workspaceLoaded(&window, &ui::MainWindow::workspaceLoaded);
    window.openWorkspace(root);
    window.show();
    QVERIFY(workspaceLoaded.wait(10000));
    for (ui::Page *page : window.pages())
        QVERIFY2(!problemsShown(page, messages[page]).isEmpty(), qPrintable(page->pageId()));
}

QTEST_MAIN(tst_WorkbenchPages)
#include "tst_workbenchpages.moc"
