// Whole-file reads shared by ingest and shard building.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace pw::store {

/** What readWholeFile() learned about the file, from the open file itself. */
struct FileFacts
{
    std::int64_t size = 0;
    std::int64_t mtimeNs = 0;
    bool missing = false; // the open failed with ENOENT
};

/**
 * Reads all of `path` into `buf` (resized to what was read: a file that shrinks while being read gives the
 * shorter content). Returns false with `error` set to the system's message when it cannot be opened or read.
 */
bool readWholeFile(const std::string &path, std::vector<unsigned char> &buf, std::string &error, FileFacts *facts = nullptr);

} // namespace pw::store
