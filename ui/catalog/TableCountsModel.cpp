// Tables and label counts of the catalog page.
#include "ui/catalog/TableCountsModel.h"

#include <QLocale>

namespace pw::ui {

TableCountsModel::TableCountsModel(QObject *parent)
    : QAbstractItemModel(parent)
{
}

void TableCountsModel::setTables(std::vector<TableCounts> tables)
{
    beginResetModel();
    m_tables = std::move(tables);
    m_labels.clear();
    for (const auto &t : m_tables)
        m_labels.emplace_back(t.stats.labels.begin(), t.stats.labels.end());
    endResetModel();
}

QModelIndex TableCountsModel::index(int row, int column, const QModelIndex &parent) const
{
    if (!hasIndex(row, column, parent))
        return {};
    if (!parent.isValid())
        return createIndex(row, column, quintptr(0));
    return createIndex(row, column, quintptr(parent.row() + 1));
}

QModelIndex TableCountsModel::parent(const QModelIndex &child) const
{
    if (!child.isValid() || child.internalId() == 0)
        return {};
    return createIndex(int(child.internalId() - 1), 0, quintptr(0));
}

int TableCountsModel::rowCount(const QModelIndex &parent) const
{
    if (!parent.isValid())
        return int(m_tables.size());
    if (parent.internalId() == 0 && parent.column() == 0)
        return int(m_labels[std::size_t(parent.row())].size());
    return 0;
}

int TableCountsModel::columnCount(const QModelIndex &) const
{
    return ColumnCount;
}

QVariant TableCountsModel::data(const QModelIndex &index, int role) const
{
    if (!index.isValid())
        return {};
    const QLocale locale;
    if (index.internalId() == 0) {
        const TableCounts &t = m_tables[std::size_t(index.row())];
        if (role == Qt::DisplayRole) {
            switch (index.column()) {
            case NameColumn: return QString::fromStdString(t.name);
            case ImagesColumn: return locale.toString(qint64(t.stats.images));
            case LabeledColumn: return locale.toString(qint64(t.stats.labeled));
            case UnlabeledColumn: return locale.toString(qint64(t.stats.unlabeled));
            case RejectedColumn: return locale.toString(qint64(t.stats.rejected));
            }
        }
        if (role == Qt::TextAlignmentRole && index.column() != NameColumn)
            return QVariant::fromValue(Qt::AlignRight | Qt::AlignVCenter);
        if (role == Qt::ToolTipRole)
            return tr("Table %1 as of version %2").arg(QString::fromStdString(t.name)).arg(t.stats.version);
        return {};
    }
    const auto &label = m_labels[std::size_t(index.internalId() - 1)][std::size_t(index.row())];
    if (role == Qt::DisplayRole) {
        if (index.column() == NameColumn)
            return QString::fromStdString(label.first);
        if (index.column() == ImagesColumn || index.column() == LabeledColumn)
            return locale.toString(qint64(label.second));
    }
    if (role == Qt::TextAlignmentRole && index.column() != NameColumn)
        return QVariant::fromValue(Qt::AlignRight | Qt::AlignVCenter);
    return {};
}

QVariant TableCountsModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return {};
    switch (section) {
    case NameColumn: return tr("Table / label");
    case ImagesColumn: return tr("Images");
    case LabeledColumn: return tr("Labeled");
    case UnlabeledColumn: return tr("Unlabeled");
    case RejectedColumn: return tr("Rejected");
    }
    return {};
}

} // namespace pw::ui
