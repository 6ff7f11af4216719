// Loads the Experiments page's data through the tracking API (never SQL here).
#include "ui/experiments/ExperimentsSnapshot.h"

#include "ui/experiments/ConfusionHeatMap.h"

#include "core/catalog/Catalog.h"
#include "core/compute/Targets.h"
#include "core/registry/Gate.h"
#include "core/store/Database.h"
#include "core/store/Workspace.h"

#include <QDir>
#include <QFile>
#include <QJsonDocument>
#include <QJsonObject>
#include <QObject>
#include <QRegularExpression>

#include <set>

namespace pw::ui {

bool isSystemTag(const std::string &key)
{
    return key.rfind("pipewright.", 0) == 0 || key.rfind("mlflow.", 0) == 0;
}

QString userTagKeyError(const QString &key)
{
    if (key.trimmed().isEmpty())
        return QObject::tr("a tag needs a key");
    if (key.size() > 250)
        return QObject::tr("the tag key '%1…' is longer than 250 characters").arg(key.left(40));
    static const QRegularExpression allowed(QStringLiteral("^[A-Za-z0-9_\\-. /]+$"));
    if (!allowed.match(key).hasMatch())
        return QObject::tr("the tag key '%1' may hold only letters, digits, '_', '-', '.', ' ' and '/'").arg(key);
    if (isSystemTag(key.toStdString()))
        return QObject::tr("the tag key '%1' starts with a reserved prefix ('pipewright.' and 'mlflow.' tags are set "
                           "by Pipewright itself)")
            .arg(key);
    return {};
}

namespace {

// Above this many runs to read in detail, the set-based reads of every run (a few queries in all, ~0.2 s for
// 5,000 runs) beat the per-run ones (about a dozen queries a run); a live refresh re-reads only the few runs
// still RUNNING, and reads those one by one.
constexpr std::size_t kBatchReadRuns = 32;

template<typename Map> typename Map::mapped_type takeFrom(Map &map, const std::string &runId)
{
    const auto it = map.find(runId);
    return it == map.end() ? typename Map::mapped_type{} : std::move(it->second);
}

bool isBatchKey(const std::string &key)
{
    return key.rfind("batch_", 0) == 0;
}

} // namespace

ExperimentsSnapshot loadExperimentsSnapshot(const std::string &workspaceRoot, const std::vector<std::string> &ended)
{
    ExperimentsSnapshot s;
    try {
        const std::set<std::string> known(ended.begin(), ended.end());
        const auto ws = store::Workspace::open(workspaceRoot);
        auto db = ws.openCatalog();
        const track::Tracker tracker(*db);
        s.experiments = tracker.experiments();
        std::vector<track::RunInfo> runs = tracker.runs();
        auto tags = tracker.allTags();
        s.runs.reserve(runs.size());
        std::size_t detailed = 0;
        for (track::RunInfo &info : runs) {
            RunRow row;
            row.tags = takeFrom(tags, info.runId);
            // A run that had ended at the caller's last load cannot have changed its params or metrics since.
            row.detailed = !(info.status != "RUNNING" && known.count(info.runId));
            detailed += row.detailed ? 1 : 0;
            row.info = std::move(info);
            s.runs.push_back(std::move(row));
        }
        if (detailed > kBatchReadRuns) {
            auto params = tracker.allParams();
            auto metrics = tracker.allLatestMetrics();
            // Every history but the long per-batch ones (batch_loss): the charts draw any of them.
            auto curves = tracker.allMetricHistories("batch_");
            for (RunRow &row : s.runs) {
                if (!row.detailed)
                    continue;
                row.params = takeFrom(params, row.info.runId);
                row.metrics = takeFrom(metrics, row.info.runId);
                row.curves = takeFrom(curves, row.info.runId);
            }
        } else {
            for (RunRow &row : s.runs) {
                if (!row.detailed)
                    continue;
                row.params = tracker.params(row.info.runId);
                row.metrics = tracker.latestMetrics(row.info.runId);
                // Per key, so that the long per-batch histories (batch_loss) are not read.
                for (const auto &[key, last] : row.metrics) {
                    if (isBatchKey(key))
                        continue;
                    auto points = tracker.metricHistory(row.info.runId, key);
                    if (!points.empty())
                        row.curves.emplace(key, std::move(points));
                }
            }
        }
    } catch (const std::exception &e) {
        s.error = QString::fromStdString(e.what());
    }
    return s;
}

QString writeRunTags(const std::string &workspaceRoot, const std::string &runId,
                     const std::map<std::string, std::string> &tags)
{
    try {
        const auto ws = store::Workspace::open(workspaceRoot);
        auto db = ws.openCatalog();
        track::Tracker tracker(*db);
        for (const auto &[key, value] : tags)
            tracker.setTag(runId, key, value);
        return {};
    } catch (const std::exception &e) {
        return QString::fromStdString(e.what());
    }
}

TrainChoices loadTrainChoices(const std::string &workspaceRoot)
{
    TrainChoices c;
    try {
        const auto ws = store::Workspace::open(workspaceRoot);
        auto db = ws.openCatalog();
        c.tables = catalog::Catalog(*db).tables();
        c.experiments = track::Tracker(*db).experiments();
        c.targets = compute::targetNames(*db);
        for (const compute::Target &t : compute::listTargets(*db)) {
            if (t.isSlurm())
                c.slurmTargets.push_back(t.name);
        }
    } catch (const std::exception &e) {
        c.error = QString::fromStdString(e.what());
    }
    return c;
}

compute::TrainOutcome trainInWorkspace(const std::string &workspaceRoot, const compute::TrainRequest &request,
                                       const compute::TrainObserver &observer, const std::atomic<bool> *cancel,
                                       const std::string &resumeRunId)
{
    try {
        const auto ws = store::Workspace::open(workspaceRoot);
        if (!resumeRunId.empty())
            return compute::resumeTraining(ws, resumeRunId, observer, cancel);
        return compute::runTraining(ws, request, observer, cancel);
    } catch (const std::exception &e) {
        compute::TrainOutcome out;
        out.status = "FAILED";
        out.message = e.what();
        return out;
    }
}

RunEvaluation loadLatestEvaluation(const std::string &workspaceRoot, const std::string &runId)
{
    RunEvaluation out;
    try {
        const auto ws = store::Workspace::open(workspaceRoot);
        const QDir dir(QString::fromStdString(ws.artifactsDir() + "/" + runId));
        const QFileInfoList files = dir.entryInfoList({QStringLiteral("evaluation-*.json")}, QDir::Files, QDir::Time);
        if (files.isEmpty())
            return out;
        QFile f(files.first().absoluteFilePath());
        if (!f.open(QIODevice::ReadOnly))
            throw std::runtime_error(f.fileName().toStdString() + ": " + f.errorString().toStdString());
        QJsonParseError err{};
        const QJsonDocument doc = QJsonDocument::fromJson(f.readAll(), &err);
        if (!doc.isObject())
            throw std::runtime_error(f.fileName().toStdString()
                                     + ": not a JSON object: " + err.errorString().toStdString());
        out.result = evaluationFromJson(doc.object());
        out.result.artifact = files.first().fileName().toStdString();
        out.file = f.fileName();
        out.found = true;
    } catch (const std::exception &e) {
        out.error = QString::fromStdString(e.what());
    }
    return out;
}

RunEvaluation evaluateRunOn(const std::string &workspaceRoot, const std::string &runId, const std::string &table)
{
    RunEvaluation out;
    try {
        const auto ws = store::Workspace::open(workspaceRoot);
        out.result = compute::evaluateRun(ws, runId, table);
        out.file = QString::fromStdString(ws.artifactsDir() + "/" + runId + "/" + out.result.artifact);
        out.found = true;
    } catch (const std::exception &e) {
        out.error = QString::fromStdString(e.what());
    }
    return out;
}

std::vector<std::string> workspaceTables(const std::string &workspaceRoot, const std::string &trainedOn)
{
    try {
        const auto ws = store::Workspace::open(workspaceRoot);
        auto db = ws.openCatalog();
        return registry::evaluationTables(*db, trainedOn);
    } catch (const std::exception &) {
        return {}; // the Evaluate button then says there is no table
    }
}

} // namespace pw::ui
