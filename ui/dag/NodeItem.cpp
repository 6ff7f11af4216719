// A task on the DAG canvas.
#include "ui/dag/NodeItem.h"

#include "core/pipeline/TaskType.h"
#include "ui/dag/EdgeItem.h"

#include <QApplication>
#include <QCursor>
#include <QGraphicsScene>
#include <QGraphicsSceneHoverEvent>
#include <QPainter>
#include <QPalette>
#include <QStyleOptionGraphicsItem>
#include <QWidget>

namespace pw::ui::dag {

namespace {

constexpr double kRadius = 6;
constexpr double kAccentWidth = 5;
constexpr double kMarkerRadius = 8;

// A task type's colour (its registration's), or one derived from the name for a type the registry lacks.
QColor typeColor(const QString &type)
{
    if (const pipeline::TaskType *t = pipeline::taskType(type.toStdString()); t && t->colour)
        return QColor(QString::fromLatin1(t->colour));
    return QColor::fromHsv(int(qHash(type) % 360), 140, 150);
}

// The text drawn on a type's colour: its registration's glyph, else the name's first letter.
QString typeGlyph(const QString &type)
{
    if (const pipeline::TaskType *t = pipeline::taskType(type.toStdString()); t && t->glyph)
        return QString::fromUtf8(t->glyph);
    return type.isEmpty() ? QStringLiteral("?") : type.left(1).toUpper();
}

QPointF inputPortLocal()
{
    return {0, NodeItem::kHeight / 2};
}

QPointF outputPortLocal()
{
    return {NodeItem::kWidth, NodeItem::kHeight / 2};
}

QRectF markerRect()
{
    return {NodeItem::kWidth - 2 * kMarkerRadius - 4, 4, 2 * kMarkerRadius, 2 * kMarkerRadius};
}

} // namespace

NodeItem::NodeItem(const QString &key, const QString &taskType)
    : m_key(key)
    , m_type(taskType)
{
    setFlags(ItemIsMovable | ItemIsSelectable | ItemSendsGeometryChanges);
    setAcceptHoverEvents(true);
    setZValue(int(ZOrder::Node));
    // Nodes repaint from a pixmap while the canvas scrolls, zooms or a node is dragged (measured: drag at 1:1
    // from ~20 to ~40 frames/s); exports switch it off to draw shapes (DagScene::renderTo).
    setCacheMode(DeviceCoordinateCache);
    updateToolTip();
}

NodeItem::~NodeItem() = default;

void NodeItem::setKey(const QString &key)
{
    m_key = key;
    updateToolTip();
    update();
}

void NodeItem::setTaskType(const QString &type)
{
    m_type = type;
    updateToolTip();
    update();
}

void NodeItem::setProblems(const QStringList &problems)
{
    if (problems == m_problems)
        return;
    m_problems = problems;
    updateToolTip();
    update();
}

void NodeItem::setRunState(const NodeRunState &state)
{
    m_runState = state;
    update();
}

void NodeItem::clearRunState()
{
    setRunState({});
}

QString NodeItem::runStateText() const
{
    return describeRunState(m_runState).text;
}

bool NodeItem::isRunning() const
{
    return describeRunState(m_runState).phase == RunPhase::Running;
}

QPointF NodeItem::inputPortScenePos() const
{
    return mapToScene(inputPortLocal());
}

QPointF NodeItem::outputPortScenePos() const
{
    return mapToScene(outputPortLocal());
}

NodeItem::Port NodeItem::portAt(QPointF p) const
{
    const double slack = kPortRadius + 4;
    if (QLineF(p, outputPortLocal()).length() <= slack)
        return Port::Output;
    if (QLineF(p, inputPortLocal()).length() <= slack)
        return Port::Input;
    return Port::None;
}

void NodeItem::setInputHighlighted(bool on)
{
    if (m_inputHighlighted != on) {
        m_inputHighlighted = on;
        update();
    }
}

void NodeItem::addEdge(EdgeItem *edge)
{
    if (!m_edges.contains(edge))
        m_edges.append(edge);
}

void NodeItem::removeEdge(EdgeItem *edge)
{
    m_edges.removeAll(edge);
}

QRectF NodeItem::boundingRect() const
{
    const double m = kPortRadius + 2;
    return QRectF(0, 0, kWidth, kHeight).adjusted(-m, -m, m, m);
}

QPainterPath NodeItem::shape() const
{
    // The same for every node: the card and its ports, united (added up, the overlaps would cancel out).
    static const QPainterPath path = [] {
        QPainterPath card;
        card.addRoundedRect(QRectF(0, 0, kWidth, kHeight), kRadius, kRadius);
        const double r = kPortRadius + 4; // the ports are easier to hit than to see
        QPainterPath ports;
        ports.addEllipse(inputPortLocal(), r, r);
        ports.addEllipse(outputPortLocal(), r, r);
        return card.united(ports);
    }();
    return path;
}

QPalette NodeItem::paletteFor(const QGraphicsItem *item, const QWidget *widget)
{
    if (widget)
        return widget->palette();
    if (item->scene())
        return item->scene()->palette();
    return QApplication::palette();
}

void NodeItem::paintTypeGlyph(QPainter *painter, const QRectF &rect, const QString &taskType)
{
    painter->save();
    painter->setRenderHint(QPainter::Antialiasing);
    painter->setPen(Qt::NoPen);
    painter->setBrush(typeColor(taskType));
    painter->drawRoundedRect(rect, rect.width() * 0.25, rect.height() * 0.25);
    QFont f = painter->font();
    f.setBold(true);
    f.setPixelSize(std::max(6, int(rect.height() * 0.62)));
    painter->setFont(f);
    painter->setPen(Qt::white);
    painter->drawText(rect, Qt::AlignCenter, typeGlyph(taskType));
    painter->restore();
}

QIcon NodeItem::typeIcon(const QString &taskType, int size)
{
    QPixmap pm(size, size);
    pm.fill(Qt::transparent);
    QPainter p(&pm);
    paintTypeGlyph(&p, QRectF(1, 1, size - 2, size - 2), taskType);
    p.end();
    return QIcon(pm);
}

QFont NodeItem::textFont(const QFont &base, Text line)
{
    // The type and run state once were 0.9 of the base's point size: 6 pt (tiny) when the base is pixel-sized.
    QFont f = base;
    f.setBold(line != Text::TaskType);
    return f;
}

void NodeItem::paint(QPainter *painter, const QStyleOptionGraphicsItem *option, QWidget *widget)
{
    const QPalette pal = paletteFor(this, widget);
    const bool selected = option->state & QStyle::State_Selected;
    const RunStateLook look = describeRunState(m_runState);
    const QRectF card(0, 0, kWidth, kHeight);

    painter->setRenderHint(QPainter::Antialiasing);

    // Card.
    painter->setPen(QPen(selected ? pal.color(QPalette::Highlight) : pal.color(QPalette::Mid), selected ? 2.5 : 1));
    painter->setBrush(pal.color(QPalette::Button));
    painter->drawRoundedRect(card, kRadius, kRadius);

    // Run-state accent on the left edge.
    if (look.color.isValid()) {
        QPainterPath accent;
        accent.addRoundedRect(QRectF(0, 0, kAccentWidth * 2, kHeight), kRadius, kRadius);
        QPainterPath clip;
        clip.addRect(QRectF(0, 0, kAccentWidth, kHeight));
        painter->setPen(Qt::NoPen);
        painter->setBrush(look.color);
        painter->drawPath(accent.intersected(clip));
    }

    const double left = kAccentWidth + 8;
    const double textRight = hasProblems() ? markerRect().left() - 4 : kWidth - 10;

    // Key.
    const QFont base = painter->font();
    const QFont keyFont = textFont(base, Text::Key);
    painter->setFont(keyFont);
    painter->setPen(pal.color(QPalette::ButtonText));
    const QRectF keyRect(left, 4, textRight - left, 20);
    painter->drawText(keyRect, Qt::AlignLeft | Qt::AlignVCenter,
                      QFontMetrics(keyFont).elidedText(m_key, Qt::ElideRight, int(keyRect.width())));

    // Type with its glyph.
    const QFont small = textFont(base, Text::TaskType);
    painter->setFont(small);
    paintTypeGlyph(painter, QRectF(left, 26, 14, 14), m_type);
    QColor dim = pal.color(QPalette::ButtonText);
    dim.setAlphaF(0.85);
    painter->setPen(dim);
    const QRectF typeRect(left + 19, 24, kWidth - left - 29, 18);
    painter->drawText(typeRect, Qt::AlignLeft | Qt::AlignVCenter,
                      QFontMetrics(small).elidedText(m_type, Qt::ElideRight, int(typeRect.width())));

    // Run state.
    if (!look.text.isEmpty()) {
        painter->setPen(look.color);
        const QFont bold = textFont(base, Text::RunState);
        painter->setFont(bold);
        painter->drawText(QRectF(left, 43, kWidth - left - 10, 17), Qt::AlignLeft | Qt::AlignVCenter,
                          QFontMetrics(bold).elidedText(look.text, Qt::ElideRight, int(kWidth - left - 10)));
    }

    // Problems marker.
    if (hasProblems()) {
        painter->setPen(Qt::NoPen);
        painter->setBrush(QColor(0xd3, 0x2f, 0x2f));
        painter->drawEllipse(markerRect());
        QFont f = painter->font();
        f.setBold(true);
        f.setPixelSize(12);
        painter->setFont(f);
        painter->setPen(Qt::white);
        painter->drawText(markerRect(), Qt::AlignCenter, QStringLiteral("!"));
    }

    // Ports.
    auto port = [&](QPointF c, bool highlighted) {
        painter->setPen(QPen(pal.color(QPalette::Mid), 1));
        painter->setBrush(highlighted ? pal.color(QPalette::Highlight) : pal.color(QPalette::Base));
        painter->drawEllipse(c, kPortRadius, kPortRadius);
    };
    port(inputPortLocal(), m_inputHighlighted || m_hoveredPort == Port::Input);
    port(outputPortLocal(), m_hoveredPort == Port::Output);
}

QVariant NodeItem::itemChange(GraphicsItemChange change, const QVariant &value)
{
    if (change == ItemPositionHasChanged) {
        for (EdgeItem *e : std::as_const(m_edges))
            e->adjust();
    }
    return QGraphicsItem::itemChange(change, value);
}

void NodeItem::hoverMoveEvent(QGraphicsSceneHoverEvent *event)
{
    const Port p = portAt(event->pos());
    if (p != m_hoveredPort) {
        m_hoveredPort = p;
        // An output port starts a connection; the rest of the card moves the node.
        setCursor(p == Port::Output ? Qt::CrossCursor : Qt::ArrowCursor);
        update();
    }
    QGraphicsItem::hoverMoveEvent(event);
}

void NodeItem::hoverLeaveEvent(QGraphicsSceneHoverEvent *event)
{
    m_hoveredPort = Port::None;
    unsetCursor();
    update();
    QGraphicsItem::hoverLeaveEvent(event);
}

void NodeItem::updateToolTip()
{
    QString tip = QStringLiteral("<b>%1</b> (%2)").arg(m_key.toHtmlEscaped(), m_type.toHtmlEscaped());
    if (!m_problems.isEmpty()) {
        tip += QStringLiteral("<br><span style='color:#d32f2f'>%1</span><ul style='margin:0'>")
                   .arg(QCoreApplication::translate("pw::ui::dag::NodeItem", "Problems:"));
        for (const QString &p : std::as_const(m_problems))
            tip += QStringLiteral("<li>%1</li>").arg(p.toHtmlEscaped());
        tip += QStringLiteral("</ul>");
    }
    setToolTip(tip);
}

} // namespace pw::ui::dag
