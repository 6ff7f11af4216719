// CLI commands of the registry, scoring and review loop: models, score, predictions, review.
#include "app/cli/Cli.h"
#include "app/cli/CliRequest.h"
#include "app/cli/CliSupport.h"

#include "core/registry/Gate.h"
#include "core/registry/ModelExport.h"
#include "core/registry/Registry.h"
#include "core/review/Review.h"
#include "core/score/Scoring.h"
#include "core/catalog/Catalog.h"
#include "core/store/Database.h"
#include "core/store/Settings.h"
#include "core/store/Workspace.h"

#include <QJsonArray>
#include <QJsonObject>

#include <iostream>

namespace pw::cli {

namespace {

QString qs(const std::string &s)
{
    return QString::fromStdString(s);
}

QJsonObject versionJson(const registry::ModelVersion &v)
{
    QJsonArray aliases;
    for (const auto &a : v.aliases)
        aliases.append(qs(a));
    QJsonArray classes;
    for (const auto &c : v.classes)
        classes.append(qs(c));
    return QJsonObject{{"name", qs(v.name)},
                       {"version", qint64(v.version)},
                       {"stage", registry::stageName(v.stage)},
                       {"run_id", qs(v.runId)},
                       {"aliases", aliases},
                       {"created", qs(v.created)},
                       {"updated", qs(v.updated)},
                       {"description", qs(v.description)},
                       {"data_table", qs(v.dataTable)},
                       {"data_version", qint64(v.dataVersion)},
                       {"image_size", v.imageSize},
                       {"channels", v.channels},
                       {"classes", classes},
                       {"artifact", qs(v.artifact)}};
}

QJsonObject transitionJson(const registry::Transition &t)
{
    QJsonObject o{
        {"name", qs(t.name)}, {"version", qint64(t.version)}, {"from", qs(t.from)}, {"to", qs(t.to)}, {"at", qs(t.at)},
        {"by", qs(t.by)},     {"comment", qs(t.comment)}};
    if (!t.gate.empty())
        o.insert("gate", qs(t.gate));
    return o;
}

QJsonObject reviewJson(const review::ReviewItem &r)
{
    QJsonArray top5;
    for (const auto &[label, p] : r.top5)
        top5.append(QJsonObject{{"label", qs(label)}, {"probability", p}});
    QJsonObject o{
        {"id", qint64(r.id)},         {"path", qs(r.path)},           {"table", qs(r.table)},
        {"confidence", r.confidence}, {"predicted", qs(r.predicted)}, {"top5", top5},
        {"state", qs(r.state)},       {"model", qs(r.model)},         {"model_version", qint64(r.modelVersion)},
        {"reason", qs(r.reason)},     {"queued_at", qs(r.queuedAt)}};
    o.insert("label", r.label.empty() ? QJsonValue() : QJsonValue(qs(r.label)));
    if (!r.labelSource.empty())
        o.insert("label_source", qs(r.labelSource));
    if (!r.labeledBy.empty()) {
        o.insert("by", qs(r.labeledBy));
        o.insert("at", qs(r.labeledAt));
    }
    if (r.mergedVersion)
        o.insert("merged_version", qint64(r.mergedVersion));
    o.insert("current_label", r.currentLabel.empty() ? QJsonValue() : QJsonValue(qs(r.currentLabel)));
    if (!r.currentLabelSource.empty())
        o.insert("current_label_source", qs(r.currentLabelSource));
    return o;
}

// The registry of the workspace, for the models subcommands.
struct OpenRegistry
{
    explicit OpenRegistry(const Context &c)
        : ws(store::Workspace::open(c.workspaceRoot()))
        , db(ws.openCatalog())
        , reg(ws, *db)
    {
    }
    store::Workspace ws;
    std::unique_ptr<store::Database> db;
    registry::Registry reg;
};

QJsonObject gateJson(const registry::GateResult &g)
{
    QJsonObject gate{
        {"table", qs(g.table)},
        {"data_version", qint64(g.dataVersion)},
        {"candidate", QJsonObject{{"version", qint64(g.candidateVersion)}, {"accuracy", g.candidateAccuracy}}},
        {"passed", g.passed}};
    if (g.productionVersion)
        gate.insert("production",
                    QJsonObject{{"version", qint64(g.productionVersion)}, {"accuracy", g.productionAccuracy}});
    return gate;
}

// The promotion with its gate (--gate-table, else the workspace's registry.gate_table; --no-gate skips it): a refusal
// prints both accuracies (as JSON first with --json) and throws.
registry::PromoteOutcome promoteGated(const Context &c, OpenRegistry &open, const registry::PromoteRequest &promote)
{
    const std::string table = registry::gateTableFor(*open.db, promote);
    if (!table.empty() && promote.gateTable.empty())
        std::cerr << "gate: the workspace's " << store::kGateTableSetting << " is " << table
                  << ": comparing with the Production version on it (--no-gate --reason TEXT skips it)\n";
    try {
        registry::PromoteOutcome done = registry::promote(open.ws, *open.db, promote, &g_cancel);
        if (done.gate)
            std::cerr << "gate: " << done.gate->summary() << "\n";
        return done;
    } catch (const registry::PromotionRefused &e) {
        std::cerr << "gate: " << e.gate.summary() << "\n";
        if (c.json())
            printJson(QJsonDocument(QJsonObject{{"promoted", false}, {"gate", gateJson(e.gate)}}));
        throw;
    }
}

} // namespace

int cmdModelsRegister(const Context &c)
{
    const registry::RegisterRequest request = parseOptions(registry::parseRegisterRequest, optionValues(c));
    OpenRegistry open(c);
    const auto v = open.reg.registerRun(request.run, request.name, request.description);
    if (c.json())
        printJson(QJsonDocument(versionJson(v)));
    else
        std::cout << "registered " << v.name << " version " << v.version << " (stage " << registry::stageName(v.stage)
                  << ") from run " << v.runId << "\n";
    return kSuccess;
}

int cmdModelsList(const Context &c)
{
    OpenRegistry open(c);
    const auto versions = open.reg.versions(c.positional().value(1).toStdString());
    QJsonArray arr;
    for (const auto &v : versions) {
        arr.append(versionJson(v));
        if (!c.json()) {
            std::string aliases;
            for (const auto &a : v.aliases)
                aliases += (aliases.empty() ? "  @" : ", @") + a;
            std::cout << v.name << ":" << v.version << "  " << registry::stageName(v.stage) << "  run " << v.runId
                      << "  " << v.created << aliases << "\n";
        }
    }
    if (c.json())
        printJson(QJsonDocument(arr));
    else if (versions.empty())
        std::cout << "no registered models\n";
    return kSuccess;
}

int cmdModelsTransition(const Context &c)
{
    requests::KeyValues values = optionValues(c);
    values.set("name", c.positional().at(1).toStdString());
    values.set("version", c.positional().at(2).toStdString());
    values.set("stage", c.positional().at(3).toStdString());
    const registry::PromoteRequest promote = parseOptions(
        registry::parsePromoteRequest, values, {{"name", "NAME"}, {"version", "VERSION"}, {"stage", "STAGE"}});
    const registry::TransitionRequest &r = promote.transition;
    OpenRegistry open(c);
    const registry::PromoteOutcome done = promoteGated(c, open, promote);
    if (c.json()) {
        QJsonArray arr;
        for (const auto &t : done.transitions)
            arr.append(transitionJson(t));
        QJsonObject o = versionJson(open.reg.version(r.name, r.version));
        o.insert("transitions", arr);
        if (done.gate)
            o.insert("gate", gateJson(*done.gate));
        printJson(QJsonDocument(o));
    } else {
        for (const auto &t : done.transitions)
            std::cout << t.name << " version " << t.version << ": " << t.from << " -> " << t.to
                      << (t.gate.empty() ? "" : "  (" + t.gate + ")") << "\n";
    }
    return kSuccess;
}

int cmdModelsHistory(const Context &c)
{
    OpenRegistry open(c);
    QJsonArray arr;
    for (const auto &t : open.reg.history(c.positional().at(1).toStdString())) {
        arr.append(transitionJson(t));
        if (!c.json())
            std::cout << t.at << "  version " << t.version << "  " << t.from << " -> " << t.to << "  by " << t.by
                      << (t.comment.empty() ? "" : "  (" + t.comment + ")")
                      << (t.gate.empty() ? "" : "  [" + t.gate + "]") << "\n";
    }
    if (c.json())
        printJson(QJsonDocument(arr));
    return kSuccess;
}

int cmdModelsAlias(const Context &c)
{
    const std::string name = c.positional().at(1).toStdString();
    const std::string alias = c.positional().at(2).toStdString();
    if (c.isSet("delete")) {
        c.expectPositional(3, 3, "NAME ALIAS (pipewright models alias NAME ALIAS --delete)");
        OpenRegistry(c).reg.deleteAlias(name, alias);
        if (c.json())
            printJson(QJsonDocument(QJsonObject{{"name", qs(name)}, {"alias", qs(alias)}, {"deleted", true}}));
        else
            std::cout << "removed alias " << name << "@" << alias << "\n";
        return kSuccess;
    }
    c.expectPositional(4, 4, "VERSION (pipewright models alias NAME ALIAS VERSION)");
    bool ok = false;
    const qint64 version = c.positional().at(3).toLongLong(&ok);
    if (!ok || version < 1)
        throw UsageError{"VERSION: '" + c.positional().at(3) + "' is not a version number"};
    OpenRegistry(c).reg.setAlias(name, alias, version);
    if (c.json())
        printJson(QJsonDocument(QJsonObject{{"name", qs(name)}, {"alias", qs(alias)}, {"version", version}}));
    else
        std::cout << name << "@" << alias << " -> version " << version << "\n";
    return kSuccess;
}

int cmdModelsExport(const Context &c)
{
    requests::KeyValues values = optionValues(c);
    values.set("model", c.positional().at(1).toStdString());
    const registry::ModelExportRequest request = parseOptions(registry::parseModelExportRequest, values,
                                                              {{"model", "MODEL"}});
    OpenRegistry open(c);
    const auto r = registry::exportModelVersion(open.ws, *open.db, request, &g_cancel);
    if (c.json()) {
        QJsonArray classes, mean, sd;
        for (const auto &name : r.model.classes)
            classes.append(qs(name));
        for (double m : r.model.mean)
            mean.append(m);
        for (double s : r.model.std)
            sd.append(s);
        printJson(QJsonDocument(QJsonObject{{"file", qs(r.file)},
                                            {"format", registry::kModelExportFormats.name(r.format)},
                                            {"card", qs(r.card)},
                                            {"bytes", qint64(r.bytes)},
                                            {"sha256", qs(r.sha256)},
                                            {"name", qs(r.version.name)},
                                            {"version", qint64(r.version.version)},
                                            {"run_id", qs(r.version.runId)},
                                            {"model", qs(r.model.arch)},
                                            {"classes", classes},
                                            {"preprocessing", QJsonObject{{"input_size", r.model.inputSize},
                                                                          {"channels", r.model.channels},
                                                                          {"mean", mean},
                                                                          {"std", sd},
                                                                          {"temperature", r.model.temperature},
                                                                          {"eval_resize", r.model.evalResize}}}}));
    } else {
        std::cout << "wrote " << r.version.name << ":" << r.version.version << " as "
                  << registry::kModelExportFormats.name(r.format) << " to " << r.file << " (" << r.bytes
                  << " bytes), model card " << r.card << "\n";
    }
    return kSuccess;
}

int cmdScore(const Context &c)
{
    const score::ScoreRequest r = parseOptions(score::parseScoreRequest, optionValues(c));
    const auto ws = store::Workspace::open(c.workspaceRoot());
    ProgressPrinter decodeProgress("decoding"), predictProgress("predicting");
    // A request that only the workspace shows to be wrong (--nodes with a target that is not a Slurm cluster) is a
    // usage error too: the same parser's rule for it names the option.
    const auto res = parseOptions(
        [&](const requests::KeyValues &) {
            return score::score(
                ws, r,
                [&](const std::string &phase, std::int64_t done, std::int64_t total) {
                    (phase == "decode" ? decodeProgress : predictProgress).update(done, total);
                },
                &g_cancel);
        },
        requests::KeyValues{});
    for (const auto &w : res.warnings)
        std::cerr << "warning: " << w << "\n";
    for (const auto &f : res.failures)
        std::cerr << "not scored: " << f.path << ": " << f.reason << "\n";
    if (c.json()) {
        QJsonArray failures;
        for (const auto &f : res.failures)
            failures.append(QJsonObject{{"path", qs(f.path)}, {"reason", qs(f.reason)}});
        printJson(QJsonDocument(QJsonObject{{"version", qint64(res.version)},
                                            {"wrote_version", res.wrote},
                                            {"model", qs(res.model)},
                                            {"model_version", qint64(res.modelVersion)},
                                            {"table", qs(r.table)},
                                            {"scored", qint64(res.scored)},
                                            {"inserted", qint64(res.inserted)},
                                            {"updated", qint64(res.updated)},
                                            {"skipped", qint64(res.skipped)},
                                            {"failed", qint64(res.failed)},
                                            {"failures", failures},
                                            {"queued_for_review", qint64(res.queuedForReview)},
                                            {"review", score::kReviewModes.name(r.review)},
                                            {"target", qs(r.target)},
                                            {"parts", r.nodes * r.processesPerNode},
                                            {"seconds", QJsonObject{{"select", res.selectSeconds},
                                                                    {"decode", res.decodeSeconds},
                                                                    {"predict", res.predictSeconds},
                                                                    {"merge", res.mergeSeconds},
                                                                    {"total", res.seconds}}}}));
    } else {
        std::cout << "scored " << res.scored << " images of " << r.table << " with " << res.model << ":"
                  << res.modelVersion << " (" << res.skipped << " already scored, " << res.failed << " unreadable); "
                  << res.queuedForReview << " queued for review (" << score::kReviewModes.name(r.review) << ")"
                  << (res.wrote ? "; catalog version " + std::to_string(res.version) : std::string("; nothing written"))
                  << "\n";
    }
    return kSuccess;
}

int cmdPredictionsExport(const Context &c)
{
    const auto ws = store::Workspace::open(c.workspaceRoot());
    auto db = ws.openCatalog();
    const std::string table = c.isSet("table") ? c.value("table").toStdString() : std::string("images");
    const std::string file = c.positional().at(1).toStdString();
    const auto rows = score::exportPredictionsCsv(*db, table, file);
    if (c.json())
        printJson(QJsonDocument(QJsonObject{{"file", qs(file)}, {"table", qs(table)}, {"rows", qint64(rows)}}));
    else
        std::cout << "wrote " << rows << " predictions of " << table << " to " << file << "\n";
    return kSuccess;
}

namespace {

// The review queue of the workspace, for the review subcommands.
struct OpenQueue
{
    explicit OpenQueue(const Context &c)
        : ws(store::Workspace::open(c.workspaceRoot()))
        , db(ws.openCatalog())
        , queue(ws, *db)
    {
    }
    store::Workspace ws;
    std::unique_ptr<store::Database> db;
    review::ReviewQueue queue;
};

// review label|accept|skip: the entry as it is now.
int printItem(const Context &c, const review::ReviewItem &r)
{
    if (c.json())
        printJson(QJsonDocument(reviewJson(r)));
    else
        std::cout << r.id << "  " << r.state << (r.label.empty() ? "" : " as " + r.label) << "  " << r.path << "\n";
    return kSuccess;
}

} // namespace

int cmdReviewList(const Context &c)
{
    review::ListOptions o;
    o.state = c.value("state").toStdString();
    o.table = c.value("table").toStdString();
    o.includeMerged = c.isSet("all");
    o.limit = c.intValue("limit", -1, 0);
    const auto items = OpenQueue(c).queue.list(o);
    if (c.json()) {
        QJsonArray arr;
        for (const auto &r : items)
            arr.append(reviewJson(r));
        printJson(QJsonDocument(arr));
    } else {
        for (const auto &r : items)
            std::cout << r.id << "  " << r.state << "  " << QString::number(r.confidence, 'f', 3).toStdString() << "  "
                      << r.predicted << (r.label.empty() ? "" : " -> " + r.label) << "  " << r.path << "\n";
        if (items.empty())
            std::cout << "the review queue is empty\n";
    }
    return kSuccess;
}

int cmdReviewLabel(const Context &c)
{
    return printItem(c,
                     OpenQueue(c).queue.label(c.positional().at(1).toStdString(), c.positional().at(2).toStdString()));
}

int cmdReviewAccept(const Context &c)
{
    return printItem(c, OpenQueue(c).queue.accept(c.positional().at(1).toStdString()));
}

int cmdReviewSkip(const Context &c)
{
    return printItem(c, OpenQueue(c).queue.skip(c.positional().at(1).toStdString()));
}

int cmdReviewCommit(const Context &c)
{
    const review::MergeRequest request = parseOptions(review::parseMergeRequest, optionValues(c));
    OpenQueue open(c);
    const auto res = open.queue.commit(request.table);
    for (const auto &w : res.warnings)
        std::cerr << "warning: " << w << "\n";
    for (const auto &[path, why] : res.notMerged)
        std::cerr << "not merged: " << path << ": " << why << "\n";
    if (c.json()) {
        QJsonArray notMerged;
        for (const auto &[path, why] : res.notMerged)
            notMerged.append(QJsonObject{{"path", qs(path)}, {"reason", qs(why)}});
        printJson(QJsonDocument(QJsonObject{
            {"version", qint64(res.version)}, {"labels_merged", qint64(res.labelsMerged)}, {"not_merged", notMerged}}));
    } else {
        std::cout << "merged " << res.labelsMerged << " labels"
                  << (res.labelsMerged ? " as catalog version " + std::to_string(res.version) : std::string()) << "\n";
    }
    return kSuccess;
}

int cmdReviewExport(const Context &c)
{
    requests::KeyValues values = optionValues(c);
    values.set("file", c.positional().at(1).toStdString());
    const review::ExportRequest request = parseOptions(review::parseExportRequest, values, {{"file", "FILE"}});
    OpenQueue open(c);
    const std::int64_t n = review::exportEntries(open.queue, request);
    if (c.json())
        printJson(QJsonDocument(QJsonObject{{"file", qs(request.file)},
                                            {"format", review::kExportFormats.name(request.format)},
                                            {"entries", qint64(n)}}));
    else
        std::cout << "wrote " << n << " " << review::kEntryStates.name(request.state) << " entries to " << request.file
                  << "\n";
    return kSuccess;
}

int cmdReviewImport(const Context &c)
{
    OpenQueue open(c);
    const auto res = open.queue.importFile(c.positional().at(1).toStdString());
    for (const auto &[where, why] : res.skipped)
        std::cerr << "skipped " << where << ": " << why << "\n";
    if (c.json()) {
        QJsonArray skipped;
        for (const auto &[where, why] : res.skipped)
            skipped.append(QJsonObject{{"where", qs(where)}, {"reason", qs(why)}});
        printJson(QJsonDocument(
            QJsonObject{{"format", qs(res.format)}, {"imported", qint64(res.imported)}, {"skipped", skipped}}));
    } else {
        std::cout << "imported " << res.imported << " labels (" << res.format << "), skipped " << res.skipped.size()
                  << "\n";
    }
    return kSuccess;
}

namespace {

// config set registry.gate_table T: T must be a table of the catalog, so that a typo does not block every promotion.
void checkSettingValue(store::Database &db, const std::string &key, const std::string &value)
{
    if (key != store::kGateTableSetting)
        return;
    const auto tables = catalog::Catalog(db).tables();
    if (std::find(tables.begin(), tables.end(), value) != tables.end())
        return;
    std::string names;
    for (const auto &t : tables)
        names += (names.empty() ? "" : ", ") + t;
    throw std::runtime_error(key + ": the catalog has no table '" + value
                             + "' (its tables: " + (names.empty() ? "none" : names) + ")");
}

} // namespace

int cmdConfig(const Context &c)
{
    const QString verb = c.positional().value(0);
    auto db = store::Workspace::open(c.workspaceRoot()).openCatalog();
    const std::string key = c.positional().value(1).toStdString();
    if (verb == QLatin1String("list")) {
        QJsonObject o;
        for (const auto &s : store::settings(*db)) {
            o.insert(qs(s.key), qs(s.value));
            if (!c.json())
                std::cout << s.key << " = " << s.value << "\n";
        }
        if (c.json())
            printJson(QJsonDocument(o));
        return kSuccess;
    }
    store::checkSettingKey(key);
    if (verb == QLatin1String("set")) {
        const std::string value = c.positional().at(2).toStdString();
        checkSettingValue(*db, key, value);
        store::setSetting(*db, key, value);
    } else if (verb == QLatin1String("unset")) {
        store::unsetSetting(*db, key);
    }
    const auto value = store::setting(*db, key);
    if (c.json())
        printJson(
            QJsonDocument(QJsonObject{{"key", qs(key)}, {"value", value ? QJsonValue(qs(*value)) : QJsonValue()}}));
    else if (verb == QLatin1String("get") && !value)
        std::cout << key << " is not set\n";
    else
        std::cout << key << (value ? " = " + *value : std::string(" unset")) << "\n";
    return kSuccess;
}

} // namespace pw::cli
