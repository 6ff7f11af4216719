// Benchmark: materialise one table of an existing workspace into shards, first from scratch, then again
// (the reuse path). Built with -DPIPEWRIGHT_BENCHMARKS=ON (see tests/bench/README.md):
//
//   cmake -B build -DPIPEWRIGHT_BENCHMARKS=ON && cmake --build build --target bench_shards
//   pipewright demo /tmp/shard-demo     # Fashion-MNIST as tables fashion and fashion-test
//   BUILD/bin/bench_shards /tmp/shard-demo fashion [SIZE [CHANNELS [VAL_FRACTION [THREADS]]]]
//
// The binary lives in BUILD/bin so that it finds libpipewright-imaging.so beside it.
#include "core/data/Shards.h"
#include "core/store/Workspace.h"

#include <cstdio>
#include <cstdlib>
#include <exception>
#include <filesystem>
#include <string>

#include <sys/resource.h>

// User + system CPU seconds of this process so far: on a shared machine, steadier than wall time.
static double cpuSeconds()
{
    rusage u{};
    getrusage(RUSAGE_SELF, &u);
    return double(u.ru_utime.tv_sec + u.ru_stime.tv_sec) + (u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        std::fprintf(stderr, "usage: %s WORKSPACE TABLE [SIZE [CHANNELS [VAL_FRACTION [THREADS]]]]\n", argv[0]);
        return 2;
    }
    try {
        const auto ws = pw::store::Workspace::open(argv[1]);
        pw::data::ShardSpec spec;
        spec.table = argv[2];
        if (argc > 3)
            spec.imageSize = std::atoi(argv[3]);
        if (argc > 4)
            spec.channels = std::atoi(argv[4]);
        if (argc > 5)
            spec.valFraction = std::atof(argv[5]);
        if (argc > 6)
            spec.threads = std::atoi(argv[6]);

        // First run: from scratch. Remove a shard an earlier run left (its folder name is in the result).
        double cpu = cpuSeconds();
        auto first = pw::data::materialise(ws, spec);
        if (first.reused) {
            std::filesystem::remove_all(first.dir);
            cpu = cpuSeconds();
            first = pw::data::materialise(ws, spec);
        }
        const double buildCpu = cpuSeconds() - cpu;
        const auto second = pw::data::materialise(ws, spec);
        std::printf("{\"dir\": \"%s\", \"data_version\": %lld, \"train\": %lld, \"val\": %lld, \"classes\": %zu, "
                    "\"skipped\": %zu, \"build_seconds\": %.3f, \"build_cpu_seconds\": %.3f, \"reused\": %s, "
                    "\"reuse_seconds\": %.3f}\n",
                    first.dir.c_str(), static_cast<long long>(first.dataVersion),
                    static_cast<long long>(first.trainCount), static_cast<long long>(first.valCount),
                    first.classes.size(), first.skipped.size(), first.seconds, buildCpu,
                    second.reused ? "true" : "false", second.seconds);
        return 0;
    } catch (const std::exception &e) {
        std::fprintf(stderr, "bench_shards: %s\n", e.what());
        return 1;
    }
}
