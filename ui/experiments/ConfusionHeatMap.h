// A confusion matrix drawn as a heat map with QPainter: rows the true class, columns the predicted one, each
// cell shaded by its share of the row, with the count in it; the per-class accuracy (recall) on the right.
#pragma once

#include "core/compute/Training.h"

#include <QWidget>

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

    QSize sizeHint() const override { return {420, 320}; }
    QSize minimumSizeHint() const override { return {200, 160}; }

protected:
    void paintEvent(QPaintEvent *event) override;

private:
    compute::EvaluationResult m_eval;
    QString m_message;
};

/** Reads an evaluation JSON (evaluationJson's keys: classes, confusion, per_class, accuracy, table, …). */
compute::EvaluationResult evaluationFromJson(const QJsonObject &json);

} // namespace pw::ui
