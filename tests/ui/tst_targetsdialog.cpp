// The compute targets dialog against a real sshd (tests/SshServer) and a real one-node Slurm (tests/SlurmCluster):
// a refused form, a target added, tested and removed, a failing test shown in words, and a Slurm cluster added with
// its sbatch options and tested (its partitions shown).
#include "core/compute/Targets.h"
#include "core/compute/WorkerProcess.h"
#include "core/store/Database.h"
#include "core/store/Workspace.h"
#include "tests/SlurmCluster.h"
#include "tests/SshServer.h"
#include "ui/compute/SlurmFields.h"
#include "ui/compute/TargetsDialog.h"

#include <QLabel>
#include <QLineEdit>
#include <QSignalSpy>
#include <QSpinBox>
#include <QTableWidget>
#include <QTemporaryDir>
#include <QTest>

using namespace pw;

class tst_TargetsDialog : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void refusedFormAddsNothing();
    void addTestAndRemove();
    void failingTestIsExplained();
    void slurmClusterAddedAndTested();

private:
    std::vector<std::string> names() const;
    void fill(ui::TargetsDialog &d, const QString &name, const QString &url, const QString &workdir,
              const QString &worker);
    static bool select(ui::TargetsDialog &d, const QString &name);

    QTemporaryDir m_dir;
    test::SshServer m_sshd;
    QString m_root;
};

void tst_TargetsDialog::initTestCase()
{
    QVERIFY(m_dir.isValid());
    QVERIFY2(m_sshd.start(), qPrintable(m_sshd.errorString()));
    QVERIFY(m_sshd.trustHostKey());
    qputenv("PIPEWRIGHT_SSH_CONFIG", m_sshd.clientConfigPath().toUtf8());
    m_root = m_dir.filePath("ws");
    store::Workspace::open(m_root.toStdString());
}

std::vector<std::string> tst_TargetsDialog::names() const
{
    auto db = store::Workspace::open(m_root.toStdString()).openCatalog();
    return compute::targetNames(*db);
}

void tst_TargetsDialog::fill(ui::TargetsDialog &d, const QString &name, const QString &url, const QString &workdir,
                             const QString &worker)
{
    d.nameEdit()->setText(name);
    d.urlEdit()->setText(url);
    d.workdirEdit()->setText(workdir);
    d.workerEdit()->setText(worker);
}

bool tst_TargetsDialog::select(ui::TargetsDialog &d, const QString &name)
{
    for (int r = 0; r < d.table()->rowCount(); ++r) {
        if (d.table()->item(r, 0)->text() == name) {
            d.table()->selectRow(r);
            return true;
        }
    }
    return false;
}

void tst_TargetsDialog::refusedFormAddsNothing()
{
    ui::TargetsDialog d(m_root);
    QCOMPARE(d.table()->rowCount(), 1); // local
    fill(d, "box", "http://host", "/w", {});
    QVERIFY(!d.addFromForm());
    // The errors name the dialog's fields as labelled, never a CLI option (--workdir).
    QVERIFY2(d.statusLabel()->text().startsWith("SSH URL 'http://host' is not ssh://"),
             qPrintable(d.statusLabel()->text()));
    fill(d, "box", m_sshd.url(), "relative", {});
    QVERIFY(!d.addFromForm());
    QVERIFY2(d.statusLabel()->text().startsWith("Workdir 'relative': give an absolute folder"),
             qPrintable(d.statusLabel()->text()));
    fill(d, "bad name!", m_sshd.url(), "/w", {});
    QVERIFY(!d.addFromForm());
    QVERIFY2(d.statusLabel()->text().startsWith("Name 'bad name!': use letters"), qPrintable(d.statusLabel()->text()));
    QVERIFY2(!d.statusLabel()->text().contains("--"), qPrintable(d.statusLabel()->text()));
    QCOMPARE(names(), std::vector<std::string>{"local"});
    QCOMPARE(d.table()->rowCount(), 1);
    QVERIFY(select(d, "local"));
    QVERIFY(!d.removeSelected());
    QVERIFY2(d.statusLabel()->text().contains("cannot be removed"), qPrintable(d.statusLabel()->text()));
}

void tst_TargetsDialog::addTestAndRemove()
{
    ui::TargetsDialog d(m_root);
    fill(d, "box", m_sshd.url(), m_dir.filePath("remote"), compute::workerPath());
    QVERIFY2(d.addFromForm(), qPrintable(d.statusLabel()->text()));
    QCOMPARE(names(), (std::vector<std::string>{"local", "box"}));
    QCOMPARE(d.table()->rowCount(), 2);
    QVERIFY(d.nameEdit()->text().isEmpty()); // the form is cleared for the next one

    QVERIFY(select(d, "box"));
    QSignalSpy tested(&d, &ui::TargetsDialog::testFinished);
    d.testSelected();
    QVERIFY(d.statusLabel()->text().contains("Testing box")); // the GUI thread did not wait for ssh
    QVERIFY(tested.wait(60000));
    QCOMPARE(tested.first().at(0).toString(), QString("box"));
    QCOMPARE(tested.first().at(1).toString(), QString());
    QVERIFY2(d.statusLabel()->text().contains("box is reachable") && d.statusLabel()->text().contains("devices: cpu"),
             qPrintable(d.statusLabel()->text()));

    QVERIFY(select(d, "box"));
    QVERIFY(d.removeSelected());
    QCOMPARE(names(), std::vector<std::string>{"local"});
    QCOMPARE(d.table()->rowCount(), 1);
}

void tst_TargetsDialog::failingTestIsExplained()
{
    ui::TargetsDialog d(m_root);
    fill(d, "stranger", m_sshd.url(), "/w", compute::workerPath());
    QVERIFY(d.addFromForm());
    QVERIFY(m_sshd.forgetHostKey());
    QVERIFY(select(d, "stranger"));
    QSignalSpy tested(&d, &ui::TargetsDialog::testFinished);
    d.testSelected();
    QVERIFY(tested.wait(60000));
    QVERIFY(m_sshd.trustHostKey());
    const QString error = tested.first().at(1).toString();
    QVERIFY2(error.contains("not in known_hosts"), qPrintable(error));
    QVERIFY(d.statusLabel()->text().contains(error));
}

void tst_TargetsDialog::slurmClusterAddedAndTested()
{
    test::SlurmCluster cluster;
    QVERIFY2(cluster.start(), qPrintable(cluster.errorString()));
    ui::TargetsDialog d(m_root);
    ui::SlurmFields *slurm = d.slurmFields();
    fill(d, "hpc", m_sshd.url(), m_dir.filePath("cluster"), compute::workerPath());
    QVERIFY(!slurm->isEnabled()); // an ssh:// URL: no sbatch options
    d.urlEdit()->setText("slurm:");
    QVERIFY(slurm->isEnabled());

    // A time limit sbatch would not take: named by the field's label.
    slurm->timeEdit()->setText("2h");
    QVERIFY(!d.addFromForm());
    QVERIFY2(d.statusLabel()->text().startsWith("Time limit '2h'"), qPrintable(d.statusLabel()->text()));
    QVERIFY2(!d.statusLabel()->text().contains("--time"), qPrintable(d.statusLabel()->text()));

    slurm->timeEdit()->setText("00:30:00");
    slurm->partitionEdit()->setText("debug");
    slurm->cpusPerTaskBox()->setValue(1);
    slurm->sbatchArgsEdit()->setText("--exclusive --comment=pipewright");
    QVERIFY2(d.addFromForm(), qPrintable(d.statusLabel()->text()));
    {
        auto db = store::Workspace::open(m_root.toStdString()).openCatalog();
        const compute::Target t = compute::findTarget(*db, "hpc");
        QVERIFY(t.isSlurm());
        QCOMPARE(t.slurm.partition, std::string("debug"));
        QCOMPARE(t.slurm.time, std::string("00:30:00"));
        QCOMPARE(t.slurm.cpusPerTask, 1);
        QCOMPARE(t.slurm.gpusPerNode, 0); // not given: the cluster's default
        QCOMPARE(t.slurm.mem, std::string());
        QCOMPARE(t.slurm.sbatchArgs, (std::vector<std::string>{"--exclusive", "--comment=pipewright"}));
    }
    QVERIFY(slurm->timeEdit()->text().isEmpty()); // the form is cleared for the next one
    QVERIFY(select(d, "hpc"));
    const int row = d.table()->currentRow();
    QCOMPARE(d.table()->item(row, 5)->text(),
             QString("partition debug, 00:30:00, 1 CPUs/task, --exclusive, --comment=pipewright"));

    QSignalSpy tested(&d, &ui::TargetsDialog::testFinished);
    d.testSelected();
    QVERIFY(tested.wait(60000));
    QCOMPARE(tested.first().at(1).toString(), QString());
    const QString said = d.statusLabel()->text();
    QVERIFY2(said.contains("hpc is reachable") && said.contains("backend gloo"), qPrintable(said));
    QVERIFY2(said.contains("Cluster pwtest: partition debug (default, up): 1 nodes, 1 idle, 0 allocated"),
             qPrintable(said));
    QVERIFY(select(d, "hpc"));
    QVERIFY(d.removeSelected());
}

QTEST_MAIN(tst_TargetsDialog)
#include "tst_targetsdialog.moc"
