// The model registry over catalog.db: versions, stages, the audit trail and aliases.
#include "core/registry/Registry.h"

#include "core/catalog/Catalog.h"
#include "core/store/Database.h"
#include "core/store/Workspace.h"
#include "core/track/Tracker.h"

#include <QJsonArray>
#include <QJsonDocument>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include <pwd.h>
#include <unistd.h>

namespace pw::registry {

namespace fs = std::filesystem;

namespace {

std::string quoted(const std::string &s)
{
    return "'" + s + "'";
}

std::optional<std::int64_t> wholeNumber(std::string_view s)
{
    std::int64_t v = 0;
    const auto [end, err] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (err != std::errc() || end != s.data() + s.size() || s.empty())
        return std::nullopt;
    return v;
}

std::string classesJson(const std::vector<std::string> &classes)
{
    QJsonArray a;
    for (const auto &c : classes)
        a.append(QString::fromStdString(c));
    return QJsonDocument(a).toJson(QJsonDocument::Compact).toStdString();
}

std::vector<std::string> classesFromJson(const std::string &json)
{
    std::vector<std::string> classes;
    for (const QJsonValue &v : QJsonDocument::fromJson(QByteArray::fromStdString(json)).array())
        classes.push_back(v.toString().toStdString());
    return classes;
}

std::vector<std::string> readClasses(const std::string &path)
{
    std::ifstream in(path);
    if (!in)
        throw std::runtime_error("cannot read '" + path + "'");
    std::vector<std::string> classes;
    for (std::string line; std::getline(in, line);) {
        if (!line.empty() && line.back() == '\r')
            line.pop_back();
        if (!line.empty())
            classes.push_back(line);
    }
    return classes;
}

void checkAlias(const std::string &alias)
{
    if (alias.empty() || alias.size() > 100)
        throw std::runtime_error("alias " + quoted(alias) + ": must be 1 to 100 characters");
    for (const char c : alias) {
        if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-'))
            throw std::runtime_error("alias " + quoted(alias) + ": only letters, digits, '_' and '-' are allowed");
    }
    if (parseStage(alias))
        throw std::runtime_error("alias " + quoted(alias) + " is a stage name; NAME@" + alias + " means the stage");
    if (alias == "latest" || wholeNumber(alias))
        throw std::runtime_error("alias " + quoted(alias) + ": a number or 'latest' would read as a version");
}

} // namespace

const char *stageName(Stage stage)
{
    return kStages.name(stage);
}

std::optional<Stage> parseStage(std::string_view name)
{
    return kStages.parse(name);
}

std::string currentUser()
{
    if (const char *u = std::getenv("USER"); u && *u)
        return u;
    if (const passwd *pw = ::getpwuid(::getuid()); pw && pw->pw_name)
        return pw->pw_name;
    return "unknown";
}

Registry::Registry(const store::Workspace &ws, store::Database &db)
    : m_ws(ws)
    , m_db(db)
{
}

void Registry::checkName(const std::string &name)
{
    if (name.empty() || name.size() > 100)
        throw std::runtime_error("model name " + quoted(name) + ": must be 1 to 100 characters");
    for (std::size_t i = 0; i < name.size(); ++i) {
        const char c = name[i];
        const bool ok = std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || (c == '.' && i > 0);
        if (!ok)
            throw std::runtime_error("model name " + quoted(name)
                                     + ": only letters, digits, '.', '_' and '-' are allowed (it names a folder, "
                                       "and '@' and ':' separate a stage, alias or version)");
    }
}

void Registry::requireModel(const std::string &name) const
{
    store::Statement st(m_db, "SELECT 1 FROM registered_models WHERE name = ?1");
    st.bind(1, name);
    if (st.step())
        return;
    const auto known = models();
    std::string list;
    for (const auto &m : known)
        list += (list.empty() ? "" : ", ") + m;
    throw std::runtime_error("no registered model named " + quoted(name)
                             + (known.empty() ? std::string(" (the registry is empty)") : " (models: " + list + ")"));
}

std::vector<std::string> Registry::models() const
{
    std::vector<std::string> names;
    store::Statement st(m_db, "SELECT name FROM registered_models ORDER BY name");
    while (st.step())
        names.push_back(st.text(0));
    return names;
}

std::vector<ModelVersion> Registry::query(const std::string &where, const std::string &name, std::int64_t version) const
{
    store::Statement st(m_db, "SELECT name, version, coalesce(run_id, ''), artifact, classes, image_size, channels, "
                              "coalesce(data_table, ''), coalesce(data_version, 0), stage, description, created, "
                              "updated, (SELECT group_concat(alias, char(10)) FROM (SELECT alias FROM model_aliases a "
                              "WHERE a.name = v.name AND a.version = v.version ORDER BY alias)) "
                              "FROM model_versions v WHERE "
                                  + where + " ORDER BY name, version");
    if (where.find("?1") != std::string::npos)
        st.bind(1, name);
    if (where.find("?2") != std::string::npos)
        st.bind(2, version);
    std::vector<ModelVersion> out;
    while (st.step()) {
        ModelVersion v;
        v.name = st.text(0);
        v.version = st.int64(1);
        v.runId = st.text(2);
        v.artifact = m_ws.artifactsDir() + "/" + st.text(3);
        v.classes = classesFromJson(st.text(4));
        v.imageSize = st.int32(5);
        v.channels = st.int32(6);
        v.dataTable = st.text(7);
        v.dataVersion = st.int64(8);
        v.stage = parseStage(st.text(9)).value_or(Stage::None);
        v.description = st.text(10);
        v.created = st.text(11);
        v.updated = st.text(12);
        std::stringstream aliases(st.optText(13).value_or(""));
        for (std::string a; std::getline(aliases, a);)
            v.aliases.push_back(a);
        out.push_back(std::move(v));
    }
    return out;
}

std::vector<ModelVersion> Registry::versions(const std::string &name) const
{
    if (name.empty())
        return query("1", {}, 0);
    requireModel(name);
    return query("name = ?1", name, 0);
}

ModelVersion Registry::version(const std::string &name, std::int64_t version) const
{
    requireModel(name);
    auto v = query("name = ?1 AND version = ?2", name, version);
    if (v.empty()) {
        store::Statement st(m_db, "SELECT max(version) FROM model_versions WHERE name = ?1");
        st.bind(1, name);
        const std::int64_t last = st.step() && !st.isNull(0) ? st.int64(0) : 0;
        throw std::runtime_error("model " + quoted(name) + " has no version " + std::to_string(version)
                                 + (last ? " (versions 1 to " + std::to_string(last) + ")" : " (no versions yet)"));
    }
    return v.front();
}

std::optional<ModelVersion> Registry::inStage(const std::string &name, Stage stage) const
{
    store::Statement st(m_db, "SELECT max(version) FROM model_versions WHERE name = ?1 AND stage = ?2");
    st.bind(1, name).bind(2, stageName(stage));
    if (!st.step() || st.isNull(0))
        return std::nullopt;
    return version(name, st.int64(0));
}

ModelVersion Registry::resolve(const std::string &reference) const
{
    const auto at = reference.find('@');
    const auto colon = reference.find(':');
    const std::string forms = "use NAME@Production, NAME@Staging, NAME@ALIAS, NAME:VERSION or NAME:latest";
    if (at != std::string::npos && colon == std::string::npos) {
        const std::string name = reference.substr(0, at);
        const std::string what = reference.substr(at + 1);
        requireModel(name);
        if (const auto stage = parseStage(what)) {
            if (auto v = inStage(name, *stage))
                return *v;
            // Say what there is and how to get a version into the stage.
            std::string listing;
            const auto all = versions(name);
            for (std::size_t i = 0; i < all.size() && i < 10; ++i) { // newest first
                const ModelVersion &v = all[all.size() - 1 - i];
                listing += (i ? ", " : "") + std::string("v") + std::to_string(v.version) + " (" + stageName(v.stage)
                           + ")";
            }
            if (all.size() > 10)
                listing += ", and " + std::to_string(all.size() - 10) + " older";
            const std::int64_t newest = all.empty() ? 1 : all.back().version;
            throw std::runtime_error(
                "model " + quoted(name) + " has no version in stage " + stageName(*stage)
                + (all.empty() ? std::string(" (it has no versions)") : "; its versions: " + listing)
                + "; promote one with `pipewright models transition " + name + " " + std::to_string(newest) + " "
                + stageName(*stage) + "`");
        }
        store::Statement st(m_db, "SELECT version FROM model_aliases WHERE name = ?1 AND alias = ?2");
        st.bind(1, name).bind(2, what);
        if (!st.step())
            throw std::runtime_error("model " + quoted(name) + " has no alias " + quoted(what) + " (and " + quoted(what)
                                     + " is not a stage: None, Staging, Production, Archived)");
        return version(name, st.int64(0));
    }
    if (colon != std::string::npos && at == std::string::npos) {
        const std::string name = reference.substr(0, colon);
        const std::string what = reference.substr(colon + 1);
        requireModel(name);
        if (what == "latest") {
            store::Statement st(m_db, "SELECT max(version) FROM model_versions WHERE name = ?1");
            st.bind(1, name);
            if (!st.step() || st.isNull(0))
                throw std::runtime_error("model " + quoted(name) + " has no versions yet");
            return version(name, st.int64(0));
        }
        const auto n = wholeNumber(what);
        if (!n || *n < 1)
            throw std::runtime_error("model reference " + quoted(reference) + ": " + quoted(what)
                                     + " is not a version number; " + forms);
        return version(name, *n);
    }
    throw std::runtime_error("model reference " + quoted(reference) + ": " + forms);
}

ModelVersion Registry::registerRun(const std::string &runIdOrPrefix, const std::string &name,
                                   const std::string &description)
{
    checkName(name);
    track::Tracker tracker(m_db);
    const track::RunInfo run = tracker.run(runIdOrPrefix);
    if (run.status != "FINISHED")
        throw std::runtime_error("run " + run.runId + " is " + run.status
                                 + ": only a FINISHED run's model can be registered");
    const std::string runDir = m_ws.artifactsDir() + "/" + run.runId;
    const std::string model = runDir + "/model.pt";
    std::error_code ec;
    if (!fs::is_regular_file(model, ec))
        throw std::runtime_error("run " + run.runId + " has no model file ('" + model + "')");
    const auto classes = readClasses(runDir + "/classes.txt");
    if (classes.size() < 2)
        throw std::runtime_error("run " + run.runId + ": '" + runDir + "/classes.txt' lists fewer than two classes");
    const auto params = tracker.params(run.runId);
    auto param = [&](const char *key) {
        const auto it = params.find(key);
        const auto v = it == params.end() ? std::nullopt : wholeNumber(it->second);
        if (!v)
            throw std::runtime_error("run " + run.runId + " lacks the param '" + std::string(key) + "'");
        return int(*v);
    };
    const int imageSize = param("image_size");
    const int channels = param("channels");

    // Copy the files first (under a temporary name), then number the version in one transaction.
    const std::string registryDir = m_ws.artifactsDir() + "/registry/" + name;
    fs::create_directories(registryDir, ec);
    if (ec)
        throw std::runtime_error("cannot create folder '" + registryDir + "': " + ec.message());
    const std::string tmp = registryDir + "/.incoming-" + std::to_string(::getpid()) + "-" + run.runId;
    fs::remove_all(tmp, ec);
    fs::create_directories(tmp, ec);
    struct Cleanup
    {
        std::string path;
        ~Cleanup()
        {
            std::error_code e;
            if (!path.empty())
                fs::remove_all(path, e);
        }
    } cleanup{tmp};
    for (const char *file : {"model.pt", "classes.txt"}) {
        fs::copy_file(runDir + "/" + file, tmp + "/" + file, ec);
        if (ec)
            throw std::runtime_error("cannot copy '" + runDir + "/" + file + "' to '" + tmp + "': " + ec.message());
    }

    const std::string now = catalog::nowIso();
    store::Transaction tx(m_db);
    {
        store::Statement st(m_db, "INSERT INTO registered_models (name, created, updated) VALUES (?1, ?2, ?2) "
                                  "ON CONFLICT(name) DO UPDATE SET updated = excluded.updated");
        st.bind(1, name).bind(2, now);
        st.exec();
    }
    std::int64_t number = 1;
    {
        store::Statement st(m_db, "SELECT coalesce(max(version), 0) + 1 FROM model_versions WHERE name = ?1");
        st.bind(1, name);
        if (st.step())
            number = st.int64(0);
    }
    const std::string relative = "registry/" + name + "/v" + std::to_string(number) + "/model.pt";
    const std::string finalDir = registryDir + "/v" + std::to_string(number);
    {
        store::Statement st(m_db, "INSERT INTO model_versions (name, version, run_id, artifact, classes, image_size, "
                                  "channels, data_table, data_version, description, created, updated) "
                                  "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?11)");
        st.bind(1, name).bind(2, number).bind(3, run.runId).bind(4, relative).bind(5, classesJson(classes));
        st.bind(6, imageSize).bind(7, channels).bind(8, run.table).bind(9, run.dataVersion).bind(10, description);
        st.bind(11, now);
        st.exec();
    }
    // A folder left by a registration that crashed after its rename but before its commit: replaced.
    fs::remove_all(finalDir, ec);
    if (::rename(tmp.c_str(), finalDir.c_str()) != 0)
        throw std::runtime_error("cannot move '" + tmp + "' to '" + finalDir + "'");
    cleanup.path.clear();
    try {
        tx.commit();
    } catch (...) {
        fs::remove_all(finalDir, ec);
        throw;
    }
    return version(name, number);
}

std::vector<Transition> Registry::transition(const TransitionRequest &r)
{
    const std::string by = r.by.empty() ? currentUser() : r.by;
    store::Transaction tx(m_db); // BEGIN IMMEDIATE: the reads below see the state the writes change
    const ModelVersion v = version(r.name, r.version);
    const std::string target = stageName(r.to);
    const std::string label = "version " + std::to_string(r.version) + " of model " + quoted(r.name);
    if (v.stage == r.to)
        throw std::runtime_error(label + " is already in " + target);
    if (r.existing != Existing::Default && r.to != Stage::Staging && r.to != Stage::Production)
        throw std::runtime_error(
            "archiving or keeping the existing versions applies to Staging and Production only, not " + target);
    const auto current = inStage(r.name, Stage::Production);
    if (r.expectProduction) {
        const std::int64_t now = current ? current->version : 0;
        if (now != *r.expectProduction)
            throw std::runtime_error(
                "the Production version of model " + quoted(r.name) + " changed ("
                + (*r.expectProduction ? "was version " + std::to_string(*r.expectProduction) : std::string("was none"))
                + ", now " + (now ? "version " + std::to_string(now) : std::string("none"))
                + ") while the promotion was checked; run it again");
    }
    std::vector<std::int64_t> toArchive;
    if (r.to == Stage::Production) {
        if (current && r.existing == Existing::Keep)
            throw std::runtime_error("version " + std::to_string(current->version) + " of model " + quoted(r.name)
                                     + " is in Production and at most one version can be: drop --keep-existing to "
                                       "archive it, or move it out of Production first");
        if (current)
            toArchive.push_back(current->version);
        if (r.existing == Existing::Archive) {
            store::Statement st(m_db, "SELECT version FROM model_versions WHERE name = ?1 AND stage = 'Production' "
                                      "AND version <> ?2");
            st.bind(1, r.name).bind(2, r.version);
            toArchive.clear();
            while (st.step())
                toArchive.push_back(st.int64(0));
        }
    } else if (r.to == Stage::Staging && r.existing == Existing::Archive) {
        store::Statement st(m_db, "SELECT version FROM model_versions WHERE name = ?1 AND stage = 'Staging' "
                                  "AND version <> ?2 ORDER BY version");
        st.bind(1, r.name).bind(2, r.version);
        while (st.step())
            toArchive.push_back(st.int64(0));
    }

    const std::string now = catalog::nowIso();
    std::vector<Transition> recorded;
    store::Statement move(m_db, "UPDATE model_versions SET stage = ?3, updated = ?4 WHERE name = ?1 AND version = ?2");
    store::Statement log(m_db, "INSERT INTO stage_transitions (name, version, from_stage, to_stage, at, by, comment, "
                               "gate) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)");
    auto record = [&](std::int64_t version, const std::string &from, const std::string &to, const std::string &comment,
                      const std::string &gate) {
        move.bind(1, r.name).bind(2, version).bind(3, to).bind(4, now);
        move.exec();
        log.bind(1, r.name).bind(2, version).bind(3, from).bind(4, to).bind(5, now).bind(6, by).bind(7, comment);
        log.bind(8, gate);
        log.exec();
        recorded.push_back({r.name, version, from, to, now, by, comment, gate});
    };
    // The archived versions move first, so the unique Production index never sees two.
    std::vector<Transition> archived;
    for (const std::int64_t old : toArchive) {
        const ModelVersion o = version(r.name, old);
        record(old, stageName(o.stage), "Archived",
               "archived by the transition of version " + std::to_string(r.version) + " to " + target, {});
    }
    archived.swap(recorded);
    record(r.version, stageName(v.stage), target, r.comment, r.gate);
    recorded.insert(recorded.end(), archived.begin(), archived.end());
    {
        store::Statement st(m_db, "UPDATE registered_models SET updated = ?2 WHERE name = ?1");
        st.bind(1, r.name).bind(2, now);
        st.exec();
    }
    tx.commit();
    return recorded;
}

std::vector<Transition> Registry::history(const std::string &name) const
{
    requireModel(name);
    std::vector<Transition> out;
    store::Statement st(m_db, "SELECT name, version, from_stage, to_stage, at, by, comment, gate "
                              "FROM stage_transitions WHERE name = ?1 ORDER BY id");
    st.bind(1, name);
    while (st.step())
        out.push_back(
            {st.text(0), st.int64(1), st.text(2), st.text(3), st.text(4), st.text(5), st.text(6), st.text(7)});
    return out;
}

void Registry::setAlias(const std::string &name, const std::string &alias, std::int64_t version)
{
    checkAlias(alias);
    store::Transaction tx(m_db);
    this->version(name, version); // throws for an unknown model or version
    store::Statement st(m_db, "INSERT INTO model_aliases (name, alias, version, updated) VALUES (?1, ?2, ?3, ?4) "
                              "ON CONFLICT(name, alias) DO UPDATE SET version = excluded.version, "
                              "updated = excluded.updated");
    st.bind(1, name).bind(2, alias).bind(3, version).bind(4, catalog::nowIso());
    st.exec();
    tx.commit();
}

void Registry::deleteAlias(const std::string &name, const std::string &alias)
{
    store::Transaction tx(m_db);
    requireModel(name);
    store::Statement st(m_db, "DELETE FROM model_aliases WHERE name = ?1 AND alias = ?2");
    st.bind(1, name).bind(2, alias);
    st.exec();
    if (m_db.changes() == 0)
        throw std::runtime_error("model " + quoted(name) + " has no alias " + quoted(alias));
    tx.commit();
}

} // namespace pw::registry
