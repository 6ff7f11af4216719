// open + fstat + read loop + close, with EINTR handled; stale temporaries by the pid in their name.
#include "core/store/FileIo.h"

#include <cerrno>
#include <charconv>
#include <cstring>
#include <filesystem>

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

namespace pw::store {

bool readWholeFile(const std::string &path, std::vector<unsigned char> &buf, std::string &error, FileFacts *facts)
{
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        if (facts)
            facts->missing = errno == ENOENT;
        error = std::strerror(errno);
        return false;
    }
    struct stat st
    {
    };
    if (::fstat(fd, &st) != 0) {
        error = std::strerror(errno);
        ::close(fd);
        return false;
    }
    if (facts) {
        facts->size = st.st_size;
        facts->mtimeNs = std::int64_t(st.st_mtim.tv_sec) * 1000000000LL + st.st_mtim.tv_nsec;
    }
    buf.resize(std::size_t(st.st_size));
    std::size_t got = 0;
    while (got < buf.size()) {
        const ssize_t n = ::read(fd, buf.data() + got, buf.size() - got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            error = std::strerror(errno);
            ::close(fd);
            return false;
        }
        if (n == 0)
            break; // shrank while reading
        got += std::size_t(n);
    }
    buf.resize(got);
    ::close(fd);
    return true;
}

std::int64_t freeDiskSpace(const std::string &path)
{
    struct statvfs st
    {
    };
    if (::statvfs(path.c_str(), &st) != 0) {
        const std::string folder = std::filesystem::path(path).parent_path().string();
        if (::statvfs(folder.empty() ? "." : folder.c_str(), &st) != 0)
            return -1;
    }
    // root may write into the blocks reserved for it (f_bfree); others only f_bavail.
    const auto blocks = ::geteuid() == 0 ? st.f_bfree : st.f_bavail;
    return std::int64_t(blocks) * std::int64_t(st.f_frsize);
}

bool processGone(long pid)
{
    // EPERM: it runs under another user. kill(0 or a negative pid, ...) addresses process groups.
    return pid > 0 && ::kill(pid_t(pid), 0) != 0 && errno == ESRCH;
}

void removeStaleTemporaries(const std::string &dir, std::initializer_list<std::string_view> markers)
{
    namespace fs = std::filesystem;
    std::error_code ec;
    for (const auto &entry : fs::directory_iterator(dir, ec)) {
        const std::string name = entry.path().filename().string();
        if (name.empty() || name[0] != '.')
            continue;
        for (const std::string_view marker : markers) {
            const std::size_t at = name.rfind(marker);
            if (at == std::string::npos)
                continue;
            long pid = 0;
            const char *first = name.data() + at + marker.size();
            const auto [end, err] = std::from_chars(first, name.data() + name.size(), pid);
            if (err == std::errc() && end != first && (end == name.data() + name.size() || *end == '-')
                && processGone(pid)) {
                std::error_code ignored;
                fs::remove_all(entry.path(), ignored);
            }
            break;
        }
    }
}

} // namespace pw::store
