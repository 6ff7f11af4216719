// The Pipelines page end to end, offscreen: a workspace's pipeline opened in a tab and run through the
// executor (live node states, the runs grid, a grid cell's log), a run of the selected task and a repair;
// the runs grid under QAbstractItemModelTester; save and load keeping the layout; the properties panel
// pushing undoable edits and focusing the field of a clicked problem; the tab's dirty marker.
// Only shell tasks run, so no pipewright binary is involved.
#include "core/pipeline/PipelineModel.h"
#include "core/store/Workspace.h"
#include "ui/MainWindow.h"
#include "ui/dag/TaskPalette.h"
#include "tests/TestData.h"
#include "ui/dag/Commands.h"
#include "ui/dag/DagScene.h"
#include "ui/dag/DagView.h"
#include "ui/dag/NodeItem.h"
#include "ui/pipelines/PipelineEditor.h"
#include "ui/pipelines/PipelinesPage.h"
#include "ui/pipelines/PropertiesPanel.h"
#include "ui/pipelines/RunGridModel.h"
#include "ui/pipelines/RunsDock.h"

#include <QAbstractItemModelTester>
#include <QAbstractItemView>
#include <QCompleter>
#include <QFontInfo>
#include <QSettings>
#include <QToolBar>
#include <QUndoStack>
#include <QDir>
#include <QImage>
#include <QAction>
#include <QApplication>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QLabel>
#include <QLineEdit>
#include <QListWidget>
#include <QMenu>
#include <QPlainTextEdit>
#include <QSignalSpy>
#include <QTabWidget>
#include <QTableView>
#include <QTemporaryDir>
#include <QTest>
#include <QVBoxLayout>

using namespace pw;
namespace dag = ui::dag;
using ui::PipelineEditor;
using ui::PipelinesPage;
using ui::RunGridModel;

Q_DECLARE_METATYPE(pw::ui::PipelinesPage::RunScope)

namespace {

QJsonObject shellTask(const QString &key, const QString &script, const QStringList &deps = {})
{
    QJsonArray dependsOn;
    for (const QString &d : deps)
        dependsOn.append(QJsonObject{{"task_key", d}});
    return {{"task_key", key},
            {"type", "shell"},
            {"depends_on", dependsOn},
            {"params", QJsonObject{{"argv", QJsonArray{"/bin/sh", "-c", script}}}}};
}

// a -> b, a -> c: b takes half a second and prints a line; c fails with exit 2 unless `flag` exists.
QByteArray fanPipeline(const QString &flag)
{
    const QJsonArray tasks{
        shellTask("a", "echo a-done"),
        shellTask("b", "sleep 0.5; echo hello-from-b", {"a"}),
        shellTask("c", QString("if [ -e '%1' ]; then echo c-fixed; else echo c-missing-flag; exit 2; fi").arg(flag),
                  {"a"}),
    };
    return QJsonDocument(
               QJsonObject{{"name", "fan"}, {"format_version", 1}, {"max_parallel_tasks", 2}, {"tasks", tasks}})
        .toJson();
}

// train -> evaluate: the evaluate task's run is to be wired to the train task's run id.
QByteArray trainEvaluatePipeline()
{
    const QJsonArray tasks{
        QJsonObject{{"task_key", "train"}, {"type", "train"}, {"params", QJsonObject{{"table", "fashion"}}}},
        QJsonObject{{"task_key", "evaluate"},
                    {"type", "evaluate"},
                    {"depends_on", QJsonArray{QJsonObject{{"task_key", "train"}}}},
                    {"params", QJsonObject{{"run", ""}, {"table", "fashion"}}}},
    };
    return QJsonDocument(QJsonObject{{"name", "te"}, {"format_version", 1}, {"tasks", tasks}}).toJson();
}

// The line edit of a form field (the field itself, or the one inside it: a combo's, a row with a picker).
// What a field's completer offers now, in its order.
QStringList completionsOf(QCompleter *completer)
{
    QStringList offered;
    for (int r = 0; r < completer->completionModel()->rowCount(); ++r)
        offered << completer->completionModel()->index(r, 0).data().toString();
    return offered;
}

QLineEdit *lineEditOf(QWidget *field)
{
    if (auto *edit = qobject_cast<QLineEdit *>(field))
        return edit;
    return field ? field->findChild<QLineEdit *>() : nullptr;
}

QByteArray jsonOf(const pipeline::Pipeline &p)
{
    return QJsonDocument(pipeline::toJson(p)).toJson(QJsonDocument::Compact);
}

// The page with its properties panel and runs dock around it, as the main window docks them, shown.
struct Workbench
{
    QWidget window;
    PipelinesPage *page = new PipelinesPage;

    explicit Workbench(const QString &root)
    {
        auto *top = new QHBoxLayout;
        top->addWidget(page, 3);
        top->addWidget(page->propertiesPanel(), 1);
        auto *layout = new QVBoxLayout(&window);
        layout->addLayout(top, 3);
        layout->addWidget(page->runsDock(), 1);
        window.resize(1400, 900);
        page->setWorkspace(root);
        window.show();
    }
    PipelineEditor *editor() const { return page->currentEditor(); }
    QTabWidget *tabs() const { return page->findChild<QTabWidget *>(); }
    QTableView *gridView() const { return page->runsDock()->findChild<QTableView *>(); }
    QString nodeText(const char *key) const { return editor()->scene()->node(key)->runStateText(); }
    QAction *action(const QString &text) const
    {
        for (QAction *a : page->editActions())
            if (a->text() == text)
                return a;
        return nullptr;
    }
    bool waitForRunEnd() const
    {
        return QTest::qWaitFor([this] { return !page->isRunning(); }, 60000);
    }
    // A real click on the cell of (task row, run column) of the grid.
    void clickCell(int row, int column) const
    {
        QTableView *view = gridView();
        const QModelIndex i = page->runsDock()->grid()->index(row, column);
        view->scrollTo(i);
        QTest::mouseClick(view->viewport(), Qt::LeftButton, {}, view->visualRect(i).center());
    }
};

// The field widget of a form row by its label's text (the label's buddy), in `panel`.
QWidget *fieldOf(QWidget *panel, const QString &label)
{
    for (QLabel *l : panel->findChildren<QLabel *>()) {
        if (l->text() == label && l->buddy())
            return l->buddy();
    }
    return nullptr;
}

} // namespace

class tst_PipelinesPage : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void init();
    void runShowsStatesGridAndLogs();
    void runScope_data();
    void runScope();
    void gridModelFollowsEvents();
    void saveLoadKeepsLayout();
    void panelEditIsUndoable();
    void problemSelectsTaskAndFocusesField();
    void dirtyMarker();
    void runMonitorTellsTheTruth();
    void undoButtonKeepsItsPlace();
    void toolbarFitsAt1600();
    void paletteAddsAtTheCentre();
    void runKeysAreNotRefresh();
    void upstreamOutputsAreOffered();
    void undoHistorySaysWhatChanged();
    void listsPipelinesRunFromElsewhere();
    void nodeTextReadsAt100Percent_data();
    void nodeTextReadsAt100Percent();

private:
    // A fresh workspace with pipelines/fan.json.
    std::unique_ptr<QTemporaryDir> m_dir;
    QString m_root, m_flag;
};

void tst_PipelinesPage::init()
{
    m_dir = std::make_unique<QTemporaryDir>();
    QVERIFY(m_dir->isValid());
    m_root = m_dir->filePath("ws");
    m_flag = m_dir->filePath("c-may-succeed");
    store::Workspace::open(m_root.toStdString());
    QVERIFY(test::writeFile(m_root + "/pipelines/fan.json", fanPipeline(m_flag)));
}

void tst_PipelinesPage::runShowsStatesGridAndLogs()
{
    Workbench w(m_root);
    PipelineEditor *e = w.editor();
    QVERIFY(e);
    QCOMPARE(e->file(), QFileInfo(m_root + "/pipelines/fan.json").absoluteFilePath());
    QVERIFY(e->model()->errors().empty());
    RunGridModel *grid = w.page->runsDock()->grid();
    QAbstractItemModelTester tester(grid, QAbstractItemModelTester::FailureReportingMode::QtTest);
    QCOMPARE(grid->columnCount(), 0);

    // Run selected with nothing selected is refused in words, and starts nothing.
    e->scene()->selectTask({});
    QVERIFY(!w.page->run(PipelinesPage::RunScope::Selected).isEmpty());
    QVERIFY(!w.page->isRunning());

    QSignalSpy runStates(w.page, &PipelinesPage::runStateChanged);
    QCOMPARE(w.page->run(PipelinesPage::RunScope::All), QString());
    QVERIFY(w.page->isRunning());
    QVERIFY(!w.page->run(PipelinesPage::RunScope::All).isEmpty()); // one run at a time
    QVERIFY2(QTest::qWaitFor([&] { return w.nodeText("b").startsWith("running"); }, 5000), qPrintable(w.nodeText("b")));
    QVERIFY(w.waitForRunEnd());
    QCOMPARE(w.nodeText("a"), QString("success"));
    QCOMPARE(w.nodeText("b"), QString("success"));
    QCOMPARE(w.nodeText("c"), QString("failed"));
    QCOMPARE(runStates.count(), 2);
    QCOMPARE(runStates.last().at(0).toBool(), false);
    QVERIFY2(runStates.last().at(1).toString().contains("FAILED"), qPrintable(runStates.last().at(1).toString()));

    // One column, a row per task in dependency order.
    QCOMPARE(grid->columnCount(), 1);
    QCOMPARE(grid->rowCount(), 3);
    const QStringList keys{"a", "b", "c"}, results{"SUCCESS", "SUCCESS", "FAILED"};
    for (int row = 0; row < 3; ++row) {
        QCOMPARE(grid->taskKey(row), keys[row]);
        QCOMPARE(grid->index(row, 0).data(RunGridModel::ResultRole).toString(), results[row]);
    }
    const std::int64_t firstRun = grid->runId(0);
    QVERIFY(firstRun > 0);

    // A click on b's cell shows that attempt's log.
    w.clickCell(1, 0);
    QCOMPARE(w.page->runsDock()->log()->path(), grid->index(1, 0).data(RunGridModel::LogPathRole).toString());
    QVERIFY2(w.page->runsDock()->log()->text().contains("hello-from-b"), qPrintable(w.page->runsDock()->log()->text()));

    // Run selected: only b runs, the others are excluded in a second column.
    e->scene()->selectTask("b");
    QCOMPARE(w.page->run(PipelinesPage::RunScope::Selected), QString());
    QVERIFY(w.waitForRunEnd());
    QCOMPARE(grid->columnCount(), 2);
    QCOMPARE(grid->index(0, 1).data(RunGridModel::ResultRole).toString(), QString("EXCLUDED"));
    QCOMPARE(grid->index(1, 1).data(RunGridModel::ResultRole).toString(), QString("SUCCESS"));
    QCOMPARE(grid->index(2, 1).data(RunGridModel::ResultRole).toString(), QString("EXCLUDED"));
    QCOMPARE(w.nodeText("b"), QString("success"));
    QCOMPARE(w.nodeText("c"), QString("excluded"));

    // Repair of the first run once c can succeed: c's cell of that run picks the run (and shows its log).
    w.clickCell(2, 0);
    QVERIFY2(w.page->runsDock()->log()->text().contains("c-missing-flag"),
             qPrintable(w.page->runsDock()->log()->text()));
    QVERIFY(test::writeFile(m_flag, "ok"));
    QCOMPARE(w.page->repairSelectedRun(), QString());
    QVERIFY(w.waitForRunEnd());
    QCOMPARE(grid->columnCount(), 3);
    QCOMPARE(grid->run(2).repairOf, firstRun);
    for (int row = 0; row < 3; ++row)
        QCOMPARE(grid->index(row, 2).data(RunGridModel::ResultRole).toString(), QString("SUCCESS"));
    QCOMPARE(w.nodeText("c"), QString("success"));
    // The first run repaired, there is nothing more to repair in the new one.
    w.clickCell(2, 2);
    QVERIFY(w.page->runsDock()->log()->text().contains("c-fixed"));
    QVERIFY(!w.page->repairSelectedRun().isEmpty());
    QVERIFY(!w.page->isRunning());
}

void tst_PipelinesPage::runScope_data()
{
    QTest::addColumn<PipelinesPage::RunScope>("scope");
    QTest::addColumn<QStringList>("selected");
    QTest::addColumn<QStringList>("results"); // of a, b, c; empty: refused
    using S = PipelinesPage::RunScope;
    QTest::newRow("to here: c") << S::ToHere << QStringList{"c"} << QStringList{"SUCCESS", "EXCLUDED", "FAILED"};
    QTest::newRow("to here: a") << S::ToHere << QStringList{"a"} << QStringList{"SUCCESS", "EXCLUDED", "EXCLUDED"};
    QTest::newRow("selected: b and c") << S::Selected << QStringList{"b", "c"}
                                       << QStringList{"EXCLUDED", "SUCCESS", "FAILED"};
    QTest::newRow("to here: two selected") << S::ToHere << QStringList{"b", "c"} << QStringList{};
    QTest::newRow("to here: none selected") << S::ToHere << QStringList{} << QStringList{};
}

void tst_PipelinesPage::runScope()
{
    QFETCH(PipelinesPage::RunScope, scope);
    QFETCH(QStringList, selected);
    QFETCH(QStringList, results);
    Workbench w(m_root);
    PipelineEditor *e = w.editor();
    e->scene()->selectTask({});
    for (const QString &key : selected)
        e->scene()->node(key)->setSelected(true);
    QCOMPARE(e->scene()->selectedTaskKeys(), selected);
    const QString why = w.page->run(scope);
    RunGridModel *grid = w.page->runsDock()->grid();
    if (results.isEmpty()) {
        QVERIFY(!why.isEmpty());
        QVERIFY(!w.page->isRunning());
        QCOMPARE(grid->columnCount(), 0);
        return;
    }
    QCOMPARE(why, QString());
    QVERIFY(w.waitForRunEnd());
    QCOMPARE(grid->columnCount(), 1);
    for (int row = 0; row < 3; ++row)
        QCOMPARE(grid->index(row, 0).data(RunGridModel::ResultRole).toString(), results[row]);
    QCOMPARE(w.nodeText("b"), results[1] == "EXCLUDED" ? QString("excluded") : QString("success"));
}

void tst_PipelinesPage::gridModelFollowsEvents()
{
    RunGridModel grid;
    QAbstractItemModelTester tester(&grid, QAbstractItemModelTester::FailureReportingMode::QtTest);
    auto run = [](std::int64_t id, const char *bResult) {
        pipeline::RunInfo r;
        r.runId = id;
        r.lifeCycle = "TERMINATED";
        r.result = bResult;
        for (const char *k : {"a", "b"}) {
            pipeline::TaskRunInfo t;
            t.key = k;
            t.lifeCycle = "TERMINATED";
            t.result = std::string(k) == "b" ? bResult : "SUCCESS";
            t.attempts = 1;
            r.tasks.push_back(t);
        }
        return r;
    };
    grid.setRuns({"a", "b"}, {run(7, "FAILED"), run(3, "SUCCESS")}); // newest first, as listRuns gives them
    QCOMPARE(grid.columnCount(), 2);
    QCOMPARE(grid.runId(0), std::int64_t(3)); // oldest on the left
    QCOMPARE(grid.index(1, 1).data(RunGridModel::ResultRole).toString(), QString("FAILED"));

    // A new run adds a column of pending cells.
    QSignalSpy inserted(&grid, &QAbstractItemModel::columnsInserted);
    QSignalSpy changed(&grid, &QAbstractItemModel::dataChanged);
    QSignalSpy header(&grid, &QAbstractItemModel::headerDataChanged);
    grid.applyEvent({9, {}, 0, "RUNNING", {}, {}, {}});
    QCOMPARE(inserted.count(), 1);
    QCOMPARE(grid.columnCount(), 3);
    QCOMPARE(grid.runId(2), std::int64_t(9));
    QCOMPARE(header.count(), 1);
    QCOMPARE(grid.index(0, 2).data(RunGridModel::ResultRole).toString(), QString());
    QCOMPARE(grid.index(0, 2).data(RunGridModel::AttemptRole).toInt(), 0);

    grid.applyEvent({9, "b", 1, "RUNNING", {}, {}, "/logs/b-1.log"});
    QCOMPARE(changed.count(), 1);
    QCOMPARE(changed.last().at(0).toModelIndex(), grid.index(1, 2));
    QCOMPARE(grid.index(1, 2).data(RunGridModel::LogPathRole).toString(), QString("/logs/b-1.log"));
    grid.applyEvent({9, "b", 1, "TERMINATED", "FAILED", "retrying", "/logs/b-1.log"});
    grid.applyEvent({9, "b", 2, "TERMINATED", "SUCCESS", {}, "/logs/b-2.log"});
    QCOMPARE(changed.count(), 3);
    QCOMPARE(grid.index(1, 2).data(RunGridModel::ResultRole).toString(), QString("SUCCESS"));
    QCOMPARE(grid.index(1, 2).data(RunGridModel::AttemptRole).toInt(), 2);
    QCOMPARE(grid.index(1, 2).data(Qt::DisplayRole).toString(), QString("2")); // attempts shown past one
    QCOMPARE(grid.index(1, 2).data(RunGridModel::LogPathRole).toString(), QString("/logs/b-2.log"));
    QCOMPARE(grid.run(2).tasks[1].attemptList.size(), std::size_t(2));
    grid.applyEvent({9, "ghost", 1, "RUNNING", {}, {}, {}}); // a task the grid has no row for
    QCOMPARE(changed.count(), 3);
    grid.applyEvent({9, {}, 0, "TERMINATED", "SUCCESS", {}, {}});
    QCOMPARE(header.count(), 2);
    QCOMPARE(grid.headerData(2, Qt::Horizontal).toString(), QString("9"));
    QCOMPARE(inserted.count(), 1);

    // Reloaded from the records with another task list: a reset.
    grid.setRuns({"a"}, {run(9, "SUCCESS")});
    QCOMPARE(grid.rowCount(), 1);
    QCOMPARE(grid.columnCount(), 1);
    grid.setRuns({}, {});
    QCOMPARE(grid.columnCount(), 0);
}

void tst_PipelinesPage::saveLoadKeepsLayout()
{
    // The file has no layout: loading lays it out, and that is not an unsaved change.
    PipelineEditor first;
    QCOMPARE(first.load(m_root + "/pipelines/fan.json"), QString());
    QVERIFY(!first.isDirty());
    QCOMPARE(first.model()->pipeline().layout.size(), std::size_t(3));
    const QPointF c = first.scene()->node("c")->pos();
    QCOMPARE(
        dag::pushCommand(first.undoStack(),
                         new dag::MoveTasksCommand(first.model(), {{"c", {c.x(), c.y()}, {c.x() + 55, c.y() + 130}}})),
        QString());
    QCOMPARE(first.scene()->node("c")->pos(), c + QPointF(55, 130));
    QVERIFY(first.isDirty());
    const QString copy = m_dir->filePath("copy.json");
    QCOMPARE(first.save(copy), QString());
    QVERIFY(!first.isDirty());
    QCOMPARE(first.file(), QFileInfo(copy).absoluteFilePath());

    PipelineEditor second;
    QCOMPARE(second.load(copy), QString());
    QCOMPARE(second.undoStack()->count(), 0); // every task had its position: no automatic layout
    QVERIFY(!second.isDirty());
    QCOMPARE(jsonOf(second.model()->pipeline()), jsonOf(first.model()->pipeline()));
    for (const char *key : {"a", "b", "c"})
        QCOMPARE(second.scene()->node(key)->pos(), first.scene()->node(key)->pos());
    QCOMPARE(second.scene()->node("c")->pos(), c + QPointF(55, 130));
}

void tst_PipelinesPage::panelEditIsUndoable()
{
    Workbench w(m_root);
    QApplication::setActiveWindow(&w.window);
    QVERIFY(QTest::qWaitForWindowActive(&w.window));
    PipelineEditor *e = w.editor();
    ui::PropertiesPanel *panel = w.page->propertiesPanel();
    QCOMPARE(panel->shownTask(), QString()); // the pipeline's settings
    e->scene()->selectTask("b");
    QCOMPARE(panel->shownTask(), QString("b"));

    const QByteArray before = jsonOf(e->model()->pipeline());
    QWidget *cwdRow = fieldOf(panel, "cwd");
    QVERIFY(cwdRow);
    auto *cwd = qobject_cast<QLineEdit *>(cwdRow) ? qobject_cast<QLineEdit *>(cwdRow)
                                                  : cwdRow->findChild<QLineEdit *>();
    QVERIFY(cwd);
    QCOMPARE(cwd->text(), QString());
    cwd->setFocus(); // the user clicked into it
    QTest::keyClicks(cwd, "/tmp");
    QCOMPARE(e->undoStack()->count(), 0); // typing is not yet an edit
    QTest::keyClick(cwd, Qt::Key_Return);
    QCOMPARE(e->undoStack()->count(), 1);
    QCOMPARE(e->model()->pipeline().task("b")->params.value("cwd").toString(), QString("/tmp"));
    const QByteArray after = jsonOf(e->model()->pipeline());
    QVERIFY(after != before);
    // Committing again without a change pushes nothing.
    QTest::keyClick(cwd, Qt::Key_Return);
    QCOMPARE(e->undoStack()->count(), 1);

    e->undoStack()->undo();
    QCOMPARE(jsonOf(e->model()->pipeline()), before);
    e->undoStack()->redo();
    QCOMPARE(jsonOf(e->model()->pipeline()), after);
    e->undoStack()->undo();
    QCOMPARE(jsonOf(e->model()->pipeline()), before);
}

void tst_PipelinesPage::problemSelectsTaskAndFocusesField()
{
    Workbench w(m_root);
    QApplication::setActiveWindow(&w.window);
    QVERIFY(QTest::qWaitForWindowActive(&w.window));
    PipelineEditor *e = w.editor();
    ui::PropertiesPanel *panel = w.page->propertiesPanel();
    QCOMPARE(e->problems()->count(), 0);

    // c loses its argv: one problem, on c's params.argv.
    pipeline::Task broken = *e->model()->pipeline().task("c");
    broken.params = {};
    QCOMPARE(dag::pushCommand(e->undoStack(), new dag::UpdateTaskCommand(e->model(), "c", broken)), QString());
    QCOMPARE(e->problems()->count(), 1);
    QListWidgetItem *problem = e->problems()->item(0);
    QVERIFY2(problem->text().startsWith("c · params.argv"), qPrintable(problem->text()));
    QVERIFY(!w.page->run(PipelinesPage::RunScope::All).isEmpty()); // an invalid pipeline does not run
    QVERIFY(!w.page->isRunning());

    e->scene()->selectTask("a");
    e->view()->setFocus();
    QCOMPARE(QApplication::focusWidget(), static_cast<QWidget *>(e->view()));
    QCOMPARE(panel->shownTask(), QString("a"));

    QListWidget *list = e->problems();
    QTest::mouseClick(list->viewport(), Qt::LeftButton, {}, list->visualItemRect(problem).center());
    QCOMPARE(e->scene()->selectedTaskKeys(), QStringList{"c"});
    QCOMPARE(panel->shownTask(), QString("c"));
    // The field's row was just built: the focus moves once the event loop has shown it.
    QVERIFY2(QTest::qWaitFor([&] { return panel->isAncestorOf(QApplication::focusWidget()); }, 2000),
             QApplication::focusWidget() ? QApplication::focusWidget()->metaObject()->className() : "no focus");
    QWidget *focused = QApplication::focusWidget();
    QVERIFY(qobject_cast<QPlainTextEdit *>(focused)); // argv: one argument per line
    QCOMPARE(fieldOf(panel, "argv *"), focused);
    QVERIFY(!panel->focusField("no.such.field"));
}

void tst_PipelinesPage::dirtyMarker()
{
    Workbench w(m_root);
    PipelineEditor *e = w.editor();
    QTabWidget *tabs = w.tabs();
    QVERIFY(tabs);
    QCOMPARE(tabs->tabText(tabs->currentIndex()), QString("fan"));
    const QPointF a = e->scene()->node("a")->pos();
    QCOMPARE(dag::pushCommand(e->undoStack(),
                              new dag::MoveTasksCommand(e->model(), {{"a", {a.x(), a.y()}, {a.x(), a.y() - 40}}})),
             QString());
    QVERIFY2(tabs->tabText(tabs->currentIndex()).startsWith("● "), qPrintable(tabs->tabText(tabs->currentIndex())));
    e->undoStack()->undo(); // back to the saved state: clean again
    QCOMPARE(tabs->tabText(tabs->currentIndex()), QString("fan"));
    e->undoStack()->redo();
    QVERIFY(tabs->tabText(tabs->currentIndex()).startsWith("● "));

    QAction *save = w.action("Save");
    QVERIFY(save);
    save->trigger();
    QCOMPARE(tabs->tabText(tabs->currentIndex()), QString("fan"));
    QVERIFY(!e->isDirty());
    std::vector<pipeline::ValidationError> errors;
    const auto saved = pipeline::loadPipeline((m_root + "/pipelines/fan.json").toStdString(), errors);
    QVERIFY(errors.empty());
    QCOMPARE(saved.layout.at("a").y, a.y() - 40);
    QCOMPARE(jsonOf(saved), jsonOf(e->model()->pipeline()));
}

void tst_PipelinesPage::runMonitorTellsTheTruth()
{
    // One task that says it started and waits for a flag file: the run is held at a known point while the dock
    // is checked.
    const QString flag = m_dir->filePath("release");
    const QJsonArray tasks{
        shellTask("wait", QString("echo started; until [ -e '%1' ]; do sleep 0.05; done; echo released").arg(flag))};
    QVERIFY(test::writeFile(
        m_root + "/pipelines/fan.json",
        QJsonDocument(QJsonObject{{"name", "held"}, {"format_version", 1}, {"tasks", tasks}}).toJson()));
    Workbench w(m_root);
    ui::RunsDock *dock = w.page->runsDock();
    RunGridModel *grid = dock->grid();
    QCOMPARE(grid->columnCount(), 0);
    // No runs yet: the timeline says so (not "click a column" of a grid that has none); the legend is there.
    QVERIFY2(dock->gantt()->emptyText().contains("No runs"), qPrintable(dock->gantt()->emptyText()));
    QVERIFY(dock->legend()->isVisible());
    for (const QString &word : {"success", "failed", "running", "pending", "selected"})
        QVERIFY2(dock->legend()->text().contains(word), qPrintable(word));

    // A task added in the editor gets its row before any run.
    pipeline::Task extra;
    extra.key = "extra";
    extra.type = "shell";
    extra.params = QJsonObject{{"argv", QJsonArray{"/bin/true"}}};
    w.editor()->model()->addTask(extra, {300, 0});
    QCOMPARE(grid->rowCount(), 2);
    QCOMPARE(grid->taskKey(1), QString("extra"));
    w.editor()->model()->removeTask("extra");
    QCOMPARE(grid->rowCount(), 1);

    // Run 1, held: the log pane follows the running task without a click; the header's clock and the bar grow.
    QCOMPARE(w.page->run(PipelinesPage::RunScope::All), QString());
    QTRY_COMPARE_WITH_TIMEOUT(grid->columnCount(), 1, 10000);
    const std::int64_t run1 = grid->runId(0);
    QCOMPARE(dock->shownRun(), run1);
    QTRY_VERIFY2_WITH_TIMEOUT(
        dock->log()->text().contains("started"),
        qPrintable(dock->log()->path() + " | " + dock->log()->text() + " | " + w.nodeText("wait")), 10000);
    const QString log1 = dock->log()->path();
    QVERIFY(!log1.isEmpty());
    QTRY_VERIFY_WITH_TIMEOUT(!dock->gantt()->headerText().isEmpty() && dock->gantt()->barOf("wait").isValid(), 5000);
    const QString header = dock->gantt()->headerText();
    const double bar = dock->gantt()->barOf("wait").width();
    QTRY_VERIFY_WITH_TIMEOUT(dock->gantt()->headerText() != header, 5000); // the clock advances while it runs
    QVERIFY2(dock->gantt()->headerText().contains("RUNNING"), qPrintable(dock->gantt()->headerText()));
    Q_UNUSED(bar);
    // The bar spans the run so far: it reaches the right end of the timeline while the task runs.
    QVERIFY(dock->gantt()->barOf("wait").right() >= dock->gantt()->width() - 12);
    QVERIFY(test::writeFile(flag, "go"));
    QVERIFY(w.waitForRunEnd());

    // Run 2: the dock follows it; its log replaces run 1's.
    QVERIFY(QFile::remove(flag));
    QCOMPARE(w.page->run(PipelinesPage::RunScope::All), QString());
    QTRY_COMPARE_WITH_TIMEOUT(grid->columnCount(), 2, 10000);
    const std::int64_t run2 = grid->runId(1);
    QVERIFY(run2 != run1);
    QCOMPARE(dock->shownRun(), run2);
    QTRY_VERIFY_WITH_TIMEOUT(dock->log()->path() != log1 && dock->log()->text().contains("started"), 10000);
    QVERIFY(test::writeFile(flag, "go"));
    QVERIFY(w.waitForRunEnd());
    QVERIFY2(dock->gantt()->emptyText().contains("click a column"), qPrintable(dock->gantt()->emptyText()));

    // A selected cell keeps its state's colour inside and is outlined in a colour no state has.
    w.clickCell(0, 0);
    QTableView *view = w.gridView();
    const QRect cell = view->visualRect(grid->index(0, 0));
    const QImage image = view->viewport()->grab().toImage();
    const QColor inside = image.pixelColor(cell.center());
    const QColor outline = image.pixelColor(cell.left() + 1, cell.center().y());
    QCOMPARE(inside, ui::stateColor("TERMINATED", "SUCCESS"));
    QCOMPARE(outline, ui::selectionColor());
    for (const auto &[life, result] : ui::legendStates())
        QVERIFY(ui::stateColor(life, result) != ui::selectionColor());
    for (const char *life : {"RUNNING", "TERMINATING", "PENDING", "QUEUED", "BLOCKED", ""})
        QVERIFY(ui::stateColor(life, "") != ui::selectionColor());
}

void tst_PipelinesPage::undoButtonKeepsItsPlace()
{
    // Undo and Redo keep their text: the toolbar's buttons stay where they are whatever there is to undo; what
    // would be undone is in the tooltip.
    Workbench w(m_root);
    QAction *undo = w.page->findChild<QAction *>("undoAction");
    QAction *redo = w.page->findChild<QAction *>("redoAction");
    QVERIFY(undo && redo);
    auto *bar = w.page->findChild<QToolBar *>();
    QVERIFY(bar);
    QVERIFY(!undo->isEnabled());
    const auto positions = [bar] {
        QList<QRect> r;
        for (QAction *a : bar->actions())
            if (QWidget *b = bar->widgetForAction(a))
                r << b->geometry();
        return r;
    };
    const QList<QRect> before = positions();
    w.editor()->scene()->selectTask("b");
    QLineEdit *cwd = lineEditOf(fieldOf(w.page->propertiesPanel(), "cwd"));
    QVERIFY(cwd);
    cwd->setFocus();
    QTest::keyClicks(cwd, "/tmp/a/rather/long/folder/name");
    QTest::keyClick(cwd, Qt::Key_Return);
    QCOMPARE(w.editor()->undoStack()->count(), 1);
    QVERIFY(undo->isEnabled());
    QCOMPARE(undo->text(), QString("Undo"));
    QVERIFY2(undo->toolTip().contains("Edit b"), qPrintable(undo->toolTip()));
    QApplication::processEvents();
    QCOMPARE(positions(), before);
    QTest::mouseClick(bar->widgetForAction(undo), Qt::LeftButton);
    QCOMPARE(w.editor()->undoStack()->index(), 0);
    QCOMPARE(redo->text(), QString("Redo"));
    QVERIFY2(redo->toolTip().contains("Edit b"), qPrintable(redo->toolTip()));
    QApplication::processEvents();
    QCOMPARE(positions(), before);
}

void tst_PipelinesPage::toolbarFitsAt1600()
{
    // In the main window at 1600 px (navigation and the properties dock beside the page), every toolbar action is
    // on the toolbar, none in its overflow: Export (in Import/Export), Cancel and Repair included.
    QSettings::setPath(QSettings::NativeFormat, QSettings::UserScope, m_dir->filePath("settings"));
    ui::MainWindow window;
    QSignalSpy loaded(&window, &ui::MainWindow::workspaceLoaded);
    window.openWorkspace(m_root);
    window.resize(1600, 1000);
    window.show();
    QVERIFY(QTest::qWaitForWindowExposed(&window));
    QVERIFY(loaded.count() > 0 || loaded.wait(20000));
    QVERIFY(window.showPage("pipelines"));
    QApplication::processEvents();
    auto *bar = window.pipelinesPage()->findChild<QToolBar *>();
    QVERIFY(bar);
    QStringList texts;
    for (QAction *a : bar->actions()) {
        if (a->isSeparator())
            continue;
        QWidget *button = bar->widgetForAction(a);
        QVERIFY2(button && button->isVisible(), qPrintable(a->text() + " is in the toolbar's overflow"));
        QVERIFY2(bar->rect().contains(button->geometry()), qPrintable(a->text()));
        texts << a->text();
    }
    for (const char *text : {"Run", "Cancel", "Repair", "Import/Export"})
        QVERIFY2(texts.contains(text), text);
    QAction *exchange = window.pipelinesPage()->findChild<QAction *>("exchangeAction");
    QVERIFY(exchange && exchange->menu());
    QStringList items;
    for (QAction *a : exchange->menu()->actions())
        items << a->text();
    QCOMPARE(items, (QStringList{"Import Databricks…", "Export Databricks…", "Export image…"}));
}

void tst_PipelinesPage::paletteAddsAtTheCentre()
{
    // A keyboard user adds a task with Enter on a palette entry; a double-click does it too. It lands at the centre
    // of the view, selected.
    Workbench w(m_root);
    QApplication::setActiveWindow(&w.window);
    QVERIFY(QTest::qWaitForWindowActive(&w.window));
    dag::TaskPalette *palette = w.page->palette();
    QVERIFY(palette);
    int row = -1;
    for (int r = 0; r < palette->count(); ++r)
        if (palette->taskTypeAt(r) == "shell")
            row = r;
    QVERIFY(row >= 0);
    dag::DagView *view = w.editor()->view();
    const QPointF centre = view->mapToScene(view->viewport()->rect().center());
    palette->setFocus();
    palette->setCurrentRow(row);
    QTest::keyClick(palette, Qt::Key_Return);
    QCOMPARE(w.editor()->undoStack()->count(), 1);
    const QStringList selected = w.editor()->scene()->selectedTaskKeys();
    QCOMPARE(selected.size(), 1);
    const QString added = selected.front();
    QVERIFY(!QStringList({"a", "b", "c"}).contains(added));
    QCOMPARE(w.editor()->model()->pipeline().task(added.toStdString())->type, std::string("shell"));
    const QPointF at = w.editor()->scene()->node(added)->sceneBoundingRect().center();
    QVERIFY2(QLineF(at, centre).length() < dag::NodeItem::kPortRadius + 2,
             qPrintable(QString("%1,%2 vs %3,%4").arg(at.x()).arg(at.y()).arg(centre.x()).arg(centre.y())));
    const QRect item = palette->visualItemRect(palette->item(row));
    QTest::mouseClick(palette->viewport(), Qt::LeftButton, {}, item.center()); // a double-click's first press
    QTest::mouseDClick(palette->viewport(), Qt::LeftButton, {}, item.center());
    QCOMPARE(w.editor()->undoStack()->count(), 2);
    QCOMPARE(w.editor()->model()->pipeline().tasks.size(), std::size_t(5));
}

void tst_PipelinesPage::runKeysAreNotRefresh()
{
    // Run has its own key (not F5, the window's Refresh on every page), shown in its tooltip; F5 on the Pipelines
    // page reloads it and runs nothing.
    QSettings::setPath(QSettings::NativeFormat, QSettings::UserScope, m_dir->filePath("settings"));
    ui::MainWindow window;
    QSignalSpy loaded(&window, &ui::MainWindow::workspaceLoaded);
    window.openWorkspace(m_root);
    window.show();
    QVERIFY(loaded.count() > 0 || loaded.wait(20000));
    QVERIFY(window.showPage("pipelines"));
    PipelinesPage *page = window.pipelinesPage();
    QSet<QKeySequence> keys;
    for (QAction *a : page->editActions()) {
        if (a->text().startsWith("Run")) {
            QVERIFY2(!a->shortcut().isEmpty() && a->shortcut() != QKeySequence(Qt::Key_F5), qPrintable(a->text()));
            QVERIFY2(a->toolTip().contains(a->shortcut().toString(QKeySequence::NativeText)), qPrintable(a->toolTip()));
            keys << a->shortcut();
        }
    }
    QCOMPARE(keys.size(), 3);
    // The runs dock's "no runs yet" names Run's key.
    const QString runKey = PipelinesPage::runKey(PipelinesPage::RunScope::All).toString(QKeySequence::NativeText);
    QVERIFY2(page->runsDock()->gantt()->emptyText().contains("Run (" + runKey + ")"),
             qPrintable(page->runsDock()->gantt()->emptyText()));
    QAction *refresh = nullptr;
    for (QAction *a : window.findChildren<QAction *>())
        if (a->text() == "&Refresh")
            refresh = a;
    QVERIFY(refresh && refresh->isEnabled());
    QVERIFY2(refresh->toolTip().contains("F5"), qPrintable(refresh->toolTip()));
    QSignalSpy reloaded(page, &PipelinesPage::loaded);
    QApplication::setActiveWindow(&window);
    QVERIFY(QTest::qWaitForWindowActive(&window));
    QTest::keyClick(&window, Qt::Key_F5);
    QCOMPARE(reloaded.count(), 1);
    QVERIFY(!page->isRunning());
    QCOMPARE(page->runsDock()->grid()->columnCount(), 0);
}

void tst_PipelinesPage::upstreamOutputsAreOffered()
{
    // The evaluate task's run field offers {{tasks.train.run_id}} (and the other upstream outputs) as the user
    // types; Down and Enter take it into the task.
    QVERIFY(test::writeFile(m_root + "/pipelines/te.json", trainEvaluatePipeline()));
    Workbench w(m_root);
    QApplication::setActiveWindow(&w.window);
    QVERIFY(QTest::qWaitForWindowActive(&w.window));
    QCOMPARE(w.page->openFile(m_root + "/pipelines/te.json"), QString());
    w.editor()->scene()->selectTask("evaluate");
    QLineEdit *run = lineEditOf(fieldOf(w.page->propertiesPanel(), "run *"));
    QVERIFY(run);
    QVERIFY(run->completer());
    run->setFocus();
    QTest::keyClicks(run, "run_id");
    QCompleter *completer = run->completer();
    QTRY_VERIFY(completer->popup()->isVisible());
    QCOMPARE(completer->completionModel()->index(0, 0).data().toString(), QString("{{tasks.train.run_id}}"));
    const QStringList offered = completionsOf(completer);
    QVERIFY2(!offered.contains("{{tasks.evaluate.run_id}}"), qPrintable(offered.join(' '))); // not its own
    QTest::keyClick(completer->popup(), Qt::Key_Down);
    QTest::keyClick(completer->popup(), Qt::Key_Return);
    QTRY_COMPARE(w.editor()->model()->pipeline().task("evaluate")->params.value("run").toString(),
                 QString("{{tasks.train.run_id}}"));
    // Other upstream outputs are there when asked for.
    run->selectAll();
    QTest::keyClicks(run, "val_");
    QTRY_VERIFY(completer->popup()->isVisible());
    QCOMPARE(completionsOf(completer), (QStringList{"{{tasks.train.val_accuracy}}", "{{tasks.train.val_loss}}"}));
    QTest::keyClick(completer->popup(), Qt::Key_Escape);
}

void tst_PipelinesPage::undoHistorySaysWhatChanged()
{
    QVERIFY(test::writeFile(m_root + "/pipelines/te.json", trainEvaluatePipeline()));
    Workbench w(m_root);
    QApplication::setActiveWindow(&w.window);
    QVERIFY(QTest::qWaitForWindowActive(&w.window));
    QCOMPARE(w.page->openFile(m_root + "/pipelines/te.json"), QString());
    w.editor()->scene()->selectTask("evaluate");
    QLineEdit *table = lineEditOf(fieldOf(w.page->propertiesPanel(), "table *"));
    QVERIFY(table);
    table->setFocus();
    table->selectAll();
    QTest::keyClicks(table, "fashion-test");
    if (table->completer() && table->completer()->popup()->isVisible())
        QTest::keyClick(table->completer()->popup(), Qt::Key_Escape);
    QTest::keyClick(table, Qt::Key_Return);
    QCOMPARE(w.editor()->undoStack()->count(), 1);
    QCOMPARE(w.editor()->undoStack()->text(0), QString("Edit evaluate: table fashion → fashion-test"));
    // A change to nothing says so.
    table->selectAll();
    QTest::keyClick(table, Qt::Key_Delete);
    QTest::keyClick(table, Qt::Key_Return);
    QCOMPARE(w.editor()->undoStack()->count(), 2);
    QCOMPARE(w.editor()->undoStack()->text(1), QString("Edit evaluate: table fashion-test → (none)"));
}

void tst_PipelinesPage::listsPipelinesRunFromElsewhere()
{
    // A pipeline file outside the workspace's pipelines/ folder that has runs here is listed (after the folder's),
    // and one run while the page is open joins the list on the next reload.
    const QString other = m_dir->filePath("elsewhere/other.json");
    QByteArray json = fanPipeline(m_flag);
    json.replace("\"fan\"", "\"other\"");
    QVERIFY(test::writeFile(other, json));
    const QString never = m_dir->filePath("elsewhere/never-run.json");
    QVERIFY(test::writeFile(never, json));
    const auto ws = store::Workspace::open(m_root.toStdString());
    const auto runFile = [&ws](const QString &file) {
        std::vector<pipeline::ValidationError> errors;
        const pipeline::Pipeline p = pipeline::loadPipeline(file.toStdString(), errors);
        pipeline::RunOptions o;
        o.file = file.toStdString();
        pipeline::runPipeline(ws, p, o);
    };
    runFile(other);
    Workbench w(m_root);
    QListWidget *files = w.page->findChild<QListWidget *>("pipelineFiles");
    QVERIFY(files);
    const auto listed = [files] {
        QStringList paths;
        for (int i = 0; i < files->count(); ++i)
            paths << files->item(i)->data(Qt::UserRole).toString();
        return paths;
    };
    QCOMPARE(listed(), (QStringList{QFileInfo(m_root + "/pipelines/fan.json").absoluteFilePath(), other}));
    QVERIFY2(files->item(1)->toolTip().contains("outside"), qPrintable(files->item(1)->toolTip()));
    QVERIFY2(files->item(1)->text().contains("other.json"), qPrintable(files->item(1)->text()));

    const QString third = m_dir->filePath("elsewhere/third.json");
    QVERIFY(test::writeFile(third, json));
    runFile(third);
    w.page->reload();
    QCOMPARE(listed().size(), 3);
    QVERIFY(listed().contains(third));
    QVERIFY(!listed().contains(never));
    // Double-clicking it opens it.
    QListWidgetItem *item = files->item(listed().indexOf(third));
    QTest::mouseClick(files->viewport(), Qt::LeftButton, {}, files->visualItemRect(item).center());
    QTest::mouseDClick(files->viewport(), Qt::LeftButton, {}, files->visualItemRect(item).center());
    QTRY_COMPARE(w.editor()->file(), third);
}

void tst_PipelinesPage::nodeTextReadsAt100Percent_data()
{
    QTest::addColumn<QFont>("base");
    QFont points = QApplication::font();
    points.setPointSizeF(10);
    QFont pixels = QApplication::font();
    pixels.setPixelSize(14); // a pixel-sized font once made the type and run state lines 6 pt
    QTest::newRow("point-sized") << points;
    QTest::newRow("pixel-sized") << pixels;
}

void tst_PipelinesPage::nodeTextReadsAt100Percent()
{
    // Every line of a card (NodeItem::paint draws each with textFont()) is at least as large as the canvas's font,
    // so that at 100% zoom it reads as the rest of the window does.
    QFETCH(QFont, base);
    const int basePixels = QFontInfo(base).pixelSize();
    for (const auto line : {dag::NodeItem::Text::Key, dag::NodeItem::Text::TaskType, dag::NodeItem::Text::RunState}) {
        const QFont f = dag::NodeItem::textFont(base, line);
        QVERIFY2(QFontInfo(f).pixelSize() >= basePixels,
                 qPrintable(QString("%1 px < %2 px").arg(QFontInfo(f).pixelSize()).arg(basePixels)));
    }
}

QTEST_MAIN(tst_PipelinesPage)
#include "tst_pipelinespage.moc"
