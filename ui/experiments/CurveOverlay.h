// The comparison chart's curves: one metric of several runs overlaid, along steps, epochs or wall time, with
// TensorBoard's exponential smoothing.
#pragma once

#include "ui/experiments/ExperimentsSnapshot.h"
#include "ui/experiments/MetricChart.h"

namespace pw::ui {

enum class CurveAxis
{
    Step,
    Epoch,
    WallTime
};

/** "step", "epoch", "wall time (s)": the x axis title. */
QString curveAxisTitle(CurveAxis axis);

/**
 * TensorBoard's smoothing: an exponential moving average with weight `weight` in [0, 1), debiased so that the
 * first points are not pulled towards zero; non-finite values pass through unchanged and do not feed it.
 */
std::vector<QPointF> smoothedPoints(const std::vector<QPointF> &points, double weight);

/** The x of each point: its step, its epoch, or seconds since the first point of the history (wall time). */
std::vector<QPointF> curvePoints(const std::vector<track::MetricPoint> &history, CurveAxis axis);

/** One series per run (in order, coloured by position) of `key`; a run without that metric gets an empty one. */
std::vector<ChartSeries> overlayCurves(const std::vector<RunRow> &runs, const std::string &key, CurveAxis axis,
                                       double smoothing);

/** The metric keys with a history in any of `runs`, sorted. */
QStringList curveKeys(const std::vector<RunRow> &runs);

} // namespace pw::ui
