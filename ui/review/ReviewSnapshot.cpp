// Loads and changes the review queue through the review and registry APIs (never SQL here).
#include "ui/review/ReviewSnapshot.h"

#include "core/registry/Registry.h"
#include "core/store/Database.h"
#include "core/store/Workspace.h"

#include <QStringList>

namespace pw::ui {

std::string modelKey(const std::string &model, std::int64_t version)
{
    return model + ":" + std::to_string(version);
}

static ReviewCounts countsOf(const review::ReviewQueue &queue)
{
    ReviewCounts c;
    for (const auto &[state, n] : queue.counts()) {
        if (state == "pending")
            c.pending = n;
        else if (state == "labeled")
            c.labeled = n;
        else if (state == "skipped")
            c.skipped = n;
    }
    return c;
}

ReviewSnapshot loadReviewSnapshot(const std::string &workspaceRoot)
{
    ReviewSnapshot s;
    try {
        const auto ws = store::Workspace::open(workspaceRoot);
        auto db = ws.openCatalog();
        const review::ReviewQueue queue(ws, *db);
        const registry::Registry reg(ws, *db);
        s.items = queue.list();
        s.counts = countsOf(queue);
        for (const review::ReviewItem &item : s.items) {
            const std::string key = modelKey(item.model, item.modelVersion);
            if (s.classes.count(key))
                continue;
            try {
                const registry::ModelVersion v = reg.version(item.model, item.modelVersion);
                s.classes.emplace(key, v.classes);
                s.stages.emplace(key, registry::stageName(v.stage));
            } catch (const std::exception &e) {
                // Its entries can still be skipped, just not labeled: say why instead of failing the page.
                s.classes.emplace(key, std::vector<std::string>{});
                s.warnings << QString::fromStdString(e.what());
            }
        }
        if (!s.items.empty()) {
            const review::ReviewItem &first = s.items.front();
            s.histogramTable = first.table;
            s.histogramModel = first.model;
            s.histogramModelVersion = first.modelVersion;
            s.histogram = score::confidenceHistogram(*db, first.table, first.model, first.modelVersion,
                                                     kReviewHistogramBins);
        }
    } catch (const std::exception &e) {
        s.error = QString::fromStdString(e.what());
    }
    return s;
}

ReviewActionOutcome applyReviewAction(const std::string &workspaceRoot, ReviewAction action,
                                      const std::vector<std::int64_t> &ids, const std::string &label)
{
    ReviewActionOutcome out;
    try {
        const auto ws = store::Workspace::open(workspaceRoot);
        auto db = ws.openCatalog();
        review::ReviewQueue queue(ws, *db);
        for (const std::int64_t id : ids) {
            const std::string key = std::to_string(id);
            try {
                switch (action) {
                case ReviewAction::Label: out.changed.push_back(queue.label(key, label)); break;
                case ReviewAction::Accept: out.changed.push_back(queue.accept(key)); break;
                case ReviewAction::Skip: out.changed.push_back(queue.skip(key)); break;
                case ReviewAction::Reopen: out.changed.push_back(queue.reopen(key)); break;
                }
            } catch (const std::exception &e) {
                out.errors << QString::fromStdString(e.what()); // one bad entry does not stop the others
            }
        }
        out.counts = countsOf(queue);
    } catch (const std::exception &e) {
        out.errors << QString::fromStdString(e.what());
    }
    return out;
}

ReviewCommitOutcome commitReviewLabels(const std::string &workspaceRoot)
{
    ReviewCommitOutcome out;
    try {
        const auto ws = store::Workspace::open(workspaceRoot);
        auto db = ws.openCatalog();
        review::ReviewQueue queue(ws, *db);
        out.result = queue.commit();
    } catch (const std::exception &e) {
        out.error = QString::fromStdString(e.what());
    }
    return out;
}

ReviewTransferOutcome exportReviewQueue(const std::string &workspaceRoot, const review::ExportRequest &request)
{
    ReviewTransferOutcome out;
    try {
        const auto ws = store::Workspace::open(workspaceRoot);
        auto db = ws.openCatalog();
        const review::ReviewQueue queue(ws, *db);
        out.entries = review::exportEntries(queue, request);
    } catch (const std::exception &e) {
        out.error = QString::fromStdString(e.what());
    }
    return out;
}

ReviewTransferOutcome importReviewLabels(const std::string &workspaceRoot, const std::string &file)
{
    ReviewTransferOutcome out;
    try {
        const auto ws = store::Workspace::open(workspaceRoot);
        auto db = ws.openCatalog();
        review::ReviewQueue queue(ws, *db);
        const review::ImportResult r = queue.importFile(file);
        out.entries = r.imported;
        for (const auto &[where, why] : r.skipped)
            out.skipped << QString::fromStdString(where + ": " + why);
    } catch (const std::exception &e) {
        out.error = QString::fromStdString(e.what());
    }
    return out;
}

} // namespace pw::ui
