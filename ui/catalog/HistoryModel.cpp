// The catalog history as a table.
#include "ui/catalog/HistoryModel.h"

#include <QDateTime>
#include <QJsonDocument>
#include <QJsonObject>
#include <QLocale>

namespace pw::ui {

QString summariseJson(const std::string &json, const QStringList &skip)
{
    const QJsonObject o = QJsonDocument::fromJson(QByteArray::fromStdString(json)).object();
    QStringList parts;
    for (auto it = o.begin(); it != o.end(); ++it) {
        const QJsonValue v = it.value();
        if (v.isNull() || (v.isDouble() && v.toDouble() == 0) || skip.contains(it.key()))
            continue;
        const QString value = v.isDouble() ? QLocale().toString(v.toDouble(), 'g', 12) : v.toVariant().toString();
        parts << it.key() + " " + value;
    }
    return parts.join(QStringLiteral(" · "));
}

static QString jsonField(const std::string &json, const char *key)
{
    return QJsonDocument::fromJson(QByteArray::fromStdString(json)).object().value(QLatin1String(key)).toString();
}

HistoryModel::HistoryModel(QObject *parent)
    : QAbstractTableModel(parent)
{
}

void HistoryModel::setHistory(std::vector<catalog::VersionInfo> history)
{
    beginResetModel();
    m_rows = std::move(history);
    endResetModel();
}

int HistoryModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : int(m_rows.size());
}

int HistoryModel::columnCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

QVariant HistoryModel::data(const QModelIndex &index, int role) const
{
    if (!index.isValid())
        return {};
    const catalog::VersionInfo &v = m_rows[std::size_t(index.row())];
    if (role == Qt::DisplayRole) {
        switch (index.column()) {
        case VersionColumn: return qint64(v.version);
        case TimeColumn: {
            const QDateTime t = QDateTime::fromString(QString::fromStdString(v.timestamp), Qt::ISODateWithMs);
            return t.isValid() ? QLocale().toString(t.toLocalTime(), QLocale::ShortFormat)
                               : QString::fromStdString(v.timestamp);
        }
        case OperationColumn: return QString::fromStdString(v.operation);
        case TableColumn: return jsonField(v.parameters, "table");
        case MetricsColumn: return summariseJson(v.metrics);
        case ParametersColumn: return summariseJson(v.parameters, {QStringLiteral("table")});
        }
    }
    if (role == Qt::ToolTipRole && index.column() == TimeColumn)
        return QString::fromStdString(v.timestamp);
    if (role == Qt::ToolTipRole && index.column() >= MetricsColumn)
        return QString::fromStdString(index.column() == MetricsColumn ? v.metrics : v.parameters);
    return {};
}

QVariant HistoryModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return {};
    static const char *names[] = {QT_TR_NOOP("Version"), QT_TR_NOOP("Time"),    QT_TR_NOOP("Operation"),
                                  QT_TR_NOOP("Table"),   QT_TR_NOOP("Metrics"), QT_TR_NOOP("Parameters")};
    return section >= 0 && section < ColumnCount ? tr(names[section]) : QVariant();
}

} // namespace pw::ui
