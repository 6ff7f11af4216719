// Workspace settings (`pipewright config get|set|unset|list`): named values kept in catalog.db, so that every
// process working on the workspace (the CLI, the workbench, a scheduler) follows them.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace pw::store {

class Database;

/** A setting Pipewright knows: its key and what it does. */
struct SettingInfo
{
    const char *key;
    const char *help;
};

/** The gate table of the registry: when set, every transition to Production is compared on this table first. */
inline constexpr const char *kGateTableSetting = "registry.gate_table";

/** The settings Pipewright knows, in the order `config list` shows them. */
const std::vector<SettingInfo> &knownSettings();

/** Throws naming `key` and the known keys unless it is one of knownSettings(). */
void checkSettingKey(const std::string &key);

/** A setting's value; nullopt when it is not set. */
std::optional<std::string> setting(Database &db, const std::string &key);
/** Sets a known setting (checkSettingKey) to a non-empty value. */
void setSetting(Database &db, const std::string &key, const std::string &value);
/** Removes a setting; false when it was not set. */
bool unsetSetting(Database &db, const std::string &key);

struct SettingValue
{
    std::string key;
    std::string value;
    std::string updated; // ISO 8601 UTC
};
/** The settings that are set, by key. */
std::vector<SettingValue> settings(Database &db);

} // namespace pw::store
