// The train task type: trains a classifier as a tracked run (pipewright-worker, locally or on a compute target).
// A retry reuses the FINISHED run an earlier attempt trained instead of training again.
#include "core/compute/Training.h"
#include "core/pipeline/TaskAttempt.h"
#include "core/pipeline/TaskParams.h"
#include "core/pipeline/TaskType.h"
#include "core/requests/Choices.h"
#include "core/store/Database.h"
#include "core/store/Workspace.h"
#include "core/track/Tracker.h"

#include <QCoreApplication>

#include <fstream>
#include <iterator>
#include <mutex>
#include <optional>
#include <ostream>
#include <set>
#include <sstream>
#include <stdexcept>

namespace pw::pipeline {

namespace {

QString qs(const std::string &s)
{
    return QString::fromStdString(s);
}

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

QJsonObject outcomeOutputs(const compute::TrainOutcome &outcome)
{
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

// A retry of a train task: the tracked run the newest earlier attempt recorded, when it FINISHED (reused, not
// trained again). One still RUNNING with a live worker is refused (training it again would race it); any
// other is trained again.
std::optional<QJsonObject> trainedEarlier(store::Database &db, const TaskAttempt &attempt, std::ostream &log)
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
            log << "run " << run.runId << " (trained by " << TaskAttempt::describe(e) << ") FINISHED: reused, not "
                << "trained again\n";
            return trainOutputs(tracker, run);
        }
        if (run.status == "RUNNING" && run.workerPid > 0)
            throw std::runtime_error("training run " + run.runId + " of " + TaskAttempt::describe(e)
                                     + " is still RUNNING (worker pid " + std::to_string(run.workerPid)
                                     + "): let it end or stop it, then repair again");
        log << "run " << run.runId << " of " << TaskAttempt::describe(e) << " is " << run.status
            << ": training again\n";
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

// The worker's events: the tracked run is recorded as soon as it exists (events come after the run is created),
// and the validation metrics go to the log.
class TrainingObserver
{
public:
    TrainingObserver(const TaskContext &c, const std::string &pipelineRunId)
        : m_c(c)
        , m_pipelineRunId(pipelineRunId)
        , m_recorded(!c.attempt.known())
    {
        if (!m_recorded)
            m_before = trainingRunsOf(*c.workspace.openCatalog(), pipelineRunId);
    }
    void operator()(const QJsonObject &e)
    {
        const QString event = e.value("event").toString();
        std::lock_guard lock(m_mutex); // events may come on another thread
        if (!m_recorded && event != "shards" && event != "shards_ready") {
            auto db = m_c.workspace.openCatalog(); // that thread's own connection
            if (const std::string id = ownTrainingRun(*db, m_pipelineRunId, m_before); !id.empty()) {
                m_c.attempt.record(*db, QJsonObject{{"run_id", qs(id)}, {"status", "RUNNING"}});
                m_recorded = true;
            }
        }
        // The worker's progress lines (about one a second) stream into the task's log, not only the epochs' ends.
        if (event == "progress" && e.contains("batches"))
            m_c.log << "epoch " << e.value("epoch").toInteger() << "/" << e.value("epochs").toInteger() << ", batch "
                    << e.value("batch").toInteger() << "/" << e.value("batches").toInteger() << ": loss "
                    << QString::number(e.value("loss").toDouble(), 'f', 4).toStdString() << ", "
                    << qint64(e.value("images_per_second").toDouble()) << " images/s, about "
                    << qint64(e.value("eta_seconds").toDouble()) << " s left" << std::endl;
        if (event == "metric" && e.value("key").toString().startsWith("val_"))
            m_c.log << "epoch " << e.value("epoch").toInteger() << ": " << e.value("key").toString().toStdString()
                    << " " << e.value("value").toDouble() << std::endl;
    }

private:
    const TaskContext &m_c;
    std::string m_pipelineRunId;
    std::set<std::string> m_before;
    bool m_recorded;
    std::mutex m_mutex;
};

QJsonObject runTrain(const TaskContext &c, const TaskParams &p)
{
    compute::TrainRequest r = p.parse(compute::parseTrainRequest);
    r.pipelineRunId = c.attempt.pipelineRunId();
    r.target = c.target;
    if (c.attempt.known()) {
        auto db = c.workspace.openCatalog();
        if (auto reused = trainedEarlier(*db, c.attempt, c.log))
            return *reused;
    }
    TrainingObserver observer(c, r.pipelineRunId);
    const auto outcome = compute::runTraining(c.workspace, r, std::ref(observer), c.cancel);
    c.log << "run " << outcome.runId << " " << outcome.status << (outcome.message.empty() ? "" : ": " + outcome.message)
          << "\n";
    if (outcome.status != "FINISHED")
        throw std::runtime_error("training run " + outcome.runId + " ended " + outcome.status
                                 + (outcome.message.empty() ? "" : ": " + outcome.message));
    return outcomeOutputs(outcome);
}

} // namespace

TaskType trainTask()
{
    return {
        .name = "train",
        .summary = "Trains a classifier on a table's labeled images as a tracked run (pipewright-worker).",
        .params = {{"table", "string", false, "catalog table (default images)", "tables"},
                   {"experiment", "string", false, "experiment (default Default)", "experiments"},
                   {"model", "string", false, "network (default small-cnn)", "models"},
                   {"epochs", "integer", false, ""},
                   {"batch_size", "integer", false, ""},
                   {"lr", "number", false, ""},
                   {"optimizer", requests::choiceKind<compute::kOptimizers>(), false, ""},
                   {"image_size", "integer", false, ""},
                   {"val_fraction", "number", false, ""},
                   {"seed", "integer", false, ""},
                   {"device", requests::choiceKind<compute::kDevices>(), false, ""},
                   {"precision", requests::choiceKind<compute::kPrecisions>(), false, ""},
                   {"as_of_version", "integer", false, "catalog version (default latest)"},
                   {"processes", "integer", false, "data-parallel worker processes on the local target (default 1)"},
                   {"nodes", "integer", false, "a Slurm target's nodes (default 1)"},
                   {"processes_per_node", "integer", false, "ranks per node on a Slurm target (default 1)"},
                   {"init", "string", false, "pretrained weights: a torch.save'd state_dict (.pth) or .safetensors"},
                   {"freeze", "string", false, "backbone (train only the head; needs init) or none"},
                   {"backbone_lr_scale", "number", false, "the backbone's learning rate over the head's (default 1)"}},
        .outputs = {"run_id", "status", "data_version", "val_accuracy", "val_loss", "epochs"},
        .run = runTrain,
        .onTarget = true,
        .colour = "#5e35b1",
        .glyph = "T",
        .databricks = {.notebook = "/Pipewright/train",
                       .substrings = {"train"},
                       .lifts = {{.notebookParam = "experiment_name", .param = "experiment", .namesModel = true},
                                 {.notebookParam = "experiment_path", .param = "experiment", .namesModel = true},
                                 {.notebookParam = "table_name", .param = "table"},
                                 {.notebookParam = "num_epochs", .param = "epochs"},
                                 {.notebookParam = "learning_rate", .param = "lr"}},
                       .wires = {{"table", "ingest", "table", "the table its upstream ingest task wrote"}}},
    };
}

} // namespace pw::pipeline
