// `pipewright help`: the help of every command and subcommand, the man page and the table as JSON, all rendered
// from the command table (CliTable.cpp).
#include "app/cli/Cli.h"
#include "app/cli/CliSupport.h"

#include "core/pipeline/Pipeline.h"
#include "core/train/ModelZoo.h"

#include <QJsonArray>
#include <QJsonObject>

#include <iostream>

namespace pw::cli {

namespace {

constexpr int kWidth = 110; // help lines wrap here
constexpr int kHelpColumn = 25; // where an option's help starts, after its indent

QString text(const char *s)
{
    return QString::fromUtf8(s ? s : "");
}

// `words` wrapped to lines of at most `width` characters, each but the first starting with `indent` spaces.
QString wrap(const QString &words, int indent, int width)
{
    QString out, line;
    for (const QString &word : words.split(' ', Qt::SkipEmptyParts)) {
        if (!line.isEmpty() && line.size() + 1 + word.size() > width) {
            out += line + "\n" + QString(indent, ' ');
            line.clear();
        }
        line += (line.isEmpty() ? "" : " ") + word;
    }
    return out + line;
}

// Each line of `block` with `indent` spaces in front (empty lines stay empty).
QString indented(const QString &block, int indent)
{
    QStringList lines = block.split('\n');
    for (QString &line : lines) {
        if (!line.isEmpty())
            line.prepend(QString(indent, ' '));
    }
    return lines.join('\n');
}

// A description with MODELS (the model zoo) and TASKTYPES (the pipeline task types) filled in.
QString expanded(const char *description)
{
    QString d = text(description);
    if (d.contains("MODELS")) {
        QStringList models;
        for (const auto &m : train::kModelZoo)
            models << "  "
                          + wrap(
                              QString("%1: %2").arg(QString::fromUtf8(m.name.data(), qsizetype(m.name.size())),
                                                    QString::fromUtf8(m.summary.data(), qsizetype(m.summary.size()))),
                              4, kWidth - 4);
        d.replace("MODELS", models.join('\n'));
    }
    if (d.contains("TASKTYPES")) {
        QString types;
        for (const auto &t : pipeline::taskTypes()) {
            QStringList params;
            for (const auto &p : t.params)
                params << QString("%1%2").arg(QString::fromUtf8(p.name), p.required ? "*" : "");
            QStringList outputs;
            for (const char *o : t.outputs)
                outputs << QString::fromUtf8(o);
            const QString line = QString("%1: %2 [%3]")
                                     .arg(QString::fromUtf8(t.name), params.join(", "),
                                          t.anyOutput ? outputs.join(", ") + ", NAME=VALUE lines of $PIPEWRIGHT_OUTPUTS"
                                                      : outputs.join(", "));
            types += "  " + wrap(line, 6, kWidth - 6) + "\n      " + wrap(QString::fromUtf8(t.summary), 6, kWidth - 6)
                     + "\n";
        }
        d.replace("TASKTYPES", types + "  (* required)");
    }
    return d;
}

QString optionUsage(const Option &o)
{
    const QString name = "--" + text(o.name) + (o.value ? " " + text(o.value) : QString());
    if (o.required)
        return name;
    return "[" + name + "]" + (o.repeatable ? "..." : "");
}

// The words of "pipewright models transition NAME VERSION STAGE [--comment TEXT] ..." (an option with its value is
// one); a command with subcommands lists them.
QStringList synopsisParts(const Command &c, const Command *parent)
{
    QStringList parts{"pipewright"};
    if (parent)
        parts << text(parent->name);
    parts << text(c.name);
    if (!c.subcommands.empty()) {
        QStringList subs;
        for (const Command &s : c.subcommands) {
            if (!s.hidden)
                subs << text(s.name);
        }
        return parts << subs.join('|') << "...";
    }
    if (*c.arguments)
        parts << text(c.arguments);
    for (const Option &o : c.options)
        parts << optionUsage(o);
    return parts;
}

QString synopsis(const Command &c, const Command *parent)
{
    return synopsisParts(c, parent).join(' ');
}

// The synopsis wrapped after `first` characters of the line, continued `indent` spaces in; `skip` leading words
// left out.
QString wrappedSynopsis(const Command &c, const Command *parent, int first, int indent, int skip = 0)
{
    QString out, line;
    int column = first;
    for (const QString &part : synopsisParts(c, parent).mid(skip)) {
        if (!line.isEmpty() && column + line.size() + 1 + part.size() > kWidth) {
            out += line + "\n" + QString(indent, ' ');
            line.clear();
            column = indent;
        }
        line += (line.isEmpty() ? "" : " ") + part;
    }
    return out + line;
}

// The options' help lines, `indent` spaces in.
QString optionLines(const std::vector<Option> &options, int indent)
{
    QString out;
    for (const Option &o : options) {
        QString head = QString(indent + 2, ' ') + "--" + text(o.name) + (o.value ? " " + text(o.value) : QString());
        QString help = text(o.help);
        if (o.required)
            help += " (required)";
        if (o.defaultText)
            help += " (default: " + text(o.defaultText) + ")";
        if (o.repeatable)
            help += "; may be given more than once";
        const int column = indent + kHelpColumn;
        if (head.size() > column - 2)
            head += "\n" + QString(column, ' ');
        else
            head += QString(column - head.size(), ' ');
        out += head + wrap(help, column, kWidth - column) + "\n";
    }
    return out;
}

QString jsonLine(const Command &c, int indent)
{
    if (!c.json)
        return {};
    return QString(indent, ' ') + "JSON: " + text(c.json).replace("\n", "\n" + QString(indent + 6, ' ')) + "\n";
}

// The help of a command that has a handler: usage, description, options, JSON.
QString leafHelp(const Command &c, const Command *parent)
{
    QString t = "Usage: " + wrappedSynopsis(c, parent, 7, 11) + "\n\n" + expanded(c.description) + "\n";
    if (!c.options.empty())
        t += "\nOptions:\n" + optionLines(c.options, 0);
    if (c.json)
        t += "\n" + jsonLine(c, 0);
    return t;
}

// The help of a command with subcommands: each subcommand with its description, options and JSON.
QString groupHelp(const Command &c)
{
    QString t = "Usage: " + synopsis(c, nullptr) + "\n\n" + expanded(c.description) + "\n";
    for (const Command &s : c.subcommands) {
        if (s.hidden)
            continue;
        t += "\n  " + wrappedSynopsis(s, &c, 2, 8, 1) + "\n";
        t += indented(expanded(s.description), 6) + "\n";
        t += optionLines(s.options, 4);
        t += jsonLine(s, 6);
    }
    t += "\n`pipewright help " + text(c.name) + " SUBCOMMAND` shows one of them.\n";
    return t;
}

QString workspaceUseName(WorkspaceUse use)
{
    switch (use) {
    case WorkspaceUse::None: return "none";
    case WorkspaceUse::MustExist: return "must_exist";
    case WorkspaceUse::MayCreate: return "may_create";
    }
    return {};
}

QJsonArray optionsJson(const std::vector<Option> &options)
{
    QJsonArray arr;
    for (const Option &o : options) {
        QJsonObject j{{"name", text(o.name)},
                      {"value", o.value ? QJsonValue(text(o.value)) : QJsonValue()},
                      {"help", text(o.help)}};
        if (o.defaultText)
            j.insert("default", text(o.defaultText));
        if (o.required)
            j.insert("required", true);
        if (o.repeatable)
            j.insert("repeatable", true);
        arr.append(j);
    }
    return arr;
}

QJsonObject commandJson(const Command &c, const Command *parent)
{
    QJsonObject j{{"name", text(c.name)},
                  {"synopsis", synopsis(c, parent)},
                  {"description", expanded(c.description)},
                  {"arguments", text(c.arguments)},
                  {"options", optionsJson(c.options)}};
    if (c.hidden)
        j.insert("hidden", true);
    if (c.subcommands.empty()) {
        j.insert("workspace_use", workspaceUseName(c.workspace));
        j.insert("json", c.json ? QJsonValue(text(c.json)) : QJsonValue());
        return j;
    }
    QJsonArray subs;
    for (const Command &s : c.subcommands)
        subs.append(commandJson(s, &c));
    j.insert("subcommands", subs);
    return j;
}

QJsonObject tableJson()
{
    QJsonArray commands;
    for (const Command &c : commandTable())
        commands.append(commandJson(c, nullptr));
    return QJsonObject{{"program", "pipewright"}, {"options", optionsJson(commonOptions())}, {"commands", commands}};
}

// Text as a roff paragraph: backslashes escaped, a leading '.' or '\'' made literal.
QString roff(const QString &text)
{
    QStringList out;
    for (QString line : text.split('\n')) {
        line.replace('\\', "\\e");
        if (line.startsWith('.') || line.startsWith('\''))
            line.prepend("\\&");
        out << line;
    }
    return out.join('\n');
}

// pipewright(1), from the same table as `pipewright help`.
QString manPage()
{
    QString m =
        ".TH PIPEWRIGHT 1 \"\" \"Pipewright " PIPEWRIGHT_VERSION_TEXT "\" \"User Commands\"\n"
        ".SH NAME\npipewright \\- workbench for the whole life of an image classifier\n"
        ".SH SYNOPSIS\n.B pipewright\n[\\fB\\-\\-workspace\\fR \\fIDIR\\fR] [\\fIDIR\\fR]\n.br\n"
        ".B pipewright\n\\fICOMMAND\\fR [\\fIoptions\\fR] [\\fB\\-\\-json\\fR] [\\fB\\-\\-workspace\\fR \\fIDIR\\fR]\n"
        ".SH DESCRIPTION\n"
        "Without a command, opens the workbench on a workspace folder. With a command, runs headless.\n"
        ".PP\n.nf\n";
    m += roff(helpText());
    m += "\n.fi\n.SH COMMANDS\n";
    for (const Command &c : commandTable())
        m += ".SS " + text(c.name) + "\n.nf\n" + roff(helpText(text(c.name))) + "\n.fi\n";
    m += ".SH SEE ALSO\n.BR pipewright-worker (1)\n";
    return m;
}

} // namespace

QString helpText(const QString &command, const QString &sub)
{
    if (command.isEmpty()) {
        QString t = "Pipewright: a workbench for the whole life of an image classifier.\n\n"
                    "Usage: pipewright [--workspace DIR]            open the workbench\n"
                    "       pipewright COMMAND [options] [--json] [--workspace DIR]\n\n"
                    "Commands:\n";
        for (const Command &c : commandTable())
            t += "  " + wrappedSynopsis(c, nullptr, 2, 8) + "\n";
        t += "\nCommon options:\n" + optionLines(commonOptions(), 0);
        t += "\nWorkbench options (without a command):\n" + optionLines(workbenchOptions(), 0);
        t += "\nExit codes: 0 success, 1 failure, 2 usage error. `pipewright help COMMAND` documents each.\n";
        return t;
    }
    const Command *c = findInTable(command);
    if (!c)
        return {};
    if (sub.isEmpty())
        return c->subcommands.empty() ? leafHelp(*c, nullptr) : groupHelp(*c);
    const Command *s = findInTable(command, sub);
    return s ? leafHelp(*s, c) : QString();
}

int cmdHelp(const Context &c)
{
    if (c.isSet("man")) {
        std::cout << manPage().toStdString();
        return kSuccess;
    }
    const QString command = c.positional().value(0), sub = c.positional().value(1);
    const Command *entry = command.isEmpty() ? nullptr : findInTable(command);
    if (!command.isEmpty() && !entry)
        throw UsageError{"unknown command '" + command + "'"};
    if (!sub.isEmpty() && !findInTable(command, sub))
        throw UsageError{"unknown " + command + " command '" + sub + "'"};
    if (c.json()) {
        const Command *parent = sub.isEmpty() ? nullptr : entry;
        const Command *shown = sub.isEmpty() ? entry : findInTable(command, sub);
        printJson(QJsonDocument(shown ? commandJson(*shown, parent) : tableJson()));
        return kSuccess;
    }
    std::cout << helpText(command, sub).toStdString();
    return kSuccess;
}

} // namespace pw::cli
