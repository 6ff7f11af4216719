// Undo commands of the DAG editor.
#include "ui/dag/Commands.h"

#include "core/pipeline/PipelineModel.h"

#include <QCoreApplication>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QRegularExpression>
#include <QUndoStack>
#include <QtDebug>

#include <algorithm>
#include <set>
#include <stdexcept>

namespace pw::ui::dag {

using pipeline::PipelineModel;
using pipeline::Position;
using pipeline::Task;

namespace {

QString tr(const char *s, int n = -1)
{
    return QCoreApplication::translate("pw::ui::dag::Commands", s, nullptr, n);
}

QString qs(const std::string &s)
{
    return QString::fromStdString(s);
}

bool samePosition(Position a, Position b)
{
    return a.x == b.x && a.y == b.y;
}

bool hasDuplicates(std::vector<std::string> v)
{
    std::sort(v.begin(), v.end());
    return std::adjacent_find(v.begin(), v.end()) != v.end();
}

// The pipeline-level settings of `p`, without tasks or layout.
pipeline::Pipeline settingsOf(const pipeline::Pipeline &p)
{
    pipeline::Pipeline s = p;
    s.tasks.clear();
    s.layout.clear();
    return s;
}

// A value as the undo history shows it: "fashion", 3, ["a", "b"]; "(none)" when not set.
QString valueText(const QJsonValue &v)
{
    if (v.isUndefined() || v.isNull() || (v.isString() && v.toString().isEmpty()))
        return tr("(none)");
    if (v.isString())
        return v.toString();
    if (v.isBool())
        return v.toBool() ? QStringLiteral("true") : QStringLiteral("false");
    if (v.isDouble())
        return QString::number(v.toDouble(), 'g', 10);
    const QJsonDocument doc = v.isArray() ? QJsonDocument(v.toArray()) : QJsonDocument(v.toObject());
    return QString::fromUtf8(doc.toJson(QJsonDocument::Compact));
}

// What an edit of a task changes, for the undo history: "table fashion → fashion-test, epochs 3 → 5".
QString describeChange(const Task &before, const Task &after)
{
    QStringList changes;
    const auto field = [&changes](const QString &name, const QJsonValue &from, const QJsonValue &to) {
        if (from != to && valueText(from) != valueText(to)) // "" and no value read alike: (none)
            changes << QStringLiteral("%1 %2 → %3").arg(name, valueText(from), valueText(to)).simplified();
    };
    QStringList keys = before.params.keys() + after.params.keys();
    keys.removeDuplicates();
    keys.sort();
    for (const QString &k : keys)
        field(k, before.params.value(k), after.params.value(k));
    field(tr("description"), qs(before.description), qs(after.description));
    field(tr("run if"), qs(before.runIf), qs(after.runIf));
    field(tr("target"), qs(before.target), qs(after.target));
    field(tr("timeout"), before.timeoutSeconds, after.timeoutSeconds);
    field(tr("retries"), before.maxRetries, after.maxRetries);
    field(tr("retry interval"), before.minRetryIntervalMillis, after.minRetryIntervalMillis);
    field(tr("retry on timeout"), before.retryOnTimeout, after.retryOnTimeout);
    constexpr int kMaxShown = 3;
    if (changes.size() > kMaxShown) {
        const int more = int(changes.size()) - kMaxShown;
        changes = changes.mid(0, kMaxShown);
        changes << tr("%n more", more);
    }
    return changes.join(QStringLiteral(", "));
}

} // namespace

// --- ModelCommand

ModelCommand::ModelCommand(PipelineModel *model, QUndoCommand *parent)
    : QUndoCommand(parent)
    , m_model(model)
{
}

void ModelCommand::redo()
{
    try {
        apply();
    } catch (const std::exception &e) {
        const QString why = QString::fromStdString(e.what());
        if (m_refusal && m_refusal->armed) {
            m_refusal->why = why;
        } else {
            qWarning().noquote() << "pipeline edit" << text() << "could not be redone:" << why;
        }
        setObsolete(true); // QUndoStack drops an obsolete command
    }
}

void ModelCommand::undo()
{
    try {
        revert();
    } catch (const std::exception &e) {
        qWarning().noquote() << "pipeline edit" << text() << "could not be undone:" << e.what();
        setObsolete(true);
    }
}

QString pushCommand(QUndoStack *stack, ModelCommand *command)
{
    auto refusal = std::make_shared<ModelCommand::Refusal>();
    command->m_refusal = refusal;
    // After push() the command may be gone (refused, or merged into the one before): only `refusal` is read.
    stack->push(command);
    // A command still on the stack shares it: its later failures go to the log instead.
    refusal->armed = false;
    return refusal->why;
}

// --- restoreDependsOn, renameTaskReferences

void restoreDependsOn(PipelineModel &model, const std::string &to, const std::vector<std::string> &wanted)
{
    const Task *t = model.pipeline().task(to);
    if (!t)
        throw std::invalid_argument("no task '" + to + "'");
    const std::vector<std::string> current = t->dependsOn;
    if (current == wanted)
        return;
    std::size_t prefix = 0;
    while (prefix < current.size() && prefix < wanted.size() && current[prefix] == wanted[prefix])
        ++prefix;
    bool stepwise = !hasDuplicates(current) && !hasDuplicates(wanted);
    for (std::size_t i = prefix; stepwise && i < wanted.size(); ++i)
        stepwise = wanted[i] != to && model.pipeline().task(wanted[i]);
    if (stepwise) {
        try {
            for (std::size_t i = current.size(); i-- > prefix;)
                model.removeDependency(current[i], to);
            for (std::size_t i = prefix; i < wanted.size(); ++i)
                model.addDependency(wanted[i], to);
            return;
        } catch (const std::invalid_argument &) {
            // A dependency the API refuses (the pipeline had a cycle): set as it was, below.
        }
    }
    // Dependencies the edit API refuses to make (on missing tasks, duplicates, cycles: a broken file that was
    // loaded as it is) come back as they were all the same.
    pipeline::Pipeline p = model.pipeline();
    p.task(to)->dependsOn = wanted;
    model.setPipeline(std::move(p));
}

QJsonValue renameTaskReferences(const QJsonValue &v, const std::map<std::string, std::string> &renames)
{
    if (v.isString()) {
        static const QRegularExpression re(R"(\{\{(\s*)tasks\.([^.}\s]+)\.)");
        const QString s = v.toString();
        QString out;
        qsizetype last = 0;
        auto it = re.globalMatch(s);
        while (it.hasNext()) {
            const QRegularExpressionMatch m = it.next();
            const auto found = renames.find(m.captured(2).toStdString());
            if (found == renames.end())
                continue;
            out += QStringView(s).mid(last, m.capturedStart(0) - last);
            out += QStringLiteral("{{") + m.captured(1) + QStringLiteral("tasks.") + qs(found->second)
                   + QLatin1Char('.');
            last = m.capturedEnd(0);
        }
        if (last == 0)
            return v;
        out += QStringView(s).mid(last);
        return out;
    }
    if (v.isArray()) {
        QJsonArray a;
        for (const QJsonValue &e : v.toArray())
            a.append(renameTaskReferences(e, renames));
        return a;
    }
    if (v.isObject()) {
        QJsonObject o;
        const QJsonObject in = v.toObject();
        for (auto it = in.begin(); it != in.end(); ++it)
            o.insert(it.key(), renameTaskReferences(it.value(), renames));
        return o;
    }
    return v;
}

// --- AddTaskCommand

AddTaskCommand::AddTaskCommand(PipelineModel *model, Task task, Position pos, int index, QUndoCommand *parent)
    : ModelCommand(model, parent)
    , m_task(std::move(task))
    , m_pos(pos)
    , m_index(index)
{
    setText(tr("Add task %1").arg(qs(m_task.key)));
}

void AddTaskCommand::apply()
{
    m_model->addTask(m_task, m_pos, m_index);
}

void AddTaskCommand::revert()
{
    m_model->removeTask(m_task.key);
}

// --- RemoveTasksCommand

RemoveTasksCommand::RemoveTasksCommand(PipelineModel *model, std::vector<std::string> keys, QUndoCommand *parent)
    : ModelCommand(model, parent)
    , m_keys(std::move(keys))
{
    // Each key once, in the order given.
    std::vector<std::string> unique;
    for (const auto &k : m_keys) {
        if (std::find(unique.begin(), unique.end(), k) == unique.end())
            unique.push_back(k);
    }
    m_keys = std::move(unique);
    setText(m_keys.size() == 1 ? tr("Remove task %1").arg(qs(m_keys.front()))
                               : tr("Remove %n task(s)", int(m_keys.size())));
}

void RemoveTasksCommand::apply()
{
    for (const auto &k : m_keys) {
        if (!m_model->pipeline().task(k))
            throw std::invalid_argument("no task '" + k + "'");
    }
    m_before = m_model->pipeline();
    m_removed.clear();
    m_indices.clear();
    for (const auto &k : m_keys) {
        const PipelineModel::Removed r = m_model->removeTask(k);
        m_removed.push_back(k);
        m_indices.push_back(r.index);
    }
}

void RemoveTasksCommand::revert()
{
    // Step by step through the API, so that the views update incrementally. A task without a position, a
    // duplicate key or a dependency the API refuses (a broken file loaded as it is) cannot come back that way:
    // then the pipeline as it was is set at once.
    bool stepwise = true;
    for (const auto &k : m_removed) {
        const auto n = std::count_if(m_before.tasks.begin(), m_before.tasks.end(),
                                     [&](const Task &t) { return t.key == k; });
        stepwise = stepwise && n == 1 && m_before.layout.count(k);
    }
    if (stepwise) {
        try {
            for (std::size_t i = m_removed.size(); i-- > 0;) {
                Task t = *m_before.task(m_removed[i]);
                // Its dependencies that exist again now; the rest (and their order) are restored below.
                std::erase_if(t.dependsOn,
                              [&](const std::string &dep) { return dep == t.key || !m_model->pipeline().task(dep); });
                m_model->addTask(t, m_before.layout.at(t.key), m_indices[i]);
            }
            for (const Task &t : m_before.tasks) {
                const Task *now = m_model->pipeline().task(t.key);
                if (now && now->dependsOn != t.dependsOn)
                    restoreDependsOn(*m_model, t.key, t.dependsOn);
            }
        } catch (const std::invalid_argument &) {
            stepwise = false;
        }
    }
    // The guarantee: whatever the file held, undo gives it back exactly.
    if (!stepwise || pipeline::toJson(m_model->pipeline()) != pipeline::toJson(m_before))
        m_model->setPipeline(m_before);
}

// --- MoveTasksCommand

MoveTasksCommand::MoveTasksCommand(PipelineModel *model, std::vector<TaskMove> moves, QUndoCommand *parent)
    : ModelCommand(model, parent)
    , m_moves(std::move(moves))
{
    setText(m_moves.size() == 1 ? tr("Move %1").arg(qs(m_moves.front().key))
                                : tr("Move %n task(s)", int(m_moves.size())));
}

bool MoveTasksCommand::mergeWith(const QUndoCommand *other)
{
    const auto *o = dynamic_cast<const MoveTasksCommand *>(other);
    if (!o || o->isObsolete() || o->m_moves.size() != m_moves.size())
        return false;
    std::map<std::string, Position> ends;
    for (const auto &m : o->m_moves)
        ends[m.key] = m.to;
    for (const auto &m : m_moves) {
        if (!ends.count(m.key))
            return false;
    }
    bool moved = false;
    for (auto &m : m_moves) {
        m.to = ends[m.key];
        moved = moved || !samePosition(m.from, m.to);
    }
    if (!moved)
        setObsolete(true); // back where it started: nothing to undo
    return true;
}

void MoveTasksCommand::apply()
{
    for (const auto &m : m_moves) {
        if (!m_model->pipeline().task(m.key))
            throw std::invalid_argument("no task '" + m.key + "'");
    }
    if (!m_applied) {
        m_applied = true;
        for (const auto &m : m_moves) {
            if (!m_model->pipeline().layout.count(m.key))
                m_unplaced.push_back(m.key);
        }
    }
    for (const auto &m : m_moves)
        m_model->moveTask(m.key, m.to);
}

void MoveTasksCommand::revert()
{
    if (m_unplaced.empty()) {
        for (const auto &m : m_moves)
            m_model->moveTask(m.key, m.from);
        return;
    }
    // The model's API has no "forget this position": the layout as it was is set at once.
    pipeline::Pipeline p = m_model->pipeline();
    for (const auto &m : m_moves) {
        if (std::find(m_unplaced.begin(), m_unplaced.end(), m.key) != m_unplaced.end())
            p.layout.erase(m.key);
        else
            p.layout[m.key] = m.from;
    }
    m_model->setPipeline(std::move(p));
}

// --- AddDependencyCommand, RemoveDependencyCommand

AddDependencyCommand::AddDependencyCommand(PipelineModel *model, std::string from, std::string to, QUndoCommand *parent)
    : ModelCommand(model, parent)
    , m_from(std::move(from))
    , m_to(std::move(to))
{
    setText(tr("Connect %1 → %2").arg(qs(m_from), qs(m_to)));
}

void AddDependencyCommand::apply()
{
    m_model->addDependency(m_from, m_to);
}

void AddDependencyCommand::revert()
{
    m_model->removeDependency(m_from, m_to); // it was appended: depends_on is as before
}

RemoveDependencyCommand::RemoveDependencyCommand(PipelineModel *model, std::string from, std::string to,
                                                 QUndoCommand *parent)
    : ModelCommand(model, parent)
    , m_from(std::move(from))
    , m_to(std::move(to))
{
    setText(tr("Disconnect %1 → %2").arg(qs(m_from), qs(m_to)));
}

void RemoveDependencyCommand::apply()
{
    const Task *t = m_model->pipeline().task(m_to);
    if (!t)
        throw std::invalid_argument("no task '" + m_to + "'");
    m_dependsOn = t->dependsOn;
    m_model->removeDependency(m_from, m_to);
}

void RemoveDependencyCommand::revert()
{
    restoreDependsOn(*m_model, m_to, m_dependsOn);
}

// --- UpdateTaskCommand, RenameTaskCommand, UpdateSettingsCommand

UpdateTaskCommand::UpdateTaskCommand(PipelineModel *model, std::string key, Task settings, QUndoCommand *parent)
    : ModelCommand(model, parent)
    , m_key(std::move(key))
    , m_new(std::move(settings))
{
    // The history says what changed ("Edit evaluate: table fashion → fashion-test"), from the task as it is now.
    const Task *t = model->pipeline().task(m_key);
    const QString what = t ? describeChange(*t, m_new) : QString();
    setText(what.isEmpty() ? tr("Edit %1").arg(qs(m_key)) : tr("Edit %1: %2").arg(qs(m_key), what));
}

void UpdateTaskCommand::apply()
{
    if (!m_haveOld) {
        const Task *t = m_model->pipeline().task(m_key);
        if (!t)
            throw std::invalid_argument("no task '" + m_key + "'");
        m_old = *t;
        m_haveOld = true;
    }
    m_model->updateTask(m_key, m_new);
}

void UpdateTaskCommand::revert()
{
    m_model->updateTask(m_key, m_old);
}

RenameTaskCommand::RenameTaskCommand(PipelineModel *model, std::string from, std::string to, QUndoCommand *parent)
    : ModelCommand(model, parent)
    , m_from(std::move(from))
    , m_to(std::move(to))
{
    setText(tr("Rename %1 to %2").arg(qs(m_from), qs(m_to)));
}

void RenameTaskCommand::apply()
{
    m_params.clear();
    for (const Task &t : m_model->pipeline().tasks)
        m_params.emplace(t.key, t.params);
    m_model->renameTask(m_from, m_to);
}

void RenameTaskCommand::revert()
{
    m_model->renameTask(m_to, m_from);
    // Renaming back also renames references to m_to that were there before (dangling ones): put every
    // task's params back as they were.
    for (const Task &t : std::vector<Task>(m_model->pipeline().tasks)) {
        const auto it = m_params.find(t.key);
        if (it != m_params.end() && it->second != t.params) {
            Task settings = t;
            settings.params = it->second;
            m_model->updateTask(t.key, settings);
        }
    }
}

UpdateSettingsCommand::UpdateSettingsCommand(PipelineModel *model, pipeline::Pipeline settings, QUndoCommand *parent)
    : ModelCommand(model, parent)
    , m_new(settingsOf(settings))
{
    setText(tr("Edit pipeline settings"));
}

void UpdateSettingsCommand::apply()
{
    if (!m_haveOld) {
        m_old = settingsOf(m_model->pipeline());
        m_haveOld = true;
    }
    m_model->updateSettings(m_new);
}

void UpdateSettingsCommand::revert()
{
    m_model->updateSettings(m_old);
}

// --- PasteCommand

PasteCommand::PasteCommand(PipelineModel *model, pipeline::Pipeline fragment, QPointF offset, QUndoCommand *parent)
    : ModelCommand(model, parent)
    , m_fragment(std::move(fragment))
    , m_offset(offset)
{
    setText(tr("Paste %n task(s)", int(m_fragment.tasks.size())));
}

void PasteCommand::apply()
{
    if (m_fragment.tasks.empty())
        throw std::invalid_argument("nothing to paste");
    if (m_newKeys.empty()) {
        // Keys that neither the pipeline nor an earlier task of this paste has. A copy of train_2 is train_3
        // when train exists, rather than train_2_2.
        static const QRegularExpression numbered(QStringLiteral("^(.+)_[0-9]+$"));
        std::set<std::string> taken;
        for (const Task &t : m_fragment.tasks) {
            std::string base = t.key;
            if (const auto m = numbered.match(qs(base));
                m.hasMatch() && m_model->pipeline().task(m.captured(1).toStdString()))
                base = m.captured(1).toStdString();
            std::string key = m_model->uniqueKey(base);
            for (int i = 2; taken.count(key); ++i)
                key = m_model->uniqueKey(base + "_" + std::to_string(i));
            taken.insert(key);
            m_newKeys.push_back(key);
        }
    }
    std::map<std::string, std::string> renames;
    for (std::size_t i = 0; i < m_fragment.tasks.size(); ++i)
        renames.emplace(m_fragment.tasks[i].key, m_newKeys[i]);

    std::size_t added = 0;
    try {
        for (std::size_t i = 0; i < m_fragment.tasks.size(); ++i) {
            Task t = m_fragment.tasks[i];
            const auto at = m_fragment.layout.find(t.key);
            const Position from = at == m_fragment.layout.end() ? Position{} : at->second;
            t.key = m_newKeys[i];
            t.dependsOn.clear();
            t.params = renameTaskReferences(t.params, renames).toObject();
            m_model->addTask(t, {from.x + m_offset.x(), from.y + m_offset.y()});
            ++added;
        }
        for (std::size_t i = 0; i < m_fragment.tasks.size(); ++i) {
            for (const auto &dep : m_fragment.tasks[i].dependsOn) {
                const auto r = renames.find(dep);
                // Only edges between copied tasks; one the model refuses (a cycle copied from a broken file)
                // is left out rather than failing the paste.
                if (r != renames.end() && m_model->canConnect(r->second, m_newKeys[i]).isEmpty())
                    m_model->addDependency(r->second, m_newKeys[i]);
            }
        }
    } catch (...) {
        removeAdded(added);
        throw;
    }
}

void PasteCommand::revert()
{
    removeAdded(m_newKeys.size());
}

void PasteCommand::removeAdded(std::size_t count)
{
    for (std::size_t i = count; i-- > 0;)
        m_model->removeTask(m_newKeys[i]);
}

} // namespace pw::ui::dag
