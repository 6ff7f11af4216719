// The workbench's charts on QCustomPlot, driven with real mouse events (offscreen): the metric chart's legend
// toggles a curve, hovering names the point, the wheel zooms, a drag pans, a double click fits again, and it
// exports PNG, PDF and SVG; the confusion matrix stays readable (names whole, counts that fit their cells, a
// normalise-by-row toggle); the label chart keeps its class names whole; the histogram names a bar on hover.
#include "core/compute/Training.h"
#include "ui/experiments/ConfusionHeatMap.h"
#include "ui/experiments/MetricChart.h"
#include "ui/images/LabelCountChart.h"
#include "ui/review/ConfidenceHistogramView.h"

#include <QApplication>
#include <QCheckBox>
#include <QFile>
#include <QImage>
#include <QMouseEvent>
#include <QSvgRenderer>
#include <QTemporaryDir>
#include <QTest>
#include <QToolTip>
#include <QWheelEvent>

#include <cmath>

using namespace pw;

namespace {

const QStringList kFashion = {"T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                              "Sandal",      "Shirt",   "Sneaker",  "Bag",   "Ankle boot"};

std::vector<ui::ChartSeries> losses(int runs, int steps)
{
    std::vector<ui::ChartSeries> series;
    for (int r = 0; r < runs; ++r) {
        ui::ChartSeries s{QStringLiteral("run-%1").arg(r), ui::seriesColor(r), Qt::SolidLine, false, {}};
        for (int i = 0; i < steps; ++i)
            s.points.emplace_back(i, 2.0 * std::exp(-i / 300.0) + 0.2 * r + 0.1);
        series.push_back(std::move(s));
    }
    return series;
}

void sendMouse(QWidget *w, QEvent::Type type, const QPoint &pos, Qt::MouseButton button, Qt::MouseButtons buttons)
{
    QMouseEvent e(type, QPointF(pos), w->mapToGlobal(QPointF(pos)), button, buttons, Qt::NoModifier);
    QApplication::sendEvent(w, &e);
}

// A confusion matrix of Fashion-MNIST's 10 classes with counts up to four digits ("1616"), as the test split
// of a 60,000-image training gives.
compute::EvaluationResult fashionEvaluation()
{
    compute::EvaluationResult e;
    for (const QString &c : kFashion)
        e.classes.push_back(c.toStdString());
    for (int r = 0; r < 10; ++r) {
        std::vector<std::int64_t> row(10, 0);
        for (int c = 0; c < 10; ++c)
            row[std::size_t(c)] = r == c ? 1616 - 40 * r : (r + c) % 3 == 0 ? 16 * (c + 1) : 0;
        e.confusion.push_back(row);
        e.perClass[e.classes[std::size_t(r)]] = 0.9;
    }
    e.images = 10000;
    e.accuracy = 0.9;
    return e;
}

} // namespace

class tst_Charts : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void metricChartLegendHidesACurve();
    void metricChartHoverNamesThePoint();
    void metricChartZoomPanAndFit();
    void metricChartLogAxisAndExport();
    void metricChartWholeEpochTicks();
    void confusionMatrixReadable_data();
    void confusionMatrixReadable();
    void confusionMatrixNormalisesByRow();
    void labelChartKeepsNamesWhole();
    void histogramNamesTheBar();
};

void tst_Charts::metricChartLegendHidesACurve()
{
    ui::MetricChart chart;
    chart.resize(600, 400);
    chart.show();
    QVERIFY(QTest::qWaitForWindowExposed(&chart));
    chart.setSeries(losses(3, 1000), "train_loss", {}, "step");
    const QRect entry = chart.legendEntryRect(1);
    QVERIFY2(entry.isValid() && chart.rect().contains(entry), "the legend shows run-1's entry");
    QVERIFY(chart.isSeriesVisible(1));
    QTest::mouseClick(&chart, Qt::LeftButton, {}, entry.center());
    QVERIFY(!chart.isSeriesVisible(1));
    QVERIFY(chart.isSeriesVisible(0) && chart.isSeriesVisible(2));
    // A new series list with the same runs (a smoothing change) keeps it hidden; a second click shows it.
    chart.setSeries(losses(3, 1000), "train_loss", {}, "step");
    QVERIFY(!chart.isSeriesVisible(1));
    QTest::mouseClick(&chart, Qt::LeftButton, {}, chart.legendEntryRect(1).center());
    QVERIFY(chart.isSeriesVisible(1));
}

void tst_Charts::metricChartHoverNamesThePoint()
{
    ui::MetricChart chart;
    chart.resize(600, 400);
    chart.show();
    QVERIFY(QTest::qWaitForWindowExposed(&chart));
    const std::vector<ui::ChartSeries> series = losses(2, 1000);
    chart.setSeries(series, "train_loss", {}, "step");
    const QPointF point = series[1].points[500];
    const QPoint at(int(std::lround(chart.xAxis->coordToPixel(point.x()))),
                    int(std::lround(chart.yAxis->coordToPixel(point.y()))));
    sendMouse(&chart, QEvent::MouseMove, at + QPoint(2, 1), Qt::NoButton, Qt::NoButton);
    QTRY_VERIFY(QToolTip::isVisible());
    const QString text = QToolTip::text();
    QVERIFY2(text.contains("run-1") && text.contains("step 50"), qPrintable(text));
    QVERIFY2(text.contains(QString::number(point.y(), 'g', 3).left(4)), qPrintable(text));
    // Far from any curve: no point named.
    QVERIFY(chart.pointToolTip(QPoint(chart.plotRect().right() - 2, chart.plotRect().top() + 2)).isEmpty());
}

void tst_Charts::metricChartZoomPanAndFit()
{
    ui::MetricChart chart;
    chart.resize(600, 400);
    chart.show();
    QVERIFY(QTest::qWaitForWindowExposed(&chart));
    chart.setSeries(losses(2, 10000), "train_loss", {}, "step");
    const QCPRange whole = chart.xAxis->range();
    QVERIFY(whole.lower <= 0 && whole.upper >= 9999);
    const QPoint centre = chart.plotRect().center();
    QWheelEvent wheel(QPointF(centre), chart.mapToGlobal(QPointF(centre)), QPoint(), QPoint(0, 120), Qt::NoButton,
                      Qt::NoModifier, Qt::NoScrollPhase, false);
    QApplication::sendEvent(&chart, &wheel);
    const QCPRange zoomed = chart.xAxis->range();
    QVERIFY2(zoomed.size() < whole.size() * 0.95, qPrintable(QString::number(zoomed.size())));

    // A drag of 100 px to the right shows what lay left of the view.
    sendMouse(&chart, QEvent::MouseButtonPress, centre, Qt::LeftButton, Qt::LeftButton);
    sendMouse(&chart, QEvent::MouseMove, centre + QPoint(50, 0), Qt::NoButton, Qt::LeftButton);
    sendMouse(&chart, QEvent::MouseMove, centre + QPoint(100, 0), Qt::NoButton, Qt::LeftButton);
    sendMouse(&chart, QEvent::MouseButtonRelease, centre + QPoint(100, 0), Qt::LeftButton, Qt::NoButton);
    const QCPRange panned = chart.xAxis->range();
    QVERIFY2(panned.lower < zoomed.lower - zoomed.size() * 0.05,
             qPrintable(QStringLiteral("%1 -> %2").arg(zoomed.lower).arg(panned.lower)));
    QCOMPARE(panned.size(), zoomed.size());

    QTest::mouseDClick(&chart, Qt::LeftButton, {}, centre);
    QCOMPARE(chart.xAxis->range().lower, whole.lower);
    QCOMPARE(chart.xAxis->range().upper, whole.upper);
}

void tst_Charts::metricChartLogAxisAndExport()
{
    QTemporaryDir dir;
    ui::MetricChart chart;
    chart.resize(500, 300);
    chart.show();
    QVERIFY(QTest::qWaitForWindowExposed(&chart));
    chart.setSeries(losses(3, 2000), "train_loss", {}, "step");
    chart.setLogY(true);
    QCOMPARE(chart.yAxis->scaleType(), QCPAxis::stLogarithmic);
    QVERIFY(chart.yAxis->range().lower > 0);

    QString error;
    QVERIFY2(ui::exportPlot(chart, dir.filePath("c.png"), &error), qPrintable(error));
    const QImage png(dir.filePath("c.png"));
    QCOMPARE(png.size(), chart.size());
    QVERIFY2(ui::exportPlot(chart, dir.filePath("c.pdf"), &error), qPrintable(error));
    QFile pdf(dir.filePath("c.pdf"));
    QVERIFY(pdf.open(QIODevice::ReadOnly));
    QVERIFY(pdf.read(5) == "%PDF-");
    QVERIFY2(ui::exportPlot(chart, dir.filePath("c.svg"), &error), qPrintable(error));
    QSvgRenderer svg(dir.filePath("c.svg"));
    QVERIFY(svg.isValid());
    QFile svgFile(dir.filePath("c.svg"));
    QVERIFY(svgFile.open(QIODevice::ReadOnly));
    const QByteArray svgText = svgFile.readAll();
    QVERIFY2(svgText.contains("<polyline") || svgText.contains("<path"), svgText.left(400).constData()); // vectors
    QVERIFY(!ui::exportPlot(chart, dir.filePath("c.bmp"), &error));
    QVERIFY(error.contains(".png, .pdf or .svg"));
}

void tst_Charts::metricChartWholeEpochTicks()
{
    // A 2-epoch run: ticks at epochs 1 and 2 only (the default ticker put 1.2, 1.4, … under them); wall-time seconds
    // keep fractional ticks.
    ui::MetricChart chart;
    chart.resize(600, 300);
    chart.show();
    QVERIFY(QTest::qWaitForWindowExposed(&chart));
    ui::ChartSeries s;
    s.label = "val_loss";
    s.color = Qt::blue;
    s.points = {{1, 0.6}, {2, 0.4}};
    chart.setSeries({s}, "loss", {}, "epoch");
    chart.replot();
    const QVector<double> ticks = chart.xAxis->tickVector();
    QVERIFY(!ticks.isEmpty());
    for (double t : ticks)
        QVERIFY2(t == std::floor(t), qPrintable(QString::number(t)));
    s.points = {{0.25, 0.6}, {0.75, 0.4}};
    chart.setSeries({s}, "loss", {}, "seconds");
    chart.replot();
    bool fractional = false;
    for (double t : chart.xAxis->tickVector())
        fractional = fractional || t != std::floor(t);
    QVERIFY(fractional);
}

void tst_Charts::confusionMatrixReadable_data()
{
    QTest::addColumn<QSize>("size");
    // The Experiments page's heat map at 1366x768 and at 1920x1080 (their evaluation panes), and a roomy one.
    QTest::newRow("1366x768 page") << QSize(520, 330);
    QTest::newRow("1920x1080 page") << QSize(760, 480);
    QTest::newRow("roomy") << QSize(1000, 800);
}

void tst_Charts::confusionMatrixReadable()
{
    QFETCH(QSize, size);
    ui::ConfusionHeatMap map;
    map.resize(size);
    map.show();
    QVERIFY(QTest::qWaitForWindowExposed(&map));
    map.setEvaluation(fashionEvaluation());
    QVERIFY(!map.namesElided());
    const QFontMetrics fm(map.font());
    for (int i = 0; i < 10; ++i) {
        // Every class name whole beside its row and over its column (upright, so along the rect's height).
        const int name = fm.horizontalAdvance(kFashion[i]);
        QVERIFY2(map.rowLabelRect(i).width() >= name, qPrintable(kFashion[i]));
        const QRect column = map.columnLabelRect(i);
        QVERIFY2(std::max(column.width(), column.height()) >= name, qPrintable(kFashion[i]));
        QVERIFY(map.rect().contains(map.rowLabelRect(i)) && map.rect().contains(column));
    }
    // Every count shown fits its cell: "1616" never runs into its neighbour's count.
    const QFontMetrics cells(map.cellFont());
    int shown = 0;
    for (int r = 0; r < 10; ++r)
        for (int c = 0; c < 10; ++c) {
            const QString text = map.cellText(r, c);
            const QRect box = map.cellRect(r, c);
            QVERIFY(map.rect().contains(box));
            if (text.isEmpty())
                continue;
            ++shown;
            QVERIFY2(cells.horizontalAdvance(text) < box.width() && cells.height() <= box.height(),
                     qPrintable(QStringLiteral("%1 in a %2 px cell").arg(text).arg(box.width())));
        }
    QVERIFY(shown >= 10); // the diagonal at least
    QVERIFY(map.cellFont().pointSizeF() >= 6);
    // The tooltip of a cell says both classes and the count.
    const QString tip = map.toolTipAt(map.cellRect(4, 5).center());
    QVERIFY2(tip.contains("Coat") && tip.contains("Sandal") && tip.contains(QString::number(16 * 6)), qPrintable(tip));
}

void tst_Charts::confusionMatrixNormalisesByRow()
{
    ui::ConfusionHeatMap map;
    map.resize(520, 330);
    map.show();
    QVERIFY(QTest::qWaitForWindowExposed(&map));
    map.setEvaluation(fashionEvaluation());
    QCOMPARE(map.cellText(0, 0), QStringLiteral("1616"));
    QCheckBox *box = map.normalizeBox();
    QVERIFY(box->isVisible() && map.rect().contains(box->geometry()));
    QTest::mouseClick(box, Qt::LeftButton, {}, box->rect().center());
    QVERIFY(map.normalized());
    const double share = map.cellShare(0, 0);
    QCOMPARE(map.cellText(0, 0), QStringLiteral("%1%").arg(share * 100, 0, 'f', 0));
    // A tiny map: the counts do not fit, so none is drawn (the tooltip has them) and no name claims to be whole.
    map.resize(200, 160);
    QVERIFY(map.cellText(0, 0).isEmpty());
    QVERIFY(map.namesElided());
    QVERIFY(map.toolTipAt(map.cellRect(0, 0).center()).contains("T-shirt/top"));
}

void tst_Charts::labelChartKeepsNamesWhole()
{
    ui::LabelCountChart chart;
    chart.resize(420, 170);
    chart.show();
    QVERIFY(QTest::qWaitForWindowExposed(&chart));
    std::map<std::string, std::int64_t> counts;
    for (int i = 0; i < 10; ++i)
        counts[QStringLiteral("%1.%2").arg(i).arg(kFashion[i]).toStdString()] = 500 + 10 * i;
    chart.setCounts(counts);
    QVERIFY(chart.tickNames().contains("9.Ankle boot")); // whole, never "ankl…"
    QVERIFY(chart.tickRotation() != 0); // 10 names do not fit side by side in 420 px: turned
    chart.replot();
    // The turned names have room under the plot: the axis rect leaves them its bottom margin, inside the widget.
    const QFontMetrics fm(chart.font());
    QVERIFY(chart.axisRect()->outerRect().bottom() <= chart.height());
    QVERIFY2(chart.axisRect()->margins().bottom() >= fm.horizontalAdvance("9.Ankle boot") * 0.7,
             qPrintable(QString::number(chart.axisRect()->margins().bottom())));
    const QString tip = chart.barToolTip(QPoint(int(chart.xAxis->coordToPixel(9)), chart.axisRect()->center().y()));
    QVERIFY2(tip.contains("9.Ankle boot") && tip.contains("590"), qPrintable(tip));
    // Wide enough: the names lie flat.
    chart.resize(1800, 170);
    QTRY_COMPARE(chart.tickRotation(), 0.0);
}

void tst_Charts::histogramNamesTheBar()
{
    ui::ConfidenceHistogramView view;
    view.resize(400, 160);
    view.show();
    QVERIFY(QTest::qWaitForWindowExposed(&view));
    std::vector<std::int64_t> counts(20, 10);
    counts[19] = 900;
    view.setCounts(counts);
    QCOMPARE(view.countBelow(), std::int64_t(190)); // below 0.95: bins 0..18
    const QRect r = view.plotRect();
    const QString tip = view.barToolTip(QPoint(int(view.xAxis->coordToPixel(0.975)), r.center().y()));
    QVERIFY2(tip.contains("0.95") && tip.contains("900"), qPrintable(tip));
    // A press at 0.5 moves the threshold line there.
    QTest::mousePress(&view, Qt::LeftButton, {}, QPoint(int(view.xAxis->coordToPixel(0.5)), r.center().y()));
    QTest::mouseRelease(&view, Qt::LeftButton, {}, QPoint(int(view.xAxis->coordToPixel(0.5)), r.center().y()));
    QCOMPARE(view.threshold(), 0.5);
    QCOMPARE(view.countBelow(), std::int64_t(100));
    QVERIFY(std::abs(view.thresholdX() - view.xAxis->coordToPixel(0.5)) <= 1);
}

QTEST_MAIN(tst_Charts)
#include "tst_charts.moc"
