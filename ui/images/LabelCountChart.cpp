// The per-label count chart of the image browser, on QCustomPlot.
#include "ui/images/LabelCountChart.h"

#include <QContextMenuEvent>
#include <QHelpEvent>
#include <QMenu>
#include <QPainter>
#include <QToolTip>

#include <algorithm>
#include <cmath>

namespace pw::ui {

namespace {

QString labelName(const std::string &label)
{
    return label.empty() ? QObject::tr("(none)") : QString::fromStdString(label);
}

} // namespace

LabelCountChart::LabelCountChart(QWidget *parent)
    : QCustomPlot(parent)
    , m_bars(new QCPBars(xAxis, yAxis))
    , m_names(QSharedPointer<QCPAxisTickerText>::create())
{
    stylePlot(*this);
    m_bars->setPen(Qt::NoPen);
    m_bars->setBrush(palette().color(QPalette::Highlight));
    m_bars->setWidth(0.7);
    xAxis->setTicker(m_names);
    xAxis->setSubTicks(false);
    xAxis->setTickLength(0, 3);
    xAxis->grid()->setVisible(false);
    yAxis->setLabel(tr("images"));
    // The wheel zooms and a drag pans along the labels, for tables with many classes.
    setInteractions(QCP::iRangeDrag | QCP::iRangeZoom);
    axisRect()->setRangeDrag(Qt::Horizontal);
    axisRect()->setRangeZoom(Qt::Horizontal);
}

void LabelCountChart::setCounts(const std::map<std::string, std::int64_t> &counts)
{
    m_counts = counts;
    m_names->clear();
    QVector<double> keys, values;
    std::int64_t most = 1;
    for (const auto &[label, n] : m_counts) {
        keys << double(keys.size());
        values << double(n);
        m_names->addTick(keys.back(), labelName(label));
        most = std::max(most, n);
    }
    m_bars->setData(keys, values, true);
    // Each bar's count above it.
    clearItems();
    for (int i = 0; i < keys.size(); ++i) {
        auto *text = new QCPItemText(this);
        text->setText(QString::number(qint64(values[i])));
        text->setPositionAlignment(Qt::AlignHCenter | Qt::AlignBottom);
        text->position->setCoords(keys[i], values[i]);
        text->setColor(palette().color(QPalette::Text));
        text->setFont(font());
        text->setClipToAxisRect(false);
    }
    xAxis->setRange(-0.6, std::max(0.6, double(keys.size()) - 0.4));
    yAxis->setRange(0, double(most) * 1.25);
    fitNames();
    refresh();
}

void LabelCountChart::fitNames()
{
    // Side by side while every name fits its bar's slot; turned 45 degrees, then upright, when they would collide.
    if (m_counts.empty())
        return;
    const QFontMetrics fm(font());
    int widest = 0;
    for (const auto &entry : m_counts)
        widest = std::max(widest, fm.horizontalAdvance(labelName(entry.first)));
    // The widget's width less the count axis: the axis rect itself is laid out only at the next replot.
    const double slot = double(std::max(1, width() - 60)) / std::max(1.0, xAxis->range().size());
    const double rotation = widest + 6 <= slot ? 0 : fm.height() * 1.5 <= slot ? -45 : -90;
    xAxis->setTickLabelRotation(rotation);
}

QStringList LabelCountChart::tickNames() const
{
    QStringList names;
    for (const auto &entry : m_counts)
        names << labelName(entry.first);
    return names;
}

double LabelCountChart::tickRotation() const
{
    return xAxis->tickLabelRotation();
}

void LabelCountChart::refresh()
{
    if (viewport() != rect())
        setViewport(rect());
    replot(QCustomPlot::rpQueuedRefresh);
}

void LabelCountChart::resizeEvent(QResizeEvent *event)
{
    setViewport(rect());
    fitNames();
    QCustomPlot::resizeEvent(event);
}

void LabelCountChart::paintEvent(QPaintEvent *event)
{
    if (!m_counts.empty()) {
        QCustomPlot::paintEvent(event);
        return;
    }
    QPainter p(this);
    p.fillRect(rect(), palette().brush(QPalette::Base));
    p.setPen(palette().color(QPalette::PlaceholderText));
    p.drawText(rect(), Qt::AlignCenter, tr("No images"));
}

QString LabelCountChart::barToolTip(const QPoint &pos) const
{
    if (!axisRect()->rect().contains(pos))
        return {};
    const int i = int(std::lround(xAxis->pixelToCoord(pos.x())));
    if (i < 0 || i >= int(m_counts.size()))
        return {};
    const auto it = std::next(m_counts.begin(), i);
    return tr("%1: %2 images").arg(labelName(it->first).toHtmlEscaped()).arg(it->second);
}

void LabelCountChart::contextMenuEvent(QContextMenuEvent *event)
{
    QMenu menu(this);
    menu.addAction(tr("Export as PNG, PDF or SVG…"), this,
                   [this] { exportPlotInteractively(*this, QStringLiteral("labels.png")); });
    menu.exec(event->globalPos());
}

bool LabelCountChart::event(QEvent *e)
{
    if (e->type() == QEvent::ToolTip) {
        const auto *help = static_cast<QHelpEvent *>(e);
        if (const QString text = barToolTip(help->pos()); !text.isEmpty())
            QToolTip::showText(help->globalPos(), text, this);
        else
            QToolTip::hideText();
        return true;
    }
    return QCustomPlot::event(e);
}

} // namespace pw::ui
