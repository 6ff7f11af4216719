// The DAG editor: every undo command pushed, undone and redone with the pipeline's JSON compared exactly (and
// the scene checked against the model at each step); palette drops, port-to-port connections, node drags and
// rubber-band selection through real mouse and drag events on a view; refused connections; the scene
// following changes made to the model behind its back; validation markers; the automatic layout;
// copy/paste; PNG/SVG export; run states.
#include "core/pipeline/PipelineModel.h"
#include "ui/dag/AutoLayout.h"
#include "ui/dag/Commands.h"
#include "ui/dag/DagScene.h"
#include "ui/dag/DagView.h"
#include "ui/dag/EdgeItem.h"
#include "ui/dag/NodeItem.h"
#include "ui/dag/TaskPalette.h"

#include <QApplication>
#include <QDragEnterEvent>
#include <QFile>
#include <QImage>
#include <QJsonArray>
#include <QJsonDocument>
#include <QMimeData>
#include <QScrollBar>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>
#include <QUndoStack>

#include <functional>
#include <memory>
#include <set>

using namespace pw;
using pipeline::PipelineModel;
using pipeline::Position;
using pipeline::Task;
using namespace pw::ui::dag;

namespace {

Task makeTask(std::string key, std::string type, QJsonObject params, std::vector<std::string> deps = {})
{
    Task t;
    t.key = std::move(key);
    t.type = std::move(type);
    t.params = std::move(params);
    t.dependsOn = std::move(deps);
    return t;
}

// ingest -> train -> evaluate -> register -> notify, and train -> register (register: [train, evaluate]).
pipeline::Pipeline samplePipeline()
{
    pipeline::Pipeline p;
    p.name = "sample";
    p.parameters = {{"data", "/data"}};
    p.tasks = {
        makeTask("ingest", "ingest", {{"source", "{{params.data}}"}}),
        makeTask("train", "train", {{"table", "images"}}, {"ingest"}),
        makeTask("evaluate", "evaluate", {{"run", "{{tasks.train.run_id}}"}, {"table", "images"}}, {"train"}),
        makeTask("register", "register", {{"run", "{{tasks.train.run_id}}"}, {"name", "m"}}, {"train", "evaluate"}),
        makeTask("notify", "shell", {{"argv", QJsonArray{"echo", "{{tasks.register.version}}"}}}, {"register"}),
    };
    p.layout = {{"ingest", {0, 0}},
                {"train", {240, 0}},
                {"evaluate", {480, -60}},
                {"register", {720, 0}},
                {"notify", {960, 0}}};
    return p;
}

QByteArray jsonOf(const PipelineModel &m)
{
    return QJsonDocument(pipeline::toJson(m.pipeline())).toJson(QJsonDocument::Compact);
}

// The scene shows exactly the model: a node per task where the model puts it, an edge per dependency.
void verifySceneMatches(const DagScene &scene, const PipelineModel &m)
{
    const auto &p = m.pipeline();
    QCOMPARE(scene.nodes().size(), qsizetype(p.tasks.size()));
    int deps = 0;
    for (const Task &t : p.tasks) {
        const NodeItem *n = scene.node(QString::fromStdString(t.key));
        QVERIFY2(n, t.key.c_str());
        QCOMPARE(n->taskType(), QString::fromStdString(t.type));
        if (const auto it = p.layout.find(t.key); it != p.layout.end())
            QCOMPARE(n->pos(), QPointF(it->second.x, it->second.y));
        for (const auto &d : t.dependsOn) {
            if (p.task(d) && d != t.key) {
                ++deps;
                QVERIFY2(scene.edge(QString::fromStdString(d), QString::fromStdString(t.key)),
                         (d + "->" + t.key).c_str());
            }
        }
    }
    QCOMPARE(scene.edges().size(), deps);
}

// One row of the command test: how the model starts, the command, and whether its undo must set the whole
// pipeline at once (reset()) because the model's edit API cannot express the way back (a broken file).
struct CommandRow
{
    std::function<void(pipeline::Pipeline &)> setUp;
    std::function<ModelCommand *(PipelineModel *)> make;
    bool undoResets = false;
};

const std::map<QString, CommandRow> &commandRows()
{
    static const std::map<QString, CommandRow> rows = {
        {"add task",
         {{},
          [](PipelineModel *m) {
              return new AddTaskCommand(m, makeTask("score", "score", {{"model", "m@Production"}}, {"register"}),
                                        {100, 200});
          }}},
        {"add task at index 1",
         {{},
          [](PipelineModel *m) {
              return new AddTaskCommand(m, makeTask("merge", "labels-merge", {}), {5, 5}, 1);
          }}},
        {"remove a task with edges both ways",
         {{}, [](PipelineModel *m) { return new RemoveTasksCommand(m, {"train"}); }}},
        {"remove several tasks",
         {{},
          [](PipelineModel *m) {
              return new RemoveTasksCommand(m, {"register", "ingest", "evaluate"});
          }}},
        {"remove tasks of a chain",
         {{},
          [](PipelineModel *m) {
              return new RemoveTasksCommand(m, {"train", "evaluate", "register"});
          }}},
        {"remove a task depending on a missing one",
         {[](pipeline::Pipeline &p) {
              p.tasks.insert(p.tasks.begin() + 2,
                             makeTask("odd", "shell", {{"argv", QJsonArray{"true"}}}, {"ghost", "ingest"}));
              p.layout["odd"] = {1, 2};
          },
          [](PipelineModel *m) { return new RemoveTasksCommand(m, {"odd"}); }, true}},
        {"remove a task without a position",
         {[](pipeline::Pipeline &p) { p.layout.erase("evaluate"); },
          [](PipelineModel *m) { return new RemoveTasksCommand(m, {"evaluate"}); }, true}},
        {"move tasks",
         {{},
          [](PipelineModel *m) {
              return new MoveTasksCommand(m, {{"train", {240, 0}, {250, 40}}, {"notify", {960, 0}, {900, 300}}});
          }}},
        {"move a task without a position",
         {[](pipeline::Pipeline &p) { p.layout.erase("notify"); },
          [](PipelineModel *m) {
              return new MoveTasksCommand(m, {{"notify", {960, 0}, {960, 120}}});
          },
          true}},
        {"add dependency", {{}, [](PipelineModel *m) { return new AddDependencyCommand(m, "ingest", "evaluate"); }}},
        {"remove the first of two dependencies",
         {{}, [](PipelineModel *m) { return new RemoveDependencyCommand(m, "train", "register"); }}},
        {"update task",
         {{},
          [](PipelineModel *m) {
              Task s = *m->pipeline().task("evaluate");
              s.params = {{"run", "{{tasks.train.run_id}}"}, {"table", "pets"}, {"as_of_version", 3}};
              s.runIf = "ALL_DONE";
              s.description = "check";
              s.timeoutSeconds = 60;
              s.maxRetries = 2;
              return new UpdateTaskCommand(m, "evaluate", s);
          }}},
        {"rename task", {{}, [](PipelineModel *m) { return new RenameTaskCommand(m, "train", "fit"); }}},
        {"rename task over a dangling reference",
         {[](pipeline::Pipeline &p) { p.task("register")->params.insert("name", "{{tasks.fit.name}}"); },
          [](PipelineModel *m) { return new RenameTaskCommand(m, "train", "fit"); }}},
        {"update settings",
         {{},
          [](PipelineModel *m) {
              pipeline::Pipeline s = m->pipeline();
              s.name = "renamed";
              s.description = "nightly";
              s.parameters = {{"data", "/other"}, {"extra", "1"}};
              s.maxParallelTasks = 4;
              s.schedule = pipeline::ScheduleSpec{"0 0 3 * * ?", true, "Europe/Paris", false};
              return new UpdateSettingsCommand(m, s);
          }}},
        {"paste",
         {{},
          [](PipelineModel *m) {
              pipeline::Pipeline fragment;
              fragment.tasks = {*m->pipeline().task("train"), *m->pipeline().task("evaluate")};
              fragment.tasks[0].dependsOn.clear();
              fragment.layout = {{"train", {240, 0}}, {"evaluate", {480, -60}}};
              return new PasteCommand(m, fragment, QPointF(30, 30));
          }}},
    };
    return rows;
}

QPoint viewPos(const DagView &view, QPointF scenePos)
{
    return view.mapFromScene(scenePos);
}

// A shown view on a scene, with the nodes of interest on screen.
struct Canvas
{
    PipelineModel model;
    QUndoStack undo;
    DagScene scene{&model, &undo};
    DagView view{&scene};

    explicit Canvas(pipeline::Pipeline p)
    {
        model.setPipeline(std::move(p));
        view.resize(1100, 600);
        view.show();
        view.centerOn(QPointF(450, 30));
    }
};

pipeline::Pipeline twoTasks(bool connected)
{
    pipeline::Pipeline p;
    p.name = "two";
    p.tasks = {
        makeTask("a", "labels-merge", {}),
        makeTask("b", "labels-merge", {}, connected ? std::vector<std::string>{"a"} : std::vector<std::string>{})};
    p.layout = {{"a", {0, 0}}, {"b", {400, 100}}};
    return p;
}

// A left-button drag through the view's viewport, in a few steps.
void dragOnViewport(QWidget *viewport, QPoint from, QPoint to)
{
    QTest::mousePress(viewport, Qt::LeftButton, {}, from);
    for (int i = 1; i <= 4; ++i)
        QTest::mouseMove(viewport, from + (to - from) * i / 4);
    QTest::mouseRelease(viewport, Qt::LeftButton, {}, to);
}

} // namespace

class tst_DagEditor : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void samplePipelineIsValid();
    void commandUndoRedo_data();
    void commandUndoRedo();
    void movesMerge();
    void refusedCommandIsNotPushed();
    void paletteDropAddsTask();
    void portDragConnects();
    void refusedConnection_data();
    void refusedConnection();
    void nodeDragPushesOneMove();
    void rubberBandSelects();
    void deleteKeyRemovesSelectionAsOneCommand();
    void sceneFollowsModel();
    void unplacedTasksAreLaidOut();
    void validationMarkers();
    void autoLayoutPointsEdgesRight();
    void layeredLayoutReducesCrossings();
    void copyPaste();
    void exportPngAndSvg();
    void runStateText_data();
    void runStateText();
    void sceneShowsRunStates();
    void taskSelectedSignal();
    void renameAnnouncesRewrittenReferences();
};

void tst_DagEditor::samplePipelineIsValid()
{
    PipelineModel m;
    m.setPipeline(samplePipeline());
    for (const auto &e : m.errors())
        qWarning() << e.taskKey.c_str() << e.field.c_str() << e.message.c_str();
    QVERIFY(m.errors().empty()); // so that the marker tests below mean something
}

void tst_DagEditor::commandUndoRedo_data()
{
    QTest::addColumn<QString>("row");
    for (const auto &[name, row] : commandRows())
        QTest::newRow(name.toUtf8().constData()) << name;
}

void tst_DagEditor::commandUndoRedo()
{
    QFETCH(QString, row);
    const CommandRow &r = commandRows().at(row);
    pipeline::Pipeline p = samplePipeline();
    if (r.setUp)
        r.setUp(p);
    PipelineModel model;
    model.setPipeline(p);
    QUndoStack undo;
    DagScene scene(&model, &undo);

    const QByteArray before = jsonOf(model);
    QCOMPARE(pushCommand(&undo, r.make(&model)), QString());
    QCOMPARE(undo.count(), 1);
    const QByteArray after = jsonOf(model);
    QVERIFY(after != before);
    verifySceneMatches(scene, model);

    QSignalSpy resets(&model, &PipelineModel::reset);
    for (int round = 0; round < 2; ++round) {
        undo.undo();
        QCOMPARE(jsonOf(model), before);
        // Step by step through the edit API wherever it can be (the views update item by item).
        QCOMPARE(resets.count() > 0, r.undoResets);
        verifySceneMatches(scene, model);
        undo.redo();
        QCOMPARE(jsonOf(model), after);
        verifySceneMatches(scene, model);
    }
    undo.undo();
    QCOMPARE(jsonOf(model), before);
    QCOMPARE(undo.count(), 1); // still there to redo: nothing was refused
}

void tst_DagEditor::movesMerge()
{
    PipelineModel model;
    model.setPipeline(samplePipeline());
    QUndoStack undo;
    const QByteArray before = jsonOf(model);
    pushCommand(&undo, new MoveTasksCommand(&model, {{"train", {240, 0}, {250, 0}}, {"ingest", {0, 0}, {10, 0}}}));
    pushCommand(&undo, new MoveTasksCommand(&model, {{"ingest", {10, 0}, {20, 5}}, {"train", {250, 0}, {260, 5}}}));
    QCOMPARE(undo.count(), 1);
    QCOMPARE(model.position("ingest").x, 20.0);
    QCOMPARE(model.position("train").y, 5.0);
    // Another set of tasks is another step.
    pushCommand(&undo, new MoveTasksCommand(&model, {{"train", {260, 5}, {270, 5}}}));
    QCOMPARE(undo.count(), 2);
    undo.undo();
    undo.undo();
    QCOMPARE(jsonOf(model), before);
}

void tst_DagEditor::refusedCommandIsNotPushed()
{
    PipelineModel model;
    model.setPipeline(samplePipeline());
    QUndoStack undo;
    const QByteArray before = jsonOf(model);
    const QString why = pushCommand(&undo, new AddDependencyCommand(&model, "notify", "ingest"));
    QVERIFY2(why.contains("cycle"), qPrintable(why));
    QCOMPARE(undo.count(), 0);
    QCOMPARE(jsonOf(model), before);
    QVERIFY(pushCommand(&undo, new RenameTaskCommand(&model, "train", "bad key!")).contains("letters"));
    QVERIFY(!pushCommand(&undo, new AddTaskCommand(&model, makeTask("train", "train", {}), {})).isEmpty());
    QCOMPARE(undo.count(), 0);
    QCOMPARE(jsonOf(model), before);
}

void tst_DagEditor::paletteDropAddsTask()
{
    Canvas c(samplePipeline());
    QVERIFY(QTest::qWaitForWindowExposed(&c.view));
    TaskPalette palette;
    QCOMPARE(palette.count(), int(pipeline::taskTypes().size()));
    int row = -1;
    for (int i = 0; i < palette.count(); ++i) {
        if (palette.taskTypeAt(i) == "evaluate")
            row = i;
    }
    QVERIFY(row >= 0);
    QVERIFY(!palette.item(row)->toolTip().isEmpty());
    QVERIFY(!palette.item(row)->icon().isNull());
    // What a drag from the palette carries: through the list's model, as QAbstractItemView::startDrag gets it.
    std::unique_ptr<QMimeData> mime(palette.model()->mimeData({palette.model()->index(row, 0)}));
    QVERIFY(mime);
    QCOMPARE(mime->data(kTaskTypeMimeType), QByteArray("evaluate"));

    QSignalSpy selected(&c.scene, &DagScene::taskSelected);
    const QPoint at(300, 400);
    const QPointF sceneAt = c.view.mapToScene(at);
    QDragEnterEvent enter(at, Qt::CopyAction, mime.get(), Qt::LeftButton, Qt::NoModifier);
    QApplication::sendEvent(c.view.viewport(), &enter);
    QVERIFY(enter.isAccepted());
    QDragMoveEvent move(at + QPoint(1, 0), Qt::CopyAction, mime.get(), Qt::LeftButton, Qt::NoModifier);
    QApplication::sendEvent(c.view.viewport(), &move);
    QVERIFY(move.isAccepted());
    QDropEvent drop(QPointF(at), Qt::CopyAction, mime.get(), Qt::LeftButton, Qt::NoModifier);
    QApplication::sendEvent(c.view.viewport(), &drop);
    QVERIFY(drop.isAccepted());

    // "evaluate" exists: the new one is evaluate_2, with the required params present and empty.
    const Task *t = c.model.pipeline().task("evaluate_2");
    QVERIFY(t);
    QCOMPARE(t->type, std::string("evaluate"));
    QCOMPARE(t->params, (QJsonObject{{"run", ""}, {"table", ""}}));
    QCOMPARE(c.undo.count(), 1);
    const Position pos = c.model.position("evaluate_2");
    QVERIFY(std::abs(pos.x + NodeItem::kWidth / 2 - sceneAt.x()) <= 1);
    QVERIFY(std::abs(pos.y + NodeItem::kHeight / 2 - sceneAt.y()) <= 1);
    QVERIFY(c.scene.node("evaluate_2"));
    QCOMPARE(c.scene.selectedTaskKeys(), QStringList{"evaluate_2"});
    QCOMPARE(selected.last().at(0).toString(), QString("evaluate_2"));

    // Something else dragged over the canvas is not taken.
    QMimeData other;
    other.setText("evaluate");
    QDragEnterEvent enterOther(at, Qt::CopyAction, &other, Qt::LeftButton, Qt::NoModifier);
    QApplication::sendEvent(c.view.viewport(), &enterOther);
    QVERIFY(!enterOther.isAccepted());

    c.undo.undo();
    QVERIFY(!c.model.pipeline().task("evaluate_2"));
    QVERIFY(!c.scene.node("evaluate_2"));
}

void tst_DagEditor::portDragConnects()
{
    Canvas c(twoTasks(false));
    QVERIFY(QTest::qWaitForWindowExposed(&c.view));
    const QPoint from = viewPos(c.view, c.scene.node("a")->outputPortScenePos());
    const QPoint to = viewPos(c.view, c.scene.node("b")->inputPortScenePos());
    QSignalSpy refused(&c.scene, &DagScene::connectionRefused);
    dragOnViewport(c.view.viewport(), from, to);
    QCOMPARE(refused.count(), 0);
    QCOMPARE(c.model.pipeline().task("b")->dependsOn, std::vector<std::string>{"a"});
    QCOMPARE(c.undo.count(), 1);
    QVERIFY(c.scene.edge("a", "b"));
    // The node did not move: the press on the port started a connection, not a drag.
    QCOMPARE(c.scene.node("a")->pos(), QPointF(0, 0));
    c.undo.undo();
    QVERIFY(c.model.pipeline().task("b")->dependsOn.empty());
    QVERIFY(!c.scene.edge("a", "b"));

    // Released on the empty canvas: nothing.
    dragOnViewport(c.view.viewport(), from, from + QPoint(60, 200));
    QCOMPARE(c.undo.index(), 0);
    QVERIFY(c.undo.canRedo()); // nothing pushed over the undone connection
    QCOMPARE(c.scene.edges().size(), 0);
}

void tst_DagEditor::refusedConnection_data()
{
    QTest::addColumn<QString>("from");
    QTest::addColumn<QString>("to");
    QTest::addColumn<QString>("message");
    QTest::newRow("cycle") << "b"
                           << "a"
                           << "cycle";
    QTest::newRow("self-loop") << "a"
                               << "a"
                               << "itself";
    QTest::newRow("duplicate") << "a"
                               << "b"
                               << "already";
}

void tst_DagEditor::refusedConnection()
{
    QFETCH(QString, from);
    QFETCH(QString, to);
    QFETCH(QString, message);
    Canvas c(twoTasks(true));
    QVERIFY(QTest::qWaitForWindowExposed(&c.view));
    const QByteArray before = jsonOf(c.model);
    QSignalSpy refused(&c.scene, &DagScene::connectionRefused);
    const NodeItem *target = c.scene.node(to);
    // Onto the input port, or onto the card itself for a self-loop (the input port is the same node).
    const QPointF dropAt = from == to ? target->mapToScene(QPointF(NodeItem::kWidth / 2, NodeItem::kHeight / 2))
                                      : target->inputPortScenePos();
    dragOnViewport(c.view.viewport(), viewPos(c.view, c.scene.node(from)->outputPortScenePos()),
                   viewPos(c.view, dropAt));
    QCOMPARE(refused.count(), 1);
    QVERIFY2(refused.first().at(0).toString().contains(message), qPrintable(refused.first().at(0).toString()));
    QVERIFY((refused.first().at(1).toPointF() - dropAt).manhattanLength() < 3);
    QCOMPARE(jsonOf(c.model), before);
    QCOMPARE(c.undo.count(), 0);
    QCOMPARE(c.scene.edges().size(), 1);
}

void tst_DagEditor::nodeDragPushesOneMove()
{
    Canvas c(twoTasks(true));
    QVERIFY(QTest::qWaitForWindowExposed(&c.view));
    c.scene.node("a")->setSelected(true);
    c.scene.node("b")->setSelected(true);
    const QPointF grab = c.scene.node("a")->mapToScene(QPointF(60, 20)); // the card, away from the ports
    const QPoint from = viewPos(c.view, grab);
    dragOnViewport(c.view.viewport(), from, from + QPoint(48, 36));
    QCOMPARE(c.undo.count(), 1);
    QCOMPARE(c.model.position("a").x, 48.0);
    QCOMPARE(c.model.position("a").y, 36.0);
    QCOMPARE(c.model.position("b").x, 448.0);
    QCOMPARE(c.model.position("b").y, 136.0);
    // The edge followed.
    QCOMPARE(c.scene.edge("a", "b")->path().pointAtPercent(0), c.scene.node("a")->outputPortScenePos());
    QCOMPARE(c.scene.node("a")->outputPortScenePos(), QPointF(48 + NodeItem::kWidth, 36 + NodeItem::kHeight / 2));
    c.undo.undo();
    QCOMPARE(c.scene.node("a")->pos(), QPointF(0, 0));
    QCOMPARE(c.scene.node("b")->pos(), QPointF(400, 100));
    QCOMPARE(jsonOf(c.model), QJsonDocument(pipeline::toJson(twoTasks(true))).toJson(QJsonDocument::Compact));
}

void tst_DagEditor::rubberBandSelects()
{
    Canvas c(samplePipeline());
    QVERIFY(QTest::qWaitForWindowExposed(&c.view));
    // A band from above-left of ingest to below train's card (evaluate, at y -60, only partly in: it is
    // selected too, as the band selects what it touches; register is out of reach).
    const QPoint from = viewPos(c.view, QPointF(-30, 20));
    const QPoint to = viewPos(c.view, QPointF(440, 100));
    dragOnViewport(c.view.viewport(), from, to);
    QCOMPARE(c.scene.selectedTaskKeys(), (QStringList{"ingest", "train"}));
    QCOMPARE(c.undo.count(), 0);
}

void tst_DagEditor::deleteKeyRemovesSelectionAsOneCommand()
{
    Canvas c(samplePipeline());
    QVERIFY(QTest::qWaitForWindowExposed(&c.view));
    const QByteArray before = jsonOf(c.model);
    c.scene.node("evaluate")->setSelected(true);
    c.scene.edge("register", "notify")->setSelected(true);
    c.view.setFocus();
    QTest::keyClick(&c.view, Qt::Key_Delete);
    QCOMPARE(c.undo.count(), 1);
    QVERIFY(!c.model.pipeline().task("evaluate"));
    QVERIFY(c.model.pipeline().task("notify")->dependsOn.empty());
    verifySceneMatches(c.scene, c.model);
    c.undo.undo();
    QCOMPARE(jsonOf(c.model), before);
    verifySceneMatches(c.scene, c.model);
}

void tst_DagEditor::sceneFollowsModel()
{
    PipelineModel model;
    QUndoStack undo;
    DagScene scene(&model, &undo);
    QCOMPARE(scene.nodes().size(), 0);
    model.setPipeline(samplePipeline());
    QCOMPARE(scene.nodes().size(), 5);
    QCOMPARE(scene.edges().size(), 5);
    verifySceneMatches(scene, model);

    // Edits made without the undo stack (another panel, a script): the scene follows each.
    model.addTask(makeTask("score", "score", {{"model", "m@Production"}}, {"register"}), {1200, 50});
    QCOMPARE(scene.nodes().size(), 6);
    QVERIFY(scene.edge("register", "score"));
    model.moveTask("score", {1300, 80});
    QCOMPARE(scene.node("score")->pos(), QPointF(1300, 80));
    QCOMPARE(scene.edge("register", "score")->target()->inputPortScenePos(), QPointF(1300, 80 + NodeItem::kHeight / 2));
    model.addDependency("ingest", "score");
    QVERIFY(scene.edge("ingest", "score"));
    model.renameTask("register", "publish");
    QVERIFY(!scene.node("register"));
    QCOMPARE(scene.node("publish")->key(), QString("publish"));
    QVERIFY(scene.edge("publish", "score"));
    QVERIFY(scene.edge("evaluate", "publish"));
    model.removeDependency("ingest", "score");
    QVERIFY(!scene.edge("ingest", "score"));
    Task s = *model.pipeline().task("notify");
    s.type = "labels-merge";
    s.params = {};
    model.updateTask("notify", s);
    QCOMPARE(scene.node("notify")->taskType(), QString("labels-merge"));
    model.removeTask("train");
    QVERIFY(!scene.node("train"));
    QCOMPARE(scene.edges().size(), 3); // evaluate->publish, publish->notify, publish->score
    verifySceneMatches(scene, model);

    // A reset: rebuilt, with the selection kept where its task still exists.
    scene.selectTask("evaluate");
    pipeline::Pipeline other = samplePipeline();
    other.layout["evaluate"] = {500, 500};
    model.setPipeline(other);
    verifySceneMatches(scene, model);
    QCOMPARE(scene.node("evaluate")->pos(), QPointF(500, 500));
    QCOMPARE(scene.selectedTaskKeys(), QStringList{"evaluate"});
}

void tst_DagEditor::unplacedTasksAreLaidOut()
{
    pipeline::Pipeline p = samplePipeline();
    p.layout.clear();
    PipelineModel model;
    model.setPipeline(p);
    QUndoStack undo;
    DagScene scene(&model, &undo);
    for (const EdgeItem *e : scene.edges())
        QVERIFY(e->source()->pos().x() < e->target()->pos().x());
    QVERIFY(model.pipeline().layout.empty()); // shown there, not written
}

void tst_DagEditor::validationMarkers()
{
    PipelineModel model;
    model.setPipeline(samplePipeline());
    QUndoStack undo;
    DagScene scene(&model, &undo);
    QVERIFY(!scene.node("evaluate")->hasProblems());

    Task s = *model.pipeline().task("evaluate");
    s.params.remove("table");
    pushCommand(&undo, new UpdateTaskCommand(&model, "evaluate", s));
    const NodeItem *n = scene.node("evaluate");
    QVERIFY(n->hasProblems());
    QVERIFY2(n->problems().join('\n').contains("params.table"), qPrintable(n->problems().join('\n')));
    QVERIFY(n->toolTip().contains("params.table"));
    QVERIFY(!scene.node("train")->hasProblems());

    s.params.insert("table", "pets");
    pushCommand(&undo, new UpdateTaskCommand(&model, "evaluate", s));
    QVERIFY(!n->hasProblems());
    QVERIFY(!n->toolTip().contains("params.table"));
    undo.undo();
    QVERIFY(n->hasProblems());
}

void tst_DagEditor::autoLayoutPointsEdgesRight()
{
    pipeline::Pipeline p = samplePipeline();
    // Scrambled: every edge pointing left or stacked.
    p.layout = {{"ingest", {900, 0}},
                {"train", {600, 300}},
                {"evaluate", {300, 0}},
                {"register", {0, 300}},
                {"notify", {0, 0}}};
    PipelineModel model;
    model.setPipeline(p);
    QUndoStack undo;
    DagScene scene(&model, &undo);
    const QByteArray before = jsonOf(model);

    scene.autoLayout();
    QCOMPARE(undo.count(), 1);
    for (const Task &t : model.pipeline().tasks) {
        for (const auto &d : t.dependsOn)
            QVERIFY2(model.position(d).x < model.position(t.key).x, (d + " -> " + t.key).c_str());
    }
    for (const EdgeItem *e : scene.edges())
        QVERIFY(e->source()->pos().x() < e->target()->pos().x());
    // No two tasks on one spot.
    std::set<std::pair<double, double>> spots;
    for (const auto &[key, pos] : model.pipeline().layout)
        QVERIFY(spots.emplace(pos.x, pos.y).second);
    const QByteArray after = jsonOf(model);

    // Laid out already: nothing to do, nothing pushed.
    scene.autoLayout();
    QCOMPARE(undo.count(), 1);

    undo.undo();
    QCOMPARE(jsonOf(model), before);
    verifySceneMatches(scene, model);
    undo.redo();
    QCOMPARE(jsonOf(model), after);

    // Deterministic.
    const auto a = layeredLayout(p);
    const auto b = layeredLayout(p);
    QCOMPARE(a.size(), p.tasks.size());
    for (const auto &[key, pos] : a) {
        QCOMPARE(b.at(key).x, pos.x);
        QCOMPARE(b.at(key).y, pos.y);
    }
}

void tst_DagEditor::layeredLayoutReducesCrossings()
{
    // File order would cross the two edges: a1 -> b2 and a2 -> b1 with b1 listed first.
    pipeline::Pipeline p;
    p.tasks = {makeTask("a1", "labels-merge", {}), makeTask("a2", "labels-merge", {}),
               makeTask("b1", "labels-merge", {}, {"a2"}), makeTask("b2", "labels-merge", {}, {"a1"}),
               // A long edge (a1 -> c) and a cycle (x <-> y) are placed too.
               makeTask("c", "labels-merge", {}, {"b1", "a1"}), makeTask("x", "labels-merge", {}, {"y"}),
               makeTask("y", "labels-merge", {}, {"x"})};
    const auto pos = layeredLayout(p, 200, 100);
    QCOMPARE(pos.size(), std::size_t(7));
    QCOMPARE(pos.at("a1").x, 0.0);
    QCOMPARE(pos.at("b1").x, 200.0);
    QCOMPARE(pos.at("c").x, 400.0);
    const bool aOrder = pos.at("a1").y < pos.at("a2").y;
    const bool bOrder = pos.at("b2").y < pos.at("b1").y;
    QCOMPARE(aOrder, bOrder); // a1's partner above a2's partner: no crossing
}

void tst_DagEditor::copyPaste()
{
    PipelineModel model;
    model.setPipeline(samplePipeline());
    QUndoStack undo;
    DagScene scene(&model, &undo);
    scene.node("train")->setSelected(true);
    scene.node("evaluate")->setSelected(true);
    scene.copySelection();

    const QStringList first = scene.paste();
    QCOMPARE(first, (QStringList{"train_2", "evaluate_2"}));
    QCOMPARE(undo.count(), 1);
    const Task *train2 = model.pipeline().task("train_2");
    const Task *eval2 = model.pipeline().task("evaluate_2");
    QVERIFY(train2 && eval2);
    QVERIFY(train2->dependsOn.empty()); // ingest was not copied
    QCOMPARE(eval2->dependsOn, std::vector<std::string>{"train_2"});
    QCOMPARE(eval2->params.value("run").toString(), QString("{{tasks.train_2.run_id}}"));
    QCOMPARE(model.position("train_2").x, 240.0 + DagScene::kPasteOffset);
    QCOMPARE(model.position("evaluate_2").y, -60.0 + DagScene::kPasteOffset);
    QVERIFY(scene.edge("train_2", "evaluate_2"));
    QCOMPARE(scene.selectedTaskKeys(), first);
    QVERIFY(model.errorsOf("evaluate_2").empty());

    // Again: new keys, a step further.
    const QStringList second = scene.paste();
    QCOMPARE(second, (QStringList{"train_3", "evaluate_3"}));
    QCOMPARE(model.position("train_3").x, 240.0 + 2 * DagScene::kPasteOffset);
    QCOMPARE(model.pipeline().task("evaluate_3")->dependsOn, std::vector<std::string>{"train_3"});
    QCOMPARE(model.pipeline().tasks.size(), std::size_t(9));

    undo.undo();
    undo.undo();
    QCOMPARE(jsonOf(model), QJsonDocument(pipeline::toJson(samplePipeline())).toJson(QJsonDocument::Compact));
    verifySceneMatches(scene, model);
}

void tst_DagEditor::exportPngAndSvg()
{
    PipelineModel model;
    model.setPipeline(samplePipeline());
    QUndoStack undo;
    DagScene scene(&model, &undo);
    scene.selectTask("train");
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const QString png = dir.filePath("dag.png");
    const QString svg = dir.filePath("dag.svg");
    QVERIFY(scene.exportPng(png));
    QVERIFY(scene.exportSvg(svg));
    const QImage image(png);
    QVERIFY(!image.isNull());
    QVERIFY(image.width() > 1000); // five nodes side by side, at twice the scale
    QVERIFY(image.pixelColor(0, 0) != image.pixelColor(image.width() / 2 - 1, image.height() / 2)
            || image.pixelColor(0, 0) != image.pixelColor(20 + int(NodeItem::kWidth), image.height() / 2));
    QFile f(svg);
    QVERIFY(f.open(QIODevice::ReadOnly));
    const QByteArray text = f.readAll();
    QVERIFY(text.contains("<svg"));
    QVERIFY(text.size() > 1000);
    QCOMPARE(scene.selectedTaskKeys(), QStringList{"train"}); // the selection is back
    QVERIFY(!scene.exportPng(dir.filePath("missing/folder/dag.png")));
}

void tst_DagEditor::runStateText_data()
{
    QTest::addColumn<QString>("lifeCycle");
    QTest::addColumn<QString>("result");
    QTest::addColumn<int>("attempt");
    QTest::addColumn<int>("startedSecondsAgo");
    QTest::addColumn<QString>("text");
    QTest::addColumn<int>("phase");
    QTest::newRow("none") << ""
                          << "" << 0 << -1 << "" << int(RunPhase::None);
    QTest::newRow("pending") << "PENDING"
                             << "" << 0 << -1 << "pending" << int(RunPhase::Pending);
    QTest::newRow("queued") << "QUEUED"
                            << "" << 0 << -1 << "queued" << int(RunPhase::Queued);
    QTest::newRow("running") << "RUNNING"
                             << "" << 1 << 12 << "running 12 s" << int(RunPhase::Running);
    QTest::newRow("running long") << "RUNNING"
                                  << "" << 1 << 125 << "running 2 min 05 s" << int(RunPhase::Running);
    QTest::newRow("running again") << "RUNNING"
                                   << "" << 3 << 4 << "running 4 s (attempt 3)" << int(RunPhase::Running);
    QTest::newRow("retrying") << "WAITING_FOR_RETRY"
                              << "FAILED" << 2 << -1 << "retrying (attempt 2)" << int(RunPhase::Retrying);
    QTest::newRow("pending a retry") << "PENDING"
                                     << "" << 3 << -1 << "retrying (attempt 3)" << int(RunPhase::Retrying);
    QTest::newRow("success") << "TERMINATED"
                             << "SUCCESS" << 1 << -1 << "success" << int(RunPhase::Success);
    QTest::newRow("failed") << "TERMINATED"
                            << "FAILED" << 1 << -1 << "failed" << int(RunPhase::Failed);
    QTest::newRow("timed out") << "TERMINATED"
                               << "TIMEDOUT" << 1 << -1 << "timed out" << int(RunPhase::TimedOut);
    QTest::newRow("skipped") << "SKIPPED"
                             << "" << 0 << -1 << "skipped" << int(RunPhase::Skipped);
    QTest::newRow("upstream failed") << "TERMINATED"
                                     << "UPSTREAM_FAILED" << 0 << -1 << "upstream failed"
                                     << int(RunPhase::UpstreamFailed);
    QTest::newRow("canceled") << "TERMINATED"
                              << "CANCELED" << 1 << -1 << "canceled" << int(RunPhase::Canceled);
    QTest::newRow("internal error") << "INTERNAL_ERROR"
                                    << "" << 1 << -1 << "internal error" << int(RunPhase::Failed);
}

void tst_DagEditor::runStateText()
{
    QFETCH(QString, lifeCycle);
    QFETCH(QString, result);
    QFETCH(int, attempt);
    QFETCH(int, startedSecondsAgo);
    QFETCH(QString, text);
    QFETCH(int, phase);
    const QDateTime now = QDateTime::fromString("2024-05-01T12:00:00Z", Qt::ISODate);
    NodeRunState s{lifeCycle, result, attempt, startedSecondsAgo < 0 ? QDateTime() : now.addSecs(-startedSecondsAgo)};
    const RunStateLook look = describeRunState(s, now);
    QCOMPARE(look.text, text);
    QCOMPARE(int(look.phase), phase);
    QCOMPARE(look.color.isValid(), phase != int(RunPhase::None));
}

void tst_DagEditor::sceneShowsRunStates()
{
    PipelineModel model;
    model.setPipeline(samplePipeline());
    QUndoStack undo;
    DagScene scene(&model, &undo);
    QCOMPARE(scene.node("train")->runStateText(), QString());
    scene.setRunState("train", {"RUNNING", "", 1, QDateTime::currentDateTimeUtc().addSecs(-30)});
    QVERIFY2(scene.node("train")->runStateText().startsWith("running 3"),
             qPrintable(scene.node("train")->runStateText()));
    scene.setRunStates({{"ingest", {"TERMINATED", "SUCCESS", 1, {}}}, {"train", {"TERMINATED", "FAILED", 2, {}}}});
    QCOMPARE(scene.node("ingest")->runStateText(), QString("success"));
    QCOMPARE(scene.node("train")->runStateText(), QString("failed"));
    QCOMPARE(scene.node("evaluate")->runStateText(), QString());
    // The state follows a rename and survives a reset.
    model.renameTask("train", "fit");
    QCOMPARE(scene.node("fit")->runStateText(), QString("failed"));
    model.setPipeline(model.pipeline());
    QCOMPARE(scene.node("fit")->runStateText(), QString("failed"));
    scene.clearRunStates();
    QCOMPARE(scene.node("fit")->runStateText(), QString());
    QCOMPARE(scene.node("ingest")->runStateText(), QString());
}

void tst_DagEditor::taskSelectedSignal()
{
    PipelineModel model;
    model.setPipeline(samplePipeline());
    QUndoStack undo;
    DagScene scene(&model, &undo);
    QSignalSpy spy(&scene, &DagScene::taskSelected);
    scene.selectTask("train");
    QCOMPARE(spy.count(), 1);
    QCOMPARE(spy.last().at(0).toString(), QString("train"));
    scene.node("ingest")->setSelected(true); // two: none in particular
    QCOMPARE(spy.count(), 2);
    QCOMPARE(spy.last().at(0).toString(), QString());
    QCOMPARE(scene.selectedTaskKeys(), (QStringList{"ingest", "train"}));
    scene.selectTask("evaluate");
    QCOMPARE(spy.last().at(0).toString(), QString("evaluate"));
    pushCommand(&undo, new RenameTaskCommand(&model, "evaluate", "check"));
    QCOMPARE(spy.last().at(0).toString(), QString("check"));
    pushCommand(&undo, new RemoveTasksCommand(&model, {"check"}));
    QCOMPARE(spy.last().at(0).toString(), QString());
    scene.selectTask({});
    QVERIFY(scene.selectedTaskKeys().isEmpty());
}

void tst_DagEditor::renameAnnouncesRewrittenReferences()
{
    // evaluate and register refer to {{tasks.train.run_id}}: a panel showing them must hear that they changed.
    PipelineModel model;
    model.setPipeline(samplePipeline());
    QUndoStack undo;
    QSignalSpy changed(&model, &PipelineModel::taskChanged);
    pushCommand(&undo, new RenameTaskCommand(&model, "train", "fit"));
    QStringList keys;
    for (const auto &args : changed)
        keys.append(args.at(0).toString());
    QCOMPARE(keys, (QStringList{"evaluate", "register"}));
    QCOMPARE(model.pipeline().task("evaluate")->params.value("run").toString(), QString("{{tasks.fit.run_id}}"));
}

QTEST_MAIN(tst_DagEditor)
#include "tst_dageditor.moc"
