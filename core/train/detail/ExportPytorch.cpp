// The pytorch export: a state_dict as torch.save() writes it, so that Python's torch.load() returns an
// OrderedDict of tensors that load_state_dict() takes. The file is a zip archive, stored uncompressed:
// archive/data.pkl (the pickle, protocol 2), archive/data/<N> (one raw little-endian storage per tensor, aligned
// to 64 bytes as PyTorch aligns them) and archive/version. The pickle uses only what torch.load's weights-only
// unpickler allows: collections.OrderedDict, torch._utils._rebuild_tensor_v2 and the typed storages.
#include "core/train/detail/Export.h"

#include <array>
#include <cstring>
#include <stdexcept>

namespace pw::train::detail {

namespace {

// Protocol 2 pickle opcodes (Python's Lib/pickle.py).
namespace op {
constexpr char kProto = '\x80', kGlobal = 'c', kEmptyTuple = ')', kReduce = 'R', kMark = '(', kBinUnicode = 'X',
               kBinInt = 'J', kBinInt1 = 'K', kTuple = 't', kBinPersId = 'Q', kNewFalse = '\x89', kSetItems = 'u',
               kStop = '.';
}

class Pickler
{
public:
    void raw(char c) { m_out += c; }
    void le(std::uint64_t v, int bytes)
    {
        for (int i = 0; i < bytes; ++i)
            m_out += char((v >> (8 * i)) & 0xff);
    }
    void global(const char *module, const char *name)
    {
        raw(op::kGlobal);
        m_out += std::string(module) + "\n" + name + "\n";
    }
    void text(const std::string &s)
    {
        raw(op::kBinUnicode);
        le(s.size(), 4);
        m_out += s;
    }
    void integer(std::int64_t v)
    {
        if (v >= 0 && v < 256) {
            raw(op::kBinInt1);
            le(std::uint64_t(v), 1);
        } else if (v >= INT32_MIN && v <= INT32_MAX) {
            raw(op::kBinInt);
            le(std::uint64_t(std::uint32_t(std::int32_t(v))), 4);
        } else {
            throw std::runtime_error("pytorch export: a size of " + std::to_string(v) + " is too large");
        }
    }
    void tuple(const std::vector<std::int64_t> &v)
    {
        if (v.empty()) {
            raw(op::kEmptyTuple);
            return;
        }
        raw(op::kMark);
        for (auto x : v)
            integer(x);
        raw(op::kTuple);
    }
    // collections.OrderedDict()
    void emptyOrderedDict()
    {
        global("collections", "OrderedDict");
        raw(op::kEmptyTuple);
        raw(op::kReduce);
    }
    // torch._utils._rebuild_tensor_v2(storage, 0, size, stride, False, OrderedDict()), the storage a persistent
    // id ('storage', torch.FloatStorage, key, 'cpu', numel) that torch.load resolves to archive/data/<key>.
    void tensor(const ExportTensor &t, const std::string &key)
    {
        global("torch._utils", "_rebuild_tensor_v2");
        raw(op::kMark);
        raw(op::kMark);
        text("storage");
        global("torch", t.isLong ? "LongStorage" : "FloatStorage");
        text(key);
        text("cpu");
        integer(t.numel());
        raw(op::kTuple);
        raw(op::kBinPersId);
        integer(0);
        tuple(t.shape);
        std::vector<std::int64_t> stride(t.shape.size(), 1);
        for (std::size_t i = t.shape.size(); i-- > 1;)
            stride[i - 1] = stride[i] * t.shape[i];
        tuple(stride);
        raw(op::kNewFalse);
        emptyOrderedDict();
        raw(op::kTuple);
        raw(op::kReduce);
    }
    std::string take() { return std::move(m_out); }

private:
    std::string m_out;
};

std::uint32_t crc32(const std::string &data)
{
    static const auto table = [] {
        std::array<std::uint32_t, 256> t{};
        for (std::uint32_t i = 0; i < 256; ++i) {
            std::uint32_t c = i;
            for (int k = 0; k < 8; ++k)
                c = c & 1 ? 0xedb88320u ^ (c >> 1) : c >> 1;
            t[i] = c;
        }
        return t;
    }();
    std::uint32_t c = 0xffffffffu;
    for (unsigned char b : data)
        c = table[(c ^ b) & 0xff] ^ (c >> 8);
    return c ^ 0xffffffffu;
}

// A zip archive of stored (uncompressed) entries, each entry's data aligned to 64 bytes with padding in the local
// header's extra field, as PyTorch's own writer does.
class ZipWriter
{
public:
    void add(const std::string &name, const std::string &data)
    {
        if (data.size() >= 0xffffffffu || m_out.size() >= 0xffffffffu)
            throw std::runtime_error("pytorch export: the model is too large for a zip archive without zip64");
        const std::uint32_t crc = crc32(data);
        const std::size_t offset = m_out.size();
        const std::size_t headerEnd = offset + 30 + name.size();
        std::size_t pad = (64 - (headerEnd + 4) % 64) % 64;
        put(0x04034b50, 4);
        common(crc, data.size(), name.size());
        put(4 + pad, 2); // extra field length
        m_out += name;
        put(0x4246, 2); // extra field id "FB" (PyTorch's padding record) and its length
        put(pad, 2);
        m_out.append(pad, 'Z');
        m_out += data;
        m_entries.push_back({name, crc, data.size(), offset});
    }
    std::string finish()
    {
        const std::size_t start = m_out.size();
        for (const auto &e : m_entries) {
            put(0x02014b50, 4);
            put(20, 2); // made by
            common(e.crc, e.size, e.name.size());
            put(0, 2); // extra
            put(0, 2); // comment
            put(0, 2); // disk
            put(0, 2); // internal attributes
            put(0, 4); // external attributes
            put(e.offset, 4);
            m_out += e.name;
        }
        const std::size_t size = m_out.size() - start;
        put(0x06054b50, 4);
        put(0, 2);
        put(0, 2);
        put(m_entries.size(), 2);
        put(m_entries.size(), 2);
        put(size, 4);
        put(start, 4);
        put(0, 2);
        return std::move(m_out);
    }

private:
    struct Entry
    {
        std::string name;
        std::uint32_t crc;
        std::size_t size;
        std::size_t offset;
    };
    void put(std::uint64_t v, int bytes)
    {
        for (int i = 0; i < bytes; ++i)
            m_out += char((v >> (8 * i)) & 0xff);
    }
    // version needed, flags, method (stored), time, date, crc, sizes, name length
    void common(std::uint32_t crc, std::size_t size, std::size_t nameLength)
    {
        put(20, 2);
        put(0, 2);
        put(0, 2);
        put(0, 2);
        put(0x21, 2); // 1980-01-01: a fixed date, so that the same model gives the same bytes
        put(crc, 4);
        put(size, 4);
        put(size, 4);
        put(nameLength, 2);
    }
    std::string m_out;
    std::vector<Entry> m_entries;
};

std::string rawBytes(const ExportTensor &t)
{
    // Little-endian hosts only (x86-64, aarch64): the storages are the tensors' memory as it is.
    if (t.isLong)
        return std::string(reinterpret_cast<const char *>(t.longs.data()), t.longs.size() * sizeof(std::int64_t));
    return std::string(reinterpret_cast<const char *>(t.values.data()), t.values.size() * sizeof(float));
}

} // namespace

std::string pytorchBytes(const ExportNetwork &net)
{
    Pickler p;
    p.raw(op::kProto);
    p.raw('\x02');
    p.emptyOrderedDict();
    p.raw(op::kMark);
    for (std::size_t i = 0; i < net.tensors.size(); ++i) {
        p.text(net.tensors[i].name);
        p.tensor(net.tensors[i], std::to_string(i));
    }
    p.raw(op::kSetItems);
    p.raw(op::kStop);
    ZipWriter zip;
    zip.add("archive/data.pkl", p.take());
    for (std::size_t i = 0; i < net.tensors.size(); ++i)
        zip.add("archive/data/" + std::to_string(i), rawBytes(net.tensors[i]));
    zip.add("archive/version", "3\n");
    return zip.finish();
}

} // namespace pw::train::detail
