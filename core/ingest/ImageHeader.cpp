// Header parsers for the formats ingest accepts. Each reads only fixed-size header fields.
#include "core/ingest/ImageHeader.h"

#include <cstdint>
#include <cstring>

namespace pw::ingest {

namespace {

std::uint32_t be16(const unsigned char *p)
{
    return (std::uint32_t(p[0]) << 8) | p[1];
}
std::uint32_t be32(const unsigned char *p)
{
    return (be16(p) << 16) | be16(p + 2);
}
std::uint32_t le16(const unsigned char *p)
{
    return (std::uint32_t(p[1]) << 8) | p[0];
}
std::uint32_t le32(const unsigned char *p)
{
    return (le16(p + 2) << 16) | le16(p);
}

std::optional<ImageHeader> png(const unsigned char *d, std::size_t n)
{
    static const unsigned char sig[8] = {0x89, 'P', 'N', 'G', 0x0D, 0x0A, 0x1A, 0x0A};
    if (n < 8 || std::memcmp(d, sig, 8) != 0)
        return std::nullopt;
    if (n < 24 || std::memcmp(d + 12, "IHDR", 4) != 0)
        return ImageHeader{"png", -1, -1}; // a PNG signature without a readable IHDR: corrupt
    return ImageHeader{"png", be32(d + 16), be32(d + 20)};
}

std::optional<ImageHeader> jpeg(const unsigned char *d, std::size_t n)
{
    if (n < 3 || d[0] != 0xFF || d[1] != 0xD8 || d[2] != 0xFF)
        return std::nullopt;
    std::size_t i = 2;
    while (i + 4 <= n) {
        if (d[i] != 0xFF)
            break;
        const unsigned char marker = d[i + 1];
        if (marker == 0xFF) { // fill byte
            ++i;
            continue;
        }
        if (marker == 0xD8 || marker == 0x01 || (marker >= 0xD0 && marker <= 0xD7)) {
            i += 2; // markers without a length
            continue;
        }
        const std::size_t len = be16(d + i + 2);
        const bool sof = marker >= 0xC0 && marker <= 0xCF && marker != 0xC4 && marker != 0xC8 && marker != 0xCC;
        if (sof) {
            if (i + 9 > n)
                break;
            return ImageHeader{"jpeg", be16(d + i + 7), be16(d + i + 5)};
        }
        if (marker == 0xDA || marker == 0xD9 || len < 2)
            break; // scan data or end before any frame header
        i += 2 + len;
    }
    return ImageHeader{"jpeg", -1, -1};
}

std::optional<ImageHeader> bmp(const unsigned char *d, std::size_t n)
{
    if (n < 2 || d[0] != 'B' || d[1] != 'M')
        return std::nullopt;
    if (n < 26)
        return ImageHeader{"bmp", -1, -1};
    const std::uint32_t dib = le32(d + 14);
    if (dib == 12) // OS/2 BITMAPCOREHEADER: 16-bit sizes
        return ImageHeader{"bmp", le16(d + 18), le16(d + 20)};
    const auto w = static_cast<std::int32_t>(le32(d + 18));
    const auto h = static_cast<std::int32_t>(le32(d + 22));
    return ImageHeader{"bmp", w < 0 ? -1LL : w, h < 0 ? -static_cast<long long>(h) : h};
}

std::optional<ImageHeader> tiff(const unsigned char *d, std::size_t n)
{
    if (n < 8)
        return std::nullopt;
    const bool le = d[0] == 'I' && d[1] == 'I' && d[2] == 42 && d[3] == 0;
    const bool be = d[0] == 'M' && d[1] == 'M' && d[2] == 0 && d[3] == 42;
    if (!le && !be)
        return std::nullopt;
    auto u16 = [&](std::size_t off) { return le ? le16(d + off) : be16(d + off); };
    auto u32 = [&](std::size_t off) { return le ? le32(d + off) : be32(d + off); };
    const std::size_t ifd = u32(4);
    if (ifd + 2 > n)
        return ImageHeader{"tiff", -1, -1};
    const std::size_t count = u16(ifd);
    long long w = -1, h = -1;
    for (std::size_t k = 0; k < count && ifd + 2 + 12 * (k + 1) <= n; ++k) {
        const std::size_t e = ifd + 2 + 12 * k;
        const unsigned tag = u16(e);
        const unsigned type = u16(e + 2);
        const long long value = type == 3 ? u16(e + 8) : u32(e + 8);
        if (tag == 256)
            w = value;
        else if (tag == 257)
            h = value;
    }
    return ImageHeader{"tiff", w, h};
}

std::optional<ImageHeader> webp(const unsigned char *d, std::size_t n)
{
    if (n < 12 || std::memcmp(d, "RIFF", 4) != 0 || std::memcmp(d + 8, "WEBP", 4) != 0)
        return std::nullopt;
    if (n >= 30 && std::memcmp(d + 12, "VP8 ", 4) == 0)
        return ImageHeader{"webp", le16(d + 26) & 0x3FFF, le16(d + 28) & 0x3FFF};
    if (n >= 25 && std::memcmp(d + 12, "VP8L", 4) == 0 && d[20] == 0x2F) {
        const std::uint32_t bits = le32(d + 21);
        return ImageHeader{"webp", (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1};
    }
    if (n >= 30 && std::memcmp(d + 12, "VP8X", 4) == 0) {
        const long long w = (d[24] | (d[25] << 8) | (d[26] << 16)) + 1;
        const long long h = (d[27] | (d[28] << 8) | (d[29] << 16)) + 1;
        return ImageHeader{"webp", w, h};
    }
    return ImageHeader{"webp", -1, -1};
}

} // namespace

std::optional<ImageHeader> readImageHeader(const unsigned char *data, std::size_t size)
{
    for (auto parse : {png, jpeg, bmp, tiff, webp}) {
        if (auto h = parse(data, size))
            return h;
    }
    return std::nullopt;
}

bool hasCompleteTrailer(const std::string &format, const unsigned char *data, std::size_t size)
{
    if (format == "png") // the last chunk is IEND: length 0, "IEND", CRC
        return size >= 12 && std::memcmp(data + size - 8, "IEND", 4) == 0;
    if (format == "jpeg") {
        // EOI (FF D9) cannot occur inside entropy-coded data (FF is stuffed there), so a file whose
        // tail holds none was cut short. Some writers pad after EOI: look at the last 1 KiB.
        const std::size_t from = size > 1024 ? size - 1024 : 0;
        for (std::size_t i = size; i >= from + 2; --i) {
            if (data[i - 2] == 0xFF && data[i - 1] == 0xD9)
                return true;
        }
        return false;
    }
    return true; // other formats: the decoder's verdict decides
}

} // namespace pw::ingest
