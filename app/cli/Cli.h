// Headless command dispatch: `pipewright COMMAND [options]`.
#pragma once

#include <QStringList>

namespace pw::cli {

/** Exit codes of the CLI contract. */
enum ExitCode { kSuccess = 0, kFailure = 1, kUsage = 2 };

/** The command named on the command line (the first argument that is not an option or its value); empty when none. */
QString findCommand(const QStringList &args);
/** True for the names `run()` handles. */
bool isCommand(const QString &name);
/** Runs the command in `args` (args[0] is the program); needs a QCoreApplication. Returns the exit code. */
int run(const QStringList &args);
/** The text of `pipewright help [COMMAND]`; empty for an unknown command. */
QString helpText(const QString &command = {});

} // namespace pw::cli
