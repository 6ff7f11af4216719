// The train dialog: a form over compute::TrainRequest, its model choices from the model zoo.
#include "ui/experiments/TrainDialog.h"

#include "core/requests/KeyValues.h"
#include "core/train/ModelZoo.h"

#include <QComboBox>
#include <QDialogButtonBox>
#include <QDoubleSpinBox>
#include <QFileDialog>
#include <QFileInfo>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QLocale>
#include <QPushButton>
#include <QSpinBox>
#include <QVBoxLayout>

#include <algorithm>
#include <limits>

namespace pw::ui {

namespace {

QString qs(std::string_view s)
{
    return QString::fromUtf8(s.data(), qsizetype(s.size()));
}

template<typename E, std::size_t N> void addChoices(QComboBox *box, const requests::Choices<E, N> &choices)
{
    for (const std::string &name : choices.names())
        box->addItem(QString::fromStdString(name));
}

template<typename E, std::size_t N> void selectChoice(QComboBox *box, const requests::Choices<E, N> &choices, E value)
{
    box->setCurrentText(QString::fromLatin1(choices.name(value)));
}

// A number as the request's key/value input spells it (the shortest text that reads back the same).
std::string text(double v)
{
    return QString::number(v, 'g', QLocale::FloatingPointShortest).toStdString();
}

} // namespace

TrainDialog::TrainDialog(const std::vector<std::string> &tables, const std::vector<std::string> &experiments,
                         const std::vector<std::string> &targets, QWidget *parent,
                         const std::vector<std::string> &slurmTargets)
    : QDialog(parent)
    , m_table(new QComboBox)
    , m_experiment(new QComboBox)
    , m_runName(new QLineEdit)
    , m_model(new QComboBox)
    , m_modelSummary(new QLabel)
    , m_epochs(new QSpinBox)
    , m_batchSize(new QSpinBox)
    , m_lr(new QDoubleSpinBox)
    , m_optimizer(new QComboBox)
    , m_imageSize(new QSpinBox)
    , m_valFraction(new QDoubleSpinBox)
    , m_seed(new QSpinBox)
    , m_device(new QComboBox)
    , m_precision(new QComboBox)
    , m_target(new QComboBox)
    , m_init(new QLineEdit)
    , m_initBrowse(new QPushButton(tr("Browse…")))
    , m_freeze(new QComboBox)
    , m_backboneLrScale(new QDoubleSpinBox)
    , m_processes(new QSpinBox)
    , m_nodes(new QSpinBox)
    , m_processesPerNode(new QSpinBox)
    , m_slurmTargets(slurmTargets)
    , m_error(new QLabel)
{
    setWindowTitle(tr("Train a model"));
    for (const std::string &t : tables)
        m_table->addItem(QString::fromStdString(t));
    m_table->setToolTip(tr("The catalog table to train on (its labeled images, latest version)"));
    m_experiment->setEditable(true);
    m_experiment->addItem(QStringLiteral("Default"));
    for (const std::string &e : experiments)
        if (e != "Default")
            m_experiment->addItem(QString::fromStdString(e));
    m_experiment->setToolTip(tr("The experiment the run is filed under; type a new name to create one"));
    m_runName->setPlaceholderText(tr("optional"));
    for (const train::ModelSpec &m : train::kModelZoo)
        m_model->addItem(qs(m.name));
    m_modelSummary->setWordWrap(true);
    m_modelSummary->setFixedWidth(460); // so that its wrapped height below is the height it gets
    m_modelSummary->setForegroundRole(QPalette::PlaceholderText);

    // Zero is "the model's default", shown as such: the worker then picks the zoo's value.
    m_epochs->setRange(0, 10000);
    m_batchSize->setRange(0, 65536);
    m_imageSize->setRange(0, 1024);
    m_lr->setDecimals(6);
    m_lr->setRange(0, 10);
    m_lr->setSingleStep(0.0005);
    addChoices(m_optimizer, compute::kOptimizers);
    m_valFraction->setDecimals(2);
    m_valFraction->setRange(0.01, 0.9);
    m_valFraction->setSingleStep(0.05);
    m_valFraction->setToolTip(tr("The share of the labeled images held out for validation"));
    m_seed->setRange(0, std::numeric_limits<int>::max());
    addChoices(m_device, compute::kDevices);
    addChoices(m_precision, compute::kPrecisions);
    m_precision->setToolTip(tr("auto: bf16 where the CPU has AVX512_BF16/AMX or on a GPU, else fp32"));
    for (const std::string &t : targets)
        m_target->addItem(QString::fromStdString(t));
    if (m_target->findText(QStringLiteral("local")) < 0)
        m_target->insertItem(0, QStringLiteral("local"));
    m_target->setToolTip(tr("Where the worker runs: this machine, or a compute target of the workspace "
                            "(pipewright targets add)"));
    setUpWeightsAndRanks();
    m_error->setWordWrap(true);
    m_error->setStyleSheet(QStringLiteral("color: #c62828"));
    m_error->setVisible(false);

    // Each field with the request key it fills (parseTrainRequest): a value the parser refuses is shown with
    // the field's label and the field gets the focus.
    m_fields = {{"table", tr("Table"), m_table},
                {"experiment", tr("Experiment"), m_experiment},
                {"name", tr("Run name"), m_runName},
                {"model", tr("Model"), m_model},
                {"epochs", tr("Epochs"), m_epochs},
                {"batch_size", tr("Batch size"), m_batchSize},
                {"lr", tr("Learning rate"), m_lr},
                {"optimizer", tr("Optimizer"), m_optimizer},
                {"image_size", tr("Image size (px)"), m_imageSize},
                {"val_fraction", tr("Validation fraction"), m_valFraction},
                {"seed", tr("Seed"), m_seed},
                {"device", tr("Device"), m_device},
                {"precision", tr("Precision"), m_precision},
                {"target", tr("Compute target"), m_target},
                {"init", tr("Pretrained weights"), m_init},
                {"freeze", tr("Freeze"), m_freeze},
                {"backbone_lr_scale", tr("Backbone learning-rate scale"), m_backboneLrScale},
                {"processes", tr("Processes"), m_processes},
                {"nodes", tr("Nodes"), m_nodes},
                {"processes_per_node", tr("Processes per node"), m_processesPerNode}};
    auto *form = new QFormLayout;
    for (const Field &f : m_fields) {
        if (f.key == "init")
            break; // the rest share rows, below
        form->addRow(f.label + QLatin1Char(':'), f.widget);
        if (f.widget == m_model)
            form->addRow(QString(), m_modelSummary);
    }
    addWeightsAndRanksRows(form);
    auto *buttons = new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel);
    buttons->button(QDialogButtonBox::Ok)->setText(tr("Train"));
    auto *layout = new QVBoxLayout(this);
    layout->addLayout(form);
    layout->addWidget(m_error);
    layout->addWidget(buttons);
    connect(buttons, &QDialogButtonBox::accepted, this, &TrainDialog::accept);
    connect(buttons, &QDialogButtonBox::rejected, this, &TrainDialog::reject);
    connect(m_model, &QComboBox::currentIndexChanged, this, &TrainDialog::modelChanged);
    connect(m_target, &QComboBox::currentIndexChanged, this, &TrainDialog::targetChanged);
    connect(m_initBrowse, &QPushButton::clicked, this, &TrainDialog::browseInit);
    connect(m_table, &QComboBox::currentIndexChanged, this, [this] { m_error->setVisible(false); });

    setRequest(compute::TrainRequest{});
    modelChanged();
    targetChanged();
}

void TrainDialog::setUpWeightsAndRanks()
{
    m_init->setPlaceholderText(tr("none: random weights (or a .pth / .safetensors file)"));
    m_init->setToolTip(tr("A PyTorch state_dict (torch.save, e.g. a downloaded torchvision checkpoint) or a "
                          ".safetensors file whose names match the model (resnet18, resnet50, mobilenet_v3_large)"));
    m_freeze->addItems({QStringLiteral("none"), QStringLiteral("backbone")});
    m_freeze->setToolTip(tr("backbone: train only the classifier head (needs pretrained weights)"));
    m_backboneLrScale->setDecimals(3);
    m_backboneLrScale->setRange(0, 100);
    m_backboneLrScale->setSingleStep(0.1);
    m_backboneLrScale->setToolTip(tr("The backbone's learning rate as a share of the head's (discriminative "
                                     "fine-tuning); 1: the same"));
    m_processes->setRange(1, 1024);
    m_processes->setToolTip(tr("Data-parallel worker processes on this machine (one per GPU, or cores shared out)"));
    m_nodes->setRange(1, 100000);
    m_nodes->setToolTip(tr("A Slurm target's nodes"));
    m_processesPerNode->setRange(1, 1024);
    m_processesPerNode->setToolTip(tr("Ranks per node on a Slurm target (one per GPU)"));
}

void TrainDialog::addWeightsAndRanksRows(QFormLayout *form)
{
    auto *weights = new QHBoxLayout;
    weights->addWidget(m_init, 1);
    weights->addWidget(m_initBrowse);
    form->addRow(tr("Pretrained weights:"), weights);
    auto *tuning = new QHBoxLayout;
    tuning->addWidget(m_freeze);
    tuning->addWidget(new QLabel(tr("backbone LR ×")));
    tuning->addWidget(m_backboneLrScale);
    tuning->addStretch(1);
    form->addRow(tr("Freeze:"), tuning);
    auto *ranks = new QHBoxLayout;
    ranks->addWidget(new QLabel(tr("processes")));
    ranks->addWidget(m_processes);
    ranks->addSpacing(12);
    ranks->addWidget(new QLabel(tr("nodes")));
    ranks->addWidget(m_nodes);
    ranks->addWidget(new QLabel(tr("× per node")));
    ranks->addWidget(m_processesPerNode);
    ranks->addStretch(1);
    form->addRow(tr("Ranks:"), ranks);
}

void TrainDialog::targetChanged()
{
    const std::string target = m_target->currentText().toStdString();
    const bool slurm = std::find(m_slurmTargets.begin(), m_slurmTargets.end(), target) != m_slurmTargets.end();
    const bool local = target == "local";
    m_processes->setEnabled(local);
    m_nodes->setEnabled(slurm);
    m_processesPerNode->setEnabled(slurm);
    if (!local)
        m_processes->setValue(1);
    if (!slurm) {
        m_nodes->setValue(1);
        m_processesPerNode->setValue(1);
    }
}

void TrainDialog::browseInit()
{
    const QString file = QFileDialog::getOpenFileName(
        this, tr("Pretrained weights"), m_init->text(),
        tr("PyTorch or safetensors weights (*.pth *.pt *.bin *.safetensors);;All files (*)"));
    if (!file.isEmpty())
        m_init->setText(file);
}

void TrainDialog::modelChanged()
{
    const train::ModelSpec *spec = train::findModel(m_model->currentText().toStdString());
    if (!spec)
        return;
    m_modelSummary->setText(qs(spec->summary));
    // A wrapped label in a form row gets one line's height unless it asks for the height its text needs.
    m_modelSummary->setMinimumHeight(m_modelSummary->heightForWidth(m_modelSummary->maximumWidth()));
    m_epochs->setSpecialValueText(tr("model default (%1)").arg(spec->defaultEpochs));
    m_batchSize->setSpecialValueText(tr("model default (%1)").arg(spec->defaultBatchSize));
    m_lr->setSpecialValueText(tr("model default (%1)").arg(spec->defaultLr));
    m_imageSize->setSpecialValueText(tr("model default (%1)").arg(spec->defaultInputSize));
    m_imageSize->setToolTip(
        tr("%1 takes %2 to %3 px").arg(qs(spec->name)).arg(spec->minInputSize).arg(spec->maxInputSize));
}

void TrainDialog::setRequest(const compute::TrainRequest &r)
{
    if (const int i = m_table->findText(QString::fromStdString(r.table)); i >= 0)
        m_table->setCurrentIndex(i);
    m_experiment->setCurrentText(QString::fromStdString(r.experiment));
    m_runName->setText(QString::fromStdString(r.runName));
    if (const int i = m_model->findText(QString::fromStdString(r.model)); i >= 0)
        m_model->setCurrentIndex(i);
    m_epochs->setValue(r.epochs);
    m_batchSize->setValue(r.batchSize);
    m_lr->setValue(r.lr);
    selectChoice(m_optimizer, compute::kOptimizers, r.optimizer);
    m_imageSize->setValue(r.imageSize);
    m_valFraction->setValue(r.valFraction);
    m_seed->setValue(int(std::min<std::uint64_t>(r.seed, std::uint64_t(std::numeric_limits<int>::max()))));
    selectChoice(m_device, compute::kDevices, r.device);
    selectChoice(m_precision, compute::kPrecisions, r.precision);
    if (const int i = m_target->findText(QString::fromStdString(r.target)); i >= 0)
        m_target->setCurrentIndex(i);
    m_init->setText(QString::fromStdString(r.init));
    m_freeze->setCurrentText(QString::fromStdString(r.freeze));
    m_backboneLrScale->setValue(r.backboneLrScale);
    m_processes->setValue(r.processes);
    m_nodes->setValue(r.nodes);
    m_processesPerNode->setValue(r.processesPerNode);
    targetChanged();
}

requests::KeyValues TrainDialog::values() const
{
    return {{"table", m_table->currentText().toStdString()},
            {"experiment", m_experiment->currentText().trimmed().toStdString()},
            {"model", m_model->currentText().toStdString()},
            {"epochs", std::to_string(m_epochs->value())},
            {"batch_size", std::to_string(m_batchSize->value())},
            {"lr", text(m_lr->value())},
            {"optimizer", m_optimizer->currentText().toStdString()},
            {"image_size", std::to_string(m_imageSize->value())},
            {"val_fraction", text(m_valFraction->value())},
            {"seed", std::to_string(m_seed->value())},
            {"device", m_device->currentText().toStdString()},
            {"precision", m_precision->currentText().toStdString()},
            {"target", m_target->currentText().toStdString()},
            {"name", m_runName->text().trimmed().toStdString()},
            {"init", m_init->text().trimmed().toStdString()},
            {"freeze", m_freeze->currentText().toStdString()},
            {"backbone_lr_scale", text(m_backboneLrScale->value())},
            {"processes", std::to_string(m_processes->value())},
            {"nodes", std::to_string(m_nodes->value())},
            {"processes_per_node", std::to_string(m_processesPerNode->value())}};
}

compute::TrainRequest TrainDialog::request() const
{
    return compute::parseTrainRequest(values());
}

QString TrainDialog::validationError() const
{
    return check(nullptr);
}

QString TrainDialog::check(QWidget **field) const
{
    if (m_table->count() == 0)
        return tr("The workspace has no table to train on: ingest images first (pipewright ingest).");
    compute::TrainRequest r;
    try {
        r = request();
    } catch (const requests::RequestError &e) {
        for (const Field &f : m_fields) {
            if (f.key == e.key()) {
                if (field)
                    *field = f.widget;
                return f.label + QStringLiteral(": ") + QString::fromStdString(e.problem());
            }
        }
        return QString::fromUtf8(e.what());
    }
    if (r.table.empty())
        return tr("Choose the table to train on.");
    if (r.experiment.empty())
        return tr("The experiment needs a name (\"Default\" is fine).");
    const train::ModelSpec *spec = train::findModel(r.model);
    if (!spec)
        return tr("Unknown model '%1'.").arg(QString::fromStdString(r.model));
    if (r.imageSize != 0 && (r.imageSize < spec->minInputSize || r.imageSize > spec->maxInputSize))
        return tr("Image size %1 px is outside what %2 takes (%3 to %4 px).")
            .arg(r.imageSize)
            .arg(qs(spec->name))
            .arg(spec->minInputSize)
            .arg(spec->maxInputSize);
    if (r.target.empty())
        return tr("Choose a compute target.");
    if (!r.init.empty() && !QFileInfo(QString::fromStdString(r.init)).isFile()) {
        if (field)
            *field = m_init;
        return tr("Pretrained weights: '%1' is not a file.").arg(QString::fromStdString(r.init));
    }
    return {};
}

void TrainDialog::accept()
{
    QWidget *field = nullptr;
    const QString error = check(&field);
    m_error->setText(error);
    m_error->setVisible(!error.isEmpty());
    if (field)
        field->setFocus();
    if (error.isEmpty())
        QDialog::accept();
}

} // namespace pw::ui
