// Tests of the task-type registry (core/pipeline/TaskType.h): the registrations are whole (a runner or a command,
// a colour, a glyph, a Databricks mapping naming what exists), registryProblems() catches a broken one, and EVERY
// registered type runs for real in one pipeline on a small workspace (shape images -> ingest -> train a tiny model
// -> evaluate -> register -> promote -> score -> review-export -> shell -> labels-merge), each producing every
// output it declares. A registered type without a fixture here fails the test, naming it.
#include "core/pipeline/Executor.h"
#include "core/pipeline/Pipeline.h"
#include "core/pipeline/TaskType.h"
#include "core/store/Workspace.h"
#include "tests/TestData.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QRegularExpression>
#include <QTemporaryDir>
#include <QTest>

#include <functional>
#include <set>
#include <string>
#include <vector>

using namespace pw;

/** A change that breaks a copy of the registry. */
using Break = std::function<void(std::vector<pipeline::TaskType> &)>;
Q_DECLARE_METATYPE(Break)

namespace {

QString qs(const std::string &s)
{
    return QString::fromStdString(s);
}

/** One task of the walk: the task of a type, what it depends on, and what else its outputs must show. */
struct Fixture
{
    QString type;
    QJsonObject params;
    QStringList dependsOn;
    std::function<void(const QJsonObject &outputs)> check;
};

// The shell step labels one queued entry through the CLI (its id is the first field of the export's second
// line), so that labels-merge has something to merge; it reports the id as an output of its own.
const char *kAcceptFirst = R"(id=$(sed -n 2p "$1" | cut -d, -f1)
[ -n "$id" ] || { echo "no entry in $1" >&2; exit 1; }
"$2" review accept "$id" --workspace "$3" || exit 1
echo "accepted=$id" >> "$PIPEWRIGHT_OUTPUTS")";

/** Every registered type's fixture, keyed by task key, in the order the walk runs them. */
std::vector<std::pair<QString, Fixture>> fixtures(const QString &images, const QString &ws)
{
    const auto positive = [](const char *output) {
        return [output](const QJsonObject &o) { QVERIFY2(o.value(output).toDouble() > 0, output); };
    };
    return {
        {"ingest", {"ingest", {{"source", images}, {"table", "shapes"}}, {}, positive("added")}},
        {"train",
         {"train",
          {{"table", "{{tasks.ingest.table}}"},
           {"experiment", "tasktypes"},
           {"epochs", 1},
           {"image_size", 16},
           {"batch_size", 8},
           {"val_fraction", 0.2},
           {"device", "cpu"}},
          {"ingest"},
          [](const QJsonObject &o) { QCOMPARE(o.value("status").toString(), "FINISHED"); }}},
        {"evaluate",
         {"evaluate",
          {{"run", "{{tasks.train.run_id}}"}, {"table", "{{tasks.ingest.table}}"}},
          {"train"},
          positive("images")}},
        {"register",
         {"register", {{"run", "{{tasks.train.run_id}}"}, {"name", "shapes"}}, {"evaluate"}, positive("version")}},
        {"promote",
         {"promote",
          {{"name", "{{tasks.register.name}}"}, {"version", "{{tasks.register.version}}"}, {"stage", "Production"}},
          {"register"},
          [](const QJsonObject &o) { QCOMPARE(o.value("stage").toString(), "Production"); }}},
        // The table is labeled by its folders, so the default review mode (unlabeled images) queues nothing; review
        // "all" queues the images a one-epoch model predicts otherwise than their folder says (likely label errors).
        {"score",
         {"score",
          {{"model", "shapes@Production"}, {"table", "{{tasks.ingest.table}}"}, {"threshold", 1}, {"review", "all"}},
          {"promote"},
          positive("queued_for_review")}},
        {"export", {"review-export", {{"file", "review.csv"}}, {"score"}, positive("entries")}},
        {"accept",
         {"shell",
          {{"argv", QJsonArray{"/bin/sh", "-c", kAcceptFirst, "sh", "{{tasks.export.file}}", PIPEWRIGHT_BIN, ws}}},
          {"export"},
          [](const QJsonObject &o) {
              QCOMPARE(o.value("exit_code").toInt(-1), 0);
              QVERIFY(!o.value("accepted").toString().isEmpty());
          }}},
        {"merge",
         {"labels-merge",
          {{"table", "shapes"}},
          {"accept"},
          [](const QJsonObject &o) { QCOMPARE(o.value("labels_merged").toInteger(), 1); }}},
    };
}

QJsonObject pipelineJson(const std::vector<std::pair<QString, Fixture>> &walk)
{
    QJsonArray tasks;
    for (const auto &[key, f] : walk) {
        QJsonArray deps;
        for (const QString &d : f.dependsOn)
            deps.append(QJsonObject{{"task_key", d}});
        tasks.append(QJsonObject{{"task_key", key}, {"type", f.type}, {"params", f.params}, {"depends_on", deps}});
    }
    return QJsonObject{{"name", "every-task-type"}, {"format_version", 1}, {"tasks", tasks}};
}

const pipeline::TaskRunInfo *taskOf(const pipeline::RunInfo &run, const QString &key)
{
    for (const auto &t : run.tasks) {
        if (qs(t.key) == key)
            return &t;
    }
    return nullptr;
}

} // namespace

class tst_TaskTypes : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void everyTypeIsWhole();
    void registryProblems_data();
    void registryProblems();
    void everyTypeRuns();
};

void tst_TaskTypes::everyTypeIsWhole()
{
    const auto &types = pipeline::taskTypes();
    QVERIFY(!types.empty());
    static const QRegularExpression colour(QStringLiteral(R"(\A#[0-9a-fA-F]{6}\z)"));
    for (const pipeline::TaskType &t : types) {
        QVERIFY2(bool(t.run) != bool(t.command), t.name); // run-task runs it, or the executor runs its program
        QVERIFY2(t.colour && colour.match(QString::fromLatin1(t.colour)).hasMatch(), t.name);
        QVERIFY2(t.glyph && *t.glyph, t.name);
        QCOMPARE(pipeline::taskType(t.name), &t);
    }
    const auto problems = pipeline::registryProblems(types);
    QVERIFY2(problems.empty(), problems.empty() ? "" : problems.front().c_str());
}

void tst_TaskTypes::registryProblems_data()
{
    QTest::addColumn<Break>("breakIt");
    QTest::addColumn<QString>("problem");
    const auto named = [](std::vector<pipeline::TaskType> &types, const char *name) -> pipeline::TaskType & {
        for (auto &t : types) {
            if (std::string(t.name) == name)
                return t;
        }
        throw std::logic_error(std::string("no type ") + name);
    };
    QTest::newRow("no runner") << Break([=](auto &types) { named(types, "score").run = nullptr; })
                               << "task type 'score': has neither a runner nor a command";
    QTest::newRow("runner and command") << Break([=](auto &types) {
        named(types, "ingest").command = named(types, "shell").command;
    }) << "task type 'ingest': has both a runner and a command";
    QTest::newRow("colour") << Break([=](auto &types) { named(types, "train").colour = "purple"; })
                            << "task type 'train': colour 'purple' is not #rrggbb";
    QTest::newRow("glyph") << Break([=](auto &types) { named(types, "train").glyph = ""; })
                           << "task type 'train': has no glyph";
    QTest::newRow("twice") << Break([=](auto &types) { types.push_back(named(types, "promote")); })
                           << "task type 'promote' is registered twice";
    QTest::newRow("wire from no type") << Break([=](auto &types) {
        named(types, "evaluate").databricks.wires.push_back({"run", "training", "run_id", "why"});
    }) << "task type 'evaluate': databricks: wires from 'training', which is no task type";
    QTest::newRow("wire from no output") << Break([=](auto &types) {
        named(types, "evaluate").databricks.wires.push_back({"run", "train", "run", "why"});
    }) << "task type 'evaluate': databricks: wires from output 'run', which a train task does not have";
    QTest::newRow("lift into no parameter") << Break([=](auto &types) {
        named(types, "score").databricks.lifts.push_back({.notebookParam = "model_uri", .param = "uri"});
    }) << "task type 'score': databricks: notebook parameter 'model_uri' lifts into no parameter of the type";
    QTest::newRow("no fallback") << Break([=](auto &types) { named(types, "shell").databricks.fallback = false; })
                                 << "exactly one task type must be the Databricks import's fallback, not 0";
}

void tst_TaskTypes::registryProblems()
{
    QFETCH(Break, breakIt);
    QFETCH(QString, problem);
    std::vector<pipeline::TaskType> types = pipeline::taskTypes();
    breakIt(types);
    QStringList found;
    for (const auto &p : pipeline::registryProblems(types))
        found << qs(p);
    QVERIFY2(found.contains(problem), qPrintable(found.join("\n")));
}

void tst_TaskTypes::everyTypeRuns()
{
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const QString images = dir.filePath("shapes"), wsPath = dir.filePath("ws");
    const auto walk = fixtures(images, wsPath);
    // A new type cannot go untested: each registered type needs a fixture (and each fixture a registered type).
    std::set<QString> covered;
    for (const auto &[key, f] : walk) {
        QVERIFY2(pipeline::taskType(f.type.toStdString()), qPrintable("fixture of an unknown type: " + f.type));
        covered.insert(f.type);
    }
    for (const pipeline::TaskType &t : pipeline::taskTypes()) {
        if (!covered.count(QString::fromUtf8(t.name)))
            QFAIL(qPrintable(
                QString("task type '%1' has no fixture in tst_tasktypes: add one to fixtures()").arg(t.name)));
    }

    QVERIFY(test::writeShapeClasses(images, 8, 3));
    const auto ws = store::Workspace::open(wsPath.toStdString());
    std::vector<pipeline::ValidationError> errors;
    const pipeline::Pipeline p = pipeline::parsePipeline(QJsonDocument(pipelineJson(walk)).toJson(), errors);
    for (auto &e : pipeline::validate(p))
        errors.push_back(std::move(e));
    QVERIFY2(errors.empty(), errors.empty() ? "" : pipeline::errorText(errors.front()).c_str());

    pipeline::RunOptions options;
    options.pipewrightPath = PIPEWRIGHT_BIN;
    const pipeline::RunInfo run = pipeline::runPipeline(ws, p, options);
    for (const auto &[key, f] : walk) {
        const pipeline::TaskRunInfo *t = taskOf(run, key);
        QVERIFY2(t, qPrintable(key));
        const QString where = key + " (" + f.type + "): " + qs(t->result) + " " + qs(t->message);
        QVERIFY2(t->result == "SUCCESS", qPrintable(where));
        for (const char *output : pipeline::taskType(f.type.toStdString())->outputs) {
            const QJsonValue v = t->outputs.value(QLatin1String(output));
            QVERIFY2(!v.isUndefined() && !v.isNull(), qPrintable(where + ": no output " + output));
        }
        f.check(t->outputs);
        if (QTest::currentTestFailed())
            QFAIL(qPrintable(where + ": outputs " + QJsonDocument(t->outputs).toJson(QJsonDocument::Compact)));
    }
    QCOMPARE(qs(run.result), "SUCCESS");
}

QTEST_GUILESS_MAIN(tst_TaskTypes)
#include "tst_tasktypes.moc"
