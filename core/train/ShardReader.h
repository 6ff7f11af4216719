// Memory-mapped reading of the shards core/data writes: NumPy .npy arrays and classes.txt.
// Qt-free and torch-free: part of the worker, which builds with only a compiler, CMake and libtorch.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace pw::train {

/** A read-only mapping of one .npy file (version 1.0/2.0, C order). Throws naming the file at fault. */
class NpyArray
{
public:
    explicit NpyArray(const std::string &path);
    ~NpyArray();
    NpyArray(const NpyArray &) = delete;
    NpyArray &operator=(const NpyArray &) = delete;
    NpyArray(NpyArray &&other) noexcept;

    const std::string &path() const { return m_path; }
    const std::string &dtype() const { return m_dtype; } // e.g. "|u1", "<i8", "<f4"
    const std::vector<std::int64_t> &shape() const { return m_shape; }
    std::int64_t count() const; // product of the shape
    const void *data() const { return m_data; }

private:
    std::string m_path;
    std::string m_dtype;
    std::vector<std::int64_t> m_shape;
    void *m_map = nullptr;
    std::size_t m_mapSize = 0;
    const void *m_data = nullptr;
};

/** One split of a shard: uint8 images N x H x W x C and int64 labels N. */
struct ShardSplit
{
    NpyArray images;
    NpyArray labels;
    std::int64_t count() const { return images.shape().at(0); }
    int height() const { return int(images.shape().at(1)); }
    int width() const { return int(images.shape().at(2)); }
    int channels() const { return int(images.shape().at(3)); }
};

/** Opens DIR/{prefix}_images.npy and DIR/{prefix}_labels.npy, checking types and matching counts. */
ShardSplit openSplit(const std::string &dir, const std::string &prefix);
/** Opens a bare image array (N x H x W x C uint8), e.g. images to score. */
NpyArray openImages(const std::string &path);
/** DIR/classes.txt, one class per line. */
std::vector<std::string> readClasses(const std::string &dir);

/** Writes a float32 array of the given shape as .npy (the probabilities predict writes). */
void writeNpyFloat(const std::string &path, const std::vector<std::int64_t> &shape, const float *data);

} // namespace pw::train
