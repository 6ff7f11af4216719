// A task on the DAG canvas: its key, its type with a glyph, an input port (left) and an output port (right),
// a red marker listing its validation problems, and its run state. It only draws: edits go through
// DagScene, which turns them into undo commands on the PipelineModel.
#pragma once

#include "ui/dag/NodeRunState.h"

#include <QFont>
#include <QGraphicsItem>
#include <QIcon>
#include <QList>
#include <QStringList>

class QPalette;

namespace pw::ui::dag {

class EdgeItem;

/** The one Z order of the canvas. */
enum class ZOrder : int
{
    Edge = 0,
    Node = 10,
    DraggedEdge = 20
};

class NodeItem : public QGraphicsItem
{
public:
    enum
    {
        Type = UserType + 1
    };
    enum class Port
    {
        None,
        Input,
        Output
    };

    static constexpr double kWidth = 180;
    static constexpr double kHeight = 64;
    static constexpr double kPortRadius = 6;

    NodeItem(const QString &key, const QString &taskType);
    ~NodeItem() override;

    /** The lines of text on a card. */
    enum class Text
    {
        Key,
        TaskType,
        RunState
    };
    /**
     * The font of a card's `line`, from the canvas's font `base`: never smaller than `base`, so that the text reads
     * at 100% zoom as the rest of the window does (a pixel-sized base font included).
     */
    static QFont textFont(const QFont &base, Text line);

    int type() const override { return Type; }

    QString key() const { return m_key; }
    void setKey(const QString &key);
    QString taskType() const { return m_type; }
    void setTaskType(const QString &type);

    /** Validation problems of this task, as "field: message" lines; non-empty shows the red marker. */
    void setProblems(const QStringList &problems);
    QStringList problems() const { return m_problems; }
    bool hasProblems() const { return !m_problems.isEmpty(); }

    void setRunState(const NodeRunState &state);
    void clearRunState();
    const NodeRunState &runState() const { return m_runState; }
    /** What the node shows for its run state now (empty when it has none). */
    QString runStateText() const;
    bool isRunning() const;

    /** Port centres in scene coordinates. */
    QPointF inputPortScenePos() const;
    QPointF outputPortScenePos() const;
    /** The port under `localPos` (item coordinates), with a few pixels of slack. */
    Port portAt(QPointF localPos) const;
    /** Highlights the input port while a connection is dragged over this node. */
    void setInputHighlighted(bool on);

    const QList<EdgeItem *> &edges() const { return m_edges; }
    void addEdge(EdgeItem *edge);
    void removeEdge(EdgeItem *edge);

    QRectF boundingRect() const override;
    QPainterPath shape() const override;
    void paint(QPainter *painter, const QStyleOptionGraphicsItem *option, QWidget *widget) override;

    /** The glyph of a task type (a rounded square in the type's colour with its initial). */
    static void paintTypeGlyph(QPainter *painter, const QRectF &rect, const QString &taskType);
    static QIcon typeIcon(const QString &taskType, int size = 24);
    /** The palette to paint with: the view's when drawn in one, the scene's when exported. */
    static QPalette paletteFor(const QGraphicsItem *item, const QWidget *widget);

protected:
    QVariant itemChange(GraphicsItemChange change, const QVariant &value) override;
    void hoverMoveEvent(QGraphicsSceneHoverEvent *event) override;
    void hoverLeaveEvent(QGraphicsSceneHoverEvent *event) override;

private:
    void updateToolTip();

    QString m_key;
    QString m_type;
    QStringList m_problems;
    NodeRunState m_runState;
    bool m_inputHighlighted = false;
    Port m_hoveredPort = Port::None;
    QList<EdgeItem *> m_edges;
};

} // namespace pw::ui::dag
