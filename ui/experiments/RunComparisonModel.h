// Table model of the Experiments side panel: for one run its final metrics and params; for two or more, side
// by side, every final metric (the best value of a loss or accuracy in bold) and the params that differ.
#pragma once

#include "ui/experiments/ExperimentsSnapshot.h"

#include <QAbstractTableModel>

namespace pw::ui {

class RunComparisonModel : public QAbstractTableModel
{
    Q_OBJECT
public:
    enum RowKind
    {
        SectionRow,
        ParamRow,
        MetricRow
    };
    enum Role
    {
        KeyRole = Qt::UserRole,
        RowKindRole
    };

    explicit RunComparisonModel(QObject *parent = nullptr);
    void setRuns(std::vector<RunRow> runs);
    /**
     * With several runs, show only the params and final metrics whose values differ between them (the
     * default), or every one.
     */
    void setDifferencesOnly(bool on);
    bool differencesOnly() const { return m_differencesOnly; }
    int runCount() const { return int(m_runs.size()); }
    /** Param keys shown (all of one run's; those that differ between several runs). */
    QStringList paramKeys() const;
    /** Params equal across every run, left out of a comparison. */
    int equalParamCount() const { return m_equalParams; }

    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

private:
    struct Row
    {
        RowKind kind;
        std::string key; // the param or metric; for a section, "params" or "metrics"
        int best = -1; // the run column (0-based) with the best value of a metric, or -1
    };
    QString value(const Row &row, const RunRow &run) const;
    void rebuild();

    std::vector<RunRow> m_runs;
    std::vector<Row> m_rows;
    int m_equalParams = 0;
    bool m_differencesOnly = true;
};

/** +1 when higher is better (accuracy, f1, throughput), -1 when lower is (loss, error), 0 when unknown. */
int metricDirection(const std::string &key);

} // namespace pw::ui
