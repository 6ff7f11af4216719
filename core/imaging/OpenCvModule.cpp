// libpipewright-imaging.so: decoding, thumbnails, PNG encoding and training-size decoding with OpenCV.
#include "core/imaging/ImagingModule.h"

#include <opencv2/core.hpp>
#include <opencv2/core/utils/logger.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <exception>
#include <limits>
#include <string>
#include <utility>

namespace {

using pw::ingest::ProbeResult;

void configure()
{
    cv::utils::logging::setLogLevel(cv::utils::logging::LOG_LEVEL_ERROR);
    cv::setNumThreads(1);
}

void makeThumbnail(const cv::Mat &image, ProbeResult &r)
{
    const int longest = std::max(image.cols, image.rows);
    const bool webFriendly = r.format == "png" || r.format == "jpeg";
    if (longest <= pw::ingest::kThumbnailMaxSide && webFriendly) {
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
    if (longest > pw::ingest::kThumbnailMaxSide) {
        const double f = double(pw::ingest::kThumbnailMaxSide) / longest;
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
    cv::Mat image;
    try {
        const cv::Mat buf(1, int(size), CV_8U, const_cast<unsigned char *>(data));
        image = cv::imdecode(buf, cv::IMREAD_UNCHANGED);
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
    r.ok = true;
    r.width = image.cols;
    r.height = image.rows;
    r.channels = image.channels();
    makeThumbnail(image, r);
}

bool encodePng(const unsigned char *pixels, int rows, int cols, int channels, std::vector<unsigned char> &out)
{
    const cv::Mat m(rows, cols, CV_8UC(channels), const_cast<unsigned char *>(pixels));
    return cv::imencode(".png", m, out);
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
        cv::Mat decoded;
        const cv::Mat buf(1, int(size), CV_8U, const_cast<unsigned char *>(data));
        cv::imdecode(buf, channels == 1 ? cv::IMREAD_GRAYSCALE : cv::IMREAD_COLOR, &decoded);
        if (decoded.empty()) {
            error = "the image data does not decode";
            return false;
        }
        cv::Mat target(targetSize, targetSize, channels == 1 ? CV_8UC1 : CV_8UC3, out);
        bool swapInPlace = false;
        if (decoded.cols == targetSize && decoded.rows == targetSize) {
            // Already the size: one pass into `out`, swapping OpenCV's BGR to RGB on the way.
            if (channels == 3)
                cv::cvtColor(decoded, target, cv::COLOR_BGR2RGB);
            else
                decoded.copyTo(target);
        } else {
            const bool shrinks = decoded.cols > targetSize || decoded.rows > targetSize;
            cv::resize(decoded, target, target.size(), 0, 0, shrinks ? cv::INTER_AREA : cv::INTER_LINEAR);
            swapInPlace = channels == 3;
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

const pw::imaging::ModuleApi kApi{pw::imaging::kModuleAbiVersion, configure, decode, encodePng, decodeResized};

} // namespace

extern "C" __attribute__((visibility("default"))) const pw::imaging::ModuleApi *pipewright_imaging_module()
{
    return &kApi;
}
