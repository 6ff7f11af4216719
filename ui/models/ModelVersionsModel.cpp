// The versions table of the Models page.
#include "ui/models/ModelVersionsModel.h"

#include "ui/PageParts.h"
#include "ui/experiments/RunsModel.h"

#include <QFont>

namespace pw::ui {

QColor stageColor(registry::Stage stage)
{
    switch (stage) {
    case registry::Stage::Production: return QColor(0x2e, 0x7d, 0x32);
    case registry::Stage::Staging: return QColor(0xef, 0x8f, 0x00);
    case registry::Stage::Archived: return QColor(0x75, 0x75, 0x75);
    case registry::Stage::None: break;
    }
    return QColor(0xb0, 0xbe, 0xc5);
}

ModelVersionsModel::ModelVersionsModel(QObject *parent)
    : QAbstractTableModel(parent)
{
}

void ModelVersionsModel::setVersions(std::vector<registry::ModelVersion> versions,
                                     std::map<std::string, double> runValAccuracy)
{
    beginResetModel();
    m_versions = std::move(versions);
    m_valAccuracy = std::move(runValAccuracy);
    endResetModel();
}

const registry::ModelVersion *ModelVersionsModel::version(int row) const
{
    return row >= 0 && row < int(m_versions.size()) ? &m_versions[std::size_t(row)] : nullptr;
}

int ModelVersionsModel::rowOf(const std::string &model, std::int64_t version) const
{
    for (std::size_t i = 0; i < m_versions.size(); ++i)
        if (m_versions[i].name == model && m_versions[i].version == version)
            return int(i);
    return -1;
}

int ModelVersionsModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : int(m_versions.size());
}

int ModelVersionsModel::columnCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

QVariant ModelVersionsModel::data(const QModelIndex &index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return {};
    const registry::ModelVersion &v = m_versions[std::size_t(index.row())];
    const int column = index.column();
    switch (role) {
    case Qt::DisplayRole:
        switch (column) {
        case ModelColumn: return QString::fromStdString(v.name);
        case VersionColumn: return qint64(v.version);
        case StageColumn: return QString::fromLatin1(registry::stageName(v.stage));
        case AliasesColumn: {
            QStringList aliases;
            for (const std::string &a : v.aliases)
                aliases << QLatin1Char('@') + QString::fromStdString(a);
            return aliases.join(QStringLiteral(", "));
        }
        case RunColumn: return shortRunId(v.runId);
        case ValAccuracyColumn: {
            const auto it = m_valAccuracy.find(v.runId);
            return it == m_valAccuracy.end() ? QString() : metricText(it->second);
        }
        case DataColumn:
            return v.dataTable.empty()
                       ? QString()
                       : QStringLiteral("%1@%2").arg(QString::fromStdString(v.dataTable)).arg(v.dataVersion);
        case CreatedColumn: return localTimeText(v.created);
        case DescriptionColumn: return QString::fromStdString(v.description);
        }
        return {};
    case StageRole: return int(v.stage);
    case ModelRole: return QString::fromStdString(v.name);
    case VersionRole: return qint64(v.version);
    case Qt::ForegroundRole:
        if (column == RunColumn && !v.runId.empty())
            return QColor(0x1a, 0x5f, 0xb4);
        return {};
    case Qt::TextAlignmentRole:
        if (column == VersionColumn || column == ValAccuracyColumn)
            return int(Qt::AlignRight | Qt::AlignVCenter);
        if (column == StageColumn)
            return int(Qt::AlignCenter);
        return {};
    case Qt::FontRole:
        if (column == RunColumn) {
            QFont f(QStringLiteral("monospace"));
            f.setStyleHint(QFont::TypeWriter);
            f.setUnderline(!v.runId.empty()); // a link: a click shows the run on the Experiments page
            return f;
        }
        if (column == ModelColumn && v.stage == registry::Stage::Production) {
            QFont f;
            f.setBold(true);
            return f;
        }
        return {};
    case Qt::ToolTipRole:
        switch (column) {
        case RunColumn:
            return tr("Trained by run %1 (click to show it on the Experiments page)")
                .arg(QString::fromStdString(v.runId));
        case ModelColumn:
        case VersionColumn:
            return QStringLiteral("%1:%2 · %3 classes · %4×%4×%5 · %6")
                .arg(QString::fromStdString(v.name))
                .arg(v.version)
                .arg(v.classes.size())
                .arg(v.imageSize)
                .arg(v.channels)
                .arg(QString::fromStdString(v.artifact));
        case CreatedColumn: return QString::fromStdString(v.created);
        case ValAccuracyColumn: return tr("The final val_accuracy of the run the version came from");
        }
        return {};
    }
    return {};
}

QVariant ModelVersionsModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole || section < 0 || section >= ColumnCount)
        return {};
    static const char *names[] = {QT_TR_NOOP("Model"),   QT_TR_NOOP("Version"), QT_TR_NOOP("Stage"),
                                  QT_TR_NOOP("Aliases"), QT_TR_NOOP("Run"),     QT_TR_NOOP("val_accuracy"),
                                  QT_TR_NOOP("Data"),    QT_TR_NOOP("Created"), QT_TR_NOOP("Description")};
    return tr(names[section]);
}

} // namespace pw::ui
