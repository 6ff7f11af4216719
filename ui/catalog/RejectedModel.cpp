// The rejected files as a table.
#include "ui/catalog/RejectedModel.h"

namespace pw::ui {

RejectedModel::RejectedModel(QObject *parent)
    : QAbstractTableModel(parent)
{
}

void RejectedModel::setFiles(std::vector<catalog::RejectedFile> files)
{
    beginResetModel();
    m_rows = std::move(files);
    endResetModel();
}

int RejectedModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : int(m_rows.size());
}

int RejectedModel::columnCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

QVariant RejectedModel::data(const QModelIndex &index, int role) const
{
    if (!index.isValid() || (role != Qt::DisplayRole && role != Qt::ToolTipRole))
        return {};
    const catalog::RejectedFile &f = m_rows[std::size_t(index.row())];
    switch (index.column()) {
    case TableColumn: return QString::fromStdString(f.table);
    case PathColumn: return QString::fromStdString(f.path);
    case ReasonColumn: return QString::fromStdString(f.reason);
    }
    return {};
}

QVariant RejectedModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return {};
    static const char *names[] = {QT_TR_NOOP("Table"), QT_TR_NOOP("File"), QT_TR_NOOP("Reason")};
    return section >= 0 && section < ColumnCount ? tr(names[section]) : QVariant();
}

} // namespace pw::ui
