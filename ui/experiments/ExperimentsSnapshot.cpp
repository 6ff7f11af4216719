// Loads the Experiments page's data through the tracking API (never SQL here).
#include "ui/experiments/ExperimentsSnapshot.h"

#include "core/store/Database.h"
#include "core/store/Workspace.h"

namespace pw::ui {

ExperimentsSnapshot loadExperimentsSnapshot(const std::string &workspaceRoot)
{
    ExperimentsSnapshot s;
    try {
        const auto ws = store::Workspace::open(workspaceRoot);
        auto db = ws.openCatalog();
        const track::Tracker tracker(*db);
        s.experiments = tracker.experiments();
        for (track::RunInfo &info : tracker.runs()) {
            RunRow row;
            row.params = tracker.params(info.runId);
            row.metrics = tracker.latestMetrics(info.runId);
            // Per key, so that the long per-batch histories (batch_loss) are not read.
            for (const char *key : {kTrainLossKey, kValLossKey, kValAccuracyKey}) {
                auto points = tracker.metricHistory(info.runId, key);
                if (!points.empty())
                    row.curves.emplace(key, std::move(points));
            }
            row.info = std::move(info);
            s.runs.push_back(std::move(row));
        }
    } catch (const std::exception &e) {
        s.error = QString::fromStdString(e.what());
    }
    return s;
}

} // namespace pw::ui
