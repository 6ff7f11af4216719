// The Experiments page; data comes from loadExperimentsSnapshot() on a pool thread.
#include "ui/experiments/ExperimentsPage.h"

#include "ui/Icons.h"
#include "ui/PageParts.h"
#include "ui/WorkPool.h"
#include "ui/experiments/ConfusionHeatMap.h"
#include "ui/experiments/CurveOverlay.h"
#include "ui/experiments/MetricChart.h"
#include "ui/experiments/ParallelCoordinates.h"
#include "ui/experiments/RunComparisonModel.h"
#include "ui/experiments/RunTagsModel.h"
#include "ui/experiments/RunsModel.h"
#include "ui/experiments/TrainDialog.h"
#include "ui/images/WhenFinished.h"

#include <QAction>
#include <QCheckBox>
#include <QComboBox>
#include <QElapsedTimer>
#include <QInputDialog>
#include <QJsonObject>
#include <QLineEdit>
#include <QLocale>
#include <QPlainTextEdit>
#include <QProgressBar>
#include <QPushButton>
#include <QTabWidget>
#include <QToolButton>
#include <QSlider>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QItemSelectionModel>
#include <QFileInfo>
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
#include <limits>

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

// Puts `keys` in a metric chooser, keeping the key chosen before, else val_accuracy, else the first; quietly.
void offerKeys(QComboBox *box, const QStringList &keys)
{
    const QSignalBlocker block(box);
    const QString current = box->currentText();
    box->clear();
    box->addItems(keys);
    int index = keys.indexOf(current.isEmpty() ? QString::fromLatin1(kValAccuracyKey) : current);
    if (index < 0)
        index = keys.indexOf(QString::fromLatin1(kValAccuracyKey));
    box->setCurrentIndex(std::max(0, index));
}

} // namespace

ExperimentsPage::ExperimentsPage(QWidget *parent)
    : Page(parent)
    , m_summary(new QLabel)
    , m_experiment(new QComboBox)
    , m_runsModel(new RunsModel(this))
    , m_proxy(new RunsFilterProxy(this))
    , m_tagFilter(new QLineEdit)
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
    , m_parallelBox(new QWidget)
    , m_parallelMetric(new QComboBox)
    , m_parallel(new ParallelCoordinates)
    , m_lowerTabs(new QTabWidget)
    , m_tagsBox(new QWidget)
    , m_tagsInfo(new QLabel)
    , m_tagsModel(new RunTagsModel(this))
    , m_newTagKey(new QLineEdit)
    , m_newTagValue(new QLineEdit)
    , m_addTag(new QPushButton(tr("Set tag")))
    , m_note(new QPlainTextEdit)
    , m_saveNote(new QPushButton(tr("Save note")))
    , m_trainButton(new QPushButton(tr("Train…")))
    , m_resumeButton(new QPushButton(tr("Resume")))
    , m_trainProgress(new QProgressBar)
    , m_trainStatus(new QLabel)
    , m_trainCancel(new QToolButton)
    , m_loader(
          this, [this] { return loadJob(); }, [this](ExperimentsSnapshot s) { showSnapshot(std::move(s)); },
          [this](bool loading) { Q_EMIT loadingChanged(loading); })
{
    auto *layout = new QVBoxLayout(this);
    layout->addLayout(buildHeader());
    setUpRunsTable();
    setUpChart();
    auto *split = new QSplitter(Qt::Horizontal);
    split->addWidget(titledBox(tr("Runs"), m_runsView));
    split->addWidget(buildSidePanel());
    split->setStretchFactor(0, 3);
    split->setStretchFactor(1, 2);
    split->setSizes({960, 470}); // the runs' metric columns fit without scrolling at 1600 px
    layout->addWidget(split, 1);
    connectWidgets();
    connectTagEditing();
}

// The header: the experiment and tag filters, Refresh, the summary, and a training launched here with its
// progress and a Cancel button.
QHBoxLayout *ExperimentsPage::buildHeader()
{
    auto *bar = makePageToolBar();
    bar->addWidget(new QLabel(tr("Experiment: ")));
    m_experiment->setSizeAdjustPolicy(QComboBox::AdjustToContents);
    m_experiment->addItem(tr("All experiments"), QString());
    m_experiment->setToolTip(tr("Show the runs of one experiment"));
    bar->addWidget(m_experiment);
    bar->addSeparator();
    m_tagFilter->setPlaceholderText(tr("Tags: key=value"));
    m_tagFilter->setClearButtonEnabled(true);
    m_tagFilter->setToolTip(tr("Show the runs whose tags match: key=value (the value contains it), key= (the tag is "
                               "set), or a word found in a tag or the note"));
    m_tagFilter->setMaximumWidth(220);
    bar->addWidget(m_tagFilter);
    bar->addSeparator();
    bar->setToolButtonStyle(Qt::ToolButtonTextBesideIcon);
    QAction *refresh = bar->addAction(themedIcon("refresh"), tr("Refresh"), this, &ExperimentsPage::reload);
    refresh->setToolTip(tr("Read the runs again (View → Refresh)"));
    m_trainButton->setIcon(themedIcon("train"));
    m_resumeButton->setIcon(themedIcon("resume"));
    m_trainCancel->setIcon(themedIcon("cancel"));
    m_trainCancel->setToolButtonStyle(Qt::ToolButtonTextBesideIcon);
    m_trainButton->setToolTip(tr("Train a model on a table of the workspace; the run appears here as it trains"));
    // A training launched here: its progress and a Cancel button, in the header while it runs.
    m_trainProgress->setMaximumWidth(160);
    m_trainProgress->setTextVisible(false);
    m_trainProgress->setVisible(false);
    m_trainStatus->setVisible(false);
    m_trainCancel->setText(tr("Cancel"));
    m_trainCancel->setToolTip(tr("Stop the training (the run ends KILLED)"));
    m_trainCancel->setVisible(false);
    m_resumeButton->setToolTip(tr("Continue the selected KILLED or FAILED run from its checkpoint, with the settings "
                                  "it had (pipewright train --resume RUN)"));
    m_resumeButton->setVisible(false);
    // The progress line takes the room there is and never pushes the filters into the toolbar's overflow; the
    // outcome of a training goes to the status bar (message()), where it expires.
    m_trainStatus->setSizePolicy(QSizePolicy::Ignored, QSizePolicy::Preferred);
    m_trainStatus->setMinimumWidth(80);
    auto *top = new QHBoxLayout;
    top->addWidget(bar);
    top->addWidget(m_summary, 1);
    top->addWidget(m_trainStatus, 1);
    top->addWidget(m_trainProgress);
    top->addWidget(m_trainCancel);
    top->addWidget(m_resumeButton);
    top->addWidget(m_trainButton);
    return top;
}

void ExperimentsPage::setUpRunsTable()
{
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
}

// The run header and chart above, the params and metrics table below; the comparison controls for several runs.
void ExperimentsPage::setUpChart()
{
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
}

// The side: the chart, then the one-run evaluation or the several-run parallel coordinates, then the tabs.
QSplitter *ExperimentsPage::buildSidePanel()
{
    buildEvaluationBox();
    buildParallelBox();
    auto *side = new QSplitter(Qt::Vertical);
    auto *chartBox = new QWidget;
    auto *chartLayout = new QVBoxLayout(chartBox);
    chartLayout->setContentsMargins(0, 0, 0, 0);
    chartLayout->addWidget(m_runHeader);
    chartLayout->addWidget(m_overlayControls);
    chartLayout->addWidget(m_chart, 1);
    side->addWidget(chartBox);
    side->addWidget(m_evalBox);
    side->addWidget(m_parallelBox);
    side->addWidget(buildLowerTabs());
    side->setStretchFactor(0, 4); // the curves get the most of the extra height
    side->setStretchFactor(1, 2);
    side->setStretchFactor(2, 2);
    side->setStretchFactor(3, 3);
    return side;
}

void ExperimentsPage::buildEvaluationBox()
{
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
}

void ExperimentsPage::buildParallelBox()
{
    // Several runs: their params against a metric in parallel coordinates.
    auto *parallelLayout = new QVBoxLayout(m_parallelBox);
    parallelLayout->setContentsMargins(0, 0, 0, 0);
    auto *parallelTop = new QHBoxLayout;
    parallelTop->addWidget(new QLabel(tr("<b>Parallel coordinates</b>: the params that differ, against")));
    m_parallelMetric->setSizeAdjustPolicy(QComboBox::AdjustToContents);
    m_parallelMetric->setToolTip(tr("The metric of the last axis; it colours the runs' lines"));
    parallelTop->addWidget(m_parallelMetric);
    parallelTop->addStretch(1);
    parallelLayout->addLayout(parallelTop);
    parallelLayout->addWidget(m_parallel, 1);
    m_parallelBox->setVisible(false);
}

// The lower tabs: the params and metrics table, the tags and note of one run.
QTabWidget *ExperimentsPage::buildLowerTabs()
{
    auto *detailsBox = new QWidget;
    auto *detailsLayout = new QVBoxLayout(detailsBox);
    detailsLayout->setContentsMargins(0, 0, 0, 0);
    m_differencesOnly->setChecked(true);
    m_differencesOnly->setToolTip(tr("When comparing runs, hide the params and metrics that are equal in all of them"));
    detailsLayout->addWidget(m_differencesOnly);
    detailsLayout->addWidget(m_detailsView, 1);

    // One run: its tags (the user's editable, Pipewright's read-only) and its note.
    auto *tagsLayout = new QVBoxLayout(m_tagsBox);
    tagsLayout->setContentsMargins(4, 4, 4, 4);
    m_tagsInfo->setWordWrap(true);
    tagsLayout->addWidget(m_tagsInfo);
    m_tagsView = makeTableView(m_tagsModel);
    m_tagsView->setSelectionMode(QAbstractItemView::SingleSelection);
    m_tagsView->setEditTriggers(QAbstractItemView::DoubleClicked | QAbstractItemView::EditKeyPressed);
    m_tagsView->horizontalHeader()->setStretchLastSection(true);
    m_tagsView->setToolTip(tr("Your tags are editable (double-click a value); pipewright.* and mlflow.* tags are "
                              "set by Pipewright and read-only"));
    tagsLayout->addWidget(m_tagsView, 2);
    auto *addRow = new QHBoxLayout;
    m_newTagKey->setPlaceholderText(tr("key"));
    m_newTagValue->setPlaceholderText(tr("value"));
    addRow->addWidget(m_newTagKey, 1);
    addRow->addWidget(m_newTagValue, 2);
    m_addTag->setToolTip(tr("Set this tag on the run (a new key adds it, an existing one changes it)"));
    addRow->addWidget(m_addTag);
    tagsLayout->addLayout(addRow);
    tagsLayout->addWidget(new QLabel(tr("Note (MLflow's mlflow.note.content):")));
    m_note->setPlaceholderText(tr("What this run tried, what came of it…"));
    tagsLayout->addWidget(m_note, 1);
    auto *noteRow = new QHBoxLayout;
    noteRow->addStretch(1);
    m_saveNote->setEnabled(false);
    noteRow->addWidget(m_saveNote);
    tagsLayout->addLayout(noteRow);
    m_lowerTabs->addTab(detailsBox, tr("Params && metrics"));
    m_lowerTabs->addTab(m_tagsBox, tr("Tags && note"));
    return m_lowerTabs;
}

void ExperimentsPage::connectWidgets()
{
    connect(m_experiment, &QComboBox::currentIndexChanged, this,
            [this] { setExperimentFilter(m_experiment->currentData().toString()); });
    connect(m_runsView->selectionModel(), &QItemSelectionModel::selectionChanged, this,
            &ExperimentsPage::showSelection);
    connect(m_metricChooser, &QComboBox::currentIndexChanged, this, &ExperimentsPage::showOverlay);
    connect(m_xAxis, &QComboBox::currentIndexChanged, this, &ExperimentsPage::showOverlay);
    connect(m_smoothing, &QSlider::valueChanged, this, &ExperimentsPage::showOverlay);
    connect(m_differencesOnly, &QCheckBox::toggled, this, [this](bool on) {
        m_comparison->setDifferencesOnly(on);
        showSelection();
    });
    connect(m_evaluate, &QPushButton::clicked, this, &ExperimentsPage::askEvaluationTable);
    connect(m_parallelMetric, &QComboBox::currentIndexChanged, this, &ExperimentsPage::showParallel);
    connect(m_trainButton, &QPushButton::clicked, this, &ExperimentsPage::openTrainDialog);
    connect(m_resumeButton, &QPushButton::clicked, this, [this] { resumeTraining(resumableRun()); });
    connect(m_trainCancel, &QToolButton::clicked, this, &ExperimentsPage::cancelTraining);
    connect(&m_trainWatcher, &QFutureWatcher<compute::TrainOutcome>::finished, this,
            [this] { trainingEnded(m_trainWatcher.result()); });
    // While a run trains, its row and curves follow it.
    m_liveTimer->setInterval(kLiveRefreshMs);
    connect(m_liveTimer, &QTimer::timeout, this, [this] {
        // A hidden page is not polled: the first tick after it is shown again reloads it.
        if (isVisible())
            reload();
    });
}

void ExperimentsPage::connectTagEditing()
{
    connect(m_tagFilter, &QLineEdit::textChanged, m_proxy, &RunsFilterProxy::setTagFilter);
    connect(m_tagsModel, &RunTagsModel::tagEdited, this,
            [this](const QString &runId, const QString &key, const QString &value) {
                if (value.size() > kMaxTagValueLength) {
                    Q_EMIT tagsSaved(tr("the value of tag '%1' is %2 characters long; at most %3 are kept")
                                         .arg(key)
                                         .arg(value.size())
                                         .arg(kMaxTagValueLength));
                    showError(this, tr("Tag"),
                              tr("The value of tag '%1' is too long (%2 characters; at most %3).")
                                  .arg(key)
                                  .arg(value.size())
                                  .arg(kMaxTagValueLength));
                    if (const RunRow *r = m_runsModel->run(runId.toStdString()))
                        m_tagsModel->setTags(r->info.runId, r->tags); // back to what the catalog holds
                    return;
                }
                writeTags(runId, {{key.toStdString(), value.toStdString()}});
            });
    connect(m_addTag, &QPushButton::clicked, this,
            [this] { addTag(m_newTagKey->text().trimmed(), m_newTagValue->text()); });
    connect(m_newTagValue, &QLineEdit::returnPressed, m_addTag, &QPushButton::click);
    // Save is on while the note differs from what the catalog holds (set programmatically, the text is not "modified").
    const auto noteState = [this] { m_saveNote->setEnabled(!m_noteRun.isEmpty() && m_note->document()->isModified()); };
    connect(m_note, &QPlainTextEdit::modificationChanged, this, noteState);
    connect(m_note, &QPlainTextEdit::textChanged, this, noteState);
    connect(m_saveNote, &QPushButton::clicked, this, &ExperimentsPage::saveNote);
}

ExperimentsPage::~ExperimentsPage()
{
    // The training's observer posts to this page: it must end before the page does. Cancelling stops the worker
    // with SIGTERM, so this wait is short (Qt Creator's FutureSynchronizer does the same on shutdown).
    if (m_trainWatcher.isRunning()) {
        m_trainCancelFlag->store(true);
        m_trainWatcher.waitForFinished();
    }
}

void ExperimentsPage::setLiveInterval(int ms)
{
    m_liveTimer->setInterval(std::max(50, ms));
}

bool ExperimentsPage::isLive() const
{
    return m_liveTimer->isActive();
}

void ExperimentsPage::updateLiveTimer()
{
    if (m_anyRunning || m_training) {
        if (!m_liveTimer->isActive())
            m_liveTimer->start();
    } else {
        m_liveTimer->stop();
    }
}

void ExperimentsPage::setWorkspace(const QString &root)
{
    m_root = root;
    m_summary->setText(tr("Loading the runs of %1…").arg(root));
    reload();
}

void ExperimentsPage::reload()
{
    m_loader.reload();
}

SnapshotLoader<ExperimentsSnapshot>::Job ExperimentsPage::loadJob()
{
    if (m_root.isEmpty())
        return {};
    const std::string root = m_root.toStdString();
    // Runs of this workspace that had ended are not read again (their params and metrics cannot change).
    std::vector<std::string> ended;
    if (m_root == m_shownRoot)
        for (const RunRow &r : m_runsModel->runs())
            if (r.info.status != "RUNNING")
                ended.push_back(r.info.runId);
    m_loadingRoot = m_root;
    return [root, ended] { return loadExperimentsSnapshot(root, ended); };
}

void ExperimentsPage::setExperimentFilter(const QString &experiment)
{
    const int i = m_experiment->findData(experiment);
    if (i >= 0 && i != m_experiment->currentIndex()) {
        m_experiment->setCurrentIndex(i); // comes back here through currentIndexChanged
        return;
    }
    const QString pattern = experiment.isEmpty() ? QString()
                                                 : QStringLiteral("^%1$").arg(QRegularExpression::escape(experiment));
    if (pattern != m_proxy->filterRegularExpression().pattern()) // a live refresh re-applies the same filter
        m_proxy->setFilterRegularExpression(pattern);
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
    m_runsView->selectionModel()->select(
        QItemSelection(m_proxy->index(row, 0), m_proxy->index(row, RunsModel::ColumnCount - 1)),
        QItemSelectionModel::ClearAndSelect);
    m_runsView->scrollTo(m_proxy->index(row, 0));
    return true;
}

void ExperimentsPage::showSnapshot(ExperimentsSnapshot s)
{
    if (!s.error.isEmpty()) {
        m_summary->setText(tr("Cannot read the runs: %1").arg(s.error));
        m_anyRunning = false;
        updateLiveTimer();
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
            const auto n = std::count_if(s.runs.begin(), s.runs.end(),
                                         [&](const RunRow &r) { return r.info.experiment == e; });
            m_experiment->addItem(
                QStringLiteral("%1 (%2)").arg(QString::fromStdString(e), countText(n, tr("run"), tr("runs"))),
                QString::fromStdString(e));
        }
        m_experiment->setCurrentIndex(std::max(0, m_experiment->findData(experiment)));
    }
    setExperimentFilter(m_experiment->currentData().toString());

    const bool running = std::any_of(s.runs.begin(), s.runs.end(),
                                     [](const RunRow &r) { return r.info.status == "RUNNING"; });
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
    m_anyRunning = running;
    updateLiveTimer();

    if (m_loadingRoot != m_shownRoot) {
        // Another workspace: a reset, then the first run selected.
        const QSignalBlocker block(m_runsView->selectionModel());
        m_runsModel->setRuns(std::move(s.runs));
        m_shownRoot = m_loadingRoot;
        if (m_proxy->rowCount() > 0)
            m_runsView->selectionModel()->select(
                QItemSelection(m_proxy->index(0, 0), m_proxy->index(0, RunsModel::ColumnCount - 1)),
                QItemSelectionModel::ClearAndSelect);
        if (!m_pendingRun.isEmpty())
            selectRun(m_pendingRun);
        showSelection();
        Q_EMIT loaded();
        return;
    }
    // The same workspace (a refresh, live or asked for): merged in place, so that the view keeps its selection,
    // sort and scroll position; the side panel is redrawn only when a selected run changed.
    std::vector<std::string> changed;
    {
        const QSignalBlocker block(m_runsView->selectionModel());
        changed = m_runsModel->updateRuns(std::move(s.runs));
    }
    bool redraw = selectedRunIds() != selected;
    for (const std::string &id : changed)
        redraw = redraw || selected.contains(QString::fromStdString(id));
    // Nothing selected yet: the newest run, so that the panel shows something from the start.
    if (m_runsView->selectionModel()->selectedRows().isEmpty() && m_proxy->rowCount() > 0) {
        const QSignalBlocker block(m_runsView->selectionModel());
        m_runsView->selectionModel()->select(
            QItemSelection(m_proxy->index(0, 0), m_proxy->index(0, RunsModel::ColumnCount - 1)),
            QItemSelectionModel::ClearAndSelect);
        redraw = true;
    }
    if (!m_pendingRun.isEmpty())
        selectRun(m_pendingRun);
    if (redraw)
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
    m_resumeButton->setVisible(!m_training && !resumableRun().isEmpty());
    m_overlayControls->setVisible(runs.size() > 1);
    if (runs.size() < 2)
        m_compared.clear();
    m_evalBox->setVisible(runs.size() == 1);
    m_parallelBox->setVisible(runs.size() > 1);
    // "Differences only" needs two runs to differ: with one it would show everything, so it says so instead.
    m_differencesOnly->setEnabled(runs.size() > 1);
    m_differencesOnly->setText(runs.size() > 1 ? tr("Differences only") : tr("Differences only (select two runs)"));
    showTags(runs);
    if (runs.size() == 1)
        showEvaluation(QString::fromStdString(runs.front().info.runId));
    else
        m_evalRun.clear();
    layOutDetails();

    if (runs.empty()) {
        m_runHeader->setText(m_runsModel->rowCount() ? tr("Select a run to see its params, metrics and curves; "
                                                          "select several to compare them.")
                                                     : QString());
        m_chart->setMessage(tr("No run selected"));
    } else if (runs.size() == 1) {
        showRun(runs.front());
    } else {
        showComparison(std::move(runs));
    }
}

void ExperimentsPage::layOutDetails()
{
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
}

void ExperimentsPage::showRun(const RunRow &run)
{
    const track::RunInfo &i = run.info;
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
    QString text =
        QStringLiteral("<b>%1</b> %2<br>%3").arg(escaped(i.runId), escaped(i.name), parts.join(QStringLiteral(" · ")));
    if (!i.failureReason.empty())
        text += QStringLiteral("<br><span style='color:%1'>%2</span>")
                    .arg(runStatusColor("FAILED").name(), escaped(i.failureReason));
    m_runHeader->setText(text);

    std::vector<ChartSeries> series;
    series.push_back(
        {QString::fromLatin1(kTrainLossKey), kLossColor, Qt::DashLine, false, curvePoints(run, kTrainLossKey)});
    series.push_back(
        {QString::fromLatin1(kValLossKey), kLossColor, Qt::SolidLine, false, curvePoints(run, kValLossKey)});
    series.push_back(
        {QString::fromLatin1(kValAccuracyKey), kAccuracyColor, Qt::SolidLine, true, curvePoints(run, kValAccuracyKey)});
    std::erase_if(series, [](const ChartSeries &c) { return c.points.empty(); });
    if (series.empty())
        m_chart->setMessage(tr("This run logged no per-epoch train_loss, val_loss or val_accuracy"));
    else
        m_chart->setSeries(std::move(series), tr("loss"), tr("accuracy"));
}

void ExperimentsPage::showComparison(std::vector<RunRow> runs)
{
    m_compared = std::move(runs);
    // The metrics any of them logged as curves; the one chosen before stays, else val_accuracy.
    offerKeys(m_metricChooser, curveKeys(m_compared));
    showOverlay();
    // The parallel coordinates' metric: any final metric of these runs (not the per-batch ones).
    QSet<QString> seen;
    QStringList keys;
    for (const RunRow &r : m_compared)
        for (const auto &[k, v] : r.metrics)
            if (k.rfind("batch_", 0) != 0 && !seen.contains(QString::fromStdString(k))) {
                seen.insert(QString::fromStdString(k));
                keys << QString::fromStdString(k);
            }
    keys.sort();
    offerKeys(m_parallelMetric, keys);
    showParallel();
}

void ExperimentsPage::showParallel()
{
    if (m_compared.size() < 2) {
        m_parallel->setRuns({}, {});
        return;
    }
    m_parallel->setRuns(m_compared, m_parallelMetric->currentText());
}

void ExperimentsPage::showTags(const std::vector<RunRow> &runs)
{
    const bool one = runs.size() == 1;
    m_tagsView->setEnabled(one);
    m_newTagKey->setEnabled(one);
    m_newTagValue->setEnabled(one);
    m_addTag->setEnabled(one);
    m_note->setReadOnly(!one);
    if (!one) {
        m_tagsInfo->setText(runs.empty() ? tr("Select a run to see its tags and note.")
                                         : tr("Select one run to see and edit its tags and note."));
        m_tagsModel->setTags({}, {});
        m_noteRun.clear();
        m_note->clear();
        m_note->document()->setModified(false);
        m_saveNote->setEnabled(false);
        return;
    }
    const RunRow &run = runs.front();
    const QString runId = QString::fromStdString(run.info.runId);
    m_tagsInfo->setText(tr("Tags of run %1").arg(shortRunId(run.info.runId)));
    m_tagsModel->setTags(run.info.runId, run.tags);
    // A live refresh does not overwrite a note being edited; another run's note replaces it.
    if (runId != m_noteRun || !m_note->document()->isModified()) {
        const auto note = run.tags.find(kNoteTag);
        const QString text = note == run.tags.end() ? QString() : QString::fromStdString(note->second);
        if (runId != m_noteRun || m_note->toPlainText() != text)
            m_note->setPlainText(text);
        m_note->document()->setModified(false);
        m_noteRun = runId;
    }
    m_saveNote->setEnabled(m_note->document()->isModified());
}

void ExperimentsPage::addTag(const QString &key, const QString &value)
{
    const QStringList ids = selectedRunIds();
    QString error;
    if (ids.size() != 1)
        error = tr("select one run to tag");
    else if (const QString keyError = userTagKeyError(key); !keyError.isEmpty())
        error = keyError;
    else if (value.size() > kMaxTagValueLength)
        error = tr("the value of tag '%1' is %2 characters long; at most %3 are kept")
                    .arg(key)
                    .arg(value.size())
                    .arg(kMaxTagValueLength);
    if (!error.isEmpty()) {
        showError(this, tr("Tag"), tr("Cannot set the tag: %1.").arg(error));
        Q_EMIT tagsSaved(error);
        return;
    }
    writeTags(ids.front(), {{key.toStdString(), value.toStdString()}});
    m_newTagKey->clear();
    m_newTagValue->clear();
}

void ExperimentsPage::saveNote()
{
    if (m_noteRun.isEmpty() || selectedRunIds() != QStringList{m_noteRun})
        return;
    const QString text = m_note->toPlainText();
    if (text.size() > kMaxNoteLength) {
        const QString error =
            tr("the note is %1 characters long; at most %2 are kept").arg(text.size()).arg(kMaxNoteLength);
        showError(this, tr("Note"), tr("Cannot save the note: %1.").arg(error));
        Q_EMIT tagsSaved(error);
        return;
    }
    m_note->document()->setModified(false);
    m_saveNote->setEnabled(false);
    writeTags(m_noteRun, {{kNoteTag, text.toStdString()}});
}

void ExperimentsPage::writeTags(const QString &runId, const std::map<std::string, std::string> &tags)
{
    if (m_root.isEmpty())
        return;
    const std::string root = m_root.toStdString();
    const std::string run = runId.toStdString();
    // One short write transaction; off the GUI thread all the same (a training may hold the catalog's lock).
    whenFinished(this, QtConcurrent::run(workPool(), [=] { return writeRunTags(root, run, tags); }),
                 [this, runId, tags](const QString &error) {
                     const RunRow *row = m_runsModel->run(runId.toStdString());
                     if (!error.isEmpty()) {
                         showError(
                             this, tr("Tags"),
                             tr("Cannot write the tags of run %1: %2").arg(shortRunId(runId.toStdString()), error));
                         if (row && m_tagsModel->runId() == row->info.runId)
                             m_tagsModel->setTags(row->info.runId, row->tags); // back to what the catalog holds
                     } else if (row) {
                         std::map<std::string, std::string> now = row->tags;
                         for (const auto &[k, v] : tags)
                             now[k] = v;
                         m_runsModel->setTags(row->info.runId, now);
                         if (m_tagsModel->runId() == row->info.runId)
                             m_tagsModel->setTags(row->info.runId, now);
                     }
                     Q_EMIT tagsSaved(error);
                 });
}

void ExperimentsPage::showOverlay()
{
    if (m_compared.size() < 2)
        return;
    const QString key = m_metricChooser->currentText();
    const auto axis = CurveAxis(m_xAxis->currentData().toInt());
    m_runHeader->setText(tr("<b>Comparing %1 runs</b>: %2 per %3")
                             .arg(m_compared.size())
                             .arg(key.toHtmlEscaped(), curveAxisTitle(axis)));
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
    whenFinished(this, QtConcurrent::run(workPool(), [=] { return loadLatestEvaluation(root, run); }),
                 [this, runId](const RunEvaluation &e) {
                     if (runId != m_evalRun)
                         return;
                     if (!e.error.isEmpty()) {
                         m_heatMap->setMessage(tr("Cannot read the evaluation: %1").arg(e.error));
                     } else if (!e.found) {
                         m_heatMap->setMessage(
                             tr("This run has no evaluation yet: evaluate it on a table to see its confusion matrix."));
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
    const RunRow *run = m_runsModel->run(ids.first().toStdString());
    const std::string trainedOn = run ? run->info.table : std::string();
    // Reading the table names is quick (a few small queries) but still not done on the GUI thread. Held-out tables
    // come first (not the run's training table; the newest first): the dialog's default.
    whenFinished(this, QtConcurrent::run(workPool(), [=] { return workspaceTables(root, trainedOn); }),
                 [this](const std::vector<std::string> &tables) {
                     QStringList names;
                     for (const std::string &t : tables)
                         names << QString::fromStdString(t);
                     if (names.isEmpty()) {
                         showError(this, tr("Evaluate"), tr("The workspace has no table to evaluate on."));
                         return;
                     }
                     bool ok = false;
                     const QString table = QInputDialog::getItem(this, tr("Evaluate on table"), tr("Table:"), names, 0,
                                                                 false, &ok);
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
    whenFinished(this, QtConcurrent::run(workPool(), [=] { return evaluateRunOn(root, run, t); }),
                 [this, runId](const RunEvaluation &e) {
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

void ExperimentsPage::openTrainDialog()
{
    if (m_root.isEmpty() || m_training || m_trainDialog)
        return;
    m_trainButton->setEnabled(false);
    const std::string root = m_root.toStdString();
    whenFinished(
        this, QtConcurrent::run(workPool(), [root] { return loadTrainChoices(root); }), [this](const TrainChoices &c) {
            m_trainButton->setEnabled(!m_training);
            if (!c.error.isEmpty()) {
                showError(this, tr("Train"), tr("Cannot read the workspace: %1").arg(c.error));
                return;
            }
            if (c.tables.empty()) {
                showError(this, tr("Train"), tr("The workspace has no table to train on: ingest images first."));
                return;
            }
            m_trainDialog = new TrainDialog(c.tables, c.experiments, c.targets, this, c.slurmTargets);
            m_trainDialog->setAttribute(Qt::WA_DeleteOnClose);
            // Start from the experiment the page shows, and from its table when there is an "images" one or not.
            compute::TrainRequest defaults;
            defaults.table = std::find(c.tables.begin(), c.tables.end(), defaults.table) != c.tables.end()
                                 ? defaults.table
                                 : c.tables.front();
            if (const QString e = m_experiment->currentData().toString(); !e.isEmpty())
                defaults.experiment = e.toStdString();
            m_trainDialog->setRequest(defaults);
            connect(m_trainDialog, &QDialog::accepted, this, [this] {
                if (m_trainDialog)
                    startTraining(m_trainDialog->request());
            });
            connect(m_trainDialog, &QObject::destroyed, this, [this] { m_trainDialog = nullptr; });
            m_trainDialog->open();
        });
}

bool ExperimentsPage::startTraining(const compute::TrainRequest &request)
{
    return launchTraining(request, {}, tr("Preparing the images of %1…").arg(QString::fromStdString(request.table)));
}

bool ExperimentsPage::resumeTraining(const QString &runId)
{
    if (runId.isEmpty())
        return false;
    return launchTraining({}, runId, tr("Resuming run %1…").arg(shortRunId(runId.toStdString())));
}

QString ExperimentsPage::resumableRun() const
{
    const QStringList ids = selectedRunIds();
    if (ids.size() != 1 || m_root.isEmpty())
        return {};
    const RunRow *r = m_runsModel->run(ids.front().toStdString());
    if (!r || (r->info.status != "KILLED" && r->info.status != "FAILED"))
        return {};
    const QString checkpoint = m_root + "/artifacts/" + ids.front() + "/checkpoint.pt";
    return QFileInfo::exists(checkpoint) ? ids.front() : QString();
}

bool ExperimentsPage::launchTraining(const compute::TrainRequest &request, const QString &resumeRunId,
                                     const QString &firstText)
{
    if (m_training || m_root.isEmpty())
        return false;
    m_training = true;
    m_trainCancelFlag = std::make_shared<std::atomic<bool>>(false);
    m_trainText = firstText;
    m_trainValText.clear();
    m_trainStatus->setText(m_trainText);
    m_trainStatus->setToolTip({});
    m_trainStatus->setVisible(true);
    m_trainProgress->setRange(0, 0);
    m_trainProgress->setVisible(true);
    m_trainCancel->setVisible(true);
    m_trainCancel->setEnabled(true);
    m_trainButton->setEnabled(false);
    m_resumeButton->setVisible(false);
    const std::string root = m_root.toStdString();
    const auto cancel = m_trainCancelFlag;
    const std::string resume = resumeRunId.toStdString();
    m_trainWatcher.setFuture(QtConcurrent::run(workPool(), [this, root, request, cancel, resume] {
        // Called on this pool thread for every shard and worker event; per-batch progress is thinned to 10 a second.
        QElapsedTimer sinceProgress;
        compute::TrainObserver observer = [this, sinceProgress](const QJsonObject &event) mutable {
            if (event.value("event").toString() == "progress") {
                if (sinceProgress.isValid() && sinceProgress.elapsed() < 100)
                    return;
                sinceProgress.start();
            }
            QMetaObject::invokeMethod(
                this, [this, event] { trainingEvent(event); }, Qt::QueuedConnection);
        };
        return trainInWorkspace(root, request, observer, cancel.get(), resume);
    }));
    updateLiveTimer();
    Q_EMIT trainingStarted();
    Q_EMIT trainingProgressed(m_trainText);
    return true;
}

void ExperimentsPage::cancelTraining()
{
    if (!m_training || !m_trainCancelFlag)
        return;
    m_trainCancelFlag->store(true);
    m_trainCancel->setEnabled(false);
    m_trainText = tr("Cancelling…");
    m_trainStatus->setText(m_trainText);
    Q_EMIT trainingProgressed(m_trainText);
}

void ExperimentsPage::trainingEvent(const QJsonObject &e)
{
    if (!m_training)
        return; // a late event of a training that has ended
    const QString type = e.value("event").toString();
    const QLocale locale;
    if (type == "shards") {
        const auto total = e.value("total").toInteger();
        m_trainProgress->setRange(0, int(std::min<qint64>(total, std::numeric_limits<int>::max())));
        m_trainProgress->setValue(int(std::min<qint64>(e.value("done").toInteger(), total)));
        m_trainText =
            tr("Preparing images: %1 of %2").arg(locale.toString(e.value("done").toInteger()), locale.toString(total));
    } else if (type == "shards_ready") {
        m_trainProgress->setRange(0, 0);
        m_trainText = tr("Starting the worker on %1 images…").arg(locale.toString(e.value("train_images").toInteger()));
    } else if (type == "started") {
        m_trainEpochs = e.value("epochs").toInt();
        m_epochLoss = 0;
        m_epochIps = 0;
        m_trainText = tr("Training %1 on %2: %3")
                          .arg(e.value("model").toString(), e.value("device").toString(),
                               countText(e.value("epochs").toInt(), tr("epoch"), tr("epochs")));
        reload(); // the run exists now: it appears in the table, RUNNING
    } else if (type == "progress") {
        const int epoch = e.value("epoch").toInt(), epochs = e.value("epochs").toInt();
        const int batch = e.value("batch").toInt(), batches = e.value("batches").toInt();
        if (epochs > 0 && batches > 0) {
            m_trainProgress->setRange(0, epochs * batches);
            m_trainProgress->setValue(std::clamp((epoch - 1) * batches + batch, 0, epochs * batches));
        }
        m_trainText = tr("epoch %1/%2 · loss %3 · %4 images/s")
                          .arg(epoch)
                          .arg(epochs)
                          .arg(e.value("loss").toDouble(), 0, 'f', 4)
                          .arg(locale.toString(e.value("images_per_second").toDouble(), 'f', 0));
    } else if (type == "metric") {
        // Per-batch progress comes once a second; the per-epoch metrics tell where a short training is.
        const QString key = e.value("key").toString();
        const double value = e.value("value").toDouble(std::numeric_limits<double>::quiet_NaN());
        const auto epoch = e.value("epoch").toInteger();
        if (key == QLatin1String(kValAccuracyKey)) {
            m_trainValText = tr("val_accuracy %1 after epoch %2").arg(metricText(value)).arg(epoch);
        } else if (key == QLatin1String("train_loss") || key == QLatin1String("images_per_second")) {
            (key == QLatin1String("train_loss") ? m_epochLoss : m_epochIps) = value;
            m_trainText = tr("epoch %1/%2 · loss %3 · %4 images/s")
                              .arg(epoch)
                              .arg(m_trainEpochs)
                              .arg(m_epochLoss, 0, 'f', 4)
                              .arg(locale.toString(m_epochIps, 'f', 0));
            if (m_trainEpochs > 0) {
                if (m_trainProgress->maximum() == 0)
                    m_trainProgress->setRange(0, m_trainEpochs);
                m_trainProgress->setValue(
                    int(std::min<qint64>(epoch, m_trainEpochs) * m_trainProgress->maximum() / m_trainEpochs));
            }
        } else {
            return;
        }
    } else {
        return;
    }
    const QString text = m_trainValText.isEmpty() ? m_trainText
                                                  : QStringLiteral("%1 · %2").arg(m_trainText, m_trainValText);
    if (text != m_trainStatus->text()) {
        m_trainStatus->setText(text);
        Q_EMIT trainingProgressed(text);
    }
}

void ExperimentsPage::trainingEnded(const compute::TrainOutcome &outcome)
{
    m_training = false;
    m_trainProgress->setVisible(false);
    m_trainCancel->setVisible(false);
    m_trainButton->setEnabled(true);
    const QString runId = QString::fromStdString(outcome.runId);
    const QString status = QString::fromStdString(outcome.status);
    const QString reason = QString::fromStdString(outcome.message);
    QString text;
    if (runId.isEmpty()) {
        text = tr("Training not started: %1").arg(reason);
        showError(this, tr("Train"), tr("The training could not start: %1").arg(reason));
    } else if (status == "FINISHED") {
        const auto acc = outcome.metrics.find(kValAccuracyKey);
        text = tr("Run %1 FINISHED in %2")
                   .arg(shortRunId(outcome.runId), durationText(std::int64_t(outcome.seconds * 1000)));
        if (acc != outcome.metrics.end())
            text += tr(" · val_accuracy %1").arg(metricText(acc->second));
    } else {
        text = tr("Run %1 %2: %3").arg(shortRunId(outcome.runId), status, reason);
    }
    // The outcome goes to the status bar, where it expires; the header keeps no stale line.
    m_trainStatus->clear();
    m_trainStatus->setToolTip({});
    m_trainStatus->setVisible(false);
    Q_EMIT message(text);
    // The run is selected by the reload, unless the user compares runs: a finishing run never replaces that.
    if (!runId.isEmpty() && selectedRunIds().size() < 2)
        m_pendingRun = runId;
    updateLiveTimer();
    reload();
    Q_EMIT trainingFinished(runId, status, reason);
}

} // namespace pw::ui
