// The DAG editor's canvas.
#include "ui/dag/DagScene.h"

#include "core/pipeline/PipelineModel.h"
#include "ui/dag/AutoLayout.h"
#include "ui/dag/Commands.h"
#include "ui/dag/EdgeItem.h"
#include "ui/dag/NodeItem.h"
#include "ui/dag/TaskPalette.h"

#include <QClipboard>
#include <QFileInfo>
#include <QGraphicsPathItem>
#include <QGraphicsSceneDragDropEvent>
#include <QGraphicsSceneMouseEvent>
#include <QGraphicsView>
#include <QGuiApplication>
#include <QImage>
#include <QJsonDocument>
#include <QKeyEvent>
#include <QMimeData>
#include <QPainter>
#include <QSvgGenerator>
#include <QTimer>
#include <QUndoStack>

#include <algorithm>
#include <cmath>
#include <limits>

namespace pw::ui::dag {

using pipeline::Position;
using pipeline::Task;

namespace {

// The canvas is practically unbounded, so that the views never re-centre while something is dragged.
constexpr double kCanvasHalfSize = 50000;
constexpr double kExportMargin = 24;
constexpr double kNudge = 10;
constexpr double kExportScale = 2; // PNG pixels per scene unit

QString qs(const std::string &s)
{
    return QString::fromStdString(s);
}

} // namespace

DagScene::DagScene(pipeline::PipelineModel *model, QUndoStack *undo, QObject *parent)
    : QGraphicsScene(parent)
    , m_model(model)
    , m_undo(undo)
    , m_runTimer(new QTimer(this))
{
    setSceneRect(-kCanvasHalfSize, -kCanvasHalfSize, 2 * kCanvasHalfSize, 2 * kCanvasHalfSize);
    m_runTimer->setInterval(1000); // the elapsed seconds of running tasks
    connect(m_runTimer, &QTimer::timeout, this, [this] {
        for (NodeItem *n : std::as_const(m_nodes)) {
            if (n->isRunning())
                n->update();
        }
    });

    using M = pipeline::PipelineModel;
    connect(m_model, &M::reset, this, &DagScene::rebuild);
    connect(m_model, &M::taskAdded, this, &DagScene::onTaskAdded);
    connect(m_model, &M::taskRemoved, this, &DagScene::onTaskRemoved);
    connect(m_model, &M::taskChanged, this, &DagScene::onTaskChanged);
    connect(m_model, &M::taskRenamed, this, &DagScene::onTaskRenamed);
    connect(m_model, &M::dependencyAdded, this, &DagScene::addEdgeItem);
    connect(m_model, &M::dependencyRemoved, this, &DagScene::removeEdgeItem);
    connect(m_model, &M::taskMoved, this, &DagScene::onTaskMoved);
    connect(m_model, &M::validated, this, &DagScene::refreshProblems);
    connect(this, &QGraphicsScene::selectionChanged, this, &DagScene::onSelectionChanged);
    rebuild();
}

DagScene::~DagScene()
{
    // The edges unregister from their nodes: delete them first.
    m_quietSelection = true;
    const QList<EdgeItem *> all = edges();
    qDeleteAll(all);
}

// --- Lookup

NodeItem *DagScene::node(const QString &key) const
{
    return m_nodes.value(key);
}

EdgeItem *DagScene::edge(const QString &from, const QString &to) const
{
    const NodeItem *a = node(from);
    const NodeItem *b = node(to);
    if (!a || !b)
        return nullptr;
    for (EdgeItem *e : a->edges()) {
        if (e->source() == a && e->target() == b)
            return e;
    }
    return nullptr;
}

QList<NodeItem *> DagScene::nodes() const
{
    QList<NodeItem *> out;
    for (const Task &t : m_model->pipeline().tasks) {
        NodeItem *n = node(qs(t.key));
        if (n && !out.contains(n))
            out.append(n);
    }
    return out;
}

QList<EdgeItem *> DagScene::edges() const
{
    QList<EdgeItem *> out;
    for (QGraphicsItem *i : items(Qt::AscendingOrder)) {
        if (auto *e = qgraphicsitem_cast<EdgeItem *>(i))
            out.append(e);
    }
    return out;
}

// --- Model observation

NodeItem *DagScene::createNode(const Task &task, QPointF pos)
{
    const QString key = qs(task.key);
    auto *n = new NodeItem(key, qs(task.type));
    n->setPos(pos);
    if (const auto it = m_runStates.find(key); it != m_runStates.end())
        n->setRunState(it->second);
    addItem(n);
    m_nodes.insert(key, n);
    return n;
}

void DagScene::rebuild()
{
    const QStringList selected = selectedTaskKeys();
    cancelConnection();
    m_dragStart.clear();
    m_quietSelection = true;
    const QList<EdgeItem *> oldEdges = edges();
    qDeleteAll(oldEdges);
    qDeleteAll(m_nodes);
    m_nodes.clear();

    const pipeline::Pipeline &p = m_model->pipeline();
    // Tasks without a position (a file written by hand or imported) are shown where the automatic layout
    // would put them; the model keeps no position for them until one is moved.
    std::map<std::string, Position> fallback;
    if (std::any_of(p.tasks.begin(), p.tasks.end(), [&](const Task &t) { return !p.layout.count(t.key); }))
        fallback = layeredLayout(p);
    for (const Task &t : p.tasks) {
        if (m_nodes.contains(qs(t.key)))
            continue; // a duplicate key (a validation error): drawn once
        const auto it = p.layout.find(t.key);
        const Position pos = it != p.layout.end() ? it->second : fallback[t.key];
        createNode(t, QPointF(pos.x, pos.y));
    }
    for (const Task &t : p.tasks) {
        for (const auto &d : t.dependsOn)
            addEdgeItem(qs(d), qs(t.key));
    }
    refreshProblems();
    for (const QString &k : selected) {
        if (NodeItem *n = node(k))
            n->setSelected(true);
    }
    m_quietSelection = false;
    updateRunTimer();
    onSelectionChanged();
}

void DagScene::onTaskAdded(const QString &key)
{
    const Task *t = m_model->pipeline().task(key.toStdString());
    if (!t || m_nodes.contains(key))
        return;
    const Position pos = m_model->position(t->key);
    createNode(*t, QPointF(pos.x, pos.y));
    for (const auto &d : t->dependsOn)
        addEdgeItem(qs(d), key);
    for (const Task &other : m_model->pipeline().tasks) {
        if (std::find(other.dependsOn.begin(), other.dependsOn.end(), t->key) != other.dependsOn.end())
            addEdgeItem(key, qs(other.key));
    }
    updateRunTimer();
}

void DagScene::onTaskRemoved(const QString &key)
{
    NodeItem *n = m_nodes.take(key);
    if (!n)
        return;
    if (n == m_connectFrom || n == m_connectHover)
        cancelConnection();
    m_dragStart.erase(key);
    const QList<EdgeItem *> attached = n->edges();
    qDeleteAll(attached);
    delete n;
}

void DagScene::onTaskChanged(const QString &key)
{
    const Task *t = m_model->pipeline().task(key.toStdString());
    if (NodeItem *n = node(key); n && t)
        n->setTaskType(qs(t->type));
}

void DagScene::onTaskRenamed(const QString &from, const QString &to)
{
    NodeItem *n = m_nodes.take(from);
    if (!n)
        return;
    n->setKey(to);
    m_nodes.insert(to, n);
    if (auto it = m_dragStart.find(from); it != m_dragStart.end()) {
        m_dragStart[to] = it->second;
        m_dragStart.erase(from);
    }
    if (auto it = m_runStates.find(from); it != m_runStates.end()) {
        m_runStates[to] = it->second;
        m_runStates.erase(it);
    }
    if (m_selectedKey == from) {
        m_selectedKey = to;
        Q_EMIT taskSelected(to);
    }
}

void DagScene::onTaskMoved(const QString &key)
{
    if (NodeItem *n = node(key)) {
        const Position p = m_model->position(key.toStdString());
        n->setPos(p.x, p.y);
    }
}

void DagScene::refreshProblems()
{
    QHash<QString, QStringList> byTask;
    for (const auto &e : m_model->errors()) {
        if (!e.taskKey.empty())
            byTask[qs(e.taskKey)].append(e.field.empty() ? qs(e.message)
                                                         : qs(e.field) + QStringLiteral(": ") + qs(e.message));
    }
    for (auto it = m_nodes.cbegin(); it != m_nodes.cend(); ++it)
        it.value()->setProblems(byTask.value(it.key()));
}

void DagScene::addEdgeItem(const QString &from, const QString &to)
{
    NodeItem *a = node(from);
    NodeItem *b = node(to);
    if (!a || !b || a == b || edge(from, to))
        return; // a dependency on a missing task or on itself is a validation error, not drawn
    addItem(new EdgeItem(a, b));
}

void DagScene::removeEdgeItem(const QString &from, const QString &to)
{
    delete edge(from, to);
}

// --- Run state

void DagScene::setRunStates(const std::map<QString, NodeRunState> &states)
{
    m_runStates = states;
    for (auto it = m_nodes.cbegin(); it != m_nodes.cend(); ++it) {
        const auto found = m_runStates.find(it.key());
        if (found == m_runStates.end())
            it.value()->clearRunState();
        else
            it.value()->setRunState(found->second);
    }
    updateRunTimer();
}

void DagScene::setRunState(const QString &key, const NodeRunState &state)
{
    m_runStates[key] = state;
    if (NodeItem *n = node(key))
        n->setRunState(state);
    updateRunTimer();
}

void DagScene::clearRunStates()
{
    setRunStates({});
}

void DagScene::updateRunTimer()
{
    const bool running = std::any_of(m_nodes.cbegin(), m_nodes.cend(),
                                     [](const NodeItem *n) { return n->isRunning(); });
    if (running && !m_runTimer->isActive())
        m_runTimer->start();
    else if (!running)
        m_runTimer->stop();
}

// --- Editing

void DagScene::autoLayout()
{
    const auto layout = layeredLayout(m_model->pipeline());
    if (layout.empty())
        return;
    // Anchored where the drawing is now, so that the views do not jump.
    double left = std::numeric_limits<double>::max(), top = std::numeric_limits<double>::max();
    for (const NodeItem *n : std::as_const(m_nodes)) {
        left = std::min(left, n->pos().x());
        top = std::min(top, n->pos().y());
    }
    std::vector<TaskMove> moves;
    for (const auto &[key, pos] : layout) {
        const NodeItem *n = node(qs(key));
        if (!n)
            continue;
        const Position to{std::round(left + pos.x), std::round(top + pos.y)};
        if (to.x != n->pos().x() || to.y != n->pos().y())
            moves.push_back({key, {n->pos().x(), n->pos().y()}, to});
    }
    if (moves.empty())
        return;
    auto *cmd = new MoveTasksCommand(m_model, std::move(moves));
    cmd->setText(tr("Auto layout"));
    cmd->setMergeable(false);
    pushCommand(m_undo, cmd);
}

QString DagScene::addTaskOfType(const QString &type, QPointF scenePos)
{
    const pipeline::TaskType *tt = pipeline::taskType(type.toStdString());
    if (!tt)
        return {};
    Task t;
    t.type = tt->name;
    t.key = m_model->uniqueKey(t.type);
    for (const pipeline::ParamSpec &ps : tt->params) {
        if (ps.required)
            t.params.insert(QLatin1String(ps.name), QString());
    }
    const Position pos{std::round(scenePos.x() - NodeItem::kWidth / 2),
                       std::round(scenePos.y() - NodeItem::kHeight / 2)};
    const QString key = qs(t.key);
    const QString refusal = pushCommand(m_undo, new AddTaskCommand(m_model, std::move(t), pos));
    if (!refusal.isEmpty())
        return {};
    selectTask(key);
    return key;
}

QString DagScene::connectTasks(const QString &from, const QString &to)
{
    const QString why = m_model->canConnect(from.toStdString(), to.toStdString());
    if (!why.isEmpty())
        return why;
    return pushCommand(m_undo, new AddDependencyCommand(m_model, from.toStdString(), to.toStdString()));
}

void DagScene::deleteSelection()
{
    std::vector<std::string> tasks;
    for (const Task &t : m_model->pipeline().tasks) {
        const NodeItem *n = node(qs(t.key));
        if (n && n->isSelected() && std::find(tasks.begin(), tasks.end(), t.key) == tasks.end())
            tasks.push_back(t.key);
    }
    std::vector<std::pair<std::string, std::string>> deps;
    for (QGraphicsItem *i : selectedItems()) {
        const auto *e = qgraphicsitem_cast<EdgeItem *>(i);
        if (!e || e->source()->isSelected() || e->target()->isSelected())
            continue; // removed with its task
        deps.emplace_back(e->fromKey().toStdString(), e->toKey().toStdString());
    }
    if (tasks.empty() && deps.empty())
        return;
    std::sort(deps.begin(), deps.end());
    QString text;
    if (deps.empty())
        text = tasks.size() == 1 ? tr("Delete %1").arg(qs(tasks.front()))
                                 : tr("Delete %n task(s)", nullptr, int(tasks.size()));
    else if (tasks.empty())
        text = tr("Delete %n dependenc(ies)", nullptr, int(deps.size()));
    else
        text = tr("Delete %n task(s)", nullptr, int(tasks.size()))
               + tr(" and %n dependenc(ies)", nullptr, int(deps.size()));
    // One step: the dependencies first, then the tasks (undone in reverse).
    auto *cmd = new QUndoCommand(text);
    for (const auto &[from, to] : deps)
        new RemoveDependencyCommand(m_model, from, to, cmd);
    if (!tasks.empty())
        new RemoveTasksCommand(m_model, tasks, cmd);
    m_undo->push(cmd);
}

void DagScene::copySelection()
{
    pipeline::Pipeline fragment;
    fragment.name = "clipboard";
    std::vector<std::string> keys;
    for (const Task &t : m_model->pipeline().tasks) {
        const NodeItem *n = node(qs(t.key));
        if (n && n->isSelected() && std::find(keys.begin(), keys.end(), t.key) == keys.end()) {
            keys.push_back(t.key);
            fragment.tasks.push_back(t);
            fragment.layout[t.key] = {n->pos().x(), n->pos().y()};
        }
    }
    if (keys.empty())
        return;
    for (Task &t : fragment.tasks) {
        std::erase_if(t.dependsOn,
                      [&](const std::string &d) { return std::find(keys.begin(), keys.end(), d) == keys.end(); });
    }
    const QByteArray json = QJsonDocument(pipeline::toJson(fragment)).toJson(QJsonDocument::Indented);
    auto *mime = new QMimeData;
    mime->setData(QString::fromLatin1(kTasksMimeType), json);
    mime->setText(QString::fromUtf8(json));
    QGuiApplication::clipboard()->setMimeData(mime);
}

QStringList DagScene::paste()
{
    const QMimeData *mime = QGuiApplication::clipboard()->mimeData();
    if (!mime)
        return {};
    // Our own format, or a pipeline file's text (copied from an editor).
    const QByteArray json = mime->hasFormat(QString::fromLatin1(kTasksMimeType))
                                ? mime->data(QString::fromLatin1(kTasksMimeType))
                                : mime->text().toUtf8();
    const QJsonDocument doc = QJsonDocument::fromJson(json);
    if (!doc.isObject() || !doc.object().value(QLatin1String("tasks")).isArray())
        return {};
    std::vector<pipeline::ValidationError> errors; // the pasted tasks are validated with the pipeline
    pipeline::Pipeline fragment = pipeline::parsePipeline(json, errors);
    if (fragment.tasks.empty())
        return {};
    // Each paste of the same content lands a step further, so that copies do not pile up.
    m_pasteCount = json == m_lastPaste ? m_pasteCount + 1 : 1;
    m_lastPaste = json;
    const double offset = kPasteOffset * m_pasteCount;
    auto *cmd = new PasteCommand(m_model, std::move(fragment), QPointF(offset, offset));
    if (!pushCommand(m_undo, cmd).isEmpty())
        return {};
    QStringList keys;
    for (const auto &k : cmd->newKeys()) // not merged (no id), so still on the stack
        keys.append(qs(k));
    m_quietSelection = true;
    clearSelection();
    for (const QString &k : std::as_const(keys)) {
        if (NodeItem *n = node(k))
            n->setSelected(true);
    }
    m_quietSelection = false;
    onSelectionChanged();
    return keys;
}

// --- Selection

QStringList DagScene::selectedTaskKeys() const
{
    QStringList out;
    for (const NodeItem *n : nodes()) {
        if (n->isSelected())
            out.append(n->key());
    }
    return out;
}

void DagScene::selectTask(const QString &key)
{
    m_quietSelection = true;
    clearSelection();
    NodeItem *n = node(key);
    if (n)
        n->setSelected(true);
    m_quietSelection = false;
    onSelectionChanged();
    if (n) {
        for (QGraphicsView *v : views())
            v->ensureVisible(n);
    }
}

void DagScene::onSelectionChanged()
{
    if (m_quietSelection)
        return;
    const QStringList keys = selectedTaskKeys();
    const QString key = keys.size() == 1 ? keys.front() : QString();
    if (key != m_selectedKey) {
        m_selectedKey = key;
        Q_EMIT taskSelected(key);
    }
}

// --- Gestures

NodeItem *DagScene::nodeAt(QPointF scenePos, const NodeItem *except) const
{
    for (QGraphicsItem *i : items(scenePos, Qt::IntersectsItemShape, Qt::DescendingOrder)) {
        auto *n = qgraphicsitem_cast<NodeItem *>(i);
        if (n && n != except)
            return n;
    }
    return nullptr;
}

void DagScene::startConnection(NodeItem *from, QPointF scenePos)
{
    m_connectFrom = from;
    m_connectPreview = new QGraphicsPathItem;
    QColor c = palette().color(QPalette::Highlight);
    m_connectPreview->setPen(QPen(c, 2, Qt::DashLine, Qt::RoundCap));
    m_connectPreview->setZValue(int(ZOrder::DraggedEdge));
    addItem(m_connectPreview);
    updateConnection(scenePos);
}

void DagScene::updateConnection(QPointF scenePos)
{
    NodeItem *hover = nodeAt(scenePos, m_connectFrom);
    if (hover != m_connectHover) {
        if (m_connectHover)
            m_connectHover->setInputHighlighted(false);
        m_connectHover = hover;
        if (m_connectHover)
            m_connectHover->setInputHighlighted(true);
    }
    const QPointF end = m_connectHover ? m_connectHover->inputPortScenePos() : scenePos;
    m_connectPreview->setPath(EdgeItem::curve(m_connectFrom->outputPortScenePos(), end));
}

void DagScene::finishConnection(QPointF scenePos)
{
    const NodeItem *target = nodeAt(scenePos, m_connectFrom);
    const QString from = m_connectFrom->key();
    // A release on the source itself is a self-loop the user asked for; on the empty canvas, nothing.
    if (!target && m_connectFrom->contains(m_connectFrom->mapFromScene(scenePos)))
        target = m_connectFrom;
    const QString to = target ? target->key() : QString();
    cancelConnection();
    if (to.isEmpty())
        return;
    const QString why = connectTasks(from, to);
    if (!why.isEmpty())
        Q_EMIT connectionRefused(why, scenePos);
}

void DagScene::cancelConnection()
{
    if (m_connectHover)
        m_connectHover->setInputHighlighted(false);
    m_connectHover = nullptr;
    m_connectFrom = nullptr;
    delete m_connectPreview;
    m_connectPreview = nullptr;
}

void DagScene::commitDrag()
{
    std::vector<TaskMove> moves;
    for (const auto &[key, start] : m_dragStart) {
        const NodeItem *n = node(key);
        if (n && n->pos() != start)
            moves.push_back({key.toStdString(), {start.x(), start.y()}, {n->pos().x(), n->pos().y()}});
    }
    m_dragStart.clear();
    if (!moves.empty())
        pushCommand(m_undo, new MoveTasksCommand(m_model, std::move(moves)));
}

void DagScene::nudgeSelection(QPointF delta)
{
    std::vector<TaskMove> moves;
    for (const NodeItem *n : nodes()) {
        if (n->isSelected()) {
            const QPointF to = n->pos() + delta;
            moves.push_back({n->key().toStdString(), {n->pos().x(), n->pos().y()}, {to.x(), to.y()}});
        }
    }
    if (!moves.empty())
        pushCommand(m_undo, new MoveTasksCommand(m_model, std::move(moves)));
}

void DagScene::mousePressEvent(QGraphicsSceneMouseEvent *event)
{
    if (event->button() == Qt::LeftButton && !m_connectFrom) {
        NodeItem *n = nodeAt(event->scenePos());
        if (n && n->portAt(n->mapFromScene(event->scenePos())) == NodeItem::Port::Output) {
            startConnection(n, event->scenePos());
            event->accept();
            return;
        }
    }
    QGraphicsScene::mousePressEvent(event);
    if (event->button() == Qt::LeftButton) {
        m_dragStart.clear();
        for (const NodeItem *n : std::as_const(m_nodes)) {
            if (n->isSelected())
                m_dragStart[n->key()] = n->pos();
        }
    }
}

void DagScene::mouseMoveEvent(QGraphicsSceneMouseEvent *event)
{
    if (m_connectFrom) {
        updateConnection(event->scenePos());
        event->accept();
        return;
    }
    QGraphicsScene::mouseMoveEvent(event);
}

void DagScene::mouseReleaseEvent(QGraphicsSceneMouseEvent *event)
{
    if (m_connectFrom && event->button() == Qt::LeftButton) {
        finishConnection(event->scenePos());
        event->accept();
        return;
    }
    QGraphicsScene::mouseReleaseEvent(event);
    if (event->button() == Qt::LeftButton)
        commitDrag();
}

void DagScene::keyPressEvent(QKeyEvent *event)
{
    if (event->matches(QKeySequence::Delete) || event->key() == Qt::Key_Backspace) {
        deleteSelection();
    } else if (event->matches(QKeySequence::Copy)) {
        copySelection();
    } else if (event->matches(QKeySequence::Paste)) {
        paste();
    } else if (event->matches(QKeySequence::SelectAll)) {
        for (NodeItem *n : std::as_const(m_nodes))
            n->setSelected(true);
    } else if (event->key() == Qt::Key_Escape && m_connectFrom) {
        cancelConnection();
    } else if (event->key() == Qt::Key_Left || event->key() == Qt::Key_Right || event->key() == Qt::Key_Up
               || event->key() == Qt::Key_Down) {
        const double step = event->modifiers() & Qt::ShiftModifier ? 1 : kNudge;
        const QPointF delta = event->key() == Qt::Key_Left    ? QPointF(-step, 0)
                              : event->key() == Qt::Key_Right ? QPointF(step, 0)
                              : event->key() == Qt::Key_Up    ? QPointF(0, -step)
                                                              : QPointF(0, step);
        nudgeSelection(delta);
    } else {
        QGraphicsScene::keyPressEvent(event);
        return;
    }
    event->accept();
}

void DagScene::dragEnterEvent(QGraphicsSceneDragDropEvent *event)
{
    // Items take no drops: the scene decides, not QGraphicsScene's per-item dispatch.
    if (event->mimeData()->hasFormat(QString::fromLatin1(kTaskTypeMimeType))) {
        event->setDropAction(Qt::CopyAction);
        event->accept();
    } else {
        event->ignore();
    }
}

void DagScene::dragMoveEvent(QGraphicsSceneDragDropEvent *event)
{
    dragEnterEvent(event);
}

void DagScene::dragLeaveEvent(QGraphicsSceneDragDropEvent *event)
{
    event->accept();
}

void DagScene::dropEvent(QGraphicsSceneDragDropEvent *event)
{
    const QString type = QString::fromUtf8(event->mimeData()->data(QString::fromLatin1(kTaskTypeMimeType)));
    if (type.isEmpty() || addTaskOfType(type, event->scenePos()).isEmpty()) {
        event->ignore();
        return;
    }
    event->setDropAction(Qt::CopyAction);
    event->accept();
}

// --- Export

QRectF DagScene::contentRect() const
{
    QRectF r;
    for (const NodeItem *n : std::as_const(m_nodes))
        r |= n->sceneBoundingRect();
    for (const EdgeItem *e : edges())
        r |= e->sceneBoundingRect();
    if (r.isNull())
        r = QRectF(0, 0, NodeItem::kWidth, NodeItem::kHeight);
    return r.adjusted(-kExportMargin, -kExportMargin, kExportMargin, kExportMargin);
}

bool DagScene::renderTo(QPaintDevice *device, const QRectF &source)
{
    QPainter painter;
    if (!painter.begin(device))
        return false;
    painter.setRenderHint(QPainter::Antialiasing);
    painter.setRenderHint(QPainter::TextAntialiasing);
    const QRectF target(0, 0, device->width(), device->height());
    painter.fillRect(target, palette().color(QPalette::Base));
    // The drawing without the selection or a half-drawn connection; put back afterwards without a signal.
    const QList<QGraphicsItem *> selected = selectedItems();
    m_quietSelection = true;
    clearSelection();
    if (m_connectPreview)
        m_connectPreview->hide();
    // Exports draw shapes (vector in SVG), not the nodes' screen caches.
    const QList<NodeItem *> all = nodes();
    for (NodeItem *n : all)
        n->setCacheMode(QGraphicsItem::NoCache);
    render(&painter, target, source, Qt::KeepAspectRatio);
    for (NodeItem *n : all)
        n->setCacheMode(QGraphicsItem::DeviceCoordinateCache);
    if (m_connectPreview)
        m_connectPreview->show();
    for (QGraphicsItem *i : selected)
        i->setSelected(true);
    m_quietSelection = false;
    return painter.end();
}

bool DagScene::exportPng(const QString &file)
{
    const QRectF source = contentRect();
    QImage image((source.size() * kExportScale).toSize(), QImage::Format_ARGB32_Premultiplied);
    if (image.isNull())
        return false;
    if (!renderTo(&image, source))
        return false;
    return image.save(file, "PNG");
}

bool DagScene::exportSvg(const QString &file)
{
    const QRectF source = contentRect();
    QSvgGenerator svg;
    svg.setFileName(file);
    svg.setSize(source.size().toSize());
    svg.setViewBox(QRectF(QPointF(0, 0), source.size()));
    svg.setTitle(qs(m_model->pipeline().name));
    svg.setDescription(tr("Pipeline %1, drawn by Pipewright").arg(qs(m_model->pipeline().name)));
    if (!renderTo(&svg, source))
        return false;
    return QFileInfo(file).size() > 0;
}

} // namespace pw::ui::dag
