// The Catalog page and the main window: models filled from a real workspace off the GUI thread,
// checked by QAbstractItemModelTester; a refresh after a new ingest; the window's screenshot path.
#include "core/ingest/Ingestor.h"
#include "core/store/Workspace.h"
#include "tests/TestData.h"
#include "ui/MainWindow.h"
#include "ui/catalog/CatalogPage.h"
#include "ui/catalog/HistoryModel.h"
#include "ui/catalog/RejectedModel.h"
#include "ui/catalog/TableCountsModel.h"
#include "ui/images/ImagesPage.h"

#include <QAbstractItemModelTester>
#include <QLabel>
#include <QSettings>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>

using namespace pw;

class tst_CatalogPage : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void showsTablesLabelsHistoryAndRejected();
    void refreshShowsANewVersion();
    void unreadableWorkspaceShowsTheError();
    void mainWindowOpensAWorkspace();

private:
    void ingest(const QString &sourceRel, const std::string &table);
    QTemporaryDir m_dir;
    QString m_ws;
};

void tst_CatalogPage::initTestCase()
{
    QVERIFY(m_dir.isValid());
    // Recent workspaces and window state go to a throw-away settings folder, not the user's.
    QSettings::setPath(QSettings::NativeFormat, QSettings::UserScope, m_dir.filePath("settings"));
    m_ws = m_dir.filePath("ws");
    for (int i = 0; i < 5; ++i)
        QVERIFY(test::writeImage(m_dir.filePath(QString("a/001.cat/%1.png").arg(i)), 12, 12, 3, i));
    for (int i = 0; i < 3; ++i)
        QVERIFY(test::writeImage(m_dir.filePath(QString("a/002.dog/%1.png").arg(i)), 12, 12, 3, 10 + i));
    QVERIFY(test::writeFile(m_dir.filePath("a/002.dog/broken.png"), "broken"));
    QVERIFY(test::writeImage(m_dir.filePath("b/x/1.png"), 12, 12, 1, 20));
    ingest("a", "pets");
    ingest("b", "unsorted");
}

void tst_CatalogPage::ingest(const QString &sourceRel, const std::string &table)
{
    ingest::IngestOptions o;
    o.source = m_dir.filePath(sourceRel).toStdString();
    o.table = table;
    o.labels = table == "unsorted" ? ingest::LabelRule::None : ingest::LabelRule::Caltech;
    ingest::ingest(store::Workspace::open(m_ws.toStdString()), o);
}

void tst_CatalogPage::showsTablesLabelsHistoryAndRejected()
{
    ui::CatalogPage page;
    QAbstractItemModelTester t1(page.tableModel(), QAbstractItemModelTester::FailureReportingMode::QtTest);
    QAbstractItemModelTester t2(page.historyModel(), QAbstractItemModelTester::FailureReportingMode::QtTest);
    QAbstractItemModelTester t3(page.rejectedModel(), QAbstractItemModelTester::FailureReportingMode::QtTest);
    QSignalSpy loaded(&page, &ui::CatalogPage::loaded);
    page.setWorkspace(m_ws);
    QVERIFY(loaded.wait(10000));

    auto *tables = page.tableModel();
    QCOMPARE(tables->rowCount(), 2);
    const QModelIndex pets = tables->index(0, ui::TableCountsModel::NameColumn);
    QCOMPARE(pets.data().toString(), "pets");
    QCOMPARE(tables->index(0, ui::TableCountsModel::ImagesColumn).data().toString(), "8");
    QCOMPARE(tables->index(0, ui::TableCountsModel::RejectedColumn).data().toString(), "1");
    QCOMPARE(tables->rowCount(pets), 2); // cat, dog
    QCOMPARE(tables->index(0, 0, pets).data().toString(), "cat");
    QCOMPARE(tables->index(0, ui::TableCountsModel::ImagesColumn, pets).data().toString(), "5");
    QCOMPARE(tables->index(1, ui::TableCountsModel::ImagesColumn, pets).data().toString(), "3");
    const QModelIndex unsorted = tables->index(1, 0);
    QCOMPARE(tables->index(1, ui::TableCountsModel::UnlabeledColumn).data().toString(), "1");
    QCOMPARE(tables->rowCount(unsorted), 0);

    QCOMPARE(page.historyModel()->rowCount(), 2);
    QCOMPARE(page.historyModel()->index(0, ui::HistoryModel::VersionColumn).data().toLongLong(), 2);
    QCOMPARE(page.historyModel()->index(0, ui::HistoryModel::OperationColumn).data().toString(), "INGEST");
    QCOMPARE(page.historyModel()->index(0, ui::HistoryModel::TableColumn).data().toString(), "unsorted");
    QVERIFY(page.historyModel()->index(1, ui::HistoryModel::MetricsColumn).data().toString().contains("added 8"));

    QCOMPARE(page.rejectedModel()->rowCount(), 1);
    QVERIFY(page.rejectedModel()->index(0, ui::RejectedModel::PathColumn).data().toString().endsWith("broken.png"));
    QVERIFY(
        page.rejectedModel()->index(0, ui::RejectedModel::ReasonColumn).data().toString().startsWith("not an image"));
}

void tst_CatalogPage::refreshShowsANewVersion()
{
    ui::CatalogPage page;
    QAbstractItemModelTester tester(page.tableModel(), QAbstractItemModelTester::FailureReportingMode::QtTest);
    QSignalSpy loaded(&page, &ui::CatalogPage::loaded);
    page.setWorkspace(m_ws);
    QVERIFY(loaded.wait(10000));
    const int before = page.historyModel()->rowCount();

    QVERIFY(test::writeImage(m_dir.filePath("a/003.owl/o.png"), 12, 12, 3, 30));
    ingest("a", "pets");
    page.reload();
    QVERIFY(loaded.wait(10000));
    QCOMPARE(page.historyModel()->rowCount(), before + 1);
    QCOMPARE(page.tableModel()->rowCount(page.tableModel()->index(0, 0)), 3); // cat, dog, owl
}

void tst_CatalogPage::unreadableWorkspaceShowsTheError()
{
    ui::CatalogPage page;
    QSignalSpy loaded(&page, &ui::CatalogPage::loaded);
    const QString file = m_dir.filePath("a/001.cat/0.png"); // a file, not a folder
    page.setWorkspace(file);
    QVERIFY(loaded.wait(10000));
    QCOMPARE(page.tableModel()->rowCount(), 0);
    const auto labels = page.findChildren<QLabel *>();
    const bool shown = std::any_of(labels.begin(), labels.end(),
                                   [](QLabel *l) { return l->text().contains("is not a folder"); });
    QVERIFY(shown);
}

void tst_CatalogPage::mainWindowOpensAWorkspace()
{
    ui::MainWindow window;
    QSignalSpy loaded(&window, &ui::MainWindow::workspaceLoaded);
    window.openWorkspace(m_ws);
    window.show();
    QVERIFY(loaded.wait(10000));
    QVERIFY(window.windowTitle().contains("ws"));
    QCOMPARE(window.page<ui::ImagesPage>()->catalogPage()->historyModel()->rowCount() > 0, true);
    const QImage shot = window.grab().toImage();
    QVERIFY(!shot.isNull());
    QVERIFY(shot.width() > 400);
}

QTEST_MAIN(tst_CatalogPage)
#include "tst_catalogpage.moc"
