// Tree model: catalog tables (images, labeled, unlabeled, rejected) with their per-label counts below.
#pragma once

#include "ui/catalog/CatalogSnapshot.h"

#include <QAbstractItemModel>

namespace pw::ui {

class TableCountsModel : public QAbstractItemModel
{
    Q_OBJECT
public:
    enum Column
    {
        NameColumn,
        ImagesColumn,
        LabeledColumn,
        UnlabeledColumn,
        RejectedColumn,
        ColumnCount
    };

    explicit TableCountsModel(QObject *parent = nullptr);
    void setTables(std::vector<TableCounts> tables);

    QModelIndex index(int row, int column, const QModelIndex &parent = {}) const override;
    QModelIndex parent(const QModelIndex &child) const override;
    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

private:
    // A label row stores its table's row + 1 as internal id; a table row stores 0.
    std::vector<TableCounts> m_tables;
    std::vector<std::vector<std::pair<std::string, std::int64_t>>> m_labels; // per table, sorted by name
};

} // namespace pw::ui
