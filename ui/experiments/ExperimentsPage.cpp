// The Experiments page; data comes from loadExperimentsSnapshot() on a pool thread.
#include "ui/experiments/ExperimentsPage.h"

#include "ui/PageParts.h"
#include "ui/experiments/ConfusionHeatMap.h"
#include "ui/experiments/CurveOverlay.h"
#include "ui/experiments/MetricChart.h"
#include "ui/experiments/RunComparisonModel.h"
#include "ui/experiments/RunsModel.h"

#include <QAction>
#include <QCheckBox>
#include <QComboBox>
#include <QInputDialog>
#include <QPushButton>
#include <QSlider>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QItemSelectionModel>
#include <QLabel>
#include <QSet>
#include <QRegularExpression>
#include <QSortFilterProxyModel>
#include <QSplitter>
#include <QTableView>
#include <QTimer>
#include <QToolBar>
#include <QVBoxLayout>
#include <QtConcurrent/QtConcurrentRun>

#include <algorithm>

namespace pw::ui {

namespace {

constexpr int kLiveRefreshMs = 5000;

// Colours of the single-run chart: losses in one colour (train dashed, val solid), accuracy in another.
const QColor kLossColor(0x1f, 0x77, 0xb4);
const QColor kAccuracyColor(0xe6, 0x7e, 0x22);

std::vector<QPointF> curvePoints(const RunRow &run, const char *key)
{
    std::vector<QPointF> points;
    const auto it = run.curves.find(key);
    if (it == run.curves.end())
        return points;
    for (const track::MetricPoint &m : it->second)
        points.emplace_back(double(m.epoch > 0 ? m.epoch : m.step), m.value);
    return points;
}

QString escaped(const std::string &s)
{
    return QString::fromStdString(s).toHtmlEscaped();
}

} // namespace

ExperimentsPage::ExperimentsPage(QWidget *parent)
    : QWidget(parent)
    , m_summary(new QLabel)
    , m_experiment(new QComboBox)
    , m_runsModel(new RunsModel(this))
    , m_proxy(new QSortFilterProxyModel(this))
    , m_runHeader(new QLabel)
    , m_chart(new MetricChart)
    , m_comparison(new RunComparisonModel(this))
    , m_liveTimer(new QTimer(this))
    , m_overlayControls(new QWidget)
    , m_metricChooser(new QComboBox)
    , m_xAxis(new QComboBox)
    , m_smoothing(new QSlider(Qt::Horizontal))
    , m_differencesOnly(new QCheckBox(tr("Differences only")))
    , m_evalBox(new QWidget)
    , m_evalInfo(new QLabel)
    , m_heatMap(new ConfusionHeatMap)
    , m_evaluate(new QPushButton(tr("Evaluate on table…")))
{
    auto *bar = makePageToolBar();
    bar->addWidget(new QLabel(tr("Experiment: ")));
    m_experiment->setSizeAdjustPolicy(QComboBox::AdjustToContents);
    m_experiment->addItem(tr("All experiments"), QString());
    m_experiment->setToolTip(tr("Show the runs of one experiment"));
    bar->addWidget(m_experiment);
    bar->addSeparator();
    QAction *refresh = bar->addAction(tr("Refresh"), this, &ExperimentsPage::reload);
    refresh->setToolTip(tr("Read the runs again (View → Refresh)"));
    auto *top = new QHBoxLayout;
    top->addWidget(bar);
    top->addWidget(m_summary, 1);

    m_proxy->setSourceModel(m_runsModel);
    m_proxy->setSortRole(RunsModel::SortRole);
    m_proxy->setFilterKeyColumn(RunsModel::ExperimentColumn);
    m_runsView = makeTableView(m_proxy);
    m_runsView->setSortingEnabled(true);
    m_runsView->sortByColumn(RunsModel::StartColumn, Qt::DescendingOrder);
    m_runsView->setSelectionMode(QAbstractItemView::ExtendedSelection);
    m_runsView->horizontalHeader()->setStretchLastSection(false);
    m_runsView->horizontalHeader()->setSectionResizeMode(QHeaderView::ResizeToContents);
    m_runsView->setToolTip(tr("Select a run for its details; select two or more (Ctrl or Shift) to compare them"));

    m_runHeader->setTextFormat(Qt::RichText);
    m_runHeader->setWordWrap(true);
    m_runHeader->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_chart->setMessage(tr("Select a run to see its curves"));
    m_detailsView = makeTableView(m_comparison);
    m_detailsView->setSelectionMode(QAbstractItemView::NoSelection);
    m_detailsView->setAlternatingRowColors(false);
    m_detailsView->horizontalHeader()->setSectionResizeMode(QHeaderView::ResizeToContents);

    // The comparison chart's controls, shown while several runs are selected.
    auto *controls = new QHBoxLayout(m_overlayControls);
    controls->setContentsMargins(0, 0, 0, 0);
    controls->addWidget(new QLabel(tr("Metric:")));
    m_metricChooser->setSizeAdjustPolicy(QComboBox::AdjustToContents);
    controls->addWidget(m_metricChooser);
    controls->addWidget(new QLabel(tr("x:")));
    m_xAxis->addItem(tr("step"), int(CurveAxis::Step));
    m_xAxis->addItem(tr("epoch"), int(CurveAxis::Epoch));
    m_xAxis->addItem(tr("wall time"), int(CurveAxis::WallTime));
    m_xAxis->setCurrentIndex(1);
    controls->addWidget(m_xAxis);
    controls->addWidget(new QLabel(tr("Smoothing:")));
    m_smoothing->setRange(0, 99);
    m_smoothing->setToolTip(tr("Exponential moving average weight (TensorBoard's smoothing), 0 to 0.99"));
    controls->addWidget(m_smoothing, 1);
    m_overlayControls->setVisible(false);

    // One run: its latest evaluation as a confusion heat map, or a button to make one.
    auto *evalLayout = new QVBoxLayout(m_evalBox);
    evalLayout->setContentsMargins(0, 0, 0, 0);
    auto *evalTop = new QHBoxLayout;
    m_evalInfo->setWordWrap(true);
    evalTop->addWidget(m_evalInfo, 1);
    evalTop->addWidget(m_evaluate);
    evalLayout->addLayout(evalTop);
    evalLayout->addWidget(m_heatMap, 1);
    m_evalBox->setVisible(false);

    auto *detailsBox = new QWidget;
    auto *detailsLayout = new QVBoxLayout(detailsBox);
    detailsLayout->setContentsMargins(0, 0, 0, 0);
    m_differencesOnly->setChecked(true);
    m_differencesOnly->setToolTip(tr("When comparing runs, hide the params and metrics that are equal in all of them"));
    detailsLayout->addWidget(m_differencesOnly);
    detailsLayout->addWidget(m_detailsView, 1);

    auto *side = new QSplitter(Qt::Vertical);
    auto *chartBox = new QWidget;
    auto *chartLayout = new QVBoxLayout(chartBox);
    chartLayout->setContentsMargins(0, 0, 0, 0);
    chartLayout->addWidget(m_runHeader);
    chartLayout->addWidget(m_overlayControls);
    chartLayout->addWidget(m_chart, 1);
    side->addWidget(chartBox);
    side->addWidget(m_evalBox);
    side->addWidget(detailsBox);
    side->setStretchFactor(0, 2);
    side->setStretchFactor(1, 2);
    side->setStretchFactor(2, 3);

    auto *split = new QSplitter(Qt::Horizontal);
    split->addWidget(titledBox(tr("Runs"), m_runsView));
    split->addWidget(side);
    split->setStretchFactor(0, 3);
    split->setStretchFactor(1, 2);
    split->setSizes({960, 470}); // the runs' metric columns fit without scrolling at 1600 px

    auto *layout = new QVBoxLayout(this);
    layout->addLayout(top);
    layout->addWidget(split, 1);

    connect(m_experiment, &QComboBox::currentIndexChanged, this,
            [this] { setExperimentFilter(m_experiment->currentData().toString()); });
    connect(m_runsView->selectionModel(), &QItemSelectionModel::selectionChanged, this, &ExperimentsPage::showSelection);
    connect(m_metricChooser, &QComboBox::currentIndexChanged, this, &ExperimentsPage::showOverlay);
    connect(m_xAxis, &QComboBox::currentIndexChanged, this, &ExperimentsPage::showOverlay);
    connect(m_smoothing, &QSlider::valueChanged, this, &ExperimentsPage::showOverlay);
    connect(m_differencesOnly, &QCheckBox::toggled, this, [this](bool on) {
        m_comparison->setDifferencesOnly(on);
        showSelection();
    });
    connect(m_evaluate, &QPushButton::clicked, this, &ExperimentsPage::askEvaluationTable);
    connect(&m_watcher, &QFutureWatcher<ExperimentsSnapshot>::finished, this, [this] {
        showSnapshot(m_watcher.result());
        Q_EMIT loadingChanged(false);
        if (m_reloadQueued) {
            m_reloadQueued = false;
            reload();
        }
    });
    // While a run trains, its row and curves follow it.
    m_liveTimer->setInterval(kLiveRefreshMs);
    connect(m_liveTimer, &QTimer::timeout, this, [this] {
        if (isVisible())
            reload();
    });
}

void ExperimentsPage::setWorkspace(const QString &root)
{
    m_root = root;
    m_summary->setText(tr("Loading the runs of %1…").arg(root));
    reload();
}

void ExperimentsPage::reload()
{
    if (m_root.isEmpty())
        return;
    if (m_watcher.isRunning()) {
        m_reloadQueued = true;
        return;
    }
    Q_EMIT loadingChanged(true);
    const std::string root = m_root.toStdString();
    m_watcher.setFuture(QtConcurrent::run([root] { return loadExperimentsSnapshot(root); }));
}

void ExperimentsPage::setExperimentFilter(const QString &experiment)
{
    const int i = m_experiment->findData(experiment);
    if (i >= 0 && i != m_experiment->currentIndex()) {
        m_experiment->setCurrentIndex(i); // comes back here through currentIndexChanged
        return;
    }
    m_proxy->setFilterRegularExpression(
        experiment.isEmpty() ? QString() : QStringLiteral("^%1$").arg(QRegularExpression::escape(experiment)));
}

QStringList ExperimentsPage::selectedRunIds() const
{
    QModelIndexList rows = m_runsView->selectionModel()->selectedRows();
    std::sort(rows.begin(), rows.end(), [](const QModelIndex &a, const QModelIndex &b) { return a.row() < b.row(); });
    QStringList ids;
    for (const QModelIndex &i : rows)
        ids << i.data(RunsModel::RunIdRole).toString();
    return ids;
}

bool ExperimentsPage::selectRun(const QString &runId)
{
    auto rowOf = [&] {
        for (int r = 0; r < m_proxy->rowCount(); ++r)
            if (m_proxy->index(r, 0).data(RunsModel::RunIdRole).toString() == runId)
                return r;
        return -1;
    };
    int row = rowOf();
    if (row < 0 && m_experiment->currentIndex() != 0) {
        m_experiment->setCurrentIndex(0); // every experiment
        row = rowOf();
    }
    if (row < 0) {
        m_pendingRun = runId;
        return false;
    }
    m_pendingRun.clear();
    m_runsView->selectionModel()->select(QItemSelection(m_proxy->index(row, 0), m_proxy->index(row, RunsModel::ColumnCount - 1)),
                                         QItemSelectionModel::ClearAndSelect);
    m_runsView->scrollTo(m_proxy->index(row, 0));
    return true;
}

void ExperimentsPage::showSnapshot(const ExperimentsSnapshot &s)
{
    if (!s.error.isEmpty()) {
        m_summary->setText(tr("Cannot read the runs: %1").arg(s.error));
        m_liveTimer->stop();
        Q_EMIT loaded();
        return;
    }
    const QStringList selected = selectedRunIds();
    const QString experiment = m_experiment->currentData().toString();
    {
        const QSignalBlocker block(m_experiment);
        m_experiment->clear();
        m_experiment->addItem(tr("All experiments"), QString());
        for (const std::string &e : s.experiments) {
            const auto n = std::count_if(s.runs.begin(), s.runs.end(), [&](const RunRow &r) { return r.info.experiment == e; });
            m_experiment->addItem(QStringLiteral("%1 (%2)").arg(QString::fromStdString(e), countText(n, tr("run"), tr("runs"))),
                                  QString::fromStdString(e));
        }
        m_experiment->setCurrentIndex(std::max(0, m_experiment->findData(experiment)));
    }
    setExperimentFilter(m_experiment->currentData().toString());

    const bool running = std::any_of(s.runs.begin(), s.runs.end(), [](const RunRow &r) { return r.info.status == "RUNNING"; });
    const auto count = [&](const char *status) {
        return std::count_if(s.runs.begin(), s.runs.end(), [&](const RunRow &r) { return r.info.status == status; });
    };
    if (s.runs.empty())
        m_summary->setText(tr("No runs yet. Train a model: pipewright train --table TABLE --workspace %1").arg(m_root));
    else
        m_summary->setText(tr("%1 in %2 · %3 running · %4 failed")
                               .arg(countText(std::int64_t(s.runs.size()), tr("run"), tr("runs")),
                                    countText(std::int64_t(s.experiments.size()), tr("experiment"), tr("experiments")))
                               .arg(count("RUNNING"))
                               .arg(count("FAILED")));
    if (running)
        m_liveTimer->start();
    else
        m_liveTimer->stop();

    m_runsModel->setRuns(s.runs);
    // The selection survives a refresh (a reset clears it).
    QItemSelection selection;
    for (int r = 0; r < m_proxy->rowCount(); ++r) {
        const QModelIndex i = m_proxy->index(r, 0);
        if (selected.contains(i.data(RunsModel::RunIdRole).toString()))
            selection.select(i, m_proxy->index(r, RunsModel::ColumnCount - 1));
    }
    // Nothing selected yet: the newest run, so that the panel shows something from the start.
    if (selection.isEmpty() && m_proxy->rowCount() > 0)
        selection.select(m_proxy->index(0, 0), m_proxy->index(0, RunsModel::ColumnCount - 1));
    m_runsView->selectionModel()->select(selection, QItemSelectionModel::ClearAndSelect);
    if (!m_pendingRun.isEmpty())
        selectRun(m_pendingRun);
    showSelection();
    Q_EMIT loaded();
}

void ExperimentsPage::showSelection()
{
    std::vector<RunRow> runs;
    for (const QString &id : selectedRunIds())
        if (const RunRow *r = m_runsModel->run(id.toStdString()))
            runs.push_back(*r);
    m_comparison->setRuns(runs);
    m_overlayControls->setVisible(runs.size() > 1);
    if (runs.size() < 2)
        m_compared.clear();
    m_evalBox->setVisible(runs.size() == 1);
    if (runs.size() == 1)
        showEvaluation(QString::fromStdString(runs.front().info.runId));
    else
        m_evalRun.clear();
    // Section titles span the table; the key column is as wide as the keys.
    m_detailsView->clearSpans();
    int keyWidth = 0;
    const QFontMetrics fm(m_detailsView->font());
    for (int r = 0; r < m_comparison->rowCount(); ++r) {
        const QModelIndex key = m_comparison->index(r, 0);
        if (key.data(RunComparisonModel::RowKindRole).toInt() == RunComparisonModel::SectionRow)
            m_detailsView->setSpan(r, 0, 1, m_comparison->columnCount());
        else
            keyWidth = std::max(keyWidth, fm.horizontalAdvance(key.data().toString()));
    }
    m_detailsView->resizeColumnsToContents();
    if (m_comparison->columnCount() > 0)
        m_detailsView->setColumnWidth(0, keyWidth + 16);

    if (runs.empty()) {
        m_runHeader->setText(m_runsModel->rowCount() ? tr("Select a run to see its params, metrics and curves; "
                                                          "select several to compare them.")
                                                     : QString());
        m_chart->setMessage(tr("No run selected"));
        return;
    }
    if (runs.size() == 1) {
        const track::RunInfo &i = runs.front().info;
        QStringList parts;
        parts << QStringLiteral("<span style='color:%1'><b>%2</b></span>")
                     .arg(runStatusColor(i.status).name(), escaped(i.status));
        parts << escaped(i.experiment);
        if (!i.table.empty())
            parts << QStringLiteral("%1@%2").arg(escaped(i.table)).arg(i.dataVersion);
        if (!i.device.empty())
            parts << escaped(i.device);
        parts << tr("started %1").arg(localTimeText(i.startTime));
        if (const QString d = durationText(runDurationMs(i)); !d.isEmpty())
            parts << (i.endTime.empty() ? tr("running for %1") : tr("took %1")).arg(QString(d).replace(' ', "&nbsp;"));
        QString text = QStringLiteral("<b>%1</b> %2<br>%3")
                           .arg(escaped(i.runId), escaped(i.name), parts.join(QStringLiteral(" · ")));
        if (!i.failureReason.empty())
            text += QStringLiteral("<br><span style='color:%1'>%2</span>")
                        .arg(runStatusColor("FAILED").name(), escaped(i.failureReason));
        m_runHeader->setText(text);

        std::vector<ChartSeries> series;
        series.push_back({QString::fromLatin1(kTrainLossKey), kLossColor, Qt::DashLine, false, curvePoints(runs[0], kTrainLossKey)});
        series.push_back({QString::fromLatin1(kValLossKey), kLossColor, Qt::SolidLine, false, curvePoints(runs[0], kValLossKey)});
        series.push_back({QString::fromLatin1(kValAccuracyKey), kAccuracyColor, Qt::SolidLine, true,
                          curvePoints(runs[0], kValAccuracyKey)});
        std::erase_if(series, [](const ChartSeries &c) { return c.points.empty(); });
        if (series.empty())
            m_chart->setMessage(tr("This run logged no per-epoch train_loss, val_loss or val_accuracy"));
        else
            m_chart->setSeries(std::move(series), tr("loss"), tr("accuracy"));
        return;
    }
    m_compared = std::move(runs);
    {
        // The metrics any of them logged; the one chosen before stays, else val_accuracy.
        const QSignalBlocker block(m_metricChooser);
        const QString current = m_metricChooser->currentText();
        const QStringList keys = curveKeys(m_compared);
        m_metricChooser->clear();
        m_metricChooser->addItems(keys);
        int index = keys.indexOf(current.isEmpty() ? QString::fromLatin1(kValAccuracyKey) : current);
        if (index < 0)
            index = keys.indexOf(QString::fromLatin1(kValAccuracyKey));
        m_metricChooser->setCurrentIndex(std::max(0, index));
    }
    showOverlay();
}

void ExperimentsPage::showOverlay()
{
    if (m_compared.size() < 2)
        return;
    const QString key = m_metricChooser->currentText();
    const auto axis = CurveAxis(m_xAxis->currentData().toInt());
    m_runHeader->setText(tr("<b>Comparing %1 runs</b>: %2 per %3").arg(m_compared.size()).arg(key.toHtmlEscaped(), curveAxisTitle(axis)));
    std::vector<ChartSeries> series = overlayCurves(m_compared, key.toStdString(), axis, m_smoothing->value() / 100.0);
    std::erase_if(series, [](const ChartSeries &c) { return c.points.empty(); });
    if (series.empty())
        m_chart->setMessage(key.isEmpty() ? tr("None of these runs logged a metric history")
                                          : tr("None of these runs logged %1").arg(key));
    else
        m_chart->setSeries(std::move(series), key, {}, curveAxisTitle(axis));
}

void ExperimentsPage::showEvaluation(const QString &runId)
{
    if (runId == m_evalRun && (m_heatMap->hasMatrix() || m_evaluating))
        return; // a live refresh: nothing new to read
    m_evalRun = runId;
    m_heatMap->setMessage(tr("Reading the latest evaluation…"));
    m_evalInfo->clear();
    m_evaluate->setEnabled(!m_evaluating);
    const std::string root = m_root.toStdString();
    const std::string run = runId.toStdString();
    QtConcurrent::run([=] { return loadLatestEvaluation(root, run); }).then(this, [this, runId](const RunEvaluation &e) {
        if (runId != m_evalRun)
            return;
        if (!e.error.isEmpty()) {
            m_heatMap->setMessage(tr("Cannot read the evaluation: %1").arg(e.error));
        } else if (!e.found) {
            m_heatMap->setMessage(tr("This run has no evaluation yet: evaluate it on a table to see its confusion matrix."));
        } else {
            m_heatMap->setEvaluation(e.result);
            m_evalInfo->setText(tr("Evaluated on %1@%2: accuracy %3% on %4 images (%5)")
                                    .arg(QString::fromStdString(e.result.table))
                                    .arg(e.result.dataVersion)
                                    .arg(e.result.accuracy * 100, 0, 'f', 2)
                                    .arg(e.result.images)
                                    .arg(QString::fromStdString(e.result.artifact)));
        }
        Q_EMIT evaluationShown(e.error);
    });
}

void ExperimentsPage::askEvaluationTable()
{
    const QStringList ids = selectedRunIds();
    if (ids.size() != 1 || m_evaluating)
        return;
    const std::string root = m_root.toStdString();
    // Reading the table names is quick (one small query) but still not done on the GUI thread.
    QtConcurrent::run([=] { return workspaceTables(root); }).then(this, [this](const std::vector<std::string> &tables) {
        QStringList names;
        for (const std::string &t : tables)
            names << QString::fromStdString(t);
        if (names.isEmpty()) {
            showError(this, tr("Evaluate"), tr("The workspace has no table to evaluate on."));
            return;
        }
        bool ok = false;
        const QString table = QInputDialog::getItem(this, tr("Evaluate on table"), tr("Table:"), names, 0, false, &ok);
        if (ok)
            evaluateSelected(table);
    });
}

void ExperimentsPage::evaluateSelected(const QString &table)
{
    const QStringList ids = selectedRunIds();
    if (ids.size() != 1 || m_evaluating || m_root.isEmpty())
        return;
    m_evaluating = true;
    m_evaluate->setEnabled(false);
    const QString runId = ids.front();
    m_evalRun = runId;
    m_heatMap->setMessage(tr("Evaluating %1 on %2…").arg(shortRunId(runId.toStdString()), table));
    const std::string root = m_root.toStdString();
    const std::string run = runId.toStdString();
    const std::string t = table.toStdString();
    QtConcurrent::run([=] { return evaluateRunOn(root, run, t); }).then(this, [this, runId](const RunEvaluation &e) {
        m_evaluating = false;
        m_evaluate->setEnabled(true);
        if (runId != m_evalRun)
            return;
        if (!e.error.isEmpty()) {
            m_heatMap->setMessage(tr("The evaluation failed: %1").arg(e.error));
            Q_EMIT evaluationShown(e.error);
            return;
        }
        m_evalRun.clear();
        showEvaluation(runId); // reads back the artifact just written
    });
}

} // namespace pw::ui
