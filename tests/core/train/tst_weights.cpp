// Pretrained weights in, end to end: torchvision networks with seeded random weights written by Python
// (python3-torch, python3-torchvision; torchvision_weights.py) -> pipewright-worker train --init --epochs 0 ->
// pipewright-worker predict gives torchvision's probabilities; --freeze backbone keeps every backbone tensor
// bit-equal (read back by Python's torch.jit.load); files that must be refused are refused, running nothing.
#include "core/data/Npy.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QTemporaryDir>
#include <QTest>

#include <cmath>

namespace {

struct Ran
{
    int exitCode = -1;
    QString out;
};

Ran run(const QString &program, const QStringList &args)
{
    QProcess p;
    p.start(program, args);
    p.waitForFinished(240000);
    return {p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -1,
            QString::fromUtf8(p.readAllStandardOutput() + p.readAllStandardError())};
}

QJsonObject lastEvent(const QString &out, const QString &type)
{
    QJsonObject found;
    for (const QString &line : out.split('\n')) {
        const QJsonObject o = QJsonDocument::fromJson(line.toUtf8()).object();
        if (o.value("event").toString() == type)
            found = o;
    }
    return found;
}

} // namespace

class tst_Weights : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void equalsTorchvision_data();
    void equalsTorchvision();
    void headReinitialisedWhenClassesDiffer();
    void freezeBackboneKeepsItBitEqual();
    void badInput_data();
    void badInput();
    void freezeNeedsInit();

private:
    Ran train(const QString &model, const QString &init, const QString &out, const QStringList &extra = {});
    QString worker() const { return QFileInfo(PIPEWRIGHT_BIN).absolutePath() + "/pipewright-worker"; }
    QString path(const QString &name) const { return m_dir.filePath("fx/" + name); }

    QTemporaryDir m_dir;
};

void tst_Weights::initTestCase()
{
    QVERIFY(m_dir.isValid());
    const Ran r = run("/usr/bin/python3", {QString(PIPEWRIGHT_SOURCE_DIR) + "/tests/core/train/torchvision_weights.py",
                                           m_dir.filePath("fx")});
    QVERIFY2(r.exitCode == 0, qPrintable("torchvision_weights.py (needs python3-torch and python3-torchvision, "
                                         "installed by packaging/install-deps.sh): "
                                         + r.out));
}

Ran tst_Weights::train(const QString &model, const QString &init, const QString &out, const QStringList &extra)
{
    QStringList args{"train",  "--shards", path("shard"), "--out", m_dir.filePath(out), "--model", model,
                     "--init", path(init), "--device",    "cpu",   "--threads",         "2"};
    return run(worker(), args + extra);
}

void tst_Weights::equalsTorchvision_data()
{
    QTest::addColumn<QString>("model");
    QTest::addColumn<QString>("file");
    for (const char *model : {"resnet18", "resnet50", "mobilenet_v3_large"}) {
        for (const char *ext : {".pth", ".safetensors"})
            QTest::newRow(qPrintable(QString(model) + ext)) << QString(model) << QString(model) + ext;
    }
}

void tst_Weights::equalsTorchvision()
{
    QFETCH(QString, model);
    QFETCH(QString, file);
    const QString out = "eq-" + file;
    const Ran t = train(model, file, out, {"--epochs", "0"});
    QVERIFY2(t.exitCode == 0, qPrintable(t.out));
    const QJsonObject init = lastEvent(t.out, "init");
    QCOMPARE(init.value("missing").toInt(), 0);
    QCOMPARE(init.value("unexpected").toInt(), 0);
    QCOMPARE(init.value("shape_mismatched").toInt(), 0);
    const Ran sum = run("sha256sum", {path(file)});
    QCOMPARE(init.value("sha256").toString(), sum.out.section(' ', 0, 0));
    QVERIFY(QFile::exists(m_dir.filePath(out + "/init_report.json")));

    const QString probs = m_dir.filePath(out + "/probs.npy");
    const Ran p = run(worker(), {"predict", "--model", m_dir.filePath(out + "/model.pt"), "--images",
                                 path("shard/val_images.npy"), "--out", probs, "--device", "cpu"});
    QVERIFY2(p.exitCode == 0, qPrintable(p.out));
    // A photo model records torchvision's eval transform (the reference applies it too): 64 px -> 73, centre 64.
    QCOMPARE(lastEvent(p.out, "started").value("eval_resize").toInt(), 73);
    QCOMPARE(lastEvent(p.out, "started").value("precision").toString(), QString("fp32")); // --epochs 0: as loaded
    const pw::data::NpyFile ours(probs.toStdString());
    const pw::data::NpyFile theirs(path(model + "_probs.npy").toStdString());
    QCOMPARE(ours.shape(), theirs.shape());
    double worst = 0;
    for (std::int64_t i = 0; i < ours.shape()[0] * ours.shape()[1]; ++i)
        worst = std::max(worst, double(std::abs(ours.values<float>()[i] - theirs.values<float>()[i])));
    QVERIFY2(worst < 1e-4, qPrintable(QString("largest difference from torchvision: %1").arg(worst)));
}

void tst_Weights::headReinitialisedWhenClassesDiffer()
{
    const Ran t = train("resnet18", "resnet18_10classes.pth", "head", {"--epochs", "0"});
    QVERIFY2(t.exitCode == 0, qPrintable(t.out));
    QFile f(m_dir.filePath("head/init_report.json"));
    QVERIFY(f.open(QIODevice::ReadOnly));
    const QJsonObject report = QJsonDocument::fromJson(f.readAll()).object();
    QCOMPARE(report.value("head_reinitialised").toBool(), true);
    QCOMPARE(report.value("loaded").toArray().size(), 120);
    const QString mismatched = QJsonDocument(report.value("shape_mismatched").toArray()).toJson();
    QVERIFY2(mismatched.contains("fc.weight: file [10, 512] vs network [3, 512]"), qPrintable(mismatched));
}

void tst_Weights::freezeBackboneKeepsItBitEqual()
{
    const Ran t = train("resnet18", "resnet18.pth", "frozen",
                        {"--freeze", "backbone", "--epochs", "1", "--batch-size", "8", "--lr", "0.01"});
    QVERIFY2(t.exitCode == 0, qPrintable(t.out));
    // Python's torch reads the model file: its 'weights' submodule holds the network by torchvision's keys.
    const QString check = "import sys, torch\n"
                          "m = torch.jit.load(sys.argv[1]).weights\n"
                          "sd = dict(m.named_parameters()); sd.update(dict(m.named_buffers()))\n"
                          "ref = torch.load(sys.argv[2])\n"
                          "assert set(sd) == set(ref), set(sd) ^ set(ref)\n"
                          "changed = [k for k in ref if not torch.equal(sd[k].contiguous(), ref[k])]\n"
                          "print(' '.join(changed) if changed else 'none')\n";
    const Ran r = run("/usr/bin/python3", {"-c", check, m_dir.filePath("frozen/model.pt"), path("resnet18.pth")});
    QVERIFY2(r.exitCode == 0, qPrintable(r.out));
    QCOMPARE(r.out.trimmed(), QString("fc.weight fc.bias"));
}

void tst_Weights::badInput_data()
{
    QTest::addColumn<QString>("model");
    QTest::addColumn<QString>("file");
    QTest::addColumn<QStringList>("extra");
    QTest::addColumn<int>("exitCode");
    QTest::addColumn<QString>("message");
    const QStringList none{"--epochs", "0"};
    QTest::newRow("pickle with code") << "resnet18"
                                      << "evil.pth" << none << 1 << "pickle calls os.system: refused";
    QTest::newRow("truncated zip") << "resnet18"
                                   << "truncated.pth" << none << 1 << "truncated";
    QTest::newRow("safetensors header larger than the file")
        << "resnet18"
        << "header_too_large.safetensors" << none << 1 << "header length 1048576 is larger than the file";
    QTest::newRow("overlapping offsets") << "resnet18"
                                         << "overlap.safetensors" << none << 1 << "tensors 'a' and 'b' overlap";
    QTest::newRow("architecture mismatch") << "resnet50"
                                           << "resnet18.pth" << none << 1
                                           << "does not fit resnet50: 97 of its 318 backbone tensors matched. "
                                              "Missing: layer1.0.conv1.weight";
    QTest::newRow("no such file") << "resnet18"
                                  << "nothing-here.pth" << none << 1 << "cannot open";
}

void tst_Weights::badInput()
{
    QFETCH(QString, model);
    QFETCH(QString, file);
    QFETCH(QStringList, extra);
    QFETCH(int, exitCode);
    QFETCH(QString, message);
    const Ran t = train(model, file, "bad", extra);
    QCOMPARE(t.exitCode, exitCode);
    const QString got = lastEvent(t.out, "finished").value("message").toString();
    QVERIFY2(got.contains(message), qPrintable(got));
    QVERIFY2(got.contains(file), qPrintable(got));
    QVERIFY(!QFile::exists(path("pwned"))); // the pickle's command never ran
    QVERIFY(!QFile::exists(m_dir.filePath("bad/model.pt")));
}

void tst_Weights::freezeNeedsInit()
{
    const Ran t = run(worker(), {"train", "--shards", path("shard"), "--out", m_dir.filePath("noinit"), "--model",
                                 "small-cnn", "--freeze", "backbone", "--device", "cpu"});
    QCOMPARE(t.exitCode, 2);
    QVERIFY2(lastEvent(t.out, "finished").value("message").toString().contains("--freeze backbone needs --init"),
             qPrintable(t.out));
}

QTEST_GUILESS_MAIN(tst_Weights)
#include "tst_weights.moc"
