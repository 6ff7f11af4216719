// The train dialog: a form over compute::TrainRequest, its model choices from the model zoo.
#include "ui/experiments/TrainDialog.h"

#include "core/requests/KeyValues.h"
#include "core/train/ModelZoo.h"

#include <QComboBox>
#include <QDialogButtonBox>
#include <QDoubleSpinBox>
#include <QFormLayout>
#include <QLabel>
#include <QLineEdit>
#include <QLocale>
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
                {"target", tr("Compute target"), m_target}};
    auto *form = new QFormLayout;
    for (const Field &f : m_fields) {
        form->addRow(f.label + QLatin1Char(':'), f.widget);
        if (f.widget == m_model)
            form->addRow(QString(), m_modelSummary);
    }
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
            {"name", m_runName->text().trimmed().toStdString()}};
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
