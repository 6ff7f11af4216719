// The Experiments page's "Train…" dialog: the options of compute::TrainRequest (table, experiment, run name,
// model, epochs, batch size, learning rate, optimizer, image size, validation fraction, seed, device, precision,
// pretrained weights with freeze and backbone learning-rate scale), the compute target and how many ranks train
// (processes on this machine; nodes x processes per node on a Slurm target). It only gathers them and checks them with
// the request's one parser (compute::parseTrainRequest, as the CLI and train tasks do); the page runs the training.
#pragma once

#include "core/compute/Training.h"
#include "core/requests/KeyValues.h"

#include <QDialog>

#include <string>
#include <vector>

class QComboBox;
class QDoubleSpinBox;
class QFormLayout;
class QLabel;
class QLineEdit;
class QPushButton;
class QSpinBox;

namespace pw::ui {

class TrainDialog : public QDialog
{
    Q_OBJECT
public:
    /** The choices come from the workspace (read off the GUI thread by the caller). */
    TrainDialog(const std::vector<std::string> &tables, const std::vector<std::string> &experiments,
                const std::vector<std::string> &targets, QWidget *parent = nullptr,
                const std::vector<std::string> &slurmTargets = {});

    /** Fills the fields from `request` (its zeros mean "the model's default"). */
    void setRequest(const compute::TrainRequest &request);
    /** The fields as the request's key/value input (`batch_size`, `device`, ...). */
    requests::KeyValues values() const;
    /** The request the fields describe; throws requests::RequestError for a field the parser refuses. */
    compute::TrainRequest request() const;
    /**
     * Why the fields cannot be trained on, in words; empty when they can. A value the parser refuses is
     * "<field label>: <problem>" ("Batch size: '1' is not ..."); accept() then gives that field the focus.
     */
    QString validationError() const;

    QComboBox *tableBox() const { return m_table; }
    QComboBox *experimentBox() const { return m_experiment; }
    QLineEdit *runNameEdit() const { return m_runName; }
    QComboBox *modelBox() const { return m_model; }
    QSpinBox *epochsBox() const { return m_epochs; }
    QSpinBox *batchSizeBox() const { return m_batchSize; }
    QDoubleSpinBox *lrBox() const { return m_lr; }
    QComboBox *optimizerBox() const { return m_optimizer; }
    QSpinBox *imageSizeBox() const { return m_imageSize; }
    QDoubleSpinBox *valFractionBox() const { return m_valFraction; }
    QSpinBox *seedBox() const { return m_seed; }
    QComboBox *deviceBox() const { return m_device; }
    QComboBox *precisionBox() const { return m_precision; }
    QComboBox *targetBox() const { return m_target; }
    QLineEdit *initEdit() const { return m_init; }
    QPushButton *initBrowseButton() const { return m_initBrowse; }
    QComboBox *freezeBox() const { return m_freeze; }
    QDoubleSpinBox *backboneLrScaleBox() const { return m_backboneLrScale; }
    QSpinBox *processesBox() const { return m_processes; }
    QSpinBox *nodesBox() const { return m_nodes; }
    QSpinBox *processesPerNodeBox() const { return m_processesPerNode; }
    QLabel *errorLabel() const { return m_error; }

    /** Accepts only a valid request; otherwise shows why in the dialog and stays open. */
    void accept() override;

private:
    struct Field
    {
        std::string key; // the request key (parseTrainRequest)
        QString label;
        QWidget *widget;
    };

    void modelChanged();
    /** Processes for this machine's target, nodes x processes per node for a Slurm one; the others disabled. */
    void targetChanged();
    /** A file dialog for the pretrained weights. */
    void browseInit();
    void setUpWeightsAndRanks();
    void addWeightsAndRanksRows(QFormLayout *form);
    /** validationError(), and the field at fault when the parser refused one. */
    QString check(QWidget **field) const;

    std::vector<Field> m_fields;
    QComboBox *m_table;
    QComboBox *m_experiment;
    QLineEdit *m_runName;
    QComboBox *m_model;
    QLabel *m_modelSummary;
    QSpinBox *m_epochs;
    QSpinBox *m_batchSize;
    QDoubleSpinBox *m_lr;
    QComboBox *m_optimizer;
    QSpinBox *m_imageSize;
    QDoubleSpinBox *m_valFraction;
    QSpinBox *m_seed;
    QComboBox *m_device;
    QComboBox *m_precision;
    QComboBox *m_target;
    QLineEdit *m_init;
    QPushButton *m_initBrowse;
    QComboBox *m_freeze;
    QDoubleSpinBox *m_backboneLrScale;
    QSpinBox *m_processes;
    QSpinBox *m_nodes;
    QSpinBox *m_processesPerNode;
    std::vector<std::string> m_slurmTargets;
    QLabel *m_error;
};

} // namespace pw::ui
