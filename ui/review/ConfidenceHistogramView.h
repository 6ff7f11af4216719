// The threshold tuner of the Review page: the confidence histogram of a scored table drawn with QPainter, and
// a threshold line the reviewer drags; the images below it are the review queue that threshold would give.
#pragma once

#include <QWidget>

#include <cstdint>
#include <vector>

namespace pw::ui {

class ConfidenceHistogramView : public QWidget
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

    QSize sizeHint() const override { return {360, 140}; }
    QSize minimumSizeHint() const override { return {160, 80}; }

Q_SIGNALS:
    void thresholdChanged(double threshold);

protected:
    void paintEvent(QPaintEvent *event) override;
    void mousePressEvent(QMouseEvent *event) override;
    void mouseMoveEvent(QMouseEvent *event) override;

private:
    QRect plotRect() const;

    std::vector<std::int64_t> m_counts;
    std::int64_t m_total = 0;
    double m_threshold = 0.95;
};

} // namespace pw::ui
