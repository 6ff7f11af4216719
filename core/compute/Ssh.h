// The system's OpenSSH client, as the user has it configured, with host keys always checked.
#pragma once

#include "core/compute/Targets.h"

#include <QByteArray>
#include <QString>
#include <QStringList>

namespace pw::compute::ssh {

/** The ssh program: $PIPEWRIGHT_SSH, else "ssh" on PATH. */
QString program();

/** `arg` quoted for a POSIX shell: 'text', with each ' written as '\''. */
QString shellQuote(const QString &arg);
/** The remote command line for `argv`: every argument quoted, joined by spaces (ssh hands one string to the
 *  remote login shell, so nothing is ever interpolated). */
QString remoteCommand(const QStringList &argv);

/**
 * The arguments of `ssh` that run `remoteArgv` on the target: BatchMode (never a prompt), strict host key
 * checking (there is no way to turn it off: the command line's option wins over any ssh_config), keep-alives
 * that notice a dead link in ~15 s, the target's port and identity, -F $PIPEWRIGHT_SSH_CONFIG when set.
 */
QStringList arguments(const Target &target, const QStringList &remoteArgv);

/** The outcome of one ssh command. exitCode 255: ssh itself failed (connection, host key, authentication). */
struct Result
{
    bool started = false;
    bool timedOut = false;
    int exitCode = -1;
    QByteArray out;
    QByteArray err;
};

/** Runs `remoteArgv` on the target, feeding `input` to its stdin; kills ssh after `timeoutMs`. */
Result run(const Target &target, const QStringList &remoteArgv, const QByteArray &input = {}, int timeoutMs = 60000);

/**
 * What went wrong, in words, from ssh's stderr: an unknown host key (and how to accept it), a changed host key
 * (refused), a refused or timed-out connection, a failed authentication; otherwise the stderr itself.
 */
QString explainFailure(const Target &target, const QByteArray &stderrText);
/** True when stderr says the failure will not go away by retrying (host key or authentication). */
bool isPermanentFailure(const QByteArray &stderrText);

} // namespace pw::compute::ssh
