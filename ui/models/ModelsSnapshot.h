// What the Models page shows, read in one go off the GUI thread: every registered version, each model's
// transition history, and the final val_accuracy of the runs the versions came from.
#pragma once

#include "core/registry/Registry.h"

#include <QString>

#include <map>
#include <string>
#include <vector>

namespace pw::ui {

struct ModelsSnapshot
{
    QString error; // non-empty when the registry could not be read
    std::vector<std::string> models; // names, sorted
    std::vector<registry::ModelVersion> versions; // by name, newest version first
    std::map<std::string, std::vector<registry::Transition>> history; // per model, oldest first
    std::map<std::string, double> runValAccuracy; // by run id, where the run logged val_accuracy
};

/** Reads the snapshot through its own connection: safe to call on any thread. */
ModelsSnapshot loadModelsSnapshot(const std::string &workspaceRoot);

/** What a stage change did: the transitions recorded, or the error. */
struct TransitionOutcome
{
    QString error;
    std::vector<registry::Transition> transitions;
};

/** Moves a version to `to` (Registry::transition, default handling of the versions there); any thread. */
TransitionOutcome transitionVersion(const std::string &workspaceRoot, const std::string &model, std::int64_t version,
                                    registry::Stage to, const std::string &comment);

} // namespace pw::ui
