// CLI commands of pipelines: pipeline validate|run|runs|show|repair|cancel|import-databricks|export-databricks,
// and run-task, which the executor uses to run a registered task type's runner in its own process.
#include "app/cli/Cli.h"
#include "app/cli/CliSupport.h"

#include "core/pipeline/Databricks.h"
#include "core/pipeline/Executor.h"
#include "core/pipeline/Pipeline.h"
#include "core/pipeline/TaskAttempt.h"
#include "core/pipeline/TaskParams.h"
#include "core/store/Database.h"
#include "core/store/Workspace.h"
#include "ui/notify/DesktopNotify.h"

#include <QCoreApplication>
#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonObject>

#include <algorithm>
#include <iostream>
#include <mutex>

namespace pw::cli {

namespace {

QString qs(const std::string &s)
{
    return QString::fromStdString(s);
}

// run-task: the registered type's runner, in this process, as the attempt the executor started. Its outputs are
// recorded before the hold point (a test hook, see TaskAttempt), then written for the executor and printed.
int runTask(const store::Workspace &ws, const std::string &typeName, const QJsonObject &params,
            const std::string &target)
{
    const pipeline::TaskType *type = pipeline::taskType(typeName);
    if (!type)
        throw UsageError{"run-task: unknown task type '" + qs(typeName) + "'"};
    if (!type->run)
        throw UsageError{"run-task: the executor runs " + qs(typeName) + " tasks itself"};
    const pipeline::TaskAttempt attempt = pipeline::TaskAttempt::fromEnvironment();
    const pipeline::TaskContext context{ws, target, attempt, &g_cancel, std::cout};
    const QJsonObject outputs = type->run(context, pipeline::TaskParams(params));
    if (attempt.known()) {
        auto db = ws.openCatalog();
        attempt.record(*db, outputs);
    }
    attempt.holdIfAsked(&g_cancel);
    attempt.writeOutputsFile(outputs);
    std::cout << QJsonDocument(outputs).toJson(QJsonDocument::Compact).toStdString() << "\n";
    return kSuccess;
}

void printValidation(const std::vector<pipeline::ValidationError> &errors)
{
    for (const auto &e : errors)
        std::cerr << pipeline::errorText(e) << "\n";
}

// Progress of a run on stderr: one line per state change.
pipeline::Observer progressObserver()
{
    return [](const pipeline::Event &e) {
        static std::mutex m;
        std::lock_guard lock(m);
        if (e.taskKey.empty())
            std::cerr << "run " << e.runId << ": " << e.lifeCycle << (e.result.empty() ? "" : " " + e.result)
                      << (e.message.empty() ? "" : " (" + e.message + ")") << "\n";
        else
            std::cerr << "  " << e.taskKey << (e.attempt > 1 ? " (attempt " + std::to_string(e.attempt) + ")" : "")
                      << ": " << e.lifeCycle << (e.result.empty() ? "" : " " + e.result)
                      << (e.message.empty() ? "" : " - " + e.message) << "\n";
    };
}

void printRunSummary(const pipeline::RunInfo &r)
{
    std::cout << "run " << r.runId << " of " << r.pipeline << ": " << r.lifeCycle
              << (r.result.empty() ? "" : " " + r.result) << (r.message.empty() ? "" : " - " + r.message) << "\n";
    for (const auto &t : r.tasks)
        std::cout << "  " << t.key << "  " << t.lifeCycle << (t.result.empty() ? "" : " " + t.result) << "  attempts "
                  << t.attempts << "  " << QString::number(t.durationSeconds, 'f', 2).toStdString() << " s"
                  << (t.message.empty() ? "" : "  " + t.message) << "\n";
}

} // namespace

namespace {

// A pipeline file that validates; otherwise its errors on stderr and a failure.
pipeline::Pipeline loadValid(const std::string &file)
{
    std::vector<pipeline::ValidationError> errors;
    auto p = pipeline::loadPipeline(file, errors);
    for (auto &e : pipeline::validate(p))
        errors.push_back(std::move(e));
    if (!errors.empty()) {
        printValidation(errors);
        throw std::runtime_error("'" + file + "' is not a valid pipeline (" + std::to_string(errors.size())
                                 + " errors above)");
    }
    return p;
}

// pipeline run's --param NAME=VALUE (each a parameter `p` declares), --only, --from and --to.
pipeline::RunOptions runOptions(const Context &c, const pipeline::Pipeline &p)
{
    pipeline::RunOptions o;
    for (const QString &kv : c.values("param")) {
        const int eq = kv.indexOf('=');
        if (eq <= 0)
            throw UsageError{"--param: '" + kv + "' is not NAME=VALUE"};
        const std::string name = kv.left(eq).toStdString();
        const bool declared = std::any_of(p.parameters.begin(), p.parameters.end(),
                                          [&](const auto &pv) { return pv.first == name; });
        if (!declared)
            throw UsageError{"--param: pipeline '" + qs(p.name) + "' has no parameter '" + kv.left(eq) + "'"};
        o.params[name] = kv.mid(eq + 1).toStdString();
    }
    for (const QString &k : c.values("only"))
        for (const QString &part : k.split(',', Qt::SkipEmptyParts))
            o.only.push_back(part.toStdString());
    o.from = c.value("from").toStdString();
    o.to = c.value("to").toStdString();
    o.pipewrightPath = QCoreApplication::applicationFilePath().toStdString();
    o.desktopNotifier = notify::desktopNotify;
    return o;
}

// A run's result: JSON or a summary; exit 1 when it did not succeed.
int reportRun(const Context &c, const pipeline::RunInfo &r)
{
    if (c.json())
        printJson(QJsonDocument(pipeline::runJson(r)));
    else
        printRunSummary(r);
    return r.result == "SUCCESS" ? kSuccess : kFailure;
}

// The RUN_ID argument of pipeline show|repair|cancel.
std::int64_t runIdArgument(const Context &c)
{
    bool ok = false;
    const qint64 id = c.positional().at(1).toLongLong(&ok);
    if (!ok || id < 1)
        throw UsageError{"RUN_ID: '" + c.positional().at(1) + "' is not a run id"};
    return std::int64_t(id);
}

// The file --out names, refused when it exists without --force (before anything is read: a pipeline or job
// someone edited is not replaced by accident).
QString outFile(const Context &c)
{
    const QString outPath = c.value("out");
    if (QFileInfo::exists(outPath) && !c.isSet("force"))
        throw std::runtime_error("'" + outPath.toStdString() + "' exists (--force replaces it)");
    return outPath;
}

// import-databricks and export-databricks: writes `bytes` to --out and reports the notes; exit 1 when not `valid`.
int writeConverted(const Context &c, const QString &outPath, const QByteArray &bytes,
                   const std::vector<std::string> &notes, bool valid)
{
    QFile out(outPath);
    if (!out.open(QIODevice::WriteOnly | QIODevice::Truncate) || out.write(bytes) != bytes.size())
        throw std::runtime_error("cannot write '" + outPath.toStdString() + "'");
    out.close();
    for (const auto &n : notes)
        std::cerr << "note: " << pipeline::printable(n) << "\n";
    if (c.json()) {
        QJsonArray arr;
        for (const auto &n : notes)
            arr.append(qs(n));
        printJson(QJsonDocument(QJsonObject{{"out", outPath}, {"valid", valid}, {"notes", arr}}));
    } else {
        std::cout << "wrote " << outPath.toStdString() << " (" << notes.size() << " notes"
                  << (valid ? "" : "; the pipeline does not validate yet: see the notes") << ")\n";
    }
    return valid ? kSuccess : kFailure;
}

} // namespace

int cmdPipelineValidate(const Context &c)
{
    std::vector<pipeline::ValidationError> errors;
    const auto p = pipeline::loadPipeline(c.positional().at(1).toStdString(), errors);
    if (errors.empty() || !p.tasks.empty()) {
        for (auto &e : pipeline::validate(p))
            errors.push_back(std::move(e));
    }
    if (c.json())
        printJson(QJsonDocument(QJsonObject{{"valid", errors.empty()}, {"errors", pipeline::errorsJson(errors)}}));
    else if (errors.empty())
        std::cout << "valid: " << p.tasks.size() << " tasks\n";
    printValidation(errors);
    return errors.empty() ? kSuccess : kFailure;
}

int cmdPipelineRunTask(const Context &c)
{
    const QJsonObject params = QJsonDocument::fromJson(c.value("params-json").toUtf8()).object();
    const auto ws = store::Workspace::open(c.workspaceRoot());
    return runTask(ws, c.positional().at(1).toStdString(), params,
                   c.isSet("target") ? c.value("target").toStdString() : std::string("local"));
}

int cmdPipelineImportDatabricks(const Context &c)
{
    const QString outPath = outFile(c);
    pipeline::DatabricksImportOptions options;
    for (const QString &m : c.values("map")) {
        const int eq = m.indexOf('=');
        if (eq <= 0 || !pipeline::taskType(m.mid(eq + 1).toStdString()))
            throw UsageError{"--map: '" + m + "' is not SUBSTRING=TYPE with a Pipewright task type"};
        options.extraMappings.push_back({m.left(eq).toStdString(), m.mid(eq + 1).toStdString()});
    }
    for (const QString &kv : c.values("param")) {
        const int eq = kv.indexOf('=');
        if (eq <= 0)
            throw UsageError{"--param: '" + kv + "' is not NAME=VALUE"};
        options.parameters.emplace_back(kv.left(eq).toStdString(), kv.mid(eq + 1).toStdString());
    }
    const QByteArray json = pipeline::readRegularFile(c.positional().at(1).toStdString());
    pipeline::DatabricksImport imported;
    try {
        imported = pipeline::importDatabricks(json, options);
    } catch (const std::invalid_argument &e) {
        throw UsageError{"--param: " + QString::fromStdString(e.what())};
    }
    return writeConverted(c, outPath, QJsonDocument(pipeline::toJson(imported.pipeline)).toJson(), imported.notes,
                          imported.errors.empty());
}

int cmdPipelineExportDatabricks(const Context &c)
{
    const QString outPath = outFile(c);
    const auto p = loadValid(c.positional().at(1).toStdString());
    std::vector<std::string> notes;
    const QByteArray bytes = QJsonDocument(pipeline::exportDatabricks(p, &notes)).toJson();
    return writeConverted(c, outPath, bytes, notes, true);
}

int cmdPipelineRun(const Context &c)
{
    const auto ws = store::Workspace::open(c.workspaceRoot());
    const std::string file = QFileInfo(c.positional().at(1)).absoluteFilePath().toStdString();
    const auto p = loadValid(file);
    pipeline::RunOptions o = runOptions(c, p);
    o.file = file;
    return reportRun(c, pipeline::runPipeline(ws, p, o, progressObserver(), &g_cancel));
}

int cmdPipelineRuns(const Context &c)
{
    const int limit = int(c.intValue("limit", 50, 1));
    const auto ws = store::Workspace::open(c.workspaceRoot());
    auto db = ws.openCatalog();
    pipeline::failOrphanedRuns(*db);
    std::string name;
    if (c.positional().size() == 2) {
        std::vector<pipeline::ValidationError> errors;
        const auto p = pipeline::loadPipeline(c.positional().at(1).toStdString(), errors);
        name = p.name.empty() ? c.positional().at(1).toStdString() : p.name;
    }
    const auto runs = pipeline::listRuns(*db, name, limit);
    QJsonArray arr;
    for (const auto &r : runs) {
        arr.append(pipeline::runJson(r));
        if (!c.json())
            std::cout << r.runId << "  " << r.pipeline << "  " << r.lifeCycle
                      << (r.result.empty() ? "" : " " + r.result) << "  " << r.trigger << "  " << r.start << "\n";
    }
    if (c.json())
        printJson(QJsonDocument(arr));
    else if (runs.empty())
        std::cout << "no pipeline runs\n";
    return kSuccess;
}

int cmdPipelineShow(const Context &c)
{
    const auto id = runIdArgument(c);
    const auto ws = store::Workspace::open(c.workspaceRoot());
    auto db = ws.openCatalog();
    pipeline::failOrphanedRuns(*db);
    const auto r = pipeline::loadRun(*db, id);
    if (c.json()) {
        printJson(QJsonDocument(pipeline::runJson(r, true)));
        return kSuccess;
    }
    printRunSummary(r);
    for (const auto &t : r.tasks)
        for (const auto &a : t.attemptList)
            if (!a.logPath.empty())
                std::cout << "  " << t.key << " attempt " << a.attempt << " log: " << a.logPath << "\n";
    return kSuccess;
}

int cmdPipelineRepair(const Context &c)
{
    const auto id = runIdArgument(c);
    const auto ws = store::Workspace::open(c.workspaceRoot());
    pipeline::RunOptions o;
    o.pipewrightPath = QCoreApplication::applicationFilePath().toStdString();
    o.desktopNotifier = notify::desktopNotify;
    return reportRun(c, pipeline::repairRun(ws, id, o, progressObserver(), &g_cancel));
}

int cmdPipelineCancel(const Context &c)
{
    const auto id = runIdArgument(c);
    const auto ws = store::Workspace::open(c.workspaceRoot());
    const bool asked = pipeline::requestCancel(*ws.openCatalog(), id);
    if (c.json())
        printJson(QJsonDocument(QJsonObject{{"run_id", qint64(id)}, {"cancel_requested", asked}}));
    else
        std::cout << (asked ? "cancel requested for run " : "run has already ended: ") << id << "\n";
    return kSuccess;
}

} // namespace pw::cli
