// Benchmark: MERGE PREDICTIONS of N predictions (default 100,000) into a workspace whose table holds N
// images, first as inserts, then again as updates, beside the floor: the same rows inserted with plain
// prepared INSERTs into a bare table in the same database. Leaves the workspace (N images, a registered
// model in Production, N predictions, the review queue) for bench_scoring.sh to time the CLI commands on.
//
//   cmake -B build -DPIPEWRIGHT_BENCHMARKS=ON && cmake --build build --target bench_registry
//   build/bin/bench_registry /tmp/registry-bench [N]
//
// The model file registered is a placeholder (the merge never reads it); scoring is timed by bench_scoring.sh.
#include "core/catalog/Catalog.h"
#include "core/registry/Registry.h"
#include "core/score/Scoring.h"
#include "core/store/Database.h"
#include "core/store/Workspace.h"
#include "core/track/Tracker.h"

#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <vector>

using namespace pw;
using Clock = std::chrono::steady_clock;

static double since(Clock::time_point t)
{
    return std::chrono::duration<double>(Clock::now() - t).count();
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        std::fprintf(stderr, "usage: %s WORKSPACE_DIR [N]\n", argv[0]);
        return 2;
    }
    const std::string root = argv[1];
    const long n = argc > 2 ? std::atol(argv[2]) : 100000;
    std::filesystem::remove_all(root);
    try {
        const auto ws = store::Workspace::open(root);
        auto db = ws.openCatalog();
        const std::vector<std::string> classes = {"t-shirt_top", "trouser", "pullover", "dress", "coat",
                                                  "sandal",      "shirt",   "sneaker",  "bag",   "ankle_boot"};
        std::mt19937_64 rng(7);
        std::vector<std::string> paths, hashes;
        for (long i = 0; i < n; ++i) {
            char path[64], hash[65];
            std::snprintf(path, sizeof path, "/data/incoming/%06ld.png", i);
            std::snprintf(hash, sizeof hash, "%016llx%016llx%016llx%016llx", (unsigned long long)rng(),
                          (unsigned long long)rng(), (unsigned long long)rng(), (unsigned long long)rng());
            paths.emplace_back(path);
            hashes.emplace_back(hash);
        }
        // The table: N unlabeled images in one INGEST version.
        {
            catalog::Catalog cat(*db);
            store::Transaction tx(*db);
            const auto v = cat.beginVersion("INGEST", "{}", {});
            store::Statement ins(*db, "INSERT INTO images (table_name, path, source, content_hash, size, mtime_ns, "
                                      "width, height, channels, format, status, valid_from) VALUES ('incoming', ?1, "
                                      "'/data/incoming', ?2, 300, 0, 28, 28, 1, 'png', 'ok', ?3)");
            for (long i = 0; i < n; ++i) {
                ins.bind(1, paths[std::size_t(i)]).bind(2, hashes[std::size_t(i)]).bind(3, v);
                ins.exec();
            }
            cat.commitVersion(v, "{}");
            tx.commit();
        }
        // A registered model in Production.
        {
            track::Tracker tracker(*db);
            const auto run = tracker.createRun({"bench", "bench", "incoming", 1, {}});
            tracker.logParams(run, {{"image_size", "28"}, {"channels", "1"}});
            tracker.endRun(run, "FINISHED");
            const std::string dir = ws.artifactsDir() + "/" + run;
            std::filesystem::create_directories(dir);
            std::ofstream(dir + "/model.pt") << "placeholder: the merge benchmark never loads the model\n";
            std::ofstream cls(dir + "/classes.txt");
            for (const auto &c : classes)
                cls << c << "\n";
            cls.close();
            registry::Registry reg(ws, *db);
            reg.registerRun(run, "fashion");
            reg.transition(
                {"fashion", 1, registry::Stage::Production, registry::Existing::Default, "bench", {}, {}, {}});
        }
        // N predictions: softmax of random logits, made before the clock starts.
        std::vector<score::PredictionRow> rows(static_cast<std::size_t>(n));
        std::normal_distribution<float> logit(0.f, 2.5f);
        for (long i = 0; i < n; ++i) {
            float p[10], sum = 0;
            for (float &v : p)
                sum += (v = std::exp(logit(rng)));
            for (float &v : p)
                v /= sum;
            auto &r = rows[std::size_t(i)];
            int best = 0;
            r.top5 = score::topKJson(p, classes, 5, &best);
            r.path = paths[std::size_t(i)];
            r.contentHash = hashes[std::size_t(i)];
            r.predicted = classes[std::size_t(best)];
            r.confidence = p[best];
        }
        score::MergeOptions o;
        o.table = "incoming";
        o.model = "fashion";
        o.modelVersion = 1;
        if (const char *t = std::getenv("THRESHOLD"))
            o.threshold = std::atof(t); // default 0.95: with these random probabilities ~95% are queued

        // The floor: the same rows, plain INSERTs into a bare table, one transaction.
        db->exec("CREATE TABLE bench_floor (path TEXT, content_hash TEXT, predicted TEXT, confidence REAL, top5 TEXT)");
        auto t = Clock::now();
        {
            store::Transaction tx(*db);
            store::Statement ins(*db, "INSERT INTO bench_floor VALUES (?1, ?2, ?3, ?4, ?5)");
            for (const auto &r : rows) {
                ins.bind(1, r.path).bind(2, r.contentHash).bind(3, r.predicted).bind(4, r.confidence).bind(5, r.top5);
                ins.exec();
            }
            tx.commit();
        }
        const double floor = since(t);
        db->exec("DROP TABLE bench_floor");

        store::WriterLock lock(ws);
        t = Clock::now();
        const auto first = score::mergePredictions(*db, o, rows);
        const double insertSeconds = since(t);
        t = Clock::now();
        const auto second = score::mergePredictions(*db, o, rows);
        const double updateSeconds = since(t);
        std::printf("images %ld\n", n);
        std::printf("plain INSERT of %ld rows (floor)       %7.3f s\n", n, floor);
        std::printf("MERGE PREDICTIONS, all new             %7.3f s  ratio %.2fx  (%lld inserted, %lld queued)\n",
                    insertSeconds, insertSeconds / floor, (long long)first.inserted, (long long)first.queued);
        std::printf("MERGE PREDICTIONS, all existing        %7.3f s  ratio %.2fx  (%lld updated, %lld queued)\n",
                    updateSeconds, updateSeconds / floor, (long long)second.updated, (long long)second.queued);
        std::printf("%s  merging %ld predictions <= 3 s\n",
                    std::max(insertSeconds, updateSeconds) <= 3 ? "PASS" : "FAIL", n);
    } catch (const std::exception &e) {
        std::fprintf(stderr, "bench_registry: %s\n", e.what());
        return 1;
    }
    return 0;
}
