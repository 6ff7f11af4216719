// The interface every workbench page implements: what the main window needs to list a page in its navigation,
// open it by id (--page), hand it the workspace, refresh it, and show its messages, activity, docks and menu.
// MainWindow holds the pages in one list and treats them alike; a page needs nothing else from it.
#pragma once

#include "core/store/WorkspaceWatcher.h"
#include "ui/Icons.h"

#include <QList>
#include <QString>
#include <QWidget>

class QAction;

namespace pw::ui {

/** A panel of a page that the main window docks beside the pages while that page is on screen. */
struct PageDock
{
    QString objectName; // the dock's name in the saved window state
    QString title;
    QWidget *widget = nullptr;
    Qt::DockWidgetArea area = Qt::RightDockWidgetArea;
    int size = 0; // the first width (left or right area) or height (top or bottom); 0: the dock's own
    int minimumWidth = 0;
};

class Page : public QWidget
{
    Q_OBJECT
public:
    using QWidget::QWidget;

    /** The id showPage() and --page take: "experiments". */
    virtual QString pageId() const = 0;
    /** The navigation entry's text. */
    virtual QString pageTitle() const = 0;
    /** What the page is for: the navigation entry's tooltip (the window adds the page's shortcut). */
    virtual QString pageToolTip() const = 0;
    /** The navigation entry's icon: themedIcon() of the page id. */
    virtual QIcon pageIcon() const { return themedIcon(pageId()); }

    /**
     * Shows the workspace at `root` from scratch (a workspace was opened), loading in the background; loaded()
     * follows once its data, or why there is none, is on screen.
     */
    virtual void setWorkspace(const QString &root) = 0;
    /**
     * The open workspace changed: reads again what the page shows, in the background, keeping the selection;
     * loaded() follows. View → Refresh calls it on the page on screen; the workspace's change signal calls it
     * on the pages whose reloadsOn() concerns changed.
     */
    virtual void reload() = 0;
    /**
     * The concerns of the workspace the page shows (store::Change bits): when one of them changes, whoever wrote it,
     * the window calls reload() (at once on the page on screen, when shown on the others). 0: none.
     */
    virtual store::Changes reloadsOn() const { return 0; }
    /** True when the page binds the Refresh key (F5) itself, so that the window's View → Refresh steps aside. */
    virtual bool ownsRefreshKey() const { return false; }

    /** Shows the item `key` (a run id on the Experiments page) that a link of another page leads to. */
    virtual void showItem(const QString &key) { Q_UNUSED(key); }
    /** The panels the window docks beside the pages while this page is on screen. */
    virtual QList<PageDock> docks() const { return {}; }
    /** The title of a menu of the page's actions in the window's menu bar; empty: the page has none. */
    virtual QString menuTitle() const { return {}; }
    /** That menu's actions; a separator or an action without text separates groups. */
    virtual QList<QAction *> menuActions() const { return {}; }
    /** Asked before the window closes (unsaved work); false keeps the window open. */
    virtual bool confirmClose() { return true; }
    /** Stops the page's work that the status bar shows as cancellable (activityChanged(…, true)). */
    virtual void cancelActivity() { }

Q_SIGNALS:
    /** The page's data of the workspace, or why there is none, is on screen. */
    void loaded();
    /** A line for the status bar. */
    void message(const QString &text);
    /**
     * The status bar's activity text (empty: none); while `cancellable`, a busy bar and a Cancel button
     * (cancelActivity()) show beside it.
     */
    void activityChanged(const QString &text, bool cancellable);
    /** The user followed a link to the item `key` of the page `pageId`: the window shows them. */
    void linkActivated(const QString &pageId, const QString &key);
};

} // namespace pw::ui
