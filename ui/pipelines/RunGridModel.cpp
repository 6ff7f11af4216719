// The runs grid.
#include "ui/pipelines/RunGridModel.h"

#include <QBrush>
#include <QDateTime>

#include <algorithm>

namespace pw::ui {

QColor stateColor(const QString &lifeCycle, const QString &result)
{
    if (result == "SUCCESS")
        return QColor(0x3c, 0xa5, 0x5c);
    if (result == "FAILED" || result == "MAXIMUM_CONCURRENT_RUNS_REACHED")
        return QColor(0xd6, 0x45, 0x45);
    if (result == "TIMEDOUT")
        return QColor(0xe0, 0x7b, 0x39);
    if (result == "UPSTREAM_FAILED")
        return QColor(0xe8, 0xa8, 0x6c);
    if (result == "CANCELED" || result == "UPSTREAM_CANCELED")
        return QColor(0x8c, 0x8c, 0x8c);
    if (result == "EXCLUDED")
        return QColor(0xc8, 0xc8, 0xd2);
    if (lifeCycle == "RUNNING" || lifeCycle == "TERMINATING")
        return QColor(0x3d, 0x85, 0xd8);
    if (lifeCycle == "PENDING")
        return QColor(0xb5, 0xc7, 0xe0);
    return QColor(0xe4, 0xe4, 0xe4);
}

QString stateText(const QString &lifeCycle, const QString &result)
{
    if (!result.isEmpty()) {
        QString r = result.toLower();
        r.replace('_', ' ');
        if (result == "TIMEDOUT")
            return QObject::tr("timed out");
        if (result == "EXCLUDED")
            return QObject::tr("skipped");
        return r;
    }
    if (lifeCycle.isEmpty())
        return {};
    return lifeCycle.toLower();
}

QColor selectionColor()
{
    return QColor(0x6a, 0x1b, 0x9a); // deep purple: no state is purple
}

std::vector<std::pair<QString, QString>> legendStates()
{
    return {{"TERMINATED", "SUCCESS"},
            {"TERMINATED", "FAILED"},
            {"RUNNING", ""},
            {"PENDING", ""},
            {"TERMINATED", "TIMEDOUT"},
            {"SKIPPED", "UPSTREAM_FAILED"},
            {"TERMINATED", "CANCELED"},
            {"SKIPPED", "EXCLUDED"}};
}

namespace {

std::string nowText()
{
    return QDateTime::currentDateTimeUtc().toString(Qt::ISODateWithMs).toStdString();
}

} // namespace

RunGridModel::RunGridModel(QObject *parent)
    : QAbstractTableModel(parent)
{
}

void RunGridModel::setRuns(const std::vector<std::string> &taskKeys, std::vector<pipeline::RunInfo> runs)
{
    beginResetModel();
    m_tasks = taskKeys;
    m_runs = std::move(runs);
    std::sort(m_runs.begin(), m_runs.end(), [](const auto &a, const auto &b) { return a.runId < b.runId; });
    endResetModel();
}

void RunGridModel::applyEvent(const pipeline::Event &e)
{
    auto it = std::find_if(m_runs.begin(), m_runs.end(), [&](const auto &r) { return r.runId == e.runId; });
    if (it == m_runs.end()) {
        const int column = int(m_runs.size());
        beginInsertColumns({}, column, column);
        pipeline::RunInfo r;
        r.runId = e.runId;
        r.lifeCycle = e.lifeCycle.empty() ? "PENDING" : e.lifeCycle;
        r.start = nowText();
        for (const auto &k : m_tasks) {
            pipeline::TaskRunInfo t;
            t.key = k;
            t.lifeCycle = "PENDING";
            r.tasks.push_back(t);
        }
        m_runs.push_back(r);
        endInsertColumns();
        it = m_runs.end() - 1;
    }
    const int column = int(it - m_runs.begin());
    if (e.taskKey.empty()) {
        it->lifeCycle = e.lifeCycle;
        it->result = e.result;
        it->message = e.message;
        emit headerDataChanged(Qt::Horizontal, column, column);
        return;
    }
    for (std::size_t row = 0; row < it->tasks.size(); ++row) {
        auto &t = it->tasks[row];
        if (t.key != e.taskKey)
            continue;
        t.lifeCycle = e.lifeCycle;
        t.result = e.result;
        t.message = e.message;
        t.attempts = std::max(t.attempts, e.attempt);
        if (!e.logPath.empty()) {
            // The timeline's bar: an attempt starts when it is first seen and ends with its result.
            if (t.attemptList.empty() || t.attemptList.back().attempt != e.attempt) {
                pipeline::AttemptInfo a;
                a.attempt = e.attempt;
                a.start = nowText();
                t.attemptList.push_back(a);
            }
            pipeline::AttemptInfo &a = t.attemptList.back();
            a.logPath = e.logPath;
            a.lifeCycle = e.lifeCycle;
            a.result = e.result;
            if (!e.result.empty() && a.end.empty())
                a.end = nowText();
        }
        const QModelIndex i = index(int(row), column);
        emit dataChanged(i, i);
    }
}

void RunGridModel::setTasks(const std::vector<std::string> &taskKeys)
{
    if (taskKeys == m_tasks)
        return;
    beginResetModel();
    m_tasks = taskKeys;
    endResetModel();
}

int RunGridModel::columnOf(std::int64_t runId) const
{
    for (std::size_t c = 0; c < m_runs.size(); ++c)
        if (m_runs[c].runId == runId)
            return int(c);
    return -1;
}

int RunGridModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : int(m_tasks.size());
}

int RunGridModel::columnCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : int(m_runs.size());
}

const pipeline::TaskRunInfo *RunGridModel::cell(int row, int column) const
{
    if (row < 0 || column < 0 || row >= int(m_tasks.size()) || column >= int(m_runs.size()))
        return nullptr;
    for (const auto &t : m_runs[std::size_t(column)].tasks) {
        if (t.key == m_tasks[std::size_t(row)])
            return &t;
    }
    return nullptr;
}

QVariant RunGridModel::data(const QModelIndex &index, int role) const
{
    const pipeline::TaskRunInfo *t = cell(index.row(), index.column());
    if (!t)
        return {};
    const QString life = QString::fromStdString(t->lifeCycle), result = QString::fromStdString(t->result);
    switch (role) {
    case Qt::BackgroundRole: return QBrush(stateColor(life, result));
    case Qt::ToolTipRole:
        return tr("%1, run %2: %3%4%5")
            .arg(QString::fromStdString(t->key))
            .arg(runId(index.column()))
            .arg(stateText(life, result))
            .arg(t->attempts > 1 ? tr(" after %1 attempts").arg(t->attempts) : QString())
            .arg(t->message.empty() ? QString() : "\n" + QString::fromStdString(t->message));
    case Qt::DisplayRole: return t->attempts > 1 ? QString::number(t->attempts) : QString();
    case Qt::TextAlignmentRole: return int(Qt::AlignCenter);
    case LogPathRole: return t->attemptList.empty() ? QString() : QString::fromStdString(t->attemptList.back().logPath);
    case AttemptRole: return t->attempts;
    case ResultRole: return result;
    default: return {};
    }
}

QVariant RunGridModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation == Qt::Vertical) {
        if (role == Qt::DisplayRole && section >= 0 && section < int(m_tasks.size()))
            return QString::fromStdString(m_tasks[std::size_t(section)]);
        return {};
    }
    if (section < 0 || section >= int(m_runs.size()))
        return {};
    const auto &r = m_runs[std::size_t(section)];
    if (role == Qt::DisplayRole)
        return QString::number(r.runId);
    if (role == Qt::ToolTipRole)
        return tr("run %1 (%2): %3 %4\nstarted %5")
            .arg(r.runId)
            .arg(QString::fromStdString(r.trigger), QString::fromStdString(r.lifeCycle),
                 QString::fromStdString(r.result), QString::fromStdString(r.start));
    if (role == Qt::ForegroundRole)
        return QBrush(stateColor(QString::fromStdString(r.lifeCycle), QString::fromStdString(r.result)).darker(130));
    return {};
}

std::int64_t RunGridModel::runId(int column) const
{
    return column >= 0 && column < int(m_runs.size()) ? m_runs[std::size_t(column)].runId : 0;
}

QString RunGridModel::taskKey(int row) const
{
    return row >= 0 && row < int(m_tasks.size()) ? QString::fromStdString(m_tasks[std::size_t(row)]) : QString();
}

} // namespace pw::ui
