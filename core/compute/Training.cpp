// Training and evaluation runs: shards (core/data), tracking (core/track), the worker process.
#include "core/compute/Training.h"

#include "core/compute/SlurmRun.h"
#include "core/compute/Targets.h"
#include "core/compute/WorkerProcess.h"
#include "core/data/Npy.h"
#include "core/data/Shards.h"
#include "core/store/Database.h"
#include "core/store/Workspace.h"
#include "core/track/Tracker.h"
#include "core/train/ModelZoo.h"

#include <QCoreApplication>
#include <QDateTime>
#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QThread>

#include <cmath>
#include <set>
#include <tuple>
#include <stdexcept>

#include <unistd.h>

namespace pw::compute {

namespace {

std::string availableModels()
{
    std::string out;
    for (const auto &m : train::kModelZoo)
        out += (out.empty() ? "" : ", ") + std::string(m.name);
    return out;
}

const train::ModelSpec &requireModel(const std::string &name)
{
    const train::ModelSpec *spec = train::findModel(name);
    if (!spec)
        throw std::invalid_argument("--model: unknown model '" + name + "' (available: " + availableModels() + ")");
    return *spec;
}

std::string toStd(const QJsonValue &v)
{
    if (v.isString())
        return v.toString().toStdString();
    if (v.isBool())
        return v.toBool() ? "true" : "false";
    if (v.isDouble()) {
        const double d = v.toDouble();
        return d == std::floor(d) && std::abs(d) < 1e15 ? std::to_string(static_cast<long long>(d))
                                                        : QString::number(d, 'g', 10).toStdString();
    }
    return {};
}

std::string runDir(const store::Workspace &ws, const std::string &runId)
{
    return ws.artifactsDir() + "/" + runId;
}

// Records files the worker reported (absolute paths) as artifacts of the run.
void recordArtifacts(track::Tracker &tracker, const std::string &runId, const std::string &dir, const QJsonArray &list)
{
    for (const QJsonValue &v : list) {
        const QString abs = v.toObject().value("path").toString();
        const QFileInfo info(abs);
        if (!info.exists())
            continue;
        const QString rel = QDir(QString::fromStdString(dir)).relativeFilePath(info.absoluteFilePath());
        tracker.addArtifact(runId,
                            {rel.toStdString(), v.toObject().value("kind").toString().toStdString(), info.size(), {}});
    }
}

// The catalog writes of a supervised run. On a full disk a write must not end the supervision (the worker's
// events keep coming, and the run has to be ended in the catalog): the first DiskFullError is kept, and the
// write that met it and every later one wait for one retry when the worker has ended, when a failed save of the
// worker may have given its space back (and SQLite can often commit a small write where a big one failed).
class RunWrites
{
public:
    void operator()(std::function<void()> write)
    {
        if (m_diskFull.empty()) {
            try {
                write();
                return;
            } catch (const store::DiskFullError &e) {
                m_diskFull = e.what();
            }
        }
        m_waiting.push_back(std::move(write));
    }

    /** Runs the waiting writes in order; false when the disk is still full (the rest are dropped). */
    bool retry()
    {
        for (std::size_t i = 0; i < m_waiting.size(); ++i) {
            try {
                m_waiting[i]();
            } catch (const store::DiskFullError &e) {
                m_diskFull = e.what();
                m_waiting.clear();
                return false;
            }
        }
        m_waiting.clear();
        return true;
    }

    /** The last DiskFullError's message; empty when the disk never was full. */
    const std::string &diskFull() const { return m_diskFull; }

private:
    std::string m_diskFull;
    std::vector<std::function<void()>> m_waiting;
};

// Removes what a save of the worker left half-written in the run's folder (it ended: nothing writes there).
void removeTemporaries(const std::string &dir)
{
    const QDir d(QString::fromStdString(dir));
    for (const QString &name : d.entryList({"*.tmp"}, QDir::Files | QDir::Hidden))
        QFile::remove(d.filePath(name));
}

// Ends the run in the catalog after the writes that waited for space. A full disk that lost some of the run's
// records makes the run FAILED, saying so; when even the end cannot be written, the message says that too.
void endRun(track::Tracker &tracker, TrainOutcome &outcome, RunWrites &writes)
{
    if (!writes.retry()) {
        const std::string lost = writes.diskFull() + ": some metrics, params or artifacts of the run were not recorded";
        outcome.message = outcome.message.empty() ? lost : outcome.message + "; " + lost;
        if (outcome.status == "FINISHED")
            outcome.status = "FAILED";
    }
    try {
        tracker.endRun(outcome.runId, outcome.status, outcome.status == "FINISHED" ? std::string() : outcome.message);
    } catch (const store::DiskFullError &e) {
        outcome.message += std::string(outcome.message.empty() ? "" : "; ")
                           + "the catalog could not record the run's end (" + e.what()
                           + "): it shows the run RUNNING until a later command finds its worker gone";
        if (outcome.status == "FINISHED")
            outcome.status = "FAILED";
    }
}

// The job on its target; a training with several ranks runs them all on this host.
WorkerExit runJob(const Target &target, const WorkerJob &job, const std::function<void(const QJsonObject &)> &onEvent,
                  const std::atomic<bool> *cancel, const std::function<void(const QString &)> &onLog,
                  const std::function<void(qint64)> &onStarted)
{
    if (job.ranks > 1)
        return runWorkerRanks(job.args, job.ranks, job.outputDir + "/logs", onEvent, cancel, onLog, onStarted);
    return runWorkerOn(target, job, onEvent, cancel, onLog, onStarted);
}

// How the worker ended, for a run it did not end itself: FAILED with the reason, or KILLED when cancelled.
void failedWithoutReport(TrainOutcome &outcome, const WorkerExit &exit)
{
    if (exit.failedRank >= 0) { // a rank of several: the first to fail is named
        outcome.status = "FAILED";
        outcome.message = exit.error.toStdString();
    } else if (exit.cancelled) {
        outcome.status = "KILLED";
        outcome.message = "cancelled; the worker was stopped";
    } else {
        outcome.status = "FAILED";
        outcome.message = !exit.started ? exit.error.toStdString()
                          : exit.crashed
                              ? "the worker crashed (killed by a signal or out of memory)"
                              : "the worker exited with code " + std::to_string(exit.exitCode) + " without reporting";
        if (exit.started && !exit.error.isEmpty())
            outcome.message += ": " + exit.error.right(600).toStdString();
    }
}

// Runs the worker job of a tracked run on `target` and records what it reports: metrics (a point already in
// `logged` is not logged again: a reattached run reads its event file from the start), the worker's settings
// and device from "started", the artifacts of "finished" and, from a remote target, its event file and stderr;
// then ends the run with the status the worker gave (FAILED with the reason when it gave none).
void superviseRun(track::Tracker &tracker, TrainOutcome &outcome, const Target &target, const WorkerJob &job,
                  const TrainObserver &observer, const std::atomic<bool> *cancel,
                  const std::set<std::tuple<std::string, std::int64_t, std::int64_t>> &logged,
                  const slurm::Shape &shape = {})
{
    const std::string dir = job.outputDir.toStdString();
    const std::string runId = outcome.runId;
    RunWrites writes;
    std::vector<track::MetricPoint> buffered;
    QElapsedTimer sinceFlush;
    sinceFlush.start();
    auto flushMetrics = [&] {
        if (!buffered.empty())
            writes([&tracker, runId, points = std::move(buffered)] { tracker.logMetrics(runId, points); });
        buffered.clear();
        sinceFlush.restart();
    };
    WorkerExit exit;
    std::string slurmDevice; // "hpc (slurm, 2×4 ranks)": a Slurm run's device says where and how wide
    try {
        const auto onEvent = [&](const QJsonObject &event) {
            const QString type = event.value("event").toString();
            if (type == "metric") {
                track::MetricPoint m{event.value("key").toString().toStdString(), event.value("value").toDouble(NAN),
                                     event.value("step").toInteger(), event.value("epoch").toInteger(),
                                     event.value("timestamp").toInteger()};
                if (!logged.count({m.key, m.step, m.timestampMs}))
                    buffered.push_back(std::move(m));
                if (buffered.size() >= 32 || sinceFlush.elapsed() > 2000)
                    flushMetrics();
            } else if (type == "started") {
                std::map<std::string, std::string> params;
                for (const char *key :
                     {"model",      "threads",     "precision", "memory_format",    "parameters", "epochs",
                      "batch_size", "lr",          "optimizer", "schedule",         "flip",       "crop",
                      "seed",       "image_size",  "channels",  "train_images",     "val_images", "classes",
                      "init",       "init_sha256", "freeze",    "backbone_lr_scale"})
                    params[key] = toStd(event.value(key));
                if (event.value("resumed_at_epoch").toInteger() == 0)
                    writes([&tracker, runId, params] { tracker.logParams(runId, params); });
                const std::string device = event.value("device").toString().toStdString();
                writes([&tracker, runId, device = slurmDevice.empty() ? device : slurmDevice + ": " + device] {
                    tracker.setDevice(runId, device);
                });
            } else if (type == "slurm_submitted") {
                slurmDevice = event.value("device").toString().toStdString();
                writes([&tracker, runId, slurmDevice] { tracker.setDevice(runId, slurmDevice); });
            }
            const QJsonObject tags = event.value("tags").toObject();
            for (auto it = tags.begin(); it != tags.end(); ++it)
                writes([&tracker, runId, k = it.key().toStdString(), v = it.value().toString().toStdString()] {
                    tracker.setTag(runId, k, v);
                });
            if (observer)
                observer(event);
        };
        const auto onStarted = [&](qint64 pid) {
            writes([&tracker, runId, pid] { tracker.setWorkerPid(runId, pid); });
        };
        exit = target.isSlurm() ? slurm::runJob(target, job, shape, onEvent, cancel, onStarted)
                                : runJob(target, job, onEvent, cancel, {}, onStarted);
    } catch (const std::exception &e) {
        flushMetrics();
        removeTemporaries(dir);
        outcome.status = "FAILED";
        outcome.message = e.what();
        endRun(tracker, outcome, writes);
        return;
    }
    flushMetrics();
    removeTemporaries(dir);

    if (!target.isLocal()) { // the remote worker's event stream and stderr came back with the model
        QJsonArray logs;
        // A Slurm run: every rank's events and stderr, the batch job's output and its script.
        const QStringList names = target.isSlurm()
                                      ? QDir(QString::fromStdString(dir))
                                            .entryList({"events.*.jsonl", "worker.*.log", "slurm.out", "job.sbatch"},
                                                       QDir::Files)
                                      : QStringList{"events.jsonl", "worker.log"};
        for (const QString &name : names)
            logs.append(QJsonObject{{"path", QString::fromStdString(dir) + "/" + name},
                                    {"kind", name == "job.sbatch" ? "batch-script" : "log"}});
        writes([&tracker, runId, dir, logs] { recordArtifacts(tracker, runId, dir, logs); });
    }
    for (int r = 0; r < job.ranks && job.ranks > 1; ++r) { // every rank's stderr
        const QJsonArray log{QJsonObject{
            {"path", QString::fromStdString(dir) + "/logs/rank-" + QString::number(r) + ".log"}, {"kind", "log"}}};
        writes([&tracker, runId, dir, log] { recordArtifacts(tracker, runId, dir, log); });
    }
    // Rank 0's report, unless another rank failed first (rank 0 then only says it lost its peer).
    if (!exit.finished.isEmpty() && exit.failedRank <= 0) {
        outcome.status = exit.finished.value("status").toString().toStdString();
        outcome.message = exit.finished.value("message").toString().toStdString();
        outcome.imagesPerSecond = exit.finished.value("images_per_second").toDouble();
        writes([&tracker, runId, dir, list = exit.finished.value("artifacts").toArray()] {
            recordArtifacts(tracker, runId, dir, list);
        });
    } else {
        failedWithoutReport(outcome, exit);
    }
    if (outcome.status != "FINISHED" && outcome.status != "FAILED" && outcome.status != "KILLED") {
        outcome.message = "the worker reported an unknown status '" + outcome.status + "'";
        outcome.status = "FAILED";
    }
    if (outcome.imagesPerSecond > 0)
        writes([&tracker, runId, ips = outcome.imagesPerSecond] { tracker.setImagesPerSecond(runId, ips); });
    endRun(tracker, outcome, writes);
    outcome.metrics = tracker.latestMetrics(outcome.runId);
    const auto epochs = tracker.metricHistory(outcome.runId, "train_loss");
    outcome.epochs = epochs.empty() ? 0 : epochs.back().epoch;
}

// Several processes train on this host only, each with at least 2 images of the global batch per step.
void checkProcesses(const TrainRequest &request, const train::ModelSpec &spec, const Target &target)
{
    if (request.processes <= 1)
        return;
    if (!target.isLocal())
        throw std::invalid_argument("--processes " + std::to_string(request.processes)
                                    + ": the ranks run on this host; target '" + target.name
                                    + "' is not the local one");
    const int batch = request.batchSize > 0 ? request.batchSize : spec.defaultBatchSize;
    if (batch < 2 * request.processes)
        throw std::invalid_argument("--batch-size " + std::to_string(batch) + " is the global batch: "
                                    + std::to_string(request.processes) + " processes need at least "
                                    + std::to_string(2 * request.processes) + " (2 images per process and step)");
}

// The worker's job for `request` on the shard folder `shardDir`, writing to `outDir` (a new run's folder, or the
// folder of the run it resumes).
WorkerJob trainJob(const TrainRequest &request, const std::string &shardDir, const std::string &outDir)
{
    QStringList args{"train",
                     "--shards",
                     QString::fromStdString(shardDir),
                     "--out",
                     QString::fromStdString(outDir),
                     "--model",
                     QString::fromStdString(request.model),
                     "--optimizer",
                     kOptimizers.name(request.optimizer),
                     "--seed",
                     QString::number(request.seed),
                     "--device",
                     kDevices.name(request.device),
                     "--precision",
                     kPrecisions.name(request.precision)};
    if (request.epochs > 0)
        args << "--epochs" << QString::number(request.epochs);
    if (request.batchSize > 0)
        args << "--batch-size" << QString::number(request.batchSize);
    if (request.lr > 0)
        args << "--lr" << QString::number(request.lr, 'g', 10);
    QStringList inputs{QString::fromStdString(shardDir)};
    if (!request.init.empty()) { // the weights file travels to a remote target like the shard
        const QString init = QFileInfo(QString::fromStdString(request.init)).absoluteFilePath();
        args << "--init" << init << "--freeze" << QString::fromStdString(request.freeze) << "--backbone-lr-scale"
             << QString::number(request.backboneLrScale, 'g', 10);
        inputs << init;
    }
    if (request.processes > 1) // the host's cores shared by the ranks
        args << "--distributed"
             << "--threads" << QString::number(std::max(1, QThread::idealThreadCount() / request.processes));
    // Tests hold the worker at known points (pipewright-worker --hold-dir) instead of racing it.
    if (const QString hold = qEnvironmentVariable("PIPEWRIGHT_WORKER_HOLD_DIR"); !hold.isEmpty())
        args << "--hold-dir" << hold;

    WorkerJob job;
    job.args = args;
    job.inputs = inputs;
    job.outputDir = QString::fromStdString(outDir);
    job.ranks = request.processes;
    return job;
}

} // namespace

TrainOutcome runTraining(const store::Workspace &ws, const TrainRequest &request, const TrainObserver &observer,
                         const std::atomic<bool> *cancel)
{
    QElapsedTimer clock;
    clock.start();
    const train::ModelSpec &spec = requireModel(request.model);
    const int imageSize = request.imageSize > 0 ? request.imageSize : spec.defaultInputSize;
    if (imageSize < spec.minInputSize || imageSize > spec.maxInputSize)
        throw std::invalid_argument("--image-size: " + std::to_string(imageSize) + " px is outside what "
                                    + std::string(spec.name) + " takes (" + std::to_string(spec.minInputSize) + " to "
                                    + std::to_string(spec.maxInputSize) + " px)");
    if (!request.init.empty() && !QFileInfo(QString::fromStdString(request.init)).isFile())
        throw std::invalid_argument("--init: no file '" + request.init + "'");
    const Target target = findTarget(*ws.openCatalog(), request.target); // throws, naming the known targets
    checkProcesses(request, spec, target);
    if (!target.isSlurm() && (request.nodes > 1 || request.processesPerNode > 1))
        throw std::invalid_argument("--nodes and --processes-per-node are for a Slurm target; '" + target.name + "' is "
                                    + target.kind);
    if (request.device == Device::Cuda) {
        // Refused before any shard is built or run recorded: a worker without CUDA would only fail the run.
        const QJsonObject info = testTarget(target);
        if (info.value("reachable").toBool() && !info.contains("error") && !info.value("cuda").toBool())
            throw std::invalid_argument("--device cuda: the worker on '" + target.name + "' has no CUDA device (torch "
                                        + info.value("torch").toString().toStdString()
                                        + ", CPU only): use --device auto or cpu, or a --target with a GPU");
    }

    data::ShardSpec shardSpec;
    shardSpec.table = request.table;
    shardSpec.asOfVersion = request.asOfVersion;
    shardSpec.imageSize = imageSize;
    shardSpec.channels = spec.photo ? 3 : 0;
    shardSpec.valFraction = request.valFraction;
    const data::ShardSet shards = data::materialise(
        ws, shardSpec,
        [&](std::int64_t done, std::int64_t total) {
            if (observer)
                observer(QJsonObject{{"event", "shards"}, {"done", qint64(done)}, {"total", qint64(total)}});
        },
        cancel);
    if (observer)
        observer(QJsonObject{{"event", "shards_ready"},
                             {"dir", QString::fromStdString(shards.dir)},
                             {"reused", shards.reused},
                             {"train_images", qint64(shards.trainCount)},
                             {"val_images", qint64(shards.valCount)},
                             {"seconds", shards.seconds}});

    auto db = ws.openCatalog();
    track::Tracker tracker(*db);
    TrainOutcome outcome;
    outcome.dataVersion = shards.dataVersion;
    outcome.runId = tracker.createRun(
        {request.experiment, request.runName, request.table, shards.dataVersion, request.pipelineRunId});
    const std::string dir = runDir(ws, outcome.runId);
    QDir().mkpath(QString::fromStdString(dir));
    tracker.logParams(outcome.runId,
                      {{"table", request.table},
                       {"data_version", std::to_string(shards.dataVersion)},
                       {"val_fraction", QString::number(request.valFraction).toStdString()},
                       {"device_requested", kDevices.name(request.device)},
                       {"target", target.name},
                       {"precision_requested", kPrecisions.name(request.precision)},
                       {"shard", QFileInfo(QString::fromStdString(shards.dir)).fileName().toStdString()}});
    QFile::copy(QString::fromStdString(shards.dir + "/classes.txt"), QString::fromStdString(dir + "/classes.txt"));
    tracker.addArtifact(outcome.runId,
                        {"classes.txt", "classes", QFileInfo(QString::fromStdString(dir + "/classes.txt")).size(), {}});
    if (request.processes > 1)
        tracker.setTag(outcome.runId, "world_size", std::to_string(request.processes));

    WorkerJob job = trainJob(request, shards.dir, dir);
    job.jobId = QString::fromStdString(outcome.runId);
    superviseRun(tracker, outcome, target, job, observer, cancel, {}, {request.nodes, request.processesPerNode});
    outcome.seconds = double(clock.elapsed()) / 1000.0;
    return outcome;
}

TrainOutcome attachTraining(const store::Workspace &ws, const std::string &runIdOrPrefix, const TrainObserver &observer,
                            const std::atomic<bool> *cancel)
{
    QElapsedTimer clock;
    clock.start();
    auto db = ws.openCatalog();
    track::Tracker tracker(*db);
    const track::RunInfo run = tracker.run(runIdOrPrefix);
    const auto params = tracker.params(run.runId);
    const auto targetParam = params.find("target");
    if (targetParam == params.end() || targetParam->second == "local")
        throw std::invalid_argument("run " + run.runId
                                    + " ran on this machine: there is no remote worker to attach to");
    const bool orphaned = run.status == "FAILED" && run.failureReason == track::kOrphanedRunReason;
    if (run.status != "RUNNING" && !orphaned)
        throw std::invalid_argument("run " + run.runId + " has ended (" + run.status
                                    + (run.failureReason.empty() ? std::string() : ": " + run.failureReason)
                                    + "): nothing to attach to");
    const Target target = findTarget(*db, targetParam->second);
    // What was logged before: the event file is read from its start, and each point is logged once.
    std::set<std::tuple<std::string, std::int64_t, std::int64_t>> logged;
    for (const auto &m : tracker.metricHistory(run.runId))
        logged.emplace(m.key, m.step, m.timestampMs);
    if (orphaned)
        tracker.reopenRun(run.runId);
    TrainOutcome outcome;
    outcome.runId = run.runId;
    outcome.dataVersion = run.dataVersion;
    WorkerJob job;
    job.outputDir = QString::fromStdString(runDir(ws, run.runId));
    job.jobId = QString::fromStdString(run.runId);
    job.attachOnly = true;
    const auto tags = tracker.tags(run.runId);
    const auto worldSize = tags.find("world_size");
    const slurm::Shape shape{1, worldSize == tags.end() ? 1 : std::max(1, std::atoi(worldSize->second.c_str()))};
    superviseRun(tracker, outcome, target, job, observer, cancel, logged, shape);
    outcome.seconds = double(clock.elapsed()) / 1000.0;
    return outcome;
}

namespace {

// The probabilities of a split prediction: the parts' files (rows in order) into one, the parts removed.
void joinParts(const QStringList &parts, const std::string &outNpy)
{
    std::vector<float> all;
    std::int64_t rows = 0, k = -1;
    for (const QString &path : parts) {
        const data::NpyFile part(path.toStdString());
        if (part.shape().size() != 2 || (k >= 0 && part.shape()[1] != k))
            throw std::runtime_error("'" + path.toStdString() + "': not the probabilities of this prediction");
        k = part.shape()[1];
        rows += part.shape()[0];
        const float *v = part.values<float>();
        all.insert(all.end(), v, v + part.shape()[0] * k);
    }
    data::writeNpy(outNpy, data::NpyType::Float32, {rows, std::max<std::int64_t>(k, 0)}, all.data());
    for (const QString &path : parts)
        QFile::remove(path);
}

// The request a run was trained with, from its params (the worker's resolved epochs, batch size and learning rate)
// and tags: what its resumed worker is started with.
TrainRequest requestOfRun(const track::RunInfo &run, const std::map<std::string, std::string> &params,
                          const std::map<std::string, std::string> &tags)
{
    const auto param = [&params, &run](const char *key) {
        const auto it = params.find(key);
        if (it == params.end() || it->second.empty())
            throw std::invalid_argument("run " + run.runId + " has no '" + key
                                        + "' param: its worker never started, so there is nothing to resume");
        return it->second;
    };
    const auto optional = [&params](const char *key, const std::string &fallback) {
        const auto it = params.find(key);
        return it == params.end() || it->second.empty() ? fallback : it->second;
    };
    TrainRequest r;
    r.table = run.table;
    r.experiment = run.experiment;
    r.model = param("model");
    r.epochs = std::stoi(param("epochs"));
    r.batchSize = std::stoi(param("batch_size"));
    r.lr = std::stod(param("lr"));
    r.optimizer = kOptimizers.parse(param("optimizer")).value_or(Optimizer::Adam);
    r.seed = std::stoull(param("seed"));
    r.imageSize = std::stoi(param("image_size"));
    r.valFraction = std::stod(optional("val_fraction", "0.1"));
    r.device = kDevices.parse(optional("device_requested", "auto")).value_or(Device::Auto);
    r.precision = kPrecisions.parse(optional("precision_requested", "auto")).value_or(Precision::Auto);
    r.asOfVersion = run.dataVersion;
    r.target = optional("target", "local");
    r.init = optional("init", "");
    r.freeze = optional("freeze", "none");
    r.backboneLrScale = std::stod(optional("backbone_lr_scale", "1"));
    const auto world = tags.find("world_size");
    r.processes = world == tags.end() ? 1 : std::max(1, std::atoi(world->second.c_str()));
    return r;
}

} // namespace

TrainOutcome resumeTraining(const store::Workspace &ws, const std::string &runIdOrPrefix, const TrainObserver &observer,
                            const std::atomic<bool> *cancel)
{
    QElapsedTimer clock;
    clock.start();
    auto db = ws.openCatalog();
    track::Tracker tracker(*db);
    const track::RunInfo run = tracker.run(runIdOrPrefix);
    if (run.status != "KILLED" && run.status != "FAILED")
        throw std::invalid_argument("run " + run.runId + " is " + run.status
                                    + ": only a KILLED or FAILED run can be resumed");
    const std::string dir = runDir(ws, run.runId);
    if (!QFileInfo::exists(QString::fromStdString(dir + "/checkpoint.pt")))
        throw std::invalid_argument("run " + run.runId + " has no checkpoint (" + dir
                                    + "/checkpoint.pt): it stopped before its first one, so it cannot be resumed");
    const TrainRequest request = requestOfRun(run, tracker.params(run.runId), tracker.tags(run.runId));
    const Target target = findTarget(*db, request.target);
    if (!target.isLocal())
        throw std::invalid_argument("run " + run.runId + " trained on target '" + target.name
                                    + "': resuming runs the worker on this machine only (its checkpoint is here)");
    // The same shard as before (the same table version, size and split: reused from the cache, or built again).
    data::ShardSpec shardSpec;
    shardSpec.table = request.table;
    shardSpec.asOfVersion = request.asOfVersion;
    shardSpec.imageSize = request.imageSize;
    shardSpec.channels = requireModel(request.model).photo ? 3 : 0;
    shardSpec.valFraction = request.valFraction;
    const data::ShardSet shards = data::materialise(ws, shardSpec, {}, cancel);
    // Each point logged before is logged once: the worker goes on from the checkpoint's step.
    std::set<std::tuple<std::string, std::int64_t, std::int64_t>> logged;
    for (const auto &m : tracker.metricHistory(run.runId))
        logged.emplace(m.key, m.step, m.timestampMs);
    tracker.reopenRun(run.runId);
    tracker.setTag(run.runId, "resumed", std::to_string(std::atoi(tracker.tags(run.runId)["resumed"].c_str()) + 1));
    TrainOutcome outcome;
    outcome.runId = run.runId;
    outcome.dataVersion = run.dataVersion;
    WorkerJob job = trainJob(request, shards.dir, dir);
    job.args << "--resume";
    job.jobId = QString::fromStdString(run.runId);
    superviseRun(tracker, outcome, target, job, observer, cancel, logged);
    outcome.seconds = double(clock.elapsed()) / 1000.0;
    return outcome;
}

void predictFile(const std::string &modelPath, const std::string &imagesNpy, const std::string &outNpy,
                 const std::atomic<bool> *cancel, const std::function<void(const QJsonObject &)> &onEvent,
                 const Target &target, const slurm::Shape &parts)
{
    static std::atomic<int> counter{0};
    const QFileInfo out(QString::fromStdString(outNpy));
    const int n = parts.ranks();
    if (n > 1 && !target.isSlurm())
        throw std::runtime_error("splitting a prediction over " + std::to_string(n) + " tasks needs a Slurm target; '"
                                 + target.name + "' is not one");
    WorkerJob job;
    job.jobId = QString("predict-%1-%2-%3")
                    .arg(QDateTime::currentMSecsSinceEpoch())
                    .arg(QCoreApplication::applicationPid())
                    .arg(counter.fetch_add(1));
    const QString partPattern = out.absolutePath() + "/." + job.jobId + ".%r.npy";
    job.args = {"predict",
                "--model",
                QString::fromStdString(modelPath),
                "--images",
                QString::fromStdString(imagesNpy),
                "--out",
                n > 1 ? partPattern : out.absoluteFilePath()};
    QStringList partFiles; // rank r's probabilities, when split
    for (int r = 0; n > 1 && r < n; ++r)
        partFiles << QString(partPattern).replace("%r", QString::number(r));
    if (n > 1)
        job.args << "--by-rank";
    job.inputs = {QString::fromStdString(modelPath), QString::fromStdString(imagesNpy)};
    job.outputDir = out.absolutePath();
    job.outputs = {out.fileName()};
    if (n > 1) {
        job.outputs.clear();
        for (const QString &f : partFiles)
            job.outputs << QFileInfo(f).fileName();
    }
    job.transientInputs = {QString::fromStdString(imagesNpy)}; // the model file stays: the next scoring reuses it
    job.removeJobDir = true;
    // runWorkerOn runs a Slurm job of one task; a split prediction needs the job's shape.
    const WorkerExit exit = target.isSlurm() ? slurm::runJob(target, job, parts, onEvent, cancel)
                                             : runWorkerOn(target, job, onEvent, cancel);
    const std::string where = target.isLocal() ? std::string() : " on " + target.name;
    if (exit.cancelled)
        throw std::runtime_error("prediction with '" + modelPath + "'" + where + " was cancelled");
    if (exit.finished.value("status").toString() != "FINISHED")
        throw std::runtime_error(
            "prediction with '" + modelPath + "'" + where + " failed: "
            + (exit.finished.isEmpty() ? exit.error : exit.finished.value("message").toString()).toStdString());
    if (n > 1)
        joinParts(partFiles, outNpy);
}

EvaluationResult evaluateModel(const store::Workspace &ws, const ModelFiles &model, const std::string &table,
                               std::optional<std::int64_t> asOfVersion, const std::atomic<bool> *cancel)
{
    data::ShardSpec spec;
    spec.table = table;
    spec.asOfVersion = asOfVersion;
    spec.imageSize = model.imageSize;
    spec.channels = model.channels;
    spec.valFraction = 0;
    const data::ShardSet shards = data::materialise(ws, spec, {}, cancel);

    static std::atomic<int> counter{0};
    const std::string probsPath = shards.dir + "/.probabilities-" + std::to_string(::getpid()) + "-"
                                  + std::to_string(counter.fetch_add(1)) + ".npy";
    struct Remove
    {
        std::string path;
        ~Remove() { QFile::remove(QString::fromStdString(path)); }
    } remove{probsPath};
    predictFile(model.modelPath, shards.dir + "/train_images.npy", probsPath, cancel);
    const data::NpyFile probs(probsPath);
    const data::NpyFile labels(shards.dir + "/train_labels.npy");
    const auto &classes = model.classes;
    const auto k = std::int64_t(classes.size());
    if (probs.shape().size() != 2 || probs.shape()[1] != k)
        throw std::runtime_error("'" + probs.path() + "': expected " + std::to_string(k)
                                 + " class probabilities per image");

    // Table class index -> model class index, by name.
    std::vector<std::int64_t> toModel(shards.classes.size(), -1);
    for (std::size_t i = 0; i < shards.classes.size(); ++i) {
        for (std::size_t j = 0; j < classes.size(); ++j) {
            if (shards.classes[i] == classes[j])
                toModel[i] = std::int64_t(j);
        }
    }
    EvaluationResult r;
    r.table = table;
    r.dataVersion = shards.dataVersion;
    r.classes = classes;
    r.confusion.assign(std::size_t(k), std::vector<std::int64_t>(std::size_t(k), 0));
    const float *p = probs.values<float>();
    const std::int64_t *y = labels.values<std::int64_t>();
    const std::int64_t n = labels.shape()[0];
    std::int64_t correct = 0;
    for (std::int64_t i = 0; i < n; ++i) {
        const std::int64_t truth = toModel[std::size_t(y[i])];
        if (truth < 0) {
            ++r.skipped;
            continue;
        }
        std::int64_t best = 0;
        for (std::int64_t c = 1; c < k; ++c) {
            if (p[i * k + c] > p[i * k + best])
                best = c;
        }
        ++r.confusion[std::size_t(truth)][std::size_t(best)];
        correct += best == truth;
        ++r.images;
    }
    if (r.images == 0)
        throw std::runtime_error("table '" + table + "' has no images of the classes the model was trained on");
    r.accuracy = double(correct) / double(r.images);
    for (std::int64_t c = 0; c < k; ++c) {
        std::int64_t total = 0;
        for (auto v : r.confusion[std::size_t(c)])
            total += v;
        if (total > 0)
            r.perClass[classes[std::size_t(c)]] = double(r.confusion[std::size_t(c)][std::size_t(c)]) / double(total);
    }
    r.artifact = "evaluation-" + QFileInfo(QString::fromStdString(shards.dir)).fileName().toStdString() + ".json";
    return r;
}

EvaluationResult evaluateRun(const store::Workspace &ws, const std::string &runIdOrPrefix, const std::string &table,
                             std::optional<std::int64_t> asOfVersion, const std::atomic<bool> *cancel)
{
    auto db = ws.openCatalog();
    track::Tracker tracker(*db);
    const track::RunInfo run = tracker.run(runIdOrPrefix);
    const std::string dir = runDir(ws, run.runId);
    ModelFiles model;
    model.modelPath = dir + "/model.pt";
    if (!QFileInfo::exists(QString::fromStdString(model.modelPath)))
        throw std::runtime_error("run " + run.runId + " (" + run.status + ") has no model file: nothing to evaluate");
    const auto params = tracker.params(run.runId);
    auto param = [&](const char *key) {
        const auto it = params.find(key);
        if (it == params.end())
            throw std::runtime_error("run " + run.runId + " lacks the param '" + key + "' needed to prepare its input");
        return std::stoi(it->second);
    };
    QFile classesFile(QString::fromStdString(dir + "/classes.txt"));
    if (!classesFile.open(QIODevice::ReadOnly))
        throw std::runtime_error("run " + run.runId + " has no classes.txt artifact");
    for (const QByteArray &line : classesFile.readAll().split('\n')) {
        if (!line.trimmed().isEmpty())
            model.classes.push_back(line.trimmed().toStdString());
    }
    model.imageSize = param("image_size");
    model.channels = param("channels");

    EvaluationResult r;
    try {
        r = evaluateModel(ws, model, table, asOfVersion, cancel);
    } catch (const std::exception &e) {
        throw std::runtime_error("evaluating run " + run.runId + ": " + e.what());
    }
    r.runId = run.runId;
    const QByteArray json = QJsonDocument(evaluationJson(r)).toJson(QJsonDocument::Indented);
    QFile out(QString::fromStdString(dir + "/" + r.artifact));
    if (!out.open(QIODevice::WriteOnly | QIODevice::Truncate) || out.write(json) != json.size())
        throw std::runtime_error("cannot write '" + dir + "/" + r.artifact + "'");
    out.close();
    tracker.addArtifact(run.runId, {r.artifact, "evaluation", json.size(), {}});
    tracker.logMetrics(run.runId,
                       {{"eval_" + table + "_accuracy", r.accuracy, 0, 0, QDateTime::currentMSecsSinceEpoch()}});
    return r;
}

QJsonObject evaluationJson(const EvaluationResult &r)
{
    QJsonObject perClass;
    for (const auto &[name, acc] : r.perClass)
        perClass.insert(QString::fromStdString(name), acc);
    QJsonArray confusion;
    for (const auto &row : r.confusion) {
        QJsonArray a;
        for (auto v : row)
            a.append(qint64(v));
        confusion.append(a);
    }
    QJsonArray classes;
    for (const auto &c : r.classes)
        classes.append(QString::fromStdString(c));
    return QJsonObject{{"run_id", QString::fromStdString(r.runId)},
                       {"table", QString::fromStdString(r.table)},
                       {"data_version", qint64(r.dataVersion)},
                       {"images", qint64(r.images)},
                       {"skipped", qint64(r.skipped)},
                       {"accuracy", r.accuracy},
                       {"per_class", perClass},
                       {"classes", classes},
                       {"confusion", confusion}};
}

} // namespace pw::compute
