// The Experiments page: the tracked training runs of the workspace (filtered by experiment), and for the
// selected run its params, final metrics, loss/accuracy curves, tags and note; for several selected runs a
// comparison (overlaid curves, a params/metrics table, parallel coordinates). While runs train the table and
// the curves follow them; a training can be launched from here ("Train…") and followed in the page's header.
#pragma once

#include "ui/Page.h"
#include "ui/SnapshotLoader.h"

#include "ui/experiments/ExperimentsSnapshot.h"
#include "ui/experiments/RunsFilterProxy.h"

#include <QFutureWatcher>

#include <atomic>
#include <memory>

class QCheckBox;
class QComboBox;
class QHBoxLayout;
class QLabel;
class QLineEdit;
class QPlainTextEdit;
class QProgressBar;
class QPushButton;
class QSlider;
class QSortFilterProxyModel;
class QSplitter;
class QTabWidget;
class QTableView;
class QTimer;
class QToolButton;

namespace pw::ui {

class ConfusionHeatMap;
class MetricChart;
class ParallelCoordinates;
class RunComparisonModel;
class RunTagsModel;
class RunsModel;
class TrainDialog;

class ExperimentsPage : public Page
{
    Q_OBJECT
public:
    explicit ExperimentsPage(QWidget *parent = nullptr);
    /** Cancels a training started here and waits for its worker to stop (a SIGTERM: quick). */
    ~ExperimentsPage() override;

    QString pageId() const override { return QStringLiteral("experiments"); }
    QString pageTitle() const override { return tr("Experiments"); }
    QString pageToolTip() const override
    {
        return tr("Training runs: params, metrics and curves; select several to compare them");
    }
    /** Shows the runs of the workspace at `root` (loads them in the background). */
    void setWorkspace(const QString &root) override;
    /** Reloads in the background, keeping the selection; a reload asked for while one runs follows it. */
    void reload() override;
    store::Changes reloadsOn() const override { return store::RunsChanged; }
    /** A link to a run (its full id): selects it (see selectRun()). */
    void showItem(const QString &runId) override { selectRun(runId); }
    /** Shows only the runs of `experiment` (every run when empty). */
    void setExperimentFilter(const QString &experiment);

    RunsModel *runsModel() const { return m_runsModel; }
    QSortFilterProxyModel *runsProxy() const { return m_proxy; }
    RunComparisonModel *comparisonModel() const { return m_comparison; }
    QTableView *runsView() const { return m_runsView; }
    MetricChart *chart() const { return m_chart; }
    /** The comparison chart's controls: the metric, the x axis (step, epoch, wall time), the smoothing (0–99). */
    QComboBox *metricChooser() const { return m_metricChooser; }
    QComboBox *xAxisChooser() const { return m_xAxis; }
    QSlider *smoothingSlider() const { return m_smoothing; }
    QCheckBox *differencesOnlyBox() const { return m_differencesOnly; }
    ConfusionHeatMap *heatMap() const { return m_heatMap; }
    QPushButton *evaluateButton() const { return m_evaluate; }
    /** Evaluates the selected run on `table` off the GUI thread (compute::evaluateRun), then shows the matrix. */
    void evaluateSelected(const QString &table);
    /** The full ids of the selected runs, in the table's order. */
    QStringList selectedRunIds() const;
    /**
     * Selects the run `runId` (a full id), showing every experiment when the filter hides it; false when it is
     * not loaded (yet: then it is selected by the next load that has it).
     */
    bool selectRun(const QString &runId);

    // Live updates: while a run is RUNNING (or a training started here runs) the page reloads every interval,
    // merging the runs into the table (selection, sort and scroll kept) and re-reading only unfinished runs.
    /** The live refresh interval (5 s by default). */
    void setLiveInterval(int ms);
    /** True while the live refresh is on. */
    bool isLive() const;

    // Parallel coordinates of the compared runs (2 or more selected).
    ParallelCoordinates *parallelCoordinates() const { return m_parallel; }
    /** The metric of the parallel coordinates' last axis and colours. */
    QComboBox *parallelMetricChooser() const { return m_parallelMetric; }

    // Tags and note of the selected run (one run selected).
    RunTagsModel *tagsModel() const { return m_tagsModel; }
    QLineEdit *newTagKeyEdit() const { return m_newTagKey; }
    QLineEdit *newTagValueEdit() const { return m_newTagValue; }
    QPushButton *addTagButton() const { return m_addTag; }
    QPlainTextEdit *noteEdit() const { return m_note; }
    QPushButton *saveNoteButton() const { return m_saveNote; }
    /** Filters the runs on their tags (see RunsFilterProxy::setTagFilter). */
    QLineEdit *tagFilterEdit() const { return m_tagFilter; }
    /** Sets the tag `key` of the selected run to `value` (a user tag: checked); the result comes as tagsSaved(). */
    void addTag(const QString &key, const QString &value);
    /** Stores the note editor's text as the selected run's note (the tag mlflow.note.content). */
    void saveNote();

    // Training launched from the page: one at a time, followed in the header (progress, Cancel).
    QPushButton *trainButton() const { return m_trainButton; }
    /** Reads the workspace's tables and targets off the GUI thread, then opens the train dialog (non-modal). */
    void openTrainDialog();
    /** The train dialog while it is open, else nullptr. */
    TrainDialog *trainDialog() const { return m_trainDialog; }
    /** Starts compute::runTraining on a pool thread; false (and nothing started) while one runs already. */
    bool startTraining(const compute::TrainRequest &request);
    /**
     * Resumes the KILLED or FAILED run `runId` from its checkpoint (compute::resumeTraining), followed like a training
     * started here; false (and nothing started) while one runs already.
     */
    bool resumeTraining(const QString &runId);
    /** Resume: shown while the one selected run is KILLED or FAILED and has a checkpoint. */
    QPushButton *resumeButton() const { return m_resumeButton; }
    /** The selected run when Resume can continue it (one run, KILLED or FAILED, with a checkpoint), else empty. */
    QString resumableRun() const;
    bool isTraining() const { return m_training; }
    /** Asks the running training to stop (the worker gets SIGTERM; the run ends KILLED). */
    void cancelTraining();
    QProgressBar *trainProgress() const { return m_trainProgress; }
    QLabel *trainStatus() const { return m_trainStatus; }

Q_SIGNALS:
    // loaded(): a snapshot was loaded and shown (or its error shown).
    /** A tag or note edit was written to the catalog (`error` empty) or refused (`error` says why). */
    void tagsSaved(const QString &error);
    void trainingStarted();
    /** The header's progress text changed ("epoch 2/5 · loss 0.4321 · 2,400 images/s"). */
    void trainingProgressed(const QString &text);
    /** A training started here ended: FINISHED, FAILED or KILLED; `runId` empty when it was refused at once. */
    void trainingFinished(const QString &runId, const QString &status, const QString &message);
    void loadingChanged(bool loading);
    /** The evaluation panel of the selected run was filled: its matrix, or why there is none (`error`). */
    void evaluationShown(const QString &error);

private:
    // The constructor's steps, top to bottom of the page, then the signal connections.
    QHBoxLayout *buildHeader();
    void setUpRunsTable();
    void setUpChart();
    QSplitter *buildSidePanel();
    void buildEvaluationBox();
    void buildParallelBox();
    QTabWidget *buildLowerTabs();
    void connectWidgets();
    void connectTagEditing();
    void showSnapshot(ExperimentsSnapshot snapshot);
    /** The next load of the page's snapshot (run by m_loader), or none without a workspace. */
    SnapshotLoader<ExperimentsSnapshot>::Job loadJob();
    void showSelection();
    /** The params and metrics table's spans and key column, after the selection changed. */
    void layOutDetails();
    /** One run selected: its header and its loss and accuracy curves. */
    void showRun(const RunRow &run);
    /** Several runs selected: the overlaid curves of a chosen metric and the parallel coordinates. */
    void showComparison(std::vector<RunRow> runs);
    void showOverlay();
    void showEvaluation(const QString &runId);
    void askEvaluationTable();
    void updateLiveTimer();
    void showTags(const std::vector<RunRow> &runs);
    void showParallel();
    void writeTags(const QString &runId, const std::map<std::string, std::string> &tags);
    void trainingEvent(const QJsonObject &event);
    void trainingEnded(const compute::TrainOutcome &outcome);
    /** Starts a training (or the resume of `resumeRunId`) on a pool thread, followed in the header. */
    bool launchTraining(const compute::TrainRequest &request, const QString &resumeRunId, const QString &firstText);

    QString m_root;
    QString m_loadingRoot; // the workspace of the load in flight
    QString m_shownRoot; // the workspace the runs table shows: a load of another one resets it
    QString m_pendingRun; // asked for by selectRun() before the load that has it
    QLabel *m_summary;
    QComboBox *m_experiment;
    QTableView *m_runsView;
    RunsModel *m_runsModel;
    RunsFilterProxy *m_proxy;
    QLineEdit *m_tagFilter;
    QLabel *m_runHeader;
    MetricChart *m_chart;
    QTableView *m_detailsView;
    RunComparisonModel *m_comparison;
    QTimer *m_liveTimer;
    std::vector<RunRow> m_compared; // the runs the overlay chart draws
    QWidget *m_overlayControls;
    QComboBox *m_metricChooser;
    QComboBox *m_xAxis;
    QSlider *m_smoothing;
    QCheckBox *m_differencesOnly;
    QWidget *m_evalBox;
    QLabel *m_evalInfo;
    ConfusionHeatMap *m_heatMap;
    QPushButton *m_evaluate;
    QString m_evalRun; // the run the evaluation panel is for: late results for another run are dropped
    bool m_evaluating = false;
    bool m_anyRunning = false; // the last snapshot had a RUNNING run

    QWidget *m_parallelBox;
    QComboBox *m_parallelMetric;
    ParallelCoordinates *m_parallel;

    QTabWidget *m_lowerTabs;
    QWidget *m_tagsBox;
    QLabel *m_tagsInfo;
    RunTagsModel *m_tagsModel;
    QTableView *m_tagsView;
    QLineEdit *m_newTagKey;
    QLineEdit *m_newTagValue;
    QPushButton *m_addTag;
    QPlainTextEdit *m_note;
    QPushButton *m_saveNote;
    QString m_noteRun; // the run whose note the editor holds

    QPushButton *m_trainButton;
    QPushButton *m_resumeButton;
    QProgressBar *m_trainProgress;
    QLabel *m_trainStatus;
    QToolButton *m_trainCancel;
    TrainDialog *m_trainDialog = nullptr;
    bool m_training = false;
    std::shared_ptr<std::atomic<bool>> m_trainCancelFlag;
    QFutureWatcher<compute::TrainOutcome> m_trainWatcher;
    QString m_trainText; // the progress line
    QString m_trainValText; // the last validation result, appended to it
    int m_trainEpochs = 0; // from the worker's "started" event
    double m_epochLoss = 0; // the last epoch's train_loss and images_per_second
    double m_epochIps = 0;
    SnapshotLoader<ExperimentsSnapshot> m_loader; // last: its callbacks use the members above
};

} // namespace pw::ui
