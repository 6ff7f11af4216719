// The promotion dialog on real models: two small CNNs trained through the worker on generated images (one
// barely trained), registered; the dialog refuses to promote the worse over the better (both accuracies in
// its words, the registry untouched) and promotes the better over the worse. Also: the source run link; the Preview
// (image files dropped on a version: each one's top 5 beside its image, a corrupt file's row says why, the catalog
// untouched).
#include "core/catalog/Catalog.h"
#include "core/compute/Training.h"
#include "core/ingest/Ingestor.h"
#include "core/registry/Registry.h"
#include "core/store/Database.h"
#include "core/store/Workspace.h"
#include "core/track/Tracker.h"
#include "ui/experiments/ConfusionHeatMap.h"
#include "ui/experiments/ExperimentsPage.h"
#include "ui/experiments/ExperimentsSnapshot.h"
#include "ui/experiments/MetricChart.h"
#include "ui/experiments/RunComparisonModel.h"
#include "ui/MainWindow.h"
#include "ui/models/ClassComparisonModel.h"
#include "ui/models/ModelVersionsModel.h"
#include "ui/models/ModelsPage.h"
#include "ui/models/PreviewDialog.h"
#include "ui/models/PreviewModel.h"
#include "ui/models/PromoteDialog.h"

#include <QAbstractItemModelTester>
#include <QAction>
#include <QCheckBox>
#include <QLabel>
#include <QMimeData>
#include <QUrl>
#include <QComboBox>
#include <QItemSelectionModel>
#include <QLineEdit>
#include <QProcess>
#include <QPushButton>
#include <QSlider>
#include <QDir>
#include <QFileDialog>
#include <QFileInfo>
#include <QSignalSpy>
#include <QTableView>
#include <QTemporaryDir>
#include <QTest>

#include "tests/TestData.h"

#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>

#include <random>

using namespace pw;

namespace {
QString pct(double v)
{
    return QStringLiteral("%1%").arg(v * 100, 0, 'f', 2);
}
} // namespace

class tst_ModelsDialog : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void refusesAWorseCandidate();
    void promotesABetterCandidate();
    void heldOutTableByDefault();
    void noComparisonNeedsAnOverride();
    void workspaceGateBindsTheCli();
    void sourceRunIsALink();
    void overlayChartFollowsTheControls();
    void confusionHeatMapReadsTheEvaluation();
    void mainWindowFollowsTheRunLink();
    void previewPredictsDroppedFiles();

private:
    std::string train(int epochs, double lr);
    registry::ModelVersion version(std::int64_t v) const;
    std::vector<registry::ModelVersion> versions() const;
    std::size_t historySize() const;
    void toProduction(std::int64_t v);
    /** Runs promote() on a Production dialog compared on "shapes"; returns promotionFinished's error. */
    QString promote(ui::PromoteDialog &dialog);
    /** What the stage history says the last transition of `v` to Production checked. */
    QString gateOf(std::int64_t v) const;
    /** `pipewright ARGS --workspace WS`: exit code, and stderr in `err`. */
    int cli(const QStringList &args, QString *err = nullptr) const;

    QTemporaryDir m_dir;
    std::optional<store::Workspace> m_ws;
    std::string m_worseRun;
    std::string m_betterRun;
};

// 3 classes of 16x16 gray PNGs (as tst_training): bright top half, bright left half, bright centre; with noise.
void tst_ModelsDialog::initTestCase()
{
    QVERIFY(m_dir.isValid());
    QVERIFY(test::writeShapeClasses(m_dir.filePath("src"), 80, 7));
    m_ws = store::Workspace::open(m_dir.filePath("ws").toStdString());
    ingest::IngestOptions o;
    o.source = m_dir.filePath("src").toStdString();
    o.table = "shapes";
    ingest::ingest(*m_ws, o);

    // One epoch at a tiny learning rate stays near chance; four at the default learn the shapes.
    m_worseRun = train(1, 1e-6);
    m_betterRun = train(4, 0);
    QVERIFY(!m_worseRun.empty() && !m_betterRun.empty());
    auto db = m_ws->openCatalog();
    registry::Registry reg(*m_ws, *db);
    QCOMPARE(reg.registerRun(m_worseRun, "clf").version, 1);
    QCOMPARE(reg.registerRun(m_betterRun, "clf").version, 2);
    // A second table, added after the training: held out from it (the newest such).
    ingest::IngestOptions heldOut;
    heldOut.source = m_dir.filePath("src").toStdString();
    heldOut.table = "shapes-test";
    QVERIFY(ingest::ingest(*m_ws, heldOut).added > 0);
}

QString tst_ModelsDialog::gateOf(std::int64_t v) const
{
    auto db = m_ws->openCatalog();
    QString gate;
    for (const registry::Transition &t : registry::Registry(*m_ws, *db).history("clf"))
        if (t.version == v && t.to == "Production")
            gate = QString::fromStdString(t.gate);
    return gate;
}

int tst_ModelsDialog::cli(const QStringList &args, QString *err) const
{
    QProcess p;
    p.start(PIPEWRIGHT_BIN, args + QStringList{"--workspace", QString::fromStdString(m_ws->root())});
    if (!p.waitForFinished(120000))
        return -1;
    if (err)
        *err = QString::fromUtf8(p.readAllStandardError());
    return p.exitCode();
}

std::string tst_ModelsDialog::train(int epochs, double lr)
{
    compute::TrainRequest r = test::shapesTraining();
    r.experiment = "tests";
    r.epochs = epochs;
    r.lr = lr;
    r.batchSize = 16;
    return test::trainToEnd(*m_ws, r);
}

registry::ModelVersion tst_ModelsDialog::version(std::int64_t v) const
{
    auto db = m_ws->openCatalog();
    return registry::Registry(*m_ws, *db).version("clf", v);
}

std::vector<registry::ModelVersion> tst_ModelsDialog::versions() const
{
    auto db = m_ws->openCatalog();
    return registry::Registry(*m_ws, *db).versions("clf");
}

void tst_ModelsDialog::toProduction(std::int64_t v)
{
    auto db = m_ws->openCatalog();
    registry::TransitionRequest r;
    r.name = "clf";
    r.version = v;
    r.to = registry::Stage::Production;
    registry::Registry(*m_ws, *db).transition(r);
}

std::size_t tst_ModelsDialog::historySize() const
{
    auto db = m_ws->openCatalog();
    return registry::Registry(*m_ws, *db).history("clf").size();
}

QString tst_ModelsDialog::promote(ui::PromoteDialog &dialog)
{
    QSignalSpy compared(&dialog, &ui::PromoteDialog::comparisonFinished);
    QSignalSpy finished(&dialog, &ui::PromoteDialog::promotionFinished);
    dialog.setComparisonTable("shapes");
    dialog.promote(); // compares first (off the GUI thread), then decides
    if (!finished.wait(30000) && finished.isEmpty())
        return QStringLiteral("(no promotionFinished)");
    if (compared.count() != 1)
        return QStringLiteral("(compared %1 times)").arg(compared.count());
    return finished.first().first().toString();
}

void tst_ModelsDialog::refusesAWorseCandidate()
{
    toProduction(2);
    const std::size_t history = historySize();
    ui::PromoteDialog dialog(QString::fromStdString(m_ws->root()), version(1), registry::Stage::Production, versions(),
                             {"shapes"});
    QAbstractItemModelTester tester(dialog.classModel(), QAbstractItemModelTester::FailureReportingMode::QtTest);
    const QString error = promote(dialog);
    QVERIFY2(error.contains("promotion refused"), qPrintable(error));

    const ui::PromotionComparison *c = dialog.comparison();
    QVERIFY(c);
    QVERIFY2(c->error.isEmpty(), qPrintable(c->error));
    QVERIFY(!c->gate.passed);
    QCOMPARE(c->gate.productionVersion, 2);
    QVERIFY2(c->gate.productionAccuracy > c->gate.candidateAccuracy + 0.2,
             qPrintable(pct(c->gate.productionAccuracy) + " vs " + pct(c->gate.candidateAccuracy)));
    // In words, with both accuracies.
    const QString verdict = dialog.verdictText();
    QVERIFY2(verdict.contains("less accurate"), qPrintable(verdict));
    QVERIFY2(verdict.contains(pct(c->gate.candidateAccuracy)), qPrintable(verdict));
    QVERIFY2(verdict.contains(pct(c->gate.productionAccuracy)), qPrintable(verdict));
    QVERIFY(error.contains(QString::fromStdString(c->gate.summary())));

    // Per class: the three classes, the differences adding up to the accuracies' sign.
    ui::ClassComparisonModel *classes = dialog.classModel();
    QCOMPARE(classes->rowCount(), 3);
    double sum = 0;
    for (int r = 0; r < classes->rowCount(); ++r) {
        const QVariant d = classes->index(r, ui::ClassComparisonModel::DifferenceColumn)
                               .data(ui::ClassComparisonModel::DifferenceRole);
        QVERIFY(d.isValid());
        sum += d.toDouble();
    }
    QVERIFY(sum < 0);
    QCOMPARE(classes->index(0, ui::ClassComparisonModel::ClassColumn).data().toString(),
             QString::fromStdString(c->candidate.classes.at(0)));

    // Nothing changed.
    QCOMPARE(version(1).stage, registry::Stage::None);
    QCOMPARE(version(2).stage, registry::Stage::Production);
    QCOMPARE(historySize(), history);
    QVERIFY(dialog.result() != QDialog::Accepted);
}

void tst_ModelsDialog::promotesABetterCandidate()
{
    // The worse one in Production, the better one through the dialog: it passes, and the worse is archived.
    toProduction(1);
    QCOMPARE(version(2).stage, registry::Stage::Archived);
    ui::PromoteDialog dialog(QString::fromStdString(m_ws->root()), version(2), registry::Stage::Production, versions(),
                             {"shapes"});
    dialog.commentEdit()->setText("better on shapes");
    const QString error = promote(dialog);
    QVERIFY2(error.isEmpty(), qPrintable(error));
    QVERIFY(dialog.comparison() && dialog.comparison()->gate.passed);
    QVERIFY(dialog.verdictText().contains("at least as accurate"));
    QCOMPARE(version(2).stage, registry::Stage::Production);
    QCOMPARE(version(1).stage, registry::Stage::Archived);
    auto db = m_ws->openCatalog();
    const auto history = registry::Registry(*m_ws, *db).history("clf");
    QVERIFY(std::any_of(history.begin(), history.end(), [](const registry::Transition &t) {
        return t.version == 2 && t.comment == "better on shapes";
    }));
    QCOMPARE(dialog.result(), int(QDialog::Accepted));
    // The history says what was compared: the table, its catalog version, both accuracies (the dialog's comparison,
    // not evaluated again).
    const registry::GateResult &g = dialog.comparison()->gate;
    QCOMPARE(gateOf(2), "compared: " + QString::fromStdString(g.summary()));
    QVERIFY2(gateOf(2).contains("Production version 1 ") && gateOf(2).contains("table shapes, catalog version"),
             qPrintable(gateOf(2)));
}

void tst_ModelsDialog::heldOutTableByDefault()
{
    // Trained on "shapes": the Promote and Evaluate dialogs offer "shapes-test" first, the training table last.
    const std::string root = m_ws->root();
    QCOMPARE(ui::workspaceTables(root, "shapes"), (std::vector<std::string>{"shapes-test", "shapes"}));
    QCOMPARE(version(1).dataTable, std::string("shapes"));
    ui::PromoteDialog dialog(QString::fromStdString(root), version(1), registry::Stage::Production, versions(),
                             {"shapes-test", "shapes"});
    QCOMPARE(dialog.comparisonTable(), QString("shapes-test"));
    // The workspace's gate table, when set, is chosen instead and named as the workspace's rule.
    dialog.setWorkspaceGateTable("shapes");
    QCOMPARE(dialog.comparisonTable(), QString("shapes"));
}

void tst_ModelsDialog::noComparisonNeedsAnOverride()
{
    QCOMPARE(version(2).stage, registry::Stage::Production);
    const registry::Stage before = version(1).stage; // Archived by the promotion of v2
    const std::size_t history = historySize();
    ui::PromoteDialog dialog(QString::fromStdString(m_ws->root()), version(1), registry::Stage::Production, versions(),
                             {"shapes-test", "shapes"});
    dialog.show();
    QVERIFY(QTest::qWaitForWindowExposed(&dialog));
    QPushButton *move = nullptr;
    for (QPushButton *b : dialog.findChildren<QPushButton *>())
        if (b->text() == "Move to Production")
            move = b;
    QVERIFY(move);
    QSignalSpy finished(&dialog, &ui::PromoteDialog::promotionFinished);

    // "(no comparison)" alone: refused, in words; nothing written.
    dialog.setComparisonTable(QString());
    QVERIFY(dialog.skipComparison()->isEnabled());
    QVERIFY(!dialog.skipReason()->isEnabled());
    QTest::mouseClick(move, Qt::LeftButton);
    QTRY_COMPARE_WITH_TIMEOUT(finished.size(), 1, 30000);
    QVERIFY2(finished.first().first().toString().contains("give the reason"),
             qPrintable(finished.first().first().toString()));
    QCOMPARE(version(1).stage, before);
    QCOMPARE(historySize(), history);

    // The override checked but no reason: still refused.
    QTest::mouseClick(dialog.skipComparison(), Qt::LeftButton);
    QVERIFY(dialog.skipComparison()->isChecked());
    QVERIFY(dialog.skipReason()->isEnabled());
    QTest::mouseClick(move, Qt::LeftButton);
    QTRY_COMPARE_WITH_TIMEOUT(finished.size(), 2, 30000);
    QVERIFY(!finished.last().first().toString().isEmpty());
    QCOMPARE(version(1).stage, before);

    // With a reason: promoted, and the history says the comparison was skipped and why.
    QTest::keyClicks(dialog.skipReason(), "rollback: v2 misreads scans");
    QTest::mouseClick(move, Qt::LeftButton);
    QTRY_COMPARE_WITH_TIMEOUT(finished.size(), 3, 30000);
    QCOMPARE(finished.last().first().toString(), QString());
    QCOMPARE(version(1).stage, registry::Stage::Production);
    QCOMPARE(gateOf(1), QString("promoted without comparison: rollback: v2 misreads scans"));
}

void tst_ModelsDialog::workspaceGateBindsTheCli()
{
    // v1 (the worse) is in Production now. A gate table must exist in the catalog.
    QString err;
    QCOMPARE(cli({"config", "set", "registry.gate_table", "nosuch"}, &err), 1);
    QVERIFY2(err.contains("no table 'nosuch'"), qPrintable(err));
    QCOMPARE(cli({"config", "set", "registry.gate_table", "shapes"}), 0);

    // Every transition to Production is compared on it now, without --gate-table: v2 passes, and says so.
    QCOMPARE(cli({"models", "transition", "clf", "2", "Production"}, &err), 0);
    QVERIFY2(err.contains("registry.gate_table is shapes"), qPrintable(err));
    QVERIFY2(gateOf(2).startsWith("compared: candidate version 2 ") && gateOf(2).contains("Production version 1 ")
                 && gateOf(2).contains("(table shapes, catalog version "),
             qPrintable(gateOf(2)));
    // v1 is less accurate: refused, both accuracies printed.
    QCOMPARE(cli({"models", "transition", "clf", "1", "Production"}, &err), 1);
    QVERIFY2(err.contains("promotion refused: candidate version 1 "), qPrintable(err));
    QCOMPARE(version(1).stage, registry::Stage::Archived);
    // Overriding takes a reason, which is recorded.
    QCOMPARE(cli({"models", "transition", "clf", "1", "Production", "--no-gate"}, &err), 2);
    QVERIFY2(err.contains("--reason"), qPrintable(err));
    QCOMPARE(cli({"models", "transition", "clf", "1", "Production", "--no-gate", "--reason", "hotfix"}), 0);
    QCOMPARE(gateOf(1), QString("promoted without comparison: hotfix"));

    // Without the setting, the CLI's gate is opt-in again; the history says no comparison was made.
    QCOMPARE(cli({"config", "unset", "registry.gate_table"}), 0);
    QCOMPARE(cli({"models", "transition", "clf", "2", "Production"}), 0);
    QCOMPARE(gateOf(2), QString("promoted without comparison: no gate table given"));
}

void tst_ModelsDialog::sourceRunIsALink()
{
    ui::ModelsPage page;
    page.resize(1200, 700);
    page.show();
    QSignalSpy loaded(&page, &ui::ModelsPage::loaded);
    page.setWorkspace(QString::fromStdString(m_ws->root()));
    QVERIFY(loaded.wait(10000));
    QSignalSpy activated(&page, &ui::ModelsPage::runActivated);
    const int row = page.versionsModel()->rowOf("clf", 1);
    QVERIFY(row >= 0);
    QTableView *view = page.versionsView();
    const QModelIndex index = page.versionsModel()->index(row, ui::ModelVersionsModel::RunColumn);
    QTest::mouseClick(view->viewport(), Qt::LeftButton, {}, view->visualRect(index).center());
    QCOMPARE(activated.count(), 1);
    QCOMPARE(activated.first().first().toString(), QString::fromStdString(m_worseRun));

    // Aliases: set and deleted through the registry, shown in the versions table after the reload.
    QSignalSpy finished(&page, &ui::ModelsPage::actionFinished);
    QVERIFY(page.selectVersion("clf", 1));
    page.changeSelectedAlias("champion", true);
    QVERIFY(finished.wait(10000));
    QCOMPARE(finished.takeFirst().first().toString(), QString());
    QTRY_COMPARE_WITH_TIMEOUT(page.versionsModel()
                                  ->index(page.versionsModel()->rowOf("clf", 1), ui::ModelVersionsModel::AliasesColumn)
                                  .data()
                                  .toString(),
                              QString("@champion"), 10000);
    QCOMPARE(version(1).aliases, std::vector<std::string>{"champion"});
    QVERIFY(page.selectVersion("clf", 1));
    page.changeSelectedAlias("champion", false);
    QVERIFY(finished.wait(10000));
    QCOMPARE(finished.takeFirst().first().toString(), QString());
    QVERIFY(version(1).aliases.empty());
    QVERIFY(loaded.wait(10000));

    // The stage actions open the confirmation dialog; for Staging it offers to archive the other Staging versions.
    QVERIFY(page.selectVersion("clf", 1));
    ui::PromoteDialog *dialog = page.openPromoteDialog(registry::Stage::Staging);
    QVERIFY(dialog);
    QVERIFY(dialog->archiveExisting());
    QVERIFY(!dialog->comparison());
    dialog->close();
}

namespace {
std::pair<double, double> xRange(const std::vector<ui::ChartSeries> &series)
{
    double lo = 1e300, hi = -1e300;
    for (const ui::ChartSeries &s : series)
        for (const QPointF &p : s.points) {
            lo = std::min(lo, p.x());
            hi = std::max(hi, p.x());
        }
    return {lo, hi};
}
} // namespace

void tst_ModelsDialog::overlayChartFollowsTheControls()
{
    // Three runs with three points each: steps 10, 20, 30; epochs 1 to 3; 7 s apart.
    {
        auto db = m_ws->openCatalog();
        track::Tracker tracker(*db);
        for (int r = 0; r < 3; ++r) {
            track::NewRun nr;
            nr.experiment = "overlay";
            nr.name = "r" + std::to_string(r);
            const std::string id = tracker.createRun(nr);
            tracker.logParams(id, {{"lr", std::to_string(0.1 * (r + 1))}, {"batch_size", "32"}});
            std::vector<track::MetricPoint> points;
            for (int e = 1; e <= 3; ++e) {
                const std::int64_t t = 1'700'000'000'000 + 7000 * (e - 1);
                points.push_back({"val_accuracy", 0.2 * e + 0.05 * r, 10 * e, e, t});
                points.push_back({"train_loss", 1.0 / e, 10 * e, e, t});
                points.push_back({"epochs", 3, 10 * e, e, t}); // equal in every run
            }
            tracker.logMetrics(id, points);
            tracker.endRun(id, "FINISHED");
        }
    }
    ui::ExperimentsPage page;
    page.resize(1400, 800);
    QSignalSpy loaded(&page, &ui::ExperimentsPage::loaded);
    page.setWorkspace(QString::fromStdString(m_ws->root()));
    QVERIFY(loaded.wait(10000));
    QAbstractItemModelTester tester(page.comparisonModel(), QAbstractItemModelTester::FailureReportingMode::QtTest);
    page.setExperimentFilter("overlay");
    QTableView *view = page.runsView();
    QCOMPARE(view->model()->rowCount(), 3);
    view->selectAll();
    QCOMPARE(page.selectedRunIds().size(), 3);

    QVERIFY(page.metricChooser()->findText("train_loss") >= 0);
    QCOMPARE(page.metricChooser()->currentText(), "val_accuracy");
    QCOMPARE(page.chart()->series().size(), std::size_t(3));
    const std::pair<double, double> epochs{1, 3}, steps{10, 30}, wall{0, 14};
    QCOMPARE(page.xAxisChooser()->currentText(), "epoch");
    QCOMPARE(xRange(page.chart()->series()), epochs);
    page.xAxisChooser()->setCurrentIndex(page.xAxisChooser()->findText("step"));
    QCOMPARE(page.chart()->series().size(), std::size_t(3));
    QCOMPARE(xRange(page.chart()->series()), steps);
    page.xAxisChooser()->setCurrentIndex(page.xAxisChooser()->findText("wall time"));
    QCOMPARE(xRange(page.chart()->series()), wall);

    // Smoothing pulls the last value back towards the earlier ones; the first stays (debiased).
    const QPointF rawLast = page.chart()->series()[0].points.back();
    const QPointF rawFirst = page.chart()->series()[0].points.front();
    page.smoothingSlider()->setValue(60);
    QCOMPARE(page.chart()->series()[0].points.front(), rawFirst);
    QVERIFY(page.chart()->series()[0].points.back().y() < rawLast.y() - 0.05);

    page.metricChooser()->setCurrentIndex(page.metricChooser()->findText("train_loss"));
    QCOMPARE(page.chart()->series().size(), std::size_t(3));
    QCOMPARE(page.chart()->series()[0].points.size(), std::size_t(3));

    // Differences only: lr but not batch_size, and not the equal metric; all of them once unticked.
    auto keys = [&] {
        QStringList k;
        for (int r = 0; r < page.comparisonModel()->rowCount(); ++r)
            k << page.comparisonModel()->index(r, 0).data(ui::RunComparisonModel::KeyRole).toString();
        return k;
    };
    QVERIFY(page.differencesOnlyBox()->isChecked());
    QCOMPARE(page.comparisonModel()->paramKeys(), QStringList({"lr"}));
    QVERIFY(!keys().contains("epochs"));
    QVERIFY(keys().contains("val_accuracy"));
    page.differencesOnlyBox()->setChecked(false);
    QCOMPARE(page.comparisonModel()->paramKeys(), QStringList({"batch_size", "lr"}));
    QVERIFY(keys().contains("epochs"));
}

void tst_ModelsDialog::confusionHeatMapReadsTheEvaluation()
{
    const compute::EvaluationResult stored = compute::evaluateRun(*m_ws, m_betterRun, "shapes");
    ui::ExperimentsPage page;
    page.resize(1400, 900);
    QSignalSpy loaded(&page, &ui::ExperimentsPage::loaded);
    QSignalSpy shown(&page, &ui::ExperimentsPage::evaluationShown);
    page.setWorkspace(QString::fromStdString(m_ws->root()));
    QVERIFY(loaded.wait(10000));
    shown.clear();
    QVERIFY(page.selectRun(QString::fromStdString(m_betterRun)));
    QTRY_VERIFY_WITH_TIMEOUT(page.heatMap()->hasMatrix(), 60000);
    const compute::EvaluationResult &shownEval = page.heatMap()->evaluation();
    QCOMPARE(shownEval.classes, stored.classes);
    QCOMPARE(shownEval.confusion, stored.confusion);
    QCOMPARE(shownEval.accuracy, stored.accuracy);
    std::int64_t total = 0;
    for (const auto &row : shownEval.confusion)
        for (auto v : row)
            total += v;
    QCOMPARE(total, std::int64_t(240));
    QCOMPARE(shownEval.perClass.size(), std::size_t(3));
    double rowShare = 0;
    for (int c = 0; c < 3; ++c)
        rowShare += page.heatMap()->cellShare(0, c);
    QVERIFY(qAbs(rowShare - 1) < 1e-9);
    QCOMPARE(page.heatMap()->cellShare(0, 0), shownEval.perClass.at(shownEval.classes.at(0)));
    QVERIFY(!page.heatMap()->grab().toImage().isNull());

    // The barely trained run has none: the button evaluates it off the GUI thread, then the matrix shows.
    shown.clear();
    QVERIFY(page.selectRun(QString::fromStdString(m_worseRun)));
    QVERIFY(shown.wait(10000));
    QVERIFY(!page.heatMap()->hasMatrix());
    QVERIFY(page.evaluateButton()->isEnabled());
    page.evaluateSelected("shapes");
    QVERIFY(!page.evaluateButton()->isEnabled());
    QTRY_VERIFY_WITH_TIMEOUT(page.heatMap()->hasMatrix(), 30000);
    QCOMPARE(page.heatMap()->evaluation().images, std::int64_t(240));
    QVERIFY(page.evaluateButton()->isEnabled());
}

// Last: the main window starts background work of its own (scheduler, pages) that the pool runs on.
void tst_ModelsDialog::mainWindowFollowsTheRunLink()
{
    // In the main window the link shows the Experiments page with that run selected.
    ui::MainWindow window;
    QSignalSpy workspaceLoaded(&window, &ui::MainWindow::workspaceLoaded);
    window.openWorkspace(QString::fromStdString(m_ws->root()));
    window.show();
    QVERIFY(workspaceLoaded.wait(10000));
    QVERIFY(window.showPage("models"));
    QVERIFY(!window.page<ui::ExperimentsPage>()->isVisible());
    Q_EMIT window.page<ui::ModelsPage>()->runActivated(QString::fromStdString(m_worseRun));
    QVERIFY(window.page<ui::ExperimentsPage>()->isVisible());
    QCOMPARE(window.page<ui::ExperimentsPage>()->selectedRunIds(), QStringList{QString::fromStdString(m_worseRun)});
}

void tst_ModelsDialog::previewPredictsDroppedFiles()
{
    // Files outside the catalog: a new image of each shape (3 classes), a corrupt PNG, an empty file, a missing file.
    const QString dir = m_dir.filePath("preview");
    QVERIFY(test::writeShapeClasses(dir, 1, 99));
    const QStringList shapes{dir + "/001.top/0.png", dir + "/002.left/0.png", dir + "/003.centre/0.png"};
    QVERIFY(test::writeFile(dir + "/corrupt.png", QByteArray("\x89PNG\r\n\x1a\nnot really")));
    QVERIFY(test::writeFile(dir + "/empty.png", QByteArray()));
    const QString missing = dir + "/missing.png";
    auto db = m_ws->openCatalog();
    const std::int64_t catalogVersion = catalog::Catalog(*db).latestVersion();
    auto count = [&](const char *sql) {
        store::Statement st(*db, sql);
        return st.step() ? st.int64(0) : -1;
    };
    const std::int64_t predictions = count("SELECT count(*) FROM predictions");

    ui::ModelsPage page;
    page.resize(1200, 700);
    page.show();
    QVERIFY(QTest::qWaitForWindowExposed(&page));
    QSignalSpy loaded(&page, &ui::ModelsPage::loaded);
    page.setWorkspace(QString::fromStdString(m_ws->root()));
    QVERIFY(loaded.wait(10000));
    const int row = page.versionsModel()->rowOf("clf", 2);
    QVERIFY(row >= 0);
    QVERIFY(page.selectVersion("clf", 1)); // the drop selects the version it lands on
    QVERIFY(page.previewAction()->isEnabled());

    // Drop the files on version 2's row, as a file manager does (enter, move, drop).
    QMimeData mime;
    QList<QUrl> urls;
    for (const QString &f : shapes + QStringList{dir + "/corrupt.png", dir + "/empty.png", missing})
        urls << QUrl::fromLocalFile(f);
    mime.setUrls(urls);
    QTableView *view = page.versionsView();
    const QPoint at = view->visualRect(page.versionsModel()->index(row, 1)).center();
    QDragEnterEvent enter(at, Qt::CopyAction, &mime, Qt::LeftButton, {});
    QCoreApplication::sendEvent(view->viewport(), &enter);
    QVERIFY(enter.isAccepted());
    QDragMoveEvent move(at, Qt::CopyAction, &mime, Qt::LeftButton, {});
    QCoreApplication::sendEvent(view->viewport(), &move);
    QVERIFY(move.isAccepted());
    QDropEvent drop(at, Qt::CopyAction, &mime, Qt::LeftButton, {});
    QCoreApplication::sendEvent(view->viewport(), &drop);
    QVERIFY(drop.isAccepted());

    auto *dialog = page.findChild<ui::PreviewDialog *>();
    QVERIFY(dialog);
    QCOMPARE(dialog->model().version, 2);
    QVERIFY(dialog->isVisible());
    ui::PreviewModel *model = dialog->previewModel();
    auto tester = test::modelTester(model);
    QCOMPARE(model->rowCount(), 6);
    QVERIFY(dialog->busy()); // predicted off the GUI thread
    QCOMPARE(model->index(0, ui::PreviewModel::PredictionColumn).data().toString(), QString("predicting…"));
    QSignalSpy finished(dialog, &ui::PreviewDialog::previewFinished);
    QVERIFY(finished.wait(120000));
    QCOMPARE(finished.first().first().toString(), QString());

    const QStringList classes{"top", "left", "centre"};
    for (int i = 0; i < 3; ++i) {
        const auto &r = model->row(i).result;
        QVERIFY2(r.error.empty(), r.error.c_str());
        QCOMPARE(int(r.top.size()), 3); // the model has 3 classes: its top 5 is all of them
        QCOMPARE(QString::fromStdString(r.top.front().label), classes[i]); // the better model knows the shapes
        QVERIFY(r.top[0].probability >= r.top[1].probability && r.top[1].probability >= r.top[2].probability);
        double sum = 0;
        for (const auto &p : r.top)
            sum += p.probability;
        QVERIFY(std::abs(sum - 1.0) < 1e-3);
        QVERIFY(!model->row(i).image.isNull());
        QVERIFY(model->index(i, ui::PreviewModel::Top5Column).data().toString().startsWith(classes[i] + " "));
        QVERIFY(!model->index(i, ui::PreviewModel::ImageColumn).data(Qt::DecorationRole).isNull());
    }
    const auto errorOf = [&](int r) { return QString::fromStdString(model->row(r).result.error); };
    QVERIFY2(errorOf(3).startsWith("cannot decode"), qPrintable(errorOf(3)));
    QCOMPARE(errorOf(4), QString("cannot decode: the file is empty"));
    QVERIFY2(errorOf(5).startsWith("cannot read"), qPrintable(errorOf(5)));
    for (int r = 3; r < 6; ++r) {
        QVERIFY(model->row(r).result.top.empty());
        QCOMPARE(model->index(r, ui::PreviewModel::PredictionColumn).data().toString(), errorOf(r));
    }
    QVERIFY2(dialog->statusLabel()->text().contains("3 images predicted, 3 files without a prediction"),
             qPrintable(dialog->statusLabel()->text()));

    // More files later, picked with "Add images…" (a second batch), add rows; the catalog never changed.
    auto *add = dialog->findChild<QPushButton *>("addImages");
    QVERIFY(add);
    QTest::mouseClick(add, Qt::LeftButton);
    auto *picker = dialog->findChild<QFileDialog *>();
    QVERIFY(picker);
    QTRY_VERIFY(picker->isVisible());
    picker->setDirectory(dir + "/002.left");
    picker->selectFile("0.png");
    auto *name = picker->findChild<QLineEdit *>("fileNameEdit");
    QVERIFY(name);
    QTest::keyClick(name, Qt::Key_Return); // Open
    QVERIFY(finished.wait(120000));
    QCOMPARE(model->rowCount(), 7);
    QCOMPARE(QString::fromStdString(model->row(6).result.top.front().label), QString("left"));
    QCOMPARE(catalog::Catalog(*db).latestVersion(), catalogVersion);
    QCOMPARE(count("SELECT count(*) FROM predictions"), predictions);
    dialog->close();
}

QTEST_MAIN(tst_ModelsDialog)
#include "tst_modelsdialog.moc"
