// Undo commands of the DAG editor, one per verb. Each calls the PipelineModel's API in redo()/undo() and
// restores the pipeline exactly (its JSON compares equal after undo). The model is observed by the views, so a
// command never touches an item.
//
// A command whose first redo() is refused by the model (it throws std::invalid_argument) makes itself
// obsolete, so QUndoStack drops it; pushCommand() returns that refusal in words. A later redo()/undo() that
// fails (the model was changed behind the stack's back) also makes it obsolete and logs a warning.
#pragma once

#include "core/pipeline/Pipeline.h"

#include <QPointF>
#include <QString>
#include <QUndoCommand>

#include <map>
#include <memory>
#include <string>
#include <vector>

class QUndoStack;

namespace pw::pipeline {
class PipelineModel;
}

namespace pw::ui::dag {

/** Ids of the commands that merge (QUndoCommand::id()). */
enum CommandId : int
{
    kMoveTasksCommandId = 1
};

/** A model edit as an undo command. Subclasses implement apply()/revert(), which throw when refused. */
class ModelCommand : public QUndoCommand
{
public:
    explicit ModelCommand(pipeline::PipelineModel *model, QUndoCommand *parent = nullptr);

    void redo() final;
    void undo() final;

protected:
    virtual void apply() = 0;
    virtual void revert() = 0;

    pipeline::PipelineModel *m_model;

private:
    friend QString pushCommand(QUndoStack *stack, ModelCommand *command);
    struct Refusal
    {
        QString why;
        bool armed = true; // only while pushCommand() waits for the first redo()
    };
    std::shared_ptr<Refusal> m_refusal;
};

/**
 * Pushes `command` onto `stack`. Returns why the model refused it (and then nothing is pushed: the command
 * is deleted), or an empty string.
 */
QString pushCommand(QUndoStack *stack, ModelCommand *command);

/** Adds a task at a position, at an index in file order (-1: last). */
class AddTaskCommand : public ModelCommand
{
public:
    AddTaskCommand(pipeline::PipelineModel *model, pipeline::Task task, pipeline::Position pos, int index = -1,
                   QUndoCommand *parent = nullptr);

protected:
    void apply() override;
    void revert() override;

private:
    pipeline::Task m_task;
    pipeline::Position m_pos;
    int m_index;
};

/**
 * Removes several tasks with their dependencies both ways; undo puts them back at their places in file
 * order, with their positions and every dependency in its original order.
 */
class RemoveTasksCommand : public ModelCommand
{
public:
    RemoveTasksCommand(pipeline::PipelineModel *model, std::vector<std::string> keys, QUndoCommand *parent = nullptr);

protected:
    void apply() override;
    void revert() override;

private:
    std::vector<std::string> m_keys;
    pipeline::Pipeline m_before; // the whole pipeline before the removal
    std::vector<std::string> m_removed; // in removal order
    std::vector<int> m_indices; // file index of each at its removal
};

/** One task's move. */
struct TaskMove
{
    std::string key;
    pipeline::Position from;
    pipeline::Position to;
};

/**
 * Moves tasks. Consecutive moves of the same set of tasks merge into one (dragging, nudging with the keys):
 * the first one's start, the last one's end.
 */
class MoveTasksCommand : public ModelCommand
{
public:
    MoveTasksCommand(pipeline::PipelineModel *model, std::vector<TaskMove> moves, QUndoCommand *parent = nullptr);

    int id() const override { return m_mergeable ? kMoveTasksCommandId : -1; }
    bool mergeWith(const QUndoCommand *other) override;
    /** A move that stays one step of its own (an automatic layout): false. Default true. */
    void setMergeable(bool mergeable) { m_mergeable = mergeable; }
    const std::vector<TaskMove> &moves() const { return m_moves; }

protected:
    void apply() override;
    void revert() override;

private:
    std::vector<TaskMove> m_moves;
    // Tasks that had no layout entry before the first move: undo removes the entry again.
    std::vector<std::string> m_unplaced;
    bool m_applied = false;
    bool m_mergeable = true;
};

/** `to` depends on `from` afterwards. */
class AddDependencyCommand : public ModelCommand
{
public:
    AddDependencyCommand(pipeline::PipelineModel *model, std::string from, std::string to,
                         QUndoCommand *parent = nullptr);

protected:
    void apply() override;
    void revert() override;

private:
    std::string m_from, m_to;
};

/** `to` no longer depends on `from`; undo puts the dependency back at its place in depends_on. */
class RemoveDependencyCommand : public ModelCommand
{
public:
    RemoveDependencyCommand(pipeline::PipelineModel *model, std::string from, std::string to,
                            QUndoCommand *parent = nullptr);

protected:
    void apply() override;
    void revert() override;

private:
    std::string m_from, m_to;
    std::vector<std::string> m_dependsOn; // of `to`, before
};

/** Replaces a task's settings (everything but its key and dependencies), storing the old ones. */
class UpdateTaskCommand : public ModelCommand
{
public:
    UpdateTaskCommand(pipeline::PipelineModel *model, std::string key, pipeline::Task settings,
                      QUndoCommand *parent = nullptr);

protected:
    void apply() override;
    void revert() override;

private:
    std::string m_key;
    pipeline::Task m_old, m_new;
    bool m_haveOld = false;
};

/** Renames a task; its dependents, position and {{tasks.OLD.x}} references follow (and come back on undo). */
class RenameTaskCommand : public ModelCommand
{
public:
    RenameTaskCommand(pipeline::PipelineModel *model, std::string from, std::string to, QUndoCommand *parent = nullptr);

protected:
    void apply() override;
    void revert() override;

private:
    std::string m_from, m_to;
    std::map<std::string, QJsonObject> m_params; // every task's params before, by the key it has before
};

/** Pipeline-level settings (name, description, parameters, limits, schedule, trigger, notifications). */
class UpdateSettingsCommand : public ModelCommand
{
public:
    UpdateSettingsCommand(pipeline::PipelineModel *model, pipeline::Pipeline settings, QUndoCommand *parent = nullptr);

protected:
    void apply() override;
    void revert() override;

private:
    pipeline::Pipeline m_old, m_new; // settings only: no tasks, no layout
    bool m_haveOld = false;
};

/**
 * Adds copies of the tasks of `fragment` (tasks and their layout, as copied to the clipboard) under new
 * unique keys, `offset` away from their positions. Dependencies between the copied tasks are kept (renamed),
 * dependencies on tasks outside the fragment are dropped, and {{tasks.KEY.x}} references to copied tasks
 * are renamed.
 */
class PasteCommand : public ModelCommand
{
public:
    PasteCommand(pipeline::PipelineModel *model, pipeline::Pipeline fragment, QPointF offset,
                 QUndoCommand *parent = nullptr);

    /** The keys of the pasted tasks, in the fragment's order (after the first redo()). */
    const std::vector<std::string> &newKeys() const { return m_newKeys; }

protected:
    void apply() override;
    void revert() override;

private:
    void removeAdded(std::size_t count);

    pipeline::Pipeline m_fragment;
    QPointF m_offset;
    std::vector<std::string> m_newKeys;
};

/**
 * Gives `to` the dependency list `wanted` through the model's API, keeping the order of depends_on (the
 * common prefix stays, the rest is removed and added again in order).
 */
void restoreDependsOn(pipeline::PipelineModel &model, const std::string &to, const std::vector<std::string> &wanted);

/** {{tasks.OLD.x}} references renamed to {{tasks.NEW.x}} for every OLD in `renames`, in every string of `v`. */
QJsonValue renameTaskReferences(const QJsonValue &v, const std::map<std::string, std::string> &renames);

} // namespace pw::ui::dag
