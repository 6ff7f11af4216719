// Image validation and thumbnails with OpenCV.
#include "core/ingest/ImageProbe.h"

#include "core/ingest/ImageHeader.h"

#include <opencv2/core.hpp>
#include <opencv2/core/utils/logger.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <cstdio>

namespace pw::ingest {

void configureImageCodecs()
{
    cv::utils::logging::setLogLevel(cv::utils::logging::LOG_LEVEL_ERROR);
    cv::setNumThreads(1); // parallelism comes from our own pool: one image per thread
}

static std::string megapixelText(double mp)
{
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.1f", mp);
    return buf;
}

static void makeThumbnail(const cv::Mat &image, ProbeResult &r)
{
    const int longest = std::max(image.cols, image.rows);
    const bool webFriendly = r.format == "png" || r.format == "jpeg";
    if (longest <= kThumbnailMaxSide && webFriendly) {
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
    if (longest > kThumbnailMaxSide) {
        const double f = double(kThumbnailMaxSide) / longest;
        const int w = std::max(1, int(img.cols * f + 0.5));
        const int h = std::max(1, int(img.rows * f + 0.5));
        cv::resize(img, img, cv::Size(w, h), 0, 0, cv::INTER_AREA);
    }
    r.thumbFormat = "jpeg";
    r.thumbWidth = img.cols;
    r.thumbHeight = img.rows;
    cv::imencode(".jpg", img, r.thumbnail, {cv::IMWRITE_JPEG_QUALITY, 85});
}

ProbeResult probeImage(const unsigned char *data, std::size_t size, double maxMegapixels)
{
    ProbeResult r;
    if (size == 0) {
        r.reason = "empty file";
        return r;
    }
    const auto header = readImageHeader(data, size);
    if (!header) {
        r.reason = "not an image (no PNG, JPEG, BMP, TIFF or WebP header)";
        return r;
    }
    r.format = header->format;
    if (header->width <= 0 || header->height <= 0) {
        r.reason = "truncated or corrupt: unreadable " + header->format + " header";
        return r;
    }
    const double mp = double(header->width) * double(header->height) / 1e6;
    if (mp > maxMegapixels) {
        r.reason = "dimensions " + std::to_string(header->width) + "x" + std::to_string(header->height) + " ("
                   + megapixelText(mp) + " MP) over --max-megapixels " + megapixelText(maxMegapixels);
        return r;
    }
    if (!hasCompleteTrailer(header->format, data, size)) {
        r.reason = "truncated or corrupt: " + header->format + " data ends before the end-of-image marker";
        return r;
    }
    cv::Mat image;
    try {
        const cv::Mat buf(1, int(size), CV_8U, const_cast<unsigned char *>(data));
        image = cv::imdecode(buf, cv::IMREAD_UNCHANGED);
    } catch (const cv::Exception &e) {
        r.reason = "truncated or corrupt: " + header->format + " decoder: " + e.msg;
        return r;
    }
    if (image.empty()) {
        r.reason = "truncated or corrupt: the " + header->format + " data does not decode";
        return r;
    }
    r.ok = true;
    r.width = image.cols;
    r.height = image.rows;
    r.channels = image.channels();
    makeThumbnail(image, r);
    return r;
}

} // namespace pw::ingest
