// The metric curves chart, on QCustomPlot: a left axis, an optional right axis (for series that use it), steps,
// epochs or seconds along the bottom, and a legend above the plot (a few rows at most; "+N more" and a tooltip
// beyond). The wheel zooms, a drag pans, a double click fits the data again; hovering a curve names its run, x
// and value; a click on a legend entry hides or shows its curve; the context menu switches a log y axis and
// exports PNG, PDF or SVG. QCustomPlot's adaptive sampling thins long curves to what the pixels show.
#pragma once

#include "ui/charts/Plot.h"

#include <QColor>
#include <QPointF>
#include <QPolygonF>
#include <QSet>
#include <QString>

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

class MetricChart : public QCustomPlot
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
    const QString &message() const { return m_message; }

    /** A logarithmic left axis (values <= 0 are left out of it). */
    void setLogY(bool on);
    bool logY() const { return m_logY; }
    /** Whether series `i` is drawn (a click on its legend entry hides or shows it). */
    bool isSeriesVisible(std::size_t i) const;
    void setSeriesVisible(std::size_t i, bool visible);
    /** The legend entry of series `i` as the last layout placed it; empty while it has no room there. */
    QRect legendEntryRect(std::size_t i) const;
    /** The tooltip a hover at `pos` shows: the series, x and value of the nearest point within a few pixels. */
    QString pointToolTip(const QPoint &pos) const;
    /** Both axes back to the whole data, after a zoom or a pan (a double click does it too). */
    void fitToData();
    /** The plot rectangle in widget pixels (the axes' inside). */
    QRect plotRect() const;

    QSize sizeHint() const override { return {420, 240}; }
    QSize minimumSizeHint() const override { return {200, 120}; }

Q_SIGNALS:
    void logYChanged(bool on);

protected:
    void paintEvent(QPaintEvent *event) override;
    void resizeEvent(QResizeEvent *event) override;
    void mouseMoveEvent(QMouseEvent *event) override;
    void mouseDoubleClickEvent(QMouseEvent *event) override;
    void contextMenuEvent(QContextMenuEvent *event) override;
    bool event(QEvent *event) override;

private:
    // setSeries()'s steps: the graphs, the axes' titles and scale, the legend's entries for this size.
    void buildGraphs();
    void setUpAxes();
    void layOutLegend();
    void toggleFromLegend(QCPAbstractLegendItem *item);
    void refresh();

    std::vector<ChartSeries> m_series;
    std::vector<QCPGraph *> m_graphs; // one per series, in order
    QString m_leftTitle;
    QString m_rightTitle;
    QString m_xTitle;
    QString m_message;
    QSet<QString> m_hiddenLabels; // kept across setSeries(): a smoothing change keeps what was hidden hidden
    bool m_logY = false;
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
