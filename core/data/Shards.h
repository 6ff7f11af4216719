// Training shards: a catalog version's labeled images decoded, resized and written as NumPy arrays.
//
// A shard folder (workspace/shards/<key>/) holds train_images.npy (uint8 N x H x W x C), train_labels.npy
// (int64 N), val_images.npy, val_labels.npy, classes.txt (line i: the name of class i) and manifest.json.
// It is a rebuildable cache keyed by (table, data version, image size, channels, validation fraction).
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace pw::store {
class Workspace;
}

namespace pw::data {

/** Bumped when what a shard holds for the same key changes (decoding, resizing, layout): older ones are rebuilt. */
inline constexpr int kShardFormat = 2; // 2: large JPEGs decoded reduced (DCT scaling) before the resize

/** What to materialise. */
struct ShardSpec
{
    std::string table = "images";
    std::optional<std::int64_t> asOfVersion; // unset: the latest committed catalog version
    int imageSize = 28; // images are resized to imageSize x imageSize (8 to 1024)
    int channels = 0; // 1 (gray) or 3 (RGB); 0: 1 when every selected image has 1 channel, else 3
    double valFraction = 0.1; // 0 to 0.9
    int threads = 0; // decoding threads; 0: one per core
};

/** A materialised shard folder. */
struct ShardSet
{
    std::string dir;
    /** The version the table's content is as of: the last version up to the requested one that changed the
     *  table (the same rows, so the same shard, whatever later versions changed in other tables). */
    std::int64_t dataVersion = 0;
    int imageSize = 0;
    int channels = 0;
    std::vector<std::string> classes; // class index i = classes[i]
    std::int64_t trainCount = 0, valCount = 0;
    bool reused = false; // an existing complete shard was found: nothing was decoded or written
    double seconds = 0;
    /** "path: reason" of the selected images left out because they could not be read or decoded, or their
     *  bytes no longer match the catalog's content hash; sorted by path. On reuse, those of the build. */
    std::vector<std::string> skipped;
};

/** Thrown by materialise() when `cancel` was set; no shard folder is left behind. */
class MaterialiseCancelled : public std::runtime_error
{
public:
    using std::runtime_error::runtime_error;
};

/**
 * The split rule: true (validation) when the first 16 hex digits of `contentHash`, read as a uint64 and
 * divided by 2^64, are below `valFraction`. Identical bytes under two paths land in the same split, and an
 * image keeps its split across versions. Throws std::invalid_argument for a hash without 16 hex digits.
 */
bool isValidation(std::string_view contentHash, double valFraction);

/**
 * The folder name of a shard, e.g. "fashion-v1-28px-1ch-val0.10". A table name with characters other than
 * letters, digits, '.', '_' and '-' has them replaced by '_' and a hash of the exact name appended.
 */
std::string shardKey(const std::string &table, std::int64_t dataVersion, int imageSize, int channels,
                     double valFraction);

/**
 * Materialises the labeled, status 'ok' images of `spec.table` as of `spec.asOfVersion` into
 * ws.shardsDir()/shardKey(...), or reuses that folder when it is complete.
 *
 * Classes are ordered by their Caltech number (label_id) when every image has one, else by name. Rows are
 * sorted by path within each split. Images are read and decoded on `spec.threads` threads straight into
 * the mapped arrays; a file that cannot be read or decoded now, or whose bytes changed since they were
 * ingested, is left out and listed in `skipped` (the arrays are compacted: no hole remains). The folder is
 * built under a temporary name and renamed into place when complete, so a crash never leaves a partial
 * shard under the real name.
 *
 * `progress(done, total)` is called on the calling thread. Throws std::runtime_error, naming the value at
 * fault, for an unknown table, a version that does not exist, no labeled images, a single class, an image
 * size or validation fraction out of range, or when not one image could be read; MaterialiseCancelled when
 * `cancel` was set.
 */
ShardSet materialise(const store::Workspace &ws, const ShardSpec &spec,
                     const std::function<void(std::int64_t done, std::int64_t total)> &progress = {},
                     const std::atomic<bool> *cancel = nullptr);

/** An image to decode for scoring: its file and the content hash the catalog has for it. */
struct ImageRef
{
    std::string path;
    std::string contentHash;
};

/** What decodeImages() wrote. */
struct DecodedImages
{
    std::int64_t rows = 0; // images in the array
    std::vector<std::int64_t> rowOf; // per input: its row in the array, -1 when left out
    std::vector<std::string> reasons; // per input left out: why (empty for the others)
    double seconds = 0;
};

/**
 * Decodes `images` (in parallel, `threads` 0: one per core) resized to size x size with `channels` channels
 * into a uint8 N x size x size x channels .npy at `npyPath`, leaving out (and saying why) any file that cannot
 * be read or decoded or whose bytes no longer match its content hash; the array is compacted in input order.
 * Writes nothing and throws MaterialiseCancelled when `cancel` was set.
 */
DecodedImages decodeImages(const std::vector<ImageRef> &images, int size, int channels, const std::string &npyPath,
                           const std::function<void(std::int64_t done, std::int64_t total)> &progress = {},
                           const std::atomic<bool> *cancel = nullptr, int threads = 0);

} // namespace pw::data
