// The rows of the model Preview: one per file dropped or picked, its image, and its top 5 (or why it has none), filled
// in when the batch it came in is predicted.
#pragma once

#include "core/score/Preview.h"

#include <QAbstractTableModel>
#include <QImage>

#include <vector>

namespace pw::ui {

class PreviewModel : public QAbstractTableModel
{
    Q_OBJECT
public:
    enum Column
    {
        ImageColumn, // the file's image (DecorationRole)
        FileColumn,
        PredictionColumn, // the most probable class and its probability, or why there is none
        Top5Column,
        ColumnCount
    };

    /** One row of the Preview. */
    struct Row
    {
        QString path;
        bool done = false;
        QImage image;
        score::PreviewResult result;
    };

    explicit PreviewModel(QObject *parent = nullptr);

    /** Appends a row per file, waiting for its prediction; returns the first new row. */
    int addFiles(const QStringList &files);
    /** Fills in rows `first`… with `results` (one per row) and their images (null: none). */
    void setResults(int first, const std::vector<score::PreviewResult> &results, const std::vector<QImage> &images);
    /** Marks rows `first`… (`count` of them) as failed with `error` (the batch could not be predicted). */
    void setFailed(int first, int count, const QString &error);
    const Row &row(int r) const { return m_rows[std::size_t(r)]; }

    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

private:
    std::vector<Row> m_rows;
};

/** "coat 81.2%" of a class probability. */
QString classProbabilityText(const score::ClassProbability &p);

} // namespace pw::ui
