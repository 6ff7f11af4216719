// Schema of the workspace databases. Append a migration; never edit one that has shipped.
#include "core/store/Schema.h"

namespace pw::store {

const std::vector<Migration> &catalogMigrations()
{
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
