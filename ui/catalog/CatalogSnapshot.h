// What the catalog page shows, read in one go off the GUI thread.
#pragma once

#include "core/catalog/Catalog.h"

#include <QString>

#include <string>
#include <vector>

namespace pw::ui {

struct TableCounts
{
    std::string name;
    catalog::TableStats stats;
};

struct CatalogSnapshot
{
    QString error; // non-empty when the catalog could not be read
    std::int64_t latestVersion = 0;
    std::vector<TableCounts> tables;
    std::vector<catalog::VersionInfo> history;
    std::vector<catalog::RejectedFile> rejected;
};

/** Reads the snapshot through its own connection: safe to call on any thread. */
CatalogSnapshot loadCatalogSnapshot(const std::string &workspaceRoot);

} // namespace pw::ui
