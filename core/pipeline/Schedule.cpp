// Cron parsing, next fire times by walking wall-clock fields in a time zone, and translation to systemd
// OnCalendar= values and crontab fields.
#include "core/pipeline/Schedule.h"

#include "core/pipeline/Pipeline.h"

#include <QDate>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTime>

#include <algorithm>
#include <array>
#include <cctype>
#include <cstddef>
#include <cstdio>
#include <cstring>
#include <optional>
#include <stdexcept>

namespace pw::pipeline {

namespace {

enum class Names
{
    None,
    Month,
    Weekday
};

struct FieldSpec
{
    const char *name;
    int lo;
    int hi;
    Names names = Names::None;
};

constexpr FieldSpec kSecond{"second", 0, 59};
constexpr FieldSpec kMinute{"minute", 0, 59};
constexpr FieldSpec kHour{"hour", 0, 23};
constexpr FieldSpec kDayOfMonth{"day-of-month", 1, 31};
constexpr FieldSpec kMonth{"month", 1, 12, Names::Month};
constexpr FieldSpec kQuartzDayOfWeek{"day-of-week", 1, 7, Names::Weekday}; // 1 = Sunday
constexpr FieldSpec kCronDayOfWeek{"day-of-week", 0, 7, Names::Weekday}; // 0 and 7 = Sunday
constexpr FieldSpec kYear{"year", CronExpression::kFirstYear, CronExpression::kLastYear};

constexpr std::array<const char *, 12> kMonthNames{"JAN", "FEB", "MAR", "APR", "MAY", "JUN",
                                                   "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"};
constexpr std::array<const char *, 7> kDayNames{"SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"};
constexpr std::array<const char *, 7> kSystemdDayNames{"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};

std::string quoted(const std::string &s)
{
    return '"' + s + '"';
}

[[noreturn]] void fail(const FieldSpec &f, const std::string &message)
{
    throw std::invalid_argument(std::string(f.name) + ": " + message);
}

std::string rangeText(const FieldSpec &f)
{
    return std::to_string(f.lo) + "-" + std::to_string(f.hi);
}

/** A plain decimal number of at most 9 digits, or nothing. */
std::optional<int> toNumber(const std::string &s)
{
    if (s.empty() || s.size() > 9 || !std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; }))
        return std::nullopt;
    return std::stoi(s);
}

/** A value of field `f`: a number in its range or, where the field has them, a name (Quartz weekday names
 *  count from 1 = SUN, classic ones from 0). */
int fieldValue(const std::string &token, const FieldSpec &f, bool quartz)
{
    if (const std::optional<int> n = toNumber(token)) {
        if (*n < f.lo || *n > f.hi)
            fail(f, quoted(token) + " is out of range " + rangeText(f));
        return *n;
    }
    if (f.names == Names::Month)
        for (std::size_t i = 0; i < kMonthNames.size(); ++i)
            if (token == kMonthNames[i])
                return int(i) + 1;
    if (f.names == Names::Weekday)
        for (std::size_t i = 0; i < kDayNames.size(); ++i)
            if (token == kDayNames[i])
                return int(i) + (quartz ? 1 : 0);
    fail(f, quoted(token) + (f.names == Names::None ? " is not a number" : " is not a number or a name"));
}

/** The values of a list field ("*", "5", "1-5", "*\/15", "5/15", "MON-FRI", "1,3,5"), in f.lo..f.hi. Quartz
 *  ranges may wrap around ("FRI-MON", "22-2"), years excepted; classic ones may not. */
std::vector<int> parseList(const std::string &field, const FieldSpec &f, bool quartz)
{
    std::vector<int> out;
    const int span = f.hi - f.lo + 1;
    std::size_t start = 0;
    for (;;) {
        const std::size_t comma = field.find(',', start);
        const std::string item = field.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
        if (item.empty())
            fail(f, "empty item in " + quoted(field));
        std::string base = item;
        int step = 1;
        bool stepped = false;
        if (const std::size_t slash = item.find('/'); slash != std::string::npos) {
            base = item.substr(0, slash);
            const std::string stepText = item.substr(slash + 1);
            const std::optional<int> s = toNumber(stepText);
            if (!s || *s < 1 || *s > span)
                fail(f, "step " + quoted(stepText) + " in " + quoted(item) + " must be 1-" + std::to_string(span));
            step = *s;
            stepped = true;
        }
        int from = 0;
        int to = 0;
        if (base == "*") {
            from = f.lo;
            to = f.hi;
        } else if (const std::size_t dash = base.find('-'); dash != std::string::npos && dash > 0) {
            from = fieldValue(base.substr(0, dash), f, quartz);
            to = fieldValue(base.substr(dash + 1), f, quartz);
            if (to < from) {
                if (!quartz || &f == &kYear)
                    fail(f, "range " + quoted(base) + " is reversed");
                to += span; // Quartz wraps: "FRI-MON" is FRI,SAT,SUN,MON
            }
        } else {
            from = fieldValue(base, f, quartz);
            to = stepped ? f.hi : from; // "5/15" is 5, 20, 35, 50
        }
        for (int v = from; v <= to; v += step)
            out.push_back(f.lo + (v - f.lo) % span);
        if (comma == std::string::npos)
            break;
        start = comma + 1;
    }
    return out;
}

template<std::size_t N> std::bitset<N> toBits(const std::vector<int> &values, int shift = 0)
{
    std::bitset<N> bits;
    for (int v : values)
        bits.set(std::size_t(v - shift));
    return bits;
}

/** Quartz's day-of-month field: "?", "L", "L-n", "LW", "nW" or a list. */
void parseQuartzDayOfMonth(const std::string &field, CronExpression &e)
{
    if (field == "?") {
        e.dayOfMonthRule = DayOfMonthRule::Any;
        return;
    }
    if (field.find_first_of("LW") == std::string::npos) {
        e.dayOfMonthRule = DayOfMonthRule::Set;
        e.daysOfMonth = toBits<32>(parseList(field, kDayOfMonth, true));
        return;
    }
    // As in Quartz's parser, L and W stand alone.
    if (field.find(',') != std::string::npos)
        fail(kDayOfMonth, quoted(field) + ": L and W cannot be combined with other days");
    if (field == "L") {
        e.dayOfMonthRule = DayOfMonthRule::Last;
    } else if (field.rfind("L-", 0) == 0) {
        const std::optional<int> n = toNumber(field.substr(2));
        if (!n || *n > 30)
            fail(kDayOfMonth, "offset in " + quoted(field) + " must be 0-30");
        e.dayOfMonthRule = DayOfMonthRule::Last;
        e.lastDayOffset = *n;
    } else if (field == "LW") {
        e.dayOfMonthRule = DayOfMonthRule::LastWeekday;
    } else if (field.size() >= 2 && field.back() == 'W' && toNumber(field.substr(0, field.size() - 1))) {
        e.dayOfMonthRule = DayOfMonthRule::NearestWeekday;
        e.nearestWeekdayTo = fieldValue(field.substr(0, field.size() - 1), kDayOfMonth, true);
    } else {
        fail(kDayOfMonth, quoted(field) + " is not L, L-n, LW or nW with a single day n");
    }
}

/** Quartz's day-of-week field: "?", "L" (Saturday), "nL", "n#k" or a list. */
void parseQuartzDayOfWeek(const std::string &field, CronExpression &e)
{
    if (field == "?") {
        e.dayOfWeekRule = DayOfWeekRule::Any;
        return;
    }
    // No day name contains 'L' or '#', so they can only be the special forms.
    if (field.find_first_of("L#") == std::string::npos) {
        e.dayOfWeekRule = DayOfWeekRule::Set;
        e.daysOfWeek = toBits<7>(parseList(field, kQuartzDayOfWeek, true), 1);
        return;
    }
    if (field.find(',') != std::string::npos)
        fail(kQuartzDayOfWeek, quoted(field) + ": L and # cannot be combined with other days");
    if (field == "L") { // Quartz: "L" alone in day-of-week is 7, Saturday
        e.dayOfWeekRule = DayOfWeekRule::Set;
        e.daysOfWeek.set(6);
    } else if (field.size() >= 2 && field.back() == 'L') {
        e.dayOfWeekRule = DayOfWeekRule::Last;
        e.weekday = fieldValue(field.substr(0, field.size() - 1), kQuartzDayOfWeek, true) - 1;
    } else if (const std::size_t hash = field.find('#'); hash != std::string::npos && hash > 0) {
        e.dayOfWeekRule = DayOfWeekRule::Nth;
        e.weekday = fieldValue(field.substr(0, hash), kQuartzDayOfWeek, true) - 1;
        const std::optional<int> k = toNumber(field.substr(hash + 1));
        if (!k || *k < 1 || *k > 5)
            fail(kQuartzDayOfWeek, "occurrence in " + quoted(field) + " must be 1-5");
        e.nthWeekday = *k;
    } else {
        fail(kQuartzDayOfWeek, quoted(field) + " is not L, nL or n#k");
    }
}

std::vector<std::string> splitFields(const std::string &text)
{
    std::vector<std::string> out;
    std::string current;
    for (char c : text) {
        if (std::isspace(static_cast<unsigned char>(c))) {
            if (!current.empty())
                out.push_back(std::move(current));
            current.clear();
        } else {
            current += char(std::toupper(static_cast<unsigned char>(c)));
        }
    }
    if (!current.empty())
        out.push_back(std::move(current));
    return out;
}

/** Vixie cron's shorthands. */
std::optional<std::string> expandMacro(const std::string &word)
{
    if (word == "@YEARLY" || word == "@ANNUALLY")
        return "0 0 1 1 *";
    if (word == "@MONTHLY")
        return "0 0 1 * *";
    if (word == "@WEEKLY")
        return "0 0 * * 0";
    if (word == "@DAILY" || word == "@MIDNIGHT")
        return "0 0 * * *";
    if (word == "@HOURLY")
        return "0 * * * *";
    return std::nullopt;
}

[[noreturn]] void failExpression(const std::string &message)
{
    throw std::invalid_argument("expression: " + message);
}

// ---- next fire time ----------------------------------------------------------------------------------------

/** A wall-clock time in the schedule's time zone, normalised (month 1-12, day within the month, ...). */
struct Wall
{
    int year;
    int month;
    int day;
    int hour;
    int minute;
    int second;
};

int daysInMonth(int year, int month)
{
    return QDate(year, month, 1).daysInMonth();
}

void startOfNextMonth(Wall &w)
{
    w = w.month == 12 ? Wall{w.year + 1, 1, 1, 0, 0, 0} : Wall{w.year, w.month + 1, 1, 0, 0, 0};
}

void startOfNextDay(Wall &w)
{
    if (w.day == daysInMonth(w.year, w.month))
        startOfNextMonth(w);
    else
        w = {w.year, w.month, w.day + 1, 0, 0, 0};
}

void startOfNextHour(Wall &w)
{
    if (w.hour == 23)
        startOfNextDay(w);
    else
        w = {w.year, w.month, w.day, w.hour + 1, 0, 0};
}

void startOfNextMinute(Wall &w)
{
    if (w.minute == 59)
        startOfNextHour(w);
    else
        w = {w.year, w.month, w.day, w.hour, w.minute + 1, 0};
}

void nextSecond(Wall &w)
{
    if (w.second == 59)
        startOfNextMinute(w);
    else
        ++w.second;
}

/** The lowest set bit at or above `from`, or -1. */
template<std::size_t N> int nextBit(const std::bitset<N> &bits, int from)
{
    for (int i = std::max(from, 0); i < int(N); ++i)
        if (bits[std::size_t(i)])
            return i;
    return -1;
}

/** The days of year-month the expression's day fields select (bit d for day d). */
std::bitset<32> dayMask(const CronExpression &e, int year, int month)
{
    const int days = daysInMonth(year, month);
    const int firstWeekday = QDate(year, month, 1).dayOfWeek() % 7; // 0 = Sunday
    const auto weekdayOf = [&](int day) { return (firstWeekday + day - 1) % 7; };

    std::bitset<32> byMonthDay;
    switch (e.dayOfMonthRule) {
    case DayOfMonthRule::Any:
        for (int d = 1; d <= days; ++d)
            byMonthDay.set(std::size_t(d));
        break;
    case DayOfMonthRule::Set:
        for (int d = 1; d <= days; ++d)
            byMonthDay[std::size_t(d)] = e.daysOfMonth[std::size_t(d)];
        break;
    case DayOfMonthRule::Last:
        if (days - e.lastDayOffset >= 1)
            byMonthDay.set(std::size_t(days - e.lastDayOffset));
        break;
    case DayOfMonthRule::LastWeekday: {
        const int w = weekdayOf(days);
        byMonthDay.set(std::size_t(w == 6 ? days - 1 : w == 0 ? days - 2 : days));
        break;
    }
    case DayOfMonthRule::NearestWeekday: {
        // Quartz: the weekday nearest to day n without leaving the month ("1W" on a Saturday is Monday the
        // 3rd). A month without day n has no such day.
        const int n = e.nearestWeekdayTo;
        if (n > days)
            break;
        const int w = weekdayOf(n);
        int d = n;
        if (w == 6)
            d = n == 1 ? 3 : n - 1;
        else if (w == 0)
            d = n == days ? n - 2 : n + 1;
        byMonthDay.set(std::size_t(d));
        break;
    }
    }

    std::bitset<32> byWeekday;
    for (int d = 1; d <= days; ++d) {
        const int w = weekdayOf(d);
        bool match = false;
        switch (e.dayOfWeekRule) {
        case DayOfWeekRule::Any: match = true; break;
        case DayOfWeekRule::Set: match = e.daysOfWeek[std::size_t(w)]; break;
        case DayOfWeekRule::Last: match = w == e.weekday && d + 7 > days; break;
        case DayOfWeekRule::Nth: match = w == e.weekday && (d - 1) / 7 + 1 == e.nthWeekday; break;
        }
        byWeekday[std::size_t(d)] = match;
    }

    // Quartz has "?" in one of the fields, so AND is right; classic cron ORs two restricted fields (Vixie).
    if (!e.quartz && !e.dayOfMonthStar && !e.dayOfWeekStar)
        return byMonthDay | byWeekday;
    return byMonthDay & byWeekday;
}

/** The first wall-clock time at or after `w` that the expression selects, up to the end of `lastYear`. */
std::optional<Wall> nextWall(const CronExpression &e, Wall w, int lastYear)
{
    for (;;) {
        if (w.year > lastYear)
            return std::nullopt;
        if (!e.anyYear) {
            const int y = w.year > CronExpression::kLastYear ? -1
                                                             : nextBit(e.years, w.year - CronExpression::kFirstYear);
            if (y < 0)
                return std::nullopt;
            if (y + CronExpression::kFirstYear != w.year) {
                w = {y + CronExpression::kFirstYear, 1, 1, 0, 0, 0};
                continue;
            }
        }
        const int month = nextBit(e.months, w.month);
        if (month < 0) {
            w = {w.year + 1, 1, 1, 0, 0, 0};
            continue;
        }
        if (month != w.month)
            w = {w.year, month, 1, 0, 0, 0};
        const int day = nextBit(dayMask(e, w.year, w.month), w.day);
        if (day < 0) {
            startOfNextMonth(w);
            continue;
        }
        if (day != w.day)
            w = {w.year, w.month, day, 0, 0, 0};
        const int hour = nextBit(e.hours, w.hour);
        if (hour < 0) {
            startOfNextDay(w);
            continue;
        }
        if (hour != w.hour)
            w = {w.year, w.month, w.day, hour, 0, 0};
        const int minute = nextBit(e.minutes, w.minute);
        if (minute < 0) {
            startOfNextHour(w);
            continue;
        }
        if (minute != w.minute)
            w = {w.year, w.month, w.day, w.hour, minute, 0};
        const int second = nextBit(e.seconds, w.second);
        if (second < 0) {
            startOfNextMinute(w);
            continue;
        }
        w.second = second;
        return w;
    }
}

int offsetAt(const QTimeZone &tz, qint64 utcSeconds)
{
    return tz.offsetFromUtc(QDateTime::fromSecsSinceEpoch(utcSeconds, Qt::UTC));
}

/**
 * The first instant (seconds since the epoch) whose wall-clock time in `tz` is `w`, or nothing when `w` falls
 * in a gap. Offsets are probed a day either side rather than trusting QDateTime's own gap handling, which
 * Qt 6.4 leaves unspecified; no zone changes its offset twice within two days.
 */
std::optional<qint64> firstInstant(const Wall &w, const QTimeZone &tz)
{
    const qint64 naive = (QDate(w.year, w.month, w.day).toJulianDay() - QDate(1970, 1, 1).toJulianDay()) * 86400
                         + w.hour * 3600 + w.minute * 60 + w.second;
    std::optional<qint64> first;
    for (const qint64 probe : {naive - 86400, naive, naive + 86400}) {
        const int offset = offsetAt(tz, probe);
        const qint64 instant = naive - offset;
        if (offsetAt(tz, instant) == offset && (!first || instant < *first))
            first = instant;
    }
    return first;
}

// ---- systemd and crontab ---------------------------------------------------------------------------------

template<std::size_t N> std::vector<int> valuesOf(const std::bitset<N> &bits, int shift = 0)
{
    std::vector<int> out;
    for (std::size_t i = 0; i < N; ++i)
        if (bits[i])
            out.push_back(int(i) + shift);
    return out;
}

bool isFull(const std::vector<int> &v, int lo, int hi)
{
    return int(v.size()) == hi - lo + 1;
}

/** The step s when v is v[0], v[0]+s, ... up to the last one not past hi, with s > 1 and at least three
 *  values; else 0. */
int progressionStep(const std::vector<int> &v, int hi)
{
    if (v.size() < 3)
        return 0;
    const int s = v[1] - v[0];
    if (s <= 1 || v.back() + s <= hi)
        return 0;
    for (std::size_t i = 1; i < v.size(); ++i)
        if (v[i] - v[i - 1] != s)
            return 0;
    return s;
}

std::string padded(int v, int width)
{
    std::string s = std::to_string(v);
    return std::string(std::size_t(std::max(0, width - int(s.size()))), '0') + s;
}

/** Runs of consecutive values: three or more as "a<sep>b", shorter ones listed. */
std::string runs(const std::vector<int> &v, const std::string &rangeSep, int width)
{
    std::string out;
    for (std::size_t i = 0; i < v.size();) {
        std::size_t j = i;
        while (j + 1 < v.size() && v[j + 1] == v[j] + 1)
            ++j;
        const auto add = [&](const std::string &part) { out += (out.empty() ? "" : ",") + part; };
        if (j - i >= 2) {
            add(padded(v[i], width) + rangeSep + padded(v[j], width));
        } else {
            for (std::size_t k = i; k <= j; ++k)
                add(padded(v[k], width));
        }
        i = j + 1;
    }
    return out;
}

std::string systemdList(const std::vector<int> &v, int lo, int hi, int width, bool steps = true)
{
    if (isFull(v, lo, hi))
        return "*";
    if (const int s = steps ? progressionStep(v, hi) : 0)
        return padded(v.front(), width) + "/" + std::to_string(s);
    return runs(v, "..", width);
}

/** Weekdays Monday first, as systemd writes them; empty when all seven. */
std::string systemdWeekdays(const std::bitset<7> &days)
{
    if (days.all())
        return {};
    std::vector<int> mondayFirst; // 1 = Monday ... 7 = Sunday
    for (int w = 1; w <= 7; ++w)
        if (days[std::size_t(w % 7)])
            mondayFirst.push_back(w);
    std::string out;
    for (std::size_t i = 0; i < mondayFirst.size();) {
        std::size_t j = i;
        while (j + 1 < mondayFirst.size() && mondayFirst[j + 1] == mondayFirst[j] + 1)
            ++j;
        const auto name = [&](std::size_t k) { return std::string(kSystemdDayNames[std::size_t(mondayFirst[k] % 7)]); };
        const auto add = [&](const std::string &part) { out += (out.empty() ? "" : ",") + part; };
        if (j - i >= 2) {
            add(name(i) + ".." + name(j));
        } else {
            for (std::size_t k = i; k <= j; ++k)
                add(name(k));
        }
        i = j + 1;
    }
    return out;
}

std::string oneWeekday(int weekday)
{
    return kSystemdDayNames[std::size_t(weekday)];
}

const std::string &fieldText(const CronExpression &e, const FieldSpec &f)
{
    static const std::string none;
    const bool dom = &f == &kDayOfMonth;
    const std::size_t index = e.quartz ? (dom ? 3 : 5) : (dom ? 2 : 4);
    return index < e.fields.size() ? e.fields[index] : none;
}

/** A classic cron field; `mayStar`: "*" may stand for all values (not so for a day field that ORs);
 *  `mustStar`: the field must begin with '*' (a classic day field that began with one keeps its AND). */
std::string crontabList(const std::vector<int> &v, const FieldSpec &f, int lo, int hi, bool mayStar, bool mustStar,
                        const std::string &source = {})
{
    if (mustStar) {
        const int s = v.size() == 1 ? hi - lo + 1 : v[1] - v[0];
        bool ok = !v.empty() && v.front() == lo && v.back() + s > hi;
        for (std::size_t i = 1; ok && i < v.size(); ++i)
            ok = v[i] - v[i - 1] == s;
        if (!ok)
            fail(f, quoted(source) + " cannot be written as a crontab field that begins with '*'");
        return s == 1 ? "*" : "*/" + std::to_string(s);
    }
    if (mayStar && isFull(v, lo, hi))
        return "*";
    if (const int s = progressionStep(v, hi))
        return (mayStar && v.front() == lo ? std::string("*") : std::to_string(v.front()) + "-" + std::to_string(hi))
               + "/" + std::to_string(s);
    return runs(v, "-", 0);
}

} // namespace

CronExpression parseCron(const std::string &expression, bool quartz)
{
    CronExpression e;
    e.text = expression;
    e.quartz = quartz;
    std::vector<std::string> fields = splitFields(expression);
    if (!quartz && fields.size() == 1 && !fields[0].empty() && fields[0][0] == '@') {
        const std::optional<std::string> expanded = expandMacro(fields[0]);
        if (!expanded)
            failExpression(quoted(expression)
                           + " is not one of @yearly, @annually, @monthly, @weekly, @daily, "
                             "@midnight, @hourly");
        fields = splitFields(*expanded);
    }
    if (quartz && (fields.size() < 6 || fields.size() > 7))
        failExpression(quoted(expression) + " has " + std::to_string(fields.size())
                       + " fields; a Quartz expression has 6 or 7 (second minute hour day-of-month month "
                         "day-of-week [year])");
    if (!quartz && fields.size() != 5)
        failExpression(quoted(expression) + " has " + std::to_string(fields.size())
                       + " fields; a cron expression has 5 (minute hour day-of-month month day-of-week)");
    e.fields = fields;

    if (quartz) {
        e.seconds = toBits<60>(parseList(fields[0], kSecond, true));
        e.minutes = toBits<60>(parseList(fields[1], kMinute, true));
        e.hours = toBits<24>(parseList(fields[2], kHour, true));
        parseQuartzDayOfMonth(fields[3], e);
        e.months = toBits<13>(parseList(fields[4], kMonth, true));
        parseQuartzDayOfWeek(fields[5], e);
        if (fields.size() == 7 && fields[6] != "*") {
            e.anyYear = false;
            e.years = toBits<130>(parseList(fields[6], kYear, true), CronExpression::kFirstYear);
        }
        const bool domAny = e.dayOfMonthRule == DayOfMonthRule::Any;
        const bool dowAny = e.dayOfWeekRule == DayOfWeekRule::Any;
        if (domAny && dowAny)
            fail(kQuartzDayOfWeek, "\"?\" in both day-of-month and day-of-week; one of them must be set");
        if (!domAny && !dowAny)
            fail(kQuartzDayOfWeek, quoted(fields[5]) + " and day-of-month " + quoted(fields[3])
                                       + " are both set; Quartz needs \"?\" in one of them");
    } else {
        e.seconds.set(0);
        e.minutes = toBits<60>(parseList(fields[0], kMinute, false));
        e.hours = toBits<24>(parseList(fields[1], kHour, false));
        e.daysOfMonth = toBits<32>(parseList(fields[2], kDayOfMonth, false));
        e.months = toBits<13>(parseList(fields[3], kMonth, false));
        for (int w : parseList(fields[4], kCronDayOfWeek, false))
            e.daysOfWeek.set(std::size_t(w % 7)); // 7 is Sunday too
        e.dayOfMonthStar = fields[2][0] == '*';
        e.dayOfWeekStar = fields[4][0] == '*';
    }
    return e;
}

std::optional<QDateTime> nextFireTime(const CronExpression &e, const QDateTime &after, const QTimeZone &tz)
{
    if (!tz.isValid())
        throw std::invalid_argument("time zone: not a valid time zone");
    if (!after.isValid())
        return std::nullopt;
    const QDateTime local = after.toTimeZone(tz);
    Wall w{local.date().year(), local.date().month(),  local.date().day(),
           local.time().hour(), local.time().minute(), local.time().second()};
    nextSecond(w); // fire times are whole seconds strictly after `after`

    int firstYear = w.year;
    if (!e.anyYear) {
        const int y = nextBit(e.years, w.year - CronExpression::kFirstYear);
        if (w.year > CronExpression::kLastYear || y < 0)
            return std::nullopt;
        firstYear = std::max(firstYear, y + CronExpression::kFirstYear);
    }
    const qint64 afterMs = after.toMSecsSinceEpoch();
    // Candidates are wall-clock times; one in a spring-forward gap does not exist and is skipped, one in a
    // fall-back overlap fires at its first occurrence only (see the header for Quartz's rule), so when
    // `after` lies in the repeated hour its wall-clock times have already fired and are skipped too.
    while (const std::optional<Wall> candidate = nextWall(e, w, firstYear + kSearchYears)) {
        const std::optional<qint64> instant = firstInstant(*candidate, tz);
        if (instant && *instant * 1000 > afterMs)
            return QDateTime::fromSecsSinceEpoch(*instant, tz);
        w = *candidate;
        nextSecond(w);
    }
    return std::nullopt;
}

std::vector<QDateTime> nextFireTimes(const CronExpression &e, const QDateTime &after, const QTimeZone &tz, int count)
{
    std::vector<QDateTime> out;
    QDateTime from = after;
    while (int(out.size()) < count) {
        const std::optional<QDateTime> next = nextFireTime(e, from, tz);
        if (!next)
            break;
        out.push_back(*next);
        from = *next;
    }
    return out;
}

QTimeZone timeZone(const std::string &ianaId)
{
    const QTimeZone tz(QByteArray::fromStdString(ianaId));
    if (ianaId.empty() || !tz.isValid())
        throw std::invalid_argument("time zone: " + quoted(ianaId) + " is not a known IANA time zone id");
    return tz;
}

std::vector<std::string> toSystemdOnCalendar(const CronExpression &e, const std::string &timezone)
{
    timeZone(timezone); // throws naming it when unknown

    const std::string time = systemdList(valuesOf(e.hours), 0, 23, 2) + ":" + systemdList(valuesOf(e.minutes), 0, 59, 2)
                             + ":" + systemdList(valuesOf(e.seconds), 0, 59, 2);
    const std::string year = e.anyYear ? "*"
                                       : systemdList(valuesOf(e.years, CronExpression::kFirstYear),
                                                     CronExpression::kFirstYear, CronExpression::kLastYear, 4,
                                                     /*steps=*/false);
    const std::string month = systemdList(valuesOf(e.months), 1, 12, 2);
    const auto value = [&](const std::string &weekdays, const std::string &day) {
        return (weekdays.empty() ? "" : weekdays + " ") + year + "-" + month + day + " " + time + " " + timezone;
    };
    const std::string everyDay = "-*";
    const std::string monthDays = "-" + systemdList(valuesOf(e.daysOfMonth), 1, 31, 2);

    if (!e.quartz) {
        const std::string weekdays = systemdWeekdays(e.daysOfWeek);
        if (e.dayOfMonthStar || e.dayOfWeekStar)
            return {value(weekdays, monthDays)};
        return {value(weekdays, everyDay), value({}, monthDays)}; // Vixie's OR: either field
    }

    std::string weekdays;
    std::string day = everyDay;
    switch (e.dayOfMonthRule) {
    case DayOfMonthRule::Any: break;
    case DayOfMonthRule::Set: day = monthDays; break;
    case DayOfMonthRule::Last: // systemd's "~": days counted from the end of the month, "~01" the last
        if (e.lastDayOffset + 1 > 28)
            fail(kDayOfMonth, quoted(fieldText(e, kDayOfMonth))
                                  + ": systemd OnCalendar counts at most 28 days "
                                    "from the end of the month (\"~28\")");
        day = "~" + padded(e.lastDayOffset + 1, 2);
        break;
    case DayOfMonthRule::LastWeekday:
        fail(kDayOfMonth, quoted(fieldText(e, kDayOfMonth))
                              + ": LW (last weekday of the month) has no systemd "
                                "OnCalendar equivalent");
    case DayOfMonthRule::NearestWeekday:
        fail(kDayOfMonth, quoted(fieldText(e, kDayOfMonth))
                              + ": W (nearest weekday) has no systemd OnCalendar "
                                "equivalent");
    }
    switch (e.dayOfWeekRule) {
    case DayOfWeekRule::Any: break;
    case DayOfWeekRule::Set: weekdays = systemdWeekdays(e.daysOfWeek); break;
    case DayOfWeekRule::Last: // that weekday within the last seven days
        weekdays = oneWeekday(e.weekday);
        day = "~01..07";
        break;
    case DayOfWeekRule::Nth: // that weekday within days 7k-6..7k (29..31 for the fifth)
        weekdays = oneWeekday(e.weekday);
        day = "-" + padded(7 * e.nthWeekday - 6, 2) + ".." + padded(std::min(7 * e.nthWeekday, 31), 2);
        break;
    }
    return {value(weekdays, day)};
}

std::string toCrontabFields(const CronExpression &e)
{
    if (e.seconds != std::bitset<60>(1))
        fail(kSecond, quoted(e.fields.empty() ? std::string() : e.fields[0])
                          + ": crontab has no seconds field, so only \"0\" can be written");
    if (!e.anyYear)
        fail(kYear, quoted(e.fields.size() > 6 ? e.fields[6] : std::string()) + ": crontab has no year field");
    switch (e.dayOfMonthRule) {
    case DayOfMonthRule::Any:
    case DayOfMonthRule::Set: break;
    case DayOfMonthRule::Last:
        fail(kDayOfMonth, quoted(fieldText(e, kDayOfMonth)) + ": L (last day of the month) has no crontab equivalent");
    case DayOfMonthRule::LastWeekday:
        fail(kDayOfMonth,
             quoted(fieldText(e, kDayOfMonth)) + ": LW (last weekday of the month) has no crontab equivalent");
    case DayOfMonthRule::NearestWeekday:
        fail(kDayOfMonth, quoted(fieldText(e, kDayOfMonth)) + ": W (nearest weekday) has no crontab equivalent");
    }
    switch (e.dayOfWeekRule) {
    case DayOfWeekRule::Any:
    case DayOfWeekRule::Set: break;
    case DayOfWeekRule::Last:
        fail(kQuartzDayOfWeek,
             quoted(fieldText(e, kQuartzDayOfWeek)) + ": L (last weekday n of the month) has no crontab equivalent");
    case DayOfWeekRule::Nth:
        fail(kQuartzDayOfWeek,
             quoted(fieldText(e, kQuartzDayOfWeek)) + ": # (n-th weekday of the month) has no crontab equivalent");
    }

    const std::string minute = crontabList(valuesOf(e.minutes), kMinute, 0, 59, true, false);
    const std::string hour = crontabList(valuesOf(e.hours), kHour, 0, 23, true, false);
    const std::string month = crontabList(valuesOf(e.months), kMonth, 1, 12, true, false);
    std::string dom = "*";
    std::string dow = "*";
    if (e.quartz) {
        // Quartz has "?" in one day field, which becomes "*": cron then ANDs, as Quartz does.
        if (e.dayOfMonthRule == DayOfMonthRule::Set)
            dom = crontabList(valuesOf(e.daysOfMonth), kDayOfMonth, 1, 31, true, false);
        if (e.dayOfWeekRule == DayOfWeekRule::Set)
            dow = crontabList(valuesOf(e.daysOfWeek), kCronDayOfWeek, 0, 6, true, false);
    } else {
        dom = crontabList(valuesOf(e.daysOfMonth), kDayOfMonth, 1, 31, false, e.dayOfMonthStar,
                          fieldText(e, kDayOfMonth));
        dow = crontabList(valuesOf(e.daysOfWeek), kCronDayOfWeek, 0, 6, false, e.dayOfWeekStar,
                          fieldText(e, kCronDayOfWeek));
    }
    return minute + " " + hour + " " + dom + " " + month + " " + dow;
}

std::string systemdExecArgument(const std::string &arg)
{
    std::string out = "\"";
    for (const char ch : arg) {
        const auto c = static_cast<unsigned char>(ch);
        switch (c) {
        case '"': out += "\\\""; break;
        case '\\': out += "\\\\"; break;
        case '%': out += "%%"; break;
        case '$': out += "$$"; break;
        case '\n': out += "\\n"; break;
        case '\t': out += "\\t"; break;
        case '\r': out += "\\r"; break;
        default:
            if (c < 0x20 || c == 0x7f) {
                char buf[8];
                std::snprintf(buf, sizeof buf, "\\x%02x", unsigned(c));
                out += buf;
            } else {
                out += ch; // UTF-8 stays as it is: unit files are UTF-8
            }
        }
    }
    return out + "\"";
}

std::string systemdValue(const std::string &text)
{
    std::string out;
    for (const char ch : printable(text)) {
        if (ch == '%')
            out += '%';
        out += ch;
    }
    return out;
}

std::string crontabArgument(const std::string &arg)
{
    for (const char ch : arg) {
        const auto c = static_cast<unsigned char>(ch);
        if ((c < 0x20 && c != '\t') || c == 0x7f)
            throw std::invalid_argument("'" + printable(arg) + "' holds the control character "
                                        + firstControlCharacter(std::string(1, ch))
                                        + ", which a crontab entry (one line) cannot carry");
    }
    std::string out = "'";
    for (const char ch : arg) {
        if (ch == '\'')
            out += "'\\''";
        else if (ch == '%')
            out += "'\\%'"; // cron makes "\%" a '%' for the shell, which leaves an unquoted '%' alone
        else
            out += ch;
    }
    return out + "'";
}

namespace {

// A word that needs no quotes in an Exec line or a crontab command (the command itself is always quoted).
bool isPlainWord(const std::string &w)
{
    return !w.empty() && std::all_of(w.begin(), w.end(), [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.' || c == '/';
    });
}

} // namespace

std::string systemdServiceText(const InstalledSchedule &s)
{
    std::string exec;
    for (std::size_t i = 0; i < s.argv.size(); ++i) {
        const std::string &a = s.argv[i];
        exec += (i ? " " : "") + (i > 0 && isPlainWord(a) ? a : systemdExecArgument(a));
    }
    return "[Unit]\nDescription=" + systemdValue("Pipewright pipeline " + s.pipeline + " (" + s.file + ")")
           + "\n\n[Service]\nType=oneshot\nExecStart=" + exec + "\n";
}

std::string systemdTimerText(const InstalledSchedule &s)
{
    const auto values = toSystemdOnCalendar(parseCron(s.expression, s.quartz), s.timezone);
    std::string text = "[Unit]\nDescription="
                       + systemdValue("Schedule of Pipewright pipeline " + s.pipeline + ": " + s.expression + " ("
                                      + s.timezone + ")")
                       + "\n\n[Timer]\n";
    for (const auto &v : values)
        text += "OnCalendar=" + systemdValue(v) + "\n";
    return text + "AccuracySec=1s\n\n[Install]\nWantedBy=timers.target\n";
}

std::vector<std::string> crontabLines(const InstalledSchedule &s)
{
    timeZone(s.timezone); // an IANA id: nothing to escape in it
    std::string command = toCrontabFields(parseCron(s.expression, s.quartz));
    for (std::size_t i = 0; i < s.argv.size(); ++i)
        command += " " + (i > 0 && isPlainWord(s.argv[i]) ? s.argv[i] : crontabArgument(s.argv[i]));
    return {"CRON_TZ=" + s.timezone, command};
}

namespace {

// Finds the members of JSON objects in a valid JSON text, by byte offsets (structural characters are ASCII, so
// UTF-8 needs no decoding).
class JsonScanner
{
public:
    struct Member
    {
        qsizetype keyBegin = 0;
        QString key;
        qsizetype valueBegin = 0, valueEnd = 0;
    };

    explicit JsonScanner(const QByteArray &text)
        : m_s(text)
    {
    }
    qsizetype skipSpace(qsizetype i) const
    {
        while (i < m_s.size() && (m_s[i] == ' ' || m_s[i] == '\t' || m_s[i] == '\n' || m_s[i] == '\r'))
            ++i;
        return i;
    }
    /** The members of the object whose '{' is at `open`. */
    std::vector<Member> members(qsizetype open) const
    {
        std::vector<Member> out;
        qsizetype i = skipSpace(open + 1);
        if (i < m_s.size() && m_s[i] == '}')
            return out;
        while (i < m_s.size()) {
            Member m;
            m.keyBegin = i;
            const qsizetype keyEnd = skipValue(i);
            m.key = QJsonDocument::fromJson("[" + m_s.mid(i, keyEnd - i) + "]").array().at(0).toString();
            i = skipSpace(keyEnd);
            i = skipSpace(i + 1); // ':'
            m.valueBegin = i;
            m.valueEnd = skipValue(i);
            out.push_back(m);
            i = skipSpace(m.valueEnd);
            if (i >= m_s.size() || m_s[i] != ',')
                break;
            i = skipSpace(i + 1);
        }
        return out;
    }
    /** The end of the value that starts at `i`. */
    qsizetype skipValue(qsizetype i) const
    {
        if (i >= m_s.size())
            return i;
        if (m_s[i] == '"')
            return skipString(i);
        if (m_s[i] == '{' || m_s[i] == '[') {
            int depth = 0;
            while (i < m_s.size()) {
                const char c = m_s[i];
                if (c == '"') {
                    i = skipString(i);
                    continue;
                }
                if (c == '{' || c == '[')
                    ++depth;
                else if ((c == '}' || c == ']') && --depth == 0)
                    return i + 1;
                ++i;
            }
            return i;
        }
        while (i < m_s.size() && !std::strchr(",}] \t\r\n", m_s[i]))
            ++i;
        return i;
    }

private:
    qsizetype skipString(qsizetype i) const
    {
        for (++i; i < m_s.size(); ++i) {
            if (m_s[i] == '\\')
                ++i;
            else if (m_s[i] == '"')
                return i + 1;
        }
        return i;
    }

    const QByteArray &m_s;
};

} // namespace

QByteArray withPauseStatus(const QByteArray &json, bool paused)
{
    QJsonParseError error{};
    const QJsonDocument doc = QJsonDocument::fromJson(json, &error);
    if (error.error != QJsonParseError::NoError || !doc.isObject())
        throw std::invalid_argument("not a JSON object");
    if (!doc.object().value("schedule").isObject())
        throw std::invalid_argument("no \"schedule\" object");
    const QByteArray value = paused ? "\"PAUSED\"" : "\"UNPAUSED\"";

    const JsonScanner scan(json);
    const qsizetype root = scan.skipSpace(0);
    // As QJsonDocument, the last of repeated keys counts.
    std::optional<JsonScanner::Member> schedule;
    for (const auto &m : scan.members(root))
        if (m.key == QLatin1String("schedule"))
            schedule = m;
    QByteArray out = json;
    if (schedule && json[schedule->valueBegin] == '{') {
        const auto fields = scan.members(schedule->valueBegin);
        std::optional<JsonScanner::Member> status;
        for (const auto &m : fields)
            if (m.key == QLatin1String("pause_status"))
                status = m;
        if (status) {
            out.replace(status->valueBegin, status->valueEnd - status->valueBegin, value);
        } else if (fields.empty()) {
            out.insert(schedule->valueBegin + 1, "\"pause_status\": " + value);
        } else {
            // In the layout of the fields there: the same indentation and the same separator after the key.
            const auto &first = fields.front();
            const QByteArray indent = json.mid(schedule->valueBegin + 1, first.keyBegin - schedule->valueBegin - 1);
            const qsizetype keyEnd = scan.skipValue(first.keyBegin);
            const QByteArray colon = json.mid(keyEnd, first.valueBegin - keyEnd);
            out.insert(fields.back().valueEnd, "," + indent + "\"pause_status\"" + colon + value);
        }
    }
    // What was meant: the same document with the new status. Should the text have a shape the edit in place did
    // not foresee, the document is written anew (the same content; the layout and key order are Qt's).
    QJsonObject want = doc.object();
    QJsonObject s = want.value("schedule").toObject();
    s.insert("pause_status", paused ? "PAUSED" : "UNPAUSED");
    want.insert("schedule", s);
    if (QJsonDocument::fromJson(out).object() != want)
        out = QJsonDocument(want).toJson();
    return out;
}

} // namespace pw::pipeline
