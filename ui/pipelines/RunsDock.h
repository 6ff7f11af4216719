// The runs dock of the Pipelines page: the grid of recent runs × tasks (with a colour legend; a selected cell is
// outlined in a colour no state has), a Gantt timeline of one run (a bar per attempt, retries visible; while the
// run goes on its clock and its running bars advance every second) and the log of one attempt, followed while
// the task runs. While a run goes on the dock follows it: a new run is shown as it starts, and the log pane
// switches to each task of it that starts, until the user picks a cell of an older run.
#pragma once

#include "core/pipeline/Executor.h"

#include <QWidget>

class QLabel;
class QPlainTextEdit;
class QTableView;
class QTimer;
class QItemSelection;

namespace pw::ui {

class RunGridModel;

/** A timeline of one run: one row per task, one bar per attempt, coloured by its result. */
class GanttView : public QWidget
{
    Q_OBJECT
public:
    explicit GanttView(QWidget *parent = nullptr);
    void setRun(const pipeline::RunInfo &run);
    const pipeline::RunInfo &run() const { return m_run; }
    /** The text shown while no run is: whether the grid has runs to pick from. */
    void setHasRuns(bool hasRuns);
    QString emptyText() const;
    /** The header's text as the last paint drew it ("run 2 · RUNNING · 7.0 s"). */
    QString headerText() const { return m_header; }
    /** The bar of `task`'s last attempt as the last paint drew it (empty if none). */
    QRectF barOf(const QString &task) const;
    /** Whether some attempt of the run is still open (its bar grows with the clock). */
    bool isLive() const;
    QSize sizeHint() const override;
    QSize minimumSizeHint() const override { return {160, 60}; }

signals:
    /** An attempt's bar was clicked. */
    void attemptClicked(const QString &taskKey, int attempt, const QString &logPath);

protected:
    void paintEvent(QPaintEvent *event) override;
    void mousePressEvent(QMouseEvent *event) override;

private:
    struct Bar
    {
        QString task;
        int attempt;
        QString logPath;
        QRectF rect;
    };
    pipeline::RunInfo m_run;
    std::vector<Bar> m_bars;
    QString m_header;
    bool m_hasRuns = false;
};

/** A log file shown and followed: new lines appear while the file grows. */
class LogView : public QWidget
{
    Q_OBJECT
public:
    explicit LogView(QWidget *parent = nullptr);
    void showFile(const QString &path, const QString &title);
    QString path() const { return m_path; }
    QString text() const;

private:
    void poll();
    QLabel *m_title;
    QPlainTextEdit *m_text;
    QTimer *m_timer;
    QString m_path;
    qint64 m_offset = 0;
};

class RunsDock : public QWidget
{
    Q_OBJECT
public:
    explicit RunsDock(QWidget *parent = nullptr);

    RunGridModel *grid() const { return m_grid; }
    GanttView *gantt() const { return m_gantt; }
    LogView *log() const { return m_log; }

    /** Shows the recorded runs of a pipeline (tasks in dependency order). */
    void setRuns(const std::vector<std::string> &taskKeys, std::vector<pipeline::RunInfo> runs);
    /** A live executor event (GUI thread). */
    void applyEvent(const pipeline::Event &e);
    /** Shows run `runId` in the timeline. */
    void showRun(std::int64_t runId);
    /** The pipeline's tasks changed in the editor: the grid's rows follow before the next run. */
    void setTasks(const std::vector<std::string> &taskKeys);
    /** The run the timeline shows (0: none). */
    std::int64_t shownRun() const { return m_gantt->run().runId; }
    /** Whether the dock follows the newest run (a click on an older run's cell stops that until a run starts). */
    bool followsLive() const { return m_follow; }
    QTableView *table() const { return m_table; }
    QLabel *legend() const { return m_legend; }

signals:
    /** The user picked a run (for repair) in the grid. */
    void runSelected(qint64 runId);

private:
    void cellClicked(const QModelIndex &index);
    void followEvent(const pipeline::Event &e, bool newRun);
    void tick();

    RunGridModel *m_grid;
    QTableView *m_table;
    QLabel *m_legend;
    GanttView *m_gantt;
    LogView *m_log;
    QTimer *m_clock; // repaints a live timeline every second
    bool m_follow = true;
};

} // namespace pw::ui
