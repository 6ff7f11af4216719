// Whole-file reads shared by ingest and shard building; temporaries of processes that no longer run.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>
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
bool readWholeFile(const std::string &path, std::vector<unsigned char> &buf, std::string &error,
                   FileFacts *facts = nullptr);

/**
 * Bytes the calling process may still write on the file system that holds `path` (the file or, when it does
 * not exist, its folder), as statvfs(3) reports them; -1 when that cannot be told.
 */
std::int64_t freeDiskSpace(const std::string &path);

/** Whether no process `pid` runs (kill(pid, 0) fails with ESRCH). A pid of 0 or below is never gone. */
bool processGone(long pid);

/**
 * Removes the temporaries that processes which no longer run left in `dir` (a crash, a kill -9): the entries
 * whose name starts with '.' and holds one of `markers` followed by the pid of its writer, as in
 * ".<key>.tmp-<pid>-<n>" (marker ".tmp-") or ".score-<pid>-<n>" (marker ".score-"). The temporaries of
 * running processes stay. Errors are ignored: what cannot be removed now is tried again by the next writer.
 */
void removeStaleTemporaries(const std::string &dir, std::initializer_list<std::string_view> markers);

} // namespace pw::store
