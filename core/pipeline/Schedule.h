// Pipeline schedules: Quartz and classic cron expressions, their next fire times in an IANA time zone (with
// Quartz's daylight-saving rules), and their translation to systemd OnCalendar= values and crontab fields.
// Value types and free functions only; everything here is safe to call from any thread.
#pragma once

#include <QByteArray>
#include <QDateTime>
#include <QTimeZone>

#include <bitset>
#include <optional>
#include <string>
#include <vector>

namespace pw::pipeline {

/** How the day-of-month field selects days. */
enum class DayOfMonthRule
{
    Any, // Quartz "?": no restriction from this field
    Set, // the days in CronExpression::daysOfMonth
    Last, // "L" or "L-n": the last day of the month minus lastDayOffset
    LastWeekday, // "LW": the last Monday-to-Friday of the month
    NearestWeekday, // "nW": the Monday-to-Friday nearest to day n, within the month
};

/** How the day-of-week field selects days. */
enum class DayOfWeekRule
{
    Any, // Quartz "?": no restriction from this field
    Set, // the weekdays in CronExpression::daysOfWeek
    Last, // "nL": the last weekday n of the month
    Nth, // "n#k": the k-th weekday n of the month
};

/** A parsed cron expression. Weekdays are numbered 0 = Sunday ... 6 = Saturday whatever the source syntax. */
struct CronExpression
{
    std::string text; // as given
    bool quartz = true; // Quartz syntax (seconds first, optional year) or classic 5-field cron
    std::vector<std::string> fields; // the fields as parsed, upper-cased (an @macro expanded), for messages

    std::bitset<60> seconds; // bit s
    std::bitset<60> minutes; // bit m
    std::bitset<24> hours; // bit h
    std::bitset<32> daysOfMonth; // bit d, 1..31 (DayOfMonthRule::Set)
    std::bitset<13> months; // bit m, 1..12
    std::bitset<7> daysOfWeek; // bit w, 0 = Sunday (DayOfWeekRule::Set)
    bool anyYear = true;
    std::bitset<130> years; // bit y - kFirstYear, when !anyYear

    DayOfMonthRule dayOfMonthRule = DayOfMonthRule::Set;
    int lastDayOffset = 0; // Last: "L-3" is 3
    int nearestWeekdayTo = 0; // NearestWeekday: "15W" is 15

    DayOfWeekRule dayOfWeekRule = DayOfWeekRule::Set;
    int weekday = 0; // Last, Nth: 0 = Sunday
    int nthWeekday = 0; // Nth: "6#3" is 3

    // Classic cron only: the field began with '*'. As in Vixie cron, when both day fields are restricted
    // (neither began with '*') a day matches if EITHER matches; otherwise both must match.
    bool dayOfMonthStar = false;
    bool dayOfWeekStar = false;

    static constexpr int kFirstYear = 1970; // Quartz's year range, 1970-2099
    static constexpr int kLastYear = 2099;
};

/**
 * Parses a Quartz expression (6 or 7 fields: sec min hour day-of-month month day-of-week [year]; supports
 * * ? , - / L W # LW, month names JAN-DEC, day names SUN-SAT, day-of-week 1-7 with 1 = Sunday as Quartz)
 * or, when quartz == false, a classic 5-field cron (min hour dom month dow; dow 0-7 with 0 and 7 = Sunday,
 * names, ranges, steps, lists, @hourly/@daily/@weekly/@monthly/@yearly; when both dom and dow are restricted,
 * a day matches if EITHER matches, as Vixie cron).
 * As Quartz's own parser: names are case-insensitive; exactly one of day-of-month and day-of-week is "?";
 * L, LW, nW, nL and n#k stand alone in their field; ranges may wrap ("FRI-MON", "22-2") except years.
 * Throws std::invalid_argument with a message naming the field (e.g. "day-of-week: ...") and the bad value.
 */
CronExpression parseCron(const std::string &expression, bool quartz);

/**
 * The first fire time strictly after `after`, in time zone `tz`; std::nullopt when there is none (e.g. a year
 * field in the past, or February 30th). The search walks wall-clock fields from the year down, so it is fast;
 * it looks at most kSearchYears past the first year the year field allows.
 *
 * Daylight saving follows Quartz's CronTrigger (Quartz FAQ, "Daylight Savings Time": "If you have a
 * CronTrigger that fires every day at 2:15 am, then on the day of the beginning of daylight savings time the
 * trigger will be skipped, since, 2:15 am never occurs that day"; quartz-scheduler/quartz issues #51 and #81):
 * a wall-clock time inside a spring-forward gap does not fire that day, and a wall-clock time that occurs
 * twice in a fall-back overlap fires once, at its first (daylight-time) occurrence; the repeated hour fires
 * nothing the second time round. Throws std::invalid_argument when `tz` is not valid.
 */
std::optional<QDateTime> nextFireTime(const CronExpression &e, const QDateTime &after, const QTimeZone &tz);

/** The next `count` fire times after `after` (fewer when the schedule ends). */
std::vector<QDateTime> nextFireTimes(const CronExpression &e, const QDateTime &after, const QTimeZone &tz, int count);

/** How far nextFireTime looks: 28 years is a whole cycle of leap years and weekdays (between century years),
 *  so a rule such as "the fifth Monday of February" is found however rare it is. */
constexpr int kSearchYears = 28;

/** A schedule as in a pipeline file: {"quartz_cron_expression" | "cron", "timezone_id", "pause_status"}
 *  (the field names of a Databricks job's schedule). */
struct Schedule
{
    std::string expression;
    bool quartz = true;
    std::string timezone = "UTC";
    bool paused = false;
};

/** The QTimeZone for an IANA id; throws std::invalid_argument naming it when unknown. */
QTimeZone timeZone(const std::string &ianaId);

/**
 * systemd OnCalendar= value(s) equivalent to the expression in the time zone (e.g. "Mon..Fri *-*-* 02:30:00
 * Europe/Berlin"); several values when a classic expression ORs its day fields. "L", "L-n" become "~" (days
 * from the end), "nL" a weekday in the last seven days, "n#k" a weekday in days 7k-6..7k. Across daylight
 * saving changes systemd applies its own rules, not Quartz's. Throws std::invalid_argument naming the
 * feature when it cannot be expressed ("W", "LW"), or naming the time zone when it is unknown.
 */
std::vector<std::string> toSystemdOnCalendar(const CronExpression &e, const std::string &timezone);

/**
 * A crontab line's time fields (5 fields) equivalent to the expression, when the seconds field is 0 and the
 * rest fits classic cron (no year, L, W, # or LW); throws std::invalid_argument naming the field otherwise.
 * (The time zone goes in a CRON_TZ= line, written by the caller.)
 */
std::string toCrontabFields(const CronExpression &e);

/** What `schedule install` hands to the operating system: a command run at the schedule's times. */
struct InstalledSchedule
{
    std::string pipeline; // the pipeline's name, for descriptions
    std::string file; // the pipeline file, for descriptions
    std::vector<std::string> argv; // the command: pipewright pipeline run FILE --workspace WS
    std::string expression;
    bool quartz = true;
    std::string timezone = "UTC";
};

/**
 * The systemd user service that runs `argv` once (Type=oneshot). Every value is escaped so that systemd reads
 * back exactly what is given: Description= by systemdValue(), each ExecStart= word by systemdExecArgument().
 */
std::string systemdServiceText(const InstalledSchedule &s);
/** The systemd user timer of the service: OnCalendar= values of toSystemdOnCalendar() (throws as it does). */
std::string systemdTimerText(const InstalledSchedule &s);
/**
 * The crontab lines: "CRON_TZ=ZONE", then the time fields of toCrontabFields() and `argv`, each word (but plain
 * ones such as "run") quoted by crontabArgument(). Throws std::invalid_argument as those do.
 */
std::vector<std::string> crontabLines(const InstalledSchedule &s);

/**
 * One word of a systemd Exec line (systemd.service, "Command lines"): in double quotes with C escapes for
 * '"', '\' and control characters, '%' as "%%" (specifiers are expanded first) and '$' as "$$" (variables are
 * expanded after the line is split), so that the program receives exactly `arg`.
 */
std::string systemdExecArgument(const std::string &arg);
/**
 * A value of a plain systemd setting such as Description=: '%' as "%%", control characters shown as C escapes
 * ("\n"), so that it stays on its line and cannot add settings.
 */
std::string systemdValue(const std::string &text);
/**
 * One word of a crontab command: in single quotes for /bin/sh, with each '%' as "\%" outside the quotes (cron
 * turns an unescaped '%' into a newline and feeds the rest to the command's input). Throws
 * std::invalid_argument naming the value when it holds a newline or another control character but a tab: a
 * crontab entry is one line.
 */
std::string crontabArgument(const std::string &arg);

/**
 * The text of a pipeline file with its schedule's "pause_status" set to PAUSED or UNPAUSED and every other
 * byte kept (the value replaced in place, or the field added after the schedule's last field in the file's own
 * layout). Throws std::invalid_argument when the text is not a JSON object with a "schedule" object.
 */
QByteArray withPauseStatus(const QByteArray &json, bool paused);

} // namespace pw::pipeline
