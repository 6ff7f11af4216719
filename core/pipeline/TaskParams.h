// A task's parameters as its runner reads them: after {{...}} substitution, so that a number may arrive as
// text ("{{tasks.register.version}}" becomes "3").
#pragma once

#include "core/requests/KeyValues.h"

#include <QJsonObject>

#include <stdexcept>

#include <string>

namespace pw::pipeline {

/** Typed reads of a task's substituted parameters; a value of the wrong shape throws naming params.KEY. */
class TaskParams
{
public:
    explicit TaskParams(QJsonObject o);

    bool has(const char *k) const;
    /** A scalar as text (numbers in full precision, booleans as true/false); `def` when absent. */
    std::string text(const char *k, const std::string &def = {}) const;
    double number(const char *k, double def) const;
    /** A whole number that fits an int. */
    long long integer(const char *k, long long def) const;
    /** true/false, or the text true, 1, false, 0. */
    bool boolean(const char *k, bool def) const;
    const QJsonObject &json() const { return m_o; }
    /** The params as a request's key/value input (core/requests/KeyValues.h). */
    requests::KeyValues values() const { return requests::KeyValues::fromJson(m_o); }
    /**
     * The task's request by that request's one parser (the CLI and the dialogs use the same one); what the parser
     * refuses fails the task naming the param: "params.labels: 'caltch' is not one of caltech, folder, none".
     */
    template<typename Parse> auto parse(Parse &&parser) const
    {
        try {
            return parser(values());
        } catch (const requests::RequestError &e) {
            throw std::runtime_error("params." + e.key() + ": " + e.problem());
        }
    }

private:
    QJsonObject m_o;
};

} // namespace pw::pipeline
