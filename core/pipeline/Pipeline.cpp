// Pipeline files: parsing, validation (in named steps, one per concern) and ordering.
#include "core/pipeline/Pipeline.h"

#include "core/pipeline/Schedule.h"
#include "core/store/JsonCheck.h"

#include <QFile>
#include <QJsonDocument>
#include <QLocale>
#include <QRegularExpression>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cmath>
#include <cstring>
#include <functional>
#include <cstdint>
#include <set>
#include <stdexcept>
#include <unordered_map>
#include <unordered_set>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace pw::pipeline {

namespace {

std::string quoted(const std::string &s)
{
    return "'" + printable(s) + "'";
}

bool isControl(QChar c)
{
    return c.category() == QChar::Other_Control || c.unicode() == 0x2028 || c.unicode() == 0x2029;
}

std::string escapedControl(QChar c)
{
    switch (c.unicode()) {
    case '\n': return "\\n";
    case '\r': return "\\r";
    case '\t': return "\\t";
    default: break;
    }
    char buf[16];
    if (c.unicode() < 0x100)
        std::snprintf(buf, sizeof buf, "\\x%02x", unsigned(c.unicode()));
    else
        std::snprintf(buf, sizeof buf, "\\u%04x", unsigned(c.unicode()));
    return buf;
}

// A number as a person wrote it: whole numbers in digits (3000000000, not 3e+09).
std::string numberText(double d)
{
    if (d == std::floor(d) && std::abs(d) < 1e16)
        return std::to_string(static_cast<long long>(d));
    return QString::number(d, 'g', QLocale::FloatingPointShortest).toStdString();
}

// The range of integer fields and parameters: what the int they are read into holds.
const std::string kIntRange = std::to_string(INT_MIN) + " to " + std::to_string(INT_MAX);

// Why `v` is not a whole number that fits an int; empty when it is one.
std::string wholeNumberProblem(const QJsonValue &v, const char *typeName)
{
    if (!v.isDouble())
        return std::string("must be a whole number, not ") + typeName;
    const double d = v.toDouble();
    if (d != std::floor(d))
        return "must be a whole number, not " + numberText(d);
    if (d < double(INT_MIN) || d > double(INT_MAX))
        return numberText(d) + " is out of range (a whole number from " + kIntRange + ")";
    return {};
}

QString qs(const std::string &s)
{
    return QString::fromStdString(s);
}

const char *jsonTypeName(const QJsonValue &v)
{
    switch (v.type()) {
    case QJsonValue::Null: return "null";
    case QJsonValue::Bool: return "a boolean";
    case QJsonValue::Double: return "a number";
    case QJsonValue::String: return "a string";
    case QJsonValue::Array: return "an array";
    case QJsonValue::Object: return "an object";
    default: return "undefined";
    }
}

// Reads fields of one JSON object, recording an error for each field of the wrong type.
class Reader
{
public:
    Reader(const QJsonObject &o, std::string taskKey, std::string prefix, std::vector<ValidationError> &errors)
        : m_o(o)
        , m_key(std::move(taskKey))
        , m_prefix(std::move(prefix))
        , m_errors(errors)
    {
    }
    bool has(const char *f) const { return m_o.contains(QLatin1String(f)); }
    std::string string(const char *f, const std::string &def = {})
    {
        const QJsonValue v = m_o.value(QLatin1String(f));
        if (v.isUndefined() || v.isNull())
            return def;
        if (!v.isString()) {
            wrong(f, "a string", v);
            return def;
        }
        return v.toString().toStdString();
    }
    int integer(const char *f, int def)
    {
        const QJsonValue v = m_o.value(QLatin1String(f));
        if (v.isUndefined() || v.isNull())
            return def;
        if (const std::string problem = wholeNumberProblem(v, jsonTypeName(v)); !problem.empty()) {
            error(f, problem);
            return def;
        }
        return int(v.toDouble());
    }
    bool boolean(const char *f, bool def)
    {
        const QJsonValue v = m_o.value(QLatin1String(f));
        if (v.isUndefined() || v.isNull())
            return def;
        if (!v.isBool()) {
            wrong(f, "true or false", v);
            return def;
        }
        return v.toBool();
    }
    QJsonObject object(const char *f)
    {
        const QJsonValue v = m_o.value(QLatin1String(f));
        if (v.isUndefined() || v.isNull())
            return {};
        if (!v.isObject()) {
            wrong(f, "an object", v);
            return {};
        }
        return v.toObject();
    }
    QJsonArray array(const char *f)
    {
        const QJsonValue v = m_o.value(QLatin1String(f));
        if (v.isUndefined() || v.isNull())
            return {};
        if (!v.isArray()) {
            wrong(f, "an array", v);
            return {};
        }
        return v.toArray();
    }
    void error(const std::string &field, const std::string &message)
    {
        m_errors.push_back({m_key, m_prefix + field, message});
    }
    void wrong(const char *f, const char *expected, const QJsonValue &v)
    {
        error(f, std::string("must be ") + expected + ", not " + jsonTypeName(v));
    }

private:
    QJsonObject m_o;
    std::string m_key;
    std::string m_prefix;
    std::vector<ValidationError> &m_errors;
};

std::vector<Notification> readNotifications(const QJsonArray &a, const std::string &field,
                                            std::vector<ValidationError> &errors)
{
    std::vector<Notification> out;
    for (qsizetype i = 0; i < a.size(); ++i) {
        const std::string where = field + "[" + std::to_string(i) + "]";
        const QJsonObject o = a.at(i).toObject();
        Notification n;
        n.desktop = o.value("desktop").toBool();
        for (const QJsonValue &v : o.value("argv").toArray()) {
            if (!v.isString())
                errors.push_back({{}, where + ".argv", "every element must be a string"});
            n.argv.push_back(v.toString().toStdString());
        }
        if (!a.at(i).isObject() || (!n.desktop && n.argv.empty()))
            errors.push_back({{}, where, "must be {\"desktop\": true} or {\"argv\": [\"program\", ...]}"});
        out.push_back(std::move(n));
    }
    return out;
}

QJsonArray notificationsJson(const std::vector<Notification> &list)
{
    QJsonArray a;
    for (const auto &n : list) {
        if (n.desktop) {
            a.append(QJsonObject{{"desktop", true}});
        } else {
            QJsonArray argv;
            for (const auto &s : n.argv)
                argv.append(qs(s));
            a.append(QJsonObject{{"argv", argv}});
        }
    }
    return a;
}

// Checks one parameter value against its kind; returns the problem, or empty.
std::string checkKind(const QJsonValue &v, const std::string &kind)
{
    if (kind == "string")
        return v.isString() ? "" : std::string("must be a string, not ") + jsonTypeName(v);
    if (kind == "integer") {
        if (v.isString() && v.toString().contains("{{"))
            return {}; // a reference, checked when resolved
        return wholeNumberProblem(v, jsonTypeName(v));
    }
    if (kind == "number") {
        if (v.isString() && v.toString().contains("{{"))
            return {};
        return v.isDouble() ? "" : std::string("must be a number, not ") + jsonTypeName(v);
    }
    if (kind == "boolean")
        return v.isBool() ? "" : std::string("must be true or false, not ") + jsonTypeName(v);
    if (kind == "object")
        return v.isObject() ? "" : std::string("must be an object, not ") + jsonTypeName(v);
    if (kind == "string-list") {
        if (!v.isArray() || v.toArray().isEmpty())
            return "must be a non-empty array of strings";
        for (const QJsonValue &e : v.toArray()) {
            if (!e.isString())
                return std::string("must hold only strings, not ") + jsonTypeName(e);
        }
        return {};
    }
    if (kind.rfind("choice:", 0) == 0) {
        if (!v.isString())
            return std::string("must be a string, not ") + jsonTypeName(v);
        const std::string value = v.toString().toStdString();
        if (value.find("{{") != std::string::npos)
            return {};
        std::string options = kind.substr(7);
        std::string list;
        std::size_t start = 0;
        while (start <= options.size()) {
            const auto bar = options.find('|', start);
            const std::string option = options.substr(start,
                                                      bar == std::string::npos ? std::string::npos : bar - start);
            if (option == value)
                return {};
            list += (list.empty() ? "" : ", ") + option;
            if (bar == std::string::npos)
                break;
            start = bar + 1;
        }
        return quoted(value) + " is not one of " + list;
    }
    return {};
}

// Every string inside a JSON value (recursively), for reference checks.
void collectStrings(const QJsonValue &v, const std::string &path, std::vector<std::pair<std::string, std::string>> &out)
{
    if (v.isString()) {
        out.emplace_back(path, v.toString().toStdString());
    } else if (v.isArray()) {
        const QJsonArray a = v.toArray();
        for (qsizetype i = 0; i < a.size(); ++i)
            collectStrings(a.at(i), path + "[" + std::to_string(i) + "]", out);
    } else if (v.isObject()) {
        const QJsonObject o = v.toObject();
        for (auto it = o.begin(); it != o.end(); ++it)
            collectStrings(it.value(), path + "." + it.key().toStdString(), out);
    }
}

} // namespace

const Task *Pipeline::task(const std::string &key) const
{
    for (const Task &t : tasks) {
        if (t.key == key)
            return &t;
    }
    return nullptr;
}

Task *Pipeline::task(const std::string &key)
{
    for (Task &t : tasks) {
        if (t.key == key)
            return &t;
    }
    return nullptr;
}

std::vector<Reference> referencesIn(const std::string &text)
{
    static const QRegularExpression re(R"(\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\.([^.}\s]+)(?:\.([^}\s]+))?\s*\}\})");
    std::vector<Reference> out;
    auto it = re.globalMatch(qs(text));
    while (it.hasNext()) {
        const auto m = it.next();
        out.push_back({m.captured(1).toStdString(), m.captured(2).toStdString(), m.captured(3).toStdString(),
                       m.captured(0).toStdString()});
    }
    return out;
}

Pipeline parsePipeline(const QByteArray &json, std::vector<ValidationError> &errors)
{
    Pipeline p;
    QJsonParseError perr{};
    for (const store::JsonIssue &issue : store::checkJson(std::string_view(json.constData(), std::size_t(json.size()))))
        errors.push_back(
            {{}, {}, issue.text()}); // what Qt's parser lets through: raw control characters, duplicate keys
    const QJsonDocument doc = QJsonDocument::fromJson(json, &perr);
    if (perr.error != QJsonParseError::NoError) {
        errors.push_back(
            {{}, {}, "malformed JSON at " + jsonErrorPosition(json, perr) + ": " + perr.errorString().toStdString()});
        return p;
    }
    if (!doc.isObject()) {
        errors.push_back({{}, {}, "a pipeline file holds one JSON object"});
        return p;
    }
    const QJsonObject root = doc.object();
    Reader r(root, {}, {}, errors);
    p.name = r.string("name");
    p.description = r.string("description");
    p.formatVersion = r.integer("format_version", kFormatVersion);
    p.maxConcurrentRuns = r.integer("max_concurrent_runs", 1);
    p.maxParallelTasks = r.integer("max_parallel_tasks", 2);
    const QJsonObject params = r.object("parameters");
    for (auto it = params.begin(); it != params.end(); ++it) {
        const QJsonValue v = it.value();
        if (v.isString())
            p.parameters.emplace_back(it.key().toStdString(), v.toString().toStdString());
        else if (v.isDouble() || v.isBool())
            p.parameters.emplace_back(
                it.key().toStdString(),
                QJsonDocument(QJsonArray{v}).toJson(QJsonDocument::Compact).mid(1).chopped(1).toStdString());
        else
            errors.push_back({{}, "parameters." + it.key().toStdString(), "must be a string, number or boolean"});
    }
    if (r.has("schedule")) {
        const QJsonObject s = r.object("schedule");
        Reader sr(s, {}, "schedule.", errors);
        ScheduleSpec spec;
        // Databricks' field is quartz_cron_expression; "cron" (5 fields) is ours. With neither, validate()
        // reports the missing expression under Databricks' name.
        spec.quartz = s.contains("quartz_cron_expression") || !s.contains("cron");
        spec.expression = sr.string(spec.quartz ? "quartz_cron_expression" : "cron");
        spec.timezone = sr.string("timezone_id", "UTC");
        const std::string pause = sr.string("pause_status", "UNPAUSED");
        if (pause != "PAUSED" && pause != "UNPAUSED")
            sr.error("pause_status", quoted(pause) + " is not PAUSED or UNPAUSED");
        spec.paused = pause == "PAUSED";
        p.schedule = spec;
    }
    if (r.has("trigger")) {
        const QJsonObject t = r.object("trigger");
        if (t.contains("file_arrival")) {
            Reader fr(t.value("file_arrival").toObject(), {}, "trigger.file_arrival.", errors);
            FileArrivalTrigger fa;
            fa.path = fr.string("path");
            fa.minSecondsBetweenTriggers = fr.integer("min_seconds_between_triggers", 0);
            p.fileArrival = fa;
        }
    }
    if (r.has("notifications")) {
        const QJsonObject n = r.object("notifications");
        p.notifications.onStart = readNotifications(n.value("on_start").toArray(), "notifications.on_start", errors);
        p.notifications.onSuccess = readNotifications(n.value("on_success").toArray(), "notifications.on_success",
                                                      errors);
        p.notifications.onFailure = readNotifications(n.value("on_failure").toArray(), "notifications.on_failure",
                                                      errors);
    }
    const QJsonArray tasks = r.array("tasks");
    for (qsizetype i = 0; i < tasks.size(); ++i) {
        if (!tasks.at(i).isObject()) {
            errors.push_back({{}, "tasks[" + std::to_string(i) + "]", "must be an object"});
            continue;
        }
        const QJsonObject to = tasks.at(i).toObject();
        Task t;
        t.key = to.value("task_key").toString().toStdString();
        Reader tr(to, t.key, {}, errors);
        tr.string("task_key");
        t.type = tr.string("type");
        t.description = tr.string("description");
        t.params = tr.object("params");
        for (const QJsonValue &d : tr.array("depends_on")) {
            if (d.isObject() && d.toObject().value("task_key").isString())
                t.dependsOn.push_back(d.toObject().value("task_key").toString().toStdString());
            else if (d.isString())
                t.dependsOn.push_back(d.toString().toStdString());
            else
                tr.error("depends_on", "each entry must be {\"task_key\": KEY}");
        }
        t.runIf = tr.string("run_if", "ALL_SUCCESS");
        t.target = tr.string("target", "local");
        t.timeoutSeconds = tr.integer("timeout_seconds", 0);
        t.maxRetries = tr.integer("max_retries", 0);
        t.minRetryIntervalMillis = tr.integer("min_retry_interval_millis", 0);
        t.retryOnTimeout = tr.boolean("retry_on_timeout", false);
        p.tasks.push_back(std::move(t));
    }
    const QJsonObject layout = r.object("layout");
    for (auto it = layout.begin(); it != layout.end(); ++it) {
        const QJsonObject pos = it.value().toObject();
        p.layout[it.key().toStdString()] = {pos.value("x").toDouble(), pos.value("y").toDouble()};
    }
    return p;
}

QByteArray readRegularFile(const std::string &path)
{
    // O_NONBLOCK: opening a FIFO for reading would otherwise wait for a writer. The check is on the open
    // descriptor, so the file cannot be swapped between the check and the read.
    const int fd = ::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0)
        throw std::runtime_error("cannot read '" + printable(path) + "': " + std::strerror(errno));
    struct stat st
    {
    };
    if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        const int err = errno;
        ::close(fd);
        const char *what = S_ISDIR(st.st_mode)                          ? "a folder"
                           : S_ISFIFO(st.st_mode)                       ? "a FIFO (named pipe)"
                           : S_ISSOCK(st.st_mode)                       ? "a socket"
                           : S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode) ? "a device"
                                                                        : nullptr;
        throw std::runtime_error("cannot read '" + printable(path) + "': "
                                 + (what ? std::string("it is ") + what + ", not a regular file" : std::strerror(err)));
    }
    ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) & ~O_NONBLOCK);
    QFile f;
    if (!f.open(fd, QIODevice::ReadOnly, QFileDevice::AutoCloseHandle)) {
        ::close(fd);
        throw std::runtime_error("cannot read '" + printable(path) + "': " + f.errorString().toStdString());
    }
    const QByteArray bytes = f.readAll();
    if (f.error() != QFileDevice::NoError)
        throw std::runtime_error("cannot read '" + printable(path) + "': " + f.errorString().toStdString());
    return bytes;
}

Pipeline loadPipeline(const std::string &path, std::vector<ValidationError> &errors)
{
    QByteArray bytes;
    try {
        bytes = readRegularFile(path);
    } catch (const std::runtime_error &e) {
        errors.push_back({{}, {}, std::string("pipeline file: ") + e.what()});
        return {};
    }
    return parsePipeline(bytes, errors);
}

std::vector<std::string> upstreamOf(const Pipeline &p, const std::string &key)
{
    std::unordered_map<std::string, const Task *> index;
    index.reserve(p.tasks.size());
    for (const Task &t : p.tasks)
        index.emplace(t.key, &t);
    std::vector<std::string> out;
    std::unordered_set<std::string> seen;
    std::vector<std::string> stack{key};
    while (!stack.empty()) {
        const std::string k = stack.back();
        stack.pop_back();
        const auto found = index.find(k);
        const Task *t = found == index.end() ? nullptr : found->second;
        if (!t)
            continue;
        for (const auto &d : t->dependsOn) {
            if (seen.insert(d).second) {
                out.push_back(d);
                stack.push_back(d);
            }
        }
    }
    return out;
}

std::vector<std::string> topologicalOrder(const Pipeline &p)
{
    std::map<std::string, int> indegree;
    std::map<std::string, std::vector<std::string>> dependents;
    for (const Task &t : p.tasks)
        indegree.emplace(t.key, 0);
    for (const Task &t : p.tasks) {
        for (const auto &d : t.dependsOn) {
            if (!indegree.count(d))
                continue; // a missing task: reported by validate()
            ++indegree[t.key];
            dependents[d].push_back(t.key);
        }
    }
    // File order among the ready ones: a stable, readable order.
    std::map<std::string, std::size_t> position;
    for (std::size_t i = 0; i < p.tasks.size(); ++i)
        position.emplace(p.tasks[i].key, i);
    auto later = [&](const std::string &a, const std::string &b) { return position[a] > position[b]; };
    std::vector<std::string> ready;
    for (const Task &t : p.tasks) {
        if (indegree[t.key] == 0 && std::find(ready.begin(), ready.end(), t.key) == ready.end())
            ready.push_back(t.key);
    }
    std::make_heap(ready.begin(), ready.end(), later);
    std::vector<std::string> order;
    while (!ready.empty()) {
        std::pop_heap(ready.begin(), ready.end(), later);
        const std::string k = ready.back();
        ready.pop_back();
        order.push_back(k);
        for (const auto &d : dependents[k]) {
            if (--indegree[d] == 0) {
                ready.push_back(d);
                std::push_heap(ready.begin(), ready.end(), later);
            }
        }
    }
    return order;
}

namespace {

// The errors of one validate() call, with the checks every step shares.
class Problems
{
public:
    void add(const std::string &key, const std::string &field, const std::string &message)
    {
        m_errors.push_back({key, field, message});
    }
    // Names reach files (unit files, crontab lines, logs) and terminals: one line of text each.
    void oneLine(const std::string &key, const std::string &field, const std::string &what, const std::string &value)
    {
        const std::string c = firstControlCharacter(value);
        if (!c.empty())
            add(key, field,
                what + " " + quoted(value) + " contains the control character " + c
                    + "; it must be one line of printable text");
    }
    std::vector<ValidationError> take() { return std::move(m_errors); }

private:
    std::vector<ValidationError> m_errors;
};

void checkSchedule(const ScheduleSpec &s, Problems &out)
{
    const std::string field = s.quartz ? "schedule.quartz_cron_expression" : "schedule.cron";
    if (QString::fromStdString(s.expression).trimmed().isEmpty()) {
        out.add({}, field,
                "missing: a schedule needs \"quartz_cron_expression\" (Quartz, 6-7 fields, as Databricks) "
                "or \"cron\" (5 fields)");
    } else {
        try {
            parseCron(s.expression, s.quartz);
        } catch (const std::invalid_argument &e) {
            out.add({}, field, printable(e.what()));
        }
    }
    try {
        timeZone(s.timezone);
    } catch (const std::invalid_argument &e) {
        out.add({}, "schedule.timezone_id", e.what());
    }
}

// The pipeline's own fields: name, parameters, format, limits, schedule and trigger.
void checkPipelineFields(const Pipeline &p, Problems &out)
{
    if (p.name.empty())
        out.add({}, "name", "a pipeline needs a name");
    out.oneLine({}, "name", "the pipeline name", p.name);
    for (const auto &[name, value] : p.parameters)
        out.oneLine({}, "parameters." + printable(name), "the parameter name", name);
    if (p.formatVersion != kFormatVersion)
        out.add({}, "format_version",
                "format version " + std::to_string(p.formatVersion) + " is not supported (this is "
                    + std::to_string(kFormatVersion) + ")");
    if (p.maxConcurrentRuns < 1)
        out.add({}, "max_concurrent_runs", "must be at least 1");
    if (p.maxParallelTasks < 1)
        out.add({}, "max_parallel_tasks", "must be at least 1");
    if (p.tasks.empty())
        out.add({}, "tasks", "a pipeline needs at least one task");
    if (p.schedule)
        checkSchedule(*p.schedule, out);
    if (p.fileArrival && p.fileArrival->path.empty())
        out.add({}, "trigger.file_arrival.path", "names no folder");
    if (p.fileArrival && p.fileArrival->minSecondsBetweenTriggers < 0)
        out.add({}, "trigger.file_arrival.min_seconds_between_triggers", "must not be negative");
}

// Which tasks are upstream of which: ancestor bit sets built in dependency order, so each question is a lookup.
class Ancestry
{
public:
    explicit Ancestry(const Pipeline &p)
    {
        for (std::size_t i = 0; i < p.tasks.size(); ++i)
            m_position.emplace(p.tasks[i].key, i);
        const std::size_t words = (p.tasks.size() + 63) / 64;
        m_bits.assign(p.tasks.size(), std::vector<std::uint64_t>(words, 0));
        for (const auto &k : topologicalOrder(p)) {
            const std::size_t i = m_position[k];
            for (const auto &d : p.tasks[i].dependsOn) {
                const auto found = m_position.find(d);
                if (found == m_position.end())
                    continue;
                const std::size_t j = found->second;
                m_bits[i][j / 64] |= std::uint64_t(1) << (j % 64);
                for (std::size_t w = 0; w < words; ++w)
                    m_bits[i][w] |= m_bits[j][w];
            }
        }
    }
    /** Whether `other` is a transitive upstream task of `key`. */
    bool isUpstream(const std::string &key, const std::string &other) const
    {
        const auto a = m_position.find(key), b = m_position.find(other);
        if (a == m_position.end() || b == m_position.end())
            return false;
        return ((m_bits[a->second][b->second / 64] >> (b->second % 64)) & 1U) != 0;
    }

private:
    std::unordered_map<std::string, std::size_t> m_position;
    std::vector<std::vector<std::uint64_t>> m_bits;
};

// A task's type: one of the registry's.
void checkType(const Task &t, const TaskType *type, Problems &out)
{
    if (type)
        return;
    std::string list;
    for (const auto &tt : taskTypes())
        list += (list.empty() ? "" : ", ") + std::string(tt.name);
    out.add(t.key, "type",
            (t.type.empty() ? std::string("missing") : "unknown type " + quoted(t.type)) + " (types: " + list + ")");
}

// A task's target: a target name, and "local" unless the registry lets its type run on a compute target.
void checkTarget(const Task &t, const TaskType *type, Problems &out)
{
    // The workspace's targets are checked when the task runs (a pipeline file does not know the workspace).
    static const QRegularExpression targetName(QStringLiteral(R"(\A[A-Za-z0-9_.-]+\z)"));
    if (!targetName.match(qs(t.target)).hasMatch())
        out.add(t.key, "target",
                "compute target " + quoted(t.target) + " is not a target name (letters, digits, '.', '_', '-')");
    else if (t.target != "local" && !(type && type->onTarget))
        out.add(t.key, "target",
                "a " + t.type + " task runs where the catalog is (local); only " + targetTypesText()
                    + " tasks run on a compute target such as " + quoted(t.target));
}

// A task's own fields: key, type, dependencies, run_if, target, limits.
void checkTaskFields(const Task &t, const std::map<std::string, int> &keys, bool firstOfKey, Problems &out)
{
    // \A and \z: '$' would also match before a final newline.
    static const QRegularExpression keyRe(R"(\A[A-Za-z0-9_-]{1,100}\z)");
    if (!keyRe.match(qs(t.key)).hasMatch())
        out.add(t.key, "task_key",
                "task key " + quoted(t.key) + " may hold only letters, digits, '_' and '-' (1 to 100)");
    const int copies = keys.at(t.key);
    if (copies > 1 && firstOfKey)
        out.add(t.key, "task_key", "duplicate task key " + quoted(t.key) + " (" + std::to_string(copies) + " tasks)");
    const TaskType *type = taskType(t.type);
    checkType(t, type, out);
    for (const auto &d : t.dependsOn) {
        if (!keys.count(d))
            out.add(t.key, "depends_on", "depends on " + quoted(d) + ", which is not a task of this pipeline");
        if (d == t.key)
            out.add(t.key, "depends_on", "depends on itself");
    }
    if (std::find(std::begin(kRunIfConditions), std::end(kRunIfConditions), t.runIf) == std::end(kRunIfConditions))
        out.add(t.key, "run_if",
                "unknown condition " + quoted(t.runIf)
                    + " (ALL_SUCCESS, AT_LEAST_ONE_SUCCESS, NONE_FAILED, ALL_DONE, "
                      "AT_LEAST_ONE_FAILED, ALL_FAILED)");
    checkTarget(t, type, out);
    if (t.timeoutSeconds < 0)
        out.add(t.key, "timeout_seconds", "must not be negative");
    if (t.maxRetries < -1)
        out.add(t.key, "max_retries", "must be -1 (indefinitely), 0 or more");
    if (t.minRetryIntervalMillis < 0)
        out.add(t.key, "min_retry_interval_millis", "must not be negative");
}

// A task's parameters against its type's: each required one present, each of its kind, none unknown.
void checkParams(const Task &t, const TaskType &type, Problems &out)
{
    for (const ParamSpec &ps : type.params) {
        const QJsonValue v = t.params.value(QLatin1String(ps.name));
        if (v.isUndefined() || v.isNull() || (v.isString() && v.toString().trimmed().isEmpty())) {
            if (ps.required)
                out.add(t.key, std::string("params.") + ps.name,
                        std::string("missing (") + ps.kind + ": " + ps.help + ")");
            continue;
        }
        const std::string problem = checkKind(v, ps.kind);
        if (!problem.empty())
            out.add(t.key, std::string("params.") + ps.name, problem);
    }
    for (auto it = t.params.begin(); it != t.params.end(); ++it) {
        const std::string name = it.key().toStdString();
        const bool known = std::any_of(type.params.begin(), type.params.end(),
                                       [&](const ParamSpec &ps) { return name == ps.name; });
        if (!known) {
            std::string list;
            for (const ParamSpec &ps : type.params)
                list += (list.empty() ? "" : ", ") + std::string(ps.name);
            out.add(t.key, "params." + name, "unknown parameter of a " + t.type + " task (parameters: " + list + ")");
        }
    }
}

// One {{tasks.KEY.OUTPUT}} reference of task `t`: KEY is an upstream task with that output.
void checkTaskReference(const Pipeline &p, const Task &t, const Ancestry &ancestry, const std::string &field,
                        const Reference &ref, Problems &out)
{
    const Task *src = p.task(ref.name);
    if (!src) {
        out.add(t.key, field, ref.text + ": no task named " + quoted(ref.name));
    } else if (!ancestry.isUpstream(t.key, ref.name)) {
        out.add(t.key, field,
                ref.text + ": task " + quoted(ref.name) + " is not upstream of " + quoted(t.key)
                    + " (add it to depends_on)");
    } else if (ref.output.empty()) {
        out.add(t.key, field, ref.text + ": names no output ({{tasks.KEY.OUTPUT}})");
    } else if (const TaskType *st = taskType(src->type); st && !st->anyOutput) {
        const bool has = std::any_of(st->outputs.begin(), st->outputs.end(),
                                     [&](const char *o) { return ref.output == o; });
        if (!has) {
            std::string list;
            for (const char *o : st->outputs)
                list += (list.empty() ? "" : ", ") + std::string(o);
            out.add(t.key, field,
                    ref.text + ": a " + src->type + " task has no output " + quoted(ref.output) + " (outputs: " + list
                        + ")");
        }
    }
}

// The {{...}} references in a task's parameters: declared parameters, upstream outputs, run values.
void checkReferences(const Pipeline &p, const Task &t, const std::set<std::string> &declared, const Ancestry &ancestry,
                     Problems &out)
{
    std::vector<std::pair<std::string, std::string>> strings;
    collectStrings(t.params, "params", strings);
    for (const auto &[field, text] : strings) {
        for (const Reference &ref : referencesIn(text)) {
            if (ref.kind == "params") {
                if (!declared.count(ref.name))
                    out.add(t.key, field, ref.text + ": no pipeline parameter named " + quoted(ref.name));
            } else if (ref.kind == "tasks") {
                checkTaskReference(p, t, ancestry, field, ref, out);
            } else if (ref.kind == "run") {
                if (ref.name != "id" && ref.name != "name")
                    out.add(t.key, field, ref.text + ": unknown run value (run.id, run.name)");
            } else {
                out.add(t.key, field, ref.text + ": unknown reference (params.NAME, tasks.KEY.OUTPUT, run.id)");
            }
        }
    }
}

// The cycle through `start` among the tasks not in `ordered` (walking dependencies until a task repeats), in
// dependency order; empty when `start` is only downstream of a cycle.
std::vector<std::string> cycleFrom(const Pipeline &p, const std::string &start, const std::set<std::string> &ordered,
                                   const std::map<std::string, int> &keys)
{
    std::vector<std::string> path{start};
    std::string cur = start;
    while (true) {
        const Task *ct = p.task(cur);
        std::string next;
        for (const auto &d : ct ? ct->dependsOn : std::vector<std::string>{}) {
            if (!ordered.count(d) && keys.count(d)) {
                next = d;
                break;
            }
        }
        if (next.empty())
            return {};
        const auto at = std::find(path.begin(), path.end(), next);
        if (at != path.end()) {
            std::vector<std::string> cycle(at, path.end());
            std::reverse(cycle.begin(), cycle.end());
            return cycle;
        }
        path.push_back(next);
        cur = next;
    }
}

// Cycles: the tasks left out of the order are on a cycle or downstream of one; name each cycle once.
void checkCycles(const Pipeline &p, const std::map<std::string, int> &keys, Problems &out)
{
    const auto order = topologicalOrder(p);
    if (order.size() >= keys.size())
        return;
    const std::set<std::string> ordered(order.begin(), order.end());
    std::set<std::string> reported;
    for (const Task &t : p.tasks) {
        if (ordered.count(t.key) || reported.count(t.key))
            continue;
        const std::vector<std::string> cycle = cycleFrom(p, t.key, ordered, keys);
        const bool known = std::any_of(cycle.begin(), cycle.end(),
                                       [&](const std::string &c) { return reported.count(c) > 0; });
        if (cycle.empty() || known)
            continue;
        std::string text;
        for (const auto &c : cycle) {
            text += (text.empty() ? "" : " -> ") + c;
            reported.insert(c);
        }
        out.add(cycle.front(), "depends_on", "dependency cycle: " + text + " -> " + cycle.front());
    }
}

} // namespace

std::vector<ValidationError> validate(const Pipeline &p)
{
    Problems out;
    checkPipelineFields(p, out);
    std::set<std::string> declared;
    for (const auto &[name, value] : p.parameters)
        declared.insert(name);
    std::map<std::string, int> keys;
    for (const Task &t : p.tasks)
        ++keys[t.key];
    const Ancestry ancestry(p);
    std::set<std::string> seenKeys;
    for (const Task &t : p.tasks) {
        if (t.key.empty()) {
            out.add({}, "task_key", "a task has no task_key");
            continue;
        }
        checkTaskFields(t, keys, seenKeys.insert(t.key).second, out);
        if (const TaskType *type = taskType(t.type))
            checkParams(t, *type, out);
        checkReferences(p, t, declared, ancestry, out);
    }
    checkCycles(p, keys, out);
    return out.take();
}

QJsonObject toJson(const Pipeline &p)
{
    QJsonObject root{{"name", qs(p.name)}, {"format_version", p.formatVersion}};
    if (!p.description.empty())
        root.insert("description", qs(p.description));
    QJsonObject params;
    for (const auto &[k, v] : p.parameters)
        params.insert(qs(k), qs(v));
    root.insert("parameters", params);
    root.insert("max_concurrent_runs", p.maxConcurrentRuns);
    root.insert("max_parallel_tasks", p.maxParallelTasks);
    if (p.schedule) {
        QJsonObject s{{p.schedule->quartz ? "quartz_cron_expression" : "cron", qs(p.schedule->expression)},
                      {"timezone_id", qs(p.schedule->timezone)},
                      {"pause_status", p.schedule->paused ? "PAUSED" : "UNPAUSED"}};
        root.insert("schedule", s);
    }
    if (p.fileArrival)
        root.insert("trigger", QJsonObject{{"file_arrival", QJsonObject{{"path", qs(p.fileArrival->path)},
                                                                        {"min_seconds_between_triggers",
                                                                         p.fileArrival->minSecondsBetweenTriggers}}}});
    const auto &n = p.notifications;
    if (!n.onStart.empty() || !n.onSuccess.empty() || !n.onFailure.empty())
        root.insert("notifications", QJsonObject{{"on_start", notificationsJson(n.onStart)},
                                                 {"on_success", notificationsJson(n.onSuccess)},
                                                 {"on_failure", notificationsJson(n.onFailure)}});
    QJsonArray tasks;
    for (const Task &t : p.tasks) {
        QJsonObject o{{"task_key", qs(t.key)}, {"type", qs(t.type)}};
        if (!t.description.empty())
            o.insert("description", qs(t.description));
        if (!t.dependsOn.empty()) {
            QJsonArray deps;
            for (const auto &d : t.dependsOn)
                deps.append(QJsonObject{{"task_key", qs(d)}});
            o.insert("depends_on", deps);
            o.insert("run_if", qs(t.runIf));
        } else if (t.runIf != "ALL_SUCCESS") {
            o.insert("run_if", qs(t.runIf));
        }
        o.insert("params", t.params);
        if (t.target != "local")
            o.insert("target", qs(t.target));
        if (t.timeoutSeconds)
            o.insert("timeout_seconds", t.timeoutSeconds);
        if (t.maxRetries)
            o.insert("max_retries", t.maxRetries);
        if (t.minRetryIntervalMillis)
            o.insert("min_retry_interval_millis", t.minRetryIntervalMillis);
        if (t.retryOnTimeout)
            o.insert("retry_on_timeout", true);
        tasks.append(o);
    }
    root.insert("tasks", tasks);
    if (!p.layout.empty()) {
        QJsonObject layout;
        for (const auto &[k, pos] : p.layout)
            layout.insert(qs(k), QJsonObject{{"x", pos.x}, {"y", pos.y}});
        root.insert("layout", layout);
    }
    return root;
}

std::string jsonErrorPosition(const QByteArray &json, const QJsonParseError &error)
{
    // For a missing separator or an unterminated object or array, Qt's offset is one past the character at
    // fault; for the other errors it is that character.
    int offset = error.offset;
    if (offset > 0
        && (error.error == QJsonParseError::UnterminatedObject || error.error == QJsonParseError::UnterminatedArray
            || error.error == QJsonParseError::MissingNameSeparator
            || error.error == QJsonParseError::MissingValueSeparator))
        --offset;
    int line = 1, column = 1;
    for (int i = 0; i < offset && i < json.size(); ++i) {
        if (json[i] == '\n') {
            ++line;
            column = 1;
        } else {
            ++column;
        }
    }
    return "line " + std::to_string(line) + ", column " + std::to_string(column);
}

std::string jsonScalarText(const QJsonValue &v)
{
    if (v.isString())
        return v.toString().toStdString();
    if (v.isBool())
        return v.toBool() ? "true" : "false";
    if (v.isDouble()) {
        const double d = v.toDouble();
        if (d == std::floor(d) && std::abs(d) < 9e15)
            return std::to_string(static_cast<long long>(d));
        return QString::number(d, 'g', 17).toStdString();
    }
    if (v.isNull() || v.isUndefined())
        return {};
    return QJsonDocument(v.isArray() ? QJsonDocument(v.toArray()) : QJsonDocument(v.toObject()))
        .toJson(QJsonDocument::Compact)
        .toStdString();
}

QJsonValue mapJsonStrings(const QJsonValue &v, const std::function<std::string(const std::string &)> &f)
{
    if (v.isString())
        return qs(f(v.toString().toStdString()));
    if (v.isArray()) {
        QJsonArray a;
        for (const QJsonValue &e : v.toArray())
            a.append(mapJsonStrings(e, f));
        return a;
    }
    if (v.isObject()) {
        QJsonObject o;
        const QJsonObject in = v.toObject();
        for (auto it = in.begin(); it != in.end(); ++it)
            o.insert(it.key(), mapJsonStrings(it.value(), f));
        return o;
    }
    return v;
}

std::string printable(const std::string &text)
{
    const QString s = QString::fromStdString(text);
    if (std::none_of(s.begin(), s.end(), isControl))
        return text;
    QString out;
    for (const QChar c : s) {
        if (isControl(c))
            out += QString::fromStdString(escapedControl(c));
        else
            out += c;
    }
    return out.toStdString();
}

std::string firstControlCharacter(const std::string &text)
{
    const QString s = QString::fromStdString(text);
    const auto it = std::find_if(s.begin(), s.end(), isControl);
    return it == s.end() ? std::string() : escapedControl(*it);
}

std::string errorText(const ValidationError &e)
{
    return (e.taskKey.empty() ? std::string() : "task " + printable(e.taskKey) + ": ")
           + (e.field.empty() ? std::string() : printable(e.field) + ": ") + printable(e.message);
}

QJsonArray errorsJson(const std::vector<ValidationError> &errors)
{
    QJsonArray a;
    for (const auto &e : errors)
        a.append(QJsonObject{{"task_key", qs(e.taskKey)}, {"field", qs(e.field)}, {"message", qs(e.message)}});
    return a;
}

} // namespace pw::pipeline
