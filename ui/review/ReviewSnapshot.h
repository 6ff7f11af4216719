// What the Review page shows, read in one go off the GUI thread (the open review queue, least confident first,
// its counts, and the classes of the models that scored it), and the queue's actions, run on any thread.
#pragma once

#include "core/review/Review.h"
#include "core/score/Scoring.h"

#include <QString>
#include <QStringList>

#include <map>
#include <string>
#include <vector>

namespace pw::ui {

struct ReviewCounts
{
    std::int64_t pending = 0;
    std::int64_t labeled = 0;
    std::int64_t skipped = 0;
};

struct ReviewSnapshot
{
    QString error; // non-empty when the queue could not be read
    std::vector<review::ReviewItem> items; // open entries, least confident first
    ReviewCounts counts;
    std::map<std::string, std::vector<std::string>> classes; // per "model:version", the model's classes
    std::map<std::string, std::string> stages; // per "model:version", its stage now (None, ..., Archived)
    QStringList warnings; // what could not be read but did not stop the rest (a model missing from the registry)
    // The confidence histogram of the table and model version the least confident entry was scored with.
    std::string histogramTable;
    std::string histogramModel;
    std::int64_t histogramModelVersion = 0;
    score::ConfidenceHistogram histogram;
};

/** Bins of the Review page's confidence histogram. Its threshold snaps to a bin edge: with 100 bins every
 *  two-decimal threshold, scoring's default 0.95 included, stays exact (50 bins turned 0.95 into 0.96). */
constexpr int kReviewHistogramBins = 100;

/** "model:version", the key of ReviewSnapshot::classes. */
std::string modelKey(const std::string &model, std::int64_t version);

/** Reads the snapshot through its own connection: safe to call on any thread. */
ReviewSnapshot loadReviewSnapshot(const std::string &workspaceRoot);

/** What to do with entries of the queue. */
enum class ReviewAction
{
    Label,
    Accept,
    Skip,
    Reopen
};

/** The entries an action changed (as they are now), the counts after it, and the entries it refused. */
struct ReviewActionOutcome
{
    std::vector<review::ReviewItem> changed;
    ReviewCounts counts;
    QStringList errors; // one per entry refused, naming it
};

/** Labels (with `label`), accepts or skips the entries `ids`; each is its own transaction. Any thread. */
ReviewActionOutcome applyReviewAction(const std::string &workspaceRoot, ReviewAction action,
                                      const std::vector<std::int64_t> &ids, const std::string &label = {});

/** ReviewQueue::commit() of every table, or the error. */
struct ReviewCommitOutcome
{
    QString error;
    review::CommitResult result;
};
ReviewCommitOutcome commitReviewLabels(const std::string &workspaceRoot);

/** An export (review::ExportRequest) or an import of the queue for an external labeling tool. */
struct ReviewTransferOutcome
{
    QString error;
    std::int64_t entries = 0; // written, or imported
    QStringList skipped; // for an import: "path: why" per entry left out
};
ReviewTransferOutcome exportReviewQueue(const std::string &workspaceRoot, const review::ExportRequest &request);
ReviewTransferOutcome importReviewLabels(const std::string &workspaceRoot, const std::string &file);

} // namespace pw::ui
