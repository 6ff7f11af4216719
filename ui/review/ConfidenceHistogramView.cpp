// The confidence histogram with its draggable threshold line.
#include "ui/review/ConfidenceHistogramView.h"

#include <QLocale>
#include <QMouseEvent>
#include <QPainter>

#include <algorithm>
#include <cmath>
#include <numeric>

namespace pw::ui {

ConfidenceHistogramView::ConfidenceHistogramView(QWidget *parent)
    : QWidget(parent)
{
    setToolTip(tr("Confidence of the model's predictions of the scored table; drag the line to see the queue a "
                  "threshold gives"));
    setMouseTracking(false);
}

void ConfidenceHistogramView::setCounts(std::vector<std::int64_t> counts)
{
    m_counts = std::move(counts);
    m_total = std::accumulate(m_counts.begin(), m_counts.end(), std::int64_t(0));
    setThreshold(m_threshold); // snap to the new bins
    update();
}

void ConfidenceHistogramView::setThreshold(double threshold)
{
    const double bins = double(m_counts.size());
    const double snapped = std::clamp(bins > 0 ? std::round(threshold * bins) / bins : threshold, 0.0, 1.0);
    if (snapped == m_threshold)
        return;
    m_threshold = snapped;
    update();
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
    return rect().adjusted(8, 8, -8, -22);
}

double ConfidenceHistogramView::thresholdAt(int x) const
{
    const QRect r = plotRect();
    return std::clamp(double(x - r.left()) / std::max(1, r.width()), 0.0, 1.0);
}

void ConfidenceHistogramView::paintEvent(QPaintEvent *)
{
    QPainter p(this);
    p.fillRect(rect(), palette().base());
    const QRect r = plotRect();
    p.setPen(palette().color(QPalette::Mid));
    p.drawRect(r.adjusted(0, 0, -1, -1));
    if (m_counts.empty()) {
        p.setPen(palette().color(QPalette::PlaceholderText));
        p.drawText(r, Qt::AlignCenter, tr("No scored table"));
        return;
    }
    const std::int64_t peak = std::max<std::int64_t>(1, *std::max_element(m_counts.begin(), m_counts.end()));
    const double w = double(r.width()) / double(m_counts.size());
    for (std::size_t i = 0; i < m_counts.size(); ++i) {
        const double h = double(r.height() - 2) * double(m_counts[i]) / double(peak);
        const QRectF bar(r.left() + w * double(i), r.bottom() - h, std::max(1.0, w - 1), h);
        const bool below = (double(i) + 0.5) / double(m_counts.size()) < m_threshold;
        p.fillRect(bar, below ? QColor(0xd6, 0x27, 0x28) : QColor(0x1f, 0x77, 0xb4));
    }
    const int x = r.left() + int(std::lround(m_threshold * r.width()));
    p.setPen(QPen(palette().color(QPalette::Text), 2));
    p.drawLine(x, r.top(), x, r.bottom());
    p.setPen(palette().color(QPalette::Text));
    const QLocale locale;
    p.drawText(QRect(r.left(), r.bottom() + 2, r.width(), 20), Qt::AlignLeft | Qt::AlignVCenter, QStringLiteral("0"));
    p.drawText(QRect(r.left(), r.bottom() + 2, r.width(), 20), Qt::AlignRight | Qt::AlignVCenter, QStringLiteral("1"));
    p.drawText(QRect(r.left(), r.bottom() + 2, r.width(), 20), Qt::AlignHCenter | Qt::AlignVCenter,
               tr("threshold %1: %2 of %3 below")
                   .arg(m_threshold, 0, 'f', 2)
                   .arg(locale.toString(qint64(countBelow())), locale.toString(qint64(m_total))));
}

void ConfidenceHistogramView::mousePressEvent(QMouseEvent *event)
{
    if (event->button() == Qt::LeftButton)
        setThreshold(thresholdAt(event->position().toPoint().x()));
}

void ConfidenceHistogramView::mouseMoveEvent(QMouseEvent *event)
{
    if (event->buttons() & Qt::LeftButton)
        setThreshold(thresholdAt(event->position().toPoint().x()));
}

} // namespace pw::ui
