// Params and final metrics of the selected runs.
#include "ui/experiments/RunComparisonModel.h"

#include "ui/PageParts.h"
#include "ui/experiments/MetricChart.h"
#include "ui/experiments/RunsModel.h"

#include <QBrush>
#include <QFont>
#include <QPalette>
#include <QPixmap>

#include <algorithm>
#include <cmath>
#include <set>

namespace pw::ui {

int metricDirection(const std::string &key)
{
    auto has = [&](const char *s) { return key.find(s) != std::string::npos; };
    if (has("loss") || has("error") || has("_mae") || has("_mse"))
        return -1;
    if (has("accuracy") || has("acc") || has("f1") || has("precision") || has("recall") || has("auc")
        || has("images_per_second"))
        return +1;
    return 0;
}

RunComparisonModel::RunComparisonModel(QObject *parent)
    : QAbstractTableModel(parent)
{
}

void RunComparisonModel::setRuns(std::vector<RunRow> runs)
{
    beginResetModel();
    m_runs = std::move(runs);
    rebuild();
    endResetModel();
}

void RunComparisonModel::setDifferencesOnly(bool on)
{
    if (on == m_differencesOnly)
        return;
    beginResetModel();
    m_differencesOnly = on;
    rebuild();
    endResetModel();
}

void RunComparisonModel::rebuild()
{
    m_rows.clear();
    m_equalParams = 0;
    if (!m_runs.empty()) {
        std::set<std::string> paramKeys, metricKeys;
        for (const RunRow &r : m_runs) {
            for (const auto &[k, v] : r.params)
                paramKeys.insert(k);
            for (const auto &[k, v] : r.metrics)
                metricKeys.insert(k);
        }
        std::vector<Row> params;
        for (const std::string &k : paramKeys) {
            bool differs = false;
            const auto first = m_runs.front().params.find(k);
            for (const RunRow &r : m_runs) {
                const auto it = r.params.find(k);
                const bool same = (it == r.params.end()) == (first == m_runs.front().params.end())
                                  && (it == r.params.end() || it->second == first->second);
                differs = differs || !same;
            }
            if (m_runs.size() == 1 || differs || !m_differencesOnly)
                params.push_back({ParamRow, k});
            else
                ++m_equalParams;
        }
        // Final metrics first: what the runs achieved, then what they did differently.
        m_rows.push_back({SectionRow, "metrics"});
        for (const std::string &k : metricKeys) {
            if (m_differencesOnly && m_runs.size() > 1) {
                const auto first = m_runs.front().metrics.find(k);
                const bool same = std::all_of(m_runs.begin(), m_runs.end(), [&](const RunRow &r) {
                    const auto it = r.metrics.find(k);
                    return first != m_runs.front().metrics.end() && it != r.metrics.end()
                           && it->second == first->second;
                });
                if (same)
                    continue;
            }
            Row row{MetricRow, k};
            const int direction = metricDirection(k);
            if (m_runs.size() > 1 && direction != 0) {
                double bestValue = 0;
                int bestCount = 0;
                for (std::size_t i = 0; i < m_runs.size(); ++i) {
                    const auto it = m_runs[i].metrics.find(k);
                    if (it == m_runs[i].metrics.end() || !std::isfinite(it->second))
                        continue;
                    if (row.best < 0 || direction * (it->second - bestValue) > 0) {
                        row.best = int(i);
                        bestValue = it->second;
                        bestCount = 1;
                    } else if (it->second == bestValue) {
                        ++bestCount;
                    }
                }
                if (bestCount != 1)
                    row.best = -1; // a tie, or a single value: nothing stands out
            }
            m_rows.push_back(row);
        }
        m_rows.push_back({SectionRow, "params"});
        m_rows.insert(m_rows.end(), params.begin(), params.end());
    }
}

QStringList RunComparisonModel::paramKeys() const
{
    QStringList keys;
    for (const Row &r : m_rows)
        if (r.kind == ParamRow)
            keys << QString::fromStdString(r.key);
    return keys;
}

int RunComparisonModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : int(m_rows.size());
}

int RunComparisonModel::columnCount(const QModelIndex &parent) const
{
    return parent.isValid() || m_runs.empty() ? 0 : 1 + int(m_runs.size());
}

QString RunComparisonModel::value(const Row &row, const RunRow &run) const
{
    if (row.kind == ParamRow) {
        const auto it = run.params.find(row.key);
        return it == run.params.end() ? QStringLiteral("—") : QString::fromStdString(it->second);
    }
    if (row.kind == MetricRow) {
        const auto it = run.metrics.find(row.key);
        return it == run.metrics.end() ? QStringLiteral("—") : metricText(it->second);
    }
    return {};
}

QVariant RunComparisonModel::data(const QModelIndex &index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return {};
    const Row &row = m_rows[std::size_t(index.row())];
    const int column = index.column();
    switch (role) {
    case Qt::DisplayRole:
        if (row.kind == SectionRow) {
            if (column != 0)
                return QString();
            if (row.key == "metrics")
                return tr("Final metrics");
            if (m_runs.size() == 1)
                return tr("Parameters");
            return m_equalParams ? tr("Parameters that differ (%1 equal)").arg(m_equalParams)
                                 : tr("Parameters that differ");
        }
        if (column == 0)
            return QString::fromStdString(row.key);
        return value(row, m_runs[std::size_t(column - 1)]);
    case KeyRole: return row.kind == SectionRow ? QString() : QString::fromStdString(row.key);
    case RowKindRole: return int(row.kind);
    case Qt::FontRole:
        if (row.kind == SectionRow || (row.best >= 0 && column == row.best + 1)) {
            QFont f;
            f.setBold(true);
            return f;
        }
        return {};
    case Qt::BackgroundRole:
        if (row.kind == SectionRow)
            return QPalette().brush(QPalette::Midlight);
        return {};
    case Qt::TextAlignmentRole:
        if (row.kind == MetricRow && column > 0)
            return int(Qt::AlignRight | Qt::AlignVCenter);
        return {};
    case Qt::ToolTipRole:
        if (column > 0 && row.kind != SectionRow)
            return QStringLiteral("%1 · %2").arg(shortRunId(m_runs[std::size_t(column - 1)].info.runId),
                                                 QString::fromStdString(row.key));
        return {};
    }
    return {};
}

QVariant RunComparisonModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || section < 0 || section >= columnCount())
        return {};
    if (section == 0)
        return role == Qt::DisplayRole ? QVariant(m_runs.size() == 1 ? tr("Key") : tr("Key / run")) : QVariant();
    const track::RunInfo &run = m_runs[std::size_t(section - 1)].info;
    if (role == Qt::DisplayRole)
        return run.name.empty() ? shortRunId(run.runId)
                                : QStringLiteral("%1 %2").arg(shortRunId(run.runId), QString::fromStdString(run.name));
    if (role == Qt::ToolTipRole)
        return QString::fromStdString(run.runId);
    if (role == Qt::DecorationRole && m_runs.size() > 1) {
        // The run's colour in the comparison chart.
        QPixmap swatch(10, 10);
        swatch.fill(seriesColor(section - 1));
        return swatch;
    }
    return {};
}

} // namespace pw::ui
