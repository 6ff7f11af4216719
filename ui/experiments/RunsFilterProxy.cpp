// The runs table's filter.
#include "ui/experiments/RunsFilterProxy.h"

#include "ui/experiments/RunsModel.h"

namespace pw::ui {

RunsFilterProxy::RunsFilterProxy(QObject *parent)
    : QSortFilterProxyModel(parent)
{
}

void RunsFilterProxy::setTagFilter(const QString &filter)
{
    const QString f = filter.trimmed();
    if (f == m_tagFilter)
        return;
    m_tagFilter = f;
    invalidateFilter();
}

bool RunsFilterProxy::filterAcceptsRow(int sourceRow, const QModelIndex &sourceParent) const
{
    if (!QSortFilterProxyModel::filterAcceptsRow(sourceRow, sourceParent))
        return false;
    if (m_tagFilter.isEmpty())
        return true;
    const auto *runs = qobject_cast<const RunsModel *>(sourceModel());
    if (!runs || sourceRow < 0 || std::size_t(sourceRow) >= runs->runs().size())
        return true;
    const auto &tags = runs->runs()[std::size_t(sourceRow)].tags;
    const qsizetype eq = m_tagFilter.indexOf(QLatin1Char('='));
    if (eq > 0) {
        const QString key = m_tagFilter.left(eq).trimmed();
        const QString value = m_tagFilter.mid(eq + 1).trimmed();
        for (const auto &[k, v] : tags)
            if (QString::fromStdString(k).compare(key, Qt::CaseInsensitive) == 0)
                return QString::fromStdString(v).contains(value, Qt::CaseInsensitive);
        return false;
    }
    for (const auto &[k, v] : tags) {
        // System tags other than the note are Pipewright's bookkeeping, not what a user searches for.
        if (isSystemTag(k) && k != kNoteTag)
            continue;
        if ((k != kNoteTag && QString::fromStdString(k).contains(m_tagFilter, Qt::CaseInsensitive))
            || QString::fromStdString(v).contains(m_tagFilter, Qt::CaseInsensitive))
            return true;
    }
    return false;
}

} // namespace pw::ui
