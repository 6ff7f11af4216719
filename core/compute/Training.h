// A training run end to end: shards from the catalog, a tracked run, the worker, its events into the tracker.
#pragma once

#include "core/compute/Slurm.h"
#include "core/compute/Targets.h"
#include "core/requests/Choices.h"

#include <QJsonObject>

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace pw::store {
class Workspace;
}
namespace pw::requests {
class KeyValues;
}

namespace pw::compute {

/** Where the worker trains: auto (a GPU when there is one), cpu, cuda (refused up front without one). */
enum class Device
{
    Auto,
    Cpu,
    Cuda
};
inline constexpr requests::Choices<Device, 3> kDevices{
    {{Device::Auto, "auto"}, {Device::Cpu, "cpu"}, {Device::Cuda, "cuda"}}};

/** Arithmetic precision: auto (bf16 where the CPU or GPU has it, else fp32), fp32, bf16. */
enum class Precision
{
    Auto,
    Fp32,
    Bf16
};
inline constexpr requests::Choices<Precision, 3> kPrecisions{
    {{Precision::Auto, "auto"}, {Precision::Fp32, "fp32"}, {Precision::Bf16, "bf16"}}};

enum class Optimizer
{
    Adam,
    Sgd
};
inline constexpr requests::Choices<Optimizer, 2> kOptimizers{{{Optimizer::Adam, "adam"}, {Optimizer::Sgd, "sgd"}}};

struct TrainRequest
{
    std::string table = "images";
    std::string experiment = "Default";
    std::string runName;
    std::string model = "small-cnn";
    int epochs = 0; // 0: the model's default
    int batchSize = 0; // 0: the model's default
    double lr = 0; // 0: the model's default
    Optimizer optimizer = Optimizer::Adam;
    int imageSize = 0; // 0: the model's default input size
    double valFraction = 0.1;
    std::uint64_t seed = 42;
    Device device = Device::Auto;
    Precision precision = Precision::Auto;
    std::optional<std::int64_t> asOfVersion;
    std::string pipelineRunId;
    std::string target = "local"; // a compute target of the workspace (core/compute/Targets.h)
    int processes = 1; // data-parallel ranks on this host (the local target): pipewright-worker --distributed
    std::string init; // pretrained weights (.pth state_dict / .safetensors); empty: random
    std::string freeze = "none"; // none | backbone (needs init)
    double backboneLrScale = 1.0;
    int nodes = 1; // a Slurm target's nodes: nodes x processesPerNode ranks
    int processesPerNode = 1;
};

/** The fewest images in a training batch (batch normalisation needs two). */
inline constexpr int kMinBatchSize = 2;

/**
 * The request from key/value input (the CLI's options, a train task's params, the Train… dialog's fields):
 * table, experiment, name (the run's), model, epochs, batch_size, lr, optimizer, image_size, val_fraction, seed,
 * device, precision, as_of_version, target, processes, init, freeze (none|backbone), backbone_lr_scale, nodes,
 * processes_per_node (a Slurm target's). 0 for epochs, batch_size, lr and image_size is the model's default. Throws
 * requests::RequestError naming the key at fault, an unknown key too.
 */
TrainRequest parseTrainRequest(const requests::KeyValues &values);

/** What `evaluate` evaluates: a run's model on a table (latest version, or asOfVersion). */
struct EvaluateRequest
{
    std::string run;
    std::string table;
    std::optional<std::int64_t> asOfVersion;
};

/** run and table (both required), as_of_version. Throws requests::RequestError like parseTrainRequest. */
EvaluateRequest parseEvaluateRequest(const requests::KeyValues &values);

struct TrainOutcome
{
    std::string runId;
    std::string status; // FINISHED | FAILED | KILLED
    std::string message;
    std::int64_t dataVersion = 0;
    std::int64_t epochs = 0; // epochs completed
    std::map<std::string, double> metrics; // last value per key
    double imagesPerSecond = 0;
    double seconds = 0;
};

/** What a caller watching the run sees: shard progress and every worker event. */
using TrainObserver = std::function<void(const QJsonObject &event)>;

/**
 * Materialises the table's shards, creates a tracked run (params: the request and the worker's resolved
 * settings), runs pipewright-worker train and logs every metric it reports; records the model, checkpoint
 * and classes as artifacts. A worker that crashes leaves the run FAILED with the reason and the metrics
 * logged until then; `cancel` stops the worker (SIGTERM) and the run ends KILLED.
 * Throws (before any run is created) for a bad request: unknown model, image size outside the model's
 * range, unknown table, an empty or one-class table.
 */
TrainOutcome runTraining(const store::Workspace &ws, const TrainRequest &request, const TrainObserver &observer = {},
                         const std::atomic<bool> *cancel = nullptr);

/**
 * Attaches to a remote training run whose supervising process ended (its CLI or workbench was closed or
 * killed: the run is RUNNING, or FAILED as orphaned): follows the worker's events on the target from the start
 * of its event file (each metric is logged once), brings the model and logs back and ends the run as the worker
 * did. Throws std::invalid_argument for a run that ran locally or has ended otherwise; a job the target no longer
 * has ends the run FAILED with that reason.
 */
TrainOutcome attachTraining(const store::Workspace &ws, const std::string &runIdOrPrefix,
                            const TrainObserver &observer = {}, const std::atomic<bool> *cancel = nullptr);

/**
 * Resumes a KILLED or FAILED training run from its checkpoint (the worker's checkpoint.pt in the run's folder, written
 * at each epoch's end and when the worker is stopped): the run is RUNNING again, its worker starts with the request
 * it had (its params) and --resume, goes on from the checkpointed epoch and batch, and each metric point is logged
 * once (epochs are counted once). The run is tagged `resumed` (how many times). Throws std::invalid_argument naming
 * the run for a run that is RUNNING or FINISHED, has no checkpoint, or trained on a remote target.
 */
TrainOutcome resumeTraining(const store::Workspace &ws, const std::string &runIdOrPrefix,
                            const TrainObserver &observer = {}, const std::atomic<bool> *cancel = nullptr);

struct EvaluationResult
{
    std::string runId;
    std::string table;
    std::int64_t dataVersion = 0;
    std::int64_t images = 0; // evaluated images (labels the model knows)
    std::int64_t skipped = 0; // labeled images whose class the model does not know
    double accuracy = 0;
    std::map<std::string, double> perClass; // class name -> accuracy (recall)
    std::vector<std::string> classes; // the model's classes: the confusion matrix order
    std::vector<std::vector<std::int64_t>> confusion; // rows: true class, columns: predicted
    std::string artifact; // the stored JSON, relative to the run's artifact folder
};

/** A model file and what it needs to prepare its input. */
struct ModelFiles
{
    std::string modelPath;
    std::vector<std::string> classes; // the model's output order
    int imageSize = 0;
    int channels = 0;
};

/**
 * Runs `pipewright-worker predict` on a .npy of uint8 N x H x W x C images, writing float32 N x K
 * probabilities to `outNpy`, on `target` (the model and images are copied there; the probabilities come back).
 * On a Slurm target, `parts` (nodes x processes per node) splits the images over that many tasks of one job
 * (predict --by-rank, each task its share); their probabilities are joined here in order. More than one part on
 * another target is refused. Throws with the worker's message when it fails or `cancel` stopped it.
 */
void predictFile(const std::string &modelPath, const std::string &imagesNpy, const std::string &outNpy,
                 const std::atomic<bool> *cancel = nullptr,
                 const std::function<void(const QJsonObject &)> &onEvent = {}, const Target &target = Target{},
                 const slurm::Shape &parts = {});

/**
 * Evaluates a model on the labeled images of `table` (latest version, or `asOfVersion`), matching classes by
 * name. Stores nothing (runId and the written artifact stay empty; artifact holds the name evaluateRun uses).
 */
EvaluationResult evaluateModel(const store::Workspace &ws, const ModelFiles &model, const std::string &table,
                               std::optional<std::int64_t> asOfVersion = {}, const std::atomic<bool> *cancel = nullptr);

/**
 * Evaluates a run's model on the labeled images of `table` (latest version, or `asOfVersion`): predicts
 * with the worker, compares with the labels by class name, stores the result as a JSON artifact of the
 * run and logs eval metrics. Throws naming the run or table at fault.
 */
EvaluationResult evaluateRun(const store::Workspace &ws, const std::string &runId, const std::string &table,
                             std::optional<std::int64_t> asOfVersion = {}, const std::atomic<bool> *cancel = nullptr);

/** The evaluation as the JSON of `pipewright evaluate`. */
QJsonObject evaluationJson(const EvaluationResult &r);

} // namespace pw::compute
