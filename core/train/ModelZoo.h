// The model zoo's names, documentation and defaults. Torch-free, so `pipewright help train` can list it.
#pragma once

#include <string_view>

namespace pw::train {

struct ModelSpec
{
    std::string_view name;
    std::string_view summary;
    int minInputSize;     // smaller inputs are refused: the network's pooling would leave nothing
    int maxInputSize;
    int defaultInputSize;
    int defaultEpochs;
    int defaultBatchSize;
    double defaultLr;     // for Adam; SGD uses 50x this
    bool flipByDefault;
    bool cropByDefault;
};

inline constexpr ModelSpec kModelZoo[] = {
    {"small-cnn",
     "Three conv blocks (3x3 conv, batch norm, ReLU, 2x2 max-pool; 32, 64, 128 channels), global average "
     "pooling and a linear classifier. For small images (8 to 64 px, 1 or 3 channels), fast on a CPU. The default.",
     8, 64, 28, 8, 128, 3e-3, true, false},
    {"resnet18",
     "ResNet-18 (He et al. 2016): four stages of two basic residual blocks (64, 128, 256, 512 channels) with "
     "batch norm. For photos; 3 channels; input size configurable (>= 32 px; a 7x7 stride-2 stem below 64 px is "
     "replaced by a 3x3 stride-1 one). Flip and crop augmentation by default.",
     32, 1024, 224, 30, 64, 1e-3, true, true},
};

/** The spec named `name`, or nullptr. */
constexpr const ModelSpec *findModel(std::string_view name)
{
    for (const ModelSpec &m : kModelZoo) {
        if (m.name == name)
            return &m;
    }
    return nullptr;
}

} // namespace pw::train
