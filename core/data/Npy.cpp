// NumPy .npy writer (presized, mapped, filled in place) and reader (mapped read-only).
#include "core/data/Npy.h"

#include <algorithm>
#include <bit>
#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <string_view>
#include <utility>

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

namespace pw::data {

static_assert(std::endian::native == std::endian::little, "the .npy files written here are little-endian");

namespace {

constexpr char kMagic[] = "\x93NUMPY";
constexpr std::size_t kMagicSize = 6;
constexpr std::size_t kAlign = 64;
// A version 1.0 preamble: magic, 2 version bytes, a uint16 header length.
constexpr std::size_t kPreamble1 = kMagicSize + 2 + 2;

[[noreturn]] void fail(const std::string &path, const std::string &what)
{
    throw std::runtime_error("'" + path + "': " + what);
}

[[noreturn]] void failErrno(const std::string &path, const std::string &what)
{
    fail(path, what + ": " + std::strerror(errno));
}

std::string shapeRepr(const std::vector<std::int64_t> &shape)
{
    // Python's repr of a tuple: (), (n,), (a, b).
    std::string s = "(";
    for (std::size_t i = 0; i < shape.size(); ++i)
        s += (i ? ", " : "") + std::to_string(shape[i]);
    if (shape.size() == 1)
        s += ",";
    return s + ")";
}

std::int64_t elementsOf(const std::vector<std::int64_t> &shape, const std::string &path)
{
    std::int64_t n = 1;
    for (const std::int64_t d : shape) {
        if (d < 0)
            fail(path, "shape " + shapeRepr(shape) + " has a negative dimension");
        if (__builtin_mul_overflow(n, d, &n))
            fail(path, "shape " + shapeRepr(shape) + " is too large");
    }
    return n;
}

// A reader of the Python literals a .npy header holds: a dict of str keys whose values are strings,
// True/False, or tuples of integers.
class HeaderParser
{
public:
    HeaderParser(std::string_view text, const std::string &path)
        : m_text(text)
        , m_path(path)
    {
    }

    NpyHeader parse()
    {
        NpyHeader h;
        bool haveDescr = false, haveOrder = false, haveShape = false;
        expect('{');
        while (!peek('}')) {
            const std::string key = string();
            expect(':');
            if (key == "descr") {
                h.type = typeOf(string());
                haveDescr = true;
            } else if (key == "fortran_order") {
                if (boolean())
                    bad("fortran_order is True: only C-order arrays are supported");
                haveOrder = true;
            } else if (key == "shape") {
                h.shape = tuple();
                haveShape = true;
            } else {
                bad("unexpected key '" + key + "'");
            }
            if (!peek('}'))
                expect(',');
        }
        expect('}');
        if (!haveDescr || !haveOrder || !haveShape)
            bad("the header dict lacks 'descr', 'fortran_order' or 'shape'");
        return h;
    }

private:
    [[noreturn]] void bad(const std::string &what) const
    {
        fail(m_path, "bad .npy header: " + what + " (in \"" + std::string(m_text) + "\")");
    }
    void skipSpace()
    {
        while (m_pos < m_text.size() && (m_text[m_pos] == ' ' || m_text[m_pos] == '\t' || m_text[m_pos] == '\n'))
            ++m_pos;
    }
    bool peek(char c)
    {
        skipSpace();
        return m_pos < m_text.size() && m_text[m_pos] == c;
    }
    void expect(char c)
    {
        if (!peek(c))
            bad(std::string("expected '") + c + "' at offset " + std::to_string(m_pos));
        ++m_pos;
    }
    std::string string()
    {
        skipSpace();
        if (m_pos >= m_text.size() || (m_text[m_pos] != '\'' && m_text[m_pos] != '"'))
            bad("expected a string at offset " + std::to_string(m_pos));
        const char quote = m_text[m_pos++];
        const std::size_t end = m_text.find(quote, m_pos);
        if (end == std::string_view::npos)
            bad("unterminated string");
        std::string s(m_text.substr(m_pos, end - m_pos));
        m_pos = end + 1;
        return s;
    }
    bool boolean()
    {
        skipSpace();
        for (const auto &[word, value] : {std::pair{std::string_view("True"), true}, {"False", false}}) {
            if (m_text.substr(m_pos, word.size()) == word) {
                m_pos += word.size();
                return value;
            }
        }
        bad("expected True or False at offset " + std::to_string(m_pos));
    }
    std::vector<std::int64_t> tuple()
    {
        std::vector<std::int64_t> out;
        expect('(');
        while (!peek(')')) {
            std::int64_t v = 0;
            bool digits = false;
            while (m_pos < m_text.size() && m_text[m_pos] >= '0' && m_text[m_pos] <= '9') {
                if (__builtin_mul_overflow(v, 10, &v) || __builtin_add_overflow(v, m_text[m_pos] - '0', &v))
                    bad("a dimension of the shape is too large");
                digits = true;
                ++m_pos;
            }
            if (!digits)
                bad("expected a dimension at offset " + std::to_string(m_pos));
            if (m_pos < m_text.size() && m_text[m_pos] == 'L')
                ++m_pos; // Python 2 long
            out.push_back(v);
            if (!peek(')'))
                expect(',');
        }
        expect(')');
        return out;
    }
    NpyType typeOf(const std::string &descr) const
    {
        if (descr == "|u1" || descr == "<u1" || descr == ">u1" || descr == "u1")
            return NpyType::UInt8;
        if (descr == "<i8")
            return NpyType::Int64;
        if (descr == "<f4")
            return NpyType::Float32;
        bad("dtype '" + descr + "' is not supported (|u1, <i8 or <f4)");
    }

    std::string_view m_text;
    const std::string &m_path;
    std::size_t m_pos = 0;
};

} // namespace

const char *npyDescr(NpyType type)
{
    switch (type) {
    case NpyType::UInt8: return "|u1";
    case NpyType::Int64: return "<i8";
    case NpyType::Float32: return "<f4";
    }
    return "|u1";
}

std::size_t npyItemSize(NpyType type)
{
    switch (type) {
    case NpyType::UInt8: return 1;
    case NpyType::Int64: return 8;
    case NpyType::Float32: return 4;
    }
    return 1;
}

std::int64_t NpyHeader::elementCount() const
{
    std::int64_t n = 1;
    for (const std::int64_t d : shape)
        n *= d;
    return n;
}

std::string encodeNpyHeader(NpyType type, const std::vector<std::int64_t> &shape, std::size_t minSize)
{
    const std::string dict = std::string("{'descr': '") + npyDescr(type)
                             + "', 'fortran_order': False, 'shape': " + shapeRepr(shape) + ", }";
    std::size_t total = kPreamble1 + dict.size() + 1; // + the closing '\n'
    total = std::max((total + kAlign - 1) / kAlign * kAlign, minSize);
    if (total % kAlign != 0 || total - kPreamble1 > 0xFFFF)
        throw std::invalid_argument("npy header of shape " + shapeRepr(shape) + ": cannot pad it to "
                                    + std::to_string(total) + " bytes");
    std::string out(kMagic, kMagicSize);
    out += char(1); // version 1.0
    out += char(0);
    const std::size_t headerLen = total - kPreamble1;
    out += char(headerLen & 0xFF);
    out += char(headerLen >> 8);
    out += dict;
    out.append(total - out.size() - 1, ' ');
    out += '\n';
    return out;
}

NpyHeader parseNpyHeader(const unsigned char *data, std::size_t size, const std::string &path)
{
    if (size < kPreamble1 || std::memcmp(data, kMagic, kMagicSize) != 0)
        fail(path, "not a .npy file (it does not start with \\x93NUMPY)");
    const int major = data[6];
    std::size_t lenBytes = 0;
    if (major == 1)
        lenBytes = 2;
    else if (major == 2 || major == 3)
        lenBytes = 4;
    else
        fail(path, ".npy format version " + std::to_string(major) + "." + std::to_string(data[7])
                       + " is not supported (1.0, 2.0, 3.0)");
    if (size < kMagicSize + 2 + lenBytes)
        fail(path, "truncated .npy header");
    std::size_t headerLen = 0;
    for (std::size_t i = 0; i < lenBytes; ++i)
        headerLen |= std::size_t(data[kMagicSize + 2 + i]) << (8 * i);
    const std::size_t start = kMagicSize + 2 + lenBytes;
    if (size - start < headerLen)
        fail(path, "truncated .npy header: it announces " + std::to_string(headerLen) + " bytes");
    const std::string_view text(reinterpret_cast<const char *>(data + start), headerLen);
    NpyHeader h = HeaderParser(text, path).parse();
    elementsOf(h.shape, path); // rejects negative and overflowing shapes
    h.dataOffset = start + headerLen;
    std::size_t bytes = 0;
    if (__builtin_mul_overflow(std::size_t(h.elementCount()), npyItemSize(h.type), &bytes))
        fail(path, "shape " + shapeRepr(h.shape) + " is too large");
    return h;
}

NpyHeader readNpyHeader(const std::string &path)
{
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        failErrno(path, "cannot open");
    std::vector<unsigned char> buf(kPreamble1 + 2 + 0xFFFF);
    std::size_t got = 0;
    while (got < buf.size()) {
        const ssize_t n = ::read(fd, buf.data() + got, buf.size() - got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            const int err = errno;
            ::close(fd);
            errno = err;
            failErrno(path, "cannot read");
        }
        if (n == 0)
            break;
        got += std::size_t(n);
    }
    ::close(fd);
    return parseNpyHeader(buf.data(), got, path);
}

// ---------------------------------------------------------------------------------------------------

NpyWriter::NpyWriter(std::string path, NpyType type, std::vector<std::int64_t> shape)
    : m_path(std::move(path))
    , m_type(type)
    , m_shape(std::move(shape))
{
    elementsOf(m_shape, m_path);
    m_rowBytes = npyItemSize(type);
    for (std::size_t i = 1; i < m_shape.size(); ++i)
        m_rowBytes *= std::size_t(m_shape[i]);
    const std::string header = encodeNpyHeader(type, m_shape);
    m_dataOffset = header.size();
    std::size_t dataBytes = 0;
    if (__builtin_mul_overflow(std::size_t(rows()), m_rowBytes, &dataBytes))
        fail(m_path, "shape " + shapeRepr(m_shape) + " is too large");
    m_fileSize = m_dataOffset + dataBytes;

    m_fd = ::open(m_path.c_str(), O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (m_fd < 0)
        failErrno(m_path, "cannot create");
    // Reserve the blocks now: writing through a mapping of a sparse file on a full disk raises SIGBUS.
    if (const int err = posix_fallocate(m_fd, 0, off_t(m_fileSize)); err != 0) {
        if (err != EOPNOTSUPP && err != EINVAL) {
            ::close(m_fd);
            m_fd = -1;
            fail(m_path, "cannot reserve " + std::to_string(m_fileSize) + " bytes: " + std::strerror(err));
        }
        if (::ftruncate(m_fd, off_t(m_fileSize)) != 0) {
            const int e = errno;
            ::close(m_fd);
            m_fd = -1;
            errno = e;
            failErrno(m_path, "cannot size to " + std::to_string(m_fileSize) + " bytes");
        }
    }
    try {
        map(m_fileSize);
    } catch (...) {
        ::close(m_fd);
        m_fd = -1;
        throw;
    }
    std::memcpy(m_map, header.data(), header.size());
}

NpyWriter::NpyWriter(NpyWriter &&other) noexcept
    : m_path(std::move(other.m_path))
    , m_type(other.m_type)
    , m_shape(std::move(other.m_shape))
    , m_rowBytes(other.m_rowBytes)
    , m_dataOffset(other.m_dataOffset)
    , m_fileSize(other.m_fileSize)
    , m_fd(std::exchange(other.m_fd, -1))
    , m_map(std::exchange(other.m_map, nullptr))
{
}

NpyWriter::~NpyWriter()
{
    unmap();
    if (m_fd >= 0)
        ::close(m_fd);
}

void NpyWriter::map(std::size_t bytes)
{
    void *p = ::mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_SHARED, m_fd, 0);
    if (p == MAP_FAILED)
        failErrno(m_path, "cannot map " + std::to_string(bytes) + " bytes");
    m_map = static_cast<unsigned char *>(p);
}

void NpyWriter::unmap()
{
    if (m_map)
        ::munmap(m_map, m_fileSize);
    m_map = nullptr;
}

void NpyWriter::truncateRows(std::int64_t newRows)
{
    if (!m_map)
        fail(m_path, "truncateRows() after finish()");
    if (m_shape.empty() || newRows < 0 || newRows > rows())
        fail(m_path, "cannot truncate " + shapeRepr(m_shape) + " to " + std::to_string(newRows) + " rows");
    std::vector<std::int64_t> shape = m_shape;
    shape[0] = newRows;
    // The smaller shape never needs a longer dict, so the header keeps its length and the data its offset.
    const std::string header = encodeNpyHeader(m_type, shape, m_dataOffset);
    if (header.size() != m_dataOffset)
        fail(m_path,
             "the header of shape " + shapeRepr(shape) + " does not fit in " + std::to_string(m_dataOffset) + " bytes");
    std::memcpy(m_map, header.data(), header.size());
    const std::size_t newSize = m_dataOffset + std::size_t(newRows) * m_rowBytes;
    unmap();
    if (::ftruncate(m_fd, off_t(newSize)) != 0)
        failErrno(m_path, "cannot truncate to " + std::to_string(newSize) + " bytes");
    m_shape = std::move(shape);
    m_fileSize = newSize;
    map(m_fileSize);
}

void NpyWriter::finish(bool sync)
{
    if (m_fd < 0)
        return;
    // munmap keeps the dirty pages in the page cache; fdatasync then writes them like any other.
    unmap();
    if (sync && ::fdatasync(m_fd) != 0)
        failErrno(m_path, "cannot write to disk");
    const int fd = std::exchange(m_fd, -1);
    if (::close(fd) != 0)
        failErrno(m_path, "cannot close");
}

void writeNpy(const std::string &path, NpyType type, const std::vector<std::int64_t> &shape, const void *data,
              bool sync)
{
    NpyWriter w(path, type, shape);
    const std::size_t bytes = std::size_t(w.rows()) * w.rowBytes();
    if (bytes)
        std::memcpy(w.data(), data, bytes);
    w.finish(sync);
}

// ---------------------------------------------------------------------------------------------------

NpyFile::NpyFile(const std::string &path)
    : m_path(path)
{
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        failErrno(path, "cannot open");
    struct stat st
    {
    };
    if (::fstat(fd, &st) != 0) {
        const int e = errno;
        ::close(fd);
        errno = e;
        failErrno(path, "cannot stat");
    }
    m_mapSize = std::size_t(st.st_size);
    if (m_mapSize < kPreamble1) {
        ::close(fd);
        fail(path, "not a .npy file (" + std::to_string(m_mapSize) + " bytes)");
    }
    void *p = ::mmap(nullptr, m_mapSize, PROT_READ, MAP_SHARED, fd, 0);
    const int e = errno;
    ::close(fd); // the mapping keeps the file open
    if (p == MAP_FAILED) {
        errno = e;
        failErrno(path, "cannot map");
    }
    m_map = static_cast<unsigned char *>(p);
    try {
        m_header = parseNpyHeader(m_map, m_mapSize, path);
        if (m_mapSize - m_header.dataOffset < m_header.dataBytes())
            fail(path, "truncated: the header announces " + std::to_string(m_header.dataBytes())
                           + " bytes of data, the file holds " + std::to_string(m_mapSize - m_header.dataOffset));
    } catch (...) {
        ::munmap(m_map, m_mapSize);
        m_map = nullptr;
        throw;
    }
}

NpyFile::NpyFile(NpyFile &&other) noexcept
    : m_path(std::move(other.m_path))
    , m_header(std::move(other.m_header))
    , m_map(std::exchange(other.m_map, nullptr))
    , m_mapSize(other.m_mapSize)
{
}

NpyFile::~NpyFile()
{
    if (m_map)
        ::munmap(m_map, m_mapSize);
}

void NpyFile::checkType(NpyType wanted, std::size_t alignment) const
{
    if (m_header.type != wanted)
        fail(m_path, std::string("holds dtype '") + npyDescr(m_header.type) + "', not '" + npyDescr(wanted) + "'");
    if (reinterpret_cast<std::uintptr_t>(data()) % alignment != 0)
        fail(m_path, "the data at offset " + std::to_string(m_header.dataOffset) + " is not aligned for '"
                         + npyDescr(wanted) + "'");
}

} // namespace pw::data
