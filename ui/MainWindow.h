// The workbench window: navigation between pages, menus and actions, the status bar.
#pragma once

#include <QMainWindow>

#include <memory>

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
}
namespace pw::pipeline {
class Scheduler;
}

namespace pw::ui {

class CatalogPage;
class ImagesPage;
class ExperimentsPage;
class ModelsPage;
class PipelinesPage;
class ReviewPage;
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
    /** The Images page's Catalog tab. */
    CatalogPage *catalogPage() const { return m_catalogPage; }
    ImagesPage *imagesPage() const { return m_imagesPage; }
    PipelinesPage *pipelinesPage() const { return m_pipelinesPage; }
    ReviewPage *reviewPage() const { return m_reviewPage; }
    ExperimentsPage *experimentsPage() const { return m_experimentsPage; }
    ModelsPage *modelsPage() const { return m_modelsPage; }
    /** Shown instead of the pages until a workspace is open. */
    WelcomePage *welcomePage() const { return m_welcomePage; }
    /** True while the welcome page is on screen (no workspace open). */
    bool isWelcomeShown() const;
    /** Shows a page by name (pageNames()); false for an unknown name. */
    bool showPage(const QString &name);
    /** pipelines, images, review, experiments, models: the names showPage() and --page take. */
    QStringList pageNames() const { return m_pageNames; }

Q_SIGNALS:
    /** The first data of a newly opened workspace is on screen. */
    void workspaceLoaded();

protected:
    void closeEvent(QCloseEvent *event) override;

private:
    void buildActions();
    void rebuildRecentMenu();
    void chooseWorkspace();
    void startScheduler();
    /** Reloads the page on screen (View → Refresh). */
    void refreshCurrentPage();
    /** Counts a page's load towards workspaceLoaded(), which comes once every page has shown its first data. */
    void pageLoaded(QObject *page);

    QString m_workspace;
    QListWidget *m_nav;
    QStackedWidget *m_pages;
    QStackedWidget *m_root; // the welcome page, then the navigation and pages
    WelcomePage *m_welcomePage;
    QWidget *m_workbench = nullptr;
    ImagesPage *m_imagesPage;
    CatalogPage *m_catalogPage; // owned by m_imagesPage
    PipelinesPage *m_pipelinesPage;
    ReviewPage *m_reviewPage;
    ExperimentsPage *m_experimentsPage;
    ModelsPage *m_modelsPage;
    QList<QObject *> m_pagesLoading; // pages whose first data of the open workspace is not shown yet
    QAction *m_refreshAction = nullptr;
    QDockWidget *m_propertiesDock = nullptr;
    QDockWidget *m_runsDock = nullptr;
    QStringList m_pageNames;
    QLabel *m_statusWorkspace;
    QLabel *m_statusActivity;
    QProgressBar *m_statusProgress = nullptr;
    QToolButton *m_statusCancel = nullptr;
    QMenu *m_recentMenu = nullptr;
    // The workspace's pipeline schedules and file-arrival triggers run while the window is open.
    std::unique_ptr<store::Workspace> m_ws;
    std::unique_ptr<pipeline::Scheduler> m_scheduler;
};

} // namespace pw::ui
