// One JSON object per line: how the worker reports events (it writes JSON, it never parses it).
#pragma once

#include <cstdint>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

namespace pw::train {

/** Builds {"event": NAME, ...} with keys in insertion order; write() emits it as one line and flushes. */
class JsonLine
{
public:
    explicit JsonLine(std::string_view event);
    JsonLine &add(std::string_view key, std::string_view value);
    JsonLine &add(std::string_view key, const char *value) { return add(key, std::string_view(value)); }
    JsonLine &add(std::string_view key, const std::string &value) { return add(key, std::string_view(value)); }
    JsonLine &add(std::string_view key, double value);
    JsonLine &add(std::string_view key, std::int64_t value);
    JsonLine &add(std::string_view key, int value) { return add(key, std::int64_t(value)); }
    JsonLine &add(std::string_view key, bool value);
    /** Adds a pre-built JSON value (an array or object) verbatim. */
    JsonLine &addRaw(std::string_view key, std::string_view json);
    std::string str() const { return m_text + "}"; }
    void write(std::ostream &out) const;

    static std::string quote(std::string_view s);

private:
    void key(std::string_view k);
    std::string m_text;
};

/** Milliseconds since the Unix epoch (the metric timestamp MLflow uses). */
std::int64_t nowMs();

} // namespace pw::train
