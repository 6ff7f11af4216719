// Reading pretrained weights into the zoo's networks: a `torch.save`d state_dict (the zip format: a pickle and
// raw storages) or a .safetensors file, then matched by name onto a network. Internal to core/train: includes
// torch. Nothing in a file is ever executed: the pickle reader knows the few callables a state_dict names
// (OrderedDict, the tensor rebuilders, the storage types) and refuses every other.
#pragma once

#include "core/train/detail/Networks.h"

#include <string>
#include <utility>
#include <vector>

namespace pw::train::detail {

using NamedTensors = std::vector<std::pair<std::string, torch::Tensor>>;

/**
 * The tensors of a weights file, in file order: a PyTorch checkpoint (torch.save's zip: a state_dict, or a
 * dict holding one under state_dict / model / model_state_dict) or a .safetensors file. Throws
 * std::runtime_error naming the file and what is wrong with it: a pickle that names any other callable
 * ("pickle calls os.system: refused"), a truncated zip, a safetensors header larger than the file, overlapping
 * tensors, an unknown dtype.
 */
NamedTensors readWeights(const std::string &path);

/** The SHA-256 of a file, in lower-case hex. Throws naming the file when it cannot be read. */
std::string sha256File(const std::string &path);

/** How a weights file's keys met a network's: loaded, missing (kept their fresh values), unexpected (not in the
 *  network) and shape-mismatched ("key: file [a, b] vs network [c, d]"). */
struct InitReport
{
    std::vector<std::string> loaded, missing, unexpected, mismatched;
    bool headReinitialised = false; // the head's shape differed (another class count): it keeps fresh weights
    std::string json() const; // one JSON object with the four lists
};

/**
 * Copies the file's tensors into `net` by state_dict key (parameters and buffers). Keys are taken as
 * torchvision's and timm's ResNets name them; a "module." or "model." prefix on every key (DataParallel, some
 * trainers) is dropped. The head (headPrefix(arch)) keeps its fresh weights when its shape differs. Throws
 * std::runtime_error naming keys when under half of the network's backbone tensors matched.
 */
InitReport loadInto(ClassifierImpl &net, const std::string &arch, const NamedTensors &weights, const std::string &path);

/** The prefix of the head's keys: "fc." (ResNets), "classifier.3." (MobileNetV3), "classifier." (small-cnn). */
std::string headPrefix(const std::string &arch);

/** Parameter groups for the optimizer: the backbone's (learning rate x backboneLrScale; left out when frozen)
 *  and the head's. Frozen backbone parameters get requires_grad false. */
std::vector<torch::optim::OptimizerParamGroup> parameterGroups(ClassifierImpl &net, const std::string &arch,
                                                               bool freezeBackbone, double backboneLrScale,
                                                               std::vector<double> &lrScales);

/** Training mode for the epoch: all modules, or, with a frozen backbone, only the head's (the backbone's batch
 *  norm keeps its running statistics, so that every backbone tensor stays bit-equal). */
void setTrainMode(ClassifierImpl &net, const std::string &arch, bool freezeBackbone);

} // namespace pw::train::detail
