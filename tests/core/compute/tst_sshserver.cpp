// The sshd test fixture (tests/SshServer) seen through the plain OpenSSH client, with the options Pipewright
// passes (BatchMode, strict host key checking): a login, each way a connection is refused, stop().
#include <QElapsedTimer>
#include <QFile>
#include <QProcess>
#include <QTest>

#include "tests/SshServer.h"

#include <algorithm>

using namespace pw;

namespace {

struct SshResult
{
    int exitCode = -1;
    QString out;
    QString err;
};

// True while `pid` runs (a zombie, which waits for its parent to collect it, has ended).
bool alive(int pid)
{
    QFile f(QStringLiteral("/proc/%1/stat").arg(pid));
    if (!f.open(QIODevice::ReadOnly))
        return false;
    const QByteArray stat = f.readAll();
    return stat.mid(stat.lastIndexOf(')') + 2, 1) != "Z";
}

enum class HostKey
{
    Trusted,
    Unknown,
    Wrong
};
enum class Key
{
    User,
    NotAuthorized
};

} // namespace

Q_DECLARE_METATYPE(HostKey)
Q_DECLARE_METATYPE(Key)

class tst_SshServer : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void connect_data();
    void connect();
    void roundTripTime();
    void stopEndsSshdAndItsConnections();

private:
    QStringList sshArgs(const QString &config, int port, const QStringList &extra, const QString &command) const;
    SshResult ssh(const QStringList &args) const;
    test::SshServer m_server;
};

void tst_SshServer::initTestCase()
{
    QVERIFY2(m_server.start(), qPrintable(m_server.errorString()));
    QVERIFY(m_server.isRunning());
    QVERIFY(m_server.port() > 1024);
    QCOMPARE(m_server.url(), QStringLiteral("ssh://%1@127.0.0.1:%2").arg(m_server.user()).arg(m_server.port()));
}

// The options Pipewright's remote execution passes (see core/compute): -F, BatchMode, strict host keys.
QStringList tst_SshServer::sshArgs(const QString &config, int port, const QStringList &extra,
                                   const QString &command) const
{
    QStringList args{
        "-F", config, "-o", "BatchMode=yes", "-o", "StrictHostKeyChecking=yes", "-p", QString::number(port)};
    args += extra;
    args << m_server.host() << command;
    return args;
}

SshResult tst_SshServer::ssh(const QStringList &args) const
{
    QProcess p;
    p.setStandardInputFile(QProcess::nullDevice());
    p.start("ssh", args);
    SshResult r;
    if (!p.waitForFinished(30000)) {
        p.kill();
        p.waitForFinished();
        r.err = "ssh did not finish within 30 s: " + p.errorString();
        return r;
    }
    r.exitCode = p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -1;
    r.out = QString::fromLocal8Bit(p.readAllStandardOutput());
    r.err = QString::fromLocal8Bit(p.readAllStandardError());
    return r;
}

void tst_SshServer::connect_data()
{
    QTest::addColumn<HostKey>("hostKey");
    QTest::addColumn<Key>("key");
    QTest::addColumn<bool>("refusedPort");
    QTest::addColumn<int>("exitCode");
    QTest::addColumn<QString>("out");
    QTest::addColumn<QString>("errContains");

    QTest::newRow("trusted host key and user key log in") << HostKey::Trusted << Key::User << false << 0 << "hello\n"
                                                          << "";
    // "No ED25519 host key is known for [127.0.0.1]:PORT and you have requested strict checking."
    QTest::newRow("unknown host key") << HostKey::Unknown << Key::User << false << 255 << ""
                                      << "Host key verification failed.";
    QTest::newRow("changed host key") << HostKey::Wrong << Key::User << false << 255 << ""
                                      << "REMOTE HOST IDENTIFICATION HAS CHANGED";
    QTest::newRow("key not in authorized_keys") << HostKey::Trusted << Key::NotAuthorized << false << 255 << ""
                                                << "Permission denied";
    QTest::newRow("nothing listening") << HostKey::Trusted << Key::User << true << 255 << ""
                                       << "Connection refused";
}

void tst_SshServer::connect()
{
    QFETCH(HostKey, hostKey);
    QFETCH(Key, key);
    QFETCH(bool, refusedPort);
    QFETCH(int, exitCode);
    QFETCH(QString, out);
    QFETCH(QString, errContains);

    switch (hostKey) {
    case HostKey::Trusted: QVERIFY2(m_server.trustHostKey(), qPrintable(m_server.errorString())); break;
    case HostKey::Unknown: QVERIFY2(m_server.forgetHostKey(), qPrintable(m_server.errorString())); break;
    case HostKey::Wrong: QVERIFY2(m_server.trustWrongHostKey(), qPrintable(m_server.errorString())); break;
    }
    QString config = m_server.clientConfigPath();
    QStringList extra;
    if (key == Key::NotAuthorized) {
        const QString other = m_server.otherUserKey();
        QVERIFY2(!other.isEmpty(), qPrintable(m_server.errorString()));
        // As Pipewright does for a target with an identity file; the config without the user key, since
        // -i adds to the config's IdentityFile instead of replacing it.
        config = m_server.clientConfigPath(test::SshServer::Identity::None);
        extra << "-i" << other << "-o"
              << "IdentitiesOnly=yes";
    }
    const int port = refusedPort ? test::SshServer::freePortWithNothingListening() : m_server.port();
    QVERIFY(port > 0);

    const SshResult r = ssh(sshArgs(config, port, extra, "echo hello"));
    const QByteArray context = ("ssh stderr: " + r.err + "\nsshd log:\n" + m_server.stderrLog()).toLocal8Bit();
    QVERIFY2(r.exitCode == exitCode, context.constData());
    QCOMPARE(r.out, out);
    if (errContains.isEmpty())
        QVERIFY2(r.err.isEmpty(), context.constData());
    else
        QVERIFY2(r.err.contains(errContains), context.constData());
}

// One `ssh ... true` over loopback: key exchange, public key login, a command, exit. Reported, not judged:
// the budget (<= 2 s of remote overhead per run) includes more than one round trip.
void tst_SshServer::roundTripTime()
{
    QVERIFY(m_server.trustHostKey());
    const QStringList args = sshArgs(m_server.clientConfigPath(), m_server.port(), {}, "true");
    QList<qint64> ms;
    for (int i = 0; i < 7; ++i) {
        QElapsedTimer t;
        t.start();
        const SshResult r = ssh(args);
        ms.append(t.elapsed());
        QVERIFY2(r.exitCode == 0, qPrintable(r.err));
    }
    std::sort(ms.begin(), ms.end());
    qInfo("ssh ... true round trip over loopback: median %lld ms (min %lld, max %lld, %lld runs)", ms.at(ms.size() / 2),
          ms.first(), ms.last(), qint64(ms.size()));
}

// A command still running when the server stops ends with the connection, and the port is closed after.
void tst_SshServer::stopEndsSshdAndItsConnections()
{
    test::SshServer server;
    QVERIFY2(server.start(), qPrintable(server.errorString()));
    QVERIFY(server.trustHostKey());
    QProcess p;
    p.setStandardInputFile(QProcess::nullDevice());
    // The remote shell prints its pid and becomes `sleep`, which would not notice a closed connection.
    p.start("ssh", sshArgs(server.clientConfigPath(), server.port(), {}, "echo $$; exec sleep 60"));
    QVERIFY2(p.waitForReadyRead(10000), p.readAllStandardError().constData());
    bool isPid = false;
    const int remotePid = p.readAllStandardOutput().trimmed().toInt(&isPid);
    QVERIFY(isPid);
    QVERIFY(alive(remotePid));

    QElapsedTimer t;
    t.start();
    server.stop();
    QVERIFY(!server.isRunning());
    QVERIFY2(p.waitForFinished(10000), "the ssh client outlived the server");
    QVERIFY2(t.elapsed() < 10000, "stop() took 10 s or more");
    QCOMPARE(p.exitCode(), 255);
    QTRY_VERIFY2_WITH_TIMEOUT(!alive(remotePid), "the remote command outlived the server", 60000);

    const SshResult r = ssh(sshArgs(server.clientConfigPath(), server.port(), {}, "true"));
    QCOMPARE(r.exitCode, 255);
    QVERIFY2(r.err.contains("Connection refused"), qPrintable(r.err));
}

QTEST_GUILESS_MAIN(tst_SshServer)
#include "tst_sshserver.moc"
