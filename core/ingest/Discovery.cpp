// Directory walk with openat/fstatat: one stat per entry, loop-safe across directory symlinks.
#include "core/ingest/Discovery.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <set>
#include <stdexcept>
#include <utility>

#include <dirent.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <sys/stat.h>
#include <unistd.h>

namespace pw::ingest {

bool hasImageExtension(const std::string &name)
{
    const auto dot = name.rfind('.');
    if (dot == std::string::npos)
        return false;
    std::string ext = name.substr(dot + 1);
    if (ext.size() > 4)
        return false;
    for (char &c : ext)
        c = static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
    return ext == "png" || ext == "jpg" || ext == "jpeg" || ext == "bmp" || ext == "tif" || ext == "tiff"
           || ext == "webp";
}

namespace {

struct Walker
{
    explicit Walker(const std::optional<std::string> &g)
        : glob(g)
    {
    }
    const std::optional<std::string> &glob;
    bool globOnPath = false;
    std::set<std::pair<dev_t, ino_t>> visited;
    DiscoveryResult result;
    std::string root;

    bool matches(const std::string &name, const std::string &relative) const
    {
        if (!glob)
            return hasImageExtension(name);
        return fnmatch(glob->c_str(), (globOnPath ? relative : name).c_str(), 0) == 0;
    }

    void walk(int dirFd, const std::string &relDir)
    {
        DIR *dir = fdopendir(dirFd);
        if (!dir) {
            result.warnings.push_back("cannot read folder '" + root + "/" + relDir + "': " + std::strerror(errno));
            ::close(dirFd);
            return;
        }
        std::vector<std::string> subdirs;
        while (dirent *e = readdir(dir)) {
            const std::string name = e->d_name;
            if (name.empty() || name[0] == '.')
                continue; // ".", "..", and hidden files (as Auto Loader skips them)
            const std::string rel = relDir.empty() ? name : relDir + "/" + name;
            bool isDir = e->d_type == DT_DIR;
            bool isFile = e->d_type == DT_REG;
            if (e->d_type == DT_LNK || e->d_type == DT_UNKNOWN) {
                // Follow symlinks: a link to a folder is walked (once), a link to a file is a file.
                struct stat st
                {
                };
                if (fstatat(dirfd(dir), name.c_str(), &st, 0) == 0) {
                    isDir = S_ISDIR(st.st_mode);
                    isFile = S_ISREG(st.st_mode);
                } else if (matches(name, rel)) {
                    result.files.push_back({root + "/" + rel, rel, std::strerror(errno)});
                    continue;
                }
            }
            if (isDir)
                subdirs.push_back(name);
            else if (isFile && matches(name, rel))
                result.files.push_back({root + "/" + rel, rel, {}});
        }
        for (const std::string &name : subdirs) {
            const std::string rel = relDir.empty() ? name : relDir + "/" + name;
            const int fd = openat(dirfd(dir), name.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
            if (fd < 0) {
                result.warnings.push_back("cannot open folder '" + root + "/" + rel + "': " + std::strerror(errno));
                continue;
            }
            struct stat st
            {
            };
            if (fstat(fd, &st) != 0 || !visited.insert({st.st_dev, st.st_ino}).second) {
                result.warnings.push_back("skipped '" + root + "/" + rel
                                          + "': folder already visited (symlink loop or alias)");
                ::close(fd);
                continue;
            }
            walk(fd, rel);
        }
        closedir(dir);
    }
};

} // namespace

DiscoveryResult discoverFiles(const std::string &sourceDir, const std::optional<std::string> &glob)
{
    char *real = realpath(sourceDir.c_str(), nullptr);
    if (!real)
        throw std::runtime_error("source folder '" + sourceDir + "': " + std::strerror(errno));
    Walker w(glob);
    w.root = real;
    std::free(real);
    w.globOnPath = glob && glob->find('/') != std::string::npos;
    const int fd = ::open(w.root.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        throw std::runtime_error("source '" + sourceDir + "' is not a readable folder: " + std::strerror(errno));
    struct stat st
    {
    };
    fstat(fd, &st);
    w.visited.insert({st.st_dev, st.st_ino});
    w.walk(fd, "");
    std::sort(w.result.files.begin(), w.result.files.end(),
              [](const DiscoveredFile &a, const DiscoveredFile &b) { return a.relative < b.relative; });
    return std::move(w.result);
}

} // namespace pw::ingest
