// Label rules: Caltech-style "001.ak47" folders, plain folder names, or no label.
#include "core/ingest/LabelRule.h"

#include <charconv>

namespace pw::ingest {

std::optional<LabelRule> parseLabelRule(std::string_view text)
{
    return kLabelRules.parse(text);
}

const char *labelRuleName(LabelRule rule)
{
    return kLabelRules.name(rule);
}

PathLabel labelFromPath(LabelRule rule, std::string_view relativePath)
{
    if (rule == LabelRule::None)
        return {};
    const auto slash = relativePath.find('/');
    if (slash == std::string_view::npos || slash == 0)
        return {}; // directly under the source: no folder to name it
    const std::string_view top = relativePath.substr(0, slash);
    if (rule == LabelRule::Folder)
        return {std::string(top), std::nullopt};

    // Caltech: digits, a dot, then a non-empty name ("001.ak47", "257.clutter").
    const auto dot = top.find('.');
    if (dot == std::string_view::npos || dot == 0 || dot + 1 == top.size())
        return {};
    for (std::size_t i = 0; i < dot; ++i) {
        if (top[i] < '0' || top[i] > '9')
            return {}; // digits only: no sign, no spaces
    }
    int id = 0;
    const auto [end, ec] = std::from_chars(top.data(), top.data() + dot, id);
    if (ec != std::errc() || end != top.data() + dot)
        return {};
    return {std::string(top.substr(dot + 1)), id};
}

} // namespace pw::ingest
