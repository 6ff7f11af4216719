// Benchmark of a training's submission to Slurm (a real one-node cluster started by tests/SlurmCluster): the time
// from starting `pipewright train` until its first training event ("training … on …", the worker's "started"
// event) through the Slurm target, beside the same training on this machine (the worker's own start-up and the
// CLI's preparation), taken in turns ROUNDS times in the same run. The target: Slurm adds at most 3 s.
// The first Slurm round also copies the shard into the workdir; it is reported apart.
//
//   cmake -B build -DPIPEWRIGHT_BENCHMARKS=ON && cmake --build build --target bench_slurm pipewright pipewright-worker
//   build/bin/bench_slurm [ROUNDS (default 5)] [IMAGES PER CLASS (default 200)]
#include "tests/SlurmCluster.h"
#include "tests/TestData.h"

#include <QCoreApplication>
#include <QElapsedTimer>
#include <QFileInfo>
#include <QProcess>
#include <QTemporaryDir>

#include <algorithm>
#include <cstdio>
#include <vector>

namespace {

QString g_cli;
QString g_ws;

bool run(const QStringList &args)
{
    QProcess p;
    p.start(g_cli, QStringList{"--workspace", g_ws} + args);
    p.waitForFinished(-1);
    if (p.exitStatus() != QProcess::NormalExit || p.exitCode() != 0) {
        std::fprintf(stderr, "pipewright %s failed: %s\n", qPrintable(args.join(' ')),
                     p.readAllStandardError().constData());
        return false;
    }
    return true;
}

// Seconds from start to the first training event, and to the end; negative when the training failed.
std::pair<double, double> timeTraining(const QString &target)
{
    QProcess p;
    QElapsedTimer clock;
    clock.start();
    p.start(g_cli, {"--workspace", g_ws, "train", "--table", "shapes", "--epochs", "1", "--image-size", "16",
                    "--device", "cpu", "--target", target});
    QByteArray err;
    double first = -1;
    while (p.state() != QProcess::NotRunning || p.bytesAvailable() > 0) {
        p.waitForReadyRead(20);
        err += p.readAllStandardError();
        p.readAllStandardOutput();
        if (first < 0 && err.contains("\ntraining "))
            first = double(clock.nsecsElapsed()) / 1e9;
        if (p.state() == QProcess::NotRunning && p.bytesAvailable() == 0)
            break;
    }
    const double end = double(clock.nsecsElapsed()) / 1e9;
    if (p.exitCode() != 0 || first < 0) {
        std::fprintf(stderr, "training on %s failed:\n%s\n", qPrintable(target), err.constData());
        return {-1, -1};
    }
    return {first, end};
}

double median(std::vector<double> v)
{
    std::sort(v.begin(), v.end());
    return v.empty() ? 0 : (v.size() % 2 ? v[v.size() / 2] : (v[v.size() / 2 - 1] + v[v.size() / 2]) / 2);
}

} // namespace

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    const int rounds = argc > 1 ? std::max(1, atoi(argv[1])) : 5;
    const int perClass = argc > 2 ? std::max(10, atoi(argv[2])) : 200;
    const QString bin = QCoreApplication::applicationDirPath();
    g_cli = bin + "/pipewright";
    const QString worker = bin + "/pipewright-worker";
    if (!QFileInfo(g_cli).isExecutable() || !QFileInfo(worker).isExecutable()) {
        std::fprintf(stderr, "build pipewright and pipewright-worker beside this program (%s)\n", qPrintable(bin));
        return 1;
    }
    QTemporaryDir dir;
    pw::test::SlurmCluster cluster;
    QElapsedTimer startClock;
    startClock.start();
    if (!cluster.start()) {
        std::fprintf(stderr, "the test cluster did not start: %s\n", qPrintable(cluster.errorString()));
        return 1;
    }
    const double clusterStart = double(startClock.elapsed()) / 1000.0;
    g_ws = dir.filePath("ws");
    if (!pw::test::writeShapeClasses(dir.filePath("shapes"), perClass, 7)
        || !run({"ingest", dir.filePath("shapes"), "--table", "shapes"})
        || !run({"targets", "add", "hpc", "slurm:", "--workdir", dir.filePath("cluster"), "--worker", worker}))
        return 1;
    std::printf("== Slurm submission overhead: one-node loopback cluster (started in %.2f s), %d shapes images, "
                "1 epoch at 16 px, %d rounds in turns\n",
                clusterStart, perClass * 4, rounds);
    std::vector<double> local, slurm, localEnd, slurmEnd;
    const auto firstLocal = timeTraining("local"); // fills the shard cache: not counted
    const auto firstSlurm = timeTraining("hpc"); // copies the shard to the workdir: reported apart
    if (firstLocal.first < 0 || firstSlurm.first < 0)
        return 1;
    std::printf("first Slurm run (copies the shard): first event after %.2f s, ended after %.2f s\n", firstSlurm.first,
                firstSlurm.second);
    std::printf("%-6s %14s %14s %12s %12s\n", "round", "local event s", "slurm event s", "local end s", "slurm end s");
    for (int r = 0; r < rounds; ++r) {
        const auto l = timeTraining("local");
        const auto s = timeTraining("hpc");
        if (l.first < 0 || s.first < 0)
            return 1;
        local.push_back(l.first);
        slurm.push_back(s.first);
        localEnd.push_back(l.second);
        slurmEnd.push_back(s.second);
        std::printf("%-6d %14.2f %14.2f %12.2f %12.2f\n", r + 1, l.first, s.first, l.second, s.second);
    }
    const double overhead = median(slurm) - median(local);
    std::printf("median: first training event %.2f s locally, %.2f s through Slurm: Slurm adds %.2f s "
                "(target <= 3 s: %s); whole run %.2f s vs %.2f s\n",
                median(local), median(slurm), overhead, overhead <= 3.0 ? "PASS" : "FAIL", median(localEnd),
                median(slurmEnd));
    return 0;
}
