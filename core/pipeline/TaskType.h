// The task-type registry: a task type is one registration, in one file under core/pipeline/tasks/, holding
// everything about it: its parameters, how it runs, its outputs, whether it may run on a compute target, how the
// DAG editor draws it and how it maps to and from Databricks. Validation, the executor, `pipeline run-task`, the
// CLI's help, the editor (palette, nodes, forms) and Databricks import/export all ask the registry; none of them
// switches on a type name. Adding a type: a tasks/<Name>Task.cpp and its line in TaskTypes.cpp's list.
#pragma once

#include <QJsonObject>

#include <atomic>
#include <iosfwd>
#include <string>
#include <utility>
#include <vector>

namespace pw::store {
class Workspace;
} // namespace pw::store

namespace pw::pipeline {

class TaskAttempt;
class TaskParams;

/** A parameter of a task type. */
struct ParamSpec
{
    const char *name;
    const char *kind; // string | integer | number | boolean | string-list | object | choice:a|b|c
    bool required;
    const char *help;
    /** What an editor may offer for a string: "tables", "experiments", "models", "model-names"; null: none. */
    const char *suggest = nullptr;
};

/** What a runner works with: the workspace, where it runs, the attempt it is, and where it reports. */
struct TaskContext
{
    const store::Workspace &workspace;
    std::string target; // "local" or a compute target of the workspace (a type with onTarget only)
    const TaskAttempt &attempt;
    const std::atomic<bool> *cancel; // may be null
    std::ostream &log; // progress for the attempt's log
};

/**
 * Runs one task in the calling process (the executor starts `pipewright pipeline run-task TYPE` for it) and
 * returns its outputs; throws std::exception with a message for a person when the task fails.
 */
using TaskRunner = QJsonObject (*)(const TaskContext &context, const TaskParams &params);

/** A program the executor runs itself, as the task's process. */
struct TaskCommand
{
    std::vector<std::string> argv;
    std::string cwd; // empty: the executor's
    std::vector<std::pair<std::string, std::string>> env; // added to the attempt's environment
};
/** The program of a task from its parameters (after substitution). */
using CommandBuilder = TaskCommand (*)(const QJsonObject &params);

/** A Databricks notebook parameter import lifts into a pipeline parameter, and the task parameter using it. */
struct NotebookLift
{
    const char *notebookParam; // e.g. "image_path"
    const char *param; // the task's parameter that refers to it
    const char *format = "{}"; // what the parameter holds, {} standing for the reference
    bool namesModel = false; // its last part names the registered model when the job names none
    bool localFolder = false; // it must be a local folder (a Databricks storage path gets a note)
};

/** A parameter import wires from the DAG: an output of the nearest upstream task of another type. */
struct DagWire
{
    const char *param;
    const char *upstreamType;
    const char *output;
    const char *why; // for the import note
};

/** A parameter import gives a default (as a pipeline parameter) when the job gives it no value. */
struct ImportDefault
{
    enum class Value
    {
        Literal,
        ModelName
    };
    const char *param; // the task's parameter
    const char *pipelineParam; // the pipeline parameter holding the default
    Value value;
    const char *literal; // Value::Literal: the default; "{task_key}" stands for the task's key
    const char *why; // Value::Literal: where the default comes from, for the note
    const char *format = "{}"; // what the task parameter holds, {} standing for the reference
    bool perTask = false; // a pipeline parameter of that name is not shared: PARAM_TASKKEY is made
};

/** How a type maps to and from a Databricks job (see Databricks.h for the whole import and export). */
struct DatabricksMapping
{
    const char *notebook = nullptr; // export writes this notebook_path; import maps it back exactly
    std::vector<const char *> substrings = {}; // import: a notebook name holding one (ignoring case) maps here
    std::vector<NotebookLift> lifts = {};
    std::vector<DagWire> wires = {};
    std::vector<ImportDefault> defaults = {}; // in the order they are filled
    bool fallback = false; // import: a task no mapping matches becomes this type
};

/** A task type: what it takes, how it runs, what it outputs (referable as {{tasks.KEY.OUTPUT}}), how it looks. */
struct TaskType
{
    const char *name;
    const char *summary;
    std::vector<ParamSpec> params;
    std::vector<const char *> outputs; // with anyOutput, the outputs every task of the type has
    bool anyOutput = false; // a task of the type may output more (NAME=VALUE lines of its own)
    TaskRunner run = nullptr; // run by `pipewright pipeline run-task`, or
    CommandBuilder command = nullptr; // a program the executor runs itself
    bool onTarget = false; // may run on a compute target (else where the catalog is: local)
    const char *colour = nullptr; // "#rrggbb", readable on light and dark backgrounds alike
    const char *glyph = nullptr; // a short text the editor draws on the colour
    DatabricksMapping databricks = {};
};

/** The registered task types, in palette and help order. */
const std::vector<TaskType> &taskTypes();
/** The registered type `name`, or nullptr. */
const TaskType *taskType(const std::string &name);
/** The names of the registered types that may run on a compute target, as prose ("train and score"). */
std::string targetTypesText();

/**
 * What is wrong with `types` as a registry, one line each naming the type: a name used twice, neither or both of
 * a runner and a command, a colour that is not "#rrggbb", no glyph, a parameter or output named twice, a
 * Databricks mapping naming a parameter, type or output that does not exist. Empty for taskTypes().
 */
std::vector<std::string> registryProblems(const std::vector<TaskType> &types);

} // namespace pw::pipeline
