// A baseline JPEG at 1/8 of its size from the DC coefficients alone.
//
// libjpeg's DCT scaling to 1/8 turns each 8x8 block into its DC value, but it still decodes every AC
// coefficient of the chroma blocks of a subsampled image (it scales those up with a 2x2 IDCT) and runs its
// general coefficient machinery for the rest. Here the entropy-coded data is read once, each AC coefficient is
// stepped over with one table look-up (its Huffman code and its extra bits together), and only the DC values are
// kept. Progressive, arithmetic-coded, 12-bit, CMYK and anything unusual are not handled: the caller decodes
// those with libjpeg as before.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

namespace pw::imaging {

struct JpegDcImage
{
    /** ceil(width / 8) x ceil(height / 8) of the image at full size: libjpeg's size at scale 1/8. */
    int width = 0;
    int height = 0;
    /** 1 (gray) or 3. */
    int components = 0;
    /** With 3 components: true when they are R, G, B (an Adobe marker with transform 0, or components named
     *  'R', 'G', 'B'); false for Y, Cb, Cr (JFIF and every camera). */
    bool rgb = false;
    /** The EXIF orientation tag (1-8; 1 when there is none or it is unreadable). Not applied to `samples`. */
    int orientation = 1;
    /** width x height x components, row-major and interleaved; a subsampled component's value is repeated over
     *  the blocks it covers. With lumaOnly (see decodeJpegDc) and a Y, Cb, Cr image: Y alone, components 1. */
    std::vector<unsigned char> samples;
};

enum class JpegDcStatus
{
    Decoded,
    /** A JPEG this decoder does not handle (progressive, arithmetic, 12-bit, 4 components, ...) or not a JPEG. */
    NotHandled,
    /** Damaged entropy-coded data (a bad Huffman code, a missing restart marker, data cut short): `why` says
     *  what. libjpeg may still make something of it, with warnings. */
    Damaged,
};

/** Decodes the baseline JPEG in `data` at 1/8 scale into `out`. With `lumaOnly`, a Y, Cb, Cr image's chroma is
 *  stepped over but not kept (for a gray result). `why` is set for NotHandled and Damaged. */
JpegDcStatus decodeJpegDc(const unsigned char *data, std::size_t size, bool lumaOnly, JpegDcImage &out,
                          std::string &why);

} // namespace pw::imaging
