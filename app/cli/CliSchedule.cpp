// CLI commands of schedules: schedule next|install|uninstall|pause|resume FILE, and scheduler (runs the schedules and
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
#include <QSaveFile>
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
        throw std::runtime_error("'" + pipeline::printable(l.file) + "' is not a valid pipeline: "
                                 + pipeline::errorText(errors.front()) + " (see pipewright pipeline validate)");
    if (needSchedule && !l.p.schedule)
        throw std::runtime_error("pipeline '" + l.p.name + "' in '" + pipeline::printable(l.file)
                                 + "' has no schedule");
    return l;
}

// The unit (or crontab marker) name of a pipeline file: its name, and a hash of its path (two files may share
// a pipeline name).
QString unitName(const Loaded &l)
{
    // systemd unit names are ASCII letters, digits and ":_.\-@" only; the marker line of a crontab block too.
    QString name;
    for (const QChar c : qs(l.p.name))
        name += (c.unicode() < 128 && (c.isLetterOrNumber() || c == '-' || c == '_')) ? c : QChar('_');
    const QByteArray hash =
        QCryptographicHash::hash(QByteArray::fromStdString(l.file), QCryptographicHash::Sha1).toHex();
    return "pipewright-" + name + "-" + QString::fromLatin1(hash.left(8));
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

// What cron needs to run a crontab entry: the crontab program (to install it) and a cron daemon (to run it).
// Empty when both are there, else what is missing, for a person.
std::string cronProblem()
{
    if (QStandardPaths::findExecutable("crontab").isEmpty())
        return "cron is not installed here (no crontab program on PATH): the entry would never run; install cron "
               "(apt install cron) or use a systemd user session (--method systemd)";
    const QStringList daemonDirs{"/usr/sbin", "/sbin", "/usr/bin", "/bin", "/usr/local/sbin"};
    for (const char *daemon : {"cron", "crond"}) {
        if (!QStandardPaths::findExecutable(daemon, daemonDirs).isEmpty()
            || !QStandardPaths::findExecutable(daemon).isEmpty())
            return {};
    }
    return "no cron daemon (cron or crond) is installed here: the crontab entry would be installed but never run";
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

namespace {

// schedule pause|resume FILE: rewrites the file's schedule pause_status in place (every other byte kept),
// atomically (a temporary file renamed over it).
int setPaused(const Context &c, const QString &fileArg, bool paused)
{
    QFileInfo info(fileArg);
    const QString path = info.isSymLink() ? info.canonicalFilePath() : info.absoluteFilePath(); // edit the target
    const std::string file = path.toStdString();
    const QByteArray text = pipeline::readRegularFile(file);
    std::vector<pipeline::ValidationError> errors;
    const pipeline::Pipeline p = pipeline::parsePipeline(text, errors);
    if (!errors.empty())
        throw std::runtime_error("'" + pipeline::printable(file)
                                 + "' cannot be read as a pipeline: " + pipeline::errorText(errors.front()));
    if (!p.schedule)
        throw std::runtime_error("pipeline '" + pipeline::printable(p.name) + "' in '" + pipeline::printable(file)
                                 + "' has no schedule to " + (paused ? "pause" : "resume"));
    const char *status = paused ? "PAUSED" : "UNPAUSED";
    const bool change = p.schedule->paused != paused;
    if (change) {
        const QByteArray edited = pipeline::withPauseStatus(text, paused);
        QSaveFile out(path);
        if (!out.open(QIODevice::WriteOnly) || out.write(edited) != edited.size() || !out.commit())
            throw std::runtime_error("cannot write '" + pipeline::printable(file)
                                     + "': " + out.errorString().toStdString());
    }
    if (c.json()) {
        printJson(QJsonDocument(
            QJsonObject{{"file", path}, {"pause_status", status}, {"pipeline", qs(p.name)}, {"changed", change}}));
    } else {
        std::cout << (change ? (paused ? "paused" : "resumed") : "already " + std::string(status) + ":")
                  << " the schedule of '" << pipeline::printable(p.name) << "' in " << pipeline::printable(file)
                  << " (pause_status " << status << ")\n";
    }
    if (change)
        std::cerr << "note: the workbench and `pipewright scheduler` follow the file; a timer or crontab entry made by "
                     "`schedule install` keeps firing until `schedule uninstall "
                  << pipeline::printable(file) << "`\n";
    return kSuccess;
}

} // namespace

int cmdScheduleNext(const Context &c)
{
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
        std::cout << l.p.name << ": " << pipeline::printable(s.expression) << " (" << s.timezone << ")"
                  << (s.paused ? " PAUSED: it does not fire" : "") << "\n";
        for (const QJsonValue &v : next)
            std::cout << "  " << v.toString().toStdString() << "\n";
    }
    return kSuccess;
}

namespace {

void writeFiles(const std::vector<std::pair<QString, QString>> &files)
{
    for (const auto &[path, text] : files) {
        QSaveFile f(path);
        const QByteArray bytes = text.toUtf8();
        if (!f.open(QIODevice::WriteOnly) || f.write(bytes) != bytes.size() || !f.commit())
            throw std::runtime_error("cannot write '" + path.toStdString() + "': " + f.errorString().toStdString());
    }
}

// What schedule install or uninstall did (or would do, with --dry-run), as its JSON reports it.
struct ScheduleChange
{
    QString unit;
    bool install = false;
    bool dryRun = false;
    QJsonObject files;
    QJsonArray commands;
    QJsonArray warnings;
};

// The systemd user timer and service of the pipeline: written and enabled, or disabled and removed.
void changeSystemd(const Loaded &l, const pipeline::InstalledSchedule &installed, ScheduleChange &change)
{
    const QString dir = userUnitDir();
    const QString unit = change.unit;
    const QString service = dir + "/" + unit + ".service", timer = dir + "/" + unit + ".timer";
    if (!change.install) {
        change.commands.append("systemctl --user disable --now " + unit + ".timer");
        if (change.dryRun)
            return;
        runProgram("systemctl", {"--user", "disable", "--now", unit + ".timer"});
        const bool had = QFile::remove(timer) | QFile::remove(service);
        runProgram("systemctl", {"--user", "daemon-reload"});
        if (!had)
            throw std::runtime_error("no installed schedule for '" + l.file + "' (" + timer.toStdString() + ")");
        return;
    }
    const QString serviceText = qs(pipeline::systemdServiceText(installed));
    const QString timerText = qs(pipeline::systemdTimerText(installed));
    change.files.insert(service, serviceText);
    change.files.insert(timer, timerText);
    change.commands.append("systemctl --user daemon-reload");
    change.commands.append("systemctl --user enable --now " + unit + ".timer");
    if (change.dryRun)
        return;
    QDir().mkpath(dir);
    writeFiles({{service, serviceText}, {timer, timerText}});
    QString out;
    if (runProgram("systemctl", {"--user", "daemon-reload"}, &out) != 0
        || runProgram("systemctl", {"--user", "enable", "--now", unit + ".timer"}, &out) != 0)
        throw std::runtime_error("the unit files are written (" + timer.toStdString()
                                 + ") but systemctl could not enable them: " + out.trimmed().toStdString());
}

// The user's crontab with the pipeline's block (between marker lines) put in or taken out. `chosen`: cron was
// picked because there is no systemd user session.
void changeCrontab(const Loaded &l, const pipeline::InstalledSchedule &installed, bool chosen, ScheduleChange &change)
{
    const QString action = change.install ? "install" : "uninstall";
    const std::string problem = cronProblem();
    if (!problem.empty()) {
        const std::string why = chosen ? "there is no systemd user session, and " + problem : problem;
        if (QStandardPaths::findExecutable("crontab").isEmpty() && !change.dryRun)
            throw std::runtime_error("cannot " + action.toStdString() + " the schedule with cron: " + why);
        if (change.install) {
            change.warnings.append(qs(why));
            std::cerr << "warning: " << why << "\n";
        }
    }
    QString current;
    if (!change.dryRun && runProgram("crontab", {"-l"}, &current) != 0)
        current.clear(); // no crontab yet
    // Our entry is a block between marker lines (an assignment line cannot carry a comment).
    const QString marker = "# pipewright:" + change.unit;
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
    if (change.install) {
        lines << marker + " begin";
        for (const auto &line : pipeline::crontabLines(installed))
            lines << qs(line);
        lines << marker + " end";
    } else if (before == 0 && !change.dryRun) {
        throw std::runtime_error("no installed schedule for '" + l.file + "' in the crontab");
    }
    const QString text = lines.join('\n') + "\n";
    change.files.insert("crontab", text);
    change.commands.append("crontab -");
    if (change.dryRun)
        return;
    QString out;
    if (runProgram("crontab", {"-"}, &out, text.toUtf8()) != 0)
        throw std::runtime_error("crontab refused the new table: " + out.trimmed().toStdString());
}

// schedule install|uninstall FILE: the systemd timer or the crontab block of the pipeline's schedule.
int changeSchedule(const Context &c, bool install)
{
    const Loaded l = loadScheduled(c.positional().at(1), install);
    const std::string root = c.workspaceRoot();
    QString method = c.value("method");
    const bool chosen = method.isEmpty();
    if (chosen)
        method = systemdUserAvailable() ? "systemd" : "cron";
    if (method != "systemd" && method != "cron")
        throw UsageError{"--method: '" + method + "' is not systemd or cron"};
    ScheduleChange change;
    change.unit = unitName(l);
    change.install = install;
    change.dryRun = c.isSet("dry-run");
    pipeline::InstalledSchedule installed;
    if (install) {
        const auto &s = *l.p.schedule;
        if (s.paused)
            throw std::runtime_error("the schedule of '" + l.p.name + "' is PAUSED: `pipewright schedule resume "
                                     + pipeline::printable(l.file) + "` unpauses it; then install it");
        installed = {l.p.name,
                     l.file,
                     {programPath().toStdString(), "pipeline", "run", l.file, "--workspace",
                      store::Workspace::open(root).root()},
                     s.expression,
                     s.quartz,
                     s.timezone};
    }
    if (method == "systemd")
        changeSystemd(l, installed, change);
    else
        changeCrontab(l, installed, chosen, change);
    if (c.json()) {
        printJson(QJsonDocument(QJsonObject{{"pipeline", qs(l.p.name)},
                                            {"unit", change.unit},
                                            {"method", method},
                                            {"action", install ? "install" : "uninstall"},
                                            {"dry_run", change.dryRun},
                                            {"files", change.files},
                                            {"commands", change.commands},
                                            {"warnings", change.warnings}}));
    } else {
        for (auto it = change.files.begin(); it != change.files.end(); ++it)
            std::cout << (change.dryRun ? "would write " : "wrote ") << it.key().toStdString() << ":\n"
                      << it.value().toString().toStdString() << "\n";
        for (const QJsonValue &cmd : change.commands)
            std::cout << (change.dryRun ? "would run: " : "ran: ") << cmd.toString().toStdString() << "\n";
    }
    return kSuccess;
}

} // namespace

int cmdScheduleInstall(const Context &c)
{
    return changeSchedule(c, true);
}

int cmdScheduleUninstall(const Context &c)
{
    return changeSchedule(c, false);
}

int cmdSchedulePause(const Context &c)
{
    return setPaused(c, c.positional().at(1), true);
}

int cmdScheduleResume(const Context &c)
{
    return setPaused(c, c.positional().at(1), false);
}

namespace {

// What the scheduler watches, for the person who started it: the folder, and per pipeline file what starts it.
void printWatched(const pipeline::Scheduler &scheduler)
{
    const auto watched = scheduler.watched();
    std::cerr << "watching " << pipeline::printable(scheduler.folder()) << ": " << watched.size()
              << " pipeline file(s) scheduled or triggered from here\n";
    for (const auto &w : watched) {
        std::cerr << "  " << pipeline::printable(QFileInfo(qs(w.file)).fileName().toStdString()) << ": pipeline '"
                  << pipeline::printable(w.pipeline) << "'";
        bool any = false;
        if (w.schedule) {
            any = true;
            std::cerr << "; schedule " << pipeline::printable(w.schedule->expression) << " (" << w.schedule->timezone
                      << ")";
            if (w.schedule->paused)
                std::cerr << " PAUSED (pipewright schedule resume FILE)";
            else if (w.nextFire.isValid())
                std::cerr << ", next fire " << w.nextFire.toLocalTime().toString(Qt::ISODate).toStdString();
            else
                std::cerr << ", never fires again";
        }
        if (!w.arrivalPath.empty()) {
            any = true;
            std::cerr << "; new image files under " << pipeline::printable(w.arrivalPath);
        }
        if (!any)
            std::cerr << "; no schedule or file-arrival trigger: only run by hand";
        std::cerr << "\n";
    }
}

} // namespace

int cmdScheduler(const Context &c)
{
    std::string folder;
    if (c.isSet("pipelines")) {
        // Watching a folder that is not there would wait for nothing, silently.
        const QFileInfo info(c.value("pipelines"));
        if (!info.exists())
            throw std::runtime_error("--pipelines: the folder '"
                                     + pipeline::printable(c.value("pipelines").toStdString()) + "' does not exist");
        if (!info.isDir())
            throw std::runtime_error("--pipelines: '" + pipeline::printable(c.value("pipelines").toStdString())
                                     + "' is not a folder");
        folder = info.absoluteFilePath().toStdString();
    }
    const auto ws = store::Workspace::open(c.workspaceRoot());
    pipeline::Scheduler scheduler(ws, folder);
    pipeline::RunOptions base;
    base.pipewrightPath = programPath().toStdString();
    base.desktopNotifier = notify::desktopNotify;
    scheduler.setRunOptions(base);
    QObject::connect(&scheduler, &pipeline::Scheduler::message, [](const QString &m) {
        std::cerr << QDateTime::currentDateTime().toString(Qt::ISODate).toStdString() << "  " << m.toStdString()
                  << "\n";
    });
    QObject::connect(
        &scheduler, &pipeline::Scheduler::runStarted, [](qint64 id, const QString &p, const QString &trigger) {
            std::cerr << QDateTime::currentDateTime().toString(Qt::ISODate).toStdString() << "  " << p.toStdString()
                      << ": run " << id << " started (" << trigger.toStdString() << ")\n";
        });
    QObject::connect(&scheduler, &pipeline::Scheduler::runFinished,
                     [](qint64 id, const QString &p, const QString &result) {
                         std::cerr << QDateTime::currentDateTime().toString(Qt::ISODate).toStdString() << "  "
                                   << p.toStdString() << ": run " << id << " ended " << result.toStdString() << "\n";
                     });
    scheduler.start();
    printWatched(scheduler);
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
