// The networks of the model zoo and the self-describing model file. Internal to core/train: includes torch.
#pragma once

#include <torch/torch.h>

#include <string>
#include <vector>

namespace pw::train::detail {

/** What a model file says about itself: enough to rebuild the network and to preprocess its input. */
struct ModelMeta
{
    std::string arch;
    int inputSize = 0;
    int channels = 0;
    std::vector<std::string> classes;
    std::vector<double> mean; // per channel, on the 0..1 scale
    std::vector<double> std;
    /** Softmax temperature fitted on the validation split (temperature scaling): probabilities are
     *  softmax(logits / temperature), so that a confidence of 0.95 means right about 95% of the time. */
    double temperature = 1.0;
    /** The weights the run started from (--init): the file's name and its SHA-256; empty when random. */
    std::string initFile;
    std::string initSha256;
    /** The precision the network was trained and validated in (fp32 | bf16; fp32 in files written before it was
     *  recorded, and for --init --epochs 0): `predict` runs in it where the device computes bf16 natively. */
    std::string precision = "fp32";
    /** Evaluation and prediction resize the S x S input to evalResize x evalResize (bilinear) and take its centre
     *  S x S: torchvision's eval transform, Resize(S / 0.875) + CenterCrop(S), for the photo models trained with
     *  random-resized crops. 0: the input as it is (the other models, and files written before it existed). */
    int evalResize = 0;
};

/** The side torchvision's eval transform resizes to before its centre crop of `inputSize`: floor(inputSize / 0.875). */
constexpr int evalResizeFor(int inputSize)
{
    return inputSize * 8 / 7;
}

/** `x` (normalised N x C x S x S) as evaluation sees it: per meta.evalResize, resized (bilinear, half-pixel centres,
 *  as torchvision's Resize on a tensor) and centre-cropped back to S x S, channels-last; else `x` itself. */
torch::Tensor evalCrop(const torch::Tensor &x, const ModelMeta &meta);

struct ClassifierImpl : torch::nn::Module
{
    virtual torch::Tensor forward(torch::Tensor x) = 0;
};

/** Builds the zoo network `meta.arch` for meta.inputSize, meta.channels and meta.classes.size(). */
std::shared_ptr<ClassifierImpl> buildNetwork(const ModelMeta &meta);

/**
 * Writes `archive` to `path` atomically: to `path`.tmp, then renamed into place. A write that fails (a full
 * disk) removes the .tmp and throws std::runtime_error with the system's reason and `path`, e.g.
 * "no space left on device writing '/ws/artifacts/<run>/model.pt'".
 */
void saveArchive(torch::serialize::OutputArchive &archive, const std::string &path);

/** Writes weights and meta to `path` atomically (saveArchive()). */
void saveModel(const std::string &path, ClassifierImpl &net, const ModelMeta &meta);
/** Reads a model file: the network rebuilt from its meta, with its weights. Throws naming the file. */
std::shared_ptr<ClassifierImpl> loadModel(const std::string &path, ModelMeta &meta);

/** uint8 N x H x W x C -> normalised float N x C x H x W in channels-last memory (on the input's device). */
torch::Tensor normalise(const torch::Tensor &uint8Nhwc, const ModelMeta &meta);

} // namespace pw::train::detail
