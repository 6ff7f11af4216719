// The one list of task types, and the checks of a registry. Each type's registration is its own file under
// core/pipeline/tasks/.
#include "core/pipeline/TaskType.h"

#include <QRegularExpression>
#include <QString>

#include <algorithm>
#include <set>

namespace pw::pipeline {

// The registrations, one function per tasks/<Name>Task.cpp.
TaskType ingestTask();
TaskType trainTask();
TaskType evaluateTask();
TaskType registerTask();
TaskType promoteTask();
TaskType scoreTask();
TaskType reviewExportTask();
TaskType labelsMergeTask();
TaskType shellTask();

const std::vector<TaskType> &taskTypes()
{
    // In palette and help order; Databricks import tries the types' substrings in this order too.
    static const std::vector<TaskType> types = {
        ingestTask(), trainTask(),        evaluateTask(),    registerTask(), promoteTask(),
        scoreTask(),  reviewExportTask(), labelsMergeTask(), shellTask(),
    };
    return types;
}

const TaskType *taskType(const std::string &name)
{
    for (const TaskType &t : taskTypes()) {
        if (name == t.name)
            return &t;
    }
    return nullptr;
}

std::string targetTypesText()
{
    std::vector<std::string> names;
    for (const TaskType &t : taskTypes()) {
        if (t.onTarget)
            names.emplace_back(t.name);
    }
    std::string text;
    for (std::size_t i = 0; i < names.size(); ++i)
        text += (i == 0 ? "" : i + 1 == names.size() ? " and " : ", ") + names[i];
    return text.empty() ? std::string("no") : text;
}

namespace {

bool hasParam(const TaskType &t, const char *name)
{
    return name && std::any_of(t.params.begin(), t.params.end(), [&](const ParamSpec &p) {
               return std::string(p.name) == name;
           });
}

bool hasOutput(const TaskType &t, const char *name)
{
    return name
           && std::any_of(t.outputs.begin(), t.outputs.end(), [&](const char *o) { return std::string(o) == name; });
}

const TaskType *find(const std::vector<TaskType> &types, const char *name)
{
    for (const TaskType &t : types) {
        if (name && std::string(t.name) == name)
            return &t;
    }
    return nullptr;
}

// The problems of one type's own fields: how it runs, how it looks, its parameters and outputs.
void checkType(const TaskType &t, std::vector<std::string> &out)
{
    const std::string at = std::string("task type '") + t.name + "': ";
    if (!t.run == !t.command)
        out.push_back(at + (t.run ? "has both a runner and a command" : "has neither a runner nor a command"));
    static const QRegularExpression colour(QStringLiteral(R"(\A#[0-9a-fA-F]{6}\z)"));
    if (!t.colour || !colour.match(QString::fromUtf8(t.colour)).hasMatch())
        out.push_back(at + "colour '" + (t.colour ? t.colour : "") + "' is not #rrggbb");
    if (!t.glyph || !*t.glyph)
        out.push_back(at + "has no glyph");
    if (!t.summary || !*t.summary)
        out.push_back(at + "has no summary");
    std::set<std::string> seen;
    for (const ParamSpec &p : t.params) {
        if (!seen.insert(p.name).second)
            out.push_back(at + "parameter '" + p.name + "' is declared twice");
    }
    seen.clear();
    for (const char *o : t.outputs) {
        if (!seen.insert(o).second)
            out.push_back(at + "output '" + o + "' is declared twice");
    }
}

// The problems of a type's Databricks mapping: every parameter, type and output it names exists.
void checkDatabricks(const std::vector<TaskType> &types, const TaskType &t, std::vector<std::string> &out)
{
    const std::string at = std::string("task type '") + t.name + "': databricks: ";
    const DatabricksMapping &m = t.databricks;
    if (!m.notebook || !*m.notebook)
        out.push_back(at + "no notebook path");
    if (m.fallback && !hasParam(t, "argv"))
        out.push_back(at + "the import fallback takes no argv (import gives it the program to run)");
    for (const NotebookLift &l : m.lifts) {
        if (!hasParam(t, l.param))
            out.push_back(at + "notebook parameter '" + l.notebookParam + "' lifts into no parameter of the type");
    }
    for (const DagWire &w : m.wires) {
        const TaskType *up = find(types, w.upstreamType);
        if (!hasParam(t, w.param))
            out.push_back(at + "wires '" + w.param + "', which is no parameter of the type");
        if (!up)
            out.push_back(at + "wires from '" + w.upstreamType + "', which is no task type");
        else if (!hasOutput(*up, w.output))
            out.push_back(at + "wires from output '" + w.output + "', which a " + up->name + " task does not have");
    }
    for (const ImportDefault &d : m.defaults) {
        if (!hasParam(t, d.param))
            out.push_back(at + "gives a default to '" + d.param + "', which is no parameter of the type");
        if (d.value == ImportDefault::Value::Literal && (!d.literal || !d.why))
            out.push_back(at + "default of '" + d.param + "' has no value or no reason");
    }
}

} // namespace

std::vector<std::string> registryProblems(const std::vector<TaskType> &types)
{
    std::vector<std::string> out;
    std::set<std::string> names, notebooks;
    int fallbacks = 0;
    for (const TaskType &t : types) {
        if (!t.name || !*t.name) {
            out.push_back("a task type has no name");
            continue;
        }
        if (!names.insert(t.name).second)
            out.push_back(std::string("task type '") + t.name + "' is registered twice");
        if (t.databricks.notebook && !notebooks.insert(t.databricks.notebook).second)
            out.push_back(std::string("task type '") + t.name + "': databricks: notebook '" + t.databricks.notebook
                          + "' is another type's too");
        fallbacks += t.databricks.fallback ? 1 : 0;
        checkType(t, out);
        checkDatabricks(types, t, out);
    }
    if (fallbacks != 1)
        out.push_back("exactly one task type must be the Databricks import's fallback, not "
                      + std::to_string(fallbacks));
    return out;
}

} // namespace pw::pipeline
