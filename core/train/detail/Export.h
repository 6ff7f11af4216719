// A trained model as it leaves Pipewright: its tensors under their state_dict names, its graph as ONNX-level
// operations, and the writers of the three export formats (ONNX, a torch.save-compatible state_dict,
// safetensors). Torch-free: ExportNetwork.cpp (torch) describes the network; the writers need no torch.
#pragma once

#include <cstdint>
#include <ostream>
#include <string>
#include <vector>

namespace pw::train::detail {

/** One tensor of the network under its state_dict key (torchvision's names for the torchvision-layout models). */
struct ExportTensor
{
    std::string name;
    std::vector<std::int64_t> shape;
    bool isLong = false; // int64 (a batch norm's num_batches_tracked); else float32
    std::vector<float> values; // float32 data, row-major
    std::vector<std::int64_t> longs; // int64 data
    std::int64_t numel() const
    {
        std::int64_t n = 1;
        for (auto d : shape)
            n *= d;
        return n;
    }
};

/** One attribute of an operation: a list of integers, an integer or a float. */
struct ExportAttribute
{
    enum Kind
    {
        Ints,
        Int,
        Float
    };
    std::string name;
    Kind kind = Int;
    std::vector<std::int64_t> ints; // Ints: the list; Int: one value
    float f = 0;
};

/** One ONNX operation (default domain): its inputs are graph values or tensors of the network by name. */
struct ExportOp
{
    std::string type; // Conv, BatchNormalization, Relu, MaxPool, Add, Mul, GlobalAveragePool, Flatten, Gemm, ...
    std::vector<std::string> inputs;
    std::string output;
    std::vector<ExportAttribute> attributes;
};

/** What the model file says about itself, and the network as tensors and operations. */
struct ExportNetwork
{
    std::string arch;
    int inputSize = 0;
    int channels = 0;
    std::vector<std::string> classes;
    std::vector<double> mean;
    std::vector<double> std;
    double temperature = 1.0;
    int evalResize = 0; // ModelMeta::evalResize: resize to this and centre-crop inputSize before the network; 0: none
    std::vector<ExportTensor> tensors; // every parameter and buffer, in state_dict order
    std::vector<ExportOp> ops; // input "images" -> ... -> "probabilities" (softmax of logits / temperature)
    /** Extra float constants the graph needs (the temperature), emitted as initializers with the tensors. */
    std::vector<ExportTensor> constants;
};

/** Loads a Pipewright model file and describes it (ExportNetwork.cpp, torch). Throws naming the file or module. */
ExportNetwork describeModel(const std::string &modelPath);

/** Whether this build has the ONNX writer (libonnx-dev was found). */
bool onnxAvailable();
/** The ONNX model (opset 13), checked with onnx::checker, serialised. Throws when the check fails. */
std::string onnxBytes(const ExportNetwork &net);
/** A torch.save()d OrderedDict state_dict: the zip archive torch.load reads. */
std::string pytorchBytes(const ExportNetwork &net);
/** A safetensors file: the tensors and a __metadata__ with classes, mean, std, input size, zoo name, temperature. */
std::string safetensorsBytes(const ExportNetwork &net);

/** The model's metadata as JSON object members (without braces): "arch", "input_size", "classes", ... */
std::string metadataJson(const ExportNetwork &net);

struct ExportOptions
{
    std::string modelPath;
    std::string format; // onnx | pytorch | safetensors
    std::string outPath;
};

/**
 * `pipewright-worker export`: writes the model in `format` to outPath atomically (outPath.tmp, renamed; nothing
 * is left behind on failure) and reports {"event": "finished", "status", "file", "format", "bytes", metadata...}.
 * Returns the exit code: 0 written, 1 failed, 2 usage (an unknown format; onnx in a build without ONNX).
 */
int exportModel(const ExportOptions &options, std::ostream &events);

} // namespace pw::train::detail
