// JPEG (ITU T.81) baseline decoding at 1/8 scale from DC coefficients alone; see JpegDc.h.
#include "core/imaging/JpegDc.h"

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstring>

namespace pw::imaging {

namespace {

// Bits a Huffman look-up table is indexed by: 2^11 two-byte entries per table, four tables in the L1 cache.
constexpr int kFastBits = 11;

// One Huffman table (T.81 Annex C), decoded canonically for long codes and through `fast` for the rest.
struct HuffmanTable
{
    bool defined = false;
    // fast[next kFastBits bits]: low byte, the bits to consume (0: decode the slow way); high byte, for a DC table
    // the symbol (its size category), for an AC table how far the zig-zag index moves (64 for end-of-block). An AC
    // entry counts the code and its extra bits together when both fit in kFastBits; when only the code fits, the
    // low byte is 0 and the high byte is the code's length.
    // After those 2^kFastBits entries, an AC table has as many more that hold two codes in one entry where both,
    // with their extra bits, fit in kFastBits and the first is not an end-of-block: for the coefficients before
    // 48, where the first cannot end the block.
    std::array<std::uint16_t, 2 << kFastBits> fast{};
    std::array<std::int32_t, 17> maxCode{}; // largest code of each length; -1 for none
    std::array<std::int32_t, 17> valueOffset{}; // symbols[valueOffset[l] + code] for a code of length l
    std::array<std::uint8_t, 256> symbols{};
};

// How far an AC symbol (run << 4 | size) moves the zig-zag index: run + 1, 16 for ZRL (0xF0), and to the end
// for end-of-block (0x00) or any other symbol of size 0, as libjpeg reads them.
int acAdvance(int symbol)
{
    const int run = symbol >> 4, size = symbol & 15;
    return size != 0 ? run + 1 : (run == 15 ? 16 : 64);
}

bool buildTable(HuffmanTable &t, const std::uint8_t *counts, const std::uint8_t *values, int total, bool ac)
{
    t = HuffmanTable{};
    std::copy(values, values + total, t.symbols.begin());
    int code = 0, k = 0;
    for (int length = 1; length <= 16; ++length) {
        const int n = counts[length - 1];
        t.valueOffset[std::size_t(length)] = k - code;
        for (int i = 0; i < n; ++i, ++k, ++code) {
            if (length > kFastBits)
                continue;
            const int symbol = values[k];
            const int extra = ac ? (symbol & 15) : 0;
            std::uint16_t entry;
            if (!ac)
                entry = std::uint16_t(symbol << 8 | length);
            else if (length + extra <= kFastBits)
                entry = std::uint16_t(acAdvance(symbol) << 8 | (length + extra));
            else
                entry = std::uint16_t(length << 8);
            const int shift = kFastBits - length;
            std::fill_n(t.fast.begin() + (code << shift), 1 << shift, entry);
        }
        t.maxCode[std::size_t(length)] = n ? code - 1 : -1;
        if (code > (1 << length))
            return false; // more codes than the length allows
        code <<= 1;
    }
    for (int i = 0; i < (1 << kFastBits); ++i) {
        const std::uint16_t first = t.fast[std::size_t(i)];
        const int used = first & 0xFF, advance = first >> 8;
        std::uint16_t &pair = t.fast[std::size_t((1 << kFastBits) + i)];
        pair = first;
        if (!ac || used == 0 || advance >= 64)
            continue;
        // The second code's entry, looked up with the bits after the first; it holds when it used no more bits
        // than those (the rest of the index is zeros, not data).
        const std::uint16_t second = t.fast[std::size_t((i << used) & ((1 << kFastBits) - 1))];
        if ((second & 0xFF) != 0 && (second & 0xFF) <= kFastBits - used)
            pair = std::uint16_t((advance + (second >> 8)) << 8 | (used + (second & 0xFF)));
    }
    t.defined = true;
    return true;
}

// The scan's entropy-coded data with the stuffed zero bytes (FF 00) taken out, split where the restart markers
// were, and followed by zero bytes enough that reading on past the end is always within the buffer.
struct EntropyData
{
    static constexpr std::size_t kPadding = 512; // more than one damaged block can run on
    std::vector<std::uint8_t> bytes;
    std::vector<std::size_t> segments; // where each restart interval's data begins, and the end
    std::vector<int> restartNumbers; // the n of the RSTn that begins segment i + 1
};

void readEntropyData(const std::uint8_t *p, const std::uint8_t *end, EntropyData &d)
{
    d.bytes.resize(std::size_t(end - p) + EntropyData::kPadding);
    d.segments.assign(1, 0);
    d.restartNumbers.clear();
    std::uint8_t *o = d.bytes.data();
    while (p < end) {
        const auto *ff = static_cast<const std::uint8_t *>(std::memchr(p, 0xFF, std::size_t(end - p)));
        const std::uint8_t *stop = ff ? ff : end;
        std::memcpy(o, p, std::size_t(stop - p));
        o += stop - p;
        if (!ff || ff + 1 >= end)
            break; // the data ends without a marker: cut short, which the decoder sees when it runs past it
        const std::uint8_t m = ff[1];
        if (m == 0x00) {
            *o++ = 0xFF; // a stuffed FF
            p = ff + 2;
        } else if (m == 0xFF) {
            p = ff + 1; // a fill byte
        } else if (m >= 0xD0 && m <= 0xD7) {
            d.segments.push_back(std::size_t(o - d.bytes.data()));
            d.restartNumbers.push_back(m & 7);
            p = ff + 2;
        } else {
            break; // EOI, or any other marker: the scan's end
        }
    }
    d.segments.push_back(std::size_t(o - d.bytes.data()));
    std::memset(o, 0, EntropyData::kPadding);
}

// Bits of one restart interval's data, most significant first, in a 64-bit buffer refilled without branches:
// after refill() at least 56 bits are there. The bits past `count` are the data's next bits, never garbage,
// so that the next refill may lay the same bytes over them. Kept in the decoder's locals (registers).
#define PW_JPEG_REFILL()                                                                                               \
    do {                                                                                                               \
        std::uint64_t next_;                                                                                           \
        std::memcpy(&next_, p, 8);                                                                                     \
        bits |= __builtin_bswap64(next_) >> count;                                                                     \
        p += (63 - count) >> 3;                                                                                        \
        count |= 56;                                                                                                   \
    } while (false)
#define PW_JPEG_CONSUME(n)                                                                                             \
    do {                                                                                                               \
        const int n_ = (n);                                                                                            \
        bits <<= n_;                                                                                                   \
        count -= n_;                                                                                                   \
    } while (false)

// Steps over AC coefficients through `table` until the zig-zag index k reaches `limit` (or the block ends):
// up to four look-ups a refill, then a code the table does not resolve the slow way. Uses the decoder's `ac`
// table and returns from it on a bad code.
#define PW_JPEG_AC_RUN(table, limit)                                                                                   \
    while (k < (limit)) {                                                                                              \
        PW_JPEG_REFILL();                                                                                              \
        std::uint16_t a_ = 0;                                                                                          \
        for (int i_ = 0; i_ < 4; ++i_) {                                                                               \
            a_ = (table)[std::size_t(bits >> (64 - kFastBits))];                                                       \
            if (!(a_ & 0xFF))                                                                                          \
                break;                                                                                                 \
            PW_JPEG_CONSUME(a_ & 0xFF);                                                                                \
            k += a_ >> 8;                                                                                              \
            if (k >= (limit))                                                                                          \
                break;                                                                                                 \
        }                                                                                                              \
        if (k >= (limit) || (a_ & 0xFF))                                                                               \
            continue;                                                                                                  \
        /* A long code, or a code and extra bits longer than kFastBits: <= 31 bits in all. */                          \
        PW_JPEG_REFILL();                                                                                              \
        const int code_ = decodeSlow(ac, bits, a_ >> 8);                                                               \
        if (code_ < 0)                                                                                                 \
            return damaged("a bad Huffman code");                                                                      \
        PW_JPEG_CONSUME((code_ >> 8) + (code_ & 15));                                                                  \
        k += acAdvance(code_ & 0xFF);                                                                                  \
    }

// A code the fast table does not resolve, at the top of `bits`: its length (from the table, or found
// canonically) << 8 | its symbol; -1 for a code no table defines.
int decodeSlow(const HuffmanTable &t, std::uint64_t bits, int knownLength)
{
    const auto code16 = std::int32_t(bits >> 48);
    for (int length = knownLength ? knownLength : kFastBits + 1; length <= 16; ++length) {
        const std::int32_t code = code16 >> (16 - length);
        if (code <= t.maxCode[std::size_t(length)])
            return length << 8 | t.symbols[std::size_t(t.valueOffset[std::size_t(length)] + code) & 0xFF];
    }
    return -1;
}

struct Component
{
    int id = 0;
    int h = 1, v = 1; // sampling factors
    int quant = 0; // quantisation table
    int dcTable = 0, acTable = 0;
    int dcQuant = 0; // the DC quantiser
    int blocksWide = 0, blocksHigh = 0; // the plane of DC values, whole MCUs
    std::vector<std::uint8_t> plane;
    bool keep = true;
};

std::uint16_t be16(const std::uint8_t *p)
{
    return std::uint16_t(p[0] << 8 | p[1]);
}

struct Segment
{
    int marker = 0;
    const std::uint8_t *body = nullptr; // after the length field
    int length = 0; // of the body
};

// The marker segment at `pos` (on FF xx), or marker 0 when the data is cut short.
Segment readSegment(const std::uint8_t *data, std::size_t size, std::size_t &pos)
{
    Segment s;
    while (pos + 1 < size && data[pos] == 0xFF && data[pos + 1] == 0xFF)
        ++pos; // fill bytes
    if (pos + 4 > size || data[pos] != 0xFF)
        return s;
    s.marker = data[pos + 1];
    const int length = be16(data + pos + 2);
    if (length < 2 || pos + 2 + std::size_t(length) > size)
        return Segment{};
    s.body = data + pos + 4;
    s.length = length - 2;
    pos += 2 + std::size_t(length);
    return s;
}

int orientationFromExif(const std::uint8_t *p, int n)
{
    // "Exif\0\0", then a TIFF header (II*\0 or MM\0*), IFD0's offset, its entries (tag, type, count, value).
    if (n < 14 || std::memcmp(p, "Exif\0\0", 6) != 0)
        return 1;
    const std::uint8_t *tiff = p + 6;
    const int size = n - 6;
    const bool little = tiff[0] == 'I' && tiff[1] == 'I';
    if (!little && !(tiff[0] == 'M' && tiff[1] == 'M'))
        return 1;
    const auto u16 = [&](int at) {
        return little ? int(tiff[at] | tiff[at + 1] << 8) : int(tiff[at] << 8 | tiff[at + 1]);
    };
    const auto u32 = [&](int at) {
        return little ? std::uint32_t(u16(at)) | std::uint32_t(u16(at + 2)) << 16
                      : std::uint32_t(u16(at)) << 16 | std::uint32_t(u16(at + 2));
    };
    const std::uint32_t ifd = u32(4);
    if (ifd > std::uint32_t(size - 2))
        return 1;
    const int entries = u16(int(ifd));
    for (int i = 0; i < entries; ++i) {
        const int at = int(ifd) + 2 + 12 * i;
        if (at + 12 > size)
            break;
        if (u16(at) == 0x0112 && u16(at + 2) == 3) { // Orientation, SHORT
            const int value = u16(at + 8);
            return value >= 1 && value <= 8 ? value : 1;
        }
    }
    return 1;
}

// The image at 1/8 from the components' planes of DC values: one sample per block of the most finely sampled
// component, the others repeated. out.width and out.height are set.
void interleave(const std::vector<Component> &comps, int hMax, int vMax, JpegDcImage &out)
{
    std::vector<const Component *> kept;
    for (const auto &c : comps) {
        if (c.keep)
            kept.push_back(&c);
    }
    out.components = int(kept.size());
    out.samples.resize(std::size_t(out.width) * std::size_t(out.height) * kept.size());
    std::uint8_t *dst = out.samples.data();
    const int nk = int(kept.size());
    for (int y = 0; y < out.height; ++y) {
        for (std::size_t k = 0; k < kept.size(); ++k) {
            const Component &c = *kept[k];
            const std::uint8_t *row = c.plane.data() + std::size_t(y * c.v / vMax) * std::size_t(c.blocksWide);
            std::uint8_t *o = dst + std::size_t(y) * std::size_t(out.width) * std::size_t(nk) + k;
            if (c.h == hMax) {
                for (int x = 0; x < out.width; ++x)
                    o[std::size_t(x * nk)] = row[x];
            } else {
                for (int x = 0; x < out.width; ++x)
                    o[std::size_t(x * nk)] = row[x * c.h / hMax];
            }
        }
    }
}

// What the headers say: the tables, the components, the restart interval, where the scan's data begins.
struct Frame
{
    std::array<int, 4> dcQuant{};
    std::array<bool, 4> quantDefined{};
    std::array<HuffmanTable, 4> dcTables, acTables;
    std::vector<Component> comps;
    int width = 0, height = 0, restartInterval = 0, adobeTransform = -1;
    std::size_t pos = 0;
};

// The headers up to the scan's entropy-coded data (which begins at f.pos): NotHandled with `why` for anything
// decodeJpegDc does not take.
JpegDcStatus readHeaders(const unsigned char *data, std::size_t size, Frame &f, int &orientation, std::string &why)
{
    if (size < 4 || data[0] != 0xFF || data[1] != 0xD8) {
        why = "not a JPEG";
        return JpegDcStatus::NotHandled;
    }
    auto &[dcQuant, quantDefined, dcTables, acTables, comps, width, height, restartInterval, adobeTransform, pos] = f;
    bool frame = false;
    Segment scan;
    orientation = 1;
    pos = 2;
    const auto notHandled = [&](std::string reason) {
        why = std::move(reason);
        return JpegDcStatus::NotHandled;
    };
    for (;;) {
        const Segment s = readSegment(data, size, pos);
        const std::uint8_t *b = s.body;
        const int n = s.length;
        if (s.marker == 0)
            return notHandled("its header is cut short or malformed");
        if (s.marker == 0xDA) {
            scan = s; // start of scan: the entropy-coded data follows
            break;
        }
        switch (s.marker) {
        case 0xC0:
        case 0xC1: { // baseline, extended sequential Huffman
            if (frame || n < 6 || b[0] != 8)
                return notHandled("not an 8-bit frame");
            height = be16(b + 1);
            width = be16(b + 3);
            const int nc = b[5];
            if ((nc != 1 && nc != 3) || n < 6 + 3 * nc || width == 0 || height == 0)
                return notHandled("not 1 or 3 components");
            for (int i = 0; i < nc; ++i) {
                Component c;
                c.id = b[6 + 3 * i];
                c.h = b[7 + 3 * i] >> 4;
                c.v = b[7 + 3 * i] & 15;
                c.quant = b[8 + 3 * i];
                if (c.h < 1 || c.h > 4 || c.v < 1 || c.v > 4 || c.quant > 3)
                    return notHandled("unusual sampling factors or tables");
                comps.push_back(c);
            }
            frame = true;
            break;
        }
        case 0xC4: // Huffman tables
            for (int at = 0; at < n;) {
                if (at + 17 > n)
                    return notHandled("a malformed Huffman table");
                const int cls = b[at] >> 4, id = b[at] & 15;
                int total = 0;
                for (int i = 0; i < 16; ++i)
                    total += b[at + 1 + i];
                if (cls > 1 || id > 3 || total > 256 || at + 17 + total > n)
                    return notHandled("a malformed Huffman table");
                auto &t = cls ? acTables[std::size_t(id)] : dcTables[std::size_t(id)];
                if (!buildTable(t, b + at + 1, b + at + 17, total, cls == 1))
                    return notHandled("a malformed Huffman table");
                at += 17 + total;
            }
            break;
        case 0xDB: // quantisation tables: only each one's DC quantiser is needed
            for (int at = 0; at < n;) {
                const int precision = b[at] >> 4, id = b[at] & 15;
                const int bytes = precision ? 128 : 64;
                if (id > 3 || precision > 1 || at + 1 + bytes > n)
                    return notHandled("a malformed quantisation table");
                dcQuant[std::size_t(id)] = precision ? be16(b + at + 1) : b[at + 1];
                quantDefined[std::size_t(id)] = true;
                at += 1 + bytes;
            }
            break;
        case 0xDD:
            if (n < 2)
                return notHandled("a malformed restart interval");
            restartInterval = be16(b);
            break;
        case 0xE1:
            if (orientation == 1)
                orientation = orientationFromExif(b, n);
            break;
        case 0xEE: // Adobe
            if (n >= 12 && std::memcmp(b, "Adobe", 5) == 0)
                adobeTransform = b[11];
            break;
        default:
            if (s.marker >= 0xC2 && s.marker <= 0xCF) // progressive, lossless, arithmetic, hierarchical
                return notHandled("not a baseline (sequential Huffman) JPEG");
            break; // other APPn, COM, ...
        }
    }
    // The scan header: every component, in frame order, with defined tables; all 64 coefficients at once.
    const std::uint8_t *sb = scan.body;
    if (!frame || scan.length < 1 || sb[0] != comps.size() || scan.length < 4 + 2 * int(comps.size()))
        return notHandled("a scan that is not one interleaved scan of every component");
    for (std::size_t i = 0; i < comps.size(); ++i) {
        Component &c = comps[i];
        if (sb[1 + 2 * i] != c.id)
            return notHandled("a scan whose components are not in frame order");
        c.dcTable = sb[2 + 2 * i] >> 4;
        c.acTable = sb[2 + 2 * i] & 15;
        if (c.dcTable > 3 || c.acTable > 3 || !dcTables[std::size_t(c.dcTable)].defined
            || !acTables[std::size_t(c.acTable)].defined || !quantDefined[std::size_t(c.quant)])
            return notHandled("a scan with an undefined table");
        c.dcQuant = dcQuant[std::size_t(c.quant)];
    }
    const std::uint8_t *spectral = sb + 1 + 2 * comps.size();
    if (spectral[0] != 0 || spectral[1] != 63 || spectral[2] != 0)
        return notHandled("not a sequential scan");
    return JpegDcStatus::Decoded;
}

} // namespace

JpegDcStatus decodeJpegDc(const unsigned char *data, std::size_t size, bool lumaOnly, JpegDcImage &out,
                          std::string &why)
{
    Frame f;
    if (const auto status = readHeaders(data, size, f, out.orientation, why); status != JpegDcStatus::Decoded)
        return status;
    auto &[dcQuant, quantDefined, dcTables, acTables, comps, width, height, restartInterval, adobeTransform, pos] = f;
    const std::size_t sos = pos;

    int hMax = 1, vMax = 1;
    for (const auto &c : comps) {
        hMax = std::max(hMax, c.h);
        vMax = std::max(vMax, c.v);
    }
    const bool single = comps.size() == 1;
    // A single-component scan is not interleaved: its MCU is one block, whatever its sampling factors say.
    const int mcusWide = single ? (width + 7) / 8 : (width + 8 * hMax - 1) / (8 * hMax);
    const int mcusHigh = single ? (height + 7) / 8 : (height + 8 * vMax - 1) / (8 * vMax);
    if (single)
        comps[0].h = comps[0].v = hMax = vMax = 1;
    const bool rgb = comps.size() == 3
                     && (adobeTransform == 0
                         || (adobeTransform < 0 && comps[0].id == 'R' && comps[1].id == 'G' && comps[2].id == 'B'));
    for (auto &c : comps) {
        c.blocksWide = mcusWide * c.h;
        c.blocksHigh = mcusHigh * c.v;
        c.keep = !(lumaOnly && !rgb && &c != &comps[0]);
        if (c.keep)
            c.plane.resize(std::size_t(c.blocksWide) * std::size_t(c.blocksHigh));
    }

    thread_local EntropyData entropy;
    readEntropyData(data + sos, data + size, entropy);
    const std::size_t totalMcus = std::size_t(mcusWide) * std::size_t(mcusHigh);
    const std::size_t intervals = restartInterval
                                      ? (totalMcus + std::size_t(restartInterval) - 1) / std::size_t(restartInterval)
                                      : 1;
    if (entropy.segments.size() - 1 < intervals) {
        why = "the data is cut short or a restart marker is missing";
        return JpegDcStatus::Damaged;
    }
    for (std::size_t i = 0; i + 1 < intervals; ++i) {
        if (entropy.restartNumbers[i] != int(i & 7)) {
            why = "restart markers out of order";
            return JpegDcStatus::Damaged;
        }
    }
    const std::uint8_t *p = entropy.bytes.data(); // the bit reader (PW_JPEG_REFILL, PW_JPEG_CONSUME)
    std::uint64_t bits = 0;
    int count = 0;
    const std::uint8_t *segment = p, *segmentEnd = p;
    // The bits read so far in the current restart interval, and whether that is more than it has.
    const auto overran = [&] {
        return std::size_t(p - segment) * 8 - std::size_t(count) > std::size_t(segmentEnd - segment) * 8;
    };
    std::size_t interval = 0, mcusLeft = 0;
    std::array<int, 4> predictor{};
    const auto damaged = [&](const char *reason) {
        why = reason;
        return JpegDcStatus::Damaged;
    };
    for (int my = 0; my < mcusHigh; ++my) {
        for (int mx = 0; mx < mcusWide; ++mx) {
            if (mcusLeft == 0) {
                if (interval > 0 && overran())
                    return damaged("the data of a restart interval is cut short");
                segment = p = entropy.bytes.data() + entropy.segments[interval];
                segmentEnd = entropy.bytes.data() + entropy.segments[interval + 1];
                bits = 0;
                count = 0;
                predictor.fill(0);
                mcusLeft = restartInterval ? std::size_t(restartInterval) : totalMcus;
                ++interval;
            }
            --mcusLeft;
            if (p > segmentEnd + 16) // read well past its data: damaged; stop before the padding runs out
                return damaged("the data is cut short or damaged");
            for (std::size_t ci = 0; ci < comps.size(); ++ci) {
                Component &c = comps[ci];
                const HuffmanTable &dc = dcTables[std::size_t(c.dcTable)];
                const HuffmanTable &ac = acTables[std::size_t(c.acTable)];
                const std::uint16_t *acFast = ac.fast.data();
                const std::uint16_t *acPairs = acFast + (1 << kFastBits);
                for (int by = 0; by < c.v; ++by) {
                    for (int bx = 0; bx < c.h; ++bx) {
                        // DC: a size category (a code of <= 16 bits), then that many bits of the difference.
                        PW_JPEG_REFILL();
                        const std::uint16_t e = dc.fast[std::size_t(bits >> (64 - kFastBits))];
                        int category;
                        if (e & 0xFF) {
                            PW_JPEG_CONSUME(e & 0xFF);
                            category = e >> 8;
                        } else {
                            const int code = decodeSlow(dc, bits, 0);
                            if (code < 0)
                                return damaged("a bad Huffman code");
                            PW_JPEG_CONSUME(code >> 8);
                            category = code & 0xFF;
                        }
                        if (category > 16)
                            return damaged("a bad DC difference");
                        if (category) {
                            const int v = int(bits >> (64 - category));
                            PW_JPEG_CONSUME(category);
                            predictor[ci] += v < (1 << (category - 1)) ? v - (1 << category) + 1 : v;
                        }
                        // AC: stepped over, up to four look-ups of <= kFastBits bits per refill; through the pair
                        // table (two codes a look-up) before coefficient 48, then the single one. Two loops rather
                        // than a table chosen per look-up: GCC 12 with -fsanitize=shift hoisted the chosen table's
                        // load above the shift of `bits` and read the previous code's entry.
                        int k = 1;
                        PW_JPEG_AC_RUN(acPairs, 48);
                        PW_JPEG_AC_RUN(acFast, 64);
                        if (c.keep) {
                            // libjpeg's 1x1 inverse DCT: the dequantised DC / 8, rounded, level-shifted, clamped.
                            const int value = ((predictor[ci] * c.dcQuant + 4) >> 3) + 128;
                            c.plane[std::size_t(my * c.v + by) * std::size_t(c.blocksWide)
                                    + std::size_t(mx * c.h + bx)] = std::uint8_t(std::clamp(value, 0, 255));
                        }
                    }
                }
            }
        }
    }
    if (overran())
        return damaged("the data is cut short");

    out.width = (width + 7) / 8;
    out.height = (height + 7) / 8;
    out.rgb = rgb;
    interleave(comps, hMax, vMax, out);
    return JpegDcStatus::Decoded;
}

} // namespace pw::imaging
