// Browsing the images of a catalog table: filtered, sorted pages read with keyset paging (never OFFSET), counts per
// label, and one image's lineage (its versions, predictions and review decisions).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace pw::store {
class Database;
}

namespace pw::catalog {

/** Which images of a table to list, and in which order. */
struct ImageFilter
{
    std::string table;
    std::optional<std::string> label, predicted, labelSource; // label "": the unlabeled images
    std::optional<double> minConfidence, maxConfidence; // of the newest prediction; set bounds drop unscored images
    bool rejected = false; // list the rejected files instead of the valid images
    std::optional<std::int64_t> asOfVersion; // the table as of this version; latest committed when unset
    enum class Sort
    {
        Path,
        Confidence,
        Added
    } sort = Sort::Path;

    bool operator==(const ImageFilter &) const = default;
};

/** One image as listed: its catalog row and its newest prediction (predicted empty, confidence unset: none). */
struct ImageRow
{
    std::int64_t id = 0;
    std::string path, contentHash, label, labelSource, format, status, reason;
    int width = 0, height = 0, channels = 0;
    std::int64_t size = 0, validFrom = 0;
    std::optional<double> confidence;
    std::string predicted;
};

/**
 * Where a page ends: the sort key of its last row and that row's id. The next page starts after it
 * (WHERE (key, id) > (cursor.key, cursor.id)). Path sorts use `text`; Confidence and Added sorts use `number`.
 */
struct Cursor
{
    std::string text;
    double number = 0;
    std::int64_t id = 0;
};

/** The cursor just after `row` in `sort` order. */
Cursor cursorAfter(const ImageRow &row, ImageFilter::Sort sort);

/**
 * Up to `limit` images matching `filter` after `after` (from the start when unset), sorted by the filter's key and
 * then id. Confidence sorts put unscored images first. Throws store::DatabaseError naming the database.
 */
std::vector<ImageRow> queryImages(store::Database &db, const ImageFilter &filter, const std::optional<Cursor> &after,
                                  int limit);

/**
 * Records how far `table` is scored as of catalog version `version` (prediction_coverage, migration 10): the
 * smallest id of an image valid then with no prediction as of `version`, or one past the largest image id when every
 * image has one. Called by each merge of predictions inside its version's transaction; it walks on from the previous
 * merge's record (an image scored then stays scored: a merge only adds predictions or moves them to its own version),
 * so only the images added since are looked at. The confidence sort then starts its search for unscored images
 * there instead of at the table's first image. Returns the recorded id.
 */
std::int64_t recordPredictionCoverage(store::Database &db, const std::string &table, std::int64_t version);

/** Images matching `filter` per label ("" for unlabeled). */
std::map<std::string, std::int64_t> countByLabel(store::Database &db, const ImageFilter &filter);

/** One catalog row of an image: the versions [validFrom, validTo) it was valid in. */
struct ImageVersionRow
{
    std::int64_t id = 0;
    std::int64_t validFrom = 0;
    std::optional<std::int64_t> validTo;
    std::string label, labelSource, status, contentHash;
};

struct ImagePrediction
{
    std::string model;
    std::int64_t modelVersion = 0;
    std::string predicted;
    double confidence = 0;
    std::string top5; // JSON array of {"label", "probability"}
    std::int64_t version = 0; // the catalog version that merged it
    std::string scoredAt;
};

struct ReviewDecision
{
    std::string state, label, labeledBy, labeledAt, queuedAt, predicted;
    double confidence = 0;
    std::optional<std::int64_t> mergedVersion;
};

/** Everything known of one image: its newest row, its versions (oldest first), predictions (newest first), reviews. */
struct ImageDetail
{
    std::optional<ImageRow> current;
    std::vector<ImageVersionRow> versions;
    std::vector<ImagePrediction> predictions;
    std::vector<ReviewDecision> reviews;
};

/** The lineage of `path` in `table`; empty (no current, no versions) for an unknown path. */
ImageDetail imageDetail(store::Database &db, const std::string &table, const std::string &path);

} // namespace pw::catalog
