// Table model of the rejected files: table, path, reason.
#pragma once

#include "core/catalog/Catalog.h"

#include <QAbstractTableModel>

namespace pw::ui {

class RejectedModel : public QAbstractTableModel
{
    Q_OBJECT
public:
    enum Column
    {
        TableColumn,
        PathColumn,
        ReasonColumn,
        ColumnCount
    };

    explicit RejectedModel(QObject *parent = nullptr);
    void setFiles(std::vector<catalog::RejectedFile> files);

    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

private:
    std::vector<catalog::RejectedFile> m_rows;
};

} // namespace pw::ui
