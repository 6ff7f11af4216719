// The ONNX export: the described network as an ONNX ModelProto (opset 13) built with ONNX's own C++ library,
// checked with onnx::checker and strict shape inference before it is serialised. Input `images` (float32
// N x C x S x S, normalised with the recorded mean and std), output `probabilities` (N x K, softmax of the
// logits over the fitted temperature). Compiled with ONNX only where libonnx-dev was found.
#include "core/train/detail/Export.h"

#ifdef PIPEWRIGHT_HAVE_ONNX
#include <onnx/checker.h>
#include <onnx/onnx_pb.h>
#include <onnx/shape_inference/implementation.h>
#endif

#include <map>
#include <set>
#include <stdexcept>

namespace pw::train::detail {

#ifdef PIPEWRIGHT_HAVE_ONNX

namespace {

constexpr int kOpset = 13;

void setShape(onnx::ValueInfoProto &v, const std::vector<std::int64_t> &dims)
{
    auto *t = v.mutable_type()->mutable_tensor_type();
    t->set_elem_type(onnx::TensorProto_DataType_FLOAT);
    auto *shape = t->mutable_shape();
    shape->add_dim()->set_dim_param("N"); // any batch size
    for (auto d : dims)
        shape->add_dim()->set_dim_value(d);
}

void addInitializer(onnx::GraphProto &g, const ExportTensor &t)
{
    auto *init = g.add_initializer();
    init->set_name(t.name);
    for (auto d : t.shape)
        init->add_dims(d);
    init->set_data_type(onnx::TensorProto_DataType_FLOAT);
    init->set_raw_data(t.values.data(), t.values.size() * sizeof(float)); // little-endian, as ONNX stores raw data
}

void addNode(onnx::GraphProto &g, const ExportOp &op)
{
    auto *node = g.add_node();
    node->set_op_type(op.type);
    node->set_name(op.output);
    for (const auto &in : op.inputs)
        node->add_input(in);
    node->add_output(op.output);
    for (const auto &a : op.attributes) {
        auto *attr = node->add_attribute();
        attr->set_name(a.name);
        if (a.kind == ExportAttribute::Ints) {
            attr->set_type(onnx::AttributeProto_AttributeType_INTS);
            for (auto v : a.ints)
                attr->add_ints(v);
        } else if (a.kind == ExportAttribute::Int) {
            attr->set_type(onnx::AttributeProto_AttributeType_INT);
            attr->set_i(a.ints.at(0));
        } else {
            attr->set_type(onnx::AttributeProto_AttributeType_FLOAT);
            attr->set_f(a.f);
        }
    }
}

// The initializers the operations use, in the order they are first used (the state_dict holds more: counters).
void addInitializers(onnx::GraphProto &g, const ExportNetwork &net)
{
    std::map<std::string, const ExportTensor *> byName;
    for (const auto &t : net.tensors)
        byName[t.name] = &t;
    for (const auto &t : net.constants)
        byName[t.name] = &t;
    std::set<std::string> values{"images"}, added;
    for (const auto &op : net.ops) {
        for (const auto &in : op.inputs) {
            if (values.count(in) || added.count(in))
                continue;
            const auto it = byName.find(in);
            if (it == byName.end() || it->second->isLong)
                throw std::runtime_error("onnx export: operation '" + op.output + "' reads '" + in
                                         + "', which is neither a tensor of the network nor an earlier result");
            addInitializer(g, *it->second);
            added.insert(in);
        }
        values.insert(op.output);
    }
}

void addMetadata(onnx::ModelProto &m, const ExportNetwork &net)
{
    auto *p = m.add_metadata_props();
    p->set_key("pipewright");
    p->set_value("{" + metadataJson(net) + "}");
}

} // namespace

bool onnxAvailable()
{
    return true;
}

std::string onnxBytes(const ExportNetwork &net)
{
    onnx::ModelProto model;
    model.set_ir_version(onnx::IR_VERSION);
    model.set_producer_name("Pipewright");
    model.set_doc_string("Pipewright " + net.arch
                         + ": input images (N x C x S x S, normalised with the recorded "
                           "mean and std), output probabilities (N x K, softmax of logits / temperature)");
    auto *opset = model.add_opset_import();
    opset->set_domain("");
    opset->set_version(kOpset);
    addMetadata(model, net);
    auto &g = *model.mutable_graph();
    g.set_name(net.arch);
    auto *in = g.add_input();
    in->set_name("images");
    setShape(*in, {net.channels, net.inputSize, net.inputSize});
    auto *out = g.add_output();
    out->set_name("probabilities");
    setShape(*out, {std::int64_t(net.classes.size())});
    addInitializers(g, net);
    for (const auto &op : net.ops)
        addNode(g, op);
    try {
        onnx::checker::check_model(model);
        onnx::ModelProto inferred = model; // strict shape inference: a shape that does not fit is an error
        onnx::shape_inference::InferShapes(inferred, onnx::OpSchemaRegistry::Instance(),
                                           onnx::ShapeInferenceOptions(/*check_type=*/true, /*error_mode=*/1));
    } catch (const std::exception &e) {
        throw std::runtime_error(std::string("onnx export: the graph does not pass ONNX's checks: ") + e.what());
    }
    std::string bytes;
    if (!model.SerializeToString(&bytes))
        throw std::runtime_error("onnx export: the model could not be serialised (over 2 GB?)");
    return bytes;
}

#else

bool onnxAvailable()
{
    return false;
}

std::string onnxBytes(const ExportNetwork &)
{
    throw std::runtime_error("this worker was built without ONNX (libonnx-dev was not found)");
}

#endif

} // namespace pw::train::detail
