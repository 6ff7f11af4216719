// The confidence histogram with its draggable threshold line, on QCustomPlot.
#include "ui/review/ConfidenceHistogramView.h"

#include <QContextMenuEvent>
#include <QHelpEvent>
#include <QLocale>
#include <QMenu>
#include <QMouseEvent>
#include <QToolTip>

#include <algorithm>
#include <cmath>
#include <numeric>

namespace pw::ui {

ConfidenceHistogramView::ConfidenceHistogramView(QWidget *parent)
    : QCustomPlot(parent)
    , m_below(new QCPBars(xAxis, yAxis))
    , m_above(new QCPBars(xAxis, yAxis))
    , m_line(new QCPItemStraightLine(this))
    , m_caption(new QCPItemText(this))
{
    stylePlot(*this);
    // The wheel zooms the confidence axis only; a drag moves the threshold, so it does not pan.
    setInteractions(QCP::iRangeZoom);
    axisRect()->setRangeZoom(Qt::Horizontal);
    axisRect()->setAutoMargins(QCP::msLeft | QCP::msBottom | QCP::msRight);
    axisRect()->setMargins(QMargins(0, 18, 0, 0)); // the caption's line above the plot
    xAxis->setRange(0, 1);
    xAxis->setLabel(tr("confidence"));
    yAxis->setLabel(tr("images"));
    for (QCPBars *bars : {m_below, m_above}) {
        bars->setPen(Qt::NoPen);
        bars->setAntialiased(false);
    }
    m_below->setBrush(QColor(0xd6, 0x27, 0x28));
    m_above->setBrush(QColor(0x1f, 0x77, 0xb4));
    m_line->setPen(QPen(palette().color(QPalette::Text), 2));
    m_caption->setPositionAlignment(Qt::AlignHCenter | Qt::AlignBottom);
    m_caption->position->setType(QCPItemPosition::ptAxisRectRatio);
    m_caption->position->setCoords(0.5, 0);
    m_caption->setClipToAxisRect(false);
    m_caption->setColor(palette().color(QPalette::Text));
    m_caption->setFont(font());
    setToolTip(tr("Confidence of the model's predictions of the scored table; drag the line to see the queue a "
                  "threshold gives"));
    showBars();
}

void ConfidenceHistogramView::setCounts(std::vector<std::int64_t> counts)
{
    m_counts = std::move(counts);
    m_total = std::accumulate(m_counts.begin(), m_counts.end(), std::int64_t(0));
    showBars();
    setThreshold(m_threshold); // snap to the new bins
    showThreshold();
}

void ConfidenceHistogramView::showBars()
{
    // One bar per bin at its centre; the bins below the threshold in the red set, the rest in the blue.
    const double n = double(m_counts.size());
    QVector<double> keysBelow, below, keysAbove, above;
    std::int64_t peak = 1;
    for (std::size_t i = 0; i < m_counts.size(); ++i) {
        const double centre = (double(i) + 0.5) / n;
        const bool isBelow = centre < m_threshold;
        (isBelow ? keysBelow : keysAbove) << centre;
        (isBelow ? below : above) << double(m_counts[i]);
        peak = std::max(peak, m_counts[i]);
    }
    for (QCPBars *bars : {m_below, m_above})
        bars->setWidth(n > 0 ? 0.9 / n : 0.01);
    m_below->setData(keysBelow, below, true);
    m_above->setData(keysAbove, above, true);
    yAxis->setScaleType(m_logCounts ? QCPAxis::stLogarithmic : QCPAxis::stLinear);
    if (m_logCounts)
        yAxis->setTicker(QSharedPointer<QCPAxisTickerLog>::create());
    else
        yAxis->setTicker(QSharedPointer<QCPAxisTicker>::create());
    yAxis->setRange(m_logCounts ? 0.8 : 0, double(peak) * (m_logCounts ? 2 : 1.08));
    refresh();
}

void ConfidenceHistogramView::showThreshold()
{
    m_line->point1->setCoords(m_threshold, 0);
    m_line->point2->setCoords(m_threshold, 1);
    const QLocale locale;
    m_caption->setText(m_counts.empty()
                           ? tr("No scored table")
                           : tr("threshold %1: %2 of %3 below")
                                 .arg(m_threshold, 0, 'f', 2)
                                 .arg(locale.toString(qint64(countBelow())), locale.toString(qint64(m_total))));
    refresh();
}

void ConfidenceHistogramView::refresh()
{
    // A view resized while hidden has not had its resize event yet: its buffers follow its size now.
    if (viewport() != rect())
        setViewport(rect());
    replot(QCustomPlot::rpQueuedRefresh);
}

void ConfidenceHistogramView::setThreshold(double threshold)
{
    const double bins = double(m_counts.size());
    const double snapped = std::clamp(bins > 0 ? std::round(threshold * bins) / bins : threshold, 0.0, 1.0);
    if (snapped == m_threshold)
        return;
    m_threshold = snapped;
    showBars();
    showThreshold();
    Q_EMIT thresholdChanged(m_threshold);
}

std::int64_t ConfidenceHistogramView::countBelow() const
{
    // A bin edge k/n: confidence < k/n exactly when its bin (floor(confidence * n)) is below k.
    const int edge = int(std::lround(m_threshold * double(m_counts.size())));
    return std::accumulate(m_counts.begin(), m_counts.begin() + std::clamp(edge, 0, int(m_counts.size())),
                           std::int64_t(0));
}

QRect ConfidenceHistogramView::plotRect() const
{
    return axisRect()->rect();
}

double ConfidenceHistogramView::thresholdAt(int x) const
{
    return std::clamp(xAxis->pixelToCoord(x), 0.0, 1.0);
}

int ConfidenceHistogramView::thresholdX() const
{
    return int(std::lround(xAxis->coordToPixel(m_threshold)));
}

void ConfidenceHistogramView::setLogCounts(bool on)
{
    m_logCounts = on;
    showBars();
}

QString ConfidenceHistogramView::barToolTip(const QPoint &pos) const
{
    if (m_counts.empty() || !plotRect().contains(pos))
        return {};
    const double x = xAxis->pixelToCoord(pos.x());
    const int bin = int(std::floor(x * double(m_counts.size())));
    if (bin < 0 || bin >= int(m_counts.size()))
        return {};
    const double n = double(m_counts.size());
    return tr("confidence %1–%2: %3 images")
        .arg(bin / n, 0, 'f', 2)
        .arg((bin + 1) / n, 0, 'f', 2)
        .arg(QLocale().toString(qint64(m_counts[std::size_t(bin)])));
}

void ConfidenceHistogramView::resizeEvent(QResizeEvent *event)
{
    setViewport(rect());
    QCustomPlot::resizeEvent(event);
}

void ConfidenceHistogramView::mousePressEvent(QMouseEvent *event)
{
    if (event->button() == Qt::LeftButton)
        setThreshold(thresholdAt(event->position().toPoint().x()));
    QCustomPlot::mousePressEvent(event);
}

void ConfidenceHistogramView::mouseMoveEvent(QMouseEvent *event)
{
    if (event->buttons() & Qt::LeftButton)
        setThreshold(thresholdAt(event->position().toPoint().x()));
    QCustomPlot::mouseMoveEvent(event);
}

void ConfidenceHistogramView::mouseDoubleClickEvent(QMouseEvent *event)
{
    QCustomPlot::mouseDoubleClickEvent(event);
    xAxis->setRange(0, 1);
    refresh();
}

void ConfidenceHistogramView::contextMenuEvent(QContextMenuEvent *event)
{
    QMenu menu(this);
    menu.addAction(tr("Show [0, 1]"), this, [this] {
        xAxis->setRange(0, 1);
        refresh();
    });
    QAction *log = menu.addAction(tr("Logarithmic count axis"), this, [this](bool on) { setLogCounts(on); });
    log->setCheckable(true);
    log->setChecked(m_logCounts);
    menu.addSeparator();
    menu.addAction(tr("Export as PNG, PDF or SVG…"), this,
                   [this] { exportPlotInteractively(*this, QStringLiteral("confidence.png")); });
    menu.exec(event->globalPos());
}

bool ConfidenceHistogramView::event(QEvent *e)
{
    if (e->type() == QEvent::ToolTip) {
        const auto *help = static_cast<QHelpEvent *>(e);
        const QString bar = barToolTip(help->pos());
        QToolTip::showText(help->globalPos(), bar.isEmpty() ? toolTip() : bar, this);
        return true;
    }
    return QCustomPlot::event(e);
}

} // namespace pw::ui
