// QProcess-based local worker: line-buffered event parsing, cancel with SIGTERM then SIGKILL.
#include "core/compute/WorkerProcess.h"

#include <QCoreApplication>
#include <QElapsedTimer>
#include <QFileInfo>
#include <QJsonDocument>
#include <QProcess>
#include <QStandardPaths>

namespace pw::compute {

namespace {
constexpr int kKillGraceMs = 20000;
constexpr int kStderrTailBytes = 4000;
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

    QByteArray pending;
    QByteArray stderrTail;
    auto drain = [&] {
        pending += process.readAllStandardOutput();
        qsizetype nl;
        while ((nl = pending.indexOf('\n')) >= 0) {
            const QByteArray line = pending.left(nl).trimmed();
            pending.remove(0, nl + 1);
            if (line.isEmpty())
                continue;
            QJsonParseError err{};
            const QJsonDocument doc = QJsonDocument::fromJson(line, &err);
            if (err.error == QJsonParseError::NoError && doc.isObject()) {
                const QJsonObject event = doc.object();
                if (event.value("event").toString() == "finished")
                    result.finished = event;
                if (onEvent)
                    onEvent(event);
            } else if (onLog) {
                onLog(QString::fromUtf8(line));
            }
        }
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

} // namespace pw::compute
