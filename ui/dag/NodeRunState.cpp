// Run states as shown on DAG nodes.
#include "ui/dag/NodeRunState.h"

#include <QCoreApplication>

namespace pw::ui::dag {

namespace {

QString tr(const char *s)
{
    return QCoreApplication::translate("pw::ui::dag::NodeRunState", s);
}

QString elapsed(qint64 seconds)
{
    if (seconds < 60)
        return tr("%1 s").arg(seconds);
    return tr("%1 min %2 s").arg(seconds / 60).arg(seconds % 60, 2, 10, QLatin1Char('0'));
}

} // namespace

RunStateLook describeRunState(const NodeRunState &s, const QDateTime &now)
{
    const QString lc = s.lifeCycle.toUpper();
    const QString result = s.result.toUpper();
    // Live states first: a task is running, waiting or queued whatever its previous attempt's result was.
    if (lc == QLatin1String("RUNNING") || lc == QLatin1String("TERMINATING")) {
        QString text = lc == QLatin1String("TERMINATING") ? tr("stopping") : tr("running");
        if (s.started.isValid())
            text += QLatin1Char(' ') + elapsed(std::max<qint64>(0, s.started.secsTo(now)));
        if (s.attempt > 1)
            text += tr(" (attempt %1)").arg(s.attempt);
        return {RunPhase::Running, text, QColor(0x1e, 0x88, 0xe5)};
    }
    if (lc == QLatin1String("WAITING_FOR_RETRY") || lc == QLatin1String("RETRYING")
        || (lc == QLatin1String("PENDING") && s.attempt > 1))
        return {RunPhase::Retrying, tr("retrying (attempt %1)").arg(std::max(2, s.attempt)), QColor(0xfb, 0x8c, 0x00)};
    if (lc == QLatin1String("PENDING"))
        return {RunPhase::Pending, tr("pending"), QColor(0x9e, 0x9e, 0x9e)};
    if (lc == QLatin1String("QUEUED") || lc == QLatin1String("BLOCKED"))
        return {RunPhase::Queued, tr("queued"), QColor(0x79, 0x86, 0xcb)};

    if (result == QLatin1String("SUCCESS") || result == QLatin1String("SUCCESS_WITH_FAILURES"))
        return {RunPhase::Success, tr("success"), QColor(0x43, 0xa0, 0x47)};
    if (result == QLatin1String("FAILED"))
        return {RunPhase::Failed, tr("failed"), QColor(0xe5, 0x39, 0x35)};
    if (result == QLatin1String("TIMEDOUT"))
        return {RunPhase::TimedOut, tr("timed out"), QColor(0xc2, 0x18, 0x5b)};
    if (result == QLatin1String("CANCELED"))
        return {RunPhase::Canceled, tr("canceled"), QColor(0x75, 0x75, 0x75)};
    if (result == QLatin1String("UPSTREAM_FAILED"))
        return {RunPhase::UpstreamFailed, tr("upstream failed"), QColor(0xff, 0x70, 0x43)};
    if (result == QLatin1String("UPSTREAM_CANCELED"))
        return {RunPhase::UpstreamFailed, tr("upstream canceled"), QColor(0xff, 0x70, 0x43)};
    if (result == QLatin1String("EXCLUDED"))
        return {RunPhase::Skipped, tr("excluded"), QColor(0xbd, 0xbd, 0xbd)};
    if (lc == QLatin1String("SKIPPED") || result == QLatin1String("MAXIMUM_CONCURRENT_RUNS_REACHED"))
        return {RunPhase::Skipped, tr("skipped"), QColor(0xbd, 0xbd, 0xbd)};
    if (lc == QLatin1String("INTERNAL_ERROR"))
        return {RunPhase::Failed, tr("internal error"), QColor(0xe5, 0x39, 0x35)};
    if (lc.isEmpty() && result.isEmpty())
        return {};
    // A state this build does not know: shown in words, neutral.
    return {RunPhase::Pending, (result.isEmpty() ? lc : result).toLower().replace(QLatin1Char('_'), QLatin1Char(' ')),
            QColor(0x9e, 0x9e, 0x9e)};
}

} // namespace pw::ui::dag
