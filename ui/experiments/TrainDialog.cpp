// The train dialog: a form over compute::TrainRequest, its model choices from the model zoo.
#include "ui/experiments/TrainDialog.h"

#include "core/train/ModelZoo.h"

#include <QComboBox>
#include <QDialogButtonBox>
#include <QDoubleSpinBox>
#include <QFormLayout>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QSpinBox>
#include <QVBoxLayout>

#include <limits>

namespace pw::ui {

namespace {

QString qs(std::string_view s)
{
    return QString::fromUtf8(s.data(), qsizetype(s.size()));
}

} // namespace

TrainDialog::TrainDialog(const std::vector<std::string> &tables, const std::vector<std::string> &experiments,
                         const std::vector<std::string> &targets, QWidget *parent)
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
    m_modelSummary->setMaximumWidth(460);
    m_modelSummary->setForegroundRole(QPalette::PlaceholderText);

    // Zero is "the model's default", shown as such: the worker then picks the zoo's value.
    m_epochs->setRange(0, 10000);
    m_batchSize->setRange(0, 65536);
    m_imageSize->setRange(0, 1024);
    m_lr->setDecimals(6);
    m_lr->setRange(0, 10);
    m_lr->setSingleStep(0.0005);
    m_optimizer->addItems({QStringLiteral("adam"), QStringLiteral("sgd")});
    m_valFraction->setDecimals(2);
    m_valFraction->setRange(0.01, 0.9);
    m_valFraction->setSingleStep(0.05);
    m_valFraction->setToolTip(tr("The share of the labeled images held out for validation"));
    m_seed->setRange(0, std::numeric_limits<int>::max());
    m_device->addItems({QStringLiteral("auto"), QStringLiteral("cpu"), QStringLiteral("cuda")});
    m_precision->addItems({QStringLiteral("auto"), QStringLiteral("fp32"), QStringLiteral("bf16")});
    m_precision->setToolTip(tr("auto: bf16 where the CPU has AVX512_BF16/AMX or on a GPU, else fp32"));
    for (const std::string &t : targets)
        m_target->addItem(QString::fromStdString(t));
    if (m_target->findText(QStringLiteral("local")) < 0)
        m_target->insertItem(0, QStringLiteral("local"));
    m_target->setToolTip(tr("Where the worker runs: this machine, or a compute target of the workspace "
                            "(pipewright targets add)"));
    m_error->setWordWrap(true);
    m_error->setStyleSheet(QStringLiteral("color: #c62828"));
    m_error->setVisible(false);

    auto *form = new QFormLayout;
    form->addRow(tr("Table:"), m_table);
    form->addRow(tr("Experiment:"), m_experiment);
    form->addRow(tr("Run name:"), m_runName);
    form->addRow(tr("Model:"), m_model);
    form->addRow(QString(), m_modelSummary);
    form->addRow(tr("Epochs:"), m_epochs);
    form->addRow(tr("Batch size:"), m_batchSize);
    form->addRow(tr("Learning rate:"), m_lr);
    form->addRow(tr("Optimizer:"), m_optimizer);
    form->addRow(tr("Image size (px):"), m_imageSize);
    form->addRow(tr("Validation fraction:"), m_valFraction);
    form->addRow(tr("Seed:"), m_seed);
    form->addRow(tr("Device:"), m_device);
    form->addRow(tr("Precision:"), m_precision);
    form->addRow(tr("Compute target:"), m_target);
    auto *buttons = new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel);
    buttons->button(QDialogButtonBox::Ok)->setText(tr("Train"));
    auto *layout = new QVBoxLayout(this);
    layout->addLayout(form);
    layout->addWidget(m_error);
    layout->addWidget(buttons);
    connect(buttons, &QDialogButtonBox::accepted, this, &TrainDialog::accept);
    connect(buttons, &QDialogButtonBox::rejected, this, &TrainDialog::reject);
    connect(m_model, &QComboBox::currentIndexChanged, this, &TrainDialog::modelChanged);
    connect(m_table, &QComboBox::currentIndexChanged, this, [this] { m_error->setVisible(false); });

    setRequest(compute::TrainRequest{});
    modelChanged();
}

void TrainDialog::modelChanged()
{
    const train::ModelSpec *spec = train::findModel(m_model->currentText().toStdString());
    if (!spec)
        return;
    m_modelSummary->setText(qs(spec->summary));
    m_epochs->setSpecialValueText(tr("model default (%1)").arg(spec->defaultEpochs));
    m_batchSize->setSpecialValueText(tr("model default (%1)").arg(spec->defaultBatchSize));
    m_lr->setSpecialValueText(tr("model default (%1)").arg(spec->defaultLr));
    m_imageSize->setSpecialValueText(tr("model default (%1)").arg(spec->defaultInputSize));
    m_imageSize->setToolTip(tr("%1 takes %2 to %3 px").arg(qs(spec->name)).arg(spec->minInputSize).arg(spec->maxInputSize));
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
    m_optimizer->setCurrentText(QString::fromStdString(r.optimizer));
    m_imageSize->setValue(r.imageSize);
    m_valFraction->setValue(r.valFraction);
    m_seed->setValue(int(std::min<std::uint64_t>(r.seed, std::uint64_t(std::numeric_limits<int>::max()))));
    m_device->setCurrentText(QString::fromStdString(r.device));
    m_precision->setCurrentText(QString::fromStdString(r.precision));
    if (const int i = m_target->findText(QString::fromStdString(r.target)); i >= 0)
        m_target->setCurrentIndex(i);
}

compute::TrainRequest TrainDialog::request() const
{
    compute::TrainRequest r;
    r.table = m_table->currentText().toStdString();
    r.experiment = m_experiment->currentText().trimmed().toStdString();
    r.runName = m_runName->text().trimmed().toStdString();
    r.model = m_model->currentText().toStdString();
    r.epochs = m_epochs->value();
    r.batchSize = m_batchSize->value();
    r.lr = m_lr->value();
    r.optimizer = m_optimizer->currentText().toStdString();
    r.imageSize = m_imageSize->value();
    r.valFraction = m_valFraction->value();
    r.seed = std::uint64_t(m_seed->value());
    r.device = m_device->currentText().toStdString();
    r.precision = m_precision->currentText().toStdString();
    r.target = m_target->currentText().toStdString();
    return r;
}

QString TrainDialog::validationError() const
{
    const compute::TrainRequest r = request();
    if (m_table->count() == 0)
        return tr("The workspace has no table to train on: ingest images first (pipewright ingest).");
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
    return {};
}

void TrainDialog::accept()
{
    const QString error = validationError();
    m_error->setText(error);
    m_error->setVisible(!error.isEmpty());
    if (error.isEmpty())
        QDialog::accept();
}

} // namespace pw::ui
