// Shared by the CLI's command files: argument parsing, usage errors, JSON output, progress on stderr.
#pragma once

#include "core/store/Workspace.h"

#include <QCommandLineParser>
#include <QJsonDocument>
#include <QString>
#include <QStringList>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <optional>
#include <string>

#include <unistd.h>

namespace pw::cli {

/**
 * The absolute workspace folder for `command` (`sub`: its subcommand), from --workspace or the default. Commands
 * that only read need an existing workspace (std::runtime_error naming the folder otherwise); commands that write
 * may create it and say so on stderr; the folder is named on stderr when the user did not name it. (Cli.cpp)
 */
std::string checkedWorkspaceRoot(const QString &command, const QString &sub, const std::optional<QString> &named);

/** Set by SIGINT/SIGTERM: long commands stop cleanly. */
extern std::atomic<bool> g_cancel;

struct UsageError
{
    QString message;
};

/** Thrown by Context::parse() for --help / -h: the command's help is printed and the exit code is 0. */
struct HelpRequested
{
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

class Context
{
public:
    Context(QString name, const QStringList &args)
        : m_name(std::move(name))
    {
        m_parser.setSingleDashWordOptionMode(QCommandLineParser::ParseAsLongOptions);
        m_parser.addOption({"workspace", "workspace folder", "DIR"});
        m_parser.addOption({"json", "print one JSON document on stdout"});
        m_parser.addOption({{"h", "help"}, "print the command's help"});
        m_args = args;
    }
    void addValueOption(const QString &name, const QString &valueName) { m_parser.addOption({name, name, valueName}); }
    void addFlag(const QString &name) { m_parser.addOption({name, name}); }
    void parse()
    {
        if (!m_parser.parse(m_args))
            throw UsageError{m_parser.errorText()};
        if (m_parser.isSet("help"))
            throw HelpRequested{};
        m_positional = m_parser.positionalArguments();
        m_positional.removeFirst(); // the command itself
    }
    bool json() const { return m_parser.isSet("json"); }
    bool isSet(const QString &o) const { return m_parser.isSet(o); }
    QString value(const QString &o) const { return m_parser.value(o); }
    QStringList values(const QString &o) const { return m_parser.values(o); }
    /** The options given, by the name they were given with. */
    QStringList optionNames() const { return m_parser.optionNames(); }
    const QStringList &positional() const { return m_positional; }
    long long intValue(const QString &o, long long def, long long min) const
    {
        if (!m_parser.isSet(o))
            return def;
        bool ok = false;
        const long long v = m_parser.value(o).toLongLong(&ok);
        if (!ok || v < min)
            throw UsageError{"--" + o + ": '" + m_parser.value(o) + "' is not a whole number >= " + QString::number(min)};
        return v;
    }
    double realValue(const QString &o, double def) const
    {
        if (!m_parser.isSet(o))
            return def;
        bool ok = false;
        const double v = m_parser.value(o).toDouble(&ok);
        if (!ok || !(v > 0))
            throw UsageError{"--" + o + ": '" + m_parser.value(o) + "' is not a positive number"};
        return v;
    }
    /** A number in (0, 1]. */
    double fractionValue(const QString &o, double def) const
    {
        const double v = realValue(o, def);
        if (v > 1)
            throw UsageError{"--" + o + ": '" + m_parser.value(o) + "' must be above 0 and at most 1"};
        return v;
    }
    /**
     * The workspace folder, absolute. A command that only reads fails when no workspace is there (naming the
     * folder); one that writes may create it and says so; the folder is named when --workspace was not given.
     */
    std::string workspaceRoot() const
    {
        if (m_root.empty())
            m_root = checkedWorkspaceRoot(m_name, m_positional.value(0),
                                          m_parser.isSet("workspace") ? std::optional(m_parser.value("workspace")) : std::nullopt);
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
    QString m_name;
    QCommandLineParser m_parser;
    QStringList m_args;
    QStringList m_positional;
    mutable std::string m_root;
};

// The command handlers of CliModels.cpp.
int cmdModels(const QStringList &args);
int cmdScore(const QStringList &args);
int cmdPredictions(const QStringList &args);
int cmdReview(const QStringList &args);
// CliPipeline.cpp
int cmdPipeline(const QStringList &args);
// CliSchedule.cpp
int cmdSchedule(const QStringList &args);
int cmdScheduler(const QStringList &args);
// CliTargets.cpp
int cmdTargets(const QStringList &args);


} // namespace pw::cli
