// The image-codec module: everything that needs OpenCV, in a shared module loaded on first use.
//
// Debian's OpenCV pulls in ~140 shared libraries (GDAL, GDCM, ...), which cost ~0.13 s at every
// process start. Loading them only when pixels are decoded or encoded keeps `pipewright help`,
// `catalog`, the GUI start and an ingest with nothing new fast.
#pragma once

#include "core/ingest/ImageProbe.h"

#include <cstddef>
#include <string>
#include <vector>

namespace pw::imaging {

inline constexpr int kModuleAbiVersion = 2;

/** Entry points of libpipewright-imaging.so; built from the same sources, so C++ types pass across. */
struct ModuleApi
{
    int abiVersion;
    /** Quiet logging and one thread per call: parallelism comes from the caller's own threads. */
    void (*configure)();
    /** Fully decodes `data` (header already checked): fills width, height, channels and the thumbnail, or
     *  sets ok = false with a reason. */
    void (*decode)(const unsigned char *data, std::size_t size, ingest::ProbeResult &result);
    /** Encodes 8-bit pixels (rows x cols x channels, row-major) as PNG. */
    bool (*encodePng)(const unsigned char *pixels, int rows, int cols, int channels, std::vector<unsigned char> &out);
    /** Decodes `data` as 8-bit gray (`channels` 1) or RGB (3; a gray image is replicated), 16-bit samples
     *  scaled to 8 bits, and resizes it to targetSize x targetSize (INTER_AREA when a side shrinks, else
     *  INTER_LINEAR); writes targetSize * targetSize * channels bytes, row-major HWC, to `out`. Returns
     *  false with `error` set (and `out` unspecified) when the data does not decode. Since ABI 2. */
    bool (*decodeResized)(const unsigned char *data, std::size_t size, int targetSize, int channels, unsigned char *out,
                          std::string &error);
};

/** The loaded module (loaded once, thread-safe). Throws std::runtime_error naming the places searched. */
const ModuleApi &module();

} // namespace pw::imaging

extern "C" const pw::imaging::ModuleApi *pipewright_imaging_module();
