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
    enum Column
    {
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
        TagsColumn,
        ColumnCount
    };
    enum Role
    {
        SortRole = Qt::UserRole, // numbers and times as numbers, for sorting
        RunIdRole, // the full run id
    };

    explicit RunsModel(QObject *parent = nullptr);
    /** Replaces every run (a model reset: views lose their selection). */
    void setRuns(std::vector<RunRow> runs);
    /**
     * Merges a newer snapshot by run id: rows of runs that are gone are removed, changed rows are refreshed
     * in place (dataChanged), new runs are appended (the view's sort places them), so that a view keeps its
     * selection, sort and scroll position. A row that is not `detailed` keeps the params, metrics and curves
     * it had. Returns the ids of the runs that were added or changed.
     */
    std::vector<std::string> updateRuns(std::vector<RunRow> runs);
    /** Replaces the tags of one run (after an edit was written); false when the run is not here. */
    bool setTags(const std::string &runId, const std::map<std::string, std::string> &tags);
    const std::vector<RunRow> &runs() const { return m_runs; }
    /** The run with this full id, or nullptr. */
    const RunRow *run(const std::string &runId) const;

    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

private:
    // data() by role.
    static QVariant displayText(const RunRow &r, int column);
    static QVariant sortValue(const RunRow &r, int column);
    /** The foreground, font and alignment roles. */
    static QVariant appearance(const RunRow &r, int column, int role);
    static QVariant toolTip(const RunRow &r, int column);

    std::vector<RunRow> m_runs;
};

/** The user tags of a run as the Tags column shows them: "key=value, …" (system tags and the note left out). */
QString userTagsText(const RunRow &run);

/**
 * The status a run's row shows: its own (MLflow's RUNNING, FINISHED, FAILED, KILLED), or QUEUED for a running run
 * whose Slurm job waits for its allocation (tag slurm_state PENDING, REQUEUED, ...).
 */
std::string shownStatus(const RunRow &run);

/** The colour of a run status (MLflow's RUNNING, FINISHED, FAILED, KILLED, and QUEUED). */
QColor runStatusColor(const std::string &status);
/** A run's duration in milliseconds: end - start, or now - start while it runs; -1 when unknown. */
std::int64_t runDurationMs(const track::RunInfo &run);
/** A metric value as the tables show it: 4 decimals below 10, fewer above, "NaN" and "inf" spelled out. */
QString metricText(double value);

} // namespace pw::ui
