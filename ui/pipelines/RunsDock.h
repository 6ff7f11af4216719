// The runs dock of the Pipelines page: the grid of recent runs × tasks, a Gantt timeline of one run (a bar per
// attempt, retries visible) and the log of one attempt, followed while the task runs.
#pragma once

#include "core/pipeline/Executor.h"

#include <QWidget>

class QLabel;
class QPlainTextEdit;
class QTableView;
class QTimer;

namespace pw::ui {

class RunGridModel;

/** A timeline of one run: one row per task, one bar per attempt, coloured by its result. */
class GanttView : public QWidget
{
    Q_OBJECT
public:
    explicit GanttView(QWidget *parent = nullptr);
    void setRun(const pipeline::RunInfo &run);
    QSize sizeHint() const override;

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

signals:
    /** The user picked a run (for repair) in the grid. */
    void runSelected(qint64 runId);

private:
    RunGridModel *m_grid;
    QTableView *m_table;
    GanttView *m_gantt;
    LogView *m_log;
};

} // namespace pw::ui
