// A recursive-descent scan of JSON text that records strict-JSON faults (see JsonCheck.h). It validates no
// more syntax than it needs to walk the text: numbers and literals are skipped, and a syntax error ends the scan.
#include "core/store/JsonCheck.h"

#include <cstdio>
#include <map>

namespace pw::store {

namespace {

constexpr std::size_t kMaxIssues = 20;
constexpr int kMaxDepth = 512; // deeper than any file of ours; Qt's own parser stops at 1024

class Scanner
{
public:
    explicit Scanner(std::string_view text)
        : m_text(text)
    {
    }

    std::vector<JsonIssue> run()
    {
        std::vector<std::string> path;
        // A UTF-8 byte order mark is not JSON, but editors write it and Qt skips it: so do we.
        if (m_text.substr(0, 3) == "\xEF\xBB\xBF")
            m_start = m_pos = 3;
        skipSpace();
        if (m_pos < m_text.size() && value(path, 0))
            skipSpace();
        return std::move(m_issues);
    }

private:
    // Enough said: the scan stops.
    bool stopped() const { return m_issues.size() >= kMaxIssues; }

    void skipSpace()
    {
        while (m_pos < m_text.size()
               && (m_text[m_pos] == ' ' || m_text[m_pos] == '\t' || m_text[m_pos] == '\n' || m_text[m_pos] == '\r'))
            ++m_pos;
    }

    bool value(std::vector<std::string> &path, int depth)
    {
        if (depth > kMaxDepth || m_pos >= m_text.size() || stopped())
            return false;
        switch (m_text[m_pos]) {
        case '{': return object(path, depth);
        case '[': return array(path, depth);
        case '"': {
            std::string ignored;
            return string(path, false, ignored);
        }
        default:
            // A number or a literal: whatever runs up to the next separator (the parser judges it).
            const std::size_t start = m_pos;
            while (m_pos < m_text.size() && m_text[m_pos] != ',' && m_text[m_pos] != ']' && m_text[m_pos] != '}'
                   && m_text[m_pos] != ' ' && m_text[m_pos] != '\t' && m_text[m_pos] != '\n' && m_text[m_pos] != '\r')
                ++m_pos;
            return m_pos > start;
        }
    }

    bool object(std::vector<std::string> &path, int depth)
    {
        ++m_pos; // '{'
        std::map<std::string, std::size_t> keys; // decoded key -> offset of its first occurrence
        skipSpace();
        if (m_pos < m_text.size() && m_text[m_pos] == '}') {
            ++m_pos;
            return true;
        }
        for (;;) {
            if (m_pos >= m_text.size() || m_text[m_pos] != '"')
                return false;
            const std::size_t keyAt = m_pos;
            std::string key;
            if (!string(path, true, key))
                return false;
            if (const auto [it, fresh] = keys.emplace(key, keyAt); !fresh) {
                const auto [line, column] = position(it->second);
                add(keyAt, path,
                    "duplicate key '" + key + "' in " + where(path) + " (first at line " + std::to_string(line)
                        + ", column " + std::to_string(column) + "; a parser keeps only one of them)");
            }
            skipSpace();
            if (m_pos >= m_text.size() || m_text[m_pos] != ':')
                return false;
            ++m_pos;
            skipSpace();
            path.push_back((path.empty() ? "" : ".") + key);
            const bool ok = value(path, depth + 1);
            path.pop_back();
            if (!ok)
                return false;
            if (const Next next = afterMember('}'); next != Next::More)
                return next == Next::Closed;
        }
    }

    enum class Next
    {
        More,
        Closed,
        Bad
    };
    // After a member of an object or array: its closing character, a comma before the next member, or a fault.
    Next afterMember(char close)
    {
        skipSpace();
        if (m_pos >= m_text.size())
            return Next::Bad;
        if (m_text[m_pos] == close) {
            ++m_pos;
            return Next::Closed;
        }
        if (m_text[m_pos] != ',')
            return Next::Bad;
        ++m_pos;
        skipSpace();
        return Next::More;
    }

    bool array(std::vector<std::string> &path, int depth)
    {
        ++m_pos; // '['
        skipSpace();
        if (m_pos < m_text.size() && m_text[m_pos] == ']') {
            ++m_pos;
            return true;
        }
        for (std::size_t index = 0;; ++index) {
            path.push_back("[" + std::to_string(index) + "]");
            const bool ok = value(path, depth + 1);
            path.pop_back();
            if (!ok)
                return false;
            if (const Next next = afterMember(']'); next != Next::More)
                return next == Next::Closed;
        }
    }

    // Reads the string at m_pos (a key when `isKey`: `path` is then its object's) into `decoded`.
    bool string(const std::vector<std::string> &path, bool isKey, std::string &decoded)
    {
        ++m_pos; // '"'
        while (m_pos < m_text.size()) {
            const auto c = static_cast<unsigned char>(m_text[m_pos]);
            if (c == '"') {
                ++m_pos;
                return true;
            }
            if (c < 0x20) {
                char code[8];
                std::snprintf(code, sizeof code, "U+%04X", unsigned(c));
                char escape[8];
                std::snprintf(escape, sizeof escape, "\\u%04x", unsigned(c));
                add(m_pos, path,
                    "raw control character " + std::string(code) + " inside "
                        + (isKey          ? "a key of " + where(path)
                           : path.empty() ? std::string("the top-level string")
                                          : "the string " + where(path))
                        + " (JSON allows it only escaped, as " + escape + ")");
                if (stopped())
                    return false;
                decoded += char(c);
                ++m_pos;
                continue;
            }
            if (c != '\\') {
                decoded += char(c);
                ++m_pos;
                continue;
            }
            if (++m_pos >= m_text.size())
                return false;
            switch (m_text[m_pos++]) {
            case '"': decoded += '"'; break;
            case '\\': decoded += '\\'; break;
            case '/': decoded += '/'; break;
            case 'b': decoded += '\b'; break;
            case 'f': decoded += '\f'; break;
            case 'n': decoded += '\n'; break;
            case 'r': decoded += '\r'; break;
            case 't': decoded += '\t'; break;
            case 'u':
                if (!unicodeEscape(decoded))
                    return false;
                break;
            default: return false;
            }
        }
        return false; // unterminated
    }

    bool hex4(unsigned &out)
    {
        if (m_pos + 4 > m_text.size())
            return false;
        out = 0;
        for (int i = 0; i < 4; ++i) {
            const char h = m_text[m_pos++];
            out <<= 4;
            if (h >= '0' && h <= '9')
                out |= unsigned(h - '0');
            else if (h >= 'a' && h <= 'f')
                out |= unsigned(h - 'a' + 10);
            else if (h >= 'A' && h <= 'F')
                out |= unsigned(h - 'A' + 10);
            else
                return false;
        }
        return true;
    }

    // After "\u": appends the code point as UTF-8 (a surrogate pair is one code point).
    bool unicodeEscape(std::string &decoded)
    {
        unsigned cp = 0;
        if (!hex4(cp))
            return false;
        if (cp >= 0xD800 && cp <= 0xDBFF && m_pos + 6 <= m_text.size() && m_text[m_pos] == '\\'
            && m_text[m_pos + 1] == 'u') {
            const std::size_t back = m_pos;
            m_pos += 2;
            unsigned low = 0;
            if (hex4(low) && low >= 0xDC00 && low <= 0xDFFF)
                cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
            else
                m_pos = back; // a lone high surrogate: kept as it is, the next escape read on its own
        }
        if (cp < 0x80) {
            decoded += char(cp);
        } else if (cp < 0x800) {
            decoded += char(0xC0 | (cp >> 6));
            decoded += char(0x80 | (cp & 0x3F));
        } else if (cp < 0x10000) {
            decoded += char(0xE0 | (cp >> 12));
            decoded += char(0x80 | ((cp >> 6) & 0x3F));
            decoded += char(0x80 | (cp & 0x3F));
        } else {
            decoded += char(0xF0 | (cp >> 18));
            decoded += char(0x80 | ((cp >> 12) & 0x3F));
            decoded += char(0x80 | ((cp >> 6) & 0x3F));
            decoded += char(0x80 | (cp & 0x3F));
        }
        return true;
    }

    static std::string join(const std::vector<std::string> &path)
    {
        std::string out;
        for (const std::string &p : path)
            out += p;
        return out;
    }

    static std::string where(const std::vector<std::string> &path)
    {
        return path.empty() ? std::string("the top-level object") : join(path);
    }

    // Line and column (in characters: UTF-8 continuation bytes do not count) of byte `offset`.
    std::pair<int, int> position(std::size_t offset) const
    {
        int line = 1, column = 1;
        for (std::size_t i = m_start; i < offset && i < m_text.size(); ++i) {
            const auto c = static_cast<unsigned char>(m_text[i]);
            if (c == '\n') {
                ++line;
                column = 1;
            } else if ((c & 0xC0) != 0x80) {
                ++column;
            }
        }
        return {line, column};
    }

    void add(std::size_t offset, const std::vector<std::string> &path, std::string message)
    {
        const auto [line, column] = position(offset);
        m_issues.push_back({line, column, join(path), std::move(message)});
    }

    std::string_view m_text;
    std::size_t m_pos = 0;
    std::size_t m_start = 0; // after a byte order mark
    std::vector<JsonIssue> m_issues;
};

} // namespace

std::string JsonIssue::text() const
{
    return "line " + std::to_string(line) + ", column " + std::to_string(column) + ": " + message;
}

std::vector<JsonIssue> checkJson(std::string_view utf8)
{
    Scanner scanner(utf8);
    return scanner.run();
}

std::string jsonIssuesText(const std::vector<JsonIssue> &issues)
{
    std::string out;
    for (const JsonIssue &i : issues)
        out += (out.empty() ? "" : "; ") + i.text();
    return out;
}

} // namespace pw::store
