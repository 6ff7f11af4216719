// CLI commands of the catalog and training: ingest, catalog, demo-data, demo, train, runs, evaluate.
#include "app/cli/Cli.h"
#include "app/cli/CliRequest.h"
#include "app/cli/CliSupport.h"

#include "core/catalog/Catalog.h"
#include "core/compute/Training.h"
#include "core/track/Tracker.h"
#include "core/data/FashionMnist.h"
#include "core/demo/Demo.h"
#include "core/demo/DemoPhotos.h"
#include "core/ingest/Ingestor.h"
#include "core/store/Database.h"
#include "core/store/Workspace.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <functional>
#include <iostream>
#include <cstring>
#include <map>
#include <optional>
#include <set>

#include <unistd.h>

namespace pw::cli {

int cmdIngest(const Context &c)
{
    requests::KeyValues values = optionValues(c);
    values.set("source", c.positional().at(0).toStdString());
    const ingest::IngestOptions o = parseOptions(ingest::parseIngestOptions, values, {{"source", "SOURCE"}});

    const auto ws = store::Workspace::open(c.workspaceRoot());
    bool newTable = false;
    {
        auto db = ws.openCatalog();
        const auto known = catalog::Catalog(*db).tables();
        newTable = std::find(known.begin(), known.end(), o.table) == known.end();
    }
    if (newTable)
        std::cerr << "new table '" << o.table << "'\n";
    ProgressPrinter printer("ingest " + o.table);
    const auto start = std::chrono::steady_clock::now();
    const auto r = ingest::ingest(
        ws, o,
        [&](const ingest::IngestProgress &p) {
            const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
            char extra[64];
            std::snprintf(extra, sizeof extra, " files checked, %.0f files/s", s > 0 ? double(p.processed) / s : 0.0);
            printer.update(p.processed, p.discovered, extra);
        },
        &g_cancel);
    for (const auto &w : r.warnings)
        std::cerr << "warning: " << w << "\n";
    for (const auto &f : r.rejectedFiles)
        std::cerr << "rejected: " << f.path << ": " << f.reason << "\n";
    if (r.cancelled) {
        std::cerr << "pipewright ingest: cancelled; the batches already committed are kept (not yet visible); "
                     "rerun the same command to finish the version\n";
        return kFailure;
    }
    if (c.json()) {
        printJson(QJsonDocument(ingest::resultJson(r)));
    } else {
        std::cout << "version " << r.version << ": " << r.discovered << " discovered, " << r.added << " added, "
                  << r.updated << " updated, " << r.unchanged << " unchanged, " << r.rejected << " rejected"
                  << (r.resumed ? " (finished an interrupted ingest)" : "") << "\n";
    }
    return kSuccess;
}

namespace {

// The catalog of the workspace, for the catalog subcommands.
struct OpenCatalog
{
    explicit OpenCatalog(const Context &c)
        : ws(store::Workspace::open(c.workspaceRoot()))
        , db(ws.openCatalog())
        , catalog(*db)
    {
    }
    store::Workspace ws;
    std::unique_ptr<store::Database> db;
    catalog::Catalog catalog;
};

std::optional<std::int64_t> asOfVersion(const Context &c)
{
    if (!c.isSet("as-of-version"))
        return std::nullopt;
    return c.intValue("as-of-version", 0, 0);
}

} // namespace

int cmdCatalogHistory(const Context &c)
{
    const int limit = int(c.intValue("limit", -1, 1));
    OpenCatalog open(c);
    const auto history = open.catalog.history(limit);
    QJsonArray arr;
    for (const auto &v : history) {
        arr.append(
            QJsonObject{{"version", qint64(v.version)},
                        {"timestamp", QString::fromStdString(v.timestamp)},
                        {"operation", QString::fromStdString(v.operation)},
                        {"parameters", QJsonDocument::fromJson(QByteArray::fromStdString(v.parameters)).object()},
                        {"metrics", QJsonDocument::fromJson(QByteArray::fromStdString(v.metrics)).object()}});
    }
    if (c.json()) {
        printJson(QJsonDocument(arr));
    } else {
        for (const auto &v : history)
            std::cout << v.version << "  " << v.timestamp << "  " << v.operation << "  " << v.metrics << "\n";
        if (history.empty())
            std::cout << "the catalog has no versions yet\n";
    }
    return kSuccess;
}

int cmdCatalogStats(const Context &c)
{
    const std::string table = c.value("table").toStdString();
    const auto asOf = asOfVersion(c);
    OpenCatalog open(c);
    const auto s = open.catalog.stats(table, asOf);
    QJsonObject labels;
    for (const auto &[name, n] : s.labels)
        labels.insert(QString::fromStdString(name), qint64(n));
    if (c.json()) {
        printJson(QJsonDocument(QJsonObject{{"version", qint64(s.version)},
                                            {"images", qint64(s.images)},
                                            {"labeled", qint64(s.labeled)},
                                            {"unlabeled", qint64(s.unlabeled)},
                                            {"rejected", qint64(s.rejected)},
                                            {"labels", labels}}));
    } else {
        std::cout << (table.empty() ? std::string("all tables") : "table " + table) << " as of version " << s.version
                  << ": " << s.images << " images (" << s.labeled << " labeled, " << s.unlabeled << " unlabeled), "
                  << s.rejected << " rejected\n";
        for (const auto &[name, n] : s.labels)
            std::cout << "  " << name << ": " << n << "\n";
    }
    return kSuccess;
}

int cmdCatalogRejected(const Context &c)
{
    const std::string table = c.value("table").toStdString();
    const auto asOf = asOfVersion(c);
    OpenCatalog open(c);
    const auto files = open.catalog.rejected(table, asOf);
    if (c.json()) {
        QJsonArray arr;
        for (const auto &f : files)
            arr.append(QJsonObject{{"table", QString::fromStdString(f.table)},
                                   {"path", QString::fromStdString(f.path)},
                                   {"reason", QString::fromStdString(f.reason)}});
        printJson(QJsonDocument(arr));
    } else {
        for (const auto &f : files)
            std::cout << f.table << "  " << f.path << ": " << f.reason << "\n";
        if (files.empty())
            std::cout << "no rejected files\n";
    }
    return kSuccess;
}

int cmdDemoData(const Context &c)
{
    const QString dataset = c.positional().at(0);
    if (dataset != "fashion-mnist" && dataset != "photos")
        throw UsageError{"unknown data set '" + dataset + "' (available: fashion-mnist, photos)"};
    const QString split = c.isSet("split") ? c.value("split") : "train";
    if (split != "train" && split != "test")
        throw UsageError{"--split: '" + split + "' is not train or test"};
    const long long limit = c.intValue("limit", -1, 0);
    const std::string out = QDir(c.value("out")).absolutePath().toStdString();
    ProgressPrinter printer(dataset.toStdString() + " " + split.toStdString());
    const auto progress = [&](std::int64_t done, std::int64_t total) { printer.update(done, total); };
    std::int64_t n = 0;
    int classes = 0;
    if (dataset == "photos") {
        const auto set = demo::writePhotoSet(out, split.toStdString(), limit, demo::photoSources(), progress);
        n = set.images;
        classes = set.classes;
    } else {
        n = data::writeFashionMnist(out, split.toStdString(), limit, data::kFashionMnistDir, progress);
        classes = int(data::fashionMnistFolders().size());
    }
    if (c.json())
        printJson(QJsonDocument(QJsonObject{{"dataset", dataset},
                                            {"split", split},
                                            {"out", QString::fromStdString(out)},
                                            {"images", qint64(n)},
                                            {"classes", classes}}));
    else
        std::cout << "wrote " << n << " " << dataset.toStdString() << " " << split.toStdString() << " images ("
                  << classes << " classes) to " << out << "\n";
    return kSuccess;
}

int cmdDemo(const Context &c)
{
    if (c.positional().isEmpty() && !c.isSet("workspace"))
        throw UsageError{"missing the workspace folder DIR (pipewright demo DIR)"};
    const std::string root = c.positional().isEmpty() ? c.workspaceRoot() : c.positional().at(0).toStdString();
    demo::DemoOptions options;
    options.withModel = c.isSet("with-model");
    options.epochs = int(c.intValue("epochs", options.epochs, 1));
    if (c.isSet("limit")) {
        options.trainLimit = options.testLimit = c.intValue("limit", -1, 1);
        options.incoming = std::min(options.incoming, options.testLimit);
    }
    const auto ws = store::Workspace::open(root);
    std::unique_ptr<ProgressPrinter> printer;
    std::string step;
    const QJsonObject result = demo::createDemo(
        ws, options,
        [&](const demo::DemoProgress &p) {
            if (p.step != step) {
                printer.reset(); // ends the previous step's line first
                printer = std::make_unique<ProgressPrinter>(p.step);
                step = p.step;
            }
            if (p.total > 0)
                printer->update(p.done, p.total);
        },
        &g_cancel);
    printer.reset();
    if (c.json()) {
        printJson(QJsonDocument(result));
    } else {
        std::cout << "demo workspace ready: " << ws.root() << "\n";
        if (options.withModel) {
            const QJsonObject m = result.value("model").toObject();
            std::cout << "model fashion version " << m.value("version").toInteger() << " in Production; "
                      << m.value("queued_for_review").toInteger() << " images queued for review\n";
        }
        std::cout << "open it with: pipewright --workspace " << ws.root() << "\n";
    }
    return kSuccess;
}

namespace {

QJsonObject metricsJson(const std::map<std::string, double> &metrics)
{
    QJsonObject o;
    for (const auto &[key, value] : metrics)
        o.insert(QString::fromStdString(key), value);
    return o;
}

// Progress of a training run on stderr: shards, the copy to a remote target, epochs, validation accuracy.
class TrainProgress
{
public:
    explicit TrainProgress(const std::string &table)
        : shardPrinter("shards " + table)
        , uploadPrinter("copying the shard to the target")
    {
    }
    void operator()(const QJsonObject &e)
    {
        const QString type = e.value("event").toString();
        if (type == "shards") {
            shardPrinter.update(e.value("done").toInteger(), e.value("total").toInteger());
        } else if (type == "shards_ready") {
            std::cerr << "shards: " << e.value("train_images").toInteger() << " train, "
                      << e.value("val_images").toInteger() << " validation images"
                      << (e.value("reused").toBool() ? " (cached)" : "") << "\n";
        } else if (type == "remote_upload_progress") {
            uploadPrinter.update(e.value("done").toInteger() / 1000000, e.value("total").toInteger() / 1000000, " MB");
        } else if (type == "remote_upload") {
            std::cerr << (e.value("copied").toBool() ? "copied " : "already on the target: ")
                      << e.value("path").toString().toStdString() << " -> "
                      << e.value("remote").toString().toStdString()
                      << (e.value("copied").toBool()
                              ? " (" + std::to_string(e.value("bytes").toInteger() / 1000000) + " MB)"
                              : "")
                      << "\n";
        } else if (type == "remote_started") {
            std::cerr << "the worker runs on " << e.value("target").toString().toStdString() << " in "
                      << e.value("dir").toString().toStdString() << "\n";
        } else if (type == "slurm_submitted") {
            std::cerr << "submitted Slurm job " << e.value("job_id").toString().toStdString() << " to "
                      << e.value("target").toString().toStdString() << " (" << e.value("world_size").toInt()
                      << " ranks)\n";
        } else if (type == "slurm_state") {
            std::cerr << e.value("message").toString().toStdString() << "\n";
        } else if (type == "remote_reattached") {
            std::cerr << "reattached to the remote worker (connection " << e.value("attempt").toInt() << ")\n";
        } else if (type == "remote_fetched") {
            std::fprintf(stderr, "fetched the model and logs (%.1f MB) in %.2f s\n",
                         double(e.value("bytes").toInteger()) / 1e6, e.value("seconds").toDouble());
        } else if (type == "started") {
            std::cerr << "training " << e.value("model").toString().toStdString() << " on "
                      << e.value("device").toString().toStdString() << " (" << e.value("threads").toInt()
                      << " threads, " << e.value("precision").toString().toStdString() << "), "
                      << e.value("epochs").toInt() << " epochs of " << e.value("train_images").toInteger()
                      << " images\n";
        } else if (type == "progress") {
            const auto now = std::chrono::steady_clock::now();
            if (now - lastLine < std::chrono::seconds(isatty(STDERR_FILENO) ? 0 : 10))
                return;
            lastLine = now;
            std::fprintf(stderr, "%sepoch %d/%d  batch %d/%d  loss %.4f  %.0f images/s  ETA %.0f s%s",
                         isatty(STDERR_FILENO) ? "\r" : "", e.value("epoch").toInt(), e.value("epochs").toInt(),
                         e.value("batch").toInt(), e.value("batches").toInt(), e.value("loss").toDouble(),
                         e.value("images_per_second").toDouble(), e.value("eta_seconds").toDouble(),
                         isatty(STDERR_FILENO) ? "   " : "\n");
        } else if (type == "metric" && e.value("key").toString() == "val_accuracy") {
            std::fprintf(stderr, "%sepoch %lld: validation accuracy %.4f\n", isatty(STDERR_FILENO) ? "\n" : "",
                         static_cast<long long>(e.value("epoch").toInteger()), e.value("value").toDouble());
        }
    }

private:
    ProgressPrinter shardPrinter;
    ProgressPrinter uploadPrinter;
    std::chrono::steady_clock::time_point lastLine = std::chrono::steady_clock::now();
};

// The result of a training run as `train` and `runs attach` print it; exit 1 when it did not finish.
int reportTraining(const Context &c, const compute::TrainOutcome &outcome, const char *command)
{
    QJsonObject metrics;
    for (const char *key : {"val_accuracy", "val_loss", "train_loss"}) {
        const auto it = outcome.metrics.find(key);
        if (it != outcome.metrics.end())
            metrics.insert(key, it->second);
    }
    const QJsonObject out{{"run_id", QString::fromStdString(outcome.runId)},
                          {"status", QString::fromStdString(outcome.status)},
                          {"data_version", qint64(outcome.dataVersion)},
                          {"epochs", qint64(outcome.epochs)},
                          {"metrics", metrics},
                          {"images_per_second", outcome.imagesPerSecond},
                          {"message", QString::fromStdString(outcome.message)},
                          {"seconds", outcome.seconds}};
    if (c.json())
        printJson(QJsonDocument(out));
    else
        std::cout << "run " << outcome.runId << " " << outcome.status << " after " << outcome.epochs
                  << (outcome.epochs == 1 ? " epoch" : " epochs")
                  << (metrics.contains("val_accuracy")
                          ? ", validation accuracy "
                                + QString::number(metrics.value("val_accuracy").toDouble(), 'f', 4).toStdString()
                          : std::string())
                  << (outcome.message.empty() ? "" : " (" + outcome.message + ")") << "\n";
    if (outcome.status != "FINISHED")
        std::cerr << "pipewright " << command << ": run " << outcome.runId << " " << outcome.status << ": "
                  << outcome.message << "\n";
    return outcome.status == "FINISHED" ? kSuccess : kFailure;
}

} // namespace

int cmdTrain(const Context &c)
{
    if (c.isSet("resume")) { // the run goes on as it was: its own settings, nothing else
        QStringList others = c.optionNames();
        others.removeAll("resume");
        others.removeAll("workspace");
        others.removeAll("json");
        if (!others.isEmpty())
            throw UsageError{"--resume continues the run with the settings it had: --" + others.join(", --")
                             + " cannot be given with it"};
        const auto ws = store::Workspace::open(c.workspaceRoot());
        TrainProgress progress(std::string("run ") + c.value("resume").toStdString());
        const auto outcome = compute::resumeTraining(ws, c.value("resume").toStdString(), std::ref(progress),
                                                     &g_cancel);
        return reportTraining(c, outcome, "train --resume");
    }
    const compute::TrainRequest r = parseOptions(compute::parseTrainRequest, optionValues(c));
    const auto ws = store::Workspace::open(c.workspaceRoot());
    TrainProgress progress(r.table);
    const auto outcome = compute::runTraining(ws, r, std::ref(progress), &g_cancel);
    return reportTraining(c, outcome, "train");
}

namespace {

QJsonObject runJson(const track::RunInfo &run, const std::map<std::string, double> &metrics)
{
    return QJsonObject{{"run_id", QString::fromStdString(run.runId)},
                       {"experiment", QString::fromStdString(run.experiment)},
                       {"name", QString::fromStdString(run.name)},
                       {"status", QString::fromStdString(run.status)},
                       {"start", QString::fromStdString(run.startTime)},
                       {"end", run.endTime.empty() ? QJsonValue() : QJsonValue(QString::fromStdString(run.endTime))},
                       {"table", QString::fromStdString(run.table)},
                       {"data_version", qint64(run.dataVersion)},
                       {"device", QString::fromStdString(run.device)},
                       {"images_per_second", run.imagesPerSecond},
                       {"failure_reason", QString::fromStdString(run.failureReason)},
                       {"metrics", metricsJson(metrics)}};
}

// The tracker of the workspace, for the runs subcommands; runs whose process died are failed first.
struct OpenTracker
{
    explicit OpenTracker(const Context &c)
        : ws(store::Workspace::open(c.workspaceRoot()))
        , db(ws.openCatalog())
        , tracker(*db)
    {
        tracker.failOrphanedRuns();
    }
    store::Workspace ws;
    std::unique_ptr<store::Database> db;
    track::Tracker tracker;
};

// runs show: the run with its params, tags, metric history and artifacts.
QJsonObject runDetailJson(const store::Workspace &ws, const track::Tracker &tracker, const track::RunInfo &run)
{
    QJsonObject o = runJson(run, tracker.latestMetrics(run.runId));
    QJsonObject params;
    for (const auto &[k, v] : tracker.params(run.runId))
        params.insert(QString::fromStdString(k), QString::fromStdString(v));
    QJsonObject tags;
    for (const auto &[k, v] : tracker.tags(run.runId))
        tags.insert(QString::fromStdString(k), QString::fromStdString(v));
    QJsonObject history;
    for (const auto &m : tracker.metricHistory(run.runId)) {
        QJsonArray list = history.value(QString::fromStdString(m.key)).toArray();
        list.append(QJsonObject{{"step", qint64(m.step)},
                                {"epoch", qint64(m.epoch)},
                                {"value", m.value},
                                {"timestamp", qint64(m.timestampMs)}});
        history.insert(QString::fromStdString(m.key), list);
    }
    QJsonArray artifacts;
    for (const auto &a : tracker.artifacts(run.runId))
        artifacts.append(
            QJsonObject{{"path", QString::fromStdString(a.path)},
                        {"kind", QString::fromStdString(a.kind)},
                        {"size", qint64(a.size)},
                        {"location", QString::fromStdString(ws.artifactsDir() + "/" + run.runId + "/" + a.path)}});
    o.insert("params", params);
    o.insert("tags", tags);
    o.insert("history", history);
    o.insert("artifacts", artifacts);
    return o;
}

// runs compare: the params that differ between the runs and every metric's last value, one per run.
QJsonObject comparisonJson(const track::Tracker &tracker, const std::vector<track::RunInfo> &runs)
{
    std::vector<std::map<std::string, std::string>> params;
    std::vector<std::map<std::string, double>> metrics;
    std::set<std::string> paramKeys, metricKeys;
    QJsonArray ids;
    for (const auto &run : runs) {
        ids.append(QString::fromStdString(run.runId));
        params.push_back(tracker.params(run.runId));
        metrics.push_back(tracker.latestMetrics(run.runId));
        for (const auto &[k, v] : params.back())
            paramKeys.insert(k);
        for (const auto &[k, v] : metrics.back())
            metricKeys.insert(k);
    }
    QJsonObject differing, finalMetrics;
    for (const auto &key : paramKeys) {
        QJsonArray values;
        std::set<std::string> distinct;
        for (const auto &p : params) {
            const auto it = p.find(key);
            values.append(it == p.end() ? QJsonValue() : QJsonValue(QString::fromStdString(it->second)));
            distinct.insert(it == p.end() ? std::string("\x01missing") : it->second);
        }
        if (distinct.size() > 1)
            differing.insert(QString::fromStdString(key), values);
    }
    for (const auto &key : metricKeys) {
        QJsonArray values;
        for (const auto &m : metrics) {
            const auto it = m.find(key);
            values.append(it == m.end() ? QJsonValue() : QJsonValue(it->second));
        }
        finalMetrics.insert(QString::fromStdString(key), values);
    }
    return QJsonObject{{"runs", ids}, {"params", differing}, {"metrics", finalMetrics}};
}

// One comparison section as a table: a row per key, a column per run headed by the run's id (its first 8
// characters, as `runs list` shows them), "-" where a run has no value.
void printComparison(const char *title, const QJsonObject &o, const QJsonArray &runIds)
{
    std::vector<std::vector<std::string>> rows{{"key"}};
    for (const QJsonValue &id : runIds)
        rows.front().push_back(id.toString().left(8).toStdString());
    for (auto it = o.begin(); it != o.end(); ++it) {
        std::vector<std::string> row{it.key().toStdString()};
        for (const QJsonValue &v : it.value().toArray())
            row.push_back(v.isNull() || v.isUndefined() ? "-"
                          : v.isDouble()                ? QString::number(v.toDouble(), 'g', 6).toStdString()
                                                        : v.toString().toStdString());
        rows.push_back(std::move(row));
    }
    std::vector<std::size_t> widths(rows.front().size(), 0);
    for (const auto &row : rows)
        for (std::size_t i = 0; i < row.size() && i < widths.size(); ++i)
            widths[i] = std::max(widths[i], row[i].size());
    std::cout << title << ":\n";
    if (rows.size() == 1) {
        std::cout << "  (none)\n";
        return;
    }
    for (const auto &row : rows) {
        std::cout << " ";
        for (std::size_t i = 0; i < row.size() && i < widths.size(); ++i)
            std::cout << " " << row[i] << std::string(i + 1 < row.size() ? widths[i] - row[i].size() + 1 : 0, ' ');
        std::cout << "\n";
    }
}

// runs tag RUN KEY VALUE and runs note RUN TEXT: MLflow's set_tag; the note is the tag mlflow.note.content.
int setRunTag(const Context &c, bool note)
{
    const QString key = note ? QStringLiteral("mlflow.note.content") : c.positional().at(2);
    const QString value = c.positional().at(note ? 2 : 3);
    if (!note && (key.startsWith("pipewright.") || key.startsWith("mlflow.")))
        throw UsageError{"tag key '" + key
                         + "': the 'pipewright.' and 'mlflow.' prefixes are reserved for Pipewright's own tags"};
    OpenTracker open(c);
    const auto run = open.tracker.run(c.positional().at(1).toStdString());
    open.tracker.setTag(run.runId, key.toStdString(), value.toStdString());
    if (c.json())
        printJson(
            QJsonDocument(QJsonObject{{"run_id", QString::fromStdString(run.runId)}, {"key", key}, {"value", value}}));
    else
        std::cout << "run " << run.runId << ": "
                  << (note ? std::string("note set") : key.toStdString() + " = " + value.toStdString()) << "\n";
    return kSuccess;
}

} // namespace

int cmdRunsAttach(const Context &c)
{
    const auto ws = store::Workspace::open(c.workspaceRoot());
    track::Tracker(*ws.openCatalog()).failOrphanedRuns();
    TrainProgress progress({});
    const auto outcome = compute::attachTraining(ws, c.positional().at(1).toStdString(), std::ref(progress), &g_cancel);
    return reportTraining(c, outcome, "runs attach");
}

int cmdRunsList(const Context &c)
{
    OpenTracker open(c);
    QJsonArray arr;
    for (const auto &run : open.tracker.runs(c.value("experiment").toStdString())) {
        const auto metrics = open.tracker.latestMetrics(run.runId);
        arr.append(runJson(run, metrics));
        if (!c.json()) {
            const auto acc = metrics.find("val_accuracy");
            std::cout << run.runId << "  " << run.status << "  " << run.experiment << "  " << run.startTime << "  "
                      << run.table << "@v" << run.dataVersion
                      << (acc != metrics.end() ? "  val_accuracy " + QString::number(acc->second, 'f', 4).toStdString()
                                               : "")
                      << "\n";
        }
    }
    if (c.json())
        printJson(QJsonDocument(arr));
    else if (arr.isEmpty())
        std::cout << "no runs\n";
    return kSuccess;
}

int cmdRunsShow(const Context &c)
{
    OpenTracker open(c);
    const auto &tracker = open.tracker;
    const auto run = tracker.run(c.positional().at(1).toStdString());
    if (c.json()) {
        printJson(QJsonDocument(runDetailJson(open.ws, tracker, run)));
        return kSuccess;
    }
    std::cout << "run " << run.runId << " (" << run.status << "), experiment " << run.experiment << ", " << run.table
              << " at version " << run.dataVersion << "\nparams:\n";
    for (const auto &[k, v] : tracker.params(run.runId))
        std::cout << "  " << k << " = " << v << "\n";
    std::cout << "metrics (last value):\n";
    for (const auto &[k, v] : tracker.latestMetrics(run.runId))
        std::cout << "  " << k << " = " << v << "\n";
    std::cout << "artifacts:\n";
    for (const auto &a : tracker.artifacts(run.runId))
        std::cout << "  " << a.path << " (" << a.kind << ", " << a.size << " bytes)\n";
    return kSuccess;
}

int cmdRunsCompare(const Context &c)
{
    OpenTracker open(c);
    std::vector<track::RunInfo> runs;
    for (int i = 1; i < c.positional().size(); ++i)
        runs.push_back(open.tracker.run(c.positional().at(i).toStdString()));
    const QJsonObject o = comparisonJson(open.tracker, runs);
    if (c.json()) {
        printJson(QJsonDocument(o));
    } else {
        printComparison("params that differ", o.value("params").toObject(), o.value("runs").toArray());
        printComparison("final metrics", o.value("metrics").toObject(), o.value("runs").toArray());
    }
    return kSuccess;
}

int cmdRunsTag(const Context &c)
{
    return setRunTag(c, false);
}

int cmdRunsNote(const Context &c)
{
    return setRunTag(c, true);
}

int cmdEvaluate(const Context &c)
{
    const compute::EvaluateRequest request = parseOptions(compute::parseEvaluateRequest, optionValues(c));
    const auto ws = store::Workspace::open(c.workspaceRoot());
    const auto r = compute::evaluateRun(ws, request.run, request.table, request.asOfVersion, &g_cancel);
    if (c.json()) {
        printJson(QJsonDocument(compute::evaluationJson(r)));
    } else {
        std::cout << "run " << r.runId << " on " << r.table << " (version " << r.dataVersion << ", " << r.images
                  << " images): accuracy " << QString::number(r.accuracy, 'f', 4).toStdString() << "\n";
        for (const auto &[name, acc] : r.perClass)
            std::cout << "  " << name << ": " << QString::number(acc, 'f', 4).toStdString() << "\n";
    }
    return kSuccess;
}

} // namespace pw::cli
