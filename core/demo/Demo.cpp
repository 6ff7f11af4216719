// The demo workspace, step by step; each step skips what an earlier run already did.
#include "core/demo/Demo.h"

#include "core/compute/Training.h"
#include "core/data/FashionMnist.h"
#include "core/ingest/Ingestor.h"
#include "core/registry/Registry.h"
#include "core/score/Scoring.h"
#include "core/store/Database.h"
#include "core/store/Workspace.h"

#include <QDir>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>

#include <algorithm>
#include <optional>
#include <stdexcept>
#include <tuple>

namespace pw::demo {

namespace {

constexpr const char *kModelName = "fashion";
constexpr const char *kTrainTable = "fashion";

using ProgressFn = std::function<void(const DemoProgress &)>;

void report(const ProgressFn &progress, const std::string &step, std::int64_t done, std::int64_t total)
{
    if (progress)
        progress(DemoProgress{step, done, total});
}

void checkCancel(const std::atomic<bool> *cancel)
{
    if (cancel && cancel->load())
        throw std::runtime_error("cancelled; rerun the demo to finish it");
}

/** Writes `limit` images of a Fashion-MNIST split to `dir` and ingests them into `table`. */
ingest::IngestResult convertAndIngest(const store::Workspace &ws, const std::string &split, std::int64_t limit,
                                      const std::string &dir, const std::string &label, const std::string &table,
                                      ingest::LabelRule labels, const ProgressFn &progress,
                                      const std::atomic<bool> *cancel)
{
    const std::string convertStep = "fashion-mnist " + label;
    report(progress, convertStep, 0, 0);
    data::writeFashionMnist(dir, split, limit, data::kFashionMnistDir,
                            [&](std::int64_t done, std::int64_t total) { report(progress, convertStep, done, total); });
    checkCancel(cancel);
    ingest::IngestOptions o;
    o.source = dir;
    o.table = table;
    o.labels = labels;
    const std::string ingestStep = "ingest " + table;
    report(progress, ingestStep, 0, 0);
    const auto r = ingest::ingest(
        ws, o, [&](const ingest::IngestProgress &p) { report(progress, ingestStep, p.processed, p.discovered); },
        cancel);
    if (r.cancelled)
        throw std::runtime_error("cancelled; rerun the demo to finish it");
    return r;
}

QStringList writePipelines(const store::Workspace &ws, const DemoOptions &options)
{
    // The sample pipelines, pointed at the demo's data (a pipeline file the user has since edited is kept).
    QStringList written;
    const QString incoming = QString::fromStdString(ws.root() + "/data/incoming");
    QDir().mkpath(incoming);
    QDir().mkpath(QString::fromStdString(ws.pipelinesDir()));
    const std::map<QString, std::map<QString, QString>> params = {
        {"training",
         {{"image_path", QString::fromStdString(ws.root() + "/data/fashion-mnist/train")},
          {"table", kTrainTable},
          {"model_name", kModelName},
          {"epochs", "7"}}},
        {"scoring",
         {{"incoming_path", incoming},
          {"table", kTrainTable},
          {"model", "fashion@Production"},
          {"threshold", "0.95"},
          {"review_file", QString::fromStdString(ws.root() + "/review-tasks.json")}}}};
    for (const auto &[name, values] : params) {
        const QString target = QString::fromStdString(ws.pipelinesDir()) + "/" + name + ".json";
        written.append(target);
        if (QFile::exists(target))
            continue;
        QByteArray text;
        if (const auto it = options.samplePipelines.find(name); it != options.samplePipelines.end()) {
            text = it->second;
        } else {
            QFile sample(":/pipelines/" + name + ".json");
            if (!sample.open(QIODevice::ReadOnly))
                throw std::runtime_error("the sample pipeline " + name.toStdString() + " is missing from this build");
            text = sample.readAll();
        }
        QJsonParseError error;
        const QJsonDocument doc = QJsonDocument::fromJson(text, &error);
        if (!doc.isObject())
            throw std::runtime_error("the sample pipeline " + name.toStdString()
                                     + " is not a JSON object: " + error.errorString().toStdString());
        QJsonObject o = doc.object();
        QJsonObject p = o.value("parameters").toObject();
        for (const auto &[k, v] : values)
            p.insert(k, v);
        o.insert("parameters", p);
        if (name == "scoring")
            o.insert("trigger", QJsonObject{{"file_arrival",
                                             QJsonObject{{"path", incoming}, {"min_seconds_between_triggers", 60}}}});
        QFile out(target);
        if (!out.open(QIODevice::WriteOnly) || out.write(QJsonDocument(o).toJson()) < 0)
            throw std::runtime_error("cannot write '" + target.toStdString() + "'");
    }
    return written;
}

/** The model "fashion" in Production: the one already there, else a newly trained (or registered) one. */
QJsonObject ensureProductionModel(const store::Workspace &ws, const DemoOptions &options, const ProgressFn &progress,
                                  const std::atomic<bool> *cancel)
{
    auto db = ws.openCatalog();
    registry::Registry reg(ws, *db);
    if (const auto production = reg.inStage(kModelName, registry::Stage::Production))
        return QJsonObject{{"name", kModelName},
                           {"version", qint64(production->version)},
                           {"stage", "Production"},
                           {"run_id", QString::fromStdString(production->runId)},
                           {"trained", false}};

    // A version an interrupted demo registered but did not promote is promoted rather than trained again.
    std::optional<registry::ModelVersion> version;
    bool trained = false;
    const auto names = reg.models();
    if (std::find(names.begin(), names.end(), kModelName) != names.end()) {
        const auto versions = reg.versions(kModelName);
        if (!versions.empty())
            version = versions.back();
    }
    if (!version) {
        compute::TrainRequest request;
        request.table = kTrainTable;
        request.experiment = "demo";
        request.runName = "demo";
        request.model = "small-cnn";
        request.epochs = options.epochs;
        const std::string step = "train small-cnn";
        report(progress, step, 0, 0);
        const auto outcome = compute::runTraining(
            ws, request,
            [&](const QJsonObject &e) {
                const QString type = e.value("event").toString();
                if (type == "shards")
                    report(progress, "shards " + std::string(kTrainTable), e.value("done").toInteger(),
                           e.value("total").toInteger());
                else if (type == "progress")
                    report(progress, step,
                           (e.value("epoch").toInteger() - 1) * e.value("batches").toInteger()
                               + e.value("batch").toInteger(),
                           e.value("epochs").toInteger() * e.value("batches").toInteger());
            },
            cancel);
        checkCancel(cancel);
        if (outcome.status != "FINISHED")
            throw std::runtime_error("training the demo model ended " + outcome.status + ": " + outcome.message);
        version = reg.registerRun(outcome.runId, kModelName, "the demo's small-cnn on Fashion-MNIST");
        trained = true;
    }
    registry::TransitionRequest t;
    t.name = kModelName;
    t.version = version->version;
    t.to = registry::Stage::Production;
    t.comment = "demo workspace";
    reg.transition(t);
    return QJsonObject{{"name", kModelName},
                       {"version", qint64(version->version)},
                       {"stage", "Production"},
                       {"run_id", QString::fromStdString(version->runId)},
                       {"trained", trained}};
}

} // namespace

QJsonObject createDemo(const store::Workspace &ws, const DemoOptions &options, const ProgressFn &progress,
                       const std::atomic<bool> *cancel)
{
    QJsonObject tables;
    for (const auto &[split, table, limit] :
         {std::tuple{"train", "fashion", options.trainLimit}, std::tuple{"test", "fashion-test", options.testLimit}}) {
        const auto r = convertAndIngest(ws, split, limit, ws.root() + "/data/fashion-mnist/" + split, split, table,
                                        ingest::LabelRule::Caltech, progress, cancel);
        tables.insert(table, ingest::resultJson(r));
    }
    QJsonObject result{{"workspace", QString::fromStdString(ws.root())},
                       {"tables", tables},
                       {"pipelines", QJsonArray::fromStringList(writePipelines(ws, options))}};
    if (!options.withModel)
        return result;

    checkCancel(cancel);
    QJsonObject model = ensureProductionModel(ws, options, progress, cancel);
    checkCancel(cancel);
    // New, unlabeled images for the model to score: the unsure ones land in the review queue.
    const auto incoming = convertAndIngest(ws, "test", options.incoming, ws.root() + "/data/incoming-demo", "incoming",
                                           kTrainTable, ingest::LabelRule::None, progress, cancel);
    score::ScoreRequest request;
    request.model = std::string(kModelName) + "@Production";
    request.table = kTrainTable;
    report(progress, "score " + std::string(kTrainTable), 0, 0);
    const auto scored = score::score(
        ws, request,
        [&](const std::string &phase, std::int64_t done, std::int64_t total) {
            report(progress, "score " + std::string(kTrainTable) + " (" + phase + ")", done, total);
        },
        cancel);
    model.insert("incoming", qint64(incoming.discovered));
    model.insert("scored", qint64(scored.scored));
    model.insert("queued_for_review", qint64(scored.queuedForReview));
    result.insert("model", model);
    return result;
}

} // namespace pw::demo
