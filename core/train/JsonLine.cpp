// JSON-lines event writing with string escaping per RFC 8259.
#include "core/train/JsonLine.h"

#include <chrono>
#include <cmath>
#include <cstdio>

namespace pw::train {

JsonLine::JsonLine(std::string_view event)
    : m_text("{\"event\":" + quote(event))
{
}

void JsonLine::key(std::string_view k)
{
    m_text += ',';
    m_text += quote(k);
    m_text += ':';
}

JsonLine &JsonLine::add(std::string_view k, std::string_view value)
{
    key(k);
    m_text += quote(value);
    return *this;
}

JsonLine &JsonLine::add(std::string_view k, double value)
{
    key(k);
    if (!std::isfinite(value)) {
        m_text += "null"; // JSON has no NaN or infinity
        return *this;
    }
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.9g", value);
    m_text += buf;
    return *this;
}

JsonLine &JsonLine::add(std::string_view k, std::int64_t value)
{
    key(k);
    m_text += std::to_string(value);
    return *this;
}

JsonLine &JsonLine::add(std::string_view k, bool value)
{
    key(k);
    m_text += value ? "true" : "false";
    return *this;
}

JsonLine &JsonLine::addRaw(std::string_view k, std::string_view json)
{
    key(k);
    m_text += json;
    return *this;
}

void JsonLine::write(std::ostream &out) const
{
    out << m_text << "}\n";
    out.flush();
}

std::string JsonLine::quote(std::string_view s)
{
    std::string out = "\"";
    for (const char c : s) {
        switch (c) {
        case '"': out += "\\\""; break;
        case '\\': out += "\\\\"; break;
        case '\n': out += "\\n"; break;
        case '\r': out += "\\r"; break;
        case '\t': out += "\\t"; break;
        default:
            if (static_cast<unsigned char>(c) < 0x20) {
                char buf[8];
                std::snprintf(buf, sizeof buf, "\\u%04x", c);
                out += buf;
            } else {
                out += c;
            }
        }
    }
    return out + "\"";
}

std::int64_t nowMs()
{
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
        .count();
}

} // namespace pw::train
