// Key/value input of a request (ingest, train, evaluate, register, promote, score, review export, labels merge):
// what the CLI's options, a pipeline task's params and a dialog's fields have in common. Each request has one
// parser that reads it (next to the request type), so the three cannot drift apart; a value it refuses is a
// RequestError naming the key and the problem, which each caller words its own way ("--labels: ...",
// "params.labels: ...", the field's label in a dialog).
#pragma once

#include "core/requests/Choices.h"

#include <QJsonObject>

#include <climits>
#include <cstdint>
#include <initializer_list>
#include <limits>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace pw::requests {

/** A value a request parser refuses: `key` (snake_case, "batch_size") and `problem` ("'1.5' is not a whole number"). */
class RequestError : public std::runtime_error
{
public:
    RequestError(std::string key, std::string problem);
    const std::string &key() const noexcept { return m_key; }
    const std::string &problem() const noexcept { return m_problem; }

private:
    std::string m_key;
    std::string m_problem;
};

/**
 * Text values by snake_case key, as the pipeline params name them (`batch_size`, `val_fraction`,
 * `as_of_version`). The CLI turns `--batch-size 64` into batch_size = "64" (a flag into "true").
 */
class KeyValues
{
public:
    KeyValues() = default;
    KeyValues(std::initializer_list<std::pair<const std::string, std::string>> values);

    /**
     * A pipeline task's params after `{{…}}` substitution: strings as they are, numbers as their shortest text
     * ("3", "0.95"), booleans as "true"/"false"; null is no value. An array or object is a RequestError.
     */
    static KeyValues fromJson(const QJsonObject &object);

    void set(const std::string &key, std::string value) { m_values[key] = std::move(value); }
    bool has(const std::string &key) const { return m_values.count(key) != 0; }
    std::optional<std::string> value(const std::string &key) const;
    const std::map<std::string, std::string> &values() const { return m_values; }

private:
    std::map<std::string, std::string> m_values;
};

/**
 * Bounds of a whole number; `zeroIsDefault`: 0 is also allowed and means "the default". A maximum of INT_MAX or
 * more is a limit of the type, not of the request: it is not spelt out unless a value passes it.
 */
struct WholeRange
{
    long long min = LLONG_MIN;
    long long max = INT_MAX;
    bool zeroIsDefault = false;
};

/** Bounds of a number; an open end excludes its bound ("above 0"). `zeroIsDefault` as for WholeRange. */
struct NumberRange
{
    double min;
    double max;
    bool minOpen = false;
    bool maxOpen = false;
    bool zeroIsDefault = false;
};

/** Numbers above 0; fractions above 0 and at most 1. */
inline constexpr NumberRange kPositive{0, std::numeric_limits<double>::infinity(), true, false};
inline constexpr NumberRange kFraction{0, 1, true, false};

/**
 * Reads the values of one request. Each reader names a key the request knows and throws RequestError for a
 * value it refuses; done() refuses every key no reader asked about (naming the known ones). Absent keys give
 * the default.
 */
class KeyReader
{
public:
    explicit KeyReader(const KeyValues &values)
        : m_values(values)
    {
    }

    bool has(const char *key);
    std::string text(const char *key, const std::string &def = {});
    /** A value that must be there: RequestError "missing" otherwise. */
    std::string required(const char *key);
    long long wholeNumber(const char *key, long long def, const WholeRange &range);
    std::optional<long long> optionalWholeNumber(const char *key, const WholeRange &range);
    double number(const char *key, double def, const NumberRange &range);
    /** true, false, 1 or 0. */
    bool boolean(const char *key, bool def);
    template<typename E, std::size_t N> E choice(const char *key, E def, const Choices<E, N> &choices)
    {
        if (!has(key))
            return def;
        const std::string &t = m_values.values().at(key);
        if (const auto v = choices.parse(t))
            return *v;
        throw RequestError(key, choices.problem(t));
    }
    /** Refuses the keys no reader asked about. */
    void done() const;

private:
    const KeyValues &m_values;
    std::vector<std::string> m_known;
};

} // namespace pw::requests
