// The model zoo's names, documentation and defaults. Torch-free, so `pipewright help train` can list it.
#pragma once

#include <span>
#include <string>
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
    // A photo network in torchvision's module layout: its crop is a random-resized crop (Szegedy et al. 2015)
    // rather than pad-and-crop, and `--init` loads torchvision or timm weights into it unchanged.
    bool photo;
};

inline constexpr ModelSpec kModelZoo[] = {
    {"small-cnn",
     "Three 3x3 conv blocks with batch norm and ReLU (16, 32, 64 channels; 2x2 max-pooling after the first "
     "two) and a linear classifier over the flattened feature map. For small images (8 to 64 px, 1 or 3 "
     "channels); fast on a CPU (92% on Fashion-MNIST in 7 epochs). The default.",
     8, 64, 28, 7, 128, 4e-3, true, false, false},
    {"medium-cnn",
     "Four 3x3 conv blocks as small-cnn's (32 channels and a 2x2 max-pool, 64, 64 and a max-pool, 128) and a "
     "linear classifier: about 7x small-cnn's computation. For small images (8 to 64 px, 1 or 3 channels). "
     "Fashion-MNIST recipe: --model medium-cnn --optimizer sgd (12 epochs, flip, no crop): 93.7% test accuracy "
     "in about 165 s on 2 AVX-512/BF16 cores (AdamW: 93.5-93.6%).",
     8, 64, 28, 12, 128, 4e-3, true, false, false},
    {"resnet18",
     "ResNet-18 (He et al. 2016) in torchvision's layout: four stages of two basic residual blocks (64, 128, 256, "
     "512 channels) with batch norm. For photos; 3 channels; 32 to 512 px (below 64 px conv1 is a 3x3 stride-1 "
     "convolution and the max-pool is skipped). Takes torchvision/timm weights with --init. Random-resized crop "
     "and flip by default.",
     32, 512, 224, 30, 64, 1e-3, true, true, true},
    {"resnet50",
     "ResNet-50 (He et al. 2016) in torchvision's layout: four stages of 3, 4, 6, 3 bottleneck blocks (256 to "
     "2048 output channels). For photos; 3 channels; 32 to 512 px (small inputs as resnet18). Takes "
     "torchvision/timm weights with --init. Random-resized crop and flip by default.",
     32, 512, 224, 30, 32, 1e-3, true, true, true},
    {"mobilenet_v3_large",
     "MobileNetV3-Large (Howard et al. 2019) in torchvision's layout: inverted residual blocks with "
     "squeeze-and-excitation and hard-swish, a 960-1280 classifier. For photos on small machines; 3 channels; "
     "32 to 512 px. Takes torchvision weights with --init. Random-resized crop and flip by default.",
     32, 512, 224, 30, 64, 1e-3, true, true, true},
};

/** One block of the plain CNNs (small-cnn, medium-cnn): a 3x3 conv of `width` channels, a 2x2 max-pool when
 *  `pool`, batch norm and ReLU. The network ends in a conv over the whole remaining map as its classifier. */
struct CnnLayer
{
    int width;
    bool pool;
};

inline constexpr CnnLayer kSmallCnnLayers[] = {{16, true}, {32, true}, {64, false}};
inline constexpr CnnLayer kMediumCnnLayers[] = {{32, true}, {64, false}, {64, true}, {128, false}};

/** The blocks of the plain CNN named `name`; empty for the other networks (the ResNets, MobileNet). */
constexpr std::span<const CnnLayer> cnnLayers(std::string_view name)
{
    if (name == "small-cnn")
        return kSmallCnnLayers;
    if (name == "medium-cnn")
        return kMediumCnnLayers;
    return {};
}

/** The spec named `name`, or nullptr. */
constexpr const ModelSpec *findModel(std::string_view name)
{
    for (const ModelSpec &m : kModelZoo) {
        if (m.name == name)
            return &m;
    }
    return nullptr;
}

/** The zoo's names, comma-separated (for messages). */
inline std::string modelNames()
{
    std::string out;
    for (const ModelSpec &m : kModelZoo)
        out += (out.empty() ? "" : ", ") + std::string(m.name);
    return out;
}

} // namespace pw::train
