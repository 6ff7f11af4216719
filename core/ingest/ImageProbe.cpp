// Image validation: header checks here, decoding and thumbnails in the OpenCV codec module.
#include "core/ingest/ImageProbe.h"

#include "core/imaging/ImagingModule.h"
#include "core/ingest/ImageHeader.h"

#include <cstdio>

namespace pw::ingest {

void configureImageCodecs()
{
    imaging::module(); // loads and configures the codec module once
}

static std::string megapixelText(double mp)
{
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.1f", mp);
    return buf;
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
    imaging::module().decode(data, size, r);
    return r;
}

} // namespace pw::ingest
