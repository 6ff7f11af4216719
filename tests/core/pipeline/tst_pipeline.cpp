// Pipeline files: parsing (strict: duplicate keys and raw control characters are errors), validation (one
// _data row per error kind, and all errors at once), ordering, references, the JSON round trip, and the sample
// pipelines shipped in resources/.
#include "core/pipeline/Executor.h"
#include "core/pipeline/Pipeline.h"

#include <QFile>
#include <QJsonDocument>
#include <QTest>

#include <algorithm>
#include <set>

using namespace pw;

class tst_Pipeline : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void validationErrors_data();
    void validationErrors();
    void everyErrorAtOnce();
    void validPipelineHasNoErrors();
    void orderIsDependencyThenFileOrder();
    void jsonRoundTrip();
    void substitution();
    void samplePipelinesValidate();
};

namespace {

// A pipeline with one ingest task and one train task after it; `tasks` replaces the task list when given.
QByteArray pipelineJson(const QByteArray &tasks, const QByteArray &extra = {})
{
    return "{\"name\": \"p\", \"format_version\": 1, \"parameters\": {\"path\": \"/data\"}" + extra
           + ", \"tasks\": " + tasks + "}";
}

std::vector<pipeline::ValidationError> errorsOf(const QByteArray &json)
{
    std::vector<pipeline::ValidationError> errors;
    const auto p = pipeline::parsePipeline(json, errors);
    if (errors.empty() || !p.tasks.empty()) {
        for (auto &e : pipeline::validate(p))
            errors.push_back(std::move(e));
    }
    return errors;
}

const QByteArray kIngest = R"({"task_key": "ingest", "type": "ingest", "params": {"source": "{{params.path}}"}})";

} // namespace

void tst_Pipeline::validationErrors_data()
{
    QTest::addColumn<QByteArray>("json");
    QTest::addColumn<QString>("taskKey");
    QTest::addColumn<QString>("field");
    QTest::addColumn<QString>("mentions");

    QTest::newRow("malformed JSON: line and column") << QByteArray("{\n  \"name\": \"p\",\n  \"tasks\": [,]\n}") << ""
                                                     << ""
                                                     << "line 3, column";
    QTest::newRow("cycle names its tasks") << pipelineJson(
        R"([{"task_key": "a", "type": "shell", "params": {"argv": ["true"]}, "depends_on": [{"task_key": "c"}]},
                            {"task_key": "b", "type": "shell", "params": {"argv": ["true"]}, "depends_on": [{"task_key": "a"}]},
                            {"task_key": "c", "type": "shell", "params": {"argv": ["true"]}, "depends_on": [{"task_key": "b"}]}])")
                                           << ""
                                           << "depends_on"
                                           << "cycle: ";
    QTest::newRow("dependency on a missing task") << pipelineJson(
        "[" + kIngest + R"(, {"task_key": "t", "type": "train", "depends_on": [{"task_key": "nope"}]}])")
                                                  << "t"
                                                  << "depends_on"
                                                  << "'nope'";
    QTest::newRow("duplicate task key") << pipelineJson("[" + kIngest + "," + kIngest + "]") << "ingest"
                                        << "task_key"
                                        << "duplicate";
    QTest::newRow("unknown type") << pipelineJson(R"([{"task_key": "x", "type": "notebook", "params": {}}])") << "x"
                                  << "type"
                                  << "'notebook'";
    QTest::newRow("missing parameter") << pipelineJson(R"([{"task_key": "x", "type": "ingest", "params": {}}])") << "x"
                                       << "params.source"
                                       << "missing";
    QTest::newRow("ill-typed parameter") << pipelineJson(
        "[" + kIngest + R"(, {"task_key": "t", "type": "train", "params": {"epochs": "ten"}}])")
                                         << "t"
                                         << "params.epochs"
                                         << "whole number";
    QTest::newRow("bad choice") << pipelineJson(
        R"([{"task_key": "x", "type": "ingest", "params": {"source": "/d", "labels": "guess"}}])")
                                << "x"
                                << "params.labels"
                                << "'guess'";
    QTest::newRow("unknown parameter") << pipelineJson(
        R"([{"task_key": "x", "type": "ingest", "params": {"source": "/d", "colour": "red"}}])")
                                       << "x"
                                       << "params.colour"
                                       << "unknown parameter";
    QTest::newRow("shell task on a compute target")
        << pipelineJson(R"([{"task_key": "x", "type": "shell", "target": "mars", "params": {"argv": ["true"]}}])")
        << "x"
        << "target"
        << "only train and score tasks run on a compute target such as 'mars'";
    QTest::newRow("target that is not a name")
        << pipelineJson(R"([{"task_key": "t", "type": "train", "target": "gpu box;rm"}])") << "t"
        << "target"
        << "'gpu box;rm' is not a target name";
    QTest::newRow("unknown run_if") << pipelineJson(
        "[" + kIngest
        + R"(, {"task_key": "t", "type": "train", "run_if": "SOMETIMES", "depends_on": [{"task_key": "ingest"}]}])")
                                    << "t"
                                    << "run_if"
                                    << "'SOMETIMES'";
    QTest::newRow("undeclared parameter reference")
        << pipelineJson(R"([{"task_key": "x", "type": "ingest", "params": {"source": "{{params.nope}}"}}])") << "x"
        << "params.source"
        << "{{params.nope}}";
    QTest::newRow("reference to a task that is not upstream") << pipelineJson(
        "[" + kIngest + R"(, {"task_key": "t", "type": "train", "params": {"table": "{{tasks.ingest.table}}"}}])")
                                                              << "t"
                                                              << "params.table"
                                                              << "not upstream";
    QTest::newRow("reference to an output the type lacks") << pipelineJson(
        "[" + kIngest
        + R"(, {"task_key": "t", "type": "train", "depends_on": [{"task_key": "ingest"}], "params": {"table": "{{tasks.ingest.run_id}}"}}])")
                                                           << "t"
                                                           << "params.table"
                                                           << "'run_id'";
    QTest::newRow("reference to a missing task")
        << pipelineJson(R"([{"task_key": "x", "type": "shell", "params": {"argv": ["echo", "{{tasks.ghost.out}}"]}}])")
        << "x"
        << "params.argv[1]"
        << "'ghost'";
    QTest::newRow("shell argv is not a list of strings")
        << pipelineJson(R"([{"task_key": "x", "type": "shell", "params": {"argv": "rm -rf /"}}])") << "x"
        << "params.argv"
        << "array of strings";
    QTest::newRow("negative timeout") << pipelineJson(
        R"([{"task_key": "x", "type": "shell", "timeout_seconds": -5, "params": {"argv": ["true"]}}])")
                                      << "x"
                                      << "timeout_seconds"
                                      << "negative";
    QTest::newRow("field of the wrong type")
        << pipelineJson(R"([{"task_key": "x", "type": "shell", "max_retries": "3", "params": {"argv": ["true"]}}])")
        << "x"
        << "max_retries"
        << "whole number";
    QTest::newRow("bad cron expression") << pipelineJson(
        "[" + kIngest + "]", R"(, "schedule": {"quartz_cron_expression": "0 61 * * * ?", "timezone_id": "UTC"})")
                                         << ""
                                         << "schedule.quartz_cron_expression"
                                         << "minute";
    QTest::newRow("unknown time zone") << pipelineJson(
        "[" + kIngest + "]", R"(, "schedule": {"cron": "30 2 * * *", "timezone_id": "Mars/Olympus"})")
                                       << ""
                                       << "schedule.timezone_id"
                                       << "Mars/Olympus";
    QTest::newRow("no tasks") << pipelineJson("[]") << ""
                              << "tasks"
                              << "at least one task";
    // What Qt's JSON parser lets through, reported with its line, column and key path.
    const QByteArray duplicate = pipelineJson(
        R"([{"task_key": "ingest", "type": "ingest", "params": {"source": "/x", "source": "{{params.path}}"}}])");
    QTest::newRow("duplicate key in task params")
        << duplicate << ""
        << ""
        << QString("line 1, column %1: duplicate key 'source' in tasks[0].params")
               .arg(duplicate.lastIndexOf("\"source\"") + 1);
    QByteArray withNul = R"([{"task_key": "ingest", "type": "ingest", "description": "a)";
    withNul += '\0';
    withNul += R"(b", "params": {"source": "{{params.path}}"}}])";
    withNul = pipelineJson(withNul);
    QTest::newRow("raw NUL in a string")
        << withNul << ""
        << ""
        << QString("line 1, column %1: raw control character U+0000 inside the string tasks[0].description")
               .arg(withNul.indexOf('\0') + 1);

    // Names reach unit files, crontab lines and terminals: control characters are refused, shown escaped.
    const QByteArray shellTask = R"([{"task_key": "x", "type": "shell", "params": {"argv": ["true"]}}])";
    QTest::newRow("pipeline name with newlines")
        << QByteArray(R"({"name": "nightly\n[Service]\nExecStartPre=/bin/touch /tmp/x", "format_version": 1, "tasks": )"
                      + shellTask + "}")
        << ""
        << "name"
        << R"('nightly\n[Service]\nExecStartPre=/bin/touch /tmp/x' contains the control character \n)";
    QTest::newRow("pipeline name with an escape character")
        << QByteArray(R"({"name": "a\u001b[31mred", "format_version": 1, "tasks": )" + shellTask + "}") << ""
        << "name"
        << R"(control character \x1b)";
    QTest::newRow("pipeline name with a line separator")
        << QByteArray(R"({"name": "a\u2028b", "format_version": 1, "tasks": )" + shellTask + "}") << ""
        << "name"
        << R"(control character \u2028)";
    QTest::newRow("parameter name with a tab")
        << QByteArray(R"({"name": "p", "format_version": 1, "parameters": {"a\tb": "1"}, "tasks": )" + shellTask + "}")
        << ""
        << R"(parameters.a\tb)"
        << R"(control character \t)";
    QTest::newRow("task key with a final newline")
        << pipelineJson(R"([{"task_key": "x\n", "type": "shell", "params": {"argv": ["true"]}}])") << "x\n"
        << "task_key"
        << R"('x\n' may hold only)";
    QTest::newRow("target with a final newline")
        << pipelineJson(R"([{"task_key": "t", "type": "train", "target": "gpu\n"}])") << "t"
        << "target"
        << R"('gpu\n' is not a target name)";
    // A schedule without an expression is reported under Databricks' field name.
    QTest::newRow("empty schedule") << pipelineJson("[" + kIngest + "]", R"(, "schedule": {})") << ""
                                    << "schedule.quartz_cron_expression"
                                    << "missing";
    // Whole numbers beyond what they are read into say so, with the range.
    QTest::newRow("integer parameter too large")
        << pipelineJson("[" + kIngest + R"(, {"task_key": "t", "type": "train", "params": {"epochs": 3000000000}}])")
        << "t"
        << "params.epochs"
        << "3000000000 is out of range (a whole number from -2147483648 to 2147483647)";
    QTest::newRow("integer parameter in exponent form")
        << pipelineJson("[" + kIngest + R"(, {"task_key": "t", "type": "train", "params": {"epochs": 1e12}}])") << "t"
        << "params.epochs"
        << "1000000000000 is out of range";
    QTest::newRow("integer parameter with a fraction")
        << pipelineJson("[" + kIngest + R"(, {"task_key": "t", "type": "train", "params": {"epochs": 2.5}}])") << "t"
        << "params.epochs"
        << "must be a whole number, not 2.5";
    QTest::newRow("integer field too large") << pipelineJson(
        R"([{"task_key": "x", "type": "shell", "timeout_seconds": 3000000000, "params": {"argv": ["true"]}}])")
                                             << "x"
                                             << "timeout_seconds"
                                             << "3000000000 is out of range";
}

void tst_Pipeline::validationErrors()
{
    QFETCH(QByteArray, json);
    QFETCH(QString, taskKey);
    QFETCH(QString, field);
    QFETCH(QString, mentions);
    const auto errors = errorsOf(json);
    QString all;
    for (const auto &e : errors)
        all += QString("[%1|%2|%3] ")
                   .arg(QString::fromStdString(e.taskKey), QString::fromStdString(e.field),
                        QString::fromStdString(e.message));
    bool found = false;
    for (const auto &e : errors) {
        if ((taskKey.isEmpty() || QString::fromStdString(e.taskKey) == taskKey)
            && QString::fromStdString(e.field) == field && QString::fromStdString(e.message).contains(mentions))
            found = true;
    }
    QVERIFY2(found, qPrintable("errors: " + all));
    // Exactly the one problem the row is about (the rows are built so that the rest is valid).
    QCOMPARE(errors.size(), std::size_t(1));
    // What a person reads is one line, whatever the names hold.
    const QString text = QString::fromStdString(pipeline::errorText(errors.front()));
    const bool oneLine = std::none_of(text.begin(), text.end(), [](QChar c) {
        return c.category() == QChar::Other_Control || c.unicode() == 0x2028 || c.unicode() == 0x2029;
    });
    QVERIFY2(oneLine, qPrintable(text.toUtf8().toPercentEncoding(" '\"(),.:;=/[]-_")));
    QVERIFY2(!QString::fromStdString(errors.front().message).contains('\n'), errors.front().message.c_str());
}

void tst_Pipeline::everyErrorAtOnce()
{
    const auto errors = errorsOf(pipelineJson(R"([
        {"task_key": "a", "type": "ingest", "params": {}},
        {"task_key": "b", "type": "teleport", "depends_on": [{"task_key": "a"}]},
        {"task_key": "c", "type": "shell", "run_if": "MAYBE", "params": {"argv": ["echo", "{{params.missing}}"]},
         "depends_on": [{"task_key": "d"}]},
        {"task_key": "d", "type": "shell", "params": {"argv": ["true"]}, "depends_on": [{"task_key": "c"}]}])"));
    QStringList fields;
    for (const auto &e : errors)
        fields << QString::fromStdString(e.taskKey + ":" + e.field);
    for (const char *f : {"a:params.source", "b:type", "c:run_if", "c:params.argv[1]"})
        QVERIFY2(fields.contains(f), qPrintable(fields.join(", ")));
    bool cycle = false;
    for (const auto &e : errors) {
        const QString m = QString::fromStdString(e.message);
        cycle = cycle || (m.contains("cycle") && m.contains("c") && m.contains("d"));
    }
    QVERIFY(cycle);
    QCOMPARE(pipeline::errorsJson(errors).size(), qsizetype(errors.size()));
    QVERIFY(pipeline::errorsJson(errors).at(0).toObject().contains("task_key"));
}

void tst_Pipeline::validPipelineHasNoErrors()
{
    const auto errors = errorsOf(pipelineJson(
        "[" + kIngest + R"(,
        {"task_key": "train", "type": "train", "target": "gpu-box.1", "depends_on": [{"task_key": "ingest"}], "params": {"table": "{{tasks.ingest.table}}", "epochs": 3}},
        {"task_key": "register", "type": "register", "depends_on": [{"task_key": "train"}],
         "params": {"run": "{{tasks.train.run_id}}", "name": "m"}},
        {"task_key": "promote", "type": "promote", "depends_on": [{"task_key": "register"}],
         "params": {"name": "m", "version": "{{tasks.register.version}}", "stage": "Staging"}},
        {"task_key": "notify", "type": "shell", "depends_on": [{"task_key": "promote"}], "run_if": "ALL_DONE",
         "params": {"argv": ["echo", "run {{run.id}}: {{tasks.ingest.added}} new images"], "env": {"X": "1"}}}])",
        R"(, "schedule": {"quartz_cron_expression": "0 30 2 ? * MON-FRI", "timezone_id": "Europe/Berlin"})"));
    QString all;
    for (const auto &e : errors)
        all += QString::fromStdString(e.taskKey + " " + e.field + " " + e.message + "; ");
    QVERIFY2(errors.empty(), qPrintable(all));
}

void tst_Pipeline::orderIsDependencyThenFileOrder()
{
    std::vector<pipeline::ValidationError> errors;
    const auto p = pipeline::parsePipeline(pipelineJson(R"([
        {"task_key": "d", "type": "shell", "params": {"argv": ["true"]}, "depends_on": [{"task_key": "b"}, {"task_key": "c"}]},
        {"task_key": "c", "type": "shell", "params": {"argv": ["true"]}, "depends_on": [{"task_key": "a"}]},
        {"task_key": "b", "type": "shell", "params": {"argv": ["true"]}, "depends_on": [{"task_key": "a"}]},
        {"task_key": "a", "type": "shell", "params": {"argv": ["true"]}},
        {"task_key": "e", "type": "shell", "params": {"argv": ["true"]}}])"),
                                           errors);
    QVERIFY(errors.empty());
    const auto order = pipeline::topologicalOrder(p);
    QCOMPARE(order, (std::vector<std::string>{"a", "c", "b", "d", "e"}));
    const auto up = pipeline::upstreamOf(p, "d");
    QCOMPARE(std::set<std::string>(up.begin(), up.end()), (std::set<std::string>{"a", "b", "c"}));
}

void tst_Pipeline::jsonRoundTrip()
{
    QFile f(PIPEWRIGHT_SOURCE_DIR "/resources/pipelines/training.json");
    QVERIFY(f.open(QIODevice::ReadOnly));
    std::vector<pipeline::ValidationError> errors;
    const auto p = pipeline::parsePipeline(f.readAll(), errors);
    QVERIFY(errors.empty());
    const QByteArray again = QJsonDocument(pipeline::toJson(p)).toJson();
    const auto q = pipeline::parsePipeline(again, errors);
    QVERIFY(errors.empty());
    QCOMPARE(pipeline::toJson(q), pipeline::toJson(p));
    QCOMPARE(q.tasks.size(), std::size_t(4));
    QCOMPARE(q.tasks[1].timeoutSeconds, 7200);
    QCOMPARE(q.tasks[1].maxRetries, 1);
    QCOMPARE(q.tasks[1].minRetryIntervalMillis, 60000);
    QVERIFY(q.schedule.has_value());
    QCOMPARE(q.schedule->expression, std::string("0 30 2 * * ?"));
    QCOMPARE(q.schedule->timezone, std::string("Europe/Berlin"));
    QVERIFY(q.schedule->paused);
    QCOMPARE(q.layout.at("train").x, 240.0);
}

void tst_Pipeline::substitution()
{
    const std::map<std::string, std::string> params{{"p", "a b;c"}, {"q", "{{params.p}}"}};
    const std::map<std::string, QJsonObject> outputs{{"t", QJsonObject{{"n", 3}, {"s", "x"}}}};
    QCOMPARE(pipeline::substitute("v={{params.p}} {{ tasks.t.n }} {{tasks.t.s}} {{run.id}}", params, outputs, 12, "r"),
             std::string("v=a b;c 3 x 12"));
    // A value is inserted as text once: a reference inside a value stays literal.
    QCOMPARE(pipeline::substitute("{{params.q}}", params, outputs, 1, "r"), std::string("{{params.p}}"));
    QVERIFY_THROWS_EXCEPTION(std::runtime_error, pipeline::substitute("{{params.zz}}", params, outputs, 1, "r"));
    QVERIFY_THROWS_EXCEPTION(std::runtime_error, pipeline::substitute("{{tasks.t.missing}}", params, outputs, 1, "r"));
    QVERIFY_THROWS_EXCEPTION(std::runtime_error, pipeline::substitute("{{tasks.u.n}}", params, outputs, 1, "r"));
}

void tst_Pipeline::samplePipelinesValidate()
{
    for (const char *name : {"training", "scoring"}) {
        std::vector<pipeline::ValidationError> errors;
        const auto p = pipeline::loadPipeline(
            std::string(PIPEWRIGHT_SOURCE_DIR "/resources/pipelines/") + name + ".json", errors);
        for (auto &e : pipeline::validate(p))
            errors.push_back(std::move(e));
        QString all;
        for (const auto &e : errors)
            all += QString::fromStdString(e.taskKey + " " + e.field + " " + e.message + "; ");
        QVERIFY2(errors.empty(), qPrintable(QString(name) + ": " + all));
        QCOMPARE(p.name, std::string(name));
    }
}

QTEST_GUILESS_MAIN(tst_Pipeline)
#include "tst_pipeline.moc"
