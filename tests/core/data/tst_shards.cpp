// Training shards over a generated catalog: .npy format, the codec entry, read-back against OpenCV, the
// hash split, class order, reuse, time travel, skipped files, errors, cancel, and numpy reading the files.
#include "core/catalog/Catalog.h"
#include "core/data/Npy.h"
#include "core/data/Shards.h"
#include "core/imaging/ImagingModule.h"
#include "core/ingest/Ingestor.h"
#include "core/store/Database.h"
#include "core/store/Workspace.h"
#include "tests/TestData.h"

#include <QCryptographicHash>
#include <QDir>
#include <QDirIterator>
#include <QFile>
#include <QFileInfo>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QTemporaryDir>
#include <QTest>

#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <map>
#include <numeric>
#include <thread>
#include <tuple>

#include <fcntl.h>
#include <sys/stat.h>

using namespace pw;

// verifyShard() fails the test from a helper: stop the calling test there too.
#define VERIFY_SHARD(...)                                                                                              \
    do {                                                                                                               \
        verifyShard(__VA_ARGS__);                                                                                      \
        if (QTest::currentTestFailed())                                                                                \
            return;                                                                                                    \
    } while (false)

Q_DECLARE_METATYPE(data::NpyType)
Q_DECLARE_METATYPE(ingest::LabelRule)

namespace {

// A source image as the test wrote it.
struct Source
{
    std::string path; // absolute, as the catalog records it
    QByteArray bytes;
    std::string label;
};

QByteArray encode(const cv::Mat &m, const char *ext = ".png")
{
    std::vector<unsigned char> out;
    if (!cv::imencode(ext, m, out))
        return {};
    return QByteArray(reinterpret_cast<const char *>(out.data()), qsizetype(out.size()));
}

// A 16-bit gray PNG whose samples use the whole 16-bit range.
QByteArray png16(int w, int h, int seed)
{
    cv::Mat m(h, w, CV_16UC1);
    for (int y = 0; y < h; ++y) {
        for (int x = 0; x < w; ++x)
            m.at<quint16>(y, x) = quint16((x * 2111 + y * 307 + seed * 7919) & 0xFFFF);
    }
    return encode(m);
}

// The split the rule gives, computed here from the bytes: SHA-256, first 16 hex digits / 2^64 < fraction.
bool expectValidation(const QByteArray &bytes, double fraction)
{
    const QByteArray hex = QCryptographicHash::hash(bytes, QCryptographicHash::Sha256).toHex().left(16);
    bool ok = false;
    const quint64 prefix = hex.toULongLong(&ok, 16);
    return ok && double(prefix) / 18446744073709551616.0 < fraction;
}

// What a shard row must hold: OpenCV's decode with the same flags, resized like the spec says, as RGB. A JPEG
// whose shorter side is at least twice `size` is decoded reduced: 1/2, 1/4 or 1/8, the most that keeps both
// sides at `size` or more.
cv::Mat reference(const QByteArray &bytes, int size, int channels)
{
    const cv::Mat buf(1, int(bytes.size()), CV_8U, const_cast<char *>(bytes.constData()));
    int flags = channels == 1 ? cv::IMREAD_GRAYSCALE : cv::IMREAD_COLOR;
    if (bytes.startsWith("\xFF\xD8\xFF")) {
        const cv::Mat full = cv::imdecode(buf, cv::IMREAD_UNCHANGED);
        const int shorter = std::min(full.cols, full.rows);
        const int scale = shorter >= 8 * size ? 8 : shorter >= 4 * size ? 4 : shorter >= 2 * size ? 2 : 1;
        const int reduced[] = {0, 0, cv::IMREAD_REDUCED_GRAYSCALE_2, 0, cv::IMREAD_REDUCED_GRAYSCALE_4, 0,
                               0, 0, cv::IMREAD_REDUCED_GRAYSCALE_8};
        flags |= reduced[scale];
    }
    cv::Mat m = cv::imdecode(buf, flags);
    if (m.empty())
        return m;
    if (m.cols != size || m.rows != size) {
        cv::Mat r;
        const bool shrinks = m.cols > size || m.rows > size;
        cv::resize(m, r, cv::Size(size, size), 0, 0, shrinks ? cv::INTER_AREA : cv::INTER_LINEAR);
        m = r;
    }
    if (channels == 3)
        cv::cvtColor(m, m, cv::COLOR_BGR2RGB);
    return m.isContinuous() ? m : m.clone();
}

QStringList readLines(const QString &path)
{
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly))
        return {QStringLiteral("<cannot open %1>").arg(path)};
    QStringList lines = QString::fromUtf8(f.readAll()).split('\n');
    if (!lines.isEmpty() && lines.last().isEmpty())
        lines.removeLast(); // the newline that ends the last line
    return lines;
}

QStringList toQt(const std::vector<std::string> &v)
{
    QStringList out;
    for (const auto &s : v)
        out << QString::fromStdString(s);
    return out;
}

QString shardFile(const data::ShardSet &set, const char *name)
{
    return QString::fromStdString(set.dir) + "/" + name;
}

// name -> (inode, mtime ns, size) of every file under `dir`.
std::map<QString, std::tuple<quint64, qint64, qint64>> snapshot(const QString &dir)
{
    std::map<QString, std::tuple<quint64, qint64, qint64>> out;
    QDirIterator it(dir, QDir::Files | QDir::Dirs | QDir::Hidden | QDir::NoDotAndDotDot, QDirIterator::Subdirectories);
    while (it.hasNext()) {
        const QString path = it.next();
        struct stat st
        {
        };
        if (::stat(QFile::encodeName(path).constData(), &st) == 0) {
            out[path] = {quint64(st.st_ino), qint64(st.st_mtim.tv_sec) * 1000000000LL + st.st_mtim.tv_nsec,
                         qint64(st.st_size)};
        }
    }
    return out;
}

// Sets the times of every file and folder under `dir` to 2000-01-01: a later write to any of them, or a file added or
// removed in a folder, then shows in its mtime however soon it comes.
bool ageAll(const QString &dir)
{
    const struct timespec old[2] = {{946684800, 0}, {946684800, 0}};
    bool ok = ::utimensat(AT_FDCWD, QFile::encodeName(dir).constData(), old, 0) == 0;
    QDirIterator it(dir, QDir::Files | QDir::Dirs | QDir::Hidden | QDir::NoDotAndDotDot, QDirIterator::Subdirectories);
    while (it.hasNext())
        ok = ::utimensat(AT_FDCWD, QFile::encodeName(it.next()).constData(), old, 0) == 0 && ok;
    return ok;
}

} // namespace

class tst_Shards : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void init();

    void npyHeaderLayout_data();
    void npyHeaderLayout();
    void npyRoundTrip_data();
    void npyRoundTrip();
    void npyErrorsNameTheFile_data();
    void npyErrorsNameTheFile();
    void decodeResized_data();
    void decodeResized();
    void splitRule_data();
    void splitRule();
    void shardKey_data();
    void shardKey();

    void readbackEqualsDecodedImages_data();
    void readbackEqualsDecodedImages();
    void classOrder_data();
    void classOrder();
    void duplicatesShareASplit_data();
    void duplicatesShareASplit();
    void sameCatalogSameBytes();
    void reuseTouchesNothing();
    void incompleteShardIsRebuilt();
    void asOfVersion();
    void errors_data();
    void errors();
    void unreadableFilesAreSkipped();
    void progressAndCancel();
    void numpyReadsTheFiles();

private:
    QString srcDir() const { return m_dir->filePath("src"); }
    void addImage(const QString &rel, const QByteArray &bytes, const std::string &label);
    ingest::IngestResult ingestInto(const std::string &table, const QString &source,
                                    ingest::LabelRule rule = ingest::LabelRule::Caltech);
    data::ShardSet materialise(const data::ShardSpec &spec);
    /** Checks every file of `set` against `files` (the images that must be in it). */
    void verifyShard(const data::ShardSet &set, const std::vector<Source> &files, double valFraction);
    std::vector<Source> without(std::initializer_list<std::string> paths) const;
    QStringList shardFolders() const;

    std::unique_ptr<QTemporaryDir> m_dir;
    std::optional<store::Workspace> m_ws;
    std::vector<Source> m_files;
};

void tst_Shards::addImage(const QString &rel, const QByteArray &bytes, const std::string &label)
{
    QVERIFY(!bytes.isEmpty());
    QVERIFY(test::writeFile(srcDir() + "/" + rel, bytes));
    const QString canonical = QFileInfo(srcDir()).canonicalFilePath() + "/" + rel;
    m_files.push_back({canonical.toStdString(), bytes, label});
}

// Three Caltech classes of 40 images each, in every shape the decoder meets: gray and colour, with alpha,
// 16-bit, PNG/JPEG/BMP, exactly the target size, shrunk, grown, and shrunk one way and grown the other.
// One image is there twice, under two paths.
void tst_Shards::init()
{
    m_dir = std::make_unique<QTemporaryDir>();
    QVERIFY(m_dir->isValid());
    m_ws = store::Workspace::open(m_dir->filePath("ws").toStdString());
    m_files.clear();
    const char *folders[] = {"001.red", "002.green", "003.blue"};
    for (int c = 0; c < 3; ++c) {
        const std::string label = std::string(folders[c]).substr(4);
        for (int i = 0; i < 40; ++i) {
            const int seed = c * 100 + i;
            const QString base = QStringLiteral("%1/img%2").arg(folders[c]).arg(i, 3, 10, QChar('0'));
            switch (i % 8) {
            case 0: addImage(base + ".png", test::encodeImage("png", 28, 28, 1, seed), label); break;
            case 1: addImage(base + ".png", test::encodeImage("png", 28, 28, 3, seed), label); break;
            case 2: addImage(base + ".png", test::encodeImage("png", 84, 84, 3, seed), label); break;
            case 3: addImage(base + ".jpg", test::encodeImage("jpg", 100, 70, 3, seed), label); break;
            case 4: addImage(base + ".png", test::encodeImage("png", 14, 14, 1, seed), label); break;
            case 5: addImage(base + ".bmp", test::encodeImage("bmp", 40, 20, 3, seed), label); break;
            case 6: addImage(base + ".png", test::encodeImage("png", 30, 30, 4, seed), label); break;
            default: addImage(base + ".png", png16(20, 36, seed), label); break;
            }
            if (QTest::currentTestFailed())
                return;
        }
    }
    addImage("001.red/again/img000-copy.png", m_files.front().bytes, "red");
    const auto r = ingestInto("images", srcDir());
    QCOMPARE(r.added, 121);
    QCOMPARE(r.rejected, 0);
    QCOMPARE(r.version, 1);
}

ingest::IngestResult tst_Shards::ingestInto(const std::string &table, const QString &source, ingest::LabelRule rule)
{
    ingest::IngestOptions o;
    o.source = source.toStdString();
    o.table = table;
    o.labels = rule;
    return ingest::ingest(*m_ws, o);
}

data::ShardSet tst_Shards::materialise(const data::ShardSpec &spec)
{
    return data::materialise(*m_ws, spec);
}

std::vector<Source> tst_Shards::without(std::initializer_list<std::string> paths) const
{
    std::vector<Source> out;
    for (const Source &s : m_files) {
        if (std::find(paths.begin(), paths.end(), s.path) == paths.end())
            out.push_back(s);
    }
    return out;
}

QStringList tst_Shards::shardFolders() const
{
    return QDir(QString::fromStdString(m_ws->shardsDir()))
        .entryList(QDir::Dirs | QDir::Files | QDir::Hidden | QDir::NoDotAndDotDot, QDir::Name);
}

void tst_Shards::verifyShard(const data::ShardSet &set, const std::vector<Source> &files, double valFraction)
{
    const int size = set.imageSize;
    const int ch = set.channels;
    QVERIFY(ch == 1 || ch == 3);
    QCOMPARE(readLines(shardFile(set, "classes.txt")), toQt(set.classes));

    // The expected rows: each split sorted by path.
    std::vector<const Source *> expected[2];
    for (const Source &s : files)
        expected[expectValidation(s.bytes, valFraction)].push_back(&s);
    for (auto &split : expected)
        std::sort(split.begin(), split.end(), [](const Source *a, const Source *b) { return a->path < b->path; });
    QCOMPARE(set.trainCount, qint64(expected[0].size()));
    QCOMPARE(set.valCount, qint64(expected[1].size()));

    const char *imageFiles[2] = {"train_images.npy", "val_images.npy"};
    const char *labelFiles[2] = {"train_labels.npy", "val_labels.npy"};
    for (int split = 0; split < 2; ++split) {
        const data::NpyFile images(shardFile(set, imageFiles[split]).toStdString());
        const data::NpyFile labels(shardFile(set, labelFiles[split]).toStdString());
        const auto n = qint64(expected[split].size());
        QCOMPARE(images.shape(), (std::vector<std::int64_t>{n, size, size, ch}));
        QCOMPARE(labels.shape(), (std::vector<std::int64_t>{n}));
        QCOMPARE(images.header().dataOffset % 64, std::size_t(0));
        const std::uint8_t *pixels = images.values<std::uint8_t>();
        const std::int64_t *ids = labels.values<std::int64_t>();
        const std::size_t rowBytes = std::size_t(size) * std::size_t(size) * std::size_t(ch);
        for (qint64 row = 0; row < n; ++row) {
            const Source &src = *expected[split][std::size_t(row)];
            const cv::Mat want = reference(src.bytes, size, ch);
            QVERIFY2(!want.empty(), src.path.c_str());
            QCOMPARE(std::size_t(want.total() * want.elemSize()), rowBytes);
            const std::uint8_t *got = pixels + std::size_t(row) * rowBytes;
            const auto differing = std::inner_product(got, got + rowBytes, want.data, std::size_t(0), std::plus<>(),
                                                      [](std::uint8_t a, std::uint8_t b) { return a != b; });
            QVERIFY2(differing == 0, qPrintable(QStringLiteral("%1 row %2 (%3): %4 of %5 bytes differ")
                                                    .arg(imageFiles[split])
                                                    .arg(row)
                                                    .arg(QString::fromStdString(src.path))
                                                    .arg(differing)
                                                    .arg(rowBytes)));
            QVERIFY2(ids[row] >= 0 && ids[row] < qint64(set.classes.size()), src.path.c_str());
            QCOMPARE(set.classes[std::size_t(ids[row])], src.label);
        }
    }

    // The manifest describes the folder.
    QFile f(shardFile(set, "manifest.json"));
    QVERIFY(f.open(QIODevice::ReadOnly));
    const QJsonObject m = QJsonDocument::fromJson(f.readAll()).object();
    QCOMPARE(m.value("data_version").toInteger(), set.dataVersion);
    QCOMPARE(m.value("image_size").toInt(), size);
    QCOMPARE(m.value("channels").toInt(), ch);
    QCOMPARE(m.value("val_fraction").toDouble(), valFraction);
    QCOMPARE(m.value("counts").toObject().value("train").toInteger(), set.trainCount);
    QCOMPARE(m.value("counts").toObject().value("val").toInteger(), set.valCount);
    QCOMPARE(m.value("classes").toVariant().toStringList(), toQt(set.classes));
    QVERIFY(!m.value("created").toString().isEmpty());
}

// ---------------------------------------------------------------------------------------------------
// .npy

void tst_Shards::npyHeaderLayout_data()
{
    QTest::addColumn<data::NpyType>("type");
    QTest::addColumn<std::vector<std::int64_t>>("shape");
    QTest::addColumn<QByteArray>("dict");
    QTest::newRow("u1 2x3") << data::NpyType::UInt8 << std::vector<std::int64_t>{2, 3}
                            << QByteArray("{'descr': '|u1', 'fortran_order': False, 'shape': (2, 3), }");
    QTest::newRow("i8 1-d") << data::NpyType::Int64 << std::vector<std::int64_t>{5}
                            << QByteArray("{'descr': '<i8', 'fortran_order': False, 'shape': (5,), }");
    QTest::newRow("f4 0-d") << data::NpyType::Float32 << std::vector<std::int64_t>{}
                            << QByteArray("{'descr': '<f4', 'fortran_order': False, 'shape': (), }");
    QTest::newRow("u1 images") << data::NpyType::UInt8 << std::vector<std::int64_t>{60000, 28, 28, 1}
                               << QByteArray("{'descr': '|u1', 'fortran_order': False, 'shape': (60000, 28, 28, 1), }");
}

void tst_Shards::npyHeaderLayout()
{
    QFETCH(data::NpyType, type);
    QFETCH(std::vector<std::int64_t>, shape);
    QFETCH(QByteArray, dict);
    const std::string h = data::encodeNpyHeader(type, shape);
    QCOMPARE(h.size() % 64, std::size_t(0));
    QCOMPARE(QByteArray::fromStdString(h.substr(0, 8)), QByteArray("\x93NUMPY\x01\x00", 8));
    const std::size_t len = std::uint8_t(h[8]) | (std::size_t(std::uint8_t(h[9])) << 8);
    QCOMPARE(len + 10, h.size());
    QCOMPARE(QByteArray::fromStdString(h.substr(10, std::size_t(dict.size()))), dict);
    QCOMPARE(h.back(), '\n');
    QVERIFY(h.find_first_not_of(' ', 10 + std::size_t(dict.size())) == h.size() - 1); // spaces, then '\n'

    const auto parsed = data::parseNpyHeader(reinterpret_cast<const unsigned char *>(h.data()), h.size(), "mem");
    QCOMPARE(parsed.type, type);
    QCOMPARE(parsed.shape, shape);
    QCOMPARE(parsed.dataOffset, h.size());

    // Padded to a longer length on request (what truncateRows relies on).
    const std::string longer = data::encodeNpyHeader(type, shape, h.size() + 128);
    QCOMPARE(longer.size(), h.size() + 128);
    QCOMPARE(data::parseNpyHeader(reinterpret_cast<const unsigned char *>(longer.data()), longer.size(), "mem").shape,
             shape);
}

void tst_Shards::npyRoundTrip_data()
{
    QTest::addColumn<data::NpyType>("type");
    QTest::addColumn<std::vector<std::int64_t>>("shape");
    QTest::addColumn<int>("truncateTo"); // -1: keep every row
    QTest::newRow("u1 4x3x2") << data::NpyType::UInt8 << std::vector<std::int64_t>{4, 3, 2} << -1;
    QTest::newRow("i8 10 -> 7") << data::NpyType::Int64 << std::vector<std::int64_t>{10} << 7;
    QTest::newRow("f4 0 rows") << data::NpyType::Float32 << std::vector<std::int64_t>{0, 5} << -1;
    QTest::newRow("u1 -> 0 rows") << data::NpyType::UInt8 << std::vector<std::int64_t>{3, 2} << 0;
    QTest::newRow("u1 10000 -> 999") << data::NpyType::UInt8 << std::vector<std::int64_t>{10000, 9} << 999;
}

void tst_Shards::npyRoundTrip()
{
    QFETCH(data::NpyType, type);
    QFETCH(std::vector<std::int64_t>, shape);
    QFETCH(int, truncateTo);
    const std::string path = m_dir->filePath("a.npy").toStdString();
    data::NpyWriter w(path, type, shape);
    QCOMPARE(w.rows(), shape[0]);
    // Every byte gets a value that depends on its position; rows are filled from two threads.
    const std::size_t bytes = std::size_t(w.rows()) * w.rowBytes();
    std::thread other([&] {
        for (std::int64_t r = 1; r < w.rows(); r += 2)
            for (std::size_t b = 0; b < w.rowBytes(); ++b)
                w.row(r)[b] = std::uint8_t((std::size_t(r) * w.rowBytes() + b) * 7 + 1);
    });
    for (std::int64_t r = 0; r < w.rows(); r += 2)
        for (std::size_t b = 0; b < w.rowBytes(); ++b)
            w.row(r)[b] = std::uint8_t((std::size_t(r) * w.rowBytes() + b) * 7 + 1);
    other.join();
    std::vector<std::int64_t> want = shape;
    if (truncateTo >= 0) {
        w.truncateRows(truncateTo);
        want[0] = truncateTo;
    }
    w.finish();

    const data::NpyFile f(path);
    QCOMPARE(f.type(), type);
    QCOMPARE(f.shape(), want);
    QCOMPARE(f.header().dataOffset % 64, std::size_t(0));
    QCOMPARE(QFileInfo(QString::fromStdString(path)).size(), qint64(f.header().dataOffset + f.dataBytes()));
    QVERIFY(f.dataBytes() <= bytes);
    for (std::size_t b = 0; b < f.dataBytes(); ++b) {
        if (f.data()[b] != std::uint8_t(b * 7 + 1))
            QFAIL(qPrintable(QStringLiteral("byte %1 differs").arg(b)));
    }
    QCOMPARE(data::readNpyHeader(path).shape, want);
}

void tst_Shards::npyErrorsNameTheFile_data()
{
    QTest::addColumn<QByteArray>("content");
    QTest::addColumn<QString>("error");
    auto file = [](const char *dict, int dataBytes, char major = 1) {
        QByteArray h = QByteArray("\x93NUMPY", 6) + char(major) + char(0);
        const QByteArray d = QByteArray(dict) + '\n';
        h += char(d.size() & 0xFF);
        h += char(d.size() >> 8);
        if (major != 1)
            h += QByteArray(2, '\0');
        return h + d + QByteArray(dataBytes, 'x');
    };
    QTest::newRow("not npy") << QByteArray("hello, this is text") << "not a .npy file";
    QTest::newRow("empty") << QByteArray() << "not a .npy file";
    QTest::newRow("fortran") << file("{'descr': '|u1', 'fortran_order': True, 'shape': (2,), }", 2)
                             << "fortran_order is True";
    QTest::newRow("dtype") << file("{'descr': '<i4', 'fortran_order': False, 'shape': (2,), }", 8)
                           << "dtype '<i4' is not supported";
    QTest::newRow("big-endian") << file("{'descr': '>i8', 'fortran_order': False, 'shape': (2,), }", 16)
                                << "dtype '>i8' is not supported";
    QTest::newRow("truncated data") << file("{'descr': '<i8', 'fortran_order': False, 'shape': (2, 3), }", 40)
                                    << "the header announces 48 bytes of data, the file holds 40";
    QTest::newRow("no shape") << file("{'descr': '|u1', 'fortran_order': False, }", 2) << "lacks";
    QTest::newRow("bad shape") << file("{'descr': '|u1', 'fortran_order': False, 'shape': (2, -1), }", 2)
                               << "expected a dimension";
    QTest::newRow("version 9") << file("{'descr': '|u1', 'fortran_order': False, 'shape': (2,), }", 2, 9)
                               << "format version 9.0 is not supported";
    QTest::newRow("version 2 is read") << file("{'descr': '|u1', 'fortran_order': False, 'shape': (2,), }", 2, 2)
                                       << QString();
}

void tst_Shards::npyErrorsNameTheFile()
{
    QFETCH(QByteArray, content);
    QFETCH(QString, error);
    const QString path = m_dir->filePath("bad file.npy");
    QVERIFY(test::writeFile(path, content));
    try {
        const data::NpyFile f(path.toStdString());
        QVERIFY2(error.isEmpty(), "no error");
        QCOMPARE(f.shape(), (std::vector<std::int64_t>{2}));
        QVERIFY_THROWS_EXCEPTION(std::runtime_error, f.values<float>());
    } catch (const std::runtime_error &e) {
        const QString message = QString::fromUtf8(e.what());
        QVERIFY2(!error.isEmpty(), qPrintable(message));
        QVERIFY2(message.contains(path), qPrintable(message));
        QVERIFY2(message.contains(error), qPrintable(message));
    }
}

// ---------------------------------------------------------------------------------------------------
// The codec module's entry point

void tst_Shards::decodeResized_data()
{
    QTest::addColumn<QByteArray>("bytes");
    QTest::addColumn<int>("size");
    QTest::addColumn<int>("channels");
    QTest::addColumn<QByteArray>("pixel"); // every pixel's bytes; empty: must fail
    cv::Mat bgr(12, 20, CV_8UC3, cv::Scalar(10, 20, 30)); // B, G, R
    cv::Mat gray16(28, 28, CV_16UC1, cv::Scalar(0x1234));
    QTest::newRow("rgb order, shrunk") << encode(bgr) << 8 << 3 << QByteArray("\x1e\x14\x0a", 3);
    QTest::newRow("rgb order, grown") << encode(bgr) << 40 << 3 << QByteArray("\x1e\x14\x0a", 3);
    QTest::newRow("16-bit to 8, same size") << encode(gray16) << 28 << 1 << QByteArray("\x12", 1);
    QTest::newRow("16-bit to 8, rgb") << encode(gray16) << 16 << 3 << QByteArray("\x12\x12\x12", 3);
    QTest::newRow("not an image") << QByteArray("definitely not an image") << 28 << 1 << QByteArray();
    const QByteArray png = test::encodeImage("png", 64, 64, 3, 1);
    QTest::newRow("truncated png") << png.left(png.size() / 2) << 28 << 3 << QByteArray();
    QTest::newRow("empty") << QByteArray() << 28 << 3 << QByteArray();
    QTest::newRow("two channels") << encode(bgr) << 28 << 2 << QByteArray();
    QTest::newRow("size 0") << encode(bgr) << 0 << 1 << QByteArray();
}

void tst_Shards::decodeResized()
{
    QFETCH(QByteArray, bytes);
    QFETCH(int, size);
    QFETCH(int, channels);
    QFETCH(QByteArray, pixel);
    const imaging::ModuleApi &api = imaging::module();
    QCOMPARE(api.abiVersion, imaging::kModuleAbiVersion);
    QVERIFY(api.abiVersion >= 2); // decodeResized is there since ABI 2
    QVERIFY(api.decodeResized);
    std::vector<unsigned char> out(std::size_t(std::max(size, 1)) * std::size_t(std::max(size, 1)) * 3 + 1, 0xEE);
    std::string error;
    const bool ok = api.decodeResized(reinterpret_cast<const unsigned char *>(bytes.constData()),
                                      std::size_t(bytes.size()), size, channels, out.data(), error);
    if (pixel.isEmpty()) {
        QVERIFY(!ok);
        QVERIFY(!error.empty());
        return;
    }
    QVERIFY2(ok, error.c_str());
    const std::size_t n = std::size_t(size) * std::size_t(size);
    for (std::size_t i = 0; i < n; ++i) {
        if (std::memcmp(out.data() + i * std::size_t(channels), pixel.constData(), std::size_t(channels)) != 0)
            QFAIL(qPrintable(QStringLiteral("pixel %1 differs").arg(i)));
    }
    QCOMPARE(out[n * std::size_t(channels)], 0xEE); // nothing written past the image
}

// ---------------------------------------------------------------------------------------------------
// Pure functions

void tst_Shards::splitRule_data()
{
    QTest::addColumn<QString>("hash");
    QTest::addColumn<double>("fraction");
    QTest::addColumn<bool>("validation");
    const QString zero = QString(64, '0');
    const QString half = "8" + QString(63, '0');
    const QString top = QString(64, 'f');
    QTest::newRow("0 < 0.1") << zero << 0.1 << true;
    QTest::newRow("0 < 0 is false") << zero << 0.0 << false;
    QTest::newRow("0.5 < 0.5 is false") << half << 0.5 << false;
    QTest::newRow("0.5 < 0.51") << half << 0.51 << true;
    QTest::newRow("max never") << top << 0.9 << false;
    QTest::newRow("16 digits count") << ("4000000000000000" + QString(48, 'f')) << 0.3 << true;
}

void tst_Shards::splitRule()
{
    QFETCH(QString, hash);
    QFETCH(double, fraction);
    QFETCH(bool, validation);
    QCOMPARE(data::isValidation(hash.toStdString(), fraction), validation);
    QVERIFY_THROWS_EXCEPTION(std::invalid_argument, data::isValidation("12345", 0.5));
    QVERIFY_THROWS_EXCEPTION(std::invalid_argument, data::isValidation("zz" + std::string(62, '0'), 0.5));
}

void tst_Shards::shardKey_data()
{
    QTest::addColumn<QString>("table");
    QTest::addColumn<double>("fraction");
    QTest::addColumn<QString>("key");
    QTest::newRow("brief's example") << "fashion" << 0.1 << "fashion-v1-28px-1ch-val0.10";
    QTest::newRow("zero") << "fashion" << 0.0 << "fashion-v1-28px-1ch-val0.00";
    QTest::newRow("three decimals") << "fashion" << 0.125 << "fashion-v1-28px-1ch-val0.125";
    QTest::newRow("dots and dashes") << "fashion-test.v2" << 0.5 << "fashion-test.v2-v1-28px-1ch-val0.50";
}

void tst_Shards::shardKey()
{
    QFETCH(QString, table);
    QFETCH(double, fraction);
    QFETCH(QString, key);
    QCOMPARE(QString::fromStdString(data::shardKey(table.toStdString(), 1, 28, 1, fraction)), key);
    // Names that are not plain get cleaned, and a hash keeps them apart.
    const std::string a = data::shardKey("my table", 3, 64, 3, 0.2);
    const std::string b = data::shardKey("my/table", 3, 64, 3, 0.2);
    QVERIFY2(QString::fromStdString(a).startsWith("my_table~"), a.c_str());
    QVERIFY2(QString::fromStdString(a).endsWith("-v3-64px-3ch-val0.20"), a.c_str());
    QVERIFY(a != b);
    QVERIFY(data::shardKey(".hidden", 1, 28, 1, 0.1)[0] != '.');
}

// ---------------------------------------------------------------------------------------------------
// Materialising

void tst_Shards::readbackEqualsDecodedImages_data()
{
    QTest::addColumn<int>("size");
    QTest::addColumn<int>("channels");
    QTest::addColumn<double>("fraction");
    QTest::addColumn<int>("threads");
    QTest::addColumn<int>("expectedChannels");
    QTest::newRow("28 px, channels auto (mixed: 3)") << 28 << 0 << 0.1 << 0 << 3;
    QTest::newRow("28 px gray, 1 thread") << 28 << 1 << 0.1 << 1 << 1;
    QTest::newRow("16 px rgb, 3 threads") << 16 << 3 << 0.25 << 3 << 3;
    QTest::newRow("64 px rgb, half validation") << 64 << 3 << 0.5 << 2 << 3;
    QTest::newRow("8 px gray, no validation") << 8 << 1 << 0.0 << 0 << 1;
    QTest::newRow("20 px rgb, 0.9 validation") << 20 << 3 << 0.9 << 0 << 3;
}

void tst_Shards::readbackEqualsDecodedImages()
{
    QFETCH(int, size);
    QFETCH(int, channels);
    QFETCH(double, fraction);
    QFETCH(int, threads);
    QFETCH(int, expectedChannels);
    data::ShardSpec spec;
    spec.imageSize = size;
    spec.channels = channels;
    spec.valFraction = fraction;
    spec.threads = threads;
    const auto set = materialise(spec);
    QVERIFY(!set.reused);
    QVERIFY(set.skipped.empty());
    QCOMPARE(set.dataVersion, 1);
    QCOMPARE(set.channels, expectedChannels);
    QCOMPARE(toQt(set.classes), (QStringList{"red", "green", "blue"})); // Caltech order, not by name
    QCOMPARE(QFileInfo(QString::fromStdString(set.dir)).fileName(),
             QString::fromStdString(data::shardKey("images", 1, size, expectedChannels, fraction)));
    QCOMPARE(QFileInfo(QString::fromStdString(set.dir)).absolutePath(), QString::fromStdString(m_ws->shardsDir()));
    VERIFY_SHARD(set, m_files, fraction);
    QCOMPARE(shardFolders(), QStringList{QFileInfo(QString::fromStdString(set.dir)).fileName()}); // no temporaries
}

void tst_Shards::classOrder_data()
{
    QTest::addColumn<ingest::LabelRule>("rule");
    QTest::addColumn<QStringList>("folders");
    QTest::addColumn<QStringList>("classes");
    QTest::newRow("caltech: by number") << ingest::LabelRule::Caltech
                                        << QStringList{"002.zebra", "010.apple", "003.mango"}
                                        << QStringList{"zebra", "mango", "apple"};
    QTest::newRow("folder: by name") << ingest::LabelRule::Folder << QStringList{"zebra", "apple", "mango"}
                                     << QStringList{"apple", "mango", "zebra"};
}

void tst_Shards::classOrder()
{
    QFETCH(ingest::LabelRule, rule);
    QFETCH(QStringList, folders);
    QFETCH(QStringList, classes);
    m_files.clear();
    const QString root = m_dir->filePath("order");
    QVERIFY(QDir().mkpath(root));
    const QString canonicalRoot = QFileInfo(root).canonicalFilePath();
    int seed = 1000;
    for (const QString &folder : folders) {
        const std::string label = (rule == ingest::LabelRule::Caltech ? folder.mid(4) : folder).toStdString();
        for (int i = 0; i < 6; ++i) {
            const QString rel = folder + QStringLiteral("/%1.png").arg(i);
            const QByteArray bytes = test::encodeImage("png", 12, 12, 1, seed++);
            QVERIFY(test::writeFile(root + "/" + rel, bytes));
            m_files.push_back({(canonicalRoot + "/" + rel).toStdString(), bytes, label});
        }
    }
    QCOMPARE(ingestInto("order", root, rule).added, 18);
    data::ShardSpec spec;
    spec.table = "order";
    spec.imageSize = 12;
    spec.valFraction = 0.3;
    const auto set = materialise(spec);
    QCOMPARE(toQt(set.classes), classes);
    QCOMPARE(set.channels, 1); // every image is gray
    QCOMPARE(set.dataVersion, 2);
    VERIFY_SHARD(set, m_files, 0.3);
}

void tst_Shards::duplicatesShareASplit_data()
{
    QTest::addColumn<double>("fraction");
    for (const double f : {0.1, 0.3, 0.5, 0.7, 0.9})
        QTest::addRow("val %g", f) << f;
}

void tst_Shards::duplicatesShareASplit()
{
    QFETCH(double, fraction);
    data::ShardSpec spec;
    spec.valFraction = fraction;
    spec.channels = 1;
    const auto set = materialise(spec);
    // Count the rows equal to the duplicated image in each split: both copies in one, none in the other.
    const cv::Mat dup = reference(m_files.front().bytes, 28, 1);
    int found[2] = {0, 0};
    const char *files[2] = {"train_images.npy", "val_images.npy"};
    for (int split = 0; split < 2; ++split) {
        const data::NpyFile f(shardFile(set, files[split]).toStdString());
        for (std::int64_t r = 0; r < f.shape()[0]; ++r)
            found[split] += std::memcmp(f.data() + r * 28 * 28, dup.data, 28 * 28) == 0;
    }
    QVERIFY2((found[0] == 2 && found[1] == 0) || (found[0] == 0 && found[1] == 2),
             qPrintable(QStringLiteral("train %1, val %2").arg(found[0]).arg(found[1])));
    QCOMPARE(found[1] == 2, expectValidation(m_files.front().bytes, fraction));
}

// The same images in another workspace give byte-identical shards (only the manifest's time differs).
void tst_Shards::sameCatalogSameBytes()
{
    data::ShardSpec spec;
    spec.imageSize = 24;
    spec.valFraction = 0.4;
    const auto a = materialise(spec);
    const auto ws2 = store::Workspace::open(m_dir->filePath("ws2").toStdString());
    ingest::IngestOptions o;
    o.source = srcDir().toStdString();
    QCOMPARE(ingest::ingest(ws2, o).added, 121);
    spec.threads = 1; // another schedule, the same result
    const auto b = data::materialise(ws2, spec);
    QCOMPARE(QFileInfo(QString::fromStdString(a.dir)).fileName(), QFileInfo(QString::fromStdString(b.dir)).fileName());
    for (const char *name :
         {"train_images.npy", "train_labels.npy", "val_images.npy", "val_labels.npy", "classes.txt"}) {
        QFile fa(shardFile(a, name)), fb(shardFile(b, name));
        QVERIFY(fa.open(QIODevice::ReadOnly) && fb.open(QIODevice::ReadOnly));
        QVERIFY2(fa.readAll() == fb.readAll(), name);
    }
    QFile ma(shardFile(a, "manifest.json")), mb(shardFile(b, "manifest.json"));
    QVERIFY(ma.open(QIODevice::ReadOnly) && mb.open(QIODevice::ReadOnly));
    QJsonObject ja = QJsonDocument::fromJson(ma.readAll()).object();
    QJsonObject jb = QJsonDocument::fromJson(mb.readAll()).object();
    ja.remove("created");
    jb.remove("created");
    QCOMPARE(ja, jb);
}

void tst_Shards::reuseTouchesNothing()
{
    const data::ShardSpec spec;
    const auto first = materialise(spec);
    QVERIFY(!first.reused);
    const QString shards = QString::fromStdString(m_ws->shardsDir());
    QVERIFY(ageAll(shards)); // a rewrite then shows in the mtimes
    const auto before = snapshot(shards);
    QVERIFY(before.size() >= 6);

    // With every source file gone, a decode could only fail: reuse must not need one.
    QVERIFY(QDir(srcDir()).removeRecursively());
    const auto second = materialise(spec);
    QVERIFY(second.reused);
    QCOMPARE(second.dir, first.dir);
    QCOMPARE(second.dataVersion, first.dataVersion);
    QCOMPARE(second.channels, first.channels);
    QCOMPARE(second.classes, first.classes);
    QCOMPARE(second.trainCount, first.trainCount);
    QCOMPARE(second.valCount, first.valCount);
    QVERIFY(second.skipped.empty());
    QVERIFY(snapshot(shards) == before);

    // Another request of the same table is not a reuse: it needs the files.
    data::ShardSpec other = spec;
    other.imageSize = 32;
    try {
        materialise(other);
        QFAIL("materialised without any source file");
    } catch (const std::runtime_error &e) {
        QVERIFY2(QString(e.what()).contains("none of the 121 labeled images of table 'images' as of version 1"),
                 e.what());
    }
    QVERIFY(snapshot(shards) == before); // and the failure left nothing behind
}

void tst_Shards::incompleteShardIsRebuilt()
{
    const data::ShardSpec spec;
    const auto first = materialise(spec);
    // A folder under the real name that lacks a file, or whose manifest does not match, is not complete.
    for (const char *broken : {"val_labels.npy", "manifest.json"}) {
        QVERIFY(QFile::remove(shardFile(first, broken)));
        const auto again = materialise(spec);
        QVERIFY2(!again.reused, broken);
        QCOMPARE(again.dir, first.dir);
        VERIFY_SHARD(again, m_files, spec.valFraction);
    }
    QVERIFY(test::writeFile(shardFile(first, "train_images.npy"), "truncated"));
    const auto again = materialise(spec);
    QVERIFY(!again.reused);
    VERIFY_SHARD(again, m_files, spec.valFraction);
    QCOMPARE(shardFolders().size(), 1); // the replaced folder is gone
}

void tst_Shards::asOfVersion()
{
    data::ShardSpec spec;
    spec.valFraction = 0.3;
    const auto v1 = materialise(spec);

    // Version 2: ten more green images, a new class, and one changed red image.
    std::vector<Source> v1Files = m_files;
    for (int i = 0; i < 10; ++i)
        addImage(QStringLiteral("002.green/new%1.png").arg(i), test::encodeImage("png", 28, 28, 3, 500 + i), "green");
    for (int i = 0; i < 10; ++i)
        addImage(QStringLiteral("004.yellow/y%1.png").arg(i), test::encodeImage("png", 28, 28, 3, 600 + i), "yellow");
    const std::string changed = m_files[1].path;
    const QByteArray changedBytes = test::encodeImage("png", 28, 28, 3, 999);
    QVERIFY(test::writeFile(QString::fromStdString(changed), changedBytes));
    QVERIFY(test::touchFile(QString::fromStdString(changed), 100));
    m_files[1].bytes = changedBytes;
    const auto r = ingestInto("images", srcDir());
    QCOMPARE(r.version, 2);
    QCOMPARE(r.added, 20);
    QCOMPARE(r.updated, 1);

    // As of version 1: the shard made before is still right (it holds the bytes of version 1).
    spec.asOfVersion = 1;
    const auto old = materialise(spec);
    QVERIFY(old.reused);
    QCOMPARE(old.dataVersion, 1);
    QCOMPARE(old.dir, v1.dir);
    QCOMPARE(old.trainCount, v1.trainCount);
    QCOMPARE(old.valCount, v1.valCount);
    VERIFY_SHARD(old, v1Files, 0.3);

    // Made again now, the changed file's bytes are no longer those of version 1: it is left out.
    QVERIFY(QDir(QString::fromStdString(v1.dir)).removeRecursively());
    const auto remade = materialise(spec);
    QVERIFY(!remade.reused);
    QCOMPARE(remade.dataVersion, 1);
    QCOMPARE(toQt(remade.classes), (QStringList{"red", "green", "blue"}));
    QCOMPARE(remade.trainCount + remade.valCount, qint64(v1Files.size() - 1));
    QCOMPARE(remade.skipped.size(), std::size_t(1));
    QVERIFY2(QString::fromStdString(remade.skipped[0]).startsWith(QString::fromStdString(changed + ": changed since")),
             remade.skipped[0].c_str());
    std::vector<Source> v1Now;
    for (const Source &s : v1Files) {
        if (s.path != changed)
            v1Now.push_back(s);
    }
    VERIFY_SHARD(remade, v1Now, 0.3);

    // The latest version: everything, four classes; the images of both versions keep their split.
    spec.asOfVersion.reset();
    const auto latest = materialise(spec);
    QCOMPARE(latest.dataVersion, 2);
    QVERIFY(latest.dir != old.dir);
    QCOMPARE(latest.trainCount + latest.valCount, qint64(m_files.size()));
    QCOMPARE(toQt(latest.classes), (QStringList{"red", "green", "blue", "yellow"}));
    QVERIFY(latest.skipped.empty());
    VERIFY_SHARD(latest, m_files, 0.3);

    // Version 3 changes another table only: the shard of table images is still the one of version 2.
    const QString otherSrc = m_dir->filePath("other");
    QVERIFY(test::writeImage(otherSrc + "/001.a/x.png", 10, 10, 1, 1));
    QVERIFY(test::writeImage(otherSrc + "/002.b/y.png", 10, 10, 1, 2));
    QCOMPARE(ingestInto("other", otherSrc).version, 3);
    const auto after = materialise(spec);
    QVERIFY(after.reused);
    QCOMPARE(after.dataVersion, 2);
    QCOMPARE(after.dir, latest.dir);
    spec.asOfVersion = 3;
    QCOMPARE(materialise(spec).dir, latest.dir);
}

void tst_Shards::errors_data()
{
    QTest::addColumn<QString>("setup"); // "": the fixture only
    QTest::addColumn<QString>("table");
    QTest::addColumn<qint64>("asOf"); // -1: unset
    QTest::addColumn<int>("size");
    QTest::addColumn<double>("fraction");
    QTest::addColumn<int>("channels");
    QTest::addColumn<QString>("error");
    QTest::newRow("unknown table") << ""
                                   << "nope" << -1LL << 28 << 0.1 << 0 << "the catalog has no table 'nope'";
    QTest::newRow("empty table name") << ""
                                      << "" << -1LL << 28 << 0.1 << 0 << "table name is empty";
    QTest::newRow("version 99") << ""
                                << "images" << 99LL << 28 << 0.1 << 0 << "catalog version 99 does not exist";
    QTest::newRow("version 0") << ""
                               << "images" << 0LL << 28 << 0.1 << 0 << "catalog version 0 does not exist";
    QTest::newRow("size 7") << ""
                            << "images" << -1LL << 7 << 0.1 << 0 << "image size 7: must be 8 to 1024";
    QTest::newRow("size 1025") << ""
                               << "images" << -1LL << 1025 << 0.1 << 0 << "image size 1025";
    QTest::newRow("fraction -0.1") << ""
                                   << "images" << -1LL << 28 << -0.1 << 0 << "validation fraction -0.10";
    QTest::newRow("fraction 0.95") << ""
                                   << "images" << -1LL << 28 << 0.95 << 0 << "validation fraction 0.95";
    QTest::newRow("fraction nan") << ""
                                  << "images" << -1LL << 28 << std::numeric_limits<double>::quiet_NaN() << 0
                                  << "validation fraction nan";
    QTest::newRow("channels 2") << ""
                                << "images" << -1LL << 28 << 0.1 << 2 << "channels 2";
    QTest::newRow("no labels") << "unlabeled"
                               << "unlabeled" << -1LL << 28 << 0.1 << 0
                               << "table 'unlabeled' has no labeled images as of version 2";
    QTest::newRow("one class") << "single"
                               << "cats" << -1LL << 28 << 0.1 << 0
                               << "table 'cats' has only one class 'cat' as of version 2: training needs at least two";
    QTest::newRow("before the table existed")
        << "single"
        << "cats" << 1LL << 28 << 0.1 << 0 << "table 'cats' has no labeled images as of version 1";
}

void tst_Shards::errors()
{
    QFETCH(QString, setup);
    QFETCH(QString, table);
    QFETCH(qint64, asOf);
    QFETCH(int, size);
    QFETCH(double, fraction);
    QFETCH(int, channels);
    QFETCH(QString, error);
    if (setup == "unlabeled") {
        QCOMPARE(ingestInto("unlabeled", srcDir(), ingest::LabelRule::None).version, 2);
    } else if (setup == "single") {
        QVERIFY(test::writeImage(m_dir->filePath("single/001.cat/a.png"), 16, 16, 3, 1));
        QVERIFY(test::writeImage(m_dir->filePath("single/001.cat/b.png"), 16, 16, 3, 2));
        QCOMPARE(ingestInto("cats", m_dir->filePath("single")).version, 2);
    }
    data::ShardSpec spec;
    spec.table = table.toStdString();
    if (asOf >= 0)
        spec.asOfVersion = asOf;
    spec.imageSize = size;
    spec.valFraction = fraction;
    spec.channels = channels;
    try {
        materialise(spec);
        QFAIL("no error");
    } catch (const std::runtime_error &e) {
        QVERIFY2(QString::fromUtf8(e.what()).contains(error), e.what());
    }
    QCOMPARE(shardFolders(), QStringList()); // nothing left behind
}

void tst_Shards::unreadableFilesAreSkipped()
{
    // One file deleted, one whose bytes changed after the ingest (not re-ingested).
    const Source gone = m_files[43];
    const Source changed = m_files[84];
    QVERIFY(gone.path < changed.path);
    QVERIFY(QFile::remove(QString::fromStdString(gone.path)));
    QVERIFY(test::writeFile(QString::fromStdString(changed.path), "these are not the ingested bytes"));
    data::ShardSpec spec;
    spec.valFraction = 0.5;
    const auto set = materialise(spec);
    QVERIFY(!set.reused);
    QCOMPARE(set.skipped.size(), std::size_t(2));
    QCOMPARE(toQt(set.skipped),
             (QStringList{QString::fromStdString(gone.path) + ": cannot read: No such file or directory",
                          QString::fromStdString(changed.path)
                              + ": changed since it was ingested (its content hash differs from the catalog's)"}));
    VERIFY_SHARD(set, without({gone.path, changed.path}), 0.5); // compacted: no hole, order kept

    // Still gone: the shard is reused, and says what it lacks.
    const auto reused = materialise(spec);
    QVERIFY(reused.reused);
    QCOMPARE(reused.skipped, set.skipped);

    // The missing file is back: the shard is made again, with it.
    QVERIFY(test::writeFile(QString::fromStdString(gone.path), gone.bytes));
    const auto rebuilt = materialise(spec);
    QVERIFY(!rebuilt.reused);
    QCOMPARE(rebuilt.dir, set.dir);
    QCOMPARE(rebuilt.skipped.size(), std::size_t(1));
    VERIFY_SHARD(rebuilt, without({changed.path}), 0.5);
    QVERIFY(materialise(spec).reused); // a changed file does not force a rebuild every time
}

void tst_Shards::progressAndCancel()
{
    std::vector<std::pair<std::int64_t, std::int64_t>> calls;
    const auto set = data::materialise(*m_ws, data::ShardSpec{},
                                       [&](std::int64_t done, std::int64_t total) { calls.emplace_back(done, total); });
    QVERIFY(!calls.empty());
    QCOMPARE(calls.back(), (std::pair<std::int64_t, std::int64_t>{121, 121}));
    for (std::size_t i = 0; i < calls.size(); ++i) {
        QCOMPARE(calls[i].second, 121);
        QVERIFY(calls[i].first <= calls[i].second);
        QVERIFY(i == 0 || calls[i].first >= calls[i - 1].first);
    }
    QVERIFY(QDir(QString::fromStdString(set.dir)).removeRecursively());

    const std::atomic<bool> cancel{true};
    data::ShardSpec spec;
    spec.imageSize = 40;
    try {
        data::materialise(*m_ws, spec, {}, &cancel);
        QFAIL("not cancelled");
    } catch (const data::MaterialiseCancelled &e) {
        QVERIFY2(QString(e.what()).contains("cancelled"), e.what());
    }
    QCOMPARE(shardFolders(), QStringList()); // no folder, no temporary
}

// numpy reads every array the way it was written, and a file numpy writes reads back here.
void tst_Shards::numpyReadsTheFiles()
{
    const QString python = "/usr/bin/python3";
    QVERIFY2(QFileInfo::exists(python), "no /usr/bin/python3 (packaging/install-deps.sh installs python3-numpy)");
    data::ShardSpec spec;
    spec.valFraction = 0.2;
    const auto set = materialise(spec);
    QCOMPARE(set.channels, 3);
    auto numpy = [&](const QString &script, const QStringList &args) {
        QProcess p;
        p.start(python, QStringList{"-c", script} + args);
        if (!p.waitForFinished(60000) || p.exitCode() != 0)
            return QStringLiteral("failed: ") + QString::fromUtf8(p.readAllStandardError());
        return QString::fromUtf8(p.readAllStandardOutput()).trimmed();
    };
    const QString describe = "import sys, numpy\n"
                             "a = numpy.load(sys.argv[1])\n"
                             "print(a.shape, a.dtype, int(a.astype(numpy.int64).sum()))";
    for (const char *name : {"train_images.npy", "train_labels.npy", "val_images.npy", "val_labels.npy"}) {
        const data::NpyFile f(shardFile(set, name).toStdString());
        qint64 sum = 0;
        QString shape;
        if (f.type() == data::NpyType::UInt8) {
            for (std::size_t i = 0; i < f.dataBytes(); ++i)
                sum += f.data()[i];
            shape = QStringLiteral("(%1, 28, 28, 3) uint8").arg(f.shape()[0]);
        } else {
            for (std::int64_t i = 0; i < f.shape()[0]; ++i)
                sum += f.values<std::int64_t>()[i];
            shape = QStringLiteral("(%1,) int64").arg(f.shape()[0]);
        }
        QCOMPARE(numpy(describe, {shardFile(set, name)}), QStringLiteral("%1 %2").arg(shape).arg(sum));
    }

    const QString written = m_dir->filePath("from-numpy.npy");
    QCOMPARE(numpy("import sys, numpy\n"
                   "numpy.save(sys.argv[1], numpy.arange(12, dtype='<i8').reshape(3, 4))\n"
                   "numpy.save(sys.argv[1] + '.f4.npy', numpy.full((2, 2), 0.5, dtype='<f4'))\n"
                   "print('ok')",
                   {written}),
             QString("ok"));
    const data::NpyFile ints(written.toStdString());
    QCOMPARE(ints.shape(), (std::vector<std::int64_t>{3, 4}));
    QCOMPARE(ints.values<std::int64_t>()[11], 11);
    const data::NpyFile floats((written + ".f4.npy").toStdString());
    QCOMPARE(floats.shape(), (std::vector<std::int64_t>{2, 2}));
    QCOMPARE(floats.values<float>()[3], 0.5f);
}

QTEST_GUILESS_MAIN(tst_Shards)
#include "tst_shards.moc"
