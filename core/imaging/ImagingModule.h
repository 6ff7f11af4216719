// The image-codec module: everything that needs OpenCV, in a shared module loaded on first use.
//
// Debian's OpenCV pulls in ~140 shared libraries (GDAL, GDCM, ...), which cost ~0.13 s at every
// process start. Loading them only when pixels are decoded or encoded keeps `pipewright help`,
// `catalog`, the GUI start and an ingest with nothing new fast.
#pragma once

#include "core/ingest/ImageProbe.h"

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace pw::imaging {

inline constexpr int kModuleAbiVersion = 3;

/** What the module decoded in this process so far (all threads): how many images at full size, how many through
 *  the JPEG decoder's reduced scaling (1/2, 1/4 or 1/8 in the DCT, so no full-size pixels exist), and how many
 *  pixels those decodes produced. Tests and benchmarks read it to see which path ran. */
struct DecodeCounts
{
    std::uint64_t fullSize = 0;
    std::uint64_t reduced = 0;
    std::uint64_t pixels = 0;
};

/** Entry points of libpipewright-imaging.so; built from the same sources, so C++ types pass across. */
struct ModuleApi
{
    int abiVersion;
    /** Quiet logging and one thread per call: parallelism comes from the caller's own threads. */
    void (*configure)();
    /** Decodes `data` (header already checked): fills width, height, channels and the thumbnail, or sets
     *  ok = false with a reason. A JPEG at least twice the thumbnail's size is decoded reduced (since ABI 3). */
    void (*decode)(const unsigned char *data, std::size_t size, ingest::ProbeResult &result);
    /** Encodes 8-bit pixels (rows x cols x channels, row-major) as PNG. */
    bool (*encodePng)(const unsigned char *pixels, int rows, int cols, int channels, std::vector<unsigned char> &out);
    /** Decodes `data` as 8-bit gray (`channels` 1) or RGB (3; a gray image is replicated), 16-bit samples
     *  scaled to 8 bits, and resizes it to targetSize x targetSize (INTER_AREA when a side shrinks, else
     *  INTER_LINEAR). A JPEG whose shorter side is at least twice targetSize is decoded reduced, to the
     *  smallest scale that keeps both sides at targetSize or more (since ABI 3); other formats at full size.
     *  Writes targetSize * targetSize * channels bytes, row-major HWC, to `out`. Returns
     *  false with `error` set (and `out` unspecified) when the data does not decode. Since ABI 2. */
    bool (*decodeResized)(const unsigned char *data, std::size_t size, int targetSize, int channels, unsigned char *out,
                          std::string &error);
    /** This process's decode counters. Since ABI 3. */
    DecodeCounts (*decodeCounts)();
    /** Decodes `data` at full size as 8-bit RGB, row-major HWC, into `out` (rows x cols x 3). Since ABI 3. */
    bool (*decodeRgb)(const unsigned char *data, std::size_t size, std::vector<unsigned char> &out, int &rows,
                      int &cols, std::string &error);
    /** Cuts the rectangle (x, y, width, height) out of 8-bit RGB pixels (rows x cols x 3), resizes it to
     *  outCols x outRows (INTER_AREA) and encodes it as a JPEG of `quality` (1-100). Since ABI 3. */
    bool (*encodeJpegCrop)(const unsigned char *rgb, int rows, int cols, const int rect[4], int outCols, int outRows,
                           int quality, std::vector<unsigned char> &out, std::string &error);
};

/** The loaded module (loaded once, thread-safe). Throws std::runtime_error naming the places searched. */
const ModuleApi &module();

} // namespace pw::imaging

extern "C" const pw::imaging::ModuleApi *pipewright_imaging_module();
