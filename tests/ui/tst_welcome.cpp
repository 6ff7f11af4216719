// The first-run welcome page (shown while the main window has no workspace, gone once one opens) and the demo
// workspace it builds, on a small scale: tables, a model in Production, scored incoming images, a review queue.
#include "core/data/FashionMnist.h"
#include "core/demo/Demo.h"
#include "core/registry/Registry.h"
#include "core/review/Review.h"
#include "core/store/Database.h"
#include "core/store/Workspace.h"
#include "ui/MainWindow.h"
#include "ui/catalog/CatalogPage.h"
#include "ui/images/ImagesPage.h"
#include "ui/pipelines/PipelinesPage.h"
#include "ui/welcome/WelcomePage.h"

#include <QElapsedTimer>
#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QSettings>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>

#include <set>

using namespace pw;

class tst_Welcome : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void shownWithoutWorkspace();
    void newEmptyWorkspace_data();
    void newEmptyWorkspace();
    void smallDemo();

private:
    QTemporaryDir m_dir;
};

void tst_Welcome::initTestCase()
{
    QVERIFY(m_dir.isValid());
    QSettings::setPath(QSettings::NativeFormat, QSettings::UserScope, m_dir.filePath("settings"));
    QVERIFY2(QFileInfo::exists(QString(data::kFashionMnistDir) + "/train-images-idx3-ubyte.gz"),
             "Fashion-MNIST is missing: apt-get install dataset-fashion-mnist");
}

void tst_Welcome::shownWithoutWorkspace()
{
    ui::MainWindow window;
    window.show();
    QVERIFY(window.isWelcomeShown());
    QVERIFY(window.welcomePage()->isVisible());
    QVERIFY(window.workspace().isEmpty());
    QVERIFY(!window.page<ui::ImagesPage>()->catalogPage()->isVisible());
    QVERIFY(!window.pipelinesPage()->isVisible());
}

void tst_Welcome::newEmptyWorkspace_data()
{
    QTest::addColumn<QString>("folder");
    QTest::addColumn<bool>("ok");
    QTest::newRow("new folder") << "fresh/workspace" << true;
    QTest::newRow("under a file") << "a-file/workspace" << false;
}

void tst_Welcome::newEmptyWorkspace()
{
    QFETCH(QString, folder);
    QFETCH(bool, ok);
    QFile file(m_dir.filePath("a-file"));
    QVERIFY(file.open(QIODevice::WriteOnly));
    file.close();

    ui::MainWindow window;
    window.show();
    QSignalSpy chosen(window.welcomePage(), &ui::WelcomePage::workspaceChosen);
    QSignalSpy loaded(&window, &ui::MainWindow::workspaceLoaded);
    const QString root = m_dir.filePath(folder);
    QCOMPARE(window.welcomePage()->createEmptyWorkspace(root), ok);
    QCOMPARE(chosen.count(), ok ? 1 : 0);
    QCOMPARE(window.isWelcomeShown(), !ok);
    QCOMPARE(QFileInfo::exists(root + "/catalog.db"), ok);
    if (!ok) {
        QVERIFY2(window.welcomePage()->messageText().contains("could not be created"),
                 qPrintable(window.welcomePage()->messageText()));
        QVERIFY(window.workspace().isEmpty());
        return;
    }
    QCOMPARE(window.workspace(), root);
    QVERIFY(!window.welcomePage()->isVisible());
    QVERIFY(window.pipelinesPage()->isVisible());
    QTRY_COMPARE_WITH_TIMEOUT(loaded.count(), 1, 60000);
}

void tst_Welcome::smallDemo()
{
    const auto ws = store::Workspace::open(m_dir.filePath("demo").toStdString());
    demo::DemoOptions options;
    options.withModel = true;
    options.epochs = 1;
    options.trainLimit = 1500;
    options.testLimit = 300;
    options.incoming = 100;
    std::set<std::string> steps;
    const QJsonObject first = demo::createDemo(ws, options, [&](const demo::DemoProgress &p) {
        QVERIFY(p.done <= p.total || p.total == 0);
        steps.insert(p.step);
    });
    for (const char *step :
         {"fashion-mnist train", "ingest fashion", "ingest fashion-test", "train small-cnn", "fashion-mnist incoming"})
        QVERIFY2(steps.count(step), step);

    const QJsonObject tables = first.value("tables").toObject();
    QCOMPARE(tables.value("fashion").toObject().value("added").toInteger(), qint64(1500));
    QCOMPARE(tables.value("fashion-test").toObject().value("added").toInteger(), qint64(300));
    const QJsonObject model = first.value("model").toObject();
    QCOMPARE(model.value("name").toString(), "fashion");
    QCOMPARE(model.value("version").toInteger(), qint64(1));
    QCOMPARE(model.value("trained").toBool(), true);
    QCOMPARE(model.value("incoming").toInteger(), qint64(100));
    const QJsonArray pipelines = first.value("pipelines").toArray();
    QCOMPARE(pipelines.size(), 2);
    for (const auto &p : pipelines)
        QVERIFY2(QFileInfo::exists(p.toString()), qPrintable(p.toString()));

    auto db = ws.openCatalog();
    registry::Registry reg(ws, *db);
    const auto production = reg.inStage("fashion", registry::Stage::Production);
    QVERIFY(production);
    QCOMPARE(production->version, std::int64_t(1));
    {
        store::Statement st(*db, "SELECT count(*) FROM predictions WHERE table_name = 'fashion' AND model_name = "
                                 "'fashion' AND path LIKE '%/incoming-demo/%'");
        QVERIFY(st.step());
        QCOMPARE(st.int64(0), std::int64_t(100));
    }
    review::ListOptions pending;
    pending.state = "pending";
    QVERIFY(!review::ReviewQueue(ws, *db).list(pending).empty());

    // A rerun finds everything done: no new images, no new model version, no training.
    QElapsedTimer timer;
    timer.start();
    const QJsonObject second = demo::createDemo(ws, options);
    QVERIFY2(timer.elapsed() < 10000, qPrintable(QString::number(timer.elapsed())));
    QCOMPARE(second.value("tables").toObject().value("fashion").toObject().value("added").toInteger(), qint64(0));
    QCOMPARE(second.value("model").toObject().value("trained").toBool(), false);
    QCOMPARE(second.value("model").toObject().value("scored").toInteger(), qint64(0));
    QCOMPARE(reg.versions("fashion").size(), size_t(1));
}

QTEST_MAIN(tst_Welcome)
#include "tst_welcome.moc"
