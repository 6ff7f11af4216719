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
int runTask(const store::Workspace &ws, const std::string &typeName, const QJsonObject &params, const std::string &target)
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

int cmdPipeline(const QStringList &args)
{
    Context c("pipeline", args);
    for (const char *o : {"param", "only", "from", "to", "params-json", "out", "map", "limit", "target"})
        c.addValueOption(o, "VALUE");
    c.addFlag("force");
    c.parse();
    c.expectPositional(1, 1000, "pipeline command: validate, run, runs, show, repair, cancel, import-databricks or "
                                "export-databricks");
    const QString sub = c.positional().at(0);

    if (sub == "validate") {
        c.expectPositional(2, 2, "FILE (pipewright pipeline validate FILE)");
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
    if (sub == "run-task") {
        c.expectPositional(2, 2, "TYPE");
        const QJsonObject params = QJsonDocument::fromJson(c.value("params-json").toUtf8()).object();
        const auto ws = store::Workspace::open(c.workspaceRoot());
        return runTask(ws, c.positional().at(1).toStdString(), params,
                       c.isSet("target") ? c.value("target").toStdString() : std::string("local"));
    }

    if (sub == "import-databricks" || sub == "export-databricks") {
        c.expectPositional(2, 2, "FILE");
        if (!c.isSet("out"))
            throw UsageError{"missing --out FILE"};
        const QString in = c.positional().at(1), outPath = c.value("out");
        // Refused before reading anything: a pipeline or job someone edited is not replaced by accident.
        if (QFileInfo::exists(outPath) && !c.isSet("force"))
            throw std::runtime_error("'" + outPath.toStdString() + "' exists (--force replaces it)");
        std::vector<std::string> notes;
        QByteArray bytes;
        bool valid = true;
        if (sub == "import-databricks") {
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
            const QByteArray json = pipeline::readRegularFile(in.toStdString());
            pipeline::DatabricksImport imported;
            try {
                imported = pipeline::importDatabricks(json, options);
            } catch (const std::invalid_argument &e) {
                throw UsageError{"--param: " + QString::fromStdString(e.what())};
            }
            notes = imported.notes;
            valid = imported.errors.empty();
            bytes = QJsonDocument(pipeline::toJson(imported.pipeline)).toJson();
        } else {
            std::vector<pipeline::ValidationError> errors;
            const auto p = pipeline::loadPipeline(in.toStdString(), errors);
            for (auto &e : pipeline::validate(p))
                errors.push_back(std::move(e));
            if (!errors.empty()) {
                printValidation(errors);
                throw std::runtime_error("'" + in.toStdString() + "' is not a valid pipeline");
            }
            bytes = QJsonDocument(pipeline::exportDatabricks(p, &notes)).toJson();
        }
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

    const auto ws = store::Workspace::open(c.workspaceRoot());
    if (sub == "run") {
        c.expectPositional(2, 2, "FILE (pipewright pipeline run FILE)");
        const std::string file = QFileInfo(c.positional().at(1)).absoluteFilePath().toStdString();
        std::vector<pipeline::ValidationError> errors;
        const auto p = pipeline::loadPipeline(file, errors);
        for (auto &e : pipeline::validate(p))
            errors.push_back(std::move(e));
        if (!errors.empty()) {
            printValidation(errors);
            throw std::runtime_error("'" + file + "' is not a valid pipeline (" + std::to_string(errors.size())
                                     + " errors above)");
        }
        pipeline::RunOptions o;
        o.file = file;
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
        const auto r = pipeline::runPipeline(ws, p, o, progressObserver(), &g_cancel);
        if (c.json())
            printJson(QJsonDocument(pipeline::runJson(r)));
        else
            printRunSummary(r);
        return r.result == "SUCCESS" ? kSuccess : kFailure;
    }
    auto db = ws.openCatalog();
    auto runIdArg = [&](const char *what) {
        c.expectPositional(2, 2, what);
        bool ok = false;
        const qint64 id = c.positional().at(1).toLongLong(&ok);
        if (!ok || id < 1)
            throw UsageError{"RUN_ID: '" + c.positional().at(1) + "' is not a run id"};
        return std::int64_t(id);
    };
    if (sub == "runs") {
        c.expectPositional(1, 2, "");
        pipeline::failOrphanedRuns(*db);
        std::string name;
        if (c.positional().size() == 2) {
            std::vector<pipeline::ValidationError> errors;
            const auto p = pipeline::loadPipeline(c.positional().at(1).toStdString(), errors);
            name = p.name.empty() ? c.positional().at(1).toStdString() : p.name;
        }
        const auto runs = pipeline::listRuns(*db, name, int(c.intValue("limit", 50, 1)));
        QJsonArray arr;
        for (const auto &r : runs) {
            arr.append(pipeline::runJson(r));
            if (!c.json())
                std::cout << r.runId << "  " << r.pipeline << "  " << r.lifeCycle << (r.result.empty() ? "" : " " + r.result)
                          << "  " << r.trigger << "  " << r.start << "\n";
        }
        if (c.json())
            printJson(QJsonDocument(arr));
        else if (runs.empty())
            std::cout << "no pipeline runs\n";
        return kSuccess;
    }
    if (sub == "show") {
        const auto id = runIdArg("RUN_ID (pipewright pipeline show RUN_ID)");
        pipeline::failOrphanedRuns(*db);
        const auto r = pipeline::loadRun(*db, id);
        if (c.json()) {
            printJson(QJsonDocument(pipeline::runJson(r, true)));
        } else {
            printRunSummary(r);
            for (const auto &t : r.tasks)
                for (const auto &a : t.attemptList)
                    if (!a.logPath.empty())
                        std::cout << "  " << t.key << " attempt " << a.attempt << " log: " << a.logPath << "\n";
        }
        return kSuccess;
    }
    if (sub == "repair") {
        const auto id = runIdArg("RUN_ID (pipewright pipeline repair RUN_ID)");
        pipeline::RunOptions o;
        o.pipewrightPath = QCoreApplication::applicationFilePath().toStdString();
        o.desktopNotifier = notify::desktopNotify;
        const auto r = pipeline::repairRun(ws, id, o, progressObserver(), &g_cancel);
        if (c.json())
            printJson(QJsonDocument(pipeline::runJson(r)));
        else
            printRunSummary(r);
        return r.result == "SUCCESS" ? kSuccess : kFailure;
    }
    if (sub == "cancel") {
        const auto id = runIdArg("RUN_ID (pipewright pipeline cancel RUN_ID)");
        const bool asked = pipeline::requestCancel(*db, id);
        if (c.json())
            printJson(QJsonDocument(QJsonObject{{"run_id", qint64(id)}, {"cancel_requested", asked}}));
        else
            std::cout << (asked ? "cancel requested for run " : "run has already ended: ") << id << "\n";
        return kSuccess;
    }
    throw UsageError{"unknown pipeline command '" + sub + "'"};
}

} // namespace pw::cli
