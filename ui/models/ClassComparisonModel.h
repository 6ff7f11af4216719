// Table model of a promotion comparison, one row per class: the candidate's and the Production version's
// accuracy (recall) on the same table, and the difference, coloured (green better, red worse).
#pragma once

#include "ui/models/ModelsSnapshot.h"

#include <QAbstractTableModel>

namespace pw::ui {

class ClassComparisonModel : public QAbstractTableModel
{
    Q_OBJECT
public:
    enum Column
    {
        ClassColumn,
        CandidateColumn,
        ProductionColumn,
        DifferenceColumn,
        ColumnCount
    };
    /** The difference (candidate − production) as a double; absent when one side lacks the class. */
    static constexpr int DifferenceRole = Qt::UserRole;

    struct Row
    {
        QString name;
        std::optional<double> candidate;
        std::optional<double> production;
    };

    explicit ClassComparisonModel(QObject *parent = nullptr);
    /** Rows for every class of either evaluation, in the candidate's order, then the Production-only ones. */
    void setComparison(const compute::EvaluationResult &candidate, const compute::EvaluationResult &production);
    void clear();
    const std::vector<Row> &rows() const { return m_rows; }

    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

private:
    std::vector<Row> m_rows;
};

} // namespace pw::ui
