// OpenSSH client invocation: quoting, options, and ssh's failures put into words (see Ssh.h).
#include "core/compute/Ssh.h"

#include <QElapsedTimer>
#include <QProcess>

namespace pw::compute::ssh {

QString program()
{
    const QString env = qEnvironmentVariable("PIPEWRIGHT_SSH");
    return env.isEmpty() ? QStringLiteral("ssh") : env;
}

QString shellQuote(const QString &arg)
{
    QString out = QStringLiteral("'");
    for (const QChar c : arg) {
        if (c == u'\'')
            out += QStringLiteral("'\\''");
        else
            out += c;
    }
    return out + u'\'';
}

QString remoteCommand(const QStringList &argv)
{
    QStringList quoted;
    quoted.reserve(argv.size());
    for (const QString &a : argv)
        quoted << shellQuote(a);
    return quoted.join(u' ');
}

QStringList arguments(const Target &target, const QStringList &remoteArgv)
{
    QStringList args;
    const QString config = qEnvironmentVariable("PIPEWRIGHT_SSH_CONFIG");
    if (!config.isEmpty())
        args << "-F" << config;
    // The first value ssh obtains for an option wins, and the command line comes before every ssh_config:
    // these cannot be turned off by a configuration file.
    args << "-o"
         << "BatchMode=yes"
         << "-o"
         << "StrictHostKeyChecking=yes"
         << "-o"
         << "ConnectTimeout=10"
         << "-o"
         << "ServerAliveInterval=5"
         << "-o"
         << "ServerAliveCountMax=3"
         << "-o"
         << "ForwardAgent=no"
         << "-o"
         << "ForwardX11=no"
         << "-o"
         << "RequestTTY=no"
         << "-o"
         << "LogLevel=ERROR";
    if (target.port > 0)
        args << "-p" << QString::number(target.port);
    if (!target.identity.empty())
        args << "-i" << QString::fromStdString(target.identity) << "-o"
             << "IdentitiesOnly=yes";
    // "--" ends ssh's options: a destination can never be read as one.
    args << "--" << QString::fromStdString(target.destination()) << remoteCommand(remoteArgv);
    return args;
}

Result run(const Target &target, const QStringList &remoteArgv, const QByteArray &input, int timeoutMs)
{
    Result r;
    QProcess p;
    p.start(program(), arguments(target, remoteArgv));
    if (!p.waitForStarted(10000)) {
        r.err = ("cannot start '" + program() + "': " + p.errorString()).toUtf8();
        return r;
    }
    r.started = true;
    if (!input.isEmpty())
        p.write(input);
    p.closeWriteChannel();
    QElapsedTimer clock;
    clock.start();
    while (p.state() != QProcess::NotRunning) {
        p.waitForReadyRead(100);
        r.out += p.readAllStandardOutput();
        r.err += p.readAllStandardError();
        if (clock.elapsed() > timeoutMs) {
            r.timedOut = true;
            p.kill();
            p.waitForFinished(5000);
            break;
        }
    }
    p.waitForFinished(1000);
    r.out += p.readAllStandardOutput();
    r.err += p.readAllStandardError();
    r.exitCode = r.timedOut ? -1 : (p.exitStatus() == QProcess::CrashExit ? -1 : p.exitCode());
    if (r.timedOut)
        r.err += "\n(ssh was stopped after " + QByteArray::number(timeoutMs / 1000) + " s)";
    return r;
}

bool isPermanentFailure(const QByteArray &e)
{
    return e.contains("Host key verification failed") || e.contains("REMOTE HOST IDENTIFICATION HAS CHANGED")
           || e.contains("Permission denied") || e.contains("Could not resolve hostname")
           || e.contains("Too many authentication failures");
}

QString explainFailure(const Target &t, const QByteArray &stderrText)
{
    const QString raw = QString::fromUtf8(stderrText).trimmed();
    const QString where = QString::fromStdString(t.name) + " (" + QString::fromStdString(t.url()) + ")";
    const QString port = t.port > 0 ? " -p " + QString::number(t.port) : QString();
    if (stderrText.contains("REMOTE HOST IDENTIFICATION HAS CHANGED"))
        return "refused to connect to " + where
               + ": its host key has CHANGED since it was recorded in known_hosts. This can be an attack "
                 "(someone in the middle) or a reinstalled host. Check the new key's fingerprint with the host's "
                 "administrator; if it is right, remove the old entry (ssh-keygen -R "
               + (t.port > 0 ? "'[" + QString::fromStdString(t.host) + "]:" + QString::number(t.port) + "'"
                             : QString::fromStdString(t.host))
               + ") and accept the new one as for an unknown host. ssh said: " + raw.section(u'\n', -3);
    if (stderrText.contains("Host key verification failed") || stderrText.contains("host key is known"))
        return "refused to connect to " + where
               + ": its host key is not in known_hosts, and Pipewright always checks host keys. To accept it, "
                 "connect once yourself and compare the fingerprint (ssh"
               + port + " " + QString::fromStdString(t.destination()) + " true), or add it with: ssh-keyscan" + port
               + " " + QString::fromStdString(t.host)
               + " >> ~/.ssh/known_hosts (then check it with ssh-keygen -lf ~/.ssh/known_hosts)";
    if (stderrText.contains("Permission denied") || stderrText.contains("Too many authentication failures"))
        return "cannot log in to " + where + ": the host refused the key"
               + (t.identity.empty() ? QString(" (the keys of your ssh agent and ~/.ssh)")
                                     : " (" + QString::fromStdString(t.identity) + ")")
               + ". Add your public key to ~/.ssh/authorized_keys there, or name the key with --identity. ssh said: "
               + raw;
    if (stderrText.contains("Connection refused"))
        return "cannot connect to " + where
               + ": connection refused (no SSH server listening on that port). ssh said: " + raw;
    if (stderrText.contains("Could not resolve hostname"))
        return "cannot connect to " + where + ": the host name does not resolve. ssh said: " + raw;
    if (stderrText.contains("timed out") || stderrText.contains("Timeout"))
        return "cannot connect to " + where + ": the connection timed out. ssh said: " + raw;
    if (stderrText.contains("No route to host") || stderrText.contains("Network is unreachable"))
        return "cannot connect to " + where + ": the host cannot be reached. ssh said: " + raw;
    return "ssh to " + where + " failed" + (raw.isEmpty() ? QString() : ": " + raw);
}

} // namespace pw::compute::ssh
