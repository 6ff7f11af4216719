// .npy parsing and mapping (format: magic, version, header length, a Python dict literal, data).
#include "core/train/ShardReader.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <stdexcept>

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

namespace pw::train {

namespace {

[[noreturn]] void fail(const std::string &path, const std::string &what)
{
    throw std::runtime_error("'" + path + "': " + what);
}

std::string field(const std::string &header, const std::string &key)
{
    const auto k = header.find("'" + key + "'");
    if (k == std::string::npos)
        return {};
    auto v = header.find(':', k);
    if (v == std::string::npos)
        return {};
    ++v;
    while (v < header.size() && header[v] == ' ')
        ++v;
    if (header[v] == '\'') {
        const auto end = header.find('\'', v + 1);
        return header.substr(v + 1, end - v - 1);
    }
    if (header[v] == '(') {
        const auto end = header.find(')', v);
        return header.substr(v + 1, end - v - 1);
    }
    const auto end = header.find_first_of(",}", v);
    return header.substr(v, end - v);
}

} // namespace

NpyArray::NpyArray(const std::string &path)
    : m_path(path)
{
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        fail(path, std::strerror(errno));
    struct stat st
    {
    };
    if (fstat(fd, &st) != 0 || st.st_size < 16) {
        ::close(fd);
        fail(path, "not a .npy file (too short)");
    }
    m_mapSize = std::size_t(st.st_size);
    m_map = mmap(nullptr, m_mapSize, PROT_READ, MAP_PRIVATE, fd, 0);
    ::close(fd);
    if (m_map == MAP_FAILED) {
        m_map = nullptr;
        fail(path, std::string("cannot map: ") + std::strerror(errno));
    }
    const auto *b = static_cast<const unsigned char *>(m_map);
    if (std::memcmp(b, "\x93NUMPY", 6) != 0)
        fail(path, "not a .npy file (bad magic)");
    std::size_t headerLen = 0, offset = 0;
    if (b[6] == 1) {
        headerLen = b[8] | (b[9] << 8);
        offset = 10;
    } else if (b[6] == 2 || b[6] == 3) {
        headerLen = b[8] | (b[9] << 8) | (std::size_t(b[10]) << 16) | (std::size_t(b[11]) << 24);
        offset = 12;
    } else {
        fail(path, "unsupported .npy version " + std::to_string(b[6]));
    }
    if (offset + headerLen > m_mapSize)
        fail(path, "truncated header");
    const std::string header(reinterpret_cast<const char *>(b + offset), headerLen);
    m_dtype = field(header, "descr");
    if (field(header, "fortran_order") != "False")
        fail(path, "Fortran order is not supported");
    const std::string shape = field(header, "shape");
    std::size_t pos = 0;
    while (pos < shape.size()) {
        while (pos < shape.size() && (shape[pos] == ' ' || shape[pos] == ','))
            ++pos;
        if (pos >= shape.size())
            break;
        std::size_t used = 0;
        m_shape.push_back(std::stoll(shape.substr(pos), &used));
        pos += used;
    }
    std::size_t itemSize = 0;
    if (m_dtype == "|u1" || m_dtype == "<u1")
        itemSize = 1;
    else if (m_dtype == "<i8" || m_dtype == "<f8")
        itemSize = 8;
    else if (m_dtype == "<f4" || m_dtype == "<i4")
        itemSize = 4;
    else
        fail(path, "unsupported dtype '" + m_dtype + "'");
    m_data = b + offset + headerLen;
    if (offset + headerLen + std::size_t(count()) * itemSize > m_mapSize)
        fail(path, "truncated data: the header promises more than the file holds");
}

NpyArray::NpyArray(NpyArray &&other) noexcept
    : m_path(std::move(other.m_path))
    , m_dtype(std::move(other.m_dtype))
    , m_shape(std::move(other.m_shape))
    , m_map(other.m_map)
    , m_mapSize(other.m_mapSize)
    , m_data(other.m_data)
{
    other.m_map = nullptr;
}

NpyArray::~NpyArray()
{
    if (m_map)
        munmap(m_map, m_mapSize);
}

std::int64_t NpyArray::count() const
{
    std::int64_t n = 1;
    for (auto d : m_shape)
        n *= d;
    return n;
}

NpyArray openImages(const std::string &path)
{
    NpyArray a(path);
    if (a.dtype() != "|u1" && a.dtype() != "<u1")
        fail(path, "images must be uint8, found " + a.dtype());
    if (a.shape().size() != 4)
        fail(path, "images must be N x H x W x C, found " + std::to_string(a.shape().size()) + " dimensions");
    return a;
}

ShardSplit openSplit(const std::string &dir, const std::string &prefix)
{
    NpyArray images = openImages(dir + "/" + prefix + "_images.npy");
    NpyArray labels(dir + "/" + prefix + "_labels.npy");
    if (labels.dtype() != "<i8" || labels.shape().size() != 1)
        fail(labels.path(), "labels must be a 1-D int64 array");
    if (labels.shape()[0] != images.shape()[0])
        fail(labels.path(),
             std::to_string(labels.shape()[0]) + " labels for " + std::to_string(images.shape()[0]) + " images");
    return ShardSplit{std::move(images), std::move(labels)};
}

std::vector<std::string> readClasses(const std::string &dir)
{
    std::ifstream in(dir + "/classes.txt");
    if (!in)
        fail(dir + "/classes.txt", "cannot read");
    std::vector<std::string> classes;
    for (std::string line; std::getline(in, line);) {
        if (!line.empty())
            classes.push_back(line);
    }
    if (classes.size() < 2)
        fail(dir + "/classes.txt", "needs at least two classes");
    return classes;
}

void writeNpyFloat(const std::string &path, const std::vector<std::int64_t> &shape, const float *data)
{
    std::string dims;
    std::int64_t n = 1;
    for (auto d : shape) {
        dims += std::to_string(d) + ", ";
        n *= d;
    }
    if (shape.size() > 1)
        dims.erase(dims.size() - 2);
    else
        dims.erase(dims.size() - 1); // "(N,)"
    std::string header = "{'descr': '<f4', 'fortran_order': False, 'shape': (" + dims + "), }";
    while ((10 + header.size() + 1) % 64 != 0)
        header += ' ';
    header += '\n';
    const std::string tmp = path + ".tmp";
    std::ofstream out(tmp, std::ios::binary);
    const unsigned short len = static_cast<unsigned short>(header.size());
    out.write("\x93NUMPY\x01\x00", 8);
    out.put(char(len & 0xFF)).put(char(len >> 8));
    out.write(header.data(), std::streamsize(header.size()));
    out.write(reinterpret_cast<const char *>(data), std::streamsize(n * 4));
    out.close();
    if (!out || std::rename(tmp.c_str(), path.c_str()) != 0) {
        std::remove(tmp.c_str()); // a full disk leaves no partial .tmp behind
        fail(path, "cannot write");
    }
}

} // namespace pw::train
