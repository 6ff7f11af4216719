// Schema of the workspace databases. Append a migration; never edit one that has shipped.
#include "core/store/Schema.h"

#include <string>
#include <utility>

namespace pw::store {

namespace {

// Migration 8: what changed, by concern, for the workbench's live pages (core/store/WorkspaceWatcher). Every write
// to a table of a concern bumps its serial, whoever writes (this window, the CLI, a worker, a scheduler). The hot
// tables stay out: images and predictions change only inside a catalog version (the versions table), and a run's
// metrics are seen by the watcher as metrics' largest rowid, so ingest, scoring and training pay nothing per row.
std::string changesMigration()
{
    std::string sql = R"sql(
-- Change serials by concern: runs, models, catalog, review, pipelines, settings (see core/store/WorkspaceWatcher.h).
CREATE TABLE workspace_changes (
    concern TEXT PRIMARY KEY,
    serial  INTEGER NOT NULL DEFAULT 0
) WITHOUT ROWID;
INSERT INTO workspace_changes(concern) VALUES ('runs'), ('models'), ('catalog'), ('review'), ('pipelines'), ('settings');

-- Workspace settings (`pipewright config`): registry.gate_table, ...
CREATE TABLE workspace_settings (
    key     TEXT PRIMARY KEY,
    value   TEXT NOT NULL,
    updated TEXT NOT NULL
) WITHOUT ROWID;

-- What a transition to Production checked: the comparison made (table, catalog version, both accuracies), or why
-- none was ("promoted without comparison: REASON").
ALTER TABLE stage_transitions ADD COLUMN gate TEXT NOT NULL DEFAULT '';
)sql";
    const std::pair<const char *, const char *> tables[] = {{"experiments", "runs"},
                                                            {"runs", "runs"},
                                                            {"params", "runs"},
                                                            {"tags", "runs"},
                                                            {"artifacts", "runs"},
                                                            {"registered_models", "models"},
                                                            {"registered_model_tags", "models"},
                                                            {"model_versions", "models"},
                                                            {"stage_transitions", "models"},
                                                            {"model_aliases", "models"},
                                                            {"versions", "catalog"},
                                                            {"review_queue", "review"},
                                                            {"pipeline_runs", "pipelines"},
                                                            {"pipeline_task_runs", "pipelines"},
                                                            {"compute_targets", "settings"},
                                                            {"workspace_settings", "settings"}};
    for (const auto &[table, concern] : tables)
        for (const char *event : {"insert", "update", "delete"})
            sql += std::string("CREATE TRIGGER changes_") + table + "_" + event + " AFTER " + event + " ON " + table
                   + " BEGIN UPDATE workspace_changes SET serial = serial + 1 WHERE concern = '" + concern
                   + "'; END;\n";
    return sql;
}

} // namespace

const std::vector<Migration> &catalogMigrations()
{
    static const std::string changes = changesMigration();
    static const std::vector<Migration> migrations = {
        {1, R"sql(
-- The history of the image catalog (Delta's DESCRIBE HISTORY). A version is PENDING while the
-- operation that writes it runs (its rows are invisible to "as of" queries) and COMMITTED at the end.
CREATE TABLE versions (
    version     INTEGER PRIMARY KEY,
    timestamp   TEXT NOT NULL,
    operation   TEXT NOT NULL,
    parameters  TEXT NOT NULL DEFAULT '{}',
    metrics     TEXT NOT NULL DEFAULT '{}',
    state       TEXT NOT NULL DEFAULT 'COMMITTED' CHECK (state IN ('PENDING', 'COMMITTED')),
    resume_key  TEXT
);

-- One row per (table, path) and version range: a row is valid from version valid_from up to,
-- not including, valid_to (NULL: still valid). "The table as of version V" is
-- valid_from <= V AND (valid_to IS NULL OR valid_to > V).
CREATE TABLE images (
    id           INTEGER PRIMARY KEY,
    table_name   TEXT NOT NULL,
    path         TEXT NOT NULL,
    source       TEXT,
    content_hash TEXT,
    size         INTEGER NOT NULL,
    mtime_ns     INTEGER NOT NULL,
    width        INTEGER,
    height       INTEGER,
    channels     INTEGER,
    format       TEXT,
    label        TEXT,
    label_id     INTEGER,
    label_source TEXT CHECK (label_source IN ('path', 'human', 'import')),
    split        TEXT,
    status       TEXT NOT NULL CHECK (status IN ('ok', 'rejected')),
    reason       TEXT,
    valid_from   INTEGER NOT NULL REFERENCES versions(version),
    valid_to     INTEGER REFERENCES versions(version)
);
CREATE UNIQUE INDEX images_current ON images(table_name, path) WHERE valid_to IS NULL;

-- Per (table, source): when the ingest checkpoint last completed. The files already seen are the
-- current rows of that table and source (path, size, mtime_ns, content_hash).
CREATE TABLE ingest_sources (
    table_name   TEXT NOT NULL,
    source       TEXT NOT NULL,
    last_version INTEGER,
    last_run     TEXT,
    PRIMARY KEY (table_name, source)
) WITHOUT ROWID;
)sql"},
        {2, R"sql(
-- Experiment tracking: the MLflow data model. Times are ISO 8601 UTC with milliseconds, so they
-- sort as text; metric timestamps are milliseconds since the Unix epoch, as in MLflow.
CREATE TABLE experiments (
    experiment_id INTEGER PRIMARY KEY,
    name          TEXT NOT NULL UNIQUE,
    created       TEXT
);

-- run_id: 32 lower-case hex characters, like an MLflow run id. data_version is the catalog
-- version trained on; worker_pid the local worker process, to find runs orphaned by a crash.
CREATE TABLE runs (
    run_id            TEXT PRIMARY KEY
                      CHECK (length(run_id) = 32 AND run_id NOT GLOB '*[^0-9a-f]*'),
    experiment_id     INTEGER NOT NULL REFERENCES experiments(experiment_id),
    name              TEXT,
    status            TEXT NOT NULL CHECK (status IN ('RUNNING', 'FINISHED', 'FAILED', 'KILLED')),
    start_time        TEXT NOT NULL,
    end_time          TEXT,
    table_name        TEXT,
    data_version      INTEGER,
    device            TEXT,
    images_per_second REAL,
    pipeline_run_id   TEXT,
    failure_reason    TEXT,
    worker_pid        INTEGER
);
CREATE INDEX runs_experiment ON runs(experiment_id, start_time);
CREATE INDEX runs_running ON runs(status) WHERE status = 'RUNNING';

CREATE TABLE params (
    run_id TEXT NOT NULL REFERENCES runs(run_id) ON DELETE CASCADE,
    key    TEXT NOT NULL,
    value  TEXT NOT NULL,
    PRIMARY KEY (run_id, key)
) WITHOUT ROWID;

-- The full history of every metric. value is NULL for NaN (SQLite stores a NaN as NULL).
CREATE TABLE metrics (
    run_id       TEXT NOT NULL REFERENCES runs(run_id) ON DELETE CASCADE,
    key          TEXT NOT NULL,
    value        REAL,
    step         INTEGER NOT NULL DEFAULT 0,
    epoch        INTEGER NOT NULL DEFAULT 0,
    timestamp_ms INTEGER NOT NULL
);
CREATE INDEX metrics_run_key_step ON metrics(run_id, key, step);

CREATE TABLE tags (
    run_id TEXT NOT NULL REFERENCES runs(run_id) ON DELETE CASCADE,
    key    TEXT NOT NULL,
    value  TEXT NOT NULL,
    PRIMARY KEY (run_id, key)
) WITHOUT ROWID;

-- Files of a run; path is relative to the workspace's artifacts/<run_id>/ folder.
CREATE TABLE artifacts (
    run_id  TEXT NOT NULL REFERENCES runs(run_id) ON DELETE CASCADE,
    path    TEXT NOT NULL,
    kind    TEXT NOT NULL,
    size    INTEGER NOT NULL DEFAULT 0,
    created TEXT NOT NULL,
    PRIMARY KEY (run_id, path)
) WITHOUT ROWID;
)sql"},
        {3, R"sql(
-- Model registry (MLflow's names): registered models, their versions and stages, the audit trail of
-- stage transitions, and aliases. A version's model file is copied under artifacts/registry/.
CREATE TABLE registered_models (
    name        TEXT PRIMARY KEY,
    description TEXT NOT NULL DEFAULT '',
    created     TEXT NOT NULL,
    updated     TEXT NOT NULL
);

CREATE TABLE registered_model_tags (
    name  TEXT NOT NULL REFERENCES registered_models(name) ON DELETE CASCADE,
    key   TEXT NOT NULL,
    value TEXT NOT NULL,
    PRIMARY KEY (name, key)
) WITHOUT ROWID;

-- artifact: the model file, relative to the workspace's artifacts/ folder. classes: a JSON array of
-- the class names in the model's output order; image_size and channels: what the model reads.
CREATE TABLE model_versions (
    name         TEXT NOT NULL REFERENCES registered_models(name) ON DELETE CASCADE,
    version      INTEGER NOT NULL CHECK (version >= 1),
    run_id       TEXT REFERENCES runs(run_id),
    artifact     TEXT NOT NULL,
    classes      TEXT NOT NULL,
    image_size   INTEGER NOT NULL,
    channels     INTEGER NOT NULL,
    data_table   TEXT,
    data_version INTEGER,
    stage        TEXT NOT NULL DEFAULT 'None' CHECK (stage IN ('None', 'Staging', 'Production', 'Archived')),
    description  TEXT NOT NULL DEFAULT '',
    created      TEXT NOT NULL,
    updated      TEXT NOT NULL,
    PRIMARY KEY (name, version)
);
-- At most one Production version per model, whatever the writers do.
CREATE UNIQUE INDEX model_versions_one_production ON model_versions(name) WHERE stage = 'Production';

CREATE TABLE stage_transitions (
    id         INTEGER PRIMARY KEY,
    name       TEXT NOT NULL,
    version    INTEGER NOT NULL,
    from_stage TEXT NOT NULL,
    to_stage   TEXT NOT NULL,
    at         TEXT NOT NULL,
    by         TEXT NOT NULL,
    comment    TEXT NOT NULL DEFAULT '',
    FOREIGN KEY (name, version) REFERENCES model_versions(name, version) ON DELETE CASCADE
);
CREATE INDEX stage_transitions_model ON stage_transitions(name, id);

CREATE TABLE model_aliases (
    name    TEXT NOT NULL,
    alias   TEXT NOT NULL,
    version INTEGER NOT NULL,
    updated TEXT NOT NULL,
    PRIMARY KEY (name, alias),
    FOREIGN KEY (name, version) REFERENCES model_versions(name, version) ON DELETE CASCADE
) WITHOUT ROWID;

-- Predictions merged by (table, path, model, model version): a rescoring updates its row. version is the
-- catalog version (MERGE PREDICTIONS) that last wrote the row; content_hash the bytes that were scored.
-- top5: a JSON array of {"label", "probability"}, most probable first.
CREATE TABLE predictions (
    table_name    TEXT NOT NULL,
    path          TEXT NOT NULL,
    model_name    TEXT NOT NULL,
    model_version INTEGER NOT NULL,
    content_hash  TEXT,
    predicted     TEXT NOT NULL,
    confidence    REAL NOT NULL,
    top5          TEXT NOT NULL,
    version       INTEGER NOT NULL REFERENCES versions(version),
    scored_at     TEXT NOT NULL,
    UNIQUE (table_name, path, model_name, model_version)
);

-- The review queue: images a model was unsure of, waiting for a person. state pending | labeled | skipped;
-- merged_version is the catalog version (MERGE LABELS) that took the label into the table.
CREATE TABLE review_queue (
    id             INTEGER PRIMARY KEY,
    table_name     TEXT NOT NULL,
    path           TEXT NOT NULL,
    content_hash   TEXT,
    model_name     TEXT NOT NULL,
    model_version  INTEGER NOT NULL,
    predicted      TEXT NOT NULL,
    confidence     REAL NOT NULL,
    top5           TEXT NOT NULL,
    reason         TEXT NOT NULL,
    state          TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'labeled', 'skipped')),
    label          TEXT,
    label_source   TEXT CHECK (label_source IN ('human', 'import')),
    labeled_by     TEXT,
    labeled_at     TEXT,
    queued_at      TEXT NOT NULL,
    queued_version INTEGER,
    merged_version INTEGER REFERENCES versions(version)
);
-- One open entry (not yet merged) per image.
CREATE UNIQUE INDEX review_queue_open ON review_queue(table_name, path) WHERE merged_version IS NULL;
-- The open queue, least confident first (what a reviewer lists).
CREATE INDEX review_queue_open_confidence ON review_queue(confidence) WHERE merged_version IS NULL;
)sql"},
        {4, R"sql(
-- Pipeline runs (Databricks Jobs 2.1 names). definition: the pipeline JSON as the run started with it;
-- parameters: the resolved parameter values. executor_pid: the process running it, to find runs orphaned
-- by a crash; cancel_requested: set by `pipeline cancel` from any process, polled by the executor.
CREATE TABLE pipeline_runs (
    run_id           INTEGER PRIMARY KEY AUTOINCREMENT,
    pipeline         TEXT NOT NULL,
    file             TEXT,
    definition       TEXT NOT NULL,
    parameters       TEXT NOT NULL DEFAULT '{}',
    trigger          TEXT NOT NULL DEFAULT 'manual',
    repair_of        INTEGER REFERENCES pipeline_runs(run_id),
    life_cycle_state TEXT NOT NULL,
    result_state     TEXT,
    state_message    TEXT NOT NULL DEFAULT '',
    start_time       TEXT NOT NULL,
    end_time         TEXT,
    executor_pid     INTEGER,
    cancel_requested INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX pipeline_runs_pipeline ON pipeline_runs(pipeline, run_id);

-- One row per task attempt (attempt 0 for a task that never ran: skipped, excluded, reused by a repair).
CREATE TABLE pipeline_task_runs (
    run_id           INTEGER NOT NULL REFERENCES pipeline_runs(run_id) ON DELETE CASCADE,
    task_key         TEXT NOT NULL,
    attempt          INTEGER NOT NULL,
    life_cycle_state TEXT NOT NULL,
    result_state     TEXT,
    state_message    TEXT NOT NULL DEFAULT '',
    start_time       TEXT,
    end_time         TEXT,
    exit_code        INTEGER,
    log_path         TEXT,
    outputs          TEXT NOT NULL DEFAULT '{}',
    PRIMARY KEY (run_id, task_key, attempt)
) WITHOUT ROWID;

-- Files a file-arrival trigger has handed to a run: a later trigger never starts a run for them again.
CREATE TABLE pipeline_trigger_files (
    pipeline TEXT NOT NULL,
    path     TEXT NOT NULL,
    size     INTEGER NOT NULL,
    mtime_ns INTEGER NOT NULL,
    run_id   INTEGER,
    PRIMARY KEY (pipeline, path)
) WITHOUT ROWID;

-- When a scheduled pipeline last fired (so the scheduler neither misses nor repeats a fire time).
CREATE TABLE pipeline_schedule_state (
    pipeline  TEXT PRIMARY KEY,
    last_fire TEXT NOT NULL
) WITHOUT ROWID;
)sql"},
        {5, R"sql(
-- The image browser (core/catalog/ImageQuery): keyset pages of a table as of a version, sorted by path or by the
-- version that added the row; an image's lineage (every row of one path); its newest prediction and its reviews.
CREATE INDEX images_table_path ON images(table_name, path, valid_from);
CREATE INDEX images_table_added ON images(table_name, valid_from, id);
CREATE INDEX predictions_image ON predictions(table_name, path, version);
CREATE INDEX review_queue_image ON review_queue(table_name, path);
)sql"},
        {6, R"sql(
-- Compute targets (core/compute/Targets): SSH hosts a worker runs on; "local" is implicit and never stored.
CREATE TABLE compute_targets (
    name       TEXT PRIMARY KEY,
    url        TEXT NOT NULL,            -- ssh://[USER@]HOST[:PORT]
    workdir    TEXT NOT NULL,            -- absolute, on the host
    worker     TEXT NOT NULL,            -- the worker program on the host
    identity   TEXT NOT NULL DEFAULT '', -- a private key file for ssh -i, or ''
    created_at TEXT NOT NULL
) WITHOUT ROWID;
)sql"},
        {7, R"sql(
-- The image browser's keyset pages (core/catalog/ImageQuery) walk one index in sort order and stop after a page:
-- by confidence (predictions, newest per image kept), and by path or version added within one label.
CREATE INDEX predictions_confidence ON predictions(table_name, confidence, version);
CREATE INDEX images_table_label_path ON images(table_name, label, path, valid_from);
CREATE INDEX images_table_label_added ON images(table_name, label, valid_from, id);
)sql"},
        {8, changes.c_str()},
        {9, R"sql(
-- Slurm targets (core/compute/Targets): what a target asks of sbatch (partition, time, ...) as a JSON object.
ALTER TABLE compute_targets ADD COLUMN options TEXT NOT NULL DEFAULT '{}';
)sql"},
        {10, R"sql(
-- How far a table is known to be scored (core/score/Scoring: written by every merge of predictions, read by the
-- confidence sort of core/catalog/ImageQuery): every image of the table valid as of `version` with status 'ok' and
-- an id below `scored_below` has a prediction with a version <= `version`. The newest merge's row only.
CREATE TABLE prediction_coverage (
    table_name   TEXT PRIMARY KEY,
    version      INTEGER NOT NULL,
    scored_below INTEGER NOT NULL
) WITHOUT ROWID;
)sql"},
        {11, R"sql(
-- One model version's predictions of a table, by path, with their confidence: the Review page's confidence histogram
-- (core/score/Scoring's confidenceHistogram) and a merge's counts read this index alone instead of every
-- prediction row of the table, and look the images up in path order, as images_current holds them (at a million
-- images 17 s before; 11 s with the confidence before the path).
CREATE INDEX predictions_model ON predictions(table_name, model_name, model_version, path, confidence);
)sql"},
    };
    return migrations;
}

const std::vector<Migration> &thumbnailMigrations()
{
    static const std::vector<Migration> migrations = {
        {1, R"sql(
-- Thumbnails (<= 256 px) keyed by the image's content hash: identical bytes share one thumbnail.
-- A rowid table: blobs are appended in insertion order; only the hash index takes random inserts.
CREATE TABLE thumbnails (
    id           INTEGER PRIMARY KEY,
    content_hash TEXT NOT NULL UNIQUE,
    format       TEXT NOT NULL,
    width        INTEGER NOT NULL,
    height       INTEGER NOT NULL,
    data         BLOB NOT NULL
);
)sql"},
    };
    return migrations;
}

} // namespace pw::store
