// The tags table of the Experiments page.
#include "ui/experiments/RunTagsModel.h"

#include "ui/experiments/ExperimentsSnapshot.h"

#include <QBrush>
#include <QPalette>

#include <algorithm>

namespace pw::ui {

RunTagsModel::RunTagsModel(QObject *parent)
    : QAbstractTableModel(parent)
{
}

void RunTagsModel::setTags(const std::string &runId, const std::map<std::string, std::string> &tags)
{
    if (runId == m_runId && tags == m_tags)
        return; // a live refresh of the same run: keep the view (and an open editor) as it is
    beginResetModel();
    m_runId = runId;
    m_tags = tags;
    rebuild();
    endResetModel();
}

void RunTagsModel::rebuild()
{
    m_keys.clear();
    for (const auto &[k, v] : m_tags)
        if (!isSystemTag(k))
            m_keys.push_back(k);
    for (const auto &[k, v] : m_tags)
        if (isSystemTag(k) && k != kNoteTag)
            m_keys.push_back(k);
}

int RunTagsModel::rowOf(const std::string &key) const
{
    const auto it = std::find(m_keys.begin(), m_keys.end(), key);
    return it == m_keys.end() ? -1 : int(it - m_keys.begin());
}

int RunTagsModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : int(m_keys.size());
}

int RunTagsModel::columnCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

QVariant RunTagsModel::data(const QModelIndex &index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return {};
    const std::string &key = m_keys[std::size_t(index.row())];
    const bool system = isSystemTag(key);
    switch (role) {
    case Qt::DisplayRole:
    case Qt::EditRole:
        if (index.column() == KeyColumn)
            return QString::fromStdString(key);
        return QString::fromStdString(m_tags.at(key));
    case SystemRole: return system;
    case Qt::ForegroundRole:
        if (system)
            return QPalette().brush(QPalette::Disabled, QPalette::Text);
        return {};
    case Qt::ToolTipRole:
        if (system)
            return tr("Set by Pipewright or MLflow: read-only");
        return index.column() == ValueColumn ? tr("Double-click to edit") : QVariant();
    }
    return {};
}

QVariant RunTagsModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole || section < 0 || section >= ColumnCount)
        return {};
    return section == KeyColumn ? tr("Tag") : tr("Value");
}

Qt::ItemFlags RunTagsModel::flags(const QModelIndex &index) const
{
    Qt::ItemFlags f = QAbstractTableModel::flags(index);
    if (index.isValid() && index.column() == ValueColumn && !isSystemTag(m_keys[std::size_t(index.row())]))
        f |= Qt::ItemIsEditable;
    return f;
}

bool RunTagsModel::setData(const QModelIndex &index, const QVariant &value, int role)
{
    if (role != Qt::EditRole || !checkIndex(index, CheckIndexOption::IndexIsValid)
        || !(flags(index) & Qt::ItemIsEditable))
        return false;
    const std::string &key = m_keys[std::size_t(index.row())];
    const QString text = value.toString();
    if (text.toStdString() == m_tags[key])
        return false;
    m_tags[key] = text.toStdString();
    Q_EMIT dataChanged(index, index, {Qt::DisplayRole, Qt::EditRole});
    Q_EMIT tagEdited(QString::fromStdString(m_runId), QString::fromStdString(key), text);
    return true;
}

} // namespace pw::ui
