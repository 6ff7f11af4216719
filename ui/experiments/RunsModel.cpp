// The runs table of the Experiments page.
#include "ui/experiments/RunsModel.h"

#include "ui/PageParts.h"

#include <QBrush>
#include <QDateTime>
#include <QFont>
#include <QLocale>

#include <algorithm>
#include <cmath>
#include <optional>
#include <unordered_map>

namespace pw::ui {

QColor runStatusColor(const std::string &status)
{
    if (status == "FINISHED")
        return QColor(0x2e, 0x7d, 0x32);
    if (status == "RUNNING")
        return QColor(0x15, 0x65, 0xc0);
    if (status == "QUEUED") // waiting for a Slurm allocation
        return QColor(0xb2, 0x6a, 0x00);
    if (status == "FAILED")
        return QColor(0xc6, 0x28, 0x28);
    return QColor(0x75, 0x75, 0x75); // KILLED, or anything newer
}

namespace {

QString tagText(const RunRow &run, const char *key)
{
    const auto it = run.tags.find(key);
    return it == run.tags.end() ? QString() : QString::fromStdString(it->second);
}

} // namespace

std::string shownStatus(const RunRow &run)
{
    if (run.info.status != "RUNNING")
        return run.info.status;
    const QString state = tagText(run, "slurm_state");
    const bool waiting = state == "PENDING" || state == "REQUEUED" || state == "REQUEUE_HOLD" || state == "CONFIGURING";
    return waiting ? "QUEUED" : run.info.status;
}

std::int64_t runDurationMs(const track::RunInfo &run)
{
    const QDateTime start = parseIsoTime(run.startTime);
    if (!start.isValid())
        return -1;
    const QDateTime end = run.endTime.empty() ? QDateTime::currentDateTimeUtc() : parseIsoTime(run.endTime);
    return end.isValid() ? start.msecsTo(end) : -1;
}

QString metricText(double value)
{
    if (std::isnan(value))
        return QStringLiteral("NaN");
    if (std::isinf(value))
        return value > 0 ? QStringLiteral("inf") : QStringLiteral("-inf");
    const double a = std::abs(value);
    if (a != 0 && (a < 1e-3 || a >= 1e6))
        return QString::number(value, 'g', 4);
    return QString::number(value, 'f', a < 10 ? 4 : a < 1000 ? 2 : 0);
}

RunsModel::RunsModel(QObject *parent)
    : QAbstractTableModel(parent)
{
}

void RunsModel::setRuns(std::vector<RunRow> runs)
{
    beginResetModel();
    m_runs = std::move(runs);
    endResetModel();
}

std::vector<std::string> RunsModel::updateRuns(std::vector<RunRow> runs)
{
    std::vector<std::string> changed;
    std::unordered_map<std::string, std::size_t> incoming;
    for (std::size_t i = 0; i < runs.size(); ++i)
        incoming.emplace(runs[i].info.runId, i);
    // Gone runs, removed in contiguous blocks from the bottom up so that row numbers stay valid.
    for (int row = int(m_runs.size()) - 1; row >= 0;) {
        if (incoming.count(m_runs[std::size_t(row)].info.runId)) {
            --row;
            continue;
        }
        int first = row;
        while (first > 0 && !incoming.count(m_runs[std::size_t(first - 1)].info.runId))
            --first;
        beginRemoveRows({}, first, row);
        m_runs.erase(m_runs.begin() + first, m_runs.begin() + row + 1);
        endRemoveRows();
        row = first - 1;
    }
    std::vector<bool> present(runs.size(), false);
    for (std::size_t row = 0; row < m_runs.size(); ++row) {
        RunRow &have = m_runs[row];
        const std::size_t i = incoming.at(have.info.runId);
        present[i] = true;
        RunRow &now = runs[i];
        const track::RunInfo &a = have.info;
        const track::RunInfo &b = now.info;
        // A history that grew has more points: its size is enough to tell (values are never rewritten).
        const auto sameCurves = [](const RunRow &x, const RunRow &y) {
            return x.curves.size() == y.curves.size()
                   && std::equal(x.curves.begin(), x.curves.end(), y.curves.begin(), [](const auto &p, const auto &q) {
                          return p.first == q.first && p.second.size() == q.second.size();
                      });
        };
        const bool same =
            a.status == b.status && a.endTime == b.endTime && a.name == b.name && a.device == b.device
            && a.imagesPerSecond == b.imagesPerSecond && a.failureReason == b.failureReason && have.tags == now.tags
            && (!now.detailed || (have.params == now.params && have.metrics == now.metrics && sameCurves(have, now)));
        if (!now.detailed) {
            now.params = std::move(have.params);
            now.metrics = std::move(have.metrics);
            now.curves = std::move(have.curves);
            now.detailed = true;
        }
        const bool running = b.status == "RUNNING"; // its duration grows
        have = std::move(now);
        if (!same)
            changed.push_back(have.info.runId);
        if (!same || running)
            Q_EMIT dataChanged(index(int(row), 0), index(int(row), ColumnCount - 1));
    }
    std::vector<RunRow> added;
    for (std::size_t i = 0; i < runs.size(); ++i)
        if (!present[i])
            added.push_back(std::move(runs[i]));
    if (!added.empty()) {
        beginInsertRows({}, int(m_runs.size()), int(m_runs.size() + added.size()) - 1);
        for (RunRow &r : added) {
            changed.push_back(r.info.runId);
            m_runs.push_back(std::move(r));
        }
        endInsertRows();
    }
    return changed;
}

bool RunsModel::setTags(const std::string &runId, const std::map<std::string, std::string> &tags)
{
    for (std::size_t row = 0; row < m_runs.size(); ++row) {
        if (m_runs[row].info.runId != runId)
            continue;
        m_runs[row].tags = tags;
        Q_EMIT dataChanged(index(int(row), TagsColumn), index(int(row), TagsColumn));
        return true;
    }
    return false;
}

QString userTagsText(const RunRow &run)
{
    QStringList parts;
    for (const auto &[k, v] : run.tags)
        if (!isSystemTag(k))
            parts << (v.empty() ? QString::fromStdString(k)
                                : QStringLiteral("%1=%2").arg(QString::fromStdString(k), QString::fromStdString(v)));
    return parts.join(QStringLiteral(", "));
}

const RunRow *RunsModel::run(const std::string &runId) const
{
    for (const RunRow &r : m_runs)
        if (r.info.runId == runId)
            return &r;
    return nullptr;
}

int RunsModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : int(m_runs.size());
}

int RunsModel::columnCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

static std::optional<double> metric(const RunRow &r, const char *key)
{
    const auto it = r.metrics.find(key);
    return it == r.metrics.end() ? std::nullopt : std::optional<double>(it->second);
}

QVariant RunsModel::data(const QModelIndex &index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return {};
    const RunRow &r = m_runs[std::size_t(index.row())];
    const int column = index.column();
    switch (role) {
    case Qt::DisplayRole: return displayText(r, column);
    case SortRole: return sortValue(r, column);
    case RunIdRole: return QString::fromStdString(r.info.runId);
    case Qt::ForegroundRole:
    case Qt::FontRole:
    case Qt::TextAlignmentRole: return appearance(r, column, role);
    case Qt::ToolTipRole: return toolTip(r, column);
    }
    return {};
}

QVariant RunsModel::displayText(const RunRow &r, int column)
{
    const track::RunInfo &i = r.info;
    switch (column) {
    case RunColumn: return shortRunId(i.runId);
    case NameColumn: return QString::fromStdString(i.name);
    case ExperimentColumn: return QString::fromStdString(i.experiment);
    case StatusColumn: return QString::fromStdString(shownStatus(r));
    case StartColumn: return localTimeText(i.startTime);
    case DurationColumn: return durationText(runDurationMs(i));
    case DataColumn:
        return i.table.empty() ? QString()
                               : QStringLiteral("%1@%2").arg(QString::fromStdString(i.table)).arg(i.dataVersion);
    case DeviceColumn: { // "cuda:0 on gpu-box" for a run on a compute target
        const QString device = QString::fromStdString(i.device);
        const auto target = r.params.find("target");
        if (target == r.params.end() || target->second == "local")
            return device;
        if (device.startsWith(QString::fromStdString(target->second) + " (slurm")) // "hpc (slurm, 2×4 ranks): cpu"
            return device;
        return tr("%1 on %2").arg(device.isEmpty() ? tr("?") : device, QString::fromStdString(target->second));
    }
    case ThroughputColumn: return i.imagesPerSecond > 0 ? QLocale().toString(i.imagesPerSecond, 'f', 0) : QString();
    case ValAccuracyColumn:
    case ValLossColumn: {
        const auto v = metric(r, column == ValAccuracyColumn ? kValAccuracyKey : kValLossKey);
        return v ? metricText(*v) : QString();
    }
    case TagsColumn: {
        QString text = userTagsText(r);
        if (const auto note = r.tags.find(kNoteTag); note != r.tags.end() && !note->second.empty())
            text = text.isEmpty() ? tr("(note)") : tr("%1 (note)").arg(text);
        return text;
    }
    }
    return {};
}

QVariant RunsModel::sortValue(const RunRow &r, int column)
{
    const track::RunInfo &i = r.info;
    switch (column) {
    case StartColumn: return QString::fromStdString(i.startTime); // ISO 8601 sorts as text
    case DurationColumn: return qint64(runDurationMs(i));
    case DataColumn:
        return QStringLiteral("%1@%2")
            .arg(QString::fromStdString(i.table))
            .arg(i.dataVersion, 12, 10, QLatin1Char('0'));
    case ThroughputColumn: return i.imagesPerSecond;
    case ValAccuracyColumn:
    case ValLossColumn: {
        const auto v = metric(r, column == ValAccuracyColumn ? kValAccuracyKey : kValLossKey);
        return v && !std::isnan(*v) ? QVariant(*v) : QVariant();
    }
    default: return displayText(r, column);
    }
}

QVariant RunsModel::appearance(const RunRow &r, int column, int role)
{
    if (role == Qt::ForegroundRole && column == StatusColumn)
        return QBrush(runStatusColor(shownStatus(r)));
    if (role == Qt::FontRole && (column == StatusColumn || column == ValAccuracyColumn)) {
        QFont f;
        f.setBold(true);
        return f;
    }
    if (role == Qt::FontRole && column == RunColumn) {
        QFont f(QStringLiteral("monospace"));
        f.setStyleHint(QFont::TypeWriter);
        return f;
    }
    if (role == Qt::TextAlignmentRole
        && (column == ThroughputColumn || column == ValAccuracyColumn || column == ValLossColumn
            || column == DurationColumn))
        return int(Qt::AlignRight | Qt::AlignVCenter);
    return {};
}

QVariant RunsModel::toolTip(const RunRow &r, int column)
{
    const track::RunInfo &i = r.info;
    switch (column) {
    case RunColumn: return QString::fromStdString(i.runId);
    case StatusColumn:
        if (const QString job = tagText(r, "slurm_job_id"); !job.isEmpty() && i.status == "RUNNING") {
            QString said = tagText(r, "pipewright.status_message"); // "queued on gpu: Resources"
            if (!said.contains(tr("Slurm job %1").arg(job)))
                said += tr(" (Slurm job %1)").arg(job);
            return tr("%1\nSlurm state: %2").arg(said, tagText(r, "slurm_state"));
        }
        return i.failureReason.empty() ? QString::fromStdString(i.status)
                                       : QStringLiteral("%1: %2").arg(QString::fromStdString(i.status),
                                                                      QString::fromStdString(i.failureReason));
    case StartColumn:
    case DurationColumn:
        return tr("started %1, ended %2")
            .arg(QString::fromStdString(i.startTime),
                 i.endTime.empty() ? tr("(still running)") : QString::fromStdString(i.endTime));
    case DataColumn:
        return tr("catalog table %1 as of version %2").arg(QString::fromStdString(i.table)).arg(i.dataVersion);
    case TagsColumn:
        if (const auto note = r.tags.find(kNoteTag); note != r.tags.end() && !note->second.empty())
            return QString::fromStdString(note->second).left(500);
        return {};
    }
    return {};
}

QVariant RunsModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || section < 0 || section >= ColumnCount)
        return {};
    static const char *names[] = {QT_TR_NOOP("Run"),          QT_TR_NOOP("Name"),     QT_TR_NOOP("Experiment"),
                                  QT_TR_NOOP("Status"),       QT_TR_NOOP("Start"),    QT_TR_NOOP("Duration"),
                                  QT_TR_NOOP("Data"),         QT_TR_NOOP("Device"),   QT_TR_NOOP("Images/s"),
                                  QT_TR_NOOP("val_accuracy"), QT_TR_NOOP("val_loss"), QT_TR_NOOP("Tags")};
    if (role == Qt::DisplayRole)
        return tr(names[section]);
    if (role == Qt::ToolTipRole) {
        switch (section) {
        case DataColumn: return tr("The catalog table and version the run trained on (table@version)");
        case ThroughputColumn: return tr("Training throughput of the run, images per second");
        case ValAccuracyColumn:
        case ValLossColumn: return tr("The run's last logged value (its final epoch)");
        case TagsColumn: return tr("The run's own tags (key=value); \"(note)\" when it has a note (hover for it)");
        }
    }
    return {};
}

} // namespace pw::ui
