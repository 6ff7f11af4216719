// The CLI: argument parsing, JSON output, progress on stderr, exit codes (0 ok, 1 failure, 2 usage).
#include "app/cli/Cli.h"
#include "app/cli/CliRequest.h"
#include "app/cli/CliSupport.h"

#include "core/catalog/Catalog.h"
#include "core/compute/Training.h"
#include "core/track/Tracker.h"
#include "core/train/ModelZoo.h"
#include "core/data/FashionMnist.h"
#include "core/demo/Demo.h"
#include "core/pipeline/Pipeline.h"
#include "core/ingest/Ingestor.h"
#include "core/store/Database.h"
#include "core/store/Workspace.h"

#include <QCommandLineParser>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>

#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <functional>
#include <iostream>
#include <cstring>
#include <map>
#include <optional>
#include <set>

#include <unistd.h>

namespace pw::cli {

std::atomic<bool> g_cancel{false};

namespace {

void onSignal(int)
{
    g_cancel.store(true);
}

struct Command
{
    const char *name;
    const char *synopsis;
    const char *description;
};

const std::vector<Command> &commands()
{
    static const std::vector<Command> list = {
        {"ingest", "pipewright ingest SOURCE [--table NAME] [--glob PATTERN] [--labels caltech|folder|none] "
                   "[--max-megapixels N] [--commit-every N] [--threads N]",
         "Discovers image files under the folder SOURCE (recursively) and appends the new and changed ones to\n"
         "a catalog table as one new catalog version (like Auto Loader's \"available now\" trigger). A rerun\n"
         "reads only files that are new or whose size or modification time changed; a changed file becomes a\n"
         "new version of its row and is counted as updated.\n\n"
         "Every file is decoded to validate it; its width, height, channels, format, SHA-256 content hash and\n"
         "a thumbnail (<= 256 px) are recorded. A file that cannot be used is recorded as rejected with its\n"
         "reason (empty file, not an image, truncated or corrupt, dimensions over --max-megapixels, unreadable)\n"
         "and never stops the batch. Interrupted runs (Ctrl-C, kill -9, a crash) keep every committed batch;\n"
         "rerunning the same ingest finishes the version with exact counts.\n\n"
         "  --table NAME           catalog table (default: images)\n"
         "  --glob PATTERN         file filter (fnmatch); without '/' it matches file names, with '/' the path\n"
         "                         under SOURCE. Default: png, jpg, jpeg, bmp, tif, tiff, webp in any case\n"
         "  --labels RULE          caltech (default): top folder NNN.name gives label id NNN and name \"name\";\n"
         "                         folder: the top folder's name is the label; none: unlabeled\n"
         "  --max-megapixels N     reject images larger than N megapixels, read from the header before any\n"
         "                         decoding (default: 100)\n"
         "  --commit-every N       files per committed batch (default: 2000)\n"
         "  --threads N            decoding threads (default: one per core)\n\n"
         "JSON: {\"version\", \"discovered\", \"added\", \"updated\", \"unchanged\", \"rejected\", \"resumed\",\n"
         "       \"warnings\", \"rejected_files\": [{\"path\", \"reason\"}]}"},
        {"catalog", "pipewright catalog history|stats|rejected [options]",
         "Reads the versioned image catalog.\n\n"
         "  catalog history [--limit N]\n"
         "      The catalog versions, newest first (like DESCRIBE HISTORY).\n"
         "      JSON: [{\"version\", \"timestamp\", \"operation\", \"parameters\", \"metrics\"}]\n"
         "  catalog stats [--table NAME] [--as-of-version V]\n"
         "      Image counts of a table (all tables without --table) at the latest or a past version.\n"
         "      JSON: {\"version\", \"images\", \"labeled\", \"unlabeled\", \"rejected\", \"labels\": {name: count}}\n"
         "  catalog rejected [--table NAME] [--as-of-version V]\n"
         "      The rejected files and why. JSON: [{\"table\", \"path\", \"reason\"}]"},
        {"demo-data", "pipewright demo-data fashion-mnist --out DIR [--split train|test] [--limit N]",
         "Converts Debian's Fashion-MNIST (package dataset-fashion-mnist, /usr/share/datasets/fashion-mnist)\n"
         "into PNG files in Caltech layout: DIR/000.t-shirt_top/00000.png ... DIR/009.ankle_boot/...\n\n"
         "  --split train|test     which split (default: train; 60,000 and 10,000 images)\n"
         "  --limit N              only the first N images of the split\n\n"
         "JSON: {\"dataset\", \"split\", \"out\", \"images\", \"classes\"}"},
        {"demo", "pipewright demo DIR [--with-model] [--epochs N] [--limit N]",
         "Creates (or completes) a demo workspace in DIR: the Fashion-MNIST train split ingested as table\n"
         "\"fashion\" and the test split as \"fashion-test\" (PNG files under DIR/data/), and the sample pipelines\n"
         "DIR/pipelines/training.json (ingest, train, register, promote to Staging) and scoring.json (ingest the\n"
         "new images of DIR/data/incoming, score them with fashion@Production, export the unsure ones for\n"
         "labeling). Rerunning is cheap and keeps edited pipeline files.\n\n"
         "  --with-model           also train small-cnn on \"fashion\" (experiment demo), register it as model\n"
         "                         \"fashion\" in Production (skipped when it has a Production version), ingest\n"
         "                         2,000 test images as new unlabeled ones (DIR/data/incoming-demo) and score\n"
         "                         them, so the review queue has entries\n"
         "  --epochs N             training epochs with --with-model (default: 3)\n"
         "  --limit N              only the first N images of each split (and at most N new ones): a quick demo\n\n"
         "JSON: {\"workspace\", \"tables\": {NAME: ingest result}, \"pipelines\": [FILE]}, and with --with-model\n"
         "       \"model\": {\"name\", \"version\", \"stage\", \"run_id\", \"trained\", \"incoming\", \"scored\",\n"
         "       \"queued_for_review\"}"},
        {"train", "pipewright train [--table T] [--experiment NAME] [--model NAME] [--epochs N] [--batch-size B] [--lr X] "
                  "[--optimizer adam|sgd] [--image-size S] [--val-fraction F] [--seed S] [--device auto|cpu|cuda] "
                  "[--precision auto|fp32|bf16] [--as-of-version V] [--name RUN_NAME] [--target NAME]",
         "Trains a classifier on the labeled images of a table (default: images) at a catalog version (default:\n"
         "the latest), as a tracked run of an experiment (default: Default). The images are materialised once into\n"
         "shards (NumPy arrays, cached under the workspace's shards/ folder, split into train and validation by\n"
         "content hash), then pipewright-worker trains in its own process; every metric it reports is logged with\n"
         "the run. Progress (epoch, loss, accuracy, images/s, ETA) goes to stderr. Ctrl-C or SIGTERM stops the\n"
         "worker after the current batch and ends the run KILLED.\n\n"
         "  --model NAME           the network (default: small-cnn), see below\n"
         "  --epochs N             default: the model's (small-cnn: 7; early stopping on validation loss)\n"
         "  --batch-size B         default: the model's (small-cnn: 128)\n"
         "  --lr X                 peak learning rate of the one-cycle schedule (default: the model's)\n"
         "  --optimizer adam|sgd   AdamW (default) or SGD with Nesterov momentum 0.9\n"
         "  --image-size S         images are resized to S x S (default: the model's input size)\n"
         "  --val-fraction F       share held out for validation, by content hash (default: 0.1)\n"
         "  --seed S               seeds initialisation, shuffling and augmentation (default: 42)\n"
         "  --device D             auto (CUDA when this libtorch has it), cpu or cuda\n"
         "  --precision P          auto (bf16 where the CPU has AVX512_BF16/AMX or on a GPU, else fp32), fp32, bf16\n"
         "  --target NAME          the compute target (default: local; see `pipewright help targets`): on an SSH\n"
         "                         host the shard is copied there once, the worker runs there and its events\n"
         "                         stream back; the model and logs come back at the end\n\n"
         "Models:\n"
         "MODELS"
         "\nJSON: {\"run_id\", \"status\", \"data_version\", \"epochs\", \"metrics\": {\"val_accuracy\", \"val_loss\",\n"
         "       \"train_loss\"}, \"images_per_second\", \"message\", \"seconds\"}. Exit 1 when the run did not finish."},
        {"runs", "pipewright runs list [--experiment NAME] | runs show RUN | runs compare RUN RUN... | runs tag RUN KEY VALUE | "
                 "runs note RUN TEXT | runs attach RUN",
         "The tracked runs (RUN: a run id or a unique prefix of at least 4 characters).\n\n"
         "  runs list [--experiment NAME]\n"
         "      JSON: [{\"run_id\", \"experiment\", \"name\", \"status\", \"start\", \"end\", \"table\", \"data_version\",\n"
         "             \"metrics\": {key: last value}}], newest first\n"
         "  runs show RUN\n"
         "      JSON: {\"run_id\", \"status\", \"params\", \"metrics\": {key: last value}, \"history\": {key: [{\"step\",\n"
         "             \"epoch\", \"value\", \"timestamp\"}]}, \"data_version\", \"artifacts\", ...}\n"
         "  runs compare RUN RUN...\n"
         "      JSON: {\"runs\": [ids], \"params\": {key: [value per run]} (only params that differ),\n"
         "             \"metrics\": {key: [last value per run]}}\n"
         "  runs tag RUN KEY VALUE\n"
         "      sets a tag of the run (keys starting with pipewright. or mlflow. are Pipewright's own and refused)\n"
         "  runs note RUN TEXT\n"
         "      sets the run's note (the tag mlflow.note.content, as MLflow keeps it)\n"
         "  runs attach RUN\n"
         "      follows a remote training run (train --target) whose pipewright process ended while its worker\n"
         "      went on: its events from the start (each metric logged once), then the model and logs; the run\n"
         "      ends as the worker did. JSON: as `train`"},
        {"evaluate", "pipewright evaluate --run RUN --table T [--as-of-version V]",
         "Evaluates a run's model on the labeled images of a table (matched to the model's classes by name):\n"
         "accuracy, per-class accuracy and the confusion matrix (rows: true class, columns: predicted, in the\n"
         "model's class order). The result is stored with the run as an artifact and logged as the metric\n"
         "eval_<table>_accuracy.\n\n"
         "JSON: {\"accuracy\", \"per_class\": {name: accuracy}, \"confusion\": [[...]], \"classes\", \"images\", \"skipped\",\n"
         "       \"run_id\", \"table\", \"data_version\"}"},
        {"models", "pipewright models register|list|transition|history|alias ...",
         "The model registry: numbered versions of a named model, each copied from a FINISHED training run, in\n"
         "stages None, Staging, Production or Archived (MLflow's names), with an audit trail and aliases.\n\n"
         "  models register --run RUN --name NAME [--description TEXT]\n"
         "      Registers the run's model as the next version of NAME (stage None). The model file and classes are\n"
         "      copied under artifacts/registry/NAME/vN/. NAME: letters, digits, '.', '_', '-'.\n"
         "      JSON: {\"name\", \"version\", \"stage\", \"run_id\", ...}\n"
         "  models list [NAME]\n"
         "      JSON: [{\"name\", \"version\", \"stage\", \"run_id\", \"aliases\", \"created\", ...}]\n"
         "  models transition NAME VERSION STAGE [--archive-existing|--keep-existing] [--comment TEXT]\n"
         "                    [--gate-table T]\n"
         "      Moves a version to STAGE. Into Production it archives the current Production version (at most one\n"
         "      version is ever in Production; --keep-existing refuses instead); into Staging it keeps the other\n"
         "      Staging versions unless --archive-existing. Every change is recorded with who ($USER), when and the\n"
         "      comment. --gate-table T evaluates the candidate and the current Production version on the labeled\n"
         "      images of table T at the same catalog version and refuses (exit 1) when the candidate is less\n"
         "      accurate, printing both accuracies.\n"
         "      JSON: the version, with \"transitions\": [{\"version\", \"from\", \"to\", ...}] and \"gate\"\n"
         "  models history NAME\n"
         "      JSON: [{\"version\", \"from\", \"to\", \"at\", \"by\", \"comment\"}], oldest first\n"
         "  models alias NAME ALIAS VERSION   |   models alias NAME ALIAS --delete\n"
         "      Points NAME@ALIAS at a version (like MLflow's aliases, e.g. champion).\n\n"
         "Model references (score --model, ...): NAME@Production, NAME@Staging, NAME@ALIAS, NAME:VERSION, NAME:latest."},
        {"score", "pipewright score --model REF [--table T] [--threshold X] [--review-fraction F] [--seed S] [--rescore] "
                  "[--target NAME]",
         "Scores the images of a table (default: images) that have no prediction from the model version REF resolves\n"
         "to (--rescore: all of them), and MERGEs the predictions into the catalog by image, as one new catalog\n"
         "version (MERGE PREDICTIONS): predicted label, confidence (top-1 probability), top-5 labels with\n"
         "probabilities, model name and version. A rerun updates, never duplicates. Images whose confidence is below\n"
         "the threshold (default 0.95) and that no person has labeled enter the review queue, least confident first;\n"
         "--review-fraction F queues only a seeded sample of them (--seed, default 42). Unreadable images are\n"
         "reported and left out; they never stop the batch. --target NAME runs the model on a compute target (the\n"
         "decoded images and the model file are copied there; the probabilities come back).\n\n"
         "JSON: {\"version\", \"model_version\", \"scored\", \"skipped\" (already scored), \"failed\", \"failures\",\n"
         "       \"queued_for_review\", \"model\", \"inserted\", \"updated\", \"wrote_version\", \"seconds\"}"},
        {"predictions", "pipewright predictions export FILE.csv [--table T]",
         "Writes one CSV row per image of the table (default: images) with its most recent prediction:\n"
         "path, predicted_label, confidence, model, model_version, scored_at.\n\n"
         "JSON: {\"file\", \"table\", \"rows\"}"},
        {"review", "pipewright review list|label|accept|skip|commit|export|import ...",
         "The review queue: images a model was unsure of, for a person to label.\n\n"
         "  review list [--state pending|labeled|skipped] [--table T] [--limit N] [--all]\n"
         "      Open entries (--all: merged ones too), least confident first.\n"
         "      JSON: [{\"id\", \"path\", \"confidence\", \"predicted\", \"top5\", \"state\", \"label\", ...}]\n"
         "  review label ID|PATH LABEL     the label must be one of the scoring model's classes\n"
         "  review accept ID|PATH          labels the entry with its prediction\n"
         "  review skip ID|PATH            leaves it out of the merge until it is labeled\n"
         "  review commit [--table T]\n"
         "      Merges the labeled entries into the catalog as one new version (MERGE LABELS), label_source human\n"
         "      (import for imported labels): the next training run on the table learns from them.\n"
         "      JSON: {\"version\", \"labels_merged\", \"not_merged\": [{\"path\", \"reason\"}]}\n"
         "  review export --format csv|labelstudio FILE [--state S]\n"
         "      The pending entries (or those of --state) as CSV (id, table, path, predicted, confidence, top5, model,\n"
         "      label) or as Label Studio tasks with the model's prediction.\n"
         "  review import FILE\n"
         "      Labels from a CSV with a header naming 'label' and 'path' (or 'id') columns, or from a Label Studio\n"
         "      JSON export. Unknown paths and labels outside the model's classes are reported and skipped.\n"
         "      JSON: {\"format\", \"imported\", \"skipped\": [{\"where\", \"reason\"}]}"},
        {"pipeline", "pipewright pipeline validate|run|runs|show|repair|cancel|import-databricks|export-databricks ...",
         "Pipelines: DAGs of tasks in a JSON file (names after Databricks Jobs 2.1), run by the local executor.\n\n"
         "  pipeline validate FILE\n"
         "      Every problem at once (cycles, missing tasks, unknown types, bad parameters and references...).\n"
         "      JSON: {\"valid\", \"errors\": [{\"task_key\", \"field\", \"message\"}]}; exit 1 when invalid\n"
         "  pipeline run FILE [--param NAME=VALUE]... [--only KEY[,KEY]]... [--from KEY] [--to KEY]\n"
         "      Runs the tasks in dependency order, independent ones in parallel (max_parallel_tasks), each attempt\n"
         "      as its own process with its log under the workspace's logs/RUN_ID/; run_if, retries, timeouts.\n"
         "      --only runs just those tasks, --from a task and everything downstream, --to a task and everything\n"
         "      upstream; outputs of tasks left out come from their last successful run. Progress on stderr;\n"
         "      Ctrl-C cancels. JSON: {\"run_id\", \"result_state\", \"tasks\": [{\"task_key\", \"result_state\",\n"
         "      \"attempts\", \"duration_s\", \"outputs\"}], ...}; exit 1 when the run did not succeed\n"
         "  pipeline runs [FILE] [--limit N]       runs, newest first (of FILE's pipeline)\n"
         "  pipeline show RUN_ID                   tasks, attempts, log paths and outputs\n"
         "  pipeline repair RUN_ID                 reruns the failed tasks and everything downstream of them,\n"
         "                                         reusing the outputs of the tasks that succeeded\n"
         "  pipeline cancel RUN_ID                 cancels a run (from any process)\n"
         "  pipeline import-databricks JOB.json --out FILE [--map SUBSTRING=TYPE]... [--param NAME=VALUE]... [--force]\n"
         "      A Databricks Jobs 2.1 job (create payload or jobs/get response) as a pipeline: names, dependencies,\n"
         "      run_if, retries, timeouts, schedule, parameters, max_concurrent_runs. Notebook tasks become task types\n"
         "      by the first SUBSTRING of the notebook path they contain (--map first, then: prep/load/ingest ->\n"
         "      ingest, train, eval, regist, promot, scor, label/review -> review-export); everything not kept or\n"
         "      mapped is listed as a note, never dropped silently. Exit 1 when the result does not validate yet.\n"
         "      Notebook parameters such as image_path become pipeline parameters, what the DAG implies is wired, and\n"
         "      what is still missing gets a default parameter (see the notes) that --param NAME=VALUE sets.\n"
         "  pipeline export-databricks FILE --out JOB.json      (both refuse an existing --out FILE without --force)\n"
         "      The pipeline as a Jobs 2.1 create payload (tasks as notebooks /Pipewright/TYPE).\n\n"
         "Task types and their params (outputs in brackets; refer to them as {{tasks.KEY.OUTPUT}}, to pipeline\n"
         "parameters as {{params.NAME}}, to the run as {{run.id}}):\n"
         "TASKTYPES"},
        {"schedule", "pipewright schedule next|install|uninstall|pause|resume FILE [--count N] [--after TIME] [--method systemd|cron] [--dry-run]",
         "The schedule of a pipeline file: \"schedule\": {\"quartz_cron_expression\": \"0 30 2 * * ?\" (Quartz, 6-7 fields,\n"
         "as Databricks) or \"cron\": \"30 2 * * *\" (5 fields), \"timezone_id\": IANA name, \"pause_status\"}.\n\n"
         "  schedule next FILE [--count N] [--after TIME]\n"
         "      The next fire times in the schedule's time zone (daylight saving as Quartz: a time in the spring\n"
         "      gap does not fire that day; a time in the autumn overlap fires once).\n"
         "      JSON: {\"pipeline\", \"expression\", \"timezone_id\", \"paused\", \"next\": [TIME]}\n"
         "  schedule install FILE\n"
         "      Lets the operating system keep time: writes a systemd user timer and service (OnCalendar= in the\n"
         "      schedule's time zone) running `pipewright pipeline run FILE --workspace WS`, and enables it; where\n"
         "      there is no systemd user session, a crontab line (with CRON_TZ=, for crons that honour it); it\n"
         "      says so when cron is not installed. --method forces one; --dry-run prints what it would write and\n"
         "      run. JSON: {\"pipeline\", \"unit\", \"method\", \"action\", \"dry_run\", \"files\", \"commands\", \"warnings\"}\n"
         "  schedule uninstall FILE\n"
         "      Removes what install wrote.\n"
         "  schedule pause FILE | schedule resume FILE\n"
         "      Sets the schedule's \"pause_status\" in the file to PAUSED or UNPAUSED (the rest of the file kept as\n"
         "      it is; written atomically). The workbench and `pipewright scheduler` follow it; an installed timer or\n"
         "      crontab entry does not: uninstall it. JSON: {\"file\", \"pause_status\", \"pipeline\", \"changed\"}"},
        {"scheduler", "pipewright scheduler [--pipelines DIR] [--for SECONDS]",
         "Runs the schedules and file-arrival triggers of the pipelines in the workspace's pipelines/ folder (or\n"
         "DIR, which must exist) while it runs (the workbench does the same while it is open); it starts by listing\n"
         "each pipeline file it watches with its schedule (next fire, or PAUSED) and its file-arrival folder.\n"
         "A file-arrival trigger (\"trigger\": {\"file_arrival\": {\"path\": DIR, \"min_seconds_between_triggers\":\n"
         "N}}) starts the pipeline when new image files land under DIR, never twice for the same file. Edits to\n"
         "the pipeline files are picked up. Ctrl-C stops it (cancelling runs in progress); --for stops it after\n"
         "SECONDS, letting runs end."},
        {"targets", "pipewright targets add NAME ssh://[USER@]HOST[:PORT] --workdir DIR [--worker PATH] [--identity FILE] | "
                    "targets list | targets remove NAME | targets test NAME",
         "Compute targets: where pipewright-worker runs. \"local\" is always there; SSH hosts (a GPU box) are kept in\n"
         "the workspace and named by `train --target`, `score --target` and a pipeline task's \"target\". The system's\n"
         "OpenSSH client is used as you have it configured (keys, agent, ~/.ssh/config, known_hosts; set\n"
         "PIPEWRIGHT_SSH_CONFIG to use another config file). Host keys are always checked: an unknown or changed key\n"
         "refuses the connection and says how to accept the key. Nothing is ever asked interactively.\n\n"
         "  targets add NAME URL --workdir DIR [--worker PATH] [--identity FILE]\n"
         "      DIR: an absolute folder on the host (shards/, blobs/ and runs/ go there); --worker: the worker program\n"
         "      there (default: pipewright-worker on its PATH; a relative path is relative to DIR); --identity: a\n"
         "      private key for ssh -i. JSON: {\"name\", \"kind\", \"url\", \"host\", \"user\", \"port\", \"workdir\",\n"
         "      \"worker\", \"identity\", \"created_at\"}\n"
         "  targets list          JSON: [target], \"local\" first\n"
         "  targets remove NAME\n"
         "  targets test NAME     connects and runs `pipewright-worker info` there. JSON: {\"name\", \"reachable\",\n"
         "      \"worker\", \"torch\", \"cuda\", \"devices\": [...], \"seconds\"} and \"error\" when it fails (exit 1)\n\n"
         "A remote run: the shard (or model and images) is copied to DIR content-addressed, skipped when already\n"
         "there; the worker starts detached under DIR/runs/RUN_ID and writes its events to events.jsonl there,\n"
         "which stream back live; a dropped connection is reattached (PIPEWRIGHT_REATTACH_SECONDS, default 600);\n"
         "cancel stops the remote worker; the model file and logs come back into the run's artifacts."},
        {"help", "pipewright help [COMMAND]", "Shows the commands, or the documentation of one command."},
    };
    return list;
}

int cmdIngest(const QStringList &args)
{
    Context c("ingest", args);
    for (const char *o : {"table", "glob", "labels", "max-megapixels", "commit-every", "threads"})
        c.addValueOption(o, "VALUE");
    c.parse();
    c.expectPositional(1, 1, "SOURCE folder (pipewright ingest SOURCE)");
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

int cmdCatalog(const QStringList &args)
{
    Context c("catalog", args);
    for (const char *o : {"table", "as-of-version", "limit"})
        c.addValueOption(o, "VALUE");
    c.parse();
    c.expectPositional(1, 1, "catalog command: history, stats or rejected");
    const QString sub = c.positional().at(0);
    if (sub != "history" && sub != "stats" && sub != "rejected")
        throw UsageError{"unknown catalog command '" + sub + "' (expected history, stats or rejected)"};
    const std::string table = c.value("table").toStdString();
    std::optional<std::int64_t> asOf;
    if (c.isSet("as-of-version"))
        asOf = c.intValue("as-of-version", 0, 0);
    const auto ws = store::Workspace::open(c.workspaceRoot());
    auto db = ws.openCatalog();
    catalog::Catalog cat(*db);

    if (sub == "history") {
        const auto history = cat.history(int(c.intValue("limit", -1, 1)));
        QJsonArray arr;
        for (const auto &v : history) {
            arr.append(QJsonObject{
                {"version", qint64(v.version)},
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
    if (sub == "stats") {
        const auto s = cat.stats(table, asOf);
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
            std::cout << (table.empty() ? std::string("all tables") : "table " + table) << " as of version "
                      << s.version << ": " << s.images << " images (" << s.labeled << " labeled, " << s.unlabeled
                      << " unlabeled), " << s.rejected << " rejected\n";
            for (const auto &[name, n] : s.labels)
                std::cout << "  " << name << ": " << n << "\n";
        }
        return kSuccess;
    }
    if (sub == "rejected") {
        const auto files = cat.rejected(table, asOf);
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
    throw UsageError{"unknown catalog command '" + sub + "' (expected history, stats or rejected)"};
}

int cmdDemoData(const QStringList &args)
{
    Context c("demo-data", args);
    for (const char *o : {"out", "split", "limit"})
        c.addValueOption(o, "VALUE");
    c.parse();
    c.expectPositional(1, 1, "data set name (pipewright demo-data fashion-mnist --out DIR)");
    if (c.positional().at(0) != "fashion-mnist")
        throw UsageError{"unknown data set '" + c.positional().at(0) + "' (available: fashion-mnist)"};
    if (!c.isSet("out"))
        throw UsageError{"missing --out DIR"};
    const QString split = c.isSet("split") ? c.value("split") : "train";
    if (split != "train" && split != "test")
        throw UsageError{"--split: '" + split + "' is not train or test"};
    const long long limit = c.intValue("limit", -1, 0);
    const std::string out = QDir(c.value("out")).absolutePath().toStdString();
    ProgressPrinter printer("fashion-mnist " + split.toStdString());
    const auto n = data::writeFashionMnist(out, split.toStdString(), limit, data::kFashionMnistDir,
                                           [&](std::int64_t done, std::int64_t total) { printer.update(done, total); });
    if (c.json())
        printJson(QJsonDocument(QJsonObject{{"dataset", "fashion-mnist"},
                                            {"split", split},
                                            {"out", QString::fromStdString(out)},
                                            {"images", qint64(n)},
                                            {"classes", int(data::fashionMnistFolders().size())}}));
    else
        std::cout << "wrote " << n << " Fashion-MNIST " << split.toStdString() << " images to " << out << "\n";
    return kSuccess;
}

int cmdDemo(const QStringList &args)
{
    Context c("demo", args);
    c.addFlag("with-model");
    c.addValueOption("epochs", "N");
    c.addValueOption("limit", "N");
    c.parse();
    c.expectPositional(0, 1, "");
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
                      << e.value("path").toString().toStdString() << " -> " << e.value("remote").toString().toStdString()
                      << (e.value("copied").toBool() ? " (" + std::to_string(e.value("bytes").toInteger() / 1000000) + " MB)" : "")
                      << "\n";
        } else if (type == "remote_started") {
            std::cerr << "the worker runs on " << e.value("target").toString().toStdString() << " in "
                      << e.value("dir").toString().toStdString() << "\n";
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
        std::cout << "run " << outcome.runId << " " << outcome.status << " after " << outcome.epochs << " epochs"
                  << (metrics.contains("val_accuracy")
                          ? ", validation accuracy " + QString::number(metrics.value("val_accuracy").toDouble(), 'f', 4).toStdString()
                          : std::string())
                  << (outcome.message.empty() ? "" : " (" + outcome.message + ")") << "\n";
    if (outcome.status != "FINISHED")
        std::cerr << "pipewright " << command << ": run " << outcome.runId << " " << outcome.status << ": " << outcome.message << "\n";
    return outcome.status == "FINISHED" ? kSuccess : kFailure;
}

int cmdTrain(const QStringList &args)
{
    Context c("train", args);
    for (const char *o : {"table", "experiment", "model", "epochs", "batch-size", "lr", "optimizer", "image-size",
                          "val-fraction", "seed", "device", "precision", "as-of-version", "name", "target"})
        c.addValueOption(o, "VALUE");
    c.parse();
    c.expectPositional(0, 0, "");
    const compute::TrainRequest r = parseOptions(compute::parseTrainRequest, optionValues(c));
    const auto ws = store::Workspace::open(c.workspaceRoot());
    TrainProgress progress(r.table);
    const auto outcome = compute::runTraining(ws, r, std::ref(progress), &g_cancel);
    return reportTraining(c, outcome, "train");
}

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

int cmdRuns(const QStringList &args)
{
    Context c("runs", args);
    c.addValueOption("experiment", "NAME");
    c.parse();
    c.expectPositional(1, 1000, "runs command: list, show or compare");
    const QString sub = c.positional().at(0);
    const auto ws = store::Workspace::open(c.workspaceRoot());
    auto db = ws.openCatalog();
    track::Tracker tracker(*db);
    tracker.failOrphanedRuns();
    if (sub == "attach") {
        c.expectPositional(2, 2, "RUN (pipewright runs attach RUN)");
        TrainProgress progress({});
        const auto outcome = compute::attachTraining(ws, c.positional().at(1).toStdString(), std::ref(progress), &g_cancel);
        return reportTraining(c, outcome, "runs attach");
    }
    if (sub == "list") {
        c.expectPositional(1, 1, "");
        QJsonArray arr;
        for (const auto &run : tracker.runs(c.value("experiment").toStdString())) {
            const auto metrics = tracker.latestMetrics(run.runId);
            arr.append(runJson(run, metrics));
            if (!c.json()) {
                const auto acc = metrics.find("val_accuracy");
                std::cout << run.runId << "  " << run.status << "  " << run.experiment << "  " << run.startTime << "  "
                          << run.table << "@v" << run.dataVersion
                          << (acc != metrics.end() ? "  val_accuracy " + QString::number(acc->second, 'f', 4).toStdString() : "")
                          << "\n";
            }
        }
        if (c.json())
            printJson(QJsonDocument(arr));
        else if (arr.isEmpty())
            std::cout << "no runs\n";
        return kSuccess;
    }
    if (sub == "show") {
        c.expectPositional(2, 2, "RUN (pipewright runs show RUN)");
        const auto run = tracker.run(c.positional().at(1).toStdString());
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
            list.append(QJsonObject{{"step", qint64(m.step)}, {"epoch", qint64(m.epoch)}, {"value", m.value},
                                    {"timestamp", qint64(m.timestampMs)}});
            history.insert(QString::fromStdString(m.key), list);
        }
        QJsonArray artifacts;
        for (const auto &a : tracker.artifacts(run.runId))
            artifacts.append(QJsonObject{{"path", QString::fromStdString(a.path)},
                                         {"kind", QString::fromStdString(a.kind)},
                                         {"size", qint64(a.size)},
                                         {"location", QString::fromStdString(ws.artifactsDir() + "/" + run.runId + "/" + a.path)}});
        o.insert("params", params);
        o.insert("tags", tags);
        o.insert("history", history);
        o.insert("artifacts", artifacts);
        if (c.json()) {
            printJson(QJsonDocument(o));
        } else {
            std::cout << "run " << run.runId << " (" << run.status << "), experiment " << run.experiment << ", "
                      << run.table << " at version " << run.dataVersion << "\nparams:\n";
            for (const auto &[k, v] : tracker.params(run.runId))
                std::cout << "  " << k << " = " << v << "\n";
            std::cout << "metrics (last value):\n";
            for (const auto &[k, v] : tracker.latestMetrics(run.runId))
                std::cout << "  " << k << " = " << v << "\n";
            std::cout << "artifacts:\n";
            for (const auto &a : tracker.artifacts(run.runId))
                std::cout << "  " << a.path << " (" << a.kind << ", " << a.size << " bytes)\n";
        }
        return kSuccess;
    }
    if (sub == "compare") {
        if (c.positional().size() < 3)
            throw UsageError{"runs compare needs at least two runs"};
        std::vector<track::RunInfo> runs;
        for (int i = 1; i < c.positional().size(); ++i)
            runs.push_back(tracker.run(c.positional().at(i).toStdString()));
        std::vector<std::map<std::string, std::string>> params;
        std::vector<std::map<std::string, double>> metrics;
        std::set<std::string> paramKeys, metricKeys;
        for (const auto &run : runs) {
            params.push_back(tracker.params(run.runId));
            metrics.push_back(tracker.latestMetrics(run.runId));
            for (const auto &[k, v] : params.back())
                paramKeys.insert(k);
            for (const auto &[k, v] : metrics.back())
                metricKeys.insert(k);
        }
        QJsonArray ids;
        for (const auto &run : runs)
            ids.append(QString::fromStdString(run.runId));
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
        const QJsonObject o{{"runs", ids}, {"params", differing}, {"metrics", finalMetrics}};
        if (c.json()) {
            printJson(QJsonDocument(o));
        } else {
            std::cout << "params that differ:\n";
            for (auto it = differing.begin(); it != differing.end(); ++it)
                std::cout << "  " << it.key().toStdString() << ": "
                          << QJsonDocument(it.value().toArray()).toJson(QJsonDocument::Compact).toStdString() << "\n";
            std::cout << "final metrics:\n";
            for (auto it = finalMetrics.begin(); it != finalMetrics.end(); ++it)
                std::cout << "  " << it.key().toStdString() << ": "
                          << QJsonDocument(it.value().toArray()).toJson(QJsonDocument::Compact).toStdString() << "\n";
        }
        return kSuccess;
    }
    // runs tag RUN KEY VALUE and runs note RUN TEXT: MLflow's set_tag; the note is the tag mlflow.note.content.
    if (sub == "tag" || sub == "note") {
        const bool note = sub == "note";
        c.expectPositional(note ? 3 : 4, note ? 3 : 4, note ? "RUN TEXT (pipewright runs note RUN TEXT)"
                                                            : "RUN KEY VALUE (pipewright runs tag RUN KEY VALUE)");
        const auto run = tracker.run(c.positional().at(1).toStdString());
        const QString key = note ? QStringLiteral("mlflow.note.content") : c.positional().at(2);
        const QString value = c.positional().at(note ? 2 : 3);
        if (!note && (key.startsWith("pipewright.") || key.startsWith("mlflow.")))
            throw UsageError{"tag key '" + key + "': the 'pipewright.' and 'mlflow.' prefixes are reserved for Pipewright's own tags"};
        tracker.setTag(run.runId, key.toStdString(), value.toStdString());
        if (c.json())
            printJson(QJsonDocument(QJsonObject{{"run_id", QString::fromStdString(run.runId)}, {"key", key}, {"value", value}}));
        else
            std::cout << "run " << run.runId << ": " << (note ? std::string("note set") : key.toStdString() + " = " + value.toStdString()) << "\n";
        return kSuccess;
    }
    throw UsageError{"unknown runs command '" + sub + "' (expected list, show, compare, tag or note)"};
}

int cmdEvaluate(const QStringList &args)
{
    Context c("evaluate", args);
    for (const char *o : {"run", "table", "as-of-version"})
        c.addValueOption(o, "VALUE");
    c.parse();
    c.expectPositional(0, 0, "");
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

// Text as a roff paragraph: backslashes escaped, a leading '.' or '\'' made literal.
QString roff(const QString &text)
{
    QStringList out;
    for (QString line : text.split('\n')) {
        line.replace('\\', "\\e");
        if (line.startsWith('.') || line.startsWith('\''))
            line.prepend("\\&");
        out << line;
    }
    return out.join('\n');
}

// pipewright(1), from the same texts as `pipewright help`.
QString manPage()
{
    QString m = ".TH PIPEWRIGHT 1 \"\" \"Pipewright " PIPEWRIGHT_VERSION_TEXT "\" \"User Commands\"\n"
                ".SH NAME\npipewright \\- workbench for the whole life of an image classifier\n"
                ".SH SYNOPSIS\n.B pipewright\n[\\fB\\-\\-workspace\\fR \\fIDIR\\fR] [\\fIDIR\\fR]\n.br\n"
                ".B pipewright\n\\fICOMMAND\\fR [\\fIoptions\\fR] [\\fB\\-\\-json\\fR] [\\fB\\-\\-workspace\\fR \\fIDIR\\fR]\n"
                ".SH DESCRIPTION\n"
                "Without a command, opens the workbench on a workspace folder. With a command, runs headless.\n"
                ".PP\n.nf\n";
    m += roff(helpText());
    m += "\n.fi\n.SH COMMANDS\n";
    for (const auto &c : commands()) {
        m += ".SS " + QString::fromUtf8(c.name) + "\n.nf\n" + roff(helpText(QString::fromUtf8(c.name))) + "\n.fi\n";
    }
    m += ".SH SEE ALSO\n.BR pipewright-worker (1)\n";
    return m;
}

int cmdHelp(const QStringList &args)
{
    if (args.contains("--man")) {
        std::cout << manPage().toStdString();
        return kSuccess;
    }
    const QString topic = args.size() > 2 ? args.at(2) : QString();
    const QString text = helpText(topic);
    if (text.isEmpty()) {
        std::cerr << "pipewright help: unknown command '" << topic.toStdString() << "'\n";
        return kUsage;
    }
    std::cout << text.toStdString();
    return kSuccess;
}

} // namespace

QString helpText(const QString &command)
{
    if (command.isEmpty()) {
        QString t = "Pipewright: a workbench for the whole life of an image classifier.\n\n"
                    "Usage: pipewright [--workspace DIR]            open the workbench\n"
                    "       pipewright COMMAND [options] [--json] [--workspace DIR]\n\n"
                    "Commands:\n";
        for (const auto &c : commands())
            t += QString("  %1\n").arg(QString::fromUtf8(c.synopsis));
        t += "\nCommon options: --workspace DIR (default: $PIPEWRIGHT_WORKSPACE, else "
             "$XDG_DATA_HOME/pipewright/default),\n"
             "--json (one JSON document on stdout; messages and progress go to stderr).\n"
             "Exit codes: 0 success, 1 failure, 2 usage error. `pipewright help COMMAND` documents each.\n";
        return t;
    }
    for (const auto &c : commands()) {
        if (command != QLatin1String(c.name))
            continue;
        QString description = QString::fromUtf8(c.description);
        QString models;
        for (const auto &m : train::kModelZoo)
            models += QString("  %1: %2\n").arg(QString::fromUtf8(m.name.data(), qsizetype(m.name.size())),
                                                QString::fromUtf8(m.summary.data(), qsizetype(m.summary.size())));
        description.replace("MODELS", models);
        QString types;
        for (const auto &t : pipeline::taskTypes()) {
            QStringList params;
            for (const auto &p : t.params)
                params << QString("%1%2").arg(QString::fromUtf8(p.name), p.required ? "*" : "");
            QStringList outputs;
            for (const char *o : t.outputs)
                outputs << QString::fromUtf8(o);
            types += QString("  %1: %2 [%3]\n      %4\n")
                         .arg(QString::fromUtf8(t.name), params.join(", "),
                              t.anyOutput ? outputs.join(", ") + ", NAME=VALUE lines of $PIPEWRIGHT_OUTPUTS" : outputs.join(", "),
                              QString::fromUtf8(t.summary));
        }
        description.replace("TASKTYPES", types + "  (* required)\n");
        return QString("Usage: %1\n\n%2\n").arg(QString::fromUtf8(c.synopsis), description);
    }
    return {};
}

static int findCommandIndex(const QStringList &args)
{
    for (int i = 1; i < args.size(); ++i) {
        const QString &a = args.at(i);
        if (a == "--workspace" || a == "--screenshot" || a == "--page" || a == "--pipeline") {
            ++i; // skip the option's value
            continue;
        }
        if (a.startsWith('-'))
            continue;
        return i;
    }
    return -1;
}

QString findCommand(const QStringList &args)
{
    const int i = findCommandIndex(args);
    return i < 0 ? QString() : args.at(i);
}

bool isCommand(const QString &name)
{
    for (const auto &c : commands()) {
        if (name == QLatin1String(c.name))
            return true;
    }
    return false;
}

namespace {

enum class WorkspaceUse { None, MustExist, MayCreate };

// What a command does with its workspace. Only commands that put something into a workspace may create one; every
// other command on a folder that holds no workspace fails naming it (a mistyped --workspace must not look empty).
WorkspaceUse workspaceUse(const QString &command, const QString &sub)
{
    if (command == "help" || command == "demo-data" || command == "demo")
        return WorkspaceUse::None; // demo names its folder itself and says what it made
    if (command == "ingest" || command == "train" || command == "scheduler")
        return WorkspaceUse::MayCreate;
    if (command == "pipeline") {
        if (sub == "validate" || sub == "import-databricks" || sub == "export-databricks")
            return WorkspaceUse::None;
        return sub == "run" ? WorkspaceUse::MayCreate : WorkspaceUse::MustExist;
    }
    if (command == "schedule")
        return WorkspaceUse::None; // it names the workspace in a timer; the pipeline run creates it
    if (command == "targets" && sub == "add")
        return WorkspaceUse::MayCreate;
    return WorkspaceUse::MustExist;
}

} // namespace

std::string checkedWorkspaceRoot(const QString &command, const QString &sub, const std::optional<QString> &named)
{
    const QString root = QFileInfo(named ? *named : QString::fromStdString(store::Workspace::defaultRoot())).absoluteFilePath();
    const WorkspaceUse use = workspaceUse(command, sub);
    const QFileInfo folder(root);
    if (use == WorkspaceUse::None || (folder.exists() && !folder.isDir()))
        return root.toStdString(); // opening it says what is wrong with it
    const bool exists = QFileInfo::exists(root + "/catalog.db");
    if (!exists && use == WorkspaceUse::MustExist)
        throw std::runtime_error("no workspace at " + root.toStdString()
                                 + (named ? std::string() : std::string(" (the default; name one with --workspace DIR)"))
                                 + ": `pipewright ingest SOURCE --workspace DIR` or `pipewright demo DIR` creates one");
    if (!exists)
        std::cerr << "created workspace " << root.toStdString() << "\n";
    else if (!named)
        std::cerr << "workspace " << root.toStdString() << "\n";
    return root.toStdString();
}

namespace {

} // namespace

int run(const QStringList &args)
{
    const QString command = findCommand(args);
    std::signal(SIGINT, onSignal);
    std::signal(SIGTERM, onSignal);
    static const std::map<QString, std::function<int(const QStringList &)>> handlers = {
        {"ingest", cmdIngest}, {"catalog", cmdCatalog}, {"demo-data", cmdDemoData}, {"demo", cmdDemo},
        {"train", cmdTrain}, {"runs", cmdRuns}, {"evaluate", cmdEvaluate}, {"models", cmdModels},
        {"score", cmdScore}, {"predictions", cmdPredictions}, {"review", cmdReview}, {"pipeline", cmdPipeline},
        {"schedule", cmdSchedule}, {"scheduler", cmdScheduler}, {"targets", cmdTargets}, {"help", cmdHelp}};
    const auto it = handlers.find(command);
    if (it == handlers.end()) {
        std::cerr << "pipewright: unknown command '" << command.toStdString() << "'; see `pipewright help`\n";
        return kUsage;
    }
    // The command follows the program name, so "pipewright --json ingest X" and "pipewright ingest X --json"
    // both parse: move the command to the front of the positional arguments.
    QStringList ordered = args;
    ordered.removeAt(findCommandIndex(args));
    ordered.insert(1, command);
    try {
        return it->second(ordered);
    } catch (const HelpRequested &) {
        std::cout << helpText(command).toStdString();
        return kSuccess;
    } catch (const UsageError &e) {
        std::cerr << "pipewright " << command.toStdString() << ": " << e.message.toStdString()
                  << "\nsee `pipewright help " << command.toStdString() << "`\n";
        return kUsage;
    } catch (const std::exception &e) {
        std::cerr << "pipewright " << command.toStdString() << ": error: " << e.what() << "\n";
        return kFailure;
    }
}

} // namespace pw::cli
