// MainWindow builds pages, actions and the status bar; the pages do the work.
#include "ui/MainWindow.h"

#include "ui/catalog/CatalogPage.h"
#include "ui/compute/TargetsDialog.h"
#include "ui/experiments/ExperimentsPage.h"
#include "ui/images/ImagesPage.h"
#include "ui/models/ModelsPage.h"
#include "ui/review/ReviewPage.h"
#include "ui/pipelines/PipelinesPage.h"
#include "ui/pipelines/PropertiesPanel.h"
#include "ui/pipelines/RunsDock.h"
#include "ui/notify/DesktopNotify.h"
#include "ui/welcome/WelcomePage.h"

#include "core/pipeline/Scheduler.h"
#include "core/store/Workspace.h"

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
    , m_imagesPage(new ImagesPage)
    , m_catalogPage(m_imagesPage->catalogPage())
    , m_pipelinesPage(new PipelinesPage)
    , m_reviewPage(new ReviewPage)
    , m_experimentsPage(new ExperimentsPage)
    , m_modelsPage(new ModelsPage)
    , m_statusWorkspace(new QLabel)
    , m_statusActivity(new QLabel)
{
    setWindowTitle(tr("Pipewright"));
    setWindowIcon(QIcon(QStringLiteral(":/icons/pipewright.svg")));
    m_nav->setObjectName("navigation");
    m_nav->setFixedWidth(160);
    m_nav->setIconSize(QSize(20, 20));
    auto addPage = [this](const QString &name, const QString &title, const QString &tip, QWidget *page) {
        m_nav->addItem(title);
        m_nav->item(m_nav->count() - 1)->setToolTip(tip);
        m_pages->addWidget(page);
        m_pageNames << name;
    };
    addPage("pipelines", tr("Pipelines"), tr("Design pipelines as DAGs, run them and watch them run (Ctrl+1)"),
            m_pipelinesPage);
    addPage("images", tr("Images"), tr("The image catalog: browse thumbnails with filters and lineage; counts per table "
                                       "and label, version history, rejected files (Ctrl+2)"),
            m_imagesPage);
    addPage("review", tr("Review"),
            tr("The review queue: label, accept or skip the images the model was least sure of, then commit the "
               "labels to the catalog (Ctrl+3)"),
            m_reviewPage);
    addPage("experiments", tr("Experiments"),
            tr("Training runs: params, metrics and curves; select several to compare them (Ctrl+4)"),
            m_experimentsPage);
    addPage("models", tr("Models"),
            tr("The model registry: versions, stages and their history; promote and archive (Ctrl+5)"),
            m_modelsPage);
    connect(m_nav, &QListWidget::currentRowChanged, m_pages, &QStackedWidget::setCurrentIndex);

    // The properties dock (right) and the runs-and-logs dock (bottom) hold the Pipelines page's panels.
    m_propertiesDock = new QDockWidget(tr("Properties"), this);
    m_propertiesDock->setObjectName("propertiesDock");
    m_propertiesDock->setWidget(m_pipelinesPage->propertiesPanel());
    addDockWidget(Qt::RightDockWidgetArea, m_propertiesDock);
    m_runsDock = new QDockWidget(tr("Runs and logs"), this);
    m_runsDock->setObjectName("runsDock");
    m_runsDock->setWidget(m_pipelinesPage->runsDock());
    addDockWidget(Qt::BottomDockWidgetArea, m_runsDock);
    m_propertiesDock->setMinimumWidth(320);
    resizeDocks({m_propertiesDock}, {380}, Qt::Horizontal);
    resizeDocks({m_runsDock}, {240}, Qt::Vertical);
    connect(m_nav, &QListWidget::currentRowChanged, this, [this](int row) {
        const bool pipelines = m_pageNames.value(row) == "pipelines";
        m_propertiesDock->setVisible(pipelines);
        m_runsDock->setVisible(pipelines);
    });
    for (int i = 0; i < m_pageNames.size(); ++i) {
        auto *go = new QAction(this);
        go->setShortcut(QKeySequence(Qt::CTRL | Qt::Key(Qt::Key_1 + i)));
        connect(go, &QAction::triggered, this, [this, i] { m_nav->setCurrentRow(i); });
        addAction(go);
    }
    m_nav->setCurrentRow(0);

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

    statusBar()->addWidget(m_statusWorkspace, 1);
    statusBar()->addPermanentWidget(m_statusActivity);
    // Background work: a busy bar and a Cancel button while a pipeline runs from this window.
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
    connect(m_statusCancel, &QToolButton::clicked, m_pipelinesPage, &PipelinesPage::cancelRun);
    connect(m_catalogPage, &CatalogPage::loadingChanged, this,
            [this](bool loading) { m_statusActivity->setText(loading ? tr("Reading the catalog…") : QString()); });
    connect(m_catalogPage, &CatalogPage::loaded, this, [this] { pageLoaded(m_catalogPage); });
    connect(m_reviewPage, &ReviewPage::loaded, this, [this] { pageLoaded(m_reviewPage); });
    connect(m_experimentsPage, &ExperimentsPage::loaded, this, [this] { pageLoaded(m_experimentsPage); });
    connect(m_modelsPage, &ModelsPage::loaded, this, [this] { pageLoaded(m_modelsPage); });
    auto showMessage = [this](const QString &m) { statusBar()->showMessage(m, 8000); };
    connect(m_reviewPage, &ReviewPage::message, this, showMessage);
    connect(m_modelsPage, &ModelsPage::message, this, showMessage);
    connect(m_modelsPage, &ModelsPage::runActivated, this, [this](const QString &runId) {
        showPage(QStringLiteral("experiments"));
        m_experimentsPage->selectRun(runId);
    });
    connect(m_pipelinesPage, &PipelinesPage::message, this, [this](const QString &m) { statusBar()->showMessage(m, 8000); });
    connect(m_pipelinesPage, &PipelinesPage::runStateChanged, this,
            [this](bool running, const QString &text) {
                m_statusActivity->setText(text);
                m_statusProgress->setVisible(running);
                m_statusCancel->setVisible(running);
            });

    buildActions();
    QSettings settings;
    if (!restoreGeometry(settings.value("window/geometry").toByteArray()))
        resize(1280, 800);
    restoreState(settings.value("window/state").toByteArray());
    m_propertiesDock->setVisible(false);
    m_runsDock->setVisible(false);
}

MainWindow::~MainWindow() = default;

void MainWindow::buildActions()
{
    QMenu *file = menuBar()->addMenu(tr("&File"));
    QAction *open = file->addAction(tr("&Open Workspace…"), this, &MainWindow::chooseWorkspace);
    open->setShortcut(QKeySequence::Open);
    open->setToolTip(tr("Open or create a workspace folder (%1)").arg(open->shortcut().toString(QKeySequence::NativeText)));
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
    m_refreshAction->setToolTip(tr("Read the data of the page on screen again"));
    // F5 is Run on the Pipelines page: there the window's Refresh steps aside, so the key is not ambiguous.
    auto enableRefresh = [this](int row) { m_refreshAction->setEnabled(m_pageNames.value(row) != "pipelines"); };
    connect(m_nav, &QListWidget::currentRowChanged, this, enableRefresh);
    enableRefresh(m_nav->currentRow());

    // The Pipelines page's actions, with their shortcuts shown (the page's toolbar holds the same actions).
    QMenu *pipelineMenu = menuBar()->addMenu(tr("&Pipeline"));
    for (QAction *a : m_pipelinesPage->editActions()) {
        if (a->isSeparator() || a->text().isEmpty())
            pipelineMenu->addSeparator();
        else
            pipelineMenu->addAction(a);
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
        const bool pipelines = m_pageNames.value(m_nav->currentRow()) == "pipelines";
        m_propertiesDock->setVisible(pipelines);
        m_runsDock->setVisible(pipelines);
    }
    setWindowTitle(tr("%1 — Pipewright").arg(QDir(m_workspace).dirName()));
    m_statusWorkspace->setText(tr("Workspace: %1").arg(m_workspace));
    m_pagesLoading = {m_catalogPage, m_reviewPage, m_experimentsPage, m_modelsPage};
    m_imagesPage->setWorkspace(m_workspace); // and its Catalog tab
    m_pipelinesPage->setWorkspace(m_workspace);
    m_reviewPage->setWorkspace(m_workspace);
    m_experimentsPage->setWorkspace(m_workspace);
    m_modelsPage->setWorkspace(m_workspace);
    startScheduler();

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

void MainWindow::refreshCurrentPage()
{
    const QString name = m_pageNames.value(m_nav->currentRow());
    if (name == "images")
        m_imagesPage->reload();
    else if (name == "review")
        m_reviewPage->reload();
    else if (name == "experiments")
        m_experimentsPage->reload();
    else if (name == "models")
        m_modelsPage->reload();
}

void MainWindow::pageLoaded(QObject *page)
{
    if (m_pagesLoading.removeAll(page) > 0 && m_pagesLoading.isEmpty())
        Q_EMIT workspaceLoaded();
}

bool MainWindow::showPage(const QString &name)
{
    const int row = m_pageNames.indexOf(name);
    if (row < 0)
        return false;
    m_nav->setCurrentRow(row);
    return true;
}

void MainWindow::closeEvent(QCloseEvent *event)
{
    if (!m_pipelinesPage->confirmClose()) {
        event->ignore();
        return;
    }
    QSettings settings;
    settings.setValue("window/geometry", saveGeometry());
    settings.setValue("window/state", saveState());
    event->accept();
}

} // namespace pw::ui
