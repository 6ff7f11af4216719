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

// A Slurm target's partitions, one line each: "debug (default, up): 1 nodes, 1 idle, 0 allocated, gres gpu:4".
void printPartitions(const QJsonObject &r)
{
    std::cout << "cluster " << r.value("cluster").toString().toStdString() << ", accounting "
              << (r.value("accounting").toBool() ? "on" : "off") << "\n";
    for (const auto &v : r.value("partitions").toArray()) {
        const QJsonObject p = v.toObject();
        std::cout << "  partition " << p.value("name").toString().toStdString()
                  << (p.value("default").toBool() ? " (default, " : " (")
                  << p.value("availability").toString().toStdString() << "): " << p.value("nodes").toInt() << " nodes, "
                  << p.value("idle").toInt() << " idle, " << p.value("allocated").toInt() << " allocated"
                  << (p.value("gres").toString().isEmpty() ? "" : ", gres " + p.value("gres").toString().toStdString())
                  << "\n";
    }
}

void printTest(const compute::Target &t, const QJsonObject &r)
{
    if (t.isSlurm() && r.contains("partitions"))
        printPartitions(r);
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
              << ", devices " << devices.join(", ").toStdString()
              << (t.isSlurm() ? ", backend " + r.value("backend").toString().toStdString() + " (checked on the "
                                    + r.value("worker_checked_on").toString().toStdString() + ")"
                              : std::string())
              << "\n";
}

} // namespace

int cmdTargetsAdd(const Context &c)
{
    compute::Target t;
    compute::SlurmOptions slurm;
    slurm.partition = c.value("partition").toStdString();
    slurm.account = c.value("account").toStdString();
    slurm.qos = c.value("qos").toStdString();
    slurm.time = c.value("time").toStdString();
    slurm.mem = c.value("mem").toStdString();
    slurm.gpusPerNode = int(c.intValue("gpus-per-node", 0, 1));
    slurm.cpusPerTask = int(c.intValue("cpus-per-task", 0, 1));
    for (const QString &a : c.values("sbatch-arg"))
        slurm.sbatchArgs.push_back(a.toStdString());
    try {
        t = compute::makeTarget(c.positional().at(1).toStdString(), c.positional().at(2).toStdString(),
                                c.value("workdir").toStdString(), c.value("worker").toStdString(),
                                c.value("identity").toStdString(), slurm);
    } catch (const compute::TargetFieldError &e) {
        // The positional NAME and URL in words, every other field as its option: "--time '2h': give …".
        const std::string subject = e.field() == "name" ? "target name"
                                    : e.field() == "url"
                                        ? "target URL"
                                        : "--" + QString::fromStdString(e.field()).replace('_', '-').toStdString();
        throw UsageError{QString::fromStdString(e.describe(subject))};
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
            std::cout << t.name << "\t" << t.url() << (t.isLocal() ? "" : "\t" + t.workdir + "\t" + t.worker)
                      << (t.isSlurm() ? "\t"
                                            + QJsonDocument(compute::slurmOptionsJson(t.slurm))
                                                  .toJson(QJsonDocument::Compact)
                                                  .toStdString()
                                      : std::string())
                      << "\n";
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
