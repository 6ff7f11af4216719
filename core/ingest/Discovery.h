// Recursive discovery of image files under an ingest source folder.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace pw::ingest {

struct DiscoveredFile
{
    std::string path; // absolute: the source folder's canonical path + relative
    std::string relative; // '/'-separated, under the source
    std::string statError; // non-empty when a symlink could not be followed (dangling)
};

struct DiscoveryResult
{
    std::vector<DiscoveredFile> files; // sorted by relative path
    std::vector<std::string> warnings; // folders that could not be read, symlink loops skipped
};

/** The default filter: png, jpg, jpeg, bmp, tif, tiff, webp, in any letter case. */
bool hasImageExtension(const std::string &name);

/**
 * Walks `sourceDir` recursively. Files match `glob` (fnmatch; a pattern without '/' is matched against
 * the file name, one with '/' against the relative path) or, without a glob, the default image
 * extensions. Hidden entries (".name") are skipped. Directory symlinks are followed once: a folder
 * already visited (same device and inode) is never walked again, so loops end and no file appears twice.
 * Regular files are listed from the directory entries alone (no stat): the caller stats what it needs.
 * Throws when `sourceDir` is not a readable folder.
 */
DiscoveryResult discoverFiles(const std::string &sourceDir, const std::optional<std::string> &glob);

} // namespace pw::ingest
