// CLI commands of schedules: schedule next|install|uninstall FILE, and scheduler (runs the schedules and
// file-arrival triggers of the workspace's pipelines while it runs). Desktop notifications go through the
// freedesktop notification service on the session bus when there is one.
#include "app/cli/Cli.h"
#include "app/cli/CliSupport.h"

#include "core/pipeline/Pipeline.h"
#include "core/pipeline/Schedule.h"
#include "core/pipeline/Scheduler.h"
#include "core/store/Workspace.h"
#include "ui/notify/DesktopNotify.h"

#include <QCoreApplication>
#include <QCryptographicHash>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonObject>
#include <QProcess>
#include <QStandardPaths>
#include <QTimer>

#include <iostream>

namespace pw::cli {

namespace {

QString qs(const std::string &s)
{
    return QString::fromStdString(s);
}

struct Loaded
{
    std::string file;
    pipeline::Pipeline p;
};

Loaded loadScheduled(const QString &fileArg, bool needSchedule = true)
{
    Loaded l;
    l.file = QFileInfo(fileArg).absoluteFilePath().toStdString();
    std::vector<pipeline::ValidationError> errors;
    l.p = pipeline::loadPipeline(l.file, errors);
    for (auto &e : pipeline::validate(l.p))
        errors.push_back(std::move(e));
    if (!errors.empty())
        throw std::runtime_error("'" + l.file + "' is not a valid pipeline: " + (errors.front().taskKey.empty() ? "" : "task " + errors.front().taskKey + ": ")
                                 + errors.front().field + ": " + errors.front().message
                                 + " (see pipewright pipeline validate)");
    if (needSchedule && !l.p.schedule)
        throw std::runtime_error("pipeline '" + l.p.name + "' in '" + l.file + "' has no schedule");
    return l;
}

// The unit (or crontab marker) name of a pipeline file: its name, and a hash of its path (two files may share
// a pipeline name).
QString unitName(const Loaded &l)
{
    QString name;
    for (const QChar c : qs(l.p.name))
        name += (c.isLetterOrNumber() || c == '-' || c == '_') ? c : QChar('_');
    const QByteArray hash = QCryptographicHash::hash(QByteArray::fromStdString(l.file), QCryptographicHash::Sha1).toHex();
    return "pipewright-" + name + "-" + QString::fromLatin1(hash.left(8));
}

// systemd's quoting for an ExecStart argument.
QString systemdQuote(const QString &arg)
{
    QString out = "\"";
    for (const QChar c : arg) {
        if (c == '"' || c == '\\')
            out += '\\';
        if (c == '%')
            out += '%'; // %% is a literal percent sign
        if (c == '$')
            out += '$';
        out += c;
    }
    return out + "\"";
}

QString shellQuote(const QString &arg)
{
    QString out = "'";
    for (const QChar c : arg)
        out += c == '\'' ? QString("'\\''") : QString(c);
    return out + "'";
}

QString programPath()
{
    return QFileInfo(QCoreApplication::applicationFilePath()).absoluteFilePath();
}

int runProgram(const QString &program, const QStringList &args, QString *out = nullptr, const QByteArray &input = {})
{
    QProcess p;
    p.start(program, args);
    if (!p.waitForStarted(5000))
        return -1;
    if (!input.isNull()) {
        p.write(input);
        p.closeWriteChannel();
    }
    p.waitForFinished(30000);
    if (out)
        *out = QString::fromLocal8Bit(p.readAllStandardOutput() + p.readAllStandardError());
    return p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -1;
}

bool systemdUserAvailable()
{
    if (QStandardPaths::findExecutable("systemctl").isEmpty())
        return false;
    return runProgram("systemctl", {"--user", "show-environment"}) == 0;
}

QString userUnitDir()
{
    const QString config = qEnvironmentVariableIsSet("XDG_CONFIG_HOME") ? qEnvironmentVariable("XDG_CONFIG_HOME")
                                                                        : QDir::homePath() + "/.config";
    return config + "/systemd/user";
}

} // namespace

int cmdSchedule(const QStringList &args)
{
    Context c("schedule", args);
    for (const char *o : {"count", "after", "method"})
        c.addValueOption(o, "VALUE");
    c.addFlag("dry-run");
    c.parse();
    c.expectPositional(2, 2, "schedule next|install|uninstall FILE");
    const QString sub = c.positional().at(0);
    if (sub == "next") {
        const Loaded l = loadScheduled(c.positional().at(1));
        const auto &s = *l.p.schedule;
        const auto expr = pipeline::parseCron(s.expression, s.quartz);
        const QTimeZone tz = pipeline::timeZone(s.timezone);
        QDateTime after = QDateTime::currentDateTimeUtc();
        if (c.isSet("after")) {
            after = QDateTime::fromString(c.value("after"), Qt::ISODate);
            if (!after.isValid())
                throw UsageError{"--after: '" + c.value("after") + "' is not an ISO 8601 date and time"};
        }
        const int count = int(c.intValue("count", 5, 1));
        QJsonArray next;
        for (const QDateTime &t : pipeline::nextFireTimes(expr, after, tz, count))
            next.append(t.toTimeZone(tz).toString(Qt::ISODate));
        if (c.json()) {
            printJson(QJsonDocument(QJsonObject{{"pipeline", qs(l.p.name)},
                                                {"expression", qs(s.expression)},
                                                {"syntax", s.quartz ? "quartz" : "cron"},
                                                {"timezone_id", qs(s.timezone)},
                                                {"paused", s.paused},
                                                {"next", next}}));
        } else {
            std::cout << l.p.name << ": " << s.expression << " (" << s.timezone << ")"
                      << (s.paused ? " PAUSED: it does not fire" : "") << "\n";
            for (const QJsonValue &v : next)
                std::cout << "  " << v.toString().toStdString() << "\n";
        }
        return kSuccess;
    }
    if (sub != "install" && sub != "uninstall")
        throw UsageError{"unknown schedule command '" + sub + "' (expected next, install or uninstall)"};

    const Loaded l = loadScheduled(c.positional().at(1), sub == "install");
    const QString unit = unitName(l);
    const std::string root = c.workspaceRoot();
    QString method = c.value("method");
    if (method.isEmpty())
        method = systemdUserAvailable() ? "systemd" : "cron";
    if (method != "systemd" && method != "cron")
        throw UsageError{"--method: '" + method + "' is not systemd or cron"};
    const bool dryRun = c.isSet("dry-run");
    QJsonObject files;
    QJsonArray commands;
    const QString marker = "# pipewright:" + unit;

    if (method == "systemd") {
        const QString dir = userUnitDir();
        const QString service = dir + "/" + unit + ".service", timer = dir + "/" + unit + ".timer";
        if (sub == "install") {
            const auto &s = *l.p.schedule;
            if (s.paused)
                throw std::runtime_error("the schedule of '" + l.p.name + "' is PAUSED: unpause it before installing");
            const auto values = pipeline::toSystemdOnCalendar(pipeline::parseCron(s.expression, s.quartz), s.timezone);
            QString serviceText = "[Unit]\nDescription=Pipewright pipeline " + qs(l.p.name) + " (" + qs(l.file)
                                  + ")\n\n[Service]\nType=oneshot\nExecStart=" + systemdQuote(programPath())
                                  + " pipeline run " + systemdQuote(qs(l.file)) + " --workspace "
                                  + systemdQuote(qs(store::Workspace::open(root).root())) + "\n";
            QString timerText = "[Unit]\nDescription=Schedule of Pipewright pipeline " + qs(l.p.name) + ": "
                                + qs(s.expression) + " (" + qs(s.timezone) + ")\n\n[Timer]\n";
            for (const auto &v : values)
                timerText += "OnCalendar=" + qs(v) + "\n";
            timerText += "AccuracySec=1s\n\n[Install]\nWantedBy=timers.target\n";
            files.insert(service, serviceText);
            files.insert(timer, timerText);
            commands.append("systemctl --user daemon-reload");
            commands.append("systemctl --user enable --now " + unit + ".timer");
            if (!dryRun) {
                QDir().mkpath(dir);
                for (const auto &[path, text] : {std::pair{service, serviceText}, std::pair{timer, timerText}}) {
                    QFile f(path);
                    if (!f.open(QIODevice::WriteOnly | QIODevice::Truncate) || f.write(text.toUtf8()) < 0)
                        throw std::runtime_error("cannot write '" + path.toStdString() + "'");
                }
                QString out;
                if (runProgram("systemctl", {"--user", "daemon-reload"}, &out) != 0
                    || runProgram("systemctl", {"--user", "enable", "--now", unit + ".timer"}, &out) != 0)
                    throw std::runtime_error("the unit files are written (" + timer.toStdString()
                                             + ") but systemctl could not enable them: " + out.trimmed().toStdString());
            }
        } else {
            commands.append("systemctl --user disable --now " + unit + ".timer");
            if (!dryRun) {
                runProgram("systemctl", {"--user", "disable", "--now", unit + ".timer"});
                const bool had = QFile::remove(timer) | QFile::remove(service);
                runProgram("systemctl", {"--user", "daemon-reload"});
                if (!had)
                    throw std::runtime_error("no installed schedule for '" + l.file + "' (" + timer.toStdString() + ")");
            }
        }
    } else {
        if (QStandardPaths::findExecutable("crontab").isEmpty() && !dryRun)
            throw std::runtime_error("neither a systemd user session nor crontab is available to install the schedule");
        QString current;
        if (!dryRun && runProgram("crontab", {"-l"}, &current) != 0)
            current.clear(); // no crontab yet
        // Our entry is a block between marker lines (an assignment line cannot carry a comment).
        QStringList lines;
        bool inBlock = false;
        int before = 0;
        for (const QString &line : current.split('\n')) {
            if (line == marker + " begin") {
                inBlock = true;
                ++before;
            } else if (line == marker + " end") {
                inBlock = false;
            } else if (!inBlock && !line.isEmpty()) {
                lines << line;
            }
        }
        if (sub == "install") {
            const auto &s = *l.p.schedule;
            if (s.paused)
                throw std::runtime_error("the schedule of '" + l.p.name + "' is PAUSED: unpause it before installing");
            const QString fields = qs(pipeline::toCrontabFields(pipeline::parseCron(s.expression, s.quartz)));
            lines << marker + " begin";
            lines << "CRON_TZ=" + qs(s.timezone);
            lines << fields + " " + shellQuote(programPath()) + " pipeline run " + shellQuote(qs(l.file))
                         + " --workspace " + shellQuote(qs(store::Workspace::open(root).root()));
            lines << marker + " end";
        } else if (before == 0 && !dryRun) {
            throw std::runtime_error("no installed schedule for '" + l.file + "' in the crontab");
        }
        const QString text = lines.join('\n') + "\n";
        files.insert("crontab", text);
        commands.append("crontab -");
        if (!dryRun) {
            QString out;
            if (runProgram("crontab", {"-"}, &out, text.toUtf8()) != 0)
                throw std::runtime_error("crontab refused the new table: " + out.trimmed().toStdString());
        }
    }
    if (c.json()) {
        printJson(QJsonDocument(QJsonObject{{"pipeline", qs(l.p.name)},
                                            {"unit", unit},
                                            {"method", method},
                                            {"action", sub},
                                            {"dry_run", dryRun},
                                            {"files", files},
                                            {"commands", commands}}));
    } else {
        for (auto it = files.begin(); it != files.end(); ++it)
            std::cout << (dryRun ? "would write " : "wrote ") << it.key().toStdString() << ":\n"
                      << it.value().toString().toStdString() << "\n";
        for (const QJsonValue &cmd : commands)
            std::cout << (dryRun ? "would run: " : "ran: ") << cmd.toString().toStdString() << "\n";
    }
    return kSuccess;
}

int cmdScheduler(const QStringList &args)
{
    Context c("scheduler", args);
    c.addValueOption("for", "SECONDS");
    c.addValueOption("pipelines", "DIR");
    c.parse();
    c.expectPositional(0, 0, "");
    const auto ws = store::Workspace::open(c.workspaceRoot());
    pipeline::Scheduler scheduler(ws, c.value("pipelines").toStdString());
    pipeline::RunOptions base;
    base.pipewrightPath = programPath().toStdString();
    base.desktopNotifier = notify::desktopNotify;
    scheduler.setRunOptions(base);
    QObject::connect(&scheduler, &pipeline::Scheduler::message, [](const QString &m) {
        std::cerr << QDateTime::currentDateTime().toString(Qt::ISODate).toStdString() << "  " << m.toStdString() << "\n";
    });
    QObject::connect(&scheduler, &pipeline::Scheduler::runStarted, [](qint64 id, const QString &p, const QString &trigger) {
        std::cerr << QDateTime::currentDateTime().toString(Qt::ISODate).toStdString() << "  " << p.toStdString()
                  << ": run " << id << " started (" << trigger.toStdString() << ")\n";
    });
    QObject::connect(&scheduler, &pipeline::Scheduler::runFinished, [](qint64 id, const QString &p, const QString &result) {
        std::cerr << QDateTime::currentDateTime().toString(Qt::ISODate).toStdString() << "  " << p.toStdString()
                  << ": run " << id << " ended " << result.toStdString() << "\n";
    });
    scheduler.start();
    for (const auto &[name, when] : scheduler.nextFires())
        std::cerr << "  " << name << ": next fire " << when.toLocalTime().toString(Qt::ISODate).toStdString() << "\n";
    std::cerr << "scheduler running for workspace " << ws.root() << " (Ctrl-C stops it)\n";
    QTimer poll;
    QObject::connect(&poll, &QTimer::timeout, [&] {
        if (g_cancel.load())
            QCoreApplication::quit();
    });
    poll.start(200);
    if (c.isSet("for"))
        QTimer::singleShot(int(c.intValue("for", 0, 1) * 1000), [] { QCoreApplication::quit(); });
    QCoreApplication::exec();
    std::cerr << "scheduler stopping; waiting for " << scheduler.activeRuns() << " run(s)\n";
    scheduler.stop(g_cancel.load());
    return kSuccess;
}

} // namespace pw::cli
