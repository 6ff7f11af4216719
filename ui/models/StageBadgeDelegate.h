// Paints a model version's stage as a coloured badge (rounded, white text) instead of plain text.
#pragma once

#include <QStyledItemDelegate>

namespace pw::ui {

class StageBadgeDelegate : public QStyledItemDelegate
{
    Q_OBJECT
public:
    /** `stageRole` holds the stage as an int (registry::Stage); the display role its name. */
    explicit StageBadgeDelegate(int stageRole, QObject *parent = nullptr);

    void paint(QPainter *painter, const QStyleOptionViewItem &option, const QModelIndex &index) const override;
    QSize sizeHint(const QStyleOptionViewItem &option, const QModelIndex &index) const override;

private:
    int m_stageRole;
};

} // namespace pw::ui
