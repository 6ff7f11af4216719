// The workbench window: navigation between pages, menus and actions, the status bar.
#pragma once

#include "ui/Page.h"

#include <QList>
#include <QMainWindow>

#include <memory>
#include <utility>

class QDockWidget;
class QProgressBar;
class QToolButton;
class QListWidget;
class QStackedWidget;
class QLabel;
class QMenu;
class QAction;

namespace pw::store {
class Workspace;
class WorkspaceWatcher;
} // namespace pw::store
namespace pw::pipeline {
class Scheduler;
}

namespace pw::ui {

class PipelinesPage;
class WelcomePage;

class MainWindow : public QMainWindow
{
    Q_OBJECT
public:
    explicit MainWindow(QWidget *parent = nullptr);
    ~MainWindow() override;

    /** Opens the workspace folder `root` (created when missing) and remembers it as recent. */
    void openWorkspace(const QString &root);
    QString workspace() const { return m_workspace; }
    /** The workbench pages, in the navigation's order (Ctrl+1, Ctrl+2, …). */
    const QList<Page *> &pages() const { return m_pageList; }
    /** The page whose pageId() is `id`, or nullptr. */
    Page *page(const QString &id) const;
    /** The page of class `P`, or nullptr. */
    template<class P> P *page() const
    {
        for (Page *p : m_pageList)
            if (auto *typed = qobject_cast<P *>(p))
                return typed;
        return nullptr;
    }
    /** The page that runs the pipelines (the scheduler's runs and --pipeline go to it). */
    PipelinesPage *pipelinesPage() const { return m_pipelinesPage; }
    /** Shown instead of the pages until a workspace is open. */
    WelcomePage *welcomePage() const { return m_welcomePage; }
    /** True while the welcome page is on screen (no workspace open). */
    bool isWelcomeShown() const;
    /** Shows a page by id (pageNames()); false for an unknown id. */
    bool showPage(const QString &name);
    /** The pages' ids in the navigation's order: the names showPage() and --page take. */
    QStringList pageNames() const;
    /** The workspace's change signal the pages reload on. */
    store::WorkspaceWatcher *watcher() const { return m_watcher; }

Q_SIGNALS:
    /** The first data of a newly opened workspace is on screen. */
    void workspaceLoaded();

protected:
    void closeEvent(QCloseEvent *event) override;

private:
    void addPages();
    void connectPage(Page *page);
    void addPageDocks();
    void buildStatusBar();
    void buildActions();
    void rebuildRecentMenu();
    void chooseWorkspace();
    void startScheduler();
    /** The page on screen (behind the welcome page while that is shown). */
    Page *currentPage() const;
    /** Shows the docks of the page on screen and hides the others; enables Refresh where the page allows. */
    void pageShown();
    /** Reloads the page on screen (View → Refresh). */
    void refreshCurrentPage();
    /** The workspace changed: the pages that show `what` reload (the page on screen now, the others when shown). */
    void workspaceChanged(unsigned what);
    /** Counts a page's load towards workspaceLoaded(), which comes once every page has shown its first data. */
    void pageLoaded(Page *page);
    /** A page's activity for the status bar; the busy bar and Cancel belong to the page that made them show. */
    void showActivity(Page *page, const QString &text, bool cancellable);

    QString m_workspace;
    QListWidget *m_nav;
    QStackedWidget *m_pages;
    QStackedWidget *m_root; // the welcome page, then the navigation and pages
    WelcomePage *m_welcomePage;
    QWidget *m_workbench = nullptr;
    PipelinesPage *m_pipelinesPage;
    QList<Page *> m_pageList;
    QList<std::pair<Page *, QDockWidget *>> m_docks; // the pages' docks, each shown while its page is on screen
    QList<Page *> m_pagesLoading; // pages whose first data of the open workspace is not shown yet
    QList<Page *> m_stalePages; // pages off screen whose data changed: reloaded when shown
    Page *m_busyPage = nullptr; // the page whose cancellable activity the status bar shows
    QAction *m_refreshAction = nullptr;
    QLabel *m_statusWorkspace;
    QLabel *m_statusActivity;
    store::WorkspaceWatcher *m_watcher;
    QProgressBar *m_statusProgress = nullptr;
    QToolButton *m_statusCancel = nullptr;
    QMenu *m_recentMenu = nullptr;
    // The workspace's pipeline schedules and file-arrival triggers run while the window is open.
    std::unique_ptr<store::Workspace> m_ws;
    std::unique_ptr<pipeline::Scheduler> m_scheduler;
};

} // namespace pw::ui
