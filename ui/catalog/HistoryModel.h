// Table model of the catalog history (version, time, operation, parameters, metrics), newest first.
#pragma once

#include "core/catalog/Catalog.h"

#include <QAbstractTableModel>

namespace pw::ui {

class HistoryModel : public QAbstractTableModel
{
    Q_OBJECT
public:
    enum Column
    {
        VersionColumn,
        TimeColumn,
        OperationColumn,
        TableColumn,
        MetricsColumn,
        ParametersColumn,
        ColumnCount
    };

    explicit HistoryModel(QObject *parent = nullptr);
    void setHistory(std::vector<catalog::VersionInfo> history);

    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

private:
    std::vector<catalog::VersionInfo> m_rows;
};

/**
 * "added 60,000 · rejected 2" from a JSON object (keys in the object's order); zero counts and null
 * values are left out, as are the keys in `skip`.
 */
QString summariseJson(const std::string &json, const QStringList &skip = {});

} // namespace pw::ui
