// The palette of task types beside the DAG canvas: each type with its glyph, its name and its one-line
// summary (tooltip); dragging one onto a DagView adds a task of that type, and so does Enter or a double-click
// (taskTypeActivated: the page adds it at the view's centre), for keyboard users.
#pragma once

#include <QListWidget>

class QMimeData;

namespace pw::ui::dag {

/** Drag-and-drop format of a task type: the type's name in UTF-8. */
inline constexpr char kTaskTypeMimeType[] = "application/x-pipewright-task-type";

class TaskPalette : public QListWidget
{
    Q_OBJECT
public:
    /** The role holding a row's task type name. */
    static constexpr int TaskTypeRole = Qt::UserRole + 1;

    explicit TaskPalette(QWidget *parent = nullptr);

    /** The task type of a row. */
    QString taskTypeAt(int row) const;
    /** What a drag of `taskType` carries (kTaskTypeMimeType, and the name as text). */
    static QMimeData *mimeDataForType(const QString &taskType);

Q_SIGNALS:
    /** Enter or a double-click on the row of `taskType`. */
    void taskTypeActivated(const QString &taskType);

protected:
    void keyPressEvent(QKeyEvent *event) override;
    QStringList mimeTypes() const override;
    QMimeData *mimeData(const QList<QListWidgetItem *> &items) const override;
};

} // namespace pw::ui::dag
