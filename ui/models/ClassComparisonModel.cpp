// The per-class table of the promotion dialog.
#include "ui/models/ClassComparisonModel.h"

#include <QColor>

#include <algorithm>
#include <cmath>

namespace pw::ui {

namespace {
QString percent(std::optional<double> v)
{
    return v ? QStringLiteral("%1%").arg(*v * 100, 0, 'f', 1) : QStringLiteral("—");
}
} // namespace

ClassComparisonModel::ClassComparisonModel(QObject *parent)
    : QAbstractTableModel(parent)
{
}

void ClassComparisonModel::setComparison(const compute::EvaluationResult &candidate,
                                         const compute::EvaluationResult &production)
{
    beginResetModel();
    m_rows.clear();
    auto find = [](const std::map<std::string, double> &m, const std::string &k) -> std::optional<double> {
        const auto it = m.find(k);
        return it == m.end() ? std::nullopt : std::optional<double>(it->second);
    };
    for (const std::string &c : candidate.classes)
        m_rows.push_back({QString::fromStdString(c), find(candidate.perClass, c), find(production.perClass, c)});
    for (const std::string &c : production.classes)
        if (std::find(candidate.classes.begin(), candidate.classes.end(), c) == candidate.classes.end())
            m_rows.push_back({QString::fromStdString(c), std::nullopt, find(production.perClass, c)});
    endResetModel();
}

void ClassComparisonModel::clear()
{
    beginResetModel();
    m_rows.clear();
    endResetModel();
}

int ClassComparisonModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : int(m_rows.size());
}

int ClassComparisonModel::columnCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

QVariant ClassComparisonModel::data(const QModelIndex &index, int role) const
{
    if (!index.isValid() || index.row() >= int(m_rows.size()))
        return {};
    const Row &r = m_rows[std::size_t(index.row())];
    const bool both = r.candidate && r.production;
    const double diff = both ? *r.candidate - *r.production : 0;
    switch (role) {
    case Qt::DisplayRole:
        switch (index.column()) {
        case ClassColumn: return r.name;
        case CandidateColumn: return percent(r.candidate);
        case ProductionColumn: return percent(r.production);
        case DifferenceColumn:
            return both ? QStringLiteral("%1%2 pt")
                              .arg(diff > 0 ? QStringLiteral("+") : QString())
                              .arg(diff * 100, 0, 'f', 1)
                        : QStringLiteral("—");
        default: return {};
        }
    case Qt::TextAlignmentRole:
        return index.column() == ClassColumn ? QVariant() : QVariant(Qt::AlignRight | Qt::AlignVCenter);
    case Qt::ForegroundRole:
        // Half a point either way is noise on small tables: leave it uncoloured.
        if (index.column() == DifferenceColumn && both && std::abs(diff) >= 0.005)
            return diff > 0 ? QColor(0x1b, 0x7f, 0x3a) : QColor(0xc0, 0x1c, 0x28);
        return {};
    case DifferenceRole: return both ? QVariant(diff) : QVariant();
    default: return {};
    }
}

QVariant ClassComparisonModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return QAbstractTableModel::headerData(section, orientation, role);
    switch (section) {
    case ClassColumn: return tr("Class");
    case CandidateColumn: return tr("Candidate");
    case ProductionColumn: return tr("Production");
    case DifferenceColumn: return tr("Difference");
    default: return {};
    }
}

} // namespace pw::ui
