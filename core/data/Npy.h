// NumPy .npy files (format version 1.0): a writer whose rows parallel threads fill in place, and a reader.
//
// The format: "\x93NUMPY", version 1.0, a little-endian uint16 header length, then a Python dict literal
// {'descr': '|u1', 'fortran_order': False, 'shape': (N, H, W, C), } padded with spaces and a '\n' so that
// the data starts at a multiple of 64 bytes; the data follows in C (row-major) order.
// See numpy/lib/format.py ("NPY format") for the specification.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <type_traits>
#include <vector>

namespace pw::data {

/** The element types Pipewright writes and reads. */
enum class NpyType
{
    UInt8,
    Int64,
    Float32
};

/** NumPy's dtype string: '|u1', '<i8', '<f4'. */
const char *npyDescr(NpyType type);
/** Bytes per element: 1, 8, 4. */
std::size_t npyItemSize(NpyType type);

/** What the preamble of a .npy file says. */
struct NpyHeader
{
    NpyType type = NpyType::UInt8;
    std::vector<std::int64_t> shape; // empty: a 0-d array (one element)
    std::size_t dataOffset = 0; // where the data starts (a multiple of 64 for files written here)

    std::int64_t elementCount() const;
    std::size_t dataBytes() const { return std::size_t(elementCount()) * npyItemSize(type); }
};

/**
 * The preamble (magic, version 1.0, header length, dict, padding) for an array of `type` and `shape`.
 * It is padded to a multiple of 64 bytes and to at least `minSize` bytes (a multiple of 64), so a
 * header rewritten with a smaller first dimension can keep the length of the original.
 */
std::string encodeNpyHeader(NpyType type, const std::vector<std::int64_t> &shape, std::size_t minSize = 0);

/**
 * Parses the preamble at the start of `data` (versions 1.0, 2.0 and 3.0). Throws std::runtime_error
 * naming `path` and what is wrong: bad magic, a dtype other than u1/i8/f4, Fortran order, a bad shape.
 */
NpyHeader parseNpyHeader(const unsigned char *data, std::size_t size, const std::string &path);

/** Reads only the preamble of the file at `path`. */
NpyHeader readNpyHeader(const std::string &path);

/**
 * Creates a .npy file of `type` and `shape` at its full size (space reserved up front, so a full disk is
 * an error here and never a SIGBUS later) and maps it writable. Threads may fill different rows (indexes
 * of the first axis) at the same time. finish() flushes it to disk; the destructor only unmaps.
 * Every error throws std::runtime_error naming the file.
 */
class NpyWriter
{
public:
    NpyWriter(std::string path, NpyType type, std::vector<std::int64_t> shape);
    ~NpyWriter();
    NpyWriter(const NpyWriter &) = delete;
    NpyWriter &operator=(const NpyWriter &) = delete;
    NpyWriter(NpyWriter &&other) noexcept;
    NpyWriter &operator=(NpyWriter &&other) = delete;

    const std::string &path() const { return m_path; }
    const std::vector<std::int64_t> &shape() const { return m_shape; }
    std::int64_t rows() const { return m_shape.empty() ? 1 : m_shape[0]; }
    /** Bytes of one row: the product of the shape after the first axis, times the item size. */
    std::size_t rowBytes() const { return m_rowBytes; }
    /** The mapped data (nullptr after finish()). */
    unsigned char *data() { return m_map ? m_map + m_dataOffset : nullptr; }
    unsigned char *row(std::int64_t index) { return data() + std::size_t(index) * m_rowBytes; }

    /** Shrinks the first axis to `rows` (<= rows()): drops the rows after it and rewrites the header. */
    void truncateRows(std::int64_t rows);
    /** Unmaps, writes the data to disk (fdatasync) when `sync`, and closes. */
    void finish(bool sync = true);

private:
    void map(std::size_t bytes);
    void unmap();

    std::string m_path;
    NpyType m_type;
    std::vector<std::int64_t> m_shape;
    std::size_t m_rowBytes = 0;
    std::size_t m_dataOffset = 0;
    std::size_t m_fileSize = 0;
    int m_fd = -1;
    unsigned char *m_map = nullptr;
};

/** Writes a whole array at once (small arrays: labels, metrics). */
void writeNpy(const std::string &path, NpyType type, const std::vector<std::int64_t> &shape, const void *data,
              bool sync = true);

/** A .npy file mapped read-only. */
class NpyFile
{
public:
    /** Maps `path` and checks that it holds all the data its header announces. */
    explicit NpyFile(const std::string &path);
    ~NpyFile();
    NpyFile(const NpyFile &) = delete;
    NpyFile &operator=(const NpyFile &) = delete;
    NpyFile(NpyFile &&other) noexcept;
    NpyFile &operator=(NpyFile &&other) = delete;

    const std::string &path() const { return m_path; }
    const NpyHeader &header() const { return m_header; }
    NpyType type() const { return m_header.type; }
    const std::vector<std::int64_t> &shape() const { return m_header.shape; }
    const unsigned char *data() const { return m_map + m_header.dataOffset; }
    std::size_t dataBytes() const { return m_header.dataBytes(); }
    /** The data as `T` (std::uint8_t, std::int64_t or float); throws when the file holds another type. */
    template<typename T> const T *values() const
    {
        checkType(typeOf<T>(), alignof(T));
        return reinterpret_cast<const T *>(data());
    }

private:
    template<typename T> static constexpr NpyType typeOf()
    {
        static_assert(std::is_same_v<T, std::uint8_t> || std::is_same_v<T, std::int64_t> || std::is_same_v<T, float>,
                      "a .npy file holds std::uint8_t, std::int64_t or float here");
        if constexpr (std::is_same_v<T, std::uint8_t>)
            return NpyType::UInt8;
        else if constexpr (std::is_same_v<T, std::int64_t>)
            return NpyType::Int64;
        else
            return NpyType::Float32;
    }
    void checkType(NpyType wanted, std::size_t alignment) const;

    std::string m_path;
    NpyHeader m_header;
    unsigned char *m_map = nullptr;
    std::size_t m_mapSize = 0;
};

} // namespace pw::data
