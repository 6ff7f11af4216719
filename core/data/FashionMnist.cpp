// Fashion-MNIST IDX reader and PNG writer (the demo data set every user and test has offline).
#include "core/data/FashionMnist.h"

#include "core/imaging/ImagingModule.h"

#include <zlib.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <filesystem>
#include <mutex>
#include <stdexcept>
#include <thread>

namespace pw::data {

namespace fs = std::filesystem;

const std::vector<std::string> &fashionMnistFolders()
{
    static const std::vector<std::string> folders = {"000.t-shirt_top", "001.trouser",   "002.pullover", "003.dress",
                                                     "004.coat",        "005.sandal",    "006.shirt",    "007.sneaker",
                                                     "008.bag",         "009.ankle_boot"};
    return folders;
}

static std::vector<unsigned char> readGz(const std::string &path)
{
    gzFile f = gzopen(path.c_str(), "rb");
    if (!f)
        throw std::runtime_error("cannot open '" + path + "' (is the dataset-fashion-mnist package installed?)");
    std::vector<unsigned char> out;
    unsigned char buf[1 << 16];
    int n;
    while ((n = gzread(f, buf, sizeof buf)) > 0)
        out.insert(out.end(), buf, buf + n);
    int err = 0;
    const char *msg = gzerror(f, &err);
    gzclose(f);
    if (n < 0 || (err != Z_OK && err != Z_STREAM_END))
        throw std::runtime_error("'" + path + "': corrupt gzip data: " + (msg ? msg : "read error"));
    return out;
}

static std::uint32_t be32(const unsigned char *p)
{
    return (std::uint32_t(p[0]) << 24) | (std::uint32_t(p[1]) << 16) | (std::uint32_t(p[2]) << 8) | p[3];
}

IdxImages readIdxImages(const std::string &path)
{
    const auto bytes = readGz(path);
    if (bytes.size() < 16 || be32(bytes.data()) != 0x00000803)
        throw std::runtime_error("'" + path + "': not an IDX image file (magic must be 0x00000803)");
    IdxImages img;
    img.count = be32(bytes.data() + 4);
    const std::uint32_t rows = be32(bytes.data() + 8);
    const std::uint32_t cols = be32(bytes.data() + 12);
    // Each side fits in 16 bits, so rows * cols * count stays far from overflowing 64 bits.
    if (rows == 0 || cols == 0 || rows > 65535 || cols > 65535)
        throw std::runtime_error("'" + path + "': image size " + std::to_string(rows) + "x" + std::to_string(cols)
                                 + " in the header is not 1..65535 on each side");
    img.rows = int(rows);
    img.cols = int(cols);
    const std::uint64_t need = std::uint64_t(img.count) * rows * cols;
    if (bytes.size() - 16 < need)
        throw std::runtime_error("'" + path + "': truncated: header says " + std::to_string(img.count)
                                 + " images, the file holds fewer");
    img.pixels.assign(bytes.begin() + 16, bytes.begin() + 16 + std::ptrdiff_t(need));
    return img;
}

std::vector<unsigned char> readIdxLabels(const std::string &path)
{
    const auto bytes = readGz(path);
    if (bytes.size() < 8 || be32(bytes.data()) != 0x00000801)
        throw std::runtime_error("'" + path + "': not an IDX label file (magic must be 0x00000801)");
    const std::size_t count = be32(bytes.data() + 4);
    if (bytes.size() - 8 < count)
        throw std::runtime_error("'" + path + "': truncated: header says " + std::to_string(count) + " labels");
    return std::vector<unsigned char>(bytes.begin() + 8, bytes.begin() + 8 + std::ptrdiff_t(count));
}

std::int64_t writeFashionMnist(const std::string &outDir, const std::string &split, std::int64_t limit,
                               const std::string &datasetDir,
                               const std::function<void(std::int64_t, std::int64_t)> &progress)
{
    if (split != "train" && split != "test")
        throw std::invalid_argument("--split: '" + split + "' is not train or test");
    const std::string prefix = datasetDir + "/" + (split == "train" ? "train" : "t10k");
    const IdxImages images = readIdxImages(prefix + "-images-idx3-ubyte.gz");
    const auto labels = readIdxLabels(prefix + "-labels-idx1-ubyte.gz");
    if (std::int64_t(labels.size()) != images.count)
        throw std::runtime_error("'" + prefix + "': " + std::to_string(images.count) + " images but "
                                 + std::to_string(labels.size()) + " labels");
    const std::int64_t n = limit < 0 ? images.count : std::min(limit, images.count);
    const auto &folders = fashionMnistFolders();
    for (const auto &f : folders)
        fs::create_directories(fs::path(outDir) / f);

    const imaging::ModuleApi &codecs = imaging::module();
    std::atomic<std::int64_t> next{0}, done{0};
    std::atomic<bool> failed{false};
    std::string error;
    std::mutex errorMutex;
    auto fail = [&](std::string message) {
        std::lock_guard lock(errorMutex);
        if (!failed.exchange(true))
            error = std::move(message);
    };
    auto work = [&] {
        std::vector<unsigned char> png;
        std::vector<unsigned char> existing;
        for (std::int64_t i; (i = next.fetch_add(1)) < n && !failed;) {
            if (labels[std::size_t(i)] >= folders.size()) {
                fail("'" + prefix + "-labels-idx1-ubyte.gz': label " + std::to_string(labels[std::size_t(i)])
                     + " of image " + std::to_string(i) + " is not a class 0-9");
                return;
            }
            if (!codecs.encodePng(images.pixels.data() + i * images.rows * images.cols, images.rows, images.cols, 1,
                                  png)) {
                fail("cannot encode image " + std::to_string(i) + " as PNG");
                return;
            }
            char name[32];
            std::snprintf(name, sizeof name, "%05lld.png", static_cast<long long>(i));
            const fs::path path = fs::path(outDir) / folders[labels[std::size_t(i)]] / name;
            // Rewrite only what differs, so a rerun does not touch mtimes (and re-ingests nothing).
            if (FILE *f = std::fopen(path.c_str(), "rb")) {
                existing.resize(png.size() + 1);
                const std::size_t got = std::fread(existing.data(), 1, existing.size(), f);
                std::fclose(f);
                if (got == png.size() && std::equal(png.begin(), png.end(), existing.begin())) {
                    ++done;
                    continue;
                }
            }
            FILE *f = std::fopen(path.c_str(), "wb");
            if (!f || std::fwrite(png.data(), 1, png.size(), f) != png.size()) {
                if (f)
                    std::fclose(f);
                fail("cannot write '" + path.string() + "'");
                return;
            }
            std::fclose(f);
            ++done;
        }
    };
    const unsigned threads = std::max(1u, std::thread::hardware_concurrency());
    std::vector<std::thread> pool;
    for (unsigned t = 0; t < threads; ++t)
        pool.emplace_back(work);
    while (progress && done < n && !failed) {
        progress(done, n);
        std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
    for (auto &t : pool)
        t.join();
    if (failed)
        throw std::runtime_error(error);
    if (progress)
        progress(n, n);
    return n;
}

} // namespace pw::data
