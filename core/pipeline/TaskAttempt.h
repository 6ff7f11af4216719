// The attempt a task's process is, as the executor describes it in the environment (PIPEWRIGHT_RUN_ID,
// PIPEWRIGHT_TASK_KEY, PIPEWRIGHT_ATTEMPT, PIPEWRIGHT_OUTPUTS): runners record what they create as soon as it
// exists, and a retry or a repair finds there what earlier attempts created, so that a killed attempt's tracked
// run or model version is reused rather than made twice.
#pragma once

#include "core/pipeline/Executor.h"

#include <QJsonObject>
#include <QString>

#include <atomic>
#include <cstdint>
#include <string>
#include <vector>

namespace pw::store {
class Database;
} // namespace pw::store

namespace pw::pipeline {

/** One attempt of a task, in the process that runs it. A value: copy it freely; not shared between threads. */
class TaskAttempt
{
public:
    /** The attempt the executor started this process as; unknown() when run by hand. */
    static TaskAttempt fromEnvironment();

    /** Whether this process is an attempt of a recorded pipeline run. */
    bool known() const { return m_runId > 0 && !m_key.empty() && m_attempt > 0; }
    /** The pipeline run's id as the executor gave it (empty when not run by one). */
    const std::string &pipelineRunId() const { return m_runIdText; }
    const std::string &taskKey() const { return m_key; }

    /** The earlier attempts of this task, newest first (earlierAttempts()); none when not known(). */
    std::vector<EarlierAttempt> earlier(store::Database &db) const;
    /** Records `outputs` in the task run and in the outputs file (which the executor reads also when it fails). */
    void record(store::Database &db, const QJsonObject &outputs) const;
    /** Writes `outputs` to the file PIPEWRIGHT_OUTPUTS names, when it names one; throws when it cannot. */
    void writeOutputsFile(const QJsonObject &outputs) const;
    /**
     * A test hook: with PIPEWRIGHT_HOLD_TASK naming this task, it stops here (its work done and recorded, its
     * state not yet changed), writes its pid to PIPEWRIGHT_HOLD_FILE.held and waits until PIPEWRIGHT_HOLD_FILE
     * exists (or `cancel` is set), so that a test can kill the executor at exactly this point.
     */
    void holdIfAsked(const std::atomic<bool> *cancel) const;
    /** "attempt N of pipeline run R", for messages about an earlier attempt. */
    static std::string describe(const EarlierAttempt &e);

private:
    std::int64_t m_runId = 0;
    std::string m_runIdText;
    std::string m_key;
    int m_attempt = 0;
    QString m_outputsFile;
};

} // namespace pw::pipeline
