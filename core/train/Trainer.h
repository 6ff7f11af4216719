// Training, prediction and environment info with libtorch. The header is torch-free.
#pragma once

#include <atomic>
#include <cstdint>
#include <ostream>
#include <string>

namespace pw::train {

struct TrainOptions
{
    std::string shardDir; // train_*.npy, val_*.npy, classes.txt (written by core/data)
    std::string outDir; // model.pt and checkpoint.pt go here
    std::string model = "small-cnn";
    int epochs = -1; // -1: the model's default; 0 (with initPath): no training, the initialised model is written
    int batchSize = 0; // 0: the model's default
    double lr = 0; // peak learning rate; 0: the model's default for the optimizer
    std::string optimizer = "adam"; // adam | sgd (momentum 0.9, Nesterov)
    double weightDecay = 5e-4;
    std::string schedule = "onecycle"; // onecycle | cosine
    int patience = 3; // early stopping: epochs without a better validation loss
    double labelSmoothing = 0.1;
    int flip = -1; // horizontal flips: 1 on, 0 off, -1 the model's default
    int crop = -1; // random crops (pad 4, crop back): 1, 0, -1 the model's default
    std::uint64_t seed = 42;
    std::string device = "auto"; // auto | cpu | cuda
    std::string precision = "auto"; // auto | fp32 | bf16
    int threads = 0; // intra-op threads; 0: $OMP_NUM_THREADS, else every core
    bool resume = false; // continue from outDir/checkpoint.pt
    // Pretrained weights (a torch.save'd state_dict or .safetensors, torchvision/timm key names) to start from;
    // with them the model records ImageNet's mean/std and the file's SHA-256, and the run writes
    // outDir/init_report.json (loaded / missing / unexpected / shape-mismatched keys).
    std::string initPath;
    std::string freeze = "none"; // none | backbone (train only the head; needs initPath)
    double backboneLrScale = 1.0; // the backbone's learning rate is the head's times this
    // For tests: hold points. At a point named P ("epoch-E-batch-1" after the first batch of epoch E,
    // "epoch-E-end" after epoch E's checkpoint), when the file holdDir/P exists the worker writes
    // holdDir/P.held and waits until holdDir/P is removed (or a stop is requested).
    // With a distributed run, every rank writes holdDir/P.rank-R.held holding its pid (rank 0 also P.held), and at the
    // end holdDir/params-rank-R.bin: its parameters and buffers, raw, so that a test can compare the ranks.
    std::string holdDir;
    // One rank of a data-parallel job: RANK, WORLD_SIZE, LOCAL_RANK, MASTER_ADDR, MASTER_PORT from the environment.
    // batchSize stays the global batch (each rank takes batchSize / WORLD_SIZE per step); only rank 0 writes
    // events, checkpoints and the model.
    bool distributed = false;
    int rendezvousTimeout = 120; // seconds for every rank to join
};

/** Exit codes of `pipewright-worker train`. */
enum TrainExit
{
    kTrainFinished = 0,
    kTrainFailed = 1,
    kTrainUsage = 2,
    kTrainStopped = 3,
    kTrainRequeue = 4 // checkpointed on request (SIGUSR1: a time limit or preemption is near); --resume continues
};

/**
 * Trains per `options`, writing JSON-line events to `events`: started, progress, metric, checkpoint,
 * finished {status FINISHED | FAILED | KILLED}. `stop` (set by SIGTERM) ends the run after the
 * current batch with a checkpoint that --resume continues from. `requeue` (set by SIGUSR1) does the same
 * but reports a "requeue" event instead of "finished" and returns kTrainRequeue. In a distributed run the
 * ranks agree on either at the next step. Returns the exit code.
 */
int train(const TrainOptions &options, std::ostream &events, const std::atomic<bool> &stop,
          const std::atomic<bool> *requeue = nullptr);

struct PredictOptions
{
    std::string modelPath;
    std::string imagesPath; // uint8 N x H x W x C .npy, at the model's input size
    std::string outPath; // float32 N x K probabilities .npy
    int batchSize = 0; // 0: by input size, so that a batch's activations stay in cache (256 at 28 px)
    std::string device = "auto";
    // auto: the model's training precision where the device computes bf16 natively (and $PIPEWRIGHT_PRECISION
    // does not say fp32), else fp32; fp32 | bf16 force it.
    std::string precision = "auto";
    // Torch threads; 0: $OMP_NUM_THREADS, else every core. On the CPU they run as that many streams of batches
    // (at most one per batch, 16 in all) of one thread each.
    int threads = 0;
    // One part of the images (a rank of a job that splits them): rank `part` of `parts` predicts rows
    // [N * part / parts, N * (part + 1) / parts) and writes only those rows' probabilities.
    int part = 0;
    int parts = 1;
};

/** The default prediction batch for `inputSize` px inputs: about 200k input pixels, 8 to 256 images. */
int defaultPredictBatch(int inputSize);

/** Class probabilities for every image (inference mode, eval, channels-last; bf16 per `precision`); events:
 *  started, progress, finished (its images_per_second: the prediction loop, normalisation included). Returns
 *  the exit code. */
int predict(const PredictOptions &options, std::ostream &events, const std::atomic<bool> &stop);

/** One JSON object: worker version, torch version, CUDA availability and devices, threads, precision. */
std::string infoJson(const char *workerVersion);

} // namespace pw::train
