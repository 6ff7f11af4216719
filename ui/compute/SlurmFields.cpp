// The Slurm fields of the Compute Targets dialog.
#include "ui/compute/SlurmFields.h"

#include <QGridLayout>
#include <QLabel>
#include <QLineEdit>
#include <QSpinBox>

namespace pw::ui {

SlurmFields::SlurmFields(QWidget *parent)
    : QGroupBox(tr("Slurm cluster (for a slurm:// URL)"), parent)
    , m_partition(new QLineEdit)
    , m_account(new QLineEdit)
    , m_qos(new QLineEdit)
    , m_time(new QLineEdit)
    , m_gpus(new QSpinBox)
    , m_cpus(new QSpinBox)
    , m_mem(new QLineEdit)
    , m_sbatchArgs(new QLineEdit)
{
    m_partition->setPlaceholderText(tr("the cluster's default"));
    m_account->setPlaceholderText(tr("optional"));
    m_qos->setPlaceholderText(tr("optional"));
    m_time->setPlaceholderText(tr("the partition's (e.g. 02:00:00)"));
    m_time->setToolTip(tr("MM, MM:SS, HH:MM:SS, D-HH, D-HH:MM or D-HH:MM:SS"));
    m_mem->setPlaceholderText(tr("the cluster's default (e.g. 32G)"));
    m_sbatchArgs->setPlaceholderText(tr("more sbatch options, e.g. --constraint=a100 --exclusive"));
    for (QSpinBox *box : {m_gpus, m_cpus}) {
        box->setRange(0, 1024);
        box->setSpecialValueText(tr("cluster default"));
    }
    auto *grid = new QGridLayout(this);
    const std::pair<QString, QWidget *> cells[] = {
        {tr("Partition:"), m_partition}, {tr("Time limit:"), m_time},
        {tr("Account:"), m_account},     {tr("QOS:"), m_qos},
        {tr("GPUs per node:"), m_gpus},  {tr("CPUs per task:"), m_cpus},
        {tr("Memory per node:"), m_mem}, {tr("sbatch options:"), m_sbatchArgs}};
    int i = 0;
    for (const auto &[label, widget] : cells) {
        grid->addWidget(new QLabel(label), i / 2, (i % 2) * 2);
        grid->addWidget(widget, i / 2, (i % 2) * 2 + 1);
        ++i;
    }
    grid->setColumnStretch(1, 1);
    grid->setColumnStretch(3, 1);
}

compute::SlurmOptions SlurmFields::options() const
{
    compute::SlurmOptions o;
    o.partition = m_partition->text().trimmed().toStdString();
    o.account = m_account->text().trimmed().toStdString();
    o.qos = m_qos->text().trimmed().toStdString();
    o.time = m_time->text().trimmed().toStdString();
    o.mem = m_mem->text().trimmed().toStdString();
    o.gpusPerNode = m_gpus->value();
    o.cpusPerTask = m_cpus->value();
    for (const QString &a : m_sbatchArgs->text().split(u' ', Qt::SkipEmptyParts))
        o.sbatchArgs.push_back(a.toStdString());
    return o;
}

void SlurmFields::clear()
{
    for (QLineEdit *e : {m_partition, m_account, m_qos, m_time, m_mem, m_sbatchArgs})
        e->clear();
    m_gpus->setValue(0);
    m_cpus->setValue(0);
}

QString SlurmFields::summary(const compute::SlurmOptions &o)
{
    QStringList parts;
    parts << (o.partition.empty() ? tr("default partition")
                                  : tr("partition %1").arg(QString::fromStdString(o.partition)));
    if (!o.time.empty())
        parts << QString::fromStdString(o.time);
    if (o.gpusPerNode > 0)
        parts << tr("%1 GPUs/node").arg(o.gpusPerNode);
    if (o.cpusPerTask > 0)
        parts << tr("%1 CPUs/task").arg(o.cpusPerTask);
    if (!o.mem.empty())
        parts << tr("%1 memory").arg(QString::fromStdString(o.mem));
    if (!o.account.empty())
        parts << tr("account %1").arg(QString::fromStdString(o.account));
    if (!o.qos.empty())
        parts << tr("QOS %1").arg(QString::fromStdString(o.qos));
    for (const std::string &a : o.sbatchArgs)
        parts << QString::fromStdString(a);
    return parts.join(QStringLiteral(", "));
}

} // namespace pw::ui
