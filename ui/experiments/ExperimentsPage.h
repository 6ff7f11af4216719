// The Experiments page: the tracked training runs of the workspace (filtered by experiment), and for the
// selected run its params, final metrics and loss/accuracy curves; for several selected runs a comparison.
#pragma once

#include "ui/experiments/ExperimentsSnapshot.h"

#include <QFutureWatcher>
#include <QWidget>

class QComboBox;
class QLabel;
class QSortFilterProxyModel;
class QTableView;
class QTimer;

namespace pw::ui {

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
    /** The full ids of the selected runs, in the table's order. */
    QStringList selectedRunIds() const;

Q_SIGNALS:
    /** A snapshot was loaded and shown (or its error shown). */
    void loaded();
    void loadingChanged(bool loading);

private:
    void showSnapshot(const ExperimentsSnapshot &snapshot);
    void showSelection();

    QString m_root;
    bool m_reloadQueued = false;
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
};

} // namespace pw::ui
