// Labels parsed from an image's path relative to the ingest source.
#pragma once

#include "core/requests/Choices.h"

#include <optional>
#include <string>
#include <string_view>

namespace pw::ingest {

/** How a label is read from the path: `caltech` (top folder NNN.name), `folder` (top folder name), `none`. */
enum class LabelRule
{
    Caltech,
    Folder,
    None
};

/** The rules' names: the one list the CLI, pipeline tasks and `pipeline validate` parse and print. */
inline constexpr requests::Choices<LabelRule, 3> kLabelRules{
    {{LabelRule::Caltech, "caltech"}, {LabelRule::Folder, "folder"}, {LabelRule::None, "none"}}};

/** Parses "caltech", "folder" or "none"; std::nullopt for anything else. */
std::optional<LabelRule> parseLabelRule(std::string_view text);
const char *labelRuleName(LabelRule rule);

struct PathLabel
{
    std::optional<std::string> name;
    std::optional<int> id; // the NNN of a Caltech folder
};

/**
 * The label of a file at `relativePath` (with '/' separators) under the source.
 * A file directly in the source folder, or (caltech) under a folder not named NNN.name, is unlabeled.
 */
PathLabel labelFromPath(LabelRule rule, std::string_view relativePath);

} // namespace pw::ingest
