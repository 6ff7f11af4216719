// The photo demo set: labeled crops of real photographs that a Debian package ships, for fine-tuning an
// ImageNet backbone (`pipewright demo-data photos`).
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace pw::demo {

/** One photograph the photo set is cut from: its class name, its file and the Debian package that ships it. */
struct PhotoSource
{
    std::string label;
    std::string path;
    std::string package;
};

/** The photographs of the photo set: mate-backgrounds' twelve nature photographs, one class each. */
const std::vector<PhotoSource> &photoSources();

/** Crops per photograph (so per class) in each split. */
inline constexpr int kPhotoTrainCrops = 40;
inline constexpr int kPhotoTestCrops = 12;
/** A crop's longer side is scaled down to this when larger. */
inline constexpr int kPhotoMaxSide = 512;

/** One crop: the rectangle cut out of the photograph and the size it is written at. */
struct PhotoCrop
{
    int x = 0, y = 0, width = 0, height = 0;
    int outCols = 0, outRows = 0;
};

/** Crop `j` of class `classIndex` in the train (or test) split of a photograph of cols x rows pixels. */
PhotoCrop photoCrop(int cols, int rows, bool test, int classIndex, int j);

/** What writePhotoSet() wrote. */
struct PhotoSet
{
    std::int64_t images = 0;
    int classes = 0;
    std::vector<std::string> packages; // the Debian packages the photographs came from
};

/**
 * Writes the `split` ("train" or "test") of the photo set as JPEG files OUT/NNN.label/IIIII.jpg (Caltech layout:
 * class NNN is photograph NNN of `sources`; IIIII the crop's index in the split). Each crop is a rectangle of
 * one photograph at one of several scales (15-45% of its shorter side, aspect 3:4 to 4:3) at a seeded random
 * position, its longer side at most kPhotoMaxSide: train crops lie in the left 70% of the photograph and test
 * crops in the right 30%, so no test crop shares a pixel with a train crop. Crops go round the classes
 * (crop i is of class i mod K), and the first `limit` are written (all when limit < 0): a limit keeps the
 * classes balanced. The same crops on every machine with the same package; an existing identical file is
 * left alone. Each photograph is decoded once.
 *
 * `progress(done, total)` is called on the calling thread. Throws std::runtime_error naming the package to
 * install and the files missing, or the file that does not decode or cannot be written; std::invalid_argument
 * for a split other than train or test.
 */
PhotoSet writePhotoSet(const std::string &outDir, const std::string &split, std::int64_t limit,
                       const std::vector<PhotoSource> &sources = photoSources(),
                       const std::function<void(std::int64_t done, std::int64_t total)> &progress = {});

} // namespace pw::demo
