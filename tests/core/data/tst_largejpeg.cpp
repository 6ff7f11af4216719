// 12-megapixel JPEGs made from Debian's wallpaper photographs: ingest validates and thumbnails them and shards
// materialise them through libjpeg's reduced decode, never at full size. The codec module's decode counters
// (how many decodes at full size, how many reduced, how many pixels) say which path ran; the pixels are
// checked against a full-size decode resized the plain way.
#include "core/catalog/ThumbnailStore.h"
#include "core/data/Npy.h"
#include "core/data/Shards.h"
#include "core/demo/DemoPhotos.h"
#include "core/imaging/ImagingModule.h"
#include "core/ingest/ImageProbe.h"
#include "core/ingest/Ingestor.h"
#include "core/store/Database.h"
#include "core/store/Workspace.h"

#include <QDir>
#include <QTemporaryDir>
#include <QTest>

#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <memory>
#include <optional>
#include <string>
#include <vector>

using namespace pw;

namespace {

constexpr int kLong = 4000, kShort = 3000; // 12 megapixels, as a phone camera writes them

// A synthesised photo: its file, and whether it is stored gray or upright (portrait).
struct BigPhoto
{
    std::string path;
    bool gray = false;
    bool portrait = false;
};

imaging::DecodeCounts counts()
{
    return imaging::module().decodeCounts();
}

// The mean absolute difference of two 8-bit images of one size and type.
double meanDifference(const cv::Mat &a, const cv::Mat &b)
{
    cv::Mat d;
    cv::absdiff(a, b, d);
    const cv::Scalar s = cv::mean(d);
    return (s[0] + s[1] + s[2] + s[3]) / a.channels();
}

// What a full-size decode gives, resized to cols x rows with INTER_AREA: the reference for a reduced path.
cv::Mat fullSizeResized(const std::string &path, int cols, int rows, int flags)
{
    const cv::Mat full = cv::imread(path, flags);
    cv::Mat out;
    if (!full.empty())
        cv::resize(full, out, cv::Size(cols, rows), 0, 0, cv::INTER_AREA);
    return out;
}

} // namespace

class tst_LargeJpeg : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void probeScale_data();
    void probeScale();
    void ingestDecodesReduced();
    void shardsDecodeReduced_data();
    void shardsDecodeReduced();

private:
    std::unique_ptr<QTemporaryDir> m_dir;
    std::optional<store::Workspace> m_ws;
    std::vector<BigPhoto> m_photos; // sorted by path, as the shards order rows
    cv::Mat m_source; // one photograph at its own size, for probeScale
};

void tst_LargeJpeg::initTestCase()
{
    const auto &sources = demo::photoSources();
    if (!QFile::exists(QString::fromStdString(sources.front().path)))
        QFAIL("mate-backgrounds is not installed: run packaging/install-deps.sh");
    m_dir = std::make_unique<QTemporaryDir>();
    QVERIFY(m_dir->isValid());
    // Four photographs, three 12-megapixel JPEGs each: landscape, mirrored and gray, portrait.
    for (int k : {0, 3, 6, 10}) {
        const cv::Mat photo = cv::imread(sources[std::size_t(k)].path, cv::IMREAD_COLOR);
        QVERIFY2(!photo.empty(), sources[std::size_t(k)].path.c_str());
        if (m_source.empty())
            m_source = photo;
        const QString folder = m_dir->filePath("src/" + QString::fromStdString(sources[std::size_t(k)].label));
        QVERIFY(QDir().mkpath(folder));
        cv::Mat big;
        cv::resize(photo, big, cv::Size(kLong, kShort), 0, 0, cv::INTER_CUBIC);
        cv::Mat mirrored, gray, portrait;
        cv::flip(big, mirrored, 1);
        cv::cvtColor(mirrored, gray, cv::COLOR_BGR2GRAY);
        cv::rotate(big, portrait, cv::ROTATE_90_CLOCKWISE);
        for (const auto &[name, image, isGray, isPortrait] :
             {std::tuple{"a.jpg", big, false, false}, std::tuple{"b.jpg", gray, true, false},
              std::tuple{"c.jpg", portrait, false, true}}) {
            const std::string path = (folder + "/" + name).toStdString();
            QVERIFY(cv::imwrite(path, image, {cv::IMWRITE_JPEG_QUALITY, 90}));
            m_photos.push_back({path, isGray, isPortrait});
        }
    }
    std::sort(m_photos.begin(), m_photos.end(), [](const BigPhoto &a, const BigPhoto &b) { return a.path < b.path; });
    m_ws = store::Workspace::open(m_dir->filePath("ws").toStdString());
}

void tst_LargeJpeg::probeScale_data()
{
    QTest::addColumn<int>("cols");
    QTest::addColumn<int>("rows");
    QTest::addColumn<int>("scale"); // 1: decoded at full size
    QTest::newRow("480x360: full size") << 480 << 360 << 1;
    QTest::newRow("1000x700: 1/2") << 1000 << 700 << 2;
    QTest::newRow("700x1000: 1/2") << 700 << 1000 << 2;
    QTest::newRow("1100x800: 1/4") << 1100 << 800 << 4;
    QTest::newRow("4000x3000: 1/8") << kLong << kShort << 8;
}

// The thumbnail needs 256 px on the longer side: the decoder scales down as far as that allows.
void tst_LargeJpeg::probeScale()
{
    QFETCH(int, cols);
    QFETCH(int, rows);
    QFETCH(int, scale);
    cv::Mat image;
    cv::resize(m_source, image, cv::Size(cols, rows), 0, 0, cv::INTER_AREA);
    std::vector<unsigned char> jpeg;
    QVERIFY(cv::imencode(".jpg", image, jpeg));
    const auto before = counts();
    const auto r = ingest::probeImage(jpeg.data(), jpeg.size(), 100);
    const auto after = counts();
    QVERIFY2(r.ok, r.reason.c_str());
    QCOMPARE(r.width, cols);
    QCOMPARE(r.height, rows);
    QCOMPARE(r.channels, 3);
    QCOMPARE(after.fullSize - before.fullSize, std::uint64_t(scale == 1 ? 1 : 0));
    QCOMPARE(after.reduced - before.reduced, std::uint64_t(scale == 1 ? 0 : 1));
    const auto decoded = std::uint64_t((cols + scale - 1) / scale) * std::uint64_t((rows + scale - 1) / scale);
    QCOMPARE(after.pixels - before.pixels, decoded);
    // The thumbnail looks like the image: within a few levels of the full-size one.
    const cv::Mat thumb = cv::imdecode(r.thumbnail, cv::IMREAD_COLOR);
    QCOMPARE(std::max(thumb.cols, thumb.rows), ingest::kThumbnailMaxSide);
    cv::Mat reference;
    cv::resize(cv::imdecode(jpeg, cv::IMREAD_COLOR), reference, thumb.size(), 0, 0, cv::INTER_AREA);
    const double diff = meanDifference(thumb, reference);
    QVERIFY2(diff < 4, qPrintable(QString("thumbnail differs by %1 levels on average").arg(diff)));
}

void tst_LargeJpeg::ingestDecodesReduced()
{
    ingest::IngestOptions o;
    o.source = m_dir->filePath("src").toStdString();
    o.table = "photos";
    o.labels = ingest::LabelRule::Folder;
    o.threads = 2;
    const auto before = counts();
    const auto r = ingest::ingest(*m_ws, o);
    const auto after = counts();
    QCOMPARE(r.added, qint64(m_photos.size()));
    QCOMPARE(r.rejected, 0);
    // Each photo decoded once, at 1/8 (500 x 375 pixels), none at full size.
    QCOMPARE(after.fullSize - before.fullSize, std::uint64_t(0));
    QCOMPARE(after.reduced - before.reduced, std::uint64_t(m_photos.size()));
    QCOMPARE(after.pixels - before.pixels, std::uint64_t(m_photos.size()) * 500 * 375);

    auto db = m_ws->openCatalog();
    auto thumbsDb = m_ws->openThumbnails();
    catalog::ThumbnailStore thumbs(*thumbsDb);
    for (const BigPhoto &p : m_photos) {
        store::Statement st(*db, "SELECT width, height, channels, content_hash FROM images WHERE path = ?");
        st.bind(1, p.path);
        QVERIFY2(st.step(), p.path.c_str());
        // The catalog has the size at full scale, and a gray JPEG stays one channel.
        QCOMPARE(st.int64(0), qint64(p.portrait ? kShort : kLong));
        QCOMPARE(st.int64(1), qint64(p.portrait ? kLong : kShort));
        QCOMPARE(st.int64(2), qint64(p.gray ? 1 : 3));
        const auto t = thumbs.find(st.text(3));
        QVERIFY2(t.has_value(), p.path.c_str());
        QCOMPARE(t->width, p.portrait ? 192 : 256);
        QCOMPARE(t->height, p.portrait ? 256 : 192);
        const cv::Mat thumb = cv::imdecode(t->data, cv::IMREAD_COLOR);
        const cv::Mat want = fullSizeResized(p.path, t->width, t->height, cv::IMREAD_COLOR);
        const double diff = meanDifference(thumb, want);
        QVERIFY2(diff < 4, qPrintable(QString("%1: thumbnail differs by %2 levels").arg(p.path.c_str()).arg(diff)));
    }
}

void tst_LargeJpeg::shardsDecodeReduced_data()
{
    QTest::addColumn<int>("size");
    QTest::addColumn<int>("scale");
    QTest::newRow("224 px from 1/8") << 224 << 8; // 3000 / 8 = 375 >= 224
    QTest::newRow("448 px from 1/4") << 448 << 4; // 3000 / 8 < 448 <= 3000 / 4
}

void tst_LargeJpeg::shardsDecodeReduced()
{
    QFETCH(int, size);
    QFETCH(int, scale);
    data::ShardSpec spec;
    spec.table = "photos";
    spec.imageSize = size;
    spec.channels = 3;
    spec.valFraction = 0; // every row in train_images.npy, sorted by path
    spec.threads = 2;
    const auto before = counts();
    const auto set = data::materialise(*m_ws, spec);
    const auto after = counts();
    QVERIFY(!set.reused);
    QVERIFY2(set.skipped.empty(), set.skipped.empty() ? "" : set.skipped.front().c_str());
    QCOMPARE(set.trainCount, qint64(m_photos.size()));
    QCOMPARE(after.fullSize - before.fullSize, std::uint64_t(0));
    QCOMPARE(after.reduced - before.reduced, std::uint64_t(m_photos.size()));
    QCOMPARE(after.pixels - before.pixels,
             std::uint64_t(m_photos.size()) * std::uint64_t(kLong / scale) * std::uint64_t(kShort / scale));

    const data::NpyFile images(set.dir + "/train_images.npy");
    QCOMPARE(images.shape(), (std::vector<std::int64_t>{qint64(m_photos.size()), size, size, 3}));
    const std::size_t rowBytes = std::size_t(size) * std::size_t(size) * 3;
    for (std::size_t i = 0; i < m_photos.size(); ++i) {
        // The row is RGB: a full-size decode, squeezed to size x size, swapped from OpenCV's BGR.
        const cv::Mat row(size, size, CV_8UC3, const_cast<unsigned char *>(images.data() + i * rowBytes));
        cv::Mat want = fullSizeResized(m_photos[i].path, size, size, cv::IMREAD_COLOR);
        QVERIFY(!want.empty());
        cv::cvtColor(want, want, cv::COLOR_BGR2RGB);
        const double diff = meanDifference(row, want);
        QVERIFY2(diff < 3, qPrintable(QString("%1: differs by %2 levels").arg(m_photos[i].path.c_str()).arg(diff)));
    }
}

QTEST_GUILESS_MAIN(tst_LargeJpeg)
#include "tst_largejpeg.moc"
