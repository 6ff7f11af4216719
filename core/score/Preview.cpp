// The preview of a model version on picked files (see Preview.h): the same decode as scoring (data::decodeImages)
// and the same worker prediction (compute::predictFile), into a temporary folder removed afterwards.
#include "core/score/Preview.h"

#include "core/compute/Training.h"
#include "core/data/Npy.h"
#include "core/data/Shards.h"
#include "core/ingest/ContentHash.h"
#include "core/score/Scoring.h"
#include "core/store/FileIo.h"

#include <QTemporaryDir>

#include <algorithm>
#include <filesystem>
#include <stdexcept>

namespace pw::score {

namespace {

// The content hash each file has now (decodeImages checks the bytes it reads against it); a file that cannot be read
// gets its reason instead.
std::vector<data::ImageRef> hashFiles(const std::vector<std::string> &files, std::vector<PreviewResult> &results)
{
    std::vector<data::ImageRef> refs(files.size());
    ingest::ContentHasher hasher;
    std::vector<unsigned char> buf;
    for (std::size_t i = 0; i < files.size(); ++i) {
        refs[i].path = files[i];
        std::string why;
        if (std::filesystem::is_directory(files[i]))
            results[i].error = "cannot read: it is a folder";
        else if (!store::readWholeFile(files[i], buf, why))
            results[i].error = "cannot read: " + why;
        else if (buf.empty())
            results[i].error = "cannot decode: the file is empty";
        else
            refs[i].contentHash = hasher.hex(buf.data(), buf.size());
    }
    return refs;
}

std::vector<ClassProbability> topOf(const float *p, const std::vector<std::string> &classes, int k)
{
    std::vector<ClassProbability> top;
    for (int c : topKIndices(p, classes.size(), k)) // the order scoring's top5 has
        top.push_back({classes[std::size_t(c)], double(p[c])});
    return top;
}

} // namespace

std::vector<PreviewResult> previewFiles(const registry::ModelVersion &model, const std::vector<std::string> &files,
                                        const std::atomic<bool> *cancel)
{
    std::vector<PreviewResult> results(files.size());
    for (std::size_t i = 0; i < files.size(); ++i)
        results[i].path = files[i];
    const std::vector<data::ImageRef> refs = hashFiles(files, results);
    std::vector<data::ImageRef> readable;
    std::vector<std::size_t> readableAt; // index in `files` of each readable one
    for (std::size_t i = 0; i < refs.size(); ++i)
        if (results[i].error.empty()) {
            readable.push_back(refs[i]);
            readableAt.push_back(i);
        }
    if (readable.empty())
        return results;
    if (model.classes.empty())
        throw std::runtime_error("model " + model.name + " v" + std::to_string(model.version) + " lists no classes");

    QTemporaryDir scratch;
    if (!scratch.isValid())
        throw std::runtime_error("cannot create a temporary folder: " + scratch.errorString().toStdString());
    const std::string images = scratch.filePath("images.npy").toStdString();
    const data::DecodedImages decoded = data::decodeImages(readable, model.imageSize, model.channels, images, {},
                                                           cancel);
    for (std::size_t j = 0; j < readable.size(); ++j)
        if (decoded.rowOf[j] < 0)
            results[readableAt[j]].error = decoded.reasons[j];
    if (decoded.rows == 0)
        return results;

    const std::string probsPath = scratch.filePath("probabilities.npy").toStdString();
    compute::predictFile(model.artifact, images, probsPath, cancel);
    const data::NpyFile probs(probsPath);
    const auto k = std::int64_t(model.classes.size());
    if (probs.shape().size() != 2 || probs.shape()[0] != decoded.rows || probs.shape()[1] != k)
        throw std::runtime_error("'" + model.artifact + "' gave no " + std::to_string(decoded.rows) + " x "
                                 + std::to_string(k) + " probabilities");
    const float *p = probs.values<float>();
    for (std::size_t j = 0; j < readable.size(); ++j)
        if (const std::int64_t row = decoded.rowOf[j]; row >= 0)
            results[readableAt[j]].top = topOf(p + row * k, model.classes, 5);
    return results;
}

} // namespace pw::score
