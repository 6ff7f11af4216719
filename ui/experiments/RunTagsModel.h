// Table model of one run's tags (key, value): the user's tags first, editable in place; then the tags Pipewright
// and MLflow set ("pipewright.", "mlflow."), read-only. The note (mlflow.note.content) has its own editor.
#pragma once

#include <QAbstractTableModel>

#include <map>
#include <string>
#include <vector>

namespace pw::ui {

class RunTagsModel : public QAbstractTableModel
{
    Q_OBJECT
public:
    enum Column
    {
        KeyColumn,
        ValueColumn,
        ColumnCount
    };
    enum Role
    {
        SystemRole = Qt::UserRole
    }; // true for a read-only system tag

    explicit RunTagsModel(QObject *parent = nullptr);

    /** Shows the tags of `runId` (empty: none). */
    void setTags(const std::string &runId, const std::map<std::string, std::string> &tags);
    const std::string &runId() const { return m_runId; }
    /** Every tag, the note included, as last set here. */
    const std::map<std::string, std::string> &tags() const { return m_tags; }
    /** The row of `key`, or -1. */
    int rowOf(const std::string &key) const;

    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;
    Qt::ItemFlags flags(const QModelIndex &index) const override;
    /** Edits a user tag's value; emits tagEdited (the page writes it to the catalog). */
    bool setData(const QModelIndex &index, const QVariant &value, int role = Qt::EditRole) override;

Q_SIGNALS:
    /** The user changed the value of a tag of run `runId` in the table. */
    void tagEdited(const QString &runId, const QString &key, const QString &value);

private:
    void rebuild();

    std::string m_runId;
    std::map<std::string, std::string> m_tags;
    std::vector<std::string> m_keys; // shown rows: user tags by key, then system tags by key; not the note
};

} // namespace pw::ui
