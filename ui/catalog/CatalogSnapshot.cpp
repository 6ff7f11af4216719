// Loads the catalog page's data through the core API (never SQL here).
#include "ui/catalog/CatalogSnapshot.h"

#include "core/store/Database.h"
#include "core/store/Workspace.h"

namespace pw::ui {

CatalogSnapshot loadCatalogSnapshot(const std::string &workspaceRoot)
{
    CatalogSnapshot s;
    try {
        const auto ws = store::Workspace::open(workspaceRoot);
        auto db = ws.openCatalog();
        catalog::Catalog cat(*db);
        s.latestVersion = cat.latestVersion();
        for (const std::string &t : cat.tables())
            s.tables.push_back({t, cat.stats(t, s.latestVersion)});
        s.history = cat.history();
        s.rejected = cat.rejected({}, s.latestVersion);
    } catch (const std::exception &e) {
        s.error = QString::fromStdString(e.what());
    }
    return s;
}

} // namespace pw::ui
