// What the Experiments page shows, read in one go off the GUI thread: every run with its params, its final
// metrics and the per-epoch curves the page draws.
#pragma once

#include "core/track/Tracker.h"

#include <QString>

#include <map>
#include <string>
#include <vector>

namespace pw::ui {

/** The metrics the run chart draws (the keys pipewright-worker logs once per epoch). */
inline constexpr const char *kTrainLossKey = "train_loss";
inline constexpr const char *kValLossKey = "val_loss";
inline constexpr const char *kValAccuracyKey = "val_accuracy";

struct RunRow
{
    track::RunInfo info;
    std::map<std::string, std::string> params;
    std::map<std::string, double> metrics; // the latest value of each key
    std::map<std::string, std::vector<track::MetricPoint>> curves; // train_loss, val_loss, val_accuracy
};

struct ExperimentsSnapshot
{
    QString error; // non-empty when the runs could not be read
    std::vector<std::string> experiments; // names, in name order
    std::vector<RunRow> runs; // newest first
};

/** Reads the snapshot through its own connection: safe to call on any thread. */
ExperimentsSnapshot loadExperimentsSnapshot(const std::string &workspaceRoot);

} // namespace pw::ui
