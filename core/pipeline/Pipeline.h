// A pipeline: a DAG of tasks in a JSON file, with names after Databricks Jobs 2.1 (task_key, depends_on,
// run_if, timeout_seconds, max_retries, min_retry_interval_millis, retry_on_timeout, max_concurrent_runs,
// schedule with quartz_cron_expression). Parsing, validation (every error at once) and ordering; the task types
// with their parameters and outputs are the registry's (TaskType.h).
#pragma once

#include "core/pipeline/TaskType.h"

#include <QByteArray>
#include <QJsonArray>
#include <QJsonObject>
#include <QJsonValue>
#include <QJsonParseError>

#include <functional>

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace pw::pipeline {

inline constexpr int kFormatVersion = 1;

/** The six run_if conditions of Databricks Jobs. */
inline constexpr const char *kRunIfConditions[] = {"ALL_SUCCESS", "AT_LEAST_ONE_SUCCESS", "NONE_FAILED",
                                                   "ALL_DONE",    "AT_LEAST_ONE_FAILED",  "ALL_FAILED"};

struct Task
{
    std::string key;
    std::string type;
    std::string description;
    QJsonObject params;
    std::vector<std::string> dependsOn;
    std::string runIf = "ALL_SUCCESS";
    std::string target = "local";
    int timeoutSeconds = 0; // 0: none
    int maxRetries = 0; // -1: retry indefinitely (Databricks); capped by the executor
    int minRetryIntervalMillis = 0;
    bool retryOnTimeout = false;
};

struct ScheduleSpec
{
    std::string expression;
    bool quartz = true; // quartz_cron_expression (6-7 fields) or cron (5 fields)
    std::string timezone = "UTC";
    bool paused = false;
};

struct FileArrivalTrigger
{
    std::string path;
    int minSecondsBetweenTriggers = 0;
};

/** One notification: a desktop notification or a command run with the run's id, name and result. */
struct Notification
{
    bool desktop = false;
    std::vector<std::string> argv;
};

struct Notifications
{
    std::vector<Notification> onStart, onSuccess, onFailure;
};

struct Position
{
    double x = 0, y = 0;
};

struct Pipeline
{
    std::string name;
    int formatVersion = kFormatVersion;
    std::string description;
    std::vector<std::pair<std::string, std::string>> parameters; // name -> default, in file order
    int maxConcurrentRuns = 1;
    int maxParallelTasks = 2;
    std::optional<ScheduleSpec> schedule;
    std::optional<FileArrivalTrigger> fileArrival;
    Notifications notifications;
    std::vector<Task> tasks;
    std::map<std::string, Position> layout; // editor positions by task key

    const Task *task(const std::string &key) const;
    Task *task(const std::string &key);
};

/** One problem, located: the task (empty for the pipeline itself), the field, and what is wrong. */
struct ValidationError
{
    std::string taskKey;
    std::string field;
    std::string message;
};

/**
 * Reads a pipeline file's JSON. Malformed JSON is one error with its line and column; fields of the wrong
 * type are errors too (the rest is still read, so that validate() can report everything at once).
 */
Pipeline parsePipeline(const QByteArray &json, std::vector<ValidationError> &errors);
/** parsePipeline() of a file; a file that cannot be read, or is not a regular file (a FIFO, a folder), is one
 *  error naming it. */
Pipeline loadPipeline(const std::string &path, std::vector<ValidationError> &errors);
/**
 * The bytes of a regular file. Anything else (a FIFO, which would block the reader, a socket, a device, a
 * folder) is refused without waiting: throws std::runtime_error naming the file and what it is.
 */
QByteArray readRegularFile(const std::string &path);

/**
 * Every problem of a pipeline, at once: duplicate or empty task keys, dependencies on missing tasks, cycles
 * (naming the tasks on each), unknown types, targets and run_if conditions, missing or ill-typed parameters,
 * references that cannot be resolved ({{params.X}} not declared, {{tasks.K.OUT}} where K is not upstream or
 * has no such output), a bad schedule or time zone, bad limits.
 */
std::vector<ValidationError> validate(const Pipeline &p);

/** The task keys in a dependency order (Kahn's, stable by file order); tasks on cycles are left out. */
std::vector<std::string> topologicalOrder(const Pipeline &p);

/** The pipeline as its JSON file. */
QJsonObject toJson(const Pipeline &p);

/** {{params.NAME}} and {{tasks.KEY.OUTPUT}} references in a string, as (kind, first, second). */
struct Reference
{
    std::string kind; // params | tasks | run
    std::string name; // parameter name, or task key
    std::string output; // for tasks
    std::string text; // the whole {{...}}
};
std::vector<Reference> referencesIn(const std::string &text);

/** Every transitive upstream task of `key`. */
std::vector<std::string> upstreamOf(const Pipeline &p, const std::string &key);

/** Where a JSON parse error is: "line L, column C" (1-based), at the character at fault. */
std::string jsonErrorPosition(const QByteArray &json, const QJsonParseError &error);
/** A JSON value as the text a program receives: a string as it is, a whole number in digits, true/false, null
 *  as empty, an array or object as compact JSON. */
std::string jsonScalarText(const QJsonValue &v);
/** `v` with `f` applied to every string inside it (arrays and objects recursively; keys unchanged). */
QJsonValue mapJsonStrings(const QJsonValue &v, const std::function<std::string(const std::string &)> &f);

/** The error list as JSON: [{"task_key", "field", "message"}]. */
QJsonArray errorsJson(const std::vector<ValidationError> &errors);
/** One error for a person: "task KEY: FIELD: MESSAGE" (the parts that are set), control characters escaped. */
std::string errorText(const ValidationError &e);

/**
 * `text` with its control characters (C0, DEL, C1, U+2028, U+2029) written as C escapes ("\n", "\t",
 * "\x1b", "\u2028"), so that a message naming a value stays on one line and shows what is there.
 */
std::string printable(const std::string &text);
/** The first control character of `text` (as printable() writes it), or empty when there is none. */
std::string firstControlCharacter(const std::string &text);

} // namespace pw::pipeline
