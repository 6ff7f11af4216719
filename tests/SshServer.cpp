// A real sshd for tests (see SshServer.h). POSIX sockets find the ports: the tests link Qt Core, not Network.
#include "tests/SshServer.h"

#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QFileInfo>
#include <QProcess>

#include <arpa/inet.h>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <exception>
#include <mutex>
#include <set>
#include <netinet/in.h>
#include <pwd.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

namespace pw::test {

namespace {

constexpr auto kSshd = "/usr/sbin/sshd";
constexpr auto kSshKeygen = "ssh-keygen";
constexpr auto kHost = "127.0.0.1";
constexpr int kStartTimeoutMs = 15000;
constexpr int kPortAttempts = 5;

sockaddr_in loopback(int port)
{
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(quint16(port));
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    return a;
}

// Binds port 0 on 127.0.0.1 and returns the port the kernel chose (from its ephemeral range, so high);
// the socket is closed, so the port is free until someone else takes it.
int pickFreePort()
{
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return 0;
    sockaddr_in a = loopback(0);
    socklen_t len = sizeof a;
    int port = 0;
    if (::bind(fd, reinterpret_cast<sockaddr *>(&a), sizeof a) == 0
        && ::getsockname(fd, reinterpret_cast<sockaddr *>(&a), &len) == 0)
        port = ntohs(a.sin_port);
    ::close(fd);
    return port;
}

bool canConnect(int port)
{
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return false;
    const sockaddr_in a = loopback(port);
    const bool ok = ::connect(fd, reinterpret_cast<const sockaddr *>(&a), sizeof a) == 0;
    ::close(fd);
    return ok;
}

// Every process below `pid` (sshd's per-connection processes and the commands they run), from /proc/PID/stat.
QList<pid_t> descendantsOf(qint64 pid)
{
    QList<std::pair<pid_t, qint64>> parents; // (process, its parent)
    const QStringList entries = QDir(QStringLiteral("/proc")).entryList(QDir::Dirs | QDir::NoDotAndDotDot);
    for (const QString &e : entries) {
        bool isPid = false;
        const pid_t p = pid_t(e.toLongLong(&isPid));
        if (!isPid)
            continue;
        QFile f(QStringLiteral("/proc/%1/stat").arg(e));
        if (!f.open(QIODevice::ReadOnly))
            continue;
        // "PID (comm) STATE PPID ...": comm may hold spaces and parentheses, so split after the last ')'.
        const QByteArray stat = f.readAll();
        const QList<QByteArray> fields = stat.mid(stat.lastIndexOf(')') + 2).split(' ');
        if (fields.size() > 1)
            parents.append({p, fields.at(1).toLongLong()});
    }
    QList<pid_t> out;
    QList<qint64> frontier{pid};
    while (!frontier.isEmpty()) {
        const qint64 parent = frontier.takeFirst();
        for (const auto &[p, pp] : parents) {
            if (pp == parent && !out.contains(p)) {
                out.append(p);
                frontier.append(p);
            }
        }
    }
    return out;
}

QString currentUserName()
{
    if (const passwd *pw = ::getpwuid(::geteuid()))
        return QString::fromLocal8Bit(pw->pw_name);
    return QString::number(::geteuid());
}

// The servers that run now. A test that ends by std::terminate (an exception that escaped) runs no destructor:
// the terminate handler stops them, so no sshd or remote command outlives a failed test.
std::mutex g_serversMutex;
std::set<SshServer *> g_servers;
std::terminate_handler g_previousTerminate = nullptr;

[[noreturn]] void stopServersAndTerminate()
{
    std::set<SshServer *> servers;
    {
        std::lock_guard lock(g_serversMutex);
        servers = g_servers;
    }
    for (SshServer *s : servers)
        s->stop();
    if (g_previousTerminate)
        g_previousTerminate();
    std::abort();
}

} // namespace

SshServer::SshServer()
    : m_user(currentUserName())
{
    std::lock_guard lock(g_serversMutex);
    if (g_servers.empty() && !g_previousTerminate)
        g_previousTerminate = std::set_terminate(stopServersAndTerminate);
    g_servers.insert(this);
}

SshServer::~SshServer()
{
    stop();
    std::lock_guard lock(g_serversMutex);
    g_servers.erase(this);
}

QString SshServer::host() const
{
    return QString::fromLatin1(kHost);
}

QString SshServer::url() const
{
    return QStringLiteral("ssh://%1@%2:%3").arg(m_user, host()).arg(m_port);
}

QString SshServer::clientConfigPath(Identity identity) const
{
    return path(identity == Identity::UserKey ? "ssh_config" : "ssh_config_noid");
}

QString SshServer::userKeyPath() const
{
    return path("user_ed25519");
}

QString SshServer::knownHostsPath() const
{
    return path("known_hosts");
}

QString SshServer::stderrLog() const
{
    QFile f(path("sshd.log"));
    return f.open(QIODevice::ReadOnly) ? QString::fromLocal8Bit(f.readAll()) : QString();
}

bool SshServer::isRunning() const
{
    return m_sshd && m_sshd->state() != QProcess::NotRunning;
}

bool SshServer::writeText(const QString &file, const QByteArray &text)
{
    QFile f(file);
    if (!f.open(QIODevice::WriteOnly | QIODevice::Truncate) || f.write(text) != text.size()) {
        m_error = QStringLiteral("cannot write %1: %2").arg(file, f.errorString());
        return false;
    }
    return true;
}

bool SshServer::generateKey(const QString &file)
{
    QFile::remove(file); // ssh-keygen asks before overwriting
    QFile::remove(file + QStringLiteral(".pub"));
    QProcess p;
    p.setProcessChannelMode(QProcess::MergedChannels);
    p.start(QString::fromLatin1(kSshKeygen),
            {QStringLiteral("-t"), QStringLiteral("ed25519"), QStringLiteral("-N"), QString(), QStringLiteral("-q"),
             QStringLiteral("-C"), QStringLiteral("pipewright-test"), QStringLiteral("-f"), file});
    if (!p.waitForFinished(30000) || p.exitStatus() != QProcess::NormalExit || p.exitCode() != 0) {
        m_error = QStringLiteral("ssh-keygen -f %1 failed (%2): %3")
                      .arg(file, p.errorString(), QString::fromLocal8Bit(p.readAll()).trimmed());
        return false;
    }
    return true;
}

bool SshServer::writeSshdConfig()
{
    // Defaults we rely on and do not repeat: AcceptEnv empty (no client variables reach the session),
    // PermitUserEnvironment no, UseDNS no. MaxStartups 100: the default 10:30:100 starts dropping
    // connections at random beyond 10 unauthenticated ones, which parallel tests can reach.
    // internal-sftp: scp in OpenSSH >= 9 speaks the sftp protocol by default.
    const QString config = QStringLiteral("ListenAddress %1\n"
                                          "Port %2\n"
                                          "HostKey %3\n"
                                          "AuthorizedKeysFile %4\n"
                                          "PidFile %5\n"
                                          "PubkeyAuthentication yes\n"
                                          "PasswordAuthentication no\n"
                                          "KbdInteractiveAuthentication no\n"
                                          "UsePAM no\n"
                                          "StrictModes no\n"
                                          "PermitRootLogin prohibit-password\n"
                                          "X11Forwarding no\n"
                                          "PrintMotd no\n"
                                          "PrintLastLog no\n"
                                          "MaxStartups 100\n"
                                          "MaxSessions 100\n"
                                          "Subsystem sftp internal-sftp\n"
                                          "LogLevel VERBOSE\n")
                               .arg(host())
                               .arg(m_port)
                               .arg(path("host_ed25519"), path("authorized_keys"), path("sshd.pid"));
    return writeText(path("sshd_config"), (config + m_extraConfig).toLocal8Bit());
}

bool SshServer::writeClientConfigs()
{
    // -F replaces ~/.ssh/config and /etc/ssh/ssh_config. IdentitiesOnly and IdentityAgent none keep an
    // agent's keys and ~/.ssh/id_* out; UpdateHostKeys no keeps the client from rewriting known_hosts.
    const QString common = QStringLiteral("Host *\n"
                                          "  UserKnownHostsFile %1\n"
                                          "  GlobalKnownHostsFile /dev/null\n"
                                          "  UpdateHostKeys no\n"
                                          "  CheckHostIP no\n"
                                          "  HashKnownHosts no\n"
                                          "  IdentitiesOnly yes\n"
                                          "  IdentityAgent none\n"
                                          "  PasswordAuthentication no\n"
                                          "  KbdInteractiveAuthentication no\n"
                                          "  User %2\n"
                                          "  ConnectTimeout 5\n"
                                          "  LogLevel ERROR\n")
                               .arg(knownHostsPath(), m_user);
    // Without any IdentityFile the client falls back to ~/.ssh/id_*; a path that does not exist is
    // skipped silently, so the "none" config offers only what `-i` adds.
    return writeText(clientConfigPath(Identity::UserKey),
                     (common + QStringLiteral("  IdentityFile %1\n").arg(userKeyPath())).toLocal8Bit())
           && writeText(clientConfigPath(Identity::None),
                        (common + QStringLiteral("  IdentityFile %1\n").arg(path("no_such_key"))).toLocal8Bit());
}

bool SshServer::start()
{
    if (isRunning())
        return true;
    m_error.clear();
    if (!m_dir.isValid()) {
        m_error = QStringLiteral("cannot create a temporary folder: %1").arg(m_dir.errorString());
        return false;
    }
    if (!generateKey(path("host_ed25519")) || !generateKey(userKeyPath()))
        return false;
    QFile pub(userKeyPath() + QStringLiteral(".pub"));
    if (!pub.open(QIODevice::ReadOnly)) {
        m_error = QStringLiteral("cannot read %1: %2").arg(pub.fileName(), pub.errorString());
        return false;
    }
    if (!writeText(path("authorized_keys"), pub.readAll()) || !forgetHostKey())
        return false;

    // As root, sshd refuses to start without its privilege separation folder (Debian creates it from
    // sshd's systemd unit, which a container or CI machine never runs); unprivileged sshd does not use it.
    if (::geteuid() == 0 && !QFileInfo::exists(QStringLiteral("/run/sshd"))) {
        if (::mkdir("/run/sshd", 0755) != 0 && errno != EEXIST) {
            m_error = QStringLiteral("cannot create /run/sshd (sshd's privilege separation folder): %1")
                          .arg(QString::fromLocal8Bit(std::strerror(errno)));
            return false;
        }
        ::chmod("/run/sshd", 0755);
    }

    // Another process may take the chosen port between the probe and sshd's bind: pick again.
    for (int attempt = 0; attempt < kPortAttempts; ++attempt) {
        bool portTaken = false;
        if (startSshdOnce(&portTaken))
            return true;
        if (!portTaken)
            return false;
    }
    return false;
}

bool SshServer::startSshdOnce(bool *portTaken)
{
    *portTaken = false;
    m_port = pickFreePort();
    if (m_port == 0) {
        m_error = QStringLiteral("cannot find a free port on 127.0.0.1: %1")
                      .arg(QString::fromLocal8Bit(std::strerror(errno)));
        return false;
    }
    if (!writeSshdConfig() || !writeClientConfigs())
        return false;

    // sshd's log goes to a file, not a pipe: with no event loop running nobody would drain a pipe, and
    // sshd (and every per-connection process, which inherits the descriptor) would block once it is full.
    m_sshd = std::make_unique<QProcess>();
    m_sshd->setStandardInputFile(QProcess::nullDevice());
    m_sshd->setStandardOutputFile(path("sshd.log"), QIODevice::Truncate);
    m_sshd->setStandardErrorFile(path("sshd.log"), QIODevice::Append);
    // A test process that dies (a crash, ctest's timeout kill) takes sshd with it.
    m_sshd->setChildProcessModifier([] { ::prctl(PR_SET_PDEATHSIG, SIGTERM); });
    // sshd re-executes itself for every connection and requires an absolute path to do so.
    m_sshd->start(QString::fromLatin1(kSshd),
                  {QStringLiteral("-D"), QStringLiteral("-e"), QStringLiteral("-f"), path("sshd_config")});
    if (!m_sshd->waitForStarted(10000)) {
        m_error = QStringLiteral("cannot start %1: %2").arg(QString::fromLatin1(kSshd), m_sshd->errorString());
        m_sshd.reset();
        return false;
    }
    m_pid = m_sshd->processId();

    const QString listening = QStringLiteral("Server listening on %1 port %2.").arg(host()).arg(m_port);
    QElapsedTimer timer;
    timer.start();
    while (timer.elapsed() < kStartTimeoutMs) {
        if (m_sshd->state() == QProcess::NotRunning || m_sshd->waitForFinished(25)) {
            const QString log = stderrLog();
            *portTaken = log.contains(QStringLiteral("Address already in use"));
            m_error = QStringLiteral("sshd -D -e -f %1 exited with code %2 before listening on %3:%4; its stderr:\n%5")
                          .arg(path("sshd_config"))
                          .arg(m_sshd->exitCode())
                          .arg(host())
                          .arg(m_port)
                          .arg(log.trimmed());
            m_sshd.reset();
            m_pid = 0;
            return false;
        }
        // The log line rules out another program on the port; the connection proves sshd accepts.
        if (stderrLog().contains(listening) && canConnect(m_port))
            return true;
    }
    m_error = QStringLiteral("sshd -D -e -f %1 did not accept connections on %2:%3 within %4 ms; its stderr:\n%5")
                  .arg(path("sshd_config"), host())
                  .arg(m_port)
                  .arg(kStartTimeoutMs)
                  .arg(stderrLog().trimmed());
    stop();
    return false;
}

void SshServer::stop()
{
    if (!m_sshd)
        return;
    if (m_sshd->state() != QProcess::NotRunning) {
        // Per-connection processes and the commands under them run in sessions of their own (sshd calls
        // setsid), so a signal to sshd's process group would miss them: end the whole tree, found before
        // the first signal (an orphan is adopted by init and could no longer be traced to sshd).
        for (pid_t p : descendantsOf(m_pid))
            ::kill(p, SIGTERM);
        m_sshd->terminate();
        if (!m_sshd->waitForFinished(5000)) {
            m_sshd->kill();
            m_sshd->waitForFinished(5000);
        }
    }
    m_sshd.reset();
    m_pid = 0;
}

bool SshServer::knownHostsWith(const QString &publicKeyPath)
{
    QFile pub(publicKeyPath);
    if (!pub.open(QIODevice::ReadOnly)) {
        m_error = QStringLiteral("cannot read %1: %2").arg(publicKeyPath, pub.errorString());
        return false;
    }
    // "ssh-ed25519 AAAA… comment": the entry is the key type and the key, after the host pattern. A port
    // other than 22 is written "[host]:port".
    const QList<QByteArray> fields = pub.readAll().trimmed().split(' ');
    if (fields.size() < 2) {
        m_error = QStringLiteral("%1 holds no public key").arg(publicKeyPath);
        return false;
    }
    const QByteArray entry = QStringLiteral("[%1]:%2 ").arg(host()).arg(m_port).toLatin1() + fields.at(0) + ' '
                             + fields.at(1) + '\n';
    return writeText(knownHostsPath(), entry);
}

bool SshServer::trustHostKey()
{
    return knownHostsWith(path("host_ed25519.pub"));
}

bool SshServer::forgetHostKey()
{
    return writeText(knownHostsPath(), QByteArray());
}

bool SshServer::trustWrongHostKey()
{
    if (!QFileInfo::exists(path("wrong_host_ed25519.pub")) && !generateKey(path("wrong_host_ed25519")))
        return false;
    return knownHostsWith(path("wrong_host_ed25519.pub"));
}

QString SshServer::otherUserKey()
{
    const QString key = path("other_user_ed25519");
    if (!QFileInfo::exists(key) && !generateKey(key))
        return QString();
    return key;
}

int SshServer::freePortWithNothingListening()
{
    // A port the kernel just handed out and took back: nothing listens there until someone binds it.
    for (int attempt = 0; attempt < kPortAttempts; ++attempt) {
        const int port = pickFreePort();
        if (port != 0 && !canConnect(port))
            return port;
    }
    return 0;
}

} // namespace pw::test
