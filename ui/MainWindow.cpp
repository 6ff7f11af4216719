// MainWindow lists the pages and builds the navigation, docks, menus and status bar around them; the pages do
// the work.
#include "ui/MainWindow.h"

#include "ui/compute/TargetsDialog.h"
#include "ui/experiments/ExperimentsPage.h"
#include "ui/images/ImagesPage.h"
#include "ui/models/ModelsPage.h"
#include "ui/review/ReviewPage.h"
#include "ui/pipelines/PipelinesPage.h"
#include "ui/notify/DesktopNotify.h"
#include "ui/welcome/WelcomePage.h"

#include "core/pipeline/Scheduler.h"
#include "core/store/Workspace.h"
#include "core/store/WorkspaceWatcher.h"

#include <QAction>
#include <QApplication>
#include <QCloseEvent>
#include <QDir>
#include <QDockWidget>
#include <QProgressBar>
#include <QToolButton>
#include <QFileDialog>
#include <QHBoxLayout>
#include <QIcon>
#include <QLabel>
#include <QListWidget>
#include <QMenuBar>
#include <QMessageBox>
#include <QSettings>
#include <QStackedWidget>
#include <QStatusBar>

namespace pw::ui {

namespace {
constexpr int kMaxRecent = 8;
}

MainWindow::MainWindow(QWidget *parent)
    : QMainWindow(parent)
    , m_nav(new QListWidget)
    , m_pages(new QStackedWidget)
    , m_root(new QStackedWidget)
    , m_welcomePage(new WelcomePage)
    , m_pipelinesPage(new PipelinesPage)
    , m_statusWorkspace(new QLabel)
    , m_statusActivity(new QLabel)
    , m_watcher(new store::WorkspaceWatcher(this))
{
    setWindowTitle(tr("Pipewright"));
    setWindowIcon(QIcon(QStringLiteral(":/icons/pipewright.svg")));
    // The workbench pages in the navigation's order (Ctrl+1, Ctrl+2, …): a new page is one more entry here.
    m_pageList = {m_pipelinesPage, new ImagesPage, new ReviewPage, new ExperimentsPage, new ModelsPage};
    addPages();
    addPageDocks();

    m_workbench = new QWidget;
    auto *layout = new QHBoxLayout(m_workbench);
    layout->setContentsMargins(4, 4, 4, 4);
    layout->addWidget(m_nav);
    layout->addWidget(m_pages, 1);
    // Until a workspace is open the welcome page stands in for the pages and their docks.
    m_root->addWidget(m_welcomePage);
    m_root->addWidget(m_workbench);
    setCentralWidget(m_root);
    connect(m_welcomePage, &WelcomePage::workspaceChosen, this, &MainWindow::openWorkspace);
    connect(m_watcher, &store::WorkspaceWatcher::changed, this, &MainWindow::workspaceChanged);

    buildStatusBar();
    buildActions();
    connect(m_nav, &QListWidget::currentRowChanged, this, &MainWindow::pageShown);
    m_nav->setCurrentRow(0);
    QSettings settings;
    if (!restoreGeometry(settings.value("window/geometry").toByteArray()))
        resize(1280, 800);
    restoreState(settings.value("window/state").toByteArray());
    for (const auto &entry : m_docks)
        entry.second->setVisible(false);
}

MainWindow::~MainWindow() = default;

void MainWindow::addPages()
{
    m_nav->setObjectName("navigation");
    m_nav->setFixedWidth(160);
    m_nav->setIconSize(QSize(20, 20));
    for (int i = 0; i < m_pageList.size(); ++i) {
        Page *page = m_pageList[i];
        auto *item = new QListWidgetItem(page->pageIcon(), page->pageTitle(), m_nav);
        m_pages->addWidget(page);
        connectPage(page);
        item->setToolTip(page->pageToolTip());
        if (i >= 9)
            continue; // Ctrl+1 … Ctrl+9
        item->setToolTip(tr("%1 (Ctrl+%2)").arg(page->pageToolTip()).arg(i + 1));
        auto *go = new QAction(this);
        go->setShortcut(QKeySequence(Qt::CTRL | Qt::Key(Qt::Key_1 + i)));
        connect(go, &QAction::triggered, this, [this, i] { m_nav->setCurrentRow(i); });
        addAction(go);
    }
    connect(m_nav, &QListWidget::currentRowChanged, m_pages, &QStackedWidget::setCurrentIndex);
}

void MainWindow::connectPage(Page *page)
{
    connect(page, &Page::loaded, this, [this, page] { pageLoaded(page); });
    connect(page, &Page::message, this, [this](const QString &m) { statusBar()->showMessage(m, 8000); });
    connect(page, &Page::activityChanged, this,
            [this, page](const QString &text, bool cancellable) { showActivity(page, text, cancellable); });
    connect(page, &Page::linkActivated, this, [this](const QString &pageId, const QString &key) {
        if (showPage(pageId))
            this->page(pageId)->showItem(key);
    });
}

void MainWindow::addPageDocks()
{
    // All docks are placed first, then sized: a dock's size is shared with its neighbours in the layout.
    QList<std::pair<QDockWidget *, PageDock>> made;
    for (Page *page : m_pageList)
        for (const PageDock &d : page->docks()) {
            auto *dock = new QDockWidget(d.title, this);
            dock->setObjectName(d.objectName);
            dock->setWidget(d.widget);
            addDockWidget(d.area, dock);
            m_docks.append({page, dock});
            made.append({dock, d});
        }
    for (const auto &[dock, d] : made) {
        if (d.minimumWidth > 0)
            dock->setMinimumWidth(d.minimumWidth);
        if (d.size > 0) {
            const bool side = d.area == Qt::LeftDockWidgetArea || d.area == Qt::RightDockWidgetArea;
            resizeDocks({dock}, {d.size}, side ? Qt::Horizontal : Qt::Vertical);
        }
    }
}

void MainWindow::buildStatusBar()
{
    statusBar()->addWidget(m_statusWorkspace, 1);
    statusBar()->addPermanentWidget(m_statusActivity);
    // Background work a page may cancel (a pipeline run): a busy bar and a Cancel button while it runs.
    m_statusProgress = new QProgressBar;
    m_statusProgress->setRange(0, 0);
    m_statusProgress->setMaximumWidth(140);
    m_statusProgress->setVisible(false);
    m_statusCancel = new QToolButton;
    m_statusCancel->setText(tr("Cancel"));
    m_statusCancel->setToolTip(tr("Cancel the pipeline run"));
    m_statusCancel->setVisible(false);
    statusBar()->addPermanentWidget(m_statusProgress);
    statusBar()->addPermanentWidget(m_statusCancel);
    connect(m_statusCancel, &QToolButton::clicked, this, [this] {
        if (m_busyPage)
            m_busyPage->cancelActivity();
    });
}

void MainWindow::buildActions()
{
    QMenu *file = menuBar()->addMenu(tr("&File"));
    QAction *open = file->addAction(tr("&Open Workspace…"), this, &MainWindow::chooseWorkspace);
    open->setShortcut(QKeySequence::Open);
    open->setToolTip(
        tr("Open or create a workspace folder (%1)").arg(open->shortcut().toString(QKeySequence::NativeText)));
    m_recentMenu = file->addMenu(tr("Open &Recent"));
    rebuildRecentMenu();
    file->addSeparator();
    QAction *targets = file->addAction(tr("Compute &Targets…"), this, [this] {
        if (m_workspace.isEmpty())
            return;
        TargetsDialog dialog(m_workspace, this);
        dialog.exec();
        m_pipelinesPage->refreshChoices(); // the targets a task may name
    });
    targets->setToolTip(tr("The SSH hosts training and scoring can run on (a GPU box)"));
    file->addSeparator();
    QAction *quit = file->addAction(tr("&Quit"), this, &QWidget::close);
    quit->setShortcut(QKeySequence::Quit);

    QMenu *view = menuBar()->addMenu(tr("&View"));
    m_refreshAction = view->addAction(tr("&Refresh"), this, &MainWindow::refreshCurrentPage);
    m_refreshAction->setShortcut(QKeySequence::Refresh);
    m_refreshAction->setIcon(themedIcon("refresh"));
    m_refreshAction->setToolTip(tr("Read the data of the page on screen again"));
    // A page that binds F5 itself (Run on the Pipelines page) has Refresh step aside: see pageShown().

    // The pages' own menus, with their shortcuts shown (a page's toolbar holds the same actions).
    for (Page *page : m_pageList) {
        if (page->menuTitle().isEmpty())
            continue;
        QMenu *menu = menuBar()->addMenu(page->menuTitle());
        for (QAction *a : page->menuActions()) {
            if (a->isSeparator() || a->text().isEmpty())
                menu->addSeparator();
            else
                menu->addAction(a);
        }
    }
    QMenu *help = menuBar()->addMenu(tr("&Help"));
    help->addAction(tr("&About Pipewright"), this, [this] {
        QMessageBox::about(this, tr("About Pipewright"),
                           tr("<b>Pipewright %1</b><p>A workbench for the whole life of an image classifier: "
                              "a versioned image catalog, training, tracking, a model registry, scoring and "
                              "review.</p>")
                               .arg(QApplication::applicationVersion()));
    });
}

void MainWindow::rebuildRecentMenu()
{
    m_recentMenu->clear();
    const QStringList recent = QSettings().value("workspaces/recent").toStringList();
    for (const QString &path : recent)
        m_recentMenu->addAction(path, this, [this, path] { openWorkspace(path); });
    m_recentMenu->setEnabled(!recent.isEmpty());
}

void MainWindow::chooseWorkspace()
{
    const QString dir = QFileDialog::getExistingDirectory(this, tr("Open or create a workspace folder"), m_workspace);
    if (!dir.isEmpty())
        openWorkspace(dir);
}

bool MainWindow::isWelcomeShown() const
{
    return m_root->currentWidget() == m_welcomePage;
}

void MainWindow::openWorkspace(const QString &root)
{
    m_workspace = QDir(root).absolutePath();
    if (isWelcomeShown()) {
        m_root->setCurrentWidget(m_workbench);
        pageShown();
    }
    setWindowTitle(tr("%1 — Pipewright").arg(QDir(m_workspace).dirName()));
    m_statusWorkspace->setText(tr("Workspace: %1").arg(m_workspace));
    m_pagesLoading = m_pageList;
    m_stalePages.clear();
    for (Page *page : m_pageList)
        page->setWorkspace(m_workspace);
    startScheduler(); // opens the workspace, creating its catalog.db when new
    m_watcher->setWorkspace(m_workspace);

    QSettings settings;
    QStringList recent = settings.value("workspaces/recent").toStringList();
    recent.removeAll(m_workspace);
    recent.prepend(m_workspace);
    while (recent.size() > kMaxRecent)
        recent.removeLast();
    settings.setValue("workspaces/recent", recent);
    rebuildRecentMenu();
}

void MainWindow::startScheduler()
{
    if (m_scheduler)
        m_scheduler->stop(false); // runs in progress finish
    m_scheduler.reset();
    try {
        m_ws = std::make_unique<store::Workspace>(store::Workspace::open(m_workspace.toStdString()));
    } catch (const std::exception &e) {
        m_statusActivity->setText(tr("Pipelines not scheduled: %1").arg(QString::fromUtf8(e.what())));
        return;
    }
    m_scheduler = std::make_unique<pipeline::Scheduler>(*m_ws);
    pipeline::RunOptions options;
    options.pipewrightPath = QCoreApplication::applicationFilePath().toStdString();
    options.desktopNotifier = notify::desktopNotify;
    m_scheduler->setRunOptions(options);
    connect(m_scheduler.get(), &pipeline::Scheduler::runStarted, this,
            [this](qint64 id, const QString &pipeline, const QString &trigger) {
                m_statusActivity->setText(tr("Pipeline %1: run %2 started (%3)").arg(pipeline).arg(id).arg(trigger));
                m_pipelinesPage->refreshRuns();
            });
    connect(m_scheduler.get(), &pipeline::Scheduler::runFinished, this,
            [this](qint64 id, const QString &pipeline, const QString &result) {
                m_statusActivity->setText(tr("Pipeline %1: run %2 %3").arg(pipeline).arg(id).arg(result));
                m_pipelinesPage->refreshRuns(); // scheduled runs show up in the grid
            });
    m_scheduler->start();
}

Page *MainWindow::currentPage() const
{
    return m_pageList.value(m_nav->currentRow());
}

void MainWindow::pageShown()
{
    Page *current = currentPage();
    const bool workbench = !isWelcomeShown();
    for (const auto &[page, dock] : m_docks)
        dock->setVisible(workbench && page == current);
    m_refreshAction->setEnabled(current && !current->ownsRefreshKey());
    if (workbench && current && m_stalePages.removeAll(current) > 0)
        current->reload();
}

void MainWindow::workspaceChanged(unsigned what)
{
    Page *current = isWelcomeShown() ? nullptr : currentPage();
    for (Page *page : m_pageList) {
        if (!(page->reloadsOn() & what))
            continue;
        if (page == current)
            page->reload();
        else if (!m_stalePages.contains(page))
            m_stalePages.append(page);
    }
}

void MainWindow::refreshCurrentPage()
{
    if (Page *page = currentPage(); page && !page->ownsRefreshKey())
        page->reload();
}

void MainWindow::pageLoaded(Page *page)
{
    if (m_pagesLoading.removeAll(page) > 0 && m_pagesLoading.isEmpty())
        Q_EMIT workspaceLoaded();
}

void MainWindow::showActivity(Page *page, const QString &text, bool cancellable)
{
    m_statusActivity->setText(text);
    if (cancellable)
        m_busyPage = page;
    else if (m_busyPage == page)
        m_busyPage = nullptr;
    else
        return; // another page's cancellable work goes on
    m_statusProgress->setVisible(cancellable);
    m_statusCancel->setVisible(cancellable);
}

Page *MainWindow::page(const QString &id) const
{
    for (Page *p : m_pageList)
        if (p->pageId() == id)
            return p;
    return nullptr;
}

QStringList MainWindow::pageNames() const
{
    QStringList ids;
    for (const Page *p : m_pageList)
        ids << p->pageId();
    return ids;
}

bool MainWindow::showPage(const QString &name)
{
    const int row = m_pageList.indexOf(page(name));
    if (row < 0)
        return false;
    m_nav->setCurrentRow(row);
    return true;
}

void MainWindow::closeEvent(QCloseEvent *event)
{
    for (Page *page : m_pageList)
        if (!page->confirmClose()) {
            event->ignore();
            return;
        }
    QSettings settings;
    settings.setValue("window/geometry", saveGeometry());
    settings.setValue("window/state", saveState());
    event->accept();
}

} // namespace pw::ui
