// The view of a DagScene: wheel zoom around the cursor, panning with the middle button or space + drag,
// rubber-band selection, fit to view, a light grid drawn with the palette.
#pragma once

#include <QGraphicsView>

namespace pw::ui::dag {

class DagView : public QGraphicsView
{
    Q_OBJECT
public:
    static constexpr double kMinZoom = 0.1;
    static constexpr double kMaxZoom = 4.0;

    explicit DagView(QWidget *parent = nullptr);
    explicit DagView(QGraphicsScene *scene, QWidget *parent = nullptr);

    /** The scale (1: one scene unit per pixel). */
    double zoom() const;
    /** Scales by `factor` (clamped to kMinZoom..kMaxZoom), keeping `viewportAnchor` (viewport pixels) in place. */
    void zoomBy(double factor, QPoint viewportAnchor);
    void zoomBy(double factor);
    void resetZoom();
    /** Shows the whole drawing (at most at 1:1). */
    void fitToView();

Q_SIGNALS:
    void zoomChanged(double zoom);

protected:
    void wheelEvent(QWheelEvent *event) override;
    void mousePressEvent(QMouseEvent *event) override;
    void mouseMoveEvent(QMouseEvent *event) override;
    void mouseReleaseEvent(QMouseEvent *event) override;
    void keyPressEvent(QKeyEvent *event) override;
    void keyReleaseEvent(QKeyEvent *event) override;
    void focusOutEvent(QFocusEvent *event) override;
    void drawBackground(QPainter *painter, const QRectF &rect) override;

private:
    void setUp();
    void panBy(QPoint delta);

    bool m_spaceHeld = false;
    bool m_panning = false;
    QPoint m_panLast;
};

} // namespace pw::ui::dag
