// Compute targets kept in the catalog (table compute_targets, migration 6) and their connection test.
#include "core/compute/Targets.h"

#include "core/compute/SlurmRun.h"
#include "core/compute/Ssh.h"
#include "core/compute/WorkerProcess.h"
#include "core/store/Database.h"

#include <QDateTime>
#include <QElapsedTimer>
#include <QJsonArray>
#include <QJsonDocument>
#include <QProcess>
#include <QRegularExpression>

#include <map>
#include <stdexcept>

namespace pw::compute {

std::string Target::url() const
{
    if (isLocal())
        return "local";
    if (isSlurm() && host.empty())
        return "slurm:";
    const bool v6 = host.find(':') != std::string::npos;
    return kind + "://" + (user.empty() ? std::string() : user + "@") + (v6 ? "[" + host + "]" : host)
           + (port > 0 ? ":" + std::to_string(port) : std::string());
}

std::string Target::destination() const
{
    return user.empty() ? host : user + "@" + host;
}

Target localTarget()
{
    return Target{};
}

namespace {

// The words what() names a field with (no CLI option, no dialog label: each front end names its own).
std::string fieldWords(const std::string &field)
{
    static const std::map<std::string, std::string> words{
        {"name", "target name"}, {"url", "target URL"},           {"gpus_per_node", "GPUs per node"},
        {"time", "time limit"},  {"mem", "memory per node"},      {"cpus_per_task", "CPUs per task"},
        {"qos", "QOS"},          {"sbatch_arg", "sbatch option"},
    };
    const auto it = words.find(field);
    return it != words.end() ? it->second : field;
}

std::string compose(const std::string &subject, const std::string &value, const std::string &problem)
{
    const bool sentence = problem.rfind("is ", 0) == 0;
    return subject + " '" + value + "'" + (sentence ? " " : ": ") + problem;
}

} // namespace

TargetFieldError::TargetFieldError(std::string field, std::string value, std::string problem)
    : std::invalid_argument(compose(fieldWords(field), value, problem))
    , m_field(std::move(field))
    , m_value(std::move(value))
    , m_problem(std::move(problem))
{
}

std::string TargetFieldError::describe(const std::string &subject) const
{
    return compose(subject, m_value, m_problem);
}

namespace {

void checkName(const std::string &name)
{
    static const QRegularExpression nameRe(QStringLiteral("^[A-Za-z0-9_.-]+$"));
    if (!nameRe.match(QString::fromStdString(name)).hasMatch())
        throw TargetFieldError("name", name, "use letters, digits, '.', '_' and '-'");
    if (name == "local")
        throw TargetFieldError("name", name, "is this machine's, and always there");
}

// SCHEME://[USER@]HOST[:PORT], HOST a name, an IPv4 address or [IPv6], into the target's user, host and port.
void parseUrl(Target &t, const std::string &scheme, const std::string &url)
{
    static const QRegularExpression urlRe(QStringLiteral(
        R"(^([a-z]+)://(?:([A-Za-z0-9_][A-Za-z0-9_.-]*)@)?(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9][A-Za-z0-9.-]*)(?::([0-9]+))?/?$)"));
    const auto m = urlRe.match(QString::fromStdString(url));
    if (!m.hasMatch() || m.captured(1).toStdString() != scheme)
        throw TargetFieldError("url", url,
                               "is not " + scheme + "://[USER@]HOST[:PORT]"
                                   + (scheme == "slurm" ? " (or slurm: for this machine's sbatch)" : ""));
    t.user = m.captured(2).toStdString();
    QString host = m.captured(3);
    if (host.startsWith(u'['))
        host = host.mid(1, host.size() - 2);
    t.host = host.toStdString();
    if (!m.captured(4).isEmpty()) {
        bool ok = false;
        const int port = m.captured(4).toInt(&ok);
        if (!ok || port < 1 || port > 65535)
            throw TargetFieldError("url", url, "port " + m.captured(4).toStdString() + " is outside 1..65535");
        t.port = port;
    }
}

void setPlaces(Target &t, const std::string &workdir, const std::string &worker, const std::string &identity)
{
    if (workdir.empty() || workdir.front() != '/')
        throw TargetFieldError("workdir", workdir,
                               "give an absolute folder on the host (for example /home/USER/pipewright)");
    if (workdir.find('\n') != std::string::npos)
        throw TargetFieldError("workdir", workdir, "cannot contain a line break");
    if (worker.find('\n') != std::string::npos)
        throw TargetFieldError("worker", worker, "cannot contain a line break");
    t.workdir = workdir.size() > 1 && workdir.back() == '/' ? workdir.substr(0, workdir.size() - 1) : workdir;
    if (!worker.empty())
        t.worker = worker;
    t.identity = identity;
}

bool matches(const char *pattern, const std::string &value)
{
    return QRegularExpression(QString::fromLatin1(pattern)).match(QString::fromStdString(value)).hasMatch();
}

void checkSlurmOptions(const SlurmOptions &o)
{
    // Slurm's names: partitions (a comma-separated list is allowed), accounts and QOS are plain words.
    const std::pair<const char *, const std::string *> names[] = {
        {"partition", &o.partition}, {"account", &o.account}, {"qos", &o.qos}};
    for (const auto &[option, v] : names) {
        if (!v->empty()
            && !matches(
                option == std::string("partition") ? "^[A-Za-z0-9_.-]+(,[A-Za-z0-9_.-]+)*$" : "^[A-Za-z0-9_.-]+$", *v))
            throw TargetFieldError(option, *v, "a Slurm name has letters, digits, '.', '_' and '-' only");
    }
    // sbatch --time: MM, MM:SS, HH:MM:SS, D-HH, D-HH:MM, D-HH:MM:SS, or UNLIMITED/INFINITE.
    if (!o.time.empty()
        && !matches(R"(^([0-9]+(:[0-9]{1,2}){0,2}|[0-9]+-[0-9]{1,2}(:[0-9]{1,2}){0,2}|(?i:unlimited|infinite))$)",
                    o.time))
        throw TargetFieldError("time", o.time,
                               "give a time limit as sbatch takes it: MM, MM:SS, HH:MM:SS, D-HH, D-HH:MM or "
                               "D-HH:MM:SS (for example 02:00:00)");
    if (!o.mem.empty() && !matches("^[1-9][0-9]*[KMGTkmgt]?$", o.mem))
        throw TargetFieldError("mem", o.mem, "give a memory size per node such as 4000M, 4G or 1T");
    if (o.gpusPerNode < 0)
        throw TargetFieldError("gpus_per_node", std::to_string(o.gpusPerNode), "give a positive whole number");
    if (o.cpusPerTask < 0)
        throw TargetFieldError("cpus_per_task", std::to_string(o.cpusPerTask), "give a positive whole number");
    for (const std::string &a : o.sbatchArgs) {
        if (!matches(R"(^--[A-Za-z][A-Za-z0-9-]*(=[^\n\r\x00]*)?$)", a))
            throw TargetFieldError("sbatch_arg", a, "give one sbatch option as --OPTION or --OPTION=VALUE (one line)");
    }
}

} // namespace

Target makeSshTarget(const std::string &name, const std::string &url, const std::string &workdir,
                     const std::string &worker, const std::string &identity)
{
    checkName(name);
    Target t;
    t.name = name;
    t.kind = "ssh";
    parseUrl(t, "ssh", url);
    setPlaces(t, workdir, worker, identity);
    return t;
}

Target makeSlurmTarget(const std::string &name, const std::string &url, const std::string &workdir,
                       const std::string &worker, const std::string &identity, const SlurmOptions &options)
{
    checkName(name);
    Target t;
    t.name = name;
    t.kind = "slurm";
    if (url != "slurm:" && url != "slurm://")
        parseUrl(t, "slurm", url);
    setPlaces(t, workdir, worker, identity);
    // The job folder goes into #SBATCH --output, which sbatch reads without shell quoting; '%' is its pattern sign.
    if (!matches("^[A-Za-z0-9_./+@,:=-]+$", t.workdir))
        throw TargetFieldError("workdir", workdir,
                               "a Slurm workdir may have letters, digits and . _ / + @ , : = - only (no spaces or %: "
                               "sbatch reads it from an #SBATCH line)");
    checkSlurmOptions(options);
    t.slurm = options;
    return t;
}

Target makeTarget(const std::string &name, const std::string &url, const std::string &workdir,
                  const std::string &worker, const std::string &identity, const SlurmOptions &options)
{
    if (url.rfind("slurm:", 0) == 0)
        return makeSlurmTarget(name, url, workdir, worker, identity, options);
    const std::pair<const char *, std::string> slurmOnly[] = {
        {"partition", options.partition},
        {"account", options.account},
        {"qos", options.qos},
        {"time", options.time},
        {"mem", options.mem},
        {"gpus_per_node", options.gpusPerNode ? std::to_string(options.gpusPerNode) : std::string()},
        {"cpus_per_task", options.cpusPerTask ? std::to_string(options.cpusPerTask) : std::string()},
        {"sbatch_arg", options.sbatchArgs.empty() ? std::string() : options.sbatchArgs.front()}};
    for (const auto &[field, value] : slurmOnly)
        if (!value.empty())
            throw TargetFieldError(field, value, "is for slurm:// targets only (the URL is '" + url + "')");
    return makeSshTarget(name, url, workdir, worker, identity);
}

QJsonObject slurmOptionsJson(const SlurmOptions &o)
{
    QJsonObject j;
    const std::pair<const char *, const std::string *> texts[] = {
        {"partition", &o.partition}, {"account", &o.account}, {"qos", &o.qos}, {"time", &o.time}, {"mem", &o.mem}};
    for (const auto &[key, v] : texts) {
        if (!v->empty())
            j.insert(key, QString::fromStdString(*v));
    }
    if (o.gpusPerNode > 0)
        j.insert("gpus_per_node", o.gpusPerNode);
    if (o.cpusPerTask > 0)
        j.insert("cpus_per_task", o.cpusPerTask);
    if (!o.sbatchArgs.empty()) {
        QJsonArray a;
        for (const auto &x : o.sbatchArgs)
            a.append(QString::fromStdString(x));
        j.insert("sbatch_args", a);
    }
    return j;
}

SlurmOptions slurmOptionsFromJson(const QJsonObject &j)
{
    SlurmOptions o;
    o.partition = j.value("partition").toString().toStdString();
    o.account = j.value("account").toString().toStdString();
    o.qos = j.value("qos").toString().toStdString();
    o.time = j.value("time").toString().toStdString();
    o.mem = j.value("mem").toString().toStdString();
    o.gpusPerNode = j.value("gpus_per_node").toInt();
    o.cpusPerTask = j.value("cpus_per_task").toInt();
    for (const QJsonValue &v : j.value("sbatch_args").toArray())
        o.sbatchArgs.push_back(v.toString().toStdString());
    checkSlurmOptions(o);
    return o;
}

namespace {

Target fromRow(const store::Statement &s)
{
    const SlurmOptions options = slurmOptionsFromJson(
        QJsonDocument::fromJson(QByteArray::fromStdString(s.text(6))).object());
    Target t = makeTarget(s.text(0), s.text(1), s.text(2), s.text(3), s.text(4), options);
    t.createdAt = s.text(5);
    return t;
}

constexpr const char *kColumns =
    "SELECT name, url, workdir, worker, identity, created_at, options FROM compute_targets";

} // namespace

std::vector<Target> listTargets(store::Database &db)
{
    std::vector<Target> out{localTarget()};
    store::Statement s(db, std::string(kColumns) + " ORDER BY name");
    while (s.step())
        out.push_back(fromRow(s));
    return out;
}

std::vector<std::string> targetNames(store::Database &db)
{
    std::vector<std::string> out;
    for (const Target &t : listTargets(db))
        out.push_back(t.name);
    return out;
}

Target findTarget(store::Database &db, const std::string &name)
{
    if (name.empty() || name == "local")
        return localTarget();
    store::Statement s(db, std::string(kColumns) + " WHERE name = ?");
    s.bind(1, name);
    if (s.step())
        return fromRow(s);
    std::string known;
    for (const std::string &n : targetNames(db))
        known += (known.empty() ? "" : ", ") + n;
    throw std::invalid_argument("unknown compute target '" + name + "' (targets: " + known
                                + "; add one with: pipewright targets add NAME ssh://USER@HOST --workdir DIR)");
}

void addTarget(store::Database &db, const Target &t)
{
    if (t.isLocal())
        throw std::invalid_argument("target 'local' is always there");
    store::Transaction tx(db);
    store::Statement exists(db, "SELECT 1 FROM compute_targets WHERE name = ?");
    exists.bind(1, t.name);
    if (exists.step())
        throw std::invalid_argument("target '" + t.name + "' exists already (remove it first)");
    store::Statement ins(db, "INSERT INTO compute_targets(name, url, workdir, worker, identity, created_at, options) "
                             "VALUES(?,?,?,?,?,?,?)");
    ins.bind(1, t.name)
        .bind(2, t.url())
        .bind(3, t.workdir)
        .bind(4, t.worker)
        .bind(5, t.identity)
        .bind(6, QDateTime::currentDateTimeUtc().toString(Qt::ISODateWithMs).toStdString())
        .bind(7, QJsonDocument(slurmOptionsJson(t.slurm)).toJson(QJsonDocument::Compact).toStdString())
        .exec();
    tx.commit();
}

void removeTarget(store::Database &db, const std::string &name)
{
    if (name == "local")
        throw std::invalid_argument("target 'local' cannot be removed");
    store::Statement del(db, "DELETE FROM compute_targets WHERE name = ?");
    del.bind(1, name).exec();
    if (db.changes() == 0)
        findTarget(db, name); // throws, naming the known targets
}

QJsonObject targetJson(const Target &t)
{
    QJsonObject o{{"name", QString::fromStdString(t.name)},
                  {"kind", QString::fromStdString(t.kind)},
                  {"url", QString::fromStdString(t.url())}};
    if (!t.isLocal()) {
        o.insert("host", QString::fromStdString(t.host));
        o.insert("user", QString::fromStdString(t.user));
        o.insert("port", t.port);
        o.insert("workdir", QString::fromStdString(t.workdir));
        o.insert("worker", QString::fromStdString(t.worker));
        o.insert("identity", QString::fromStdString(t.identity));
        o.insert("created_at", QString::fromStdString(t.createdAt));
    }
    if (t.isSlurm())
        o.insert("slurm", slurmOptionsJson(t.slurm));
    return o;
}

// On the host: run the worker's info from the workdir (a relative --worker is relative to it); 127 when the
// worker cannot be found or run.
static const char *const kInfoScript = R"sh(cd "$1" 2>/dev/null
case "$2" in */*) [ -x "$2" ] || exit 127 ;; *) command -v "$2" >/dev/null 2>&1 || exit 127 ;; esac
exec "$2" info)sh";

QJsonObject testTarget(const Target &t)
{
    if (t.isSlurm())
        return slurm::testCluster(t);
    QElapsedTimer clock;
    clock.start();
    QJsonObject out{{"name", QString::fromStdString(t.name)},
                    {"url", QString::fromStdString(t.url())},
                    {"reachable", false},
                    {"worker", QJsonValue::Null},
                    {"torch", QJsonValue::Null},
                    {"cuda", false},
                    {"devices", QJsonArray()}};
    QByteArray stdoutText, stderrText;
    int exitCode = -1;
    if (t.isLocal()) {
        out["reachable"] = true;
        QProcess p;
        p.start(workerPath(), {"info"});
        p.waitForFinished(60000);
        stdoutText = p.readAllStandardOutput();
        stderrText = p.readAllStandardError();
        exitCode = p.exitStatus() == QProcess::NormalExit && p.error() != QProcess::FailedToStart ? p.exitCode() : 127;
    } else {
        const ssh::Result r = ssh::run(
            t, {"sh", "-c", kInfoScript, "sh", QString::fromStdString(t.workdir), QString::fromStdString(t.worker)}, {},
            60000);
        stdoutText = r.out;
        stderrText = r.err;
        exitCode = r.started ? r.exitCode : -1;
        if (!r.started || r.exitCode == 255 || r.timedOut) {
            out["error"] = r.started ? ssh::explainFailure(t, r.err) : QString::fromUtf8(r.err);
            out["seconds"] = double(clock.elapsed()) / 1000.0;
            return out;
        }
        out["reachable"] = true;
    }
    out["seconds"] = double(clock.elapsed()) / 1000.0;
    if (exitCode == 127) {
        out["error"] = "the worker '" + QString::fromStdString(t.worker) + "' is not on "
                       + QString::fromStdString(t.name)
                       + (t.isLocal() ? QString()
                                      : " (looked for it from " + QString::fromStdString(t.workdir)
                                            + " and on the PATH of a non-interactive login)")
                       + ": install pipewright-worker there (README: setting up a GPU host) or give --worker PATH";
        return out;
    }
    for (const QByteArray &line : stdoutText.split('\n')) {
        const QJsonDocument doc = QJsonDocument::fromJson(line.trimmed());
        if (doc.isObject() && doc.object().value("event").toString() == "info") {
            const QJsonObject info = doc.object();
            out["worker"] = info.value("worker_version");
            out["torch"] = info.value("torch_version");
            out["cuda"] = info.value("cuda_available").toBool();
            out["devices"] = info.value("devices");
            out["models"] = info.value("models");
            return out;
        }
    }
    out["error"] = "the worker on " + QString::fromStdString(t.name) + " did not answer `info` (exit code "
                   + QString::number(exitCode) + "): " + QString::fromUtf8(stderrText.right(600)).trimmed();
    return out;
}

} // namespace pw::compute
