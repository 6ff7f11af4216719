// c10d for the data-parallel trainer: rendezvous over a TCPStore (rank 0 serves it), then one process group
// (Gloo; NCCL for CUDA tensors where this libtorch was built with it). The only translation unit with c10d.
#include "core/train/detail/Distributed.h"

#include <ATen/ATen.h>
#include <torch/csrc/distributed/c10d/PrefixStore.hpp>
#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>
#ifdef PIPEWRIGHT_WITH_NCCL
#include <torch/csrc/distributed/c10d/ProcessGroupNCCL.hpp>
#endif

#include <chrono>
#include <cstdlib>
#include <map>
#include <stdexcept>
#include <tuple>
#include <thread>

namespace pw::train::detail {

namespace {

using Clock = std::chrono::steady_clock;

// A collective's limit once every rank has joined: long enough for rank 0 to validate an epoch while the
// others wait for its decision. A rank that dies closes its connections, which fails the others at once.
constexpr std::chrono::minutes kCollectiveTimeout{30};

// A whole number from the environment variable `name`; `who` (the option that reads it) starts the error.
int envInteger(const std::string &who, const char *name, int min, int max, const char *fallback = nullptr)
{
    const char *value = std::getenv(name);
    if ((!value || !*value) && fallback)
        value = fallback;
    if (!value || !*value)
        throw std::invalid_argument(who + ": the environment variable " + name
                                    + " is not set (a rank needs RANK, WORLD_SIZE, LOCAL_RANK, MASTER_ADDR and "
                                      "MASTER_PORT, as torchrun sets them)");
    char *end = nullptr;
    const long v = std::strtol(value, &end, 10);
    if (end == value || *end != '\0' || v < min || v > max)
        throw std::invalid_argument(who + ": " + name + "='" + value + "' is not a whole number from "
                                    + std::to_string(min) + " to " + std::to_string(max));
    return int(v);
}

std::string ranksText(const std::vector<int> &ranks, int worldSize)
{
    std::string out = ranks.size() == 1 ? "rank " : "ranks ";
    for (std::size_t i = 0; i < ranks.size(); ++i)
        out += (i ? ", " : "") + std::to_string(ranks[i]);
    return out + " of " + std::to_string(worldSize);
}

std::string joinedKey(int rank)
{
    return "pipewright/joined/" + std::to_string(rank);
}

// Connects to (rank 0: serves) the job's store. A client retries until the timeout: rank 0 may start later.
c10::intrusive_ptr<c10d::TCPStore> openStore(const RankEnvironment &e, std::chrono::seconds timeout)
{
    c10d::TCPStoreOptions options;
    options.port = std::uint16_t(e.masterPort);
    options.isServer = e.rank == 0;
    options.numWorkers = std::size_t(e.worldSize);
    options.waitWorkers = false; // the wait below names the ranks that do not come
    options.timeout = timeout;
    const std::string where = e.masterAddr + ":" + std::to_string(e.masterPort);
    try {
        return c10::make_intrusive<c10d::TCPStore>(e.masterAddr, options);
    } catch (const std::exception &ex) {
        if (e.rank == 0)
            throw std::runtime_error("rank 0 cannot serve the rendezvous at " + where
                                     + " (MASTER_ADDR:MASTER_PORT): " + ex.what());
        throw std::runtime_error(ranksText({0}, e.worldSize) + " did not join within " + std::to_string(timeout.count())
                                 + " s: no rendezvous at " + where + " (MASTER_ADDR:MASTER_PORT)");
    }
}

// Announces this rank and waits until every rank has, or the deadline passes.
void join(c10d::Store &store, const RankEnvironment &e, Clock::time_point deadline, std::chrono::seconds timeout)
{
    store.set(joinedKey(e.rank), std::vector<std::uint8_t>{1});
    std::vector<int> missing;
    for (int r = 0; r < e.worldSize; ++r)
        missing.push_back(r);
    while (!missing.empty()) {
        std::vector<int> still;
        try {
            for (int r : missing) {
                if (!store.check({joinedKey(r)}))
                    still.push_back(r);
            }
        } catch (const std::exception &ex) {
            throw std::runtime_error(ranksText({0}, e.worldSize) + " left the rendezvous: " + ex.what());
        }
        missing = std::move(still);
        if (missing.empty())
            break;
        if (Clock::now() >= deadline)
            throw std::runtime_error(ranksText(missing, e.worldSize) + " did not join within "
                                     + std::to_string(timeout.count()) + " s");
        std::this_thread::sleep_for(std::chrono::milliseconds(20)); // a bounded poll of the store
    }
}

bool isLoopback(const std::string &host)
{
    return host == "localhost" || host.rfind("127.", 0) == 0 || host == "::1";
}

std::shared_ptr<::gloo::transport::Device> glooDevice(const RankEnvironment &e)
{
    if (const char *name = std::getenv("GLOO_SOCKET_IFNAME"); name && *name)
        return c10d::ProcessGroupGloo::createDeviceForInterface(name);
    // All ranks on this host: loopback, whatever the host name resolves to.
    if (isLoopback(e.masterAddr))
        return c10d::ProcessGroupGloo::createDeviceForHostname("127.0.0.1");
    return c10d::ProcessGroupGloo::createDefaultDevice();
}

// The tensors' values, flattened into one 1-d tensor of `type` (a copy).
at::Tensor flatten(const std::vector<at::Tensor> &tensors, at::ScalarType type)
{
    std::vector<at::Tensor> parts;
    parts.reserve(tensors.size());
    for (const auto &t : tensors)
        parts.push_back(t.detach().reshape({-1}).to(type));
    return at::cat(parts);
}

// Copies consecutive pieces of `flat` back into `tensors` (each keeps its own layout and type).
void unflatten(const at::Tensor &flat, const std::vector<at::Tensor> &tensors)
{
    at::NoGradGuard noGrad;
    std::int64_t offset = 0;
    for (const auto &t : tensors) {
        t.copy_(flat.narrow(0, offset, t.numel()).view(t.sizes()));
        offset += t.numel();
    }
}

} // namespace

std::pair<int, int> readRankAndWorld(const std::string &who)
{
    const int worldSize = envInteger(who, "WORLD_SIZE", 1, 1 << 20);
    return {envInteger(who, "RANK", 0, worldSize - 1), worldSize};
}

RankEnvironment readRankEnvironment()
{
    RankEnvironment e;
    std::tie(e.rank, e.worldSize) = readRankAndWorld("--distributed");
    e.localRank = envInteger("--distributed", "LOCAL_RANK", 0, e.worldSize - 1, "0");
    const char *addr = std::getenv("MASTER_ADDR");
    if (!addr || !*addr)
        throw std::invalid_argument("--distributed: the environment variable MASTER_ADDR is not set (the host of rank "
                                    "0, where it serves the rendezvous)");
    e.masterAddr = addr;
    e.masterPort = envInteger("--distributed", "MASTER_PORT", 1, 65535);
    return e;
}

struct Distributed::Impl
{
    RankEnvironment env;
    c10::intrusive_ptr<c10d::TCPStore> store;
    c10::intrusive_ptr<c10d::ProcessGroupGloo> gloo;
#ifdef PIPEWRIGHT_WITH_NCCL
    c10::intrusive_ptr<c10d::ProcessGroupNCCL> nccl;
#endif
    bool cuda = false;

    // The tensor as the backend takes it: Gloo works on host memory here.
    at::Tensor onBackend(const at::Tensor &t) const
    {
#ifdef PIPEWRIGHT_WITH_NCCL
        if (nccl)
            return t;
#endif
        return t.is_cuda() ? t.cpu() : t;
    }

    // A collective that fails (most often: another rank died and closed its connections) says so.
    template<typename Collective> void run(const char *what, Collective &&collective)
    {
        try {
            collective();
        } catch (const std::exception &e) {
            throw std::runtime_error("rank " + std::to_string(env.rank) + " of " + std::to_string(env.worldSize)
                                     + ": the " + what
                                     + " with the other ranks failed (has a rank ended?): " + e.what());
        }
    }

    void allreduce(at::Tensor &t)
    {
        std::vector<at::Tensor> list{onBackend(t)};
#ifdef PIPEWRIGHT_WITH_NCCL
        if (nccl) {
            run("all-reduce", [&] { nccl->allreduce(list)->wait(); });
            return;
        }
#endif
        run("all-reduce", [&] { gloo->allreduce(list)->wait(); });
        if (!list[0].is_same(t))
            t.copy_(list[0]);
    }

    void broadcast(at::Tensor &t)
    {
        std::vector<at::Tensor> list{onBackend(t)};
        c10d::BroadcastOptions options;
        options.rootRank = 0;
#ifdef PIPEWRIGHT_WITH_NCCL
        if (nccl) {
            run("broadcast", [&] { nccl->broadcast(list, options)->wait(); });
            return;
        }
#endif
        run("broadcast", [&] { gloo->broadcast(list, options)->wait(); });
        if (!list[0].is_same(t))
            t.copy_(list[0]);
    }
};

Distributed::Distributed(const RankEnvironment &env, int timeoutSeconds, const c10::Device &device)
    : d(std::make_unique<Impl>())
{
    d->env = env;
    d->cuda = device.is_cuda();
    const std::chrono::seconds timeout(std::max(1, timeoutSeconds));
    const auto deadline = Clock::now() + timeout;
    d->store = openStore(env, timeout);
    join(*d->store, env, deadline, timeout);
    // Every rank is there: the process group's own exchange of addresses cannot wait on a missing one.
    auto prefixed = c10::make_intrusive<c10d::PrefixStore>("pipewright/group", d->store);
#ifdef PIPEWRIGHT_WITH_NCCL
    if (d->cuda) {
        auto options = c10d::ProcessGroupNCCL::Options::create();
        d->nccl = c10::make_intrusive<c10d::ProcessGroupNCCL>(prefixed, env.rank, env.worldSize, options);
        return;
    }
#endif
    auto options = c10d::ProcessGroupGloo::Options::create(kCollectiveTimeout);
    options->devices.push_back(glooDevice(env));
    d->gloo = c10::make_intrusive<c10d::ProcessGroupGloo>(prefixed, env.rank, env.worldSize, options);
}

Distributed::~Distributed() = default;

int Distributed::rank() const
{
    return d->env.rank;
}

int Distributed::worldSize() const
{
    return d->env.worldSize;
}

const char *Distributed::backend() const
{
#ifdef PIPEWRIGHT_WITH_NCCL
    if (d->nccl)
        return "nccl";
#endif
    return "gloo";
}

void Distributed::broadcast(const std::vector<at::Tensor> &tensors)
{
    std::map<at::ScalarType, std::vector<at::Tensor>> byType;
    for (const auto &t : tensors)
        byType[t.scalar_type()].push_back(t);
    for (const auto &[type, group] : byType) {
        at::Tensor flat = flatten(group, type);
        d->broadcast(flat);
        unflatten(flat, group);
    }
}

void Distributed::averageGradients(const std::vector<at::Tensor> &parameters, std::vector<double> &flags)
{
    std::vector<at::Tensor> parts;
    parts.reserve(parameters.size() + 1);
    std::int64_t total = 0;
    for (const auto &p : parameters) {
        const at::Tensor &g = p.grad();
        parts.push_back(g.defined() ? g.reshape({-1}).to(at::kFloat) : at::zeros({p.numel()}, p.options()));
        total += p.numel();
    }
    const auto device = parameters.empty() ? at::Device(at::kCPU) : parameters.front().device();
    parts.push_back(at::tensor(std::vector<float>(flags.begin(), flags.end())).to(device));
    at::Tensor flat = at::cat(parts);
    d->allreduce(flat);
    const at::Tensor sums = flat.narrow(0, total, std::int64_t(flags.size())).cpu();
    for (std::size_t i = 0; i < flags.size(); ++i)
        flags[i] = double(sums[std::int64_t(i)].item<float>());
    const at::Tensor mean = flat.narrow(0, 0, total).div_(double(d->env.worldSize));
    std::int64_t offset = 0;
    at::NoGradGuard noGrad;
    for (const auto &p : parameters) {
        at::Tensor g = p.grad();
        if (!g.defined()) {
            p.mutable_grad() = at::zeros_like(p);
            g = p.grad();
        }
        g.copy_(mean.narrow(0, offset, p.numel()).view(p.sizes()));
        offset += p.numel();
    }
}

void Distributed::average(const std::vector<at::Tensor> &tensors)
{
    std::vector<at::Tensor> floating;
    for (const auto &t : tensors) {
        if (at::isFloatingType(t.scalar_type()))
            floating.push_back(t);
    }
    if (floating.empty())
        return;
    at::Tensor flat = flatten(floating, at::kDouble);
    d->allreduce(flat);
    flat.div_(double(d->env.worldSize));
    unflatten(flat, floating);
}

void Distributed::sum(std::vector<double> &values)
{
    at::Tensor t = at::tensor(values, at::kDouble);
    d->allreduce(t);
    for (std::size_t i = 0; i < values.size(); ++i)
        values[i] = t[std::int64_t(i)].item<double>();
}

} // namespace pw::train::detail
