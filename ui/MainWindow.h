// The workbench window: navigation between pages, menus and actions, the status bar.
#pragma once

#include <QMainWindow>

#include <memory>

class QDockWidget;
class QListWidget;
class QStackedWidget;
class QLabel;
class QMenu;

namespace pw::store {
class Workspace;
}
namespace pw::pipeline {
class Scheduler;
}

namespace pw::ui {

class CatalogPage;
class PipelinesPage;

class MainWindow : public QMainWindow
{
    Q_OBJECT
public:
    explicit MainWindow(QWidget *parent = nullptr);
    ~MainWindow() override;

    /** Opens the workspace folder `root` (created when missing) and remembers it as recent. */
    void openWorkspace(const QString &root);
    QString workspace() const { return m_workspace; }
    CatalogPage *catalogPage() const { return m_catalogPage; }
    PipelinesPage *pipelinesPage() const { return m_pipelinesPage; }
    /** Shows a page by name: pipelines, images (the catalog), ...; false for an unknown name. */
    bool showPage(const QString &name);

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

    QString m_workspace;
    QListWidget *m_nav;
    QStackedWidget *m_pages;
    CatalogPage *m_catalogPage;
    PipelinesPage *m_pipelinesPage;
    QDockWidget *m_propertiesDock = nullptr;
    QDockWidget *m_runsDock = nullptr;
    QStringList m_pageNames;
    QLabel *m_statusWorkspace;
    QLabel *m_statusActivity;
    QMenu *m_recentMenu = nullptr;
    // The workspace's pipeline schedules and file-arrival triggers run while the window is open.
    std::unique_ptr<store::Workspace> m_ws;
    std::unique_ptr<pipeline::Scheduler> m_scheduler;
};

} // namespace pw::ui
