// pipewright-worker: the compute process. Trains or predicts from prepared shards and reports JSON-line
// events on stdout. Configured by flags only; depends on libtorch and the C++ standard library.
#include "core/train/ModelZoo.h"
#include "core/train/Trainer.h"
#include "core/train/detail/Distributed.h"
#include "core/train/detail/Export.h"

#include <atomic>
#include <csignal>
#include <cstdlib>
#include <functional>
#include <iostream>
#include <map>
#include <string>
#include <tuple>
#include <vector>

#include <unistd.h>

#ifndef PIPEWRIGHT_VERSION
#define PIPEWRIGHT_VERSION "0"
#endif

namespace {

std::atomic<bool> g_stop{false};
std::atomic<bool> g_requeue{false};

void onSignal(int)
{
    g_stop.store(true);
}

// SIGUSR1: Slurm's warning before a time limit or a preemption (sbatch --signal=USR1@SECONDS).
void onRequeueSignal(int)
{
    g_requeue.store(true);
}

constexpr const char *kUsage =
    "Usage: pipewright-worker train --shards DIR --out DIR [--model NAME] [--epochs N] [--batch-size B] [--lr X]\n"
    "                         [--optimizer adam|sgd] [--weight-decay X] [--schedule onecycle|cosine] [--patience N]\n"
    "                         [--label-smoothing X] [--flip 0|1] [--crop 0|1] [--seed S] [--device auto|cpu|cuda]\n"
    "                         [--precision auto|fp32|bf16] [--threads N] [--resume] [--hold-dir DIR]\n"
    "                         [--distributed [--rendezvous-timeout SECONDS]]\n"
    "                         [--init FILE] [--freeze backbone|none] [--backbone-lr-scale X]\n"
    "       pipewright-worker predict --model FILE --images FILE.npy --out FILE.npy [--batch-size B] [--device D] "
    "[--threads N]\n"
    "                         [--precision auto|fp32|bf16]\n"
    "                         [--by-rank]  (rank RANK of WORLD_SIZE predicts its share of the images; %r in --out\n"
    "                         is replaced by the rank)\n"
    "       pipewright-worker export --model FILE --format onnx|pytorch|safetensors --out FILE\n"
    "       pipewright-worker info\n"
    "Events are JSON lines on stdout. Exit codes: 0 finished, 1 failed, 2 usage, 3 stopped by SIGTERM/SIGINT\n"
    "(a checkpoint is written; train --resume continues), 4 checkpointed on SIGUSR1 for a requeue (a \"requeue\"\n"
    "event; train --resume continues).\n"
    "--distributed: one rank of a data-parallel training; reads RANK, WORLD_SIZE, LOCAL_RANK, MASTER_ADDR and\n"
    "MASTER_PORT (torchrun's names). Rank 0 serves the rendezvous; a rank missing after --rendezvous-timeout\n"
    "(default 120 s) fails every rank, naming it. --batch-size is the global batch (each rank takes B/WORLD_SIZE).\n"
    "Gloo on the CPU, NCCL on CUDA where this libtorch has it. Only rank 0 writes events, checkpoints and the model.\n"
    "--init FILE starts from pretrained weights: a torch.save'd state_dict (.pth) or .safetensors with torchvision or\n"
    "timm key names (nothing in the file is run); the head is re-initialised when the class count differs, and\n"
    "OUT/init_report.json lists loaded, missing, unexpected and shape-mismatched keys. --freeze backbone trains only\n"
    "the head (it needs --init); --backbone-lr-scale X gives the backbone X times the head's learning rate.\n"
    "--precision auto takes $PIPEWRIGHT_PRECISION (fp32|bf16) when set, else bf16 where the CPU or GPU has it.\n"
    "predict --precision auto runs in the model's training precision (bf16 only where the device has it and\n"
    "$PIPEWRIGHT_PRECISION is not fp32); on the CPU its --threads run as streams of batches, one thread each.\n"
    "--hold-dir DIR (for tests): at a point P (epoch-E-batch-1, epoch-E-end) where DIR/P exists, the worker writes\n"
    "DIR/P.held and waits until DIR/P is removed or it is stopped. With --distributed each rank also writes\n"
    "DIR/P.rank-R.held, and at the end DIR/params-rank-R.bin (its parameters and buffers, raw).\n";

struct Args
{
    std::map<std::string, std::string> values;
    std::vector<std::string> flags;
};

// --key value pairs; `switches` take no value.
bool parse(int argc, char **argv, const std::vector<std::string> &known, const std::vector<std::string> &switches,
           Args &out)
{
    for (int i = 2; i < argc; ++i) {
        const std::string a = argv[i];
        if (a.rfind("--", 0) != 0) {
            std::cerr << "pipewright-worker: unexpected argument '" << a << "'\n" << kUsage;
            return false;
        }
        const std::string key = a.substr(2);
        if (std::find(switches.begin(), switches.end(), key) != switches.end()) {
            out.flags.push_back(key);
            continue;
        }
        if (std::find(known.begin(), known.end(), key) == known.end()) {
            std::cerr << "pipewright-worker: unknown option '" << a << "'\n" << kUsage;
            return false;
        }
        if (i + 1 >= argc) {
            std::cerr << "pipewright-worker: option '" << a << "' needs a value\n";
            return false;
        }
        out.values[key] = argv[++i];
    }
    return true;
}

bool number(const Args &a, const std::string &key, double &out)
{
    const auto it = a.values.find(key);
    if (it == a.values.end())
        return true;
    char *end = nullptr;
    out = std::strtod(it->second.c_str(), &end);
    if (end == it->second.c_str() || *end != '\0') {
        std::cerr << "pipewright-worker: --" << key << ": '" << it->second << "' is not a number\n";
        return false;
    }
    return true;
}

template<typename T> bool integer(const Args &a, const std::string &key, T &out)
{
    if (!a.values.count(key))
        return true; // the default stays (train's epochs: -1, the model's)
    double v = double(out);
    if (!number(a, key, v))
        return false;
    if (v != double(static_cast<long long>(v)) || v < 0) {
        std::cerr << "pipewright-worker: --" << key << ": '" << a.values.at(key) << "' is not a whole number >= 0\n";
        return false;
    }
    out = static_cast<T>(v);
    return true;
}

std::string value(const Args &a, const std::string &key, const std::string &def = {})
{
    const auto it = a.values.find(key);
    return it == a.values.end() ? def : it->second;
}

int runTrain(int argc, char **argv)
{
    Args a;
    if (!parse(argc, argv,
               {"shards",
                "out",
                "model",
                "epochs",
                "batch-size",
                "lr",
                "optimizer",
                "weight-decay",
                "schedule",
                "patience",
                "label-smoothing",
                "flip",
                "crop",
                "seed",
                "device",
                "precision",
                "threads",
                "hold-dir",
                "rendezvous-timeout",
                "init",
                "freeze",
                "backbone-lr-scale"},
               {"resume", "distributed"}, a))
        return pw::train::kTrainUsage;
    pw::train::TrainOptions o;
    o.shardDir = value(a, "shards");
    o.outDir = value(a, "out");
    if (o.shardDir.empty() || o.outDir.empty()) {
        std::cerr << "pipewright-worker train: --shards DIR and --out DIR are required\n";
        return pw::train::kTrainUsage;
    }
    o.model = value(a, "model", o.model);
    o.optimizer = value(a, "optimizer", o.optimizer);
    o.schedule = value(a, "schedule", o.schedule);
    o.device = value(a, "device", o.device);
    o.precision = value(a, "precision", o.precision);
    o.holdDir = value(a, "hold-dir");
    o.initPath = value(a, "init");
    o.freeze = value(a, "freeze", o.freeze);
    if (!integer(a, "epochs", o.epochs) || !integer(a, "batch-size", o.batchSize) || !number(a, "lr", o.lr)
        || !number(a, "weight-decay", o.weightDecay) || !integer(a, "patience", o.patience)
        || !number(a, "label-smoothing", o.labelSmoothing) || !integer(a, "seed", o.seed)
        || !integer(a, "threads", o.threads) || !integer(a, "rendezvous-timeout", o.rendezvousTimeout)
        || !number(a, "backbone-lr-scale", o.backboneLrScale))
        return pw::train::kTrainUsage;
    for (const char *key : {"flip", "crop"}) {
        const std::string v = value(a, key, "-1");
        if (v != "0" && v != "1" && v != "-1") {
            std::cerr << "pipewright-worker: --" << key << ": '" << v << "' is not 0 or 1\n";
            return pw::train::kTrainUsage;
        }
        (std::string(key) == "flip" ? o.flip : o.crop) = std::stoi(v);
    }
    o.resume = std::find(a.flags.begin(), a.flags.end(), "resume") != a.flags.end();
    o.distributed = std::find(a.flags.begin(), a.flags.end(), "distributed") != a.flags.end();
    if (a.values.count("rendezvous-timeout") && !o.distributed) {
        std::cerr << "pipewright-worker train: --rendezvous-timeout needs --distributed\n";
        return pw::train::kTrainUsage;
    }
    if (o.rendezvousTimeout < 1) {
        std::cerr << "pipewright-worker train: --rendezvous-timeout: 0 is not a number of seconds >= 1\n";
        return pw::train::kTrainUsage;
    }
    return pw::train::train(o, std::cout, g_stop, &g_requeue);
}

// predict --by-rank: this rank's part of the images from RANK and WORLD_SIZE (set by the Slurm batch script for
// each task), and "%r" in --out made the rank, so that the ranks write beside each other.
bool byRank(pw::train::PredictOptions &o)
{
    try {
        std::tie(o.part, o.parts) = pw::train::detail::readRankAndWorld("pipewright-worker predict --by-rank");
    } catch (const std::invalid_argument &e) {
        std::cerr << e.what() << "\n";
        return false;
    }
    const auto at = o.outPath.find("%r");
    if (at == std::string::npos) {
        std::cerr << "pipewright-worker predict: --by-rank needs %r in --out (each rank writes its own file)\n";
        return false;
    }
    o.outPath.replace(at, 2, std::to_string(o.part));
    return true;
}

int runPredict(int argc, char **argv)
{
    Args a;
    if (!parse(argc, argv, {"model", "images", "out", "batch-size", "device", "threads", "precision"}, {"by-rank"}, a))
        return pw::train::kTrainUsage;
    pw::train::PredictOptions o;
    o.modelPath = value(a, "model");
    o.imagesPath = value(a, "images");
    o.outPath = value(a, "out");
    o.device = value(a, "device", o.device);
    o.precision = value(a, "precision", o.precision);
    if (o.modelPath.empty() || o.imagesPath.empty() || o.outPath.empty()) {
        std::cerr << "pipewright-worker predict: --model FILE, --images FILE.npy and --out FILE.npy are required\n";
        return pw::train::kTrainUsage;
    }
    if (!integer(a, "batch-size", o.batchSize) || !integer(a, "threads", o.threads))
        return pw::train::kTrainUsage;
    if (std::find(a.flags.begin(), a.flags.end(), "by-rank") != a.flags.end() && !byRank(o))
        return pw::train::kTrainUsage;
    return pw::train::predict(o, std::cout, g_stop);
}

int runExport(int argc, char **argv)
{
    Args a;
    if (!parse(argc, argv, {"model", "format", "out"}, {}, a))
        return pw::train::kTrainUsage;
    const pw::train::detail::ExportOptions o{value(a, "model"), value(a, "format"), value(a, "out")};
    if (o.modelPath.empty() || o.format.empty() || o.outPath.empty()) {
        std::cerr << "pipewright-worker export: --model FILE, --format onnx|pytorch|safetensors and --out FILE are "
                     "required\n";
        return pw::train::kTrainUsage;
    }
    return pw::train::detail::exportModel(o, std::cout);
}

} // namespace

int main(int argc, char **argv)
{
    // OpenMP threads that spin while they wait for work (libgomp's default) take the cores from every other
    // process: on a busy 2-core machine, 2 training threads ran 10x slower than 1 (230 vs 2,100 images/s).
    // Sleeping waits cost ~5% on an idle machine. libgomp reads the policy when it loads, before main():
    // so when the user has not chosen one, run this program again with it set.
    if (!std::getenv("OMP_WAIT_POLICY") && !std::getenv("PIPEWRIGHT_WORKER_REEXEC")) {
        setenv("OMP_WAIT_POLICY", "PASSIVE", 1);
        setenv("PIPEWRIGHT_WORKER_REEXEC", "1", 1);
        execv("/proc/self/exe", argv);
        // exec failed: carry on with the default policy
    }
    std::signal(SIGTERM, onSignal);
    std::signal(SIGINT, onSignal);
    std::signal(SIGUSR1, onRequeueSignal);
    const std::string command = argc > 1 ? argv[1] : "";
    if (command == "train")
        return runTrain(argc, argv);
    if (command == "predict")
        return runPredict(argc, argv);
    if (command == "export")
        return runExport(argc, argv);
    if (command == "info") {
        std::cout << pw::train::infoJson(PIPEWRIGHT_VERSION) << std::endl;
        return 0;
    }
    if (command == "--version") {
        std::cout << "pipewright-worker " << PIPEWRIGHT_VERSION << "\n";
        return 0;
    }
    if (command == "help" || command == "--help" || command == "-h") {
        std::cout << kUsage << "\nModels:\n";
        for (const auto &m : pw::train::kModelZoo)
            std::cout << "  " << m.name << ": " << m.summary << "\n";
        return 0;
    }
    std::cerr << "pipewright-worker: unknown command '" << command << "'\n" << kUsage;
    return pw::train::kTrainUsage;
}
