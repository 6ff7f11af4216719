// A confusion matrix drawn as a heat map: rows the true class, columns the predicted one, each cell shaded by its
// share of the row, with its count (or its share of the row, with "Normalise by row") in it; the per-class
// accuracy (recall) and the colour scale on the right. Readable at any size: the class names stand upright over
// the columns and whole beside the rows, the counts take the largest font that fits a cell (none below 6 pt: then
// the cells' tooltips say them), and a name with no room is elided with the full name in a tooltip.
#pragma once

#include "core/compute/Training.h"

#include <QFont>
#include <QWidget>

class QCheckBox;

namespace pw::ui {

class ConfusionHeatMap : public QWidget
{
    Q_OBJECT
public:
    explicit ConfusionHeatMap(QWidget *parent = nullptr);

    /** Shows the matrix of an evaluation (its classes, confusion and per-class accuracy). */
    void setEvaluation(const compute::EvaluationResult &evaluation);
    /** Shows no matrix but this text. */
    void setMessage(const QString &text);

    const compute::EvaluationResult &evaluation() const { return m_eval; }
    bool hasMatrix() const { return !m_eval.classes.empty(); }
    /** The share of row `trueClass` predicted as `predicted`, what the cell's shade shows; 0 for an empty row. */
    double cellShare(int trueClass, int predicted) const;

    /** Cells show their share of the row ("12.5%") instead of their count. */
    void setNormalized(bool on);
    bool normalized() const;
    QCheckBox *normalizeBox() const { return m_normalize; }

    /** Where the current size puts things: a cell, a row's name, a column's name (upright, so tall, not wide). */
    QRect cellRect(int trueClass, int predicted) const;
    QRect rowLabelRect(int i) const;
    QRect columnLabelRect(int i) const;
    /** The text a cell shows ("1616", "12.5%"); empty when the counts have no room (the tooltip has them). */
    QString cellText(int trueClass, int predicted) const;
    /** The font of the cells' text at the current size. */
    QFont cellFont() const;
    /** Whether a class name had to be shortened at this size (rows or columns). */
    bool namesElided() const;
    /** The tooltip of the cell (or name) at `pos`. */
    QString toolTipAt(const QPoint &pos) const;

    QSize sizeHint() const override { return {460, 360}; }
    QSize minimumSizeHint() const override { return {160, 120}; }

protected:
    void paintEvent(QPaintEvent *event) override;
    void resizeEvent(QResizeEvent *event) override;
    bool event(QEvent *event) override;

private:
    struct Layout
    {
        QRect grid; // the n x n cells
        int cell = 0; // a cell's height
        int cellWidth = 0;
        QRect rowLabels; // left of the grid
        QRect columnLabels; // above the grid
        bool elided = false;
        QFont cellFont;
        bool showText = false;
        int scaleLeft = 0; // the colour scale's bar, right of the recall column
    };
    void relayout();
    void paintLabels(QPainter &p);
    void paintCells(QPainter &p);
    void paintScale(QPainter &p);
    QString shareText(double share) const;
    std::int64_t count(int r, int c) const;

    compute::EvaluationResult m_eval;
    QString m_message;
    QCheckBox *m_normalize;
    Layout m_layout;
};

/** Reads an evaluation JSON (evaluationJson's keys: classes, confusion, per_class, accuracy, table, …). */
compute::EvaluationResult evaluationFromJson(const QJsonObject &json);

/** The heat map's colour of a cell: white to blue on the diagonal, white to red off it, by `share` in [0, 1]. */
QColor confusionColor(bool diagonal, double share);

} // namespace pw::ui
