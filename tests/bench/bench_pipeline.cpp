// Benchmark of pipelines, each figure beside its floor measured in the same run:
//  1. parsing, validating and ordering a generated 500-task DAG (target <= 100 ms), beside parsing its JSON alone;
//  2. executor overhead per task on a chain of no-op shell tasks (target <= 20 ms), beside spawning and
//     waiting for the same program the same number of times;
//  3. how late the scheduler starts a run after its due time (target <= 1 s), on a schedule firing every 2 s.
//
//   cmake -B build -DPIPEWRIGHT_BENCHMARKS=ON && cmake --build build --target bench_pipeline
//   build/bin/bench_pipeline /tmp/pipeline-bench
#include "core/pipeline/Executor.h"
#include "core/pipeline/Pipeline.h"
#include "core/pipeline/Scheduler.h"
#include "core/store/Database.h"
#include "core/store/Workspace.h"

#include <QCoreApplication>
#include <QDateTime>
#include <QFile>
#include <QJsonDocument>
#include <QTimer>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <random>
#include <set>
#include <spawn.h>
#include <sys/wait.h>

extern char **environ;

using namespace pw;
using Clock = std::chrono::steady_clock;

static double ms(Clock::time_point a, Clock::time_point b)
{
    return std::chrono::duration<double, std::milli>(b - a).count();
}

static QByteArray generatedDag(int n)
{
    std::mt19937 rng(5);
    QString tasks;
    for (int i = 0; i < n; ++i) {
        QString deps;
        std::set<int> picked;
        for (int k = 0; k < 3 && i > 0; ++k)
            picked.insert(std::uniform_int_distribution<int>(std::max(0, i - 40), i - 1)(rng));
        for (const int d : picked)
            deps += QString("%1{\"task_key\": \"t%2\"}").arg(deps.isEmpty() ? "" : ",").arg(d);
        const QString ref = picked.empty() ? "x" : QString("{{tasks.t%1.out}}").arg(*picked.begin());
        tasks += QString("%1{\"task_key\": \"t%2\", \"type\": \"shell\", \"depends_on\": [%3], "
                         "\"params\": {\"argv\": [\"/bin/echo\", \"{{params.p}}\", \"%4\"]}}")
                     .arg(i ? "," : "")
                     .arg(i)
                     .arg(deps, ref);
    }
    return QString("{\"name\": \"big\", \"format_version\": 1, \"parameters\": {\"p\": \"v\"}, \"tasks\": [%1]}")
        .arg(tasks)
        .toUtf8();
}

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    if (argc < 2) {
        std::fprintf(stderr, "usage: %s WORK_DIR\n", argv[0]);
        return 2;
    }
    const std::string root = argv[1];
    std::filesystem::remove_all(root);
    std::filesystem::create_directories(root);
    const auto ws = store::Workspace::open(root + "/ws");

    // 1. Validation and ordering.
    const QByteArray json = generatedDag(500);
    double best = 1e9, bestParse = 1e9;
    std::size_t ordered = 0, errors = 0;
    for (int round = 0; round < 5; ++round) {
        auto t0 = Clock::now();
        QJsonDocument::fromJson(json);
        bestParse = std::min(bestParse, ms(t0, Clock::now()));
        t0 = Clock::now();
        std::vector<pipeline::ValidationError> errs;
        const auto p = pipeline::parsePipeline(json, errs);
        const auto v = pipeline::validate(p);
        ordered = pipeline::topologicalOrder(p).size();
        best = std::min(best, ms(t0, Clock::now()));
        errors = errs.size() + v.size();
    }
    std::printf("500-task DAG: parse + validate + order   %8.1f ms  (%zu ordered, %zu errors)\n", best, ordered,
                errors);
    std::printf("  floor: QJsonDocument::fromJson alone   %8.1f ms  ratio %.1fx\n", bestParse, best / bestParse);
    std::printf("%s  500-task DAG validated and ordered <= 100 ms\n", best <= 100 ? "PASS" : "FAIL");

    // 2. Executor overhead per task: a chain of N no-op tasks.
    const int n = 40;
    QString chain;
    for (int i = 0; i < n; ++i)
        chain += QString("%1{\"task_key\": \"n%2\", \"type\": \"shell\", %3 \"params\": {\"argv\": [\"/bin/true\"]}}")
                     .arg(i ? "," : "")
                     .arg(i)
                     .arg(i ? QString("\"depends_on\": [{\"task_key\": \"n%1\"}],").arg(i - 1) : QString());
    std::vector<pipeline::ValidationError> errs;
    const auto noop = pipeline::parsePipeline(
        QString("{\"name\": \"noop\", \"format_version\": 1, \"max_parallel_tasks\": 1, \"tasks\": [%1]}")
            .arg(chain)
            .toUtf8(),
        errs);
    auto t0 = Clock::now();
    const auto run = pipeline::runPipeline(ws, noop, {});
    const double executor = ms(t0, Clock::now());
    t0 = Clock::now();
    for (int i = 0; i < n; ++i) {
        pid_t pid;
        char prog[] = "/bin/true";
        char *args[] = {prog, nullptr};
        if (posix_spawn(&pid, prog, nullptr, nullptr, args, environ) == 0)
            waitpid(pid, nullptr, 0);
    }
    const double floor = ms(t0, Clock::now());
    const double overhead = (executor - floor) / n;
    std::printf("executor, %d no-op tasks in a chain       %8.1f ms  (%s)\n", n, executor, run.result.c_str());
    std::printf("  floor: spawn and wait /bin/true x %d    %8.1f ms\n", n, floor);
    std::printf("  overhead per task                      %8.1f ms\n", overhead);
    std::printf("%s  executor overhead <= 20 ms per task\n", overhead <= 20 ? "PASS" : "FAIL");

    // 3. Scheduler latency: a schedule every 2 s, 4 fires.
    const std::string dir = root + "/pipelines";
    std::filesystem::create_directories(dir);
    QFile f(QString::fromStdString(dir + "/tick.json"));
    f.open(QIODevice::WriteOnly);
    f.write(R"({"name": "tick", "format_version": 1, "max_concurrent_runs": 5,
               "schedule": {"quartz_cron_expression": "*/2 * * * * ?", "timezone_id": "UTC"},
               "tasks": [{"task_key": "t", "type": "shell", "params": {"argv": ["/bin/true"]}}]})");
    f.close();
    pipeline::Scheduler scheduler(ws, dir);
    std::vector<double> lateness;
    QObject::connect(&scheduler, &pipeline::Scheduler::runStarted, [&](qint64 id, const QString &, const QString &) {
        const QDateTime now = QDateTime::currentDateTimeUtc();
        auto db = ws.openCatalog();
        store::Statement st(*db, "SELECT last_fire FROM pipeline_schedule_state WHERE pipeline = 'tick'");
        if (st.step()) {
            const QDateTime due = QDateTime::fromString(QString::fromStdString(st.text(0)), Qt::ISODateWithMs);
            lateness.push_back(double(due.msecsTo(now)));
            std::printf("  run %lld started %lld ms after its due time\n", static_cast<long long>(id),
                        static_cast<long long>(due.msecsTo(now)));
        }
        if (lateness.size() >= 4)
            QCoreApplication::quit();
    });
    scheduler.start();
    QTimer::singleShot(15000, [] { QCoreApplication::quit(); });
    QCoreApplication::exec();
    scheduler.stop(false);
    const double worst = lateness.empty() ? 1e9 : *std::max_element(lateness.begin(), lateness.end());
    std::printf("scheduler: %zu fires, worst start %.0f ms after the due time\n", lateness.size(), worst);
    std::printf("%s  the scheduler fires within 1 s of the due time\n", worst <= 1000 ? "PASS" : "FAIL");
    return 0;
}
