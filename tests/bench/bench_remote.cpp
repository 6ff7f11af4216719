// Benchmark of remote runs over loopback SSH (a real sshd started by tests/SshServer), each figure beside
// its local floor measured in the same run:
//  1. the overhead of a remote run: the same 1-epoch training run locally and through the target, alternating,
//     ROUNDS times with the shard already on the target (target <= 2 s per run); split into connect + shard
//     check + launch (until the worker is followed) and the fetch of the model and logs;
//  2. how late an event reaches the tracker's side: for every metric event, the time it was received here minus
//     the timestamp the worker wrote into it (same clock: loopback), remote beside local (target <= 200 ms).
//
//   cmake -B build -DPIPEWRIGHT_BENCHMARKS=ON && cmake --build build --target bench_remote
//   build/bin/bench_remote /tmp/remote-bench [IMAGES (default 3000)] [ROUNDS (default 3)]
#include "core/compute/Targets.h"
#include "core/compute/Training.h"
#include "core/compute/WorkerProcess.h"
#include "core/data/FashionMnist.h"
#include "core/ingest/Ingestor.h"
#include "core/store/Database.h"
#include "core/store/Workspace.h"
#include "tests/SshServer.h"

#include <QCoreApplication>
#include <QDateTime>
#include <QDir>
#include <QElapsedTimer>

#include <algorithm>
#include <cstdio>
#include <vector>

using namespace pw;

namespace {

double median(std::vector<double> v)
{
    if (v.empty())
        return 0;
    std::sort(v.begin(), v.end());
    return v[v.size() / 2];
}

double maxOf(const std::vector<double> &v)
{
    return v.empty() ? 0 : *std::max_element(v.begin(), v.end());
}

struct Sample
{
    double wall = 0; // s
    double untilFollowed = 0; // s from the start of the worker job to remote_started (remote) / started (local)
    double fetch = 0; // s
    std::vector<double> latenciesMs;
    std::string status;
};

Sample runOnce(const store::Workspace &ws, const std::string &target)
{
    compute::TrainRequest r;
    r.table = "fashion";
    r.experiment = "bench-" + target;
    r.epochs = 1;
    r.device = pw::compute::Device::Cpu;
    r.target = target;
    Sample s;
    QElapsedTimer clock;
    clock.start();
    qint64 shardsReady = -1;
    const auto outcome = compute::runTraining(ws, r, [&](const QJsonObject &e) {
        const QString type = e.value("event").toString();
        const qint64 now = QDateTime::currentMSecsSinceEpoch();
        if (type == "shards_ready")
            shardsReady = clock.elapsed();
        if ((type == "remote_started" && target != "local")
            || (type == "started" && target == "local" && s.untilFollowed == 0))
            s.untilFollowed = double(clock.elapsed() - shardsReady) / 1000.0;
        if (type == "remote_fetched")
            s.fetch = e.value("seconds").toDouble();
        if (type == "metric" && e.contains("timestamp"))
            s.latenciesMs.push_back(double(now - e.value("timestamp").toInteger()));
    });
    s.wall = double(clock.elapsed()) / 1000.0;
    s.status = outcome.status;
    return s;
}

} // namespace

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    if (argc < 2) {
        std::fprintf(stderr, "usage: bench_remote WORK_DIR [IMAGES] [ROUNDS]\n");
        return 2;
    }
    const QString work = QString::fromLocal8Bit(argv[1]);
    const int images = argc > 2 ? std::atoi(argv[2]) : 3000;
    const int rounds = argc > 3 ? std::atoi(argv[3]) : 3;
    QDir(work).removeRecursively();
    QDir().mkpath(work);

    test::SshServer sshd;
    if (!sshd.start() || !sshd.trustHostKey()) {
        std::fprintf(stderr, "cannot start sshd: %s\n", qPrintable(sshd.errorString()));
        return 1;
    }
    qputenv("PIPEWRIGHT_SSH_CONFIG", sshd.clientConfigPath().toUtf8());

    const std::string source = (work + "/images").toStdString();
    data::writeFashionMnist(source, "train", images);
    const auto ws = store::Workspace::open((work + "/ws").toStdString());
    ingest::IngestOptions o;
    o.source = source;
    o.table = "fashion";
    ingest::ingest(ws, o);
    {
        auto db = ws.openCatalog();
        compute::addTarget(*db,
                           compute::makeSshTarget("loop", sshd.url().toStdString(), (work + "/remote").toStdString(),
                                                  compute::workerPath().toStdString()));
    }

    // One ssh round trip, for scale.
    QElapsedTimer rt;
    rt.start();
    const auto info = compute::testTarget(compute::makeSshTarget("loop", sshd.url().toStdString(), "/tmp", "true"));
    Q_UNUSED(info);
    std::printf("ssh round trip (connect, log in, run a command): %.0f ms\n", double(rt.elapsed()));

    // The first remote run copies the shard; it is reported apart.
    const Sample warmLocal = runOnce(ws, "local");
    const Sample first = runOnce(ws, "loop");
    std::printf("first remote run (copies the shard of %d images): %.2f s (local %.2f s), status %s\n", images,
                first.wall, warmLocal.wall, first.status.c_str());

    std::vector<double> localWall, remoteWall, follow, fetch, localLat, remoteLat;
    for (int i = 0; i < rounds; ++i) {
        const Sample l = runOnce(ws, "local");
        const Sample r = runOnce(ws, "loop");
        if (l.status != "FINISHED" || r.status != "FINISHED") {
            std::fprintf(stderr, "a run did not finish: local %s, remote %s\n", l.status.c_str(), r.status.c_str());
            return 1;
        }
        localWall.push_back(l.wall);
        remoteWall.push_back(r.wall);
        follow.push_back(r.untilFollowed);
        fetch.push_back(r.fetch);
        localLat.insert(localLat.end(), l.latenciesMs.begin(), l.latenciesMs.end());
        remoteLat.insert(remoteLat.end(), r.latenciesMs.begin(), r.latenciesMs.end());
        std::printf("round %d: local %.2f s, remote %.2f s (until followed %.2f s, fetch %.2f s)\n", i + 1, l.wall,
                    r.wall, r.untilFollowed, r.fetch);
    }
    std::vector<double> overhead;
    for (std::size_t i = 0; i < localWall.size(); ++i)
        overhead.push_back(remoteWall[i] - localWall[i]);
    const double ov = median(overhead);
    std::printf("\nremote overhead per run (remote - local wall, median of %d): %.2f s  [target <= 2 s: %s]\n", rounds,
                ov, ov <= 2.0 ? "PASS" : "FAIL");
    std::printf("  of which connect + shard check + launch: %.2f s, fetch of model and logs: %.2f s (medians)\n",
                median(follow), median(fetch));
    std::printf(
        "event latency, worker print -> here: remote median %.0f ms, max %.0f ms (%zu events); local median %.0f ms, "
        "max %.0f ms  [target <= 200 ms: %s]\n",
        median(remoteLat), maxOf(remoteLat), remoteLat.size(), median(localLat), maxOf(localLat),
        maxOf(remoteLat) <= 200 ? "PASS" : (median(remoteLat) <= 200 ? "PASS (median; see max)" : "FAIL"));
    return 0;
}
