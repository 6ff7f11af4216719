// The DC-only JPEG decoder (core/imaging/JpegDc) against libjpeg itself: JPEGs written by libjpeg with every
// sampling layout, restart intervals, odd sizes, optimised and 16-bit tables, decoded by libjpeg at scale 1/8 as
// the reference. Luma (and every plane of an unsubsampled image) must be bit-equal: at 1/8 libjpeg's inverse DCT
// is the DC value alone. Subsampled chroma is compared by its mean difference: libjpeg-turbo scales it with a 2x2
// inverse DCT, which uses AC coefficients the DC decoder steps over. Then what it refuses (progressive, not a
// JPEG), damaged data, the EXIF orientation, and the training-size decode that uses it.
#include "core/demo/DemoPhotos.h"
#include "core/imaging/ImagingModule.h"
#include "core/imaging/JpegDc.h"

#include <QFile>
#include <QTest>

#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>
#include <vector>

// jpeglib.h needs FILE and size_t declared before it.
#include <jpeglib.h>

using namespace pw;

namespace {

struct Layout
{
    int h = 1, v = 1; // the luma's sampling factors; chroma is 1x1
    bool gray = false;
    int quality = 90;
    int restartRows = 0; // restart interval in MCU rows (0: none)
    int restartMcus = 0; // restart interval in MCUs (0: none)
    bool optimise = false; // Huffman tables made for the image
    bool baseline = true; // false: quantisers may exceed 255 (16-bit tables, an SOF1 frame)
    bool progressive = false;
};

// A JPEG written by libjpeg from an 8-bit BGR or gray image.
std::vector<unsigned char> encode(const cv::Mat &bgrOrGray, const Layout &l)
{
    jpeg_compress_struct c{};
    jpeg_error_mgr err{};
    c.err = jpeg_std_error(&err);
    jpeg_create_compress(&c);
    unsigned char *mem = nullptr;
    unsigned long memSize = 0;
    jpeg_mem_dest(&c, &mem, &memSize);
    c.image_width = JDIMENSION(bgrOrGray.cols);
    c.image_height = JDIMENSION(bgrOrGray.rows);
    c.input_components = l.gray ? 1 : 3;
    c.in_color_space = l.gray ? JCS_GRAYSCALE : JCS_EXT_BGR;
    jpeg_set_defaults(&c);
    jpeg_set_quality(&c, l.quality, l.baseline ? TRUE : FALSE);
    if (!l.gray) {
        c.comp_info[0].h_samp_factor = l.h;
        c.comp_info[0].v_samp_factor = l.v;
        c.comp_info[1].h_samp_factor = c.comp_info[1].v_samp_factor = 1;
        c.comp_info[2].h_samp_factor = c.comp_info[2].v_samp_factor = 1;
    }
    c.restart_in_rows = l.restartRows;
    c.restart_interval = JDIMENSION(l.restartMcus);
    c.optimize_coding = l.optimise ? TRUE : FALSE;
    if (l.progressive)
        jpeg_simple_progression(&c);
    jpeg_start_compress(&c, TRUE);
    while (c.next_scanline < c.image_height) {
        JSAMPROW row = const_cast<JSAMPROW>(bgrOrGray.ptr<unsigned char>(int(c.next_scanline)));
        jpeg_write_scanlines(&c, &row, 1);
    }
    jpeg_finish_compress(&c);
    jpeg_destroy_compress(&c);
    std::vector<unsigned char> out(mem, mem + memSize);
    std::free(mem);
    return out;
}

// libjpeg's decode at scale 1/8 in the file's own colour space (Y, Cb, Cr or gray), chroma not smoothed.
cv::Mat libjpegEighth(const std::vector<unsigned char> &file)
{
    jpeg_decompress_struct d{};
    jpeg_error_mgr err{};
    d.err = jpeg_std_error(&err);
    jpeg_create_decompress(&d);
    jpeg_mem_src(&d, file.data(), static_cast<unsigned long>(file.size()));
    jpeg_read_header(&d, TRUE);
    d.scale_num = 1;
    d.scale_denom = 8;
    d.out_color_space = d.jpeg_color_space; // JCS_YCbCr or JCS_GRAYSCALE: no colour conversion
    d.do_fancy_upsampling = FALSE;
    jpeg_start_decompress(&d);
    cv::Mat out(int(d.output_height), int(d.output_width), CV_8UC(d.output_components));
    while (d.output_scanline < d.output_height) {
        JSAMPROW row = out.ptr<unsigned char>(int(d.output_scanline));
        jpeg_read_scanlines(&d, &row, 1);
    }
    jpeg_finish_decompress(&d);
    jpeg_destroy_decompress(&d);
    return out;
}

cv::Mat samplesOf(imaging::JpegDcImage &dc)
{
    return cv::Mat(dc.height, dc.width, CV_8UC(dc.components), dc.samples.data());
}

// An APP1 EXIF segment holding only an orientation tag, in big- or little-endian TIFF order, put after SOI.
std::vector<unsigned char> withOrientation(const std::vector<unsigned char> &jpeg, int orientation, bool bigEndian)
{
    const auto u16 = [&](std::vector<unsigned char> &v, int x) {
        if (bigEndian) {
            v.push_back((unsigned char)(x >> 8));
            v.push_back((unsigned char)x);
        } else {
            v.push_back((unsigned char)x);
            v.push_back((unsigned char)(x >> 8));
        }
    };
    const auto u32 = [&](std::vector<unsigned char> &v, unsigned x) {
        if (bigEndian) {
            u16(v, int(x >> 16));
            u16(v, int(x & 0xFFFF));
        } else {
            u16(v, int(x & 0xFFFF));
            u16(v, int(x >> 16));
        }
    };
    std::vector<unsigned char> tiff;
    tiff.push_back(bigEndian ? 'M' : 'I');
    tiff.push_back(bigEndian ? 'M' : 'I');
    u16(tiff, 42);
    u32(tiff, 8); // IFD0 right after the header
    u16(tiff, 1); // one entry
    u16(tiff, 0x0112); // Orientation
    u16(tiff, 3); // SHORT
    u32(tiff, 1);
    u16(tiff, orientation);
    u16(tiff, 0); // padding of the 4-byte value field
    u32(tiff, 0); // no next IFD
    std::vector<unsigned char> body = {'E', 'x', 'i', 'f', 0, 0};
    body.insert(body.end(), tiff.begin(), tiff.end());
    std::vector<unsigned char> out(jpeg.begin(), jpeg.begin() + 2);
    const std::size_t length = body.size() + 2;
    out.insert(out.end(), {0xFF, 0xE1, (unsigned char)(length >> 8), (unsigned char)length});
    out.insert(out.end(), body.begin(), body.end());
    out.insert(out.end(), jpeg.begin() + 2, jpeg.end());
    return out;
}

double meanDifference(const cv::Mat &a, const cv::Mat &b)
{
    cv::Mat d;
    cv::absdiff(a, b, d);
    const cv::Scalar s = cv::mean(d);
    return (s[0] + s[1] + s[2] + s[3]) / a.channels();
}

} // namespace

class tst_JpegDc : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void matchesLibjpeg_data();
    void matchesLibjpeg();
    void lumaOnly();
    void refusesWhatItDoesNotHandle();
    void damagedData();
    void orientation();
    void trainingSizeDecode();

private:
    cv::Mat m_photo; // a real photograph, BGR
};

void tst_JpegDc::initTestCase()
{
    const auto &sources = demo::photoSources();
    if (!QFile::exists(QString::fromStdString(sources.front().path)))
        QFAIL("mate-backgrounds is not installed: run packaging/install-deps.sh");
    m_photo = cv::imread(sources.front().path, cv::IMREAD_COLOR);
    QVERIFY(!m_photo.empty());
}

void tst_JpegDc::matchesLibjpeg_data()
{
    QTest::addColumn<int>("cols");
    QTest::addColumn<int>("rows");
    QTest::addColumn<int>("h");
    QTest::addColumn<int>("v");
    QTest::addColumn<bool>("gray");
    QTest::addColumn<int>("quality");
    QTest::addColumn<int>("restartMcus");
    QTest::addColumn<bool>("optimise");
    QTest::addColumn<bool>("baseline");
    // Sizes that are not multiples of 8 or 16: partial MCUs at the right and bottom edges.
    QTest::newRow("4:2:0 q90") << 1001 << 757 << 2 << 2 << false << 90 << 0 << false << true;
    QTest::newRow("4:2:0 q98 optimised") << 1280 << 960 << 2 << 2 << false << 98 << 0 << true << true;
    QTest::newRow("4:2:0 restart every 7 MCUs") << 803 << 611 << 2 << 2 << false << 85 << 7 << false << true;
    QTest::newRow("4:2:2 q75") << 999 << 601 << 2 << 1 << false << 75 << 0 << false << true;
    QTest::newRow("4:4:0 q80") << 640 << 487 << 1 << 2 << false << 80 << 0 << false << true;
    QTest::newRow("4:4:4 q95") << 777 << 555 << 1 << 1 << false << 95 << 0 << false << true;
    QTest::newRow("4:4:4 restart every MCU") << 321 << 243 << 1 << 1 << false << 90 << 1 << true << true;
    QTest::newRow("gray q90") << 1003 << 701 << 1 << 1 << true << 90 << 0 << false << true;
    QTest::newRow("gray restart every 5 MCUs") << 517 << 389 << 1 << 1 << true << 70 << 5 << false << true;
    QTest::newRow("4:2:0 q5 16-bit tables") << 641 << 479 << 2 << 2 << false << 5 << 0 << false << false;
    QTest::newRow("one block") << 8 << 8 << 1 << 1 << false << 90 << 0 << false << true;
    QTest::newRow("one 4:2:0 MCU") << 16 << 16 << 2 << 2 << false << 90 << 0 << false << true;
    QTest::newRow("one pixel") << 1 << 1 << 1 << 1 << false << 90 << 0 << false << true;
}

void tst_JpegDc::matchesLibjpeg()
{
    QFETCH(int, cols);
    QFETCH(int, rows);
    QFETCH(int, h);
    QFETCH(int, v);
    QFETCH(bool, gray);
    QFETCH(int, quality);
    QFETCH(int, restartMcus);
    QFETCH(bool, optimise);
    QFETCH(bool, baseline);
    cv::Mat image;
    cv::resize(m_photo, image, cv::Size(cols, rows), 0, 0, cv::INTER_AREA);
    if (gray)
        cv::cvtColor(image, image, cv::COLOR_BGR2GRAY);
    Layout layout;
    layout.h = h;
    layout.v = v;
    layout.gray = gray;
    layout.quality = quality;
    layout.restartMcus = restartMcus;
    layout.optimise = optimise;
    layout.baseline = baseline;
    const auto file = encode(image, layout);
    const cv::Mat want = libjpegEighth(file);

    imaging::JpegDcImage dc;
    std::string why;
    const auto status = imaging::decodeJpegDc(file.data(), file.size(), false, dc, why);
    QVERIFY2(status == imaging::JpegDcStatus::Decoded, why.c_str());
    QCOMPARE(dc.width, (cols + 7) / 8);
    QCOMPARE(dc.height, (rows + 7) / 8);
    QCOMPARE(dc.components, gray ? 1 : 3);
    QVERIFY(!dc.rgb);
    QCOMPARE(dc.orientation, 1);
    QCOMPARE(want.cols, dc.width);
    QCOMPARE(want.rows, dc.height);
    const cv::Mat got = samplesOf(dc);
    std::vector<cv::Mat> gotPlanes, wantPlanes;
    cv::split(got, gotPlanes);
    cv::split(want, wantPlanes);
    QCOMPARE(cv::norm(gotPlanes[0], wantPlanes[0], cv::NORM_INF), 0.0); // luma: bit-equal
    for (std::size_t p = 1; p < gotPlanes.size(); ++p) {
        if (h == 1 && v == 1) {
            QCOMPARE(cv::norm(gotPlanes[p], wantPlanes[p], cv::NORM_INF), 0.0);
        } else if (dc.width * dc.height >= 64) { // a mean over a few samples says little
            const double diff = meanDifference(gotPlanes[p], wantPlanes[p]);
            QVERIFY2(diff < 2.0, qPrintable(QString("chroma plane %1 differs by %2 levels").arg(p).arg(diff)));
        }
    }
}

void tst_JpegDc::lumaOnly()
{
    cv::Mat image;
    cv::resize(m_photo, image, cv::Size(900, 650), 0, 0, cv::INTER_AREA);
    Layout layout;
    layout.h = layout.v = 2;
    const auto file = encode(image, layout);
    imaging::JpegDcImage all, luma;
    std::string why;
    QCOMPARE(imaging::decodeJpegDc(file.data(), file.size(), false, all, why), imaging::JpegDcStatus::Decoded);
    QCOMPARE(imaging::decodeJpegDc(file.data(), file.size(), true, luma, why), imaging::JpegDcStatus::Decoded);
    QCOMPARE(luma.components, 1);
    std::vector<cv::Mat> planes;
    cv::split(samplesOf(all), planes);
    QCOMPARE(cv::norm(samplesOf(luma), planes[0], cv::NORM_INF), 0.0);
}

void tst_JpegDc::refusesWhatItDoesNotHandle()
{
    cv::Mat image;
    cv::resize(m_photo, image, cv::Size(320, 240), 0, 0, cv::INTER_AREA);
    imaging::JpegDcImage dc;
    std::string why;

    Layout progressive;
    progressive.progressive = true;
    const auto prog = encode(image, progressive);
    QCOMPARE(imaging::decodeJpegDc(prog.data(), prog.size(), false, dc, why), imaging::JpegDcStatus::NotHandled);
    QVERIFY(!why.empty());

    std::vector<unsigned char> png;
    QVERIFY(cv::imencode(".png", image, png));
    why.clear();
    QCOMPARE(imaging::decodeJpegDc(png.data(), png.size(), false, dc, why), imaging::JpegDcStatus::NotHandled);
    QCOMPARE(why, std::string("not a JPEG"));

    // A header cut off before the scan: nothing to decode.
    const auto whole = encode(image, Layout{});
    why.clear();
    QCOMPARE(imaging::decodeJpegDc(whole.data(), 100, false, dc, why), imaging::JpegDcStatus::NotHandled);
    QVERIFY(!why.empty());
}

void tst_JpegDc::damagedData()
{
    cv::Mat image;
    cv::resize(m_photo, image, cv::Size(640, 480), 0, 0, cv::INTER_AREA);
    const auto file = encode(image, Layout{});
    imaging::JpegDcImage dc;
    std::string why;

    // Cut short in the middle of the entropy-coded data.
    auto cut = file;
    cut.resize(file.size() / 2);
    QCOMPARE(imaging::decodeJpegDc(cut.data(), cut.size(), false, dc, why), imaging::JpegDcStatus::Damaged);
    QVERIFY2(why.find("cut short") != std::string::npos, why.c_str());

    // A restart interval with a marker missing.
    Layout restarts;
    restarts.restartMcus = 4;
    auto withRestarts = encode(image, restarts);
    std::size_t at = 0;
    for (std::size_t i = withRestarts.size() / 2; i + 1 < withRestarts.size(); ++i) {
        if (withRestarts[i] == 0xFF && withRestarts[i + 1] >= 0xD0 && withRestarts[i + 1] <= 0xD7) {
            at = i;
            break;
        }
    }
    QVERIFY(at > 0);
    withRestarts.erase(withRestarts.begin() + std::ptrdiff_t(at), withRestarts.begin() + std::ptrdiff_t(at + 2));
    why.clear();
    QCOMPARE(imaging::decodeJpegDc(withRestarts.data(), withRestarts.size(), false, dc, why),
             imaging::JpegDcStatus::Damaged);
    QVERIFY(!why.empty());

    // Random bytes over the entropy-coded data: whatever is made of them, nothing is read or written out of
    // bounds (this test is built with AddressSanitizer) and a decoded image has the frame's size.
    std::mt19937 rng(18);
    for (int trial = 0; trial < 200; ++trial) {
        auto bad = file;
        const std::size_t from = 700 + rng() % (bad.size() - 800);
        for (int i = 0; i < 8; ++i)
            bad[from + rng() % 64] = (unsigned char)(rng());
        const auto status = imaging::decodeJpegDc(bad.data(), bad.size(), false, dc, why);
        if (status == imaging::JpegDcStatus::Decoded) {
            QCOMPARE(dc.width, 80);
            QCOMPARE(dc.height, 60);
            QCOMPARE(dc.samples.size(), std::size_t(80 * 60 * 3));
        } else {
            QVERIFY(!why.empty());
        }
    }
}

void tst_JpegDc::orientation()
{
    cv::Mat image;
    cv::resize(m_photo, image, cv::Size(400, 300), 0, 0, cv::INTER_AREA);
    const auto file = encode(image, Layout{});
    imaging::JpegDcImage dc;
    std::string why;
    QCOMPARE(imaging::decodeJpegDc(file.data(), file.size(), false, dc, why), imaging::JpegDcStatus::Decoded);
    QCOMPARE(dc.orientation, 1); // no EXIF segment
    for (const bool bigEndian : {true, false}) {
        for (int o = 1; o <= 8; ++o) {
            const auto tagged = withOrientation(file, o, bigEndian);
            QCOMPARE(imaging::decodeJpegDc(tagged.data(), tagged.size(), false, dc, why),
                     imaging::JpegDcStatus::Decoded);
            QCOMPARE(dc.orientation, o);
            QCOMPARE(dc.width, 50); // not applied
        }
    }
}

// decodeResized at 1/8 goes through the DC decoder: the result must stand as OpenCV's libjpeg decode at 1/8
// does, EXIF orientation applied, in RGB, and differ from it by little.
void tst_JpegDc::trainingSizeDecode()
{
    cv::Mat image;
    cv::resize(m_photo, image, cv::Size(2400, 1800), 0, 0, cv::INTER_AREA); // 1/8: 300 x 225 >= 224
    const auto &api = imaging::module();
    for (const int o : {1, 3, 6, 8}) {
        for (const int channels : {3, 1}) {
            const auto file = withOrientation(encode(image, Layout{}), o, o % 2 == 0);
            const auto before = api.decodeCounts();
            std::vector<unsigned char> out(224 * 224 * std::size_t(channels));
            std::string error;
            QVERIFY2(api.decodeResized(file.data(), file.size(), 224, channels, out.data(), error), error.c_str());
            QCOMPARE(api.decodeCounts().reduced - before.reduced, std::uint64_t(1));
            const cv::Mat got(224, 224, CV_8UC(channels), out.data());

            const cv::Mat buf(1, int(file.size()), CV_8U, const_cast<unsigned char *>(file.data()));
            cv::Mat want = cv::imdecode(buf,
                                        channels == 3 ? cv::IMREAD_REDUCED_COLOR_8 : cv::IMREAD_REDUCED_GRAYSCALE_8);
            QCOMPARE(want.cols, o >= 5 ? 225 : 300); // OpenCV applied the orientation
            cv::resize(want, want, cv::Size(224, 224), 0, 0, cv::INTER_AREA);
            if (channels == 3)
                cv::cvtColor(want, want, cv::COLOR_BGR2RGB);
            const double diff = meanDifference(got, want);
            QVERIFY2(diff < 1.0, qPrintable(QString("orientation %1, %2 channels: differs by %3 levels from OpenCV")
                                                .arg(o)
                                                .arg(channels)
                                                .arg(diff)));
        }
    }
    // What the DC decoder does not take at 1/8 (damaged: cut to a third; progressive) goes to OpenCV's libjpeg
    // decode as before: the same pixels as OpenCV's reduced decode, or its error.
    auto cut = encode(image, Layout{});
    cut.resize(cut.size() / 3);
    Layout progressive;
    progressive.progressive = true;
    for (const auto &file : {cut, encode(image, progressive)}) {
        imaging::JpegDcImage dc;
        std::string why;
        QVERIFY(imaging::decodeJpegDc(file.data(), file.size(), false, dc, why) != imaging::JpegDcStatus::Decoded);
        std::vector<unsigned char> out(224 * 224 * 3);
        std::string error;
        const bool ok = api.decodeResized(file.data(), file.size(), 224, 3, out.data(), error);
        const cv::Mat buf(1, int(file.size()), CV_8U, const_cast<unsigned char *>(file.data()));
        cv::Mat want = cv::imdecode(buf, cv::IMREAD_REDUCED_COLOR_8);
        QCOMPARE(ok, !want.empty());
        if (!ok) {
            QVERIFY(!error.empty());
            continue;
        }
        cv::resize(want, want, cv::Size(224, 224), 0, 0, cv::INTER_AREA);
        cv::cvtColor(want, want, cv::COLOR_BGR2RGB);
        QCOMPARE(cv::norm(cv::Mat(224, 224, CV_8UC3, out.data()), want, cv::NORM_INF), 0.0);
    }
}

QTEST_GUILESS_MAIN(tst_JpegDc)
#include "tst_jpegdc.moc"
