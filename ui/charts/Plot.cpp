// Shared QCustomPlot set-up: palette, mouse, export.
#include "ui/charts/Plot.h"

#include <QFileDialog>
#include <QFileInfo>
#include <QMessageBox>
#include <QSvgGenerator>

namespace pw::ui {

void stylePlot(QCustomPlot &plot)
{
    const QPalette pal = plot.palette();
    plot.setBackground(pal.brush(QPalette::Base));
    const QColor text = pal.color(QPalette::Text);
    QColor grid = pal.color(QPalette::Mid);
    grid.setAlpha(90);
    for (QCPAxis *axis : plot.axisRect()->axes()) {
        axis->setBasePen(QPen(text, 1));
        axis->setTickPen(QPen(text, 1));
        axis->setSubTickPen(QPen(text, 1));
        axis->setTickLabelColor(text);
        axis->setLabelColor(text);
        axis->grid()->setPen(QPen(grid, 1, Qt::DotLine));
        axis->setTickLabelFont(plot.font());
        axis->setLabelFont(plot.font());
    }
    plot.legend->setFont(plot.font());
    plot.legend->setTextColor(text);
    plot.legend->setBrush(pal.brush(QPalette::Base));
    plot.legend->setBorderPen(Qt::NoPen);
}

void enableZoomAndPan(QCustomPlot &plot)
{
    plot.setInteractions(QCP::iRangeDrag | QCP::iRangeZoom);
    plot.axisRect()->setRangeDrag(Qt::Horizontal | Qt::Vertical);
    plot.axisRect()->setRangeZoom(Qt::Horizontal | Qt::Vertical);
    // Drawing without antialiasing while the mouse drags keeps a 200,000-point plot responsive.
    plot.setNoAntialiasingOnDrag(true);
}

bool exportPlot(QCustomPlot &plot, const QString &file, QString *error)
{
    const QString suffix = QFileInfo(file).suffix().toLower();
    bool ok = false;
    if (suffix == "png") {
        ok = plot.savePng(file, plot.width(), plot.height());
    } else if (suffix == "pdf") {
        ok = plot.savePdf(file, plot.width(), plot.height());
    } else if (suffix == "svg") {
        QSvgGenerator svg;
        svg.setFileName(file);
        svg.setSize(plot.size());
        svg.setViewBox(QRect(QPoint(0, 0), plot.size()));
        svg.setTitle(plot.windowTitle());
        QCPPainter painter;
        ok = painter.begin(&svg);
        if (ok) {
            plot.toPainter(&painter, plot.width(), plot.height());
            ok = painter.end();
        }
    } else {
        if (error)
            *error = QObject::tr("%1: choose a .png, .pdf or .svg file").arg(file);
        return false;
    }
    if (!ok && error)
        *error = QObject::tr("Cannot write %1").arg(file);
    return ok;
}

void exportPlotInteractively(QCustomPlot &plot, const QString &suggestedName)
{
    const QString file = QFileDialog::getSaveFileName(&plot, QObject::tr("Export chart"), suggestedName,
                                                      QObject::tr("PNG image (*.png);;PDF (*.pdf);;SVG (*.svg)"));
    if (file.isEmpty())
        return;
    QString error;
    if (!exportPlot(plot, file, &error))
        QMessageBox::warning(&plot, QObject::tr("Export chart"), error);
}

} // namespace pw::ui
