// Shared pieces of the workbench pages.
#include "ui/PageParts.h"

#include <QDateTime>
#include <QHeaderView>
#include <QLabel>
#include <QLocale>
#include <QMessageBox>
#include <QTableView>
#include <QToolBar>
#include <QToolButton>
#include <QVBoxLayout>

namespace pw::ui {

QWidget *titledBox(const QString &title, QWidget *content, QLabel **titleLabel)
{
    auto *box = new QWidget;
    auto *layout = new QVBoxLayout(box);
    layout->setContentsMargins(0, 0, 0, 0);
    auto *label = new QLabel(title);
    QFont f = label->font();
    f.setBold(true);
    label->setFont(f);
    layout->addWidget(label);
    layout->addWidget(content, 1);
    if (titleLabel)
        *titleLabel = label;
    return box;
}

QTableView *makeTableView(QAbstractItemModel *model)
{
    auto *view = new QTableView;
    view->setModel(model);
    view->setSelectionBehavior(QAbstractItemView::SelectRows);
    view->setEditTriggers(QAbstractItemView::NoEditTriggers);
    view->setAlternatingRowColors(true);
    view->verticalHeader()->hide();
    view->verticalHeader()->setDefaultSectionSize(view->fontMetrics().height() + 6);
    view->horizontalHeader()->setStretchLastSection(true);
    view->horizontalHeader()->setHighlightSections(false);
    view->setWordWrap(false);
    return view;
}

QToolBar *makePageToolBar()
{
    auto *bar = new QToolBar;
    bar->setToolButtonStyle(Qt::ToolButtonTextBesideIcon); // actions without an icon show their text alone
    bar->setIconSize(QSize(16, 16));
    bar->setMovable(false);
    bar->setFloatable(false);
    return bar;
}

void showIconOnly(QToolBar *bar, QAction *action)
{
    if (auto *button = qobject_cast<QToolButton *>(bar->widgetForAction(action)))
        button->setToolButtonStyle(Qt::ToolButtonIconOnly);
}

QDateTime parseIsoTime(const std::string &iso)
{
    return QDateTime::fromString(QString::fromStdString(iso), Qt::ISODateWithMs);
}

QString localTimeText(const std::string &iso)
{
    const QDateTime t = parseIsoTime(iso);
    return t.isValid() ? t.toLocalTime().toString(QStringLiteral("yyyy-MM-dd HH:mm")) : QString::fromStdString(iso);
}

QString durationText(std::int64_t ms)
{
    if (ms < 0)
        return {};
    const std::int64_t s = ms / 1000;
    if (s < 60)
        return QStringLiteral("%1s").arg(s);
    if (s < 3600)
        return QStringLiteral("%1m %2s").arg(s / 60).arg(s % 60, 2, 10, QLatin1Char('0'));
    if (s < 86400)
        return QStringLiteral("%1h %2m").arg(s / 3600).arg((s % 3600) / 60, 2, 10, QLatin1Char('0'));
    return QStringLiteral("%1d %2h").arg(s / 86400).arg((s % 86400) / 3600);
}

QString countText(std::int64_t n, const QString &one, const QString &many)
{
    return QStringLiteral("%1 %2").arg(QLocale().toString(qint64(n)), n == 1 ? one : many);
}

QString shortRunId(const std::string &runId)
{
    return QString::fromStdString(runId.substr(0, 8));
}

void showError(QWidget *parent, const QString &title, const QString &text)
{
    auto *box = new QMessageBox(QMessageBox::Warning, title, text, QMessageBox::Ok, parent);
    box->setAttribute(Qt::WA_DeleteOnClose);
    box->setWindowModality(Qt::WindowModal);
    box->open();
}

} // namespace pw::ui
