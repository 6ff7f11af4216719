// The training loop, prediction and environment info (libtorch). Batches are gathered from the
// memory-mapped shard with one index_select per batch: no per-image work in the hot loop.
#include "core/train/detail/Distributed.h"
#include "core/train/detail/Networks.h"
#include "core/train/detail/Weights.h"

#include "core/train/JsonLine.h"
#include "core/train/ModelZoo.h"
#include "core/train/ShardReader.h"
#include "core/train/Trainer.h"

#include <ATen/CPUGeneratorImpl.h>
#include <ATen/autocast_mode.h>
#include <c10/core/InferenceMode.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <fstream>
#include <iostream>
#include <memory>
#include <numeric>
#include <optional>
#include <sstream>
#include <string_view>
#include <thread>

#include <malloc.h>
#include <unistd.h>

namespace pw::train {

using detail::ClassifierImpl;
using detail::ModelMeta;

namespace {

using Clock = std::chrono::steady_clock;

double since(Clock::time_point t)
{
    return std::chrono::duration<double>(Clock::now() - t).count();
}

int resolveThreads(int requested)
{
    if (requested > 0)
        return requested;
    if (const char *env = std::getenv("OMP_NUM_THREADS"); env && std::atoi(env) > 0)
        return std::atoi(env);
    return std::max(1, int(std::thread::hardware_concurrency()));
}

torch::Device resolveDevice(const std::string &name)
{
    if (name == "cpu")
        return torch::kCPU;
    if (name == "cuda") {
        if (!torch::cuda::is_available())
            throw std::invalid_argument("--device cuda: CUDA is not available (this libtorch was built without CUDA, "
                                        "or no GPU is visible); use --device cpu or auto");
        return torch::kCUDA;
    }
    if (name == "auto")
        return torch::cuda::is_available() ? torch::Device(torch::kCUDA) : torch::Device(torch::kCPU);
    throw std::invalid_argument("--device: '" + name + "' is not auto, cpu or cuda");
}

bool cpuHasBf16()
{
    std::ifstream in("/proc/cpuinfo");
    for (std::string line; std::getline(in, line);) {
        if (line.rfind("flags", 0) == 0)
            return line.find(" avx512_bf16") != std::string::npos || line.find(" amx_bf16") != std::string::npos;
    }
    return false;
}

std::string resolvePrecision(const std::string &name, const torch::Device &device)
{
    if (name == "fp32" || name == "bf16")
        return name;
    if (name != "auto")
        throw std::invalid_argument("--precision: '" + name + "' is not auto, fp32 or bf16");
    // The machine's default, when set (the test suite runs once with each precision).
    if (const char *env = std::getenv("PIPEWRIGHT_PRECISION"); env && *env) {
        const std::string chosen = env;
        if (chosen != "fp32" && chosen != "bf16")
            throw std::invalid_argument("PIPEWRIGHT_PRECISION: '" + chosen + "' is not fp32 or bf16");
        return chosen;
    }
    if (device.is_cuda())
        return "bf16"; // Ampere and newer run bf16 natively; older GPUs emulate it
    return cpuHasBf16() ? "bf16" : "fp32";
}

// Turns autocast on for the scope when the run uses bf16.
struct AutocastScope
{
    AutocastScope(bool on, const torch::Device &device)
        : m_on(on)
        , m_cuda(device.is_cuda())
    {
        if (!m_on)
            return;
        enable(true);
    }
    ~AutocastScope()
    {
        if (!m_on)
            return;
        enable(false);
        at::autocast::clear_cache();
    }
    void enable(bool on) const
    {
#if TORCH_VERSION_MAJOR > 2 || (TORCH_VERSION_MAJOR == 2 && TORCH_VERSION_MINOR >= 4)
        // torch 2.4 replaced the per-device functions (the old ones warn on every call).
        const auto type = m_cuda ? at::kCUDA : at::kCPU;
        at::autocast::set_autocast_dtype(type, at::kBFloat16);
        at::autocast::set_autocast_enabled(type, on);
#else
        if (m_cuda) {
            at::autocast::set_autocast_gpu_dtype(at::kBFloat16);
            at::autocast::set_enabled(on);
        } else {
            at::autocast::set_autocast_cpu_dtype(at::kBFloat16);
            at::autocast::set_cpu_enabled(on);
        }
#endif
    }
    bool m_on;
    bool m_cuda;
};

// Feeds training batches (uint8 images, int64 labels) to the device. On the CPU the memory-mapped shard is
// used as it is. On a GPU the whole set is copied there once when it fits with room left to train (the copy
// and then a probe of twice its size, at least 1 GiB, must both allocate); otherwise each batch is gathered on
// the host into one of two pinned buffers, taken in turn, and copied without blocking, so the copy of a batch
// overlaps the compute of the one before (the loss read-back of each step keeps a buffer from being refilled
// while its copy is in flight).
class BatchFeed
{
public:
    BatchFeed(const torch::Tensor &images, const torch::Tensor &labels, const torch::Device &device, std::int64_t batch)
        : m_images(images)
        , m_labels(labels)
        , m_device(device)
    {
        if (!device.is_cuda())
            return;
        try {
            auto onDevice = images.to(device);
            auto labelsOnDevice = labels.to(device);
            const std::int64_t probeBytes = std::max<std::int64_t>(2 * std::int64_t(images.nbytes()), std::int64_t(1)
                                                                                                          << 30);
            (void)torch::empty({probeBytes}, torch::TensorOptions().dtype(torch::kUInt8).device(device));
            m_images = onDevice;
            m_labels = labelsOnDevice;
            m_placement = "device";
            return;
        } catch (const c10::Error &e) {
            if (std::string(e.what()).find("out of memory") == std::string::npos)
                throw;
        }
        auto shape = images.sizes().vec();
        shape[0] = batch;
        for (int i = 0; i < 2; ++i) {
            m_pinnedImages[i] = torch::empty(shape, torch::TensorOptions().dtype(torch::kUInt8).pinned_memory(true));
            m_pinnedLabels[i] = torch::empty({batch}, torch::TensorOptions().dtype(torch::kInt64).pinned_memory(true));
        }
        m_placement = "pinned";
    }

    /** The images and labels at `indices` (on the CPU), on the device. */
    std::pair<torch::Tensor, torch::Tensor> take(const torch::Tensor &indices)
    {
        if (std::string_view(m_placement) != "pinned") {
            const auto idx = indices.to(m_device);
            return {m_images.index_select(0, idx), m_labels.index_select(0, idx)};
        }
        const auto m = indices.size(0);
        auto x = m_pinnedImages[m_next].narrow(0, 0, m);
        auto y = m_pinnedLabels[m_next].narrow(0, 0, m);
        m_next = 1 - m_next;
        torch::index_select_out(x, m_images, 0, indices);
        torch::index_select_out(y, m_labels, 0, indices);
        return {x.to(m_device, /*non_blocking=*/true), y.to(m_device, /*non_blocking=*/true)};
    }

    /** Where the set lives: "host" (CPU training), "device" (all on the GPU) or "pinned" (batches copied over). */
    const char *placement() const { return m_placement; }

private:
    torch::Tensor m_images, m_labels;
    torch::Device m_device;
    const char *m_placement = "host";
    torch::Tensor m_pinnedImages[2], m_pinnedLabels[2];
    int m_next = 0;
};

void toChannelsLast(ClassifierImpl &net)
{
    for (auto &p : net.parameters()) {
        if (p.dim() == 4)
            p.set_data(p.data().contiguous(at::MemoryFormat::ChannelsLast));
    }
}

double scheduledLr(const std::string &schedule, double peak, std::int64_t step, std::int64_t total)
{
    const double t = total > 1 ? double(step) / double(total - 1) : 1.0;
    if (schedule == "cosine")
        return peak * 0.5 * (1.0 + std::cos(M_PI * t));
    // One-cycle (Smith 2018): cosine warm-up from peak/25 over the first 30%, then cosine annealing to peak/1e4.
    constexpr double kWarm = 0.3;
    if (t < kWarm)
        return peak / 25.0 + (peak - peak / 25.0) * 0.5 * (1.0 - std::cos(M_PI * t / kWarm));
    const double u = (t - kWarm) / (1.0 - kWarm);
    return peak / 1e4 + (peak - peak / 1e4) * 0.5 * (1.0 + std::cos(M_PI * u));
}

// Per-channel mean and standard deviation (0..1 scale) of up to 10,000 training images.
void imageStatistics(const torch::Tensor &images, ModelMeta &meta)
{
    const auto n = std::min<std::int64_t>(images.size(0), 10000);
    auto x = images.slice(0, 0, n).to(torch::kFloat32).div_(255.0);
    const auto c = images.size(3);
    x = x.reshape({-1, c});
    auto mean = x.mean(0);
    auto sd = x.std(0).clamp_min(1e-3);
    meta.mean.assign(c, 0.0);
    meta.std.assign(c, 0.0);
    for (std::int64_t i = 0; i < c; ++i) {
        meta.mean[std::size_t(i)] = mean[i].item<double>();
        meta.std[std::size_t(i)] = sd[i].item<double>();
    }
}

struct EvalResult
{
    double loss = 0;
    double accuracy = 0;
    torch::Tensor logits; // float32 N x K on the CPU
};

// Temperature scaling (Guo et al. 2017): the T > 0 that minimises the validation NLL of softmax(logits / T),
// by golden-section search on log T in [1/20, 20]. A model trained with label smoothing is under-confident
// (its best top-1 probability is 1 - 0.9 * smoothing): T < 1 sharpens it back.
double fitTemperature(const torch::Tensor &logits, const torch::Tensor &labels)
{
    if (logits.size(0) == 0)
        return 1.0;
    const auto y = labels.to(torch::kCPU);
    auto nll = [&](double logT) {
        return torch::nn::functional::cross_entropy(logits / std::exp(logT), y).item<double>();
    };
    const double phi = (std::sqrt(5.0) - 1) / 2;
    double a = std::log(0.05), b = std::log(20.0);
    double c = b - phi * (b - a), d = a + phi * (b - a);
    double fc = nll(c), fd = nll(d);
    for (int i = 0; i < 40; ++i) {
        if (fc < fd) {
            b = d, d = c, fd = fc;
            c = b - phi * (b - a), fc = nll(c);
        } else {
            a = c, c = d, fc = fd;
            d = a + phi * (b - a), fd = nll(d);
        }
    }
    return std::exp((a + b) / 2);
}

EvalResult evaluate(ClassifierImpl &net, const torch::Tensor &images, const torch::Tensor &labels,
                    const ModelMeta &meta, const torch::Device &device, bool bf16)
{
    EvalResult r;
    const auto n = images.size(0);
    if (n == 0)
        return r;
    torch::NoGradGuard noGrad;
    net.eval();
    AutocastScope autocast(bf16, device);
    double lossSum = 0;
    std::int64_t correct = 0;
    const std::int64_t batch = defaultPredictBatch(meta.inputSize);
    std::vector<torch::Tensor> logits;
    for (std::int64_t i = 0; i < n; i += batch) {
        const auto end = std::min(n, i + batch);
        const auto x = detail::evalCrop(detail::normalise(images.slice(0, i, end).to(device), meta), meta);
        const auto y = labels.slice(0, i, end).to(device);
        const auto out = net.forward(x).to(torch::kFloat32);
        logits.push_back(out.to(torch::kCPU));
        lossSum += torch::nn::functional::cross_entropy(
                       out, y, torch::nn::functional::CrossEntropyFuncOptions().reduction(torch::kSum))
                       .item<double>();
        correct += out.argmax(1).eq(y).sum().item<std::int64_t>();
    }
    r.loss = lossSum / double(n);
    r.accuracy = double(correct) / double(n);
    r.logits = torch::cat(logits);
    return r;
}

void metric(std::ostream &events, const std::string &key, double value, std::int64_t step, std::int64_t epoch)
{
    JsonLine("metric")
        .add("key", key)
        .add("value", value)
        .add("step", step)
        .add("epoch", epoch)
        .add("timestamp", nowMs())
        .write(events);
}

void finished(std::ostream &events, const std::string &status, const std::string &message, const std::string &artifacts,
              double imagesPerSecond)
{
    JsonLine line("finished");
    line.add("status", status).addRaw("artifacts", artifacts.empty() ? "[]" : "[" + artifacts + "]");
    if (imagesPerSecond > 0)
        line.add("images_per_second", imagesPerSecond);
    if (!message.empty())
        line.add("message", message);
    line.write(events);
}

std::string artifact(const std::string &path, const std::string &kind)
{
    return "{\"path\":" + JsonLine::quote(path) + ",\"kind\":" + JsonLine::quote(kind) + "}";
}

// Training state that a checkpoint carries besides the weights and the optimizer.
// A test's hold point (TrainOptions::holdDir): waits while holdDir/name exists, after saying so in name.held
// (and, for a rank of a distributed run, `rank` >= 0, in name.rank-R.held).
void holdAt(const std::string &holdDir, const std::string &name, const std::atomic<bool> &stop, int rank = -1)
{
    if (holdDir.empty())
        return;
    const std::filesystem::path gate = std::filesystem::path(holdDir) / name;
    std::error_code ec;
    if (!std::filesystem::exists(gate, ec))
        return;
    if (rank >= 0) // with the rank's pid: a test may signal that rank
        std::ofstream(gate.string() + ".rank-" + std::to_string(rank) + ".held") << ::getpid() << "\n";
    if (rank <= 0)
        std::ofstream(gate.string() + ".held") << "held\n";
    while (std::filesystem::exists(gate, ec) && !stop.load())
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
}

struct Progress
{
    std::int64_t epoch = 0; // the epoch in progress (0-based)
    std::int64_t batch = 0; // the next batch of that epoch
    std::int64_t step = 0; // optimizer steps taken
    double bestValLoss = 1e300;
    std::int64_t badEpochs = 0;
    double lossSum = 0; // of the epoch in progress
    std::int64_t correct = 0;
    std::int64_t seen = 0;
    double trainSeconds = 0;
    std::int64_t imagesTrained = 0;
};

void saveCheckpoint(const std::string &path, ClassifierImpl &net, torch::optim::Optimizer &optimizer, const Progress &p,
                    const ModelMeta &meta)
{
    torch::serialize::OutputArchive archive, netArchive, optArchive;
    net.save(netArchive);
    optimizer.save(optArchive);
    archive.write("net", netArchive);
    archive.write("optimizer", optArchive);
    archive.write("progress.ints",
                  torch::tensor({p.epoch, p.batch, p.step, p.badEpochs, p.correct, p.seen, p.imagesTrained}));
    archive.write("progress.reals", torch::tensor({p.bestValLoss, p.lossSum, p.trainSeconds}, torch::kFloat64));
    archive.write("meta.mean", torch::tensor(meta.mean, torch::kFloat64));
    archive.write("meta.std", torch::tensor(meta.std, torch::kFloat64));
    detail::saveArchive(archive, path); // a failed write leaves no checkpoint.pt.tmp behind
}

void loadCheckpoint(const std::string &path, ClassifierImpl &net, torch::optim::Optimizer &optimizer, Progress &p,
                    ModelMeta &meta)
{
    torch::serialize::InputArchive archive, netArchive, optArchive;
    archive.load_from(path);
    archive.read("net", netArchive);
    archive.read("optimizer", optArchive);
    net.load(netArchive);
    optimizer.load(optArchive);
    torch::Tensor ints, reals, mean, sd;
    archive.read("progress.ints", ints);
    archive.read("progress.reals", reals);
    archive.read("meta.mean", mean);
    archive.read("meta.std", sd);
    const auto *i = ints.data_ptr<std::int64_t>();
    const auto *r = reals.data_ptr<double>();
    p = Progress{i[0], i[1], i[2], r[0], i[3], r[1], i[4], i[5], r[2], i[6]};
    meta.mean.assign(mean.data_ptr<double>(), mean.data_ptr<double>() + mean.numel());
    meta.std.assign(sd.data_ptr<double>(), sd.data_ptr<double>() + sd.numel());
}

torch::Tensor tensorOf(const NpyArray &a, torch::ScalarType type)
{
    // A view over the mapped file: nothing is copied.
    return torch::from_blob(const_cast<void *>(a.data()), a.shape(), torch::TensorOptions().dtype(type));
}

// What a run is set up with: its model, threads, device and precision.
struct Setup
{
    const ModelSpec *spec = nullptr;
    int threads = 0;
    torch::Device device = torch::kCPU;
    std::string precision;
    bool bf16 = false;
};

// --init, --freeze and --backbone-lr-scale: a frozen backbone needs weights to keep.
void checkInitOptions(const TrainOptions &o)
{
    if (o.freeze != "none" && o.freeze != "backbone")
        throw std::invalid_argument("--freeze: '" + o.freeze + "' is not backbone or none");
    if (o.epochs == 0 && o.initPath.empty())
        throw std::invalid_argument("--epochs 0 trains nothing: it only writes the model of --init FILE");
    if (o.freeze == "backbone" && o.initPath.empty())
        throw std::invalid_argument("--freeze backbone needs --init FILE: a backbone of random weights would stay "
                                    "random while only the head trains");
    if (!(o.backboneLrScale >= 0) || !std::isfinite(o.backboneLrScale))
        throw std::invalid_argument("--backbone-lr-scale: " + std::to_string(o.backboneLrScale) + " is not >= 0");
}

// Checks the options that name a choice, and resolves threads (set for torch), device and precision.
Setup resolveSetup(const TrainOptions &o)
{
    Setup s;
    s.spec = findModel(o.model);
    if (!s.spec)
        throw std::invalid_argument("--model: unknown model '" + o.model + "' (available: " + modelNames() + ")");
    if (o.optimizer != "adam" && o.optimizer != "sgd")
        throw std::invalid_argument("--optimizer: '" + o.optimizer + "' is not adam or sgd");
    if (o.schedule != "onecycle" && o.schedule != "cosine")
        throw std::invalid_argument("--schedule: '" + o.schedule + "' is not onecycle or cosine");
    checkInitOptions(o);
    s.threads = resolveThreads(o.threads);
    torch::set_num_threads(s.threads);
    s.device = resolveDevice(o.device);
    s.precision = resolvePrecision(o.precision, s.device);
    s.bf16 = s.precision == "bf16";
    return s;
}

// The shard's two splits, mapped, and tensor views over them: nothing is copied.
struct TrainData
{
    explicit TrainData(const std::string &shardDir)
        : trainSplit(openSplit(shardDir, "train"))
        , valSplit(openSplit(shardDir, "val"))
        , trainImages(tensorOf(trainSplit.images, torch::kUInt8))
        , trainLabels(tensorOf(trainSplit.labels, torch::kInt64))
        , valImages(tensorOf(valSplit.images, torch::kUInt8))
        , valLabels(tensorOf(valSplit.labels, torch::kInt64))
    {
    }
    ShardSplit trainSplit, valSplit;
    torch::Tensor trainImages, trainLabels, valImages, valLabels;
};

// The model's description from the shard (classes, input size, channels, image statistics), once the
// shard is checked to suit training.
ModelMeta describeData(const TrainOptions &o, const TrainData &d)
{
    ModelMeta meta;
    meta.arch = o.model;
    meta.classes = readClasses(o.shardDir);
    meta.inputSize = d.trainSplit.height();
    meta.channels = d.trainSplit.channels();
    if (d.trainSplit.width() != d.trainSplit.height())
        throw std::invalid_argument("shard images are " + std::to_string(d.trainSplit.width()) + "x"
                                    + std::to_string(d.trainSplit.height())
                                    + ": the zoo's networks take square inputs");
    if (d.trainSplit.count() < 2)
        throw std::invalid_argument("the training split has " + std::to_string(d.trainSplit.count())
                                    + " images: too few to train");
    const std::int64_t maxLabel = d.trainLabels.max().item<std::int64_t>();
    if (d.trainLabels.min().item<std::int64_t>() < 0 || maxLabel >= std::int64_t(meta.classes.size()))
        throw std::invalid_argument("shard labels run outside the " + std::to_string(meta.classes.size())
                                    + " classes of classes.txt");
    const ModelSpec *spec = findModel(o.model);
    if (!o.initPath.empty() && spec && spec->photo && meta.channels == 3) {
        meta.mean = {0.485, 0.456, 0.406}; // the statistics torchvision's and timm's ImageNet weights were trained with
        meta.std = {0.229, 0.224, 0.225};
    } else {
        imageStatistics(d.trainImages, meta);
    }
    return meta;
}

// The run's plan: the options, or the model's defaults where they are left out.
struct Plan
{
    int epochs = 0;
    std::int64_t n = 0; // training images
    std::int64_t batch = 0; // the global batch: images of the permutation per step
    std::int64_t localBatch = 0; // this rank's part of it: batch / world size
    std::int64_t stepImages = 0; // images trained per step by all ranks
    double peakLr = 0;
    bool flip = false, crop = false;
    std::int64_t batchesPerEpoch = 0;
    std::int64_t totalSteps = 0;
    std::string checkpointPath, modelPath;
    std::vector<double> lrScales; // per optimizer parameter group: the backbone's (--backbone-lr-scale), the head's
    bool photo = false; // random-resized crops rather than pad-and-crop
};

Plan planRun(const TrainOptions &o, const ModelSpec &spec, std::int64_t n, int worldSize)
{
    Plan plan;
    plan.epochs = o.epochs >= 0 ? o.epochs : spec.defaultEpochs;
    plan.n = n;
    // A table smaller than one batch trains in batches of the whole table.
    plan.batch = std::min<std::int64_t>(n, o.batchSize > 0 ? o.batchSize : spec.defaultBatchSize);
    plan.peakLr = o.lr > 0 ? o.lr : (o.optimizer == "sgd" ? 50 * spec.defaultLr : spec.defaultLr);
    plan.flip = o.flip < 0 ? spec.flipByDefault : o.flip == 1;
    plan.crop = o.crop < 0 ? spec.cropByDefault : o.crop == 1;
    plan.photo = spec.photo;
    // The last partial batch is dropped (batch norm needs more than one sample; the next epoch's
    // shuffle covers those images).
    plan.batchesPerEpoch = std::max<std::int64_t>(1, n / plan.batch);
    plan.localBatch = plan.batch / worldSize;
    if (worldSize > 1 && plan.localBatch < 2)
        throw std::invalid_argument("--batch-size " + std::to_string(plan.batch)
                                    + " is the global batch: " + std::to_string(worldSize) + " ranks need at least "
                                    + std::to_string(2 * worldSize) + " (2 images per rank and step)");
    plan.stepImages = plan.localBatch * worldSize;
    plan.totalSteps = plan.batchesPerEpoch * plan.epochs;
    plan.checkpointPath = o.outDir + "/checkpoint.pt";
    plan.modelPath = o.outDir + "/model.pt";
    return plan;
}

std::unique_ptr<torch::optim::Optimizer> makeOptimizer(const TrainOptions &o, ClassifierImpl &net, Plan &plan)
{
    auto groups = detail::parameterGroups(net, o.model, o.freeze == "backbone", o.backboneLrScale, plan.lrScales);
    if (o.optimizer == "sgd")
        return std::make_unique<torch::optim::SGD>(
            groups, torch::optim::SGDOptions(plan.peakLr).momentum(0.9).nesterov(true).weight_decay(o.weightDecay));
    return std::make_unique<torch::optim::AdamW>(groups,
                                                 torch::optim::AdamWOptions(plan.peakLr).weight_decay(o.weightDecay));
}

void writeStarted(std::ostream &events, const TrainOptions &o, const Setup &setup, const Plan &plan,
                  const ModelMeta &meta, ClassifierImpl &net, const TrainData &data, const Progress &p,
                  const BatchFeed &feed, const detail::Distributed *dist)
{
    std::int64_t parameters = 0;
    for (const auto &t : net.parameters())
        parameters += t.numel();
    JsonLine("started")
        .add("model", o.model)
        .add("device", setup.device.str())
        .add("threads", setup.threads)
        .add("precision", setup.precision)
        .add("memory_format", "channels_last")
        .add("parameters", parameters)
        .add("train_images", plan.n)
        .add("val_images", data.valSplit.count())
        .add("classes", std::int64_t(meta.classes.size()))
        .add("image_size", meta.inputSize)
        .add("channels", meta.channels)
        .add("epochs", plan.epochs)
        .add("batch_size", plan.batch)
        .add("steps_per_epoch", plan.batchesPerEpoch)
        .add("lr", plan.peakLr)
        .add("optimizer", o.optimizer)
        .add("schedule", o.schedule)
        .add("flip", plan.flip)
        .add("crop", plan.crop)
        .add("seed", std::int64_t(o.seed))
        .add("resumed_at_epoch", o.resume ? p.epoch + 1 : 0)
        .add("data_placement", feed.placement())
        .add("world_size", dist ? dist->worldSize() : 1)
        .add("backend", dist ? dist->backend() : "none")
        .add("init", o.initPath)
        .add("init_sha256", meta.initSha256)
        .add("freeze", o.freeze)
        .add("backbone_lr_scale", o.backboneLrScale)
        .write(events);
}

// Random-resized crop (torchvision's RandomResizedCrop: area 8% to 100% of the image, aspect 3/4 to 4/3) and the
// flip, for a whole batch in one bilinear resampling: each image's crop is an affine map of the output grid.
// `draws` holds four uniform numbers per image (area, aspect, x, y); `flips` a bool per image or nothing.
torch::Tensor randomResizedCrop(const torch::Tensor &x, const torch::Tensor &draws, const torch::Tensor &flips)
{
    const auto area = draws.select(1, 0) * 0.92 + 0.08;
    const auto logRatio = (draws.select(1, 1) * 2 - 1) * std::log(4.0 / 3.0);
    const auto w = (area * logRatio.exp()).sqrt().clamp_max(1.0); // fractions of the side
    const auto h = (area / logRatio.exp()).sqrt().clamp_max(1.0);
    const auto tx = (draws.select(1, 2) * 2 - 1) * (1 - w);
    const auto ty = (draws.select(1, 3) * 2 - 1) * (1 - h);
    const auto sx = flips.defined() ? torch::where(flips, -w, w) : w;
    const auto zero = torch::zeros_like(w);
    const auto theta = torch::stack({sx, zero, tx, zero, h, ty}, 1).view({-1, 2, 3}).to(x.scalar_type());
    const auto grid = torch::nn::functional::affine_grid(theta, x.sizes(), /*align_corners=*/false);
    return torch::nn::functional::grid_sample(x, grid,
                                              torch::nn::functional::GridSampleFuncOptions()
                                                  .mode(torch::kBilinear)
                                                  .padding_mode(torch::kBorder)
                                                  .align_corners(false))
        .contiguous(at::MemoryFormat::ChannelsLast);
}

// The epochs of a run: the batches of each, then its metrics, validation, the model file when the epoch is
// the best so far, and a checkpoint. A stop request checkpoints after the current batch.
class TrainLoop
{
public:
    TrainLoop(const TrainOptions &o, std::ostream &events, const std::atomic<bool> &stop, const Setup &setup,
              const Plan &plan, const TrainData &data, ModelMeta &meta, ClassifierImpl &net,
              torch::optim::Optimizer &optimizer, BatchFeed &feed, Progress &p, const std::atomic<bool> *requeue,
              detail::Distributed *dist)
        : m_o(o)
        , m_events(events)
        , m_stop(stop)
        , m_requeue(requeue)
        , m_dist(dist)
        , m_rank(dist ? dist->rank() : 0)
        , m_setup(setup)
        , m_plan(plan)
        , m_data(data)
        , m_meta(meta)
        , m_net(net)
        , m_optimizer(optimizer)
        , m_feed(feed)
        , m_p(p)
        , m_parameters(net.parameters())
    {
    }

    // Trains to the end (or to an early stop, a failure or a stop request) and returns the exit code after
    // the "finished" event.
    int run()
    {
        if (m_plan.epochs == 0) // --init --epochs 0: the pretrained network as it is (temperature 1)
            saveModel(m_plan.modelPath, m_net, m_meta);
        for (; m_p.epoch < m_plan.epochs; ++m_p.epoch, m_p.batch = 0) {
            const Draws draws = draw();
            detail::setTrainMode(m_net, m_meta.arch, m_o.freeze == "backbone");
            const auto epochStart = Clock::now();
            for (; m_p.batch < m_plan.batchesPerEpoch; ++m_p.batch, ++m_p.step) {
                const std::optional<double> lossValue = trainBatch(draws);
                if (!lossValue)
                    break;
                // Every 50th step and each epoch's last (and the step a stop ends on): the last batch_loss logged
                // is the run's final one, also when an epoch has fewer than 50 steps.
                if (m_p.step % 50 == 0 || m_p.batch + 1 == m_plan.batchesPerEpoch || stopAsked() || requeueAsked())
                    metric(m_events, "batch_loss", *lossValue, m_p.step, m_p.epoch + 1);
                if (m_p.batch == 0)
                    hold("epoch-" + std::to_string(m_p.epoch + 1) + "-batch-1");
                if (since(m_lastProgress) >= 1.0)
                    reportProgress(epochStart);
                if (stopAsked() || requeueAsked())
                    return stopAfterBatch(epochStart);
            }
            m_p.trainSeconds += since(epochStart);
            if (m_status == "FAILED")
                break;
            if (endEpoch()) {
                m_p.epoch += 1;
                break;
            }
        }
        const double ips = double(m_p.imagesTrained) / std::max(1e-9, m_p.trainSeconds);
        if (m_dist && !m_o.holdDir.empty())
            dumpState();
        if (m_status == "FAILED") {
            finished(m_events, m_status, m_message, {}, ips);
            return kTrainFailed;
        }
        std::string artifacts = artifact(m_plan.modelPath, "model") + ","
                                + artifact(m_plan.checkpointPath, "checkpoint");
        if (!m_o.initPath.empty())
            artifacts += "," + artifact(m_o.outDir + "/init_report.json", "init_report");
        finished(m_events, m_status, m_message, artifacts, ips);
        return kTrainFinished;
    }

private:
    // An epoch's random draws, from one generator seeded from (seed, epoch): resuming replays the same order.
    struct Draws
    {
        torch::Tensor perm, flips, shifts, crops;
    };

    Draws draw() const
    {
        auto gen = at::detail::createCPUGenerator(m_o.seed * 1000003ULL + std::uint64_t(m_p.epoch));
        Draws d;
        d.perm = torch::randperm(m_plan.n, gen);
        d.flips = torch::rand({m_plan.batchesPerEpoch, m_plan.batch}, gen).lt(0.5);
        d.shifts = torch::randint(0, 9, {m_plan.batchesPerEpoch, 2}, gen);
        if (m_plan.photo)
            d.crops = torch::rand({m_plan.batchesPerEpoch, m_plan.batch, 4}, gen);
        return d;
    }

    // The batch's flip and crop (pad 4 px and cut the image back out at one random offset per batch).
    torch::Tensor augment(torch::Tensor x, const Draws &d) const
    {
        if (m_plan.photo && m_plan.crop)
            return randomResizedCrop(x, d.crops[m_p.batch].to(m_setup.device),
                                     m_plan.flip ? d.flips[m_p.batch].to(m_setup.device) : torch::Tensor());
        if (m_plan.flip) {
            const auto mask = d.flips[m_p.batch]
                                  .narrow(0, m_rank * m_plan.localBatch, m_plan.localBatch)
                                  .to(m_setup.device)
                                  .view({m_plan.localBatch, 1, 1, 1});
            x = torch::where(mask, x.flip({3}), x);
        }
        if (m_plan.crop) {
            const auto s = m_meta.inputSize;
            const auto dy = d.shifts[m_p.batch][0].item<std::int64_t>(),
                       dx = d.shifts[m_p.batch][1].item<std::int64_t>();
            x = torch::nn::functional::pad(x, torch::nn::functional::PadFuncOptions({4, 4, 4, 4}).mode(torch::kReflect))
                    .slice(2, dy, dy + s)
                    .slice(3, dx, dx + s);
        }
        return x.contiguous(at::MemoryFormat::ChannelsLast); // flips and crops may leave other strides
    }

    // One optimizer step on batch p.batch of the epoch (this rank's part of it). Returns its loss, or nothing
    // (the run failed) when the loss is not finite.
    std::optional<double> trainBatch(const Draws &d)
    {
        const std::int64_t batch = m_plan.localBatch;
        const std::int64_t first = m_p.batch * m_plan.batch + m_rank * batch;
        const auto [images, y] = m_feed.take(d.perm.slice(0, first, first + batch));
        const auto x = augment(detail::normalise(images, m_meta), d);
        const double lr = scheduledLr(m_o.schedule, m_plan.peakLr, m_p.step, m_plan.totalSteps);
        for (std::size_t g = 0; g < m_optimizer.param_groups().size(); ++g)
            m_optimizer.param_groups()[g].options().set_lr(lr * m_plan.lrScales.at(g));
        m_optimizer.zero_grad();
        torch::Tensor out;
        {
            AutocastScope autocast(m_setup.bf16, m_setup.device);
            out = m_net.forward(x);
        }
        out = out.to(torch::kFloat32);
        const auto loss = torch::nn::functional::cross_entropy(
            out, y, torch::nn::functional::CrossEntropyFuncOptions().label_smoothing(m_o.labelSmoothing));
        loss.backward();
        double lossValue = 0;
        if (m_dist) // gradients averaged over the ranks, which agree on stops and on a non-finite loss
            exchangeGradients(!std::isfinite(lossValue = loss.item<double>()));
        m_optimizer.step();
        if (!m_dist)
            lossValue = loss.item<double>();
        if (m_dist ? m_agreed.nonFinite : !std::isfinite(lossValue)) {
            m_status = "FAILED";
            m_message = "the training loss became " + std::string(std::isnan(lossValue) ? "NaN" : "infinite")
                        + " at epoch " + std::to_string(m_p.epoch + 1) + ", batch " + std::to_string(m_p.batch + 1)
                        + " (learning rate " + std::to_string(lr) + "): try a lower --lr";
            return std::nullopt;
        }
        m_p.lossSum += lossValue * double(batch);
        m_p.correct += out.argmax(1).eq(y).sum().item<std::int64_t>();
        m_p.seen += batch;
        m_p.imagesTrained += m_plan.stepImages;
        return lossValue;
    }

    // The step's all-reduce: the gradients, and this rank's stop, requeue and non-finite flags summed.
    void exchangeGradients(bool nonFinite)
    {
        std::vector<double> flags{m_stop.load() ? 1.0 : 0.0, m_requeue && m_requeue->load() ? 1.0 : 0.0,
                                  nonFinite ? 1.0 : 0.0};
        m_dist->averageGradients(m_parameters, flags);
        m_agreed = {flags[0] > 0, flags[1] > 0, flags[2] > 0};
    }

    // Alone, a run stops as soon as it is asked; ranks stop together at the step where they agreed to.
    bool stopAsked() const { return m_dist ? m_agreed.stop : m_stop.load(); }
    bool requeueAsked() const { return m_dist ? m_agreed.requeue : m_requeue && m_requeue->load(); }

    void hold(const std::string &point) const { holdAt(m_o.holdDir, point, m_stop, m_dist ? m_rank : -1); }

    // The epoch's training sums over all ranks (rank 0 reports and checkpoints them; the others start over).
    void sumOverRanks()
    {
        std::vector<double> sums{m_p.lossSum, double(m_p.correct), double(m_p.seen)};
        m_dist->sum(sums);
        m_p.lossSum = sums[0];
        m_p.correct = std::int64_t(sums[1]);
        m_p.seen = std::int64_t(sums[2]);
    }

    // With --hold-dir, each rank's final parameters and buffers, raw (a test compares the ranks).
    void dumpState() const
    {
        std::ofstream out(m_o.holdDir + "/params-rank-" + std::to_string(m_rank) + ".bin", std::ios::binary);
        for (const auto &tensors : {m_net.parameters(), m_net.buffers()}) {
            for (const auto &t : tensors) {
                const auto c = t.detach().to(torch::kCPU).contiguous();
                out.write(static_cast<const char *>(c.data_ptr()), std::streamsize(c.nbytes()));
            }
        }
    }

    void reportProgress(Clock::time_point epochStart)
    {
        m_lastProgress = Clock::now();
        const double elapsed = m_p.trainSeconds + since(epochStart);
        const double ips = elapsed > 0 ? double(m_p.imagesTrained) / elapsed : 0;
        const double remaining = double((m_plan.epochs - m_p.epoch) * m_plan.batchesPerEpoch - m_p.batch)
                                 * double(m_plan.batch);
        JsonLine("progress")
            .add("epoch", m_p.epoch + 1)
            .add("epochs", m_plan.epochs)
            .add("batch", m_p.batch + 1)
            .add("batches", m_plan.batchesPerEpoch)
            .add("loss", m_p.lossSum / double(std::max<std::int64_t>(1, m_p.seen)))
            .add("images_per_second", ips)
            .add("eta_seconds", ips > 0 ? remaining / ips : 0.0)
            .write(m_events);
    }

    // A stop or requeue request: checkpoint after the batch just trained, so that --resume continues with the
    // next. A stop (SIGTERM) ends the run KILLED; a requeue (SIGUSR1) says "requeue" and leaves it to go on.
    int stopAfterBatch(Clock::time_point epochStart)
    {
        const bool requeue = !stopAsked();
        m_p.trainSeconds += since(epochStart);
        ++m_p.batch;
        ++m_p.step;
        if (m_dist) {
            sumOverRanks();
            m_dist->average(m_net.buffers()); // running statistics are linear in the batches: averaging commutes
        }
        if (m_rank == 0)
            saveCheckpoint(m_plan.checkpointPath, m_net, m_optimizer, m_p, m_meta);
        if (m_dist) { // a barrier: no rank exits before rank 0's checkpoint is on disk (srun --kill-on-bad-exit)
            std::vector<double> written{1.0};
            m_dist->sum(written);
        }
        JsonLine("checkpoint")
            .add("path", m_plan.checkpointPath)
            .add("epoch", m_p.epoch + 1)
            .add("batch", m_p.batch)
            .write(m_events);
        const std::string where = " after epoch " + std::to_string(m_p.epoch + 1) + ", batch "
                                  + std::to_string(m_p.batch) + "; --resume continues";
        if (requeue) {
            JsonLine("requeue")
                .add("epoch", m_p.epoch + 1)
                .add("batch", m_p.batch)
                .add("checkpoint", m_plan.checkpointPath)
                .add("message", "checkpointed on SIGUSR1 (a time limit or preemption)" + where)
                .write(m_events);
            return kTrainRequeue;
        }
        finished(m_events, "KILLED", "stopped by a signal" + where, artifact(m_plan.checkpointPath, "checkpoint"),
                 m_p.imagesTrained / std::max(1e-9, m_p.trainSeconds));
        return kTrainStopped;
    }

    // After an epoch: its metrics, validation, the model file (the best epoch by validation loss, the last
    // one without validation data) and a checkpoint. Returns true to stop early (no improvement for
    // `patience` epochs).
    bool endEpoch()
    {
        const std::int64_t epoch = m_p.epoch + 1;
        if (m_dist) {
            sumOverRanks();
            m_dist->average(m_net.buffers()); // batch-norm statistics, before validation and the checkpoint
        }
        const double lastTrainLoss = m_p.lossSum / double(std::max<std::int64_t>(1, m_p.seen));
        metric(m_events, "train_loss", lastTrainLoss, epoch, epoch);
        metric(m_events, "train_accuracy", double(m_p.correct) / double(std::max<std::int64_t>(1, m_p.seen)), epoch,
               epoch);
        metric(m_events, "images_per_second", double(m_p.imagesTrained) / std::max(1e-9, m_p.trainSeconds), epoch,
               epoch);
        metric(m_events, "lr",
               scheduledLr(m_o.schedule, m_plan.peakLr, std::max<std::int64_t>(0, m_p.step - 1), m_plan.totalSteps),
               epoch, epoch);
        m_p.lossSum = 0;
        m_p.correct = m_p.seen = 0;
        bool stopEarly = m_rank == 0 && validateAndSave(epoch);
        if (m_dist)
            stopEarly = agreeOnEpoch(stopEarly);
        hold("epoch-" + std::to_string(epoch) + "-end");
        if (stopEarly)
            m_message = "early stop: validation loss did not improve for " + std::to_string(m_o.patience) + " epochs";
        return stopEarly;
    }

    // Rank 0's part of an epoch's end: validation, the model file when the epoch is the best so far, and the
    // checkpoint. Returns true to stop early.
    bool validateAndSave(std::int64_t epoch)
    {
        const EvalResult lastVal = evaluate(m_net, m_data.valImages, m_data.valLabels, m_meta, m_setup.device,
                                            m_setup.bf16);
        const bool haveVal = m_data.valSplit.count() > 0;
        if (haveVal) {
            metric(m_events, "val_loss", lastVal.loss, epoch, epoch);
            metric(m_events, "val_accuracy", lastVal.accuracy, epoch, epoch);
        }
        bool stopEarly = false;
        if (!haveVal || lastVal.loss < m_p.bestValLoss - 1e-4) {
            m_p.bestValLoss = haveVal ? lastVal.loss : m_p.bestValLoss;
            m_p.badEpochs = 0;
            if (haveVal) {
                m_meta.temperature = fitTemperature(lastVal.logits, m_data.valLabels);
                metric(m_events, "temperature", m_meta.temperature, epoch, epoch);
            }
            saveModel(m_plan.modelPath, m_net, m_meta);
        } else if (++m_p.badEpochs >= m_o.patience) {
            stopEarly = true;
        }
        m_p.epoch += 1; // the checkpoint resumes at the next epoch
        m_p.batch = 0;
        saveCheckpoint(m_plan.checkpointPath, m_net, m_optimizer, m_p, m_meta);
        m_p.epoch -= 1;
        JsonLine("checkpoint").add("path", m_plan.checkpointPath).add("epoch", epoch).write(m_events);
        return stopEarly;
    }

    // Rank 0's decision (and what it is based on) for every rank.
    bool agreeOnEpoch(bool stopEarly)
    {
        const auto t = torch::tensor({stopEarly ? 1.0 : 0.0, m_p.bestValLoss, double(m_p.badEpochs)}, torch::kFloat64);
        m_dist->broadcast({t});
        m_p.bestValLoss = t[1].item<double>();
        m_p.badEpochs = std::int64_t(t[2].item<double>());
        return t[0].item<double>() > 0;
    }

    const TrainOptions &m_o;
    std::ostream &m_events;
    const std::atomic<bool> &m_stop;
    const std::atomic<bool> *m_requeue;
    detail::Distributed *m_dist; // null: training alone
    int m_rank;
    const Setup &m_setup;
    const Plan &m_plan;
    const TrainData &m_data;
    ModelMeta &m_meta;
    ClassifierImpl &m_net;
    torch::optim::Optimizer &m_optimizer;
    BatchFeed &m_feed;
    Progress &m_p;
    std::vector<torch::Tensor> m_parameters;
    struct Agreed
    {
        bool stop = false, requeue = false, nonFinite = false;
    } m_agreed; // by the ranks at the last step
    std::string m_status = "FINISHED";
    std::string m_message;
    Clock::time_point m_lastProgress = Clock::now();
};

// --init: the file's tensors into the network, its name and SHA-256 into the model's meta, and what matched
// into an "init" event and outDir/init_report.json. Too little matched: throws, naming keys (exit 1).
void initialise(const TrainOptions &o, ClassifierImpl &net, ModelMeta &meta, std::ostream &events)
{
    const detail::InitReport report = detail::loadInto(net, meta.arch, detail::readWeights(o.initPath), o.initPath);
    meta.initFile = std::filesystem::path(o.initPath).filename().string();
    meta.initSha256 = detail::sha256File(o.initPath);
    const std::string json = report.json();
    const std::string path = o.outDir + "/init_report.json";
    std::ofstream(path) << "{\"file\":" << JsonLine::quote(meta.initFile)
                        << ",\"sha256\":" << JsonLine::quote(meta.initSha256) << "," << json.substr(1) << "\n";
    JsonLine("init")
        .add("file", meta.initFile)
        .add("sha256", meta.initSha256)
        .add("loaded", std::int64_t(report.loaded.size()))
        .add("missing", std::int64_t(report.missing.size()))
        .add("unexpected", std::int64_t(report.unexpected.size()))
        .add("shape_mismatched", std::int64_t(report.mismatched.size()))
        .add("head_reinitialised", report.headReinitialised)
        .add("report", path)
        .write(events);
}

// A distributed run's place in the job (joined by every rank), for ranks other than 0 said on stderr: their log.
std::unique_ptr<detail::Distributed> joinJob(const detail::RankEnvironment &env, const TrainOptions &o, Setup &setup)
{
    if (setup.device.is_cuda()) // one GPU per rank on a node
        setup.device = torch::Device(torch::kCUDA, env.localRank % std::max<int>(1, torch::cuda::device_count()));
    auto dist = std::make_unique<detail::Distributed>(env, o.rendezvousTimeout, setup.device);
    std::cerr << "pipewright-worker: rank " << env.rank << " of " << env.worldSize << " joined at " << env.masterAddr
              << ":" << env.masterPort << " (" << dist->backend() << ", " << setup.device.str() << ", " << setup.threads
              << " threads)" << std::endl;
    return dist;
}

// Sets the run up (options, shard, network, optimizer, a checkpoint to resume; in a distributed run the
// rendezvous and rank 0's parameters) and trains. `phase` says which of the two a torch error came from.
int setUpAndTrain(const TrainOptions &o, std::ostream &events, const std::atomic<bool> &stop,
                  const std::atomic<bool> *requeue, std::string &phase)
{
    Setup setup = resolveSetup(o);
    const std::optional<detail::RankEnvironment> env = o.distributed ? std::optional(detail::readRankEnvironment())
                                                                     : std::nullopt;
    const TrainData data(o.shardDir);
    ModelMeta meta = describeData(o, data);
    // What predict runs in (--epochs 0 keeps the --init file's fp32 weights: nothing was trained in bf16).
    meta.precision = o.epochs == 0 ? "fp32" : setup.precision;
    Plan plan = planRun(o, *setup.spec, data.trainSplit.count(), env ? env->worldSize : 1);
    if (plan.photo && plan.crop) // trained on random-resized crops: evaluated on the centre crop, as torchvision does
        meta.evalResize = detail::evalResizeFor(meta.inputSize);
    const auto dist = env ? joinJob(*env, o, setup) : nullptr;

    torch::manual_seed(o.seed);
    auto net = detail::buildNetwork(meta);
    std::filesystem::create_directories(o.outDir);
    if (!o.initPath.empty() && (!dist || dist->rank() == 0)) // the other ranks get rank 0's tensors below
        initialise(o, *net, meta, events);
    net->to(setup.device);
    toChannelsLast(*net);
    const auto optimizer = makeOptimizer(o, *net, plan);

    Progress p;
    if (o.resume) { // every rank reads rank 0's checkpoint (a folder they share)
        if (!std::filesystem::exists(plan.checkpointPath))
            throw std::invalid_argument("--resume: no checkpoint at '" + plan.checkpointPath + "'");
        loadCheckpoint(plan.checkpointPath, *net, *optimizer, p, meta);
        if (dist && dist->rank() > 0)
            p.lossSum = 0, p.correct = p.seen = 0; // the epoch's sums so far are all ranks' (rank 0 has them)
    }
    if (dist) {
        auto state = net->parameters();
        for (const auto &b : net->buffers())
            state.push_back(b);
        dist->broadcast(state);
    }
    BatchFeed feed(data.trainImages, data.trainLabels, setup.device, plan.batch);
    writeStarted(events, o, setup, plan, meta, *net, data, p, feed, dist.get());

    phase = "training";
    return TrainLoop(o, events, stop, setup, plan, data, meta, *net, *optimizer, feed, p, requeue, dist.get()).run();
}

} // namespace

// Every batch allocates its activations anew (this libtorch has no CPU caching allocator). glibc gives blocks over
// its mmap threshold back to the kernel when freed, and trims the heap's top: the next batch then faults in fresh
// zeroed pages (a quarter of the time at 28 px). Freed memory is kept for reuse instead: no block is mmap'd on its
// own (the threshold cannot be raised past 32 MiB, and resnet18's activations at 224 px, batch 32, are 100 MB: on an
// AMD EPYC with AVX-512 BF16 that doubled predict's images/s and gave training 37 % more), and the heap is not
// trimmed below 512 MiB. A thread's arena that cannot hold a block passes it to the main heap.
namespace {
void keepFreedMemory()
{
    mallopt(M_MMAP_MAX, 0);
    mallopt(M_TRIM_THRESHOLD, 512 << 20);
}
} // namespace

int train(const TrainOptions &o, std::ostream &events, const std::atomic<bool> &stop, const std::atomic<bool> *requeue)
{
    keepFreedMemory();
    // Only rank 0 of a distributed run writes events; every rank says why it failed on stderr (its log).
    const char *rankVariable = std::getenv("RANK");
    const int rank = o.distributed && rankVariable ? std::atoi(rankVariable) : 0;
    std::ostream discard(nullptr);
    std::ostream &out = rank > 0 ? discard : events;
    auto fail = [&](const std::string &message, int code) {
        finished(out, "FAILED", message, {}, 0);
        if (o.distributed)
            std::cerr << "pipewright-worker: rank " << rank << ": " << message << std::endl;
        return code;
    };
    std::string phase = "setup";
    try {
        return setUpAndTrain(o, out, stop, requeue, phase);
    } catch (const std::invalid_argument &e) {
        JsonLine("error").add("message", e.what()).write(out);
        return fail(e.what(), kTrainUsage);
    } catch (const c10::Error &e) {
        return fail("torch error during " + phase + ": " + e.what_without_backtrace(), kTrainFailed);
    } catch (const std::exception &e) {
        return fail(e.what(), kTrainFailed);
    }
}

int defaultPredictBatch(int inputSize)
{
    // Measured on the 2-core machine with small-cnn at 28 px: 12,400 images/s in batches of 256, 7,000 in
    // batches of 1024 (a batch's activations no longer fit in cache), and the same in PyTorch.
    const long pixels = long(std::max(1, inputSize)) * std::max(1, inputSize);
    int batch = 256;
    while (batch > 8 && long(batch) * pixels > 256L * 28 * 28)
        batch /= 2;
    return batch;
}

namespace {

// The precision predict runs in: --precision, else the model's (the one its validation and temperature were
// computed in) where the device computes bf16 natively, and fp32 where it would only emulate it.
std::string predictPrecision(const PredictOptions &o, const ModelMeta &meta, const torch::Device &device)
{
    if (o.precision == "fp32" || o.precision == "bf16")
        return o.precision;
    if (o.precision != "auto")
        throw std::invalid_argument("--precision: '" + o.precision + "' is not auto, fp32 or bf16");
    return meta.precision == "bf16" ? resolvePrecision("auto", device) : "fp32";
}

// bf16 on the CPU: convolution and linear weights are converted once, and batch norm (fp32) takes their bf16
// outputs. That computes what autocast computes (training's validation) without a cast at every call.
void toBf16Weights(ClassifierImpl &net)
{
    for (const auto &m : net.modules(/*include_self=*/false)) {
        if (m->as<torch::nn::Conv2d>() || m->as<torch::nn::Linear>())
            m->to(torch::kBFloat16);
    }
}

// uint8 rows (H x W x C bytes each) -> normalised float, channels-last, into `out` (rows x C x H x W), in one
// pass and with the arithmetic of detail::normalise(): ((v / 255) - mean) / std in float, element by element.
void normaliseInto(const std::uint8_t *src, std::int64_t rows, const ModelMeta &meta, torch::Tensor &out)
{
    const auto c = std::int64_t(meta.mean.size());
    const std::int64_t values = rows * out.size(2) * out.size(3) * c;
    float *dst = out.data_ptr<float>();
    float mean[4] = {}, invStd[4] = {};
    for (std::int64_t k = 0; k < c && k < 4; ++k) {
        mean[k] = float(meta.mean[std::size_t(k)]);
        invStd[k] = 1.0f / float(meta.std[std::size_t(k)]);
    }
    constexpr float kScale = float(1.0 / 255.0);
    if (c == 1) {
        for (std::int64_t i = 0; i < values; ++i)
            dst[i] = (float(src[i]) * kScale - mean[0]) * invStd[0];
        return;
    }
    for (std::int64_t i = 0; i < values; i += c) {
        for (std::int64_t k = 0; k < c; ++k)
            dst[i + k] = (float(src[i + k]) * kScale - mean[k]) * invStd[k];
    }
}

// Prediction over the mapped images in batches, on one or more streams: each stream takes the next batch,
// normalises it into its own reused buffer and writes its probabilities into the batch's rows of `probs`.
// On the CPU, streams of one intra-op thread each beat one stream of several: a small network's layers are too
// short for the threads to share without waiting on each other.
class PredictRun
{
public:
    PredictRun(ClassifierImpl &net, const ModelMeta &meta, const torch::Tensor &images, const torch::Device &device,
               bool bf16, std::int64_t batch, torch::Tensor probs, const std::atomic<bool> &stop)
        : m_net(net)
        , m_meta(meta)
        , m_images(images)
        , m_device(device)
        , m_bf16(bf16)
        , m_batch(batch)
        , m_probs(std::move(probs))
        , m_stop(stop)
    {
    }

    /** Runs `streams` streams (this thread is one) of `intraThreads` torch threads each; `progress(done)` is
     *  called on this thread between its batches. Rethrows a stream's error. */
    void run(int streams, int intraThreads, const std::function<void(std::int64_t)> &progress)
    {
        std::vector<std::thread> others;
        std::vector<std::exception_ptr> errors(static_cast<std::size_t>(streams));
        for (int s = 1; s < streams; ++s)
            others.emplace_back([&, s] { guarded(errors[std::size_t(s)], intraThreads, nullptr); });
        guarded(errors[0], intraThreads, &progress);
        for (auto &t : others)
            t.join();
        for (const auto &e : errors) {
            if (e)
                std::rethrow_exception(e);
        }
    }

    std::int64_t done() const { return m_done.load(); }

private:
    void guarded(std::exception_ptr &error, int intraThreads, const std::function<void(std::int64_t)> *progress)
    {
        try {
            stream(intraThreads, progress);
        } catch (...) {
            error = std::current_exception();
            m_failed.store(true);
        }
    }

    void stream(int intraThreads, const std::function<void(std::int64_t)> *progress)
    {
        at::set_num_threads(intraThreads);
        c10::InferenceMode inference;
        const bool cpu = m_device.is_cpu();
        AutocastScope autocast(m_bf16 && !cpu, m_device); // on the CPU the weights are bf16 already
        const std::int64_t n = m_images.size(0);
        const auto h = m_images.size(1), w = m_images.size(2), c = m_images.size(3);
        torch::Tensor buffer, bf16Buffer;
        if (cpu) {
            const auto options = torch::TensorOptions().memory_format(at::MemoryFormat::ChannelsLast);
            buffer = torch::empty({m_batch, c, h, w}, options.dtype(torch::kFloat32));
            if (m_bf16)
                bf16Buffer = torch::empty({m_batch, c, h, w}, options.dtype(torch::kBFloat16));
        }
        for (;;) {
            if (m_stop.load() || m_failed.load())
                return;
            const std::int64_t i = m_next.fetch_add(m_batch);
            if (i >= n)
                return;
            const std::int64_t end = std::min(n, i + m_batch);
            torch::Tensor x;
            if (cpu) {
                x = buffer.narrow(0, 0, end - i);
                normaliseInto(m_images.data_ptr<std::uint8_t>() + i * h * w * c, end - i, m_meta, x);
                x = detail::evalCrop(x, m_meta);
                if (m_bf16)
                    x = bf16Buffer.narrow(0, 0, end - i).copy_(x);
            } else {
                x = detail::evalCrop(detail::normalise(m_images.slice(0, i, end).to(m_device), m_meta), m_meta);
            }
            auto logits = m_net.forward(x).to(torch::kFloat32);
            m_probs.slice(0, i, end).copy_(torch::softmax(logits.div_(m_meta.temperature), 1));
            const auto total = m_done.fetch_add(end - i) + (end - i);
            if (progress)
                (*progress)(total);
        }
    }

    ClassifierImpl &m_net;
    const ModelMeta &m_meta;
    const torch::Tensor &m_images;
    torch::Device m_device;
    bool m_bf16;
    std::int64_t m_batch;
    torch::Tensor m_probs;
    const std::atomic<bool> &m_stop;
    std::atomic<std::int64_t> m_next{0}, m_done{0};
    std::atomic<bool> m_failed{false};
};

// The network as predict runs it: on the device, in eval mode, channels-last, with bf16 weights for bf16 on the
// CPU.
void prepareForInference(ClassifierImpl &net, const torch::Device &device, bool bf16)
{
    net.to(device);
    if (bf16 && device.is_cpu())
        toBf16Weights(net);
    toChannelsLast(net);
    net.eval();
}

void checkPredictImages(const PredictOptions &o, const NpyArray &arr, const ModelMeta &meta)
{
    const auto &shape = arr.shape();
    if (shape[1] != meta.inputSize || shape[2] != meta.inputSize || shape[3] != meta.channels)
        throw std::invalid_argument("'" + o.imagesPath + "' holds " + std::to_string(shape[1]) + "x"
                                    + std::to_string(shape[2]) + "x" + std::to_string(shape[3])
                                    + " images; the model takes " + std::to_string(meta.inputSize) + "x"
                                    + std::to_string(meta.inputSize) + "x" + std::to_string(meta.channels));
}

int predictOrThrow(const PredictOptions &o, std::ostream &events, const std::atomic<bool> &stop)
{
    keepFreedMemory();
    const int threads = resolveThreads(o.threads);
    torch::set_num_threads(threads);
    const torch::Device device = resolveDevice(o.device);
    ModelMeta meta;
    const auto net = detail::loadModel(o.modelPath, meta);
    const std::string precision = predictPrecision(o, meta, device);
    prepareForInference(*net, device, precision == "bf16");
    NpyArray arr = openImages(o.imagesPath);
    checkPredictImages(o, arr, meta);
    if (o.parts < 1 || o.part < 0 || o.part >= o.parts)
        throw std::invalid_argument("part " + std::to_string(o.part) + " of " + std::to_string(o.parts)
                                    + " is not a part of the images");
    const std::int64_t first = arr.shape()[0] * o.part / o.parts;
    const std::int64_t n = arr.shape()[0] * (o.part + 1) / o.parts - first;
    const auto images = tensorOf(arr, torch::kUInt8).slice(0, first, first + n);
    const auto k = std::int64_t(meta.classes.size());
    const std::int64_t batch = o.batchSize > 0 ? o.batchSize : defaultPredictBatch(meta.inputSize);
    const std::int64_t batches = (n + batch - 1) / batch;
    const int streams = device.is_cpu() ? int(std::clamp<std::int64_t>(std::min<std::int64_t>(threads, batches), 1, 16))
                                        : 1;
    JsonLine("started")
        .add("model", meta.arch)
        .add("device", device.str())
        .add("images", n)
        .add("first_image", first)
        .add("classes", k)
        .add("precision", precision)
        .add("batch_size", batch)
        .add("streams", std::int64_t(streams))
        .add("eval_resize", meta.evalResize)
        .write(events);
    std::vector<float> probs(std::size_t(n * k));
    const auto out = torch::from_blob(probs.data(), {n, k}, torch::TensorOptions().dtype(torch::kFloat32));
    PredictRun run(*net, meta, images, device, precision == "bf16", batch, out, stop);
    const auto start = Clock::now();
    auto lastProgress = start;
    run.run(streams, std::max(1, threads / streams), [&](std::int64_t done) {
        if (since(lastProgress) < 1.0)
            return;
        lastProgress = Clock::now();
        JsonLine("progress")
            .add("done", done)
            .add("total", n)
            .add("images_per_second", double(done) / since(start))
            .write(events);
    });
    const double seconds = since(start);
    torch::set_num_threads(threads); // this thread ran a stream of fewer
    if (stop.load() && run.done() < n) {
        finished(events, "KILLED", "stopped by a signal", {}, 0);
        return kTrainStopped;
    }
    writeNpyFloat(o.outPath, {n, k}, probs.data());
    finished(events, "FINISHED", {}, artifact(o.outPath, "probabilities"), seconds > 0 ? double(n) / seconds : 0);
    return kTrainFinished;
}

} // namespace

int predict(const PredictOptions &o, std::ostream &events, const std::atomic<bool> &stop)
{
    try {
        return predictOrThrow(o, events, stop);
    } catch (const std::invalid_argument &e) {
        finished(events, "FAILED", e.what(), {}, 0);
        return kTrainUsage;
    } catch (const c10::Error &e) {
        finished(events, "FAILED", std::string("torch error: ") + e.what_without_backtrace(), {}, 0);
        return kTrainFailed;
    } catch (const std::exception &e) {
        finished(events, "FAILED", e.what(), {}, 0);
        return kTrainFailed;
    }
}

std::string infoJson(const char *workerVersion)
{
    const bool cuda = torch::cuda::is_available();
    std::string precisionAuto;
    try {
        precisionAuto = resolvePrecision("auto", cuda ? torch::Device(torch::kCUDA) : torch::Device(torch::kCPU));
    } catch (const std::invalid_argument &e) {
        precisionAuto = e.what(); // a bad PIPEWRIGHT_PRECISION, in words
    }
    std::string devices = "[{\"type\":\"cpu\",\"threads\":" + std::to_string(resolveThreads(0)) + "}";
    for (std::size_t i = 0; cuda && i < torch::cuda::device_count(); ++i)
        devices += ",{\"type\":\"cuda\",\"index\":" + std::to_string(i) + "}";
    devices += "]";
    JsonLine line("info");
    line.add("worker_version", workerVersion)
        .add("torch_version", std::to_string(TORCH_VERSION_MAJOR) + "." + std::to_string(TORCH_VERSION_MINOR) + "."
                                  + std::to_string(TORCH_VERSION_PATCH))
        .add("cuda_available", cuda)
        .add("cuda_devices", std::int64_t(cuda ? torch::cuda::device_count() : 0))
        .addRaw("devices", devices)
        .add("cpu_bf16", cpuHasBf16())
        .add("precision_auto", precisionAuto)
        .add("default_threads", resolveThreads(0));
    std::string models = "[";
    for (const ModelSpec &m : kModelZoo)
        models += std::string(models.size() > 1 ? "," : "") + JsonLine::quote(m.name);
    line.addRaw("models", models + "]");
    return line.str();
}

} // namespace pw::train
