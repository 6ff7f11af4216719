// The numbered schema migrations of catalog.db and thumbnails.db.
#pragma once

#include "core/store/Database.h"

#include <vector>

namespace pw::store {

const std::vector<Migration> &catalogMigrations();
const std::vector<Migration> &thumbnailMigrations();

} // namespace pw::store
