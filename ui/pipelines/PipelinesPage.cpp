// The Pipelines page.
#include "ui/pipelines/PipelinesPage.h"

#include "core/catalog/Catalog.h"
#include "core/compute/Targets.h"
#include "core/pipeline/Databricks.h"
#include "core/registry/Registry.h"
#include "core/store/Database.h"
#include "core/store/Workspace.h"
#include "core/track/Tracker.h"
#include "ui/Icons.h"
#include "ui/dag/Commands.h"
#include "ui/dag/DagScene.h"
#include "ui/dag/DagView.h"
#include "ui/dag/TaskPalette.h"
#include "ui/notify/DesktopNotify.h"
#include "ui/pipelines/PipelineEditor.h"
#include "ui/pipelines/PropertiesPanel.h"
#include "ui/pipelines/RunsDock.h"

#include <QAction>
#include <QApplication>
#include <QDir>
#include <QFileDialog>
#include <QFileInfo>
#include <QInputDialog>
#include <QJsonDocument>
#include <QLabel>
#include <QListWidget>
#include <QMenu>
#include <QMessageBox>
#include <QSaveFile>
#include <QSplitter>
#include <QTabWidget>
#include <QThread>
#include <QTimer>
#include <QToolBar>
#include <QToolButton>
#include <QUndoGroup>
#include <QUndoView>
#include <QVBoxLayout>

#include <algorithm>

namespace pw::ui {

namespace {

QString qs(const std::string &s)
{
    return QString::fromStdString(s);
}

} // namespace

PipelinesPage::PipelinesPage(QWidget *parent)
    : Page(parent)
    , m_toolbar(new QToolBar)
    , m_files(new QListWidget)
    , m_palette(new dag::TaskPalette)
    , m_tabs(new QTabWidget)
    , m_properties(new PropertiesPanel)
    , m_runs(new RunsDock)
    , m_undoGroup(new QUndoGroup(this))
{
    m_tabs->setTabsClosable(true);
    m_tabs->setDocumentMode(true);
    m_files->setObjectName("pipelineFiles");
    m_files->setToolTip(tr("Pipelines of this workspace (its pipelines/ folder, and files elsewhere that have runs "
                           "here); double-click to open"));
    auto *left = new QSplitter(Qt::Vertical);
    auto *filesBox = new QWidget;
    auto *fl = new QVBoxLayout(filesBox);
    fl->setContentsMargins(0, 0, 0, 0);
    fl->addWidget(new QLabel(tr("<b>Pipelines</b>")));
    fl->addWidget(m_files);
    auto *paletteBox = new QWidget;
    auto *pl = new QVBoxLayout(paletteBox);
    pl->setContentsMargins(0, 0, 0, 0);
    pl->addWidget(new QLabel(tr("<b>Task types</b> <small>(drag onto the canvas, or Enter)</small>")));
    pl->addWidget(m_palette);
    auto *historyBox = new QWidget;
    auto *hl = new QVBoxLayout(historyBox);
    hl->setContentsMargins(0, 0, 0, 0);
    hl->addWidget(new QLabel(tr("<b>Undo history</b> <small>(click a step to go back to it)</small>")));
    auto *history = new QUndoView(m_undoGroup);
    history->setEmptyLabel(tr("<opened>"));
    hl->addWidget(history);
    left->addWidget(filesBox);
    left->addWidget(paletteBox);
    left->addWidget(historyBox);
    left->setStretchFactor(1, 2);
    left->setStretchFactor(2, 1);
    auto *split = new QSplitter(Qt::Horizontal);
    split->addWidget(left);
    split->addWidget(m_tabs);
    split->setStretchFactor(1, 4);
    split->setSizes({220, 900});
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(m_toolbar);
    layout->addWidget(split, 1);
    buildActions();

    connect(m_files, &QListWidget::itemActivated, this, [this](QListWidgetItem *item) {
        const QString error = openFile(item->data(Qt::UserRole).toString());
        if (!error.isEmpty())
            QMessageBox::warning(this, tr("Open pipeline"), error);
    });
    connect(m_palette, &dag::TaskPalette::taskTypeActivated, this, &PipelinesPage::addTaskAtCentre);
    connect(m_tabs, &QTabWidget::currentChanged, this, &PipelinesPage::onCurrentChanged);
    connect(m_tabs, &QTabWidget::tabCloseRequested, this, &PipelinesPage::closeTab);
    connect(m_properties, &PropertiesPanel::taskEdited, this, [this](const QString &key, const pipeline::Task &t) {
        if (PipelineEditor *e = currentEditor()) {
            const QString why = dag::pushCommand(e->undoStack(),
                                                 new dag::UpdateTaskCommand(e->model(), key.toStdString(), t));
            if (!why.isEmpty())
                emit message(why);
        }
    });
    connect(m_properties, &PropertiesPanel::taskRenamed, this, [this](const QString &from, const QString &to) {
        PipelineEditor *e = currentEditor();
        if (!e)
            return;
        if (e->model()->pipeline().task(to.toStdString())) {
            emit message(tr("a task named '%1' exists already").arg(to));
            return;
        }
        const QString why = dag::pushCommand(
            e->undoStack(), new dag::RenameTaskCommand(e->model(), from.toStdString(), to.toStdString()));
        if (!why.isEmpty())
            emit message(why);
        else
            e->scene()->selectTask(to);
    });
    connect(m_properties, &PropertiesPanel::settingsEdited, this, [this](const pipeline::Pipeline &s) {
        if (PipelineEditor *e = currentEditor()) {
            const QString why = dag::pushCommand(e->undoStack(), new dag::UpdateSettingsCommand(e->model(), s));
            if (!why.isEmpty())
                emit message(why);
        }
    });
    connect(m_runs, &RunsDock::runSelected, this, [this](qint64 id) {
        m_selectedRun = id;
        m_repairAction->setEnabled(!m_running.load());
    });
    connect(this, &PipelinesPage::runStateChanged, this,
            [this](bool running, const QString &text) { Q_EMIT activityChanged(text, running); });
}

QList<PageDock> PipelinesPage::docks() const
{
    return {{QStringLiteral("propertiesDock"), tr("Properties"), m_properties, Qt::RightDockWidgetArea, 380, 320},
            {QStringLiteral("runsDock"), tr("Runs and logs"), m_runs, Qt::BottomDockWidgetArea, 240, 0}};
}

PipelinesPage::~PipelinesPage()
{
    m_cancel.store(true);
    if (m_runThread)
        m_runThread->wait();
}

void PipelinesPage::buildActions()
{
    // File, edit and view actions show their icon alone (their names are in the tooltips, with the keys); the run
    // actions show their names beside their icons (withText below).
    auto add = [this](const QString &icon, const QString &text, const QKeySequence &key, const QString &tip,
                      auto slot) {
        QAction *a = m_toolbar->addAction(themedIcon(icon), text);
        a->setShortcut(key);
        a->setShortcutContext(Qt::WidgetWithChildrenShortcut);
        const QString named = QString(text).remove(QChar(0x2026)) + ": " + tip; // "Save As: Save the pipeline …"
        a->setToolTip(key.isEmpty() ? named : named + " (" + key.toString(QKeySequence::NativeText) + ")");
        connect(a, &QAction::triggered, this, slot);
        addAction(a);
        return a;
    };
    add("new", tr("New"), QKeySequence::New, tr("A new, empty pipeline"), [this] { newPipeline(); });
    add("open", tr("Open…"), {}, tr("Open a pipeline file"), [this] {
        const QString f = QFileDialog::getOpenFileName(
            this, tr("Open pipeline"), m_ws ? qs(m_ws->pipelinesDir()) : QString(), tr("Pipelines (*.json)"));
        if (!f.isEmpty()) {
            const QString error = openFile(f);
            if (!error.isEmpty())
                QMessageBox::warning(this, tr("Open pipeline"), error);
        }
    });
    add("save", tr("Save"), QKeySequence::Save, tr("Save the pipeline"), [this] { saveCurrent(false); });
    add("save-as", tr("Save As…"), QKeySequence::SaveAs, tr("Save the pipeline under another name"),
        [this] { saveCurrent(true); });
    m_toolbar->addSeparator();
    addUndoActions();
    add("layout", tr("Auto-layout"), QKeySequence(Qt::CTRL | Qt::Key_L), tr("Lay the graph out left to right"), [this] {
        if (PipelineEditor *e = currentEditor())
            e->scene()->autoLayout();
    });
    add("fit", tr("Fit"), QKeySequence(Qt::CTRL | Qt::Key_0), tr("Fit the graph to the view"), [this] {
        if (PipelineEditor *e = currentEditor())
            e->view()->fitToView();
    });
    m_toolbar->addSeparator();
    m_runAction = add("run", tr("Run"), runKey(RunScope::All), tr("Run the pipeline"), [this] {
        const QString why = run(RunScope::All);
        if (!why.isEmpty())
            QMessageBox::information(this, tr("Run"), why);
    });
    m_runSelectedAction = add("run-selected", tr("Run selected"), runKey(RunScope::Selected),
                              tr("Run only the selected tasks"), [this] {
                                  const QString why = run(RunScope::Selected);
                                  if (!why.isEmpty())
                                      QMessageBox::information(this, tr("Run selected"), why);
                              });
    m_runToAction = add("run-to", tr("Run to here"), runKey(RunScope::ToHere),
                        tr("Run the selected task and everything upstream of it"), [this] {
                            const QString why = run(RunScope::ToHere);
                            if (!why.isEmpty())
                                QMessageBox::information(this, tr("Run to here"), why);
                        });
    m_cancelAction = add("cancel", tr("Cancel"), QKeySequence(Qt::Key_Escape | Qt::SHIFT), tr("Cancel the run"),
                         [this] { cancelRun(); });
    m_repairAction = add("repair", tr("Repair"), QKeySequence(Qt::CTRL | Qt::Key_R),
                         tr("Rerun the failed tasks of the run selected in the grid, and everything downstream"),
                         [this] {
                             const QString why = repairSelectedRun();
                             if (!why.isEmpty())
                                 QMessageBox::information(this, tr("Repair"), why);
                         });
    m_cancelAction->setEnabled(false);
    m_repairAction->setEnabled(false);
    m_toolbar->addSeparator();
    addExchangeMenu();
    for (QAction *a :
         {m_runAction, m_runSelectedAction, m_runToAction, m_cancelAction, m_repairAction, m_exchangeAction})
        if (auto *button = qobject_cast<QToolButton *>(m_toolbar->widgetForAction(a)))
            button->setToolButtonStyle(Qt::ToolButtonTextBesideIcon);
}

// Undo and Redo keep their text ("Undo", "Redo") so that the toolbar never shifts; what they would undo or
// redo is in their tooltips (and the undo history beside the canvas).
void PipelinesPage::addUndoActions()
{
    QAction *undo = m_toolbar->addAction(themedIcon("undo"), tr("Undo"));
    QAction *redo = m_toolbar->addAction(themedIcon("redo"), tr("Redo"));
    undo->setObjectName("undoAction");
    redo->setObjectName("redoAction");
    undo->setShortcut(QKeySequence::Undo);
    redo->setShortcut(QKeySequence::Redo);
    for (QAction *a : {undo, redo}) {
        a->setShortcutContext(Qt::WidgetWithChildrenShortcut);
        a->setEnabled(false);
        addAction(a);
    }
    connect(undo, &QAction::triggered, m_undoGroup, &QUndoGroup::undo);
    connect(redo, &QAction::triggered, m_undoGroup, &QUndoGroup::redo);
    connect(m_undoGroup, &QUndoGroup::canUndoChanged, undo, &QAction::setEnabled);
    connect(m_undoGroup, &QUndoGroup::canRedoChanged, redo, &QAction::setEnabled);
    const auto tip = [](QAction *a, const QString &verb, const QString &what) {
        const QString key = a->shortcut().toString(QKeySequence::NativeText);
        a->setToolTip(what.isEmpty() ? tr("%1 (%2): nothing to %3").arg(verb, key, verb.toLower())
                                     : tr("%1: %2 (%3)").arg(verb, what, key));
    };
    connect(m_undoGroup, &QUndoGroup::undoTextChanged, undo,
            [undo, tip](const QString &what) { tip(undo, tr("Undo"), what); });
    connect(m_undoGroup, &QUndoGroup::redoTextChanged, redo,
            [redo, tip](const QString &what) { tip(redo, tr("Redo"), what); });
    tip(undo, tr("Undo"), {});
    tip(redo, tr("Redo"), {});
}

// The Databricks import and export and the graph's image, in one menu button: the toolbar keeps the run actions
// in view at 1600 px and less.
void PipelinesPage::addExchangeMenu()
{
    auto *menu = new QMenu(this);
    const auto item = [this, menu](const QString &text, const QString &tip, auto slot) {
        QAction *a = menu->addAction(text, this, slot);
        a->setToolTip(tip);
        a->setStatusTip(tip);
    };
    item(tr("Import Databricks…"), tr("Open a Databricks Jobs 2.1 job JSON as a new pipeline"),
         [this] { importDatabricks(); });
    item(tr("Export Databricks…"), tr("Write the pipeline as a Databricks Jobs 2.1 create payload"),
         [this] { exportDatabricks(); });
    item(tr("Export image…"), tr("Save the graph as PNG or SVG"), [this] { exportImage(); });
    menu->setToolTipsVisible(true);
    m_exchangeAction = m_toolbar->addAction(themedIcon("exchange"), tr("Import/Export"));
    m_exchangeAction->setObjectName("exchangeAction");
    m_exchangeAction->setMenu(menu);
    m_exchangeAction->setToolTip(tr("Import a Databricks job; export the pipeline as one, or the graph as an image"));
    if (auto *button = qobject_cast<QToolButton *>(m_toolbar->widgetForAction(m_exchangeAction)))
        button->setPopupMode(QToolButton::InstantPopup);
}

QKeySequence PipelinesPage::runKey(RunScope scope)
{
    switch (scope) {
    case RunScope::Selected: return QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_Return);
    case RunScope::ToHere: return QKeySequence(Qt::CTRL | Qt::ALT | Qt::Key_Return);
    case RunScope::All: break;
    }
    return QKeySequence(Qt::CTRL | Qt::Key_Return);
}

void PipelinesPage::addTaskAtCentre(const QString &type)
{
    PipelineEditor *e = currentEditor();
    if (!e) {
        emit message(tr("Open or create a pipeline first: the task goes onto its canvas."));
        return;
    }
    const QPointF centre = e->view()->mapToScene(e->view()->viewport()->rect().center());
    const QString key = e->scene()->addTaskOfType(type, centre);
    if (key.isEmpty())
        return;
    e->scene()->selectTask(key);
    e->view()->setFocus(Qt::OtherFocusReason);
}

QList<QAction *> PipelinesPage::editActions() const
{
    return m_toolbar->actions();
}

PipelineEditor *PipelinesPage::currentEditor() const
{
    return qobject_cast<PipelineEditor *>(m_tabs->currentWidget());
}

void PipelinesPage::setWorkspace(const QString &root)
{
    showWorkspace(root);
    Q_EMIT loaded(); // read on the GUI thread: shown (or refused, or its error told) by now
}

void PipelinesPage::reload()
{
    refreshFiles(); // a pipeline run from elsewhere joins the list
    refreshRuns();
    refreshChoices();
    Q_EMIT loaded();
}

void PipelinesPage::showWorkspace(const QString &root)
{
    if (!confirmClose())
        return;
    while (m_tabs->count() > 0) {
        QWidget *w = m_tabs->widget(0);
        m_tabs->removeTab(0);
        delete w;
    }
    try {
        m_ws = std::make_unique<store::Workspace>(store::Workspace::open(root.toStdString()));
    } catch (const std::exception &e) {
        m_ws.reset();
        emit message(tr("Cannot open the workspace: %1").arg(QString::fromUtf8(e.what())));
        return;
    }
    refreshChoices();
    refreshFiles();
    if (m_files->count() > 0)
        openFile(m_files->item(0)->data(Qt::UserRole).toString());
}

void PipelinesPage::refreshFiles()
{
    const QString current = m_files->currentItem() ? m_files->currentItem()->data(Qt::UserRole).toString() : QString();
    refreshFileList();
    for (int i = 0; i < m_files->count() && !current.isEmpty(); ++i)
        if (m_files->item(i)->data(Qt::UserRole).toString() == current)
            m_files->setCurrentRow(i);
}

void PipelinesPage::refreshFileList()
{
    m_files->clear();
    if (!m_ws)
        return;
    QFileInfoList files = QDir(qs(m_ws->pipelinesDir())).entryInfoList({"*.json"}, QDir::Files, QDir::Name);
    const int inFolder = int(files.size());
    // Pipelines opened from elsewhere that have runs here are listed too (after the folder's), while they exist.
    try {
        auto db = m_ws->openCatalog();
        for (const std::string &file : pipeline::filesWithRuns(*db)) {
            const QFileInfo fi(qs(file));
            const bool listed = std::any_of(files.begin(), files.end(), [&fi](const QFileInfo &f) {
                return f.absoluteFilePath() == fi.absoluteFilePath();
            });
            if (fi.isFile() && !listed)
                files << fi;
        }
    } catch (const std::exception &e) {
        emit message(tr("Cannot read the pipelines' runs: %1").arg(QString::fromUtf8(e.what())));
    }
    for (int i = 0; i < files.size(); ++i)
        addFileItem(files.at(i), i >= inFolder);
}

void PipelinesPage::addFileItem(const QFileInfo &fi, bool elsewhere)
{
    std::vector<pipeline::ValidationError> errors;
    const auto p = pipeline::loadPipeline(fi.absoluteFilePath().toStdString(), errors);
    const QString name = p.name.empty() ? fi.completeBaseName() : qs(p.name);
    auto *item = new QListWidgetItem(elsewhere ? tr("%1 (%2)").arg(name, fi.fileName()) : name);
    item->setData(Qt::UserRole, fi.absoluteFilePath());
    QString tip = fi.absoluteFilePath() + "\n" + tr("%n task(s)", nullptr, int(p.tasks.size()));
    if (elsewhere)
        tip += "\n" + tr("outside the workspace's pipelines/ folder; listed because it has runs here");
    if (p.schedule)
        tip += "\n"
               + tr("schedule: %1 (%2)%3")
                     .arg(qs(p.schedule->expression), qs(p.schedule->timezone),
                          p.schedule->paused ? tr(", paused") : QString());
    if (p.fileArrival)
        tip += "\n" + tr("runs when files arrive in %1").arg(qs(p.fileArrival->path));
    item->setToolTip(tip);
    m_files->addItem(item);
}

void PipelinesPage::refreshChoices()
{
    if (!m_ws)
        return;
    WorkspaceChoices c;
    try {
        auto db = m_ws->openCatalog();
        for (const auto &t : catalog::Catalog(*db).tables())
            c.tables << qs(t);
        for (const auto &e : track::Tracker(*db).experiments())
            c.experiments << qs(e);
        c.targets.clear();
        for (const auto &t : compute::targetNames(*db))
            c.targets << qs(t);
        registry::Registry reg(*m_ws, *db);
        for (const auto &name : reg.models()) {
            c.modelNames << qs(name);
            c.models << qs(name) + "@Production" << qs(name) + "@Staging";
            for (const auto &v : reg.versions(name))
                c.models << qs(name) + ":" + QString::number(v.version);
        }
    } catch (const std::exception &e) {
        emit message(tr("Cannot read the workspace: %1").arg(QString::fromUtf8(e.what())));
    }
    m_properties->setChoices(c);
}

QString PipelinesPage::openFile(const QString &file)
{
    const QString abs = QFileInfo(file).absoluteFilePath();
    for (int i = 0; i < m_tabs->count(); ++i) {
        auto *e = qobject_cast<PipelineEditor *>(m_tabs->widget(i));
        if (e && e->file() == abs) {
            m_tabs->setCurrentIndex(i);
            return {};
        }
    }
    auto *editor = new PipelineEditor;
    const QString error = editor->load(abs);
    if (!error.isEmpty()) {
        delete editor;
        return error;
    }
    m_undoGroup->addStack(editor->undoStack());
    connect(editor, &PipelineEditor::dirtyChanged, this, [this, editor] {
        const int i = m_tabs->indexOf(editor);
        if (i >= 0)
            m_tabs->setTabText(i, editor->title());
    });
    connect(editor, &PipelineEditor::taskSelected, this, [this, editor](const QString &key) {
        if (editor == currentEditor())
            m_properties->showTask(editor->model()->pipeline(), key.toStdString());
    });
    connect(editor->model(), &pipeline::PipelineModel::validated, this, [this, editor] {
        // The runs grid's rows follow the tasks at once (a task added shows before the next run).
        if (editor == currentEditor())
            m_runs->setTasks(pipeline::topologicalOrder(editor->model()->pipeline()));
        // Keep the panel in step with changes made elsewhere (undo, the canvas), unless the user is typing in it or
        // picking from a popup of it (a completion: rebuilding the form would delete it under its own key event).
        if (editor == currentEditor() && !m_properties->isAncestorOf(QApplication::focusWidget())
            && !QApplication::activePopupWidget())
            m_properties->showTask(editor->model()->pipeline(), m_properties->shownTask().toStdString());
    });
    connect(editor, &PipelineEditor::problemActivated, this, [this, editor](const QString &key, const QString &field) {
        m_properties->showTask(editor->model()->pipeline(), key.toStdString());
        m_properties->focusField(field);
    });
    connect(editor, &PipelineEditor::message, this, &PipelinesPage::message);
    const int index = m_tabs->addTab(editor, editor->title());
    m_tabs->setTabToolTip(index, abs);
    m_tabs->setCurrentIndex(index);
    QTimer::singleShot(0, editor->view(), [editor] { editor->view()->fitToView(); });
    return {};
}

void PipelinesPage::onCurrentChanged()
{
    PipelineEditor *e = currentEditor();
    m_undoGroup->setActiveStack(e ? e->undoStack() : nullptr);
    if (!e) {
        m_runs->setRuns({}, {});
        return;
    }
    m_properties->showPipeline(e->model()->pipeline());
    refreshRuns();
}

void PipelinesPage::refreshRuns()
{
    PipelineEditor *e = currentEditor();
    if (!e || !m_ws)
        return;
    try {
        auto db = m_ws->openCatalog();
        pipeline::failOrphanedRuns(*db);
        const auto runs = pipeline::listRuns(*db, e->model()->pipeline().name, 30);
        m_runs->setRuns(pipeline::topologicalOrder(e->model()->pipeline()), runs);
    } catch (const std::exception &ex) {
        emit message(tr("Cannot read the runs: %1").arg(QString::fromUtf8(ex.what())));
    }
}

QString PipelinesPage::run(RunScope scope)
{
    PipelineEditor *e = currentEditor();
    if (!e)
        return tr("Open a pipeline first.");
    if (!m_ws)
        return tr("No workspace is open.");
    if (m_running.load())
        return tr("A run is in progress; cancel it or wait for it to end.");
    if (!e->model()->errors().empty())
        return tr("The pipeline has %n problem(s): see the problems list under the canvas.", nullptr,
                  int(e->model()->errors().size()));
    pipeline::RunOptions o;
    o.file = e->file().toStdString();
    const QStringList selected = e->scene()->selectedTaskKeys();
    if (scope != RunScope::All && selected.isEmpty())
        return tr("Select a task on the canvas first.");
    if (scope == RunScope::Selected)
        for (const QString &k : selected)
            o.only.push_back(k.toStdString());
    if (scope == RunScope::ToHere) {
        if (selected.size() != 1)
            return tr("Select one task: the run goes up to it.");
        o.to = selected.front().toStdString();
    }
    startRun(e->model()->pipeline(), o, 0);
    return {};
}

QString PipelinesPage::repairSelectedRun()
{
    if (!m_ws || m_selectedRun <= 0)
        return tr("Click a run in the grid first.");
    if (m_running.load())
        return tr("A run is in progress.");
    try {
        auto db = m_ws->openCatalog();
        const auto r = pipeline::loadRun(*db, m_selectedRun);
        if (r.result == "SUCCESS")
            return tr("Run %1 succeeded: nothing to repair.").arg(m_selectedRun);
        startRun(pipeline::pipelineOfRun(*db, m_selectedRun), {}, m_selectedRun);
    } catch (const std::exception &ex) {
        return QString::fromUtf8(ex.what());
    }
    return {};
}

void PipelinesPage::startRun(const pipeline::Pipeline &p, pipeline::RunOptions options, std::int64_t repairOf)
{
    PipelineEditor *editor = currentEditor();
    m_runningEditor = editor;
    if (editor)
        editor->clearRunStates();
    m_cancel.store(false);
    m_running.store(true);
    m_runAction->setEnabled(false);
    m_runSelectedAction->setEnabled(false);
    m_runToAction->setEnabled(false);
    m_repairAction->setEnabled(false);
    m_cancelAction->setEnabled(true);
    options.pipewrightPath = QCoreApplication::applicationFilePath().toStdString();
    options.desktopNotifier = notify::desktopNotify;
    emit runStateChanged(true, tr("Running pipeline %1…").arg(qs(p.name)));
    const store::Workspace &ws = *m_ws;
    auto observer = [this](const pipeline::Event &e) {
        QMetaObject::invokeMethod(
            this,
            [this, e] {
                if (m_runningEditor)
                    m_runningEditor->applyEvent(e);
                m_runs->applyEvent(e);
                if (!e.taskKey.empty() && (e.lifeCycle == "TERMINATED" || e.lifeCycle == "SKIPPED"))
                    refreshRuns(); // attempt times for the timeline
            },
            Qt::QueuedConnection);
    };
    m_runThread = QThread::create([this, &ws, p, options, observer, repairOf] {
        QString text;
        try {
            const pipeline::RunInfo r = repairOf > 0 ? pipeline::repairRun(ws, repairOf, options, observer, &m_cancel)
                                                     : pipeline::runPipeline(ws, p, options, observer, &m_cancel);
            text = tr("Pipeline %1: run %2 %3%4")
                       .arg(qs(p.name))
                       .arg(r.runId)
                       .arg(qs(r.result))
                       .arg(r.message.empty() ? QString() : " — " + qs(r.message));
        } catch (const std::exception &ex) {
            text = tr("Pipeline %1 could not run: %2").arg(qs(p.name), QString::fromUtf8(ex.what()));
        }
        QMetaObject::invokeMethod(
            this,
            [this, text] {
                m_running.store(false);
                m_runAction->setEnabled(true);
                m_runSelectedAction->setEnabled(true);
                m_runToAction->setEnabled(true);
                m_cancelAction->setEnabled(false);
                refreshRuns();
                emit runStateChanged(false, text);
            },
            Qt::QueuedConnection);
    });
    connect(m_runThread, &QThread::finished, m_runThread, &QObject::deleteLater);
    connect(m_runThread, &QThread::destroyed, this, [this] { m_runThread = nullptr; });
    m_runThread->start();
}

void PipelinesPage::cancelRun()
{
    m_cancel.store(true);
    emit message(tr("Canceling the run…"));
}

void PipelinesPage::newPipeline()
{
    if (!m_ws)
        return;
    bool ok = false;
    const QString name = QInputDialog::getText(this, tr("New pipeline"), tr("Name:"), QLineEdit::Normal, tr("pipeline"),
                                               &ok);
    if (!ok || name.isEmpty())
        return;
    QString file = qs(m_ws->pipelinesDir()) + "/" + name + ".json";
    for (int i = 2; QFileInfo::exists(file); ++i)
        file = qs(m_ws->pipelinesDir()) + "/" + name + "-" + QString::number(i) + ".json";
    pipeline::Pipeline p;
    p.name = name.toStdString();
    auto *editor = new PipelineEditor;
    editor->setPipeline(p, file);
    QDir().mkpath(qs(m_ws->pipelinesDir()));
    editor->save();
    delete editor;
    refreshFiles();
    openFile(file);
}

void PipelinesPage::saveCurrent(bool as)
{
    PipelineEditor *e = currentEditor();
    if (!e)
        return;
    QString file = e->file();
    if (as || file.isEmpty()) {
        file = QFileDialog::getSaveFileName(this, tr("Save pipeline"), file, tr("Pipelines (*.json)"));
        if (file.isEmpty())
            return;
    }
    const QString error = e->save(file);
    if (!error.isEmpty())
        QMessageBox::warning(this, tr("Save pipeline"), error);
    m_tabs->setTabText(m_tabs->currentIndex(), e->title());
    refreshFiles();
}

void PipelinesPage::importDatabricks()
{
    const QString in = QFileDialog::getOpenFileName(this, tr("Import a Databricks job"), {}, tr("Job JSON (*.json)"));
    if (in.isEmpty() || !m_ws)
        return;
    QFile f(in);
    if (!f.open(QIODevice::ReadOnly))
        return;
    try {
        const auto imported = pipeline::importDatabricks(f.readAll());
        const QString file = qs(m_ws->pipelinesDir()) + "/" + QFileInfo(in).completeBaseName() + "-imported.json";
        auto *editor = new PipelineEditor;
        editor->setPipeline(imported.pipeline, file);
        const QString error = editor->save();
        delete editor;
        if (!error.isEmpty())
            throw std::runtime_error(error.toStdString());
        refreshFiles();
        openFile(file);
        QStringList notes;
        for (const auto &n : imported.notes)
            notes << qs(n);
        if (!notes.isEmpty())
            QMessageBox::information(this, tr("Imported with notes"), notes.join('\n'));
    } catch (const std::exception &e) {
        QMessageBox::warning(this, tr("Import a Databricks job"), QString::fromUtf8(e.what()));
    }
}

void PipelinesPage::exportDatabricks()
{
    PipelineEditor *e = currentEditor();
    if (!e)
        return;
    const QString out = QFileDialog::getSaveFileName(this, tr("Export as a Databricks job"), {},
                                                     tr("Job JSON (*.json)"));
    if (out.isEmpty())
        return;
    std::vector<std::string> notes;
    QSaveFile f(out);
    const QByteArray json = QJsonDocument(pipeline::exportDatabricks(e->model()->pipeline(), &notes)).toJson();
    if (!f.open(QIODevice::WriteOnly) || f.write(json) != json.size() || !f.commit())
        QMessageBox::warning(this, tr("Export"), tr("Cannot write '%1'").arg(out));
    else if (!notes.empty())
        emit message(tr("Exported with %n note(s)", nullptr, int(notes.size())));
}

void PipelinesPage::exportImage()
{
    PipelineEditor *e = currentEditor();
    if (!e)
        return;
    const QString out = QFileDialog::getSaveFileName(this, tr("Export the graph"), {}, tr("PNG (*.png);;SVG (*.svg)"));
    if (out.isEmpty())
        return;
    const bool ok = out.endsWith(".svg", Qt::CaseInsensitive) ? e->scene()->exportSvg(out) : e->scene()->exportPng(out);
    emit message(ok ? tr("Wrote %1").arg(out) : tr("Cannot write %1").arg(out));
}

void PipelinesPage::closeTab(int index)
{
    auto *e = qobject_cast<PipelineEditor *>(m_tabs->widget(index));
    if (!e)
        return;
    if (e->isDirty()) {
        const auto answer = QMessageBox::question(this, tr("Unsaved pipeline"),
                                                  tr("Save the changes to %1?").arg(e->title()),
                                                  QMessageBox::Save | QMessageBox::Discard | QMessageBox::Cancel);
        if (answer == QMessageBox::Cancel)
            return;
        if (answer == QMessageBox::Save && !e->save().isEmpty())
            return;
    }
    if (e == m_runningEditor)
        m_runningEditor = nullptr;
    m_tabs->removeTab(index);
    e->deleteLater();
}

bool PipelinesPage::confirmClose()
{
    for (int i = 0; i < m_tabs->count(); ++i) {
        auto *e = qobject_cast<PipelineEditor *>(m_tabs->widget(i));
        if (!e || !e->isDirty())
            continue;
        m_tabs->setCurrentIndex(i);
        const auto answer = QMessageBox::question(this, tr("Unsaved pipeline"),
                                                  tr("Save the changes to %1?").arg(e->title()),
                                                  QMessageBox::Save | QMessageBox::Discard | QMessageBox::Cancel);
        if (answer == QMessageBox::Cancel)
            return false;
        if (answer == QMessageBox::Save && !e->save().isEmpty())
            return false;
    }
    return true;
}

} // namespace pw::ui
