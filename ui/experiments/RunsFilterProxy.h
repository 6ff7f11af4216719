// The runs table's filter and sort: the experiment (a regular expression on its column, as before) and a tag
// filter over each run's tags and note.
#pragma once

#include <QSortFilterProxyModel>

namespace pw::ui {

class RunsFilterProxy : public QSortFilterProxyModel
{
    Q_OBJECT
public:
    explicit RunsFilterProxy(QObject *parent = nullptr);

    /**
     * Keeps the runs whose tags match `filter`: "key=value" (the key exactly, the value containing `value`),
     * "key=" (the tag is set), or a word found in any tag key, tag value or the note; case-insensitive.
     * Empty: every run.
     */
    void setTagFilter(const QString &filter);
    QString tagFilter() const { return m_tagFilter; }

protected:
    bool filterAcceptsRow(int sourceRow, const QModelIndex &sourceParent) const override;

private:
    QString m_tagFilter;
};

} // namespace pw::ui
