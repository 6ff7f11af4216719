// The threshold tuner of the Review page: the confidence histogram of a scored table (QCustomPlot bars, red below
// the threshold, blue above) and a threshold line the reviewer drags; the images below it are the review queue
// that threshold would give. The wheel zooms the confidence axis (a double click shows [0, 1] again); hovering a
// bar says its range and count; the context menu exports PNG, PDF or SVG and switches a logarithmic count axis.
#pragma once

#include "ui/charts/Plot.h"

#include <cstdint>
#include <vector>

namespace pw::ui {

class ConfidenceHistogramView : public QCustomPlot
{
    Q_OBJECT
public:
    explicit ConfidenceHistogramView(QWidget *parent = nullptr);

    /** Equal bins over [0, 1]; an empty vector clears the view. */
    void setCounts(std::vector<std::int64_t> counts);
    const std::vector<std::int64_t> &counts() const { return m_counts; }
    std::int64_t total() const { return m_total; }

    /** The threshold, snapped to a bin edge so that the count below it is exact. */
    double threshold() const { return m_threshold; }
    void setThreshold(double threshold);
    /** Images with a confidence below the threshold: the queue size it gives. */
    std::int64_t countBelow() const;
    /** The threshold a drag to x (widget pixels) gives. */
    double thresholdAt(int x) const;
    /** The x (widget pixels) where the threshold line is drawn. */
    int thresholdX() const;
    /** The plot rectangle in widget pixels. */
    QRect plotRect() const;
    /** The tooltip a hover at `pos` shows: the bin's range and count. */
    QString barToolTip(const QPoint &pos) const;
    void setLogCounts(bool on);

    QSize sizeHint() const override { return {360, 160}; }
    QSize minimumSizeHint() const override { return {160, 100}; }

Q_SIGNALS:
    void thresholdChanged(double threshold);

protected:
    void mousePressEvent(QMouseEvent *event) override;
    void mouseMoveEvent(QMouseEvent *event) override;
    void mouseDoubleClickEvent(QMouseEvent *event) override;
    void resizeEvent(QResizeEvent *event) override;
    void contextMenuEvent(QContextMenuEvent *event) override;
    bool event(QEvent *event) override;

private:
    void showBars();
    void showThreshold();
    void refresh();

    std::vector<std::int64_t> m_counts;
    std::int64_t m_total = 0;
    double m_threshold = 0.95;
    bool m_logCounts = false;
    QCPBars *m_below;
    QCPBars *m_above;
    QCPItemStraightLine *m_line;
    QCPItemText *m_caption;
};

} // namespace pw::ui
