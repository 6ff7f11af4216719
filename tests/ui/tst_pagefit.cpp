// Every page of the workbench fits a 1366x768 laptop screen and grows on a 1920x1080 one: at each size, no
// visible widget lies outside its parent's visible area (a control cut off or out of reach), no button, box or
// field is squeezed below its smallest usable size, the window's minimum size is at most 1366x768, and at
// 1920x1080 the charts and views get the extra room. Sizes go 1366 -> 1920 -> 1366, so a resize back is checked.
#include "core/ingest/Ingestor.h"
#include "core/registry/Registry.h"
#include "core/store/Database.h"
#include "core/store/Workspace.h"
#include "core/track/Tracker.h"
#include "tests/TestData.h"
#include "ui/MainWindow.h"
#include "ui/pipelines/PipelinesPage.h"

#include <QAbstractButton>
#include <QAbstractScrollArea>
#include <QAbstractSpinBox>
#include <QComboBox>
#include <QGraphicsView>
#include <QLineEdit>
#include <QScrollArea>
#include <QSettings>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>

#include "ui/charts/Plot.h"

using namespace pw;

class tst_PageFit : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void everyPageFits_data();
    void everyPageFits();

private:
    void makeWorkspace();
    QTemporaryDir m_dir;
    QString m_ws;
};

namespace {

const char *const kClasses[] = {"000.T-shirt_top", "001.trouser", "002.pullover", "003.dress", "004.coat",
                                "005.sandal",      "006.shirt",   "007.sneaker",  "008.bag",   "009.ankle_boot"};

std::string makeRun(track::Tracker &tracker, const QString &artifacts, const std::string &name, double accuracy)
{
    track::NewRun nr;
    nr.experiment = "fashion-small-cnn";
    nr.name = name;
    nr.table = "fashion";
    nr.dataVersion = 1;
    const std::string id = tracker.createRun(nr);
    tracker.logParams(
        id, {{"lr", "0.003"}, {"batch_size", "64"}, {"image_size", "28"}, {"channels", "1"}, {"epochs", "5"}});
    std::vector<track::MetricPoint> points;
    for (int epoch = 1; epoch <= 5; ++epoch) {
        points.push_back({"train_loss", 1.2 / epoch, epoch, epoch});
        points.push_back({"val_loss", 1.3 / epoch, epoch, epoch});
        points.push_back({"val_accuracy", accuracy * epoch / 5, epoch, epoch});
    }
    tracker.logMetrics(id, points);
    tracker.setDevice(id, "cpu");
    tracker.endRun(id, "FINISHED");
    QStringList classes;
    for (const char *c : kClasses)
        classes << QString::fromLatin1(c).mid(4);
    const QString dir = artifacts + "/" + QString::fromStdString(id);
    if (!test::writeFile(dir + "/model.pt", "model bytes")
        || !test::writeFile(dir + "/classes.txt", classes.join('\n').toUtf8()))
        throw std::runtime_error("cannot write the run's artifacts");
    return id;
}

// A widget whose contents scroll (an item view's viewport, a scroll area's widget) may be larger than its parent.
bool scrolls(const QWidget *w)
{
    const QWidget *parent = w->parentWidget();
    const auto *area = parent ? qobject_cast<const QAbstractScrollArea *>(parent->parentWidget()) : nullptr;
    if (area && area->viewport() == parent)
        return true;
    return qobject_cast<const QGraphicsView *>(parent) != nullptr;
}

bool isControl(const QWidget *w)
{
    return qobject_cast<const QAbstractButton *>(w) || qobject_cast<const QComboBox *>(w)
           || qobject_cast<const QLineEdit *>(w) || qobject_cast<const QAbstractSpinBox *>(w);
}

// What does not fit in `window` as it is laid out now.
QStringList misfits(QWidget &window)
{
    QStringList problems;
    const auto name = [](const QWidget *w) {
        QString text = QString::fromLatin1(w->metaObject()->className());
        if (!w->objectName().isEmpty())
            text += " '" + w->objectName() + "'";
        if (const auto *b = qobject_cast<const QAbstractButton *>(w); b && !b->text().isEmpty())
            text += " \"" + b->text() + "\"";
        return text;
    };
    for (QWidget *w : window.findChildren<QWidget *>()) {
        if (!w->isVisible() || w->isWindow() || !w->parentWidget() || scrolls(w))
            continue;
        // Qt's own parts of a widget (a dock's title buttons, a spin box's line edit) are sized by their owner.
        const bool internal = w->objectName().startsWith("qt_");
        const QWidget *parent = w->parentWidget();
        if (!parent->rect().contains(w->geometry()))
            problems << QStringLiteral("%1 at %2,%3 %4x%5 outside its parent %6 (%7x%8)")
                            .arg(name(w))
                            .arg(w->x())
                            .arg(w->y())
                            .arg(w->width())
                            .arg(w->height())
                            .arg(name(parent))
                            .arg(parent->width())
                            .arg(parent->height());
        if (isControl(w) && !internal) {
            const QSize least = w->minimumSizeHint().boundedTo(QSize(40, 18));
            if (w->width() < least.width() || w->height() < least.height())
                problems << QStringLiteral("%1 squeezed to %2x%3").arg(name(w)).arg(w->width()).arg(w->height());
        }
    }
    return problems;
}

// The room the page's charts, views, lists and text panes get: their areas, summed.
qint64 chartArea(QWidget &window)
{
    qint64 area = 0;
    for (QWidget *w : window.findChildren<QWidget *>())
        if (w->isVisible() && (qobject_cast<QCustomPlot *>(w) || qobject_cast<QAbstractScrollArea *>(w)))
            area += qint64(w->width()) * w->height();
    return area;
}

void settle()
{
    for (int i = 0; i < 5; ++i) {
        QCoreApplication::sendPostedEvents(nullptr, QEvent::LayoutRequest);
        QCoreApplication::processEvents();
    }
}

} // namespace

void tst_PageFit::initTestCase()
{
    try {
        makeWorkspace();
    } catch (const std::exception &e) {
        QFAIL(e.what());
    }
}

void tst_PageFit::makeWorkspace()
{
    QVERIFY(m_dir.isValid());
    QSettings::setPath(QSettings::NativeFormat, QSettings::UserScope, m_dir.filePath("settings"));
    m_ws = m_dir.filePath("ws");
    const auto ws = store::Workspace::open(m_ws.toStdString());
    // Two images of each Fashion-MNIST class, labelled by folder.
    int i = 0;
    for (const char *c : kClasses)
        for (int k = 0; k < 2; ++k, ++i)
            QVERIFY(test::writeImage(m_dir.filePath(QString("src/%1/%2.png").arg(c).arg(i)), 16, 16, 3, i));
    ingest::IngestOptions o;
    o.source = m_dir.filePath("src").toStdString();
    o.table = "fashion";
    ingest::ingest(ws, o);
    auto db = ws.openCatalog();
    track::Tracker tracker(*db);
    const std::string a = makeRun(tracker, m_dir.filePath("ws/artifacts"), "baseline", 0.88);
    const std::string b = makeRun(tracker, m_dir.filePath("ws/artifacts"), "wider", 0.91);
    registry::Registry reg(ws, *db);
    QCOMPARE(reg.registerRun(a, "fashion-classifier").version, std::int64_t(1));
    QCOMPARE(reg.registerRun(b, "fashion-classifier").version, std::int64_t(2));
}

void tst_PageFit::everyPageFits_data()
{
    QTest::addColumn<QString>("page");
    for (const char *page : {"pipelines", "images", "review", "experiments", "models"})
        QTest::newRow(page) << QString::fromLatin1(page);
}

void tst_PageFit::everyPageFits()
{
    QFETCH(QString, page);
    ui::MainWindow window;
    QSignalSpy loaded(&window, &ui::MainWindow::workspaceLoaded);
    window.openWorkspace(m_ws);
    QVERIFY(window.showPage(page));
    if (page == "pipelines")
        QCOMPARE(window.pipelinesPage()->openFile(PIPEWRIGHT_SOURCE_DIR "/resources/pipelines/training.json"),
                 QString());
    window.resize(1366, 768);
    window.show();
    QVERIFY(QTest::qWaitForWindowExposed(&window));
    QVERIFY(loaded.count() > 0 || loaded.wait(20000));

    const QSize laptop(1366, 768), desktop(1920, 1080);
    const QSize least = window.minimumSizeHint().expandedTo(window.minimumSize());
    QVERIFY2(least.width() <= laptop.width() && least.height() <= laptop.height(),
             qPrintable(QStringLiteral("the window needs at least %1x%2").arg(least.width()).arg(least.height())));
    qint64 laptopArea = 0;
    for (const QSize &size : {laptop, desktop, laptop}) {
        window.resize(size);
        settle();
        QVERIFY2(window.size() == size,
                 qPrintable(QStringLiteral("%1: the window is %2x%3, asked %4x%5 (minimum %6x%7)")
                                .arg(page)
                                .arg(window.width())
                                .arg(window.height())
                                .arg(size.width())
                                .arg(size.height())
                                .arg(window.minimumSizeHint().width())
                                .arg(window.minimumSizeHint().height())));
        const QStringList problems = misfits(window);
        QVERIFY2(problems.isEmpty(), qPrintable(QStringLiteral("%1 at %2x%3:\n  %4")
                                                    .arg(page)
                                                    .arg(size.width())
                                                    .arg(size.height())
                                                    .arg(problems.join("\n  "))));
        const qint64 area = chartArea(window);
        if (size == desktop)
            QVERIFY2(area > laptopArea * 13 / 10,
                     qPrintable(QStringLiteral("%1: charts and views get %2 px² at 1920x1080, "
                                               "%3 px² at 1366x768")
                                    .arg(page)
                                    .arg(area)
                                    .arg(laptopArea)));
        else
            laptopArea = area;
    }
}

QTEST_MAIN(tst_PageFit)
#include "tst_pagefit.moc"
