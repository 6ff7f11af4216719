// A real one-node Slurm cluster for tests (see SlurmCluster.h); the recipe is in STACK.md.
#include "tests/SlurmCluster.h"

#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QProcess>
#include <QThread>

#include <algorithm>
#include <csignal>
#include <netinet/in.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <unistd.h>

namespace pw::test {

namespace {

constexpr int kStartTimeoutMs = 30000;

// A port the kernel hands out on 127.0.0.1 (free until someone binds it).
int freePort()
{
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return 0;
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    int port = 0;
    if (::bind(fd, reinterpret_cast<sockaddr *>(&a), sizeof a) == 0
        && ::getsockname(fd, reinterpret_cast<sockaddr *>(&a), &len) == 0)
        port = ntohs(a.sin_port);
    ::close(fd);
    return port;
}

QByteArray readAll(const QString &path)
{
    QFile f(path);
    return f.open(QIODevice::ReadOnly) ? f.readAll() : QByteArray();
}

} // namespace

SlurmCluster::SlurmCluster()
{
    m_cpus = std::max(1, int(::sysconf(_SC_NPROCESSORS_ONLN)));
}

SlurmCluster::~SlurmCluster()
{
    stop();
}

bool SlurmCluster::writeConfig()
{
    const QString d = m_dir.path();
    const int ctldPort = freePort();
    int dPort = freePort();
    while (dPort == ctldPort)
        dPort = freePort();
    const QString conf = QStringLiteral("ClusterName=pwtest\n"
                                        "SlurmctldHost=localhost\n"
                                        "SlurmctldPort=%2\n"
                                        "SlurmdPort=%3\n"
                                        "SlurmUser=%4\n"
                                        "AuthType=auth/munge\n"
                                        "AuthInfo=socket=%1/munge/munge.sock,cred_expire=20\n"
                                        "StateSaveLocation=%1/state\n"
                                        "SlurmdSpoolDir=%1/spool\n"
                                        "SlurmctldPidFile=%1/slurmctld.pid\n"
                                        "SlurmdPidFile=%1/slurmd.pid\n"
                                        "SlurmctldLogFile=%1/slurmctld.log\n"
                                        "SlurmdLogFile=%1/slurmd.log\n"
                                        "ProctrackType=proctrack/linuxproc\n"
                                        "TaskPlugin=task/none\n"
                                        "SelectType=select/cons_tres\n"
                                        "SelectTypeParameters=CR_Core\n"
                                        "MpiDefault=none\n"
                                        "ReturnToService=2\n"
                                        "MailProg=/bin/true\n"
                                        "JobAcctGatherType=jobacct_gather/none\n"
                                        "AccountingStorageType=accounting_storage/none\n"
                                        "JobCompType=jobcomp/filetxt\n"
                                        "JobCompLoc=%1/jobcomp.txt\n"
                                        "SchedulerParameters=sched_interval=1\n"
                                        "KillWait=5\n"
                                        "NodeName=localhost NodeAddr=127.0.0.1 CPUs=%5 RealMemory=1000\n"
                                        "PartitionName=debug Nodes=localhost Default=YES State=UP\n")
                             .arg(d)
                             .arg(ctldPort)
                             .arg(dPort)
                             .arg(QString::fromLocal8Bit(qgetenv("USER").isEmpty() ? "root" : qgetenv("USER")))
                             .arg(m_cpus);
    QFile f(confPath());
    if (!f.open(QIODevice::WriteOnly | QIODevice::Truncate) || f.write(conf.toUtf8()) != conf.toUtf8().size()) {
        m_error = "cannot write " + confPath();
        return false;
    }
    return true;
}

bool SlurmCluster::startDaemon(const QString &program, const QStringList &args, const QString &log)
{
    auto p = std::make_unique<QProcess>();
    p->setStandardInputFile(QProcess::nullDevice());
    p->setStandardOutputFile(m_dir.filePath(log));
    p->setStandardErrorFile(m_dir.filePath(log), QIODevice::Append);
    // A test process that dies (a crash, ctest's timeout kill) takes the daemons with it.
    p->setChildProcessModifier([] { ::prctl(PR_SET_PDEATHSIG, SIGTERM); });
    p->start(program, args);
    if (!p->waitForStarted(10000)) {
        m_error = "cannot start " + program + ": " + p->errorString();
        return false;
    }
    m_daemons.push_back(std::move(p));
    return true;
}

bool SlurmCluster::start()
{
    if (!m_dir.isValid()) {
        m_error = "cannot create a temporary folder";
        return false;
    }
    const QString d = m_dir.path();
    // munged refuses a socket whose folders are not searchable by everyone (QTemporaryDir makes 0700).
    const auto rwxr_xr_x = QFileDevice::ReadOwner | QFileDevice::WriteOwner | QFileDevice::ExeOwner
                           | QFileDevice::ReadGroup | QFileDevice::ExeGroup | QFileDevice::ReadOther
                           | QFileDevice::ExeOther;
    QFile::setPermissions(d, rwxr_xr_x);
    for (const char *sub : {"munge", "state", "spool"})
        QDir(d).mkpath(QString::fromLatin1(sub));
    QFile::setPermissions(d + "/munge", rwxr_xr_x);
    if (QProcess::execute("mungekey", {"--create", "--keyfile=" + d + "/munge/munge.key"}) != 0) {
        m_error = "mungekey --create failed (is munge installed?)";
        return false;
    }
    if (!writeConfig())
        return false;
    m_hadPreviousConf = qEnvironmentVariableIsSet("SLURM_CONF");
    m_previousConf = qgetenv("SLURM_CONF");
    qputenv("SLURM_CONF", confPath().toLocal8Bit());
    m_started = true;
    if (!startDaemon("munged",
                     {"--foreground", "--key-file=" + d + "/munge/munge.key", "--socket=" + d + "/munge/munge.sock",
                      "--pid-file=" + d + "/munge/munged.pid", "--log-file=" + d + "/munge/munged.log",
                      "--seed-file=" + d + "/munge/seed"},
                     "munged.out"))
        return false;
    QElapsedTimer clock;
    clock.start();
    while (!QFile::exists(d + "/munge/munge.sock") && clock.elapsed() < kStartTimeoutMs)
        QThread::msleep(20);
    if (!startDaemon("slurmctld", {"-D", "-i", "-f", confPath()}, "slurmctld.out")
        || !startDaemon("slurmd", {"-D", "-N", "localhost", "-f", confPath()}, "slurmd.out"))
        return false;
    while (clock.elapsed() < kStartTimeoutMs) {
        if (client("sinfo", {"-h", "-o", "%T"}).trimmed() == "idle")
            return true;
        if (std::any_of(m_daemons.begin(), m_daemons.end(),
                        [](const auto &p) { return p->state() == QProcess::NotRunning; }))
            break; // one of them gave up: its log says why
        QThread::msleep(100);
    }
    m_error = "the Slurm node did not become idle (a daemon exited, or 30 s passed)";
    for (const char *log :
         {"munged.out", "munge/munged.log", "slurmctld.out", "slurmctld.log", "slurmd.out", "slurmd.log"})
        m_error += QString("\n--- %1:\n").arg(log) + QString::fromUtf8(readAll(d + "/" + log).right(1500));
    return false;
}

void SlurmCluster::stop()
{
    if (!m_started)
        return;
    if (m_daemons.size() == 3) {
        // Jobs first: their processes run under slurmstepd, which is no child of ours.
        client("scancel",
               {"--full", "--user=" + QString::fromLocal8Bit(qgetenv("USER").isEmpty() ? "root" : qgetenv("USER"))});
        QElapsedTimer clock;
        clock.start();
        while (!jobs().isEmpty() && clock.elapsed() < 20000)
            QThread::msleep(100);
    }
    for (auto it = m_daemons.rbegin(); it != m_daemons.rend(); ++it) {
        QProcess &p = **it;
        if (p.state() == QProcess::NotRunning)
            continue;
        p.terminate();
        if (!p.waitForFinished(10000)) {
            p.kill();
            p.waitForFinished(5000);
        }
    }
    m_daemons.clear();
    if (m_hadPreviousConf)
        qputenv("SLURM_CONF", m_previousConf);
    else
        qunsetenv("SLURM_CONF");
    m_started = false;
}

QByteArray SlurmCluster::client(const QString &program, const QStringList &args, int *exitCode, QByteArray *err) const
{
    QProcess p;
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.insert("SLURM_CONF", confPath());
    p.setProcessEnvironment(env);
    p.start(program, args);
    p.waitForFinished(60000);
    if (exitCode)
        *exitCode = p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -1;
    if (err)
        *err = p.readAllStandardError();
    return p.readAllStandardOutput();
}

QString SlurmCluster::jobState(const QString &jobId) const
{
    const QString line = QString::fromUtf8(client("scontrol", {"show", "job", "-o", jobId}));
    const auto at = line.indexOf(" JobState=");
    return at < 0 ? QString() : line.mid(at + 10).section(u' ', 0, 0);
}

QStringList SlurmCluster::jobs() const
{
    return QString::fromUtf8(client("squeue", {"-h", "-o", "%i"})).split(u'\n', Qt::SkipEmptyParts);
}

} // namespace pw::test
