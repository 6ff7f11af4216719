// The command table: every command and subcommand of `pipewright` with its arguments, options, help, handler and
// workspace use. Dispatch, option parsing, usage errors, `help`, `help --json` and the man page read only this.
// In descriptions, MODELS stands for the model zoo and TASKTYPES for the pipeline task types (filled in by help).
#include "app/cli/CliSupport.h"

namespace pw::cli {

namespace {

Option value(const char *name, const char *valueName, const char *help, const char *defaultText = nullptr)
{
    return Option{name, valueName, help, defaultText};
}

Option flag(const char *name, const char *help)
{
    return Option{name, nullptr, help};
}

Option required(Option o)
{
    o.required = true;
    return o;
}

Option repeated(Option o)
{
    o.repeatable = true;
    return o;
}

Option asOfVersion(const char *what)
{
    return value("as-of-version", "V", what, "the latest");
}

std::vector<Command> catalogCommands()
{
    return {
        {.name = "history",
         .description = "The catalog versions, newest first (like DESCRIBE HISTORY).",
         .options = {value("limit", "N", "only the N newest versions")},
         .handler = cmdCatalogHistory,
         .json = "[{\"version\", \"timestamp\", \"operation\", \"parameters\", \"metrics\"}]"},
        {.name = "stats",
         .description = "Image counts of a table (all tables without --table) at the latest or a past version.",
         .options = {value("table", "NAME", "the table", "all tables"), asOfVersion("the catalog version to read")},
         .handler = cmdCatalogStats,
         .json = "{\"version\", \"images\", \"labeled\", \"unlabeled\", \"rejected\", \"labels\": {name: count}}"},
        {.name = "rejected",
         .description = "The rejected files and why.",
         .options = {value("table", "NAME", "the table", "all tables"), asOfVersion("the catalog version to read")},
         .handler = cmdCatalogRejected,
         .json = "[{\"table\", \"path\", \"reason\"}]"},
    };
}

std::vector<Command> runsCommands()
{
    return {
        {.name = "list",
         .description = "The runs, newest first.",
         .options = {value("experiment", "NAME", "only the runs of this experiment")},
         .handler = cmdRunsList,
         .json =
             "[{\"run_id\", \"experiment\", \"name\", \"status\", \"start\", \"end\", \"table\", \"data_version\",\n"
             " \"metrics\": {key: last value}}], newest first"},
        {.name = "show",
         .arguments = "RUN",
         .description = "A run: its params, tags, metrics, metric history and artifacts.",
         .handler = cmdRunsShow,
         .json = "{\"run_id\", \"status\", \"params\", \"metrics\": {key: last value}, \"history\": {key: [{\"step\",\n"
                 " \"epoch\", \"value\", \"timestamp\"}]}, \"data_version\", \"artifacts\", ...}"},
        {.name = "compare",
         .arguments = "RUN RUN...",
         .description = "The params that differ between the runs, and their final metrics.",
         .handler = cmdRunsCompare,
         .json = "{\"runs\": [ids], \"params\": {key: [value per run]} (only params that differ),\n"
                 " \"metrics\": {key: [last value per run]}}"},
        {.name = "tag",
         .arguments = "RUN KEY VALUE",
         .description =
             "Sets a tag of the run (keys starting with pipewright. or mlflow. are Pipewright's own and refused).",
         .handler = cmdRunsTag,
         .json = "{\"run_id\", \"key\", \"value\"}"},
        {.name = "note",
         .arguments = "RUN TEXT",
         .description = "Sets the run's note (the tag mlflow.note.content, as MLflow keeps it).",
         .handler = cmdRunsNote,
         .json = "{\"run_id\", \"key\", \"value\"}"},
        {.name = "attach",
         .arguments = "RUN",
         .description =
             "Follows a remote training run (train --target) whose pipewright process ended while its worker\n"
             "went on: its events from the start (each metric logged once), then the model and logs; the run\n"
             "ends as the worker did.",
         .handler = cmdRunsAttach,
         .json = "as `train`"},
    };
}

std::vector<Command> configCommands()
{
    return {
        {.name = "get",
         .arguments = "KEY",
         .description = "The value of a setting.",
         .handler = cmdConfig,
         .json = "{\"key\", \"value\"} (value null when not set)"},
        {.name = "set",
         .arguments = "KEY VALUE",
         .description = "Sets a setting (registry.gate_table: a table of the catalog).",
         .handler = cmdConfig,
         .json = "{\"key\", \"value\"}"},
        {.name = "unset",
         .arguments = "KEY",
         .description = "Removes a setting.",
         .handler = cmdConfig,
         .json = "{\"key\", \"value\": null}"},
        {.name = "list", .description = "The settings that are set.", .handler = cmdConfig, .json = "{key: value}"},
    };
}

std::vector<Command> modelsCommands()
{
    return {
        {.name = "register",
         .description =
             "Registers the run's model as the next version of NAME (stage None). The model file and classes are\n"
             "copied under artifacts/registry/NAME/vN/. NAME: letters, digits, '.', '_', '-'.",
         .options = {required(value("run", "RUN", "the FINISHED training run")),
                     required(value("name", "NAME", "the registered model")),
                     value("description", "TEXT", "the version's description")},
         .handler = cmdModelsRegister,
         .json = "{\"name\", \"version\", \"stage\", \"run_id\", ...}"},
        {.name = "list",
         .arguments = "[NAME]",
         .description = "The registered versions (of NAME).",
         .handler = cmdModelsList,
         .json = "[{\"name\", \"version\", \"stage\", \"run_id\", \"aliases\", \"created\", ...}]"},
        {.name = "transition",
         .arguments = "NAME VERSION STAGE",
         .description =
             "Moves a version to STAGE. Into Production it archives the current Production version (at most one\n"
             "version is ever in Production; --keep-existing refuses instead); into Staging it keeps the other\n"
             "Staging versions unless --archive-existing. Every change is recorded with who ($USER), when and the\n"
             "comment; a change to Production also with what was compared (table, catalog version, both accuracies)\n"
             "or \"promoted without comparison: REASON\". When the workspace sets registry.gate_table (pipewright\n"
             "config set registry.gate_table T), every change to Production is compared on T unless --no-gate.",
         .options =
             {flag("archive-existing", "archive the versions now in STAGE"),
              flag("keep-existing", "refuse instead of archiving the Production version"),
              value("comment", "TEXT", "recorded with the change"),
              value("gate-table", "T",
                    "evaluates the candidate and the current Production version on the labeled images of table T "
                    "at the same catalog version and refuses (exit 1) when the candidate is less accurate, printing "
                    "both accuracies",
                    "the workspace's registry.gate_table, else none"),
              flag("no-gate", "skips the comparison (even the workspace's registry.gate_table); needs --reason"),
              value("reason", "TEXT",
                    "why the comparison is skipped: recorded as \"promoted without comparison: "
                    "TEXT\"")},
         .handler = cmdModelsTransition,
         .json = "the version, with \"transitions\": [{\"version\", \"from\", \"to\", ...}] and \"gate\""},
        {.name = "history",
         .arguments = "NAME",
         .description = "The stage changes of a model, oldest first.",
         .handler = cmdModelsHistory,
         .json = "[{\"version\", \"from\", \"to\", \"at\", \"by\", \"comment\", \"gate\" (Production)}], oldest first"},
        {.name = "export",
         .arguments = "MODEL",
         .description =
             "Writes a registered version (MODEL: NAME@STAGE, NAME@ALIAS, NAME:N, NAME:latest) for use outside\n"
             "Pipewright, with a model card FILE.md beside it (data version, run, metrics, classes, preprocessing).\n"
             "onnx: opset 13, input `images` (float32 N x C x S x S, normalised with the recorded mean and std),\n"
             "output `probabilities` (softmax of logits / temperature); reads in OpenCV DNN, ONNX Runtime, TensorRT.\n"
             "pytorch: the state_dict as torch.save writes it (torchvision's key names for resnet18, resnet50 and\n"
             "mobilenet_v3_large). safetensors: the same tensors, with the card's metadata in __metadata__.",
         .options = {required(value("format", "onnx|pytorch|safetensors", "the file format")),
                     required(value("out", "FILE", "the file to write (replaced only once complete)"))},
         .handler = cmdModelsExport,
         .json =
             "{\"file\", \"format\", \"card\", \"bytes\", \"sha256\", \"name\", \"version\", \"run_id\", \"model\",\n"
             " \"classes\", \"preprocessing\": {\"input_size\", \"channels\", \"mean\", \"std\", \"temperature\"}}"},
        {.name = "alias",
         .arguments = "NAME ALIAS [VERSION]",
         .description =
             "Points NAME@ALIAS at VERSION (like MLflow's aliases, e.g. champion), or removes it with --delete.",
         .options = {flag("delete", "removes the alias (no VERSION)")},
         .handler = cmdModelsAlias,
         .json = "{\"name\", \"alias\", \"version\"} (with --delete: {\"name\", \"alias\", \"deleted\"})"},
    };
}

std::vector<Command> reviewCommands()
{
    return {
        {.name = "list",
         .description = "Open entries (--all: merged ones too), least confident first.",
         .options = {value("state", "pending|labeled|skipped", "only the entries in this state"),
                     value("table", "T", "only the entries of this table"), value("limit", "N", "at most N entries"),
                     flag("all", "merged entries too")},
         .handler = cmdReviewList,
         .json = "[{\"id\", \"path\", \"confidence\", \"predicted\", \"top5\", \"state\", \"label\", ...}]"},
        {.name = "label",
         .arguments = "ID|PATH LABEL",
         .description = "Labels the entry; the label must be one of the scoring model's classes.",
         .handler = cmdReviewLabel,
         .json = "the entry"},
        {.name = "accept",
         .arguments = "ID|PATH",
         .description = "Labels the entry with its prediction.",
         .handler = cmdReviewAccept,
         .json = "the entry"},
        {.name = "skip",
         .arguments = "ID|PATH",
         .description = "Leaves the entry out of the merge until it is labeled.",
         .handler = cmdReviewSkip,
         .json = "the entry"},
        {.name = "commit",
         .description =
             "Merges the labeled entries into the catalog as one new version (MERGE LABELS), label_source human\n"
             "(import for imported labels): the next training run on the table learns from them.",
         .options = {value("table", "T", "only the entries of this table")},
         .handler = cmdReviewCommit,
         .json = "{\"version\", \"labels_merged\", \"not_merged\": [{\"path\", \"reason\"}]}"},
        {.name = "export",
         .arguments = "FILE",
         .description =
             "The pending entries (or those of --state) as CSV (id, table, path, predicted, confidence, top5, model,\n"
             "label) or as Label Studio tasks with the model's prediction.",
         .options = {value("format", "csv|labelstudio", "the file's format", "csv"),
                     value("state", "S", "the entries in this state", "pending")},
         .handler = cmdReviewExport,
         .json = "{\"file\", \"format\", \"entries\"}"},
        {.name = "import",
         .arguments = "FILE",
         .description =
             "Labels from a CSV with a header naming 'label' and 'path' (or 'id') columns, or from a Label Studio\n"
             "JSON export. Unknown paths and labels outside the model's classes are reported and skipped.",
         .handler = cmdReviewImport,
         .json = "{\"format\", \"imported\", \"skipped\": [{\"where\", \"reason\"}]}"},
    };
}

const char *kRunJson =
    "{\"run_id\", \"result_state\", \"tasks\": [{\"task_key\", \"result_state\", \"attempts\", \"duration_s\",\n"
    " \"outputs\"}], ...}; exit 1 when the run did not succeed";

std::vector<Command> pipelineCommands()
{
    const Option force = flag("force", "replaces an existing --out FILE");
    return {
        {.name = "validate",
         .arguments = "FILE",
         .description =
             "Every problem at once (cycles, missing tasks, unknown types, bad parameters and references...).",
         .handler = cmdPipelineValidate,
         .workspace = WorkspaceUse::None,
         .json = "{\"valid\", \"errors\": [{\"task_key\", \"field\", \"message\"}]}; exit 1 when invalid"},
        {.name = "run",
         .arguments = "FILE",
         .description =
             "Runs the tasks in dependency order, independent ones in parallel (max_parallel_tasks), each attempt\n"
             "as its own process with its log under the workspace's logs/RUN_ID/; run_if, retries, timeouts.\n"
             "Outputs of tasks left out (--only, --from, --to) come from their last successful run. Progress on\n"
             "stderr; Ctrl-C cancels.",
         .options = {repeated(value("param", "NAME=VALUE", "sets a parameter the pipeline declares")),
                     repeated(value("only", "KEY[,KEY]", "runs just those tasks")),
                     value("from", "KEY", "runs a task and everything downstream"),
                     value("to", "KEY", "runs a task and everything upstream")},
         .handler = cmdPipelineRun,
         .workspace = WorkspaceUse::MayCreate,
         .json = kRunJson},
        {.name = "runs",
         .arguments = "[FILE]",
         .description = "Runs, newest first (of FILE's pipeline).",
         .options = {value("limit", "N", "at most N runs", "50")},
         .handler = cmdPipelineRuns,
         .json = "[run]"},
        {.name = "show",
         .arguments = "RUN_ID",
         .description = "A run's tasks, attempts, log paths and outputs.",
         .handler = cmdPipelineShow,
         .json = "the run, with each task's attempts"},
        {.name = "repair",
         .arguments = "RUN_ID",
         .description =
             "Reruns the failed tasks and everything downstream of them, reusing the outputs of the tasks that\n"
             "succeeded.",
         .handler = cmdPipelineRepair,
         .json = kRunJson},
        {.name = "cancel",
         .arguments = "RUN_ID",
         .description = "Cancels a run (from any process).",
         .handler = cmdPipelineCancel,
         .json = "{\"run_id\", \"cancel_requested\"}"},
        {.name = "import-databricks",
         .arguments = "JOB.json",
         .description =
             "A Databricks Jobs 2.1 job (create payload or jobs/get response) as a pipeline: names, dependencies,\n"
             "run_if, retries, timeouts, schedule, parameters, max_concurrent_runs. Notebook tasks become task types\n"
             "by the first SUBSTRING of the notebook path they contain (--map first, then: prep/load/ingest ->\n"
             "ingest, train, eval, regist, promot, scor, label/review -> review-export); everything not kept or\n"
             "mapped is listed as a note, never dropped silently. Exit 1 when the result does not validate yet.\n"
             "Notebook parameters such as image_path become pipeline parameters, what the DAG implies is wired, and\n"
             "what is still missing gets a default parameter (see the notes) that --param NAME=VALUE sets.",
         .options = {required(value("out", "FILE", "the pipeline file to write")),
                     repeated(
                         value("map", "SUBSTRING=TYPE", "notebook paths containing SUBSTRING become tasks of TYPE")),
                     repeated(value("param", "NAME=VALUE", "a pipeline parameter's default")), force},
         .handler = cmdPipelineImportDatabricks,
         .workspace = WorkspaceUse::None,
         .json = "{\"out\", \"valid\", \"notes\"}"},
        {.name = "export-databricks",
         .arguments = "FILE",
         .description = "The pipeline as a Jobs 2.1 create payload (tasks as notebooks /Pipewright/TYPE).",
         .options = {required(value("out", "JOB.json", "the job file to write")), force},
         .handler = cmdPipelineExportDatabricks,
         .workspace = WorkspaceUse::None,
         .json = "{\"out\", \"valid\", \"notes\"}"},
        {.name = "run-task",
         .arguments = "TYPE",
         .description = "Runs one built-in task type in this process, as the executor starts each attempt; prints its\n"
                        "outputs as one JSON line.",
         .options = {value("params-json", "JSON", "the task's parameters, substituted"),
                     value("target", "NAME", "the compute target", "local")},
         .handler = cmdPipelineRunTask,
         .hidden = true},
    };
}

std::vector<Command> scheduleCommands()
{
    const Option method = value("method", "systemd|cron",
                                "forces one way (default: systemd where there is a user session)");
    const Option dryRun = flag("dry-run", "prints what it would write and run, and does nothing");
    return {
        {.name = "next",
         .arguments = "FILE",
         .description =
             "The next fire times in the schedule's time zone (daylight saving as Quartz: a time in the spring\n"
             "gap does not fire that day; a time in the autumn overlap fires once).",
         .options = {value("count", "N", "how many", "5"), value("after", "TIME", "from this ISO 8601 time", "now")},
         .handler = cmdScheduleNext,
         .workspace = WorkspaceUse::None,
         .json = "{\"pipeline\", \"expression\", \"timezone_id\", \"paused\", \"next\": [TIME]}"},
        {.name = "install",
         .arguments = "FILE",
         .description =
             "Lets the operating system keep time: writes a systemd user timer and service (OnCalendar= in the\n"
             "schedule's time zone) running `pipewright pipeline run FILE --workspace WS`, and enables it; where\n"
             "there is no systemd user session, a crontab line (with CRON_TZ=, for crons that honour it); it\n"
             "says so when cron is not installed.",
         .options = {method, dryRun},
         .handler = cmdScheduleInstall,
         .workspace = WorkspaceUse::None, // it names the workspace in a timer; the pipeline run creates it
         .json =
             "{\"pipeline\", \"unit\", \"method\", \"action\", \"dry_run\", \"files\", \"commands\", \"warnings\"}"},
        {.name = "uninstall",
         .arguments = "FILE",
         .description = "Removes what install wrote.",
         .options = {method, dryRun},
         .handler = cmdScheduleUninstall,
         .workspace = WorkspaceUse::None,
         .json = "as install"},
        {.name = "pause",
         .arguments = "FILE",
         .description =
             "Sets the schedule's \"pause_status\" in the file to PAUSED (the rest of the file kept as it is;\n"
             "written atomically). The workbench and `pipewright scheduler` follow it; an installed timer or\n"
             "crontab entry does not: uninstall it.",
         .handler = cmdSchedulePause,
         .workspace = WorkspaceUse::None,
         .json = "{\"file\", \"pause_status\", \"pipeline\", \"changed\"}"},
        {.name = "resume",
         .arguments = "FILE",
         .description = "Sets the schedule's \"pause_status\" in the file to UNPAUSED, as pause does.",
         .handler = cmdScheduleResume,
         .workspace = WorkspaceUse::None,
         .json = "{\"file\", \"pause_status\", \"pipeline\", \"changed\"}"},
    };
}

std::vector<Command> targetsCommands()
{
    return {
        {.name = "add",
         .arguments = "NAME URL",
         .description =
             "Adds an SSH host (URL ssh://[USER@]HOST[:PORT]) or a Slurm cluster (slurm://[USER@]HOST[:PORT]) as a\n"
             "compute target. A Slurm target submits with sbatch on its\n"
             "submit host (slurm: or slurm://localhost: this machine's sbatch, no ssh); DIR must be on the cluster's\n"
             "shared filesystem. The sbatch options below go into each job's batch script only when given.",
         .options = {required(value("workdir", "DIR",
                                    "an absolute folder on the host (shards/, blobs/ and runs/ go there)")),
                     value("worker", "PATH",
                           "the worker program there (default: pipewright-worker on its PATH; a relative path is "
                           "relative to DIR)"),
                     value("identity", "FILE", "a private key for ssh -i"),
                     value("partition", "P", "Slurm: the partition (sbatch --partition)", "the cluster's default"),
                     value("account", "A", "Slurm: the account to charge"), value("qos", "Q", "Slurm: the QOS"),
                     value("time", "T", "Slurm: the time limit (MM, HH:MM:SS, D-HH:MM:SS)", "the partition's"),
                     value("gpus-per-node", "N", "Slurm: GPUs per node"),
                     value("cpus-per-task", "N", "Slurm: CPUs per rank"),
                     value("mem", "M", "Slurm: memory per node (4000M, 4G)"),
                     repeated(value("sbatch-arg", "ARG", "Slurm: one more sbatch option, such as --constraint=a100"))},
         .handler = cmdTargetsAdd,
         .workspace = WorkspaceUse::MayCreate,
         .json = "{\"name\", \"kind\", \"url\", \"host\", \"user\", \"port\", \"workdir\", \"worker\", \"identity\",\n"
                 " \"created_at\", \"slurm\": {\"partition\", ...} (Slurm targets)}"},
        {.name = "list", .description = "The targets, \"local\" first.", .handler = cmdTargetsList, .json = "[target]"},
        {.name = "remove",
         .arguments = "NAME",
         .description = "Removes a target.",
         .handler = cmdTargetsRemove,
         .json = "{\"removed\"}"},
        {.name = "test",
         .arguments = "NAME",
         .description = "Connects and runs `pipewright-worker info` there. For a Slurm target also the partitions\n"
                        "(idle/allocated nodes, GPUs as gres), and whether the target's partition, account and QOS\n"
                        "exist there; the worker's info runs on the submit host.",
         .handler = cmdTargetsTest,
         .json = "{\"name\", \"reachable\", \"worker\", \"torch\", \"cuda\", \"devices\": [...], \"seconds\"} and "
                 "\"error\"\n"
                 "when it fails (exit 1)"},
    };
}

std::vector<Command> buildTable()
{
    return {
        {.name = "ingest",
         .arguments = "SOURCE",
         .description =
             "Discovers image files under the folder SOURCE (recursively) and appends the new and changed ones to\n"
             "a catalog table as one new catalog version (like Auto Loader's \"available now\" trigger). A rerun\n"
             "reads only files that are new or whose size or modification time changed; a changed file becomes a\n"
             "new version of its row and is counted as updated.\n\n"
             "Every file is decoded to validate it; its width, height, channels, format, SHA-256 content hash and\n"
             "a thumbnail (<= 256 px) are recorded. A file that cannot be used is recorded as rejected with its\n"
             "reason (empty file, not an image, truncated or corrupt, dimensions over --max-megapixels, unreadable)\n"
             "and never stops the batch. Interrupted runs (Ctrl-C, kill -9, a crash) keep every committed batch;\n"
             "rerunning the same ingest finishes the version with exact counts.",
         .options = {value("table", "NAME", "catalog table", "images"),
                     value("glob", "PATTERN",
                           "file filter (fnmatch); without '/' it matches file names, with '/' the path under SOURCE",
                           "png, jpg, jpeg, bmp, tif, tiff, webp in any case"),
                     value(
                         "labels", "caltech|folder|none",
                         "caltech (default): top folder NNN.name gives label id NNN and name \"name\"; folder: the top "
                         "folder's name is the label; none: unlabeled"),
                     value("max-megapixels", "N",
                           "reject images larger than N megapixels, read from the header before any decoding", "100"),
                     value("commit-every", "N", "files per committed batch", "2000"),
                     value("threads", "N", "decoding threads", "one per core")},
         .handler = cmdIngest,
         .workspace = WorkspaceUse::MayCreate,
         .json = "{\"version\", \"discovered\", \"added\", \"updated\", \"unchanged\", \"rejected\", \"resumed\",\n"
                 " \"warnings\", \"rejected_files\": [{\"path\", \"reason\"}]}"},
        {.name = "catalog", .description = "Reads the versioned image catalog.", .subcommands = catalogCommands()},
        {.name = "demo-data",
         .arguments = "DATASET",
         .description = "Writes a demo data set in Caltech layout. DATASET fashion-mnist: Debian's Fashion-MNIST\n"
                        "(package dataset-fashion-mnist) as PNG files DIR/000.t-shirt_top/00000.png ...\n"
                        "DIR/009.ankle_boot/...; photos: JPEG crops of the twelve nature photographs of package\n"
                        "mate-backgrounds at several scales, one class per photograph (DIR/000.aqua/00000.jpg ...),\n"
                        "train crops from the left 70% of each photograph, test crops from the right 30%.",
         .options = {required(value("out", "DIR", "the folder to write")),
                     value("split", "train|test",
                           "which split (fashion-mnist: 60,000 and 10,000 images; photos: 480 and 144)", "train"),
                     value("limit", "N", "only the first N images of the split")},
         .handler = cmdDemoData,
         .workspace = WorkspaceUse::None,
         .json = "{\"dataset\", \"split\", \"out\", \"images\", \"classes\"}"},
        {.name = "demo",
         .arguments = "[DIR]",
         .description =
             "Creates (or completes) a demo workspace in DIR (or --workspace DIR): the Fashion-MNIST train split\n"
             "ingested as table \"fashion\" and the test split as \"fashion-test\" (PNG files under DIR/data/), and "
             "the\n"
             "sample pipelines DIR/pipelines/training.json (ingest, train, register, promote to Staging) and\n"
             "scoring.json (ingest the new images of DIR/data/incoming, score them with fashion@Production, export "
             "the\n"
             "unsure ones for labeling). Rerunning is cheap and keeps edited pipeline files.",
         .options = {flag("with-model",
                          "also train small-cnn on \"fashion\" (experiment demo), register it as model \"fashion\" in "
                          "Production (skipped when it has a Production version), ingest 2,000 test images as new "
                          "unlabeled ones (DIR/data/incoming-demo) and score them, so the review queue has entries"),
                     value("epochs", "N", "training epochs with --with-model", "3"),
                     value("limit", "N",
                           "only the first N images of each split (and at most N new ones): a quick demo")},
         .handler = cmdDemo,
         .workspace = WorkspaceUse::None, // demo names its folder itself and says what it made
         .json = "{\"workspace\", \"tables\": {NAME: ingest result}, \"pipelines\": [FILE]}, and with --with-model\n"
                 " \"model\": {\"name\", \"version\", \"stage\", \"run_id\", \"trained\", \"incoming\", \"scored\",\n"
                 " \"queued_for_review\"}"},
        {.name = "train",
         .description =
             "Trains a classifier on the labeled images of a table at a catalog version, as a tracked run of an\n"
             "experiment. The images are materialised once into shards (NumPy arrays, cached under the workspace's\n"
             "shards/ folder, split into train and validation by content hash), then pipewright-worker trains in its\n"
             "own process; every metric it reports is logged with the run. Progress (epoch, loss, accuracy,\n"
             "images/s, ETA) goes to stderr. Ctrl-C or SIGTERM stops the worker after the current batch and ends the\n"
             "run KILLED. Exit 1 when the run did not finish.\n\n"
             "--resume RUN continues a KILLED or FAILED run from its checkpoint (written at each epoch's end and\n"
             "when the worker is stopped), with the settings it had: the same run goes on from the checkpointed\n"
             "epoch and batch, each epoch counted once; no other training option is taken with it.\n\n"
             "Models:\n"
             "MODELS",
         .options =
             {value("table", "T", "the table", "images"),
              value("experiment", "NAME", "the experiment", "Default"),
              value("model", "NAME", "the network (see below)", "small-cnn"),
              value("epochs", "N", "training epochs", "the model's; small-cnn: 7; early stopping on validation loss"),
              value("batch-size", "B", "images per batch", "the model's; small-cnn: 128"),
              value("lr", "X", "peak learning rate of the one-cycle schedule", "the model's"),
              value("optimizer", "adam|sgd", "AdamW (default) or SGD with Nesterov momentum 0.9"),
              value("image-size", "S", "images are resized to S x S", "the model's input size"),
              value("val-fraction", "F", "share held out for validation, by content hash", "0.1"),
              value("seed", "S", "seeds initialisation, shuffling and augmentation", "42"),
              value("device", "auto|cpu|cuda", "auto (CUDA when this libtorch has it), cpu or cuda"),
              value("precision", "auto|fp32|bf16",
                    "auto (bf16 where the CPU has AVX512_BF16/AMX or on a GPU, else fp32), fp32, bf16"),
              value("init", "FILE",
                    "start from pretrained weights: a torch.save'd state_dict (.pth, e.g. a torchvision checkpoint) "
                    "or .safetensors, torchvision/timm key names; nothing in the file is run. The head is "
                    "re-initialised when the class count differs; the run stores init_report.json (loaded, missing, "
                    "unexpected, shape-mismatched keys); exit 1 when almost nothing matched"),
              value("freeze", "backbone|none", "backbone: train only the head (needs --init)", "none"),
              value("backbone-lr-scale", "X", "the backbone's learning rate is the head's times X", "1"),
              asOfVersion("the catalog version to train on"),
              value("name", "RUN_NAME", "the run's name"),
              value("target", "NAME",
                    "the compute target (see `pipewright help targets`): on an SSH host the shard is copied there "
                    "once, the worker runs there and its events stream back; the model and logs come back at the end",
                    "local"),
              value("processes", "N",
                    "data-parallel worker processes on this host (torch.distributed, Gloo): --batch-size stays the "
                    "global batch, split over them; the cores are shared out; each rank's log is kept with the run",
                    "1"),
              value("nodes", "N", "a Slurm target's nodes (nodes x processes-per-node ranks)", "1"),
              value("processes-per-node", "M", "ranks per node on a Slurm target (one per GPU)", "1"),
              value("resume", "RUN",
                    "continue the KILLED or FAILED run RUN (an id or a unique prefix) from its checkpoint, with the "
                    "settings it had; it ran on this machine")},
         .handler = cmdTrain,
         .workspace = WorkspaceUse::MayCreate,
         .json =
             "{\"run_id\", \"status\", \"data_version\", \"epochs\", \"metrics\": {\"val_accuracy\", \"val_loss\",\n"
             " \"train_loss\"}, \"images_per_second\", \"message\", \"seconds\"}"},
        {.name = "runs",
         .description = "The tracked runs (RUN: a run id or a unique prefix of at least 4 characters).",
         .subcommands = runsCommands()},
        {.name = "evaluate",
         .description =
             "Evaluates a run's model on the labeled images of a table (matched to the model's classes by name):\n"
             "accuracy, per-class accuracy and the confusion matrix (rows: true class, columns: predicted, in the\n"
             "model's class order). The result is stored with the run as an artifact and logged as the metric\n"
             "eval_<table>_accuracy.",
         .options = {required(value("run", "RUN", "the run whose model is evaluated")),
                     required(value("table", "T", "the table of labeled images")),
                     asOfVersion("the catalog version to evaluate on")},
         .handler = cmdEvaluate,
         .json = "{\"accuracy\", \"per_class\": {name: accuracy}, \"confusion\": [[...]], \"classes\", \"images\",\n"
                 " \"skipped\", \"run_id\", \"table\", \"data_version\"}"},
        {.name = "config",
         .description = "Workspace settings, followed by every process working on the workspace:\n"
                        "  registry.gate_table  a table every change to Production is compared on first (the\n"
                        "                       candidate against the Production version; refused when less\n"
                        "                       accurate); models transition --no-gate --reason TEXT overrides.",
         .subcommands = configCommands()},
        {.name = "models",
         .description =
             "The model registry: numbered versions of a named model, each copied from a FINISHED training run, in\n"
             "stages None, Staging, Production or Archived (MLflow's names), with an audit trail and aliases.\n"
             "Model references (score --model, ...): NAME@Production, NAME@Staging, NAME@ALIAS, NAME:VERSION,\n"
             "NAME:latest.",
         .subcommands = modelsCommands()},
        {.name = "score",
         .description =
             "Scores the images of a table that have no prediction from the model version REF resolves to (--rescore:\n"
             "all of them), and MERGEs the predictions into the catalog by image, as one new catalog version (MERGE\n"
             "PREDICTIONS): predicted label, confidence (top-1 probability), top-5 labels with probabilities, model\n"
             "name and version. A rerun updates, never duplicates. The review queue (least confident first) gets,\n"
             "by --review: unlabeled (the default) the images without a label whose confidence is below the\n"
             "threshold; labeled the images with a folder or imported label that the model predicts otherwise\n"
             "(likely label errors, at any confidence); all both. Unreadable images are reported and left out;\n"
             "they never stop the batch.",
         .options = {required(value("model", "REF", "NAME@Production, NAME@Staging, NAME@ALIAS or NAME:VERSION")),
                     value("table", "T", "the table", "images"),
                     value("threshold", "X", "unlabeled images less confident than this are queued for review", "0.95"),
                     value("review", "MODE", "what is queued for review: unlabeled, labeled or all", "unlabeled"),
                     value("review-fraction", "F", "queues only a seeded sample of them (a share in (0, 1])", "1"),
                     value("seed", "S", "seeds the sample", "42"),
                     flag("rescore", "scores images that already have a prediction of this version too"),
                     value(
                         "target", "NAME",
                         "runs the model on a compute target (the decoded images and the model file are copied there; "
                         "the probabilities come back)",
                         "local"),
                     value("nodes", "N",
                           "a Slurm target: splits the images over N nodes (one task per node, one job); their "
                           "predictions are merged once",
                           "1"),
                     value("processes-per-node", "M", "a Slurm target: tasks per node (N x M parts in all)", "1")},
         .handler = cmdScore,
         .json =
             "{\"version\", \"model_version\", \"scored\", \"skipped\" (already scored), \"failed\", \"failures\",\n"
             " \"queued_for_review\", \"review\", \"model\", \"inserted\", \"updated\", \"wrote_version\", \"target\", "
             "\"parts\", "
             "\"seconds\"}"},
        {.name = "predictions",
         .description = "The predictions of the catalog.",
         .subcommands = {{.name = "export",
                          .arguments = "FILE.csv",
                          .description = "Writes one CSV row per image of the table with its most recent prediction:\n"
                                         "path, predicted_label, confidence, model, model_version, scored_at.",
                          .options = {value("table", "T", "the table", "images")},
                          .handler = cmdPredictionsExport,
                          .json = "{\"file\", \"table\", \"rows\"}"}}},
        {.name = "review",
         .description = "The review queue: images a model was unsure of, for a person to label.",
         .subcommands = reviewCommands()},
        {.name = "pipeline",
         .description =
             "Pipelines: DAGs of tasks in a JSON file (names after Databricks Jobs 2.1), run by the local executor.\n\n"
             "Task types and their params (outputs in brackets; refer to them as {{tasks.KEY.OUTPUT}}, to pipeline\n"
             "parameters as {{params.NAME}}, to the run as {{run.id}}):\n"
             "TASKTYPES",
         .subcommands = pipelineCommands()},
        {.name = "schedule",
         .description = "The schedule of a pipeline file: \"schedule\": {\"quartz_cron_expression\": \"0 30 2 * * ?\" "
                        "(Quartz, 6-7\n"
                        "fields, as Databricks) or \"cron\": \"30 2 * * *\" (5 fields), \"timezone_id\": IANA name, "
                        "\"pause_status\"}.",
         .subcommands = scheduleCommands()},
        {.name = "scheduler",
         .description =
             "Runs the schedules and file-arrival triggers of the pipelines in the workspace's pipelines/ folder (or\n"
             "--pipelines DIR) while it runs (the workbench does the same while it is open); it starts by listing\n"
             "each pipeline file it watches with its schedule (next fire, or PAUSED) and its file-arrival folder.\n"
             "A file-arrival trigger (\"trigger\": {\"file_arrival\": {\"path\": DIR, "
             "\"min_seconds_between_triggers\":\n"
             "N}}) starts the pipeline when new image files land under DIR, never twice for the same file. Edits to\n"
             "the pipeline files are picked up. Ctrl-C stops it (cancelling runs in progress).",
         .options = {value("pipelines", "DIR", "the folder of pipeline files (it must exist)",
                           "the workspace's pipelines/"),
                     value("for", "SECONDS", "stops after SECONDS, letting runs end")},
         .handler = cmdScheduler,
         .workspace = WorkspaceUse::MayCreate},
        {.name = "targets",
         .description =
             "Compute targets: where pipewright-worker runs. \"local\" is always there; SSH hosts (a GPU box) are kept "
             "in\n"
             "the workspace and named by `train --target`, `score --target` and a pipeline task's \"target\". The "
             "system's\n"
             "OpenSSH client is used as you have it configured (keys, agent, ~/.ssh/config, known_hosts; set\n"
             "PIPEWRIGHT_SSH_CONFIG to use another config file). Host keys are always checked: an unknown or changed "
             "key\n"
             "refuses the connection and says how to accept the key. Nothing is ever asked interactively.\n\n"
             "A remote run: the shard (or model and images) is copied to DIR content-addressed, skipped when already\n"
             "there; the worker starts detached under DIR/runs/RUN_ID and writes its events to events.jsonl there,\n"
             "which stream back live; a dropped connection is reattached (PIPEWRIGHT_REATTACH_SECONDS, default 600);\n"
             "cancel stops the remote worker; the model file and logs come back into the run's artifacts.",
         .subcommands = targetsCommands()},
        {.name = "help",
         .arguments = "[COMMAND] [SUBCOMMAND]",
         .description =
             "Shows the commands, or the documentation of one command or subcommand; with --json, the command\n"
             "table (every command and subcommand with its options).",
         .options = {flag("man", "prints the manual page pipewright(1) (roff)")},
         .handler = cmdHelp,
         .workspace = WorkspaceUse::None,
         .json =
             "{\"program\", \"options\", \"commands\": [{\"name\", \"synopsis\", \"description\", \"workspace_use\",\n"
             " \"arguments\", \"options\": [{\"name\", \"value\", \"help\", ...}], \"subcommands\": [...]}]}"},
    };
}

} // namespace

const std::vector<Command> &commandTable()
{
    static const std::vector<Command> table = buildTable();
    return table;
}

const std::vector<Option> &commonOptions()
{
    static const std::vector<Option> options = {
        value("workspace", "DIR", "the workspace folder",
              "$PIPEWRIGHT_WORKSPACE, else $XDG_DATA_HOME/pipewright/default"),
        flag("json", "one JSON document on stdout; messages and progress go to stderr"),
        flag("help", "prints the command's help (also -h)"),
    };
    return options;
}

const std::vector<Option> &workbenchOptions()
{
    static const std::vector<Option> options = {
        value("screenshot", "FILE", "saves a PNG of the window (1600x1000) once its data is shown, then quits"),
        value("size", "WxH", "the window's size for --screenshot, e.g. 1366x768 (default 1600x1000)"),
        value("page", "PAGE", "shows this page first: pipelines, images, review, experiments or models"),
        value("pipeline", "FILE", "opens this pipeline file on the Pipelines page"),
    };
    return options;
}

} // namespace pw::cli
