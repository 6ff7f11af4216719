// Headless command dispatch: `pipewright COMMAND [SUBCOMMAND] [options]`, from the command table (CliTable.cpp).
#pragma once

#include <QStringList>

#include <vector>

namespace pw::cli {

/** Exit codes of the CLI contract. */
enum ExitCode
{
    kSuccess = 0,
    kFailure = 1,
    kUsage = 2
};

/** One option of a command (or of the workbench): it both parses and prints its help line. */
struct Option
{
    const char *name; // without the dashes
    const char *value = nullptr; // the value's name (--table NAME); nullptr: a flag
    const char *help = "";
    const char *defaultText = nullptr;
    bool required = false;
    bool repeatable = false; // given more than once, every value counts (--param A=1 --param B=2)
};

/** The workbench's own options (without a command): --screenshot FILE, --page PAGE, --pipeline FILE. */
const std::vector<Option> &workbenchOptions();

/** The command named on the command line (the first argument that is not an option or its value); empty when none. */
QString findCommand(const QStringList &args);
/** True for the names `run()` handles. */
bool isCommand(const QString &name);
/** Runs the command in `args` (args[0] is the program); needs a QCoreApplication. Returns the exit code. */
int run(const QStringList &args);
/** The text of `pipewright help [COMMAND [SUBCOMMAND]]`; empty for an unknown command or subcommand. */
QString helpText(const QString &command = {}, const QString &sub = {});

} // namespace pw::cli
