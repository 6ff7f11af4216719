// `pipewright-worker export`: the model file described (ExportNetwork.cpp), written in the asked format
// atomically, reported as one finished event. Torch-free.
#include "core/train/detail/Export.h"

#include "core/train/JsonLine.h"
#include "core/train/Trainer.h"

#include <cerrno>
#include <charconv>
#include <cstdio>
#include <cstring>
#include <stdexcept>

#include <fcntl.h>
#include <unistd.h>

namespace pw::train::detail {

namespace {

std::string number(double v)
{
    char buf[32];
    const auto r = std::to_chars(buf, buf + sizeof buf, v); // the shortest text that reads back as v
    return std::string(buf, r.ptr);
}

std::string numbers(const std::vector<double> &v)
{
    std::string out = "[";
    for (std::size_t i = 0; i < v.size(); ++i)
        out += (i ? "," : "") + number(v[i]);
    return out + "]";
}

std::string strings(const std::vector<std::string> &v)
{
    std::string out = "[";
    for (std::size_t i = 0; i < v.size(); ++i)
        out += (i ? "," : "") + JsonLine::quote(v[i]);
    return out + "]";
}

// "No such file or directory" -> "no such file or directory writing '<path>'".
std::runtime_error writeFailure(int error, const std::string &path)
{
    std::string reason = std::strerror(error);
    if (!reason.empty() && reason[0] >= 'A' && reason[0] <= 'Z')
        reason[0] = char(reason[0] - 'A' + 'a');
    return std::runtime_error(reason + " writing '" + path + "'");
}

// Writes `bytes` to path.tmp and renames it into place; on any failure nothing is left behind.
void writeAtomically(const std::string &path, const std::string &bytes)
{
    const std::string tmp = path + ".tmp";
    const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0)
        throw writeFailure(errno, path);
    std::size_t done = 0;
    int error = 0;
    while (done < bytes.size() && error == 0) {
        const ssize_t w = ::write(fd, bytes.data() + done, bytes.size() - done);
        if (w >= 0)
            done += std::size_t(w);
        else if (errno != EINTR)
            error = errno;
    }
    if (::close(fd) != 0 && error == 0)
        error = errno;
    if (error == 0 && std::rename(tmp.c_str(), path.c_str()) != 0)
        error = errno;
    if (error != 0) {
        std::remove(tmp.c_str());
        throw writeFailure(error, path);
    }
}

void failed(std::ostream &events, const std::string &message)
{
    JsonLine("finished").add("status", "FAILED").add("message", message).write(events);
}

} // namespace

std::string metadataJson(const ExportNetwork &net)
{
    return "\"model\":" + JsonLine::quote(net.arch) + ",\"input_size\":" + std::to_string(net.inputSize)
           + ",\"channels\":" + std::to_string(net.channels) + ",\"classes\":" + strings(net.classes)
           + ",\"mean\":" + numbers(net.mean) + ",\"std\":" + numbers(net.std)
           + ",\"temperature\":" + number(net.temperature) + ",\"eval_resize\":" + std::to_string(net.evalResize);
}

int exportModel(const ExportOptions &o, std::ostream &events)
{
    if (o.format != "onnx" && o.format != "pytorch" && o.format != "safetensors") {
        failed(events, "--format: '" + o.format + "' is not onnx, pytorch or safetensors");
        return kTrainUsage;
    }
    if (o.format == "onnx" && !onnxAvailable()) {
        failed(events, "--format onnx: this worker was built without ONNX (libonnx-dev was not found)");
        return kTrainUsage;
    }
    try {
        const ExportNetwork net = describeModel(o.modelPath);
        const std::string bytes = o.format == "onnx"      ? onnxBytes(net)
                                  : o.format == "pytorch" ? pytorchBytes(net)
                                                          : safetensorsBytes(net);
        writeAtomically(o.outPath, bytes);
        std::string line = JsonLine("finished")
                               .add("status", "FINISHED")
                               .add("file", o.outPath)
                               .add("format", o.format)
                               .add("bytes", std::int64_t(bytes.size()))
                               .str();
        line.pop_back(); // the closing brace: the metadata members follow
        events << line << "," << metadataJson(net) << "}" << std::endl;
        return kTrainFinished;
    } catch (const std::exception &e) {
        failed(events, e.what());
        return kTrainFailed;
    }
}

} // namespace pw::train::detail
