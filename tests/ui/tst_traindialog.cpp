// The Train… dialog's fields for pretrained weights and for ranks: processes on this machine, nodes x processes
// per node on a Slurm target, each enabled only where it applies; the weights file chosen in a file dialog and
// checked before the dialog closes; what the fields ask for reaches the request.
#include "ui/experiments/TrainDialog.h"

#include <QApplication>
#include <QComboBox>
#include <QDoubleSpinBox>
#include <QFileDialog>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QSpinBox>
#include <QTemporaryDir>
#include <QTest>
#include <QTimer>

using namespace pw;

class tst_TrainDialog : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void ranksFollowTheTarget();
    void weightsFromAFileDialog();
    void badWeightsKeepTheDialogOpen();
};

namespace {

std::unique_ptr<ui::TrainDialog> dialog()
{
    auto d = std::make_unique<ui::TrainDialog>(std::vector<std::string>{"shapes"}, std::vector<std::string>{},
                                               std::vector<std::string>{"local", "gpu", "hpc"}, nullptr,
                                               std::vector<std::string>{"hpc"});
    d->show();
    return d;
}

} // namespace

void tst_TrainDialog::ranksFollowTheTarget()
{
    const auto d = dialog();
    QCOMPARE(d->targetBox()->currentText(), QString("local"));
    QVERIFY(d->processesBox()->isEnabled());
    QVERIFY(!d->nodesBox()->isEnabled());
    QVERIFY(!d->processesPerNodeBox()->isEnabled());
    d->processesBox()->setValue(2);
    QCOMPARE(d->request().processes, 2);

    d->targetBox()->setCurrentText("hpc"); // a Slurm cluster
    QVERIFY(!d->processesBox()->isEnabled());
    QVERIFY(d->nodesBox()->isEnabled());
    QVERIFY(d->processesPerNodeBox()->isEnabled());
    d->nodesBox()->setValue(2);
    d->processesPerNodeBox()->setValue(4);
    compute::TrainRequest r = d->request();
    QCOMPARE(r.target, std::string("hpc"));
    QCOMPARE(r.processes, 1);
    QCOMPARE(r.nodes, 2);
    QCOMPARE(r.processesPerNode, 4);

    d->targetBox()->setCurrentText("gpu"); // an SSH host: one process there
    QVERIFY(!d->processesBox()->isEnabled());
    QVERIFY(!d->nodesBox()->isEnabled());
    r = d->request();
    QCOMPARE(r.nodes, 1);
    QCOMPARE(r.processesPerNode, 1);
    QCOMPARE(r.processes, 1);

    // A request shown again (the page's defaults) sets the ranks and what is enabled.
    compute::TrainRequest wide;
    wide.target = "hpc";
    wide.nodes = 3;
    d->setRequest(wide);
    QVERIFY(d->nodesBox()->isEnabled());
    QCOMPARE(d->request().nodes, 3);
}

void tst_TrainDialog::weightsFromAFileDialog()
{
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const QString weights = dir.filePath("resnet18-f37072fd.pth");
    QFile f(weights);
    QVERIFY(f.open(QIODevice::WriteOnly));
    f.write("weights");
    f.close();

    const auto d = dialog();
    // The file dialog that Browse… opens: the test types the file's path into its name field and presses Enter, as a
    // person would, again on each tick until the dialog has closed; after many tries it is rejected, so that a dialog
    // that never takes the file fails the test instead of hanging it.
    int tries = 0;
    QTimer poll;
    connect(&poll, &QTimer::timeout, this, [&] {
        auto *fd = qobject_cast<QFileDialog *>(QApplication::activeModalWidget());
        if (!fd)
            return;
        if (++tries > 1000) {
            QMetaObject::invokeMethod(fd, "reject");
            return;
        }
        auto *name = fd->findChild<QLineEdit *>("fileNameEdit");
        if (!name)
            return;
        name->setText(weights); // typed into the file name field, then Enter (Open)
        QTest::keyClick(name, Qt::Key_Return);
    });
    poll.start(20);
    d->initBrowseButton()->click(); // returns once the file dialog closed
    poll.stop();
    QVERIFY(tries > 0);
    QCOMPARE(d->initEdit()->text(), weights);

    d->modelBox()->setCurrentText("resnet18");
    d->freezeBox()->setCurrentText("backbone");
    d->backboneLrScaleBox()->setValue(0.1);
    const compute::TrainRequest r = d->request();
    QCOMPARE(QString::fromStdString(r.init), weights);
    QCOMPARE(r.freeze, std::string("backbone"));
    QCOMPARE(r.backboneLrScale, 0.1);
    d->accept();
    QCOMPARE(d->result(), int(QDialog::Accepted));
}

void tst_TrainDialog::badWeightsKeepTheDialogOpen()
{
    const auto d = dialog();
    // Freezing a random backbone: the parser's rule, shown with the field's label.
    d->freezeBox()->setCurrentText("backbone");
    d->accept();
    QVERIFY(d->isVisible());
    QVERIFY2(d->errorLabel()->text().startsWith("Freeze: backbone needs init"), qPrintable(d->errorLabel()->text()));

    // A weights file that is not there: named, and the field gets the focus.
    d->freezeBox()->setCurrentText("none");
    d->initEdit()->setText("/nonexistent/resnet18.pth");
    d->accept();
    QVERIFY(d->isVisible());
    QCOMPARE(d->errorLabel()->text(), QString("Pretrained weights: '/nonexistent/resnet18.pth' is not a file."));
    QTRY_COMPARE(QApplication::focusWidget(), static_cast<QWidget *>(d->initEdit()));
}

QTEST_MAIN(tst_TrainDialog)
#include "tst_traindialog.moc"
