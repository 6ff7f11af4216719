// The palette of task types.
#include "ui/dag/TaskPalette.h"

#include "core/pipeline/Pipeline.h"
#include "ui/dag/NodeItem.h"

#include <QKeyEvent>
#include <QMimeData>

namespace pw::ui::dag {

TaskPalette::TaskPalette(QWidget *parent)
    : QListWidget(parent)
{
    setDragEnabled(true);
    setDragDropMode(QAbstractItemView::DragOnly);
    setDefaultDropAction(Qt::CopyAction);
    setSelectionMode(QAbstractItemView::SingleSelection);
    setIconSize(QSize(20, 20));
    setUniformItemSizes(true);
    for (const pipeline::TaskType &t : pipeline::taskTypes()) {
        const QString name = QString::fromUtf8(t.name);
        const QString summary = QString::fromUtf8(t.summary);
        auto *item = new QListWidgetItem(NodeItem::typeIcon(name, 20), name, this);
        item->setData(TaskTypeRole, name);
        item->setToolTip(summary);
        item->setStatusTip(summary);
        item->setData(Qt::AccessibleDescriptionRole, summary);
        item->setFlags(Qt::ItemIsEnabled | Qt::ItemIsSelectable | Qt::ItemIsDragEnabled);
    }
    // A double-click (not the style's "activation", which may be a single click that starts a drag) or Enter.
    connect(this, &QListWidget::itemDoubleClicked, this,
            [this](QListWidgetItem *it) { Q_EMIT taskTypeActivated(it->data(TaskTypeRole).toString()); });
}

QString TaskPalette::taskTypeAt(int row) const
{
    const QListWidgetItem *it = item(row);
    return it ? it->data(TaskTypeRole).toString() : QString();
}

QMimeData *TaskPalette::mimeDataForType(const QString &taskType)
{
    auto *mime = new QMimeData;
    mime->setData(QString::fromLatin1(kTaskTypeMimeType), taskType.toUtf8());
    mime->setText(taskType);
    return mime;
}

void TaskPalette::keyPressEvent(QKeyEvent *event)
{
    if ((event->key() == Qt::Key_Return || event->key() == Qt::Key_Enter) && currentItem()) {
        Q_EMIT taskTypeActivated(currentItem()->data(TaskTypeRole).toString());
        event->accept();
        return;
    }
    QListWidget::keyPressEvent(event);
}

QStringList TaskPalette::mimeTypes() const
{
    return {QString::fromLatin1(kTaskTypeMimeType)};
}

QMimeData *TaskPalette::mimeData(const QList<QListWidgetItem *> &items) const
{
    if (items.isEmpty())
        return nullptr;
    return mimeDataForType(items.first()->data(TaskTypeRole).toString());
}

} // namespace pw::ui::dag
