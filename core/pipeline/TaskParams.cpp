// Typed reads of a task's substituted parameters.
#include "core/pipeline/TaskParams.h"

#include <QJsonValue>
#include <QString>

#include <climits>
#include <cmath>
#include <stdexcept>

namespace pw::pipeline {

TaskParams::TaskParams(QJsonObject o)
    : m_o(std::move(o))
{
}

bool TaskParams::has(const char *k) const
{
    return m_o.contains(QLatin1String(k)) && !m_o.value(QLatin1String(k)).isNull();
}

std::string TaskParams::text(const char *k, const std::string &def) const
{
    const QJsonValue v = m_o.value(QLatin1String(k));
    if (v.isUndefined() || v.isNull())
        return def;
    if (v.isString())
        return v.toString().toStdString();
    if (v.isDouble())
        return QString::number(v.toDouble(), 'g', 17).toStdString();
    if (v.isBool())
        return v.toBool() ? "true" : "false";
    throw std::runtime_error(std::string("params.") + k + ": expected a single value");
}

double TaskParams::number(const char *k, double def) const
{
    const QJsonValue v = m_o.value(QLatin1String(k));
    if (v.isUndefined() || v.isNull())
        return def;
    if (v.isDouble())
        return v.toDouble();
    bool ok = false;
    const double d = v.toString().toDouble(&ok);
    if (!ok)
        throw std::runtime_error(std::string("params.") + k + ": '" + text(k) + "' is not a number");
    return d;
}

long long TaskParams::integer(const char *k, long long def) const
{
    const double d = number(k, double(def));
    if (d != std::floor(d))
        throw std::runtime_error(std::string("params.") + k + ": '" + text(k) + "' is not a whole number");
    if (d < double(INT_MIN) || d > double(INT_MAX))
        throw std::runtime_error(std::string("params.") + k + ": '" + text(k)
                                 + "' is out of range (a whole number from " + std::to_string(INT_MIN) + " to "
                                 + std::to_string(INT_MAX) + ")");
    return static_cast<long long>(d);
}

bool TaskParams::boolean(const char *k, bool def) const
{
    const QJsonValue v = m_o.value(QLatin1String(k));
    if (v.isUndefined() || v.isNull())
        return def;
    if (v.isBool())
        return v.toBool();
    const std::string t = text(k);
    if (t == "true" || t == "1")
        return true;
    if (t == "false" || t == "0")
        return false;
    throw std::runtime_error(std::string("params.") + k + ": '" + t + "' is not true or false");
}

} // namespace pw::pipeline
