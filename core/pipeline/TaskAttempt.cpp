// The attempt a task's process is: recording what it creates, finding what earlier attempts created.
#include "core/pipeline/TaskAttempt.h"

#include <QCoreApplication>
#include <QFile>
#include <QFileInfo>
#include <QJsonDocument>

#include <chrono>
#include <stdexcept>
#include <thread>

namespace pw::pipeline {

TaskAttempt TaskAttempt::fromEnvironment()
{
    TaskAttempt a;
    a.m_runIdText = qEnvironmentVariable("PIPEWRIGHT_RUN_ID").toStdString();
    a.m_runId = qEnvironmentVariable("PIPEWRIGHT_RUN_ID").toLongLong();
    a.m_key = qEnvironmentVariable("PIPEWRIGHT_TASK_KEY").toStdString();
    a.m_attempt = qEnvironmentVariable("PIPEWRIGHT_ATTEMPT").toInt();
    a.m_outputsFile = qEnvironmentVariable("PIPEWRIGHT_OUTPUTS");
    return a;
}

std::vector<EarlierAttempt> TaskAttempt::earlier(store::Database &db) const
{
    return known() ? earlierAttempts(db, m_runId, m_key, m_attempt) : std::vector<EarlierAttempt>{};
}

void TaskAttempt::record(store::Database &db, const QJsonObject &outputs) const
{
    if (!known())
        return;
    recordAttemptOutputs(db, m_runId, m_key, m_attempt, outputs);
    writeOutputsFile(outputs);
}

void TaskAttempt::writeOutputsFile(const QJsonObject &outputs) const
{
    if (m_outputsFile.isEmpty())
        return;
    QFile f(m_outputsFile);
    if (!f.open(QIODevice::WriteOnly | QIODevice::Truncate))
        throw std::runtime_error("cannot write the outputs file '" + m_outputsFile.toStdString() + "'");
    f.write(QJsonDocument(outputs).toJson(QJsonDocument::Compact));
}

void TaskAttempt::holdIfAsked(const std::atomic<bool> *cancel) const
{
    const QString task = qEnvironmentVariable("PIPEWRIGHT_HOLD_TASK");
    const QString file = qEnvironmentVariable("PIPEWRIGHT_HOLD_FILE");
    if (task.isEmpty() || file.isEmpty() || task.toStdString() != m_key)
        return;
    {
        // Written under another name and renamed, so that a test never reads the file before the pid is in it.
        QFile held(file + ".held.part");
        if (held.open(QIODevice::WriteOnly | QIODevice::Truncate))
            held.write(QByteArray::number(QCoreApplication::applicationPid()));
        held.close();
        QFile::remove(file + ".held");
        held.rename(file + ".held");
    }
    while (!QFileInfo::exists(file) && !(cancel && cancel->load()))
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
}

std::string TaskAttempt::describe(const EarlierAttempt &e)
{
    return "attempt " + std::to_string(e.attempt) + " of pipeline run " + std::to_string(e.runId);
}

} // namespace pw::pipeline
