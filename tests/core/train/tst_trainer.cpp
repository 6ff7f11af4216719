// The libtorch trainer on a tiny synthetic shard: learning, resume equivalence, stop with a checkpoint,
// NaN detection, prediction, and the errors a user meets. Uses core/train's torch-free API.
#include "core/data/Npy.h"
#include "core/train/Trainer.h"

#include <QDir>
#include <QFile>
#include <QJsonDocument>
#include <QJsonObject>
#include <QSet>
#include <QTemporaryDir>
#include <QTest>

#include <random>
#include <sstream>

using namespace pw;

namespace {

// An ostream that sets `stop` once a line matching `trigger` has been written.
class StopAfter : public std::stringbuf
{
public:
    StopAfter(std::string trigger, std::atomic<bool> &stop)
        : m_trigger(std::move(trigger))
        , m_stop(stop)
    {
    }
    int sync() override
    {
        if (str().find(m_trigger) != std::string::npos)
            m_stop = true;
        return 0;
    }

private:
    std::string m_trigger;
    std::atomic<bool> &m_stop;
};

QList<QJsonObject> events(const std::string &text)
{
    QList<QJsonObject> out;
    for (const QByteArray &line : QByteArray::fromStdString(text).split('\n')) {
        if (!line.isEmpty())
            out << QJsonDocument::fromJson(line).object();
    }
    return out;
}

QJsonObject lastOf(const QList<QJsonObject> &list, const QString &type, const QString &key = {})
{
    for (auto it = list.rbegin(); it != list.rend(); ++it) {
        if (it->value("event").toString() == type && (key.isEmpty() || it->value("key").toString() == key))
            return *it;
    }
    return {};
}

} // namespace

class tst_Trainer : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void learnsTheSyntheticClasses();
    void resumeGivesTheSameWeights();
    void nanLossFails();
    void earlyStopWhenValidationStalls();
    void predictWritesProbabilities();
    void predictPrecisionAndStreams();
    void badRequests_data();
    void badRequests();

private:
    // Writes a shard of `n` (train) + n/5 (val) size x size gray images of 3 classes: horizontal
    // stripes, vertical stripes, a centred square; with noise.
    void writeShard(const QString &dir, int n, int size);
    train::TrainOptions options(const QString &out) const;

    QTemporaryDir m_dir;
    QString m_shard;
};

void tst_Trainer::writeShard(const QString &dir, int n, int size)
{
    QDir().mkpath(dir);
    std::mt19937 rng(7);
    std::uniform_int_distribution<int> noise(0, 60);
    for (const auto &[split, count] : {std::pair{"train", n}, std::pair{"val", n / 5}}) {
        data::NpyWriter images((dir + "/" + split + "_images.npy").toStdString(), data::NpyType::UInt8,
                               {count, size, size, 1});
        std::vector<std::int64_t> labels(static_cast<std::size_t>(count), 0);
        for (int i = 0; i < count; ++i) {
            const int cls = i % 3;
            labels[std::size_t(i)] = cls;
            unsigned char *px = images.row(i);
            for (int y = 0; y < size; ++y) {
                for (int x = 0; x < size; ++x) {
                    bool on = cls == 0   ? (y / 2) % 2 == 0
                              : cls == 1 ? (x / 2) % 2 == 0
                                         : (x > size / 4 && x < 3 * size / 4 && y > size / 4 && y < 3 * size / 4);
                    px[y * size + x] = static_cast<unsigned char>((on ? 180 : 20) + noise(rng));
                }
            }
        }
        images.finish(false);
        data::writeNpy((dir + "/" + split + "_labels.npy").toStdString(), data::NpyType::Int64, {count}, labels.data(),
                       false);
    }
    QFile f(dir + "/classes.txt");
    QVERIFY(f.open(QIODevice::WriteOnly));
    f.write("horizontal\nvertical\nsquare\n");
}

train::TrainOptions tst_Trainer::options(const QString &out) const
{
    train::TrainOptions o;
    o.shardDir = m_shard.toStdString();
    o.outDir = out.toStdString();
    o.epochs = 3;
    o.batchSize = 32;
    o.threads = 1; // bit-for-bit reproducible
    o.device = "cpu";
    return o;
}

void tst_Trainer::initTestCase()
{
    QVERIFY(m_dir.isValid());
    m_shard = m_dir.filePath("shard");
    writeShard(m_shard, 300, 16);
}

void tst_Trainer::learnsTheSyntheticClasses()
{
    std::ostringstream out;
    std::atomic<bool> stop{false};
    QCOMPARE(train::train(options(m_dir.filePath("learn")), out, stop), int(train::kTrainFinished));
    const auto list = events(out.str());
    QCOMPARE(list.first().value("event").toString(), "started");
    QCOMPARE(list.first().value("train_images").toInt(), 300);
    QCOMPARE(list.first().value("classes").toInt(), 3);
    double firstLoss = -1;
    for (const auto &e : list) {
        if (e.value("event").toString() == "metric" && e.value("key").toString() == "batch_loss") {
            firstLoss = e.value("value").toDouble();
            break;
        }
    }
    // The last batch_loss is the last step's (not step 0's, when an epoch has fewer than 50 steps), and every
    // epoch's last step is logged: a final value is final.
    const int steps = list.first().value("steps_per_epoch").toInt();
    QVERIFY(steps > 1 && steps < 50);
    const int epochs = lastOf(list, "metric", "train_loss").value("epoch").toInt();
    const QJsonObject lastBatch = lastOf(list, "metric", "batch_loss");
    QCOMPARE(lastBatch.value("step").toInt(), epochs * steps - 1);
    QCOMPARE(lastBatch.value("epoch").toInt(), epochs);
    QSet<int> batchSteps, expected{0};
    for (const auto &e : list)
        if (e.value("event").toString() == "metric" && e.value("key").toString() == "batch_loss")
            batchSteps << e.value("step").toInt();
    for (int epoch = 1; epoch <= epochs; ++epoch)
        expected << epoch * steps - 1;
    QCOMPARE(batchSteps, expected);
    const double lastLoss = lastOf(list, "metric", "train_loss").value("value").toDouble();
    QVERIFY2(firstLoss > 0 && lastLoss < 0.7 * firstLoss,
             qPrintable(QString("loss %1 -> %2").arg(firstLoss).arg(lastLoss)));
    const double acc = lastOf(list, "metric", "val_accuracy").value("value").toDouble();
    QVERIFY2(acc > 0.8, qPrintable(QString("validation accuracy %1 (chance: 0.33)").arg(acc)));
    const QJsonObject fin = lastOf(list, "finished");
    QCOMPARE(fin.value("status").toString(), "FINISHED");
    QVERIFY(QFile::exists(m_dir.filePath("learn/model.pt")));
    QVERIFY(QFile::exists(m_dir.filePath("learn/checkpoint.pt")));
}

void tst_Trainer::resumeGivesTheSameWeights()
{
    std::atomic<bool> stop{false};
    std::ostringstream straight;
    QCOMPARE(train::train(options(m_dir.filePath("straight")), straight, stop), int(train::kTrainFinished));

    // Stopped once the first epoch's checkpoint is written (so inside epoch 2), then resumed.
    StopAfter buf("\"event\":\"checkpoint\"", stop);
    std::ostream stopping(&buf);
    QCOMPARE(train::train(options(m_dir.filePath("resumed")), stopping, stop), int(train::kTrainStopped));
    const auto stoppedEvents = events(buf.str());
    QCOMPARE(lastOf(stoppedEvents, "finished").value("status").toString(), "KILLED");
    QCOMPARE(lastOf(stoppedEvents, "checkpoint").value("epoch").toInt(), 2);
    stop = false;
    auto o = options(m_dir.filePath("resumed"));
    o.resume = true;
    std::ostringstream resumed;
    QCOMPARE(train::train(o, resumed, stop), int(train::kTrainFinished));
    QCOMPARE(events(resumed.str()).first().value("resumed_at_epoch").toInt(), 2);

    // Same predictions from both final models, to the last bit.
    std::ostringstream p1, p2;
    for (const auto &[dir, sink] : {std::pair{QString("straight"), &p1}, std::pair{QString("resumed"), &p2}}) {
        train::PredictOptions po;
        po.modelPath = m_dir.filePath(dir + "/model.pt").toStdString();
        po.imagesPath = (m_shard + "/val_images.npy").toStdString();
        po.outPath = m_dir.filePath(dir + "/probs.npy").toStdString();
        po.threads = 1;
        po.device = "cpu";
        QCOMPARE(train::predict(po, *sink, stop), int(train::kTrainFinished));
    }
    const data::NpyFile a(m_dir.filePath("straight/probs.npy").toStdString());
    const data::NpyFile b(m_dir.filePath("resumed/probs.npy").toStdString());
    QCOMPARE(a.shape(), b.shape());
    QVERIFY(std::equal(a.values<float>(), a.values<float>() + a.shape()[0] * a.shape()[1], b.values<float>()));
    QCOMPARE(lastOf(events(straight.str()), "metric", "val_loss").value("value").toDouble(),
             lastOf(events(resumed.str()), "metric", "val_loss").value("value").toDouble());
}

void tst_Trainer::nanLossFails()
{
    auto o = options(m_dir.filePath("nan"));
    o.optimizer = "sgd";
    o.lr = 1e12;
    o.schedule = "cosine";
    std::ostringstream out;
    std::atomic<bool> stop{false};
    QCOMPARE(train::train(o, out, stop), int(train::kTrainFailed));
    const QJsonObject fin = lastOf(events(out.str()), "finished");
    QCOMPARE(fin.value("status").toString(), "FAILED");
    const QString message = fin.value("message").toString();
    QVERIFY2(message.contains("NaN") || message.contains("infinite"), qPrintable(message));
}

void tst_Trainer::earlyStopWhenValidationStalls()
{
    // A learning rate too small to move the weights: after the first epoch the validation loss moves only
    // with batch norm's running statistics, which settle, so an epoch without a better loss comes soon.
    auto o = options(m_dir.filePath("stall"));
    o.lr = 1e-20;
    o.epochs = 40;
    o.patience = 1;
    std::ostringstream out;
    std::atomic<bool> stop{false};
    QCOMPARE(train::train(o, out, stop), int(train::kTrainFinished));
    const auto list = events(out.str());
    int epochs = 0;
    for (const auto &e : list)
        epochs += e.value("event").toString() == "metric" && e.value("key").toString() == "val_loss";
    QVERIFY2(epochs >= 2 && epochs < 40, qPrintable(QString::number(epochs)));
    // Every epoch that ran was checkpointed, the last one included; none after it.
    QCOMPARE(lastOf(list, "checkpoint").value("epoch").toInt(), epochs);
    const QJsonObject fin = lastOf(list, "finished");
    QCOMPARE(fin.value("status").toString(), "FINISHED");
    QCOMPARE(fin.value("message").toString(), "early stop: validation loss did not improve for 1 epochs");
    QVERIFY(QFile::exists(m_dir.filePath("stall/model.pt")));
}

void tst_Trainer::predictWritesProbabilities()
{
    std::atomic<bool> stop{false};
    std::ostringstream sink;
    QCOMPARE(train::train(options(m_dir.filePath("forpredict")), sink, stop), int(train::kTrainFinished));
    train::PredictOptions po;
    po.modelPath = m_dir.filePath("forpredict/model.pt").toStdString();
    po.imagesPath = (m_shard + "/val_images.npy").toStdString();
    po.outPath = m_dir.filePath("forpredict/probs.npy").toStdString();
    po.batchSize = 7; // batches that do not divide the count
    std::ostringstream out;
    QCOMPARE(train::predict(po, out, stop), int(train::kTrainFinished));
    const data::NpyFile probs(po.outPath);
    QCOMPARE(probs.shape(), (std::vector<std::int64_t>{60, 3}));
    const data::NpyFile labels((m_shard + "/val_labels.npy").toStdString());
    int correct = 0;
    for (int i = 0; i < 60; ++i) {
        const float *row = probs.values<float>() + i * 3;
        QVERIFY(std::abs(row[0] + row[1] + row[2] - 1.0f) < 1e-4f);
        correct += int(std::max_element(row, row + 3) - row) == labels.values<std::int64_t>()[i];
    }
    QVERIFY2(correct > 48, qPrintable(QString("%1 of 60 right").arg(correct)));
}

// predict runs in the precision the model trained in (recorded in the model file) unless told otherwise, and
// its streams of batches (one per thread) give the same probabilities, to the bit, as one stream.
void tst_Trainer::predictPrecisionAndStreams()
{
    std::atomic<bool> stop{false};
    std::ostringstream sink;
    auto o = options(m_dir.filePath("fp32model"));
    o.precision = "fp32";
    QCOMPARE(train::train(o, sink, stop), int(train::kTrainFinished));
    auto run = [&](const QString &name, const std::string &precision, int threads) {
        train::PredictOptions po;
        po.modelPath = m_dir.filePath("fp32model/model.pt").toStdString();
        po.imagesPath = (m_shard + "/val_images.npy").toStdString();
        po.outPath = m_dir.filePath("fp32model/" + name + ".npy").toStdString();
        po.batchSize = 8; // 8 batches of 60 images: every stream takes several
        po.precision = precision;
        po.threads = threads;
        po.device = "cpu";
        std::ostringstream out;
        const int code = train::predict(po, out, stop);
        return std::pair{code, lastOf(events(out.str()), "started")};
    };
    const auto [autoCode, autoStarted] = run("auto1", "auto", 1);
    QCOMPARE(autoCode, int(train::kTrainFinished));
    QCOMPARE(autoStarted.value("precision").toString(), QString("fp32")); // trained in fp32: predicts in fp32
    QCOMPARE(autoStarted.value("streams").toInt(), 1);
    QCOMPARE(autoStarted.value("eval_resize").toInt(), 0); // small-cnn: no centre crop
    const auto [twoCode, twoStarted] = run("auto2", "auto", 2);
    QCOMPARE(twoCode, int(train::kTrainFinished));
    QCOMPARE(twoStarted.value("streams").toInt(), 2);
    const auto [bf16Code, bf16Started] = run("bf16", "bf16", 2);
    QCOMPARE(bf16Code, int(train::kTrainFinished));
    QCOMPARE(bf16Started.value("precision").toString(), QString("bf16"));
    const data::NpyFile one(m_dir.filePath("fp32model/auto1.npy").toStdString());
    const data::NpyFile two(m_dir.filePath("fp32model/auto2.npy").toStdString());
    const data::NpyFile bf16(m_dir.filePath("fp32model/bf16.npy").toStdString());
    QCOMPARE(one.shape(), (std::vector<std::int64_t>{60, 3}));
    QCOMPARE(two.shape(), one.shape());
    QVERIFY(std::equal(one.values<float>(), one.values<float>() + 180, two.values<float>()));
    // bf16 (8-bit mantissas): close to fp32, not equal.
    double worst = 0;
    for (int i = 0; i < 180; ++i)
        worst = std::max(worst, double(std::abs(one.values<float>()[i] - bf16.values<float>()[i])));
    QVERIFY2(worst > 0 && worst < 0.05, qPrintable(QString("bf16 vs fp32: %1").arg(worst)));
    const auto [badCode, badStarted] = run("bad", "fp16", 1);
    QCOMPARE(badCode, int(train::kTrainUsage));
}

void tst_Trainer::badRequests_data()
{
    QTest::addColumn<QString>("model");
    QTest::addColumn<QString>("shard");
    QTest::addColumn<QString>("device");
    QTest::addColumn<QString>("message");
    QTest::newRow("unknown model") << "vgg99"
                                   << "shard"
                                   << "cpu"
                                   << "unknown model 'vgg99'";
    QTest::newRow("image too small for the model") << "resnet18"
                                                   << "shard"
                                                   << "cpu"
                                                   << "outside what resnet18 takes";
    QTest::newRow("missing shard") << "small-cnn"
                                   << "no-such-shard"
                                   << "cpu"
                                   << "no-such-shard";
    QTest::newRow("bad device") << "small-cnn"
                                << "shard"
                                << "tpu"
                                << "--device: 'tpu'";
    if (!QFile::exists("/dev/nvidia0"))
        QTest::newRow("cuda without CUDA") << "small-cnn"
                                           << "shard"
                                           << "cuda"
                                           << "CUDA is not available";
}

void tst_Trainer::badRequests()
{
    QFETCH(QString, model);
    QFETCH(QString, shard);
    QFETCH(QString, device);
    QFETCH(QString, message);
    auto o = options(m_dir.filePath("bad"));
    o.model = model.toStdString();
    o.shardDir = m_dir.filePath(shard).toStdString();
    o.device = device.toStdString();
    std::ostringstream out;
    std::atomic<bool> stop{false};
    const int code = train::train(o, out, stop);
    QVERIFY(code == train::kTrainUsage || code == train::kTrainFailed);
    const QJsonObject fin = lastOf(events(out.str()), "finished");
    QCOMPARE(fin.value("status").toString(), "FAILED");
    QVERIFY2(fin.value("message").toString().contains(message), qPrintable(fin.value("message").toString()));
}

QTEST_GUILESS_MAIN(tst_Trainer)
#include "tst_trainer.moc"
