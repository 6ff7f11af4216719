// The metric chart: plain QPainter, no plotting library.
#include "ui/experiments/MetricChart.h"

#include <QEvent>
#include <QHelpEvent>
#include <QPainter>
#include <QToolTip>

#include <algorithm>
#include <cmath>
#include <limits>
#include <utility>

namespace pw::ui {

QColor seriesColor(int i)
{
    static const QColor colors[] = {QColor(0x1f, 0x77, 0xb4), QColor(0xff, 0x7f, 0x0e), QColor(0x2c, 0xa0, 0x2c),
                                    QColor(0xd6, 0x27, 0x28), QColor(0x94, 0x67, 0xbd), QColor(0x8c, 0x56, 0x4b),
                                    QColor(0xe3, 0x77, 0xc2), QColor(0x7f, 0x7f, 0x7f), QColor(0xbc, 0xbd, 0x22),
                                    QColor(0x17, 0xbe, 0xcf)};
    return colors[i % 10];
}

std::vector<double> niceTicks(double lo, double hi, int count)
{
    if (!(hi > lo) || count < 2)
        return {lo};
    const double raw = (hi - lo) / (count - 1);
    const double magnitude = std::pow(10.0, std::floor(std::log10(raw)));
    double step = magnitude;
    for (double m : {1.0, 2.0, 2.5, 5.0, 10.0}) {
        step = m * magnitude;
        if (step >= raw)
            break;
    }
    std::vector<double> ticks;
    for (double t = std::ceil(lo / step - 1e-9) * step; t <= hi + step * 1e-9; t += step)
        ticks.push_back(std::abs(t) < step * 1e-9 ? 0.0 : t);
    return ticks;
}

namespace {

constexpr int kPad = 8; // around the legend and the plot

struct Range
{
    double lo = std::numeric_limits<double>::infinity();
    double hi = -std::numeric_limits<double>::infinity();
    bool valid() const { return lo <= hi; }
    void add(double v)
    {
        lo = std::min(lo, v);
        hi = std::max(hi, v);
    }
    // Widened to nice ticks, with room for a flat curve.
    std::vector<double> ticks(int count)
    {
        if (!valid())
            return {};
        if (hi - lo < 1e-12) {
            const double pad = std::max(std::abs(lo) * 0.05, 1e-3);
            lo -= pad;
            hi += pad;
        }
        const double margin = (hi - lo) * 0.05;
        std::vector<double> t = niceTicks(lo - margin, hi + margin, count);
        if (t.size() >= 2) {
            const double step = t[1] - t[0];
            if (t.front() > lo)
                t.insert(t.begin(), t.front() - step);
            if (t.back() < hi)
                t.push_back(t.back() + step);
            lo = t.front();
            hi = t.back();
        }
        return t;
    }
};

QString tickText(double v, double step)
{
    const int decimals = step >= 1 ? 0 : std::min(6, int(std::ceil(-std::log10(step) - 1e-9)));
    return QString::number(v, 'f', decimals);
}

} // namespace

std::vector<QPolygonF> decimatePolyline(const std::vector<QPointF> &points)
{
    std::vector<QPolygonF> out;
    QPolygonF line;
    // The column being gathered: its first, lowest, highest and last point (indexes into `points`).
    std::size_t first = 0, lo = 0, hi = 0, last = 0;
    double column = 0;
    bool gathering = false;
    const auto flush = [&] {
        if (!gathering)
            return;
        const std::size_t kept[] = {first, std::min(lo, hi), std::max(lo, hi), last}; // in drawing order
        for (std::size_t k = 0; k < 4; ++k)
            if (k == 0 || kept[k] != kept[k - 1])
                line << points[kept[k]];
        gathering = false;
    };
    for (std::size_t i = 0; i < points.size(); ++i) {
        const QPointF &pt = points[i];
        if (!std::isfinite(pt.x()) || !std::isfinite(pt.y())) {
            flush();
            if (!line.isEmpty())
                out.push_back(std::exchange(line, {}));
            continue;
        }
        const double c = std::floor(pt.x());
        if (gathering && c == column) {
            if (pt.y() < points[lo].y())
                lo = i;
            if (pt.y() > points[hi].y())
                hi = i;
            last = i;
            continue;
        }
        flush();
        first = lo = hi = last = i;
        column = c;
        gathering = true;
    }
    flush();
    if (!line.isEmpty())
        out.push_back(std::move(line));
    return out;
}

MetricChart::MetricChart(QWidget *parent)
    : QWidget(parent)
{
    setSizePolicy(QSizePolicy::Expanding, QSizePolicy::Expanding);
    setAutoFillBackground(true);
    setBackgroundRole(QPalette::Base);
}

void MetricChart::setSeries(std::vector<ChartSeries> series, const QString &leftTitle, const QString &rightTitle,
                            const QString &xTitle)
{
    m_series = std::move(series);
    m_drawn.clear();
    m_leftTitle = leftTitle;
    m_rightTitle = rightTitle;
    m_xTitle = xTitle;
    m_message.clear();
    update();
}

void MetricChart::setMessage(const QString &text)
{
    m_series.clear();
    m_drawn.clear();
    m_message = text;
    update();
}

// The geometry of one paint: the data's ranges and ticks, the plot rectangle, and the mapping into it.
struct MetricChart::Frame
{
    Range x, left, right;
    bool anyRight = false; // some series uses the right axis
    std::vector<double> leftTicks, rightTicks;
    QRect plot;
    double x0 = 0, x1 = 0; // the x range drawn: the data's, widened around a single point
    double px(double v) const { return plot.left() + (v - x0) / (x1 - x0) * plot.width(); }
    double py(const Range &r, double v) const { return plot.bottom() - (v - r.lo) / (r.hi - r.lo) * plot.height(); }
};

void MetricChart::paintEvent(QPaintEvent *)
{
    m_legendRect = {};
    m_legendHidden = 0;
    QPainter p(this);
    p.setRenderHint(QPainter::Antialiasing);
    Frame f;
    if (!measure(f)) {
        p.setPen(palette().color(QPalette::PlaceholderText));
        p.drawText(rect().adjusted(8, 8, -8, -8), Qt::AlignCenter | Qt::TextWordWrap,
                   m_message.isEmpty() ? tr("No per-epoch metrics logged") : m_message);
        return;
    }
    const int legendY = paintLegend(p);
    if (!placePlot(f, legendY))
        return;
    paintAxes(p, f);
    paintAxisTitles(p, f);
    thinCurves(f);
    paintCurves(p, f);
}

bool MetricChart::measure(Frame &f) const
{
    for (const ChartSeries &s : m_series)
        for (const QPointF &pt : s.points) {
            if (!std::isfinite(pt.y()))
                continue;
            f.x.add(pt.x());
            (s.rightAxis ? f.right : f.left).add(pt.y());
            f.anyRight = f.anyRight || s.rightAxis;
        }
    return f.x.valid();
}

int MetricChart::paintLegend(QPainter &p)
{
    // Rows of swatches above the plot, at most a fifth of the height of them (one at least), labels elided; the
    // series with no room left are counted in a "+N more" whose tooltip lists every series.
    const QFontMetrics fm(font());
    const int swatch = 18;
    const int rowHeight = fm.height() + 2;
    const int maxRows = std::max(1, height() / 5 / rowHeight);
    const int maxLabel = std::max(80, width() / 3);
    struct Entry
    {
        QPoint at;
        const ChartSeries *series;
        QString label;
    };
    const auto layoutLegend = [&](int reserve) {
        std::vector<Entry> entries;
        int lx = kPad, row = 0;
        for (const ChartSeries &s : m_series) {
            const QString label = fm.elidedText(s.label, Qt::ElideMiddle, maxLabel);
            const int w = swatch + 4 + fm.horizontalAdvance(label) + 14;
            if (lx + w > width() - kPad - (row == maxRows - 1 ? reserve : 0) && lx > kPad) {
                if (++row == maxRows)
                    break;
                lx = kPad;
            }
            entries.push_back({QPoint(lx, kPad + row * rowHeight), &s, label});
            lx += w;
        }
        return entries;
    };
    const auto moreText = [&](std::size_t n) { return tr("+%1 more").arg(n); };
    std::vector<Entry> legend = layoutLegend(0);
    if (legend.size() < m_series.size())
        legend = layoutLegend(fm.horizontalAdvance(moreText(m_series.size())) + 4);
    m_legendHidden = int(m_series.size() - legend.size());
    int ly = kPad;
    m_legendRect = QRect(0, 0, width(), kPad);
    for (const Entry &e : legend) {
        const int cy = e.at.y() + fm.height() / 2;
        p.setPen(QPen(e.series->color, 2, e.series->style));
        p.drawLine(e.at.x(), cy, e.at.x() + swatch, cy);
        p.setPen(palette().color(QPalette::Text));
        p.drawText(e.at.x() + swatch + 4, e.at.y() + fm.ascent(), e.label);
        ly = e.at.y();
        m_legendRect.setBottom(e.at.y() + fm.height());
    }
    if (m_legendHidden > 0) {
        const Entry &e = legend.back();
        const int moreX = e.at.x() + swatch + 4 + fm.horizontalAdvance(e.label) + 14;
        p.setPen(palette().color(QPalette::PlaceholderText));
        p.drawText(moreX, e.at.y() + fm.ascent(), moreText(std::size_t(m_legendHidden)));
    }
    return ly;
}

bool MetricChart::placePlot(Frame &f, int legendY) const
{
    const QFontMetrics fm(font());
    f.leftTicks = f.left.valid() ? f.left.ticks(5) : std::vector<double>{};
    f.rightTicks = f.anyRight ? f.right.ticks(5) : std::vector<double>{};
    auto widest = [&](const std::vector<double> &ticks) {
        int w = 0;
        const double step = ticks.size() > 1 ? ticks[1] - ticks[0] : 1;
        for (double t : ticks)
            w = std::max(w, fm.horizontalAdvance(tickText(t, step)));
        return w;
    };
    const int titleRoom = fm.height() + 4;
    f.plot = QRect(QPoint(kPad + titleRoom + widest(f.leftTicks) + 6, legendY + fm.height() + kPad + 4),
                   QPoint(width() - 1 - kPad - (f.anyRight ? titleRoom + widest(f.rightTicks) + 6 : 8),
                          height() - 1 - kPad - 2 * fm.height() - 6));
    if (f.plot.width() < 40 || f.plot.height() < 30)
        return false;
    // x: whole epochs; a single point sits in the middle.
    f.x0 = f.x.lo;
    f.x1 = f.x.hi;
    if (f.x1 - f.x0 < 1e-9) {
        f.x0 -= 1;
        f.x1 += 1;
    }
    return true;
}

void MetricChart::paintAxes(QPainter &p, const Frame &f)
{
    // Grid and tick labels.
    const QFontMetrics fm(font());
    const QColor axisColor = palette().color(QPalette::Text);
    QColor gridColor = palette().color(QPalette::Mid);
    gridColor.setAlpha(70);
    const QRect &plot = f.plot;
    p.setFont(font());
    const double leftStep = f.leftTicks.size() > 1 ? f.leftTicks[1] - f.leftTicks[0] : 1;
    for (double t : f.leftTicks) {
        const double y = f.py(f.left, t);
        p.setPen(QPen(gridColor, 1));
        p.drawLine(QPointF(plot.left(), y), QPointF(plot.right(), y));
        p.setPen(axisColor);
        const QString text = tickText(t, leftStep);
        p.drawText(QRectF(plot.left() - 6 - fm.horizontalAdvance(text), y - fm.height() / 2.0,
                          fm.horizontalAdvance(text), fm.height()),
                   Qt::AlignRight | Qt::AlignVCenter, text);
    }
    const double rightStep = f.rightTicks.size() > 1 ? f.rightTicks[1] - f.rightTicks[0] : 1;
    for (double t : f.rightTicks) {
        const double y = f.py(f.right, t);
        p.setPen(axisColor);
        p.drawLine(QPointF(plot.right(), y), QPointF(plot.right() + 3, y));
        p.drawText(QRectF(plot.right() + 6, y - fm.height() / 2.0, fm.horizontalAdvance(tickText(t, rightStep)) + 2,
                          fm.height()),
                   Qt::AlignLeft | Qt::AlignVCenter, tickText(t, rightStep));
    }
    const std::vector<double> xTicks = [&] {
        std::vector<double> t = niceTicks(f.x0, f.x1, std::clamp(plot.width() / 50, 2, 10));
        std::erase_if(
            t, [&](double v) { return v < f.x0 - 1e-9 || v > f.x1 + 1e-9 || std::abs(v - std::round(v)) > 1e-9; });
        return t;
    }();
    for (double t : xTicks) {
        const double xx = f.px(t);
        p.setPen(axisColor);
        p.drawLine(QPointF(xx, plot.bottom()), QPointF(xx, plot.bottom() + 3));
        const QString text = QString::number(qint64(std::llround(t)));
        p.drawText(QRectF(xx - 30, plot.bottom() + 4, 60, fm.height()), Qt::AlignHCenter | Qt::AlignTop, text);
    }
    p.setPen(QPen(axisColor, 1));
    p.drawLine(plot.bottomLeft(), plot.bottomRight());
    p.drawLine(plot.bottomLeft(), plot.topLeft());
    if (f.anyRight)
        p.drawLine(plot.bottomRight(), plot.topRight());
}

void MetricChart::paintAxisTitles(QPainter &p, const Frame &f)
{
    const QFontMetrics fm(font());
    const QColor axisColor = palette().color(QPalette::Text);
    const QRect &plot = f.plot;
    p.drawText(QRect(plot.left(), plot.bottom() + 4 + fm.height(), plot.width(), fm.height()), Qt::AlignHCenter,
               m_xTitle);
    auto verticalTitle = [&](const QString &text, int cx, const QColor &color) {
        p.save();
        p.setPen(color);
        p.translate(cx, plot.center().y());
        p.rotate(-90);
        p.drawText(QRect(-plot.height() / 2, -fm.height() / 2, plot.height(), fm.height()), Qt::AlignCenter, text);
        p.restore();
    };
    auto titleColor = [&](bool rightSide) {
        // The axis title takes its series' colour when one colour owns the axis.
        QColor c;
        for (const ChartSeries &s : m_series) {
            if (s.rightAxis != rightSide)
                continue;
            if (c.isValid() && c != s.color)
                return axisColor;
            c = s.color;
        }
        return c.isValid() ? c : axisColor;
    };
    if (!f.leftTicks.empty())
        verticalTitle(m_leftTitle, kPad + fm.height() / 2, titleColor(false));
    if (f.anyRight)
        verticalTitle(m_rightTitle, width() - kPad - fm.height() / 2, titleColor(true));
}

void MetricChart::thinCurves(const Frame &f)
{
    // The curves in pixels, thinned per pixel column; made again only when the plot or the ranges change.
    const DrawnKey key{f.plot, f.x0, f.x1, f.left.lo, f.left.hi, f.right.lo, f.right.hi};
    if (m_drawn.size() == m_series.size() && key == m_drawnKey)
        return;
    m_drawn.assign(m_series.size(), {});
    m_drawnKey = key;
    std::vector<QPointF> pixels;
    for (std::size_t i = 0; i < m_series.size(); ++i) {
        const ChartSeries &s = m_series[i];
        const Range &r = s.rightAxis ? f.right : f.left;
        pixels.clear();
        pixels.reserve(s.points.size());
        std::size_t finite = 0;
        for (const QPointF &pt : s.points) {
            // A non-finite value is a gap in the line.
            pixels.emplace_back(f.px(pt.x()), std::isfinite(pt.y()) ? f.py(r, pt.y()) : pt.y());
            finite += std::isfinite(pt.y()) ? 1 : 0;
        }
        if (finite <= 40)
            for (const QPointF &at : pixels)
                if (std::isfinite(at.y()))
                    m_drawn[i].marks.push_back(at);
        m_drawn[i].lines = decimatePolyline(pixels);
    }
}

void MetricChart::paintCurves(QPainter &p, const Frame &f)
{
    // The curves, clipped to the plot; markers while there are few points.
    p.setClipRect(f.plot.adjusted(-4, -4, 4, 4));
    for (std::size_t i = 0; i < m_series.size(); ++i) {
        const ChartSeries &s = m_series[i];
        // A line with more corners than the plot has pixel columns is a band of zigzags whose corners cannot be
        // told apart: drawn 2 px wide still, but without antialiasing and round joins, which cost ~15x as much to
        // stroke (20 thinned lines of ~3,700 corners: ~1.5 s with them, ~0.1 s without).
        std::size_t corners = 0;
        for (const QPolygonF &line : m_drawn[i].lines)
            corners += std::size_t(line.size());
        const bool dense = corners > std::size_t(f.plot.width());
        p.setRenderHint(QPainter::Antialiasing, !dense);
        p.setPen(dense ? QPen(s.color, 2, s.style, Qt::FlatCap, Qt::BevelJoin)
                       : QPen(s.color, 2, s.style, Qt::RoundCap, Qt::RoundJoin));
        p.setBrush(Qt::NoBrush);
        for (const QPolygonF &line : m_drawn[i].lines)
            if (line.size() > 1) // a lone point between gaps has no line (its marker shows it)
                p.drawPolyline(line);
        p.setRenderHint(QPainter::Antialiasing);
        if (!m_drawn[i].marks.empty()) {
            p.setPen(QPen(s.color, 1.5));
            p.setBrush(palette().color(QPalette::Base));
            for (const QPointF &m : m_drawn[i].marks)
                p.drawEllipse(m, 2.5, 2.5);
        }
    }
}

bool MetricChart::event(QEvent *e)
{
    if (e->type() == QEvent::ToolTip) {
        const auto *help = static_cast<QHelpEvent *>(e);
        if (!m_series.empty() && m_legendRect.contains(help->pos())) {
            // Every series, full label and colour: the legend may have elided or left out some.
            QString text;
            for (const ChartSeries &s : m_series)
                text += QStringLiteral("<span style='color:%1'>&#9632;</span>&nbsp;%2<br>")
                            .arg(s.color.name(), s.label.toHtmlEscaped());
            QToolTip::showText(help->globalPos(), text, this);
        } else {
            QToolTip::hideText();
            e->ignore();
        }
        return true;
    }
    return QWidget::event(e);
}

} // namespace pw::ui
