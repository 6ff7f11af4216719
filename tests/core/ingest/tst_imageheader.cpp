// Tests of the header-only image reader (core/ingest/ImageHeader.h) and of the image probe that
// validates, measures and thumbnails one file (core/ingest/ImageProbe.h).
#include "core/ingest/ImageHeader.h"
#include "core/ingest/ImageProbe.h"

#include "tests/TestData.h"

#include <QElapsedTimer>
#include <QRandomGenerator>
#include <QTest>

#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>

#include <algorithm>
#include <string>
#include <vector>

using pw::ingest::ProbeResult;

namespace {

const unsigned char *bytesOf(const QByteArray &b)
{
    return reinterpret_cast<const unsigned char *>(b.constData());
}

ProbeResult probe(const QByteArray &b, double maxMegapixels = 100)
{
    return pw::ingest::probeImage(bytesOf(b), std::size_t(b.size()), maxMegapixels);
}

QString reasonOf(const ProbeResult &r)
{
    return QString::fromStdString(r.reason);
}

/** The format name the header reader reports for a file suffix. */
QString formatOf(const QString &ext)
{
    if (ext == "jpg")
        return "jpeg";
    if (ext == "tif")
        return "tiff";
    return ext;
}

QByteArray pngOf(const cv::Mat &m)
{
    std::vector<unsigned char> out;
    cv::imencode(".png", m, out);
    return QByteArray(reinterpret_cast<const char *>(out.data()), qsizetype(out.size()));
}

} // namespace

class tst_ImageHeader : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();

    void readHeader_data();
    void readHeader();
    void lossyWebpHeader_data();
    void lossyWebpHeader();
    void headerOfNonImages_data();
    void headerOfNonImages();
    void trailer_data();
    void trailer();

    void probeValidImages_data();
    void probeValidImages();
    void megapixelLimitCheckedBeforeDecoding_data();
    void megapixelLimitCheckedBeforeDecoding();
    void probeRejects_data();
    void probeRejects();
    void smallPngIsItsOwnThumbnail_data();
    void smallPngIsItsOwnThumbnail();
    void largeImageGetsJpegThumbnail_data();
    void largeImageGetsJpegThumbnail();
    void sixteenBitPngThumbnail();
};

void tst_ImageHeader::initTestCase()
{
    pw::ingest::configureImageCodecs();
}

// Every accepted format at several sizes and channel counts.
static void addImageRows()
{
    QTest::addColumn<QString>("ext");
    QTest::addColumn<int>("width");
    QTest::addColumn<int>("height");
    QTest::addColumn<int>("channels");
    struct Size
    {
        int w, h;
    };
    const Size sizes[] = {{1, 1}, {28, 28}, {300, 200}, {17, 1000}, {1000, 3}};
    for (const char *ext : {"png", "jpg", "bmp", "tif", "webp"}) {
        for (const int channels : {1, 3, 4}) {
            if (QByteArray(ext) == "jpg" && channels == 4)
                continue; // JPEG has no alpha
            for (const Size &s : sizes) {
                const QByteArray row = QByteArray(ext) + " " + QByteArray::number(s.w) + "x" + QByteArray::number(s.h)
                                       + " c" + QByteArray::number(channels);
                QTest::newRow(row.constData()) << QString(ext) << s.w << s.h << channels;
            }
        }
    }
}

void tst_ImageHeader::readHeader_data()
{
    addImageRows();
}

void tst_ImageHeader::readHeader()
{
    QFETCH(QString, ext);
    QFETCH(int, width);
    QFETCH(int, height);
    QFETCH(int, channels);
    const QByteArray data = pw::test::encodeImage(ext, width, height, channels);
    QVERIFY(!data.isEmpty());
    const auto header = pw::ingest::readImageHeader(bytesOf(data), std::size_t(data.size()));
    QVERIFY(header);
    QCOMPARE(QString::fromStdString(header->format), formatOf(ext));
    QCOMPARE(header->width, (long long)width);
    QCOMPARE(header->height, (long long)height);

    // The header alone is enough: the bytes before the pixels give the same answer. (TIFF keeps its
    // directory wherever the writer puts it, often after the pixels, so it is exempt.)
    qsizetype headerSize = -1;
    if (ext == "png")
        headerSize = 24; // signature, IHDR length and type, width, height
    else if (ext == "bmp")
        headerSize = 26; // file header, DIB size, width, height
    else if (ext == "webp")
        headerSize = 30; // RIFF header and the VP8/VP8L/VP8X header
    else if (ext == "jpg")
        headerSize = data.indexOf(QByteArray("\xFF\xDA", 2)); // up to the start of scan
    if (headerSize > 0) {
        const auto early = pw::ingest::readImageHeader(bytesOf(data), std::size_t(headerSize));
        QVERIFY(early);
        QCOMPARE(early->width, (long long)width);
        QCOMPARE(early->height, (long long)height);
    }
}

void tst_ImageHeader::lossyWebpHeader_data()
{
    // encodeImage writes lossless WebP (a VP8L chunk); a lossy one has a VP8 chunk, or VP8X with alpha.
    QTest::addColumn<int>("width");
    QTest::addColumn<int>("height");
    QTest::addColumn<int>("channels");
    QTest::addColumn<QByteArray>("chunk");
    QTest::newRow("VP8 300x200") << 300 << 200 << 3 << QByteArray("VP8 ");
    QTest::newRow("VP8 17x1000") << 17 << 1000 << 3 << QByteArray("VP8 ");
    QTest::newRow("VP8X with alpha 300x200") << 300 << 200 << 4 << QByteArray("VP8X");
    QTest::newRow("VP8X with alpha 1000x3") << 1000 << 3 << 4 << QByteArray("VP8X");
}

void tst_ImageHeader::lossyWebpHeader()
{
    QFETCH(int, width);
    QFETCH(int, height);
    QFETCH(int, channels);
    QFETCH(QByteArray, chunk);
    cv::Mat m(height, width, CV_8UC(channels));
    cv::randu(m, cv::Scalar::all(0), cv::Scalar::all(255)); // random alpha too: not opaque
    std::vector<unsigned char> out;
    QVERIFY(cv::imencode(".webp", m, out, {cv::IMWRITE_WEBP_QUALITY, 80}));
    const QByteArray data(reinterpret_cast<const char *>(out.data()), qsizetype(out.size()));
    QCOMPARE(data.mid(12, 4), chunk);

    const auto header = pw::ingest::readImageHeader(bytesOf(data), std::size_t(data.size()));
    QVERIFY(header);
    QCOMPARE(header->format, std::string("webp"));
    QCOMPARE(header->width, (long long)width);
    QCOMPARE(header->height, (long long)height);
    const ProbeResult r = probe(data);
    QVERIFY2(r.ok, r.reason.c_str());
    QCOMPARE(r.width, width);
    QCOMPARE(r.height, height);
    QCOMPARE(r.channels, channels);
}

void tst_ImageHeader::headerOfNonImages_data()
{
    QTest::addColumn<QByteArray>("data");
    QTest::newRow("empty") << QByteArray();
    QTest::newRow("text") << QByteArray("hello, world, this is not an image");
    QTest::newRow("gif") << QByteArray("GIF89a\x01\x00\x01\x00\x00\x00\x00", 13);
    QTest::newRow("riff wave") << QByteArray("RIFF\x24\x00\x00\x00WAVEfmt ", 16);
    QTest::newRow("png signature prefix") << QByteArray("\x89PN", 3);
    QTest::newRow("one byte") << QByteArray(1, 'B');
}

void tst_ImageHeader::headerOfNonImages()
{
    QFETCH(QByteArray, data);
    QVERIFY(!pw::ingest::readImageHeader(bytesOf(data), std::size_t(data.size())));
}

void tst_ImageHeader::trailer_data()
{
    QTest::addColumn<QString>("ext");
    QTest::addColumn<int>("keep"); // bytes kept of the file; -1: all
    QTest::addColumn<bool>("complete");
    for (const char *ext : {"png", "jpg"}) {
        const QByteArray e(ext);
        QTest::newRow((e + " whole").constData()) << QString(ext) << -1 << true;
        QTest::newRow((e + " half").constData()) << QString(ext) << -2 << false;
        QTest::newRow((e + " last byte missing").constData()) << QString(ext) << -3 << false;
        QTest::newRow((e + " 5 bytes").constData()) << QString(ext) << 5 << false;
    }
    // Other formats have no trailer to check: the decoder decides.
    for (const char *ext : {"bmp", "tif", "webp"})
        QTest::newRow((QByteArray(ext) + " half").constData()) << QString(ext) << -2 << true;
}

void tst_ImageHeader::trailer()
{
    QFETCH(QString, ext);
    QFETCH(int, keep);
    QFETCH(bool, complete);
    QByteArray data = pw::test::encodeImage(ext, 64, 48);
    if (keep == -2)
        data.truncate(data.size() / 2);
    else if (keep == -3)
        data.chop(1);
    else if (keep >= 0)
        data.truncate(keep);
    QCOMPARE(pw::ingest::hasCompleteTrailer(formatOf(ext).toStdString(), bytesOf(data), std::size_t(data.size())),
             complete);
}

void tst_ImageHeader::probeValidImages_data()
{
    addImageRows();
}

void tst_ImageHeader::probeValidImages()
{
    QFETCH(QString, ext);
    QFETCH(int, width);
    QFETCH(int, height);
    QFETCH(int, channels);
    const QByteArray data = pw::test::encodeImage(ext, width, height, channels);
    const ProbeResult r = probe(data);
    QVERIFY2(r.ok, r.reason.c_str());
    QVERIFY(r.reason.empty());
    QCOMPARE(QString::fromStdString(r.format), formatOf(ext));
    QCOMPARE(r.width, width);
    QCOMPARE(r.height, height);
    QVERIFY(r.channels == 1 || r.channels == 3 || r.channels == 4);
    if (ext == "png" || ext == "jpg" || ext == "tif")
        QCOMPARE(r.channels, channels);

    const int longest = std::max(width, height);
    const bool ownThumbnail = longest <= pw::ingest::kThumbnailMaxSide && (ext == "png" || ext == "jpg");
    QCOMPARE(r.thumbnailIsFile, ownThumbnail);
    QCOMPARE(r.thumbnail.empty(), ownThumbnail);
    QCOMPARE(std::max(r.thumbWidth, r.thumbHeight), std::min(longest, pw::ingest::kThumbnailMaxSide));
}

void tst_ImageHeader::megapixelLimitCheckedBeforeDecoding_data()
{
    QTest::addColumn<qlonglong>("width");
    QTest::addColumn<qlonglong>("height");
    QTest::addColumn<double>("maxMegapixels");
    QTest::addColumn<bool>("over");
    QTest::newRow("10 gigapixel bomb") << qlonglong(100000) << qlonglong(100000) << 100.0 << true;
    QTest::newRow("width above INT_MAX") << qlonglong(0xFFFFFFFFLL) << qlonglong(1) << 100.0 << true;
    QTest::newRow("just over") << qlonglong(2001) << qlonglong(1000) << 2.0 << true;
    QTest::newRow("exactly at the limit") << qlonglong(2000) << qlonglong(1000) << 2.0 << false;
}

void tst_ImageHeader::megapixelLimitCheckedBeforeDecoding()
{
    QFETCH(qlonglong, width);
    QFETCH(qlonglong, height);
    QFETCH(double, maxMegapixels);
    QFETCH(bool, over);
    const QByteArray bomb = pw::test::pngHeaderOnly(width, height);
    QElapsedTimer t;
    t.start();
    const ProbeResult r = probe(bomb, maxMegapixels);
    QVERIFY(!r.ok);
    QCOMPARE(r.format, std::string("png"));
    // The file holds no pixel data, so a decode would fail as "truncated or corrupt": the
    // megapixel reason proves the limit was applied from the header, before any decoding.
    QCOMPARE(reasonOf(r).contains("exceeds --max-megapixels"), over);
    if (over) {
        QVERIFY2(reasonOf(r).contains(QString::number(width) + "x" + QString::number(height)), r.reason.c_str());
        QVERIFY2(t.elapsed() < 1000, "rejecting a bomb by its header took over a second");
    } else {
        QVERIFY2(reasonOf(r).startsWith("truncated or corrupt"), r.reason.c_str());
    }
}

void tst_ImageHeader::probeRejects_data()
{
    QTest::addColumn<QByteArray>("data");
    QTest::addColumn<QString>("reasonStart");

    QTest::newRow("empty") << QByteArray() << "empty file";
    QByteArray noise(4096, '\0');
    QRandomGenerator rng(1234);
    for (char &c : noise)
        c = char(rng.bounded(256));
    noise[0] = 0; // no accepted signature starts with a zero byte
    QTest::newRow("random bytes") << noise << "not an image";
    QTest::newRow("text") << QByteArray("just some text\n") << "not an image";
    QTest::newRow("gif") << QByteArray("GIF89a\x01\x00\x01\x00\x00\x00\x00", 13) << "not an image";

    for (const char *ext : {"png", "jpg"}) {
        const QByteArray whole = pw::test::encodeImage(ext, 200, 150);
        QTest::newRow((QByteArray(ext) + " cut in half").constData())
            << whole.left(whole.size() / 2) << "truncated or corrupt";
        QTest::newRow((QByteArray(ext) + " cut to 20 bytes").constData()) << whole.left(20) << "truncated or corrupt";
        QTest::newRow((QByteArray(ext) + " last byte missing").constData())
            << whole.left(whole.size() - 1) << "truncated or corrupt";
    }
    // A PNG whose middle is missing but whose IEND trailer is intact: only the decoder can tell.
    const QByteArray png = pw::test::encodeImage("png", 200, 150);
    QTest::newRow("png without its middle") << png.left(png.size() / 3) + png.right(12) << "truncated or corrupt";
    // A PNG whose IHDR is replaced by another chunk type.
    QByteArray noIhdr = png;
    noIhdr.replace(12, 4, "IHDx");
    QTest::newRow("png without IHDR") << noIhdr << "truncated or corrupt";
    QTest::newRow("png zero width") << pw::test::pngHeaderOnly(0, 10) << "truncated or corrupt";
    for (const char *ext : {"tif", "webp"}) {
        const QByteArray whole = pw::test::encodeImage(ext, 200, 150);
        QTest::newRow((QByteArray(ext) + " cut in half").constData())
            << whole.left(whole.size() / 2) << "truncated or corrupt";
    }
}

void tst_ImageHeader::probeRejects()
{
    QFETCH(QByteArray, data);
    QFETCH(QString, reasonStart);
    const ProbeResult r = probe(data);
    QVERIFY(!r.ok);
    QVERIFY2(reasonOf(r).startsWith(reasonStart), r.reason.c_str());
    QVERIFY(r.thumbnail.empty());
    QCOMPARE(r.width, 0);
    QCOMPARE(r.height, 0);
}

void tst_ImageHeader::smallPngIsItsOwnThumbnail_data()
{
    QTest::addColumn<QString>("ext");
    QTest::addColumn<int>("channels");
    QTest::newRow("png gray") << "png" << 1;
    QTest::newRow("png bgr") << "png" << 3;
    QTest::newRow("png bgra") << "png" << 4;
    QTest::newRow("jpg gray") << "jpg" << 1;
    QTest::newRow("jpg bgr") << "jpg" << 3;
}

void tst_ImageHeader::smallPngIsItsOwnThumbnail()
{
    QFETCH(QString, ext);
    QFETCH(int, channels);
    const ProbeResult r = probe(pw::test::encodeImage(ext, 28, 28, channels));
    QVERIFY2(r.ok, r.reason.c_str());
    QCOMPARE(r.width, 28);
    QCOMPARE(r.height, 28);
    QCOMPARE(r.channels, channels);
    QVERIFY(r.thumbnailIsFile);
    QVERIFY(r.thumbnail.empty());
    QCOMPARE(QString::fromStdString(r.thumbFormat), formatOf(ext));
    QCOMPARE(r.thumbWidth, 28);
    QCOMPARE(r.thumbHeight, 28);
}

void tst_ImageHeader::largeImageGetsJpegThumbnail_data()
{
    QTest::addColumn<QString>("ext");
    QTest::addColumn<int>("width");
    QTest::addColumn<int>("height");
    QTest::addColumn<int>("channels");
    QTest::addColumn<int>("thumbWidth");
    QTest::addColumn<int>("thumbHeight");
    QTest::newRow("jpg 600x400") << "jpg" << 600 << 400 << 3 << 256 << 171;
    QTest::newRow("jpg 400x600") << "jpg" << 400 << 600 << 3 << 171 << 256;
    QTest::newRow("jpg gray 512x512") << "jpg" << 512 << 512 << 1 << 256 << 256;
    QTest::newRow("png bgra 300x300") << "png" << 300 << 300 << 4 << 256 << 256;
    QTest::newRow("png 257x10") << "png" << 257 << 10 << 3 << 256 << 10;
    QTest::newRow("png 1000x1") << "png" << 1000 << 1 << 1 << 256 << 1;
    // Small, but not a format every viewer reads: a JPEG copy at full size.
    QTest::newRow("bmp 100x50") << "bmp" << 100 << 50 << 3 << 100 << 50;
    QTest::newRow("tif bgra 64x64") << "tif" << 64 << 64 << 4 << 64 << 64;
    QTest::newRow("webp 640x480") << "webp" << 640 << 480 << 3 << 256 << 192;
}

void tst_ImageHeader::largeImageGetsJpegThumbnail()
{
    QFETCH(QString, ext);
    QFETCH(int, width);
    QFETCH(int, height);
    QFETCH(int, channels);
    QFETCH(int, thumbWidth);
    QFETCH(int, thumbHeight);
    const ProbeResult r = probe(pw::test::encodeImage(ext, width, height, channels));
    QVERIFY2(r.ok, r.reason.c_str());
    QCOMPARE(r.width, width);
    QCOMPARE(r.height, height);
    QVERIFY(!r.thumbnailIsFile);
    QCOMPARE(r.thumbFormat, std::string("jpeg"));
    QCOMPARE(r.thumbWidth, thumbWidth);
    QCOMPARE(r.thumbHeight, thumbHeight);
    QVERIFY(r.thumbnail.size() > 2);
    QCOMPARE(int(r.thumbnail[0]), 0xFF);
    QCOMPARE(int(r.thumbnail[1]), 0xD8);

    const cv::Mat thumb = cv::imdecode(r.thumbnail, cv::IMREAD_UNCHANGED);
    QVERIFY(!thumb.empty());
    QCOMPARE(thumb.cols, thumbWidth);
    QCOMPARE(thumb.rows, thumbHeight);
    QCOMPARE(std::max(thumb.cols, thumb.rows), std::min(std::max(width, height), pw::ingest::kThumbnailMaxSide));
    QVERIFY(thumb.channels() == 1 || thumb.channels() == 3); // alpha dropped
    QCOMPARE(thumb.depth(), CV_8U);
}

void tst_ImageHeader::sixteenBitPngThumbnail()
{
    // 16-bit samples are scaled to 8 bits for the JPEG thumbnail: 200 * 257 becomes 200.
    const cv::Mat deep(300, 400, CV_16UC1, cv::Scalar(200 * 257));
    const ProbeResult r = probe(pngOf(deep));
    QVERIFY2(r.ok, r.reason.c_str());
    QCOMPARE(r.channels, 1);
    QVERIFY(!r.thumbnailIsFile);
    const cv::Mat thumb = cv::imdecode(r.thumbnail, cv::IMREAD_GRAYSCALE);
    QVERIFY(!thumb.empty());
    QCOMPARE(thumb.cols, 256);
    QCOMPARE(thumb.rows, 192);
    double lo = 0, hi = 0;
    cv::minMaxLoc(thumb, &lo, &hi);
    QVERIFY2(lo >= 197 && hi <= 203, qPrintable(QString("thumbnail values %1..%2").arg(lo).arg(hi)));
}

QTEST_GUILESS_MAIN(tst_ImageHeader)
#include "tst_imageheader.moc"
