// Batch scoring: the images of a table that a registered model version has not scored are decoded,
// predicted by pipewright-worker, and MERGEd into the catalog's predictions by (table, path, model
// version) as one catalog version (MERGE PREDICTIONS); the ones the model is unsure of enter the review queue.
#pragma once

#include "core/requests/Choices.h"

#include <atomic>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace pw::store {
class Database;
class Workspace;
} // namespace pw::store
namespace pw::requests {
class KeyValues;
}

namespace pw::score {

/**
 * Which images a scoring queues for review. Unlabeled (the default): images without a label whose confidence is below
 * the threshold (sampled). Labeled: images with a label no person gave (folder or import) that the model predicts
 * otherwise, at any confidence: likely label errors (sampled). All: both.
 */
enum class ReviewMode
{
    Unlabeled,
    Labeled,
    All
};
inline constexpr requests::Choices<ReviewMode, 3> kReviewModes{
    {{ReviewMode::Unlabeled, "unlabeled"}, {ReviewMode::Labeled, "labeled"}, {ReviewMode::All, "all"}}};

struct ScoreRequest
{
    std::string model; // a registry reference: NAME@Production, NAME@ALIAS, NAME:VERSION, ...
    std::string table = "images";
    double threshold = 0.95; // unlabeled images with confidence below it are queued
    ReviewMode review = ReviewMode::Unlabeled; // which images are queued
    double reviewFraction = 1.0; // queue only this seeded share of them (0 < F <= 1)
    std::uint64_t seed = 42; // which share
    bool rescore = false; // score every image again, not only those without a prediction
    std::string target = "local"; // the compute target that runs the model (core/compute/Targets.h)
    // A Slurm target: the images are split over nodes x processes_per_node tasks of one job.
    int nodes = 1;
    int processesPerNode = 1;
};

/**
 * The request from key/value input: model (required), table, threshold and review_fraction (above 0, at most 1),
 * review (kReviewModes), seed (>= 0), rescore (boolean), target, nodes and processes_per_node (>= 1; above 1 only
 * for a Slurm target). Throws requests::RequestError naming the key at fault,
 * an unknown key too.
 */
ScoreRequest parseScoreRequest(const requests::KeyValues &values);

struct ScoreFailure
{
    std::string path;
    std::string reason;
};

struct ScoreResult
{
    std::int64_t version = 0; // the MERGE PREDICTIONS version; the latest version when nothing was written
    bool wrote = false;
    std::string model;
    std::int64_t modelVersion = 0;
    std::int64_t scored = 0; // predictions merged
    std::int64_t inserted = 0; // of which new rows
    std::int64_t updated = 0; // of which replaced an earlier prediction of this model version
    std::int64_t skipped = 0; // images that already had a prediction of this model version
    std::int64_t failed = 0; // images that could not be read or decoded
    std::vector<ScoreFailure> failures;
    std::int64_t queuedForReview = 0; // entries queued or refreshed in the review queue
    std::vector<std::string> warnings;
    double seconds = 0;
    double selectSeconds = 0, decodeSeconds = 0, predictSeconds = 0, mergeSeconds = 0;
};

/** Progress of a scoring: phase "decode" or "predict", done of total images. */
using ScoreProgress = std::function<void(const std::string &phase, std::int64_t done, std::int64_t total)>;

/**
 * Scores `request.table` with the model version `request.model` resolves to. Holds the workspace's writer lock
 * throughout. Images that cannot be read or decoded are left out and listed (they never stop the batch).
 * Throws std::runtime_error naming the value at fault: an unresolvable model reference, an unknown table, a
 * threshold or fraction out of range, a worker failure; cancellation throws and writes nothing.
 */
ScoreResult score(const store::Workspace &ws, const ScoreRequest &request, const ScoreProgress &progress = {},
                  const std::atomic<bool> *cancel = nullptr);

/** One prediction to merge. */
struct PredictionRow
{
    std::string path;
    std::string contentHash;
    std::string predicted;
    double confidence = 0;
    std::string top5; // JSON array of {"label", "probability"}, most probable first
};

struct MergeOptions
{
    std::string table;
    std::string model;
    std::int64_t modelVersion = 0;
    double threshold = 0.95;
    ReviewMode review = ReviewMode::Unlabeled;
    double reviewFraction = 1.0;
    std::uint64_t seed = 42;
    std::string parameters = "{}"; // recorded with the catalog version
};

struct MergeStats
{
    std::int64_t version = 0;
    std::int64_t inserted = 0, updated = 0, queued = 0;
};

/**
 * MERGEs `rows` into the predictions of `options.table` as one new catalog version (MERGE PREDICTIONS), in one
 * transaction, and queues for review the rows `options.review` selects (ReviewMode). The caller
 * holds the workspace's writer lock and has discarded any dead pending version.
 */
MergeStats mergePredictions(store::Database &db, const MergeOptions &options, const std::vector<PredictionRow> &rows);

/**
 * Writes the predictions of the current images of `table` as CSV, one row per image (its most recent
 * prediction): path, predicted_label, confidence, model, model_version, scored_at. Returns the rows written;
 * throws naming the table or file at fault.
 */
std::int64_t exportPredictionsCsv(store::Database &db, const std::string &table, const std::string &file);

/** The confidences of one model version's predictions of a table, in equal bins over [0, 1]. */
struct ConfidenceHistogram
{
    std::vector<std::int64_t> counts; // bin i holds confidences in [i/n, (i+1)/n); 1.0 falls in the last bin
    std::int64_t total = 0; // predictions counted (the sum of counts)
};

/**
 * The histogram of the confidences of `model`:`modelVersion`'s predictions of the current images of `table`
 * (one per image), in `bins` equal bins. Throws naming the table or the bin count at fault.
 */
ConfidenceHistogram confidenceHistogram(store::Database &db, const std::string &table, const std::string &model,
                                        std::int64_t modelVersion, int bins = 50);

/** How many of `model`:`modelVersion`'s predictions of the current images of `table` are below `threshold`. */
std::int64_t countBelowThreshold(store::Database &db, const std::string &table, const std::string &model,
                                 std::int64_t modelVersion, double threshold);

/** True when `path` falls in the seeded review sample of share `fraction`. */
bool inReviewSample(const std::string &path, double fraction, std::uint64_t seed);

/** The indices of the `k` most probable of `classes` probabilities, most probable first (ties: lower index first). */
std::vector<int> topKIndices(const float *probabilities, std::size_t classes, int k);

/** Writes `[{"label": ..., "probability": ...}, ...]` for the `k` most probable of `probabilities`. */
std::string topKJson(const float *probabilities, const std::vector<std::string> &classes, int k, int *best = nullptr);

} // namespace pw::score
