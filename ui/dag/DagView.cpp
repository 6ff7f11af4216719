// The view of a DagScene.
#include "ui/dag/DagView.h"

#include "ui/dag/DagScene.h"

#include <QKeyEvent>
#include <QMouseEvent>
#include <QPainter>
#include <QScrollBar>
#include <QWheelEvent>

#include <cmath>

namespace pw::ui::dag {

namespace {

constexpr double kGrid = 20;
constexpr double kWheelStep = 1.0015; // per 1/8 degree of wheel: one notch (120) is ~20 %

} // namespace

DagView::DagView(QWidget *parent)
    : QGraphicsView(parent)
{
    setUp();
}

DagView::DagView(QGraphicsScene *scene, QWidget *parent)
    : QGraphicsView(scene, parent)
{
    setUp();
}

void DagView::setUp()
{
    setRenderHints(QPainter::Antialiasing | QPainter::TextAntialiasing | QPainter::SmoothPixmapTransform);
    setDragMode(QGraphicsView::RubberBandDrag);
    setRubberBandSelectionMode(Qt::IntersectsItemShape);
    setTransformationAnchor(QGraphicsView::NoAnchor); // zoomBy() anchors itself
    setResizeAnchor(QGraphicsView::AnchorViewCenter);
    setViewportUpdateMode(QGraphicsView::BoundingRectViewportUpdate);
    setAcceptDrops(true);
    setFocusPolicy(Qt::StrongFocus);
}

double DagView::zoom() const
{
    return transform().m11();
}

void DagView::zoomBy(double factor, QPoint anchor)
{
    const double target = std::clamp(zoom() * factor, kMinZoom, kMaxZoom);
    if (qFuzzyCompare(target, zoom()))
        return;
    const QPointF sceneAnchor = mapToScene(anchor);
    setTransform(QTransform::fromScale(target, target));
    // Scroll so that the scene point under the anchor is under it again.
    const QPoint moved = mapFromScene(sceneAnchor) - anchor;
    horizontalScrollBar()->setValue(horizontalScrollBar()->value() + moved.x());
    verticalScrollBar()->setValue(verticalScrollBar()->value() + moved.y());
    Q_EMIT zoomChanged(zoom());
}

void DagView::zoomBy(double factor)
{
    zoomBy(factor, viewport()->rect().center());
}

void DagView::resetZoom()
{
    zoomBy(1.0 / zoom());
}

void DagView::fitToView()
{
    auto *dag = qobject_cast<DagScene *>(scene());
    const QRectF content = dag ? dag->contentRect() : (scene() ? scene()->itemsBoundingRect() : QRectF());
    if (content.isEmpty())
        return;
    fitInView(content, Qt::KeepAspectRatio);
    const double z = std::clamp(zoom(), kMinZoom, 1.0);
    setTransform(QTransform::fromScale(z, z));
    centerOn(content.center());
    Q_EMIT zoomChanged(zoom());
}

void DagView::wheelEvent(QWheelEvent *event)
{
    const int delta = event->angleDelta().y();
    if (delta == 0) {
        QGraphicsView::wheelEvent(event); // horizontal scrolling
        return;
    }
    zoomBy(std::pow(kWheelStep, delta), event->position().toPoint());
    event->accept();
}

void DagView::panBy(QPoint delta)
{
    horizontalScrollBar()->setValue(horizontalScrollBar()->value() - delta.x());
    verticalScrollBar()->setValue(verticalScrollBar()->value() - delta.y());
}

void DagView::mousePressEvent(QMouseEvent *event)
{
    if (event->button() == Qt::MiddleButton || (event->button() == Qt::LeftButton && m_spaceHeld)) {
        m_panning = true;
        m_panLast = event->position().toPoint();
        viewport()->setCursor(Qt::ClosedHandCursor);
        event->accept();
        return;
    }
    QGraphicsView::mousePressEvent(event);
}

void DagView::mouseMoveEvent(QMouseEvent *event)
{
    if (m_panning) {
        const QPoint p = event->position().toPoint();
        panBy(p - m_panLast);
        m_panLast = p;
        event->accept();
        return;
    }
    QGraphicsView::mouseMoveEvent(event);
}

void DagView::mouseReleaseEvent(QMouseEvent *event)
{
    if (m_panning && (event->button() == Qt::MiddleButton || event->button() == Qt::LeftButton)) {
        m_panning = false;
        if (m_spaceHeld)
            viewport()->setCursor(Qt::OpenHandCursor);
        else
            viewport()->unsetCursor();
        event->accept();
        return;
    }
    QGraphicsView::mouseReleaseEvent(event);
}

void DagView::keyPressEvent(QKeyEvent *event)
{
    if (event->key() == Qt::Key_Space) {
        if (!event->isAutoRepeat()) {
            m_spaceHeld = true;
            viewport()->setCursor(Qt::OpenHandCursor);
        }
        event->accept();
        return;
    }
    QGraphicsView::keyPressEvent(event);
}

void DagView::keyReleaseEvent(QKeyEvent *event)
{
    if (event->key() == Qt::Key_Space) {
        if (!event->isAutoRepeat()) {
            m_spaceHeld = false;
            if (!m_panning)
                viewport()->unsetCursor();
        }
        event->accept();
        return;
    }
    QGraphicsView::keyReleaseEvent(event);
}

void DagView::focusOutEvent(QFocusEvent *event)
{
    // A space released while another window had the focus never arrives here.
    m_spaceHeld = false;
    m_panning = false;
    viewport()->unsetCursor();
    QGraphicsView::focusOutEvent(event);
}

void DagView::drawBackground(QPainter *painter, const QRectF &rect)
{
    const QPalette pal = palette();
    painter->fillRect(rect, pal.color(QPalette::Base));
    if (zoom() < 0.5)
        return; // too dense to help
    // The lines' colour is the text's at 7 % over the base, blended here: an opaque pen gives the same pixels
    // several times faster than a translucent one (tests/bench/bench_gui).
    const QColor base = pal.color(QPalette::Base), text = pal.color(QPalette::Text);
    constexpr double kLineAlpha = 0.07;
    auto mix = [&](double b, double t) { return b + (t - b) * kLineAlpha; };
    const QColor line = QColor::fromRgbF(float(mix(base.redF(), text.redF())), float(mix(base.greenF(), text.greenF())),
                                         float(mix(base.blueF(), text.blueF())));
    painter->setPen(QPen(line, 0));
    const double left = std::floor(rect.left() / kGrid) * kGrid;
    const double top = std::floor(rect.top() / kGrid) * kGrid;
    QVector<QLineF> lines;
    for (double x = left; x < rect.right(); x += kGrid)
        lines.append(QLineF(x, rect.top(), x, rect.bottom()));
    for (double y = top; y < rect.bottom(); y += kGrid)
        lines.append(QLineF(rect.left(), y, rect.right(), y));
    painter->drawLines(lines);
}

} // namespace pw::ui::dag
