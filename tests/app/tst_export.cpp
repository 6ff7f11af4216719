// `pipewright models export`: a model trained through the CLI, exported as ONNX, a PyTorch state_dict and
// safetensors, read back by the tools people use elsewhere — OpenCV's DNN module (here, in C++), Python's onnx
// checker, torch.load into the matching module (torchvision's for resnet18) and a json + numpy safetensors
// reader (tests/tools/export_check.py with /usr/bin/python3) — giving pipewright-worker predict's probabilities.
#include "tests/TestData.h"

#include <opencv2/dnn.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <QCryptographicHash>
#include <QDir>
#include <QDirIterator>
#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QRegularExpression>
#include <QTemporaryDir>
#include <QTest>

#include <cmath>
#include <cstring>

namespace {

const QString kPython = QStringLiteral("/usr/bin/python3");

struct Result
{
    int exitCode = -1;
    QByteArray out;
    QByteArray err;
    QJsonObject json() const { return QJsonDocument::fromJson(out).object(); }
};

Result runProgram(const QString &program, const QStringList &args)
{
    QProcess p;
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.insert("PIPEWRIGHT_PRECISION", "fp32"); // the probabilities are compared within 1e-4: no bf16
    p.setProcessEnvironment(env);
    p.start(program, args);
    Result r;
    if (!p.waitForFinished(240000))
        return r;
    r.exitCode = p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -1;
    r.out = p.readAllStandardOutput();
    r.err = p.readAllStandardError();
    return r;
}

QString workerBin()
{
    return QFileInfo(QStringLiteral(PIPEWRIGHT_BIN)).absolutePath() + "/pipewright-worker";
}

// A uint8 N x S x S x C .npy of the images (decoded with OpenCV as the model's channels, already S x S).
bool writeImagesNpy(const QString &path, const QStringList &files, int size, int channels)
{
    std::string data;
    for (const QString &f : files) {
        cv::Mat m = cv::imread(f.toStdString(), channels == 1 ? cv::IMREAD_GRAYSCALE : cv::IMREAD_COLOR);
        if (m.empty() || m.cols != size || m.rows != size)
            return false;
        if (channels == 3)
            cv::cvtColor(m, m, cv::COLOR_BGR2RGB);
        data.append(reinterpret_cast<const char *>(m.data), m.total() * m.elemSize());
    }
    std::string header = "{'descr': '|u1', 'fortran_order': False, 'shape': (" + std::to_string(files.size()) + ", "
                         + std::to_string(size) + ", " + std::to_string(size) + ", " + std::to_string(channels)
                         + "), }";
    header.append(63 - (10 + header.size()) % 64, ' ');
    header += '\n';
    QFile out(path);
    if (!out.open(QIODevice::WriteOnly))
        return false;
    const std::uint16_t n = std::uint16_t(header.size());
    out.write("\x93NUMPY\x01\x00", 8);
    out.write(reinterpret_cast<const char *>(&n), 2);
    out.write(header.data(), qint64(header.size()));
    return out.write(data.data(), qint64(data.size())) == qint64(data.size());
}

// A float32 N x K .npy (as the worker writes it) as rows.
std::vector<std::vector<float>> readProbabilities(const QString &path)
{
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly))
        return {};
    const QByteArray all = f.readAll();
    std::uint16_t headerLength = 0;
    std::memcpy(&headerLength, all.constData() + 8, 2);
    const QString header = QString::fromLatin1(all.mid(10, headerLength));
    const auto m = QRegularExpression(R"(\((\d+), (\d+)\))").match(header);
    if (!m.hasMatch() || !header.contains("<f4"))
        return {};
    const int n = m.captured(1).toInt(), k = m.captured(2).toInt();
    std::vector<std::vector<float>> rows(std::size_t(n), std::vector<float>(std::size_t(k), 0.0f));
    const char *p = all.constData() + 10 + headerLength;
    for (auto &row : rows) {
        std::memcpy(row.data(), p, std::size_t(k) * sizeof(float));
        p += std::size_t(k) * sizeof(float);
    }
    return rows;
}

} // namespace

class tst_Export : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void eachFormatWithItsCard_data();
    void eachFormatWithItsCard();
    void onnxGivesTheWorkersProbabilities();
    void pytorchLoadsIntoTheModule();
    void safetensorsHoldsTheSameTensors();
    void mediumCnn();
    void torchvisionModels_data();
    void torchvisionModels();
    void badInput_data();
    void badInput();
    void workerRefusesUnknownFormat();

private:
    Result cli(const QStringList &args) { return runProgram(PIPEWRIGHT_BIN, args + QStringList{"--workspace", m_ws}); }
    /** Trains `model` on table `table` (1 epoch) and registers it as `name` version 1; the run id. */
    QString trainAndRegister(const QString &table, const QString &name, const QStringList &trainArgs);
    /** `models export REF --format F --out FILE --json`, checked; the JSON. */
    QJsonObject exportAs(const QString &ref, const QString &format, const QString &file);
    /** The worker's probabilities for `images` with the registered version's model file. */
    std::vector<std::vector<float>> workerProbabilities(const QString &name, const QString &images);
    /** OpenCV DNN's output of `onnx` for `images`, normalised as `exported` says; compared with `expected`. */
    void compareOpenCv(const QString &onnx, const QJsonObject &exported, const QString &images,
                       const std::vector<std::vector<float>> &expected);
    /** export_check.py ARGS; skips the test when /usr/bin/python3 lacks `module`. */
    Result python(const char *module, const QStringList &args);

    QTemporaryDir m_dir;
    QString m_ws;
    QStringList m_images; // real Fashion-MNIST test images, 28 x 28 gray
    QString m_imagesNpy;
};

void tst_Export::initTestCase()
{
    QVERIFY(m_dir.isValid());
    m_ws = m_dir.filePath("ws");
    const QString train = m_dir.filePath("fashion"), test = m_dir.filePath("fashion-test");
    for (const auto &[split, dir, n] : {std::tuple{"train", train, "200"}, std::tuple{"test", test, "24"}}) {
        const Result r = runProgram(PIPEWRIGHT_BIN,
                                    {"demo-data", "fashion-mnist", "--out", dir, "--split", split, "--limit", n});
        QVERIFY2(r.exitCode == 0, r.err.constData());
    }
    QVERIFY2(cli({"ingest", train, "--table", "fashion"}).exitCode == 0, "ingest");
    QVERIFY(!trainAndRegister("fashion", "fashion", {}).isEmpty());
    const Result staged = cli({"models", "transition", "fashion", "1", "Staging"});
    QVERIFY2(staged.exitCode == 0, staged.err.constData());
    QDirIterator it(test, {"*.png"}, QDir::Files, QDirIterator::Subdirectories);
    while (it.hasNext())
        m_images << it.next();
    m_images.sort();
    QCOMPARE(m_images.size(), 24);
    m_imagesNpy = m_dir.filePath("images.npy");
    QVERIFY(writeImagesNpy(m_imagesNpy, m_images, 28, 1));
}

QString tst_Export::trainAndRegister(const QString &table, const QString &name, const QStringList &trainArgs)
{
    const Result t = cli(QStringList{"train", "--table", table, "--epochs", "1", "--json"} + trainArgs);
    const QString run = t.json().value("run_id").toString();
    if (t.exitCode != 0 || t.json().value("status").toString() != "FINISHED") {
        qWarning() << "training failed:" << t.err;
        return {};
    }
    const Result r = cli({"models", "register", "--run", run, "--name", name});
    if (r.exitCode != 0) {
        qWarning() << "register failed:" << r.err;
        return {};
    }
    return run;
}

QJsonObject tst_Export::exportAs(const QString &ref, const QString &format, const QString &file)
{
    const Result r = cli({"models", "export", ref, "--format", format, "--out", file, "--json"});
    if (r.exitCode != 0) {
        qWarning() << "export failed:" << r.exitCode << r.err;
        return {};
    }
    return r.json();
}

std::vector<std::vector<float>> tst_Export::workerProbabilities(const QString &name, const QString &images)
{
    const Result list = cli({"models", "list", name, "--json"});
    const QString model = QJsonDocument::fromJson(list.out).array().at(0).toObject().value("artifact").toString();
    const QString out = images + "." + name + ".probabilities.npy";
    const Result r = runProgram(workerBin(), {"predict", "--model", model, "--images", images, "--out", out});
    if (r.exitCode != 0)
        qWarning() << "predict failed:" << r.out << r.err;
    return readProbabilities(out);
}

void tst_Export::compareOpenCv(const QString &onnx, const QJsonObject &exported, const QString &images,
                               const std::vector<std::vector<float>> &expected)
{
    const QJsonObject pre = exported.value("preprocessing").toObject();
    const int size = pre.value("input_size").toInt(), channels = pre.value("channels").toInt();
    QFile f(images);
    QVERIFY(f.open(QIODevice::ReadOnly));
    const QByteArray npy = f.readAll();
    std::uint16_t headerLength = 0;
    std::memcpy(&headerLength, npy.constData() + 8, 2);
    const auto *pixels = reinterpret_cast<const unsigned char *>(npy.constData() + 10 + headerLength);
    const int n = int(expected.size()), plane = size * size;
    cv::Mat blob(std::vector<int>{n, channels, size, size}, CV_32F);
    auto *x = blob.ptr<float>();
    // A photo model's centre crop (eval_resize): each plane resized bilinearly (half-pixel centres, as the
    // worker's and torchvision's) and its centre cut out, at torchvision's CenterCrop offset.
    const int resize = pre.value("eval_resize").toInt();
    const int offset = int(std::nearbyint((resize - size) / 2.0));
    for (int c = 0; c < channels; ++c) {
        // As the worker normalises: x / 255, minus the mean, times 1 / std (each in float).
        const float mean = float(pre.value("mean").toArray().at(c).toDouble());
        const float invStd = 1.0f / float(pre.value("std").toArray().at(c).toDouble());
        for (int i = 0; i < n; ++i) {
            float *dst = x + (i * channels + c) * plane;
            for (int p = 0; p < plane; ++p)
                dst[p] = (float(pixels[(i * plane + p) * channels + c]) * float(1.0 / 255.0) - mean) * invStd;
            if (resize > 0) {
                cv::Mat planeMat(size, size, CV_32F, dst), resized;
                cv::resize(planeMat, resized, cv::Size(resize, resize), 0, 0, cv::INTER_LINEAR);
                resized(cv::Rect(offset, offset, size, size)).copyTo(planeMat);
            }
        }
    }
    cv::dnn::Net net = cv::dnn::readNetFromONNX(onnx.toStdString());
    net.setInput(blob, "images");
    const cv::Mat out = net.forward();
    QCOMPARE(out.rows, n);
    QCOMPARE(out.cols, int(expected.at(0).size()));
    double worst = 0;
    int unsaturated = 0; // probabilities that are neither 0 nor 1: values that show whether the graph is right
    for (int i = 0; i < n; ++i) {
        for (int k = 0; k < out.cols; ++k) {
            const float want = expected[std::size_t(i)][std::size_t(k)];
            worst = std::max(worst, double(std::abs(out.at<float>(i, k) - want)));
            unsaturated += want > 1e-3f && want < 1 - 1e-3f;
        }
    }
    qInfo() << "OpenCV DNN vs pipewright-worker predict: max difference" << worst << "over" << n << "images,"
            << unsaturated << "probabilities between 0.001 and 0.999";
    QVERIFY2(worst <= 1e-4, qPrintable(QString("max difference %1").arg(worst)));
    QVERIFY(unsaturated > 0);
}

Result tst_Export::python(const char *module, const QStringList &args)
{
    if (QProcess::execute(kPython, {"-c", QString("import %1").arg(module)}) != 0)
        return Result{-2, {}, QByteArray("no module ") + module};
    return runProgram(kPython, QStringList{PIPEWRIGHT_SOURCE_DIR "/tests/tools/export_check.py"} + args);
}

// Each format through the CLI: the JSON names the file, its size and hash; the card describes the model; nothing
// but the two files is left in the folder.
void tst_Export::eachFormatWithItsCard_data()
{
    QTest::addColumn<QString>("ref");
    QTest::addColumn<QString>("format");
    QTest::newRow("onnx, by stage") << "fashion@Staging"
                                    << "onnx";
    QTest::newRow("pytorch, by number") << "fashion:1"
                                        << "pytorch";
    QTest::newRow("safetensors, latest") << "fashion:latest"
                                         << "safetensors";
}

void tst_Export::eachFormatWithItsCard()
{
    QFETCH(QString, ref);
    QFETCH(QString, format);
    QTemporaryDir out;
    const QString file = out.filePath("model." + format);
    const QJsonObject j = exportAs(ref, format, file);
    QCOMPARE(j.value("file").toString(), file);
    QCOMPARE(j.value("format").toString(), format);
    QCOMPARE(j.value("card").toString(), file + ".md");
    QCOMPARE(j.value("version").toInt(), 1);
    QCOMPARE(j.value("model").toString(), QString("small-cnn"));
    QFile f(file);
    QVERIFY(f.open(QIODevice::ReadOnly));
    const QByteArray bytes = f.readAll();
    QCOMPARE(j.value("bytes").toInteger(), qint64(bytes.size()));
    QCOMPARE(j.value("sha256").toString(),
             QString(QCryptographicHash::hash(bytes, QCryptographicHash::Sha256).toHex()));
    QCOMPARE(QDir(out.path()).entryList(QDir::Files), (QStringList{"model." + format, "model." + format + ".md"}));
    QFile card(file + ".md");
    QVERIFY(card.open(QIODevice::ReadOnly));
    const QString text = QString::fromUtf8(card.readAll());
    const QJsonObject pre = j.value("preprocessing").toObject();
    QCOMPARE(pre.value("input_size").toInt(), 28);
    QCOMPARE(pre.value("channels").toInt(), 1);
    for (const QString &needle :
         {QString("# fashion version 1 (Staging)"), QString("table fashion at catalog version 1"),
          j.value("run_id").toString(), QString("val_accuracy"), QString("9. ankle_boot"), QString("N x 1 x 28 x 28"),
          QString::number(pre.value("mean").toArray().at(0).toDouble(), 'g', 17),
          QString::number(pre.value("temperature").toDouble(), 'g', 17), j.value("sha256").toString()})
        QVERIFY2(text.contains(needle), qPrintable(needle + " is not in the card:\n" + text));
}

void tst_Export::onnxGivesTheWorkersProbabilities()
{
    const QString file = m_dir.filePath("fashion.onnx");
    const QJsonObject j = exportAs("fashion@Staging", "onnx", file);
    QVERIFY(!j.isEmpty());
    const auto expected = workerProbabilities("fashion", m_imagesNpy);
    QCOMPARE(int(expected.size()), m_images.size());
    compareOpenCv(file, j, m_imagesNpy, expected);
    const Result r = python("onnx", {"onnx", file});
    if (r.exitCode == -2)
        QFAIL("/usr/bin/python3 has no onnx: run packaging/install-deps.sh (it installs python3-onnx)");
    QVERIFY2(r.exitCode == 0, r.err.constData());
}

// Writes the export's JSON for export_check.py.
static QString saveJson(const QString &path, const QJsonObject &j)
{
    QFile f(path);
    if (!f.open(QIODevice::WriteOnly))
        return {};
    f.write(QJsonDocument(j).toJson());
    return path;
}

void tst_Export::pytorchLoadsIntoTheModule()
{
    const QString file = m_dir.filePath("fashion.pt");
    const QJsonObject j = exportAs("fashion:1", "pytorch", file);
    QVERIFY(!j.isEmpty());
    const auto expected = workerProbabilities("fashion", m_imagesNpy);
    QVERIFY(!expected.empty());
    const QString probs = m_imagesNpy + ".fashion.probabilities.npy";
    const Result r = python("torch", {"pytorch", file, saveJson(file + ".json", j), m_imagesNpy, probs});
    if (r.exitCode == -2)
        QFAIL("/usr/bin/python3 has no torch: run packaging/install-deps.sh (it installs python3-torch)");
    QVERIFY2(r.exitCode == 0, r.err.constData());
    qInfo() << "torch.load + module vs pipewright-worker predict:" << r.out.trimmed();
}

void tst_Export::safetensorsHoldsTheSameTensors()
{
    const QString st = m_dir.filePath("fashion.safetensors"), pt = m_dir.filePath("fashion-2.pt");
    const QJsonObject j = exportAs("fashion:1", "safetensors", st);
    QVERIFY(!j.isEmpty());
    QVERIFY(!exportAs("fashion:1", "pytorch", pt).isEmpty());
    const Result r = python("torch", {"safetensors", st, pt, saveJson(st + ".json", j)});
    if (r.exitCode == -2)
        QFAIL("/usr/bin/python3 has no torch: run packaging/install-deps.sh (it installs python3-torch)");
    QVERIFY2(r.exitCode == 0, r.err.constData());
}

// resnet18 in torchvision's layout at 64 px (torchvision's 7x7 stem): torchvision.models.resnet18(num_classes=3)
// loads the export strictly, and it, OpenCV DNN and the worker give the same probabilities.
// medium-cnn (the Fashion-MNIST recipe's network): the same exporter path as small-cnn with other layers, read
// back by OpenCV's DNN (ONNX) and by torch.load into export_check.py's module (pytorch).
void tst_Export::mediumCnn()
{
    QVERIFY(!trainAndRegister("fashion", "fashion-medium", {"--model", "medium-cnn"}).isEmpty());
    const auto expected = workerProbabilities("fashion-medium", m_imagesNpy);
    QCOMPARE(int(expected.size()), m_images.size());
    const QString onnx = m_dir.filePath("medium.onnx"), pt = m_dir.filePath("medium.pt");
    const QJsonObject j = exportAs("fashion-medium:1", "onnx", onnx);
    QCOMPARE(j.value("model").toString(), QString("medium-cnn"));
    compareOpenCv(onnx, j, m_imagesNpy, expected);
    const QJsonObject jp = exportAs("fashion-medium:1", "pytorch", pt);
    QVERIFY(!jp.isEmpty());
    const Result r = python("torch", {"pytorch", pt, saveJson(pt + ".json", jp), m_imagesNpy,
                                      m_imagesNpy + ".fashion-medium.probabilities.npy"});
    if (r.exitCode == -2)
        QFAIL("/usr/bin/python3 has no torch: run packaging/install-deps.sh (it installs python3-torch)");
    QVERIFY2(r.exitCode == 0, r.err.constData());
    QFile card(pt + ".md");
    QVERIFY(card.open(QIODevice::ReadOnly));
    QVERIFY(QString::fromUtf8(card.readAll()).contains("((32, True), (64, False), (64, True), (128, False))"));
}

void tst_Export::torchvisionModels_data()
{
    QTest::addColumn<QString>("model");
    QTest::addColumn<bool>("openCv");
    QTest::newRow("resnet18") << "resnet18" << true;
    QTest::newRow("resnet50") << "resnet50" << true;
    // The squeeze-excitation's x * s is exported as Transpose(Transpose(x) * Transpose(s)) (ExportNetwork.cpp):
    // OpenCV 4.6 rewrites the plain Mul(x, HardSigmoid(t)) as HardSwish(t) and cannot broadcast N x C x 1 x 1 over
    // N x C x H x W for a batch of more than one. This model's probabilities hardly depend on the image (they vary
    // by ~3e-8), so the row checks mostly that OpenCV runs the graph at batch 18 (the plain Mul was off by 2e-5).
    QTest::newRow("mobilenet_v3_large") << "mobilenet_v3_large" << true;
}

void tst_Export::torchvisionModels()
{
    // A photo model of the zoo trained here, exported: torchvision's own module takes the pytorch export unchanged
    // and gives the worker's probabilities, ONNX passes onnx.checker and (where OpenCV can run it) gives them too.
    QFETCH(QString, model);
    QFETCH(bool, openCv);
    const QString name = "colour_" + model;
    const QString src = m_dir.filePath(name);
    QStringList images;
    for (int c = 0; c < 3; ++c) {
        for (int i = 0; i < 6; ++i) {
            const QString path = QString("%1/00%2.class%2/%3.png").arg(src).arg(c + 1).arg(i);
            QVERIFY(pw::test::writeImage(path, 64, 64, 3, c * 100 + i));
            images << path;
        }
    }
    QVERIFY2(cli({"ingest", src, "--table", name}).exitCode == 0, "ingest");
    QVERIFY(!trainAndRegister(name, name, {"--model", model, "--image-size", "64", "--batch-size", "6"}).isEmpty());
    const QString npy = m_dir.filePath(name + ".npy");
    QVERIFY(writeImagesNpy(npy, images, 64, 3));
    const auto expected = workerProbabilities(name, npy);
    QCOMPARE(int(expected.size()), images.size());
    const QString onnx = m_dir.filePath(name + ".onnx"), pt = m_dir.filePath(name + ".pt");
    const QJsonObject j = exportAs(name + ":1", "onnx", onnx);
    QVERIFY(!j.isEmpty());
    // Trained on random-resized crops, so evaluated on the centre crop: resized to floor(64 / 0.875) = 73 first.
    QCOMPARE(j.value("preprocessing").toObject().value("eval_resize").toInt(), 73);
    const Result checked = python("onnx", {"onnx", onnx});
    if (checked.exitCode == -2)
        QFAIL("/usr/bin/python3 has no onnx: run packaging/install-deps.sh (it installs python3-onnx)");
    QVERIFY2(checked.exitCode == 0, checked.err.constData());
    if (openCv)
        compareOpenCv(onnx, j, npy, expected);
    QVERIFY(!exportAs(name + ":1", "pytorch", pt).isEmpty());
    const Result r = python("torchvision",
                            {"pytorch", pt, saveJson(pt + ".json", j), npy, npy + "." + name + ".probabilities.npy"});
    if (r.exitCode == -2)
        QFAIL("/usr/bin/python3 has no torchvision: run packaging/install-deps.sh (it installs python3-torchvision)");
    QVERIFY2(r.exitCode == 0, r.err.constData());
    qInfo() << "torchvision" << model << "vs pipewright-worker predict:" << r.out.trimmed();
}

void tst_Export::badInput_data()
{
    QTest::addColumn<QStringList>("args");
    QTest::addColumn<int>("exitCode");
    QTest::addColumn<QString>("message");
    const QString out = m_dir.filePath("bad/model.onnx");
    QTest::newRow("unknown model") << QStringList{"nosuch@Staging", "--format", "onnx", "--out", out} << 1 << "nosuch";
    QTest::newRow("unknown version") << QStringList{"fashion:9", "--format", "onnx", "--out", out} << 1 << "version 9";
    QTest::newRow("empty stage") << QStringList{"fashion@Production", "--format", "onnx", "--out", out} << 1
                                 << "no version in stage Production";
    QTest::newRow("unknown format") << QStringList{"fashion:1", "--format", "tflite", "--out", out} << 2
                                    << "--format: 'tflite'";
    QTest::newRow("no format") << QStringList{"fashion:1", "--out", out} << 2 << "--format";
    QTest::newRow("missing folder") << QStringList{"fashion:1", "--format", "onnx", "--out",
                                                   m_dir.filePath("bad/none/model.onnx")}
                                    << 1 << "does not exist";
    QTest::newRow("a folder") << QStringList{"fashion:1", "--format", "onnx", "--out", m_dir.filePath("bad")} << 1
                              << "is a folder";
    QTest::newRow("unwritable") << QStringList{"fashion:1", "--format", "onnx", "--out", "/proc/model.onnx"} << 1
                                << "/proc/model.onnx";
}

// Each refused with the part at fault named, and nothing written.
void tst_Export::badInput()
{
    QFETCH(QStringList, args);
    QFETCH(int, exitCode);
    QFETCH(QString, message);
    QVERIFY(QDir().mkpath(m_dir.filePath("bad")));
    const Result r = cli(QStringList{"models", "export"} + args);
    QCOMPARE(r.exitCode, exitCode);
    QVERIFY2(QString::fromUtf8(r.err).contains(message), r.err.constData());
    QVERIFY(r.out.isEmpty());
    QCOMPARE(QDir(m_dir.filePath("bad")).entryList(QDir::Files | QDir::Dirs | QDir::NoDotAndDotDot), QStringList());
}

// The worker itself: an unknown format is a usage error (2) and writes nothing.
void tst_Export::workerRefusesUnknownFormat()
{
    const Result list = cli({"models", "list", "fashion", "--json"});
    const QString model = QJsonDocument::fromJson(list.out).array().at(0).toObject().value("artifact").toString();
    const QString out = m_dir.filePath("worker-bad.onnx");
    const Result r = runProgram(workerBin(), {"export", "--model", model, "--format", "tflite", "--out", out});
    QCOMPARE(r.exitCode, 2);
    QVERIFY2(r.out.contains("'tflite' is not onnx, pytorch or safetensors"), r.out.constData());
    QVERIFY(!QFileInfo::exists(out));
    const Result missing = runProgram(
        workerBin(), {"export", "--model", m_dir.filePath("none.pt"), "--format", "pytorch", "--out", out});
    QCOMPARE(missing.exitCode, 1);
    QVERIFY2(missing.out.contains("none.pt"), missing.out.constData());
    QVERIFY(!QFileInfo::exists(out) && !QFileInfo::exists(out + ".tmp"));
}

QTEST_GUILESS_MAIN(tst_Export)
#include "tst_export.moc"
