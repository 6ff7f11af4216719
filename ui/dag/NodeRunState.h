// The run state a DAG node shows while a pipeline runs (fed by the run monitor from executor events), and
// how it is displayed: a phase, a short text and a colour.
#pragma once

#include <QColor>
#include <QDateTime>
#include <QString>

namespace pw::ui::dag {

/** A task's state in a run, with the executor's names (Databricks Jobs 2.1 life_cycle_state / result_state). */
struct NodeRunState
{
    /** PENDING, QUEUED, BLOCKED, RUNNING, WAITING_FOR_RETRY, TERMINATING, TERMINATED, SKIPPED, INTERNAL_ERROR. */
    QString lifeCycle;
    /** SUCCESS, FAILED, TIMEDOUT, CANCELED, EXCLUDED, UPSTREAM_FAILED, UPSTREAM_CANCELED, ... (empty while live). */
    QString result;
    /** The attempt running or next to run, from 1 (0: not started). */
    int attempt = 0;
    /** When the current attempt started (for the elapsed seconds of a running task). */
    QDateTime started;

    bool operator==(const NodeRunState &) const = default;
};

enum class RunPhase
{
    None,
    Pending,
    Queued,
    Running,
    Retrying,
    Success,
    Failed,
    TimedOut,
    Canceled,
    Skipped,
    UpstreamFailed
};

/** What a node shows for a run state. */
struct RunStateLook
{
    RunPhase phase = RunPhase::None;
    QString text; // "pending", "running 12 s", "retrying (attempt 2)", ... ; empty for None
    QColor color; // invalid for None
};

/** The look of `state` at `now` (elapsed seconds of a running task are counted to `now`). */
RunStateLook describeRunState(const NodeRunState &state, const QDateTime &now = QDateTime::currentDateTimeUtc());

} // namespace pw::ui::dag
