// Reads an image's format and dimensions from its first bytes, without decoding any pixels.
#pragma once

#include <cstddef>
#include <optional>
#include <string>

namespace pw::ingest {

struct ImageHeader
{
    std::string format; // png, jpeg, bmp, tiff, webp
    long long width = 0;
    long long height = 0;
};

/**
 * The header of the PNG, JPEG, BMP, TIFF or WebP image in `data`; std::nullopt when the bytes are
 * none of these. Only the header is read, so a decompression bomb costs nothing here.
 */
std::optional<ImageHeader> readImageHeader(const unsigned char *data, std::size_t size);

/** False when a PNG lacks its IEND chunk or a JPEG its end-of-image marker: the file was cut short. */
bool hasCompleteTrailer(const std::string &format, const unsigned char *data, std::size_t size);

} // namespace pw::ingest
