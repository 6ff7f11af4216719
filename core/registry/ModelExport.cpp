// `pipewright models export`: a registered version written by the worker as ONNX, a PyTorch state_dict or
// safetensors, and its model card (what a user of the file elsewhere needs: data, run, metrics, classes and the
// exact preprocessing).
#include "core/registry/ModelExport.h"

#include "core/compute/WorkerProcess.h"
#include "core/requests/KeyValues.h"
#include "core/store/Workspace.h"
#include "core/track/Tracker.h"
#include "core/train/ModelZoo.h"

#include <QCryptographicHash>
#include <QDateTime>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QSaveFile>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <sstream>
#include <stdexcept>

namespace pw::registry {

namespace {

std::string str(const QString &s)
{
    return s.toStdString();
}

// The file to write, absolute; refused before any work when its folder is missing or not writable.
std::string checkedOutput(const std::string &out)
{
    const QFileInfo info(QString::fromStdString(out));
    const QFileInfo dir(info.absolutePath());
    if (info.isDir())
        throw std::runtime_error("--out '" + out + "' is a folder; name the file to write");
    if (!dir.isDir())
        throw std::runtime_error("--out '" + out + "': the folder '" + str(dir.absoluteFilePath())
                                 + "' does not exist");
    if (!dir.isWritable())
        throw std::runtime_error("--out '" + out + "': the folder '" + str(dir.absoluteFilePath())
                                 + "' is not writable");
    return str(info.absoluteFilePath());
}

ExportedModel exportedModel(const QJsonObject &finished)
{
    ExportedModel m;
    m.arch = str(finished.value("model").toString());
    m.inputSize = finished.value("input_size").toInt();
    m.channels = finished.value("channels").toInt();
    for (const auto &c : finished.value("classes").toArray())
        m.classes.push_back(str(c.toString()));
    for (const auto &v : finished.value("mean").toArray())
        m.mean.push_back(v.toDouble());
    for (const auto &v : finished.value("std").toArray())
        m.std.push_back(v.toDouble());
    m.temperature = finished.value("temperature").toDouble(1.0);
    m.evalResize = finished.value("eval_resize").toInt(0);
    return m;
}

// Runs the worker's export into `file`; returns what the worker read from the model file.
ExportedModel runExport(const ModelVersion &v, ExportFormat format, const std::string &file, const std::string &shownAs,
                        const std::atomic<bool> *cancel)
{
    if (!QFileInfo::exists(QString::fromStdString(v.artifact)))
        throw std::runtime_error("model " + v.name + ":" + std::to_string(v.version) + ": its model file '" + v.artifact
                                 + "' is missing");
    const QStringList args{"export",
                           "--model",
                           QString::fromStdString(v.artifact),
                           "--format",
                           kModelExportFormats.name(format),
                           "--out",
                           QString::fromStdString(file)};
    const compute::WorkerExit exit = compute::runWorker(args, {}, cancel);
    const std::string what = "export of " + v.name + ":" + std::to_string(v.version) + " as "
                             + kModelExportFormats.name(format);
    if (exit.cancelled)
        throw std::runtime_error(what + " was cancelled");
    if (exit.finished.value("status").toString() != "FINISHED") {
        // The worker names the file it wrote (FILE.partial); the user named FILE.
        QString why = exit.finished.isEmpty() ? exit.error : exit.finished.value("message").toString();
        why.replace(QString::fromStdString(file), QString::fromStdString(shownAs));
        throw std::runtime_error(what + " failed: " + str(why));
    }
    return exportedModel(exit.finished);
}

std::string sha256(const std::string &path)
{
    QFile f(QString::fromStdString(path));
    if (!f.open(QIODevice::ReadOnly))
        throw std::runtime_error("cannot read '" + path + "': " + str(f.errorString()));
    QCryptographicHash hash(QCryptographicHash::Sha256);
    hash.addData(&f);
    return hash.result().toHex().toStdString();
}

std::string list(const std::vector<double> &v)
{
    std::string out;
    for (std::size_t i = 0; i < v.size(); ++i)
        out += (i ? ", " : "") + QString::number(v[i], 'g', 17).toStdString();
    return "[" + out + "]";
}

// small-cnn or medium-cnn as a PyTorch module under Pipewright's names (core/train/Networks.cpp), its blocks
// from ModelZoo.h: each a 3x3 conv, a 2x2 max-pool where the layer has one, batch norm and ReLU. Ends in "model =
// SmallCnn".
std::string smallCnn(const ExportedModel &m)
{
    std::string blocks;
    int side = m.inputSize; // the map's side before the classifier
    for (const train::CnnLayer &layer : train::cnnLayers(m.arch)) {
        blocks += (blocks.empty() ? "(" : ", ") + std::string("(") + std::to_string(layer.width) + ", "
                  + (layer.pool ? "True" : "False") + ")";
        side /= layer.pool ? 2 : 1;
    }
    return "class SmallCnn(torch.nn.Module):\n"
           "    def __init__(self, num_classes):\n"
           "        super().__init__()\n"
           "        nn, layers, c = torch.nn, [], "
           + std::to_string(m.channels)
           + "\n"
             "        for width, pool in "
           + blocks
           + "):\n"
             "            layers.append(nn.Conv2d(c, width, 3, padding=1, bias=False))\n"
             "            layers += [nn.MaxPool2d(2)] if pool else []\n"
             "            layers += [nn.BatchNorm2d(width), nn.ReLU(inplace=True)]\n"
             "            c = width\n"
             "        self.features = nn.Sequential(*layers)\n"
             "        self.classifier = nn.Conv2d(c, num_classes, "
           + std::to_string(side)
           + ")\n"
             "    def forward(self, x):\n"
             "        return self.classifier(self.features(x)).flatten(1)\n\n"
             "model = SmallCnn";
}

// How the file is read elsewhere, per format.
std::string usage(const ModelExportResult &r, const std::string &fileName)
{
    const std::string k = std::to_string(r.model.classes.size());
    const std::string t = QString::number(r.model.temperature, 'g', 17).toStdString();
    // ResNets trained below 64 px have a 3x3 stride-1 conv1 and no max-pool (ModelZoo.h).
    const std::string smallStem = r.model.arch.rfind("resnet", 0) == 0 && r.model.inputSize < 64
                                      ? "model.conv1 = torch.nn.Conv2d(" + std::to_string(r.model.channels)
                                            + ", 64, 3, 1, 1, bias=False)\nmodel.maxpool = torch.nn.Identity()\n"
                                      : std::string();
    switch (r.format) {
    case ExportFormat::Onnx:
        return "The graph ends in the softmax: its output `probabilities` is what Pipewright predicts.\n\n"
               "```python\nimport cv2\nnet = cv2.dnn.readNetFromONNX(\""
               + fileName
               + "\")\nnet.setInput(images)  # float32 N x C x H x W, normalised as above\n"
                 "probabilities = net.forward()\n```\n";
    case ExportFormat::Pytorch:
        return "A state_dict (`torch.save` format) under the network's module names; for resnet18, resnet50 and "
               "mobilenet_v3_large they are torchvision's.\n\n```python\nimport torch, torchvision\n"
               + (r.model.arch == "small-cnn" || r.model.arch == "medium-cnn"
                      ? smallCnn(r.model)
                      : "model = torchvision.models." + r.model.arch)
               + "(num_classes=" + k + ")\n" + smallStem + "model.load_state_dict(torch.load(\"" + fileName
               + "\"))\nmodel.eval()\nprobabilities = torch.softmax(model(images) / " + t + ", dim=1)\n```\n";
    case ExportFormat::Safetensors:
        return "The same tensors as the state_dict, with this card's metadata in the header's `__metadata__` "
               "(classes, mean, std, input_size, channels, model, temperature). Probabilities are "
               "softmax(logits / "
               + t + ").\n";
    }
    return {};
}

std::string metricsTable(const std::map<std::string, double> &metrics)
{
    std::string out = "| metric | value |\n|---|---|\n";
    for (const auto &[key, value] : metrics) {
        if (key.rfind("batch_", 0) == 0 || key == "lr")
            continue; // per-batch and schedule values say nothing about the model
        out += "| " + key + " | " + QString::number(value, 'g', 6).toStdString() + " |\n";
    }
    return out;
}

std::string cardText(const ModelExportResult &r, const track::RunInfo &run,
                     const std::map<std::string, double> &metrics)
{
    const ModelVersion &v = r.version;
    const ExportedModel &m = r.model;
    const std::string fileName = str(QFileInfo(QString::fromStdString(r.file)).fileName());
    std::ostringstream o;
    o << "# " << v.name << " version " << v.version << " (" << stageName(v.stage) << ")\n\n"
      << "Exported by Pipewright on " << str(QDateTime::currentDateTimeUtc().toString(Qt::ISODate)) << " as "
      << kModelExportFormats.name(r.format) << ": `" << fileName << "` (" << r.bytes << " bytes, SHA-256 " << r.sha256
      << ").\n\n"
      << "| | |\n|---|---|\n| Model | " << v.name << ":" << v.version << ", stage " << stageName(v.stage) << " |\n"
      << "| Architecture | " << m.arch << " |\n| Training run | " << v.runId << " (experiment " << run.experiment
      << (run.name.empty() ? "" : ", " + run.name) << ") |\n| Data | table " << v.dataTable << " at catalog version "
      << v.dataVersion << " |\n| Registered | " << v.created << " |\n";
    if (!v.description.empty())
        o << "| Description | " << v.description << " |\n";
    o << "\n## Metrics (of the training run)\n\n"
      << metricsTable(metrics) << "\n## Classes\n\nOutput index: class.\n\n";
    for (std::size_t i = 0; i < m.classes.size(); ++i)
        o << i << ". " << m.classes[i] << "\n";
    o << "\n## Preprocessing\n\n"
      << "- Input `images`: float32, N x " << m.channels << " x " << m.inputSize << " x " << m.inputSize << " (NCHW), "
      << (m.channels == 1 ? "gray" : "RGB order") << ".\n"
      << "- Each image resized to " << m.inputSize << " x " << m.inputSize
      << " px (OpenCV INTER_AREA when it shrinks, INTER_LINEAR when it grows)"
      << (m.evalResize > 0
              ? ", then resized to " + std::to_string(m.evalResize) + " x " + std::to_string(m.evalResize)
                    + " (bilinear, half-pixel centres) and its centre " + std::to_string(m.inputSize) + " x "
                    + std::to_string(m.inputSize) + " cut out: torchvision's transforms.Resize("
                    + std::to_string(m.evalResize) + ") + CenterCrop(" + std::to_string(m.inputSize) + ") on that image"
              : std::string("; no crop"))
      << ".\n"
      << "- Pixel values divided by 255, then per channel (x - mean) / std with mean " << list(m.mean) << " and std "
      << list(m.std) << ".\n"
      << "- Probabilities: softmax(logits / temperature), temperature "
      << QString::number(m.temperature, 'g', 17).toStdString() << " (fitted on the validation split).\n\n"
      << "## Using the file\n\n"
      << usage(r, fileName);
    return o.str();
}

void writeCard(const std::string &path, const std::string &text)
{
    QSaveFile f(QString::fromStdString(path));
    if (!f.open(QIODevice::WriteOnly) || f.write(text.data(), qint64(text.size())) != qint64(text.size())
        || !f.commit())
        throw std::runtime_error("cannot write the model card '" + path + "': " + str(f.errorString()));
}

} // namespace

ModelExportRequest parseModelExportRequest(const requests::KeyValues &values)
{
    requests::KeyReader in(values);
    ModelExportRequest r;
    r.model = in.required("model");
    (void)in.required("format");
    r.format = in.choice("format", r.format, kModelExportFormats);
    r.out = in.required("out");
    in.done();
    return r;
}

ModelExportResult exportModelVersion(const store::Workspace &ws, store::Database &db, const ModelExportRequest &request,
                                     const std::atomic<bool> *cancel)
{
    ModelExportResult r;
    r.file = checkedOutput(request.out);
    r.card = r.file + ".md";
    r.format = request.format;
    r.version = Registry(ws, db).resolve(request.model);
    const track::Tracker tracker(db);
    const track::RunInfo run = tracker.run(r.version.runId);
    const auto metrics = tracker.latestMetrics(run.runId);
    // The worker writes beside the file; the file takes its name only once the card is written too.
    const std::string partial = r.file + ".partial";
    try {
        r.model = runExport(r.version, r.format, partial, r.file, cancel);
        r.bytes = qint64(QFileInfo(QString::fromStdString(partial)).size());
        r.sha256 = sha256(partial);
        writeCard(r.card, cardText(r, run, metrics));
        if (std::rename(partial.c_str(), r.file.c_str()) != 0)
            throw std::runtime_error("cannot rename '" + partial + "' to '" + r.file + "': " + std::strerror(errno));
    } catch (...) {
        std::remove(partial.c_str());
        throw;
    }
    return r;
}

} // namespace pw::registry
