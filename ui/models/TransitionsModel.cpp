// The transition history of the Models page.
#include "ui/models/TransitionsModel.h"

#include "ui/PageParts.h"
#include "ui/models/ModelVersionsModel.h"

#include <QBrush>

#include <algorithm>

namespace pw::ui {

TransitionsModel::TransitionsModel(QObject *parent)
    : QAbstractTableModel(parent)
{
}

void TransitionsModel::setHistory(std::vector<registry::Transition> history)
{
    beginResetModel();
    m_rows = std::move(history);
    std::reverse(m_rows.begin(), m_rows.end());
    endResetModel();
}

int TransitionsModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : int(m_rows.size());
}

int TransitionsModel::columnCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

QVariant TransitionsModel::data(const QModelIndex &index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return {};
    const registry::Transition &t = m_rows[std::size_t(index.row())];
    switch (role) {
    case Qt::DisplayRole:
        switch (index.column()) {
        case VersionColumn: return qint64(t.version);
        case TransitionColumn:
            return QStringLiteral("%1 → %2").arg(QString::fromStdString(t.from), QString::fromStdString(t.to));
        case WhenColumn: return localTimeText(t.at);
        case ByColumn: return QString::fromStdString(t.by);
        case CommentColumn: return QString::fromStdString(t.comment);
        }
        return {};
    case Qt::ForegroundRole:
        if (index.column() == TransitionColumn) {
            const auto to = registry::parseStage(t.to);
            return to ? QBrush(stageColor(*to).darker(110)) : QVariant();
        }
        return {};
    case Qt::ToolTipRole:
        if (index.column() == WhenColumn)
            return QString::fromStdString(t.at);
        if (index.column() == CommentColumn)
            return QString::fromStdString(t.comment);
        return {};
    case Qt::TextAlignmentRole:
        if (index.column() == VersionColumn)
            return int(Qt::AlignRight | Qt::AlignVCenter);
        return {};
    }
    return {};
}

QVariant TransitionsModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole || section < 0 || section >= ColumnCount)
        return {};
    static const char *names[] = {QT_TR_NOOP("Version"), QT_TR_NOOP("From → to"), QT_TR_NOOP("When"), QT_TR_NOOP("By"),
                                  QT_TR_NOOP("Comment")};
    return tr(names[section]);
}

} // namespace pw::ui
