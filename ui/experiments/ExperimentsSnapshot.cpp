// Loads the Experiments page's data through the tracking API (never SQL here).
#include "ui/experiments/ExperimentsSnapshot.h"

#include "ui/experiments/ConfusionHeatMap.h"

#include "core/catalog/Catalog.h"
#include "core/store/Database.h"
#include "core/store/Workspace.h"

#include <QDir>
#include <QFile>
#include <QJsonDocument>
#include <QJsonObject>

namespace pw::ui {

ExperimentsSnapshot loadExperimentsSnapshot(const std::string &workspaceRoot)
{
    ExperimentsSnapshot s;
    try {
        const auto ws = store::Workspace::open(workspaceRoot);
        auto db = ws.openCatalog();
        const track::Tracker tracker(*db);
        s.experiments = tracker.experiments();
        for (track::RunInfo &info : tracker.runs()) {
            RunRow row;
            row.params = tracker.params(info.runId);
            row.metrics = tracker.latestMetrics(info.runId);
            // Per key, so that the long per-batch histories (batch_loss) are not read.
            for (const auto &[key, last] : row.metrics) {
                if (key.rfind("batch_", 0) == 0)
                    continue;
                auto points = tracker.metricHistory(info.runId, key);
                if (!points.empty())
                    row.curves.emplace(key, std::move(points));
            }
            row.info = std::move(info);
            s.runs.push_back(std::move(row));
        }
    } catch (const std::exception &e) {
        s.error = QString::fromStdString(e.what());
    }
    return s;
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
            throw std::runtime_error(f.fileName().toStdString() + ": not a JSON object: " + err.errorString().toStdString());
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

std::vector<std::string> workspaceTables(const std::string &workspaceRoot)
{
    try {
        const auto ws = store::Workspace::open(workspaceRoot);
        auto db = ws.openCatalog();
        return catalog::Catalog(*db).tables();
    } catch (const std::exception &) {
        return {}; // the Evaluate button then says there is no table
    }
}

} // namespace pw::ui
