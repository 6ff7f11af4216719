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
