// A bar chart of the images shown per label (QCustomPlot: one bar per class, its count above it, the class names
// whole under the bars, turned when they would collide). Hovering a bar says its label and count; the context
// menu exports PNG, PDF or SVG.
#pragma once

#include "ui/charts/Plot.h"

#include <cstdint>
#include <map>
#include <string>

namespace pw::ui {

class LabelCountChart : public QCustomPlot
{
    Q_OBJECT
public:
    explicit LabelCountChart(QWidget *parent = nullptr);

    void setCounts(const std::map<std::string, std::int64_t> &counts);
    const std::map<std::string, std::int64_t> &counts() const { return m_counts; }
    /** The names under the bars, in order, as drawn (whole: never elided). */
    QStringList tickNames() const;
    /** The angle of the names under the bars (0, or turned when they would not fit side by side). */
    double tickRotation() const;
    /** The tooltip a hover at `pos` shows: the bar's label and count. */
    QString barToolTip(const QPoint &pos) const;
    QSize sizeHint() const override { return {400, 150}; }
    QSize minimumSizeHint() const override { return {160, 110}; }

protected:
    void resizeEvent(QResizeEvent *event) override;
    void paintEvent(QPaintEvent *event) override;
    void contextMenuEvent(QContextMenuEvent *event) override;
    bool event(QEvent *event) override;

private:
    void fitNames();
    void refresh();

    std::map<std::string, std::int64_t> m_counts;
    QCPBars *m_bars;
    QSharedPointer<QCPAxisTickerText> m_names;
};

} // namespace pw::ui
