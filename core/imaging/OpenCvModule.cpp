// libpipewright-imaging.so: decoding, thumbnails, PNG encoding and training-size decoding with OpenCV.
#include "core/imaging/ImagingModule.h"
#include "core/imaging/JpegDc.h"

#include "core/ingest/ImageHeader.h"

#include <opencv2/core.hpp>
#include <opencv2/core/utils/logger.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <array>
#include <atomic>
#include <exception>
#include <limits>
#include <string>
#include <utility>

namespace {

using pw::ingest::ProbeResult;

std::atomic<std::uint64_t> g_fullSize{0}, g_reduced{0}, g_pixels{0};

void configure()
{
    cv::utils::logging::setLogLevel(cv::utils::logging::LOG_LEVEL_ERROR);
    cv::setNumThreads(1);
}

void countDecode(const cv::Mat &decoded, int scale)
{
    (scale > 1 ? g_reduced : g_fullSize).fetch_add(1, std::memory_order_relaxed);
    g_pixels.fetch_add(std::uint64_t(decoded.total()), std::memory_order_relaxed);
}

pw::imaging::DecodeCounts decodeCounts()
{
    return {g_fullSize.load(), g_reduced.load(), g_pixels.load()};
}

// The largest JPEG scale denominator (8, 4 or 2; 1 for other formats or a small image) that still leaves the
// decoded image's longer side at least minLonger and its shorter side at least minShorter. libjpeg scales in the
// DCT, so the pixels at full size are never made; the entropy-coded data is still read through.
int jpegScale(const unsigned char *data, std::size_t size, long long minLonger, long long minShorter)
{
    const auto header = pw::ingest::readImageHeader(data, size);
    if (!header || header->format != "jpeg" || header->width <= 0 || header->height <= 0)
        return 1;
    const long long longer = std::max(header->width, header->height);
    const long long shorter = std::min(header->width, header->height);
    for (const int d : {8, 4, 2}) {
        if (longer / d >= minLonger && shorter / d >= minShorter)
            return d;
    }
    return 1;
}

// IMREAD_REDUCED_*_N without the colour bit: OR in IMREAD_COLOR, IMREAD_ANYCOLOR or nothing (gray).
int reducedFlag(int scale)
{
    return scale == 8 ? cv::IMREAD_REDUCED_GRAYSCALE_8
                      : (scale == 4 ? cv::IMREAD_REDUCED_GRAYSCALE_4 : cv::IMREAD_REDUCED_GRAYSCALE_2);
}

// `longest`: the longer side of the image at full size (`image` may be a reduced decode of it).
void makeThumbnail(const cv::Mat &image, int longest, ProbeResult &r)
{
    if (pw::ingest::fileIsOwnThumbnail(r.format, longest)) {
        // Small enough already, in a format every viewer reads: the file is its own thumbnail.
        r.thumbnailIsFile = true;
        r.thumbFormat = r.format;
        r.thumbWidth = image.cols;
        r.thumbHeight = image.rows;
        return;
    }
    cv::Mat img = image;
    if (img.depth() != CV_8U) {
        double scale = img.depth() == CV_16U ? 1.0 / 257.0 : 1.0;
        if (img.depth() == CV_32F || img.depth() == CV_64F)
            scale = 255.0;
        img.convertTo(img, CV_8U, scale);
    }
    if (img.channels() == 4)
        cv::cvtColor(img, img, cv::COLOR_BGRA2BGR);
    else if (img.channels() == 2)
        cv::extractChannel(img, img, 0);
    if (std::max(img.cols, img.rows) > pw::ingest::kThumbnailMaxSide) {
        const double f = double(pw::ingest::kThumbnailMaxSide) / std::max(img.cols, img.rows);
        const int w = std::max(1, int(img.cols * f + 0.5));
        const int h = std::max(1, int(img.rows * f + 0.5));
        cv::resize(img, img, cv::Size(w, h), 0, 0, cv::INTER_AREA);
    }
    r.thumbFormat = "jpeg";
    r.thumbWidth = img.cols;
    r.thumbHeight = img.rows;
    cv::imencode(".jpg", img, r.thumbnail, {cv::IMWRITE_JPEG_QUALITY, 85});
}

void decode(const unsigned char *data, std::size_t size, ProbeResult &r)
{
    // A JPEG of twice the thumbnail's size or more is decoded reduced: the thumbnail is all that ingest keeps of
    // the pixels. As with IMREAD_UNCHANGED, a gray JPEG stays gray and EXIF orientation is not applied.
    const int scale = jpegScale(data, size, pw::ingest::kThumbnailMaxSide, 1);
    cv::Mat image;
    try {
        const cv::Mat buf(1, int(size), CV_8U, const_cast<unsigned char *>(data));
        image = cv::imdecode(buf, scale > 1 ? reducedFlag(scale) | cv::IMREAD_ANYCOLOR | cv::IMREAD_IGNORE_ORIENTATION
                                            : int(cv::IMREAD_UNCHANGED));
    } catch (const cv::Exception &e) {
        r.ok = false;
        r.reason = "truncated or corrupt: " + r.format + " decoder: " + e.msg;
        return;
    }
    if (image.empty()) {
        r.ok = false;
        r.reason = "truncated or corrupt: the " + r.format + " data does not decode";
        return;
    }
    countDecode(image, scale);
    r.ok = true;
    r.width = image.cols;
    r.height = image.rows;
    if (scale > 1) { // the size at full scale, from the frame header the decoder read
        const auto header = pw::ingest::readImageHeader(data, size);
        r.width = int(header->width);
        r.height = int(header->height);
    }
    r.channels = image.channels();
    makeThumbnail(image, std::max(r.width, r.height), r);
}

bool encodePng(const unsigned char *pixels, int rows, int cols, int channels, std::vector<unsigned char> &out)
{
    const cv::Mat m(rows, cols, CV_8UC(channels), const_cast<unsigned char *>(pixels));
    return cv::imencode(".png", m, out);
}

// EXIF orientation (1-8) applied as OpenCV's imdecode applies it, so that the DC decoder's image stands where
// OpenCV's would.
void applyOrientation(cv::Mat &image, int orientation)
{
    switch (orientation) {
    case 2: cv::flip(image, image, 1); break;
    case 3: cv::flip(image, image, -1); break;
    case 4: cv::flip(image, image, 0); break;
    case 5: cv::transpose(image, image); break;
    case 6:
        cv::transpose(image, image);
        cv::flip(image, image, 1);
        break;
    case 7:
        cv::transpose(image, image);
        cv::flip(image, image, -1);
        break;
    case 8:
        cv::transpose(image, image);
        cv::flip(image, image, 0);
        break;
    default: break;
    }
}

// libjpeg's Y, Cb, Cr to R, G, B (jdcolor.c's fixed point with 16 fraction bits), in place.
void yccToRgb(cv::Mat &image)
{
    constexpr int kOneHalf = 1 << 15;
    static const auto tables = [] {
        std::array<std::array<int, 256>, 4> t{};
        for (int i = 0; i < 256; ++i) {
            const int x = i - 128;
            t[0][std::size_t(i)] = (91881 * x + kOneHalf) >> 16; // Cr -> R: 1.40200
            t[1][std::size_t(i)] = (116130 * x + kOneHalf) >> 16; // Cb -> B: 1.77200
            t[2][std::size_t(i)] = -46802 * x; // Cr -> G: -0.71414
            t[3][std::size_t(i)] = -22554 * x + kOneHalf; // Cb -> G: -0.34414
        }
        return t;
    }();
    const auto clamp = [](int v) { return std::uint8_t(std::clamp(v, 0, 255)); };
    for (int r = 0; r < image.rows; ++r) {
        std::uint8_t *p = image.ptr<std::uint8_t>(r);
        for (std::uint8_t *end = p + std::size_t(image.cols) * 3; p != end; p += 3) {
            const int y = p[0], cb = p[1], cr = p[2];
            p[0] = clamp(y + tables[0][cr]);
            p[1] = clamp(y + ((tables[3][cb] + tables[2][cr]) >> 16));
            p[2] = clamp(y + tables[1][cb]);
        }
    }
}

// A baseline JPEG at 1/8 scale from its DC coefficients (JpegDc.h), as RGB or gray, oriented as its EXIF tag says.
// Empty when the DC decoder does not take the file: the caller decodes it with OpenCV, which also says what is
// wrong with a damaged one.
cv::Mat decodeDcReduced(const unsigned char *data, std::size_t size, int channels)
{
    thread_local pw::imaging::JpegDcImage dc;
    std::string why;
    if (pw::imaging::decodeJpegDc(data, size, channels == 1, dc, why) != pw::imaging::JpegDcStatus::Decoded)
        return {};
    cv::Mat image(dc.height, dc.width, CV_8UC(dc.components), dc.samples.data());
    if (dc.components == 3 && !dc.rgb)
        yccToRgb(image);
    if (channels == 1 && dc.components == 3)
        cv::cvtColor(image, image, cv::COLOR_RGB2GRAY);
    else if (channels == 3 && dc.components == 1)
        cv::cvtColor(image, image, cv::COLOR_GRAY2RGB);
    applyOrientation(image, dc.orientation);
    return image;
}

bool decodeResized(const unsigned char *data, std::size_t size, int targetSize, int channels, unsigned char *out,
                   std::string &error)
{
    if (targetSize < 1 || (channels != 1 && channels != 3)) {
        error = "cannot decode to " + std::to_string(targetSize) + " px with " + std::to_string(channels)
                + " channels (1 or 3)";
        return false;
    }
    if (size > std::size_t(std::numeric_limits<int>::max())) {
        error = "the file is too large to decode (" + std::to_string(size) + " bytes)";
        return false;
    }
    try {
        // Without IMREAD_ANYDEPTH, imdecode converts 16-bit samples to 8 bits itself. (Decoding straight into
        // `out` through imdecode's `dst` is not used: when no decoder accepts the data it leaves `dst` as it
        // was, so a failure could not be told from a success.)
        const int scale = jpegScale(data, size, targetSize, targetSize);
        // At 1/8 each 8x8 block is its DC value: the DC decoder reads the file about twice as fast as libjpeg,
        // which also decodes a subsampled image's chroma AC coefficients at this scale. It gives RGB, OpenCV BGR.
        cv::Mat decoded = scale == 8 ? decodeDcReduced(data, size, channels) : cv::Mat();
        const bool bgr = decoded.empty() && channels == 3;
        if (decoded.empty()) {
            const cv::Mat buf(1, int(size), CV_8U, const_cast<unsigned char *>(data));
            const int colour = channels == 1 ? cv::IMREAD_GRAYSCALE : cv::IMREAD_COLOR;
            cv::imdecode(buf, scale > 1 ? reducedFlag(scale) | colour : colour, &decoded);
        }
        if (decoded.empty()) {
            error = "the image data does not decode";
            return false;
        }
        countDecode(decoded, scale);
        cv::Mat target(targetSize, targetSize, channels == 1 ? CV_8UC1 : CV_8UC3, out);
        bool swapInPlace = false;
        if (decoded.cols == targetSize && decoded.rows == targetSize) {
            // Already the size: one pass into `out`, swapping OpenCV's BGR to RGB on the way.
            if (bgr)
                cv::cvtColor(decoded, target, cv::COLOR_BGR2RGB);
            else
                decoded.copyTo(target);
        } else {
            const bool shrinks = decoded.cols > targetSize || decoded.rows > targetSize;
            cv::resize(decoded, target, target.size(), 0, 0, shrinks ? cv::INTER_AREA : cv::INTER_LINEAR);
            swapInPlace = bgr;
        }
        if (target.data != out) { // same size and type: OpenCV writes into the given buffer
            error = "the decoded image was not written to the output buffer";
            return false;
        }
        if (swapInPlace) {
            // Cheaper than cvtColor, which clones its input when it is also the output.
            for (unsigned char *p = out, *end = out + target.total() * 3; p != end; p += 3)
                std::swap(p[0], p[2]);
        }
        return true;
    } catch (const cv::Exception &e) {
        error = "decoder: " + e.msg;
    } catch (const std::exception &e) {
        error = std::string("decoder: ") + e.what();
    }
    return false;
}

bool decodeRgb(const unsigned char *data, std::size_t size, std::vector<unsigned char> &out, int &rows, int &cols,
               std::string &error)
{
    if (size > std::size_t(std::numeric_limits<int>::max())) {
        error = "the file is too large to decode (" + std::to_string(size) + " bytes)";
        return false;
    }
    try {
        const cv::Mat buf(1, int(size), CV_8U, const_cast<unsigned char *>(data));
        const cv::Mat decoded = cv::imdecode(buf, cv::IMREAD_COLOR);
        if (decoded.empty()) {
            error = "the image data does not decode";
            return false;
        }
        countDecode(decoded, 1);
        rows = decoded.rows;
        cols = decoded.cols;
        out.resize(decoded.total() * 3);
        cv::Mat rgb(rows, cols, CV_8UC3, out.data());
        cv::cvtColor(decoded, rgb, cv::COLOR_BGR2RGB);
        return true;
    } catch (const cv::Exception &e) {
        error = "decoder: " + e.msg;
    }
    return false;
}

bool encodeJpegCrop(const unsigned char *rgb, int rows, int cols, const int rect[4], int outCols, int outRows,
                    int quality, std::vector<unsigned char> &out, std::string &error)
{
    const cv::Rect r(rect[0], rect[1], rect[2], rect[3]);
    if (r.width < 1 || r.height < 1 || r.x < 0 || r.y < 0 || r.x + r.width > cols || r.y + r.height > rows
        || outCols < 1 || outRows < 1) {
        error = "the crop " + std::to_string(r.width) + "x" + std::to_string(r.height) + "+" + std::to_string(r.x) + "+"
                + std::to_string(r.y) + " to " + std::to_string(outCols) + "x" + std::to_string(outRows)
                + " does not fit a " + std::to_string(cols) + "x" + std::to_string(rows) + " image";
        return false;
    }
    try {
        const cv::Mat image(rows, cols, CV_8UC3, const_cast<unsigned char *>(rgb));
        cv::Mat bgr;
        cv::cvtColor(image(r), bgr, cv::COLOR_RGB2BGR);
        if (bgr.cols != outCols || bgr.rows != outRows)
            cv::resize(bgr, bgr, cv::Size(outCols, outRows), 0, 0, cv::INTER_AREA);
        if (cv::imencode(".jpg", bgr, out, {cv::IMWRITE_JPEG_QUALITY, std::clamp(quality, 1, 100)}))
            return true;
        error = "the JPEG encoder failed";
    } catch (const cv::Exception &e) {
        error = "encoder: " + e.msg;
    }
    return false;
}

const pw::imaging::ModuleApi kApi{pw::imaging::kModuleAbiVersion,
                                  configure,
                                  decode,
                                  encodePng,
                                  decodeResized,
                                  decodeCounts,
                                  decodeRgb,
                                  encodeJpegCrop};

} // namespace

extern "C" __attribute__((visibility("default"))) const pw::imaging::ModuleApi *pipewright_imaging_module()
{
    return &kApi;
}
