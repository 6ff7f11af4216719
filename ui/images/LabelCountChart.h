// A bar chart of the images shown per label (drawn with QPainter: one bar per class, its count above it).
#pragma once

#include <QWidget>

#include <cstdint>
#include <map>
#include <string>

namespace pw::ui {

class LabelCountChart : public QWidget
{
    Q_OBJECT
public:
    explicit LabelCountChart(QWidget *parent = nullptr);

    void setCounts(const std::map<std::string, std::int64_t> &counts);
    const std::map<std::string, std::int64_t> &counts() const { return m_counts; }
    QSize sizeHint() const override { return {400, 140}; }

protected:
    void paintEvent(QPaintEvent *event) override;

private:
    std::map<std::string, std::int64_t> m_counts;
};

} // namespace pw::ui
