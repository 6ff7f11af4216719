// The Experiments page on real runs: three small CNNs trained through the worker on generated shapes (different
// learning rates, batch sizes and optimizers). Parallel coordinates of the three, tags and a note written to the
// catalog and read back, the live refresh following a run whose status changes in the catalog, and a training
// launched from the train dialog that appears in the table and finishes.
#include "core/compute/Training.h"
#include "core/ingest/Ingestor.h"
#include "core/store/Database.h"
#include "core/store/Workspace.h"
#include "core/train/ModelZoo.h"
#include "core/track/Tracker.h"
#include "ui/experiments/ExperimentsPage.h"
#include "ui/experiments/MetricChart.h"
#include "ui/experiments/ParallelCoordinates.h"
#include "ui/experiments/RunComparisonModel.h"
#include "ui/experiments/RunTagsModel.h"
#include "ui/experiments/RunsModel.h"
#include "ui/experiments/TrainDialog.h"

#include <QAbstractItemModelTester>
#include <QComboBox>
#include <QDoubleSpinBox>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QPainter>
#include <QPlainTextEdit>
#include <QProgressBar>
#include <QPushButton>
#include <QRandomGenerator>
#include <QScrollBar>
#include <QSignalSpy>
#include <QSpinBox>
#include <QSortFilterProxyModel>
#include <QTableView>
#include <QTemporaryDir>
#include <QToolButton>
#include <QTest>

#include "tests/TestData.h"
#include "tests/WorkerHold.h"

#include <cmath>
#include <limits>
#include <map>
#include <memory>

using namespace pw;

namespace {

QString qs(const std::string &s)
{
    return QString::fromStdString(s);
}

// The proxy row of a run, or -1.
int rowOf(const QAbstractItemModel *model, const std::string &runId)
{
    for (int r = 0; r < model->rowCount(); ++r)
        if (model->index(r, 0).data(ui::RunsModel::RunIdRole).toString() == qs(runId))
            return r;
    return -1;
}

void selectRuns(ui::ExperimentsPage &page, const std::vector<std::string> &ids)
{
    QItemSelection selection;
    auto *m = page.runsProxy();
    for (const std::string &id : ids) {
        const int r = rowOf(m, id);
        QVERIFY2(r >= 0, id.c_str());
        selection.select(m->index(r, 0), m->index(r, m->columnCount() - 1));
    }
    page.runsView()->selectionModel()->select(selection, QItemSelectionModel::ClearAndSelect);
}

ui::RunRow row(const std::string &id, std::map<std::string, std::string> params, std::map<std::string, double> metrics)
{
    ui::RunRow r;
    r.info.runId = id;
    r.params = std::move(params);
    r.metrics = std::move(metrics);
    return r;
}

// Per unbroken stretch and pixel column (floor(x)) of a line: its first and last point and its lowest and
// highest y, in stretch order; a point with a non-finite coordinate ends a stretch.
struct Column
{
    QPointF first, last;
    double lo = 0, hi = 0;
    bool operator==(const Column &) const = default;
};
std::vector<std::map<double, Column>> columnsOf(const std::vector<QPolygonF> &stretches)
{
    std::vector<std::map<double, Column>> out;
    for (const QPolygonF &line : stretches) {
        auto &columns = out.emplace_back();
        for (const QPointF &p : line) {
            const auto [it, added] = columns.try_emplace(std::floor(p.x()), Column{p, p, p.y(), p.y()});
            it->second.last = p;
            it->second.lo = std::min(it->second.lo, p.y());
            it->second.hi = std::max(it->second.hi, p.y());
        }
    }
    return out;
}

} // namespace

class tst_ExperimentsPage : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void parallelData_data();
    void parallelData();
    void parallelCoordinatesOfThreeRuns();
    void tagsAndNotePersist();
    void liveRefreshFollowsTheCatalog();
    void trainDialogLaunchesATraining();
    void killedRunResumes();
    void decimationKeepsEachColumnsShape_data();
    void decimationKeepsEachColumnsShape();
    void chartWithManyRunsDrawsItsCurves_data();
    void chartWithManyRunsDrawsItsCurves();

private:
    std::string train(double lr, int batchSize, const std::string &optimizer);
    void open(ui::ExperimentsPage &page);

    QTemporaryDir m_dir;
    QString m_root;
    std::optional<store::Workspace> m_ws;
    std::vector<std::string> m_runs; // the three trained runs, oldest first
};

void tst_ExperimentsPage::initTestCase()
{
    QVERIFY(m_dir.isValid());
    QVERIFY(test::writeShapeClasses(m_dir.filePath("src"), 30, 11));
    m_root = m_dir.filePath("ws");
    m_ws = store::Workspace::open(m_root.toStdString());
    ingest::IngestOptions o;
    o.source = m_dir.filePath("src").toStdString();
    o.table = "shapes";
    ingest::ingest(*m_ws, o);
    m_runs = {train(4e-3, 16, "adam"), train(1e-3, 32, "adam"), train(1e-5, 16, "sgd")};
    for (const std::string &id : m_runs)
        QVERIFY(!id.empty());
    auto db = m_ws->openCatalog();
    track::Tracker(*db).setTag(m_runs[0], "mlflow.source.name", "pipewright"); // a system tag: read-only on the page
}

std::string tst_ExperimentsPage::train(double lr, int batchSize, const std::string &optimizer)
{
    compute::TrainRequest r = test::shapesTraining();
    r.experiment = "shapes";
    r.lr = lr;
    r.batchSize = batchSize;
    r.optimizer = *compute::kOptimizers.parse(optimizer);
    return test::trainToEnd(*m_ws, r);
}

void tst_ExperimentsPage::open(ui::ExperimentsPage &page)
{
    page.resize(1400, 900);
    page.show();
    QSignalSpy loaded(&page, &ui::ExperimentsPage::loaded);
    page.setWorkspace(m_root);
    QVERIFY(loaded.wait(10000));
}

void tst_ExperimentsPage::parallelData_data()
{
    QTest::addColumn<std::vector<ui::RunRow>>("runs");
    QTest::addColumn<QStringList>("axes"); // keys, the metric last
    QTest::addColumn<QList<double>>("firstY"); // the first run's position on each axis (NaN: none)
    QTest::addColumn<bool>("logFirst"); // the first axis is on a log scale

    QTest::newRow("numbers, equal params left out")
        << std::vector<ui::RunRow>{row("a", {{"lr", "0.1"}, {"seed", "1"}}, {{"acc", 0.5}}),
                                   row("b", {{"lr", "0.3"}, {"seed", "1"}}, {{"acc", 0.9}})}
        << QStringList{"lr", "acc"} << QList<double>{0, 0} << false;
    QTest::newRow("decades: log scale") << std::vector<ui::RunRow>{row("a", {{"lr", "0.1"}}, {{"acc", 0.9}}),
                                                                   row("b", {{"lr", "0.001"}}, {{"acc", 0.5}}),
                                                                   row("c", {{"lr", "0.00001"}}, {{"acc", 0.7}})}
                                        << QStringList{"lr", "acc"} << QList<double>{1, 1} << true;
    QTest::newRow("categories, a missing param, a missing metric")
        << std::vector<ui::RunRow>{row("a", {{"opt", "sgd"}}, {}),
                                   row("b", {{"opt", "adam"}, {"x", "2"}}, {{"acc", 0.5}})}
        << QStringList{"opt", "x", "acc"} << QList<double>{1, NAN, NAN} << false;
}

void tst_ExperimentsPage::parallelData()
{
    QFETCH(std::vector<ui::RunRow>, runs);
    QFETCH(QStringList, axes);
    QFETCH(QList<double>, firstY);
    QFETCH(bool, logFirst);
    const ui::ParallelData d = ui::parallelData(runs, "acc");
    QStringList keys;
    for (const ui::ParallelAxis &a : d.axes)
        keys << a.key;
    QCOMPARE(keys, axes);
    QVERIFY(d.axes.back().metric);
    QCOMPARE(d.axes.front().logScale, logFirst);
    QCOMPARE(d.lines.size(), runs.size());
    QCOMPARE(d.lines[0].y.size(), std::size_t(axes.size()));
    for (qsizetype a = 0; a < firstY.size(); ++a) {
        if (std::isnan(firstY[a]))
            QVERIFY2(std::isnan(d.lines[0].y[std::size_t(a)]), qPrintable(axes[a]));
        else
            QVERIFY2(std::abs(d.lines[0].y[std::size_t(a)] - firstY[a]) < 1e-9, qPrintable(axes[a]));
    }
}

void tst_ExperimentsPage::parallelCoordinatesOfThreeRuns()
{
    ui::ExperimentsPage page;
    const auto t1 = test::modelTester(page.runsModel());
    const auto t2 = test::modelTester(page.runsProxy());
    const auto t3 = test::modelTester(page.comparisonModel());
    const auto t4 = test::modelTester(page.tagsModel());
    open(page);
    QCOMPARE(page.runsProxy()->rowCount(), 3);

    selectRuns(page, m_runs);
    QCOMPARE(page.comparisonModel()->runCount(), 3);
    const ui::ParallelData &plot = page.parallelCoordinates()->plot();
    QVERIFY(page.parallelCoordinates()->isVisibleTo(&page));
    // One axis per param that differs (as the comparison table lists them), then the metric.
    QStringList keys;
    for (const ui::ParallelAxis &a : plot.axes)
        keys << a.key;
    QStringList expected = page.comparisonModel()->paramKeys();
    QVERIFY(expected.contains("lr") && expected.contains("batch_size") && expected.contains("optimizer"));
    QVERIFY(!expected.contains("table")); // the same for all three: no axis
    expected << "val_accuracy";
    QCOMPARE(keys, expected);
    QCOMPARE(plot.lines.size(), std::size_t(3));

    // lr spans 4e-3 to 1e-5: a log axis, the first run on top, the third at the bottom.
    const auto lr = std::size_t(keys.indexOf("lr"));
    QVERIFY(plot.axes[lr].logScale);
    auto lineOf = [&](const std::string &id) -> const ui::ParallelLine & {
        for (const ui::ParallelLine &l : plot.lines)
            if (l.runId == qs(id))
                return l;
        throw std::runtime_error("no line for " + id);
    };
    QCOMPARE(lineOf(m_runs[0]).y[lr], 1.0);
    QCOMPARE(lineOf(m_runs[2]).y[lr], 0.0);
    const auto optimizer = std::size_t(keys.indexOf("optimizer"));
    QVERIFY(plot.axes[optimizer].categorical);
    QCOMPARE(plot.axes[optimizer].categories, QStringList({"adam", "sgd"}));
    // The metric axis holds each run's final val_accuracy.
    auto db = m_ws->openCatalog();
    const track::Tracker tracker(*db);
    for (const std::string &id : m_runs)
        QCOMPARE(lineOf(id).metric, tracker.latestMetrics(id).at("val_accuracy"));

    // Another metric for the last axis.
    const int loss = page.parallelMetricChooser()->findText("val_loss");
    QVERIFY(loss >= 0);
    page.parallelMetricChooser()->setCurrentIndex(loss);
    QCOMPARE(page.parallelCoordinates()->plot().axes.back().key, "val_loss");
    QCOMPARE(lineOf(m_runs[1]).metric, tracker.latestMetrics(m_runs[1]).at("val_loss"));
    // Drawn, with room to be read, and in colour (the viridis lines).
    QTRY_VERIFY_WITH_TIMEOUT(page.parallelCoordinates()->height() >= 100, 60000);
    const QImage image = page.parallelCoordinates()->grab().toImage();
    QVERIFY(!image.isNull());
    int coloured = 0;
    for (int y = 0; y < image.height(); y += 2)
        for (int x = 0; x < image.width(); x += 2)
            coloured += QColor(image.pixel(x, y)).saturation() > 80 ? 1 : 0;
    QVERIFY2(coloured > 50, qPrintable(QString::number(coloured)));

    // One run: no parallel coordinates.
    selectRuns(page, {m_runs[0]});
    QVERIFY(!page.parallelCoordinates()->isVisibleTo(&page));
}

void tst_ExperimentsPage::tagsAndNotePersist()
{
    {
        ui::ExperimentsPage page;
        const auto t1 = test::modelTester(page.tagsModel());
        const auto t2 = test::modelTester(page.runsProxy());
        open(page);
        selectRuns(page, {m_runs[0]});
        ui::RunTagsModel *tags = page.tagsModel();
        QCOMPARE(tags->runId(), m_runs[0]);
        // The system tag is shown, read-only.
        const int system = tags->rowOf("mlflow.source.name");
        QVERIFY(system >= 0);
        QVERIFY(tags->index(system, ui::RunTagsModel::ValueColumn).data(ui::RunTagsModel::SystemRole).toBool());
        QVERIFY(!(tags->flags(tags->index(system, ui::RunTagsModel::ValueColumn)) & Qt::ItemIsEditable));
        QVERIFY(!tags->setData(tags->index(system, ui::RunTagsModel::ValueColumn), "mine"));

        QSignalSpy saved(&page, &ui::ExperimentsPage::tagsSaved);
        // A reserved key is refused in words, and nothing is written.
        page.newTagKeyEdit()->setText("pipewright.stage");
        page.newTagValueEdit()->setText("x");
        page.addTagButton()->click();
        QCOMPARE(saved.size(), 1);
        QVERIFY(saved.takeFirst().at(0).toString().contains("reserved"));

        // A user tag through the fields, then edited in the table.
        page.newTagKeyEdit()->setText("stage");
        page.newTagValueEdit()->setText("candidate");
        page.addTagButton()->click();
        QVERIFY(saved.wait(5000));
        QCOMPARE(saved.takeFirst().at(0).toString(), QString());
        const int stage = tags->rowOf("stage");
        QVERIFY(stage >= 0);
        QVERIFY(stage < tags->rowOf("mlflow.source.name")); // the user's tags first
        QVERIFY(tags->setData(tags->index(stage, ui::RunTagsModel::ValueColumn), "best"));
        QVERIFY(saved.wait(5000));
        QCOMPARE(saved.takeFirst().at(0).toString(), QString());
        QCOMPARE(
            page.runsProxy()->index(rowOf(page.runsProxy(), m_runs[0]), ui::RunsModel::TagsColumn).data().toString(),
            "stage=best");

        // The note, typed (a modified note enables Save).
        QVERIFY(!page.saveNoteButton()->isEnabled());
        page.noteEdit()->insertPlainText("lr 4e-3 learns the shapes in one epoch");
        QVERIFY(page.saveNoteButton()->isEnabled());
        page.saveNoteButton()->click();
        QVERIFY(saved.wait(5000));
        QCOMPARE(saved.takeFirst().at(0).toString(), QString());
        QVERIFY(!page.saveNoteButton()->isEnabled());

        // The tag filter.
        page.tagFilterEdit()->setText("stage=best");
        QCOMPARE(page.runsProxy()->rowCount(), 1);
        page.tagFilterEdit()->setText("one epoch"); // words of the note
        QCOMPARE(page.runsProxy()->rowCount(), 1);
        page.tagFilterEdit()->setText("stage=other");
        QCOMPARE(page.runsProxy()->rowCount(), 0);
        page.tagFilterEdit()->clear();
        QCOMPARE(page.runsProxy()->rowCount(), 3);
    }
    // In the catalog...
    auto db = m_ws->openCatalog();
    const auto stored = track::Tracker(*db).tags(m_runs[0]);
    QCOMPARE(qs(stored.at("stage")), "best");
    QCOMPARE(qs(stored.at(ui::kNoteTag)), "lr 4e-3 learns the shapes in one epoch");
    QVERIFY(!stored.count("pipewright.stage"));
    // ... and on a page that reads them again.
    ui::ExperimentsPage again;
    open(again);
    selectRuns(again, {m_runs[0]});
    QVERIFY(again.tagsModel()->rowOf("stage") >= 0);
    QCOMPARE(again.tagsModel()->index(again.tagsModel()->rowOf("stage"), 1).data().toString(), "best");
    QCOMPARE(again.noteEdit()->toPlainText(), "lr 4e-3 learns the shapes in one epoch");
    QVERIFY(again.tagsModel()->rowOf(ui::kNoteTag) < 0); // the note has its own editor
}

void tst_ExperimentsPage::liveRefreshFollowsTheCatalog()
{
    // A run "training" elsewhere: RUNNING, one epoch logged so far.
    auto db = m_ws->openCatalog();
    track::Tracker tracker(*db);
    track::NewRun nr;
    nr.experiment = "shapes";
    nr.name = "elsewhere";
    nr.table = "shapes";
    const std::string live = tracker.createRun(nr);
    tracker.logParams(live, {{"lr", "0.002"}, {"batch_size", "16"}});
    tracker.logMetrics(live, {{"val_accuracy", 0.4, 1, 1}});

    ui::ExperimentsPage page;
    const auto t1 = test::modelTester(page.runsModel());
    const auto t2 = test::modelTester(page.runsProxy());
    page.setLiveInterval(100);
    open(page);
    QVERIFY(page.isLive());
    const int before = page.runsProxy()->rowCount();
    QCOMPARE(page.runsProxy()->index(rowOf(page.runsProxy(), live), ui::RunsModel::StatusColumn).data().toString(),
             "RUNNING");

    // Compare it with a finished run, sorted by name; the overlay's curve of the running run has one point.
    page.runsView()->sortByColumn(ui::RunsModel::NameColumn, Qt::AscendingOrder);
    selectRuns(page, {live, m_runs[1]});
    const int chosen = page.metricChooser()->findText("val_accuracy");
    QVERIFY(chosen >= 0);
    page.metricChooser()->setCurrentIndex(chosen);
    auto liveCurve = [&]() -> std::size_t {
        for (const ui::ChartSeries &s : page.chart()->series())
            if (s.label.endsWith("elsewhere"))
                return s.points.size();
        return 0;
    };
    QCOMPARE(liveCurve(), std::size_t(1));
    QSignalSpy resets(page.runsModel(), &QAbstractItemModel::modelReset);

    // A second epoch: the curve grows without a reload asked for.
    tracker.logMetrics(live, {{"val_accuracy", 0.6, 2, 2}});
    QTRY_COMPARE_WITH_TIMEOUT(liveCurve(), std::size_t(2), 60000);
    // The run ends in the catalog: its row says so, the live refresh stops.
    tracker.setImagesPerSecond(live, 321);
    tracker.endRun(live, "FINISHED");
    QTRY_COMPARE_WITH_TIMEOUT(
        page.runsProxy()->index(rowOf(page.runsProxy(), live), ui::RunsModel::StatusColumn).data().toString(),
        "FINISHED", 5000);
    QCOMPARE(page.runsProxy()->index(rowOf(page.runsProxy(), live), ui::RunsModel::ThroughputColumn).data().toString(),
             "321");
    QTRY_VERIFY_WITH_TIMEOUT(!page.isLive(), 60000);
    // Merged, not reset: the same rows, the selection, the sort.
    QCOMPARE(resets.size(), 0);
    QCOMPARE(page.runsProxy()->rowCount(), before);
    QCOMPARE(page.selectedRunIds().size(), 2);
    QVERIFY(page.selectedRunIds().contains(qs(live)));
    QCOMPARE(page.runsView()->horizontalHeader()->sortIndicatorSection(), int(ui::RunsModel::NameColumn));
}

void tst_ExperimentsPage::trainDialogLaunchesATraining()
{
    ui::ExperimentsPage page;
    const auto t1 = test::modelTester(page.runsModel());
    const auto t2 = test::modelTester(page.runsProxy());
    page.setLiveInterval(200);
    open(page);
    const int before = page.runsProxy()->rowCount();

    page.trainButton()->click();
    QTRY_VERIFY_WITH_TIMEOUT(page.trainDialog() != nullptr, 60000);
    ui::TrainDialog *dialog = page.trainDialog();
    QVERIFY(dialog->targetBox()->findText("local") >= 0);
    QVERIFY(dialog->tableBox()->findText("shapes") >= 0);
    QCOMPARE(dialog->modelBox()->count(), int(std::size(pw::train::kModelZoo))); // the model zoo
    dialog->tableBox()->setCurrentText("shapes");
    dialog->experimentBox()->setCurrentText("from-the-page");
    dialog->runNameEdit()->setText("dialog run");
    dialog->epochsBox()->setValue(1);
    dialog->batchSizeBox()->setValue(16);
    dialog->valFractionBox()->setValue(0.2);
    dialog->deviceBox()->setCurrentText("cpu");
    // A size small-cnn does not take: refused in the dialog, which stays open.
    dialog->imageSizeBox()->setValue(4);
    dialog->accept();
    QVERIFY(dialog->isVisible());
    QVERIFY(dialog->errorLabel()->text().contains("outside"));
    QVERIFY(!page.isTraining());
    dialog->imageSizeBox()->setValue(16);

    QSignalSpy progressed(&page, &ui::ExperimentsPage::trainingProgressed);
    QSignalSpy finished(&page, &ui::ExperimentsPage::trainingFinished);
    QSignalSpy messages(&page, &ui::Page::message);
    QString seenRunning; // the run as the table showed it while it trained
    connect(page.runsModel(), &QAbstractItemModel::rowsInserted, &page, [&](const QModelIndex &, int first, int last) {
        for (int r = first; r <= last; ++r)
            if (page.runsModel()->index(r, ui::RunsModel::NameColumn).data().toString() == "dialog run")
                seenRunning = page.runsModel()->index(r, ui::RunsModel::StatusColumn).data().toString();
    });
    // The worker waits after its epoch until the table has shown the run RUNNING: a fast machine could otherwise
    // end the run before the page's first read of it.
    test::WorkerHold hold;
    QVERIFY(hold.hold("epoch-1-end"));
    dialog->accept();
    QVERIFY(page.isTraining());
    QVERIFY(page.trainProgress()->isVisible());
    QVERIFY(!page.trainButton()->isEnabled());
    QVERIFY(!page.startTraining({})); // one at a time
    QTRY_VERIFY_WITH_TIMEOUT(!seenRunning.isEmpty(), 60000);
    QTRY_VERIFY_WITH_TIMEOUT(hold.isHeld("epoch-1-end"), 60000);
    hold.release("epoch-1-end");
    QVERIFY(finished.count() > 0 || finished.wait(60000));
    const QString runId = finished.at(0).at(0).toString();
    QCOMPARE(finished.at(0).at(1).toString(), "FINISHED");
    QVERIFY(!runId.isEmpty());
    bool sawEpoch = false;
    for (const QList<QVariant> &p : progressed)
        sawEpoch = sawEpoch || p.at(0).toString().startsWith("epoch 1/1");
    QVERIFY(sawEpoch);
    QCOMPARE(seenRunning, "RUNNING"); // it appeared live, before it ended

    // The reload after the end: the run FINISHED, in its experiment, selected.
    const auto finishedShown = [&] {
        const int r = rowOf(page.runsProxy(), runId.toStdString());
        return r >= 0 && page.runsProxy()->index(r, ui::RunsModel::StatusColumn).data().toString() == "FINISHED";
    };
    QTRY_VERIFY_WITH_TIMEOUT(finishedShown(), 60000);
    QCOMPARE(page.runsProxy()->rowCount(), before + 1);
    const int r = rowOf(page.runsProxy(), runId.toStdString());
    QCOMPARE(page.runsProxy()->index(r, ui::RunsModel::ExperimentColumn).data().toString(), "from-the-page");
    QTRY_COMPARE_WITH_TIMEOUT(page.selectedRunIds(), QStringList{runId}, 60000);
    QVERIFY(!page.isTraining());
    QVERIFY(!page.trainProgress()->isVisible());
    // The outcome went to the status bar (which lets it expire), not into the header.
    QVERIFY(!page.trainStatus()->isVisible());
    QVERIFY(!messages.isEmpty());
    QVERIFY2(messages.last().at(0).toString().contains("FINISHED"), qPrintable(messages.last().at(0).toString()));
    QVERIFY(page.trainButton()->isEnabled());
}

void tst_ExperimentsPage::killedRunResumes()
{
    // A training stopped with Cancel ends KILLED: the outcome goes to the status bar (the header keeps its filters in
    // view), and Resume continues the run from its checkpoint to the end, each epoch counted once.
    ui::ExperimentsPage page;
    page.setLiveInterval(200);
    page.resize(1366, 700);
    open(page);
    QSignalSpy finished(&page, &ui::ExperimentsPage::trainingFinished);
    QSignalSpy messages(&page, &ui::Page::message);
    compute::TrainRequest r = test::shapesTraining();
    r.experiment = "resume";
    r.runName = "to resume";
    r.epochs = 2;
    r.batchSize = 16;
    test::WorkerHold hold;
    QVERIFY(hold.hold("epoch-1-batch-1"));
    QVERIFY(page.startTraining(r));
    QTRY_VERIFY_WITH_TIMEOUT(hold.isHeld("epoch-1-batch-1"), 60000);
    QToolButton *cancel = nullptr;
    for (QToolButton *b : page.findChildren<QToolButton *>())
        if (b->text() == "Cancel" && b->isVisible())
            cancel = b;
    QVERIFY(cancel);
    QTest::mouseClick(cancel, Qt::LeftButton);
    QVERIFY(finished.count() > 0 || finished.wait(60000));
    QCOMPARE(finished.at(0).at(1).toString(), QString("KILLED"));
    const QString runId = finished.at(0).at(0).toString();
    QVERIFY2(messages.last().at(0).toString().contains("KILLED"), qPrintable(messages.last().at(0).toString()));
    QVERIFY(!page.trainStatus()->isVisible());
    QVERIFY(page.tagFilterEdit()->isVisible()); // not pushed into the toolbar's overflow

    // The run is selected after the reload; Resume is offered for it and continues it.
    QTRY_COMPARE_WITH_TIMEOUT(page.selectedRunIds(), QStringList{runId}, 60000);
    QTRY_VERIFY_WITH_TIMEOUT(page.resumeButton()->isVisible(), 10000);
    QCOMPARE(page.resumableRun(), runId);
    hold.releaseAll();
    QTest::mouseClick(page.resumeButton(), Qt::LeftButton);
    QVERIFY(page.isTraining());
    QVERIFY(!page.resumeButton()->isVisible());
    QVERIFY(finished.count() > 1 || finished.wait(120000));
    QCOMPARE(finished.at(1).at(0).toString(), runId); // the same run, not a new one
    QCOMPARE(finished.at(1).at(1).toString(), QString("FINISHED"));

    auto db = m_ws->openCatalog();
    track::Tracker tracker(*db);
    QCOMPARE(tracker.run(runId.toStdString()).status, std::string("FINISHED"));
    QList<std::int64_t> epochs;
    for (const auto &m : tracker.metricHistory(runId.toStdString(), "train_loss"))
        epochs << m.epoch;
    QCOMPARE(epochs, (QList<std::int64_t>{1, 2}));
    QCOMPARE(tracker.tags(runId.toStdString()).at("resumed"), std::string("1"));
    QTRY_VERIFY_WITH_TIMEOUT(!page.resumeButton()->isVisible() && page.selectedRunIds() == QStringList{runId}, 60000);
}

void tst_ExperimentsPage::decimationKeepsEachColumnsShape_data()
{
    QTest::addColumn<int>("count");
    QTest::addColumn<double>("span"); // the pixels the points cover, along x
    QTest::addColumn<int>("gapEvery"); // a NaN value every this many points (0: none)

    QTest::newRow("100,000 points over 500 px") << 100000 << 500.0 << 0;
    QTest::newRow("10,000 points over 937 px") << 10000 << 937.0 << 0;
    QTest::newRow("fewer points than columns") << 300 << 500.0 << 0;
    QTest::newRow("gaps") << 20000 << 400.0 << 997;
}

void tst_ExperimentsPage::decimationKeepsEachColumnsShape()
{
    QFETCH(int, count);
    QFETCH(double, span);
    QFETCH(int, gapEvery);
    // A noisy decaying loss in pixels (y down), with a spike above it and a dip below it inside one column each.
    QRandomGenerator rng(7);
    std::vector<QPointF> points;
    std::vector<QPolygonF> stretches(1);
    const double nan = std::numeric_limits<double>::quiet_NaN();
    for (int i = 0; i < count; ++i) {
        double y = 300 - 250 * std::exp(-i * 5.0 / count) + (rng.generateDouble() - 0.5) * 20;
        if (i == count / 3)
            y = -1000;
        if (i == 2 * count / 3 + 1)
            y = 5000;
        if (gapEvery > 0 && i % gapEvery == gapEvery - 1)
            y = nan;
        const QPointF p(10.25 + i * span / count, y);
        points.push_back(p);
        if (std::isnan(y))
            stretches.emplace_back();
        else
            stretches.back() << p;
    }
    std::erase_if(stretches, [](const QPolygonF &l) { return l.isEmpty(); });

    const std::vector<QPolygonF> lines = ui::decimatePolyline(points);
    // Every column keeps its first and last point and its extremes, the spike and the dip included.
    QCOMPARE(lines.size(), stretches.size());
    QVERIFY(columnsOf(lines) == columnsOf(stretches));
    qsizetype kept = 0;
    double lo = 0, hi = 0;
    for (const QPolygonF &line : lines) {
        kept += line.size();
        for (const QPointF &p : line) {
            lo = std::min(lo, p.y());
            hi = std::max(hi, p.y());
        }
    }
    QCOMPARE(lo, -1000.0);
    QCOMPARE(hi, 5000.0);
    // At most 4 points per column (a gap splits its column in two), and never more than were given.
    const qsizetype columns = qsizetype(std::ceil(span)) + 1 + qsizetype(lines.size()) - 1;
    QVERIFY2(kept <= 4 * columns, qPrintable(QStringLiteral("%1 points kept for %2 columns").arg(kept).arg(columns)));
    QVERIFY(kept <= count);
    if (count > 4 * columns)
        QVERIFY(kept < count / 2);
    // Every point kept is one of the line's own, in its order.
    std::size_t next = 0;
    for (const QPolygonF &line : lines)
        for (const QPointF &p : line) {
            while (next < points.size() && points[next] != p)
                ++next;
            QVERIFY2(next < points.size(), "a point that was not given, or out of order");
            ++next;
        }
}

void tst_ExperimentsPage::chartWithManyRunsDrawsItsCurves_data()
{
    QTest::addColumn<int>("runs");
    QTest::addColumn<QSize>("size");

    QTest::newRow("20 runs in the page's 517x185") << 20 << QSize(517, 185);
    QTest::newRow("20 runs at the minimum size") << 20 << QSize(240, 160);
    QTest::newRow("3 runs at 420x240") << 3 << QSize(420, 240);
}

void tst_ExperimentsPage::chartWithManyRunsDrawsItsCurves()
{
    QFETCH(int, runs);
    QFETCH(QSize, size);
    // Flat lines spread over the lower part of the value range: the legend must leave the plot room to show them.
    std::vector<ui::ChartSeries> series;
    for (int i = 0; i < runs; ++i) {
        ui::ChartSeries s{QStringLiteral("%1 long-run-%2").arg(QString::number(0x86ace179u + i, 16)).arg(i),
                          ui::seriesColor(i),
                          Qt::SolidLine,
                          false,
                          {}};
        for (int step = 0; step < 2000; ++step)
            s.points.emplace_back(step, 1.0 + i * 0.05);
        series.push_back(std::move(s));
    }
    ui::MetricChart chart;
    chart.resize(size);
    chart.setSeries(series, QStringLiteral("train_loss"), {}, QStringLiteral("step"));
    QCOMPARE(chart.series().size(), std::size_t(runs)); // the points are kept whole; only the drawing is thinned
    QCOMPARE(chart.series().front().points.size(), std::size_t(2000));
    QImage image(chart.size(), QImage::Format_ARGB32);
    image.fill(Qt::white);
    QPainter painter(&image);
    chart.render(&painter);
    painter.end();
    // Coloured pixels in the lower half of the chart: at least one 2 px curve across it, not a few legend swatches
    // (a legend of 20 rows filled the page's chart and left no plot: 200 such pixels).
    int coloured = 0;
    for (int y = image.height() / 2; y < image.height(); ++y)
        for (int x = 0; x < image.width(); ++x)
            if (QColor(image.pixel(x, y)).hsvSaturationF() > 0.4)
                ++coloured;
    QVERIFY2(coloured > 2 * image.width(),
             qPrintable(QStringLiteral("%1 coloured pixels in the lower half").arg(coloured)));
}

QTEST_MAIN(tst_ExperimentsPage)
#include "tst_experimentspage.moc"
