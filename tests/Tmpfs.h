// A small tmpfs for full-disk tests: mounted on a fresh folder for the life of the object, unmounted by its
// destructor (also when a check failed on the way), and filled on demand to leave a chosen number of bytes free.
#pragma once

#include <QString>
#include <QTemporaryDir>

namespace pw::test {

class Tmpfs
{
public:
    /**
     * Mounts a tmpfs of `bytes` on a new temporary folder: directly as root, else in a new user and mount
     * namespace of this process (unshare(2)), which its child processes share. error() says why it could not.
     */
    explicit Tmpfs(qint64 bytes);
    ~Tmpfs();
    Tmpfs(const Tmpfs &) = delete;
    Tmpfs &operator=(const Tmpfs &) = delete;

    bool isMounted() const { return m_mounted; }
    QString error() const { return m_error; }
    QString path() const { return m_dir.path(); }

    /** Bytes that can still be written (statvfs), or -1. */
    qint64 freeBytes() const;
    /** Writes the file `name` (in the tmpfs) until no more than `leaveFree` bytes are free; false on error. */
    bool fill(qint64 leaveFree, const QString &name = "filler");
    /** Removes the file `fill()` wrote. */
    bool unfill(const QString &name = "filler");

private:
    QTemporaryDir m_dir;
    bool m_mounted = false;
    QString m_error;
};

} // namespace pw::test

/**
 * In a test function: a Tmpfs named `var` of `bytes`, or a failure saying why there is none. Not a skip: root, or a
 * user namespace (Debian's default), is all it needs, and the full-disk behaviour it tests is not optional.
 */
#define PW_REQUIRE_TMPFS(var, bytes)                                                                                   \
    pw::test::Tmpfs var(bytes);                                                                                        \
    if (!var.isMounted())                                                                                              \
    QFAIL(qPrintable("no tmpfs for a full-disk test (run as root, or allow unprivileged user namespaces for "          \
                     "unshare -rm): "                                                                                  \
                     + var.error()))
