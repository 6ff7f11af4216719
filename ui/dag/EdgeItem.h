// A dependency on the DAG canvas: a curve with an arrow from the upstream task's output port to the
// downstream task's input port. Selectable (Delete removes it through DagScene); it only draws.
#pragma once

#include <QGraphicsItem>
#include <QPainterPath>

namespace pw::ui::dag {

class NodeItem;

class EdgeItem : public QGraphicsItem
{
public:
    enum
    {
        Type = UserType + 2
    };

    /** `target` depends on `source`. Registers itself with both nodes; the scene deletes it before them. */
    EdgeItem(NodeItem *source, NodeItem *target);
    ~EdgeItem() override;

    int type() const override { return Type; }

    NodeItem *source() const { return m_source; }
    NodeItem *target() const { return m_target; }
    QString fromKey() const;
    QString toKey() const;

    /** The curve, in scene coordinates (from the source's output port to the target's input port). */
    QPainterPath path() const { return m_path; }
    /** Follows the nodes after they moved. */
    void adjust();

    /** The curve between two port positions (also drawn while a connection is dragged). */
    static QPainterPath curve(QPointF from, QPointF to);

    QRectF boundingRect() const override;
    QPainterPath shape() const override;
    void paint(QPainter *painter, const QStyleOptionGraphicsItem *option, QWidget *widget) override;

private:
    NodeItem *m_source;
    NodeItem *m_target;
    QPointF m_from, m_to;
    QPainterPath m_path;
    QPolygonF m_head; // the arrow head, made with the curve: its tangent costs a length computation of the curve
};

} // namespace pw::ui::dag
