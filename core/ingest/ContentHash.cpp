// SHA-256 through OpenSSL's EVP API, with the digest fetched once per hasher (fetching per call is slow in 3.x).
#include "core/ingest/ContentHash.h"

#include <openssl/evp.h>

#include <stdexcept>

namespace pw::ingest {

struct ContentHasher::Impl
{
    EVP_MD *md = nullptr;
    EVP_MD_CTX *ctx = nullptr;
};

ContentHasher::ContentHasher()
    : d(new Impl)
{
    d->md = EVP_MD_fetch(nullptr, "SHA256", nullptr);
    d->ctx = EVP_MD_CTX_new();
    if (!d->md || !d->ctx) {
        EVP_MD_free(d->md);
        EVP_MD_CTX_free(d->ctx);
        delete d;
        throw std::runtime_error("OpenSSL: SHA-256 is not available");
    }
}

ContentHasher::~ContentHasher()
{
    EVP_MD_CTX_free(d->ctx);
    EVP_MD_free(d->md);
    delete d;
}

std::string ContentHasher::hex(const void *data, std::size_t size)
{
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    if (!EVP_DigestInit_ex2(d->ctx, d->md, nullptr) || !EVP_DigestUpdate(d->ctx, data, size)
        || !EVP_DigestFinal_ex(d->ctx, digest, &len))
        throw std::runtime_error("OpenSSL: SHA-256 failed");
    static const char digits[] = "0123456789abcdef";
    std::string out(std::size_t(len) * 2, '0');
    for (unsigned i = 0; i < len; ++i) {
        out[2 * i] = digits[digest[i] >> 4];
        out[2 * i + 1] = digits[digest[i] & 15];
    }
    return out;
}

} // namespace pw::ingest
