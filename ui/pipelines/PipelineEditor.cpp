// One open pipeline.
#include "ui/pipelines/PipelineEditor.h"

#include "ui/dag/AutoLayout.h"
#include "ui/dag/DagScene.h"
#include "ui/dag/DagView.h"
#include "ui/dag/NodeRunState.h"

#include <QFile>
#include <QFileInfo>
#include <QJsonDocument>
#include <QLabel>
#include <QListWidget>
#include <QSaveFile>
#include <QSplitter>
#include <QToolTip>
#include <QVBoxLayout>

namespace pw::ui {

namespace {

// Tasks without a position (a file written by hand, an import) get the automatic layout's, in the model, so
// that they are saved; the positions the file has are kept.
void placeUnplaced(pipeline::Pipeline &p)
{
    if (p.layout.size() >= p.tasks.size())
        return;
    for (const auto &[key, pos] : dag::layeredLayout(p))
        p.layout.try_emplace(key, pos);
}

} // namespace

PipelineEditor::PipelineEditor(QWidget *parent)
    : QWidget(parent)
    , m_scene(new dag::DagScene(&m_model, &m_undo, this))
    , m_view(new dag::DagView(m_scene))
    , m_problems(new QListWidget)
    , m_problemsTitle(new QLabel)
{
    auto *problemsBox = new QWidget;
    auto *pl = new QVBoxLayout(problemsBox);
    pl->setContentsMargins(0, 0, 0, 0);
    pl->addWidget(m_problemsTitle);
    pl->addWidget(m_problems);
    m_problems->setToolTip(tr("Click a problem to select its task and the field at fault"));
    auto *split = new QSplitter(Qt::Vertical);
    split->addWidget(m_view);
    split->addWidget(problemsBox);
    split->setStretchFactor(0, 5);
    split->setStretchFactor(1, 1);
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(split);

    connect(&m_model, &pipeline::PipelineModel::validated, this, &PipelineEditor::refreshProblems);
    connect(&m_undo, &QUndoStack::cleanChanged, this, [this] { emit dirtyChanged(isDirty()); });
    connect(m_scene, &dag::DagScene::taskSelected, this, &PipelineEditor::taskSelected);
    connect(m_scene, &dag::DagScene::connectionRefused, this, [this](const QString &why, QPointF scenePos) {
        const QPoint global = m_view->viewport()->mapToGlobal(m_view->mapFromScene(scenePos));
        QToolTip::showText(global, why, m_view);
        emit message(why);
    });
    connect(m_problems, &QListWidget::itemActivated, this, [this](QListWidgetItem *item) {
        const QString key = item->data(Qt::UserRole).toString(), field = item->data(Qt::UserRole + 1).toString();
        m_scene->selectTask(key);
        emit problemActivated(key, field);
    });
    connect(m_problems, &QListWidget::itemClicked, m_problems, &QListWidget::itemActivated);
    refreshProblems();
}

PipelineEditor::~PipelineEditor()
{
    // The undo stack, a member, announces cleanChanged() while it is destroyed: that must not reach the
    // observers of dirtyChanged(), which may be half destroyed themselves (the page's tab widget).
    m_undo.disconnect(this);
}

QString PipelineEditor::title() const
{
    const QString name = QString::fromStdString(m_model.pipeline().name);
    const QString base = name.isEmpty() ? QFileInfo(m_file).completeBaseName() : name;
    return (isDirty() ? "● " : "") + (base.isEmpty() ? tr("untitled") : base);
}

QString PipelineEditor::load(const QString &file)
{
    QFile f(file);
    if (!f.open(QIODevice::ReadOnly))
        return tr("cannot read '%1': %2").arg(file, f.errorString());
    std::vector<pipeline::ValidationError> errors;
    pipeline::Pipeline p = pipeline::parsePipeline(f.readAll(), errors);
    if (!errors.empty() && p.tasks.empty() && p.name.empty())
        return tr("'%1': %2").arg(file, QString::fromStdString(errors.front().message));
    m_file = QFileInfo(file).absoluteFilePath();
    placeUnplaced(p);
    m_model.setPipeline(p);
    m_undo.clear();
    m_unsavedNew = false;
    m_undo.setClean();
    emit dirtyChanged(false);
    return {};
}

void PipelineEditor::setPipeline(pipeline::Pipeline p, const QString &file)
{
    m_file = file;
    placeUnplaced(p);
    m_model.setPipeline(std::move(p));
    m_undo.clear();
    m_unsavedNew = true;
    emit dirtyChanged(true);
}

QString PipelineEditor::save(const QString &file)
{
    const QString target = file.isEmpty() ? m_file : file;
    if (target.isEmpty())
        return tr("no file to save to");
    QSaveFile out(target);
    const QByteArray json = QJsonDocument(pipeline::toJson(m_model.pipeline())).toJson(QJsonDocument::Indented);
    if (!out.open(QIODevice::WriteOnly) || out.write(json) != json.size() || !out.commit())
        return tr("cannot write '%1': %2").arg(target, out.errorString());
    m_file = QFileInfo(target).absoluteFilePath();
    m_unsavedNew = false;
    m_undo.setClean();
    emit dirtyChanged(false);
    return {};
}

void PipelineEditor::refreshProblems()
{
    m_problems->clear();
    for (const auto &e : m_model.errors()) {
        const QString key = QString::fromStdString(e.taskKey), field = QString::fromStdString(e.field);
        auto *item = new QListWidgetItem((key.isEmpty() ? tr("pipeline") : key) + (field.isEmpty() ? "" : " · " + field)
                                         + ": " + QString::fromStdString(e.message));
        item->setData(Qt::UserRole, key);
        item->setData(Qt::UserRole + 1, field);
        item->setForeground(QColor(0xc0, 0x39, 0x2b));
        m_problems->addItem(item);
    }
    const auto n = m_model.errors().size();
    m_problemsTitle->setText(n == 0 ? tr("Problems: none — the pipeline is valid")
                                    : tr("Problems: %1 (fix them before running)").arg(n));
}

void PipelineEditor::applyEvent(const pipeline::Event &e)
{
    if (e.taskKey.empty())
        return;
    dag::NodeRunState s;
    s.lifeCycle = QString::fromStdString(e.lifeCycle);
    s.result = QString::fromStdString(e.result);
    s.attempt = e.attempt;
    if (e.lifeCycle == "RUNNING")
        s.started = QDateTime::currentDateTimeUtc();
    if (e.lifeCycle == "TERMINATED" && e.message.find("retrying") != std::string::npos) {
        s.lifeCycle = "WAITING_FOR_RETRY";
        s.result.clear();
        s.attempt = e.attempt + 1;
    }
    m_scene->setRunState(QString::fromStdString(e.taskKey), s);
}

void PipelineEditor::clearRunStates()
{
    m_scene->clearRunStates();
}

} // namespace pw::ui
