// The Compute Targets dialog's fields for a Slurm cluster (what `targets add … slurm://…` takes): partition,
// account, QOS, time limit, GPUs per node, CPUs per task, memory per node and further sbatch options. Empty fields
// and zero counts stay out of the batch script, so that the cluster's defaults hold.
#pragma once

#include "core/compute/Targets.h"

#include <QGroupBox>

class QLineEdit;
class QSpinBox;

namespace pw::ui {

class SlurmFields : public QGroupBox
{
    Q_OBJECT
public:
    explicit SlurmFields(QWidget *parent = nullptr);

    /**
     * The options as typed (makeSlurmTarget checks them). The sbatch options field holds options separated by
     * spaces, each --OPTION or --OPTION=VALUE.
     */
    compute::SlurmOptions options() const;
    void clear();
    /** A short summary of a target's options for the targets table ("partition gpu, 02:00:00, 4 GPUs/node"). */
    static QString summary(const compute::SlurmOptions &options);

    QLineEdit *partitionEdit() const { return m_partition; }
    QLineEdit *accountEdit() const { return m_account; }
    QLineEdit *qosEdit() const { return m_qos; }
    QLineEdit *timeEdit() const { return m_time; }
    QSpinBox *gpusPerNodeBox() const { return m_gpus; }
    QSpinBox *cpusPerTaskBox() const { return m_cpus; }
    QLineEdit *memEdit() const { return m_mem; }
    QLineEdit *sbatchArgsEdit() const { return m_sbatchArgs; }

private:
    QLineEdit *m_partition;
    QLineEdit *m_account;
    QLineEdit *m_qos;
    QLineEdit *m_time;
    QSpinBox *m_gpus;
    QSpinBox *m_cpus;
    QLineEdit *m_mem;
    QLineEdit *m_sbatchArgs;
};

} // namespace pw::ui
