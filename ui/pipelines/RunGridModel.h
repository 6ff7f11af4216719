// The Airflow-style grid of a pipeline's recent runs: one row per task, one column per run (newest on the
// right), a coloured cell per task result. Filled from recorded runs (core/pipeline) and updated live by
// executor events.
#pragma once

#include "core/pipeline/Executor.h"

#include <QAbstractTableModel>
#include <QColor>

#include <vector>

namespace pw::ui {

/** The colour of a task or run state (life cycle + result), as the nodes and grid cells show it. */
QColor stateColor(const QString &lifeCycle, const QString &result);
/** A short word for a state: "success", "failed", "running", "retrying", "upstream failed", ... */
QString stateText(const QString &lifeCycle, const QString &result);
/** The outline of a selected grid cell: a colour no state has, so a selected cell never looks "running". */
QColor selectionColor();
/** The states the grid's legend names, in its order: (life cycle, result) pairs. */
std::vector<std::pair<QString, QString>> legendStates();

class RunGridModel : public QAbstractTableModel
{
    Q_OBJECT
public:
    explicit RunGridModel(QObject *parent = nullptr);

    /** Tasks in dependency order and runs oldest first (the grid shows them left to right). */
    void setRuns(const std::vector<std::string> &taskKeys, std::vector<pipeline::RunInfo> runs);
    /** A live change of one run (adds its column when it is new). */
    void applyEvent(const pipeline::Event &e);
    /**
     * The pipeline's tasks changed (one added, removed or renamed in the editor): the rows follow at once, the
     * recorded runs stay (a new task's cells are empty until a run includes it).
     */
    void setTasks(const std::vector<std::string> &taskKeys);
    /** The column of run `runId`, or -1. */
    int columnOf(std::int64_t runId) const;

    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

    /** The run shown in `column`, and the task of `row`. */
    std::int64_t runId(int column) const;
    QString taskKey(int row) const;
    const pipeline::RunInfo &run(int column) const { return m_runs.at(std::size_t(column)); }

    enum Roles
    {
        LogPathRole = Qt::UserRole + 1,
        AttemptRole,
        ResultRole
    };

private:
    const pipeline::TaskRunInfo *cell(int row, int column) const;

    std::vector<std::string> m_tasks;
    std::vector<pipeline::RunInfo> m_runs;
};

} // namespace pw::ui
