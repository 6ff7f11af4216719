// Workspace layout, schema migrations of catalog.db and thumbnails.db, and the writer lock.
#include "core/store/Workspace.h"

#include "core/store/Database.h"
#include "core/store/Schema.h"

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <stdexcept>

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

namespace pw::store {

namespace fs = std::filesystem;

Workspace Workspace::open(const std::string &root)
{
    if (root.empty())
        throw std::runtime_error("workspace: empty path");
    std::error_code ec;
    fs::path p = fs::absolute(root, ec);
    if (fs::exists(p, ec) && !fs::is_directory(p, ec))
        throw std::runtime_error("workspace '" + p.string() + "' is not a folder");
    for (const char *sub : {"", "artifacts", "shards", "pipelines", "logs"}) {
        fs::create_directories(p / sub, ec);
        if (ec)
            throw std::runtime_error("workspace: cannot create folder '" + (p / sub).string() + "': " + ec.message());
    }
    Workspace ws(fs::weakly_canonical(p).string());
    {
        Database db(ws.catalogPath());
        migrate(db, catalogMigrations());
    }
    {
        Database db(ws.thumbnailsPath());
        migrate(db, thumbnailMigrations());
    }
    return ws;
}

std::string Workspace::defaultRoot()
{
    if (const char *env = std::getenv("PIPEWRIGHT_WORKSPACE"); env && *env)
        return env;
    std::string base;
    if (const char *xdg = std::getenv("XDG_DATA_HOME"); xdg && *xdg)
        base = xdg;
    else if (const char *home = std::getenv("HOME"); home && *home)
        base = std::string(home) + "/.local/share";
    else
        base = ".";
    return base + "/pipewright/default";
}

std::unique_ptr<Database> Workspace::openCatalog() const
{
    return std::make_unique<Database>(catalogPath());
}

std::unique_ptr<Database> Workspace::openThumbnails() const
{
    auto db = std::make_unique<Database>(thumbnailsPath());
    // A rebuildable cache: no fsync. WAL keeps it consistent across a crash of this process; only an
    // operating-system crash could lose recent thumbnails, which are made again on demand.
    db->exec("PRAGMA synchronous=OFF");
    return db;
}

WriterLock::WriterLock(const Workspace &ws)
{
    const std::string path = ws.writerLockPath();
    m_fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (m_fd < 0)
        throw std::runtime_error("cannot open lock file '" + path + "': " + std::strerror(errno));
    if (::flock(m_fd, LOCK_EX | LOCK_NB) == 0)
        return;
    std::cerr << "waiting for another process writing to workspace '" << ws.root() << "'..." << std::endl;
    while (::flock(m_fd, LOCK_EX) != 0) {
        if (errno != EINTR) {
            ::close(m_fd);
            throw std::runtime_error("cannot lock '" + path + "': " + std::strerror(errno));
        }
    }
}

WriterLock::~WriterLock()
{
    if (m_fd >= 0)
        ::close(m_fd); // closing releases the flock
}

} // namespace pw::store
