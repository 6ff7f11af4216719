// Tests of pipeline schedules (core/pipeline/Schedule.h): Quartz and classic cron parse errors, next fire
// times (steps, names, L, LW, W, #, years, wrapping ranges, Vixie's day OR), Quartz's daylight-saving rules
// in Europe/Berlin and America/New_York, and the systemd OnCalendar= and crontab translations and refusals;
// the unit files and crontab lines of an installed schedule, read back the way systemd and cron + sh read them,
// and the in-place edit of a file's pause_status.
// Every expected time is written out; the UTC instants were checked against Python's zoneinfo.
#include "core/pipeline/Pipeline.h"
#include "core/pipeline/Schedule.h"

#include <QDateTime>
#include <QRegularExpression>
#include <QStringList>
#include <QTest>
#include <QTimeZone>

#include <functional>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

using pw::pipeline::CronExpression;
using pw::pipeline::nextFireTime;
using pw::pipeline::nextFireTimes;
using pw::pipeline::parseCron;
using pw::pipeline::Schedule;
using pw::pipeline::timeZone;
using pw::pipeline::toCrontabFields;
using pw::pipeline::toSystemdOnCalendar;
using pw::pipeline::InstalledSchedule;

namespace {

/** The message of the std::invalid_argument `f` throws, or "<no error>". */
QString errorOf(const std::function<void()> &f)
{
    try {
        f();
    } catch (const std::invalid_argument &e) {
        return QString::fromUtf8(e.what());
    }
    return QStringLiteral("<no error>");
}

QDateTime utc(const QString &iso)
{
    const QDateTime t = QDateTime::fromString(iso, Qt::ISODateWithMs);
    Q_ASSERT(t.isValid() && t.timeSpec() == Qt::UTC);
    return t;
}

QStringList utcTexts(const std::vector<QDateTime> &times)
{
    QStringList out;
    for (const QDateTime &t : times)
        out << t.toUTC().toString(Qt::ISODate);
    return out;
}

QStringList localTexts(const std::vector<QDateTime> &times)
{
    QStringList out;
    for (const QDateTime &t : times)
        out << t.toString(Qt::ISODate);
    return out;
}

QStringList texts(const std::vector<std::string> &values)
{
    QStringList out;
    for (const std::string &v : values)
        out << QString::fromStdString(v);
    return out;
}

CronExpression parse(const QString &expression, bool quartz)
{
    return parseCron(expression.toStdString(), quartz);
}

// Readers of what `schedule install` writes, after the documented rules, independent of the writers. Each
// throws std::runtime_error at anything it would read differently from plain text.

/** The argv of a systemd ExecStart= value: specifiers ("%%") first, then words with quotes and C escapes, then
 *  variables ("$$") in each word (systemd.service, "Command lines"; systemd.unit, "Specifiers"). */
std::vector<std::string> systemdExecArgv(const std::string &value)
{
    std::string line;
    for (std::size_t i = 0; i < value.size(); ++i) {
        if (value[i] == '%') {
            if (i + 1 >= value.size() || value[i + 1] != '%')
                throw std::runtime_error("a specifier %" + value.substr(i + 1, 1) + " would be expanded");
            ++i;
        }
        line += value[i];
    }
    std::vector<std::string> words;
    std::size_t i = 0;
    while (true) {
        while (i < line.size() && line[i] == ' ')
            ++i;
        if (i >= line.size())
            break;
        std::string word;
        bool quoted = false;
        for (; i < line.size() && (quoted || line[i] != ' '); ++i) {
            const char c = line[i];
            if (c == '"') {
                quoted = !quoted;
            } else if (c == '\\') {
                if (++i >= line.size())
                    throw std::runtime_error("a backslash ends the line");
                switch (line[i]) {
                case 'n': word += '\n'; break;
                case 't': word += '\t'; break;
                case 'r': word += '\r'; break;
                case '\\':
                case '"':
                case '\'': word += line[i]; break;
                case 'x':
                    word += char(std::stoi(line.substr(i + 1, 2), nullptr, 16));
                    i += 2;
                    break;
                default: throw std::runtime_error(std::string("unknown escape \\") + line[i]);
                }
            } else {
                word += c;
            }
        }
        if (quoted)
            throw std::runtime_error("an unterminated quote");
        std::string expanded;
        for (std::size_t k = 0; k < word.size(); ++k) {
            if (word[k] == '$') {
                if (k + 1 >= word.size() || word[k + 1] != '$')
                    throw std::runtime_error("a variable would be expanded in " + word);
                ++k;
            }
            expanded += word[k];
        }
        words.push_back(expanded);
    }
    return words;
}

/** The argv /bin/sh runs for a crontab command: cron's '%' rule first ("\\%" is '%', a bare '%' ends the command),
 *  then sh's words (single quotes and backslashes; anything sh would expand or interpret refused). */
std::vector<std::string> crontabArgv(const std::string &command)
{
    std::string line;
    for (std::size_t i = 0; i < command.size(); ++i) {
        if (command[i] == '\\' && i + 1 < command.size() && command[i + 1] == '%') {
            line += '%';
            ++i;
        } else if (command[i] == '%') {
            throw std::runtime_error("a bare % would end the command");
        } else {
            line += command[i];
        }
    }
    std::vector<std::string> words;
    std::size_t i = 0;
    while (true) {
        while (i < line.size() && line[i] == ' ')
            ++i;
        if (i >= line.size())
            break;
        std::string word;
        for (; i < line.size() && line[i] != ' '; ++i) {
            const char c = line[i];
            if (c == '\'') {
                const auto end = line.find('\'', i + 1);
                if (end == std::string::npos)
                    throw std::runtime_error("an unterminated quote");
                word += line.substr(i + 1, end - i - 1);
                i = end;
            } else if (c == '\\') {
                word += line.at(++i);
            } else if (std::string("\"$`;|&<>()*?[~#{}=\t").find(c) != std::string::npos) {
                throw std::runtime_error(std::string("sh would interpret an unquoted ") + c);
            } else {
                word += c;
            }
        }
        words.push_back(word);
    }
    return words;
}

QStringList qtexts(const std::vector<std::string> &values)
{
    QStringList out;
    for (const std::string &v : values)
        out << QString::fromUtf8(v.c_str());
    return out;
}

} // namespace

class tst_Schedule : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void parseErrors_data();
    void parseErrors();
    void nextTimes_data();
    void nextTimes();
    void daylightSaving_data();
    void daylightSaving();
    void noFireTime_data();
    void noFireTime();
    void strictlyAfterAndInZone();
    void timeZones();
    void scheduleDefaults();
    void systemdOnCalendar_data();
    void systemdOnCalendar();
    void systemdRefusals_data();
    void systemdRefusals();
    void crontabFields_data();
    void crontabFields();
    void crontabRefusals_data();
    void crontabRefusals();
    void installedTextsReadBack_data();
    void installedTextsReadBack();
    void crontabRefusesLineBreaks();
    void pauseStatusEditedInPlace_data();
    void pauseStatusEditedInPlace();
};

void tst_Schedule::parseErrors_data()
{
    QTest::addColumn<QString>("expression");
    QTest::addColumn<bool>("quartz");
    QTest::addColumn<QString>("field"); // the message begins "<field>: "
    QTest::addColumn<QString>("value"); // and quotes the bad value

    QTest::newRow("quartz with 5 fields") << "0 0 * * *" << true << "expression"
                                          << "0 0 * * *";
    QTest::newRow("quartz with 8 fields") << "0 0 0 * * ? 2026 1" << true << "expression"
                                          << "0 0 0 * * ? 2026 1";
    QTest::newRow("cron with 6 fields") << "0 0 0 * * ?" << false << "expression"
                                        << "0 0 0 * * ?";
    QTest::newRow("empty") << "" << true << "expression"
                           << "";
    QTest::newRow("unknown macro") << "@reboot" << false << "expression"
                                   << "@reboot";
    QTest::newRow("second out of range") << "60 * * * * ?" << true << "second"
                                         << "60";
    QTest::newRow("minute not a number") << "0 6x * * * ?" << true << "minute"
                                         << "6X";
    QTest::newRow("minute step 0") << "0 */0 * * * ?" << true << "minute"
                                   << "0";
    QTest::newRow("minute step too big") << "0 0/61 * * * ?" << true << "minute"
                                         << "61";
    QTest::newRow("question mark in minute") << "0 ? * * * ?" << true << "minute"
                                             << "?";
    QTest::newRow("hour out of range") << "0 0 24 * * ?" << true << "hour"
                                       << "24";
    QTest::newRow("empty list item") << "0 0 1,,2 * * ?" << true << "hour"
                                     << "1,,2";
    QTest::newRow("day-of-month out of range") << "0 0 0 32 * ?" << true << "day-of-month"
                                               << "32";
    QTest::newRow("L with other days") << "0 0 0 L,15 * ?" << true << "day-of-month"
                                       << "L,15";
    QTest::newRow("W on a range") << "0 0 0 1-5W * ?" << true << "day-of-month"
                                  << "1-5W";
    QTest::newRow("L offset too big") << "0 0 0 L-31 * ?" << true << "day-of-month"
                                      << "L-31";
    QTest::newRow("W day out of range") << "0 0 0 32W * ?" << true << "day-of-month"
                                        << "32";
    QTest::newRow("month out of range") << "0 0 0 ? 13 *" << true << "month"
                                        << "13";
    QTest::newRow("month name unknown") << "0 0 0 ? JANUARY MON" << true << "month"
                                        << "JANUARY";
    QTest::newRow("day-of-week out of range") << "0 0 0 ? * 8" << true << "day-of-week"
                                              << "8";
    QTest::newRow("day name unknown") << "0 0 0 ? * FOO" << true << "day-of-week"
                                      << "FOO";
    QTest::newRow("sixth occurrence") << "0 0 0 ? * MON#6" << true << "day-of-week"
                                      << "MON#6";
    QTest::newRow("nL with other days") << "0 0 0 ? * 6L,2" << true << "day-of-week"
                                        << "6L,2";
    QTest::newRow("both day fields set") << "0 0 0 * * *" << true << "day-of-week"
                                         << "*";
    QTest::newRow("both day fields ?") << "0 0 0 ? * ?" << true << "day-of-week"
                                       << "?";
    QTest::newRow("year before 1970") << "0 0 0 1 1 ? 1969" << true << "year"
                                      << "1969";
    QTest::newRow("year range reversed") << "0 0 0 1 1 ? 2030-2028" << true << "year"
                                         << "2030-2028";
    QTest::newRow("cron minute out of range") << "60 * * * *" << false << "minute"
                                              << "60";
    QTest::newRow("cron range reversed") << "0 5-1 * * *" << false << "hour"
                                         << "5-1";
    QTest::newRow("cron question mark") << "0 0 ? * 1" << false << "day-of-month"
                                        << "?";
    QTest::newRow("cron L") << "0 0 L * *" << false << "day-of-month"
                            << "L";
    QTest::newRow("cron day-of-week 8") << "0 0 * * 8" << false << "day-of-week"
                                        << "8";
}

void tst_Schedule::parseErrors()
{
    QFETCH(QString, expression);
    QFETCH(bool, quartz);
    QFETCH(QString, field);
    QFETCH(QString, value);
    const QString message = errorOf([&] { parse(expression, quartz); });
    QVERIFY2(message.startsWith(field + ": "), qPrintable(message));
    QVERIFY2(message.contains('"' + value + '"'), qPrintable(message));
}

void tst_Schedule::nextTimes_data()
{
    QTest::addColumn<QString>("expression");
    QTest::addColumn<bool>("quartz");
    QTest::addColumn<QString>("zone");
    QTest::addColumn<QString>("after");
    QTest::addColumn<int>("count");
    QTest::addColumn<QStringList>("expected"); // UTC

    // 2026-01-01 is a Thursday.
    QTest::newRow("every 15 minutes") << "0 0/15 * * * ?" << true << "UTC"
                                      << "2026-01-01T00:07:30Z" << 4
                                      << QStringList{"2026-01-01T00:15:00Z", "2026-01-01T00:30:00Z",
                                                     "2026-01-01T00:45:00Z", "2026-01-01T01:00:00Z"};
    QTest::newRow("every 15 minutes, star step")
        << "0 */15 * * * ?" << true << "UTC"
        << "2026-01-01T23:50:00Z" << 2 << QStringList{"2026-01-02T00:00:00Z", "2026-01-02T00:15:00Z"};
    QTest::newRow("every second") << "* * * * * ?" << true << "UTC"
                                  << "2026-01-01T00:00:00.500Z" << 2
                                  << QStringList{"2026-01-01T00:00:01Z", "2026-01-01T00:00:02Z"};
    QTest::newRow("daily 02:30, strictly after")
        << "0 30 2 * * ?" << true << "UTC"
        << "2026-01-01T02:30:00Z" << 2 << QStringList{"2026-01-02T02:30:00Z", "2026-01-03T02:30:00Z"};
    QTest::newRow("weekdays") << "0 0 9 ? * MON-FRI" << true << "UTC"
                              << "2026-01-02T10:00:00Z" << 3
                              << QStringList{"2026-01-05T09:00:00Z", "2026-01-06T09:00:00Z", "2026-01-07T09:00:00Z"};
    QTest::newRow("weekdays by number") << "0 0 9 ? * 2-6" << true << "UTC"
                                        << "2026-01-03T00:00:00Z" << 1 << QStringList{"2026-01-05T09:00:00Z"};
    QTest::newRow("last day") << "0 0 12 L * ?" << true << "UTC"
                              << "2026-01-31T12:00:00Z" << 3
                              << QStringList{"2026-02-28T12:00:00Z", "2026-03-31T12:00:00Z", "2026-04-30T12:00:00Z"};
    QTest::newRow("third-last day") << "0 0 12 L-2 * ?" << true << "UTC"
                                    << "2026-01-01T00:00:00Z" << 3
                                    << QStringList{"2026-01-29T12:00:00Z", "2026-02-26T12:00:00Z",
                                                   "2026-03-29T12:00:00Z"};
    // Jan 31 and Feb 28 are Saturdays, May 31 a Sunday.
    QTest::newRow("last weekday") << "0 0 18 LW * ?" << true << "UTC"
                                  << "2026-01-01T00:00:00Z" << 5
                                  << QStringList{"2026-01-30T18:00:00Z", "2026-02-27T18:00:00Z", "2026-03-31T18:00:00Z",
                                                 "2026-04-30T18:00:00Z", "2026-05-29T18:00:00Z"};
    // Feb 15 and Mar 15 are Sundays: the Monday after.
    QTest::newRow("nearest weekday to the 15th")
        << "0 0 8 15W * ?" << true << "UTC"
        << "2026-01-01T00:00:00Z" << 4
        << QStringList{"2026-01-15T08:00:00Z", "2026-02-16T08:00:00Z", "2026-03-16T08:00:00Z", "2026-04-15T08:00:00Z"};
    // Aug 1 is a Saturday (Monday the 3rd, not Friday in July), Nov 1 a Sunday.
    QTest::newRow("nearest weekday to the 1st")
        << "0 0 8 1W * ?" << true << "UTC"
        << "2026-07-15T00:00:00Z" << 4
        << QStringList{"2026-08-03T08:00:00Z", "2026-09-01T08:00:00Z", "2026-10-01T08:00:00Z", "2026-11-02T08:00:00Z"};
    // May 31 is a Sunday (Friday the 29th, not June), Jun has no 31st, Oct 31 a Saturday.
    QTest::newRow("nearest weekday to the 31st")
        << "0 0 8 31W * ?" << true << "UTC"
        << "2026-05-01T00:00:00Z" << 4
        << QStringList{"2026-05-29T08:00:00Z", "2026-07-31T08:00:00Z", "2026-08-31T08:00:00Z", "2026-10-30T08:00:00Z"};
    QTest::newRow("third Friday") << "0 0 10 ? * 6#3" << true << "UTC"
                                  << "2026-01-01T00:00:00Z" << 3
                                  << QStringList{"2026-01-16T10:00:00Z", "2026-02-20T10:00:00Z",
                                                 "2026-03-20T10:00:00Z"};
    QTest::newRow("first Monday by name")
        << "0 0 10 ? * MON#1" << true << "UTC"
        << "2026-01-01T00:00:00Z" << 2 << QStringList{"2026-01-05T10:00:00Z", "2026-02-02T10:00:00Z"};
    QTest::newRow("last Friday") << "0 0 10 ? * 6L" << true << "UTC"
                                 << "2026-01-01T00:00:00Z" << 3
                                 << QStringList{"2026-01-30T10:00:00Z", "2026-02-27T10:00:00Z", "2026-03-27T10:00:00Z"};
    QTest::newRow("last Friday by name") << "0 0 10 ? * fril" << true << "UTC"
                                         << "2026-04-01T00:00:00Z" << 2
                                         << QStringList{"2026-04-24T10:00:00Z", "2026-05-29T10:00:00Z"};
    QTest::newRow("L alone in day-of-week is Saturday")
        << "0 0 10 ? * L" << true << "UTC"
        << "2026-01-01T00:00:00Z" << 2 << QStringList{"2026-01-03T10:00:00Z", "2026-01-10T10:00:00Z"};
    QTest::newRow("month and day names") << "0 0 6 ? JAN,jul SUN" << true << "UTC"
                                         << "2026-01-20T00:00:00Z" << 3
                                         << QStringList{"2026-01-25T06:00:00Z", "2026-07-05T06:00:00Z",
                                                        "2026-07-12T06:00:00Z"};
    QTest::newRow("month step") << "0 0 0 1 */4 ?" << true << "UTC"
                                << "2026-01-01T00:00:00Z" << 3
                                << QStringList{"2026-05-01T00:00:00Z", "2026-09-01T00:00:00Z", "2027-01-01T00:00:00Z"};
    QTest::newRow("step ranges 5/15 and 9-17/4")
        << "0 5/15 9-17/4 * * ?" << true << "UTC"
        << "2026-01-01T09:40:00Z" << 4
        << QStringList{"2026-01-01T09:50:00Z", "2026-01-01T13:05:00Z", "2026-01-01T13:20:00Z", "2026-01-01T13:35:00Z"};
    QTest::newRow("seconds list") << "10,40 0 0 * * ?" << true << "UTC"
                                  << "2026-01-01T00:00:10Z" << 2
                                  << QStringList{"2026-01-01T00:00:40Z", "2026-01-02T00:00:10Z"};
    QTest::newRow("hours wrap around midnight")
        << "0 0 23-1 * * ?" << true << "UTC"
        << "2026-01-01T00:30:00Z" << 3
        << QStringList{"2026-01-01T01:00:00Z", "2026-01-01T23:00:00Z", "2026-01-02T00:00:00Z"};
    QTest::newRow("weekdays wrap FRI-MON")
        << "0 0 12 ? * FRI-MON" << true << "UTC"
        << "2026-01-06T00:00:00Z" << 4
        << QStringList{"2026-01-09T12:00:00Z", "2026-01-10T12:00:00Z", "2026-01-11T12:00:00Z", "2026-01-12T12:00:00Z"};
    QTest::newRow("year list, then none")
        << "0 0 0 1 1 ? 2028,2030" << true << "UTC"
        << "2026-06-01T00:00:00Z" << 3 << QStringList{"2028-01-01T00:00:00Z", "2030-01-01T00:00:00Z"};
    QTest::newRow("year range") << "0 0 0 29 2 ? 2026-2035" << true << "UTC"
                                << "2026-01-01T00:00:00Z" << 3
                                << QStringList{"2028-02-29T00:00:00Z", "2032-02-29T00:00:00Z"};
    QTest::newRow("leap day") << "0 0 0 29 2 ?" << true << "UTC"
                              << "2026-01-01T00:00:00Z" << 2
                              << QStringList{"2028-02-29T00:00:00Z", "2032-02-29T00:00:00Z"};
    // Feb 29 is a Monday in 2044, then in 2072.
    QTest::newRow("fifth Monday of February") << "0 0 0 ? 2 MON#5" << true << "UTC"
                                              << "2026-01-01T00:00:00Z" << 1 << QStringList{"2044-02-29T00:00:00Z"};
    QTest::newRow("fixed offset zone") << "0 30 2 * * ?" << true << "Asia/Kathmandu"
                                       << "2026-01-01T00:00:00Z" << 2
                                       << QStringList{"2026-01-01T20:45:00Z", "2026-01-02T20:45:00Z"};
    // Classic cron. June 1 2026 is a Monday; dom 1,15 OR Monday (Vixie).
    QTest::newRow("cron dom OR dow") << "30 8 1,15 * MON" << false << "UTC"
                                     << "2026-06-01T09:00:00Z" << 6
                                     << QStringList{"2026-06-08T08:30:00Z", "2026-06-15T08:30:00Z",
                                                    "2026-06-22T08:30:00Z", "2026-06-29T08:30:00Z",
                                                    "2026-07-01T08:30:00Z", "2026-07-06T08:30:00Z"};
    QTest::newRow("cron full dom range still ORs")
        << "0 0 1-31 * 1" << false << "UTC"
        << "2026-01-01T00:00:00Z" << 2 << QStringList{"2026-01-02T00:00:00Z", "2026-01-03T00:00:00Z"};
    // */2 begins with '*': AND, so odd days that are Mondays (Jan 5, 19; Feb 9, 23).
    QTest::newRow("cron star dom ANDs") << "0 9 */2 * 1" << false << "UTC"
                                        << "2026-01-01T00:00:00Z" << 3
                                        << QStringList{"2026-01-05T09:00:00Z", "2026-01-19T09:00:00Z",
                                                       "2026-02-09T09:00:00Z"};
    QTest::newRow("cron 7 is Sunday") << "0 0 * * 7" << false << "UTC"
                                      << "2026-01-01T00:00:00Z" << 2
                                      << QStringList{"2026-01-04T00:00:00Z", "2026-01-11T00:00:00Z"};
    QTest::newRow("cron 0 is Sunday") << "0 0 * * sun" << false << "UTC"
                                      << "2026-01-04T00:00:00Z" << 1 << QStringList{"2026-01-11T00:00:00Z"};
    QTest::newRow("cron step list") << "*/20,7 * * * *" << false << "UTC"
                                    << "2026-01-01T00:00:00Z" << 4
                                    << QStringList{"2026-01-01T00:07:00Z", "2026-01-01T00:20:00Z",
                                                   "2026-01-01T00:40:00Z", "2026-01-01T01:00:00Z"};
    QTest::newRow("cron month names") << "0 12 1 jan,apr-jun *" << false << "UTC"
                                      << "2026-01-02T00:00:00Z" << 3
                                      << QStringList{"2026-04-01T12:00:00Z", "2026-05-01T12:00:00Z",
                                                     "2026-06-01T12:00:00Z"};
    QTest::newRow("cron @weekly") << "@weekly" << false << "UTC"
                                  << "2026-01-01T00:00:00Z" << 2
                                  << QStringList{"2026-01-04T00:00:00Z", "2026-01-11T00:00:00Z"};
}

void tst_Schedule::nextTimes()
{
    QFETCH(QString, expression);
    QFETCH(bool, quartz);
    QFETCH(QString, zone);
    QFETCH(QString, after);
    QFETCH(int, count);
    QFETCH(QStringList, expected);
    const CronExpression e = parse(expression, quartz);
    QCOMPARE(utcTexts(nextFireTimes(e, utc(after), timeZone(zone.toStdString()), count)), expected);
}

void tst_Schedule::daylightSaving_data()
{
    QTest::addColumn<QString>("expression");
    QTest::addColumn<QString>("zone");
    QTest::addColumn<QString>("after");
    QTest::addColumn<QStringList>("expected"); // UTC
    QTest::addColumn<QStringList>("local"); // the same instants on the zone's wall clock

    // Europe/Berlin 2026-03-29: 02:00 CET becomes 03:00 CEST (01:00 UTC). 02:30 does not exist: skipped.
    QTest::newRow("Berlin spring, daily 02:30")
        << "0 30 2 * * ?"
        << "Europe/Berlin"
        << "2026-03-27T12:00:00Z" << QStringList{"2026-03-28T01:30:00Z", "2026-03-30T00:30:00Z", "2026-03-31T00:30:00Z"}
        << QStringList{"2026-03-28T02:30:00+01:00", "2026-03-30T02:30:00+02:00", "2026-03-31T02:30:00+02:00"};
    QTest::newRow("Berlin spring, hourly")
        << "0 0 * * * ?"
        << "Europe/Berlin"
        << "2026-03-28T23:30:00Z" << QStringList{"2026-03-29T00:00:00Z", "2026-03-29T01:00:00Z", "2026-03-29T02:00:00Z"}
        << QStringList{"2026-03-29T01:00:00+01:00", "2026-03-29T03:00:00+02:00", "2026-03-29T04:00:00+02:00"};
    QTest::newRow("Berlin spring, every 15 minutes")
        << "0 0/15 * * * ?"
        << "Europe/Berlin"
        << "2026-03-29T00:40:00Z" << QStringList{"2026-03-29T00:45:00Z", "2026-03-29T01:00:00Z", "2026-03-29T01:15:00Z"}
        << QStringList{"2026-03-29T01:45:00+01:00", "2026-03-29T03:00:00+02:00", "2026-03-29T03:15:00+02:00"};
    QTest::newRow("Berlin spring, every second across the gap")
        << "* * * * * ?"
        << "Europe/Berlin"
        << "2026-03-29T00:59:59Z" << QStringList{"2026-03-29T01:00:00Z", "2026-03-29T01:00:01Z"}
        << QStringList{"2026-03-29T03:00:00+02:00", "2026-03-29T03:00:01+02:00"};
    QTest::newRow("Berlin spring, classic cron 30 2 * * *")
        << "cron:30 2 * * *"
        << "Europe/Berlin"
        << "2026-03-28T12:00:00Z" << QStringList{"2026-03-30T00:30:00Z"} << QStringList{"2026-03-30T02:30:00+02:00"};
    // Europe/Berlin 2026-10-25: 03:00 CEST becomes 02:00 CET (01:00 UTC). 02:30 happens twice: fires once,
    // the first time; the repeated hour 02:00-02:59 CET fires nothing.
    QTest::newRow("Berlin fall, daily 02:30")
        << "0 30 2 * * ?"
        << "Europe/Berlin"
        << "2026-10-23T12:00:00Z" << QStringList{"2026-10-24T00:30:00Z", "2026-10-25T00:30:00Z", "2026-10-26T01:30:00Z"}
        << QStringList{"2026-10-24T02:30:00+02:00", "2026-10-25T02:30:00+02:00", "2026-10-26T02:30:00+01:00"};
    QTest::newRow("Berlin fall, hourly") << "0 0 * * * ?"
                                         << "Europe/Berlin"
                                         << "2026-10-24T22:30:00Z"
                                         << QStringList{"2026-10-24T23:00:00Z", "2026-10-25T00:00:00Z",
                                                        "2026-10-25T02:00:00Z", "2026-10-25T03:00:00Z"}
                                         << QStringList{"2026-10-25T01:00:00+02:00", "2026-10-25T02:00:00+02:00",
                                                        "2026-10-25T03:00:00+01:00", "2026-10-25T04:00:00+01:00"};
    QTest::newRow("Berlin fall, every 15 minutes")
        << "0 0/15 * * * ?"
        << "Europe/Berlin"
        << "2026-10-25T00:40:00Z" << QStringList{"2026-10-25T00:45:00Z", "2026-10-25T02:00:00Z", "2026-10-25T02:15:00Z"}
        << QStringList{"2026-10-25T02:45:00+02:00", "2026-10-25T03:00:00+01:00", "2026-10-25T03:15:00+01:00"};
    QTest::newRow("Berlin fall, from inside the repeated hour")
        << "0 0/15 * * * ?"
        << "Europe/Berlin"
        << "2026-10-25T01:10:00Z" << QStringList{"2026-10-25T02:00:00Z", "2026-10-25T02:15:00Z"}
        << QStringList{"2026-10-25T03:00:00+01:00", "2026-10-25T03:15:00+01:00"};
    QTest::newRow("Berlin fall, every second from inside the repeated hour")
        << "* * * * * ?"
        << "Europe/Berlin"
        << "2026-10-25T01:00:00Z" << QStringList{"2026-10-25T02:00:00Z"} << QStringList{"2026-10-25T03:00:00+01:00"};
    // America/New_York 2026-03-08: 02:00 EST becomes 03:00 EDT (07:00 UTC).
    QTest::newRow("New York spring, daily 02:30")
        << "0 30 2 * * ?"
        << "America/New_York"
        << "2026-03-06T12:00:00Z" << QStringList{"2026-03-07T07:30:00Z", "2026-03-09T06:30:00Z", "2026-03-10T06:30:00Z"}
        << QStringList{"2026-03-07T02:30:00-05:00", "2026-03-09T02:30:00-04:00", "2026-03-10T02:30:00-04:00"};
    QTest::newRow("New York spring, hourly")
        << "0 0 * * * ?"
        << "America/New_York"
        << "2026-03-08T05:30:00Z" << QStringList{"2026-03-08T06:00:00Z", "2026-03-08T07:00:00Z", "2026-03-08T08:00:00Z"}
        << QStringList{"2026-03-08T01:00:00-05:00", "2026-03-08T03:00:00-04:00", "2026-03-08T04:00:00-04:00"};
    // America/New_York 2026-11-01: 02:00 EDT becomes 01:00 EST (06:00 UTC); 01:00-01:59 happens twice.
    QTest::newRow("New York fall, daily 02:30")
        << "0 30 2 * * ?"
        << "America/New_York"
        << "2026-10-30T12:00:00Z" << QStringList{"2026-10-31T06:30:00Z", "2026-11-01T07:30:00Z", "2026-11-02T07:30:00Z"}
        << QStringList{"2026-10-31T02:30:00-04:00", "2026-11-01T02:30:00-05:00", "2026-11-02T02:30:00-05:00"};
    QTest::newRow("New York fall, daily 01:30")
        << "0 30 1 * * ?"
        << "America/New_York"
        << "2026-10-30T12:00:00Z" << QStringList{"2026-10-31T05:30:00Z", "2026-11-01T05:30:00Z", "2026-11-02T06:30:00Z"}
        << QStringList{"2026-10-31T01:30:00-04:00", "2026-11-01T01:30:00-04:00", "2026-11-02T01:30:00-05:00"};
    QTest::newRow("New York fall, hourly")
        << "0 0 * * * ?"
        << "America/New_York"
        << "2026-11-01T03:30:00Z"
        << QStringList{"2026-11-01T04:00:00Z", "2026-11-01T05:00:00Z", "2026-11-01T07:00:00Z", "2026-11-01T08:00:00Z"}
        << QStringList{"2026-11-01T00:00:00-04:00", "2026-11-01T01:00:00-04:00", "2026-11-01T02:00:00-05:00",
                       "2026-11-01T03:00:00-05:00"};
}

void tst_Schedule::daylightSaving()
{
    QFETCH(QString, expression);
    QFETCH(QString, zone);
    QFETCH(QString, after);
    QFETCH(QStringList, expected);
    QFETCH(QStringList, local);
    const bool classic = expression.startsWith("cron:");
    const CronExpression e = parse(classic ? expression.mid(5) : expression, !classic);
    const QTimeZone tz = timeZone(zone.toStdString());
    const std::vector<QDateTime> times = nextFireTimes(e, utc(after), tz, int(expected.size()));
    QCOMPARE(utcTexts(times), expected);
    QCOMPARE(localTexts(times), local);
    for (const QDateTime &t : times)
        QCOMPARE(t.timeZone(), tz);
}

void tst_Schedule::noFireTime_data()
{
    QTest::addColumn<QString>("expression");
    QTest::addColumn<QString>("after");

    QTest::newRow("year in the past") << "0 0 0 * * ? 2020"
                                      << "2026-01-01T00:00:00Z";
    QTest::newRow("last fire time passed") << "0 0 12 1 1 ? 2026"
                                           << "2026-01-01T12:00:00Z";
    QTest::newRow("February 30th") << "0 0 0 30 2 ?"
                                   << "2026-01-01T00:00:00Z";
    QTest::newRow("31st of short months") << "0 0 0 31 APR,JUN,SEP,NOV ?"
                                          << "2026-01-01T00:00:00Z";
    QTest::newRow("after the last year allowed") << "0 0 0 * * ? 2026-2099"
                                                 << "2100-01-01T00:00:00Z";
}

void tst_Schedule::noFireTime()
{
    QFETCH(QString, expression);
    QFETCH(QString, after);
    const CronExpression e = parse(expression, true);
    const std::optional<QDateTime> next = nextFireTime(e, utc(after), timeZone("UTC"));
    QVERIFY2(!next, next ? qPrintable(next->toString(Qt::ISODate)) : "");
}

void tst_Schedule::strictlyAfterAndInZone()
{
    const CronExpression e = parseCron("0 0 9 ? * MON-FRI", true);
    const QTimeZone berlin = timeZone("Europe/Berlin");
    // `after` in another zone's terms: Monday 2026-01-05 08:00 UTC is 09:00 Berlin, a fire time itself.
    const QDateTime after = QDateTime(QDate(2026, 1, 5), QTime(3, 0), timeZone("America/New_York"));
    const std::optional<QDateTime> next = nextFireTime(e, after, berlin);
    QVERIFY(next);
    QCOMPARE(next->toString(Qt::ISODate), QStringLiteral("2026-01-06T09:00:00+01:00"));
    QCOMPARE(next->timeZone(), berlin);
    // A millisecond before the fire time still gets it.
    QCOMPARE(nextFireTime(e, utc("2026-01-05T07:59:59.999Z"), berlin)->toUTC().toString(Qt::ISODate),
             QStringLiteral("2026-01-05T08:00:00Z"));
    QVERIFY(!nextFireTime(e, QDateTime(), berlin));
    QVERIFY(nextFireTimes(e, utc("2026-01-05T00:00:00Z"), berlin, 0).empty());
    QVERIFY(errorOf([&] { nextFireTime(e, after, QTimeZone()); }).startsWith("time zone: "));
}

void tst_Schedule::timeZones()
{
    QCOMPARE(timeZone("Europe/Berlin").id(), QByteArray("Europe/Berlin"));
    QCOMPARE(timeZone("UTC").offsetFromUtc(utc("2026-07-01T00:00:00Z")), 0);
    QCOMPARE(errorOf([] { timeZone("Mars/Olympus_Mons"); }),
             QStringLiteral("time zone: \"Mars/Olympus_Mons\" is not a known IANA time zone id"));
    QVERIFY(errorOf([] { timeZone(""); }).startsWith("time zone: \"\""));
}

void tst_Schedule::scheduleDefaults()
{
    // A pipeline file's schedule without "timezone_id" or "pause_status" is a live Quartz schedule in UTC.
    Schedule s;
    s.expression = "0 0 2 * * ?";
    QVERIFY(s.quartz);
    QCOMPARE(s.timezone, std::string("UTC"));
    QVERIFY(!s.paused);
    QCOMPARE(utcTexts(nextFireTimes(parseCron(s.expression, s.quartz), utc("2026-01-01T03:00:00Z"),
                                    timeZone(s.timezone), 1)),
             QStringList{"2026-01-02T02:00:00Z"});
}

void tst_Schedule::systemdOnCalendar_data()
{
    QTest::addColumn<QString>("expression");
    QTest::addColumn<bool>("quartz");
    QTest::addColumn<QString>("zone");
    QTest::addColumn<QStringList>("expected");

    // Each expected value was checked with `systemd-analyze calendar`.
    QTest::newRow("weekdays") << "0 30 2 ? * MON-FRI" << true << "Europe/Berlin"
                              << QStringList{"Mon..Fri *-*-* 02:30:00 Europe/Berlin"};
    QTest::newRow("daily") << "0 30 2 * * ?" << true << "UTC" << QStringList{"*-*-* 02:30:00 UTC"};
    QTest::newRow("every 15 minutes") << "0 0/15 * * * ?" << true << "UTC" << QStringList{"*-*-* *:00/15:00 UTC"};
    QTest::newRow("step ranges") << "30 5/15 9-17/4 * * ?" << true << "UTC"
                                 << QStringList{"*-*-* 09,13,17:05/15:30 UTC"};
    QTest::newRow("last day") << "0 0 12 L * ?" << true << "UTC" << QStringList{"*-*~01 12:00:00 UTC"};
    QTest::newRow("third-last day") << "0 0 12 L-2 * ?" << true << "UTC" << QStringList{"*-*~03 12:00:00 UTC"};
    QTest::newRow("28th-last day") << "0 0 12 L-27 * ?" << true << "UTC" << QStringList{"*-*~28 12:00:00 UTC"};
    QTest::newRow("last Friday") << "0 0 10 ? * 6L" << true << "UTC" << QStringList{"Fri *-*~01..07 10:00:00 UTC"};
    QTest::newRow("third Friday") << "0 0 10 ? * 6#3" << true << "UTC" << QStringList{"Fri *-*-15..21 10:00:00 UTC"};
    QTest::newRow("fifth Monday") << "0 0 10 ? * MON#5" << true << "UTC" << QStringList{"Mon *-*-29..31 10:00:00 UTC"};
    QTest::newRow("names") << "0 0 6 ? JAN,JUL SUN" << true << "UTC" << QStringList{"Sun *-01,07-* 06:00:00 UTC"};
    QTest::newRow("weekdays wrapping") << "0 0 0 ? * FRI-MON" << true << "UTC"
                                       << QStringList{"Mon,Fri..Sun *-*-* 00:00:00 UTC"};
    QTest::newRow("days of month") << "0 0 0 1-3,10,20 * ?" << true << "UTC"
                                   << QStringList{"*-*-01..03,10,20 00:00:00 UTC"};
    QTest::newRow("year list") << "0 0 0 1 1 ? 2028,2030" << true << "UTC"
                               << QStringList{"2028,2030-01-01 00:00:00 UTC"};
    QTest::newRow("year range") << "0 0 0 1 JAN ? 2026-2028" << true << "UTC"
                                << QStringList{"2026..2028-01-01 00:00:00 UTC"};
    QTest::newRow("cron") << "15,45 8-17 * * *" << false << "America/New_York"
                          << QStringList{"*-*-* 08..17:15,45:00 America/New_York"};
    QTest::newRow("cron dom OR dow") << "30 8 1,15 * MON" << false << "UTC"
                                     << QStringList{"Mon *-*-* 08:30:00 UTC", "*-*-01,15 08:30:00 UTC"};
    QTest::newRow("cron star dom ANDs") << "0 9 */2 * 1-5" << false << "UTC"
                                        << QStringList{"Mon..Fri *-*-01/2 09:00:00 UTC"};
}

void tst_Schedule::systemdOnCalendar()
{
    QFETCH(QString, expression);
    QFETCH(bool, quartz);
    QFETCH(QString, zone);
    QFETCH(QStringList, expected);
    QCOMPARE(texts(toSystemdOnCalendar(parse(expression, quartz), zone.toStdString())), expected);
}

void tst_Schedule::systemdRefusals_data()
{
    QTest::addColumn<QString>("expression");
    QTest::addColumn<QString>("zone");
    QTest::addColumn<QString>("error");

    QTest::newRow("W") << "0 0 8 15W * ?"
                       << "UTC"
                       << "day-of-month: \"15W\": W (nearest weekday) has no systemd OnCalendar equivalent";
    QTest::newRow("LW") << "0 0 18 LW * ?"
                        << "UTC"
                        << "day-of-month: \"LW\": LW (last weekday of the month) has no systemd OnCalendar "
                           "equivalent";
    QTest::newRow("L-28") << "0 0 8 L-28 * ?"
                          << "UTC"
                          << "day-of-month: \"L-28\": systemd OnCalendar counts at most 28 days from the end of "
                             "the month (\"~28\")";
    QTest::newRow("unknown zone") << "0 0 8 * * ?"
                                  << "Europe/Atlantis"
                                  << "time zone: \"Europe/Atlantis\" is not a known IANA time zone id";
}

void tst_Schedule::systemdRefusals()
{
    QFETCH(QString, expression);
    QFETCH(QString, zone);
    QFETCH(QString, error);
    const CronExpression e = parse(expression, true);
    QCOMPARE(errorOf([&] { toSystemdOnCalendar(e, zone.toStdString()); }), error);
}

void tst_Schedule::crontabFields_data()
{
    QTest::addColumn<QString>("expression");
    QTest::addColumn<bool>("quartz");
    QTest::addColumn<QString>("expected");

    QTest::newRow("daily") << "0 30 2 * * ?" << true << "30 2 * * *";
    QTest::newRow("every 15 minutes") << "0 0/15 * * * ?" << true << "*/15 * * * *";
    QTest::newRow("step ranges") << "0 5/15 9-17/4 * * ?" << true << "5-59/15 9,13,17 * * *";
    QTest::newRow("weekdays") << "0 0 9 ? * MON-FRI" << true << "0 9 * * 1-5";
    QTest::newRow("names") << "0 0 6 ? JAN,JUL SUN" << true << "0 6 * 1,7 0";
    QTest::newRow("days of month") << "0 0 0 1-3,10,20 * ?" << true << "0 0 1-3,10,20 * *";
    QTest::newRow("explicit year star") << "0 0 0 1 * ? *" << true << "0 0 1 * *";
    QTest::newRow("cron dom OR dow") << "30 8 1,15 * MON" << false << "30 8 1,15 * 1";
    QTest::newRow("cron full dom range keeps its OR") << "0 0 1-31 * 1" << false << "0 0 1-31 * 1";
    QTest::newRow("cron star step keeps its AND") << "0 9 */2 * 1-5" << false << "0 9 */2 * 1-5";
    QTest::newRow("cron 7 is Sunday") << "0 0 * * 5-7" << false << "0 0 * * 0,5,6";
    QTest::newRow("cron 0-7") << "0 0 * * 0-7" << false << "0 0 * * 0-6";
    QTest::newRow("cron macro") << "@monthly" << false << "0 0 1 * *";
}

void tst_Schedule::crontabFields()
{
    QFETCH(QString, expression);
    QFETCH(bool, quartz);
    QFETCH(QString, expected);
    QCOMPARE(QString::fromStdString(toCrontabFields(parse(expression, quartz))), expected);
}

void tst_Schedule::crontabRefusals_data()
{
    QTest::addColumn<QString>("expression");
    QTest::addColumn<QString>("error");

    QTest::newRow("seconds") << "30 0 * * * ?"
                             << "second: \"30\": crontab has no seconds field, so only \"0\" can be written";
    QTest::newRow("year") << "0 0 0 1 1 ? 2030"
                          << "year: \"2030\": crontab has no year field";
    QTest::newRow("L") << "0 0 0 L * ?"
                       << "day-of-month: \"L\": L (last day of the month) has no crontab equivalent";
    QTest::newRow("LW") << "0 0 0 LW * ?"
                        << "day-of-month: \"LW\": LW (last weekday of the month) has no crontab equivalent";
    QTest::newRow("W") << "0 0 0 1W * ?"
                       << "day-of-month: \"1W\": W (nearest weekday) has no crontab equivalent";
    QTest::newRow("nL") << "0 0 0 ? * 6L"
                        << "day-of-week: \"6L\": L (last weekday n of the month) has no crontab equivalent";
    QTest::newRow("#") << "0 0 0 ? * 6#3"
                       << "day-of-week: \"6#3\": # (n-th weekday of the month) has no crontab equivalent";
}

void tst_Schedule::crontabRefusals()
{
    QFETCH(QString, expression);
    QFETCH(QString, error);
    const CronExpression e = parse(expression, true);
    QCOMPARE(errorOf([&] { toCrontabFields(e); }), error);
}

void tst_Schedule::installedTextsReadBack_data()
{
    QTest::addColumn<QString>("folder"); // of the pipeline file and the workspace
    QTest::addColumn<QString>("name");
    QTest::newRow("plain") << "/home/ann/ml"
                           << "nightly";
    QTest::newRow("spaces and quotes") << "/home/ann/my \"best\" 'models'"
                                       << "nightly";
    QTest::newRow("percent and dollar") << "/data/100% $HOME ${USER} %n %% $$"
                                        << "p";
    QTest::newRow("backslashes") << "/data/a\\b\\%c\\\\ d\\$e\\"
                                 << "p";
    QTest::newRow("unicode") << QString::fromUtf8("/data/caf\xc3\xa9 \xe6\x95\xb0\xe6\x8d\xae \xf0\x9f\x93\xb7")
                             << QString::fromUtf8("nuit\xc3\xa9");
    QTest::newRow("shell and systemd syntax") << "/data/a;b|c&d`e`$(f) ; - @x #y *z [w] ~v {u}=t"
                                              << "n";
    QTest::newRow("odd name") << "/data"
                              << "n % $x \" ' ;";
}

void tst_Schedule::installedTextsReadBack()
{
    QFETCH(QString, folder);
    QFETCH(QString, name);
    InstalledSchedule s;
    s.pipeline = name.toStdString();
    s.file = (folder + "/pipe 50%.json").toStdString();
    s.argv = {"/opt/pipe wright/bin/pipewright", "pipeline", "run", s.file, "--workspace",
              (folder + "/ws").toStdString()};
    s.expression = "0 30 2 * * ?";
    s.timezone = "Europe/Berlin";

    // systemd: only the settings written, each on its line, and ExecStart= reads back as argv.
    const std::string service = pw::pipeline::systemdServiceText(s);
    const QStringList lines = QString::fromStdString(service).split('\n');
    QStringList keys;
    QString exec, description;
    for (const QString &line : lines) {
        if (line.isEmpty() || line.startsWith('['))
            continue;
        const QString key = line.section('=', 0, 0);
        keys << key;
        if (key == "ExecStart")
            exec = line.section('=', 1);
        if (key == "Description")
            description = line.section('=', 1);
    }
    QCOMPARE(keys, (QStringList{"Description", "Type", "ExecStart"}));
    QCOMPARE(lines.filter(QRegularExpression("^\\[")), (QStringList{"[Unit]", "[Service]"}));
    try {
        QCOMPARE(qtexts(systemdExecArgv(exec.toStdString())), qtexts(s.argv));
    } catch (const std::runtime_error &e) {
        QFAIL(qPrintable(exec + ": " + e.what()));
    }
    QCOMPARE(description.replace("%%", "%"),
             "Pipewright pipeline " + name + " (" + QString::fromStdString(s.file) + ")");

    const std::string timer = pw::pipeline::systemdTimerText(s);
    QVERIFY2(QString::fromStdString(timer).split('\n').contains("OnCalendar=*-*-* 02:30:00 Europe/Berlin"),
             timer.c_str());
    QVERIFY2(QString::fromStdString(timer).split('\n').filter(QRegularExpression("^[A-Za-z]+=")).size() == 4,
             timer.c_str());

    // cron: the time zone line, then the time fields and a command that cron and sh read back as argv.
    const auto cron = pw::pipeline::crontabLines(s);
    QCOMPARE(cron.size(), std::size_t(2));
    QCOMPARE(QString::fromStdString(cron[0]), "CRON_TZ=Europe/Berlin");
    QVERIFY(cron[1].find('\n') == std::string::npos);
    QVERIFY2(cron[1].rfind("30 2 * * * ", 0) == 0, cron[1].c_str());
    try {
        QCOMPARE(qtexts(crontabArgv(cron[1].substr(11))), qtexts(s.argv));
    } catch (const std::runtime_error &e) {
        QFAIL(qPrintable(QString::fromStdString(cron[1]) + ": " + e.what()));
    }
}

void tst_Schedule::crontabRefusesLineBreaks()
{
    // A crontab entry is one line: a newline cannot be carried, and is named (escaped) in the refusal.
    InstalledSchedule s;
    s.pipeline = "p";
    s.argv = {"/bin/pipewright", "pipeline", "run", "/data/a\nb.json"};
    s.expression = "0 30 2 * * ?";
    const QString error = errorOf([&] { pw::pipeline::crontabLines(s); });
    QVERIFY2(error.contains("'/data/a\\nb.json'") && error.contains("control character \\n"), qPrintable(error));
    // systemd writes it as a C escape, on the ExecStart= line.
    const QString service = QString::fromStdString(pw::pipeline::systemdServiceText(s));
    QVERIFY2(service.contains("ExecStart=\"/bin/pipewright\" pipeline run \"/data/a\\nb.json\"\n"),
             qPrintable(service));
}

void tst_Schedule::pauseStatusEditedInPlace_data()
{
    QTest::addColumn<QByteArray>("before");
    QTest::addColumn<bool>("paused");
    QTest::addColumn<QByteArray>("after");

    QTest::newRow("replaced in place")
        << QByteArray(
               "{\n  \"name\": \"n\",\n  \"schedule\": {\"cron\": \"0 1 * * *\", \"pause_status\":   \"UNPAUSED\"},\n"
               "  \"tasks\": []\n}\n")
        << true
        << QByteArray(
               "{\n  \"name\": \"n\",\n  \"schedule\": {\"cron\": \"0 1 * * *\", \"pause_status\":   \"PAUSED\"},\n"
               "  \"tasks\": []\n}\n");
    QTest::newRow("added in the file's layout")
        << QByteArray("{\n    \"schedule\": {\n        \"quartz_cron_expression\": \"0 0 1 * * ?\",\n"
                      "        \"timezone_id\": \"UTC\"\n    },\n    \"name\": \"n\"\n}")
        << true
        << QByteArray("{\n    \"schedule\": {\n        \"quartz_cron_expression\": \"0 0 1 * * ?\",\n"
                      "        \"timezone_id\": \"UTC\",\n        \"pause_status\": \"PAUSED\"\n    },\n    \"name\": "
                      "\"n\"\n}");
    QTest::newRow("added to a compact object")
        << QByteArray(R"({"name":"n","schedule":{"cron":"0 1 * * *"},"tasks":[]})") << false
        << QByteArray(R"({"name":"n","schedule":{"cron":"0 1 * * *","pause_status":"UNPAUSED"},"tasks":[]})");
    QTest::newRow("added to an empty schedule")
        << QByteArray(R"({"schedule": { }, "name": "n"})") << true
        << QByteArray(R"({"schedule": {"pause_status": "PAUSED" }, "name": "n"})");
    // Look-alikes elsewhere stay as they are: a task's params, a string holding braces and quotes, a
    // schedule-named key inside another object.
    QTest::newRow("look-alikes untouched")
        << QByteArray(
               R"({"tasks": [{"params": {"schedule": {"pause_status": "UNPAUSED"}, "x": "}\"{ \"pause_status\": 1"}}], )"
               R"("schedule": {"pause_status": "UNPAUSED", "cron": "0 1 * * *"}, "notes": "caf\u00e9 \u2603"})")
        << true
        << QByteArray(
               R"({"tasks": [{"params": {"schedule": {"pause_status": "UNPAUSED"}, "x": "}\"{ \"pause_status\": 1"}}], )"
               R"("schedule": {"pause_status": "PAUSED", "cron": "0 1 * * *"}, "notes": "caf\u00e9 \u2603"})");
}

void tst_Schedule::pauseStatusEditedInPlace()
{
    QFETCH(QByteArray, before);
    QFETCH(bool, paused);
    QFETCH(QByteArray, after);
    QCOMPARE(pw::pipeline::withPauseStatus(before, paused), after);
    QCOMPARE(errorOf([] { pw::pipeline::withPauseStatus(R"({"name": "n", "tasks": []})", true); }),
             "no \"schedule\" object");
}

QTEST_GUILESS_MAIN(tst_Schedule)
#include "tst_schedule.moc"
