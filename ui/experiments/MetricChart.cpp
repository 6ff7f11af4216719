// The metric chart on QCustomPlot.
#include "ui/experiments/MetricChart.h"

#include <QContextMenuEvent>
#include <QEvent>
#include <QHelpEvent>
#include <QMenu>
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

namespace {

constexpr int kMaxMarkedPoints = 40; // a curve with this few points shows each one
constexpr int kHoverReach = 12; // pixels from a point within which a hover names it

// The "+N more" at the end of a legend with no room for every series (its tooltip lists them all).
class MoreLegendItem : public QCPAbstractLegendItem
{
public:
    MoreLegendItem(QCPLegend *parent, const QString &text)
        : QCPAbstractLegendItem(parent)
        , m_text(text)
    {
    }

protected:
    void draw(QCPPainter *painter) override
    {
        painter->setFont(mFont);
        painter->setPen(QPen(mTextColor));
        painter->drawText(mRect, Qt::AlignLeft | Qt::AlignVCenter, m_text);
    }
    QSize minimumOuterSizeHint() const override
    {
        const QFontMetrics fm(mFont);
        return QSize(fm.horizontalAdvance(m_text), fm.height())
               + QSize(mMargins.left() + mMargins.right(), mMargins.top() + mMargins.bottom());
    }

private:
    QString m_text;
};

QColor dimmed(const QColor &c)
{
    QColor d = c;
    d.setAlpha(70);
    return d;
}

} // namespace

MetricChart::MetricChart(QWidget *parent)
    : QCustomPlot(parent)
{
    setSizePolicy(QSizePolicy::Expanding, QSizePolicy::Expanding);
    stylePlot(*this);
    enableZoomAndPan(*this);
    // The legend sits in a row of its own above the plot, wrapping into columns.
    plotLayout()->insertRow(0);
    plotLayout()->addElement(0, 0, legend);
    plotLayout()->setRowStretchFactor(0, 0.001);
    legend->setFillOrder(QCPLayoutGrid::foColumnsFirst);
    legend->setIconSize(18, 4);
    legend->setRowSpacing(0);
    legend->setColumnSpacing(10);
    legend->setMargins(QMargins(6, 2, 6, 0));
    legend->setVisible(false);
    axisRect()->setupFullAxesBox(false);
    xAxis2->setVisible(false);
    yAxis2->setVisible(false);
    connect(this, &QCustomPlot::legendClick, this,
            [this](QCPLegend *, QCPAbstractLegendItem *item, QMouseEvent *) { toggleFromLegend(item); });
    setMouseTracking(true);
}

void MetricChart::setSeries(std::vector<ChartSeries> series, const QString &leftTitle, const QString &rightTitle,
                            const QString &xTitle)
{
    m_series = std::move(series);
    m_leftTitle = leftTitle;
    m_rightTitle = rightTitle;
    m_xTitle = xTitle;
    m_message.clear();
    buildGraphs();
    setUpAxes();
    fitToData();
}

void MetricChart::setMessage(const QString &text)
{
    m_series.clear();
    m_message = text;
    buildGraphs();
    refresh();
}

void MetricChart::buildGraphs()
{
    legend->clearItems();
    clearGraphs();
    m_graphs.clear();
    for (const ChartSeries &s : m_series) {
        QCPGraph *g = addGraph(xAxis, s.rightAxis ? yAxis2 : yAxis);
        g->setName(s.label);
        g->setPen(QPen(s.color, 2, s.style));
        g->setAdaptiveSampling(true);
        // A curve with more points than a screen has pixel columns is drawn as a band of zigzags whose corners
        // cannot be told apart: without antialiasing it costs a fraction (20 runs x 10,000 steps: ~1.7 s with).
        g->setAntialiased(s.points.size() <= 2000);
        QVector<double> keys, values;
        keys.reserve(qsizetype(s.points.size()));
        values.reserve(qsizetype(s.points.size()));
        int finite = 0;
        for (const QPointF &pt : s.points) {
            keys << pt.x();
            // A non-finite value is a gap in the line (QCustomPlot breaks a graph at NaN).
            values << (std::isfinite(pt.y()) ? pt.y() : std::numeric_limits<double>::quiet_NaN());
            finite += std::isfinite(pt.y()) ? 1 : 0;
        }
        g->setData(keys, values, std::is_sorted(keys.cbegin(), keys.cend()));
        if (finite <= kMaxMarkedPoints)
            g->setScatterStyle(
                QCPScatterStyle(QCPScatterStyle::ssCircle, QPen(s.color, 1.5), palette().brush(QPalette::Base), 5));
        g->setVisible(!m_hiddenLabels.contains(s.label));
        g->removeFromLegend();
        m_graphs.push_back(g);
    }
    layOutLegend();
}

void MetricChart::setUpAxes()
{
    bool anyRight = false;
    for (const ChartSeries &s : m_series)
        anyRight = anyRight || s.rightAxis;
    // The axis title takes its series' colour when one colour owns the axis.
    const auto titleColor = [&](bool rightSide) {
        const QColor text = palette().color(QPalette::Text);
        QColor c;
        for (const ChartSeries &s : m_series) {
            if (s.rightAxis != rightSide)
                continue;
            if (c.isValid() && c != s.color)
                return text;
            c = s.color;
        }
        return c.isValid() ? c : text;
    };
    xAxis->setLabel(m_xTitle);
    // Epochs and steps are whole numbers: ticks at whole numbers only (a 2-epoch run showed 1, 1.2, 1.4, …).
    const bool whole = std::all_of(m_series.begin(), m_series.end(), [](const ChartSeries &s) {
        return std::all_of(s.points.begin(), s.points.end(),
                           [](const QPointF &p) { return p.x() == std::floor(p.x()); });
    });
    if (whole) {
        auto ticker = QSharedPointer<QCPAxisTickerFixed>::create();
        ticker->setTickStep(1);
        ticker->setScaleStrategy(QCPAxisTickerFixed::ssMultiples);
        xAxis->setTicker(ticker);
    } else {
        xAxis->setTicker(QSharedPointer<QCPAxisTicker>::create());
    }
    yAxis->setLabel(m_leftTitle);
    yAxis->setLabelColor(titleColor(false));
    yAxis2->setVisible(anyRight);
    yAxis2->setTickLabels(anyRight);
    yAxis2->setLabel(anyRight ? m_rightTitle : QString());
    yAxis2->setLabelColor(titleColor(true));
    yAxis->setScaleType(m_logY ? QCPAxis::stLogarithmic : QCPAxis::stLinear);
    if (m_logY)
        yAxis->setTicker(QSharedPointer<QCPAxisTickerLog>::create());
    else
        yAxis->setTicker(QSharedPointer<QCPAxisTicker>::create());
}

void MetricChart::layOutLegend()
{
    // Columns as many as fit the width; rows at most a fifth of the height (one at least); the series with no
    // room left are counted in a "+N more" whose tooltip lists every series.
    legend->clearItems();
    m_legendHidden = 0;
    legend->setVisible(!m_graphs.empty());
    if (m_graphs.empty())
        return;
    const QFontMetrics fm(font());
    const int rowHeight = fm.height() + 2;
    const int maxRows = std::max(1, height() / 5 / rowHeight);
    const int maxLabel = std::max(80, width() / 3);
    int widest = 0;
    for (std::size_t i = 0; i < m_series.size(); ++i) {
        const QString label = fm.elidedText(m_series[i].label, Qt::ElideMiddle, maxLabel);
        m_graphs[i]->setName(label);
        widest = std::max(widest, fm.horizontalAdvance(label));
    }
    const int entryWidth = 18 + 7 + widest + 10 + 8;
    const int columns = std::max(1, (width() - 12) / entryWidth);
    legend->setWrap(columns);
    int room = columns * maxRows;
    const int total = int(m_graphs.size());
    if (room < total)
        --room; // the last place says "+N more"
    const int shown = std::clamp(room, 1, total);
    for (int i = 0; i < shown; ++i) {
        m_graphs[std::size_t(i)]->addToLegend(legend);
        if (auto *item = legend->itemWithPlottable(m_graphs[std::size_t(i)]))
            item->setTextColor(m_graphs[std::size_t(i)]->visible() ? palette().color(QPalette::Text)
                                                                   : palette().color(QPalette::PlaceholderText));
    }
    m_legendHidden = total - shown;
    if (m_legendHidden > 0) {
        auto *more = new MoreLegendItem(legend, tr("+%1 more").arg(m_legendHidden));
        more->setTextColor(palette().color(QPalette::PlaceholderText));
        legend->addItem(more);
    }
}

void MetricChart::toggleFromLegend(QCPAbstractLegendItem *item)
{
    auto *entry = qobject_cast<QCPPlottableLegendItem *>(item);
    if (!entry)
        return;
    for (std::size_t i = 0; i < m_graphs.size(); ++i)
        if (m_graphs[i] == entry->plottable())
            setSeriesVisible(i, !m_graphs[i]->visible());
}

bool MetricChart::isSeriesVisible(std::size_t i) const
{
    return i < m_graphs.size() && m_graphs[i]->visible();
}

void MetricChart::setSeriesVisible(std::size_t i, bool visible)
{
    if (i >= m_graphs.size())
        return;
    m_graphs[i]->setVisible(visible);
    if (visible)
        m_hiddenLabels.remove(m_series[i].label);
    else
        m_hiddenLabels.insert(m_series[i].label);
    if (auto *item = legend->itemWithPlottable(m_graphs[i]))
        item->setTextColor(visible ? palette().color(QPalette::Text) : palette().color(QPalette::PlaceholderText));
    if (m_graphs[i]->scatterStyle().shape() != QCPScatterStyle::ssNone)
        m_graphs[i]->setScatterStyle(QCPScatterStyle(QCPScatterStyle::ssCircle, QPen(m_series[i].color, 1.5),
                                                     palette().brush(QPalette::Base), 5));
    refresh();
}

QRect MetricChart::legendEntryRect(std::size_t i) const
{
    if (i >= m_graphs.size())
        return {};
    const QCPPlottableLegendItem *item = legend->itemWithPlottable(m_graphs[i]);
    return item && legend->visible() ? item->outerRect() : QRect();
}

void MetricChart::setLogY(bool on)
{
    if (on == m_logY)
        return;
    m_logY = on;
    setUpAxes();
    fitToData();
    Q_EMIT logYChanged(on);
}

void MetricChart::fitToData()
{
    // The data's ranges with a margin; a flat curve or a single point gets room around it.
    bool found = false;
    const auto pad = [](QCPAxis *axis, QCPRange r, bool log) {
        if (log) {
            axis->setRange(r.lower / 1.5, r.upper * 1.5);
            return;
        }
        if (r.size() < 1e-12) {
            const double d = std::max(std::abs(r.lower) * 0.05, 1e-3);
            r = QCPRange(r.lower - d, r.upper + d);
        }
        axis->setRange(r.lower - r.size() * 0.05, r.upper + r.size() * 0.05);
    };
    QCPRange keys, left, right;
    bool anyKey = false, anyLeft = false, anyRight = false;
    for (QCPGraph *g : m_graphs) {
        if (!g->visible())
            continue;
        bool ok = false;
        const QCPRange k = g->getKeyRange(ok);
        if (ok)
            keys = anyKey ? QCPRange(std::min(keys.lower, k.lower), std::max(keys.upper, k.upper)) : k;
        anyKey = anyKey || ok;
        const bool rightSide = g->valueAxis() == yAxis2;
        const QCPRange v = g->getValueRange(ok, QCP::sdBoth);
        QCPRange &into = rightSide ? right : left;
        bool &any = rightSide ? anyRight : anyLeft;
        if (ok)
            into = any ? QCPRange(std::min(into.lower, v.lower), std::max(into.upper, v.upper)) : v;
        any = any || ok;
        found = found || ok;
    }
    if (anyKey) {
        if (keys.size() < 1e-9)
            keys = QCPRange(keys.lower - 1, keys.upper + 1);
        xAxis->setRange(keys);
    }
    if (anyLeft)
        pad(yAxis, left, m_logY);
    if (anyRight)
        pad(yAxis2, right, false);
    Q_UNUSED(found);
    refresh();
}

QRect MetricChart::plotRect() const
{
    return axisRect()->rect();
}

void MetricChart::refresh()
{
    // A chart resized while hidden has not had its resize event yet: its paint buffers follow its size now, so
    // that render() into an image draws what a shown chart would.
    if (viewport() != rect()) {
        setViewport(rect());
        layOutLegend();
    }
    replot(QCustomPlot::rpQueuedRefresh);
}

void MetricChart::resizeEvent(QResizeEvent *event)
{
    setViewport(rect());
    layOutLegend();
    QCustomPlot::resizeEvent(event);
}

void MetricChart::paintEvent(QPaintEvent *event)
{
    if (m_message.isEmpty() && !m_series.empty()) {
        QCustomPlot::paintEvent(event);
        return;
    }
    QPainter p(this);
    p.fillRect(rect(), palette().brush(QPalette::Base));
    p.setPen(palette().color(QPalette::PlaceholderText));
    p.drawText(rect().adjusted(8, 8, -8, -8), Qt::AlignCenter | Qt::TextWordWrap,
               m_message.isEmpty() ? tr("No per-epoch metrics logged") : m_message);
}

QString MetricChart::pointToolTip(const QPoint &pos) const
{
    double best = kHoverReach * kHoverReach;
    QString text;
    for (std::size_t i = 0; i < m_graphs.size(); ++i) {
        const QCPGraph *g = m_graphs[i];
        if (!g->visible() || g->data()->isEmpty())
            continue;
        const double key = g->keyAxis()->pixelToCoord(pos.x());
        auto it = g->data()->findBegin(key, false);
        // The point at or after the hovered x and the one before it: the nearer in pixels counts.
        for (auto at : {it, it == g->data()->constBegin() ? it : it - 1}) {
            if (at == g->data()->constEnd() || !std::isfinite(at->value))
                continue;
            const double dx = g->keyAxis()->coordToPixel(at->key) - pos.x();
            const double dy = g->valueAxis()->coordToPixel(at->value) - pos.y();
            if (dx * dx + dy * dy > best)
                continue;
            best = dx * dx + dy * dy;
            text = QStringLiteral("<span style='color:%1'>&#9632;</span>&nbsp;<b>%2</b><br>%3 %4: %5")
                       .arg(m_series[i].color.name(), m_series[i].label.toHtmlEscaped(), m_xTitle.toHtmlEscaped(),
                            QString::number(at->key, 'g', 8), QString::number(at->value, 'g', 6));
        }
    }
    return text;
}

void MetricChart::mouseMoveEvent(QMouseEvent *event)
{
    QCustomPlot::mouseMoveEvent(event);
    if (event->buttons() != Qt::NoButton || m_graphs.empty())
        return;
    const QString text = pointToolTip(event->position().toPoint());
    if (text.isEmpty())
        QToolTip::hideText();
    else
        QToolTip::showText(event->globalPosition().toPoint(), text, this);
}

void MetricChart::mouseDoubleClickEvent(QMouseEvent *event)
{
    QCustomPlot::mouseDoubleClickEvent(event);
    if (!legend->visible() || !legend->outerRect().contains(event->position().toPoint()))
        fitToData();
}

void MetricChart::contextMenuEvent(QContextMenuEvent *event)
{
    QMenu menu(this);
    menu.addAction(tr("Fit to data"), this, &MetricChart::fitToData);
    QAction *log = menu.addAction(tr("Logarithmic y axis"), this, [this](bool on) { setLogY(on); });
    log->setCheckable(true);
    log->setChecked(m_logY);
    menu.addSeparator();
    menu.addAction(tr("Export as PNG, PDF or SVG…"), this, [this] {
        exportPlotInteractively(*this, (m_leftTitle.isEmpty() ? "chart" : m_leftTitle) + ".png");
    });
    menu.exec(event->globalPos());
}

bool MetricChart::event(QEvent *e)
{
    if (e->type() == QEvent::ToolTip) {
        const auto *help = static_cast<QHelpEvent *>(e);
        if (!m_series.empty() && legend->visible() && legend->outerRect().contains(help->pos())) {
            // Every series, full label and colour: the legend may have elided or left out some.
            QString text;
            for (const ChartSeries &s : m_series)
                text += QStringLiteral("<span style='color:%1'>&#9632;</span>&nbsp;%2<br>")
                            .arg(s.color.name(), s.label.toHtmlEscaped());
            QToolTip::showText(help->globalPos(), text, this);
        } else if (const QString point = pointToolTip(help->pos()); !point.isEmpty()) {
            QToolTip::showText(help->globalPos(), point, this);
        } else {
            QToolTip::hideText();
            e->ignore();
        }
        return true;
    }
    return QCustomPlot::event(e);
}

} // namespace pw::ui
