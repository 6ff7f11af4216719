// Pretrained weights in: torch.save's zip + pickle subset, strict safetensors, SHA-256, and matching keys onto
// the zoo's networks (see detail/Weights.h). The readers never execute anything from the file.
#include "core/train/detail/Weights.h"

#include "core/train/JsonLine.h"

#include <algorithm>
#include <array>
#include <cstring>
#include <fstream>
#include <map>
#include <memory>
#include <set>
#include <stdexcept>

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

namespace pw::train::detail {

namespace {

// ---- The file, mapped read-only -----------------------------------------------------------------------------

class MappedFile
{
public:
    explicit MappedFile(const std::string &path)
        : m_path(path)
    {
        const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
        if (fd < 0)
            throw std::runtime_error("cannot open '" + path + "': " + std::strerror(errno));
        struct stat st
        {
        };
        if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
            ::close(fd);
            throw std::runtime_error("'" + path + "' is not a regular file");
        }
        m_size = std::size_t(st.st_size);
        if (m_size > 0) {
            void *p = ::mmap(nullptr, m_size, PROT_READ, MAP_PRIVATE, fd, 0);
            if (p == MAP_FAILED) {
                ::close(fd);
                throw std::runtime_error("cannot map '" + path + "': " + std::strerror(errno));
            }
            m_data = static_cast<const unsigned char *>(p);
        }
        ::close(fd);
    }
    ~MappedFile()
    {
        if (m_data)
            ::munmap(const_cast<unsigned char *>(m_data), m_size);
    }
    MappedFile(const MappedFile &) = delete;
    MappedFile &operator=(const MappedFile &) = delete;

    const unsigned char *data() const { return m_data; }
    std::size_t size() const { return m_size; }
    const std::string &path() const { return m_path; }
    [[noreturn]] void fail(const std::string &what) const { throw std::runtime_error("'" + m_path + "': " + what); }

private:
    std::string m_path;
    const unsigned char *m_data = nullptr;
    std::size_t m_size = 0;
};

std::uint64_t le(const unsigned char *p, int bytes)
{
    std::uint64_t v = 0;
    for (int i = bytes - 1; i >= 0; --i)
        v = (v << 8) | p[i];
    return v;
}

// ---- Zip (torch.save writes stored entries; zip64 when large) ------------------------------------------------

struct ZipEntry
{
    std::size_t offset = 0; // of the data
    std::size_t size = 0;
};

class ZipReader
{
public:
    explicit ZipReader(const MappedFile &f)
        : m_f(f)
    {
        readCentralDirectory(findEnd());
    }
    const std::map<std::string, ZipEntry> &entries() const { return m_entries; }

private:
    // The end-of-central-directory record: within the last 64 KiB + 22 bytes.
    std::size_t findEnd() const
    {
        const std::size_t n = m_f.size();
        const std::size_t lowest = n > 65557 ? n - 65557 : 0;
        for (std::size_t i = n >= 22 ? n - 22 + 1 : 0; i-- > lowest;) {
            if (le(m_f.data() + i, 4) == 0x06054b50)
                return i;
        }
        m_f.fail("not a complete zip file (no end-of-central-directory record: truncated?)");
    }

    void readCentralDirectory(std::size_t end)
    {
        const unsigned char *e = m_f.data() + end;
        std::uint64_t count = le(e + 10, 2), cdSize = le(e + 12, 4), cdOffset = le(e + 16, 4);
        if (cdOffset == 0xffffffff || count == 0xffff) { // zip64: the locator sits just before the record
            if (end < 20 || le(e - 20, 4) != 0x07064b50)
                m_f.fail("zip64 end-of-central-directory locator missing (truncated?)");
            const std::uint64_t z = le(e - 20 + 8, 8);
            if (z + 56 > m_f.size() || le(m_f.data() + z, 4) != 0x06064b50)
                m_f.fail("zip64 end-of-central-directory record missing (truncated?)");
            count = le(m_f.data() + z + 32, 8);
            cdSize = le(m_f.data() + z + 40, 8);
            cdOffset = le(m_f.data() + z + 48, 8);
        }
        if (cdOffset > m_f.size() || cdSize > m_f.size() - cdOffset)
            m_f.fail("the zip's central directory lies outside the file (truncated?)");
        std::size_t pos = std::size_t(cdOffset);
        for (std::uint64_t i = 0; i < count; ++i)
            pos = readEntry(pos, std::size_t(cdOffset + cdSize));
    }

    // One central directory entry at `pos`; returns the position of the next.
    std::size_t readEntry(std::size_t pos, std::size_t cdEnd)
    {
        const unsigned char *c = m_f.data() + pos;
        if (pos + 46 > cdEnd || le(c, 4) != 0x02014b50)
            m_f.fail("damaged zip central directory at byte " + std::to_string(pos));
        const std::size_t nameLen = le(c + 28, 2), extraLen = le(c + 30, 2), commentLen = le(c + 32, 2);
        if (pos + 46 + nameLen + extraLen + commentLen > cdEnd)
            m_f.fail("damaged zip central directory at byte " + std::to_string(pos));
        const std::string name(reinterpret_cast<const char *>(c + 46), nameLen);
        const std::uint64_t method = le(c + 10, 2);
        std::uint64_t compressed = le(c + 20, 4), size = le(c + 24, 4), local = le(c + 42, 4);
        // zip64 extra field (id 1): the 64-bit values of the fields saturated above, in this order.
        for (std::size_t x = 0; x + 4 <= extraLen;) {
            const unsigned char *f = c + 46 + nameLen + x;
            const std::size_t id = le(f, 2), len = le(f + 2, 2);
            std::size_t at = 4;
            for (std::uint64_t *field : {&size, &compressed, &local}) {
                if (id == 1 && *field == 0xffffffff && at + 8 <= 4 + len) {
                    *field = le(f + at, 8);
                    at += 8;
                }
            }
            x += 4 + len;
        }
        if (method != 0)
            m_f.fail("zip entry '" + name + "' is compressed (method " + std::to_string(method)
                     + "): torch.save writes it stored; save the checkpoint again with torch.save");
        if (compressed != size)
            m_f.fail("zip entry '" + name + "' has differing stored and compressed sizes");
        m_entries[name] = locate(name, local, size);
        return pos + 46 + nameLen + extraLen + commentLen;
    }

    ZipEntry locate(const std::string &name, std::uint64_t local, std::uint64_t size) const
    {
        if (local + 30 > m_f.size() || le(m_f.data() + local, 4) != 0x04034b50)
            m_f.fail("zip entry '" + name + "': local header missing (truncated?)");
        const unsigned char *h = m_f.data() + local;
        const std::uint64_t data = local + 30 + le(h + 26, 2) + le(h + 28, 2);
        if (data > m_f.size() || size > m_f.size() - data)
            m_f.fail("zip entry '" + name + "' runs past the end of the file (truncated?)");
        return {std::size_t(data), std::size_t(size)};
    }

    const MappedFile &m_f;
    std::map<std::string, ZipEntry> m_entries;
};

// ---- The pickle subset ----------------------------------------------------------------------------------------

struct Py;
using PyRef = std::shared_ptr<Py>;

struct Py
{
    enum class Kind
    {
        None,
        Bool,
        Int,
        Float,
        Str,
        Tuple,
        List,
        Dict,
        Callable,
        Tensor,
        Storage
    };
    Kind kind = Kind::None;
    std::int64_t i = 0;
    double f = 0;
    std::string s; // Str; Callable: "module.name"
    std::vector<PyRef> items; // Tuple, List; Dict: key, value, key, value, ...
    torch::Tensor tensor; // Tensor; Storage: its elements, 1-D
};

PyRef make(Py::Kind kind)
{
    auto p = std::make_shared<Py>();
    p->kind = kind;
    return p;
}

// torch's storage classes by the name a pickle gives them.
const std::map<std::string, torch::ScalarType> &storageTypes()
{
    static const std::map<std::string, torch::ScalarType> types = {
        {"torch.FloatStorage", torch::kFloat32}, {"torch.DoubleStorage", torch::kFloat64},
        {"torch.HalfStorage", torch::kFloat16},  {"torch.BFloat16Storage", torch::kBFloat16},
        {"torch.LongStorage", torch::kInt64},    {"torch.IntStorage", torch::kInt32},
        {"torch.ShortStorage", torch::kInt16},   {"torch.CharStorage", torch::kInt8},
        {"torch.ByteStorage", torch::kUInt8},    {"torch.BoolStorage", torch::kBool},
    };
    return types;
}

bool allowedGlobal(const std::string &name)
{
    return name == "collections.OrderedDict" || name == "torch._utils._rebuild_tensor_v2"
           || name == "torch._utils._rebuild_parameter" || storageTypes().count(name) > 0;
}

// Runs the pickle as data: every opcode builds a value; the only "calls" are the allow-listed rebuilders,
// carried out here by Pipewright's own code.
class Unpickler
{
public:
    Unpickler(const MappedFile &f, const ZipReader &zip, std::string prefix, ZipEntry pickle)
        : m_f(f)
        , m_zip(zip)
        , m_prefix(std::move(prefix))
        , m_p(f.data() + pickle.offset)
        , m_end(m_p + pickle.size)
    {
    }

    PyRef run()
    {
        while (true) {
            const unsigned char op = byte();
            if (op == '.')
                break;
            step(op);
        }
        if (m_stack.size() != 1)
            fail("the pickle left " + std::to_string(m_stack.size()) + " values");
        return m_stack.back();
    }

private:
    [[noreturn]] void fail(const std::string &what) const { m_f.fail("data.pkl: " + what); }

    const unsigned char *take(std::size_t n)
    {
        if (std::size_t(m_end - m_p) < n)
            fail("ends early (truncated?)");
        const unsigned char *at = m_p;
        m_p += n;
        return at;
    }
    unsigned char byte() { return *take(1); }
    std::uint64_t uint(int n) { return le(take(std::size_t(n)), n); }
    std::string bytes(std::size_t n)
    {
        const unsigned char *at = take(n);
        return std::string(reinterpret_cast<const char *>(at), n);
    }
    std::string line()
    {
        const auto *nl = static_cast<const unsigned char *>(std::memchr(m_p, '\n', std::size_t(m_end - m_p)));
        if (!nl)
            fail("ends early (truncated?)");
        std::string text(reinterpret_cast<const char *>(m_p), std::size_t(nl - m_p));
        m_p = nl + 1;
        return text;
    }

    PyRef pop()
    {
        if (m_stack.empty() || (!m_marks.empty() && m_stack.size() <= m_marks.back()))
            fail("stack underflow");
        PyRef v = m_stack.back();
        m_stack.pop_back();
        return v;
    }
    PyRef &top()
    {
        if (m_stack.empty())
            fail("stack underflow");
        return m_stack.back();
    }
    std::vector<PyRef> popMark()
    {
        if (m_marks.empty())
            fail("no mark");
        const std::size_t at = m_marks.back();
        m_marks.pop_back();
        std::vector<PyRef> items(m_stack.begin() + std::ptrdiff_t(at), m_stack.end());
        m_stack.resize(at);
        return items;
    }
    PyRef tuple(std::vector<PyRef> items)
    {
        auto t = make(Py::Kind::Tuple);
        t->items = std::move(items);
        return t;
    }
    void push(PyRef v) { m_stack.push_back(std::move(v)); }
    void pushInt(std::int64_t v)
    {
        auto p = make(Py::Kind::Int);
        p->i = v;
        push(p);
    }
    void pushStr(std::string s)
    {
        auto p = make(Py::Kind::Str);
        p->s = std::move(s);
        push(p);
    }
    void memoPut(std::uint64_t key) { m_memo[key] = top(); }
    void memoGet(std::uint64_t key)
    {
        const auto it = m_memo.find(key);
        if (it == m_memo.end())
            fail("memo " + std::to_string(key) + " is unset");
        push(it->second);
    }

    void step(unsigned char op);
    void stepContainer(unsigned char op);
    void global(const std::string &module, const std::string &name);
    void setItems(const std::vector<PyRef> &kv);
    void reduce();
    PyRef persistentLoad(const PyRef &pid);
    PyRef rebuildTensor(const std::vector<PyRef> &args);

    const MappedFile &m_f;
    const ZipReader &m_zip;
    std::string m_prefix;
    const unsigned char *m_p;
    const unsigned char *m_end;
    std::vector<PyRef> m_stack;
    std::vector<std::size_t> m_marks;
    std::map<std::uint64_t, PyRef> m_memo;
    std::map<std::string, torch::Tensor> m_storages;
};

void Unpickler::step(unsigned char op)
{
    switch (op) {
    case 0x80: // PROTO
        if (byte() > 5)
            fail("pickle protocol above 5");
        return;
    case 0x95: // FRAME
        (void)uint(8);
        return;
    case 'N': push(make(Py::Kind::None)); return;
    case 0x88: // NEWTRUE
    case 0x89: { // NEWFALSE
        auto b = make(Py::Kind::Bool);
        b->i = op == 0x88;
        push(b);
        return;
    }
    case 'K': return pushInt(std::int64_t(uint(1)));
    case 'M': return pushInt(std::int64_t(uint(2)));
    case 'J': return pushInt(std::int64_t(std::int32_t(std::uint32_t(uint(4)))));
    case 0x8a: { // LONG1
        const unsigned n = byte();
        if (n > 8)
            fail("an integer of " + std::to_string(n) + " bytes");
        std::uint64_t v = n ? uint(int(n)) : 0;
        if (n > 0 && n < 8 && (v >> (8 * n - 1)) & 1)
            v |= ~std::uint64_t(0) << (8 * n); // sign-extend
        return pushInt(std::int64_t(v));
    }
    case 'G': { // BINFLOAT, big-endian
        std::uint64_t bits = 0;
        for (const unsigned char *b = take(8), *e = b + 8; b != e; ++b)
            bits = (bits << 8) | *b;
        auto v = make(Py::Kind::Float);
        std::memcpy(&v->f, &bits, 8);
        push(v);
        return;
    }
    case 'X': // BINUNICODE
        return pushStr(bytes(std::size_t(uint(4))));
    case 0x8c: // SHORT_BINUNICODE
    case 'U': // SHORT_BINSTRING
        return pushStr(bytes(byte()));
    case 0x8d: // BINUNICODE8
        return pushStr(bytes(std::size_t(uint(8))));
    case 'T': // BINSTRING
        return pushStr(bytes(std::size_t(uint(4))));
    case 'q': return memoPut(uint(1));
    case 'r': return memoPut(uint(4));
    case 0x94: // MEMOIZE
        return memoPut(m_memo.size());
    case 'h': return memoGet(uint(1));
    case 'j': return memoGet(uint(4));
    case 'c': { // GLOBAL
        const std::string module = line();
        return global(module, line());
    }
    case 0x93: { // STACK_GLOBAL
        const PyRef name = pop(), module = pop();
        if (name->kind != Py::Kind::Str || module->kind != Py::Kind::Str)
            fail("STACK_GLOBAL without names");
        return global(module->s, name->s);
    }
    case 'R': return reduce();
    case 'Q': return push(persistentLoad(pop()));
    case 'b': { // BUILD: the state of an OrderedDict (its _metadata) or of a tensor is not needed
        (void)pop();
        if (top()->kind != Py::Kind::Dict && top()->kind != Py::Kind::Tensor)
            fail("BUILD of something other than a dict or tensor");
        return;
    }
    default: return stepContainer(op);
    }
}

void Unpickler::stepContainer(unsigned char op)
{
    switch (op) {
    case '(': m_marks.push_back(m_stack.size()); return;
    case ')': return push(tuple({}));
    case 't': return push(tuple(popMark()));
    case 0x85:
    case 0x86:
    case 0x87: {
        std::vector<PyRef> items(std::size_t(op - 0x84));
        for (auto it = items.rbegin(); it != items.rend(); ++it)
            *it = pop();
        return push(tuple(std::move(items)));
    }
    case '}': return push(make(Py::Kind::Dict));
    case 'd': {
        const auto kv = popMark();
        push(make(Py::Kind::Dict));
        return setItems(kv);
    }
    case 's': {
        const PyRef v = pop(), k = pop();
        return setItems({k, v});
    }
    case 'u': return setItems(popMark());
    case ']': return push(make(Py::Kind::List));
    case 'l': {
        auto l = make(Py::Kind::List);
        l->items = popMark();
        return push(l);
    }
    case 'a': {
        const PyRef v = pop();
        if (top()->kind != Py::Kind::List)
            fail("APPEND to something other than a list");
        top()->items.push_back(v);
        return;
    }
    case 'e': {
        const auto items = popMark();
        if (top()->kind != Py::Kind::List)
            fail("APPENDS to something other than a list");
        top()->items.insert(top()->items.end(), items.begin(), items.end());
        return;
    }
    default: {
        char hex[8];
        std::snprintf(hex, sizeof hex, "0x%02x", op);
        fail(std::string("pickle opcode ") + hex
             + " is not part of a state_dict (Pipewright reads tensors, dicts, lists, tuples, numbers and strings)");
    }
    }
}

void Unpickler::setItems(const std::vector<PyRef> &kv)
{
    if (kv.size() % 2 != 0 || top()->kind != Py::Kind::Dict)
        fail("SETITEMS on something other than a dict");
    top()->items.insert(top()->items.end(), kv.begin(), kv.end());
}

void Unpickler::global(const std::string &module, const std::string &name)
{
    const std::string full = module + "." + name;
    if (!allowedGlobal(full))
        fail("pickle calls " + full + ": refused (a weights file holds tensors, dicts, lists, tuples, numbers and "
             + "strings; Pipewright runs nothing from it)");
    auto c = make(Py::Kind::Callable);
    c->s = full;
    push(c);
}

void Unpickler::reduce()
{
    const PyRef args = pop();
    const PyRef callable = pop();
    if (callable->kind != Py::Kind::Callable || args->kind != Py::Kind::Tuple)
        fail("REDUCE of something that is not a known callable");
    if (callable->s == "collections.OrderedDict" && args->items.empty())
        return push(make(Py::Kind::Dict));
    if (callable->s == "torch._utils._rebuild_tensor_v2")
        return push(rebuildTensor(args->items));
    if (callable->s == "torch._utils._rebuild_parameter" && !args->items.empty()
        && args->items[0]->kind == Py::Kind::Tensor)
        return push(args->items[0]);
    fail("pickle calls " + callable->s + " with these arguments: refused");
}

// ('storage', torch.XStorage, key, location, numel): the raw elements from archive/data/<key>.
PyRef Unpickler::persistentLoad(const PyRef &pid)
{
    const auto &t = pid->items;
    if (pid->kind != Py::Kind::Tuple || t.size() != 5 || t[0]->kind != Py::Kind::Str || t[0]->s != "storage"
        || t[1]->kind != Py::Kind::Callable || !storageTypes().count(t[1]->s) || t[2]->kind != Py::Kind::Str
        || t[4]->kind != Py::Kind::Int)
        fail("a persistent id that is not a tensor storage");
    const torch::ScalarType type = storageTypes().at(t[1]->s);
    const std::string &key = t[2]->s;
    auto s = make(Py::Kind::Storage);
    if (const auto it = m_storages.find(key); it != m_storages.end()) {
        s->tensor = it->second;
        return s;
    }
    const auto entry = m_zip.entries().find(m_prefix + "data/" + key);
    if (entry == m_zip.entries().end())
        fail("storage " + key + " is missing from the archive (" + m_prefix + "data/" + key + ")");
    const std::int64_t numel = t[4]->i;
    const std::size_t need = std::size_t(numel) * c10::elementSize(type);
    if (numel < 0 || entry->second.size < need)
        fail("storage " + key + " holds " + std::to_string(entry->second.size) + " bytes where " + std::to_string(need)
             + " are needed");
    s->tensor = torch::empty({numel}, torch::TensorOptions().dtype(type));
    std::memcpy(s->tensor.data_ptr(), m_f.data() + entry->second.offset, need);
    m_storages[key] = s->tensor;
    return s;
}

std::vector<std::int64_t> ints(const PyRef &tuple, const char *what, const MappedFile &f)
{
    std::vector<std::int64_t> out;
    if (tuple->kind != Py::Kind::Tuple)
        f.fail(std::string("data.pkl: a tensor's ") + what + " is not a tuple");
    for (const PyRef &v : tuple->items) {
        if (v->kind != Py::Kind::Int || v->i < 0)
            f.fail(std::string("data.pkl: a tensor's ") + what + " holds a value that is not a whole number >= 0");
        out.push_back(v->i);
    }
    return out;
}

// _rebuild_tensor_v2(storage, storage_offset, size, stride, requires_grad, backward_hooks[, metadata]).
PyRef Unpickler::rebuildTensor(const std::vector<PyRef> &args)
{
    if (args.size() < 4 || args[0]->kind != Py::Kind::Storage || args[1]->kind != Py::Kind::Int)
        fail("_rebuild_tensor_v2 with unexpected arguments");
    const auto size = ints(args[2], "size", m_f), stride = ints(args[3], "stride", m_f);
    if (size.size() != stride.size())
        fail("a tensor's size and stride differ in length");
    const std::int64_t offset = args[1]->i;
    std::int64_t last = offset;
    bool empty = false;
    for (std::size_t d = 0; d < size.size(); ++d) {
        empty = empty || size[d] == 0;
        last += (size[d] - 1) * stride[d];
    }
    const std::int64_t numel = args[0]->tensor.numel();
    if (offset < 0 || (!empty && last >= numel) || (empty && offset > numel))
        fail("a tensor reaches past the end of its storage");
    auto t = make(Py::Kind::Tensor);
    t->tensor = args[0]->tensor.as_strided(size, stride, offset);
    return t;
}

// The state_dict in what the pickle built: the top-level dict, or one held under a trainer's usual key.
NamedTensors stateDict(const PyRef &root, const MappedFile &f)
{
    if (root->kind != Py::Kind::Dict)
        f.fail("holds no dict of tensors (a state_dict)");
    NamedTensors out;
    for (std::size_t i = 0; i + 1 < root->items.size(); i += 2) {
        const PyRef &k = root->items[i], &v = root->items[i + 1];
        if (k->kind == Py::Kind::Str && v->kind == Py::Kind::Tensor)
            out.emplace_back(k->s, v->tensor);
    }
    if (!out.empty())
        return out;
    for (const char *key : {"state_dict", "model_state_dict", "model", "state_dict_ema", "model_ema"}) {
        for (std::size_t i = 0; i + 1 < root->items.size(); i += 2) {
            if (root->items[i]->kind == Py::Kind::Str && root->items[i]->s == key
                && root->items[i + 1]->kind == Py::Kind::Dict)
                return stateDict(root->items[i + 1], f);
        }
    }
    f.fail("holds no tensors (not a state_dict)");
}

NamedTensors readTorchZip(const MappedFile &f)
{
    const ZipReader zip(f);
    std::string prefix;
    const ZipEntry *pickle = nullptr;
    for (const auto &[name, entry] : zip.entries()) {
        const auto slash = name.find('/');
        if (slash != std::string::npos && name.substr(slash + 1) == "data.pkl") {
            prefix = name.substr(0, slash + 1);
            pickle = &entry;
        }
    }
    if (!pickle)
        f.fail("a zip without data.pkl: not a PyTorch checkpoint");
    if (const auto bo = zip.entries().find(prefix + "byteorder"); bo != zip.entries().end()) {
        const std::string order(reinterpret_cast<const char *>(f.data() + bo->second.offset), bo->second.size);
        if (order != "little")
            f.fail("saved on a " + order + "-endian machine: Pipewright reads little-endian checkpoints");
    }
    return stateDict(Unpickler(f, zip, prefix, *pickle).run(), f);
}

// ---- safetensors: 8-byte little-endian header length, a JSON header, the raw data ---------------------------

// The JSON of a safetensors header, parsed strictly: objects, arrays, strings, whole numbers (nothing else
// occurs in one; floats, true/false/null are refused).
struct Json
{
    enum class Kind
    {
        Str,
        Int,
        Arr,
        Obj
    };
    Kind kind = Kind::Str;
    std::string s;
    std::uint64_t i = 0;
    std::vector<Json> arr;
    std::vector<std::pair<std::string, Json>> obj;
};

class JsonParser
{
public:
    JsonParser(const MappedFile &f, const char *p, std::size_t n)
        : m_f(f)
        , m_start(p)
        , m_p(p)
        , m_end(p + n)
    {
    }
    Json document()
    {
        Json v = value(0);
        space();
        if (m_p != m_end)
            fail("text after the header's JSON object");
        return v;
    }

private:
    [[noreturn]] void fail(const std::string &what) const { m_f.fail("safetensors header: " + what); }
    void space()
    {
        while (m_p != m_end && (*m_p == ' ' || *m_p == '\n' || *m_p == '\r' || *m_p == '\t'))
            ++m_p;
    }
    char next()
    {
        space();
        if (m_p == m_end)
            fail("ends early");
        return *m_p;
    }
    void expect(char c)
    {
        if (next() != c)
            fail(std::string("'") + c + "' expected at byte " + std::to_string(8 + (m_p - m_start)));
        ++m_p;
    }
    Json value(int depth)
    {
        if (depth > 16)
            fail("nested too deeply");
        const char c = next();
        Json v;
        if (c == '"') {
            v.s = string();
        } else if (c >= '0' && c <= '9') {
            v.kind = Json::Kind::Int;
            for (; m_p != m_end && *m_p >= '0' && *m_p <= '9'; ++m_p) {
                if (v.i > (std::uint64_t(1) << 60))
                    fail("a number too large");
                v.i = v.i * 10 + std::uint64_t(*m_p - '0');
            }
        } else if (c == '[') {
            v.kind = Json::Kind::Arr;
            ++m_p;
            for (bool first = true; next() != ']'; first = false) {
                if (!first)
                    expect(',');
                v.arr.push_back(value(depth + 1));
            }
            ++m_p;
        } else if (c == '{') {
            v.kind = Json::Kind::Obj;
            object(v, depth);
        } else {
            fail(std::string("unexpected '") + c + "' (a safetensors header holds strings, whole numbers, arrays "
                 + "and objects)");
        }
        return v;
    }
    void object(Json &v, int depth)
    {
        ++m_p;
        std::set<std::string> seen;
        for (bool first = true; next() != '}'; first = false) {
            if (!first)
                expect(',');
            if (next() != '"')
                fail("a key expected");
            std::string key = string();
            if (!seen.insert(key).second)
                fail("key '" + key + "' appears twice");
            expect(':');
            v.obj.emplace_back(std::move(key), value(depth + 1));
        }
        ++m_p;
    }
    std::string string()
    {
        ++m_p; // the opening quote
        std::string out;
        while (true) {
            if (m_p == m_end)
                fail("a string ends early");
            const char c = *m_p++;
            if (c == '"')
                return out;
            if (static_cast<unsigned char>(c) < 0x20)
                fail("a control character in a string");
            if (c != '\\') {
                out += c;
                continue;
            }
            if (m_p == m_end)
                fail("a string ends early");
            const char e = *m_p++;
            const char *plain = std::strchr("\"\\/bfnrt", e);
            if (!plain || e == 0)
                fail(std::string("escape \\") + e + " is not supported in a header key");
            out += "\"\\/\b\f\n\r\t"[plain - "\"\\/bfnrt"];
        }
    }

    const MappedFile &m_f;
    const char *m_start;
    const char *m_p;
    const char *m_end;
};

torch::ScalarType safetensorsType(const std::string &dtype, const MappedFile &f, const std::string &key)
{
    static const std::map<std::string, torch::ScalarType> types = {
        {"F64", torch::kFloat64}, {"F32", torch::kFloat32}, {"F16", torch::kFloat16}, {"BF16", torch::kBFloat16},
        {"I64", torch::kInt64},   {"I32", torch::kInt32},   {"I16", torch::kInt16},   {"I8", torch::kInt8},
        {"U8", torch::kUInt8},    {"BOOL", torch::kBool},
    };
    const auto it = types.find(dtype);
    if (it == types.end())
        f.fail("tensor '" + key + "' has dtype '" + dtype + "', which Pipewright does not read");
    return it->second;
}

struct SafeEntry
{
    std::string key;
    torch::ScalarType type;
    std::vector<std::int64_t> shape;
    std::uint64_t begin = 0, end = 0;
};

SafeEntry safeEntry(const std::string &key, const Json &v, const MappedFile &f, std::uint64_t dataSize)
{
    SafeEntry e;
    e.key = key;
    const Json *dtype = nullptr, *shape = nullptr, *offsets = nullptr;
    if (v.kind != Json::Kind::Obj)
        f.fail("tensor '" + key + "' is not described by an object");
    for (const auto &[name, field] : v.obj) {
        const Json **slot = name == "dtype"          ? &dtype
                            : name == "shape"        ? &shape
                            : name == "data_offsets" ? &offsets
                                                     : nullptr;
        if (!slot)
            f.fail("tensor '" + key + "' has an unknown field '" + name + "'");
        *slot = &field;
    }
    if (!dtype || dtype->kind != Json::Kind::Str || !shape || shape->kind != Json::Kind::Arr || !offsets
        || offsets->kind != Json::Kind::Arr || offsets->arr.size() != 2)
        f.fail("tensor '" + key + "' needs dtype, shape and data_offsets [begin, end]");
    e.type = safetensorsType(dtype->s, f, key);
    std::uint64_t numel = 1;
    for (const Json &d : shape->arr) {
        if (d.kind != Json::Kind::Int || d.i > (std::uint64_t(1) << 40))
            f.fail("tensor '" + key + "' has a bad shape");
        e.shape.push_back(std::int64_t(d.i));
        numel *= d.i;
        if (numel > (std::uint64_t(1) << 40))
            f.fail("tensor '" + key + "' is too large");
    }
    if (offsets->arr[0].kind != Json::Kind::Int || offsets->arr[1].kind != Json::Kind::Int)
        f.fail("tensor '" + key + "' has bad data_offsets");
    e.begin = offsets->arr[0].i;
    e.end = offsets->arr[1].i;
    if (e.begin > e.end || e.end > dataSize)
        f.fail("tensor '" + key + "' has data_offsets [" + std::to_string(e.begin) + ", " + std::to_string(e.end)
               + "] outside the file's " + std::to_string(dataSize) + " data bytes (truncated?)");
    if (e.end - e.begin != numel * c10::elementSize(e.type))
        f.fail("tensor '" + key + "' has " + std::to_string(e.end - e.begin) + " bytes for " + std::to_string(numel)
               + " elements of " + dtype->s);
    return e;
}

NamedTensors readSafetensors(const MappedFile &f)
{
    if (f.size() < 8)
        f.fail("too short for a safetensors file (" + std::to_string(f.size()) + " bytes)");
    const std::uint64_t headerSize = le(f.data(), 8);
    if (headerSize > f.size() - 8)
        f.fail("the safetensors header length " + std::to_string(headerSize) + " is larger than the file ("
               + std::to_string(f.size()) + " bytes): truncated, or not a safetensors file");
    const Json header = JsonParser(f, reinterpret_cast<const char *>(f.data() + 8), headerSize).document();
    if (header.kind != Json::Kind::Obj)
        f.fail("the safetensors header is not a JSON object");
    const std::size_t dataStart = 8 + std::size_t(headerSize);
    std::vector<SafeEntry> entries;
    for (const auto &[key, v] : header.obj) {
        if (key != "__metadata__")
            entries.push_back(safeEntry(key, v, f, f.size() - dataStart));
    }
    std::vector<const SafeEntry *> byOffset;
    for (const SafeEntry &e : entries)
        byOffset.push_back(&e);
    std::sort(byOffset.begin(), byOffset.end(), [](auto *a, auto *b) { return a->begin < b->begin; });
    for (std::size_t i = 1; i < byOffset.size(); ++i) {
        if (byOffset[i]->begin < byOffset[i - 1]->end)
            f.fail("tensors '" + byOffset[i - 1]->key + "' and '" + byOffset[i]->key + "' overlap in the file");
    }
    NamedTensors out;
    for (const SafeEntry &e : entries) {
        auto t = torch::empty(e.shape, torch::TensorOptions().dtype(e.type));
        std::memcpy(t.data_ptr(), f.data() + dataStart + e.begin, e.end - e.begin);
        out.emplace_back(e.key, t);
    }
    return out;
}

// ---- SHA-256 (FIPS 180-4) --------------------------------------------------------------------------------------

class Sha256
{
public:
    void update(const unsigned char *p, std::size_t n)
    {
        m_bits += std::uint64_t(n) * 8;
        while (n > 0) {
            const std::size_t k = std::min(n, 64 - m_fill);
            std::memcpy(m_block + m_fill, p, k);
            m_fill += k, p += k, n -= k;
            if (m_fill == 64) {
                compress();
                m_fill = 0;
            }
        }
    }
    std::string hex()
    {
        const std::uint64_t bits = m_bits;
        const unsigned char one = 0x80, zero = 0;
        update(&one, 1);
        while (m_fill != 56)
            update(&zero, 1);
        unsigned char len[8];
        for (int i = 0; i < 8; ++i)
            len[i] = static_cast<unsigned char>(bits >> (56 - 8 * i));
        update(len, 8);
        std::string out;
        char buf[9];
        for (std::uint32_t h : m_h) {
            std::snprintf(buf, sizeof buf, "%08x", h);
            out += buf;
        }
        return out;
    }

private:
    static std::uint32_t rotr(std::uint32_t x, int n) { return (x >> n) | (x << (32 - n)); }
    void compress()
    {
        static constexpr std::uint32_t k[64] = {
            0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
            0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
            0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
            0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
            0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
            0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
            0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
            0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2};
        std::uint32_t w[64];
        for (int i = 0; i < 16; ++i)
            w[i] = std::uint32_t(m_block[4 * i]) << 24 | std::uint32_t(m_block[4 * i + 1]) << 16
                   | std::uint32_t(m_block[4 * i + 2]) << 8 | m_block[4 * i + 3];
        for (int i = 16; i < 64; ++i)
            w[i] = w[i - 16] + (rotr(w[i - 15], 7) ^ rotr(w[i - 15], 18) ^ (w[i - 15] >> 3)) + w[i - 7]
                   + (rotr(w[i - 2], 17) ^ rotr(w[i - 2], 19) ^ (w[i - 2] >> 10));
        std::array<std::uint32_t, 8> v = m_h;
        for (int i = 0; i < 64; ++i) {
            const std::uint32_t t1 = v[7] + (rotr(v[4], 6) ^ rotr(v[4], 11) ^ rotr(v[4], 25))
                                     + ((v[4] & v[5]) ^ (~v[4] & v[6])) + k[i] + w[i];
            const std::uint32_t t2 = (rotr(v[0], 2) ^ rotr(v[0], 13) ^ rotr(v[0], 22))
                                     + ((v[0] & v[1]) ^ (v[0] & v[2]) ^ (v[1] & v[2]));
            v = {t1 + t2, v[0], v[1], v[2], v[3] + t1, v[4], v[5], v[6]};
        }
        for (int i = 0; i < 8; ++i)
            m_h[std::size_t(i)] += v[std::size_t(i)];
    }

    std::array<std::uint32_t, 8> m_h{0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
                                     0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};
    unsigned char m_block[64]{};
    std::size_t m_fill = 0;
    std::uint64_t m_bits = 0;
};

// ---- Matching keys onto a network -----------------------------------------------------------------------------

std::string shapeText(const torch::Tensor &t)
{
    std::string out = "[";
    for (std::int64_t d = 0; d < t.dim(); ++d)
        out += (d ? ", " : "") + std::to_string(t.size(d));
    return out + "]";
}

// A prefix every key carries that the network's do not ("module." from DataParallel, "model." from some
// trainers), or "".
std::string wrapperPrefix(const NamedTensors &weights, const std::map<std::string, torch::Tensor> &target)
{
    for (const char *prefix : {"module.", "model."}) {
        const bool all = std::all_of(weights.begin(), weights.end(),
                                     [&](const auto &kv) { return kv.first.rfind(prefix, 0) == 0; });
        if (all && !weights.empty() && !target.count(weights.front().first))
            return prefix;
    }
    return {};
}

std::string list(const std::vector<std::string> &keys, std::size_t most = 6)
{
    std::string out;
    for (std::size_t i = 0; i < keys.size() && i < most; ++i)
        out += (i ? ", " : "") + keys[i];
    if (keys.size() > most)
        out += " and " + std::to_string(keys.size() - most) + " more";
    return out.empty() ? "none" : out;
}

std::string jsonList(const std::vector<std::string> &keys)
{
    std::string out = "[";
    for (std::size_t i = 0; i < keys.size(); ++i)
        out += (i ? "," : "") + JsonLine::quote(keys[i]);
    return out + "]";
}

} // namespace

NamedTensors readWeights(const std::string &path)
{
    const MappedFile f(path);
    if (f.size() >= 4 && std::memcmp(f.data(), "PK\x03\x04", 4) == 0)
        return readTorchZip(f);
    if (f.size() >= 2 && f.data()[0] == 0x80 && f.data()[1] <= 5)
        f.fail("a bare pickle or torch.save's old (before torch 1.6) format: Pipewright reads torch.save's zip "
               "format; load it in Python and save it again with torch.save(torch.load(FILE), NEW_FILE)");
    return readSafetensors(f);
}

std::string sha256File(const std::string &path)
{
    const MappedFile f(path);
    Sha256 h;
    h.update(f.data(), f.size());
    return h.hex();
}

std::string headPrefix(const std::string &arch)
{
    if (arch == "resnet18" || arch == "resnet50")
        return "fc.";
    if (arch == "mobilenet_v3_large")
        return "classifier.3.";
    return "classifier.";
}

std::string InitReport::json() const
{
    return "{\"loaded\":" + jsonList(loaded) + ",\"missing\":" + jsonList(missing)
           + ",\"unexpected\":" + jsonList(unexpected) + ",\"shape_mismatched\":" + jsonList(mismatched)
           + ",\"head_reinitialised\":" + (headReinitialised ? "true" : "false") + "}";
}

InitReport loadInto(ClassifierImpl &net, const std::string &arch, const NamedTensors &weights, const std::string &path)
{
    std::map<std::string, torch::Tensor> target;
    std::vector<std::string> order;
    for (const auto &p : net.named_parameters())
        target[p.key()] = p.value(), order.push_back(p.key());
    for (const auto &b : net.named_buffers())
        target[b.key()] = b.value(), order.push_back(b.key());
    const std::string wrapper = wrapperPrefix(weights, target);
    const std::string head = headPrefix(arch);
    InitReport r;
    std::set<std::string> done;
    torch::NoGradGuard noGrad;
    for (const auto &[fileKey, t] : weights) {
        const std::string key = fileKey.substr(wrapper.size());
        const auto it = target.find(key);
        if (it == target.end()) {
            r.unexpected.push_back(fileKey);
        } else if (!t.sizes().equals(it->second.sizes())) {
            r.mismatched.push_back(key + ": file " + shapeText(t) + " vs network " + shapeText(it->second));
            r.headReinitialised = r.headReinitialised || key.rfind(head, 0) == 0;
        } else {
            it->second.copy_(t.to(it->second.scalar_type()));
            r.loaded.push_back(key);
            done.insert(key);
        }
    }
    std::size_t backbone = 0, backboneLoaded = 0;
    for (const std::string &key : order) {
        if (!done.count(key))
            r.missing.push_back(key);
        if (key.rfind(head, 0) != 0) {
            ++backbone;
            backboneLoaded += done.count(key);
        }
    }
    if (backboneLoaded * 2 < backbone)
        throw std::runtime_error("--init '" + path + "' does not fit " + arch + ": " + std::to_string(backboneLoaded)
                                 + " of its " + std::to_string(backbone)
                                 + " backbone tensors matched. Missing: " + list(r.missing)
                                 + ". Unexpected: " + list(r.unexpected) + ". Shape-mismatched: " + list(r.mismatched));
    return r;
}

std::vector<torch::optim::OptimizerParamGroup> parameterGroups(ClassifierImpl &net, const std::string &arch,
                                                               bool freezeBackbone, double backboneLrScale,
                                                               std::vector<double> &lrScales)
{
    const std::string head = headPrefix(arch);
    std::vector<torch::Tensor> backbone, headParams;
    for (const auto &p : net.named_parameters()) {
        if (p.key().rfind(head, 0) == 0) {
            headParams.push_back(p.value());
        } else if (freezeBackbone) {
            p.value().set_requires_grad(false);
        } else {
            backbone.push_back(p.value());
        }
    }
    std::vector<torch::optim::OptimizerParamGroup> groups;
    lrScales.clear();
    if (!backbone.empty()) {
        groups.emplace_back(backbone);
        lrScales.push_back(backboneLrScale);
    }
    groups.emplace_back(headParams);
    lrScales.push_back(1.0);
    return groups;
}

void setTrainMode(ClassifierImpl &net, const std::string &arch, bool freezeBackbone)
{
    if (!freezeBackbone) {
        net.train();
        return;
    }
    net.eval();
    const std::string head = headPrefix(arch);
    const std::string top = head.substr(0, head.find('.')); // "fc" or "classifier": its dropout stays on
    for (const auto &child : net.named_children()) {
        if (child.key() == top)
            child.value()->train();
    }
}

} // namespace pw::train::detail
