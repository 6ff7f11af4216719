// Incremental image ingest ("Auto Loader, available now"): discover, validate, append as a new version.
#pragma once

#include "core/catalog/Catalog.h"
#include "core/ingest/LabelRule.h"

#include <atomic>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

class QJsonObject;

namespace pw::store {
class Workspace;
}
namespace pw::requests {
class KeyValues;
}

namespace pw::ingest {

inline constexpr double kDefaultMaxMegapixels = 100.0;
inline constexpr int kDefaultCommitEvery = 2000;

struct IngestOptions
{
    std::string source; // the folder to discover files under
    std::string table = "images"; // the catalog table to append to
    std::optional<std::string> glob; // overrides the default image-extension filter
    LabelRule labels = LabelRule::Caltech;
    double maxMegapixels = kDefaultMaxMegapixels;
    int commitEvery = kDefaultCommitEvery; // files per committed batch
    int threads = 0; // decoding threads; 0: one per core
};

/**
 * The options from key/value input (the CLI's, a pipeline task's params): source (required), table, glob,
 * labels (kLabelRules), max_megapixels (above 0), commit_every (>= 1), threads (>= 0, 0: one per core).
 * Throws requests::RequestError naming the key at fault, an unknown key too.
 */
IngestOptions parseIngestOptions(const requests::KeyValues &values);

struct IngestProgress
{
    std::int64_t discovered = 0;
    std::int64_t processed = 0; // discovered files checked so far (skipped as unchanged, or read and decoded)
};

/** The outcome, with the CLI's JSON keys. Counts cover the whole version, also when a run resumed one. */
struct IngestResult
{
    std::int64_t version = 0; // the catalog version after the ingest
    std::int64_t discovered = 0;
    std::int64_t added = 0;
    std::int64_t updated = 0;
    std::int64_t unchanged = 0;
    std::int64_t rejected = 0;
    double discoverSeconds = 0; // walking the source folder
    double checkpointSeconds = 0; // taking the writer lock and loading the checkpoint
    double writeSeconds = 0; // the writer's time inside transactions
    double totalSeconds = 0;
    bool resumed = false; // this run finished a version an interrupted run had begun
    bool cancelled = false; // stopped early: what was processed is kept, pending; a rerun finishes it
    std::vector<std::string> warnings;
    std::vector<catalog::RejectedFile> rejectedFiles; // rejected by this run
};

using IngestProgressFn = std::function<void(const IngestProgress &)>;

/**
 * Ingests `options.source` into `options.table` of the workspace's catalog.
 *
 * New files and files whose size or mtime changed are read, hashed (SHA-256), validated by decoding,
 * thumbnailed and written in batches of `commitEvery`, each batch one transaction, all under one
 * PENDING version that becomes visible when the run completes. A run that is killed leaves its
 * committed batches pending; the next ingest of the same table and source resumes that version, so
 * nothing committed is lost and nothing is duplicated. A file that cannot be read or decoded is
 * recorded as rejected with its reason; it never stops the batch.
 *
 * `progress` is called from the calling thread; `cancel`, when set, stops the run after the batch in
 * flight. Throws for a missing source or a bad option, naming it.
 */
IngestResult ingest(const store::Workspace &workspace, const IngestOptions &options,
                    const IngestProgressFn &progress = {}, const std::atomic<bool> *cancel = nullptr);

/** The result as the JSON of `pipewright ingest`: {"version", "discovered", "added", ..., "seconds"}. */
QJsonObject resultJson(const IngestResult &r);

} // namespace pw::ingest
