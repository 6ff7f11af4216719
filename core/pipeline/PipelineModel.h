// The observable pipeline: the one place edits happen. Views (the DAG scene, the properties panel, the
// problems list) observe its signals; the editor wraps each edit in an undo command that calls this API.
// Task keys are the ids. Qt Core only.
#pragma once

#include "core/pipeline/Pipeline.h"

#include <QObject>
#include <QString>

#include <string>
#include <vector>

namespace pw::pipeline {

class PipelineModel : public QObject
{
    Q_OBJECT
public:
    explicit PipelineModel(QObject *parent = nullptr);

    const Pipeline &pipeline() const { return m_p; }
    /** Replaces everything (loading a file, a change made outside the editor): emits reset(). */
    void setPipeline(Pipeline p);

    // --- Edits. Each checks its input (throwing std::invalid_argument naming what is wrong and changing
    // nothing), applies one change, and emits its signal and validated().
    /** Adds `task` (its key must be new and non-empty) at `pos`, at `index` in file order (-1: last). */
    void addTask(const Task &task, Position pos, int index = -1);
    /** Removes a task, the dependencies on it and its position. Returns it, its index, position and dependents. */
    struct Removed
    {
        Task task;
        int index = 0;
        Position pos;
        std::vector<std::string> dependents; // tasks that depended on it
    };
    Removed removeTask(const std::string &key);
    /** Replaces a task's settings (type, params, run_if, target, timeouts, retries, description). */
    void updateTask(const std::string &key, const Task &settings);
    /** Renames a task: its dependents, layout entry and {{tasks.OLD.x}} references follow. */
    void renameTask(const std::string &from, const std::string &to);
    /** `to` depends on `from` afterwards. Refused: see canConnect(). */
    void addDependency(const std::string &from, const std::string &to);
    void removeDependency(const std::string &from, const std::string &to);
    void moveTask(const std::string &key, Position pos);
    /** Pipeline-level settings: name, description, parameters, limits, schedule, trigger, notifications. */
    void updateSettings(const Pipeline &settings);

    /** Why `to` cannot depend on `from` (a self-loop, a duplicate edge, a cycle naming its tasks); empty if it can. */
    QString canConnect(const std::string &from, const std::string &to) const;
    /** `base`, or base_2, base_3... : a key no task has. */
    std::string uniqueKey(const std::string &base) const;
    /** The last validation (every problem of the pipeline). */
    const std::vector<ValidationError> &errors() const { return m_errors; }
    /** The errors of one task. */
    std::vector<ValidationError> errorsOf(const std::string &key) const;
    Position position(const std::string &key) const;

signals:
    void reset();
    void taskAdded(const QString &key);
    void taskRemoved(const QString &key);
    void taskChanged(const QString &key);
    void taskRenamed(const QString &from, const QString &to);
    void dependencyAdded(const QString &from, const QString &to);
    void dependencyRemoved(const QString &from, const QString &to);
    void taskMoved(const QString &key);
    void settingsChanged();
    /** After every change: errors() is up to date. */
    void validated();

private:
    void revalidate();
    Task &require(const std::string &key);

    Pipeline m_p;
    std::vector<ValidationError> m_errors;
};

} // namespace pw::pipeline
