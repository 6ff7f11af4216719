// The one parser of a training request and of an evaluation request from key/value input.
#include "core/compute/Training.h"

#include "core/requests/KeyValues.h"

#include <limits>

namespace pw::compute {

TrainRequest parseTrainRequest(const requests::KeyValues &values)
{
    requests::KeyReader in(values);
    TrainRequest r;
    r.table = in.text("table", r.table);
    r.experiment = in.text("experiment", r.experiment);
    r.runName = in.text("name", r.runName);
    r.model = in.text("model", r.model);
    r.epochs = int(in.wholeNumber("epochs", r.epochs, {.min = 0}));
    r.batchSize = int(in.wholeNumber("batch_size", r.batchSize, {.min = kMinBatchSize, .zeroIsDefault = true}));
    r.lr = in.number("lr", r.lr, {0, std::numeric_limits<double>::infinity()});
    r.optimizer = in.choice("optimizer", r.optimizer, kOptimizers);
    r.imageSize = int(in.wholeNumber("image_size", r.imageSize, {.min = 0}));
    r.valFraction = in.number("val_fraction", r.valFraction, {0, 0.9});
    r.seed = std::uint64_t(in.wholeNumber("seed", std::int64_t(r.seed), {.min = 0, .max = LLONG_MAX}));
    r.device = in.choice("device", r.device, kDevices);
    r.precision = in.choice("precision", r.precision, kPrecisions);
    r.asOfVersion = in.optionalWholeNumber("as_of_version", {.min = 0, .max = LLONG_MAX});
    r.target = in.text("target", r.target);
    r.processes = int(in.wholeNumber("processes", r.processes, {.min = 1, .max = 1024}));
    r.init = in.text("init", r.init);
    r.freeze = in.text("freeze", r.freeze);
    r.backboneLrScale = in.number("backbone_lr_scale", r.backboneLrScale, {0, std::numeric_limits<double>::infinity()});
    r.nodes = int(in.wholeNumber("nodes", r.nodes, {.min = 1, .max = 100000}));
    r.processesPerNode = int(in.wholeNumber("processes_per_node", r.processesPerNode, {.min = 1, .max = 1024}));
    in.done();
    if (r.freeze != "none" && r.freeze != "backbone")
        throw requests::RequestError("freeze", "'" + r.freeze + "' is not backbone or none");
    if (r.freeze == "backbone" && r.init.empty())
        throw requests::RequestError("freeze", "backbone needs init (a file of pretrained weights): a random backbone "
                                               "would stay random");
    return r;
}

EvaluateRequest parseEvaluateRequest(const requests::KeyValues &values)
{
    requests::KeyReader in(values);
    EvaluateRequest r;
    r.run = in.required("run");
    r.table = in.required("table");
    r.asOfVersion = in.optionalWholeNumber("as_of_version", {.min = 0, .max = LLONG_MAX});
    in.done();
    return r;
}

} // namespace pw::compute
