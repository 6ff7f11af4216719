// Workspace settings in catalog.db's workspace_settings table (see Settings.h).
#include "core/store/Settings.h"

#include "core/store/Database.h"

#include <QDateTime>

#include <stdexcept>

namespace pw::store {

const std::vector<SettingInfo> &knownSettings()
{
    static const std::vector<SettingInfo> known = {
        {kGateTableSetting,
         "a table of labeled images: every transition to Production (CLI, pipelines, workbench) first compares the "
         "candidate with the Production version on it and is refused when the candidate is less accurate; "
         "`models transition --no-gate --reason TEXT` overrides, and the reason is recorded"},
    };
    return known;
}

void checkSettingKey(const std::string &key)
{
    std::string names;
    for (const SettingInfo &s : knownSettings()) {
        if (key == s.key)
            return;
        names += (names.empty() ? "" : ", ") + std::string(s.key);
    }
    throw std::runtime_error("unknown setting '" + key + "' (known: " + names + ")");
}

std::optional<std::string> setting(Database &db, const std::string &key)
{
    Statement st(db, "SELECT value FROM workspace_settings WHERE key = ?");
    st.bind(1, key);
    if (!st.step())
        return std::nullopt;
    return st.text(0);
}

void setSetting(Database &db, const std::string &key, const std::string &value)
{
    checkSettingKey(key);
    if (value.empty())
        throw std::runtime_error("setting '" + key + "': empty value (`config unset " + key + "` removes it)");
    Statement st(db, "INSERT INTO workspace_settings(key, value, updated) VALUES (?, ?, ?) "
                     "ON CONFLICT(key) DO UPDATE SET value = excluded.value, updated = excluded.updated");
    st.bind(1, key).bind(2, value).bind(3, QDateTime::currentDateTimeUtc().toString(Qt::ISODateWithMs).toStdString());
    st.exec();
}

bool unsetSetting(Database &db, const std::string &key)
{
    checkSettingKey(key);
    Statement st(db, "DELETE FROM workspace_settings WHERE key = ?");
    st.bind(1, key);
    st.exec();
    return db.changes() > 0;
}

std::vector<SettingValue> settings(Database &db)
{
    std::vector<SettingValue> out;
    Statement st(db, "SELECT key, value, updated FROM workspace_settings ORDER BY key");
    while (st.step())
        out.push_back({st.text(0), st.text(1), st.text(2)});
    return out;
}

} // namespace pw::store
