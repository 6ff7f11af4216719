// A choice value (a device, a label rule, an export format): an enum with one list of names that both parses
// and prints, so the CLI, pipeline tasks, the dialogs and `pipeline validate` cannot disagree on what is allowed.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace pw::requests {

/**
 * The names of an enum's values, in the order they are listed to a user. Declared next to the enum:
 *   inline constexpr requests::Choices<Device, 3> kDevices{{{Device::Auto, "auto"}, {Device::Cpu, "cpu"}, ...}};
 * `ignoreCase`: parse() accepts any case (registry stages: "staging" is Staging); names print as listed.
 */
template<typename E, std::size_t N> struct Choices
{
    struct Entry
    {
        E value;
        const char *name;
    };
    Entry entries[N];
    bool ignoreCase = false;

    /** The value named `text`; std::nullopt for anything else. */
    constexpr std::optional<E> parse(std::string_view text) const
    {
        for (const Entry &e : entries) {
            if (same(text, e.name))
                return e.value;
        }
        return std::nullopt;
    }
    /** The name of `value` (the first listed for it). */
    constexpr const char *name(E value) const
    {
        for (const Entry &e : entries) {
            if (e.value == value)
                return e.name;
        }
        return entries[0].name;
    }
    /** The names, in order. */
    std::vector<std::string> names() const
    {
        std::vector<std::string> out;
        for (const Entry &e : entries)
            out.emplace_back(e.name);
        return out;
    }
    /** The names joined: "caltech, folder, none" (or with `separator`, "caltech|folder|none"). */
    std::string list(std::string_view separator = ", ") const
    {
        std::string out;
        for (const Entry &e : entries)
            out += (out.empty() ? "" : std::string(separator)) + e.name;
        return out;
    }
    /** Why `text` is not a value: "'caltch' is not one of caltech, folder, none". */
    std::string problem(std::string_view text) const { return "'" + std::string(text) + "' is not one of " + list(); }

private:
    static constexpr char lower(char c) { return c >= 'A' && c <= 'Z' ? char(c - 'A' + 'a') : c; }
    constexpr bool same(std::string_view text, std::string_view name) const
    {
        if (text.size() != name.size())
            return false;
        for (std::size_t i = 0; i < text.size(); ++i) {
            const char a = text[i], b = name[i];
            if (a != b && !(ignoreCase && lower(a) == lower(b)))
                return false;
        }
        return true;
    }
};

/**
 * The kind of a pipeline task parameter that takes one of `C`'s names: "choice:caltech|folder|none"
 * (core/pipeline/Pipeline.h ParamSpec). The text lives as long as the program.
 */
template<const auto &C> const char *choiceKind()
{
    static const std::string kind = "choice:" + C.list("|");
    return kind.c_str();
}

} // namespace pw::requests
