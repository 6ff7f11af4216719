// The demo workspace: Fashion-MNIST ingested, the sample pipelines and, on request, a model in Production
// with a scored batch waiting in the review queue. Used by `pipewright demo` and the welcome page.
#pragma once

#include <QByteArray>
#include <QJsonObject>
#include <QString>

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <string>

namespace pw::store {
class Workspace;
}

namespace pw::demo {

struct DemoOptions
{
    /** Also train small-cnn, register it as model "fashion" in Production and score `incoming` new images. */
    bool withModel = false;
    int epochs = 3;
    std::int64_t incoming = 2000;
    /** Only the first N images of the train / test split (all when < 0): a small demo for tests. */
    std::int64_t trainLimit = -1;
    std::int64_t testLimit = -1;
    /**
     * The sample pipelines by name ("training", "scoring") as JSON text. Empty: read from the Qt resources
     * ":/pipelines/NAME.json", which only programs that compile resources/resources.qrc have.
     */
    std::map<QString, QByteArray> samplePipelines;
};

/** One step's progress: `step` names it ("fashion-mnist train", "ingest fashion", "train small-cnn", ...). */
struct DemoProgress
{
    std::string step;
    std::int64_t done = 0;
    std::int64_t total = 0;
};

/**
 * Creates (or completes) the demo workspace in `ws`: Fashion-MNIST's train split as PNG files under
 * DATA/fashion-mnist/train ingested as table "fashion", the test split as "fashion-test", and the sample
 * pipelines under pipelines/ with their parameters pointed at this workspace (an existing pipeline file is
 * kept). With `withModel`: trains small-cnn on "fashion" (experiment "demo"), registers it as model "fashion"
 * and moves it to Production — skipped when "fashion" already has a Production version — then ingests the
 * first `incoming` test images, unlabeled, from DATA/incoming-demo into "fashion" and scores them with
 * fashion@Production, which fills the review queue. Every step is idempotent, so a rerun is cheap.
 *
 * `progress` is called on the calling thread. `cancel` stops the step in flight; what is done is kept and a
 * rerun finishes the rest. Throws std::runtime_error naming the step, file or value at fault ("cancelled"
 * when `cancel` stopped it).
 *
 * Returns the JSON of `pipewright demo`: {"workspace", "tables": {NAME: ingest result}, "pipelines": [FILE]}
 * and with `withModel` "model": {"name", "version", "stage", "run_id", "trained", "incoming", "scored",
 * "queued_for_review"}.
 */
QJsonObject createDemo(const store::Workspace &ws, const DemoOptions &options,
                       const std::function<void(const DemoProgress &)> &progress = {},
                       const std::atomic<bool> *cancel = nullptr);

} // namespace pw::demo
