// Table model of one registered model's stage transitions (the audit trail), newest first.
#pragma once

#include "core/registry/Registry.h"

#include <QAbstractTableModel>

namespace pw::ui {

class TransitionsModel : public QAbstractTableModel
{
    Q_OBJECT
public:
    enum Column
    {
        VersionColumn,
        TransitionColumn,
        WhenColumn,
        ByColumn,
        CommentColumn,
        ColumnCount
    };

    explicit TransitionsModel(QObject *parent = nullptr);
    /** The history as Registry::history() gives it (oldest first); shown newest first. */
    void setHistory(std::vector<registry::Transition> history);

    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

private:
    std::vector<registry::Transition> m_rows;
};

} // namespace pw::ui
