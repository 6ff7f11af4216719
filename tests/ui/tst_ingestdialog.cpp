// File > Ingest folder…: a folder into a table off the GUI thread, the rejected files listed afterwards, a refused
// form that starts nothing, Cancel while it runs, and the main window's menu entry.
#include "core/catalog/Catalog.h"
#include "core/store/Database.h"
#include "core/store/Workspace.h"
#include "tests/TestData.h"
#include "ui/MainWindow.h"
#include "ui/ingest/IngestDialog.h"

#include <QAction>
#include <QComboBox>
#include <QLabel>
#include <QLineEdit>
#include <QProgressBar>
#include <QPushButton>
#include <QSettings>
#include <QSignalSpy>
#include <QTableWidget>
#include <QTemporaryDir>
#include <QTest>

using namespace pw;

class tst_IngestDialog : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void ingestsAndListsRejected();
    void refusedFormStartsNothing_data();
    void refusedFormStartsNothing();
    void cancelWhileRunning();
    void fileMenuHasIt();

private:
    void fill(ui::IngestDialog &d, const QString &folder, const QString &table);
    QTemporaryDir m_dir;
    QString m_root;
};

void tst_IngestDialog::initTestCase()
{
    QVERIFY(m_dir.isValid());
    m_root = m_dir.filePath("ws");
    store::Workspace::open(m_root.toStdString());
    QVERIFY(test::writeImage(m_dir.filePath("src/001.ant/a.png"), 10, 10));
    QVERIFY(test::writeImage(m_dir.filePath("src/002.bee/b.png"), 10, 10, 3, 1));
    QVERIFY(test::writeFile(m_dir.filePath("src/002.bee/broken.png"), "not a png"));
    QSettings::setPath(QSettings::NativeFormat, QSettings::UserScope, m_dir.filePath("settings"));
}

// Types into the form as a user does.
void tst_IngestDialog::fill(ui::IngestDialog &d, const QString &folder, const QString &table)
{
    d.folderEdit()->clear();
    QTest::keyClicks(d.folderEdit(), folder);
    d.tableBox()->lineEdit()->clear();
    QTest::keyClicks(d.tableBox()->lineEdit(), table);
}

void tst_IngestDialog::ingestsAndListsRejected()
{
    ui::IngestDialog d(m_root);
    d.show();
    QVERIFY(QTest::qWaitForWindowExposed(&d));
    fill(d, m_dir.filePath("src"), "bugs");
    QCOMPARE(d.labelsBox()->currentText(), QString("caltech"));
    QSignalSpy finished(&d, &ui::IngestDialog::ingestFinished);
    QTest::mouseClick(d.startButton(), Qt::LeftButton);
    QVERIFY(d.isRunning() || !finished.isEmpty());
    QVERIFY(finished.count() > 0 || finished.wait(60000));
    QCOMPARE(finished.at(0).at(0).toBool(), true);
    const QString summary = finished.at(0).at(1).toString();
    QVERIFY2(summary.contains("3 discovered, 2 added") && summary.contains("1 rejected"), qPrintable(summary));
    QCOMPARE(d.statusLabel()->text(), summary);
    QVERIFY(d.rejectedTable()->isVisible());
    QCOMPARE(d.rejectedTable()->rowCount(), 1);
    QVERIFY2(d.rejectedTable()->item(0, 0)->text().endsWith("broken.png"),
             qPrintable(d.rejectedTable()->item(0, 0)->text()));
    QVERIFY(!d.rejectedTable()->item(0, 1)->text().isEmpty());
    QVERIFY(!d.isRunning());
    QCOMPARE(d.cancelButton()->text(), QString("Close"));
    {
        const auto ws = store::Workspace::open(m_root.toStdString());
        auto db = ws.openCatalog();
        const catalog::TableStats stats = catalog::Catalog(*db).stats("bugs");
        QCOMPARE(stats.labeled, std::int64_t(2));
    }
    // Again: nothing new; a new dialog offers the table.
    QTest::mouseClick(d.startButton(), Qt::LeftButton);
    QVERIFY(finished.count() > 1 || finished.wait(60000));
    QVERIFY2(finished.at(1).at(1).toString().contains("0 added"), qPrintable(finished.at(1).at(1).toString()));
    ui::IngestDialog again(m_root);
    QVERIFY(again.tableBox()->findText("bugs") >= 0);
}

void tst_IngestDialog::refusedFormStartsNothing_data()
{
    QTest::addColumn<QString>("folder");
    QTest::addColumn<QString>("table");
    QTest::addColumn<QString>("message");
    QTest::newRow("no folder") << QString() << "t"
                               << "Folder:";
    QTest::newRow("missing folder") << "/no/such/folder"
                                    << "t"
                                    << "Folder: '/no/such/folder' is not a folder";
    QTest::newRow("no table") << "SRC" << QString() << "Table:";
}

void tst_IngestDialog::refusedFormStartsNothing()
{
    QFETCH(QString, folder);
    QFETCH(QString, table);
    QFETCH(QString, message);
    ui::IngestDialog d(m_root);
    d.show();
    fill(d, folder == "SRC" ? m_dir.filePath("src") : folder, table);
    QSignalSpy finished(&d, &ui::IngestDialog::ingestFinished);
    QTest::mouseClick(d.startButton(), Qt::LeftButton);
    QVERIFY(!d.isRunning());
    QVERIFY2(d.statusLabel()->text().startsWith(message), qPrintable(d.statusLabel()->text()));
    QVERIFY(!d.statusLabel()->text().contains("--"));
    QTest::qWait(0);
    QCOMPARE(finished.count(), 0);
}

void tst_IngestDialog::cancelWhileRunning()
{
    // While it runs, the second button cancels (the dialog stays open); it becomes Close again when the ingest ends.
    ui::IngestDialog d(m_root);
    d.show();
    QVERIFY(QTest::qWaitForWindowExposed(&d));
    fill(d, m_dir.filePath("src"), "cancelled");
    QSignalSpy finished(&d, &ui::IngestDialog::ingestFinished);
    QTest::mouseClick(d.startButton(), Qt::LeftButton);
    QVERIFY(d.isRunning()); // the result comes through the event loop, which has not turned yet
    QCOMPARE(d.cancelButton()->text(), QString("Cancel"));
    QVERIFY(d.progressBar()->isVisible());
    QVERIFY(!d.startButton()->isEnabled());
    QTest::mouseClick(d.cancelButton(), Qt::LeftButton);
    QVERIFY(d.isVisible());
    QVERIFY(!d.cancelButton()->isEnabled());
    QVERIFY(finished.count() > 0 || finished.wait(60000));
    QVERIFY(d.isVisible());
    QVERIFY(!d.isRunning());
    QCOMPARE(d.cancelButton()->text(), QString("Close"));
    QVERIFY(d.cancelButton()->isEnabled());
    QTest::mouseClick(d.cancelButton(), Qt::LeftButton);
    QVERIFY(!d.isVisible());
}

void tst_IngestDialog::fileMenuHasIt()
{
    ui::MainWindow window;
    auto *action = window.findChild<QAction *>("ingestFolderAction");
    QVERIFY(action);
    QVERIFY2(action->text().contains("Ingest"), qPrintable(action->text()));
}

QTEST_MAIN(tst_IngestDialog)
#include "tst_ingestdialog.moc"
