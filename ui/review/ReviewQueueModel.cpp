// The review queue table.
#include "ui/review/ReviewQueueModel.h"

#include "ui/review/ReviewSnapshot.h"
#include "ui/review/ThumbnailLoader.h"

#include <QBrush>
#include <QColor>
#include <QDir>
#include <QFont>
#include <QPixmap>

#include <iterator>

namespace pw::ui {

QString top5Text(const std::vector<std::pair<std::string, double>> &top5, int decimals)
{
    QStringList parts;
    for (const auto &[label, p] : top5)
        parts << QStringLiteral("%1 %2%").arg(QString::fromStdString(label)).arg(p * 100, 0, 'f', decimals);
    return parts.join(QStringLiteral(" · "));
}

QString catalogLabelText(const review::ReviewItem &item)
{
    if (item.currentLabel.empty())
        return ReviewQueueModel::tr("(none)");
    // label_source "path": the label came from the image's folder name.
    const std::string &source = item.currentLabelSource;
    const QString from = source == "path" ? ReviewQueueModel::tr("folder") : QString::fromStdString(source);
    return QStringLiteral("%1 (%2)").arg(QString::fromStdString(item.currentLabel), from);
}

QColor reviewStateColor(const std::string &state)
{
    if (state == "labeled")
        return QColor(0x2e, 0x7d, 0x32);
    if (state == "skipped")
        return QColor(0xb2, 0x6a, 0x00);
    return QColor(0x45, 0x5a, 0x64);
}

ReviewQueueModel::ReviewQueueModel(ThumbnailLoader *thumbnails, QObject *parent)
    : QAbstractTableModel(parent)
    , m_thumbnails(thumbnails)
{
    connect(m_thumbnails, &ThumbnailLoader::thumbnailReady, this, &ReviewQueueModel::thumbnailReady);
}

void ReviewQueueModel::setItems(std::vector<review::ReviewItem> items)
{
    beginResetModel();
    m_all = std::move(items);
    rebuild();
    endResetModel();
}

void ReviewQueueModel::setFilter(Filter filter)
{
    if (filter == m_filter)
        return;
    beginResetModel();
    m_filter = filter;
    rebuild();
    endResetModel();
}

void ReviewQueueModel::setModelStages(std::map<std::string, std::string> stages)
{
    if (m_hideArchived && stages != m_stages) { // which entries are left out changes
        beginResetModel();
        m_stages = std::move(stages);
        rebuild();
        endResetModel();
        return;
    }
    m_stages = std::move(stages);
    if (!m_rows.empty())
        Q_EMIT dataChanged(index(0, ModelColumn), index(rowCount() - 1, ModelColumn));
}

void ReviewQueueModel::setHideArchived(bool hide)
{
    if (hide == m_hideArchived)
        return;
    beginResetModel();
    m_hideArchived = hide;
    rebuild();
    endResetModel();
}

bool ReviewQueueModel::isArchived(const review::ReviewItem &item) const
{
    const auto stage = m_stages.find(modelKey(item.model, item.modelVersion));
    return stage != m_stages.end() && stage->second == "Archived";
}

int ReviewQueueModel::archivedCount() const
{
    int n = 0;
    for (const review::ReviewItem &i : m_all)
        n += isArchived(i);
    return n;
}

QStringList ReviewQueueModel::archivedTables() const
{
    QStringList tables;
    for (const review::ReviewItem &i : m_all)
        if (isArchived(i) && !tables.contains(QString::fromStdString(i.table)))
            tables << QString::fromStdString(i.table);
    tables.sort();
    return tables;
}

void ReviewQueueModel::rebuild()
{
    m_rows.clear();
    for (std::size_t n = 0; n < m_all.size(); ++n) {
        const review::ReviewItem &i = m_all[n];
        if ((m_filter == Filter::All || (m_filter == Filter::Labeled) == !i.currentLabel.empty())
            && !(m_hideArchived && isArchived(i)))
            m_rows.push_back(n);
    }
    m_rowsByKey.clear();
    m_rowById.clear();
    for (int row = 0; row < int(m_rows.size()); ++row) {
        const review::ReviewItem &i = m_all[m_rows[std::size_t(row)]];
        m_rowsByKey[ThumbnailLoader::keyOf(i.contentHash, i.path)].append(row);
        m_rowById.insert(i.id, row);
    }
}

void ReviewQueueModel::updateItems(const std::vector<review::ReviewItem> &items)
{
    for (const review::ReviewItem &i : items) {
        for (review::ReviewItem &have : m_all)
            if (have.id == i.id)
                have = i;
        if (const int row = rowOf(i.id); row >= 0)
            Q_EMIT dataChanged(index(row, 0), index(row, ColumnCount - 1));
    }
}

const review::ReviewItem *ReviewQueueModel::item(int row) const
{
    return row >= 0 && row < int(m_rows.size()) ? &m_all[m_rows[std::size_t(row)]] : nullptr;
}

int ReviewQueueModel::rowOf(std::int64_t id) const
{
    return m_rowById.value(id, -1);
}

void ReviewQueueModel::thumbnailReady(const QString &key)
{
    for (int row : m_rowsByKey.value(key))
        Q_EMIT dataChanged(index(row, ThumbnailColumn), index(row, ThumbnailColumn), {Qt::DecorationRole});
}

int ReviewQueueModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : int(m_rows.size());
}

int ReviewQueueModel::columnCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

QVariant ReviewQueueModel::data(const QModelIndex &index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return {};
    const review::ReviewItem &i = m_all[m_rows[std::size_t(index.row())]];
    const int column = index.column();
    switch (role) {
    case Qt::DisplayRole:
        switch (column) {
        case PathColumn: {
            const QString path = QString::fromStdString(i.path);
            const QString relative = m_root.isEmpty() ? path : QDir(m_root).relativeFilePath(path);
            return relative.startsWith(QLatin1String("..")) ? path : relative;
        }
        case PredictedColumn: return QString::fromStdString(i.predicted);
        case ConfidenceColumn: return QStringLiteral("%1%").arg(i.confidence * 100, 0, 'f', 1);
        case Top5Column: return top5Text(i.top5);
        case StateColumn: return QString::fromStdString(i.state);
        case LabelColumn: return QString::fromStdString(i.label);
        case CatalogLabelColumn: return catalogLabelText(i);
        case ModelColumn: {
            const auto stage = m_stages.find(modelKey(i.model, i.modelVersion));
            const QString v = QStringLiteral("%1 v%2").arg(QString::fromStdString(i.model)).arg(i.modelVersion);
            return stage != m_stages.end() && stage->second == "Archived" ? tr("%1 (Archived)").arg(v) : v;
        }
        }
        return {};
    case Qt::DecorationRole:
        if (column == ThumbnailColumn) {
            const QImage *image = m_thumbnails->thumbnail(ThumbnailLoader::keyOf(i.contentHash, i.path), i.contentHash,
                                                          i.path);
            if (image && !image->isNull())
                return QPixmap::fromImage(*image);
        }
        return {};
    case Qt::SizeHintRole:
        if (column == ThumbnailColumn)
            return QSize(m_thumbnails->side() + 8, m_thumbnails->side() + 4);
        return {};
    case Qt::TextAlignmentRole:
        if (column == ConfidenceColumn)
            return int(Qt::AlignRight | Qt::AlignVCenter);
        if (column == ThumbnailColumn)
            return int(Qt::AlignCenter);
        return int(Qt::AlignLeft | Qt::AlignVCenter);
    case Qt::ForegroundRole:
        if (column == StateColumn)
            return QBrush(reviewStateColor(i.state));
        return {};
    case Qt::FontRole:
        if (column == LabelColumn || (column == StateColumn && i.state != "pending")) {
            QFont f;
            f.setBold(true);
            return f;
        }
        return {};
    case Qt::ToolTipRole:
        switch (column) {
        case PathColumn: return QString::fromStdString(i.path);
        case PredictedColumn:
        case ConfidenceColumn:
        case Top5Column:
            return tr("%1 by %2:%3 (%4)")
                .arg(top5Text(i.top5, 1), QString::fromStdString(i.model))
                .arg(i.modelVersion)
                .arg(QString::fromStdString(i.reason));
        case CatalogLabelColumn:
            return i.currentLabel.empty() ? tr("No label in the catalog: %1").arg(QString::fromStdString(i.reason))
                                          : tr("%1, %2 (%3)")
                                                .arg(catalogLabelText(i), QString::fromStdString(i.reason),
                                                     QString::fromStdString(i.currentLabelSource));
        case ModelColumn: return tr("Queued by %1 version %2").arg(QString::fromStdString(i.model)).arg(i.modelVersion);
        case StateColumn:
        case LabelColumn:
            return i.labeledBy.empty()
                       ? QString()
                       : tr("by %1 at %2 (%3)")
                             .arg(QString::fromStdString(i.labeledBy), QString::fromStdString(i.labeledAt),
                                  QString::fromStdString(i.labelSource));
        }
        return {};
    case IdRole: return qint64(i.id);
    case ConfidenceRole: return i.confidence;
    case ModelKeyRole: return QString::fromStdString(modelKey(i.model, i.modelVersion));
    }
    return {};
}

QVariant ReviewQueueModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || section < 0 || section >= ColumnCount)
        return {};
    static const char *names[] = {QT_TR_NOOP("Image"),      QT_TR_NOOP("Path"),      QT_TR_NOOP("State"),
                                  QT_TR_NOOP("Your label"), QT_TR_NOOP("Predicted"), QT_TR_NOOP("Confidence"),
                                  QT_TR_NOOP("Label now"),  QT_TR_NOOP("Queued by"), QT_TR_NOOP("Top 5")};
    static_assert(std::size(names) == ColumnCount);
    if (role == Qt::DisplayRole)
        return tr(names[section]);
    return {};
}

} // namespace pw::ui
