// The review queue: images a model was unsure of, labeled (or accepted, or skipped) by a person, and merged
// back into the catalog as one new version (MERGE LABELS) so that the next training run learns from them.
// Also the bridge to external labeling tools: CSV and Label Studio export and import.
#pragma once

#include "core/requests/Choices.h"

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace pw::store {
class Database;
class Workspace;
} // namespace pw::store
namespace pw::requests {
class KeyValues;
}

namespace pw::review {

/** The states of a queue entry, as stored and as the CLI, tasks and exports name them. */
enum class EntryState
{
    Pending,
    Labeled,
    Skipped
};
inline constexpr requests::Choices<EntryState, 3> kEntryStates{
    {{EntryState::Pending, "pending"}, {EntryState::Labeled, "labeled"}, {EntryState::Skipped, "skipped"}}};

/** The files an external labeling tool reads: CSV, or Label Studio tasks (JSON). */
enum class ExportFormat
{
    Csv,
    LabelStudio
};
inline constexpr requests::Choices<ExportFormat, 2> kExportFormats{
    {{ExportFormat::Csv, "csv"}, {ExportFormat::LabelStudio, "labelstudio"}}};

struct ReviewItem
{
    std::int64_t id = 0;
    std::string table;
    std::string path;
    std::string contentHash;
    std::string model;
    std::int64_t modelVersion = 0;
    std::string predicted;
    double confidence = 0;
    std::vector<std::pair<std::string, double>> top5; // most probable first
    std::string reason;
    std::string state; // pending | labeled | skipped
    std::string label; // when labeled
    std::string labelSource; // human | import
    std::string labeledBy;
    std::string labeledAt;
    std::string queuedAt;
    std::int64_t mergedVersion = 0; // 0: not merged yet
    std::string currentLabel; // the image's label in the catalog now; empty: none (or the image is gone)
    std::string currentLabelSource; // its source: path (a folder's name), human, import
};

struct ListOptions
{
    std::string state; // pending | labeled | skipped; empty: every state
    std::string table; // empty: every table
    bool includeMerged = false; // entries already merged into the catalog too
    std::int64_t limit = -1;
};

struct CommitResult
{
    std::int64_t version = 0; // the MERGE LABELS version; the latest version when nothing was merged
    std::int64_t labelsMerged = 0;
    std::vector<std::pair<std::string, std::string>> notMerged; // (path, why) of labeled entries left open
    std::vector<std::string> warnings;
};

/** What an import did: entries labeled, and the lines or tasks left out with why. */
struct ImportResult
{
    std::string format; // csv | labelstudio
    std::int64_t imported = 0;
    std::vector<std::pair<std::string, std::string>> skipped; // (path or position, why)
};

/**
 * The review queue in catalog.db over one connection (one thread). Labeling, accepting and skipping are single
 * transactions on the queue; commit() writes a catalog version and takes the workspace's writer lock. Errors
 * are std::runtime_error naming the entry, label, file or line at fault.
 */
class ReviewQueue
{
public:
    ReviewQueue(const store::Workspace &ws, store::Database &db);

    /** Open entries (or every entry with includeMerged), least confident first. */
    std::vector<ReviewItem> list(const ListOptions &options = {}) const;
    /** Counts of open entries per state. */
    std::vector<std::pair<std::string, std::int64_t>> counts(const std::string &table = {}) const;

    /** The open entry with this id (a number) or image path; throws when none (or, for a path, several tables). */
    ReviewItem find(const std::string &idOrPath) const;

    /** Labels an entry; the label must be one of the scoring model's classes. */
    ReviewItem label(const std::string &idOrPath, const std::string &label, const std::string &source = "human");
    /** Labels an entry with its predicted class. */
    ReviewItem accept(const std::string &idOrPath);
    /** Marks an entry as skipped: it stays out of the merge until it is labeled. */
    ReviewItem skip(const std::string &idOrPath);
    /**
     * Puts a labeled or skipped open entry back to pending (the undo of label, accept and skip): its label,
     * label source, labeler and time are cleared. One transaction; throws naming the entry when it is merged.
     */
    ReviewItem reopen(const std::string &idOrPath);

    /**
     * Merges every labeled, open entry (of `table`, or all tables) into the catalog as one new version
     * (MERGE LABELS): each image's current row is superseded by one with the label and label_source human (or
     * import). An entry whose image is gone or changed since it was scored is left open and reported.
     */
    CommitResult commit(const std::string &table = {});

    /** Writes the open entries of `state` (pending when empty) as CSV: id, path, predicted, confidence, top5, label. */
    std::int64_t exportCsv(const std::string &file, const std::string &state = "pending") const;
    /** Writes them as Label Studio tasks: [{"id", "data": {"image", "path", ...}, "predictions": [...]}]. */
    std::int64_t exportLabelStudio(const std::string &file, const std::string &state = "pending") const;
    /**
     * Imports labels from a CSV with a header holding "path" (or "id") and "label" columns, or from a Label
     * Studio JSON export (by the file's first non-blank character). Unknown paths and labels outside the
     * model's classes are reported and skipped; the rest are imported (label_source import) in one transaction.
     */
    ImportResult importFile(const std::string &file);

private:
    std::vector<ReviewItem> query(const std::string &where, const std::vector<std::string> &binds,
                                  const std::string &tail = {}) const;
    std::vector<std::string> modelClasses(const std::string &model, std::int64_t version) const;
    ReviewItem setState(const ReviewItem &item, const std::string &state, const std::optional<std::string> &label,
                        const std::string &source);

    const store::Workspace &m_ws;
    store::Database &m_db;
};

/** An export of the open entries of one state for an external labeling tool. */
struct ExportRequest
{
    std::string file;
    ExportFormat format = ExportFormat::Csv;
    EntryState state = EntryState::Pending;
};

/** file (required), format (kExportFormats), state (kEntryStates). Throws requests::RequestError naming the key. */
ExportRequest parseExportRequest(const requests::KeyValues &values);
/** Writes the export the request describes; returns the entries written. */
std::int64_t exportEntries(const ReviewQueue &queue, const ExportRequest &request);

/** A merge of the reviewed labels into the catalog (review commit, a labels-merge task). */
struct MergeRequest
{
    std::string table; // empty: every table
};

/** table. Throws requests::RequestError for an unknown key. */
MergeRequest parseMergeRequest(const requests::KeyValues &values);

/** Splits one CSV record (RFC 4180: quotes, doubled quotes); `line` must hold whole quoted fields. */
std::vector<std::string> parseCsvRecord(const std::string &line);
/** Quotes a CSV field when it needs it. */
std::string csvField(const std::string &value);

} // namespace pw::review
