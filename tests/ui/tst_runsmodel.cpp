// The runs table's rows for runs on compute targets: a Slurm run that waits for its allocation shows QUEUED with
// Slurm's job id, state and reason; its Device says the cluster and the ranks once; an SSH run's device names the host.
#include "ui/experiments/RunsModel.h"

#include <QBrush>
#include <QTest>

using namespace pw;

class tst_RunsModel : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void slurmRunQueuedThenRunning();
    void sshRunNamesItsHost();
};

namespace {

ui::RunRow slurmRun(const std::string &state, const std::string &message, const std::string &device)
{
    ui::RunRow r;
    r.info.runId = "0123456789abcdef0123456789abcdef";
    r.info.status = "RUNNING";
    r.info.device = device;
    r.params = {{"target", "hpc"}};
    r.tags = {{"slurm_job_id", "42"}, {"slurm_state", state}, {"pipewright.status_message", message}};
    return r;
}

QString cell(const ui::RunsModel &m, int column, int role = Qt::DisplayRole)
{
    return m.index(0, column).data(role).toString();
}

} // namespace

void tst_RunsModel::slurmRunQueuedThenRunning()
{
    ui::RunsModel m;
    m.setRuns({slurmRun("PENDING", "queued on debug: Resources", "hpc (slurm, 1×2 ranks)")});
    QCOMPARE(cell(m, ui::RunsModel::StatusColumn), QString("QUEUED"));
    QCOMPARE(cell(m, ui::RunsModel::StatusColumn, Qt::ToolTipRole),
             QString("queued on debug: Resources (Slurm job 42)\nSlurm state: PENDING"));
    QCOMPARE(cell(m, ui::RunsModel::DeviceColumn), QString("hpc (slurm, 1×2 ranks)"));
    const QColor queued = m.index(0, ui::RunsModel::StatusColumn).data(Qt::ForegroundRole).value<QBrush>().color();

    // The job starts: the same row says RUNNING, and the device the worker reported after the cluster's.
    m.updateRuns({slurmRun("RUNNING", "running on localhost (Slurm job 42)", "hpc (slurm, 1×2 ranks): cpu")});
    QCOMPARE(cell(m, ui::RunsModel::StatusColumn), QString("RUNNING"));
    QCOMPARE(cell(m, ui::RunsModel::StatusColumn, Qt::ToolTipRole),
             QString("running on localhost (Slurm job 42)\nSlurm state: RUNNING"));
    QCOMPARE(cell(m, ui::RunsModel::DeviceColumn), QString("hpc (slurm, 1×2 ranks): cpu"));
    const QColor running = m.index(0, ui::RunsModel::StatusColumn).data(Qt::ForegroundRole).value<QBrush>().color();
    QVERIFY(queued != running);
    QCOMPARE(running, ui::runStatusColor("RUNNING"));

    // A requeued job waits again: QUEUED.
    m.updateRuns({slurmRun("REQUEUED", "queued on debug: BeginTime", "hpc (slurm, 1×2 ranks): cpu")});
    QCOMPARE(cell(m, ui::RunsModel::StatusColumn), QString("QUEUED"));
}

void tst_RunsModel::sshRunNamesItsHost()
{
    ui::RunsModel m;
    ui::RunRow r;
    r.info.runId = "fedcba9876543210fedcba9876543210";
    r.info.status = "FINISHED";
    r.info.device = "cuda:0";
    r.params = {{"target", "gpu-box"}};
    m.setRuns({r});
    QCOMPARE(cell(m, ui::RunsModel::DeviceColumn), QString("cuda:0 on gpu-box"));
    QCOMPARE(cell(m, ui::RunsModel::StatusColumn), QString("FINISHED"));
}

QTEST_MAIN(tst_RunsModel)
#include "tst_runsmodel.moc"
