// A registered model version exported for use outside Pipewright (ONNX, a PyTorch state_dict, safetensors),
// with a model card (markdown) beside the file: `pipewright models export`.
#pragma once

#include "core/registry/Registry.h"
#include "core/requests/Choices.h"

#include <atomic>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace pw::registry {

enum class ExportFormat
{
    Onnx,
    Pytorch,
    Safetensors
};
inline constexpr requests::Choices<ExportFormat, 3> kModelExportFormats{
    {{ExportFormat::Onnx, "onnx"}, {ExportFormat::Pytorch, "pytorch"}, {ExportFormat::Safetensors, "safetensors"}}};

struct ModelExportRequest
{
    std::string model; // a model reference: NAME@STAGE, NAME@ALIAS, NAME:VERSION, NAME:latest
    ExportFormat format = ExportFormat::Onnx;
    std::string out; // the file to write; the card goes to out + ".md"
};

/** model, format (kModelExportFormats) and out, all required. Throws requests::RequestError naming the key. */
ModelExportRequest parseModelExportRequest(const requests::KeyValues &values);

/** What the exported network takes and gives, as the worker read it from the model file. */
struct ExportedModel
{
    std::string arch; // the zoo name
    int inputSize = 0;
    int channels = 0;
    std::vector<std::string> classes;
    std::vector<double> mean;
    std::vector<double> std;
    double temperature = 1.0;
    /** Before the network: the input_size image resized to eval_resize (bilinear) and its centre input_size cut
     *  out, as torchvision's Resize + CenterCrop; 0: none. */
    int evalResize = 0;
};

struct ModelExportResult
{
    std::string file; // absolute
    std::string card; // absolute: file + ".md"
    ExportFormat format = ExportFormat::Onnx;
    std::int64_t bytes = 0;
    std::string sha256; // of the file, lower-case hex
    ModelVersion version;
    ExportedModel model;
};

/**
 * Resolves the reference, runs `pipewright-worker export` on the version's model file (locally) and writes the
 * model card beside the file: model and version, run, data version, metrics, classes, preprocessing. Both files
 * are written whole or not at all (an earlier file of the same name stays until the new one is complete).
 * Throws naming the model reference, the output file or the worker's reason.
 */
ModelExportResult exportModelVersion(const store::Workspace &ws, store::Database &db, const ModelExportRequest &request,
                                     const std::atomic<bool> *cancel = nullptr);

} // namespace pw::registry
