// The safetensors export (huggingface/safetensors' format): an 8-byte little-endian header length, a JSON header
// ({"__metadata__": {string: string}, NAME: {"dtype", "shape", "data_offsets": [begin, end]}}, padded with spaces
// to a multiple of 8 bytes), then the tensors' bytes back to back in header order.
#include "core/train/detail/Export.h"

#include "core/train/JsonLine.h"

#include <cstdio>

namespace pw::train::detail {

namespace {

std::string shapeJson(const std::vector<std::int64_t> &shape)
{
    std::string out = "[";
    for (std::size_t i = 0; i < shape.size(); ++i)
        out += (i ? "," : "") + std::to_string(shape[i]);
    return out + "]";
}

// The metadata's values are strings (the format allows nothing else): lists are JSON text inside them.
std::string metadata(const ExportNetwork &net)
{
    auto list = [](const auto &items, auto &&format) {
        std::string out = "[";
        for (std::size_t i = 0; i < items.size(); ++i)
            out += (i ? "," : "") + format(items[i]);
        return out + "]";
    };
    auto num = [](double v) {
        char buf[32];
        std::snprintf(buf, sizeof buf, "%.17g", v);
        return std::string(buf);
    };
    const std::string classes = list(net.classes, [](const std::string &s) { return JsonLine::quote(s); });
    return "{\"format\":\"pt\",\"model\":" + JsonLine::quote(net.arch) + ",\"classes\":" + JsonLine::quote(classes)
           + ",\"mean\":" + JsonLine::quote(list(net.mean, num)) + ",\"std\":" + JsonLine::quote(list(net.std, num))
           + ",\"input_size\":\"" + std::to_string(net.inputSize) + "\",\"channels\":\"" + std::to_string(net.channels)
           + "\",\"temperature\":\"" + num(net.temperature) + "\",\"eval_resize\":\"" + std::to_string(net.evalResize)
           + "\"}";
}

} // namespace

std::string safetensorsBytes(const ExportNetwork &net)
{
    std::string header = "{\"__metadata__\":" + metadata(net);
    std::size_t offset = 0;
    for (const auto &t : net.tensors) {
        const std::size_t bytes = std::size_t(t.numel()) * (t.isLong ? 8 : 4);
        header += "," + JsonLine::quote(t.name) + ":{\"dtype\":\"" + (t.isLong ? "I64" : "F32")
                  + "\",\"shape\":" + shapeJson(t.shape) + ",\"data_offsets\":[" + std::to_string(offset) + ","
                  + std::to_string(offset + bytes) + "]}";
        offset += bytes;
    }
    header += "}";
    header.append((8 - header.size() % 8) % 8, ' ');
    std::string out;
    out.reserve(8 + header.size() + offset);
    for (int i = 0; i < 8; ++i)
        out += char((std::uint64_t(header.size()) >> (8 * i)) & 0xff);
    out += header;
    for (const auto &t : net.tensors) {
        if (t.isLong)
            out.append(reinterpret_cast<const char *>(t.longs.data()), t.longs.size() * sizeof(std::int64_t));
        else
            out.append(reinterpret_cast<const char *>(t.values.data()), t.values.size() * sizeof(float));
    }
    return out;
}

} // namespace pw::train::detail
