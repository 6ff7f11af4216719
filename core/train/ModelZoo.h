// The model zoo's names, documentation and defaults. Torch-free, so `pipewright help train` can list it.
#pragma once

#include <string_view>

namespace pw::train {

struct ModelSpec
{
    std::string_view name;
    std::string_view summary;
    int minInputSize; // smaller inputs are refused: the network's pooling would leave nothing
    int maxInputSize;
    int defaultInputSize;
    int defaultEpochs;
    int defaultBatchSize;
    double defaultLr; // for Adam; SGD uses 50x this
    bool flipByDefault;
    bool cropByDefault;
};

inline constexpr ModelSpec kModelZoo[] = {
    {"small-cnn",
     "Three 3x3 conv blocks with batch norm and ReLU (16, 32, 64 channels; 2x2 max-pooling after the first "
     "two) and a linear classifier over the flattened feature map. For small images (8 to 64 px, 1 or 3 "
     "channels); fast on a CPU (92% on Fashion-MNIST in 7 epochs). The default.",
     8, 64, 28, 7, 128, 4e-3, true, false},
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
