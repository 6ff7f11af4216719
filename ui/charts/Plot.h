// The one place the workbench includes QCustomPlot (Debian's libqcustomplot-dev, CMake package QCustomPlotQt6),
// and what every chart built on it shares: the look, the mouse (zoom with the wheel, pan by dragging, a double
// click fits the data again) and the export to PNG, PDF or SVG.
#pragma once

// qcustomplot.h uses the `signals` and `foreach` keywords; under QT_NO_KEYWORDS they are spelt out for it.
#if defined(QT_NO_KEYWORDS)
#define signals Q_SIGNALS
#define foreach Q_FOREACH
#include <qcustomplot.h>
#undef signals
#undef foreach
#else
#include <qcustomplot.h>
#endif

namespace pw::ui {

/** The palette's colours on the plot's axes, grid, legend and background; `plot` keeps its data. */
void stylePlot(QCustomPlot &plot);

/** Zoom (wheel) and pan (drag) on both axes; a double click rescales to the data. */
void enableZoomAndPan(QCustomPlot &plot);

/**
 * Saves the plot as `file`, the format taken from its suffix: .png, .pdf or .svg (at the plot's size). False,
 * with `error` set, for another suffix or a file that cannot be written.
 */
bool exportPlot(QCustomPlot &plot, const QString &file, QString *error = nullptr);

/** Asks for a file name (PNG, PDF or SVG) and saves the plot there; a failure is shown in a message box. */
void exportPlotInteractively(QCustomPlot &plot, const QString &suggestedName);

} // namespace pw::ui
