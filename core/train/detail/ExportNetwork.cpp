// Describes a trained network for export: its parameters and buffers under their state_dict names, and its
// forward pass as ONNX-level operations read off its modules (convolutions, batch norms, pools, linear layers,
// activations, residual blocks, squeeze-excitation), ending in softmax(logits / temperature).
#include "core/train/detail/Export.h"

#include "core/train/ModelZoo.h"
#include "core/train/detail/Networks.h"

#include <stdexcept>

namespace pw::train::detail {

namespace {

ExportTensor tensorOf(const std::string &name, const torch::Tensor &t)
{
    ExportTensor out;
    out.name = name;
    out.shape = t.sizes().vec();
    const auto cpu = t.detach().to(torch::kCPU).contiguous();
    if (cpu.scalar_type() == torch::kLong) {
        out.isLong = true;
        out.longs.assign(cpu.data_ptr<std::int64_t>(), cpu.data_ptr<std::int64_t>() + cpu.numel());
    } else {
        const auto f = cpu.to(torch::kFloat32).contiguous();
        out.values.assign(f.data_ptr<float>(), f.data_ptr<float>() + f.numel());
    }
    return out;
}

// The state_dict in PyTorch's order: each module's own parameters, then its own buffers, then its children.
std::vector<ExportTensor> stateDict(torch::nn::Module &net)
{
    std::vector<ExportTensor> out;
    for (const auto &item : net.named_modules("", /*include_self=*/true)) {
        const std::string prefix = item.key().empty() ? std::string() : item.key() + ".";
        for (const auto &p : item.value()->named_parameters(/*recurse=*/false))
            out.push_back(tensorOf(prefix + p.key(), p.value()));
        for (const auto &b : item.value()->named_buffers(/*recurse=*/false))
            out.push_back(tensorOf(prefix + b.key(), b.value()));
    }
    return out;
}

std::vector<std::int64_t> pair(const torch::ExpandingArray<2> &a)
{
    return {(*a)[0], (*a)[1]};
}

ExportAttribute ints(const std::string &name, std::vector<std::int64_t> v)
{
    return {name, ExportAttribute::Ints, std::move(v), 0};
}

ExportAttribute integer(const std::string &name, std::int64_t v)
{
    return {name, ExportAttribute::Int, {v}, 0};
}

ExportAttribute real(const std::string &name, float v)
{
    return {name, ExportAttribute::Float, {}, v};
}

// Builds the operations of the graph from the network's modules. Each emit() returns the new value's name.
class GraphBuilder
{
public:
    explicit GraphBuilder(ExportNetwork &net)
        : m_net(net)
    {
    }

    std::string emit(const std::string &type, std::vector<std::string> inputs, std::vector<ExportAttribute> attrs = {},
                     std::string output = {})
    {
        if (output.empty())
            output = type + "_" + std::to_string(m_net.ops.size());
        m_net.ops.push_back({type, std::move(inputs), output, std::move(attrs)});
        return output;
    }

    std::string conv(const std::string &name, torch::nn::Conv2dImpl &c, const std::string &x)
    {
        const auto &o = c.options;
        const auto *padding = c10::get_if<torch::ExpandingArray<2>>(&o.padding());
        if (!padding || !c10::holds_alternative<torch::enumtype::kZeros>(o.padding_mode()))
            throw std::runtime_error("export: convolution '" + name + "' has a padding ONNX export does not support");
        const auto p = pair(*padding);
        std::vector<std::string> in{x, name + ".weight"};
        if (o.bias())
            in.push_back(name + ".bias");
        return emit("Conv", in,
                    {ints("kernel_shape", pair(o.kernel_size())), ints("strides", pair(o.stride())),
                     ints("pads", {p[0], p[1], p[0], p[1]}), ints("dilations", pair(o.dilation())),
                     integer("group", o.groups())});
    }

    std::string batchNorm(const std::string &name, torch::nn::BatchNorm2dImpl &bn, const std::string &x)
    {
        if (!bn.options.affine() || !bn.options.track_running_stats())
            throw std::runtime_error("export: batch norm '" + name + "' has no running statistics or affine weights");
        return emit("BatchNormalization",
                    {x, name + ".weight", name + ".bias", name + ".running_mean", name + ".running_var"},
                    {real("epsilon", float(bn.options.eps()))});
    }

    std::string maxPool(const std::string &name, torch::nn::MaxPool2dImpl &m, const std::string &x)
    {
        const auto &o = m.options;
        if (pair(o.dilation()) != std::vector<std::int64_t>{1, 1})
            throw std::runtime_error("export: max-pool '" + name + "' is dilated");
        const auto p = pair(o.padding());
        return maxPool(pair(o.kernel_size()), pair(o.stride()), p, o.ceil_mode(), x);
    }

    std::string maxPool(std::vector<std::int64_t> kernel, std::vector<std::int64_t> stride,
                        std::vector<std::int64_t> pad, bool ceil, const std::string &x)
    {
        return emit("MaxPool", {x},
                    {ints("kernel_shape", kernel), ints("strides", stride),
                     ints("pads", {pad[0], pad[1], pad[0], pad[1]}), integer("ceil_mode", ceil ? 1 : 0)});
    }

    // A linear layer over the features (N x C x 1 x 1 or N x C): flattened, then Gemm with the weight transposed.
    std::string linear(const std::string &name, torch::nn::LinearImpl &l, const std::string &x)
    {
        const std::string flat = emit("Flatten", {x}, {integer("axis", 1)});
        std::vector<std::string> in{flat, name + ".weight"};
        if (l.options.bias())
            in.push_back(name + ".bias");
        return emit("Gemm", in, {integer("transB", 1)});
    }

    std::string relu(const std::string &x) { return emit("Relu", {x}); }
    std::string hardSigmoid(const std::string &x)
    {
        // torch's hardsigmoid is relu6(x + 3) / 6: ONNX's max(0, min(1, alpha * x + beta)) with alpha 1/6, beta 1/2.
        return emit("HardSigmoid", {x}, {real("alpha", 1.0f / 6.0f), real("beta", 0.5f)});
    }
    // hardswish(x) = x * hardsigmoid(x) (ONNX has HardSwish only from opset 14).
    std::string hardSwish(const std::string &x) { return emit("Mul", {x, hardSigmoid(x)}); }
    std::string globalAveragePool(const std::string &x) { return emit("GlobalAveragePool", {x}); }

    std::string module(const std::string &name, torch::nn::Module &m, const std::string &x);
    std::string sequential(const std::string &name, torch::nn::Module &m, const std::string &x);
    std::string residualBlock(const std::string &name, torch::nn::Module &m, const std::string &x);
    std::string invertedResidual(const std::string &name, torch::nn::Module &m, const std::string &x);
    std::string squeezeExcitation(const std::string &name, torch::nn::Module &m, const std::string &x);
    std::string activation(const std::string &name, torch::nn::FunctionalImpl &f, const std::string &x);

private:
    ExportNetwork &m_net;
};

std::shared_ptr<torch::nn::Module> child(torch::nn::Module &m, const std::string &name, const std::string &path)
{
    for (const auto &c : m.named_children()) {
        if (c.key() == name)
            return c.value();
    }
    throw std::runtime_error("export: module '" + path + "' has no '" + name + "'");
}

bool hasChild(torch::nn::Module &m, const std::string &name)
{
    for (const auto &c : m.named_children()) {
        if (c.key() == name)
            return true;
    }
    return false;
}

template<typename T> T &as(const std::shared_ptr<torch::nn::Module> &m, const std::string &path)
{
    auto *t = dynamic_cast<T *>(m.get());
    if (!t)
        throw std::runtime_error("export: module '" + path + "' is a " + m->name() + ", not what its place expects");
    return *t;
}

std::string join(const std::string &prefix, const std::string &name)
{
    return prefix.empty() ? name : prefix + "." + name;
}

} // namespace

namespace {

std::string GraphBuilder::module(const std::string &name, torch::nn::Module &m, const std::string &x)
{
    if (auto *c = dynamic_cast<torch::nn::Conv2dImpl *>(&m))
        return conv(name, *c, x);
    if (auto *bn = dynamic_cast<torch::nn::BatchNorm2dImpl *>(&m))
        return batchNorm(name, *bn, x);
    if (auto *p = dynamic_cast<torch::nn::MaxPool2dImpl *>(&m))
        return maxPool(name, *p, x);
    if (auto *l = dynamic_cast<torch::nn::LinearImpl *>(&m))
        return linear(name, *l, x);
    if (dynamic_cast<torch::nn::ReLUImpl *>(&m))
        return relu(x);
    if (dynamic_cast<torch::nn::DropoutImpl *>(&m))
        return x; // the identity in evaluation
    if (auto *f = dynamic_cast<torch::nn::FunctionalImpl *>(&m))
        return activation(name, *f, x);
    if (dynamic_cast<torch::nn::SequentialImpl *>(&m))
        return sequential(name, m, x);
    // The zoo's own blocks, recognised by their torchvision member names.
    if (hasChild(m, "conv1") && hasChild(m, "bn2"))
        return residualBlock(name, m, x);
    if (hasChild(m, "block"))
        return invertedResidual(name, m, x);
    if (hasChild(m, "fc1") && hasChild(m, "fc2"))
        return squeezeExcitation(name, m, x);
    throw std::runtime_error("export: module '" + name + "' (" + m.name() + ") has no ONNX form");
}

std::string GraphBuilder::sequential(const std::string &name, torch::nn::Module &m, const std::string &x)
{
    std::string y = x;
    for (const auto &c : m.named_children())
        y = module(join(name, c.key()), *c.value(), y);
    return y;
}

// torchvision's BasicBlock (conv1 bn1 relu conv2 bn2) or Bottleneck (... relu conv3 bn3), plus the identity or
// its downsample (a 1x1 conv and a batch norm), then relu.
std::string GraphBuilder::residualBlock(const std::string &name, torch::nn::Module &m, const std::string &x)
{
    const bool bottleneck = hasChild(m, "conv3");
    auto step = [&](const char *convName, const char *bnName, const std::string &in) {
        const std::string c = conv(join(name, convName), as<torch::nn::Conv2dImpl>(child(m, convName, name), name), in);
        return batchNorm(join(name, bnName), as<torch::nn::BatchNorm2dImpl>(child(m, bnName, name), name), c);
    };
    std::string y = relu(step("conv1", "bn1", x));
    y = step("conv2", "bn2", y);
    if (bottleneck)
        y = step("conv3", "bn3", relu(y));
    const std::string identity = hasChild(m, "downsample")
                                     ? sequential(join(name, "downsample"), *child(m, "downsample", name), x)
                                     : x;
    return relu(emit("Add", {y, identity}));
}

// MobileNetV3's inverted residual: `block` (conv-norm-activation triples and a squeeze-excitation), plus the
// input when the block keeps the shape (stride 1 and as many channels out as in).
std::string GraphBuilder::invertedResidual(const std::string &name, torch::nn::Module &m, const std::string &x)
{
    auto block = child(m, "block", name);
    std::int64_t inChannels = -1, outChannels = -1, stride = 1;
    for (const auto &c : block->named_modules()) {
        if (auto *conv = dynamic_cast<torch::nn::Conv2dImpl *>(c.value().get())) {
            if (c.key().find("fc") != std::string::npos)
                continue; // the squeeze-excitation's
            if (inChannels < 0)
                inChannels = conv->options.in_channels();
            outChannels = conv->options.out_channels();
            stride = std::max(stride, pair(conv->options.stride())[0]);
        }
    }
    const std::string y = sequential(join(name, "block"), *block, x);
    return stride == 1 && inChannels == outChannels ? emit("Add", {y, x}) : y;
}

// x * hardsigmoid(fc2(relu(fc1(mean over the map)))).
std::string GraphBuilder::squeezeExcitation(const std::string &name, torch::nn::Module &m, const std::string &x)
{
    std::string s = globalAveragePool(x);
    s = relu(conv(join(name, "fc1"), as<torch::nn::Conv2dImpl>(child(m, "fc1", name), name), s));
    s = hardSigmoid(conv(join(name, "fc2"), as<torch::nn::Conv2dImpl>(child(m, "fc2", name), name), s));
    // x * s with N and C swapped, Transpose(Transpose(x) * Transpose(s)): the same products, in a form OpenCV 4.6's
    // ONNX importer gets right. The plain Mul(x, s) it gets wrong twice: it rewrites Mul(a, HardSigmoid(b)) as
    // HardSwish(b) without checking that a is b (N x C x 1 x 1 in place of x scaled); and a Mul of two computed
    // tensors of different shapes becomes a Scale layer whose axis is the first of s's dimensions that is not 1
    // at import, where the batch is 1: C, which throws for a batch of more than one. Swapped, the Mul reads
    // Transposes and s is C x N x 1 x 1, whose first dimension is not 1 at any batch size.
    const std::vector<std::int64_t> swapNC{1, 0, 2, 3};
    const std::string scaled = emit(
        "Mul", {emit("Transpose", {x}, {ints("perm", swapNC)}), emit("Transpose", {s}, {ints("perm", swapNC)})});
    return emit("Transpose", {scaled}, {ints("perm", swapNC)});
}

// A Functional module is a lambda: which activation it is is read from its values at a few points.
std::string GraphBuilder::activation(const std::string &name, torch::nn::FunctionalImpl &f, const std::string &x)
{
    const auto probe = torch::tensor({-4.0f, -1.0f, -0.5f, 0.5f, 1.0f, 4.0f});
    torch::NoGradGuard noGrad;
    const auto y = f.forward(probe);
    if (torch::allclose(y, torch::relu(probe)))
        return relu(x);
    if (torch::allclose(y, torch::hardswish(probe)))
        return hardSwish(x);
    if (torch::allclose(y, torch::hardsigmoid(probe)))
        return hardSigmoid(x);
    throw std::runtime_error("export: '" + name + "' is a function that is not relu, hardswish or hardsigmoid");
}

// The forward pass of each zoo network, up to the logits.
std::string logits(GraphBuilder &g, ClassifierImpl &net, const std::string &arch)
{
    if (!cnnLayers(arch).empty()) {
        const std::string x = g.sequential("features", *child(net, "features", arch), "images");
        const std::string y = g.conv("classifier", as<torch::nn::Conv2dImpl>(child(net, "classifier", arch), arch), x);
        return g.emit("Flatten", {y}, {integer("axis", 1)});
    }
    if (hasChild(net, "layer1")) { // the ResNets, in torchvision's layout
        auto &conv1 = as<torch::nn::Conv2dImpl>(child(net, "conv1", arch), arch);
        std::string x = g.conv("conv1", conv1, "images");
        x = g.relu(g.batchNorm("bn1", as<torch::nn::BatchNorm2dImpl>(child(net, "bn1", arch), arch), x));
        if (pair(conv1.options.kernel_size())[0] == 7) // the ImageNet stem; small inputs have a 3x3 one and no pool
            x = g.maxPool({3, 3}, {2, 2}, {1, 1}, false, x);
        for (const char *layer : {"layer1", "layer2", "layer3", "layer4"})
            x = g.sequential(layer, *child(net, layer, arch), x);
        return g.linear("fc", as<torch::nn::LinearImpl>(child(net, "fc", arch), arch), g.globalAveragePool(x));
    }
    if (hasChild(net, "features") && hasChild(net, "classifier")) { // MobileNetV3
        const std::string x = g.sequential("features", *child(net, "features", arch), "images");
        return g.sequential("classifier", *child(net, "classifier", arch), g.globalAveragePool(x));
    }
    throw std::runtime_error("export: the layout of '" + arch + "' is not known to the exporter");
}

} // namespace

ExportNetwork describeModel(const std::string &modelPath)
{
    ModelMeta meta;
    auto net = loadModel(modelPath, meta);
    net->eval();
    ExportNetwork out;
    out.arch = meta.arch;
    out.inputSize = meta.inputSize;
    out.channels = meta.channels;
    out.classes = meta.classes;
    out.mean = meta.mean;
    out.std = meta.std;
    out.temperature = meta.temperature;
    out.evalResize = meta.evalResize;
    out.tensors = stateDict(*net);
    GraphBuilder g(out);
    const std::string z = logits(g, *net, meta.arch);
    ExportTensor t;
    t.name = "temperature";
    t.values = {float(meta.temperature)};
    out.constants.push_back(t);
    const std::string scaled = g.emit("Div", {z, "temperature"});
    g.emit("Softmax", {scaled}, {integer("axis", 1)}, "probabilities");
    return out;
}

} // namespace pw::train::detail
