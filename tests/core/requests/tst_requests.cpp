// The one parser of each request (ingest, train, evaluate, register, promote, score, review export, labels
// merge): good values and what they become, bad values and the exact problem each is refused with, and the
// shared pieces (choice lists, key/value input from JSON).
#include "core/compute/Training.h"
#include "core/ingest/Ingestor.h"
#include "core/registry/Registry.h"
#include "core/requests/KeyValues.h"
#include "core/review/Review.h"
#include "core/score/Scoring.h"

#include <QJsonArray>
#include <QJsonObject>
#include <QLocale>
#include <QTest>

#include <functional>
#include <map>

using namespace pw;
using Fields = std::map<std::string, std::string>;

namespace {

std::string num(double v)
{
    return QString::number(v, 'g', QLocale::FloatingPointShortest).toStdString();
}

std::string opt(const std::optional<std::int64_t> &v)
{
    return v ? std::to_string(*v) : std::string("none");
}

// Each request's parser, and what it made as text by the request's keys: a good row compares some of them.
const std::map<QString, std::function<Fields(const requests::KeyValues &)>> &parsers()
{
    static const std::map<QString, std::function<Fields(const requests::KeyValues &)>> all = {
        {"ingest",
         [](const requests::KeyValues &v) {
             const auto o = ingest::parseIngestOptions(v);
             return Fields{{"source", o.source},
                           {"table", o.table},
                           {"glob", o.glob.value_or("none")},
                           {"labels", ingest::labelRuleName(o.labels)},
                           {"max_megapixels", num(o.maxMegapixels)},
                           {"commit_every", std::to_string(o.commitEvery)},
                           {"threads", std::to_string(o.threads)}};
         }},
        {"train",
         [](const requests::KeyValues &v) {
             const auto r = compute::parseTrainRequest(v);
             return Fields{{"table", r.table},
                           {"experiment", r.experiment},
                           {"name", r.runName},
                           {"model", r.model},
                           {"epochs", std::to_string(r.epochs)},
                           {"batch_size", std::to_string(r.batchSize)},
                           {"lr", num(r.lr)},
                           {"optimizer", compute::kOptimizers.name(r.optimizer)},
                           {"image_size", std::to_string(r.imageSize)},
                           {"val_fraction", num(r.valFraction)},
                           {"seed", std::to_string(r.seed)},
                           {"device", compute::kDevices.name(r.device)},
                           {"precision", compute::kPrecisions.name(r.precision)},
                           {"as_of_version", opt(r.asOfVersion)},
                           {"target", r.target},
                           {"processes", std::to_string(r.processes)}};
         }},
        {"evaluate",
         [](const requests::KeyValues &v) {
             const auto r = compute::parseEvaluateRequest(v);
             return Fields{{"run", r.run}, {"table", r.table}, {"as_of_version", opt(r.asOfVersion)}};
         }},
        {"register",
         [](const requests::KeyValues &v) {
             const auto r = registry::parseRegisterRequest(v);
             return Fields{{"run", r.run}, {"name", r.name}, {"description", r.description}};
         }},
        {"promote",
         [](const requests::KeyValues &v) {
             const auto p = registry::parsePromoteRequest(v);
             const auto &t = p.transition;
             const char *existing = t.existing == registry::Existing::Archive ? "archive"
                                    : t.existing == registry::Existing::Keep  ? "keep"
                                                                              : "default";
             return Fields{{"name", t.name},
                           {"version", std::to_string(t.version)},
                           {"stage", registry::stageName(t.to)},
                           {"existing", existing},
                           {"comment", t.comment},
                           {"gate_table", p.gateTable},
                           {"no_gate", p.noGate ? "true" : "false"},
                           {"reason", p.reason}};
         }},
        {"score",
         [](const requests::KeyValues &v) {
             const auto r = score::parseScoreRequest(v);
             return Fields{{"model", r.model},
                           {"table", r.table},
                           {"threshold", num(r.threshold)},
                           {"review_fraction", num(r.reviewFraction)},
                           {"review", score::kReviewModes.name(r.review)},
                           {"seed", std::to_string(r.seed)},
                           {"rescore", r.rescore ? "true" : "false"},
                           {"target", r.target}};
         }},
        {"review-export",
         [](const requests::KeyValues &v) {
             const auto r = review::parseExportRequest(v);
             return Fields{{"file", r.file},
                           {"format", review::kExportFormats.name(r.format)},
                           {"state", review::kEntryStates.name(r.state)}};
         }},
        {"labels-merge",
         [](const requests::KeyValues &v) {
             return Fields{{"table", review::parseMergeRequest(v).table}};
         }},
    };
    return all;
}

// "key=value" pairs (a value may hold '=').
requests::KeyValues keyValues(const QStringList &pairs)
{
    requests::KeyValues out;
    for (const QString &p : pairs) {
        const qsizetype eq = p.indexOf('=');
        out.set(p.left(eq).toStdString(), p.mid(eq + 1).toStdString());
    }
    return out;
}

} // namespace

class tst_Requests : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void accepted_data();
    void accepted();
    void refused_data();
    void refused();
    void choiceLists();
    void fromJson();
    void fromJsonRefusesLists();
};

void tst_Requests::accepted_data()
{
    QTest::addColumn<QString>("request");
    QTest::addColumn<QStringList>("values");
    QTest::addColumn<QStringList>("expected"); // key=value of what the parser made

    QTest::newRow("ingest defaults") << "ingest" << QStringList{"source=/data"}
                                     << QStringList{"source=/data",   "table=images",       "glob=none",
                                                    "labels=caltech", "max_megapixels=100", "commit_every=2000",
                                                    "threads=0"};
    QTest::newRow("ingest all") << "ingest"
                                << QStringList{"source=s",           "table=t",         "glob=*.png", "labels=folder",
                                               "max_megapixels=2.5", "commit_every=10", "threads=3"}
                                << QStringList{"table=t",         "glob=*.png", "labels=folder", "max_megapixels=2.5",
                                               "commit_every=10", "threads=3"};
    QTest::newRow("ingest labels none") << "ingest" << QStringList{"source=s", "labels=none"}
                                        << QStringList{"labels=none"};
    QTest::newRow("train defaults")
        << "train" << QStringList{}
        << QStringList{"table=images", "experiment=Default", "model=small-cnn",    "epochs=0",         "batch_size=0",
                       "lr=0",         "optimizer=adam",     "image_size=0",       "val_fraction=0.1", "seed=42",
                       "device=auto",  "precision=auto",     "as_of_version=none", "target=local",     "name="};
    QTest::newRow("train all") << "train"
                               << QStringList{"table=t",        "experiment=e",     "name=n",        "model=resnet18",
                                              "epochs=3",       "batch_size=64",    "lr=0.01",       "optimizer=sgd",
                                              "image_size=32",  "val_fraction=0.2", "seed=7",        "device=cpu",
                                              "precision=bf16", "as_of_version=4",  "target=gpu-box"}
                               << QStringList{"table=t",        "experiment=e",     "name=n",        "model=resnet18",
                                              "epochs=3",       "batch_size=64",    "lr=0.01",       "optimizer=sgd",
                                              "image_size=32",  "val_fraction=0.2", "seed=7",        "device=cpu",
                                              "precision=bf16", "as_of_version=4",  "target=gpu-box"};
    QTest::newRow("train zero batch is the default")
        << "train" << QStringList{"batch_size=0"} << QStringList{"batch_size=0"};
    QTest::newRow("train smallest batch") << "train" << QStringList{"batch_size=2"} << QStringList{"batch_size=2"};
    QTest::newRow("train whole number as JSON gives it")
        << "train" << QStringList{"epochs=5.0"} << QStringList{"epochs=5"};
    QTest::newRow("train no validation") << "train" << QStringList{"val_fraction=0"} << QStringList{"val_fraction=0"};
    QTest::newRow("train most validation")
        << "train" << QStringList{"val_fraction=0.9"} << QStringList{"val_fraction=0.9"};
    QTest::newRow("train cuda fp32") << "train" << QStringList{"device=cuda", "precision=fp32"}
                                     << QStringList{"device=cuda", "precision=fp32"};
    QTest::newRow("train one process") << "train" << QStringList{} << QStringList{"processes=1"};
    QTest::newRow("train 4 processes") << "train" << QStringList{"processes=4"} << QStringList{"processes=4"};
    QTest::newRow("evaluate") << "evaluate" << QStringList{"run=abc", "table=t"}
                              << QStringList{"run=abc", "table=t", "as_of_version=none"};
    QTest::newRow("evaluate as of") << "evaluate" << QStringList{"run=abc", "table=t", "as_of_version=0"}
                                    << QStringList{"as_of_version=0"};
    QTest::newRow("register") << "register" << QStringList{"run=abc", "name=m"}
                              << QStringList{"run=abc", "name=m", "description="};
    QTest::newRow("register described") << "register" << QStringList{"run=abc", "name=m", "description=first"}
                                        << QStringList{"description=first"};
    QTest::newRow("promote") << "promote" << QStringList{"name=m", "version=3", "stage=Staging"}
                             << QStringList{"name=m",           "version=3", "stage=Staging",
                                            "existing=default", "comment=",  "gate_table="};
    QTest::newRow("promote stage in any case")
        << "promote" << QStringList{"name=m", "version=1", "stage=production"} << QStringList{"stage=Production"};
    QTest::newRow("promote archive")
        << "promote"
        << QStringList{"name=m",     "version=1", "stage=Staging", "archive_existing=true", "keep_existing=false",
                       "comment=why"}
        << QStringList{"existing=archive", "comment=why"};
    QTest::newRow("promote keep") << "promote" << QStringList{"name=m", "version=1", "stage=Staging", "keep_existing=1"}
                                  << QStringList{"existing=keep"};
    QTest::newRow("promote gated") << "promote"
                                   << QStringList{"name=m", "version=2", "stage=Production", "gate_table=test"}
                                   << QStringList{"gate_table=test", "existing=default"};
    QTest::newRow("promote without gate")
        << "promote" << QStringList{"name=m", "version=2", "stage=Production", "no_gate=true", "reason=hotfix"}
        << QStringList{"gate_table=", "no_gate=true", "reason=hotfix"};
    QTest::newRow("score defaults") << "score" << QStringList{"model=m@Production"}
                                    << QStringList{"model=m@Production", "table=images",    "threshold=0.95",
                                                   "review_fraction=1",  "seed=42",         "rescore=false",
                                                   "target=local",       "review=unlabeled"};
    QTest::newRow("score labeled") << "score" << QStringList{"model=m:2", "review=labeled"}
                                   << QStringList{"review=labeled"};
    QTest::newRow("score all") << "score"
                               << QStringList{"model=m:2", "table=t",      "threshold=1", "review_fraction=0.25",
                                              "seed=0",    "rescore=true", "target=box"}
                               << QStringList{"threshold=1", "review_fraction=0.25", "seed=0", "rescore=true",
                                              "target=box"};
    QTest::newRow("review export defaults")
        << "review-export" << QStringList{"file=q.csv"} << QStringList{"file=q.csv", "format=csv", "state=pending"};
    QTest::newRow("review export labelstudio")
        << "review-export" << QStringList{"file=q.json", "format=labelstudio", "state=skipped"}
        << QStringList{"format=labelstudio", "state=skipped"};
    QTest::newRow("labels merge every table") << "labels-merge" << QStringList{} << QStringList{"table="};
    QTest::newRow("labels merge one table") << "labels-merge" << QStringList{"table=t"} << QStringList{"table=t"};
}

void tst_Requests::accepted()
{
    QFETCH(QString, request);
    QFETCH(QStringList, values);
    QFETCH(QStringList, expected);
    Fields got;
    try {
        got = parsers().at(request)(keyValues(values));
    } catch (const std::exception &e) {
        QFAIL(e.what());
    }
    for (const QString &e : expected) {
        const std::string key = e.section('=', 0, 0).toStdString();
        QVERIFY2(got.count(key), key.c_str());
        QCOMPARE(QString::fromStdString(got.at(key)), e.section('=', 1));
    }
}

void tst_Requests::refused_data()
{
    QTest::addColumn<QString>("request");
    QTest::addColumn<QStringList>("values");
    QTest::addColumn<QString>("key");
    QTest::addColumn<QString>("problem");

    // ingest
    QTest::newRow("ingest without source") << "ingest" << QStringList{"labels=none"} << "source"
                                           << "missing";
    QTest::newRow("ingest label typo") << "ingest" << QStringList{"source=s", "labels=caltch"} << "labels"
                                       << "'caltch' is not one of caltech, folder, none";
    QTest::newRow("ingest label in capitals") << "ingest" << QStringList{"source=s", "labels=Folder"} << "labels"
                                              << "'Folder' is not one of caltech, folder, none";
    QTest::newRow("ingest empty label rule") << "ingest" << QStringList{"source=s", "labels="} << "labels"
                                             << "'' is not one of caltech, folder, none";
    QTest::newRow("ingest megapixels negative")
        << "ingest" << QStringList{"source=s", "max_megapixels=-3"} << "max_megapixels"
        << "'-3' is not a number above 0";
    QTest::newRow("ingest megapixels zero")
        << "ingest" << QStringList{"source=s", "max_megapixels=0"} << "max_megapixels"
        << "'0' is not a number above 0";
    QTest::newRow("ingest megapixels text")
        << "ingest" << QStringList{"source=s", "max_megapixels=lots"} << "max_megapixels"
        << "'lots' is not a number above 0";
    QTest::newRow("ingest megapixels nan")
        << "ingest" << QStringList{"source=s", "max_megapixels=nan"} << "max_megapixels"
        << "'nan' is not a number above 0";
    QTest::newRow("ingest commit every zero") << "ingest" << QStringList{"source=s", "commit_every=0"} << "commit_every"
                                              << "'0' is not a whole number >= 1";
    QTest::newRow("ingest commit every fraction")
        << "ingest" << QStringList{"source=s", "commit_every=2.5"} << "commit_every"
        << "'2.5' is not a whole number >= 1";
    QTest::newRow("ingest commit every too large")
        << "ingest" << QStringList{"source=s", "commit_every=3000000000"} << "commit_every"
        << "'3000000000' is too large (at most 2147483647)";
    QTest::newRow("ingest threads negative") << "ingest" << QStringList{"source=s", "threads=-1"} << "threads"
                                             << "'-1' is not a whole number >= 0";
    QTest::newRow("ingest unknown key") << "ingest" << QStringList{"source=s", "label=folder"} << "label"
                                        << "unknown (the known keys: source, table, glob, labels, max_megapixels, "
                                           "commit_every, threads)";
    // train
    QTest::newRow("train device typo") << "train" << QStringList{"device=cdua"} << "device"
                                       << "'cdua' is not one of auto, cpu, cuda";
    QTest::newRow("train device in capitals") << "train" << QStringList{"device=CPU"} << "device"
                                              << "'CPU' is not one of auto, cpu, cuda";
    QTest::newRow("train precision") << "train" << QStringList{"precision=fp16"} << "precision"
                                     << "'fp16' is not one of auto, fp32, bf16";
    QTest::newRow("train optimizer") << "train" << QStringList{"optimizer=adamw"} << "optimizer"
                                     << "'adamw' is not one of adam, sgd";
    QTest::newRow("train batch of one") << "train" << QStringList{"batch_size=1"} << "batch_size"
                                        << "'1' is not 0 (the default) or a whole number >= 2";
    QTest::newRow("train batch fraction") << "train" << QStringList{"batch_size=1.5"} << "batch_size"
                                          << "'1.5' is not 0 (the default) or a whole number >= 2";
    QTest::newRow("train epochs negative") << "train" << QStringList{"epochs=-2"} << "epochs"
                                           << "'-2' is not a whole number >= 0";
    QTest::newRow("train epochs text") << "train" << QStringList{"epochs=three"} << "epochs"
                                       << "'three' is not a whole number >= 0";
    QTest::newRow("train image size") << "train" << QStringList{"image_size=-28"} << "image_size"
                                      << "'-28' is not a whole number >= 0";
    QTest::newRow("train lr negative") << "train" << QStringList{"lr=-0.1"} << "lr"
                                       << "'-0.1' is not a number >= 0";
    QTest::newRow("train val fraction over") << "train" << QStringList{"val_fraction=0.95"} << "val_fraction"
                                             << "'0.95' is not a number from 0 to 0.9";
    QTest::newRow("train val fraction negative") << "train" << QStringList{"val_fraction=-0.1"} << "val_fraction"
                                                 << "'-0.1' is not a number from 0 to 0.9";
    QTest::newRow("train seed negative") << "train" << QStringList{"seed=-1"} << "seed"
                                         << "'-1' is not a whole number >= 0";
    QTest::newRow("train freeze without init") << "train" << QStringList{"freeze=backbone"} << "freeze"
                                               << "backbone needs init (a file of pretrained weights): a random "
                                                  "backbone would stay random";
    QTest::newRow("train freeze unknown") << "train" << QStringList{"freeze=all", "init=w.pth"} << "freeze"
                                          << "'all' is not backbone or none";
    QTest::newRow("train as of version") << "train" << QStringList{"as_of_version=v3"} << "as_of_version"
                                         << "'v3' is not a whole number >= 0";
    QTest::newRow("train no process") << "train" << QStringList{"processes=0"} << "processes"
                                      << "'0' is not a whole number from 1 to 1024";
    QTest::newRow("train unknown key")
        << "train" << QStringList{"batchsize=8"} << "batchsize"
        << "unknown (the known keys: table, experiment, name, model, epochs, batch_size, lr, "
           "optimizer, image_size, val_fraction, seed, device, precision, as_of_version, "
           "target, processes, init, freeze, backbone_lr_scale, nodes, processes_per_node)";
    // evaluate
    QTest::newRow("evaluate without run") << "evaluate" << QStringList{"table=t"} << "run"
                                          << "missing";
    QTest::newRow("evaluate without table") << "evaluate" << QStringList{"run=r"} << "table"
                                            << "missing";
    QTest::newRow("evaluate version") << "evaluate" << QStringList{"run=r", "table=t", "as_of_version=-1"}
                                      << "as_of_version"
                                      << "'-1' is not a whole number >= 0";
    // register
    QTest::newRow("register without name") << "register" << QStringList{"run=r"} << "name"
                                           << "missing";
    QTest::newRow("register unknown key") << "register" << QStringList{"run=r", "name=m", "stage=None"} << "stage"
                                          << "unknown (the known keys: run, name, description)";
    // promote
    QTest::newRow("promote without version") << "promote" << QStringList{"name=m", "stage=Staging"} << "version"
                                             << "missing";
    QTest::newRow("promote version zero")
        << "promote" << QStringList{"name=m", "version=0", "stage=Staging"} << "version"
        << "'0' is not a whole number >= 1";
    QTest::newRow("promote version text")
        << "promote" << QStringList{"name=m", "version=latest", "stage=Staging"} << "version"
        << "'latest' is not a whole number >= 1";
    QTest::newRow("promote stage") << "promote" << QStringList{"name=m", "version=1", "stage=Prod"} << "stage"
                                   << "'Prod' is not one of None, Staging, Production, Archived";
    QTest::newRow("promote boolean") << "promote"
                                     << QStringList{"name=m", "version=1", "stage=Staging", "archive_existing=yes"}
                                     << "archive_existing"
                                     << "'yes' is not true or false";
    QTest::newRow("promote archive and keep")
        << "promote"
        << QStringList{"name=m", "version=1", "stage=Staging", "archive_existing=true", "keep_existing=true"}
        << "keep_existing"
        << "both keeping and archiving the versions already in the stage were asked for";
    QTest::newRow("promote gate to staging")
        << "promote" << QStringList{"name=m", "version=1", "stage=Staging", "gate_table=t"} << "gate_table"
        << "applies to a promotion to Production, not to Staging";
    QTest::newRow("promote no gate without reason")
        << "promote" << QStringList{"name=m", "version=1", "stage=Production", "no_gate=true"} << "reason"
        << "skipping the comparison needs a reason (it is recorded)";
    QTest::newRow("promote no gate and a gate table")
        << "promote"
        << QStringList{"name=m", "version=1", "stage=Production", "no_gate=true", "reason=r", "gate_table=t"}
        << "no_gate"
        << "skipping the comparison and naming a gate table contradict";
    QTest::newRow("promote reason without no gate")
        << "promote" << QStringList{"name=m", "version=1", "stage=Production", "reason=r"} << "reason"
        << "a reason is for skipping the comparison (no_gate)";
    // score
    QTest::newRow("score without model") << "score" << QStringList{"table=t"} << "model"
                                         << "missing";
    QTest::newRow("score threshold over 1") << "score" << QStringList{"model=m", "threshold=2"} << "threshold"
                                            << "'2' is not a number above 0 and at most 1";
    QTest::newRow("score threshold zero") << "score" << QStringList{"model=m", "threshold=0"} << "threshold"
                                          << "'0' is not a number above 0 and at most 1";
    QTest::newRow("score review fraction")
        << "score" << QStringList{"model=m", "review_fraction=1.01"} << "review_fraction"
        << "'1.01' is not a number above 0 and at most 1";
    QTest::newRow("score rescore") << "score" << QStringList{"model=m", "rescore=maybe"} << "rescore"
                                   << "'maybe' is not true or false";
    QTest::newRow("score review mode") << "score" << QStringList{"model=m", "review=errors"} << "review"
                                       << "'errors' is not one of unlabeled, labeled, all";
    // review export, labels merge
    QTest::newRow("review export without file") << "review-export" << QStringList{"format=csv"} << "file"
                                                << "missing";
    QTest::newRow("review export format") << "review-export" << QStringList{"file=f", "format=xlsx"} << "format"
                                          << "'xlsx' is not one of csv, labelstudio";
    QTest::newRow("review export state") << "review-export" << QStringList{"file=f", "state=done"} << "state"
                                         << "'done' is not one of pending, labeled, skipped";
    QTest::newRow("labels merge unknown key") << "labels-merge" << QStringList{"state=labeled"} << "state"
                                              << "unknown (the known keys: table)";
}

void tst_Requests::refused()
{
    QFETCH(QString, request);
    QFETCH(QStringList, values);
    QFETCH(QString, key);
    QFETCH(QString, problem);
    try {
        parsers().at(request)(keyValues(values));
        QFAIL("accepted");
    } catch (const requests::RequestError &e) {
        QCOMPARE(QString::fromStdString(e.key()), key);
        QCOMPARE(QString::fromStdString(e.problem()), problem);
        QCOMPARE(QString::fromUtf8(e.what()), key + ": " + problem);
    }
}

void tst_Requests::choiceLists()
{
    // One list parses and prints; the pipeline's parameter kinds are spelt from it.
    QCOMPARE(QString::fromStdString(ingest::kLabelRules.list()), "caltech, folder, none");
    QCOMPARE(QString::fromLatin1(requests::choiceKind<ingest::kLabelRules>()), "choice:caltech|folder|none");
    QCOMPARE(QString::fromLatin1(requests::choiceKind<compute::kDevices>()), "choice:auto|cpu|cuda");
    QCOMPARE(QString::fromLatin1(requests::choiceKind<review::kExportFormats>()), "choice:csv|labelstudio");
    QVERIFY(requests::choiceKind<compute::kDevices>() == requests::choiceKind<compute::kDevices>()); // one text
    for (const std::string &name : compute::kPrecisions.names())
        QCOMPARE(compute::kPrecisions.name(*compute::kPrecisions.parse(name)), name);
    // Stages parse in any case and print as listed; the other lists are exact.
    QCOMPARE(registry::kStages.parse("sTaGiNg"), std::optional(registry::Stage::Staging));
    QCOMPARE(QString::fromLatin1(registry::kStages.name(registry::Stage::Archived)), "Archived");
    QVERIFY(!registry::kStages.parse("Stagin"));
    QVERIFY(!compute::kOptimizers.parse("Adam"));
    QCOMPARE(QString::fromStdString(review::kEntryStates.problem("open")),
             "'open' is not one of pending, labeled, skipped");
}

void tst_Requests::fromJson()
{
    // A task's params after substitution: numbers and booleans arrive as JSON values, references as text.
    const QJsonObject params{{"source", "/data"},  {"max_megapixels", 0.5}, {"commit_every", 300},
                             {"labels", "folder"}, {"glob", QJsonValue()},  {"threads", "2"}};
    const auto values = requests::KeyValues::fromJson(params);
    QCOMPARE(values.value("max_megapixels"), std::optional<std::string>("0.5"));
    QCOMPARE(values.value("commit_every"), std::optional<std::string>("300"));
    QVERIFY(!values.has("glob")); // null: no value
    const auto o = ingest::parseIngestOptions(values);
    QCOMPARE(o.maxMegapixels, 0.5);
    QCOMPARE(o.commitEvery, 300);
    QCOMPARE(o.threads, 2);
    QVERIFY(!o.glob);
    QCOMPARE(requests::KeyValues::fromJson({{"rescore", true}}).value("rescore"), std::optional<std::string>("true"));
    QCOMPARE(requests::KeyValues::fromJson({{"threshold", 0.95}}).value("threshold"),
             std::optional<std::string>("0.95"));
}

void tst_Requests::fromJsonRefusesLists()
{
    try {
        requests::KeyValues::fromJson({{"labels", QJsonArray{"caltech"}}});
        QFAIL("accepted");
    } catch (const requests::RequestError &e) {
        QCOMPARE(QString::fromStdString(e.key()), "labels");
        QCOMPARE(QString::fromStdString(e.problem()), "expected a single value, not an array");
    }
}

QTEST_GUILESS_MAIN(tst_Requests)
#include "tst_requests.moc"
