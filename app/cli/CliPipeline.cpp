// CLI commands of pipelines: pipeline validate|run|runs|show|repair|cancel|import-databricks|export-databricks,
// and run-task, which the executor uses to run a built-in task type in its own process.
#include "app/cli/Cli.h"
#include "app/cli/CliSupport.h"

#include "core/compute/Training.h"
#include "core/ingest/Ingestor.h"
#include "core/pipeline/Databricks.h"
#include "core/pipeline/Executor.h"
#include "core/pipeline/Pipeline.h"
#include "core/registry/Gate.h"
#include "core/registry/Registry.h"
#include "core/requests/KeyValues.h"
#include "core/review/Review.h"
#include "core/score/Scoring.h"
#include "core/store/Database.h"
#include "core/store/Workspace.h"
#include "core/track/Tracker.h"
#include "ui/notify/DesktopNotify.h"

#include <QCoreApplication>
#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonObject>

#include <chrono>
#include <climits>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <iterator>
#include <mutex>
#include <optional>
#include <set>
#include <sstream>
#include <thread>

#include <unistd.h>

namespace pw::cli {

namespace {

QString qs(const std::string &s)
{
    return QString::fromStdString(s);
}

// Task parameters after substitution: numbers may arrive as text ("{{tasks.register.version}}" -> "3").
class TaskParams
{
public:
    explicit TaskParams(QJsonObject o)
        : m_o(std::move(o))
    {
    }
    /** The params as a request's key/value input (core/requests/KeyValues.h). */
    requests::KeyValues values() const { return requests::KeyValues::fromJson(m_o); }

private:
    QJsonObject m_o;
};

// A task's request from its params by the request's one parser; what the parser refuses fails the task naming
// the param: "params.labels: 'caltch' is not one of caltech, folder, none".
template <typename Parse>
auto parseParams(Parse &&parse, const TaskParams &p)
{
    try {
        return parse(p.values());
    } catch (const requests::RequestError &e) {
        throw std::runtime_error("params." + e.key() + ": " + e.problem());
    }
}

// The attempt a run-task process is, from the executor's environment (PIPEWRIGHT_RUN_ID, PIPEWRIGHT_TASK_KEY,
// PIPEWRIGHT_ATTEMPT): it records what it creates as soon as that exists, and a retry or a repair finds there
// what earlier attempts created (pipeline::earlierAttempts), so a killed attempt's run or version is reused.
class Attempt
{
public:
    static Attempt fromEnvironment()
    {
        Attempt a;
        a.m_runId = qEnvironmentVariable("PIPEWRIGHT_RUN_ID").toLongLong();
        a.m_key = qEnvironmentVariable("PIPEWRIGHT_TASK_KEY").toStdString();
        a.m_attempt = qEnvironmentVariable("PIPEWRIGHT_ATTEMPT").toInt();
        a.m_outputsFile = qEnvironmentVariable("PIPEWRIGHT_OUTPUTS");
        return a;
    }
    bool known() const { return m_runId > 0 && !m_key.empty() && m_attempt > 0; }
    std::vector<pipeline::EarlierAttempt> earlier(store::Database &db) const
    {
        return known() ? pipeline::earlierAttempts(db, m_runId, m_key, m_attempt) : std::vector<pipeline::EarlierAttempt>{};
    }
    /** Records `outputs` in the task run and in the outputs file (which the executor reads also when it fails). */
    void record(store::Database &db, const QJsonObject &outputs) const
    {
        if (!known())
            return;
        pipeline::recordAttemptOutputs(db, m_runId, m_key, m_attempt, outputs);
        writeOutputsFile(outputs);
    }
    void writeOutputsFile(const QJsonObject &outputs) const
    {
        if (m_outputsFile.isEmpty())
            return;
        QFile f(m_outputsFile);
        if (!f.open(QIODevice::WriteOnly | QIODevice::Truncate))
            throw std::runtime_error("cannot write the outputs file '" + m_outputsFile.toStdString() + "'");
        f.write(QJsonDocument(outputs).toJson(QJsonDocument::Compact));
    }
    /**
     * A test hook: with PIPEWRIGHT_HOLD_TASK naming this task, it stops here (its work done and recorded, its
     * state not yet changed), writes its pid to PIPEWRIGHT_HOLD_FILE.held and waits until PIPEWRIGHT_HOLD_FILE
     * exists, so that a test can kill the executor at exactly this point.
     */
    void holdIfAsked() const
    {
        const QString task = qEnvironmentVariable("PIPEWRIGHT_HOLD_TASK");
        const QString file = qEnvironmentVariable("PIPEWRIGHT_HOLD_FILE");
        if (task.isEmpty() || file.isEmpty() || task.toStdString() != m_key)
            return;
        {
            // Written under another name and renamed, so that a test never reads the file before the pid is in it.
            QFile held(file + ".held.part");
            if (held.open(QIODevice::WriteOnly | QIODevice::Truncate))
                held.write(QByteArray::number(QCoreApplication::applicationPid()));
            held.close();
            QFile::remove(file + ".held");
            held.rename(file + ".held");
        }
        while (!QFileInfo::exists(file) && !g_cancel.load())
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    std::string describe(const pipeline::EarlierAttempt &e) const
    {
        return "attempt " + std::to_string(e.attempt) + " of pipeline run " + std::to_string(e.runId);
    }

private:
    std::int64_t m_runId = 0;
    std::string m_key;
    int m_attempt = 0;
    QString m_outputsFile;
};

// The outputs of a train task for a FINISHED tracked run (as runTraining's outcome gives them).
QJsonObject trainOutputs(const track::Tracker &tracker, const track::RunInfo &run)
{
    const auto metrics = tracker.latestMetrics(run.runId);
    auto metric = [&](const char *k) {
        const auto it = metrics.find(k);
        return it == metrics.end() ? QJsonValue() : QJsonValue(it->second);
    };
    const auto epochs = tracker.metricHistory(run.runId, "train_loss");
    return QJsonObject{{"run_id", qs(run.runId)},
                       {"status", qs(run.status)},
                       {"data_version", qint64(run.dataVersion)},
                       {"val_accuracy", metric("val_accuracy")},
                       {"val_loss", metric("val_loss")},
                       {"epochs", qint64(epochs.empty() ? 0 : epochs.back().epoch)}};
}

// A retry of a train task: the tracked run the newest earlier attempt recorded, when it FINISHED (reused, not
// trained again). One still RUNNING with a live worker is refused (training it again would race it); any
// other is trained again.
std::optional<QJsonObject> trainedEarlier(store::Database &db, const Attempt &attempt)
{
    for (const auto &e : attempt.earlier(db)) {
        const std::string id = e.outputs.value("run_id").toString().toStdString();
        if (id.empty())
            continue;
        track::Tracker tracker(db);
        tracker.failOrphanedRuns();
        track::RunInfo run;
        try {
            run = tracker.run(id);
        } catch (const std::exception &) {
            return std::nullopt; // deleted since: train anew
        }
        if (run.status == "FINISHED") {
            std::cout << "run " << run.runId << " (trained by " << attempt.describe(e) << ") FINISHED: reused, not "
                      << "trained again\n";
            return trainOutputs(tracker, run);
        }
        if (run.status == "RUNNING" && run.workerPid > 0)
            throw std::runtime_error("training run " + run.runId + " of " + attempt.describe(e) + " is still RUNNING (worker pid "
                                     + std::to_string(run.workerPid) + "): let it end or stop it, then repair again");
        std::cout << "run " << run.runId << " of " << attempt.describe(e) << " is " << run.status << ": training again\n";
        return std::nullopt;
    }
    return std::nullopt;
}

// The parent of a process (from /proc), or 0.
qint64 parentOf(qint64 pid)
{
    std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
    std::string stat((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    const auto paren = stat.rfind(')');
    if (paren == std::string::npos)
        return 0;
    std::istringstream rest(stat.substr(paren + 1));
    std::string state;
    qint64 ppid = 0;
    rest >> state >> ppid;
    return ppid;
}

// The tracked run this process's training created: a RUNNING run of this pipeline run that was not there before
// and whose worker is this process's (a local worker is its child; a remote run reports this process itself).
std::string ownTrainingRun(store::Database &db, const std::string &pipelineRunId, const std::set<std::string> &before)
{
    track::Tracker tracker(db);
    std::vector<track::RunInfo> fresh;
    for (const auto &r : tracker.runs()) {
        if (r.pipelineRunId == pipelineRunId && r.status == "RUNNING" && !before.count(r.runId))
            fresh.push_back(r);
    }
    const qint64 self = QCoreApplication::applicationPid();
    for (const auto &r : fresh) {
        if (r.workerPid > 0 && (r.workerPid == self || parentOf(r.workerPid) == self))
            return r.runId;
    }
    return fresh.size() == 1 && fresh.front().workerPid > 0 ? fresh.front().runId : std::string();
}

std::set<std::string> trainingRunsOf(store::Database &db, const std::string &pipelineRunId)
{
    std::set<std::string> out;
    for (const auto &r : track::Tracker(db).runs()) {
        if (r.pipelineRunId == pipelineRunId)
            out.insert(r.runId);
    }
    return out;
}

// A retry of a register task: the version of `name` from the same run that an earlier attempt may have
// registered before it was killed (the registration commits before the attempt can record it).
std::optional<registry::ModelVersion> registeredEarlier(store::Database &db, const registry::Registry &reg,
                                                        const std::string &runRef, const std::string &name,
                                                        const Attempt &attempt)
{
    if (attempt.earlier(db).empty())
        return std::nullopt;
    std::string runId;
    std::vector<registry::ModelVersion> versions;
    try {
        runId = track::Tracker(db).run(runRef).runId;
        versions = reg.versions(name);
    } catch (const std::exception &) {
        return std::nullopt; // no such run or model yet: registerRun says what is wrong
    }
    std::optional<registry::ModelVersion> found;
    for (const auto &v : versions) {
        if (v.runId == runId)
            found = v; // the newest
    }
    return found;
}

// Runs one built-in task type in this process and returns its outputs. Progress goes to stdout (the log).
QJsonObject runTask(const store::Workspace &ws, const std::string &type, const TaskParams &p, const std::string &target,
                    const Attempt &attempt)
{
    if (type == "ingest") {
        const ingest::IngestOptions o = parseParams(ingest::parseIngestOptions, p);
        const auto r = ingest::ingest(ws, o, {}, &g_cancel);
        std::cout << "ingest " << o.source << " -> " << o.table << ": version " << r.version << ", added " << r.added
                  << ", updated " << r.updated << ", unchanged " << r.unchanged << ", rejected " << r.rejected << "\n";
        for (const auto &f : r.rejectedFiles)
            std::cout << "  rejected " << f.path << ": " << f.reason << "\n";
        return QJsonObject{{"version", qint64(r.version)},     {"added", qint64(r.added)},
                           {"updated", qint64(r.updated)},     {"unchanged", qint64(r.unchanged)},
                           {"rejected", qint64(r.rejected)},   {"table", qs(o.table)}};
    }
    if (type == "train") {
        compute::TrainRequest r = parseParams(compute::parseTrainRequest, p);
        if (const char *run = std::getenv("PIPEWRIGHT_RUN_ID"))
            r.pipelineRunId = run;
        r.target = target;
        if (attempt.known()) {
            auto db = ws.openCatalog();
            if (auto reused = trainedEarlier(*db, attempt))
                return *reused;
        }
        // The tracked run is recorded as soon as its worker reports (events come after the run is created).
        const std::set<std::string> before = attempt.known() ? trainingRunsOf(*ws.openCatalog(), r.pipelineRunId)
                                                             : std::set<std::string>{};
        bool recorded = !attempt.known();
        std::mutex printing;
        const auto outcome = compute::runTraining(
            ws, r,
            [&](const QJsonObject &e) {
                const QString event = e.value("event").toString();
                if (!recorded && event != "shards" && event != "shards_ready") {
                    std::lock_guard lock(printing);
                    auto db = ws.openCatalog(); // events may come on another thread: its own connection
                    if (const std::string id = ownTrainingRun(*db, r.pipelineRunId, before); !id.empty()) {
                        attempt.record(*db, QJsonObject{{"run_id", qs(id)}, {"status", "RUNNING"}});
                        recorded = true;
                    }
                }
                if (event == "metric" && e.value("key").toString().startsWith("val_")) {
                    std::lock_guard lock(printing);
                    std::cout << "epoch " << e.value("epoch").toInteger() << ": " << e.value("key").toString().toStdString()
                              << " " << e.value("value").toDouble() << std::endl;
                }
            },
            &g_cancel);
        std::cout << "run " << outcome.runId << " " << outcome.status
                  << (outcome.message.empty() ? "" : ": " + outcome.message) << "\n";
        if (outcome.status != "FINISHED")
            throw std::runtime_error("training run " + outcome.runId + " ended " + outcome.status
                                     + (outcome.message.empty() ? "" : ": " + outcome.message));
        auto metric = [&](const char *k) {
            const auto it = outcome.metrics.find(k);
            return it == outcome.metrics.end() ? QJsonValue() : QJsonValue(it->second);
        };
        return QJsonObject{{"run_id", qs(outcome.runId)},
                           {"status", qs(outcome.status)},
                           {"data_version", qint64(outcome.dataVersion)},
                           {"val_accuracy", metric("val_accuracy")},
                           {"val_loss", metric("val_loss")},
                           {"epochs", qint64(outcome.epochs)}};
    }
    if (type == "evaluate") {
        const compute::EvaluateRequest request = parseParams(compute::parseEvaluateRequest, p);
        const auto r = compute::evaluateRun(ws, request.run, request.table, request.asOfVersion, &g_cancel);
        std::cout << "run " << r.runId << " on " << r.table << ": accuracy " << r.accuracy << "\n";
        return QJsonObject{{"accuracy", r.accuracy}, {"images", qint64(r.images)}, {"run_id", qs(r.runId)}};
    }
    if (type == "register") {
        const registry::RegisterRequest request = parseParams(registry::parseRegisterRequest, p);
        auto db = ws.openCatalog();
        registry::Registry reg(ws, *db);
        if (const auto v = registeredEarlier(*db, reg, request.run, request.name, attempt)) {
            std::cout << v->name << " version " << v->version << " of run " << v->runId
                      << " was registered by an earlier attempt: reused, not registered again\n";
            return QJsonObject{{"name", qs(v->name)}, {"version", qint64(v->version)}, {"stage", registry::stageName(v->stage)}};
        }
        const auto v = reg.registerRun(request.run, request.name, request.description);
        attempt.record(*db, QJsonObject{{"name", qs(v.name)}, {"version", qint64(v.version)},
                                        {"stage", registry::stageName(v.stage)}});
        std::cout << "registered " << v.name << " version " << v.version << "\n";
        return QJsonObject{{"name", qs(v.name)}, {"version", qint64(v.version)}, {"stage", registry::stageName(v.stage)}};
    }
    if (type == "promote") {
        const registry::PromoteRequest promote = parseParams(registry::parsePromoteRequest, p);
        registry::TransitionRequest r = promote.transition;
        auto db = ws.openCatalog();
        registry::Registry reg(ws, *db);
        // Idempotent: a version already in the target stage (an earlier attempt promoted it, then was killed)
        // is where it should be.
        if (const auto current = reg.version(r.name, r.version); current.stage == r.to) {
            std::cout << r.name << " version " << r.version << " is already in " << registry::stageName(r.to)
                      << ": nothing to do\n";
            return QJsonObject{{"name", qs(r.name)}, {"version", qint64(r.version)}, {"stage", registry::stageName(r.to)}};
        }
        if (!promote.gateTable.empty()) {
            const auto g = registry::checkPromotionGate(ws, r.name, r.version, promote.gateTable, &g_cancel);
            std::cout << "gate: " << g.summary() << "\n";
            if (!g.passed)
                throw std::runtime_error("promotion refused: " + g.summary());
            r.expectProduction = g.productionVersion;
        }
        for (const auto &t : reg.transition(r))
            std::cout << t.name << " version " << t.version << ": " << t.from << " -> " << t.to << "\n";
        return QJsonObject{{"name", qs(r.name)}, {"version", qint64(r.version)}, {"stage", registry::stageName(r.to)}};
    }
    if (type == "score") {
        score::ScoreRequest r = parseParams(score::parseScoreRequest, p);
        r.target = target;
        const auto res = score::score(ws, r, {}, &g_cancel);
        std::cout << "scored " << res.scored << " images with " << res.model << ":" << res.modelVersion << "; "
                  << res.queuedForReview << " queued for review\n";
        for (const auto &f : res.failures)
            std::cout << "  not scored: " << f.path << ": " << f.reason << "\n";
        return QJsonObject{{"version", qint64(res.version)},        {"model_version", qint64(res.modelVersion)},
                           {"scored", qint64(res.scored)},           {"skipped", qint64(res.skipped)},
                           {"failed", qint64(res.failed)},           {"queued_for_review", qint64(res.queuedForReview)}};
    }
    if (type == "review-export") {
        review::ExportRequest request = parseParams(review::parseExportRequest, p);
        auto db = ws.openCatalog();
        review::ReviewQueue queue(ws, *db);
        // A relative file is the workspace's (a task's working folder is whatever started the run).
        if (QFileInfo(qs(request.file)).isRelative())
            request.file = ws.root() + "/" + request.file;
        const std::int64_t n = review::exportEntries(queue, request);
        std::cout << "wrote " << n << " entries to " << request.file << "\n";
        return QJsonObject{{"file", qs(request.file)}, {"entries", qint64(n)}};
    }
    if (type == "labels-merge") {
        const review::MergeRequest request = parseParams(review::parseMergeRequest, p);
        auto db = ws.openCatalog();
        review::ReviewQueue queue(ws, *db);
        const auto r = queue.commit(request.table);
        for (const auto &[path, why] : r.notMerged)
            std::cout << "  not merged: " << path << ": " << why << "\n";
        std::cout << "merged " << r.labelsMerged << " labels\n";
        return QJsonObject{{"version", qint64(r.version)}, {"labels_merged", qint64(r.labelsMerged)}};
    }
    throw UsageError{"run-task: unknown task type '" + qs(type) + "'"};
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
        const Attempt attempt = Attempt::fromEnvironment();
        const QJsonObject outputs = runTask(ws, c.positional().at(1).toStdString(), TaskParams(params),
                                            c.isSet("target") ? c.value("target").toStdString() : std::string("local"),
                                            attempt);
        if (attempt.known()) {
            auto db = ws.openCatalog();
            attempt.record(*db, outputs);
        }
        attempt.holdIfAsked();
        attempt.writeOutputsFile(outputs);
        std::cout << QJsonDocument(outputs).toJson(QJsonDocument::Compact).toStdString() << "\n";
        return kSuccess;
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
