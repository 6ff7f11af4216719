// The observable pipeline.
#include "core/pipeline/PipelineModel.h"

#include <QJsonArray>
#include <QRegularExpression>

#include <algorithm>
#include <functional>
#include <stdexcept>

namespace pw::pipeline {

namespace {

QString qs(const std::string &s)
{
    return QString::fromStdString(s);
}

// Replaces {{tasks.FROM.x}} with {{tasks.TO.x}} in every string of a JSON value.
QJsonValue renameReferences(const QJsonValue &v, const std::string &from, const std::string &to)
{
    const QRegularExpression re(QString(R"(\{\{(\s*)tasks\.%1\.)").arg(QRegularExpression::escape(qs(from))));
    const QString replacement = QString("{{\\1tasks.%1.").arg(qs(to));
    return mapJsonStrings(v, [&](const std::string &text) { return qs(text).replace(re, replacement).toStdString(); });
}

} // namespace

PipelineModel::PipelineModel(QObject *parent)
    : QObject(parent)
{
    revalidate();
}

void PipelineModel::setPipeline(Pipeline p)
{
    m_p = std::move(p);
    revalidate();
    emit reset();
    emit validated();
}

void PipelineModel::revalidate()
{
    m_errors = validate(m_p);
}

Task &PipelineModel::require(const std::string &key)
{
    Task *t = m_p.task(key);
    if (!t)
        throw std::invalid_argument("no task '" + key + "'");
    return *t;
}

Position PipelineModel::position(const std::string &key) const
{
    const auto it = m_p.layout.find(key);
    return it == m_p.layout.end() ? Position{} : it->second;
}

std::vector<ValidationError> PipelineModel::errorsOf(const std::string &key) const
{
    std::vector<ValidationError> out;
    for (const auto &e : m_errors) {
        if (e.taskKey == key)
            out.push_back(e);
    }
    return out;
}

std::string PipelineModel::uniqueKey(const std::string &base) const
{
    std::string b = base.empty() ? std::string("task") : base;
    if (!m_p.task(b))
        return b;
    for (int i = 2;; ++i) {
        const std::string k = b + "_" + std::to_string(i);
        if (!m_p.task(k))
            return k;
    }
}

QString PipelineModel::canConnect(const std::string &from, const std::string &to) const
{
    if (!m_p.task(from) || !m_p.task(to))
        return tr("no such task");
    if (from == to)
        return tr("a task cannot depend on itself");
    const Task *t = m_p.task(to);
    if (std::find(t->dependsOn.begin(), t->dependsOn.end(), from) != t->dependsOn.end())
        return tr("%1 already depends on %2").arg(qs(to), qs(from));
    // A cycle: `to` is already upstream of `from`.
    const auto up = upstreamOf(m_p, from);
    if (std::find(up.begin(), up.end(), to) != up.end())
        return tr("that would make a cycle: %1 already runs before %2").arg(qs(to), qs(from));
    return {};
}

void PipelineModel::addTask(const Task &task, Position pos, int index)
{
    if (task.key.empty())
        throw std::invalid_argument("a task needs a key");
    if (m_p.task(task.key))
        throw std::invalid_argument("a task named '" + task.key + "' exists already");
    for (const auto &d : task.dependsOn) {
        if (!m_p.task(d))
            throw std::invalid_argument("task '" + task.key + "' depends on '" + d + "', which does not exist");
    }
    const auto at = index < 0 || index > int(m_p.tasks.size()) ? m_p.tasks.end() : m_p.tasks.begin() + index;
    m_p.tasks.insert(at, task);
    m_p.layout[task.key] = pos;
    revalidate();
    emit taskAdded(qs(task.key));
    emit validated();
}

PipelineModel::Removed PipelineModel::removeTask(const std::string &key)
{
    require(key);
    Removed r;
    for (std::size_t i = 0; i < m_p.tasks.size(); ++i) {
        if (m_p.tasks[i].key == key) {
            r.task = m_p.tasks[i];
            r.index = int(i);
        }
    }
    r.pos = position(key);
    for (Task &t : m_p.tasks) {
        auto it = std::find(t.dependsOn.begin(), t.dependsOn.end(), key);
        if (it != t.dependsOn.end()) {
            t.dependsOn.erase(it);
            r.dependents.push_back(t.key);
        }
    }
    for (const auto &d : r.dependents)
        emit dependencyRemoved(qs(key), qs(d));
    m_p.tasks.erase(m_p.tasks.begin() + r.index);
    m_p.layout.erase(key);
    revalidate();
    emit taskRemoved(qs(key));
    emit validated();
    return r;
}

void PipelineModel::updateTask(const std::string &key, const Task &settings)
{
    Task &t = require(key);
    const std::vector<std::string> deps = t.dependsOn;
    t = settings;
    t.key = key; // renameTask() renames
    t.dependsOn = deps; // addDependency()/removeDependency() change edges
    revalidate();
    emit taskChanged(qs(key));
    emit validated();
}

void PipelineModel::renameTask(const std::string &from, const std::string &to)
{
    require(from);
    if (from == to)
        return;
    static const QRegularExpression keyRe(R"(\A[A-Za-z0-9_-]{1,100}\z)"); // '$' would match before a final newline
    if (!keyRe.match(qs(to)).hasMatch())
        throw std::invalid_argument("task key '" + printable(to) + "': only letters, digits, '_' and '-' (1 to 100)");
    if (m_p.task(to))
        throw std::invalid_argument("a task named '" + to + "' exists already");
    std::vector<std::string> rewritten; // other tasks whose params referred to `from`
    for (Task &t : m_p.tasks) {
        if (t.key == from)
            t.key = to;
        for (auto &d : t.dependsOn) {
            if (d == from)
                d = to;
        }
        QJsonObject params = renameReferences(t.params, from, to).toObject();
        if (params != t.params) {
            t.params = std::move(params);
            if (t.key != to)
                rewritten.push_back(t.key);
        }
    }
    if (auto it = m_p.layout.find(from); it != m_p.layout.end()) {
        m_p.layout[to] = it->second;
        m_p.layout.erase(from);
    }
    revalidate();
    emit taskRenamed(qs(from), qs(to));
    // Their params changed too: a view showing one of them must refresh.
    for (const auto &k : rewritten)
        emit taskChanged(qs(k));
    emit validated();
}

void PipelineModel::addDependency(const std::string &from, const std::string &to)
{
    const QString why = canConnect(from, to);
    if (!why.isEmpty())
        throw std::invalid_argument(why.toStdString());
    require(to).dependsOn.push_back(from);
    revalidate();
    emit dependencyAdded(qs(from), qs(to));
    emit validated();
}

void PipelineModel::removeDependency(const std::string &from, const std::string &to)
{
    Task &t = require(to);
    const auto it = std::find(t.dependsOn.begin(), t.dependsOn.end(), from);
    if (it == t.dependsOn.end())
        throw std::invalid_argument("'" + to + "' does not depend on '" + from + "'");
    t.dependsOn.erase(it);
    revalidate();
    emit dependencyRemoved(qs(from), qs(to));
    emit validated();
}

void PipelineModel::moveTask(const std::string &key, Position pos)
{
    require(key);
    m_p.layout[key] = pos;
    emit taskMoved(qs(key));
}

void PipelineModel::updateSettings(const Pipeline &s)
{
    m_p.name = s.name;
    m_p.description = s.description;
    m_p.formatVersion = s.formatVersion;
    m_p.parameters = s.parameters;
    m_p.maxConcurrentRuns = s.maxConcurrentRuns;
    m_p.maxParallelTasks = s.maxParallelTasks;
    m_p.schedule = s.schedule;
    m_p.fileArrival = s.fileArrival;
    m_p.notifications = s.notifications;
    revalidate();
    emit settingsChanged();
    emit validated();
}

} // namespace pw::pipeline
