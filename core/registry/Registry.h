// The model registry (MLflow's Model Registry): registered models, numbered versions copied from
// training runs, stages None | Staging | Production | Archived with an audit trail, and aliases.
#pragma once

#include "core/requests/Choices.h"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace pw::store {
class Database;
class Workspace;
} // namespace pw::store
namespace pw::requests {
class KeyValues;
}

namespace pw::registry {

enum class Stage
{
    None,
    Staging,
    Production,
    Archived
};
/** The stages' names; parsed in any case ("staging" is Staging), printed as listed. */
inline constexpr requests::Choices<Stage, 4> kStages{{{Stage::None, "None"},
                                                      {Stage::Staging, "Staging"},
                                                      {Stage::Production, "Production"},
                                                      {Stage::Archived, "Archived"}},
                                                     /*ignoreCase=*/true};

/** "None", "Staging", "Production", "Archived". */
const char *stageName(Stage stage);
/** A stage by name, case-insensitive; std::nullopt for anything else. */
std::optional<Stage> parseStage(std::string_view name);

struct ModelVersion
{
    std::string name;
    std::int64_t version = 0;
    std::string runId;
    std::string artifact; // the model file: an absolute path under the workspace's artifacts/registry/
    std::vector<std::string> classes; // the model's output order
    int imageSize = 0;
    int channels = 0;
    std::string dataTable;
    std::int64_t dataVersion = 0;
    Stage stage = Stage::None;
    std::string description;
    std::string created; // ISO 8601 UTC
    std::string updated;
    std::vector<std::string> aliases; // sorted
};

/** One entry of a model's audit trail. */
struct Transition
{
    std::string name;
    std::int64_t version = 0;
    std::string from;
    std::string to;
    std::string at; // ISO 8601 UTC
    std::string by; // $USER
    std::string comment;
    /**
     * What a transition to Production checked: "compared: candidate version 3 92.31%, Production version 2 91.80%
     * (table t, catalog version 5)", or "promoted without comparison: REASON". Empty for other transitions.
     */
    std::string gate;
};

/** How a transition treats the versions already in the target stage. */
enum class Existing
{
    Default, // Production: archive the current Production version; Staging: keep the others
    Archive, // archive every other version in the target stage (Staging or Production)
    Keep // keep them; refused for Production when another version is there (at most one Production)
};

struct TransitionRequest
{
    std::string name;
    std::int64_t version = 0;
    Stage to = Stage::None;
    Existing existing = Existing::Default;
    std::string comment;
    std::string by; // empty: $USER
    /**
     * When set: the transition happens only if the model's Production version is still this one (0: none),
     * so a check made before the transition (a promotion gate) still holds when it is written.
     */
    std::optional<std::int64_t> expectProduction;
    /** Recorded with the transition as Transition::gate (promote() in core/registry/Gate.h fills it). */
    std::string gate;
};

/** A registration: a FINISHED run's model as the next version of `name`. */
struct RegisterRequest
{
    std::string run; // a run id or unique prefix
    std::string name;
    std::string description;
};

/** run and name (required), description. Throws requests::RequestError naming the key at fault, an unknown key too. */
RegisterRequest parseRegisterRequest(const requests::KeyValues &values);

/** A promotion: a transition, optionally gated on a table (core/registry/Gate.h). */
struct PromoteRequest
{
    TransitionRequest transition;
    std::string gateTable; // empty: the workspace's registry.gate_table setting, else no gate
    bool noGate = false; // skips the comparison even where the workspace makes it mandatory; needs a reason
    std::string reason; // why the comparison was skipped: recorded in the stage history
};

/**
 * name, version (>= 1), stage (kStages) required; archive_existing and keep_existing (booleans, not both), comment,
 * gate_table, no_gate and reason (only for a promotion to Production; not a gate table and no_gate together; no_gate
 * needs a reason). Throws requests::RequestError naming the key at fault.
 */
PromoteRequest parsePromoteRequest(const requests::KeyValues &values);

/** The user recorded with a transition: $USER, else the login name of the process, else "unknown". */
std::string currentUser();

/**
 * Reads and writes the registry tables of catalog.db over one connection (so: one thread). Every write is
 * one transaction (BEGIN IMMEDIATE): two processes that change stages at the same time are serialised, and
 * a unique index keeps at most one Production version per model whatever they do. Errors are
 * std::runtime_error naming the model, version, stage, alias or run at fault.
 */
class Registry
{
public:
    Registry(const store::Workspace &ws, store::Database &db);

    /**
     * Registers the model of a FINISHED run (a run id or unique prefix) as the next version of `name`
     * (creating the registered model). The run's model file and classes are copied under
     * artifacts/registry/<name>/v<version>/, so the version outlives the run's folder. Stage: None.
     */
    ModelVersion registerRun(const std::string &runIdOrPrefix, const std::string &name,
                             const std::string &description = {});

    /** Registered model names, sorted. */
    std::vector<std::string> models() const;
    /** Versions of `name` (every model when empty), by name then version. Throws for an unknown name. */
    std::vector<ModelVersion> versions(const std::string &name = {}) const;
    /** One version; throws naming the model and version when there is none. */
    ModelVersion version(const std::string &name, std::int64_t version) const;
    /** The version in `stage` (the newest one, for stages that hold several); nullopt when none. */
    std::optional<ModelVersion> inStage(const std::string &name, Stage stage) const;

    /**
     * Resolves a model reference: NAME@Production, NAME@Staging, NAME@Archived, NAME@None (the newest
     * version in that stage), NAME@ALIAS, NAME:VERSION, NAME:latest. Throws naming the model and the stage
     * or alias when nothing matches, and explaining the forms for anything else.
     */
    ModelVersion resolve(const std::string &reference) const;

    /**
     * Moves a version to another stage; returns the transitions recorded (the requested one first, then
     * the versions it archived). A version already in the target stage, an unknown model or version, and
     * Existing::Keep into an occupied Production are refused.
     */
    std::vector<Transition> transition(const TransitionRequest &request);

    /** The audit trail of `name`, oldest first. */
    std::vector<Transition> history(const std::string &name) const;

    /** Points `alias` at a version (moving it when it pointed elsewhere). Stage names and numbers are refused. */
    void setAlias(const std::string &name, const std::string &alias, std::int64_t version);
    /** Removes an alias; throws when it does not exist. */
    void deleteAlias(const std::string &name, const std::string &alias);

    /** Throws naming `name` unless it is a usable model name (letters, digits, '.', '_', '-'; 1 to 100). */
    static void checkName(const std::string &name);

private:
    void requireModel(const std::string &name) const;
    std::vector<ModelVersion> query(const std::string &where, const std::string &name, std::int64_t version) const;

    const store::Workspace &m_ws;
    store::Database &m_db;
};

} // namespace pw::registry
