// The shell task type: a program the executor runs itself, as the task's process (never through a shell unless
// argv names one). Lines NAME=VALUE it writes to $PIPEWRIGHT_OUTPUTS become its outputs.
#include "core/pipeline/Pipeline.h"
#include "core/pipeline/TaskType.h"

#include <QJsonArray>

namespace pw::pipeline {

namespace {

TaskCommand shellCommand(const QJsonObject &params)
{
    TaskCommand c;
    for (const QJsonValue &a : params.value("argv").toArray())
        c.argv.push_back(a.toString().toStdString());
    c.cwd = params.value("cwd").toString().toStdString();
    const QJsonObject env = params.value("env").toObject();
    for (auto it = env.begin(); it != env.end(); ++it)
        c.env.emplace_back(it.key().toStdString(), jsonScalarText(it.value()));
    return c;
}

} // namespace

TaskType shellTask()
{
    return {
        .name = "shell",
        .summary = "Runs a program directly (never through a shell unless argv names one). Lines NAME=VALUE it writes "
                   "to the file $PIPEWRIGHT_OUTPUTS become its outputs.",
        .params = {{"argv", "string-list", true, "the program and its arguments"},
                   {"cwd", "string", false, "working folder"},
                   {"env", "object", false, "extra environment variables"}},
        .outputs = {"exit_code"},
        .anyOutput = true,
        .command = shellCommand,
        .colour = "#546e7a",
        .glyph = "S",
        .databricks = {.notebook = "/Pipewright/shell", .fallback = true},
    };
}

} // namespace pw::pipeline
