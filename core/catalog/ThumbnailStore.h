// Read access to thumbnails.db: the small images the GUI shows for catalog rows.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace pw::store {
class Database;
}

namespace pw::catalog {

struct Thumbnail
{
    std::string format; // png or jpeg
    int width = 0;
    int height = 0;
    std::vector<unsigned char> data; // the encoded image
};

/**
 * Looks thumbnails up by content hash over one connection to thumbnails.db (so: one thread).
 * Images whose longest side is <= 256 px and that are PNG or JPEG have no entry: the image file is
 * its own thumbnail (ingest keeps tiny images as they are instead of copying them).
 */
class ThumbnailStore
{
public:
    explicit ThumbnailStore(store::Database &db);
    std::optional<Thumbnail> find(const std::string &contentHash) const;
    long long count() const;

private:
    store::Database &m_db;
};

} // namespace pw::catalog
