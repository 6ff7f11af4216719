// Validates one image file's bytes by decoding them (OpenCV) and makes its thumbnail.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

namespace pw::ingest {

inline constexpr int kThumbnailMaxSide = 256;

/**
 * A PNG or JPEG ("png", "jpeg") whose longest side is at most kThumbnailMaxSide is its own thumbnail: ingest stores
 * none for it (thumbnails.db has no entry), and a viewer reads the file. `longestSide` <= 0: unknown, not such a file.
 */
inline bool fileIsOwnThumbnail(const std::string &format, int longestSide)
{
    return longestSide > 0 && longestSide <= kThumbnailMaxSide && (format == "png" || format == "jpeg");
}

struct ProbeResult
{
    bool ok = false;
    std::string reason; // why the file is rejected, when !ok
    std::string format; // png, jpeg, bmp, tiff, webp
    int width = 0;
    int height = 0;
    int channels = 0;
    // Thumbnail, longest side <= kThumbnailMaxSide, as a JPEG. A PNG or JPEG file that is already
    // that small is kept as it is: it serves as its own thumbnail (thumbnailIsFile) and no copy is made.
    bool thumbnailIsFile = false;
    std::string thumbFormat;
    int thumbWidth = 0;
    int thumbHeight = 0;
    std::vector<unsigned char> thumbnail;
};

/**
 * Checks the header (dimensions against `maxMegapixels` before any pixel is allocated), decodes the
 * image fully, and makes a thumbnail. Never throws for bad data: the reason says what is wrong.
 */
ProbeResult probeImage(const unsigned char *data, std::size_t size, double maxMegapixels);

/** Makes OpenCV quiet and single-threaded inside our own worker threads; call once per process. */
void configureImageCodecs();

} // namespace pw::ingest
