// Finds and loads libpipewright-imaging.so: $PIPEWRIGHT_IMAGING_MODULE, next to the executable
// (the build tree), or ../lib/pipewright/ or ../lib/<multiarch>/pipewright/ beside it (an installed package).
#include "core/imaging/ImagingModule.h"

#include <dlfcn.h>
#include <unistd.h>

#include <cstdlib>
#include <mutex>
#include <stdexcept>
#include <string>
#include <vector>

namespace pw::imaging {

namespace {

constexpr const char *kFileName = "libpipewright-imaging.so";

std::string executableDir()
{
    char buf[4096];
    const ssize_t n = readlink("/proc/self/exe", buf, sizeof buf - 1);
    if (n <= 0)
        return ".";
    std::string path(buf, std::size_t(n));
    return path.substr(0, path.rfind('/'));
}

const ModuleApi *load()
{
    std::vector<std::string> candidates;
    if (const char *env = std::getenv("PIPEWRIGHT_IMAGING_MODULE"); env && *env)
        candidates.emplace_back(env);
    const std::string dir = executableDir();
    candidates.push_back(dir + "/" + kFileName);
    candidates.push_back(dir + "/../lib/pipewright/" + kFileName);
#ifdef PIPEWRIGHT_LIBRARY_ARCHITECTURE
    // The Debian package: /usr/lib/<multiarch triplet>/pipewright.
    candidates.push_back(dir + "/../lib/" PIPEWRIGHT_LIBRARY_ARCHITECTURE "/pipewright/" + kFileName);
#endif
    std::string tried;
    for (const std::string &path : candidates) {
        if (access(path.c_str(), F_OK) != 0) {
            tried += "\n  " + path + ": not found";
            continue;
        }
        void *handle = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
        if (!handle) {
            tried += "\n  " + path + ": " + dlerror();
            continue;
        }
        using Entry = const ModuleApi *(*)();
        auto entry = reinterpret_cast<Entry>(dlsym(handle, "pipewright_imaging_module"));
        const ModuleApi *api = entry ? entry() : nullptr;
        if (!api || api->abiVersion != kModuleAbiVersion) {
            tried += "\n  " + path + ": not a matching Pipewright imaging module";
            continue;
        }
        api->configure();
        return api;
    }
    throw std::runtime_error(std::string("cannot load the image codec module ") + kFileName + "; looked at:" + tried);
}

} // namespace

const ModuleApi &module()
{
    static std::once_flag once;
    static const ModuleApi *api = nullptr;
    static std::string error;
    std::call_once(once, [] {
        try {
            api = load();
        } catch (const std::exception &e) {
            error = e.what();
        }
    });
    if (!api)
        throw std::runtime_error(error);
    return *api;
}

} // namespace pw::imaging
