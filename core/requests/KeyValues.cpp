// Key/value input of requests and the checks every request parser shares: whole numbers, numbers in ranges,
// booleans and unknown keys, each refused with a message that names the value.
#include "core/requests/KeyValues.h"

#include <QJsonValue>
#include <QLocale>
#include <QString>

#include <algorithm>
#include <cmath>

namespace pw::requests {

namespace {

std::string shortest(double d)
{
    return QString::number(d, 'g', QLocale::FloatingPointShortest).toStdString();
}

std::string quoted(const std::string &text)
{
    return "'" + text + "'";
}

// "a whole number >= 2", "a whole number from 1 to 10"; with zeroIsDefault "0 (the default) or ...".
std::string describe(const WholeRange &r)
{
    std::string what = "a whole number";
    const bool bounded = r.max < INT_MAX;
    if (r.min != LLONG_MIN && bounded)
        what += " from " + std::to_string(r.min) + " to " + std::to_string(r.max);
    else if (r.min != LLONG_MIN)
        what += " >= " + std::to_string(r.min);
    else if (bounded)
        what += " <= " + std::to_string(r.max);
    return r.zeroIsDefault ? "0 (the default) or " + what : what;
}

// "a number above 0", "a number from 0 to 0.9", "a number above 0 and at most 1".
std::string describe(const NumberRange &r)
{
    const bool bounded = std::isfinite(r.max);
    std::string what = "a number ";
    if (bounded && !r.minOpen && !r.maxOpen)
        what += "from " + shortest(r.min) + " to " + shortest(r.max);
    else {
        what += (r.minOpen ? "above " : ">= ") + shortest(r.min);
        if (bounded)
            what += (r.maxOpen ? " and below " : " and at most ") + shortest(r.max);
    }
    return r.zeroIsDefault ? "0 (the default) or " + what : what;
}

bool inRange(double v, const NumberRange &r)
{
    if (r.zeroIsDefault && v == 0)
        return true;
    const bool aboveMin = r.minOpen ? v > r.min : v >= r.min;
    const bool belowMax = r.maxOpen ? v < r.max : v <= r.max;
    return aboveMin && belowMax;
}

std::optional<double> toNumber(const std::string &text)
{
    bool ok = false;
    const double d = QString::fromStdString(text).trimmed().toDouble(&ok);
    if (!ok || !std::isfinite(d))
        return std::nullopt;
    return d;
}

// Whole-number text: "12", "-3", also "1e3" or "12.0" (a JSON number may arrive so).
std::optional<long long> toWholeNumber(const std::string &text)
{
    bool ok = false;
    const long long v = QString::fromStdString(text).trimmed().toLongLong(&ok);
    if (ok)
        return v;
    const auto d = toNumber(text);
    if (!d || *d != std::floor(*d) || *d < -9.2e18 || *d > 9.2e18)
        return std::nullopt;
    return static_cast<long long>(*d);
}

} // namespace

RequestError::RequestError(std::string key, std::string problem)
    : std::runtime_error(key + ": " + problem)
    , m_key(std::move(key))
    , m_problem(std::move(problem))
{
}

KeyValues::KeyValues(std::initializer_list<std::pair<const std::string, std::string>> values)
    : m_values(values)
{
}

KeyValues KeyValues::fromJson(const QJsonObject &object)
{
    KeyValues out;
    for (auto it = object.begin(); it != object.end(); ++it) {
        const std::string key = it.key().toStdString();
        const QJsonValue v = it.value();
        if (v.isString())
            out.set(key, v.toString().toStdString());
        else if (v.isDouble())
            out.set(key, shortest(v.toDouble()));
        else if (v.isBool())
            out.set(key, v.toBool() ? "true" : "false");
        else if (v.isArray() || v.isObject())
            throw RequestError(key,
                               std::string("expected a single value, not ") + (v.isArray() ? "an array" : "an object"));
    }
    return out;
}

std::optional<std::string> KeyValues::value(const std::string &key) const
{
    const auto it = m_values.find(key);
    return it == m_values.end() ? std::nullopt : std::optional(it->second);
}

bool KeyReader::has(const char *key)
{
    if (std::find(m_known.begin(), m_known.end(), key) == m_known.end())
        m_known.emplace_back(key);
    return m_values.has(key);
}

std::string KeyReader::text(const char *key, const std::string &def)
{
    return has(key) ? m_values.values().at(key) : def;
}

std::string KeyReader::required(const char *key)
{
    if (!has(key))
        throw RequestError(key, "missing");
    return m_values.values().at(key);
}

long long KeyReader::wholeNumber(const char *key, long long def, const WholeRange &range)
{
    return optionalWholeNumber(key, range).value_or(def);
}

std::optional<long long> KeyReader::optionalWholeNumber(const char *key, const WholeRange &range)
{
    if (!has(key))
        return std::nullopt;
    const std::string &t = m_values.values().at(key);
    const auto v = toWholeNumber(t);
    if (v && *v > range.max && range.max >= INT_MAX)
        throw RequestError(key, quoted(t) + " is too large (at most " + std::to_string(range.max) + ")");
    if (!v || !((range.zeroIsDefault && *v == 0) || (*v >= range.min && *v <= range.max)))
        throw RequestError(key, quoted(t) + " is not " + describe(range));
    return v;
}

double KeyReader::number(const char *key, double def, const NumberRange &range)
{
    if (!has(key))
        return def;
    const std::string &t = m_values.values().at(key);
    const auto v = toNumber(t);
    if (!v || !inRange(*v, range))
        throw RequestError(key, quoted(t) + " is not " + describe(range));
    return *v;
}

bool KeyReader::boolean(const char *key, bool def)
{
    if (!has(key))
        return def;
    const std::string &t = m_values.values().at(key);
    if (t == "true" || t == "1")
        return true;
    if (t == "false" || t == "0")
        return false;
    throw RequestError(key, quoted(t) + " is not true or false");
}

void KeyReader::done() const
{
    for (const auto &[key, value] : m_values.values()) {
        if (std::find(m_known.begin(), m_known.end(), key) != m_known.end())
            continue;
        std::string list;
        for (const std::string &k : m_known)
            list += (list.empty() ? "" : ", ") + k;
        throw RequestError(key, "unknown (the known keys: " + list + ")");
    }
}

} // namespace pw::requests
