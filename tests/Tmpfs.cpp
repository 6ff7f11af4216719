// mount(2)/umount2(2) of a tmpfs, and a filler file written until the free space is used up.
#include "tests/Tmpfs.h"

#include <QFile>

#include <cerrno>
#include <cstring>
#include <string>
#include <vector>

#include <fcntl.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/statvfs.h>
#include <unistd.h>

namespace pw::test {

namespace {

bool writeText(const char *path, const std::string &text)
{
    const int fd = ::open(path, O_WRONLY | O_CLOEXEC);
    if (fd < 0)
        return false;
    const bool ok = ::write(fd, text.data(), text.size()) == ssize_t(text.size());
    ::close(fd);
    return ok;
}

// Not root: become root of a new user namespace with a mount namespace of its own (what `unshare -rm` does).
bool enterUserNamespace(QString &error)
{
    const uid_t uid = ::getuid();
    const gid_t gid = ::getgid();
    if (::unshare(CLONE_NEWUSER | CLONE_NEWNS) != 0) {
        error = QString("unshare: ") + std::strerror(errno);
        return false;
    }
    if (!writeText("/proc/self/setgroups", "deny")
        || !writeText("/proc/self/uid_map", "0 " + std::to_string(uid) + " 1")
        || !writeText("/proc/self/gid_map", "0 " + std::to_string(gid) + " 1")) {
        error = QString("writing the namespace's id maps: ") + std::strerror(errno);
        return false;
    }
    ::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr);
    return true;
}

} // namespace

Tmpfs::Tmpfs(qint64 bytes)
{
    if (!m_dir.isValid()) {
        m_error = "cannot create a temporary folder";
        return;
    }
    static bool inNamespace = false;
    if (::geteuid() != 0 && !inNamespace) {
        if (!enterUserNamespace(m_error))
            return;
        inNamespace = true;
    }
    const std::string options = "size=" + std::to_string(bytes) + ",mode=0755";
    if (::mount("tmpfs", m_dir.path().toLocal8Bit().constData(), "tmpfs", 0, options.c_str()) != 0) {
        m_error = QString("mount -t tmpfs: ") + std::strerror(errno);
        return;
    }
    m_mounted = true;
}

Tmpfs::~Tmpfs()
{
    // Lazily: a process that still has a file open there does not keep the mount (or the test) alive.
    if (m_mounted)
        ::umount2(m_dir.path().toLocal8Bit().constData(), MNT_DETACH);
}

qint64 Tmpfs::freeBytes() const
{
    struct statvfs st
    {
    };
    if (::statvfs(m_dir.path().toLocal8Bit().constData(), &st) != 0)
        return -1;
    return qint64(st.f_bavail) * qint64(st.f_frsize);
}

bool Tmpfs::fill(qint64 leaveFree, const QString &name)
{
    const QByteArray path = (m_dir.path() + "/" + name).toLocal8Bit();
    const int fd = ::open(path.constData(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (fd < 0)
        return false;
    const std::vector<char> chunk(64 * 1024, 'x');
    bool ok = true;
    for (qint64 free = freeBytes(); ok && free > leaveFree; free = freeBytes()) {
        const auto n = std::size_t(std::min<qint64>(qint64(chunk.size()), free - leaveFree));
        const ssize_t w = ::write(fd, chunk.data(), n);
        if (w < 0 && errno == ENOSPC)
            break; // full: nothing is left to take
        ok = w > 0 || (w < 0 && errno == EINTR);
    }
    return ::close(fd) == 0 && ok && freeBytes() <= leaveFree;
}

bool Tmpfs::unfill(const QString &name)
{
    return QFile::remove(m_dir.path() + "/" + name);
}

} // namespace pw::test
