// Databricks Jobs API 2.1 import and export of pipelines (field names and decisions in Databricks.h).
#include "core/pipeline/Databricks.h"

#include "core/pipeline/Schedule.h"
#include "core/store/JsonCheck.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QLocale>
#include <QRegularExpression>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdlib>
#include <functional>
#include <map>
#include <set>
#include <stdexcept>

namespace pw::pipeline {

namespace {

// The notebook folder export writes for a type the registry does not know (an invalid pipeline): each
// registered type names its own notebook (TaskType.h).
constexpr const char *kNotebookFolder = "/Pipewright/";
// A well-known notebook parameter no task type uses: the Databricks user the job ran as (tasks here run as the
// local user). Import lifts it into a pipeline parameter all the same, so that nothing the job said is lost.
constexpr const char *kJobUser = "job_user";
// Job tags holding what Databricks has no field for.
constexpr const char *kTagMaxParallelTasks = "pipewright.max_parallel_tasks";
constexpr const char *kTagLayout = "pipewright.layout";
// Databricks forwards job tags to job clusters as cluster tags, so they follow cloud tag limits: 25 tags per
// job, values of at most 255 characters.
constexpr int kMaxTags = 25;
constexpr int kMaxTagValue = 255;
// How much of a value a note quotes.
constexpr int kNoteValueChars = 160;

QString qs(const std::string &s)
{
    return QString::fromStdString(s);
}

std::string quoted(const std::string &s)
{
    return "'" + s + "'";
}

std::string lower(std::string s)
{
    std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return char(std::tolower(c)); });
    return s;
}

// A JSON value as compact JSON text (a string without quotes when `bareStrings`).
std::string jsonText(const QJsonValue &v, bool bareStrings = false)
{
    if (v.isString() && bareStrings)
        return v.toString().toStdString();
    if (v.isArray())
        return QJsonDocument(v.toArray()).toJson(QJsonDocument::Compact).toStdString();
    if (v.isObject())
        return QJsonDocument(v.toObject()).toJson(QJsonDocument::Compact).toStdString();
    return QJsonDocument(QJsonArray{v}).toJson(QJsonDocument::Compact).mid(1).chopped(1).toStdString();
}

// A value as a note quotes it: compact JSON, shortened.
std::string noteValue(const QJsonValue &v)
{
    std::string text = jsonText(v);
    if (text.size() > std::size_t(kNoteValueChars))
        text = text.substr(0, kNoteValueChars) + "...";
    return text;
}

bool isEmpty(const QJsonValue &v)
{
    return v.isNull() || v.isUndefined() || (v.isArray() && v.toArray().isEmpty())
           || (v.isObject() && v.toObject().isEmpty()) || (v.isString() && v.toString().isEmpty());
}

// Where a note belongs: the job, or one of its tasks.
std::string where(const std::string &taskKey)
{
    return taskKey.empty() ? std::string("job") : "task " + quoted(taskKey);
}

// A whole number that fits an int, or nothing.
std::optional<int> wholeNumber(const QJsonValue &v)
{
    if (!v.isDouble())
        return std::nullopt;
    const double d = v.toDouble();
    if (d != std::floor(d) || std::abs(d) > 2e9)
        return std::nullopt;
    return int(d);
}

// A base parameter's text as a value of the parameter's kind (Databricks passes every parameter as a string).
// Text that does not read as the kind stays a string, for validate() to report.
QJsonValue fromBaseParameter(const std::string &raw, const std::string &kind, std::vector<std::string> &untranslated)
{
    const auto translate = [&](const std::string &s) { return fromDatabricksReferences(s, &untranslated); };
    if (kind == "string-list" || kind == "object") {
        QJsonParseError err{};
        const QJsonDocument doc = QJsonDocument::fromJson(QByteArray::fromStdString(raw), &err);
        if (err.error == QJsonParseError::NoError && kind == "string-list" && doc.isArray())
            return mapJsonStrings(doc.array(), translate);
        if (err.error == QJsonParseError::NoError && kind == "object" && doc.isObject())
            return mapJsonStrings(doc.object(), translate);
        return qs(translate(raw));
    }
    const std::string text = translate(raw);
    if (text.find("{{") != std::string::npos)
        return qs(text); // a reference, resolved when the task runs
    const QString t = qs(text).trimmed();
    bool ok = false;
    if (kind == "integer") {
        const qlonglong n = t.toLongLong(&ok);
        if (ok && std::llabs(n) <= (1LL << 53))
            return double(n);
        const double d = t.toDouble(&ok);
        if (ok && std::isfinite(d) && d == std::floor(d))
            return d;
    } else if (kind == "number") {
        const double d = t.toDouble(&ok);
        if (ok && std::isfinite(d))
            return d;
    } else if (kind == "boolean") {
        if (t.compare(QLatin1String("true"), Qt::CaseInsensitive) == 0)
            return true;
        if (t.compare(QLatin1String("false"), Qt::CaseInsensitive) == 0)
            return false;
    }
    return qs(text);
}

// A parameter value as a Databricks base parameter: a string (references translated), other values as compact
// JSON text.
std::string toBaseParameter(const QJsonValue &v)
{
    const auto translate = [](const std::string &s) { return toDatabricksReferences(s); };
    if (v.isString())
        return translate(v.toString().toStdString());
    return jsonText(mapJsonStrings(v, translate));
}

// A shell task that fails at once, saying why: what import makes of a task Pipewright cannot run.
QJsonObject failingShellParams(const std::string &message)
{
    return QJsonObject{{"argv", QJsonArray{"sh", "-c", "printf '%s\\n' \"$0\" >&2; exit 1", qs(message)}}};
}

const char *const kDayNames[] = {"SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"};

// A classic 5-field cron as the Quartz expression with the same fire times (Databricks takes only Quartz);
// empty, with `why` set, when Quartz cannot express it.
std::string quartzFromClassic(const std::string &expression, std::string &why)
{
    CronExpression e;
    try {
        e = parseCron(expression, /*quartz=*/false);
    } catch (const std::invalid_argument &ex) {
        why = ex.what();
        return {};
    }
    bool domAll = true;
    for (std::size_t d = 1; d <= 31; ++d)
        domAll = domAll && e.daysOfMonth.test(d);
    const bool dowAll = e.daysOfWeek.all();
    std::string weekdays;
    for (std::size_t w = 0; w < 7; ++w) {
        if (e.daysOfWeek.test(w))
            weekdays += (weekdays.empty() ? "" : ",") + std::string(kDayNames[w]);
    }
    std::string dom, dow;
    const bool either = !e.dayOfMonthStar && !e.dayOfWeekStar; // Vixie cron: two restricted day fields OR
    if ((either && (domAll || dowAll)) || (domAll && dowAll)) {
        dom = "*";
        dow = "?";
    } else if (!either && dowAll) {
        dom = e.fields[2];
        dow = "?";
    } else if (!either && domAll) {
        dom = "?";
        dow = weekdays;
    } else {
        why = "its day-of-month " + quoted(e.fields[2]) + " and day-of-week " + quoted(e.fields[4])
              + " are both restricted, which Quartz cannot express";
        return {};
    }
    const std::string quartz = "0 " + e.fields[0] + " " + e.fields[1] + " " + dom + " " + e.fields[3] + " " + dow;
    try {
        parseCron(quartz, /*quartz=*/true);
    } catch (const std::invalid_argument &ex) {
        why = std::string("its Quartz form ") + quoted(quartz) + " is not valid: " + ex.what();
        return {};
    }
    return quartz;
}

// The layout as tag values "KEY=X:Y KEY=X:Y ...", each at most kMaxTagValue characters.
std::vector<std::string> layoutTagValues(const Pipeline &p, std::vector<std::string> &skipped)
{
    static const QRegularExpression keyRe("^[A-Za-z0-9_-]+$");
    const auto number = [](double d) { return QString::number(d, 'g', QLocale::FloatingPointShortest).toStdString(); };
    std::vector<std::string> values;
    std::string current;
    for (const auto &[key, pos] : p.layout) {
        if (!keyRe.match(qs(key)).hasMatch()) {
            skipped.push_back(key);
            continue;
        }
        const std::string entry = key + "=" + number(pos.x) + ":" + number(pos.y);
        if (!current.empty() && current.size() + 1 + entry.size() > std::size_t(kMaxTagValue)) {
            values.push_back(current);
            current.clear();
        }
        current += (current.empty() ? "" : " ") + entry;
    }
    if (!current.empty())
        values.push_back(current);
    return values;
}

// `format` with its {} replaced by `value` ("{}@Production" -> "NAME@Production").
std::string formatted(const std::string &format, const std::string &value)
{
    std::string text = format;
    if (const auto at = text.find("{}"); at != std::string::npos)
        text.replace(at, 2, value);
    return text;
}

std::string layoutTagKey(std::size_t index)
{
    return index == 0 ? std::string(kTagLayout) : std::string(kTagLayout) + "." + std::to_string(index + 1);
}

// The type a notebook path or python file (of the task `taskKey`) maps to; empty when none. `how` says which
// rule matched.
std::string mapType(const std::string &path, const std::string &taskKey, const std::vector<TypeMapping> &mappings,
                    std::string &how)
{
    for (const TaskType &t : taskTypes()) {
        if (t.databricks.notebook && path == t.databricks.notebook) {
            how.clear(); // what export writes: no note
            return t.name;
        }
    }
    const std::string lowerPath = lower(path);
    const auto slash = lowerPath.find_last_of('/');
    const std::string name = slash == std::string::npos ? lowerPath : lowerPath.substr(slash + 1);
    // The notebook's own name first, so that a folder called "training" does not make every notebook in it a
    // train task; then the task key ("Score_Images" running "05 Batch Inference"); then the whole path.
    const std::string key = lower(taskKey);
    for (const std::string *haystack : {&name, &key, &lowerPath}) {
        for (const TypeMapping &m : mappings) {
            if (!m.substring.empty() && haystack->find(lower(m.substring)) != std::string::npos) {
                how = "substring " + quoted(m.substring) + (haystack == &key ? " of the task key" : "");
                return m.type;
            }
        }
    }
    return {};
}

bool wellKnown(const std::string &name)
{
    const auto &list = wellKnownNotebookParameters();
    return std::any_of(list.begin(), list.end(), [&](const NotebookParameter &p) { return p.name == name; });
}

// Whether the last part of the notebook parameter `name` names the model when the job names none (an
// experiment's path: the registrations say which).
bool namesModel(const std::string &name)
{
    for (const TaskType &t : taskTypes()) {
        for (const NotebookLift &l : t.databricks.lifts) {
            if (l.namesModel && name == l.notebookParam)
                return true;
        }
    }
    return false;
}

// The type a task no mapping matches becomes (it runs the task's program, or fails saying what it was).
std::string fallbackType()
{
    for (const TaskType &t : taskTypes()) {
        if (t.databricks.fallback)
            return t.name;
    }
    throw std::logic_error("no task type is the Databricks import's fallback");
}

// Whether a path names Databricks storage rather than a local folder: DBFS, a Unity Catalog volume, a cloud URL.
bool isDatabricksStorage(const std::string &path)
{
    return path.rfind("/dbfs/", 0) == 0 || path.rfind("dbfs:", 0) == 0 || path.rfind("/Volumes/", 0) == 0
           || path.find("://") != std::string::npos;
}

// A registered model name made of `text`: its last path component, with each run of characters a model name
// cannot hold (Registry: letters, digits, '.', '_', '-') as one '_'. Empty when nothing is left.
std::string modelNameOf(const std::string &text)
{
    std::string last = text;
    while (!last.empty() && last.back() == '/')
        last.pop_back();
    if (const auto slash = last.find_last_of('/'); slash != std::string::npos)
        last = last.substr(slash + 1);
    std::string out;
    for (const char c : last) {
        const bool ok = std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == '.';
        if (ok)
            out += c;
        else if (!out.empty() && out.back() != '_')
            out += '_';
    }
    while (!out.empty() && (out.back() == '_' || out.front() == '.' || out.front() == '_'))
        out.erase(out.back() == '_' ? out.size() - 1 : 0, 1);
    return out.substr(0, 100);
}

// What a task's notebook said beyond its type: read in the first pass, used once every task is known.
struct NotebookValues
{
    bool foreign = false; // its type came from a mapping, not from "/Pipewright/<type>" (what export writes)
    std::vector<std::pair<std::string, std::string>> wellKnown; // base parameter -> its text, in job order
};

// A pipeline parameter that import made of notebook base parameters: where it came from, who uses it.
struct LiftedParameter
{
    std::string notebookName;
    std::vector<std::string> tasks;
    std::vector<std::string> uses; // "params.source of 'Load'"
    bool source = false; // used as an ingest task's source
};

// The reading of one job: the pipeline and the notes so far.
class Importer
{
public:
    Importer(DatabricksImport &out, std::vector<TypeMapping> mappings)
        : m_out(out)
        , m_mappings(std::move(mappings))
    {
    }

    void note(const std::string &taskKey, const std::string &text)
    {
        m_out.notes.push_back(where(taskKey) + ": " + text);
    }
    void notKept(const std::string &taskKey, const std::string &field, const QJsonValue &v)
    {
        if (!isEmpty(v))
            note(taskKey, field + " not kept: " + noteValue(v));
    }
    void untranslated(const std::string &taskKey, const std::string &field, const std::vector<std::string> &refs)
    {
        for (const auto &r : refs)
            note(taskKey, field + ": " + r
                              + " is a Databricks dynamic value reference with no Pipewright "
                                "equivalent (kept as written)");
    }

    // A whole-number field; a value of another type is noted and the default kept.
    int integer(const std::string &taskKey, const std::string &field, const QJsonValue &v, int def)
    {
        if (v.isUndefined() || v.isNull())
            return def;
        if (const auto n = wholeNumber(v))
            return *n;
        note(taskKey, field + " must be a whole number, not " + noteValue(v) + " (not kept)");
        return def;
    }
    std::string string(const std::string &taskKey, const std::string &field, const QJsonValue &v,
                       const std::string &def = {})
    {
        if (v.isUndefined() || v.isNull())
            return def;
        if (!v.isString()) {
            note(taskKey, field + " must be a string, not " + noteValue(v) + " (not kept)");
            return def;
        }
        return v.toString().toStdString();
    }

    void readJob(const QJsonObject &job)
    {
        Pipeline &p = m_out.pipeline;
        p.name = string({}, "name", job.value("name"));
        if (p.name.empty()) {
            p.name = "Untitled"; // as Databricks names a job without a name
            note({}, "name missing: named " + quoted(p.name));
        }
        for (auto it = job.begin(); it != job.end(); ++it) {
            const std::string field = it.key().toStdString();
            const QJsonValue v = it.value();
            if (field == "name" || field == "tasks" || field == "format") {
                // name: read above; tasks: read below; format (SINGLE_TASK / MULTI_TASK) only describes the job
            } else if (field == "description") {
                p.description = string({}, field, v);
            } else if (field == "max_concurrent_runs") {
                p.maxConcurrentRuns = integer({}, field, v, 1);
            } else if (field == "parameters") {
                readParameters(v);
            } else if (field == "schedule") {
                readSchedule(v);
            } else if (field == "trigger") {
                readTrigger(v);
            } else if (field == "tags") {
                readTags(v);
            } else {
                notKept({}, field, v);
            }
        }
        const QJsonArray tasks = job.value("tasks").toArray();
        for (qsizetype i = 0; i < tasks.size(); ++i) {
            if (!tasks.at(i).isObject()) {
                note({}, "tasks[" + std::to_string(i) + "] is not an object (not kept)");
                continue;
            }
            readTask(tasks.at(i).toObject(), i);
        }
        applyLayout();
        completeForeignTasks();
    }

private:
    void readParameters(const QJsonValue &v)
    {
        if (!v.isArray()) {
            note({}, "parameters must be an array of {\"name\", \"default\"}, not " + noteValue(v) + " (not kept)");
            return;
        }
        const QJsonArray a = v.toArray();
        for (qsizetype i = 0; i < a.size(); ++i) {
            const std::string field = "parameters[" + std::to_string(i) + "]";
            const QJsonObject o = a.at(i).toObject();
            const std::string name = o.value("name").toString().toStdString();
            if (name.empty()) {
                note({}, field + " has no name (not kept): " + noteValue(a.at(i)));
                continue;
            }
            const QJsonValue def = o.value("default");
            m_out.pipeline.parameters.emplace_back(name, isEmpty(def) ? std::string() : jsonText(def, true));
            for (auto it = o.begin(); it != o.end(); ++it) {
                if (it.key() != QLatin1String("name") && it.key() != QLatin1String("default"))
                    notKept({}, field + "." + it.key().toStdString(), it.value());
            }
        }
    }

    void readSchedule(const QJsonValue &v)
    {
        const QJsonObject s = v.toObject();
        if (!v.isObject() || !s.value("quartz_cron_expression").isString()) {
            note({}, "schedule has no quartz_cron_expression (not kept): " + noteValue(v));
            return;
        }
        ScheduleSpec spec;
        spec.expression = s.value("quartz_cron_expression").toString().toStdString();
        spec.quartz = true;
        spec.timezone = string({}, "schedule.timezone_id", s.value("timezone_id"), "UTC");
        const std::string pause = string({}, "schedule.pause_status", s.value("pause_status"), "UNPAUSED");
        if (pause != "PAUSED" && pause != "UNPAUSED")
            note({}, "schedule.pause_status " + quoted(pause) + " is not PAUSED or UNPAUSED (imported as UNPAUSED)");
        spec.paused = pause == "PAUSED";
        for (auto it = s.begin(); it != s.end(); ++it) {
            const QString k = it.key();
            if (k != QLatin1String("quartz_cron_expression") && k != QLatin1String("timezone_id")
                && k != QLatin1String("pause_status"))
                notKept({}, "schedule." + k.toStdString(), it.value());
        }
        m_out.pipeline.schedule = spec;
    }

    void readTrigger(const QJsonValue &v)
    {
        const QJsonObject t = v.toObject();
        for (auto it = t.begin(); it != t.end(); ++it) {
            const std::string field = "trigger." + it.key().toStdString();
            if (it.key() == QLatin1String("file_arrival") && it.value().toObject().value("url").isString()) {
                const QJsonObject fa = it.value().toObject();
                FileArrivalTrigger trigger;
                trigger.path = fa.value("url").toString().toStdString();
                trigger.minSecondsBetweenTriggers = integer({}, field + ".min_time_between_triggers_seconds",
                                                            fa.value("min_time_between_triggers_seconds"), 0);
                // A cloud location ("s3://...", "/Volumes/...") means nothing here; a plain path came from export.
                if (trigger.path.find("://") != std::string::npos || trigger.path.rfind("/Volumes/", 0) == 0)
                    note({}, field + ".url " + quoted(trigger.path)
                                 + " is a Databricks storage location; the file-arrival trigger watches it as a local "
                                   "folder (change it)");
                for (auto f = fa.begin(); f != fa.end(); ++f) {
                    if (f.key() != QLatin1String("url")
                        && f.key() != QLatin1String("min_time_between_triggers_seconds"))
                        notKept({}, field + "." + f.key().toStdString(), f.value());
                }
                m_out.pipeline.fileArrival = trigger;
            } else if (it.key() == QLatin1String("pause_status")) {
                if (it.value().toString() == QLatin1String("PAUSED"))
                    note({}, field + " PAUSED not kept (a Pipewright file-arrival trigger cannot be paused)");
            } else {
                notKept({}, field, it.value());
            }
        }
        if (!v.isObject())
            notKept({}, "trigger", v);
    }

    void readTags(const QJsonValue &v)
    {
        const QJsonObject tags = v.toObject();
        std::set<std::string> layoutKeys;
        for (std::size_t i = 0; tags.contains(qs(layoutTagKey(i))); ++i) {
            layoutKeys.insert(layoutTagKey(i));
            m_layoutText += (m_layoutText.empty() ? "" : " ")
                            + tags.value(qs(layoutTagKey(i))).toString().toStdString();
        }
        for (auto it = tags.begin(); it != tags.end(); ++it) {
            const std::string key = it.key().toStdString();
            if (key == kTagMaxParallelTasks) {
                bool ok = false;
                const int n = it.value().toString().toInt(&ok);
                if (ok)
                    m_out.pipeline.maxParallelTasks = n;
                else
                    note({}, "tags." + key + " " + noteValue(it.value()) + " is not a whole number (not kept)");
            } else if (!layoutKeys.count(key)) {
                note({}, "tags." + key + " not kept: " + noteValue(it.value())); // even an empty value means something
            }
        }
        if (!v.isObject())
            notKept({}, "tags", v);
    }

    void applyLayout()
    {
        const QStringList entries = qs(m_layoutText).split(QLatin1Char(' '), Qt::SkipEmptyParts);
        for (const QString &entry : entries) {
            const auto eq = entry.indexOf(QLatin1Char('='));
            const QStringList xy = entry.mid(eq + 1).split(QLatin1Char(':'));
            bool okX = false, okY = false;
            const double x = xy.value(0).toDouble(&okX);
            const double y = xy.value(1).toDouble(&okY);
            if (eq <= 0 || xy.size() != 2 || !okX || !okY) {
                note({}, std::string("tags.") + kTagLayout + ": entry " + quoted(entry.toStdString())
                             + " is not KEY=X:Y (not kept)");
                continue;
            }
            m_out.pipeline.layout[entry.left(eq).toStdString()] = {x, y};
        }
    }

    void readTask(const QJsonObject &o, qsizetype index)
    {
        Task t;
        t.key = string({}, "tasks[" + std::to_string(index) + "].task_key", o.value("task_key"));
        const std::string &k = t.key;
        QString kindKey;
        for (auto it = o.begin(); it != o.end(); ++it) {
            const std::string field = it.key().toStdString();
            const QJsonValue v = it.value();
            if (field == "task_key") {
            } else if (field == "description") {
                t.description = string(k, field, v);
            } else if (field == "depends_on") {
                if (!v.isArray())
                    notKept(k, field, v);
                const QJsonArray deps = v.toArray();
                for (qsizetype i = 0; i < deps.size(); ++i) {
                    const std::string at = "depends_on[" + std::to_string(i) + "]";
                    const QJsonObject d = deps.at(i).toObject();
                    if (!d.value("task_key").isString()) {
                        note(k, at + " names no task_key (not kept): " + noteValue(deps.at(i)));
                        continue;
                    }
                    t.dependsOn.push_back(d.value("task_key").toString().toStdString());
                    for (auto f = d.begin(); f != d.end(); ++f) {
                        if (f.key() != QLatin1String("task_key"))
                            notKept(k, at + "." + f.key().toStdString(), f.value());
                    }
                }
            } else if (field == "run_if") {
                t.runIf = string(k, field, v, "ALL_SUCCESS");
            } else if (field == "timeout_seconds") {
                t.timeoutSeconds = integer(k, field, v, 0);
            } else if (field == "max_retries") {
                t.maxRetries = integer(k, field, v, 0);
            } else if (field == "min_retry_interval_millis") {
                t.minRetryIntervalMillis = integer(k, field, v, 0);
            } else if (field == "retry_on_timeout") {
                if (v.isBool())
                    t.retryOnTimeout = v.toBool();
                else
                    notKept(k, field, v);
            } else if (it.key().endsWith(QLatin1String("_task")) && v.isObject() && kindKey.isEmpty()) {
                kindKey = it.key();
            } else {
                notKept(k, field, v);
            }
        }
        NotebookValues nb;
        mapTask(t, kindKey.toStdString(), o.value(kindKey).toObject(), nb);
        m_out.pipeline.tasks.push_back(std::move(t));
        m_notebooks.push_back(std::move(nb));
    }

    // The task's kind (notebook_task, spark_python_task, ...) as a Pipewright type and its parameters.
    void mapTask(Task &t, const std::string &kind, const QJsonObject &spec, NotebookValues &nb)
    {
        const std::string &k = t.key;
        std::set<std::string> used;
        auto rest = [&] {
            for (auto it = spec.begin(); it != spec.end(); ++it) {
                if (!used.count(it.key().toStdString()))
                    notKept(k, kind + "." + it.key().toStdString(), it.value());
            }
        };
        std::string path;
        if (kind == "notebook_task")
            path = spec.value("notebook_path").toString().toStdString();
        else if (kind == "spark_python_task")
            path = spec.value("python_file").toString().toStdString();
        const std::string pathField = kind == "notebook_task" ? "notebook_path" : "python_file";

        std::string how;
        const std::string type = path.empty() ? std::string() : mapType(path, k, m_mappings, how);
        if (!type.empty()) {
            t.type = type;
            nb.foreign = !how.empty();
            used.insert(pathField);
            if (!how.empty())
                note(k, kind + "." + pathField + " " + quoted(path) + " mapped to type " + type + " (" + how + ")");
            if (kind == "notebook_task") {
                used.insert("base_parameters");
                if (spec.value("source").toString() == QLatin1String("WORKSPACE"))
                    used.insert("source");
                readBaseParameters(t, spec.value("base_parameters").toObject(), nb);
            }
            rest();
            return;
        }

        // No type: a shell task, running the program when the task is one, else failing with a message.
        t.type = fallbackType();
        std::vector<std::string> refs;
        const auto arg = [&](const QJsonValue &v) { return qs(fromDatabricksReferences(jsonText(v, true), &refs)); };
        QJsonArray argv;
        if (kind == "spark_python_task" && !path.empty()) {
            argv = QJsonArray{"python3", qs(path)};
            for (const QJsonValue &a : spec.value("parameters").toArray())
                argv.append(arg(a));
            used.insert({"python_file", "parameters"});
            note(k, kind + " became a shell task running python3 " + quoted(path)
                        + " (no type mapping matches it; the file must exist at that path here)");
        } else if (kind == "python_wheel_task" && spec.value("entry_point").isString()) {
            argv = QJsonArray{spec.value("entry_point")};
            for (const QJsonValue &a : spec.value("parameters").toArray())
                argv.append(arg(a));
            const QJsonObject named = spec.value("named_parameters").toObject();
            for (auto it = named.begin(); it != named.end(); ++it)
                argv.append("--" + it.key() + "=" + arg(it.value()));
            used.insert({"entry_point", "parameters", "named_parameters", "package_name"});
            note(k, kind + " became a shell task running its entry point "
                        + quoted(spec.value("entry_point").toString().toStdString()) + " (install the wheel package "
                        + quoted(spec.value("package_name").toString().toStdString()) + " here)");
        } else if (kind == "spark_submit_task") {
            argv = QJsonArray{"spark-submit"};
            for (const QJsonValue &a : spec.value("parameters").toArray())
                argv.append(arg(a));
            used.insert("parameters");
            note(k, kind + " became a shell task running spark-submit (it must be installed here)");
        }
        untranslated(k, kind + ".parameters", refs);
        if (!argv.isEmpty()) {
            t.params = QJsonObject{{"argv", argv}};
            rest();
            return;
        }
        const std::string what = kind.empty() ? std::string("a task of no known kind") : "a Databricks " + kind;
        if (kind == "notebook_task" && !path.empty()) {
            note(k, kind + ".notebook_path " + quoted(path)
                        + " matches no type mapping (add one: --map SUBSTRING=TYPE); became a shell task that fails");
            used.insert({"notebook_path", "base_parameters"});
            const QJsonObject base = spec.value("base_parameters").toObject();
            for (auto it = base.begin(); it != base.end(); ++it)
                notKept(k, kind + ".base_parameters." + it.key().toStdString(), it.value());
            rest();
        } else {
            note(k, what + " cannot run in Pipewright; became a shell task that fails"
                        + (kind.empty() ? std::string() : " (" + kind + " not kept: " + noteValue(spec) + ")"));
        }
        t.params = failingShellParams("task '" + k + "' was imported from " + what
                                      + (path.empty() ? std::string() : " (" + path + ")")
                                      + ", which Pipewright cannot run: replace this shell task");
    }

    void readBaseParameters(Task &t, const QJsonObject &base, NotebookValues &nb)
    {
        const TaskType *type = taskType(t.type);
        for (auto it = base.begin(); it != base.end(); ++it) {
            const std::string name = it.key().toStdString();
            const std::string field = "notebook_task.base_parameters." + name;
            const ParamSpec *spec = nullptr;
            for (std::size_t i = 0; type && i < type->params.size(); ++i) {
                if (name == type->params[i].name)
                    spec = &type->params[i];
            }
            if (!spec && nb.foreign && wellKnown(name)) {
                nb.wellKnown.emplace_back(name, jsonText(it.value(), true)); // lifted by completeForeignTasks()
                continue;
            }
            if (!spec) {
                note(t.key, field + " = " + noteValue(it.value()) + " is not a parameter of " + article(t.type) + " "
                                + t.type + " task (not kept)");
                continue;
            }
            std::vector<std::string> refs;
            t.params.insert(it.key(), fromBaseParameter(jsonText(it.value(), true), spec->kind, refs));
            untranslated(t.key, field, refs);
        }
    }

public:
    // The second pass, once every task is known: the well-known notebook parameters of the tasks a mapping
    // typed become pipeline parameters, then what the DAG implies is wired and what is still missing gets a
    // default (see Databricks.h). Tasks are taken in dependency order, so parameters appear in that order.
    void completeForeignTasks()
    {
        Pipeline &p = m_out.pipeline;
        std::vector<std::size_t> order;
        std::vector<bool> taken(p.tasks.size(), false);
        for (const std::string &key : topologicalOrder(p)) {
            for (std::size_t i = 0; i < p.tasks.size(); ++i) {
                if (!taken[i] && p.tasks[i].key == key) {
                    taken[i] = true;
                    order.push_back(i);
                    break;
                }
            }
        }
        for (std::size_t i = 0; i < p.tasks.size(); ++i) {
            if (!taken[i])
                order.push_back(i); // on a cycle: validate() reports it
        }
        for (const std::size_t i : order) {
            if (!m_notebooks[i].foreign)
                continue;
            liftNotebookParameters(p.tasks[i], m_notebooks[i]);
            wireFromDag(p.tasks[i]);
            fillDefaults(p.tasks[i], m_notebooks[i]);
        }
        noteLiftedParameters();
    }

private:
    std::vector<std::pair<std::string, std::string>>::iterator parameter(const std::string &name)
    {
        auto &params = m_out.pipeline.parameters;
        return std::find_if(params.begin(), params.end(), [&](const auto &pv) { return pv.first == name; });
    }
    bool declared(const std::string &name) { return parameter(name) != m_out.pipeline.parameters.end(); }

    // The pipeline parameter holding `value`: `name` when it is free or holds that value already, else
    // NAME_TASKKEY (NAME_TASKKEY_2, ...).
    std::string liftParameter(const std::string &name, const std::string &value, const std::string &taskKey)
    {
        for (int n = 1;; ++n) {
            const std::string candidate =
                n == 1 ? name : name + "_" + taskKey + (n == 2 ? std::string() : "_" + std::to_string(n - 1));
            const auto it = parameter(candidate);
            if (it == m_out.pipeline.parameters.end()) {
                m_out.pipeline.parameters.emplace_back(candidate, value);
                return candidate;
            }
            if (it->second == value)
                return candidate;
        }
    }

    void liftNotebookParameters(Task &t, const NotebookValues &nb)
    {
        for (const auto &[name, raw] : nb.wellKnown) {
            const std::string field = "notebook_task.base_parameters." + name;
            std::vector<std::string> refs;
            const std::string value = fromDatabricksReferences(raw, &refs);
            untranslated(t.key, field, refs);
            // A literal becomes a pipeline parameter; a reference ({{job.parameters.X}}) is used as it is.
            const bool literal = value.find("{{") == std::string::npos;
            std::string param;
            if (literal) {
                param = liftParameter(name, value, t.key);
                LiftedParameter &l = m_lifted[param];
                l.notebookName = name;
                l.tasks.push_back(t.key);
            }
            const std::string ref = literal ? "{{params." + param + "}}" : value;
            bool usedHere = false;
            const TaskType *type = taskType(t.type);
            for (const NotebookLift &lift : type ? type->databricks.lifts : std::vector<NotebookLift>{}) {
                const std::string target = lift.param;
                if (name != lift.notebookParam || t.params.contains(qs(target)))
                    continue;
                t.params.insert(qs(target), qs(formatted(lift.format, ref)));
                usedHere = true;
                if (!literal) {
                    note(t.key, field + " = " + noteValue(qs(raw)) + " became params." + target);
                    continue;
                }
                LiftedParameter &l = m_lifted[param];
                l.uses.push_back("params." + target + " of " + quoted(t.key));
                l.source = l.source || lift.localFolder;
            }
            if (!literal && !usedHere)
                note(t.key, field + " = " + noteValue(qs(raw)) + " is not a parameter of " + article(t.type) + " "
                                + t.type + " task (not kept)");
        }
    }

    // The nearest task of `type` upstream of `t` (breadth first, in depends_on order), or nullptr.
    const Task *nearestUpstream(const Task &t, const std::string &type) const
    {
        std::vector<std::string> frontier = t.dependsOn;
        std::set<std::string> seen{t.key};
        while (!frontier.empty()) {
            std::vector<std::string> next;
            for (const std::string &k : frontier) {
                const Task *u = seen.insert(k).second ? m_out.pipeline.task(k) : nullptr;
                if (u && u->type == type)
                    return u;
                if (u)
                    next.insert(next.end(), u->dependsOn.begin(), u->dependsOn.end());
            }
            frontier = std::move(next);
        }
        return nullptr;
    }

    // Sets params.PARAM to `value` unless the task sets it, noting why.
    void fill(Task &t, const char *param, const std::string &value, const std::string &why)
    {
        if (t.params.contains(QLatin1String(param)))
            return;
        t.params.insert(QLatin1String(param), qs(value));
        note(t.key, std::string("params.") + param + " = " + value + " (" + why + ")");
    }

    // The parameters the task's type wires from the DAG (TaskType.h, DagWire), where the task does not set them.
    void wireFromDag(Task &t)
    {
        const TaskType *type = taskType(t.type);
        for (const DagWire &w : type ? type->databricks.wires : std::vector<DagWire>{}) {
            if (const Task *up = nearestUpstream(t, w.upstreamType))
                fill(t, w.param, "{{tasks." + up->key + "." + w.output + "}}", w.why);
        }
    }

    // Sets params.PARAM to a reference to the pipeline parameter `name` (made with `value` unless the job has
    // it), noting the default and how to set another.
    void fillDefault(Task &t, const char *param, const std::string &name, const std::string &value,
                     const std::string &from, const std::string &format = "{}")
    {
        if (t.params.contains(QLatin1String(param)))
            return;
        const bool made = !declared(name);
        if (made)
            m_out.pipeline.parameters.emplace_back(name, value);
        const std::string text = formatted(format, "{{params." + name + "}}");
        t.params.insert(QLatin1String(param), qs(text));
        note(t.key, std::string("params.") + param + " = " + text + ": "
                        + (made ? "a default: parameter " + name + " = " + quoted(value) + " (" + from + ")"
                                : "parameter " + name + " = " + quoted(parameter(name)->second))
                        + "; --param " + name + "=VALUE sets another");
    }

    // The model a task is about, when the job names none: after the experiment the notebook tracked, else after
    // the job. `from` says which.
    std::string modelName(const NotebookValues &nb, std::string &from) const
    {
        std::string value;
        for (const auto &[name, raw] : nb.wellKnown) {
            if (namesModel(name) && value.empty() && raw.find("{{") == std::string::npos) {
                value = modelNameOf(raw);
                from = "the last part of its " + name + " " + quoted(raw);
            }
        }
        if (value.empty()) {
            value = modelNameOf(m_out.pipeline.name);
            from = "the job's name " + quoted(m_out.pipeline.name);
        }
        if (value.empty()) {
            value = "model";
            from = "no name to take it from";
        }
        return value;
    }

    // The defaults the task's type gives what is still missing (TaskType.h, ImportDefault), in its order.
    void fillDefaults(Task &t, const NotebookValues &nb)
    {
        const TaskType *type = taskType(t.type);
        for (const ImportDefault &d : type ? type->databricks.defaults : std::vector<ImportDefault>{}) {
            if (t.params.contains(QLatin1String(d.param)))
                continue;
            std::string name = d.pipelineParam;
            if (d.perTask && declared(name))
                name += "_" + t.key;
            std::string value, from;
            if (d.value == ImportDefault::Value::ModelName) {
                value = modelName(nb, from);
            } else {
                value = d.literal;
                if (const auto at = value.find("{task_key}"); at != std::string::npos)
                    value.replace(at, std::string("{task_key}").size(), t.key);
                from = d.why;
            }
            fillDefault(t, d.param, name, value, from, d.format);
        }
    }

    // One note for each parameter lifted from base parameters: its value, where it came from, who uses it.
    void noteLiftedParameters()
    {
        for (const auto &[name, value] : m_out.pipeline.parameters) {
            const auto it = m_lifted.find(name);
            if (it == m_lifted.end())
                continue;
            const LiftedParameter &l = it->second;
            std::string tasks, uses;
            for (const auto &k : l.tasks)
                tasks += (tasks.empty() ? "" : ", ") + quoted(k);
            for (const auto &u : l.uses)
                uses += (uses.empty() ? "" : ", ") + u;
            std::string text = "parameters." + name + " = " + quoted(value) + " from notebook_task.base_parameters."
                               + l.notebookName + " of " + (l.tasks.size() == 1 ? "task " : "tasks ") + tasks + "; "
                               + (uses.empty() ? std::string("no task here uses it") : "used as " + uses);
            if (l.source && isDatabricksStorage(value))
                text += "; " + quoted(value) + " is Databricks storage: give a local folder with --param " + name
                        + "=DIR";
            note({}, text);
        }
    }

    static std::string article(const std::string &word)
    {
        return std::string("aeiou").find(word.substr(0, 1)) != std::string::npos ? "an" : "a";
    }

    DatabricksImport &m_out;
    std::vector<TypeMapping> m_mappings;
    std::string m_layoutText;
    std::vector<NotebookValues> m_notebooks; // parallel to m_out.pipeline.tasks
    std::map<std::string, LiftedParameter> m_lifted;
};

} // namespace

std::vector<TypeMapping> defaultTypeMappings()
{
    std::vector<TypeMapping> out;
    for (const TaskType &t : taskTypes()) {
        for (const char *substring : t.databricks.substrings)
            out.push_back({substring, t.name});
    }
    return out;
}

std::string toDatabricksReferences(const std::string &text)
{
    std::string out;
    std::size_t pos = 0;
    for (const Reference &r : referencesIn(text)) {
        const auto at = text.find(r.text, pos);
        out += text.substr(pos, at - pos);
        pos = at + r.text.size();
        if (r.kind == "params" && r.output.empty())
            out += "{{job.parameters." + r.name + "}}";
        else if (r.kind == "tasks" && !r.output.empty())
            out += "{{tasks." + r.name + ".values." + r.output + "}}";
        else if (r.kind == "run" && r.name == "id" && r.output.empty())
            out += "{{job.run_id}}";
        else if (r.kind == "run" && r.name == "name" && r.output.empty())
            out += "{{job.name}}";
        else
            out += r.text;
    }
    return out + text.substr(pos);
}

std::string fromDatabricksReferences(const std::string &text, std::vector<std::string> *untranslated)
{
    static const QRegularExpression re(R"(\{\{\s*([^{}\s]*)\s*\}\})");
    const QString in = qs(text);
    QString out;
    qsizetype pos = 0;
    auto it = re.globalMatch(in);
    while (it.hasNext()) {
        const auto m = it.next();
        out += in.mid(pos, m.capturedStart() - pos);
        pos = m.capturedEnd();
        const QStringList parts = m.captured(1).split(QLatin1Char('.'));
        const QString head = parts.value(0);
        if (head == QLatin1String("job") && parts.size() == 3 && parts[1] == QLatin1String("parameters")) {
            out += "{{params." + parts[2] + "}}";
        } else if (head == QLatin1String("tasks") && parts.size() == 4 && parts[2] == QLatin1String("values")) {
            out += "{{tasks." + parts[1] + "." + parts[3] + "}}";
        } else if (parts.size() == 2 && head == QLatin1String("job") && parts[1] == QLatin1String("run_id")) {
            out += "{{run.id}}";
        } else if (parts.size() == 2 && head == QLatin1String("job") && parts[1] == QLatin1String("name")) {
            out += "{{run.name}}";
        } else {
            // Pipewright's own forms ({{params.X}}, {{run.id}}) pass as they are; anything else is Databricks'.
            const bool pipewright = (head == QLatin1String("params") && parts.size() == 2)
                                    || (head == QLatin1String("run") && parts.size() == 2
                                        && (parts[1] == QLatin1String("id") || parts[1] == QLatin1String("name")));
            if (!pipewright && untranslated)
                untranslated->push_back(m.captured(0).toStdString());
            out += m.captured(0);
        }
    }
    out += in.mid(pos);
    return out.toStdString();
}

const std::vector<NotebookParameter> &wellKnownNotebookParameters()
{
    static const std::vector<NotebookParameter> list = [] {
        std::vector<NotebookParameter> out;
        for (const TaskType &t : taskTypes()) {
            for (const NotebookLift &l : t.databricks.lifts) {
                auto it = std::find_if(out.begin(), out.end(),
                                       [&](const NotebookParameter &p) { return p.name == l.notebookParam; });
                if (it == out.end())
                    it = out.insert(out.end(), NotebookParameter{l.notebookParam, {}});
                it->uses.push_back(std::string(t.name) + "." + l.param);
            }
        }
        out.push_back({kJobUser, {}});
        return out;
    }();
    return list;
}

DatabricksImport importDatabricks(const QByteArray &json, const std::vector<TypeMapping> &extraMappings)
{
    return importDatabricks(json, DatabricksImportOptions{extraMappings, {}});
}

DatabricksImport importDatabricks(const QByteArray &json, const DatabricksImportOptions &options)
{
    const std::vector<TypeMapping> &extraMappings = options.extraMappings;
    if (const auto issues = store::checkJson(std::string_view(json.constData(), std::size_t(json.size())));
        !issues.empty())
        throw std::runtime_error(store::jsonIssuesText(issues));
    QJsonParseError perr{};
    const QJsonDocument doc = QJsonDocument::fromJson(json, &perr);
    if (perr.error != QJsonParseError::NoError)
        throw std::runtime_error("malformed JSON at " + jsonErrorPosition(json, perr) + ": "
                                 + perr.errorString().toStdString());
    if (!doc.isObject())
        throw std::runtime_error("not a Databricks job: expected one JSON object (a Jobs 2.1 create payload or a "
                                 "jobs/get response), not an array");
    const QJsonObject root = doc.object();

    DatabricksImport out;
    std::vector<TypeMapping> mappings = extraMappings;
    for (auto &m : defaultTypeMappings())
        mappings.push_back(std::move(m));
    Importer importer(out, std::move(mappings));

    QJsonObject job;
    if (root.contains("format_version")) {
        throw std::runtime_error("a Pipewright pipeline file, not a Databricks job (export it to get one)");
    } else if (root.value("settings").isObject()) {
        // jobs/get: {"job_id", "creator_user_name", "created_time", "run_as_user_name", "settings": {...}}
        job = root.value("settings").toObject();
        for (auto it = root.begin(); it != root.end(); ++it) {
            if (it.key() != QLatin1String("settings"))
                importer.notKept({}, it.key().toStdString(), it.value());
        }
        if (!job.value("tasks").isArray())
            throw std::runtime_error("Databricks job " + jsonText(root.value("job_id"))
                                     + ": settings.tasks is missing or not an array (jobs/list leaves tasks out "
                                       "unless expand_tasks is true; use jobs/get)");
    } else if (root.contains("tasks")) {
        job = root;
        if (!job.value("tasks").isArray())
            throw std::runtime_error("not a Databricks job: 'tasks' must be an array of tasks, not "
                                     + noteValue(job.value("tasks")));
    } else if (root.value("jobs").isArray()) {
        throw std::runtime_error("a jobs/list response with " + std::to_string(root.value("jobs").toArray().size())
                                 + " jobs, not one job: save one job from jobs/get");
    } else if (root.contains("notebook_task") || root.contains("spark_python_task") || root.contains("spark_jar_task")
               || root.contains("spark_submit_task")) {
        throw std::runtime_error("a Jobs API 2.0 single-task job (its task fields are at the top level); "
                                 "Pipewright reads Jobs API 2.1 jobs, which hold a 'tasks' array");
    } else {
        throw std::runtime_error("not a Databricks job: expected a Jobs 2.1 create payload ({\"name\", \"tasks\": "
                                 "[...]}) or a jobs/get response ({\"job_id\", \"settings\": {...}})");
    }
    importer.readJob(job);

    for (const auto &[name, value] : options.parameters) {
        auto &params = out.pipeline.parameters;
        const auto it = std::find_if(params.begin(), params.end(), [&](const auto &pv) { return pv.first == name; });
        if (it == params.end()) {
            std::string list;
            for (const auto &pv : params)
                list += (list.empty() ? "" : ", ") + pv.first;
            throw std::invalid_argument("the imported pipeline has no parameter " + quoted(name)
                                        + " (parameters: " + (list.empty() ? std::string("none") : list) + ")");
        }
        it->second = value;
        out.notes.push_back("job: parameters." + name + " = " + quoted(value) + " (set on import)");
    }

    out.errors = validate(out.pipeline);
    for (const ValidationError &e : out.errors)
        out.notes.push_back("invalid: " + (e.taskKey.empty() ? std::string() : "task " + quoted(e.taskKey) + ": ")
                            + (e.field.empty() ? std::string() : e.field + ": ") + e.message);
    return out;
}

QJsonObject exportDatabricks(const Pipeline &p, std::vector<std::string> *notes)
{
    const auto note = [&](const std::string &text) {
        if (notes)
            notes->push_back(text);
    };
    QJsonObject job{{"name", qs(p.name)}};
    if (!p.description.empty())
        job.insert("description", qs(p.description));

    QJsonArray tasks;
    for (const Task &t : p.tasks) {
        QJsonObject o{{"task_key", qs(t.key)}};
        if (!t.description.empty())
            o.insert("description", qs(t.description));
        if (!t.dependsOn.empty()) {
            QJsonArray deps;
            for (const auto &d : t.dependsOn)
                deps.append(QJsonObject{{"task_key", qs(d)}});
            o.insert("depends_on", deps);
        }
        if (!t.dependsOn.empty() || t.runIf != "ALL_SUCCESS")
            o.insert("run_if", qs(t.runIf));
        const TaskType *type = taskType(t.type);
        const std::string path = type && type->databricks.notebook ? type->databricks.notebook
                                                                   : kNotebookFolder + t.type;
        QJsonObject notebook{{"notebook_path", qs(path)}};
        QJsonObject base;
        for (auto it = t.params.begin(); it != t.params.end(); ++it)
            base.insert(it.key(), qs(toBaseParameter(it.value())));
        if (!base.isEmpty())
            notebook.insert("base_parameters", base);
        o.insert("notebook_task", notebook);
        if (t.timeoutSeconds)
            o.insert("timeout_seconds", t.timeoutSeconds);
        if (t.maxRetries)
            o.insert("max_retries", t.maxRetries);
        if (t.minRetryIntervalMillis)
            o.insert("min_retry_interval_millis", t.minRetryIntervalMillis);
        if (t.retryOnTimeout)
            o.insert("retry_on_timeout", true);
        if (t.target != "local")
            note("task " + quoted(t.key) + ": target " + quoted(t.target)
                 + " not exported (a Databricks task runs on "
                   "Databricks compute)");
        tasks.append(o);
    }
    job.insert("tasks", tasks);
    job.insert("max_concurrent_runs", p.maxConcurrentRuns);

    if (!p.parameters.empty()) {
        QJsonArray params;
        for (const auto &[name, value] : p.parameters)
            params.append(QJsonObject{{"name", qs(name)}, {"default", qs(value)}});
        job.insert("parameters", params);
    }

    if (p.schedule) {
        std::string expression = p.schedule->expression;
        if (!p.schedule->quartz) {
            std::string why;
            expression = quartzFromClassic(p.schedule->expression, why);
            if (expression.empty())
                note("schedule: cron " + quoted(p.schedule->expression) + " not exported: " + why);
            else
                note("schedule: cron " + quoted(p.schedule->expression) + " exported as the Quartz expression "
                     + quoted(expression));
        }
        if (!expression.empty())
            job.insert("schedule", QJsonObject{{"quartz_cron_expression", qs(expression)},
                                               {"timezone_id", qs(p.schedule->timezone)},
                                               {"pause_status", p.schedule->paused ? "PAUSED" : "UNPAUSED"}});
    }
    if (p.fileArrival) {
        QJsonObject fa{{"url", qs(p.fileArrival->path)}};
        if (p.fileArrival->minSecondsBetweenTriggers)
            fa.insert("min_time_between_triggers_seconds", p.fileArrival->minSecondsBetweenTriggers);
        job.insert("trigger", QJsonObject{{"pause_status", "UNPAUSED"}, {"file_arrival", fa}});
        note("trigger.file_arrival.url is the local folder " + quoted(p.fileArrival->path)
             + "; Databricks watches a cloud storage location");
    }
    const auto &n = p.notifications;
    if (!n.onStart.empty() || !n.onSuccess.empty() || !n.onFailure.empty())
        note("notifications not exported (Databricks notifies by email or webhook, not desktop or command)");

    QJsonObject tags{{kTagMaxParallelTasks, qs(std::to_string(p.maxParallelTasks))}};
    std::vector<std::string> skipped;
    const auto layout = layoutTagValues(p, skipped);
    for (const auto &key : skipped)
        note(std::string("layout of ") + quoted(key) + " not exported (not a valid task key)");
    if (layout.size() + 1 > std::size_t(kMaxTags)) {
        note("layout not exported: it needs " + std::to_string(layout.size()) + " tags and a job holds "
             + std::to_string(kMaxTags));
    } else {
        for (std::size_t i = 0; i < layout.size(); ++i)
            tags.insert(qs(layoutTagKey(i)), qs(layout[i]));
    }
    job.insert("tags", tags);
    return job;
}

} // namespace pw::pipeline
