// CLI commands of the compute targets: targets add|list|remove|test.
#include "app/cli/CliSupport.h"
#include "core/compute/Targets.h"
#include "core/store/Database.h"

#include <QJsonArray>

#include <iostream>

namespace pw::cli {

namespace {

// The workspace's catalog database, where the targets are kept.
std::unique_ptr<store::Database> targetsDatabase(const Context &c)
{
    return store::Workspace::open(c.workspaceRoot()).openCatalog();
}

void printTest(const compute::Target &t, const QJsonObject &r)
{
    if (r.contains("error")) {
        std::cerr << t.name << ": " << r.value("error").toString().toStdString() << "\n";
        return;
    }
    QStringList devices;
    for (const auto &d : r.value("devices").toArray())
        devices << d.toObject().value("type").toString()
                       + (d.toObject().contains("index") ? ":" + QString::number(d.toObject().value("index").toInt())
                                                         : QString());
    std::cout << t.name << ": reachable in " << r.value("seconds").toDouble() << " s; pipewright-worker "
              << r.value("worker").toString().toStdString() << ", libtorch "
              << r.value("torch").toString().toStdString() << ", CUDA " << (r.value("cuda").toBool() ? "yes" : "no")
              << ", devices " << devices.join(", ").toStdString() << "\n";
}

} // namespace

int cmdTargetsAdd(const Context &c)
{
    compute::Target t;
    try {
        t = compute::makeSshTarget(c.positional().at(1).toStdString(), c.positional().at(2).toStdString(),
                                   c.value("workdir").toStdString(), c.value("worker").toStdString(),
                                   c.value("identity").toStdString());
    } catch (const std::invalid_argument &e) {
        throw UsageError{QString::fromUtf8(e.what())};
    }
    const auto db = targetsDatabase(c);
    compute::addTarget(*db, t);
    t = compute::findTarget(*db, t.name);
    if (c.json())
        printJson(QJsonDocument(compute::targetJson(t)));
    else
        std::cout << "added target " << t.name << " (" << t.url() << ", workdir " << t.workdir
                  << "); check it with: pipewright targets test " << t.name << "\n";
    return kSuccess;
}

int cmdTargetsList(const Context &c)
{
    QJsonArray arr;
    for (const auto &t : compute::listTargets(*targetsDatabase(c))) {
        arr.append(compute::targetJson(t));
        if (!c.json())
            std::cout << t.name << "\t" << t.url() << (t.isLocal() ? "" : "\t" + t.workdir + "\t" + t.worker) << "\n";
    }
    if (c.json())
        printJson(QJsonDocument(arr));
    return kSuccess;
}

int cmdTargetsRemove(const Context &c)
{
    const std::string name = c.positional().at(1).toStdString();
    compute::removeTarget(*targetsDatabase(c), name);
    if (c.json())
        printJson(QJsonDocument(QJsonObject{{"removed", QString::fromStdString(name)}}));
    else
        std::cout << "removed target " << name << "\n";
    return kSuccess;
}

int cmdTargetsTest(const Context &c)
{
    const compute::Target t = compute::findTarget(*targetsDatabase(c), c.positional().at(1).toStdString());
    const QJsonObject r = compute::testTarget(t);
    if (c.json())
        printJson(QJsonDocument(r));
    else
        printTest(t, r);
    return r.contains("error") ? kFailure : kSuccess;
}

} // namespace pw::cli
