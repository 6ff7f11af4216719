// The rows of the model Preview (see PreviewModel.h).
#include "ui/models/PreviewModel.h"

#include <QBrush>
#include <QFileInfo>
#include <QPalette>
#include <QPixmap>

namespace pw::ui {

QString classProbabilityText(const score::ClassProbability &p)
{
    return QStringLiteral("%1 %2%").arg(QString::fromStdString(p.label)).arg(p.probability * 100, 0, 'f', 1);
}

PreviewModel::PreviewModel(QObject *parent)
    : QAbstractTableModel(parent)
{
}

int PreviewModel::addFiles(const QStringList &files)
{
    const int first = int(m_rows.size());
    if (files.isEmpty())
        return first;
    beginInsertRows({}, first, first + int(files.size()) - 1);
    for (const QString &f : files)
        m_rows.push_back({f, false, {}, {}});
    endInsertRows();
    return first;
}

void PreviewModel::setResults(int first, const std::vector<score::PreviewResult> &results,
                              const std::vector<QImage> &images)
{
    for (std::size_t i = 0; i < results.size(); ++i) {
        Row &r = m_rows.at(std::size_t(first) + i);
        r.done = true;
        r.result = results[i];
        r.image = i < images.size() ? images[i] : QImage();
    }
    if (!results.empty())
        Q_EMIT dataChanged(index(first, 0), index(first + int(results.size()) - 1, ColumnCount - 1));
}

void PreviewModel::setFailed(int first, int count, const QString &error)
{
    for (int i = 0; i < count; ++i) {
        Row &r = m_rows.at(std::size_t(first + i));
        r.done = true;
        r.result.path = r.path.toStdString();
        r.result.error = error.toStdString();
        r.result.top.clear();
    }
    if (count > 0)
        Q_EMIT dataChanged(index(first, 0), index(first + count - 1, ColumnCount - 1));
}

int PreviewModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : int(m_rows.size());
}

int PreviewModel::columnCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

QVariant PreviewModel::data(const QModelIndex &index, int role) const
{
    if (!index.isValid() || index.row() >= rowCount())
        return {};
    const Row &r = m_rows[std::size_t(index.row())];
    const bool failed = r.done && !r.result.error.empty();
    if (role == Qt::DisplayRole) {
        switch (index.column()) {
        case FileColumn: return QFileInfo(r.path).fileName();
        case PredictionColumn:
            if (!r.done)
                return tr("predicting…");
            if (failed)
                return QString::fromStdString(r.result.error);
            return r.result.top.empty() ? QString() : classProbabilityText(r.result.top.front());
        case Top5Column: {
            QStringList parts;
            for (const auto &p : r.result.top)
                parts << classProbabilityText(p);
            return parts.join(QStringLiteral(" · "));
        }
        default: return {};
        }
    }
    if (role == Qt::DecorationRole && index.column() == ImageColumn && !r.image.isNull())
        return QPixmap::fromImage(r.image);
    if (role == Qt::ToolTipRole)
        return failed ? tr("%1: %2").arg(r.path, QString::fromStdString(r.result.error)) : r.path;
    if (role == Qt::ForegroundRole && failed && index.column() == PredictionColumn)
        return QBrush(Qt::red);
    return {};
}

QVariant PreviewModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return {};
    switch (section) {
    case ImageColumn: return tr("Image");
    case FileColumn: return tr("File");
    case PredictionColumn: return tr("Prediction");
    case Top5Column: return tr("Top 5");
    default: return {};
    }
}

} // namespace pw::ui
