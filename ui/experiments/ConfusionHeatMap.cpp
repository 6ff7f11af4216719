// The confusion heat map of the Experiments page.
#include "ui/experiments/ConfusionHeatMap.h"

#include <QJsonArray>
#include <QPainter>

#include <algorithm>

namespace pw::ui {

ConfusionHeatMap::ConfusionHeatMap(QWidget *parent)
    : QWidget(parent)
{
}

void ConfusionHeatMap::setEvaluation(const compute::EvaluationResult &evaluation)
{
    m_eval = evaluation;
    m_message.clear();
    update();
}

void ConfusionHeatMap::setMessage(const QString &text)
{
    m_eval = {};
    m_message = text;
    update();
}

double ConfusionHeatMap::cellShare(int trueClass, int predicted) const
{
    if (trueClass < 0 || trueClass >= int(m_eval.confusion.size()))
        return 0;
    const auto &row = m_eval.confusion[std::size_t(trueClass)];
    if (predicted < 0 || predicted >= int(row.size()))
        return 0;
    std::int64_t total = 0;
    for (auto v : row)
        total += v;
    return total ? double(row[std::size_t(predicted)]) / double(total) : 0;
}

void ConfusionHeatMap::paintEvent(QPaintEvent *)
{
    QPainter p(this);
    p.setRenderHint(QPainter::Antialiasing, false);
    const QPalette pal = palette();
    if (!hasMatrix()) {
        p.setPen(pal.color(QPalette::PlaceholderText));
        p.drawText(rect(), Qt::AlignCenter | Qt::TextWordWrap, m_message);
        return;
    }
    const int n = int(m_eval.classes.size());
    const QFontMetrics fm(font());
    int labelWidth = 0;
    for (const std::string &c : m_eval.classes)
        labelWidth = std::max(labelWidth, fm.horizontalAdvance(QString::fromStdString(c)));
    labelWidth = std::min(labelWidth + 8, width() / 3);
    const int accWidth = fm.horizontalAdvance(QStringLiteral("100.0%")) + 12;
    const int top = fm.height() * 2 + 4;
    const int cell = std::max(4, std::min((width() - labelWidth - accWidth - 4) / n, (height() - top - 4) / n));
    const QRect grid(labelWidth, top, cell * n, cell * n);

    p.setPen(pal.color(QPalette::WindowText));
    p.drawText(QRect(grid.left(), 0, grid.width(), fm.height()), Qt::AlignCenter, tr("predicted →"));
    p.drawText(QRect(grid.right() + 6, 0, accWidth, top - 2), Qt::AlignLeft | Qt::AlignBottom, tr("recall"));
    for (int i = 0; i < n; ++i) {
        const QString name = QString::fromStdString(m_eval.classes[std::size_t(i)]);
        p.drawText(QRect(0, top + i * cell, labelWidth - 6, cell), Qt::AlignRight | Qt::AlignVCenter,
                   fm.elidedText(name, Qt::ElideRight, labelWidth - 6));
        if (cell >= fm.height())
            p.drawText(QRect(grid.left() + i * cell, fm.height(), cell, top - fm.height()), Qt::AlignCenter,
                       fm.elidedText(name, Qt::ElideRight, cell));
        const auto it = m_eval.perClass.find(m_eval.classes[std::size_t(i)]);
        if (it != m_eval.perClass.end())
            p.drawText(QRect(grid.right() + 6, top + i * cell, accWidth, cell), Qt::AlignLeft | Qt::AlignVCenter,
                       QStringLiteral("%1%").arg(it->second * 100, 0, 'f', 1));
    }
    for (int r = 0; r < n; ++r) {
        for (int c = 0; c < n; ++c) {
            const double share = cellShare(r, c);
            // White to blue for the diagonal, white to red off it: mistakes stand out.
            const QColor full = r == c ? QColor(0x1a, 0x5f, 0xb4) : QColor(0xc0, 0x1c, 0x28);
            const QColor colour = QColor::fromRgbF(float(1 - share * (1 - full.redF())),
                                                   float(1 - share * (1 - full.greenF())),
                                                   float(1 - share * (1 - full.blueF())));
            const QRect box(grid.left() + c * cell, grid.top() + r * cell, cell, cell);
            p.fillRect(box, colour);
            const auto &row = m_eval.confusion.size() > std::size_t(r) ? m_eval.confusion[std::size_t(r)]
                                                                       : std::vector<std::int64_t>{};
            if (cell >= fm.height() && std::size_t(c) < row.size() && row[std::size_t(c)] > 0) {
                p.setPen(share > 0.5 ? Qt::white : Qt::black);
                p.drawText(box, Qt::AlignCenter, QString::number(row[std::size_t(c)]));
            }
        }
    }
    p.setPen(pal.color(QPalette::Mid));
    p.drawRect(grid.adjusted(0, 0, -1, -1));
}

compute::EvaluationResult evaluationFromJson(const QJsonObject &json)
{
    compute::EvaluationResult r;
    r.runId = json.value("run_id").toString().toStdString();
    r.table = json.value("table").toString().toStdString();
    r.dataVersion = json.value("data_version").toInteger();
    r.images = json.value("images").toInteger();
    r.skipped = json.value("skipped").toInteger();
    r.accuracy = json.value("accuracy").toDouble();
    for (const QJsonValue &c : json.value("classes").toArray())
        r.classes.push_back(c.toString().toStdString());
    for (const QJsonValue &row : json.value("confusion").toArray()) {
        std::vector<std::int64_t> counts;
        for (const QJsonValue &v : row.toArray())
            counts.push_back(v.toInteger());
        r.confusion.push_back(std::move(counts));
    }
    const QJsonObject perClass = json.value("per_class").toObject();
    for (auto it = perClass.begin(); it != perClass.end(); ++it)
        r.perClass.emplace(it.key().toStdString(), it.value().toDouble());
    return r;
}

} // namespace pw::ui
