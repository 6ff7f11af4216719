// A task's parameters as its runner reads them: after {{...}} substitution, so that a number may arrive as
// text ("{{tasks.register.version}}" becomes "3").
#pragma once

#include "core/requests/KeyValues.h"

#include <QJsonObject>

#include <stdexcept>
#include <string>
#include <utility>

namespace pw::pipeline {

/** A task's substituted parameters, read by the request's one parser (parse()); a shell task reads json(). */
class TaskParams
{
public:
    explicit TaskParams(QJsonObject o)
        : m_o(std::move(o))
    {
    }

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
