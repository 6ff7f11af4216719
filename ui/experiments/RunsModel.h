// Table model of tracked training runs (one row per run, newest first), with the run's final val metrics.
#pragma once

#include "ui/experiments/ExperimentsSnapshot.h"

#include <QAbstractTableModel>
#include <QColor>

namespace pw::ui {

class RunsModel : public QAbstractTableModel
{
    Q_OBJECT
public:
    enum Column {
        RunColumn,
        NameColumn,
        ExperimentColumn,
        StatusColumn,
        StartColumn,
        DurationColumn,
        DataColumn,
        DeviceColumn,
        ThroughputColumn,
        ValAccuracyColumn,
        ValLossColumn,
        ColumnCount
    };
    enum Role {
        SortRole = Qt::UserRole, // numbers and times as numbers, for sorting
        RunIdRole,               // the full run id
    };

    explicit RunsModel(QObject *parent = nullptr);
    void setRuns(std::vector<RunRow> runs);
    const std::vector<RunRow> &runs() const { return m_runs; }
    /** The run with this full id, or nullptr. */
    const RunRow *run(const std::string &runId) const;

    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

private:
    std::vector<RunRow> m_runs;
};

/** The colour of a run status (MLflow's RUNNING, FINISHED, FAILED, KILLED). */
QColor runStatusColor(const std::string &status);
/** A run's duration in milliseconds: end - start, or now - start while it runs; -1 when unknown. */
std::int64_t runDurationMs(const track::RunInfo &run);
/** A metric value as the tables show it: 4 decimals below 10, fewer above, "NaN" and "inf" spelled out. */
QString metricText(double value);

} // namespace pw::ui
