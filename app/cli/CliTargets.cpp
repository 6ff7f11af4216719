// CLI commands of the compute targets: targets add|list|remove|test.
#include "app/cli/CliSupport.h"
#include "core/compute/Targets.h"
#include "core/store/Database.h"

#include <QJsonArray>

#include <iostream>

namespace pw::cli {

int cmdTargets(const QStringList &args)
{
    Context c("targets", args);
    for (const char *o : {"workdir", "worker", "identity"})
        c.addValueOption(o, "VALUE");
    c.parse();
    if (c.positional().isEmpty())
        throw UsageError{"missing the targets command (add, list, remove or test)"};
    const QString sub = c.positional().at(0);
    const auto ws = store::Workspace::open(c.workspaceRoot());
    auto db = ws.openCatalog();

    if (sub == "add") {
        c.expectPositional(3, 3, "NAME and ssh://USER@HOST[:PORT] (targets add NAME URL --workdir DIR)");
        if (!c.isSet("workdir"))
            throw UsageError{"missing --workdir DIR (an absolute folder on the host for shards, models and runs)"};
        compute::Target t;
        try {
            t = compute::makeSshTarget(c.positional().at(1).toStdString(), c.positional().at(2).toStdString(),
                                       c.value("workdir").toStdString(), c.value("worker").toStdString(),
                                       c.value("identity").toStdString());
        } catch (const std::invalid_argument &e) {
            throw UsageError{QString::fromUtf8(e.what())};
        }
        compute::addTarget(*db, t);
        t = compute::findTarget(*db, t.name);
        if (c.json())
            printJson(QJsonDocument(compute::targetJson(t)));
        else
            std::cout << "added target " << t.name << " (" << t.url() << ", workdir " << t.workdir
                      << "); check it with: pipewright targets test " << t.name << "\n";
        return 0;
    }
    if (sub == "list") {
        c.expectPositional(1, 1, "");
        QJsonArray arr;
        for (const auto &t : compute::listTargets(*db)) {
            arr.append(compute::targetJson(t));
            if (!c.json())
                std::cout << t.name << "\t" << t.url() << (t.isLocal() ? "" : "\t" + t.workdir + "\t" + t.worker) << "\n";
        }
        if (c.json())
            printJson(QJsonDocument(arr));
        return 0;
    }
    if (sub == "remove") {
        c.expectPositional(2, 2, "the target's NAME");
        const std::string name = c.positional().at(1).toStdString();
        compute::removeTarget(*db, name);
        if (c.json())
            printJson(QJsonDocument(QJsonObject{{"removed", QString::fromStdString(name)}}));
        else
            std::cout << "removed target " << name << "\n";
        return 0;
    }
    if (sub == "test") {
        c.expectPositional(2, 2, "the target's NAME");
        const compute::Target t = compute::findTarget(*db, c.positional().at(1).toStdString());
        const QJsonObject r = compute::testTarget(t);
        if (c.json()) {
            printJson(QJsonDocument(r));
        } else if (r.contains("error")) {
            std::cerr << t.name << ": " << r.value("error").toString().toStdString() << "\n";
        } else {
            QStringList devices;
            for (const auto &d : r.value("devices").toArray())
                devices << d.toObject().value("type").toString()
                               + (d.toObject().contains("index") ? ":" + QString::number(d.toObject().value("index").toInt())
                                                                 : QString());
            std::cout << t.name << ": reachable in " << r.value("seconds").toDouble() << " s; pipewright-worker "
                      << r.value("worker").toString().toStdString() << ", libtorch " << r.value("torch").toString().toStdString()
                      << ", CUDA " << (r.value("cuda").toBool() ? "yes" : "no") << ", devices "
                      << devices.join(", ").toStdString() << "\n";
        }
        return r.contains("error") ? 1 : 0;
    }
    throw UsageError{"unknown targets command '" + sub + "' (expected add, list, remove or test)"};
}

} // namespace pw::cli
