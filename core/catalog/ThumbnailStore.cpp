// Thumbnail look-ups by content hash.
#include "core/catalog/ThumbnailStore.h"

#include "core/store/Database.h"

namespace pw::catalog {

ThumbnailStore::ThumbnailStore(store::Database &db)
    : m_db(db)
{
}

std::optional<Thumbnail> ThumbnailStore::find(const std::string &contentHash) const
{
    store::Statement st(m_db, "SELECT format, width, height, data FROM thumbnails WHERE content_hash = ?");
    st.bind(1, contentHash);
    if (!st.step())
        return std::nullopt;
    return Thumbnail{st.text(0), st.int32(1), st.int32(2), st.blob(3)};
}

long long ThumbnailStore::count() const
{
    store::Statement st(m_db, "SELECT count(*) FROM thumbnails");
    st.step();
    return st.int64(0);
}

} // namespace pw::catalog
