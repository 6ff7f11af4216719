// Databricks Jobs 2.1 import and export: the shipped pipelines round trip through a create payload; a realistic
// create payload and jobs/get response import to the expected tasks with notes for what was left behind; task
// kinds, type mappings, references, classic cron schedules, the layout tags and the errors.
#include "core/pipeline/Databricks.h"
#include "core/pipeline/Pipeline.h"
#include "core/pipeline/Schedule.h"

#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QRegularExpression>
#include <QTest>

#include <algorithm>
#include <stdexcept>

using namespace pw;

class tst_Databricks : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void roundTrip_data();
    void roundTrip();
    void exportFieldNames();
    void importTrainingJob_data();
    void importTrainingJob();
    void importTaskKinds_data();
    void importTaskKinds();
    void typeMapping_data();
    void typeMapping();
    void importSeedJobs_data();
    void importSeedJobs();
    void importParameters_data();
    void importParameters();
    void liftedNotebookParameters_data();
    void liftedNotebookParameters();
    void seedJobsRoundTrip_data();
    void seedJobsRoundTrip();
    void baseParameterKinds();
    void references_data();
    void references();
    void classicCronExport_data();
    void classicCronExport();
    void layoutTags();
    void errors_data();
    void errors();
    void controlCharactersRefused_data();
    void controlCharactersRefused();
};

namespace {

pipeline::Task shellTask(const std::string &key)
{
    pipeline::Task t;
    t.key = key;
    t.type = "shell";
    t.params = QJsonObject{{"argv", QJsonArray{"true"}}};
    return t;
}

QByteArray readFile(const QString &path)
{
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly))
        qFatal("cannot read %s", qPrintable(path));
    return f.readAll();
}

QByteArray sampleJob(const char *name)
{
    return readFile(QStringLiteral(PIPEWRIGHT_SOURCE_DIR "/tests/data/databricks/") + name);
}

QString joined(const std::vector<std::string> &lines)
{
    QString all;
    for (const auto &l : lines)
        all += QString::fromStdString(l) + "\n";
    return all;
}

// The note that mentions every one of `parts`, or empty.
std::string noteWith(const std::vector<std::string> &notes, const std::vector<const char *> &parts)
{
    for (const auto &n : notes) {
        bool all = true;
        for (const char *p : parts)
            all = all && n.find(p) != std::string::npos;
        if (all)
            return n;
    }
    return {};
}

pipeline::Pipeline parse(const QByteArray &json)
{
    std::vector<pipeline::ValidationError> errors;
    auto p = pipeline::parsePipeline(json, errors);
    for (auto &e : pipeline::validate(p))
        errors.push_back(std::move(e));
    if (!errors.empty())
        qFatal("test pipeline invalid: %s %s", errors[0].field.c_str(), errors[0].message.c_str());
    return p;
}

// A one-task job whose task is `task` (a JSON object's text).
QByteArray oneTaskJob(const QByteArray &task, const QByteArray &extra = {})
{
    return R"({"name": "j", "parameters": [{"name": "p", "default": "v"}])" + extra + R"(, "tasks": [)" + task + "]}";
}

QByteArray compact(const QJsonValue &v)
{
    return v.isArray() ? QJsonDocument(v.toArray()).toJson(QJsonDocument::Compact)
                       : QJsonDocument(v.toObject()).toJson(QJsonDocument::Compact);
}

// Every parameter type of shell, integers, numbers, booleans, a non-default run_if, retries, a file-arrival
// trigger and an odd layout: what the shipped pipelines do not exercise.
const QByteArray kRichPipeline = R"({
    "name": "rich", "format_version": 1, "description": "all kinds",
    "parameters": {"src": "/data/in", "model": "m@Production"},
    "max_concurrent_runs": 3, "max_parallel_tasks": 5,
    "trigger": {"file_arrival": {"path": "/data/in", "min_seconds_between_triggers": 120}},
    "tasks": [
        {"task_key": "ingest", "type": "ingest",
         "params": {"source": "{{params.src}}", "max_megapixels": 12.5, "commit_every": 500, "glob": "*.{png,jpg}"}},
        {"task_key": "score", "type": "score", "depends_on": [{"task_key": "ingest"}],
         "params": {"model": "{{params.model}}", "threshold": 0.9, "rescore": true, "table": "{{tasks.ingest.table}}"}},
        {"task_key": "export", "type": "shell", "depends_on": [{"task_key": "score"}], "run_if": "ALL_DONE",
         "params": {"argv": ["python3", "export.py", "--run={{run.id}}", "--n={{tasks.score.queued_for_review}}"],
                    "cwd": "/srv/export", "env": {"MODE": "fast", "RUN": "{{run.name}}"}},
         "timeout_seconds": 60, "max_retries": -1, "min_retry_interval_millis": 1500, "retry_on_timeout": true},
        {"task_key": "promote", "type": "promote", "depends_on": [{"task_key": "score"}], "run_if": "NONE_FAILED",
         "params": {"name": "m", "version": 3, "stage": "Production", "archive_existing": false}}
    ],
    "layout": {"ingest": {"x": -120.5, "y": 0.1}, "score": {"x": 1e6, "y": 33}, "export": {"x": 0, "y": -7}}
})";

} // namespace

void tst_Databricks::roundTrip_data()
{
    QTest::addColumn<QByteArray>("pipelineJson");
    QTest::newRow("resources/pipelines/training.json")
        << readFile(PIPEWRIGHT_SOURCE_DIR "/resources/pipelines/training.json");
    QTest::newRow("resources/pipelines/scoring.json")
        << readFile(PIPEWRIGHT_SOURCE_DIR "/resources/pipelines/scoring.json");
    QTest::newRow("every parameter kind, trigger, layout") << kRichPipeline;
}

void tst_Databricks::roundTrip()
{
    QFETCH(QByteArray, pipelineJson);
    const pipeline::Pipeline original = parse(pipelineJson);
    std::vector<std::string> exportNotes;
    const QJsonObject job = pipeline::exportDatabricks(original, &exportNotes);
    const auto imported = pipeline::importDatabricks(QJsonDocument(job).toJson());
    QCOMPARE(pipeline::toJson(imported.pipeline), pipeline::toJson(original));
    QVERIFY2(imported.errors.empty(), qPrintable(joined(imported.notes)));
    // Nothing in an exported job is foreign to Pipewright, so import has nothing to report.
    QVERIFY2(imported.notes.empty(), qPrintable(joined(imported.notes)));
    for (const auto &n : exportNotes)
        QVERIFY2(n.find("trigger.file_arrival") != std::string::npos, n.c_str()); // the only loss-free remark
}

void tst_Databricks::exportFieldNames()
{
    const auto p = parse(readFile(PIPEWRIGHT_SOURCE_DIR "/resources/pipelines/training.json"));
    std::vector<std::string> notes;
    const QJsonObject job = pipeline::exportDatabricks(p, &notes);
    QVERIFY2(notes.empty(), qPrintable(joined(notes)));

    QCOMPARE(job.value("name").toString(), QString("training"));
    QVERIFY(job.value("description").toString().startsWith("Ingest labeled images"));
    QCOMPARE(job.value("max_concurrent_runs").toInt(), 1);
    QCOMPARE(compact(job.value("schedule")),
             QByteArray(
                 R"({"pause_status":"PAUSED","quartz_cron_expression":"0 30 2 * * ?","timezone_id":"Europe/Berlin"})"));
    QCOMPARE(compact(job.value("parameters")),
             QByteArray(R"([{"default":"7","name":"epochs"},{"default":"/data/labeled","name":"image_path"},)"
                        R"({"default":"classifier","name":"model_name"},{"default":"images","name":"table"}])"));
    QCOMPARE(compact(job.value("tags")),
             QByteArray(R"({"pipewright.layout":"ingest=0:0 promote=720:0 register=480:0 train=240:0",)"
                        R"("pipewright.max_parallel_tasks":"2"})"));
    QVERIFY(!job.contains("format_version"));
    QVERIFY(!job.contains("layout"));

    const QJsonArray tasks = job.value("tasks").toArray();
    QCOMPARE(tasks.size(), 4);
    for (const QJsonValue &t : tasks) {
        QVERIFY(!t.toObject().contains("type"));
        QVERIFY(!t.toObject().contains("params"));
        const QJsonObject base = t.toObject().value("notebook_task").toObject().value("base_parameters").toObject();
        for (const QJsonValue &v : base)
            QVERIFY2(v.isString(), "Databricks base parameters are strings");
    }
    QCOMPARE(compact(tasks[0]),
             QByteArray(
                 R"({"description":"New and changed labeled images become a new catalog version",)"
                 R"("notebook_task":{"base_parameters":{"labels":"caltech","source":"{{job.parameters.image_path}}",)"
                 R"("table":"{{job.parameters.table}}"},"notebook_path":"/Pipewright/ingest"},"task_key":"ingest"})"));
    const QJsonObject train = tasks[1].toObject();
    QCOMPARE(train.value("task_key").toString(), QString("train"));
    QCOMPARE(compact(train.value("depends_on")), QByteArray(R"([{"task_key":"ingest"}])"));
    QCOMPARE(train.value("run_if").toString(), QString("ALL_SUCCESS"));
    QCOMPARE(train.value("timeout_seconds").toInt(), 7200);
    QCOMPARE(train.value("max_retries").toInt(), 1);
    QCOMPARE(train.value("min_retry_interval_millis").toInt(), 60000);
    QVERIFY(!train.contains("retry_on_timeout")); // false is Databricks' default
    const QJsonObject trainBase = train.value("notebook_task").toObject().value("base_parameters").toObject();
    QCOMPARE(trainBase.value("epochs").toString(), QString("{{job.parameters.epochs}}"));
    QCOMPARE(trainBase.value("experiment").toString(), QString("{{job.name}}"));
    const QJsonObject registerBase =
        tasks[2].toObject().value("notebook_task").toObject().value("base_parameters").toObject();
    QCOMPARE(registerBase.value("run").toString(), QString("{{tasks.train.values.run_id}}"));
    QCOMPARE(registerBase.value("description").toString(), QString("trained by pipeline run {{job.run_id}}"));
    QCOMPARE(tasks[3].toObject().value("notebook_task").toObject().value("notebook_path").toString(),
             QString("/Pipewright/promote"));
}

void tst_Databricks::importTrainingJob_data()
{
    QTest::addColumn<QByteArray>("json");
    QTest::addColumn<bool>("jobGet");
    QTest::newRow("create payload") << sampleJob("training_create.json") << false;
    QTest::newRow("jobs/get response") << sampleJob("training_get.json") << true;
}

void tst_Databricks::importTrainingJob()
{
    QFETCH(QByteArray, json);
    QFETCH(bool, jobGet);
    const auto imported = pipeline::importDatabricks(json);
    const pipeline::Pipeline &p = imported.pipeline;
    const QString notes = joined(imported.notes);
    QVERIFY2(imported.errors.empty(), qPrintable(notes));

    QCOMPARE(p.name, std::string("ml-training"));
    QVERIFY(p.description.rfind("Nightly:", 0) == 0);
    QCOMPARE(p.maxConcurrentRuns, 1);
    QCOMPARE(p.maxParallelTasks, 2); // no pipewright tag: the default
    QCOMPARE(p.parameters,
             (std::vector<std::pair<std::string, std::string>>{
                 {"image_path", "/dbfs/mnt/raw/labeled"}, {"model_name", "classifier"}, {"epochs", "10"}}));
    QVERIFY(p.schedule.has_value());
    QCOMPARE(p.schedule->expression, std::string("0 0 3 ? * MON-FRI"));
    QVERIFY(p.schedule->quartz);
    QCOMPARE(p.schedule->timezone, std::string("America/Los_Angeles"));
    QVERIFY(!p.schedule->paused);
    QVERIFY(p.layout.empty());

    QCOMPARE(p.tasks.size(), std::size_t(3));
    const pipeline::Task &load = p.tasks[0], &train = p.tasks[1], &reg = p.tasks[2];
    QCOMPARE(load.key, std::string("load_images"));
    QCOMPARE(load.type, std::string("ingest"));
    QCOMPARE(load.description, std::string("Register the new labeled images as a catalog version"));
    QCOMPARE(load.timeoutSeconds, 3600);
    QCOMPARE(compact(load.params),
             QByteArray(R"({"labels":"caltech","max_megapixels":50,"source":"{{params.image_path}}",)"
                        R"("table":"images"})"));
    QCOMPARE(train.key, std::string("train"));
    QCOMPARE(train.type, std::string("train"));
    QCOMPARE(train.dependsOn, std::vector<std::string>{"load_images"});
    QCOMPARE(train.runIf, std::string("ALL_SUCCESS"));
    QCOMPARE(train.timeoutSeconds, 7200);
    QCOMPARE(train.maxRetries, 2);
    QCOMPARE(train.minRetryIntervalMillis, 60000);
    QVERIFY(train.retryOnTimeout);
    QCOMPARE(compact(train.params),
             QByteArray(R"({"batch_size":64,"epochs":"{{params.epochs}}","experiment":"{{run.name}}",)"
                        R"("lr":0.001,"table":"images"})"));
    QCOMPARE(reg.type, std::string("register"));
    QCOMPARE(reg.dependsOn, std::vector<std::string>{"train"});
    QCOMPARE(compact(reg.params), QByteArray(R"({"description":"registered by job run {{run.id}}",)"
                                             R"("name":"{{params.model_name}}","run":"{{tasks.train.run_id}}"})"));

    // What was left behind, each named with its task and field.
    for (const auto &parts : std::vector<std::vector<const char *>>{
             {"job:", "job_clusters not kept", "g5.xlarge"},
             {"job:", "email_notifications not kept", "ml-oncall@example.com"},
             {"job:", "timeout_seconds not kept", "14400"},
             {"job:", "tags.team not kept", "ml-platform"},
             {"job:", "tags.cost-center not kept"},
             {"task 'load_images':", "job_cluster_key not kept", "gpu_cluster"},
             {"task 'load_images':", "base_parameters.sample_fraction", "0.25", "not a parameter of an ingest task"},
             {"task 'load_images':", "notebook_path '/Repos/ml/01_load_images' mapped to type ingest", "'load'"},
             {"task 'train':", "libraries not kept", "torchvision==0.17.0"},
             {"task 'train':", "mapped to type train"},
             {"task 'register':", "email_notifications not kept", "ml-team@example.com"},
             {"task 'register':", "mapped to type register", "'regist'"}})
        QVERIFY2(!noteWith(imported.notes, parts).empty(),
                 qPrintable(QString(parts[0]) + " " + parts[1] + "\n" + notes));
    QVERIFY2(noteWith(imported.notes, {"format"}).empty(), qPrintable(notes)); // describes the job only
    QVERIFY2(noteWith(imported.notes, {"source"}).empty(), qPrintable(notes)); // WORKSPACE is the default
    QCOMPARE(!noteWith(imported.notes, {"job_id not kept", "684297301422817"}).empty(), jobGet);
    QCOMPARE(!noteWith(imported.notes, {"creator_user_name not kept"}).empty(), jobGet);
    QCOMPARE(int(imported.notes.size()), jobGet ? 19 : 14);
}

void tst_Databricks::importTaskKinds_data()
{
    QTest::addColumn<QString>("taskKey");
    QTest::addColumn<QString>("type");
    QTest::addColumn<QByteArray>("params");
    QTest::addColumn<QStringList>("noteParts");

    QTest::newRow("spark_python_task, unmapped: python3 FILE ARGS")
        << "export_report"
        << "shell"
        << QByteArray(
               R"({"argv":["python3","dbfs:/jobs/export_report.py","--date","{{job.start_time.iso_date}}","--out",)"
               R"("{{params.report_dir}}"]})")
        << QStringList{
               "spark_python_task became a shell task running python3 'dbfs:/jobs/export_report.py'",
               "spark_python_task.parameters: {{job.start_time.iso_date}} is a Databricks dynamic value reference",
               "existing_cluster_id not kept: \"0923-164208-meows279\""};
    QTest::newRow("spark_python_task, mapped: its positional parameters are noted")
        << "evaluate"
        << "evaluate" << QByteArray("{}")
        << QStringList{"spark_python_task.python_file 'src/evaluate_model.py' mapped to type evaluate",
                       "spark_python_task.parameters not kept: [\"--run\",\"5f2a\"]",
                       "spark_python_task.source not kept: \"GIT\"", "invalid: task 'evaluate': params.run: missing"};
    QTest::newRow("python_wheel_task: ENTRY_POINT --NAME=VALUE")
        << "features"
        << "shell" << QByteArray(R"({"argv":["build-features","--out={{params.report_dir}}","--table=images"]})")
        << QStringList{"python_wheel_task became a shell task running its entry point 'build-features'",
                       "'ml_features'", "environment_key not kept"};
    QTest::newRow("spark_submit_task: spark-submit ARGS")
        << "aggregate"
        << "shell"
        << QByteArray(
               R"({"argv":["spark-submit","--class","org.example.Aggregate","dbfs:/jars/aggregate.jar","2024"]})")
        << QStringList{"spark_submit_task became a shell task running spark-submit", "new_cluster not kept"};
    QTest::newRow("sql_task: a shell task that fails")
        << "refresh_dashboard"
        << "shell"
        << QByteArray(
               R"({"argv":["sh","-c","printf '%s\\n' \"$0\" >&2; exit 1","task 'refresh_dashboard' was imported )"
               R"(from a Databricks sql_task, which Pipewright cannot run: replace this shell task"]})")
        << QStringList{"a Databricks sql_task cannot run in Pipewright; became a shell task that fails",
                       "8f3b2c1d4e5f6a7b"};
    QTest::newRow("notebook_task matching no mapping: a shell task that fails, base parameters noted")
        << "notify"
        << "shell"
        << QByteArray(R"({"argv":["sh","-c","printf '%s\\n' \"$0\" >&2; exit 1","task 'notify' was imported )"
                      R"(from a Databricks notebook_task (/Repos/ml/99_notify_slack), which Pipewright cannot run: )"
                      R"(replace this shell task"]})")
        << QStringList{"notebook_path '/Repos/ml/99_notify_slack' matches no type mapping",
                       "notebook_task.base_parameters.channel not kept: \"#ml-alerts\""};
}

void tst_Databricks::importTaskKinds()
{
    QFETCH(QString, taskKey);
    QFETCH(QString, type);
    QFETCH(QByteArray, params);
    QFETCH(QStringList, noteParts);
    const auto imported = pipeline::importDatabricks(sampleJob("mixed_kinds.json"));
    const QString notes = joined(imported.notes);
    const pipeline::Task *t = imported.pipeline.task(taskKey.toStdString());
    QVERIFY(t);
    QCOMPARE(QString::fromStdString(t->type), type);
    QCOMPARE(compact(t->params), params);
    for (const QString &part : noteParts) {
        const std::string want = "task '" + taskKey.toStdString() + "': ";
        bool found = false;
        for (const auto &n : imported.notes)
            found = found || (n.find(part.toStdString()) != std::string::npos && n.find(want) != std::string::npos);
        QVERIFY2(found, qPrintable(part + "\n" + notes));
    }
    // The job keeps its own fields, and the git source is noted.
    QCOMPARE(imported.pipeline.maxConcurrentRuns, 2);
    QVERIFY(!noteWith(imported.notes, {"job: git_source not kept", "ml-jobs"}).empty());
    QCOMPARE(imported.pipeline.task("notify")->runIf, std::string("ALL_DONE"));
    // Never an invalid pipeline without saying so: the validation errors are notes too.
    QVERIFY(!imported.errors.empty());
    for (const auto &e : imported.errors)
        QVERIFY(!noteWith(imported.notes, {"invalid:", e.message.c_str()}).empty());
}

void tst_Databricks::typeMapping_data()
{
    QTest::addColumn<QString>("path");
    QTest::addColumn<QString>("map"); // SUBSTRING=TYPE, as the CLI's --map
    QTest::addColumn<QString>("type");
    QTest::addColumn<QString>("taskKey");

    QTest::newRow("load") << "/Repos/ml/01_load_images"
                          << ""
                          << "ingest"
                          << "t";
    QTest::newRow("prep") << "/Repos/ml/00_prepare_data"
                          << ""
                          << "ingest"
                          << "t";
    QTest::newRow("train") << "/Repos/ml/02_train"
                           << ""
                           << "train"
                           << "t";
    QTest::newRow("regist") << "/Repos/ml/03_register"
                            << ""
                            << "register"
                            << "t";
    QTest::newRow("promot") << "/Repos/ml/04_promotion"
                            << ""
                            << "promote"
                            << "t";
    QTest::newRow("label") << "/Repos/ml/06_export_labels"
                           << ""
                           << "review-export"
                           << "t";
    QTest::newRow("ignoring case") << "/Users/ana@example.com/Evaluate Model"
                                   << ""
                                   << "evaluate"
                                   << "t";
    QTest::newRow("the notebook's name before its folder") << "/Repos/training/03_register"
                                                           << ""
                                                           << "register"
                                                           << "t";
    QTest::newRow("the folder when the name matches nothing") << "/Repos/scoring/run"
                                                              << ""
                                                              << "score"
                                                              << "t";
    QTest::newRow("first default in order") << "/Repos/ml/05_score_review_queue"
                                            << ""
                                            << "score"
                                            << "t";
    QTest::newRow("--map overrides a default") << "/Repos/ml/05_score_review_queue"
                                               << "review=review-export"
                                               << "review-export"
                                               << "t";
    QTest::newRow("--map before the default on the same name") << "/Repos/ml/02_train"
                                                               << "02_train=evaluate"
                                                               << "evaluate"
                                                               << "t";
    QTest::newRow("--map for a notebook no default knows") << "/Repos/ml/99_merge"
                                                           << "merge=labels-merge"
                                                           << "labels-merge"
                                                           << "t";
    QTest::newRow("what export writes, exactly") << "/Pipewright/labels-merge"
                                                 << ""
                                                 << "labels-merge"
                                                 << "t";
    QTest::newRow("what export writes, before --map") << "/Pipewright/train"
                                                      << "train=score"
                                                      << "train"
                                                      << "t";
    QTest::newRow("no mapping: shell") << "/Repos/ml/99_notify_slack"
                                       << ""
                                       << "shell"
                                       << "t";
    QTest::newRow("the task key when the name matches nothing") << "/Users/ana@example.com/clf/05 Batch Inference"
                                                                << ""
                                                                << "score"
                                                                << "Score_Images";
    QTest::newRow("the task key before the folder") << "/Repos/scoring/run"
                                                    << ""
                                                    << "train"
                                                    << "Train_Images";
    QTest::newRow("the notebook's name before the task key") << "/Repos/ml/03_register"
                                                             << ""
                                                             << "register"
                                                             << "Train_Then_Register";
    QTest::newRow("--map on the task key") << "/Repos/ml/nb1"
                                           << "merge=labels-merge"
                                           << "labels-merge"
                                           << "Merge_Labels";
}

void tst_Databricks::typeMapping()
{
    QFETCH(QString, path);
    QFETCH(QString, map);
    QFETCH(QString, type);
    QFETCH(QString, taskKey);
    std::vector<pipeline::TypeMapping> extra;
    if (!map.isEmpty())
        extra.push_back({map.section('=', 0, 0).toStdString(), map.section('=', 1).toStdString()});
    const QByteArray task = R"({"task_key": ")" + taskKey.toUtf8() + R"(", "notebook_task": {"notebook_path": ")"
                            + path.toUtf8() + R"("}})";
    const auto imported = pipeline::importDatabricks(oneTaskJob(task), extra);
    QCOMPARE(QString::fromStdString(imported.pipeline.tasks.at(0).type), type);
}

// The seed system's own jobs: notebooks with image_path, experiment_name and job_user, on an existing cluster.
void tst_Databricks::importSeedJobs_data()
{
    QTest::addColumn<QByteArray>("json");
    QTest::addColumn<QStringList>("keys"); // in the job's order
    // KEY=compact params JSON for every task.
    QTest::addColumn<QStringList>("params");
    QTest::addColumn<QStringList>("parameters"); // NAME=DEFAULT, sorted by name
    // Notes that must be there, each as parts joined by '|'.
    QTest::addColumn<QStringList>("noteParts");

    const QString experiment = "/Users/someone@example.com/image-classifier";
    const QStringList common{"job: parameters.experiment_name = '" + experiment
                                 + "' from notebook_task.base_parameters.experiment_name",
                             "job: parameters.job_user = 'someone@example.com'|no task here uses it",
                             "existing_cluster_id not kept: \"0418-103255-abcd1234\""};

    QTest::newRow("training: create payload")
        << sampleJob("seed_training_create.json")
        << QStringList{"Load_Images_for_Training", "Train_Images", "Register_Model"}
        << QStringList{R"(Load_Images_for_Training={"source":"{{params.image_path}}"})",
                       R"(Train_Images={"experiment":"{{params.experiment_name}}",)"
                       R"("table":"{{tasks.Load_Images_for_Training.table}}"})",
                       R"(Register_Model={"name":"{{params.model_name}}","run":"{{tasks.Train_Images.run_id}}"})"}
        << QStringList{"experiment_name=" + experiment, "image_path=/dbfs/mnt/images/training",
                       "job_user=someone@example.com", "model_name=image-classifier"}
        << common
               + QStringList{
                   "job: parameters.image_path = '/dbfs/mnt/images/training'|of tasks 'Load_Images_for_Training', "
                   "'Train_Images', 'Register_Model'|used as params.source of 'Load_Images_for_Training'|"
                   "Databricks storage: give a local folder with --param image_path=DIR",
                   "used as params.experiment of 'Train_Images'",
                   "task 'Train_Images': params.table = {{tasks.Load_Images_for_Training.table}} (the table its "
                   "upstream "
                   "ingest task wrote)",
                   "task 'Register_Model': params.run = {{tasks.Train_Images.run_id}} (the run of its upstream train "
                   "task)",
                   "task 'Register_Model': params.name = {{params.model_name}}: a default: parameter model_name = "
                   "'image-classifier' (the last part of its experiment_name '"
                       + experiment + "')|--param model_name=",
                   "task 'Register_Model': notebook_task.notebook_path|mapped to type register"};

    QTest::newRow("scoring: jobs/get response, tasks out of order")
        << sampleJob("seed_scoring_get.json") << QStringList{"Manual_Image_Labeling", "Load_New_Images", "Score_Images"}
        << QStringList{R"(Manual_Image_Labeling={"file":"{{params.review_file}}"})",
                       R"(Load_New_Images={"source":"{{params.image_path}}"})",
                       R"(Score_Images={"model":"{{params.model_name}}@Production",)"
                       R"("table":"{{tasks.Load_New_Images.table}}"})"}
        << QStringList{"experiment_name=" + experiment, "image_path=/dbfs/mnt/images/new",
                       "job_user=someone@example.com", "model_name=image-classifier",
                       "review_file=review-Manual_Image_Labeling.csv"}
        << common
               + QStringList{
                   "job: parameters.image_path = '/dbfs/mnt/images/new'|used as params.source of 'Load_New_Images'|"
                   "--param image_path=DIR",
                   "task 'Score_Images': notebook_task.notebook_path|mapped to type score (substring 'scor' of the "
                   "task key)",
                   "task 'Score_Images': params.table = {{tasks.Load_New_Images.table}}",
                   "task 'Score_Images': params.model = {{params.model_name}}@Production: a default: parameter "
                   "model_name = "
                   "'image-classifier'|--param model_name=",
                   "task 'Manual_Image_Labeling': params.file = {{params.review_file}}: a default: parameter "
                   "review_file = "
                   "'review-Manual_Image_Labeling.csv' (a file under the workspace)|--param review_file=",
                   "job: job_id not kept: 918273645501234"};
}

void tst_Databricks::importSeedJobs()
{
    QFETCH(QByteArray, json);
    QFETCH(QStringList, keys);
    QFETCH(QStringList, params);
    QFETCH(QStringList, parameters);
    QFETCH(QStringList, noteParts);
    const auto imported = pipeline::importDatabricks(json);
    const pipeline::Pipeline &p = imported.pipeline;
    const QString notes = joined(imported.notes);
    QVERIFY2(imported.errors.empty(), qPrintable(notes));
    // What the CLI writes reads back as a valid pipeline.
    std::vector<pipeline::ValidationError> errors;
    const auto again = pipeline::parsePipeline(QJsonDocument(pipeline::toJson(p)).toJson(), errors);
    QVERIFY(errors.empty());
    QVERIFY(pipeline::validate(again).empty());

    QStringList gotKeys;
    for (const auto &t : p.tasks)
        gotKeys << QString::fromStdString(t.key);
    QCOMPARE(gotKeys, keys);
    for (const QString &kv : params) {
        const pipeline::Task *t = p.task(kv.section('=', 0, 0).toStdString());
        QVERIFY2(t, qPrintable(kv));
        QCOMPARE(QString::fromUtf8(compact(t->params)), kv.section('=', 1));
    }
    QStringList gotParameters;
    for (const auto &[name, value] : p.parameters)
        gotParameters << QString::fromStdString(name + "=" + value);
    gotParameters.sort();
    QCOMPARE(gotParameters, parameters);
    // Every parameter is referred to as {{params.X}}, or a note says that no task here uses it (job_user; the
    // experiment_name of a job with no train task).
    const QByteArray all = QJsonDocument(pipeline::toJson(p)).toJson(QJsonDocument::Compact);
    for (const auto &[name, value] : p.parameters) {
        const std::string unused = "job: parameters." + name + " = ";
        const bool referred = all.contains(QByteArray::fromStdString("{{params." + name + "}}"));
        QVERIFY2(referred != !noteWith(imported.notes, {unused.c_str(), "no task here uses it"}).empty(), name.c_str());
    }
    QVERIFY2(!noteWith(imported.notes, {"job: parameters.job_user = ", "no task here uses it"}).empty(),
             qPrintable(notes));
    for (const QString &want : noteParts) {
        std::vector<std::string> parts;
        for (const QString &part : want.split('|'))
            parts.push_back(part.toStdString());
        std::vector<const char *> cparts;
        for (const auto &part : parts)
            cparts.push_back(part.c_str());
        QVERIFY2(!noteWith(imported.notes, cparts).empty(), qPrintable(want + "\n" + notes));
    }
    QVERIFY2(noteWith(imported.notes, {"invalid:"}).empty(), qPrintable(notes));
}

void tst_Databricks::importParameters_data()
{
    QTest::addColumn<QString>("name");
    QTest::addColumn<QString>("value");
    QTest::addColumn<QString>("error"); // empty: accepted

    QTest::newRow("a default") << "model_name"
                               << "fashion"
                               << "";
    QTest::newRow("a value lifted from the job") << "image_path"
                                                 << "/data/fashion"
                                                 << "";
    QTest::newRow("the job's context") << "job_user"
                                       << "me"
                                       << "";
    QTest::newRow("no such parameter") << "epochs"
                                       << "2"
                                       << "no parameter 'epochs' (parameters: experiment_name, image_path, job_user, "
                                          "model_name)";
}

void tst_Databricks::importParameters()
{
    QFETCH(QString, name);
    QFETCH(QString, value);
    QFETCH(QString, error);
    pipeline::DatabricksImportOptions options;
    options.parameters.emplace_back(name.toStdString(), value.toStdString());
    try {
        const auto imported = pipeline::importDatabricks(sampleJob("seed_training_create.json"), options);
        QVERIFY2(error.isEmpty(), "no exception");
        QVERIFY2(imported.errors.empty(), qPrintable(joined(imported.notes)));
        const auto &params = imported.pipeline.parameters;
        const auto it = std::find_if(params.begin(), params.end(),
                                     [&](const auto &pv) { return pv.first == name.toStdString(); });
        QVERIFY(it != params.end());
        QCOMPARE(QString::fromStdString(it->second), value);
        QCOMPARE(params.size(), std::size_t(4)); // set, never added
        const std::string note = "job: parameters." + name.toStdString() + " = '" + value.toStdString()
                                 + "' (set on import)";
        QVERIFY2(!noteWith(imported.notes, {note.c_str()}).empty(), qPrintable(joined(imported.notes)));
    } catch (const std::invalid_argument &e) {
        QVERIFY2(!error.isEmpty(), e.what());
        QVERIFY2(QString(e.what()).contains(error), e.what());
    }
}

// Well-known notebook parameters in other jobs than the seed's: what they become, and when not to lift.
void tst_Databricks::liftedNotebookParameters_data()
{
    QTest::addColumn<QByteArray>("tasks"); // the job's tasks array
    QTest::addColumn<QStringList>("params"); // KEY=compact params JSON
    QTest::addColumn<QStringList>("parameters"); // NAME=DEFAULT in the pipeline's order, after the job's own "p"

    QTest::newRow("epochs, learning rate and a threshold")
        << QByteArray(R"([{"task_key": "fit", "notebook_task": {"notebook_path": "/Repos/ml/train",
                          "base_parameters": {"num_epochs": "3", "learning_rate": "0.01"}}},
                         {"task_key": "s", "depends_on": [{"task_key": "fit"}], "notebook_task": {
                          "notebook_path": "/Repos/ml/score", "base_parameters": {"confidence_threshold": "0.8",
                          "registered_model_name": "flowers"}}}])")
        << QStringList{R"(fit={"epochs":"{{params.num_epochs}}","lr":"{{params.learning_rate}}"})",
                       R"(s={"model":"{{params.registered_model_name}}@Production","threshold":"{{params.confidence_threshold}}"})"}
        << QStringList{"learning_rate=0.01", "num_epochs=3", "confidence_threshold=0.8",
                       "registered_model_name=flowers"};
    QTest::newRow("a job parameter reference is used, not lifted")
        << QByteArray(R"([{"task_key": "load", "notebook_task": {"notebook_path": "/Repos/ml/load",
                          "base_parameters": {"image_path": "{{job.parameters.p}}"}}}])")
        << QStringList{R"(load={"source":"{{params.p}}"})"} << QStringList{};
    QTest::newRow("different values in two tasks: a parameter each")
        << QByteArray(R"([{"task_key": "load_a", "notebook_task": {"notebook_path": "/Repos/ml/load",
                          "base_parameters": {"image_path": "/data/a", "table_name": "a"}}},
                         {"task_key": "load_b", "notebook_task": {"notebook_path": "/Repos/ml/load",
                          "base_parameters": {"image_path": "/data/b", "table_name": "a"}}}])")
        << QStringList{R"(load_a={"source":"{{params.image_path}}","table":"{{params.table_name}}"})",
                       R"(load_b={"source":"{{params.image_path_load_b}}","table":"{{params.table_name}}"})"}
        << QStringList{"image_path=/data/a", "table_name=a", "image_path_load_b=/data/b"};
    QTest::newRow("a value the task sets itself is kept")
        << QByteArray(R"([{"task_key": "load", "notebook_task": {"notebook_path": "/Repos/ml/load",
                          "base_parameters": {"image_path": "/data/x", "source": "/data/own"}}}])")
        << QStringList{R"(load={"source":"/data/own"})"} << QStringList{"image_path=/data/x"};
    QTest::newRow("promote after register: wired, stage a default")
        << QByteArray(R"([{"task_key": "reg", "notebook_task": {"notebook_path": "/Repos/ml/register",
                          "base_parameters": {"model_name": "m"}}},
                         {"task_key": "go", "depends_on": [{"task_key": "reg"}], "notebook_task": {
                          "notebook_path": "/Repos/ml/promote"}}])")
        << QStringList{R"(reg={"name":"{{params.model_name}}"})",
                       R"(go={"name":"{{tasks.reg.name}}","stage":"{{params.stage}}","version":"{{tasks.reg.version}}"})"}
        << QStringList{"model_name=m", "stage=Staging"};
    QTest::newRow("what export writes is read as it is")
        << QByteArray(R"([{"task_key": "r", "notebook_task": {"notebook_path": "/Pipewright/review-export",
                          "base_parameters": {"file": "x.csv"}}}])")
        << QStringList{R"(r={"file":"x.csv"})"} << QStringList{};
}

void tst_Databricks::liftedNotebookParameters()
{
    QFETCH(QByteArray, tasks);
    QFETCH(QStringList, params);
    QFETCH(QStringList, parameters);
    const QByteArray job = R"({"name": "j", "parameters": [{"name": "p", "default": "v"}], "tasks": )" + tasks + "}";
    const auto imported = pipeline::importDatabricks(job);
    for (const QString &kv : params) {
        const pipeline::Task *t = imported.pipeline.task(kv.section('=', 0, 0).toStdString());
        QVERIFY2(t, qPrintable(kv));
        QCOMPARE(QString::fromUtf8(compact(t->params)), kv.section('=', 1));
    }
    QStringList got;
    for (const auto &[name, value] : imported.pipeline.parameters)
        got << QString::fromStdString(name + "=" + value);
    QCOMPARE(got, QStringList{"p=v"} + parameters);
}

// Export keeps what an imported seed job means: task keys, their order, dependencies, parameters.
void tst_Databricks::seedJobsRoundTrip_data()
{
    QTest::addColumn<QByteArray>("json");
    QTest::addColumn<QString>("key"); // a task whose base parameters are checked
    QTest::addColumn<QByteArray>("baseParameters");

    QTest::newRow("training") << sampleJob("seed_training_create.json") << "Register_Model"
                              << QByteArray(R"({"name":"{{job.parameters.model_name}}",)"
                                            R"("run":"{{tasks.Train_Images.values.run_id}}"})");
    QTest::newRow("scoring") << sampleJob("seed_scoring_get.json") << "Score_Images"
                             << QByteArray(R"({"model":"{{job.parameters.model_name}}@Production",)"
                                           R"("table":"{{tasks.Load_New_Images.values.table}}"})");
}

void tst_Databricks::seedJobsRoundTrip()
{
    QFETCH(QByteArray, json);
    QFETCH(QString, key);
    QFETCH(QByteArray, baseParameters);
    const QJsonObject original = QJsonDocument::fromJson(json).object();
    const QJsonObject settings = original.contains("settings") ? original.value("settings").toObject() : original;
    const auto imported = pipeline::importDatabricks(json);
    QVERIFY2(imported.errors.empty(), qPrintable(joined(imported.notes)));

    std::vector<std::string> exportNotes;
    const QJsonObject job = pipeline::exportDatabricks(imported.pipeline, &exportNotes);
    QVERIFY2(exportNotes.empty(), qPrintable(joined(exportNotes)));
    QCOMPARE(job.value("name"), settings.value("name"));
    // The tasks, in the job's order, with the job's dependencies.
    const QJsonArray before = settings.value("tasks").toArray(), after = job.value("tasks").toArray();
    QCOMPARE(after.size(), before.size());
    for (qsizetype i = 0; i < before.size(); ++i) {
        QCOMPARE(after[i].toObject().value("task_key"), before[i].toObject().value("task_key"));
        QCOMPARE(compact(after[i].toObject().value("depends_on").toArray()),
                 compact(before[i].toObject().value("depends_on").toArray()));
    }
    // Parameters as base parameters referring to job parameters, which hold the values.
    for (const QJsonValue &t : after) {
        if (t.toObject().value("task_key").toString() == key)
            QCOMPARE(compact(t.toObject().value("notebook_task").toObject().value("base_parameters")), baseParameters);
    }
    QJsonObject jobParameters;
    for (const QJsonValue &v : job.value("parameters").toArray())
        jobParameters.insert(v.toObject().value("name").toString(), v.toObject().value("default"));
    QCOMPARE(jobParameters.value("model_name").toString(), QString("image-classifier"));
    QCOMPARE(jobParameters.value("experiment_name").toString(), QString("/Users/someone@example.com/image-classifier"));
    QVERIFY(jobParameters.value("image_path").toString().startsWith("/dbfs/mnt/images/"));
    QCOMPARE(jobParameters.size(), qsizetype(imported.pipeline.parameters.size()));

    // And back: the same pipeline, with nothing to report.
    const auto back = pipeline::importDatabricks(QJsonDocument(job).toJson());
    QVERIFY2(back.notes.empty(), qPrintable(joined(back.notes)));
    QCOMPARE(pipeline::toJson(back.pipeline), pipeline::toJson(imported.pipeline));
}

void tst_Databricks::baseParameterKinds()
{
    // Databricks passes strings: each becomes its parameter's kind when it reads as one, and stays a string
    // (reported by validation) when it does not.
    const QByteArray task = R"({"task_key": "t", "notebook_task": {"notebook_path": "/Repos/ml/02_train",
        "base_parameters": {"epochs": "12", "lr": "3e-4", "batch_size": "sixty-four", "seed": "{{job.parameters.p}}",
                            "val_fraction": " 0.2 ", "device": "cuda", "image_size": "2.5"}}})";
    const auto imported = pipeline::importDatabricks(oneTaskJob(task));
    QCOMPARE(imported.pipeline.tasks.at(0).params, (QJsonObject{{"batch_size", "sixty-four"},
                                                                {"device", "cuda"},
                                                                {"epochs", 12},
                                                                {"image_size", "2.5"},
                                                                {"lr", 3e-4},
                                                                {"seed", "{{params.p}}"},
                                                                {"val_fraction", 0.2}}));
    QCOMPARE(imported.errors.size(), std::size_t(2));
    QVERIFY(!noteWith(imported.notes, {"invalid: task 't': params.batch_size: must be a whole number"}).empty());
    QVERIFY(!noteWith(imported.notes, {"invalid: task 't': params.image_size: must be a whole number"}).empty());

    const QByteArray promote = R"({"task_key": "t", "notebook_task": {"notebook_path": "/Pipewright/promote",
        "base_parameters": {"name": "m", "version": "4", "stage": "Staging", "archive_existing": "True",
                            "keep_existing": "no"}}})";
    const auto p2 = pipeline::importDatabricks(oneTaskJob(promote));
    QCOMPARE(compact(p2.pipeline.tasks.at(0).params),
             QByteArray(R"({"archive_existing":true,"keep_existing":"no","name":"m","stage":"Staging","version":4})"));
    QCOMPARE(p2.errors.size(), std::size_t(1));
    QCOMPARE(p2.errors[0].field, std::string("params.keep_existing"));
}

void tst_Databricks::references_data()
{
    QTest::addColumn<QString>("pipewright");
    QTest::addColumn<QString>("databricks");
    QTest::addColumn<QStringList>("untranslated"); // on the way in

    QTest::newRow("job parameter") << "{{params.epochs}}"
                                   << "{{job.parameters.epochs}}" << QStringList{};
    QTest::newRow("task value") << "v{{tasks.train.run_id}}w"
                                << "v{{tasks.train.values.run_id}}w" << QStringList{};
    QTest::newRow("run id and name") << "run {{run.id}} of {{run.name}}"
                                     << "run {{job.run_id}} of {{job.name}}" << QStringList{};
    QTest::newRow("several in one string")
        << "{{params.a}}/{{params.b}}-{{tasks.k.o}}"
        << "{{job.parameters.a}}/{{job.parameters.b}}-{{tasks.k.values.o}}" << QStringList{};
    QTest::newRow("plain text") << "no references {here}"
                                << "no references {here}" << QStringList{};
    QTest::newRow("Databricks-only values stay as written")
        << "{{job.start_time.iso_date}} {{tasks.train.result_state}} {{job.id}}"
        << "{{job.start_time.iso_date}} {{tasks.train.result_state}} {{job.id}}"
        << QStringList{"{{job.start_time.iso_date}}", "{{tasks.train.result_state}}", "{{job.id}}"};
}

void tst_Databricks::references()
{
    QFETCH(QString, pipewright);
    QFETCH(QString, databricks);
    QFETCH(QStringList, untranslated);
    std::vector<std::string> left;
    QCOMPARE(QString::fromStdString(pipeline::fromDatabricksReferences(databricks.toStdString(), &left)), pipewright);
    QStringList leftList;
    for (const auto &l : left)
        leftList << QString::fromStdString(l);
    QCOMPARE(leftList, untranslated);
    if (untranslated.isEmpty())
        QCOMPARE(QString::fromStdString(pipeline::toDatabricksReferences(pipewright.toStdString())), databricks);
}

void tst_Databricks::classicCronExport_data()
{
    QTest::addColumn<QString>("cron");
    QTest::addColumn<QString>("quartz"); // empty: not expressible

    QTest::newRow("weekdays") << "30 2 * * 1-5"
                              << "0 30 2 ? * MON,TUE,WED,THU,FRI";
    QTest::newRow("sunday as 7") << "0 6 * * 7"
                                 << "0 0 6 ? * SUN";
    QTest::newRow("day of month") << "0 4 1,15 * *"
                                  << "0 0 4 1,15 * ?";
    QTest::newRow("every quarter hour") << "*/15 * * * *"
                                        << "0 */15 * * * ?";
    QTest::newRow("macro") << "@daily"
                           << "0 0 0 * * ?";
    QTest::newRow("months by name") << "0 9 * JAN-MAR MON"
                                    << "0 0 9 ? JAN-MAR MON";
    QTest::newRow("both day fields (Vixie's OR)") << "0 0 1 * 1"
                                                  << "";
}

void tst_Databricks::classicCronExport()
{
    QFETCH(QString, cron);
    QFETCH(QString, quartz);
    pipeline::Pipeline p = parse(readFile(PIPEWRIGHT_SOURCE_DIR "/resources/pipelines/training.json"));
    p.schedule = pipeline::ScheduleSpec{cron.toStdString(), /*quartz=*/false, "Europe/Berlin", false};
    std::vector<std::string> notes;
    const QJsonObject job = pipeline::exportDatabricks(p, &notes);
    QCOMPARE(notes.size(), std::size_t(1));
    const QJsonObject schedule = job.value("schedule").toObject();
    QCOMPARE(schedule.value("quartz_cron_expression").toString(), quartz);
    if (quartz.isEmpty()) {
        QVERIFY(!job.contains("schedule"));
        QVERIFY2(notes[0].find("not exported") != std::string::npos, notes[0].c_str());
        return;
    }
    QCOMPARE(schedule.value("timezone_id").toString(), QString("Europe/Berlin"));
    // The same fire times, across a year's worth of them.
    const QTimeZone tz = pipeline::timeZone("Europe/Berlin");
    const QDateTime from(QDate(2025, 1, 1), QTime(0, 0), tz);
    const auto classic = pipeline::nextFireTimes(pipeline::parseCron(cron.toStdString(), false), from, tz, 400);
    const auto converted = pipeline::nextFireTimes(pipeline::parseCron(quartz.toStdString(), true), from, tz, 400);
    QCOMPARE(converted, classic);
}

void tst_Databricks::layoutTags()
{
    // Enough tasks with long keys that the layout spans several tags, each within Databricks' limits.
    pipeline::Pipeline p = parse(readFile(PIPEWRIGHT_SOURCE_DIR "/resources/pipelines/scoring.json"));
    for (int i = 0; i < 40; ++i) {
        const std::string key = "a_rather_long_task_key_for_the_layout_" + std::to_string(i);
        p.tasks.push_back(shellTask(key));
        p.layout[key] = {i * 240.25, -i * 1.5};
    }
    std::vector<std::string> notes;
    const QJsonObject job = pipeline::exportDatabricks(p, &notes);
    QVERIFY2(notes.empty(), qPrintable(joined(notes)));
    const QJsonObject tags = job.value("tags").toObject();
    QVERIFY(tags.size() > 3);
    QVERIFY(tags.size() <= 25);
    for (const QJsonValue &v : tags)
        QVERIFY(v.toString().size() <= 255);
    QVERIFY(tags.contains("pipewright.layout.2"));
    const auto imported = pipeline::importDatabricks(QJsonDocument(job).toJson());
    QVERIFY2(imported.notes.empty(), qPrintable(joined(imported.notes)));
    QCOMPARE(pipeline::toJson(imported.pipeline), pipeline::toJson(p));

    // A layout that needs more than 25 tags is left out, with a note; the rest still round trips.
    for (int i = 40; i < 400; ++i) {
        const std::string key = "a_rather_long_task_key_for_the_layout_" + std::to_string(i);
        p.tasks.push_back(shellTask(key));
        p.layout[key] = {double(i), double(i)};
    }
    notes.clear();
    const QJsonObject big = pipeline::exportDatabricks(p, &notes);
    QCOMPARE(notes.size(), std::size_t(1));
    QVERIFY2(notes[0].find("layout not exported") != std::string::npos, notes[0].c_str());
    QCOMPARE(big.value("tags").toObject().size(), 1);
    auto again = pipeline::importDatabricks(QJsonDocument(big).toJson()).pipeline;
    QVERIFY(again.layout.empty());
    again.layout = p.layout;
    QCOMPARE(pipeline::toJson(again), pipeline::toJson(p));
}

void tst_Databricks::errors_data()
{
    QTest::addColumn<QByteArray>("json");
    QTest::addColumn<QString>("mentions");

    QTest::newRow("malformed JSON: line and column")
        << QByteArray("{\n  \"name\": \"x\",\n  \"tasks\": [,]\n}") << "malformed JSON at line 3, column";
    QTest::newRow("truncated") << QByteArray("{\"name\": \"x\", \"tasks\": [") << "malformed JSON at line 1";
    QTest::newRow("an array") << QByteArray("[{\"name\": \"x\"}]") << "not a Databricks job";
    QTest::newRow("neither shape") << QByteArray(R"({"name": "x", "max_concurrent_runs": 1})")
                                   << "expected a Jobs 2.1 create payload";
    QTest::newRow("a Pipewright pipeline file") << readFile(PIPEWRIGHT_SOURCE_DIR "/resources/pipelines/training.json")
                                                << "a Pipewright pipeline file, not a Databricks job";
    QTest::newRow("tasks not an array") << QByteArray(R"({"name": "x", "tasks": {"a": 1}})")
                                        << "'tasks' must be an array";
    QTest::newRow("jobs/list response") << QByteArray(R"({"jobs": [{"job_id": 1}, {"job_id": 2}], "has_more": false})")
                                        << "jobs/list response with 2 jobs";
    QTest::newRow("jobs/get without tasks")
        << QByteArray(R"({"job_id": 7, "settings": {"name": "x"}})") << "Databricks job 7: settings.tasks is missing";
    QTest::newRow("Jobs 2.0 single task")
        << QByteArray(R"({"name": "x", "notebook_task": {"notebook_path": "/a"}, "existing_cluster_id": "c"})")
        << "Jobs API 2.0 single-task job";
    QTest::newRow("duplicate key") << QByteArray(R"({"name": "x", "tasks": [{"task_key": "a", "task_key": "b"}]})")
                                   << "line 1, column 43: duplicate key 'task_key' in tasks[0]";
}

void tst_Databricks::errors()
{
    QFETCH(QByteArray, json);
    QFETCH(QString, mentions);
    try {
        pipeline::importDatabricks(json);
        QFAIL("no exception");
    } catch (const std::runtime_error &e) {
        QVERIFY2(QString(e.what()).contains(mentions), e.what());
    }
}

void tst_Databricks::controlCharactersRefused_data()
{
    // A job's names reach unit files and crontab lines once imported: the shared validation refuses control
    // characters in them, and names them escaped.
    QTest::addColumn<QByteArray>("job");
    QTest::addColumn<QString>("field");
    const QByteArray task = R"({"task_key": "t", "notebook_task": {"notebook_path": "/Repos/ml/02_train"}})";
    QTest::newRow("job name with newlines")
        << QByteArray(R"({"name": "nightly\n[Service]\nExecStartPre=/bin/touch /tmp/x", "tasks": [)" + task + "]}")
        << "name";
    QTest::newRow("task key with a newline")
        << oneTaskJob(R"({"task_key": "t\nx", "notebook_task": {"notebook_path": "/Repos/ml/02_train"}})")
        << "task_key";
    QTest::newRow("job parameter with an escape character")
        << QByteArray(R"({"name": "j", "parameters": [{"name": "p\u001b", "default": "v"}], "tasks": [)" + task + "]}")
        << "parameters.p\\x1b";
}

void tst_Databricks::controlCharactersRefused()
{
    QFETCH(QByteArray, job);
    QFETCH(QString, field);
    const auto imported = pipeline::importDatabricks(job);
    const auto found = std::find_if(
        imported.errors.begin(), imported.errors.end(),
        [&](const pipeline::ValidationError &e) { return QString::fromStdString(e.field) == field; });
    QVERIFY2(found != imported.errors.end(),
             qPrintable(QString::fromStdString(imported.notes.empty() ? "" : imported.notes.back())));
    // Shown escaped ("\n", "\x1b"), never raw.
    QVERIFY2(QString::fromStdString(found->message).contains(QRegularExpression(R"(\\(n|x1b))")),
             found->message.c_str());
    QVERIFY2(QString::fromStdString(pipeline::errorText(*found)).indexOf('\n') < 0, found->message.c_str());
}

QTEST_GUILESS_MAIN(tst_Databricks)
#include "tst_databricks.moc"
