// The DAG editor's canvas: draws a PipelineModel as nodes and edges and turns the user's gestures into undo
// commands (Commands.h) on a QUndoStack. The model is the truth: the scene observes all its signals, so it
// stays right whoever changes the model (a command, the properties panel, a file loaded); it never edits the
// model except through a command. Dragging previews; releasing commits.
#pragma once

#include "ui/dag/NodeRunState.h"

#include <QGraphicsScene>
#include <QHash>
#include <QStringList>

#include <map>

class QGraphicsPathItem;
class QTimer;
class QUndoStack;

namespace pw::pipeline {
class PipelineModel;
struct Task;
} // namespace pw::pipeline

namespace pw::ui::dag {

class EdgeItem;
class NodeItem;

/** Clipboard format of copied tasks: a pipeline JSON file holding them, their layout and their internal edges. */
inline constexpr char kTasksMimeType[] = "application/x-pipewright-tasks";

class DagScene : public QGraphicsScene
{
    Q_OBJECT
public:
    /** Pasted tasks land this far (x and y) from the copied ones; again as far for each further paste. */
    static constexpr double kPasteOffset = 30;

    /** `model` and `undo` are not owned and must outlive the scene. */
    DagScene(pipeline::PipelineModel *model, QUndoStack *undo, QObject *parent = nullptr);
    ~DagScene() override;

    pipeline::PipelineModel *model() const { return m_model; }
    QUndoStack *undoStack() const { return m_undo; }

    NodeItem *node(const QString &key) const;
    EdgeItem *edge(const QString &from, const QString &to) const;
    /** The nodes in the pipeline's file order. */
    QList<NodeItem *> nodes() const;
    QList<EdgeItem *> edges() const;

    // --- Run state (from the run monitor). Kept by task key, so they survive a reset or a re-added task.
    void setRunStates(const std::map<QString, NodeRunState> &states);
    void setRunState(const QString &key, const NodeRunState &state);
    void clearRunStates();

    // --- Editing; each is one undo command.
    /** Lays the DAG out left to right (layeredLayout(), anchored at the nodes' current top-left). */
    void autoLayout();
    /**
     * Adds a task of type `type` centred at `scenePos`, keyed after its type (uniqueKey()), with the type's
     * required params present as empty strings. Returns its key; empty for an unknown type.
     */
    QString addTaskOfType(const QString &type, QPointF scenePos);
    /** `to` depends on `from` afterwards; returns the model's refusal (and adds nothing), or empty. */
    QString connectTasks(const QString &from, const QString &to);
    /** Removes the selected tasks and dependencies, as one command. */
    void deleteSelection();
    /** Copies the selected tasks (with their positions and the edges between them) to the clipboard. */
    void copySelection();
    /** Pastes the clipboard's tasks under new keys; returns the keys (and selects those tasks). */
    QStringList paste();

    // --- Selection.
    QStringList selectedTaskKeys() const;
    /** Selects only that task (none for an empty or unknown key) and scrolls the views to it. */
    void selectTask(const QString &key);

    // --- Export of the drawing (the selection is not shown).
    /** The drawing's bounds with a margin. */
    QRectF contentRect() const;
    bool exportPng(const QString &file);
    bool exportSvg(const QString &file);

Q_SIGNALS:
    /** The one selected task, or empty when none or several are selected. */
    void taskSelected(const QString &key);
    /** A dependency drawn by the user was refused (a cycle, a self-loop, a duplicate): why, and where. */
    void connectionRefused(const QString &message, QPointF scenePos);

protected:
    void mousePressEvent(QGraphicsSceneMouseEvent *event) override;
    void mouseMoveEvent(QGraphicsSceneMouseEvent *event) override;
    void mouseReleaseEvent(QGraphicsSceneMouseEvent *event) override;
    void keyPressEvent(QKeyEvent *event) override;
    void dragEnterEvent(QGraphicsSceneDragDropEvent *event) override;
    void dragMoveEvent(QGraphicsSceneDragDropEvent *event) override;
    void dragLeaveEvent(QGraphicsSceneDragDropEvent *event) override;
    void dropEvent(QGraphicsSceneDragDropEvent *event) override;

private:
    // Model observation.
    void rebuild();
    void onTaskAdded(const QString &key);
    void onTaskRemoved(const QString &key);
    void onTaskChanged(const QString &key);
    void onTaskRenamed(const QString &from, const QString &to);
    void onTaskMoved(const QString &key);
    void refreshProblems();

    NodeItem *createNode(const pipeline::Task &task, QPointF pos);
    void addEdgeItem(const QString &from, const QString &to);
    void removeEdgeItem(const QString &from, const QString &to);

    // Gestures.
    NodeItem *nodeAt(QPointF scenePos, const NodeItem *except = nullptr) const;
    void startConnection(NodeItem *from, QPointF scenePos);
    void updateConnection(QPointF scenePos);
    void finishConnection(QPointF scenePos);
    void cancelConnection();
    void commitDrag();
    void nudgeSelection(QPointF delta);
    void onSelectionChanged();

    void updateRunTimer();
    bool renderTo(QPaintDevice *device, const QRectF &source);

    pipeline::PipelineModel *m_model;
    QUndoStack *m_undo;
    QHash<QString, NodeItem *> m_nodes;
    std::map<QString, NodeRunState> m_runStates;
    QTimer *m_runTimer;

    NodeItem *m_connectFrom = nullptr;
    NodeItem *m_connectHover = nullptr;
    QGraphicsPathItem *m_connectPreview = nullptr;
    std::map<QString, QPointF> m_dragStart; // node positions when the left button went down

    QString m_selectedKey; // last taskSelected()
    bool m_quietSelection = false;
    QByteArray m_lastPaste; // the clipboard content pasted last, and how often
    int m_pasteCount = 0;
};

} // namespace pw::ui::dag
