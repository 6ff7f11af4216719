// A small line chart of metric curves drawn with QPainter: a left axis, an optional right axis (for series that
// use it), epochs along the bottom, and a legend above the plot. Enough for loss and accuracy per epoch.
#pragma once

#include <QColor>
#include <QPointF>
#include <QString>
#include <QWidget>

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

private:
    std::vector<ChartSeries> m_series;
    QString m_leftTitle;
    QString m_rightTitle;
    QString m_xTitle;
    QString m_message;
};

/** Distinct colours for the runs of a comparison (matplotlib's tab10), by position. */
QColor seriesColor(int i);

/** "Nice" tick values (1, 2, 5 × 10^k steps) covering [lo, hi], about `count` of them. */
std::vector<double> niceTicks(double lo, double hi, int count);

} // namespace pw::ui
