// QProcess-based local worker: line-buffered event parsing, cancel with SIGTERM then SIGKILL; several ranks of
// one data-parallel training on this host.
#include "core/compute/WorkerProcess.h"

#include <QCoreApplication>
#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QFileInfo>
#include <QJsonDocument>
#include <QProcess>
#include <QStandardPaths>

#include <memory>
#include <vector>

#include <arpa/inet.h>
#include <csignal>
#include <cstring>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

namespace pw::compute {

namespace {
constexpr int kKillGraceMs = 20000;
constexpr int kStderrTailBytes = 4000;

// Splits a worker's stdout into lines: JSON objects go to onEvent (the "finished" one is kept in the result),
// other lines to onLog.
class EventLines
{
public:
    EventLines(WorkerExit &result, const std::function<void(const QJsonObject &)> &onEvent,
               const std::function<void(const QString &)> &onLog)
        : m_result(result)
        , m_onEvent(onEvent)
        , m_onLog(onLog)
    {
    }

    void feed(const QByteArray &bytes)
    {
        m_pending += bytes;
        qsizetype nl;
        while ((nl = m_pending.indexOf('\n')) >= 0) {
            const QByteArray line = m_pending.left(nl).trimmed();
            m_pending.remove(0, nl + 1);
            if (line.isEmpty())
                continue;
            QJsonParseError err{};
            const QJsonDocument doc = QJsonDocument::fromJson(line, &err);
            if (err.error == QJsonParseError::NoError && doc.isObject()) {
                const QJsonObject event = doc.object();
                if (event.value("event").toString() == "finished")
                    m_result.finished = event;
                if (m_onEvent)
                    m_onEvent(event);
            } else if (m_onLog) {
                m_onLog(QString::fromUtf8(line));
            }
        }
    }

private:
    WorkerExit &m_result;
    const std::function<void(const QJsonObject &)> &m_onEvent;
    const std::function<void(const QString &)> &m_onLog;
    QByteArray m_pending;
};

} // namespace

QString workerPath()
{
    const QString env = qEnvironmentVariable("PIPEWRIGHT_WORKER");
    if (!env.isEmpty())
        return env;
    const QString beside = QCoreApplication::applicationDirPath() + "/pipewright-worker";
    if (QFileInfo(beside).isExecutable())
        return beside;
    const QString onPath = QStandardPaths::findExecutable("pipewright-worker");
    return onPath.isEmpty() ? beside : onPath;
}

WorkerExit runWorker(const QStringList &args, const std::function<void(const QJsonObject &)> &onEvent,
                     const std::atomic<bool> *cancel, const std::function<void(const QString &)> &onLog,
                     const std::function<void(qint64)> &onStarted)
{
    WorkerExit result;
    QProcess process;
    process.setProgram(workerPath());
    process.setArguments(args);
    process.start();
    if (!process.waitForStarted(30000)) {
        result.error = "cannot start the worker '" + process.program() + "': " + process.errorString();
        return result;
    }
    result.started = true;
    if (onStarted)
        onStarted(process.processId());

    EventLines lines(result, onEvent, onLog);
    QByteArray stderrTail;
    auto drain = [&] {
        lines.feed(process.readAllStandardOutput());
        stderrTail += process.readAllStandardError();
        if (stderrTail.size() > kStderrTailBytes)
            stderrTail = stderrTail.right(kStderrTailBytes);
    };

    QElapsedTimer sinceTerm;
    bool termSent = false;
    while (process.state() != QProcess::NotRunning) {
        process.waitForReadyRead(100);
        drain();
        if (cancel && cancel->load() && !termSent) {
            process.terminate(); // SIGTERM: the worker checkpoints after the current batch
            termSent = true;
            result.cancelled = true;
            sinceTerm.start();
        }
        if (termSent && sinceTerm.elapsed() > kKillGraceMs) {
            process.kill();
            process.waitForFinished(5000);
        }
    }
    process.waitForFinished(1000);
    drain();
    result.crashed = process.exitStatus() == QProcess::CrashExit;
    result.exitCode = process.exitCode();
    if (result.crashed || result.exitCode != 0)
        result.error = QString::fromUtf8(stderrTail).trimmed();
    return result;
}

namespace {

// A TCP port free on the loopback now (the kernel's pick), for rank 0's rendezvous; 0 when none could be had.
quint16 freeLocalPort()
{
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0)
        return 0;
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t length = sizeof addr;
    quint16 port = 0;
    if (::bind(fd, reinterpret_cast<sockaddr *>(&addr), sizeof addr) == 0
        && ::getsockname(fd, reinterpret_cast<sockaddr *>(&addr), &length) == 0)
        port = ntohs(addr.sin_port);
    ::close(fd);
    return port;
}

// The last non-empty line of a log file.
QString lastLine(const QString &path)
{
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly))
        return {};
    f.seek(std::max<qint64>(0, f.size() - kStderrTailBytes));
    const QList<QByteArray> lines = f.readAll().trimmed().split('\n');
    return lines.isEmpty() ? QString() : QString::fromUtf8(lines.last().trimmed());
}

// The ranks of one training on this host, each a QProcess; rank 0's stdout is piped, the rest goes to logs.
class Ranks
{
public:
    Ranks(int count, const QString &logDir)
        : m_logDir(logDir)
    {
        for (int r = 0; r < count; ++r)
            m_processes.push_back(std::make_unique<QProcess>());
        m_ended.assign(std::size_t(count), false);
    }

    QString logPath(int rank) const { return m_logDir + "/rank-" + QString::number(rank) + ".log"; }
    QProcess &operator[](int rank) { return *m_processes[std::size_t(rank)]; }
    int count() const { return int(m_processes.size()); }

    // Starts every rank; false (with `error`) when one could not start (those started are killed).
    bool start(const QStringList &args, quint16 port, QString &error)
    {
        for (int r = 0; r < count(); ++r) {
            QProcess &p = (*this)[r];
            QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
            env.insert("RANK", QString::number(r));
            env.insert("WORLD_SIZE", QString::number(count()));
            env.insert("LOCAL_RANK", QString::number(r));
            env.insert("MASTER_ADDR", "127.0.0.1");
            env.insert("MASTER_PORT", QString::number(port));
            p.setProcessEnvironment(env);
            p.setProgram(workerPath());
            p.setArguments(args);
            p.setStandardErrorFile(logPath(r), QIODevice::Append);
            if (r > 0) // a rank other than 0 writes no events: anything on its stdout is a log line
                p.setStandardOutputFile(logPath(r), QIODevice::Append);
            p.start();
            if (!p.waitForStarted(30000)) {
                error = "cannot start the worker '" + p.program() + "' (rank " + QString::number(r)
                        + "): " + p.errorString();
                killAll();
                return false;
            }
        }
        return true;
    }

    // Waits up to `ms` for rank 0's output or, once it has ended, for another rank to end.
    void wait(int ms)
    {
        for (int r = 0; r < count(); ++r) {
            if (m_ended[std::size_t(r)])
                continue;
            QProcess &p = (*this)[r];
            (void)(r == 0 ? p.waitForReadyRead(ms) : p.waitForFinished(ms));
            return;
        }
    }

    bool anyRunning()
    {
        for (int r = 0; r < count(); ++r) {
            if (!m_ended[std::size_t(r)])
                return true;
        }
        return false;
    }

    // The ranks that ended since the last call (their exit is known).
    std::vector<int> newlyEnded()
    {
        std::vector<int> out;
        for (int r = 0; r < count(); ++r) {
            QProcess &p = (*this)[r];
            if (m_ended[std::size_t(r)] || (p.state() != QProcess::NotRunning && !p.waitForFinished(0)))
                continue;
            m_ended[std::size_t(r)] = true;
            out.push_back(r);
        }
        return out;
    }

    void terminateAll()
    {
        for (int r = 0; r < count(); ++r) {
            if (!m_ended[std::size_t(r)])
                (*this)[r].terminate();
        }
    }

    void killAll()
    {
        for (int r = 0; r < count(); ++r) {
            QProcess &p = (*this)[r];
            if (p.state() != QProcess::NotRunning) {
                p.kill();
                p.waitForFinished(5000);
            }
        }
    }

    // How rank `r` ended, when that fails the run: "rank 1 exited with signal 9 (Killed)", "rank 1 exited with
    // exit 1: <its last stderr line>"; empty for a clean end (0, or 3 after a stop the caller asked for).
    QString failure(int r, bool stopping)
    {
        QProcess &p = (*this)[r];
        const QString who = "rank " + QString::number(r) + " exited with ";
        if (p.exitStatus() == QProcess::CrashExit)
            return who + "signal " + QString::number(p.exitCode()) + " (" + QString::fromUtf8(strsignal(p.exitCode()))
                   + ")";
        if (p.exitCode() == 0 || (stopping && p.exitCode() == 3))
            return {};
        const QString line = lastLine(logPath(r));
        return who + "exit " + QString::number(p.exitCode()) + (line.isEmpty() ? QString() : ": " + line);
    }

private:
    QString m_logDir;
    std::vector<std::unique_ptr<QProcess>> m_processes;
    std::vector<bool> m_ended;
};

// Of the ranks that failed at the same moment, the one that caused it: a signal before an exit, and a rank that
// failed on its own before one whose exchange with the others failed (it lost a peer).
int culprit(const std::vector<std::pair<int, QString>> &failed)
{
    auto score = [](const QString &how) {
        return how.contains(" with signal ") ? 0 : how.contains("with the other ranks failed") ? 2 : 1;
    };
    int best = -1;
    for (std::size_t i = 0; i < failed.size(); ++i) {
        if (best < 0 || score(failed[i].second) < score(failed[std::size_t(best)].second))
            best = int(i);
    }
    return best;
}

} // namespace

WorkerExit runWorkerRanks(const QStringList &args, int ranks, const QString &logDir,
                          const std::function<void(const QJsonObject &)> &onEvent, const std::atomic<bool> *cancel,
                          const std::function<void(const QString &)> &onLog,
                          const std::function<void(qint64)> &onStarted)
{
    WorkerExit result;
    const quint16 port = freeLocalPort();
    if (port == 0 || !QDir().mkpath(logDir)) {
        result.error = port == 0 ? "no free TCP port on 127.0.0.1 for the ranks' rendezvous"
                                 : "cannot create '" + logDir + "'";
        return result;
    }
    Ranks set(ranks, logDir);
    if (!set.start(args, port, result.error))
        return result;
    result.started = true;
    if (onStarted)
        onStarted(set[0].processId());
    EventLines lines(result, onEvent, onLog);
    QElapsedTimer sinceTerm;
    bool stopping = false;
    while (set.anyRunning()) {
        set.wait(100);
        lines.feed(set[0].readAllStandardOutput());
        std::vector<std::pair<int, QString>> failed;
        for (int r : set.newlyEnded()) {
            if (const QString how = set.failure(r, stopping); !how.isEmpty())
                failed.emplace_back(r, how);
        }
        if (!failed.empty() && result.failedRank < 0 && !result.cancelled) {
            const auto &[rank, how] = failed[std::size_t(culprit(failed))];
            result.failedRank = rank;
            result.error = how;
        }
        const bool cancelNow = cancel && cancel->load() && !result.cancelled;
        if ((result.failedRank >= 0 || cancelNow) && !stopping) {
            set.terminateAll(); // SIGTERM: the ranks checkpoint together, or fail at once without their peer
            stopping = true;
            sinceTerm.start();
        }
        result.cancelled = result.cancelled || cancelNow;
        if (stopping && sinceTerm.elapsed() > kKillGraceMs)
            set.killAll();
    }
    lines.feed(set[0].readAllStandardOutput());
    result.crashed = set[0].exitStatus() == QProcess::CrashExit;
    result.exitCode = set[0].exitCode();
    return result;
}

} // namespace pw::compute
