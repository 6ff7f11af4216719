// A small line chart of metric curves drawn with QPainter: a left axis, an optional right axis (for series that
// use it), epochs along the bottom, and a legend above the plot (a few rows at most; "+N more" and a tooltip
// beyond). Long series are thinned per pixel column before drawing, and the thinned lines are kept until the
// series or the plot's size change, so a repaint that changes nothing is cheap.
#pragma once

#include <QColor>
#include <QPointF>
#include <QPolygonF>
#include <QString>
#include <QWidget>

class QPainter;

#include <vector>

namespace pw::ui {

struct ChartSeries
{
    QString label;
    QColor color;
    Qt::PenStyle style = Qt::SolidLine;
    bool rightAxis = false;
    std::vector<QPointF> points; // x: epoch (or step); NaN and inf y values are left out
};

class MetricChart : public QWidget
{
    Q_OBJECT
public:
    explicit MetricChart(QWidget *parent = nullptr);

    /** Shows `series`; the axis titles name what the left and right axes measure. */
    void setSeries(std::vector<ChartSeries> series, const QString &leftTitle, const QString &rightTitle = {},
                   const QString &xTitle = tr("epoch"));
    /** Shows no curve but this text (why there is none). */
    void setMessage(const QString &text);

    const std::vector<ChartSeries> &series() const { return m_series; }

    QSize sizeHint() const override { return {420, 240}; }
    QSize minimumSizeHint() const override { return {240, 160}; }

protected:
    void paintEvent(QPaintEvent *event) override;
    bool event(QEvent *event) override;

private:
    struct Frame;
    // paintEvent()'s steps: the data's ranges (false: nothing to draw), the legend (returns the top of its last
    // row), the plot rectangle and ticks (false: no room), the axes, their titles, the thinned curves, the curves.
    bool measure(Frame &f) const;
    int paintLegend(QPainter &p);
    bool placePlot(Frame &f, int legendY) const;
    void paintAxes(QPainter &p, const Frame &f);
    void paintAxisTitles(QPainter &p, const Frame &f);
    void thinCurves(const Frame &f);
    void paintCurves(QPainter &p, const Frame &f);

    // The curves in pixels for one plot rectangle and axis ranges, per series: its thinned polylines and,
    // while it has few points, the points that get markers.
    struct Drawn
    {
        std::vector<QPolygonF> lines;
        std::vector<QPointF> marks;
    };
    struct DrawnKey
    {
        QRect plot;
        double x0 = 0, x1 = 0, leftLo = 0, leftHi = 0, rightLo = 0, rightHi = 0;
        bool operator==(const DrawnKey &) const = default;
    };

    std::vector<ChartSeries> m_series;
    QString m_leftTitle;
    QString m_rightTitle;
    QString m_xTitle;
    QString m_message;
    std::vector<Drawn> m_drawn; // empty until the first paint after setSeries()
    DrawnKey m_drawnKey;
    QRect m_legendRect; // where the last paint put the legend, for its tooltip
    int m_legendHidden = 0; // series the legend had no room for ("+N more")
};

/**
 * `points` (in pixels, in drawing order) thinned to what a raster shows, the M4 aggregation (Jugel et al.,
 * "M4: A Visualization-Oriented Time Series Data Aggregation", VLDB 2014): of each stretch of consecutive points
 * in one pixel column (the same floor(x)), the first, the lowest, the highest and the last are kept, in their
 * order, so the line through them covers the same pixels. A point with a non-finite coordinate breaks the line:
 * one polyline per unbroken stretch. Along a monotonic x this leaves at most 4 points per column.
 */
std::vector<QPolygonF> decimatePolyline(const std::vector<QPointF> &points);

/** Distinct colours for the runs of a comparison (matplotlib's tab10), by position. */
QColor seriesColor(int i);

/** "Nice" tick values (1, 2, 5 × 10^k steps) covering [lo, hi], about `count` of them. */
std::vector<double> niceTicks(double lo, double hi, int count);

} // namespace pw::ui
