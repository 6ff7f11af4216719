// Data-parallel training across processes with torch.distributed's c10d (libtorch): a TCPStore rendezvous
// whose every rank must join within a bounded time, then Gloo collectives on the CPU (NCCL on CUDA where this
// libtorch has it). There is no DistributedDataParallel in C++: the trainer broadcasts parameters from rank 0
// and averages gradients itself through this class.
#pragma once

#include <ATen/core/Tensor.h>
#include <c10/core/Device.h>

#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace pw::train::detail {

/** Where a rank stands in the job: torchrun's variables RANK, WORLD_SIZE, LOCAL_RANK, MASTER_ADDR, MASTER_PORT. */
struct RankEnvironment
{
    int rank = 0;
    int worldSize = 1;
    int localRank = 0;
    std::string masterAddr;
    int masterPort = 0;
};

/**
 * RANK and WORLD_SIZE from the environment (0 <= RANK < WORLD_SIZE); throws std::invalid_argument starting with
 * `who` (the option that needs them) and naming the variable that is missing or bad.
 */
std::pair<int, int> readRankAndWorld(const std::string &who);

/** Reads the rank's environment; throws std::invalid_argument naming a variable that is missing or bad. */
RankEnvironment readRankEnvironment();

/** The collectives of one rank. Every rank calls the same ones in the same order. */
class Distributed
{
public:
    /**
     * Joins the job: rank 0 serves the TCPStore at MASTER_ADDR:MASTER_PORT, every rank announces itself
     * and waits for the others. Throws std::runtime_error naming the ranks that did not join within
     * `timeoutSeconds` ("rank 1 of 2 did not join within 30 s").
     */
    Distributed(const RankEnvironment &env, int timeoutSeconds, const c10::Device &device);
    ~Distributed();
    Distributed(const Distributed &) = delete;
    Distributed &operator=(const Distributed &) = delete;

    int rank() const;
    int worldSize() const;
    /** "gloo" or "nccl". */
    const char *backend() const;

    /** Copies rank 0's values into `tensors` on every rank (in place). */
    void broadcast(const std::vector<at::Tensor> &tensors);

    /**
     * Averages the gradients of `parameters` over the ranks with one all-reduce of their flattened
     * concatenation; `flags` ride along at the end of the same buffer and come back summed over the ranks.
     */
    void averageGradients(const std::vector<at::Tensor> &parameters, std::vector<double> &flags);

    /** Replaces each floating-point tensor with its mean over the ranks (one all-reduce for all). */
    void average(const std::vector<at::Tensor> &tensors);

    /** Sums `values` over the ranks, in place. */
    void sum(std::vector<double> &values);

private:
    struct Impl;
    std::unique_ptr<Impl> d;
};

} // namespace pw::train::detail
