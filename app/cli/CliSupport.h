// Shared by the CLI's command files: the command table's types, a handler's Context, usage errors, JSON output,
// progress on stderr.
#pragma once

#include "app/cli/Cli.h"
#include "core/store/Workspace.h"

#include <QJsonDocument>
#include <QString>
#include <QStringList>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include <unistd.h>

namespace pw::cli {

/** Set by SIGINT/SIGTERM: long commands stop cleanly. */
extern std::atomic<bool> g_cancel;

struct UsageError
{
    QString message;
};

inline void printJson(const QJsonDocument &doc)
{
    std::fputs(doc.toJson(QJsonDocument::Indented).constData(), stdout);
    std::fflush(stdout);
}

// Progress lines on stderr: redrawn in place on a terminal, a line every few seconds otherwise.
class ProgressPrinter
{
public:
    explicit ProgressPrinter(std::string what)
        : m_what(std::move(what))
        , m_tty(isatty(STDERR_FILENO))
    {
    }
    ~ProgressPrinter()
    {
        if (m_tty && m_drawn)
            std::fputc('\n', stderr);
    }
    void update(long long done, long long total, const std::string &extra = {})
    {
        const auto now = std::chrono::steady_clock::now();
        if (!m_tty && done < total && now - m_last < std::chrono::seconds(3))
            return;
        m_last = now;
        const double pct = total > 0 ? 100.0 * double(done) / double(total) : 100.0;
        std::fprintf(stderr, "%s%s: %lld/%lld (%.0f%%)%s%s", m_tty ? "\r" : "", m_what.c_str(), done, total, pct,
                     extra.c_str(), m_tty ? "   " : "\n");
        std::fflush(stderr);
        m_drawn = true;
    }

private:
    std::string m_what;
    bool m_tty;
    bool m_drawn = false;
    std::chrono::steady_clock::time_point m_last{};
};

/** What a command does with its workspace. Only commands that put something into a workspace may create one. */
enum class WorkspaceUse
{
    None,
    MustExist,
    MayCreate
};

class Context;
using Handler = int (*)(const Context &);

/**
 * A command or subcommand of the table (CliTable.cpp): a command has either a handler or subcommands. Dispatch,
 * option parsing, usage errors, `help`, `help --json` and the man page all read this, so they cannot drift.
 */
struct Command
{
    const char *name;
    const char *arguments = ""; // positional arguments: "SOURCE", "[FILE]", "RUN RUN...", "NAME ALIAS [VERSION]"
    const char *description = "";
    std::vector<Option> options = {};
    Handler handler = nullptr;
    WorkspaceUse workspace = WorkspaceUse::MustExist;
    const char *json = nullptr; // what --json prints
    std::vector<Command> subcommands = {};
    bool hidden = false; // for pipewright's own use: left out of the help listings
};

/** The commands, in the order `pipewright help` lists them. */
const std::vector<Command> &commandTable();
/** The options every command takes: --workspace DIR, --json, --help. */
const std::vector<Option> &commonOptions();
/** The command `name` of the table, or its subcommand `sub` when `sub` is given; nullptr when there is none. */
const Command *findInTable(const QString &name, const QString &sub = {});

/** A command's arguments after parsing against its table entry. */
struct ParsedArguments
{
    std::map<QString, QStringList> options; // every option given, with its values (a flag: one empty value)
    QStringList positional;
};

/**
 * The absolute workspace folder from --workspace (`named`) or the default. A command that only reads needs an
 * existing workspace (std::runtime_error naming the folder otherwise); one that writes may create it and says so
 * on stderr; the folder is named on stderr when the user did not name it. (Cli.cpp)
 */
std::string checkedWorkspaceRoot(WorkspaceUse use, const std::optional<QString> &named);

/** A handler's view of its command line: the options and positional arguments its table entry allowed. */
class Context
{
public:
    /** `sub` is empty for a command without subcommands. */
    Context(const Command &command, QString path, const QString &sub, ParsedArguments parsed)
        : m_command(command)
        , m_path(std::move(path))
        , m_options(std::move(parsed.options))
        , m_positional(std::move(parsed.positional))
    {
        if (!sub.isEmpty())
            m_positional.prepend(sub); // as handlers read it: the subcommand first
    }
    const Command &command() const { return m_command; }
    /** "catalog history": the command and subcommand. */
    const QString &path() const { return m_path; }
    bool json() const { return isSet("json"); }
    bool isSet(const QString &o) const { return !given(o).isEmpty(); }
    /** The option's value (the last one given); empty when it is not set. */
    QString value(const QString &o) const { return given(o).isEmpty() ? QString() : given(o).last(); }
    QStringList values(const QString &o) const { return given(o); }
    /** The options given (without dashes), in name order. */
    QStringList optionNames() const
    {
        QStringList names;
        for (const auto &[name, values] : m_options)
            names << name;
        return names;
    }
    /** Whether `o` is a flag (an option without a value) of this command. */
    bool isFlag(const QString &o) const
    {
        for (const Option &option : m_command.options) {
            if (o == QLatin1String(option.name))
                return option.value == nullptr;
        }
        return false;
    }
    /** The positional arguments; for a subcommand the first is the subcommand's name. */
    const QStringList &positional() const { return m_positional; }
    long long intValue(const QString &o, long long def, long long min) const
    {
        if (!isSet(o))
            return def;
        bool ok = false;
        const long long v = value(o).toLongLong(&ok);
        if (!ok || v < min)
            throw UsageError{"--" + o + ": '" + value(o) + "' is not a whole number >= " + QString::number(min)};
        return v;
    }
    /**
     * The workspace folder, absolute, as the table's workspace use for this command says: a command that only
     * reads fails when no workspace is there (naming the folder); one that writes may create it and says so; the
     * folder is named when --workspace was not given.
     */
    std::string workspaceRoot() const
    {
        if (m_root.empty())
            m_root = checkedWorkspaceRoot(m_command.workspace,
                                          isSet("workspace") ? std::optional(value("workspace")) : std::nullopt);
        return m_root;
    }
    void expectPositional(int min, int max, const char *what) const
    {
        if (m_positional.size() < min)
            throw UsageError{QString("missing ") + what};
        if (m_positional.size() > max)
            throw UsageError{"unexpected argument '" + m_positional.value(max) + "'"};
    }

private:
    // The values of an option the table gives this command; asking for any other is a mistake in the handler.
    const QStringList &given(const QString &o) const
    {
        static const QStringList none;
        const auto it = m_options.find(o);
        if (it != m_options.end())
            return it->second;
        const auto declared = [&](const std::vector<Option> &list) {
            return std::any_of(list.begin(), list.end(), [&](const Option &d) { return o == QLatin1String(d.name); });
        };
        if (!declared(m_command.options) && !declared(commonOptions()))
            throw std::logic_error("pipewright " + m_path.toStdString() + " reads --" + o.toStdString()
                                   + ", which its entry in the command table does not declare");
        return none;
    }

    const Command &m_command;
    QString m_path;
    std::map<QString, QStringList> m_options;
    QStringList m_positional;
    mutable std::string m_root;
};

// The handlers of the command table. Cli.cpp:
int cmdIngest(const Context &c);
int cmdCatalogHistory(const Context &c);
int cmdCatalogStats(const Context &c);
int cmdCatalogRejected(const Context &c);
int cmdDemoData(const Context &c);
int cmdDemo(const Context &c);
int cmdTrain(const Context &c);
int cmdRunsList(const Context &c);
int cmdRunsShow(const Context &c);
int cmdRunsCompare(const Context &c);
int cmdRunsTag(const Context &c);
int cmdRunsNote(const Context &c);
int cmdRunsAttach(const Context &c);
int cmdEvaluate(const Context &c);
// CliHelp.cpp
int cmdHelp(const Context &c);
// CliModels.cpp
int cmdModelsRegister(const Context &c);
int cmdModelsList(const Context &c);
int cmdModelsTransition(const Context &c);
int cmdModelsHistory(const Context &c);
int cmdModelsAlias(const Context &c);
int cmdModelsExport(const Context &c);
int cmdConfig(const Context &c);
int cmdScore(const Context &c);
int cmdPredictionsExport(const Context &c);
int cmdReviewList(const Context &c);
int cmdReviewLabel(const Context &c);
int cmdReviewAccept(const Context &c);
int cmdReviewSkip(const Context &c);
int cmdReviewCommit(const Context &c);
int cmdReviewExport(const Context &c);
int cmdReviewImport(const Context &c);
// CliPipeline.cpp
int cmdPipelineValidate(const Context &c);
int cmdPipelineRun(const Context &c);
int cmdPipelineRunTask(const Context &c);
int cmdPipelineRuns(const Context &c);
int cmdPipelineShow(const Context &c);
int cmdPipelineRepair(const Context &c);
int cmdPipelineCancel(const Context &c);
int cmdPipelineImportDatabricks(const Context &c);
int cmdPipelineExportDatabricks(const Context &c);
// CliSchedule.cpp
int cmdScheduleNext(const Context &c);
int cmdScheduleInstall(const Context &c);
int cmdScheduleUninstall(const Context &c);
int cmdSchedulePause(const Context &c);
int cmdScheduleResume(const Context &c);
int cmdScheduler(const Context &c);
// CliTargets.cpp
int cmdTargetsAdd(const Context &c);
int cmdTargetsList(const Context &c);
int cmdTargetsRemove(const Context &c);
int cmdTargetsTest(const Context &c);

} // namespace pw::cli
