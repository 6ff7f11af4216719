// The stage badge.
#include "ui/models/StageBadgeDelegate.h"

#include "ui/models/ModelVersionsModel.h"

#include <QApplication>
#include <QPainter>

namespace pw::ui {

StageBadgeDelegate::StageBadgeDelegate(int stageRole, QObject *parent)
    : QStyledItemDelegate(parent)
    , m_stageRole(stageRole)
{
}

void StageBadgeDelegate::paint(QPainter *painter, const QStyleOptionViewItem &option, const QModelIndex &index) const
{
    // The cell as usual (selection, alternating rows), without its text.
    QStyleOptionViewItem opt = option;
    initStyleOption(&opt, index);
    const QString text = opt.text;
    opt.text.clear();
    const QWidget *widget = option.widget;
    QStyle *style = widget ? widget->style() : QApplication::style();
    style->drawControl(QStyle::CE_ItemViewItem, &opt, painter, widget);

    const auto stage = registry::Stage(index.data(m_stageRole).toInt());
    QFont f = opt.font;
    f.setBold(true);
    f.setPointSizeF(f.pointSizeF() * 0.9);
    const QFontMetrics fm(f);
    const int w = fm.horizontalAdvance(text) + 14;
    const int h = std::min(option.rect.height() - 4, fm.height() + 4);
    const QRect badge(option.rect.center().x() - w / 2, option.rect.center().y() - h / 2, w, h);
    painter->save();
    painter->setRenderHint(QPainter::Antialiasing);
    painter->setPen(Qt::NoPen);
    painter->setBrush(stageColor(stage));
    painter->drawRoundedRect(badge, h / 2.0, h / 2.0);
    painter->setPen(stage == registry::Stage::None ? QColor(0x26, 0x32, 0x38) : QColor(Qt::white));
    painter->setFont(f);
    painter->drawText(badge, Qt::AlignCenter, text);
    painter->restore();
}

QSize StageBadgeDelegate::sizeHint(const QStyleOptionViewItem &option, const QModelIndex &index) const
{
    QSize s = QStyledItemDelegate::sizeHint(option, index);
    s.setWidth(s.width() + 20);
    return s;
}

} // namespace pw::ui
