// The parallel-coordinates plot: plain QPainter, no plotting library.
#include "ui/experiments/ParallelCoordinates.h"

#include "ui/PageParts.h"
#include "ui/experiments/RunsModel.h"

#include <QHelpEvent>
#include <QLinearGradient>
#include <QPainter>
#include <QPainterPath>
#include <QToolTip>

#include <algorithm>
#include <cmath>
#include <limits>
#include <optional>
#include <set>

namespace pw::ui {

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

std::optional<double> number(const std::string &s)
{
    bool ok = false;
    const double v = QString::fromStdString(s).trimmed().toDouble(&ok);
    return ok && std::isfinite(v) ? std::optional<double>(v) : std::nullopt;
}

// A numeric axis's range from its values; log scale for positive values across more than two decades.
void fitRange(ParallelAxis &axis, const std::vector<double> &values)
{
    axis.lo = *std::min_element(values.begin(), values.end());
    axis.hi = *std::max_element(values.begin(), values.end());
    axis.logScale = axis.lo > 0 && axis.hi / axis.lo >= 100;
}

double position(const ParallelAxis &axis, double v)
{
    if (!std::isfinite(v))
        return kNaN;
    if (axis.hi <= axis.lo)
        return 0.5;
    if (axis.logScale)
        return (std::log10(v) - std::log10(axis.lo)) / (std::log10(axis.hi) - std::log10(axis.lo));
    return (v - axis.lo) / (axis.hi - axis.lo);
}

QString axisValueText(const ParallelAxis &axis, double v)
{
    return axis.metric ? metricText(v) : QString::number(v, 'g', 4);
}

} // namespace

QColor viridisColor(double t)
{
    if (!std::isfinite(t))
        return QColor(0x9e, 0x9e, 0x9e);
    // Five stops of matplotlib's viridis, interpolated.
    static const QColor stops[] = {QColor(0x44, 0x01, 0x54), QColor(0x3b, 0x52, 0x8b), QColor(0x21, 0x91, 0x8c),
                                   QColor(0x5e, 0xc9, 0x62), QColor(0xfd, 0xe7, 0x25)};
    t = std::clamp(t, 0.0, 1.0) * 4;
    const int i = std::min(3, int(t));
    const double f = t - i;
    const QColor &a = stops[i];
    const QColor &b = stops[i + 1];
    return QColor::fromRgbF(float(a.redF() + (b.redF() - a.redF()) * f),
                            float(a.greenF() + (b.greenF() - a.greenF()) * f),
                            float(a.blueF() + (b.blueF() - a.blueF()) * f));
}

ParallelData parallelData(const std::vector<RunRow> &runs, const std::string &metric)
{
    ParallelData data;
    std::set<std::string> keys;
    for (const RunRow &r : runs)
        for (const auto &[k, v] : r.params)
            keys.insert(k);
    // Per axis, the value of each run (nullopt: the run does not have the param).
    std::vector<std::vector<std::optional<std::string>>> columns;
    for (const std::string &key : keys) {
        std::vector<std::optional<std::string>> values;
        std::set<std::optional<std::string>> distinct;
        for (const RunRow &r : runs) {
            const auto it = r.params.find(key);
            values.push_back(it == r.params.end() ? std::nullopt : std::optional<std::string>(it->second));
            distinct.insert(values.back());
        }
        if (distinct.size() < 2)
            continue;
        ParallelAxis axis;
        axis.key = QString::fromStdString(key);
        std::vector<double> numbers;
        std::set<std::string> texts;
        for (const auto &v : values) {
            if (!v)
                continue;
            texts.insert(*v);
            if (const auto n = number(*v))
                numbers.push_back(*n);
        }
        axis.categorical = numbers.size() != std::size_t(std::count_if(values.begin(), values.end(), [](const auto &v) {
                               return bool(v);
                           }));
        if (axis.categorical) {
            for (const std::string &t : texts)
                axis.categories << QString::fromStdString(t);
            axis.hi = double(axis.categories.size() - 1);
        } else if (!numbers.empty()) {
            fitRange(axis, numbers);
        }
        data.axes.push_back(axis);
        columns.push_back(std::move(values));
    }
    ParallelAxis metricAxis;
    metricAxis.key = QString::fromStdString(metric);
    metricAxis.metric = true;
    std::vector<double> metricValues;
    for (const RunRow &r : runs) {
        const auto it = r.metrics.find(metric);
        if (it != r.metrics.end() && std::isfinite(it->second))
            metricValues.push_back(it->second);
    }
    if (!metricValues.empty()) {
        fitRange(metricAxis, metricValues);
        metricAxis.logScale = false; // a metric reads best on its own linear scale
    }
    data.axes.push_back(metricAxis);

    for (std::size_t i = 0; i < runs.size(); ++i) {
        const track::RunInfo &info = runs[i].info;
        ParallelLine line;
        line.runId = QString::fromStdString(info.runId);
        line.label = info.name.empty()
                         ? shortRunId(info.runId)
                         : QStringLiteral("%1 %2").arg(shortRunId(info.runId), QString::fromStdString(info.name));
        for (std::size_t a = 0; a + 1 < data.axes.size(); ++a) {
            const ParallelAxis &axis = data.axes[a];
            const auto &v = columns[a][i];
            if (!v) {
                line.y.push_back(kNaN);
            } else if (axis.categorical) {
                const qsizetype at = axis.categories.indexOf(QString::fromStdString(*v));
                line.y.push_back(axis.categories.size() < 2 ? 0.5 : double(at) / double(axis.categories.size() - 1));
            } else {
                line.y.push_back(position(axis, number(*v).value_or(kNaN)));
            }
        }
        const auto it = runs[i].metrics.find(metric);
        line.metric = it == runs[i].metrics.end() ? kNaN : it->second;
        line.y.push_back(position(metricAxis, line.metric));
        data.lines.push_back(std::move(line));
    }
    return data;
}

ParallelCoordinates::ParallelCoordinates(QWidget *parent)
    : QWidget(parent)
{
    setAttribute(Qt::WA_OpaquePaintEvent);
    setMouseTracking(true);
}

void ParallelCoordinates::setRuns(const std::vector<RunRow> &runs, const QString &metric)
{
    m_metric = metric;
    m_data = runs.size() < 2 ? ParallelData{} : parallelData(runs, metric.toStdString());
    update();
}

QRectF ParallelCoordinates::plotRect() const
{
    // Room for the axis titles above, the low values below, and the colour bar on the right.
    return QRectF(rect()).adjusted(40, 40, -90, -28);
}

QPointF ParallelCoordinates::pointOf(std::size_t axis, double y) const
{
    const QRectF r = plotRect();
    const std::size_t n = m_data.axes.size();
    const double x = n < 2 ? r.center().x() : r.left() + r.width() * double(axis) / double(n - 1);
    return {x, r.bottom() - r.height() * y};
}

int ParallelCoordinates::lineAt(const QPointF &pos) const
{
    int best = -1;
    double bestDistance = 5; // pixels
    for (std::size_t l = 0; l < m_data.lines.size(); ++l) {
        const ParallelLine &line = m_data.lines[l];
        for (std::size_t a = 0; a + 1 < line.y.size(); ++a) {
            if (!std::isfinite(line.y[a]) || !std::isfinite(line.y[a + 1]))
                continue;
            const QPointF p = pointOf(a, line.y[a]);
            const QPointF q = pointOf(a + 1, line.y[a + 1]);
            const QPointF d = q - p;
            const double len2 = QPointF::dotProduct(d, d);
            const double t = len2 > 0 ? std::clamp(QPointF::dotProduct(pos - p, d) / len2, 0.0, 1.0) : 0.0;
            const QPointF nearest = p + t * d;
            const double distance = std::hypot(pos.x() - nearest.x(), pos.y() - nearest.y());
            if (distance < bestDistance) {
                bestDistance = distance;
                best = int(l);
            }
        }
    }
    return best;
}

bool ParallelCoordinates::event(QEvent *event)
{
    if (event->type() == QEvent::ToolTip) {
        const auto *help = static_cast<QHelpEvent *>(event);
        const int l = lineAt(help->pos());
        if (l < 0) {
            QToolTip::hideText();
            event->ignore();
            return true;
        }
        const ParallelLine &line = m_data.lines[std::size_t(l)];
        QStringList rows{QStringLiteral("<b>%1</b>").arg(line.label.toHtmlEscaped())};
        for (std::size_t a = 0; a < m_data.axes.size(); ++a) {
            const ParallelAxis &axis = m_data.axes[a];
            QString value = tr("—");
            if (axis.metric && std::isfinite(line.metric))
                value = metricText(line.metric);
            else if (!axis.metric && std::isfinite(line.y[a]))
                value = axis.categorical ? axis.categories.value(
                            qsizetype(std::lround(line.y[a] * double(axis.categories.size() - 1))))
                                         : QString();
            if (!axis.metric && !axis.categorical && std::isfinite(line.y[a])) {
                const double v = axis.logScale
                                     ? std::pow(10.0, std::log10(axis.lo)
                                                          + line.y[a] * (std::log10(axis.hi) - std::log10(axis.lo)))
                                     : axis.lo + line.y[a] * (axis.hi - axis.lo);
                value = QString::number(v, 'g', 4);
            }
            rows << QStringLiteral("%1: %2").arg(axis.key.toHtmlEscaped(), value.toHtmlEscaped());
        }
        QToolTip::showText(help->globalPos(), rows.join(QStringLiteral("<br>")), this);
        return true;
    }
    return QWidget::event(event);
}

void ParallelCoordinates::paintEvent(QPaintEvent *)
{
    QPainter p(this);
    p.fillRect(rect(), palette().base());
    p.setRenderHint(QPainter::Antialiasing);
    const QFontMetrics fm(font());
    if (m_data.lines.empty()) {
        p.setPen(palette().color(QPalette::PlaceholderText));
        p.drawText(rect(), Qt::AlignCenter | Qt::TextWordWrap,
                   tr("Select two or more runs to plot their params against a metric"));
        return;
    }
    const QRectF r = plotRect();
    const std::size_t n = m_data.axes.size();
    const double spacing = n < 2 ? r.width() : r.width() / double(n - 1);
    const ParallelAxis &metricAxis = m_data.axes.back();
    const bool metricKnown = metricAxis.hi >= metricAxis.lo
                             && std::any_of(m_data.lines.begin(), m_data.lines.end(),
                                            [](const ParallelLine &l) { return std::isfinite(l.metric); });

    // The runs, the best-coloured last so that they lie on top.
    std::vector<std::size_t> order(m_data.lines.size());
    for (std::size_t i = 0; i < order.size(); ++i)
        order[i] = i;
    std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
        const double ya = m_data.lines[a].y.back(), yb = m_data.lines[b].y.back();
        return (std::isfinite(ya) ? ya : -1.0) < (std::isfinite(yb) ? yb : -1.0);
    });
    for (std::size_t l : order) {
        const ParallelLine &line = m_data.lines[l];
        const bool known = std::isfinite(line.y.back());
        p.setPen(QPen(viridisColor(known ? line.y.back() : kNaN), 2, known ? Qt::SolidLine : Qt::DashLine));
        for (std::size_t a = 0; a + 1 < line.y.size(); ++a)
            if (std::isfinite(line.y[a]) && std::isfinite(line.y[a + 1]))
                p.drawLine(pointOf(a, line.y[a]), pointOf(a + 1, line.y[a + 1]));
        for (std::size_t a = 0; a < line.y.size(); ++a)
            if (std::isfinite(line.y[a]))
                p.drawEllipse(pointOf(a, line.y[a]), 2.5, 2.5);
    }

    // The axes over the lines: a line, the title above, the range (or the categories) beside it.
    const QColor text = palette().color(QPalette::Text);
    const QColor muted = palette().color(QPalette::PlaceholderText);
    for (std::size_t a = 0; a < n; ++a) {
        const ParallelAxis &axis = m_data.axes[a];
        const double x = pointOf(a, 0).x();
        p.setPen(QPen(text, 1));
        p.drawLine(QPointF(x, r.top()), QPointF(x, r.bottom()));
        QFont bold = font();
        bold.setBold(axis.metric);
        p.setFont(bold);
        const int titleWidth = int(std::max(60.0, spacing - 6));
        QString title = axis.key + (axis.logScale ? tr(" (log)") : QString());
        title = QFontMetrics(bold).elidedText(title, Qt::ElideMiddle, titleWidth);
        p.drawText(QRectF(x - titleWidth / 2.0, r.top() - 34, titleWidth, 18), Qt::AlignCenter, title);
        p.setFont(font());
        p.setPen(muted);
        const int labelWidth = int(std::max(50.0, spacing - 10));
        auto label = [&](double y, const QString &s, double dy) {
            const QString e = fm.elidedText(s, Qt::ElideMiddle, labelWidth);
            p.drawText(QRectF(x - labelWidth / 2.0, pointOf(a, y).y() + dy, labelWidth, fm.height()), Qt::AlignCenter,
                       e);
        };
        if (axis.categorical) {
            const qsizetype c = axis.categories.size();
            for (qsizetype i = 0; i < c && c <= 10; ++i) {
                const double y = c < 2 ? 0.5 : double(i) / double(c - 1);
                p.drawLine(QPointF(x - 3, pointOf(a, y).y()), QPointF(x + 3, pointOf(a, y).y()));
                label(y, axis.categories[i], -fm.height() - 1);
            }
        } else if (!axis.metric || metricKnown) {
            label(1, axisValueText(axis, axis.hi), -fm.height() - 2);
            if (axis.hi > axis.lo)
                label(0, axisValueText(axis, axis.lo), 2);
        }
    }

    // The colour bar: the metric's range on the viridis scale.
    const QRectF bar(r.right() + 40, r.top(), 12, r.height());
    QLinearGradient gradient(bar.bottomLeft(), bar.topLeft());
    for (int i = 0; i <= 8; ++i)
        gradient.setColorAt(i / 8.0, viridisColor(i / 8.0));
    p.fillRect(bar, gradient);
    p.setPen(text);
    p.drawRect(bar);
    if (metricKnown) {
        p.drawText(QPointF(bar.left() - 2, bar.top() - 4), metricText(metricAxis.hi));
        p.drawText(QPointF(bar.left() - 2, bar.bottom() + fm.ascent() + 2), metricText(metricAxis.lo));
    } else {
        p.setPen(muted);
        p.drawText(QRectF(r.left(), r.bottom() + 4, r.width(), fm.height()), Qt::AlignLeft,
                   tr("None of these runs logged %1").arg(m_metric));
    }
    if (n == 1) {
        p.setPen(muted);
        p.drawText(QRectF(r.left(), r.bottom() + 4, r.width(), fm.height()), Qt::AlignLeft,
                   tr("These runs have the same params: only the metric differs"));
    }
}

} // namespace pw::ui
