// open + fstat + read loop + close, with EINTR handled.
#include "core/store/FileIo.h"

#include <cerrno>
#include <cstring>

#include <fcntl.h>
#include <sys/stat.h>
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
    struct stat st {};
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

} // namespace pw::store
