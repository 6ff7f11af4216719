// The CLI's dispatch: finds the command and subcommand in the command table, parses the options that entry takes
// (any other is a usage error naming it), checks its arguments, and runs its handler. Exit codes: 0 ok, 1 failure,
// 2 usage error.
#include "app/cli/Cli.h"
#include "app/cli/CliSupport.h"

#include "core/store/Workspace.h"

#include <QFileInfo>

#include <csignal>
#include <iostream>

namespace pw::cli {

std::atomic<bool> g_cancel{false};

namespace {

void onSignal(int)
{
    g_cancel.store(true);
}

bool isHelpFlag(const QString &a)
{
    return a == "-h" || a == "--help" || a == "-help";
}

// An option on the command line: "--table", "--table=x", "-table" (as Qt's parser reads a single dash), "-h".
struct OptionArgument
{
    QString name;
    std::optional<QString> inlineValue;
};

// The option `a` names; nothing for a positional argument ("-" alone is one) or for "--".
std::optional<OptionArgument> optionArgument(const QString &a)
{
    if (a.size() < 2 || !a.startsWith('-') || a == "--")
        return std::nullopt;
    if (a == "-h")
        return OptionArgument{"help", std::nullopt};
    const QString body = a.mid(a.startsWith("--") ? 2 : 1);
    const int eq = body.indexOf('=');
    if (eq >= 0)
        return OptionArgument{body.left(eq), body.mid(eq + 1)};
    return OptionArgument{body, std::nullopt};
}

const Option *findOption(const std::vector<Option> &options, const QString &name)
{
    for (const Option &o : options) {
        if (name == QLatin1String(o.name))
            return &o;
    }
    return nullptr;
}

// The option of `command` (or a common one) named `name`; nullptr when it takes none such.
const Option *optionOf(const Command &command, const QString &name)
{
    const Option *o = findOption(command.options, name);
    return o ? o : findOption(commonOptions(), name);
}

// Whether any command of the table takes `--name VALUE` (`--name` then takes the next argument as its value).
bool anyTakesValue(const Command &command, const QString &name)
{
    if (const Option *o = optionOf(command, name); o && o->value)
        return true;
    return std::any_of(command.subcommands.begin(), command.subcommands.end(),
                       [&](const Command &s) { return anyTakesValue(s, name); });
}

// "a, b or c" (`conjunction` "or"), "a and b".
QString listed(const QStringList &names, const char *conjunction = "or")
{
    if (names.size() < 2)
        return names.join("");
    return names.mid(0, names.size() - 1).join(", ") + " " + conjunction + " " + names.last();
}

// An option `command` does not take: named, with the subcommands beside it that do take it.
UsageError notTaken(const Command *group, const QString &path, const QString &name)
{
    const auto takes = [&](const Command &c) {
        return findOption(c.options, name)
               || std::any_of(c.subcommands.begin(), c.subcommands.end(),
                              [&](const Command &s) { return findOption(s.options, name) != nullptr; });
    };
    if (std::none_of(commandTable().begin(), commandTable().end(), takes))
        return UsageError{"unknown option '--" + name + "'"};
    QStringList siblings;
    for (const Command &s : group ? group->subcommands : std::vector<Command>{}) {
        if (!s.hidden && findOption(s.options, name))
            siblings << QString::fromUtf8(group->name) + " " + QString::fromUtf8(s.name);
    }
    return UsageError{path + " does not take --" + name
                      + (siblings.isEmpty()
                             ? QString()
                             : " (" + listed(siblings, "and") + (siblings.size() > 1 ? " do)" : " does)"))};
}

// The arguments of `command` (`path`: "catalog history"; `group`: "catalog") after its name: its options and its
// positional arguments.
ParsedArguments parseArguments(const Command &command, const Command *group, const QString &path,
                               const QStringList &args)
{
    ParsedArguments parsed;
    bool optionsEnded = false;
    for (int i = 0; i < args.size(); ++i) {
        const QString &a = args.at(i);
        const auto option = optionsEnded ? std::nullopt : optionArgument(a);
        if (!option) {
            if (a == "--" && !optionsEnded)
                optionsEnded = true;
            else
                parsed.positional << a;
            continue;
        }
        const Option *o = optionOf(command, option->name);
        if (!o)
            throw notTaken(group, path, option->name);
        QString value;
        if (o->value && option->inlineValue)
            value = *option->inlineValue;
        else if (o->value && i + 1 < args.size())
            value = args.at(++i);
        else if (o->value)
            throw UsageError{"--" + option->name + " needs a value (--" + option->name + " "
                             + QString::fromUtf8(o->value) + ")"};
        else if (option->inlineValue)
            throw UsageError{"--" + option->name + " takes no value"};
        parsed.options[option->name] << value; // a flag: one empty value
    }
    return parsed;
}

// The positional arguments the table gives `command` ("NAME ALIAS [VERSION]", "RUN RUN...") and its required options.
void checkArguments(const Command &command, const QString &path, const ParsedArguments &parsed)
{
    const QString spec = QString::fromUtf8(command.arguments);
    const QStringList tokens = spec.split(' ', Qt::SkipEmptyParts);
    QStringList required;
    bool unbounded = false;
    for (const QString &t : tokens) {
        if (!t.startsWith('['))
            required << (t.endsWith("...") ? t.chopped(3) : t);
        unbounded = unbounded || t.endsWith("...");
    }
    const auto given = parsed.positional.size();
    if (given < required.size())
        throw UsageError{"missing " + required.mid(given).join(' ') + " (pipewright " + path + " " + spec + ")"};
    if (!unbounded && given > tokens.size())
        throw UsageError{"unexpected argument '" + parsed.positional.at(tokens.size()) + "'"};
    for (const Option &o : command.options) {
        if (o.required && !parsed.options.count(QString::fromUtf8(o.name)))
            throw UsageError{"missing --" + QString::fromUtf8(o.name) + " " + QString::fromUtf8(o.value) + " ("
                             + QString::fromUtf8(o.help) + ")"};
    }
}

// The index in `args` of the subcommand: the first argument that is neither an option nor an option's value (as
// any subcommand of `group` takes it); -1 when there is none.
int subcommandIndex(const Command &group, const QStringList &args)
{
    for (int i = 0; i < args.size(); ++i) {
        const auto option = optionArgument(args.at(i));
        if (args.at(i) == "--")
            return i + 1 < args.size() ? i + 1 : -1;
        if (!option)
            return i;
        if (!option->inlineValue && anyTakesValue(group, option->name))
            ++i;
    }
    return -1;
}

// The subcommand of `group` in `args` (taken out of them); throws a usage error when it is missing or unknown.
const Command &subcommand(const Command &group, QStringList &args)
{
    const int at = subcommandIndex(group, args);
    const QString name = at < 0 ? QString() : args.at(at);
    for (const Command &s : group.subcommands) {
        if (name == QLatin1String(s.name)) {
            args.removeAt(at);
            return s;
        }
    }
    QStringList names;
    for (const Command &s : group.subcommands) {
        if (!s.hidden)
            names << QString::fromUtf8(s.name);
    }
    const QString command = QString::fromUtf8(group.name);
    if (name.isEmpty())
        throw UsageError{"missing the " + command + " command (" + listed(names) + ")"};
    throw UsageError{"unknown " + command + " command '" + name + "' (expected " + listed(names) + ")"};
}

int findCommandIndex(const QStringList &args)
{
    for (int i = 1; i < args.size(); ++i) {
        const QString &a = args.at(i);
        const auto option = optionArgument(a);
        if (!option)
            return i;
        const Option *o = findOption(commonOptions(), option->name);
        if (!o)
            o = findOption(workbenchOptions(), option->name);
        if (o && o->value && !option->inlineValue)
            ++i; // skip the option's value
    }
    return -1;
}

// Parses `args` (after the command's name) against `command`'s entry and runs its handler.
int dispatch(const Command &command, QStringList args, QString &path)
{
    const Command *leaf = &command;
    QString sub;
    if (!command.subcommands.empty()) {
        try {
            leaf = &subcommand(command, args);
        } catch (const UsageError &) {
            if (std::any_of(args.begin(), args.end(), isHelpFlag)) {
                std::cout << helpText(path).toStdString();
                return kSuccess;
            }
            throw;
        }
        sub = QString::fromUtf8(leaf->name);
        path += " " + sub;
    }
    ParsedArguments parsed = parseArguments(*leaf, leaf == &command ? nullptr : &command, path, args);
    if (parsed.options.count("help")) {
        std::cout << helpText(QString::fromUtf8(command.name), sub).toStdString();
        return kSuccess;
    }
    checkArguments(*leaf, path, parsed);
    const Context c(*leaf, path, sub, std::move(parsed));
    return leaf->handler(c);
}

} // namespace

const Command *findInTable(const QString &name, const QString &sub)
{
    for (const Command &c : commandTable()) {
        if (name != QLatin1String(c.name))
            continue;
        if (sub.isEmpty())
            return &c;
        for (const Command &s : c.subcommands) {
            if (sub == QLatin1String(s.name))
                return &s;
        }
        return nullptr;
    }
    return nullptr;
}

QString findCommand(const QStringList &args)
{
    const int i = findCommandIndex(args);
    return i < 0 ? QString() : args.at(i);
}

bool isCommand(const QString &name)
{
    return !name.isEmpty() && findInTable(name);
}

std::string checkedWorkspaceRoot(WorkspaceUse use, const std::optional<QString> &named)
{
    const QString root =
        QFileInfo(named ? *named : QString::fromStdString(store::Workspace::defaultRoot())).absoluteFilePath();
    const QFileInfo folder(root);
    if (use == WorkspaceUse::None || (folder.exists() && !folder.isDir()))
        return root.toStdString(); // opening it says what is wrong with it
    const bool exists = QFileInfo::exists(root + "/catalog.db");
    if (!exists && use == WorkspaceUse::MustExist)
        throw std::runtime_error(
            "no workspace at " + root.toStdString()
            + (named ? std::string() : std::string(" (the default; name one with --workspace DIR)"))
            + ": `pipewright ingest SOURCE --workspace DIR` or `pipewright demo DIR` creates one");
    if (!exists)
        std::cerr << "created workspace " << root.toStdString() << "\n";
    else if (!named)
        std::cerr << "workspace " << root.toStdString() << "\n";
    return root.toStdString();
}

int run(const QStringList &args)
{
    std::signal(SIGINT, onSignal);
    std::signal(SIGTERM, onSignal);
    const int at = findCommandIndex(args);
    const QString name = at < 0 ? QString() : args.at(at);
    const Command *command = name.isEmpty() ? nullptr : findInTable(name);
    if (!command) {
        std::cerr << "pipewright: unknown command '" << name.toStdString() << "'; see `pipewright help`\n";
        return kUsage;
    }
    // The command may follow the common options: "pipewright --json ingest X" and "pipewright ingest X --json".
    QStringList rest = args.mid(1);
    rest.removeAt(at - 1);
    QString path = name;
    try {
        return dispatch(*command, rest, path);
    } catch (const UsageError &e) {
        std::cerr << "pipewright " << path.toStdString() << ": " << e.message.toStdString() << "\nsee `pipewright help "
                  << path.toStdString() << "`\n";
        return kUsage;
    } catch (const std::exception &e) {
        std::cerr << "pipewright " << path.toStdString() << ": error: " << e.what() << "\n";
        return kFailure;
    }
}

} // namespace pw::cli
