// The confusion heat map of the Experiments page, painted: its layout follows the size (see the header).
#include "ui/experiments/ConfusionHeatMap.h"

#include <QCheckBox>
#include <QHelpEvent>
#include <QJsonArray>
#include <QPainter>
#include <QToolTip>

#include <algorithm>

namespace pw::ui {

namespace {

constexpr double kSmallestCellFont = 6; // points: below this the cells' tooltips say the counts

} // namespace

QColor confusionColor(bool diagonal, double share)
{
    // White to blue for the diagonal, white to red off it: mistakes stand out.
    const QColor full = diagonal ? QColor(0x1a, 0x5f, 0xb4) : QColor(0xc0, 0x1c, 0x28);
    share = std::clamp(share, 0.0, 1.0);
    return QColor::fromRgbF(float(1 - share * (1 - full.redF())), float(1 - share * (1 - full.greenF())),
                            float(1 - share * (1 - full.blueF())));
}

ConfusionHeatMap::ConfusionHeatMap(QWidget *parent)
    : QWidget(parent)
    , m_normalize(new QCheckBox(tr("Normalise by row"), this))
{
    m_normalize->setToolTip(tr("Each cell as its share of the true class's images instead of a count"));
    m_normalize->setVisible(false);
    connect(m_normalize, &QCheckBox::toggled, this, [this] {
        relayout();
        update();
    });
    setMouseTracking(true);
}

void ConfusionHeatMap::setEvaluation(const compute::EvaluationResult &evaluation)
{
    m_eval = evaluation;
    m_message.clear();
    m_normalize->setVisible(hasMatrix());
    relayout();
    update();
}

void ConfusionHeatMap::setMessage(const QString &text)
{
    m_eval = {};
    m_message = text;
    m_normalize->setVisible(false);
    relayout();
    update();
}

void ConfusionHeatMap::setNormalized(bool on)
{
    m_normalize->setChecked(on);
}

bool ConfusionHeatMap::normalized() const
{
    return m_normalize->isChecked();
}

std::int64_t ConfusionHeatMap::count(int r, int c) const
{
    if (r < 0 || r >= int(m_eval.confusion.size()))
        return 0;
    const auto &row = m_eval.confusion[std::size_t(r)];
    return c >= 0 && c < int(row.size()) ? row[std::size_t(c)] : 0;
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

QString ConfusionHeatMap::shareText(double share) const
{
    return QStringLiteral("%1%").arg(share * 100, 0, 'f', 0);
}

void ConfusionHeatMap::resizeEvent(QResizeEvent *event)
{
    QWidget::resizeEvent(event);
    relayout();
}

void ConfusionHeatMap::relayout()
{
    m_layout = {};
    const int n = int(m_eval.classes.size());
    m_normalize->move(2, 0);
    m_normalize->resize(m_normalize->sizeHint());
    if (n == 0)
        return;
    Layout &l = m_layout;
    const QFontMetrics fm(font());
    int nameWidth = 0;
    for (const std::string &c : m_eval.classes)
        nameWidth = std::max(nameWidth, fm.horizontalAdvance(QString::fromStdString(c)));
    const int top = m_normalize->sizeHint().height() + 2 + fm.height(); // the box, then "predicted →"
    const int rightWidth = fm.horizontalAdvance(QStringLiteral("100.0%")) + 10 // recall
                           + 16 + fm.horizontalAdvance(QStringLiteral("100%")) + 6; // the colour scale
    const int rowWidth = std::min(nameWidth + 8, width() / 3);
    const int across = width() - rowWidth - rightWidth - 4;
    // Cells take the room there is, up to twice as wide as tall (or tall as wide): a wide pane gives the counts
    // room. Column names lie flat when a cell can hold the widest, and stand upright otherwise.
    const auto size = [&](int columnHeight) {
        const int w = across / n, h = (height() - top - columnHeight - 4) / n;
        return QSize(std::max(4, std::min(w, 2 * h)), std::max(4, std::min(h, 2 * w)));
    };
    int columnHeight = fm.height() + 4;
    QSize cell = size(columnHeight);
    const bool upright = cell.width() < nameWidth + 6;
    if (upright) {
        columnHeight = std::min(nameWidth + 8, std::max(fm.height(), (height() - top) / 3));
        cell = size(columnHeight);
    }
    l.cellWidth = cell.width();
    l.cell = cell.height();
    l.grid = QRect(rowWidth, top + columnHeight, l.cellWidth * n, l.cell * n);
    l.rowLabels = QRect(0, l.grid.top(), rowWidth - 6, l.grid.height());
    l.columnLabels = QRect(l.grid.left(), top, l.grid.width(), columnHeight - 4);
    // A name is cut when its room is shorter than it, or when the rows (or the columns) are thinner than a line.
    const bool rowsFit = rowWidth >= nameWidth + 8 && l.cell >= fm.height();
    const bool columnsFit = upright ? columnHeight >= nameWidth + 8 && l.cellWidth >= fm.height() : true;
    l.elided = !rowsFit || !columnsFit;
    l.scaleLeft = l.grid.right() + 6 + fm.horizontalAdvance(QStringLiteral("100.0%")) + 10;
    // The cells' text: the largest font (up to the widget's) in which the widest text fits a cell.
    std::int64_t largest = 0;
    for (const auto &row : m_eval.confusion)
        for (const std::int64_t v : row)
            largest = std::max(largest, v);
    const QString widest = normalized() ? QStringLiteral("100%") : QString::number(largest);
    QFont f = font();
    for (double pt = font().pointSizeF(); pt >= kSmallestCellFont; pt -= 0.5) {
        f.setPointSizeF(pt);
        const QFontMetrics m(f);
        if (m.horizontalAdvance(widest) + 4 <= l.cellWidth && m.height() <= l.cell) {
            l.cellFont = f;
            l.showText = true;
            break;
        }
    }
}

QRect ConfusionHeatMap::cellRect(int trueClass, int predicted) const
{
    const Layout &l = m_layout;
    return QRect(l.grid.left() + predicted * l.cellWidth, l.grid.top() + trueClass * l.cell, l.cellWidth, l.cell);
}

QRect ConfusionHeatMap::rowLabelRect(int i) const
{
    const Layout &l = m_layout;
    return QRect(l.rowLabels.left(), l.grid.top() + i * l.cell, l.rowLabels.width(), l.cell);
}

QRect ConfusionHeatMap::columnLabelRect(int i) const
{
    const Layout &l = m_layout;
    return QRect(l.grid.left() + i * l.cellWidth, l.columnLabels.top(), l.cellWidth, l.columnLabels.height());
}

QString ConfusionHeatMap::cellText(int trueClass, int predicted) const
{
    if (!m_layout.showText)
        return {};
    if (normalized())
        return cellShare(trueClass, predicted) > 0 ? shareText(cellShare(trueClass, predicted)) : QString();
    const std::int64_t v = count(trueClass, predicted);
    return v > 0 ? QString::number(v) : QString();
}

QFont ConfusionHeatMap::cellFont() const
{
    return m_layout.cellFont;
}

bool ConfusionHeatMap::namesElided() const
{
    return m_layout.elided;
}

void ConfusionHeatMap::paintEvent(QPaintEvent *)
{
    QPainter p(this);
    p.setRenderHint(QPainter::Antialiasing, false);
    if (!hasMatrix()) {
        p.setPen(palette().color(QPalette::PlaceholderText));
        p.drawText(rect(), Qt::AlignCenter | Qt::TextWordWrap, m_message);
        return;
    }
    paintLabels(p);
    paintCells(p);
    paintScale(p);
}

void ConfusionHeatMap::paintLabels(QPainter &p)
{
    const Layout &l = m_layout;
    const QFontMetrics fm(font());
    const int n = int(m_eval.classes.size());
    p.setPen(palette().color(QPalette::WindowText));
    p.drawText(QRect(l.grid.left(), l.columnLabels.top() - fm.height(), std::max(l.grid.width(), 80), fm.height()),
               Qt::AlignLeft | Qt::AlignVCenter, tr("predicted →"));
    p.drawText(QRect(l.grid.right() + 6, l.columnLabels.top(), width(), l.columnLabels.height()),
               Qt::AlignLeft | Qt::AlignBottom, tr("recall"));
    const bool upright = l.columnLabels.height() > fm.height() + 4;
    for (int i = 0; i < n; ++i) {
        const QString name = QString::fromStdString(m_eval.classes[std::size_t(i)]);
        if (l.cell >= fm.height()) {
            const QRect row = rowLabelRect(i);
            p.drawText(row, Qt::AlignRight | Qt::AlignVCenter, fm.elidedText(name, Qt::ElideRight, row.width()));
        }
        if (l.cellWidth >= fm.height()) {
            const QRect column = columnLabelRect(i);
            if (upright) {
                // Bottom to top, ending at the grid, like a spreadsheet's rotated header.
                p.save();
                p.translate(column.center().x() + fm.height() / 2.0 - fm.descent(), column.bottom());
                p.rotate(-90);
                p.drawText(0, 0, fm.elidedText(name, Qt::ElideRight, column.height()));
                p.restore();
            } else {
                p.drawText(column, Qt::AlignCenter, name);
            }
        }
        const auto it = m_eval.perClass.find(m_eval.classes[std::size_t(i)]);
        if (it != m_eval.perClass.end() && l.cell >= fm.height())
            p.drawText(QRect(l.grid.right() + 6, l.grid.top() + i * l.cell, width(), l.cell),
                       Qt::AlignLeft | Qt::AlignVCenter, QStringLiteral("%1%").arg(it->second * 100, 0, 'f', 1));
    }
}

void ConfusionHeatMap::paintCells(QPainter &p)
{
    const int n = int(m_eval.classes.size());
    p.setFont(m_layout.cellFont);
    for (int r = 0; r < n; ++r) {
        for (int c = 0; c < n; ++c) {
            const double share = cellShare(r, c);
            const QRect box = cellRect(r, c);
            p.fillRect(box, confusionColor(r == c, share));
            if (const QString text = cellText(r, c); !text.isEmpty()) {
                p.setPen(share > 0.5 ? Qt::white : Qt::black);
                p.drawText(box, Qt::AlignCenter, text);
            }
        }
    }
    p.setFont(font());
    p.setPen(palette().color(QPalette::Mid));
    p.drawRect(m_layout.grid.adjusted(0, 0, -1, -1));
}

void ConfusionHeatMap::paintScale(QPainter &p)
{
    // Two bars, right (blue) and wrong (red), from 0% at the bottom to 100% at the top.
    const Layout &l = m_layout;
    const QFontMetrics fm(font());
    const QRect right(l.scaleLeft, l.grid.top(), 6, l.grid.height());
    const QRect wrong = right.translated(7, 0);
    for (const auto &[bar, diagonal] : {std::pair{right, true}, std::pair{wrong, false}}) {
        QLinearGradient g(bar.bottomLeft(), bar.topLeft());
        g.setColorAt(0, confusionColor(diagonal, 0));
        g.setColorAt(1, confusionColor(diagonal, 1));
        p.fillRect(bar, g);
    }
    p.setPen(palette().color(QPalette::Mid));
    p.drawRect(QRect(right.topLeft(), wrong.bottomRight()).adjusted(0, 0, -1, -1));
    p.setPen(palette().color(QPalette::WindowText));
    const int textX = wrong.right() + 4;
    p.drawText(QRect(textX, l.grid.top(), width() - textX, fm.height()), Qt::AlignLeft | Qt::AlignTop,
               QStringLiteral("100%"));
    p.drawText(QRect(textX, l.grid.bottom() - fm.height(), width() - textX, fm.height()),
               Qt::AlignLeft | Qt::AlignBottom, QStringLiteral("0%"));
}

QString ConfusionHeatMap::toolTipAt(const QPoint &pos) const
{
    const int n = int(m_eval.classes.size());
    const auto name = [&](int i) { return QString::fromStdString(m_eval.classes[std::size_t(i)]).toHtmlEscaped(); };
    for (int i = 0; i < n; ++i) {
        if (rowLabelRect(i).contains(pos))
            return tr("true class %1").arg(name(i));
        if (columnLabelRect(i).contains(pos))
            return tr("predicted class %1").arg(name(i));
        for (int c = 0; c < n; ++c)
            if (cellRect(i, c).contains(pos))
                return tr("true <b>%1</b>, predicted <b>%2</b>: %3 images (%4 of %1)")
                    .arg(name(i), name(c))
                    .arg(count(i, c))
                    .arg(QStringLiteral("%1%").arg(cellShare(i, c) * 100, 0, 'f', 1));
    }
    return {};
}

bool ConfusionHeatMap::event(QEvent *e)
{
    if (e->type() == QEvent::ToolTip && hasMatrix()) {
        const auto *help = static_cast<QHelpEvent *>(e);
        if (const QString text = toolTipAt(help->pos()); !text.isEmpty())
            QToolTip::showText(help->globalPos(), text, this);
        else
            QToolTip::hideText();
        return true;
    }
    return QWidget::event(e);
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
