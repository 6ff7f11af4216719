// A parallel-coordinates plot of compared runs, painted with QPainter: one vertical axis per param that differs
// among the runs (numbers on a linear or, across decades, a log scale; other values spread evenly), the chosen
// metric as the last axis, one polyline per run coloured by that metric (as MLflow's compare view).
#pragma once

#include "ui/experiments/ExperimentsSnapshot.h"

#include <QColor>
#include <QStringList>
#include <QWidget>

#include <vector>

namespace pw::ui {

struct ParallelAxis
{
    QString key;
    bool metric = false; // the last axis: the chosen metric's final value
    bool categorical = false; // values that are not all numbers: spread evenly in sorted order
    bool logScale = false; // positive numbers spanning more than two decades
    double lo = 0;
    double hi = 0;
    QStringList categories; // categorical axes: the values, bottom to top
};

struct ParallelLine
{
    QString runId;
    QString label; // short id and name
    std::vector<double> y; // per axis, 0 (bottom) to 1 (top); NaN where the run has no value
    double metric = 0; // NaN when the run did not log the metric
};

struct ParallelData
{
    std::vector<ParallelAxis> axes;
    std::vector<ParallelLine> lines;
};

/**
 * The axes and lines for `runs` and `metric`: an axis per param whose values differ among the runs (a param one
 * run lacks counts as differing), then the metric axis. A param that is the same for every run tells nothing
 * and gets no axis.
 */
ParallelData parallelData(const std::vector<RunRow> &runs, const std::string &metric);

/** The colour of `t` in [0, 1] on the viridis scale (dark purple to yellow); grey for NaN. */
QColor viridisColor(double t);

class ParallelCoordinates : public QWidget
{
    Q_OBJECT
public:
    explicit ParallelCoordinates(QWidget *parent = nullptr);

    void setRuns(const std::vector<RunRow> &runs, const QString &metric);
    const ParallelData &plot() const { return m_data; }
    const QString &metric() const { return m_metric; }
    /** The line under `pos` (within a few pixels), or -1. */
    int lineAt(const QPointF &pos) const;

    QSize sizeHint() const override { return {480, 240}; }
    QSize minimumSizeHint() const override { return {240, 160}; }

protected:
    void paintEvent(QPaintEvent *event) override;
    bool event(QEvent *event) override;

private:
    QRectF plotRect() const;
    QPointF pointOf(std::size_t axis, double y) const;

    ParallelData m_data;
    QString m_metric;
};

} // namespace pw::ui
