// Tests of the Fashion-MNIST reader and PNG writer (core/data/FashionMnist.h) on tiny IDX files
// written here, and on Debian's real data set when it is installed.
#include "core/data/FashionMnist.h"

#include "tests/TestData.h"

#include <QDateTime>
#include <QDir>
#include <QDirIterator>
#include <QFile>
#include <QFileInfo>
#include <QTemporaryDir>
#include <QTest>

#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>

#include <zlib.h>

#include <cstdint>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace {

constexpr int kCount = 25;
constexpr int kSide = 28;

void appendBe32(QByteArray &b, std::uint32_t v)
{
    b.append(char(v >> 24)).append(char(v >> 16)).append(char(v >> 8)).append(char(v));
}

/** The IDX image file of `count` rows x cols images; image i's pixels follow pixel(i, y, x). */
QByteArray idxImages(std::uint32_t count, std::uint32_t rows, std::uint32_t cols, qsizetype pixelBytes = -1)
{
    QByteArray b;
    appendBe32(b, 0x00000803);
    appendBe32(b, count);
    appendBe32(b, rows);
    appendBe32(b, cols);
    const qsizetype n = pixelBytes >= 0 ? pixelBytes : qsizetype(count) * rows * cols;
    for (qsizetype k = 0; k < n; ++k)
        b.append(char((k * 7 + k / 28 * 3 + k / 784 * 11) & 0xFF));
    return b;
}

/** The IDX label file holding `labels`. */
QByteArray idxLabels(const std::vector<unsigned char> &labels, std::uint32_t claimed = 0xFFFFFFFF)
{
    QByteArray b;
    appendBe32(b, 0x00000801);
    appendBe32(b, claimed != 0xFFFFFFFF ? claimed : std::uint32_t(labels.size()));
    for (unsigned char l : labels)
        b.append(char(l));
    return b;
}

std::vector<unsigned char> defaultLabels(int count = kCount)
{
    std::vector<unsigned char> labels;
    for (int i = 0; i < count; ++i)
        labels.push_back(static_cast<unsigned char>((i * 3) % 10));
    return labels;
}

/** Writes `bytes` to `path`, gzip'd when `gzip` (readGz reads plain files too). */
bool writeIdx(const QString &path, const QByteArray &bytes, bool gzip = true)
{
    if (!gzip)
        return pw::test::writeFile(path, bytes);
    QDir().mkpath(QFileInfo(path).absolutePath());
    gzFile f = gzopen(QFile::encodeName(path).constData(), "wb");
    if (!f)
        return false;
    const int written = bytes.isEmpty() ? 0 : gzwrite(f, bytes.constData(), unsigned(bytes.size()));
    return gzclose(f) == Z_OK && written == bytes.size();
}

/** A data set folder with both splits as Debian names them: train-... and t10k-... */
bool writeDataset(const QString &dir, const QByteArray &images, const QByteArray &labels, bool gzip = true)
{
    for (const char *prefix : {"train", "t10k"}) {
        if (!writeIdx(dir + "/" + prefix + "-images-idx3-ubyte.gz", images, gzip)
            || !writeIdx(dir + "/" + prefix + "-labels-idx1-ubyte.gz", labels, gzip))
            return false;
    }
    return true;
}

QStringList pngFiles(const QString &dir)
{
    QStringList out;
    QDirIterator it(dir, {"*.png"}, QDir::Files, QDirIterator::Subdirectories);
    while (it.hasNext())
        out << QDir(dir).relativeFilePath(it.next());
    out.sort();
    return out;
}

QString expectedPath(int index, unsigned char label)
{
    return QString::fromStdString(pw::data::fashionMnistFolders().at(label)) + "/"
           + QString("%1.png").arg(index, 5, 10, QChar('0'));
}

} // namespace

class tst_FashionMnist : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void init();
    void cleanup();

    void folders();
    void readIdx_data();
    void readIdx();
    void readErrorsNameTheFile_data();
    void readErrorsNameTheFile();

    void write_data();
    void write();
    void rerunLeavesFilesAlone();
    void progressReachesTotal();
    void writeErrorsNameTheFile_data();
    void writeErrorsNameTheFile();

    void realDataset();

private:
    std::unique_ptr<QTemporaryDir> m_dir;
    QString datasetDir() const { return m_dir->filePath("dataset"); }
    QString outDir() const { return m_dir->filePath("out"); }
};

void tst_FashionMnist::init()
{
    m_dir = std::make_unique<QTemporaryDir>();
    QVERIFY(m_dir->isValid());
}

void tst_FashionMnist::cleanup()
{
    m_dir.reset();
}

void tst_FashionMnist::folders()
{
    const auto &f = pw::data::fashionMnistFolders();
    QCOMPARE(f.size(), std::size_t(10));
    QCOMPARE(f.front(), std::string("000.t-shirt_top"));
    QCOMPARE(f.back(), std::string("009.ankle_boot"));
    for (std::size_t i = 0; i < f.size(); ++i) {
        // NNN.name, so that the caltech label rule reads the class id back.
        QVERIFY2(QString::fromStdString(f[i]).startsWith(QString("%1.").arg(i, 3, 10, QChar('0'))), f[i].c_str());
        QVERIFY2(f[i].size() > 4, f[i].c_str());
    }
}

void tst_FashionMnist::readIdx_data()
{
    QTest::addColumn<bool>("gzip");
    QTest::addColumn<int>("count");
    QTest::addColumn<int>("rows");
    QTest::addColumn<int>("cols");
    QTest::newRow("gzip 25x28x28") << true << kCount << kSide << kSide;
    QTest::newRow("plain 25x28x28") << false << kCount << kSide << kSide;
    QTest::newRow("gzip non-square") << true << 3 << 5 << 7;
    QTest::newRow("gzip no images") << true << 0 << kSide << kSide;
}

void tst_FashionMnist::readIdx()
{
    QFETCH(bool, gzip);
    QFETCH(int, count);
    QFETCH(int, rows);
    QFETCH(int, cols);
    const QByteArray images = idxImages(std::uint32_t(count), std::uint32_t(rows), std::uint32_t(cols));
    const auto labels = defaultLabels(count);
    const QString imagesPath = m_dir->filePath("images.gz");
    const QString labelsPath = m_dir->filePath("labels.gz");
    QVERIFY(writeIdx(imagesPath, images, gzip));
    QVERIFY(writeIdx(labelsPath, idxLabels(labels), gzip));

    const pw::data::IdxImages img = pw::data::readIdxImages(imagesPath.toStdString());
    QCOMPARE(img.count, std::int64_t(count));
    QCOMPARE(img.rows, rows);
    QCOMPARE(img.cols, cols);
    QCOMPARE(QByteArray(reinterpret_cast<const char *>(img.pixels.data()), qsizetype(img.pixels.size())),
             images.mid(16));
    QCOMPARE(pw::data::readIdxLabels(labelsPath.toStdString()), labels);
}

void tst_FashionMnist::readErrorsNameTheFile_data()
{
    QTest::addColumn<bool>("labels"); // which reader
    QTest::addColumn<QByteArray>("content");
    QTest::addColumn<QString>("fragment"); // expected in the message besides the path

    QTest::newRow("images: empty file") << false << QByteArray() << "magic";
    QTest::newRow("images: label magic") << false << idxLabels(defaultLabels()) + QByteArray(16, '\0') << "magic";
    QTest::newRow("images: short header") << false << idxImages(1, 2, 2).left(12) << "magic";
    QTest::newRow("images: truncated pixels")
        << false << idxImages(kCount, kSide, kSide, kCount * kSide * kSide - 1) << "truncated";
    QTest::newRow("images: no pixels") << false << idxImages(kCount, kSide, kSide, 0) << "truncated";
    // Sizes from a corrupt header must not wrap around: 65536 * 2^24 * 2^24 is 0 modulo 2^64,
    // and rows = cols = 0xFFFFFFFF read as int are -1 each.
    QTest::newRow("images: size product overflows") << false << idxImages(1u << 16, 1u << 24, 1u << 24, 0) << "";
    QTest::newRow("images: negative dimensions") << false << idxImages(1, 0xFFFFFFFFu, 0xFFFFFFFFu, 1) << "";
    QTest::newRow("labels: empty file") << true << QByteArray() << "magic";
    QTest::newRow("labels: image magic") << true << idxImages(1, 2, 2) << "magic";
    QTest::newRow("labels: truncated") << true << idxLabels(defaultLabels(), kCount + 1) << "truncated";
    QTest::newRow("labels: count far beyond the data")
        << true << idxLabels(defaultLabels(), 0xFFFFFFF0u) << "truncated";
}

void tst_FashionMnist::readErrorsNameTheFile()
{
    QFETCH(bool, labels);
    QFETCH(QByteArray, content);
    QFETCH(QString, fragment);
    const QString path = m_dir->filePath("bad-idx.gz");
    QVERIFY(writeIdx(path, content));
    try {
        if (labels)
            pw::data::readIdxLabels(path.toStdString());
        else
            pw::data::readIdxImages(path.toStdString());
        QFAIL("a malformed IDX file was read without an error");
    } catch (const std::runtime_error &e) {
        const QString msg = QString::fromUtf8(e.what());
        QVERIFY2(msg.contains(path), e.what());
        QVERIFY2(msg.contains(fragment), e.what());
    }
}

void tst_FashionMnist::write_data()
{
    QTest::addColumn<qint64>("limit");
    QTest::addColumn<int>("expected");
    QTest::addColumn<QString>("split");
    QTest::newRow("all (limit -1)") << qint64(-1) << kCount << "train";
    QTest::newRow("limit 7") << qint64(7) << 7 << "train";
    QTest::newRow("limit 1") << qint64(1) << 1 << "train";
    QTest::newRow("limit 0") << qint64(0) << 0 << "train";
    QTest::newRow("limit above count") << qint64(1000) << kCount << "train";
    QTest::newRow("test split") << qint64(-1) << kCount << "test";
}

void tst_FashionMnist::write()
{
    QFETCH(qint64, limit);
    QFETCH(int, expected);
    QFETCH(QString, split);
    const QByteArray images = idxImages(kCount, kSide, kSide);
    const auto labels = defaultLabels();
    QVERIFY(writeDataset(datasetDir(), images, idxLabels(labels)));

    const std::int64_t n = pw::data::writeFashionMnist(outDir().toStdString(), split.toStdString(), limit,
                                                       datasetDir().toStdString());
    QCOMPARE(n, std::int64_t(expected));

    // Every class folder exists, even the empty ones.
    for (const auto &folder : pw::data::fashionMnistFolders())
        QVERIFY2(QFileInfo(outDir() + "/" + QString::fromStdString(folder)).isDir(), folder.c_str());

    QStringList want;
    for (int i = 0; i < expected; ++i)
        want << expectedPath(i, labels[std::size_t(i)]);
    want.sort();
    QCOMPARE(pngFiles(outDir()), want);

    // Pixels round-trip exactly (PNG is lossless), one gray channel, 28x28.
    for (int i = 0; i < expected; ++i) {
        const QString path = outDir() + "/" + expectedPath(i, labels[std::size_t(i)]);
        const cv::Mat png = cv::imread(path.toStdString(), cv::IMREAD_UNCHANGED);
        QVERIFY2(!png.empty(), qPrintable(path));
        QCOMPARE(png.type(), CV_8UC1);
        QCOMPARE(png.rows, kSide);
        QCOMPARE(png.cols, kSide);
        const cv::Mat source(kSide, kSide, CV_8UC1,
                             const_cast<char *>(images.constData()) + 16 + qsizetype(i) * kSide * kSide);
        QVERIFY2(cv::countNonZero(png != source) == 0, qPrintable(path));
    }
}

void tst_FashionMnist::rerunLeavesFilesAlone()
{
    const auto labels = defaultLabels();
    QVERIFY(writeDataset(datasetDir(), idxImages(kCount, kSide, kSide), idxLabels(labels)));
    const std::string out = outDir().toStdString();
    QCOMPARE(pw::data::writeFashionMnist(out, "train", -1, datasetDir().toStdString()), std::int64_t(kCount));

    // Age every file by an hour, then damage one: a rerun rewrites that one only.
    const QStringList files = pngFiles(outDir());
    QCOMPARE(files.size(), kCount);
    for (const QString &f : files)
        QVERIFY(pw::test::touchFile(outDir() + "/" + f, 3600));
    const QString damaged = outDir() + "/" + expectedPath(4, labels[4]);
    QByteArray original;
    {
        QFile f(damaged);
        QVERIFY(f.open(QIODevice::ReadOnly));
        original = f.readAll();
    }
    QVERIFY(pw::test::writeFile(damaged, original.left(original.size() - 10)));
    QVERIFY(pw::test::touchFile(damaged, 3600));
    std::map<QString, QDateTime> before;
    for (const QString &f : files)
        before[f] = QFileInfo(outDir() + "/" + f).lastModified();
    const QDateTime aged = before[QDir(outDir()).relativeFilePath(damaged)];
    QVERIFY(aged < QDateTime::currentDateTime().addSecs(-3000));

    QCOMPARE(pw::data::writeFashionMnist(out, "train", -1, datasetDir().toStdString()), std::int64_t(kCount));
    for (const QString &f : files) {
        const QString path = outDir() + "/" + f;
        if (path == damaged)
            continue;
        QVERIFY2(QFileInfo(path).lastModified() == before[f], qPrintable(path + " was rewritten"));
    }
    QVERIFY(QFileInfo(damaged).lastModified() > aged);
    QFile f(damaged);
    QVERIFY(f.open(QIODevice::ReadOnly));
    QCOMPARE(f.readAll(), original);
}

void tst_FashionMnist::progressReachesTotal()
{
    QVERIFY(writeDataset(datasetDir(), idxImages(kCount, kSide, kSide), idxLabels(defaultLabels())));
    std::vector<std::pair<std::int64_t, std::int64_t>> calls;
    pw::data::writeFashionMnist(outDir().toStdString(), "train", 10, datasetDir().toStdString(),
                                [&](std::int64_t done, std::int64_t total) { calls.emplace_back(done, total); });
    QVERIFY(!calls.empty());
    QCOMPARE(calls.back(), (std::pair<std::int64_t, std::int64_t>(10, 10)));
    for (std::size_t k = 0; k < calls.size(); ++k) {
        QCOMPARE(calls[k].second, std::int64_t(10));
        QVERIFY(calls[k].first >= 0 && calls[k].first <= 10);
        if (k > 0)
            QVERIFY(calls[k].first >= calls[k - 1].first);
    }
}

void tst_FashionMnist::writeErrorsNameTheFile_data()
{
    QTest::addColumn<QString>("problem");
    QTest::addColumn<QString>("namedFile"); // relative to the data set folder
    QTest::addColumn<QString>("fragment");
    QTest::newRow("label 10") << "label10"
                              << "train-labels-idx1-ubyte.gz"
                              << "label 10 of image 3";
    QTest::newRow("label 255") << "label255"
                               << "train-labels-idx1-ubyte.gz"
                               << "label 255 of image 3";
    QTest::newRow("fewer labels than images") << "fewerLabels"
                                              << "train"
                                              << "25 images but 24 labels";
    QTest::newRow("missing images file") << "missingImages"
                                         << "train-images-idx3-ubyte.gz"
                                         << "cannot open";
    QTest::newRow("missing labels file") << "missingLabels"
                                         << "train-labels-idx1-ubyte.gz"
                                         << "cannot open";
    QTest::newRow("images file with bad magic") << "badMagic"
                                                << "train-images-idx3-ubyte.gz"
                                                << "magic";
    QTest::newRow("truncated images file") << "truncated"
                                           << "train-images-idx3-ubyte.gz"
                                           << "truncated";
}

void tst_FashionMnist::writeErrorsNameTheFile()
{
    QFETCH(QString, problem);
    QFETCH(QString, namedFile);
    QFETCH(QString, fragment);
    auto labels = defaultLabels();
    QByteArray images = idxImages(kCount, kSide, kSide);
    if (problem == "label10")
        labels[3] = 10;
    else if (problem == "label255")
        labels[3] = 255;
    else if (problem == "fewerLabels")
        labels.pop_back();
    else if (problem == "badMagic")
        images[3] = '\x01';
    else if (problem == "truncated")
        images.chop(100);
    QVERIFY(writeDataset(datasetDir(), images, idxLabels(labels)));
    if (problem == "missingImages")
        QVERIFY(QFile::remove(datasetDir() + "/train-images-idx3-ubyte.gz"));
    else if (problem == "missingLabels")
        QVERIFY(QFile::remove(datasetDir() + "/train-labels-idx1-ubyte.gz"));

    try {
        pw::data::writeFashionMnist(outDir().toStdString(), "train", -1, datasetDir().toStdString());
        QFAIL("writeFashionMnist accepted a bad data set");
    } catch (const std::runtime_error &e) {
        const QString msg = QString::fromUtf8(e.what());
        QVERIFY2(msg.contains(datasetDir() + "/" + namedFile), e.what());
        QVERIFY2(msg.contains(fragment), e.what());
    }
}

void tst_FashionMnist::realDataset()
{
    const QString dir = QString::fromUtf8(pw::data::kFashionMnistDir);
    // packaging/install-deps.sh installs the data set: its absence is a broken set-up, not a skip.
    QVERIFY2(QFileInfo::exists(dir + "/train-images-idx3-ubyte.gz"),
             "dataset-fashion-mnist is not installed (run packaging/install-deps.sh)");
    const auto images = pw::data::readIdxImages((dir + "/train-images-idx3-ubyte.gz").toStdString());
    QCOMPARE(images.count, std::int64_t(60000));
    QCOMPARE(images.rows, 28);
    QCOMPARE(images.cols, 28);
    QCOMPARE(images.pixels.size(), std::size_t(60000) * 28 * 28);
    const auto labels = pw::data::readIdxLabels((dir + "/train-labels-idx1-ubyte.gz").toStdString());
    QCOMPARE(labels.size(), std::size_t(60000));
    QCOMPARE(int(labels.front()), 9); // the first training image is an ankle boot
    std::vector<int> perClass(10, 0);
    for (unsigned char l : labels) {
        QVERIFY(l < 10);
        ++perClass[l];
    }
    for (int n : perClass)
        QCOMPARE(n, 6000); // Fashion-MNIST is balanced

    QCOMPARE(pw::data::writeFashionMnist(outDir().toStdString(), "test", 3), std::int64_t(3));
    QVERIFY(QFileInfo::exists(outDir() + "/009.ankle_boot/00000.png"));
    QCOMPARE(pngFiles(outDir()).size(), 3);
}

QTEST_GUILESS_MAIN(tst_FashionMnist)
#include "tst_fashionmnist.moc"
