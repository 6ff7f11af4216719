// Requests from the CLI's options: `--batch-size 64` becomes batch_size = "64" for the request's one parser
// (core/requests/KeyValues.h), and what the parser refuses becomes a usage error naming the option.
#pragma once

#include "app/cli/CliSupport.h"

#include "core/requests/KeyValues.h"

#include <map>
#include <string>

namespace pw::cli {

/**
 * The options given to `c` (all but --workspace and --json) as request keys: `--val-fraction 0.2` is
 * val_fraction = "0.2", a flag such as `--rescore` is rescore = "true".
 */
inline requests::KeyValues optionValues(const Context &c)
{
    requests::KeyValues values;
    for (const QString &option : c.optionNames()) {
        if (option == QLatin1String("workspace") || option == QLatin1String("json"))
            continue;
        const QStringList given = c.values(option);
        values.set(QString(option).replace(QLatin1Char('-'), QLatin1Char('_')).toStdString(),
                   c.isFlag(option) || given.isEmpty() ? std::string("true") : given.last().toStdString());
    }
    return values;
}

/**
 * `parse(values)`; a requests::RequestError becomes a usage error (exit 2) naming the option: "--labels: 'caltch'
 * is not one of caltech, folder, none". `positional` names the keys that came from arguments ("version" ->
 * "VERSION").
 */
template<typename Parse>
auto parseOptions(Parse &&parse, const requests::KeyValues &values,
                  const std::map<std::string, QString> &positional = {})
{
    try {
        return parse(values);
    } catch (const requests::RequestError &e) {
        const auto it = positional.find(e.key());
        const QString where = it != positional.end()
                                  ? it->second
                                  : "--" + QString::fromStdString(e.key()).replace(QLatin1Char('_'), QLatin1Char('-'));
        throw UsageError{where + ": " + QString::fromStdString(e.problem())};
    }
}

} // namespace pw::cli
