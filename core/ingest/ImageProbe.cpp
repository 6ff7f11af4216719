// Image validation: header checks here, decoding and thumbnails in the OpenCV codec module.
#include "core/ingest/ImageProbe.h"

#include "core/imaging/ImagingModule.h"
#include "core/ingest/ImageHeader.h"

#include <cstdio>
#include <cstdlib>

namespace pw::ingest {

void configureImageCodecs()
{
    imaging::module(); // loads and configures the codec module once
}

namespace {

// What OpenCV's decoders accept (imgcodecs/src/loadsave.cpp: 2^30 pixels, 2^20 a side, unless the environment
// variables OPENCV_IO_MAX_IMAGE_PIXELS, _WIDTH and _HEIGHT say otherwise): a larger image fails inside imdecode
// with an assertion, which must not read as bad data.
double decoderLimit(const char *variable, double fallback)
{
    const char *value = std::getenv(variable);
    const double v = value && *value ? std::strtod(value, nullptr) : 0;
    return v > 0 ? v : fallback;
}

const double kDecoderMaxPixels = decoderLimit("OPENCV_IO_MAX_IMAGE_PIXELS", double(1 << 30));
const double kDecoderMaxWidth = decoderLimit("OPENCV_IO_MAX_IMAGE_WIDTH", double(1 << 20));
const double kDecoderMaxHeight = decoderLimit("OPENCV_IO_MAX_IMAGE_HEIGHT", double(1 << 20));

std::string megapixelText(double mp)
{
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.1f", mp);
    return buf;
}

// The limit as the user wrote it: 50, 12.5.
std::string limitText(double mp)
{
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.10g", mp);
    return buf;
}

} // namespace

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
    const double pixels = double(header->width) * double(header->height);
    const std::string dimensions = std::to_string(header->width) + "x" + std::to_string(header->height) + " ("
                                   + megapixelText(pixels / 1e6) + " megapixels)";
    if (pixels / 1e6 > maxMegapixels) {
        r.reason = "too large: " + dimensions + " exceeds --max-megapixels " + limitText(maxMegapixels);
        return r;
    }
    if (pixels > kDecoderMaxPixels || double(header->width) > kDecoderMaxWidth
        || double(header->height) > kDecoderMaxHeight) {
        r.reason = "too large: " + dimensions + " exceeds what the image decoder takes ("
                   + megapixelText(kDecoderMaxPixels / 1e6) + " megapixels, " + limitText(kDecoderMaxWidth) + "x"
                   + limitText(kDecoderMaxHeight) + " pixels at most)";
        return r;
    }
    if (!hasCompleteTrailer(header->format, data, size)) {
        r.reason = "truncated or corrupt: " + header->format + " data ends before the end-of-image marker";
        return r;
    }
    imaging::module().decode(data, size, r);
    return r;
}

} // namespace pw::ingest
