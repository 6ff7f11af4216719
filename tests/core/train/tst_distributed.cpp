// Data-parallel training with real processes: pipewright-worker ranks started with torchrun's environment
// (the same one Slurm's script and `pipewright train --processes N` give them), rendezvous over a real TCPStore
// and Gloo. The ranks end with bit-identical parameters and train as well as one process; a missing or killed
// rank fails the others, naming it; SIGUSR1 checkpoints for a requeue that --resume continues. Ranks are held at
// known points (--hold-dir) where a test acts on them.
#include "core/data/Npy.h"
#include "tests/TestData.h"
#include "tests/WorkerHold.h"

#include <QCoreApplication>
#include <QDir>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QTemporaryDir>
#include <QTest>

#include <memory>
#include <random>
#include <vector>

#include <arpa/inet.h>
#include <csignal>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

using namespace pw;

namespace {

constexpr int kWaitMs = 120000; // a bound against a hang, never a speed expectation

// A port the kernel has free on the loopback now, for rank 0's store.
int freePort()
{
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t length = sizeof addr;
    int port = 0;
    if (::bind(fd, reinterpret_cast<sockaddr *>(&addr), sizeof addr) == 0
        && ::getsockname(fd, reinterpret_cast<sockaddr *>(&addr), &length) == 0)
        port = ntohs(addr.sin_port);
    ::close(fd);
    return port;
}

QList<QJsonObject> events(const QByteArray &text)
{
    QList<QJsonObject> out;
    for (const QByteArray &line : text.split('\n')) {
        if (!line.trimmed().isEmpty())
            out << QJsonDocument::fromJson(line).object();
    }
    return out;
}

QList<QJsonObject> ofType(const QList<QJsonObject> &list, const QString &type, const QString &key = {})
{
    QList<QJsonObject> out;
    for (const auto &e : list) {
        if (e.value("event").toString() == type && (key.isEmpty() || e.value("key").toString() == key))
            out << e;
    }
    return out;
}

// The ranks of one job, started together; rank R's stdout and stderr are kept apart.
struct Job
{
    std::vector<std::unique_ptr<QProcess>> ranks;

    bool waitAll()
    {
        bool ok = true;
        for (auto &p : ranks)
            ok = p->waitForFinished(kWaitMs) && ok;
        return ok;
    }
    QProcess &operator[](int r) { return *ranks[std::size_t(r)]; }
};

} // namespace

class tst_Distributed : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void twoRanksTrainAsOneProcess();
    void refusals_data();
    void refusals();
    void killedRankFailsTheOther();
    void usr1CheckpointsForRequeue_data();
    void usr1CheckpointsForRequeue();
    void cliTrainsWithTwoProcesses();
    void cliNamesTheKilledRank();
    void cliCancelStopsEveryRank();

private:
    void writeShard(const QString &dir);
    QStringList trainArgs(const QString &out, int epochs, int threads) const;
    // Starts `ranks` of `args` with --distributed (ranks <= 0: one process without it); `only` starts that rank
    // alone; `variables` ("NAME=VALUE") override the ranks' environment.
    Job start(const QStringList &args, int ranks, int only = -1, const QStringList &extra = {},
              const QStringList &variables = {});
    bool waitHeld(const QString &holdDir, const QString &point, int ranks);
    QByteArray cli(const QStringList &args, int *exitCode);
    // `pipewright train --processes 2` on the shapes table, held at epoch-1-batch-1; the ranks' pids.
    QList<qint64> startHeldCli(QProcess &p, test::WorkerHold &hold);

    QTemporaryDir m_dir;
    QString m_shard;
    QString m_worker;
};

void tst_Distributed::writeShard(const QString &dir)
{
    // Three faint patterns (stripes across, stripes down, a square) under heavy noise: learnable to about 90%
    // in three epochs, so that how well a run trains shows in its accuracy.
    QDir().mkpath(dir);
    std::mt19937 rng(7);
    std::uniform_int_distribution<int> noise(0, 119);
    constexpr int size = 16;
    for (const auto &[split, count] : {std::pair{"train", 3000}, std::pair{"val", 2000}}) {
        data::NpyWriter images((dir + "/" + split + "_images.npy").toStdString(), data::NpyType::UInt8,
                               {count, size, size, 1});
        std::vector<std::int64_t> labels(static_cast<std::size_t>(count), 0);
        for (int i = 0; i < count; ++i) {
            const int cls = i % 3;
            labels[std::size_t(i)] = cls;
            unsigned char *px = images.row(i);
            for (int y = 0; y < size; ++y) {
                for (int x = 0; x < size; ++x) {
                    const bool on = cls == 0   ? (y / 2) % 2 == 0
                                    : cls == 1 ? (x / 2) % 2 == 0
                                               : (x > size / 4 && x < 3 * size / 4 && y > size / 4 && y < 3 * size / 4);
                    px[y * size + x] = static_cast<unsigned char>((on ? 72 : 60) + noise(rng));
                }
            }
        }
        images.finish(false);
        data::writeNpy((dir + "/" + split + "_labels.npy").toStdString(), data::NpyType::Int64, {count}, labels.data(),
                       false);
    }
    QFile f(dir + "/classes.txt");
    QVERIFY(f.open(QIODevice::WriteOnly));
    f.write("across\ndown\nsquare\n");
}

void tst_Distributed::initTestCase()
{
    QVERIFY(m_dir.isValid());
    m_worker = QCoreApplication::applicationDirPath() + "/pipewright-worker";
    QVERIFY2(QFileInfo(m_worker).isExecutable(), qPrintable(m_worker));
    m_shard = m_dir.filePath("shard");
    writeShard(m_shard);
}

QStringList tst_Distributed::trainArgs(const QString &out, int epochs, int threads) const
{
    return {"train",
            "--shards",
            m_shard,
            "--out",
            out,
            "--epochs",
            QString::number(epochs),
            "--batch-size",
            "64",
            "--threads",
            QString::number(threads),
            "--device",
            "cpu"};
}

Job tst_Distributed::start(const QStringList &args, int ranks, int only, const QStringList &extra,
                           const QStringList &variables)
{
    Job job;
    const int port = freePort();
    for (int r = 0; r < std::max(1, ranks); ++r) {
        auto p = std::make_unique<QProcess>();
        if (only < 0 || only == r) {
            QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
            if (ranks > 0) {
                env.insert("RANK", QString::number(r));
                env.insert("WORLD_SIZE", QString::number(ranks));
                env.insert("LOCAL_RANK", QString::number(r));
                env.insert("MASTER_ADDR", "127.0.0.1");
                env.insert("MASTER_PORT", QString::number(port));
            }
            for (const QString &v : variables)
                env.insert(v.section('=', 0, 0), v.section('=', 1));
            p->setProcessEnvironment(env);
            p->start(m_worker, args + (ranks > 0 ? QStringList{"--distributed"} : QStringList()) + extra);
        }
        job.ranks.push_back(std::move(p));
    }
    return job;
}

bool tst_Distributed::waitHeld(const QString &holdDir, const QString &point, int ranks)
{
    QStringList files;
    for (int r = 0; r < ranks; ++r)
        files << holdDir + "/" + point + ".rank-" + QString::number(r) + ".held";
    if (ranks <= 0)
        files << holdDir + "/" + point + ".held";
    return QTest::qWaitFor(
        [&] { return std::all_of(files.begin(), files.end(), [](const QString &f) { return QFile::exists(f); }); },
        kWaitMs);
}

void tst_Distributed::twoRanksTrainAsOneProcess()
{
    // The same data, epochs and global batch: one process with 2 threads, then 2 ranks with 1 each.
    Job one = start(trainArgs(m_dir.filePath("one"), 3, 2), 0);
    QVERIFY(one.waitAll());
    QCOMPARE(one[0].exitCode(), 0);
    const QString hold = m_dir.filePath("hold-params");
    QVERIFY(QDir().mkpath(hold));
    Job two = start(trainArgs(m_dir.filePath("two"), 3, 1), 2, -1, {"--hold-dir", hold});
    QVERIFY(two.waitAll());
    const QByteArray rank1Err = two[1].readAllStandardError();
    QVERIFY2(two[0].exitCode() == 0 && two[1].exitCode() == 0, rank1Err.constData());
    QVERIFY2(two[1].readAllStandardOutput().isEmpty(), "a rank other than 0 wrote on stdout");
    QVERIFY(rank1Err.contains("rank 1 of 2 joined"));

    const auto a = events(one[0].readAllStandardOutput()), b = events(two[0].readAllStandardOutput());
    QCOMPARE(ofType(b, "finished").value(0).value("status").toString(), "FINISHED");
    QCOMPARE(ofType(b, "started").value(0).value("world_size").toInt(), 2);
    // N ranks make as many steps as one process: the global batch is split, not multiplied.
    QCOMPARE(ofType(b, "started").value(0).value("steps_per_epoch").toInt(),
             ofType(a, "started").value(0).value("steps_per_epoch").toInt());
    QCOMPARE(ofType(b, "metric", "train_loss").size(), 3); // each epoch's metrics once (rank 0 only)
    QVERIFY(!ofType(a, "metric", "val_accuracy").isEmpty() && !ofType(b, "metric", "val_accuracy").isEmpty());
    const double accOne = ofType(a, "metric", "val_accuracy").last().value("value").toDouble();
    const double accTwo = ofType(b, "metric", "val_accuracy").last().value("value").toDouble();
    QVERIFY2(accOne > 0.6 && std::abs(accOne - accTwo) <= 0.02,
             qPrintable(QString("val accuracy: 1 process %1, 2 ranks %2 (2000 images)").arg(accOne).arg(accTwo)));
    QVERIFY(QFile::exists(m_dir.filePath("two/model.pt")));

    // Every rank's parameters and buffers at the end, as each rank holds them: the same bytes.
    QFile p0(hold + "/params-rank-0.bin"), p1(hold + "/params-rank-1.bin");
    QVERIFY(p0.open(QIODevice::ReadOnly) && p1.open(QIODevice::ReadOnly));
    const QByteArray bytes0 = p0.readAll(), bytes1 = p1.readAll();
    QVERIFY(bytes0.size() > 10000);
    QVERIFY2(bytes0 == bytes1, "the ranks' parameters differ");
}

void tst_Distributed::refusals_data()
{
    QTest::addColumn<int>("worldSize");
    QTest::addColumn<int>("only"); // the one rank started
    QTest::addColumn<QStringList>("extra");
    QTest::addColumn<QStringList>("variables");
    QTest::addColumn<int>("exitCode");
    QTest::addColumn<QString>("message");
    const QStringList timeout{"--rendezvous-timeout", "5"};
    QTest::newRow("rank 1 never joins") << 2 << 0 << timeout << QStringList() << 1
                                        << "rank 1 of 2 did not join within 5 s";
    QTest::newRow("ranks 1 and 2 never join")
        << 3 << 0 << timeout << QStringList() << 1 << "ranks 1, 2 of 3 did not join within 5 s";
    QTest::newRow("no rank 0 to join") << 2 << 1 << timeout << QStringList() << 1
                                       << "rank 0 of 2 did not join within 5 s";
    QTest::newRow("global batch too small") << 2 << 0 << QStringList{"--batch-size", "3"} << QStringList() << 2
                                            << "--batch-size 3 is the global batch: 2 ranks need at least 4";
    QTest::newRow("no WORLD_SIZE") << 2 << 0 << QStringList() << QStringList{"WORLD_SIZE="} << 2
                                   << "WORLD_SIZE is not set";
    QTest::newRow("RANK outside WORLD_SIZE")
        << 2 << 0 << QStringList() << QStringList{"RANK=2"} << 2 << "RANK='2' is not a whole number from 0 to 1";
}

void tst_Distributed::refusals()
{
    QFETCH(int, worldSize);
    QFETCH(int, only);
    QFETCH(QStringList, extra);
    QFETCH(QStringList, variables);
    QFETCH(int, exitCode);
    QFETCH(QString, message);
    Job job = start(trainArgs(m_dir.filePath("refused"), 1, 1), worldSize, only, extra, variables);
    QProcess &p = job[only];
    QVERIFY(p.waitForFinished(kWaitMs));
    QCOMPARE(p.exitCode(), exitCode);
    const QByteArray err = p.readAllStandardError(), out = p.readAllStandardOutput();
    QVERIFY2((out + err).contains(message.toUtf8()), (out + err).constData());
    if (only > 0) // a rank other than 0 writes no events: it says why it failed on stderr
        QVERIFY2(out.isEmpty(), out.constData());
}

void tst_Distributed::killedRankFailsTheOther()
{
    const QString hold = m_dir.filePath("hold-kill");
    QVERIFY(QDir().mkpath(hold));
    QVERIFY(QFile(hold + "/epoch-1-batch-1").open(QIODevice::WriteOnly));
    Job job = start(trainArgs(m_dir.filePath("kill"), 2, 1), 2, -1, {"--hold-dir", hold});
    QVERIFY(waitHeld(hold, "epoch-1-batch-1", 2));
    ::kill(pid_t(job[1].processId()), SIGKILL);
    QVERIFY(job[1].waitForFinished(kWaitMs));
    QVERIFY(QFile::remove(hold + "/epoch-1-batch-1"));
    QVERIFY(job[0].waitForFinished(kWaitMs)); // its next all-reduce meets the closed connection: no hang
    QCOMPARE(job[0].exitCode(), 1);
    const auto list = events(job[0].readAllStandardOutput());
    const QString why = ofType(list, "finished").value(0).value("message").toString();
    QCOMPARE(ofType(list, "finished").value(0).value("status").toString(), "FAILED");
    QVERIFY2(why.contains("with the other ranks failed"), qPrintable(why));
}

void tst_Distributed::usr1CheckpointsForRequeue_data()
{
    QTest::addColumn<int>("ranks"); // 0: one process without --distributed
    QTest::newRow("alone") << 0;
    QTest::newRow("2 ranks, USR1 to rank 1 only") << 2;
}

void tst_Distributed::usr1CheckpointsForRequeue()
{
    QFETCH(int, ranks);
    const QString tag = QString::number(ranks);
    const QString hold = m_dir.filePath("hold-usr1-" + tag), out = m_dir.filePath("usr1-" + tag);
    QVERIFY(QDir().mkpath(hold));
    QVERIFY(QFile(hold + "/epoch-2-batch-1").open(QIODevice::WriteOnly));
    const QStringList args = trainArgs(out, 3, 1);
    Job job = start(args, ranks, -1, {"--hold-dir", hold});
    QVERIFY(waitHeld(hold, "epoch-2-batch-1", ranks));
    // Slurm signals every task; one is enough: the ranks agree at the next step.
    ::kill(pid_t(job[std::max(0, ranks - 1)].processId()), SIGUSR1);
    QVERIFY(QFile::remove(hold + "/epoch-2-batch-1"));
    QVERIFY(job.waitAll());
    for (int r = 0; r < std::max(1, ranks); ++r)
        QCOMPARE(job[r].exitCode(), 4); // kTrainRequeue
    const auto first = events(job[0].readAllStandardOutput());
    QCOMPARE(ofType(first, "requeue").size(), 1);
    QVERIFY(ofType(first, "finished").isEmpty());
    QCOMPARE(ofType(first, "requeue").value(0).value("epoch").toInt(), 2);
    QVERIFY(QFile::exists(out + "/checkpoint.pt"));

    Job resumed = start(args + QStringList{"--resume"}, ranks);
    QVERIFY(resumed.waitAll());
    QCOMPARE(resumed[0].exitCode(), 0);
    const auto second = events(resumed[0].readAllStandardOutput());
    QCOMPARE(ofType(second, "finished").value(0).value("status").toString(), "FINISHED");
    QCOMPARE(ofType(second, "started").value(0).value("resumed_at_epoch").toInt(), 2);
    // Each epoch's metrics once over both runs: epoch 1 before the requeue, epochs 2 and 3 after it.
    QList<int> epochs;
    for (const auto &e : ofType(first, "metric", "train_loss") + ofType(second, "metric", "train_loss"))
        epochs << e.value("epoch").toInt();
    QCOMPARE(epochs, (QList<int>{1, 2, 3}));
}

QByteArray tst_Distributed::cli(const QStringList &args, int *exitCode)
{
    QProcess p;
    p.start(PIPEWRIGHT_BIN, args);
    if (!p.waitForFinished(kWaitMs))
        return {};
    *exitCode = p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -1;
    const QByteArray err = p.readAllStandardError();
    if (*exitCode != 0)
        qWarning("%s", err.constData());
    return p.readAllStandardOutput();
}

void tst_Distributed::cliTrainsWithTwoProcesses()
{
    const QString ws = m_dir.filePath("ws");
    QVERIFY(test::writeShapeClasses(m_dir.filePath("shapes"), 20, 3));
    int code = -1;
    cli({"ingest", m_dir.filePath("shapes"), "--table", "shapes", "--workspace", ws}, &code);
    QCOMPARE(code, 0);
    const QJsonObject run = QJsonDocument::fromJson(cli({"train", "--table", "shapes", "--image-size", "16", "--epochs",
                                                         "2", "--batch-size", "16", "--device", "cpu", "--processes",
                                                         "2", "--workspace", ws, "--json"},
                                                        &code))
                                .object();
    QCOMPARE(code, 0);
    QCOMPARE(run.value("status").toString(), "FINISHED");
    const QJsonObject shown =
        QJsonDocument::fromJson(
            cli({"runs", "show", run.value("run_id").toString(), "--workspace", ws, "--json"}, &code))
            .object();
    QCOMPARE(shown.value("tags").toObject().value("world_size").toString(), "2");
    QStringList logs;
    for (const QJsonValue &a : shown.value("artifacts").toArray()) {
        if (a.toObject().value("kind").toString() == "log")
            logs << a.toObject().value("path").toString();
    }
    QCOMPARE(logs, (QStringList{"logs/rank-0.log", "logs/rank-1.log"}));
    QFile rank1(ws + "/artifacts/" + run.value("run_id").toString() + "/logs/rank-1.log");
    QVERIFY(rank1.open(QIODevice::ReadOnly));
    QVERIFY(rank1.readAll().contains("rank 1 of 2 joined"));
}

QList<qint64> tst_Distributed::startHeldCli(QProcess &p, test::WorkerHold &hold)
{
    const QString ws = m_dir.filePath("ws"); // ingested by cliTrainsWithTwoProcesses
    if (!hold.hold("epoch-1-batch-1"))
        return {};
    p.start(PIPEWRIGHT_BIN, {"train", "--table", "shapes", "--image-size", "16", "--epochs", "2", "--batch-size", "16",
                             "--device", "cpu", "--processes", "2", "--workspace", ws, "--json"});
    if (!waitHeld(hold.dirPath(), "epoch-1-batch-1", 2))
        return {};
    QList<qint64> pids;
    for (int r = 0; r < 2; ++r) {
        QFile held(hold.dirPath() + "/epoch-1-batch-1.rank-" + QString::number(r) + ".held");
        if (held.open(QIODevice::ReadOnly))
            pids << held.readAll().trimmed().toLongLong();
    }
    return pids;
}

void tst_Distributed::cliNamesTheKilledRank()
{
    test::WorkerHold hold;
    QProcess p;
    const QList<qint64> pids = startHeldCli(p, hold);
    QCOMPARE(pids.size(), 2);
    QCOMPARE(::kill(pid_t(pids[1]), SIGKILL), 0);
    // Rank 0 stays held: the supervisor stops it once rank 1 is gone.
    QVERIFY(p.waitForFinished(kWaitMs));
    QCOMPARE(p.exitCode(), 1);
    const QJsonObject run = QJsonDocument::fromJson(p.readAllStandardOutput()).object();
    QCOMPARE(run.value("status").toString(), "FAILED");
    QVERIFY2(run.value("message").toString().contains("rank 1 exited with signal 9"),
             qPrintable(run.value("message").toString()));
    QCOMPARE(::kill(pid_t(pids[0]), 0), -1); // no rank outlives the run
}

void tst_Distributed::cliCancelStopsEveryRank()
{
    test::WorkerHold hold;
    QProcess p;
    const QList<qint64> pids = startHeldCli(p, hold);
    QCOMPARE(pids.size(), 2);
    p.terminate(); // SIGTERM to the CLI, as Ctrl-C: both ranks leave the hold and stop at the same step
    QVERIFY(p.waitForFinished(kWaitMs));
    const QJsonObject run = QJsonDocument::fromJson(p.readAllStandardOutput()).object();
    QCOMPARE(run.value("status").toString(), "KILLED");
    for (qint64 pid : pids)
        QCOMPARE(::kill(pid_t(pid), 0), -1);
}

QTEST_GUILESS_MAIN(tst_Distributed)
#include "tst_distributed.moc"
