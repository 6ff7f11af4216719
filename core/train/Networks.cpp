// The model zoo (small-cnn and medium-cnn; resnet18, resnet50 and mobilenet_v3_large in torchvision's layout) and the
// model file format.
#include "core/train/detail/Networks.h"

#include "core/train/ModelZoo.h"

#include <array>
#include <cmath>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <stdexcept>
#include <vector>

#include <fcntl.h>
#include <unistd.h>

namespace pw::train::detail {

namespace {

// 2: resnet18 in torchvision's layout (format 1 named its modules stem/layers); weights stored by Module::save
// under "weights", so that a module's path there is its torchvision state_dict key.
constexpr std::int64_t kModelFileFormat = 2;

torch::nn::Conv2d conv3x3(std::int64_t in, std::int64_t out, std::int64_t stride = 1)
{
    return torch::nn::Conv2d(
        torch::nn::Conv2dOptions(in, out, /*kernel_size=*/3).stride(stride).padding(1).bias(false));
}

// small-cnn: three 3x3 conv blocks with batch norm (16, 32, 64 channels; the first two pool 2x2 before
// their batch norm, which halves its cost), then one linear layer over the flattened 64 x S/4 x S/4 map.
// Chosen by measurement on a 2-core AVX2 CPU: 3,500+ training images/s in fp32 and 92% on Fashion-MNIST in
// 6 epochs, where a 32-64-128 net with global pooling ran at a third of that speed.
// medium-cnn: four such blocks (32 with a pool, 64, 64 with a pool, 128), about 7x small-cnn's multiply-adds,
// for Fashion-MNIST's 93.5% recipe. Both networks' blocks are listed in ModelZoo.h (cnnLayers).
struct SmallCnnImpl : ClassifierImpl
{
    SmallCnnImpl(int channels, int numClasses, int inputSize, std::span<const CnnLayer> layers)
    {
        std::int64_t in = channels;
        std::int64_t side = inputSize;
        for (const CnnLayer &layer : layers) {
            features->push_back(conv3x3(in, layer.width));
            if (layer.pool) {
                features->push_back(torch::nn::MaxPool2d(torch::nn::MaxPool2dOptions(2)));
                side /= 2;
            }
            features->push_back(torch::nn::BatchNorm2d(layer.width));
            features->push_back(torch::nn::ReLU(torch::nn::ReLUOptions().inplace(true)));
            in = layer.width;
        }
        register_module("features", features);
        // The linear layer over the flattened map, written as a convolution whose kernel covers the whole
        // map: the same function, but it runs on oneDNN's multi-threaded kernels instead of this libtorch's
        // plain single-threaded BLAS (BLAS_INFO=generic).
        classifier = register_module("classifier", torch::nn::Conv2d(torch::nn::Conv2dOptions(in, numClasses, side)));
    }
    torch::Tensor forward(torch::Tensor x) override
    {
        if (is_training())
            return classifier->forward(features->forward(x)).flatten(1);
        // Evaluation: the 2x2 max-pools as two element-wise maxima over a view of the channels-last map, the same
        // values as max_pool2d but 3-4x faster than this libtorch's kernel (which took 60% of a bf16 forward).
        for (auto &m : *features)
            x = m.ptr()->as<torch::nn::MaxPool2d>() ? maxPool2x2(x) : m.forward(x);
        return classifier->forward(x).flatten(1);
    }
    /** max_pool2d(x, 2) of an N x C x H x W map (odd sides drop their last row/column, as max_pool2d does). */
    static torch::Tensor maxPool2x2(const torch::Tensor &x)
    {
        const auto n = x.size(0), c = x.size(1), h = x.size(2) / 2, w = x.size(3) / 2;
        // N x H x W x C (a view when x is channels-last), pairs of columns side by side: N x H/2 x 2 x W/2 x 2C.
        const auto v = x.narrow(2, 0, 2 * h).narrow(3, 0, 2 * w).permute({0, 2, 3, 1}).reshape({n, h, 2, w, 2 * c});
        const auto columns = torch::maximum(v.narrow(4, 0, c), v.narrow(4, c, c)); // N x H/2 x 2 x W/2 x C
        return torch::maximum(columns.select(2, 0), columns.select(2, 1)).permute({0, 3, 1, 2});
    }
    torch::nn::Sequential features;
    torch::nn::Conv2d classifier{nullptr};
};

torch::nn::Conv2d conv1x1(std::int64_t in, std::int64_t out, std::int64_t stride = 1)
{
    return torch::nn::Conv2d(torch::nn::Conv2dOptions(in, out, /*kernel_size=*/1).stride(stride).bias(false));
}

// The ResNets below follow torchvision's module names exactly (conv1, bn1, layer1..layer4 of blocks with
// conv1/bn1/conv2/bn2[/conv3/bn3]/downsample.0/downsample.1, fc), so that named_parameters() and
// named_buffers() are torchvision's state_dict keys: its weights load unchanged and export writes them back.
torch::nn::Sequential downsampleFor(std::int64_t in, std::int64_t out, std::int64_t stride)
{
    if (stride == 1 && in == out)
        return torch::nn::Sequential(nullptr);
    return torch::nn::Sequential(conv1x1(in, out, stride), torch::nn::BatchNorm2d(out));
}

struct ResidualBlockImpl : torch::nn::Module
{
    virtual torch::Tensor forward(torch::Tensor x) = 0;
};

struct BasicBlockImpl : ResidualBlockImpl
{
    static constexpr std::int64_t kExpansion = 1;
    BasicBlockImpl(std::int64_t in, std::int64_t planes, std::int64_t stride)
        : conv1(register_module("conv1", conv3x3(in, planes, stride)))
        , bn1(register_module("bn1", torch::nn::BatchNorm2d(planes)))
        , conv2(register_module("conv2", conv3x3(planes, planes)))
        , bn2(register_module("bn2", torch::nn::BatchNorm2d(planes)))
        , downsample(downsampleFor(in, planes, stride))
    {
        if (downsample)
            register_module("downsample", downsample);
    }
    torch::Tensor forward(torch::Tensor x) override
    {
        torch::Tensor identity = downsample ? downsample->forward(x) : x;
        x = torch::relu(bn1->forward(conv1->forward(x)));
        x = bn2->forward(conv2->forward(x));
        return torch::relu(x + identity);
    }
    torch::nn::Conv2d conv1;
    torch::nn::BatchNorm2d bn1;
    torch::nn::Conv2d conv2;
    torch::nn::BatchNorm2d bn2;
    torch::nn::Sequential downsample;
};

// torchvision's Bottleneck (ResNet v1.5: the stride is on the 3x3 convolution).
struct BottleneckImpl : ResidualBlockImpl
{
    static constexpr std::int64_t kExpansion = 4;
    BottleneckImpl(std::int64_t in, std::int64_t planes, std::int64_t stride)
        : conv1(register_module("conv1", conv1x1(in, planes)))
        , bn1(register_module("bn1", torch::nn::BatchNorm2d(planes)))
        , conv2(register_module("conv2", conv3x3(planes, planes, stride)))
        , bn2(register_module("bn2", torch::nn::BatchNorm2d(planes)))
        , conv3(register_module("conv3", conv1x1(planes, planes * kExpansion)))
        , bn3(register_module("bn3", torch::nn::BatchNorm2d(planes * kExpansion)))
        , downsample(downsampleFor(in, planes * kExpansion, stride))
    {
        if (downsample)
            register_module("downsample", downsample);
    }
    torch::Tensor forward(torch::Tensor x) override
    {
        torch::Tensor identity = downsample ? downsample->forward(x) : x;
        x = torch::relu(bn1->forward(conv1->forward(x)));
        x = torch::relu(bn2->forward(conv2->forward(x)));
        x = bn3->forward(conv3->forward(x));
        return torch::relu(x + identity);
    }
    torch::nn::Conv2d conv1;
    torch::nn::BatchNorm2d bn1;
    torch::nn::Conv2d conv2;
    torch::nn::BatchNorm2d bn2;
    torch::nn::Conv2d conv3;
    torch::nn::BatchNorm2d bn3;
    torch::nn::Sequential downsample;
};

// ResNet-18 (basic blocks 2-2-2-2) and ResNet-50 (bottlenecks 3-4-6-3). Inputs under 64 px get a 3x3
// stride-1 conv1 and no max-pool, so that a 32 px image still has a 4x4 map at the last stage.
template<typename Block> struct ResNetImpl : ClassifierImpl
{
    ResNetImpl(int channels, int numClasses, int inputSize, const std::array<int, 4> &depths)
        : m_small(inputSize < 64)
    {
        conv1 = register_module(
            "conv1",
            m_small ? conv3x3(channels, 64)
                    : torch::nn::Conv2d(torch::nn::Conv2dOptions(channels, 64, 7).stride(2).padding(3).bias(false)));
        bn1 = register_module("bn1", torch::nn::BatchNorm2d(64));
        std::int64_t in = 64;
        for (int stage = 0; stage < 4; ++stage) {
            const std::int64_t planes = std::int64_t(64) << stage;
            torch::nn::Sequential layer;
            for (int b = 0; b < depths[std::size_t(stage)]; ++b) {
                layer->push_back(std::make_shared<Block>(in, planes, b == 0 && stage > 0 ? 2 : 1));
                in = planes * Block::kExpansion;
            }
            layers[std::size_t(stage)] = register_module("layer" + std::to_string(stage + 1), layer);
        }
        fc = register_module("fc", torch::nn::Linear(in, numClasses));
    }
    torch::Tensor forward(torch::Tensor x) override
    {
        x = torch::relu(bn1->forward(conv1->forward(x)));
        if (!m_small)
            x = torch::max_pool2d(x, /*kernel_size=*/3, /*stride=*/2, /*padding=*/1);
        for (auto &layer : layers)
            x = layer->forward(x);
        return fc->forward(x.mean({2, 3}));
    }
    bool m_small;
    torch::nn::Conv2d conv1{nullptr};
    torch::nn::BatchNorm2d bn1{nullptr};
    std::array<torch::nn::Sequential, 4> layers{nullptr, nullptr, nullptr, nullptr};
    torch::nn::Linear fc{nullptr};
};

// MobileNetV3-Large in torchvision's layout: features.0 (stem), features.1-15 (inverted residual blocks,
// each `block` a Sequential of conv-norm-activation triples and an optional squeeze-excitation),
// features.16 (the last 1x1 conv), classifier.0 and classifier.3. Batch norm as torchvision's: eps 0.001,
// momentum 0.01.
// A Sequential that can sit inside another (AnyModule needs a forward() with concrete types).
struct StackImpl : torch::nn::SequentialImpl
{
    using SequentialImpl::SequentialImpl;
    torch::Tensor forward(torch::Tensor x) { return SequentialImpl::forward(x); }
};
TORCH_MODULE(Stack);

enum class Act
{
    None,
    Relu,
    Hardswish
};

Stack convNormAct(std::int64_t in, std::int64_t out, std::int64_t kernel, std::int64_t stride, std::int64_t groups,
                  Act act)
{
    Stack s(torch::nn::Conv2d(torch::nn::Conv2dOptions(in, out, kernel)
                                  .stride(stride)
                                  .padding((kernel - 1) / 2)
                                  .groups(groups)
                                  .bias(false)),
            torch::nn::BatchNorm2d(torch::nn::BatchNorm2dOptions(out).eps(0.001).momentum(0.01)));
    if (act == Act::Relu)
        s->push_back(torch::nn::Functional([](const torch::Tensor &t) { return torch::relu(t); }));
    else if (act == Act::Hardswish)
        s->push_back(torch::nn::Functional([](const torch::Tensor &t) { return torch::hardswish(t); }));
    return s;
}

// torchvision's _make_divisible: `v` rounded to a multiple of 8, never more than 10% below it.
std::int64_t makeDivisible(double v)
{
    std::int64_t out = std::max<std::int64_t>(8, std::int64_t(v + 4) / 8 * 8);
    if (double(out) < 0.9 * v)
        out += 8;
    return out;
}

struct SqueezeExcitationImpl : torch::nn::Module
{
    SqueezeExcitationImpl(std::int64_t channels, std::int64_t squeeze)
        : fc1(register_module("fc1", torch::nn::Conv2d(torch::nn::Conv2dOptions(channels, squeeze, 1))))
        , fc2(register_module("fc2", torch::nn::Conv2d(torch::nn::Conv2dOptions(squeeze, channels, 1))))
    {
    }
    torch::Tensor forward(torch::Tensor x)
    {
        auto scale = x.mean({2, 3}, /*keepdim=*/true);
        scale = torch::hardsigmoid(fc2->forward(torch::relu(fc1->forward(scale))));
        return x * scale;
    }
    torch::nn::Conv2d fc1;
    torch::nn::Conv2d fc2;
};
TORCH_MODULE(SqueezeExcitation);

struct InvertedResidualImpl : torch::nn::Module
{
    InvertedResidualImpl(std::int64_t in, std::int64_t kernel, std::int64_t expanded, std::int64_t out, bool se,
                         Act act, std::int64_t stride)
        : residual(stride == 1 && in == out)
    {
        if (expanded != in)
            block->push_back(convNormAct(in, expanded, 1, 1, 1, act));
        block->push_back(convNormAct(expanded, expanded, kernel, stride, expanded, act));
        if (se)
            block->push_back(SqueezeExcitation(expanded, makeDivisible(double(expanded) / 4)));
        block->push_back(convNormAct(expanded, out, 1, 1, 1, Act::None));
        register_module("block", block);
    }
    torch::Tensor forward(torch::Tensor x)
    {
        auto y = block->forward(x);
        return residual ? y + x : y;
    }
    bool residual;
    torch::nn::Sequential block;
};
TORCH_MODULE(InvertedResidual);

struct MobileNetV3LargeImpl : ClassifierImpl
{
    MobileNetV3LargeImpl(int channels, int numClasses)
    {
        struct Conf
        {
            std::int64_t in, kernel, expanded, out;
            bool se;
            Act act;
            std::int64_t stride;
        };
        constexpr Act RE = Act::Relu, HS = Act::Hardswish;
        const Conf confs[] = {
            {16, 3, 16, 16, false, RE, 1},   {16, 3, 64, 24, false, RE, 2},   {24, 3, 72, 24, false, RE, 1},
            {24, 5, 72, 40, true, RE, 2},    {40, 5, 120, 40, true, RE, 1},   {40, 5, 120, 40, true, RE, 1},
            {40, 3, 240, 80, false, HS, 2},  {80, 3, 200, 80, false, HS, 1},  {80, 3, 184, 80, false, HS, 1},
            {80, 3, 184, 80, false, HS, 1},  {80, 3, 480, 112, true, HS, 1},  {112, 3, 672, 112, true, HS, 1},
            {112, 5, 672, 160, true, HS, 2}, {160, 5, 960, 160, true, HS, 1}, {160, 5, 960, 160, true, HS, 1},
        };
        features->push_back(convNormAct(channels, 16, 3, 2, 1, HS));
        for (const Conf &c : confs)
            features->push_back(InvertedResidual(c.in, c.kernel, c.expanded, c.out, c.se, c.act, c.stride));
        features->push_back(convNormAct(160, 960, 1, 1, 1, HS));
        register_module("features", features);
        classifier->push_back(torch::nn::Linear(960, 1280));
        classifier->push_back(torch::nn::Functional([](const torch::Tensor &t) { return torch::hardswish(t); }));
        classifier->push_back(torch::nn::Dropout(torch::nn::DropoutOptions(0.2)));
        classifier->push_back(torch::nn::Linear(1280, numClasses));
        register_module("classifier", classifier);
    }
    torch::Tensor forward(torch::Tensor x) override { return classifier->forward(features->forward(x).mean({2, 3})); }
    torch::nn::Sequential features;
    torch::nn::Sequential classifier;
};

std::string joinLines(const std::vector<std::string> &items)
{
    std::string out;
    for (const auto &s : items)
        out += s + "\n";
    return out;
}

std::vector<std::string> splitLines(const std::string &text)
{
    std::vector<std::string> out;
    std::size_t start = 0;
    for (std::size_t i = 0; i < text.size(); ++i) {
        if (text[i] == '\n') {
            out.push_back(text.substr(start, i - start));
            start = i + 1;
        }
    }
    return out;
}

} // namespace

std::shared_ptr<ClassifierImpl> buildNetwork(const ModelMeta &meta)
{
    const ModelSpec *spec = findModel(meta.arch);
    if (!spec)
        throw std::invalid_argument("--model: unknown model '" + meta.arch + "' (available: " + modelNames() + ")");
    if (meta.inputSize < spec->minInputSize || meta.inputSize > spec->maxInputSize)
        throw std::invalid_argument("--image-size: " + std::to_string(meta.inputSize) + " px is outside what "
                                    + std::string(spec->name) + " takes (" + std::to_string(spec->minInputSize) + " to "
                                    + std::to_string(spec->maxInputSize) + " px)");
    if (meta.classes.size() < 2)
        throw std::invalid_argument("a classifier needs at least two classes");
    const int k = int(meta.classes.size());
    if (const auto layers = cnnLayers(meta.arch); !layers.empty())
        return std::make_shared<SmallCnnImpl>(meta.channels, k, meta.inputSize, layers);
    if (meta.arch == "resnet18")
        return std::make_shared<ResNetImpl<BasicBlockImpl>>(meta.channels, k, meta.inputSize, std::array{2, 2, 2, 2});
    if (meta.arch == "resnet50")
        return std::make_shared<ResNetImpl<BottleneckImpl>>(meta.channels, k, meta.inputSize, std::array{3, 4, 6, 3});
    return std::make_shared<MobileNetV3LargeImpl>(meta.channels, k);
}

void saveModel(const std::string &path, ClassifierImpl &net, const ModelMeta &meta)
{
    torch::serialize::OutputArchive archive;
    archive.write("pipewright.format", torch::tensor(kModelFileFormat));
    archive.write("pipewright.arch", c10::IValue(meta.arch));
    archive.write("pipewright.input_size", torch::tensor(std::int64_t(meta.inputSize)));
    archive.write("pipewright.channels", torch::tensor(std::int64_t(meta.channels)));
    archive.write("pipewright.classes", c10::IValue(joinLines(meta.classes)));
    archive.write("pipewright.mean", torch::tensor(meta.mean, torch::kFloat64));
    archive.write("pipewright.std", torch::tensor(meta.std, torch::kFloat64));
    archive.write("pipewright.temperature", torch::tensor(meta.temperature, torch::kFloat64));
    archive.write("pipewright.precision", c10::IValue(meta.precision));
    archive.write("pipewright.eval_resize", torch::tensor(std::int64_t(meta.evalResize)));
    if (!meta.initSha256.empty()) {
        archive.write("pipewright.init_file", c10::IValue(meta.initFile));
        archive.write("pipewright.init_sha256", c10::IValue(meta.initSha256));
    }
    torch::serialize::OutputArchive weights;
    net.save(weights);
    archive.write("weights", weights);
    saveArchive(archive, path);
}

void saveArchive(torch::serialize::OutputArchive &archive, const std::string &path)
{
    const std::string tmp = path + ".tmp";
    // "No space left on device" -> "no space left on device writing '<path>'".
    auto failure = [&](int error) {
        std::string reason = std::strerror(error);
        if (!reason.empty() && reason[0] >= 'A' && reason[0] <= 'Z')
            reason[0] = char(reason[0] - 'A' + 'a');
        return std::runtime_error(reason + " writing '" + path + "'");
    };
    const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0)
        throw failure(errno);
    // Written through our own descriptor rather than save_to(filename): a failed write's errno is known here,
    // where torch would only say "file write failed". After a failed write the rest is discarded but reported
    // as written: torch 1.13's archive writer, told of a short write, throws again from its destructor while
    // it finishes the archive, and that ends the process (std::terminate).
    int writeError = 0;
    try {
        archive.save_to([&](const void *data, std::size_t n) -> std::size_t {
            const char *p = static_cast<const char *>(data);
            std::size_t done = 0;
            while (done < n && writeError == 0) {
                const ssize_t w = ::write(fd, p + done, n - done);
                if (w >= 0)
                    done += std::size_t(w);
                else if (errno != EINTR)
                    writeError = errno;
            }
            return n;
        });
    } catch (const std::exception &e) {
        ::close(fd);
        std::remove(tmp.c_str());
        if (writeError != 0)
            throw failure(writeError);
        throw std::runtime_error("cannot write '" + path + "': " + e.what());
    }
    const int closeError = ::close(fd) == 0 ? 0 : errno;
    if (writeError != 0 || closeError != 0 || std::rename(tmp.c_str(), path.c_str()) != 0) {
        const int error = writeError != 0 ? writeError : closeError != 0 ? closeError : errno;
        std::remove(tmp.c_str());
        throw failure(error);
    }
}

std::shared_ptr<ClassifierImpl> loadModel(const std::string &path, ModelMeta &meta)
{
    torch::serialize::InputArchive archive;
    try {
        archive.load_from(path);
        // A tensor read into a defined tensor is copied into it (same type only): read each into a new one.
        auto tensor = [&](const char *key) {
            torch::Tensor t;
            archive.read(key, t);
            return t;
        };
        auto text = [&](const char *key) {
            c10::IValue v;
            archive.read(key, v);
            return v.toStringRef();
        };
        const auto format = tensor("pipewright.format").item<std::int64_t>();
        if (format != 1 && format != kModelFileFormat)
            throw std::runtime_error("model file format " + std::to_string(format) + " is not supported");
        meta.arch = text("pipewright.arch");
        if (format == 1 && meta.arch != "small-cnn")
            throw std::runtime_error("'" + path + "' is a " + meta.arch
                                     + " written before the zoo took torchvision's layout: train it again");
        meta.inputSize = int(tensor("pipewright.input_size").item<std::int64_t>());
        meta.channels = int(tensor("pipewright.channels").item<std::int64_t>());
        meta.classes = splitLines(text("pipewright.classes"));
        const auto mean = tensor("pipewright.mean").contiguous();
        const auto sd = tensor("pipewright.std").contiguous();
        meta.mean.assign(mean.data_ptr<double>(), mean.data_ptr<double>() + mean.numel());
        meta.std.assign(sd.data_ptr<double>(), sd.data_ptr<double>() + sd.numel());
        torch::Tensor temperature; // absent from files written before calibration: 1
        meta.temperature = archive.try_read("pipewright.temperature", temperature) ? temperature.item<double>() : 1.0;
        c10::IValue precision; // absent from files written before it was recorded: fp32
        meta.precision = archive.try_read("pipewright.precision", precision) ? precision.toStringRef() : "fp32";
        if (meta.precision != "fp32" && meta.precision != "bf16")
            throw std::runtime_error("'" + path + "': precision '" + meta.precision + "' is not fp32 or bf16");
        torch::Tensor evalResize; // absent from files written before the centre crop: none
        meta.evalResize = archive.try_read("pipewright.eval_resize", evalResize) ? int(evalResize.item<std::int64_t>())
                                                                                 : 0;
        if (meta.evalResize != 0 && (meta.evalResize < meta.inputSize || meta.evalResize > 4 * meta.inputSize))
            throw std::runtime_error("'" + path + "': evaluation resize " + std::to_string(meta.evalResize)
                                     + " does not suit input size " + std::to_string(meta.inputSize));
        c10::IValue init;
        if (archive.try_read("pipewright.init_sha256", init)) {
            meta.initSha256 = init.toStringRef();
            meta.initFile = text("pipewright.init_file");
        }
        if (!(meta.temperature > 0) || !std::isfinite(meta.temperature))
            throw std::runtime_error("'" + path + "': temperature " + std::to_string(meta.temperature)
                                     + " is not positive");
    } catch (const c10::Error &e) {
        throw std::runtime_error("'" + path + "' is not a Pipewright model file: " + e.what_without_backtrace());
    }
    auto net = buildNetwork(meta);
    torch::serialize::InputArchive weights;
    archive.read("weights", weights);
    net->load(weights);
    return net;
}

torch::Tensor normalise(const torch::Tensor &uint8Nhwc, const ModelMeta &meta)
{
    auto opts = torch::TensorOptions().dtype(torch::kFloat32).device(uint8Nhwc.device());
    const auto c = std::int64_t(meta.mean.size());
    auto mean = torch::tensor(std::vector<float>(meta.mean.begin(), meta.mean.end()), opts).view({1, c, 1, 1});
    auto invStd = (1.0 / torch::tensor(std::vector<float>(meta.std.begin(), meta.std.end()), opts)).view({1, c, 1, 1});
    // NHWC bytes viewed as NCHW are already channels-last strided: the conversion keeps that layout (the
    // contiguous() call only copies for an input that is not densely NHWC).
    auto x = uint8Nhwc.permute({0, 3, 1, 2})
                 .to(torch::kFloat32)
                 .contiguous(at::MemoryFormat::ChannelsLast)
                 .mul_(1.0 / 255.0);
    return x.sub_(mean).mul_(invStd);
}

torch::Tensor evalCrop(const torch::Tensor &x, const ModelMeta &meta)
{
    const std::int64_t r = meta.evalResize, s = x.size(2);
    if (r <= 0 || r == s)
        return x;
    namespace F = torch::nn::functional;
    const auto resized = F::interpolate(
        x,
        F::InterpolateFuncOptions().size(std::vector<std::int64_t>{r, r}).mode(torch::kBilinear).align_corners(false));
    // torchvision's CenterCrop: the offset round((r - s) / 2), Python's round (half to even).
    const auto offset = std::int64_t(std::nearbyint(double(r - s) / 2.0));
    return resized.narrow(2, offset, s).narrow(3, offset, s).contiguous(at::MemoryFormat::ChannelsLast);
}

} // namespace pw::train::detail
