// A preview of a model version on image files picked by hand (the Models page's Preview): each file decoded as
// scoring decodes it, predicted by the worker, and its top 5 returned. Nothing is written to the catalog: the files
// need not be in it, and a file that cannot be read or decoded gets its reason while the others are predicted.
#pragma once

#include "core/registry/Registry.h"

#include <atomic>
#include <string>
#include <vector>

namespace pw::score {

/** One class and its probability. */
struct ClassProbability
{
    std::string label;
    double probability = 0;
};

/** The preview of one file: its top 5, most probable first, or why it has none. */
struct PreviewResult
{
    std::string path;
    std::string error; // empty when predicted
    std::vector<ClassProbability> top; // up to 5
};

/**
 * Predicts `files` with `model` (decoded to its input size and channels, by the local worker); one result per file,
 * in order. A file that cannot be read or decoded gets its reason and no prediction. Throws when the model cannot
 * predict at all (its file missing, the worker failing), or with `cancel` set, naming the model file.
 */
std::vector<PreviewResult> previewFiles(const registry::ModelVersion &model, const std::vector<std::string> &files,
                                        const std::atomic<bool> *cancel = nullptr);

} // namespace pw::score
