// Curves for the Experiments page's comparison chart.
#include "ui/experiments/CurveOverlay.h"

#include "ui/PageParts.h"

#include <QCoreApplication>

#include <cmath>
#include <set>

namespace pw::ui {

QString curveAxisTitle(CurveAxis axis)
{
    switch (axis) {
    case CurveAxis::Step: return QCoreApplication::translate("CurveOverlay", "step");
    case CurveAxis::Epoch: return QCoreApplication::translate("CurveOverlay", "epoch");
    case CurveAxis::WallTime: return QCoreApplication::translate("CurveOverlay", "wall time (s)");
    }
    return {};
}

std::vector<QPointF> smoothedPoints(const std::vector<QPointF> &points, double weight)
{
    if (weight <= 0)
        return points;
    weight = std::min(weight, 0.999);
    std::vector<QPointF> out;
    out.reserve(points.size());
    double last = 0;
    int n = 0;
    for (const QPointF &p : points) {
        if (!std::isfinite(p.y())) {
            out.push_back(p);
            continue;
        }
        last = last * weight + (1 - weight) * p.y();
        ++n;
        out.emplace_back(p.x(), last / (1 - std::pow(weight, n)));
    }
    return out;
}

std::vector<QPointF> curvePoints(const std::vector<track::MetricPoint> &history, CurveAxis axis)
{
    std::vector<QPointF> points;
    points.reserve(history.size());
    const std::int64_t t0 = history.empty() ? 0 : history.front().timestampMs;
    for (const track::MetricPoint &m : history) {
        double x = 0;
        switch (axis) {
        case CurveAxis::Step: x = double(m.step); break;
        case CurveAxis::Epoch: x = double(m.epoch > 0 ? m.epoch : m.step); break;
        case CurveAxis::WallTime: x = double(m.timestampMs - t0) / 1000.0; break;
        }
        points.emplace_back(x, m.value);
    }
    return points;
}

std::vector<ChartSeries> overlayCurves(const std::vector<RunRow> &runs, const std::string &key, CurveAxis axis,
                                       double smoothing)
{
    std::vector<ChartSeries> series;
    for (std::size_t i = 0; i < runs.size(); ++i) {
        const track::RunInfo &info = runs[i].info;
        const QString label = info.name.empty() ? shortRunId(info.runId)
                                                : QStringLiteral("%1 %2").arg(shortRunId(info.runId),
                                                                              QString::fromStdString(info.name));
        ChartSeries s{label, seriesColor(int(i)), Qt::SolidLine, false, {}};
        if (const auto it = runs[i].curves.find(key); it != runs[i].curves.end())
            s.points = smoothedPoints(curvePoints(it->second, axis), smoothing);
        series.push_back(std::move(s));
    }
    return series;
}

QStringList curveKeys(const std::vector<RunRow> &runs)
{
    std::set<QString> keys;
    for (const RunRow &r : runs)
        for (const auto &[k, points] : r.curves)
            if (!points.empty())
                keys.insert(QString::fromStdString(k));
    return QStringList(keys.begin(), keys.end());
}

} // namespace pw::ui
