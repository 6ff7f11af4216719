// The photo demo set: seeded crops of Debian's wallpaper photographs, one class per photograph.
#include "core/demo/DemoPhotos.h"

#include "core/imaging/ImagingModule.h"
#include "core/store/FileIo.h"

#include <algorithm>
#include <atomic>
#include <cctype>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <mutex>
#include <random>
#include <stdexcept>
#include <thread>

namespace pw::demo {

namespace fs = std::filesystem;

const std::vector<PhotoSource> &photoSources()
{
    // mate-backgrounds (46 MB) ships these photographs under a free licence; its other folders hold drawings.
    static const std::vector<PhotoSource> sources = [] {
        std::vector<PhotoSource> s;
        for (const char *name : {"Aqua", "Blinds", "Dune", "FreshFlower", "Garden", "GreenMeadow", "LadyBird",
                                 "RainDrops", "Storm", "TwoWings", "Wood", "YellowFlower"}) {
            std::string label(name);
            std::transform(label.begin(), label.end(), label.begin(), [](unsigned char c) { return std::tolower(c); });
            s.push_back(
                {label, std::string("/usr/share/backgrounds/mate/nature/") + name + ".jpg", "mate-backgrounds"});
        }
        return s;
    }();
    return sources;
}

namespace {

// The part of a photograph a split's crops come from: train the left 70%, test the right 30%.
constexpr double kTrainFraction = 0.7;
constexpr double kScales[] = {0.15, 0.25, 0.35, 0.45}; // of the photograph's shorter side
constexpr int kQuality = 92;

} // namespace

// Crop j of photograph `classIndex`: its own seed, so a --limit or a thread order changes no crop.
PhotoCrop photoCrop(int cols, int rows, bool test, int classIndex, int j)
{
    std::mt19937_64 rng((0x9E3779B97F4A7C15ULL * std::uint64_t(1 + j + 100000 * classIndex)) ^ (test ? 0x7E57U : 0U));
    auto uniform = [&rng] { return double(rng() >> 11) * 0x1.0p-53; }; // [0, 1), the same on every library
    const int regionX = test ? int(cols * kTrainFraction) : 0;
    const int regionCols = test ? cols - regionX : int(cols * kTrainFraction);
    const double side = kScales[j % 4] * (0.9 + 0.2 * uniform()) * std::min(cols, rows);
    const double aspect = std::exp(std::log(4.0 / 3.0) * (2 * uniform() - 1)); // width / height, 3:4 to 4:3
    PhotoCrop c;
    const int w = std::clamp(int(side * std::sqrt(aspect)), 1, regionCols);
    const int h = std::clamp(int(side / std::sqrt(aspect)), 1, rows);
    c.x = regionX + std::min(regionCols - w, int(uniform() * (regionCols - w + 1)));
    c.y = std::min(rows - h, int(uniform() * (rows - h + 1)));
    c.width = w;
    c.height = h;
    const double f = std::min(1.0, double(kPhotoMaxSide) / std::max(w, h));
    c.outCols = std::max(1, int(std::lround(w * f)));
    c.outRows = std::max(1, int(std::lround(h * f)));
    return c;
}

namespace {

// Writes `bytes` to `path` unless the file already holds exactly them (a rerun then re-ingests nothing).
void writeIfChanged(const fs::path &path, const std::vector<unsigned char> &bytes)
{
    std::vector<unsigned char> existing;
    std::string why;
    if (store::readWholeFile(path.string(), existing, why) && existing == bytes)
        return;
    FILE *f = std::fopen(path.c_str(), "wb");
    bool ok = f && std::fwrite(bytes.data(), 1, bytes.size(), f) == bytes.size();
    if (f)
        ok = std::fclose(f) == 0 && ok;
    if (!ok)
        throw std::runtime_error("cannot write '" + path.string() + "'");
}

std::string folderName(int classIndex, const std::string &label)
{
    char prefix[8];
    std::snprintf(prefix, sizeof prefix, "%03d.", classIndex);
    return prefix + label;
}

// Decodes photograph k once and writes its crops among the first n of the split (crop i is of class i mod K).
void writeClass(const fs::path &outDir, const std::vector<PhotoSource> &sources, std::size_t k, bool test,
                std::int64_t n, std::atomic<std::int64_t> &done)
{
    const imaging::ModuleApi &codecs = imaging::module();
    const std::string &path = sources[k].path;
    std::vector<unsigned char> bytes, rgb, jpeg;
    std::string why;
    int rows = 0, cols = 0;
    if (!store::readWholeFile(path, bytes, why))
        throw std::runtime_error("cannot read '" + path + "': " + why);
    if (!codecs.decodeRgb(bytes.data(), bytes.size(), rgb, rows, cols, why))
        throw std::runtime_error("'" + path + "' does not decode: " + why);
    const fs::path folder = outDir / folderName(int(k), sources[k].label);
    const auto classes = std::int64_t(sources.size());
    for (std::int64_t i = std::int64_t(k); i < n; i += classes) {
        const PhotoCrop c = photoCrop(cols, rows, test, int(k), int(i / classes));
        const int rect[4] = {c.x, c.y, c.width, c.height};
        if (!codecs.encodeJpegCrop(rgb.data(), rows, cols, rect, c.outCols, c.outRows, kQuality, jpeg, why))
            throw std::runtime_error("'" + path + "': " + why);
        char name[32];
        std::snprintf(name, sizeof name, "%05lld.jpg", static_cast<long long>(i));
        writeIfChanged(folder / name, jpeg);
        ++done;
    }
}

void checkInstalled(const std::vector<PhotoSource> &sources)
{
    std::vector<std::string> missing, packages;
    for (const auto &s : sources) {
        if (fs::exists(s.path))
            continue;
        missing.push_back(s.path);
        if (std::find(packages.begin(), packages.end(), s.package) == packages.end())
            packages.push_back(s.package);
    }
    if (missing.empty())
        return;
    std::string install;
    for (const auto &p : packages)
        install += " " + p;
    std::string message = "the demo photographs are not installed (apt-get install" + install + "): '" + missing[0]
                          + "' is missing";
    if (missing.size() > 1)
        message += ", and " + std::to_string(missing.size() - 1) + " more";
    throw std::runtime_error(message);
}

} // namespace

PhotoSet writePhotoSet(const std::string &outDir, const std::string &split, std::int64_t limit,
                       const std::vector<PhotoSource> &sources,
                       const std::function<void(std::int64_t, std::int64_t)> &progress)
{
    if (split != "train" && split != "test")
        throw std::invalid_argument("--split: '" + split + "' is not train or test");
    if (sources.empty())
        throw std::invalid_argument("the photo set needs at least one photograph");
    checkInstalled(sources);
    const bool test = split == "test";
    const auto all = std::int64_t(sources.size()) * (test ? kPhotoTestCrops : kPhotoTrainCrops);
    const std::int64_t n = limit < 0 ? all : std::min(limit, all);
    for (std::size_t k = 0; k < sources.size(); ++k)
        fs::create_directories(fs::path(outDir) / folderName(int(k), sources[k].label));

    std::atomic<std::size_t> next{0};
    std::atomic<std::int64_t> done{0};
    std::atomic<int> running{0};
    std::mutex errorMutex;
    std::string error;
    auto work = [&] {
        for (std::size_t k; (k = next.fetch_add(1)) < sources.size();) {
            try {
                writeClass(outDir, sources, k, test, n, done);
            } catch (const std::exception &e) {
                std::lock_guard lock(errorMutex);
                if (error.empty())
                    error = e.what();
                next.store(sources.size());
            }
        }
        --running;
    };
    const unsigned threads = std::clamp(std::thread::hardware_concurrency(), 1u, unsigned(sources.size()));
    running = int(threads);
    std::vector<std::thread> pool;
    for (unsigned t = 0; t < threads; ++t)
        pool.emplace_back(work);
    while (progress && running > 0) {
        progress(done, n);
        std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
    for (auto &t : pool)
        t.join();
    if (!error.empty())
        throw std::runtime_error(error);
    if (progress)
        progress(n, n);
    PhotoSet result{n, int(sources.size()), {}};
    for (const auto &s : sources) {
        if (std::find(result.packages.begin(), result.packages.end(), s.package) == result.packages.end())
            result.packages.push_back(s.package);
    }
    return result;
}

} // namespace pw::demo
