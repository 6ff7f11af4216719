// SHA-256 content hashes (hex), computed with OpenSSL (SHA-NI where the CPU has it).
#pragma once

#include <cstddef>
#include <string>

namespace pw::ingest {

/** A reusable SHA-256 hasher; one per thread (it holds OpenSSL state). */
class ContentHasher
{
public:
    ContentHasher();
    ~ContentHasher();
    ContentHasher(const ContentHasher &) = delete;
    ContentHasher &operator=(const ContentHasher &) = delete;

    /** The SHA-256 of `data` as 64 lower-case hex digits. */
    std::string hex(const void *data, std::size_t size);

private:
    struct Impl;
    Impl *d;
};

} // namespace pw::ingest
