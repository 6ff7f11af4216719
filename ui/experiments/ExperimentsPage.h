// The Experiments page: the tracked training runs of the workspace (filtered by experiment), and for the
// selected run its params, final metrics and loss/accuracy curves; for several selected runs a comparison.
#pragma once

#include "ui/experiments/ExperimentsSnapshot.h"

#include <QFutureWatcher>
#include <QWidget>

class QCheckBox;
class QComboBox;
class QLabel;
class QPushButton;
class QSlider;
class QSortFilterProxyModel;
class QTableView;
class QTimer;

namespace pw::ui {

class ConfusionHeatMap;
class MetricChart;
class RunComparisonModel;
class RunsModel;

class ExperimentsPage : public QWidget
{
    Q_OBJECT
public:
    explicit ExperimentsPage(QWidget *parent = nullptr);

    /** Shows the runs of the workspace at `root` (loads them in the background). */
    void setWorkspace(const QString &root);
    /** Reloads in the background, keeping the selection; a reload asked for while one runs follows it. */
    void reload();
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

Q_SIGNALS:
    /** A snapshot was loaded and shown (or its error shown). */
    void loaded();
    void loadingChanged(bool loading);
    /** The evaluation panel of the selected run was filled: its matrix, or why there is none (`error`). */
    void evaluationShown(const QString &error);

private:
    void showSnapshot(const ExperimentsSnapshot &snapshot);
    void showSelection();
    void showOverlay();
    void showEvaluation(const QString &runId);
    void askEvaluationTable();

    QString m_root;
    bool m_reloadQueued = false;
    QString m_pendingRun; // asked for by selectRun() before the load that has it
    QFutureWatcher<ExperimentsSnapshot> m_watcher;
    QLabel *m_summary;
    QComboBox *m_experiment;
    QTableView *m_runsView;
    RunsModel *m_runsModel;
    QSortFilterProxyModel *m_proxy;
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
};

} // namespace pw::ui
