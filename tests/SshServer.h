// A real OpenSSH server for tests: /usr/sbin/sshd on 127.0.0.1 at a free high port, with generated host and
// user keys and an ssh client config that points the client at them (no ~/.ssh, no agent, no system config).
#pragma once

#include <QString>
#include <QTemporaryDir>

#include <memory>

class QProcess;

namespace pw::test {

/**
 * Starts `sshd -D -e` as a child process on 127.0.0.1 and writes the matching client side (keys,
 * known_hosts, an ssh_config for `ssh -F`). Everything lives in one temporary folder removed with the object.
 *
 * The OpenSSH client takes ~/.ssh from the passwd entry, not from $HOME, so tests must reach the server
 * through clientConfigPath() (`ssh -F`, or PIPEWRIGHT_SSH_CONFIG for Pipewright) and never through defaults.
 *
 * Logins are for the current user only (user()): as root, sshd may log in anyone but the keys are root's;
 * unprivileged, sshd can only log in the user that runs it. Remote commands run under the user's login shell
 * with sshd's environment (default PATH, no LD_LIBRARY_PATH, nothing from the test): use absolute paths.
 *
 * Not thread-safe; use it from the test's thread. stop() (and the destructor) ends sshd and every process
 * below it (the per-connection sshd processes and the remote commands they run): a test that checks that
 * nothing was left running remotely must look before stop().
 */
class SshServer
{
public:
    /** Which identity the client config carries. */
    enum class Identity
    {
        UserKey, ///< IdentityFile userKeyPath(): `ssh -F clientConfigPath()` logs in
        None, ///< no usable IdentityFile: only a key given with `-i` is offered (the "wrong key" tests)
    };

    SshServer();
    ~SshServer();
    SshServer(const SshServer &) = delete;
    SshServer &operator=(const SshServer &) = delete;

    /**
     * Generates the keys, writes sshd_config and ssh_config, starts sshd and waits (up to 15 s) until it
     * listens. Returns false with errorString() (which quotes sshd's log) when it cannot; typical use:
     * `QVERIFY2(ssh.start(), qPrintable(ssh.errorString()));`. The host key is not trusted yet: call
     * trustHostKey() for a client that should connect.
     */
    [[nodiscard]] bool start();
    /**
     * Sends SIGTERM to every process below sshd (per-connection processes, remote commands), then to sshd
     * (SIGKILL after 5 s), and waits for sshd. Idempotent.
     */
    void stop();
    /** Lines added to sshd_config by the next start(), e.g. "SetEnv SLURM_CONF=/tmp/…/slurm.conf\n". */
    void addConfig(const QString &lines) { m_extraConfig += lines; }
    /** True while sshd runs. */
    bool isRunning() const;
    /** Why start() or a key helper failed. */
    QString errorString() const { return m_error; }

    int port() const { return m_port; }
    /** "127.0.0.1" */
    QString host() const;
    /** The login name of the current (effective) user: the only user the server is set up for. */
    QString user() const { return m_user; }
    /** "ssh://USER@127.0.0.1:PORT" */
    QString url() const;
    /** The temporary folder that holds the keys, configs and log. */
    QString dirPath() const { return m_dir.path(); }

    /**
     * An ssh_config for `ssh -F`: Host * with UserKnownHostsFile knownHostsPath(), GlobalKnownHostsFile
     * /dev/null, IdentitiesOnly yes, IdentityAgent none, User user(), ConnectTimeout 5, LogLevel ERROR, and
     * IdentityFile userKeyPath() for Identity::UserKey. With Identity::None, `-i KEY` offers KEY alone (with
     * UserKey, `-i` would add KEY to the config's IdentityFile, and the user key would still log in).
     */
    QString clientConfigPath(Identity identity = Identity::UserKey) const;
    /** The private key in sshd's authorized_keys (ed25519, no passphrase). */
    QString userKeyPath() const;
    /** The client's known_hosts file; empty after start(). */
    QString knownHostsPath() const;
    /** Everything sshd (and its per-connection processes) wrote to stderr, LogLevel VERBOSE. */
    QString stderrLog() const;

    /** Writes known_hosts with the server's real host key: "[127.0.0.1]:PORT ssh-ed25519 AAAA…". */
    bool trustHostKey();
    /** Empties known_hosts: strict checking then refuses with "No ED25519 host key is known for …". */
    bool forgetHostKey();
    /** Writes known_hosts with another ed25519 key for [127.0.0.1]:PORT ("REMOTE HOST IDENTIFICATION HAS CHANGED"). */
    bool trustWrongHostKey();
    /** A second ed25519 key pair, not in authorized_keys (generated once); returns its private key path, or empty. */
    QString otherUserKey();

    /** A port on 127.0.0.1 where nothing listens, so that connecting is refused; 0 when none could be found. */
    static int freePortWithNothingListening();

private:
    bool generateKey(const QString &path);
    bool writeText(const QString &path, const QByteArray &text);
    bool writeSshdConfig();
    bool writeClientConfigs();
    bool startSshdOnce(bool *portTaken);
    bool knownHostsWith(const QString &publicKeyPath);
    QString path(const char *name) const { return m_dir.filePath(QString::fromLatin1(name)); }

    QTemporaryDir m_dir;
    std::unique_ptr<QProcess> m_sshd;
    qint64 m_pid = 0;
    int m_port = 0;
    QString m_user;
    QString m_error;
    QString m_extraConfig;
};

} // namespace pw::test
