// Turns Debian's Fashion-MNIST files (gzip'd IDX) into PNG folders in Caltech layout.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace pw::data {

inline constexpr const char *kFashionMnistDir = "/usr/share/datasets/fashion-mnist";

/** The ten class folder names, "000.t-shirt_top" ... "009.ankle_boot". */
const std::vector<std::string> &fashionMnistFolders();

struct IdxImages
{
    std::int64_t count = 0;
    int rows = 0;
    int cols = 0;
    std::vector<unsigned char> pixels; // count * rows * cols, row-major
};

/** Reads a gzip'd (or plain) IDX image file (magic 0x00000803). Throws naming the file and field at fault. */
IdxImages readIdxImages(const std::string &path);
/** Reads a gzip'd (or plain) IDX label file (magic 0x00000801). */
std::vector<unsigned char> readIdxLabels(const std::string &path);

/**
 * Writes the `split` ("train" or "test") of Fashion-MNIST from `datasetDir` as PNG files
 * OUT/NNN.class/IIIII.png (IIIII: the image's index in the split), the first `limit` images
 * (all when limit < 0). Existing identical files are left alone. Returns the number of images.
 */
std::int64_t writeFashionMnist(const std::string &outDir, const std::string &split, std::int64_t limit,
                               const std::string &datasetDir = kFashionMnistDir,
                               const std::function<void(std::int64_t done, std::int64_t total)> &progress = {});

} // namespace pw::data
