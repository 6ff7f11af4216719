// The per-label count chart of the image browser.
#include "ui/images/LabelCountChart.h"

#include <QPainter>

#include <algorithm>

namespace pw::ui {

LabelCountChart::LabelCountChart(QWidget *parent)
    : QWidget(parent)
{
    setMinimumHeight(110);
}

void LabelCountChart::setCounts(const std::map<std::string, std::int64_t> &counts)
{
    m_counts = counts;
    QStringList tip;
    for (const auto &[label, n] : m_counts)
        tip << tr("%1: %2").arg(label.empty() ? tr("(unlabeled)") : QString::fromStdString(label)).arg(n);
    setToolTip(tip.join('\n'));
    update();
}

void LabelCountChart::paintEvent(QPaintEvent *)
{
    QPainter p(this);
    p.setRenderHint(QPainter::Antialiasing);
    const QRect area = rect().adjusted(6, 6, -6, -6);
    if (m_counts.empty()) {
        p.setPen(palette().color(QPalette::PlaceholderText));
        p.drawText(area, Qt::AlignCenter, tr("No images"));
        return;
    }
    std::int64_t most = 1;
    for (const auto &entry : m_counts)
        most = std::max(most, entry.second);
    const QFontMetrics fm(font());
    const int textH = fm.height();
    const int barAreaTop = area.top() + textH;
    const int barAreaBottom = area.bottom() - textH - 2;
    const int n = int(m_counts.size());
    const double slot = double(area.width()) / n;
    int i = 0;
    for (const auto &[label, count] : m_counts) {
        const int x = area.left() + int(i * slot);
        const int w = std::max(2, int(slot * 0.7));
        const int h = int(double(barAreaBottom - barAreaTop) * double(count) / double(most));
        const QRect bar(x + int(slot * 0.15), barAreaBottom - h, w, h);
        p.fillRect(bar, palette().color(QPalette::Highlight));
        p.setPen(palette().color(QPalette::WindowText));
        p.drawText(QRect(x, bar.top() - textH, int(slot), textH), Qt::AlignHCenter | Qt::AlignBottom,
                   QString::number(count));
        const QString name = label.empty() ? tr("(none)") : QString::fromStdString(label);
        p.drawText(QRect(x, barAreaBottom + 2, int(slot), textH), Qt::AlignHCenter | Qt::AlignTop,
                   fm.elidedText(name, Qt::ElideRight, int(slot)));
        ++i;
    }
}

} // namespace pw::ui
