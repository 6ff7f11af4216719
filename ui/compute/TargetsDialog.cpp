// The compute targets dialog.
#include "ui/compute/TargetsDialog.h"

#include "core/compute/Targets.h"
#include "core/store/Database.h"
#include "core/store/Workspace.h"
#include "ui/WorkPool.h"
#include "ui/compute/SlurmFields.h"
#include "ui/images/WhenFinished.h"

#include <QCoreApplication>
#include <QDialogButtonBox>
#include <QFormLayout>
#include <QHeaderView>
#include <QJsonArray>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QTableWidget>
#include <QVBoxLayout>
#include <QtConcurrent/QtConcurrentRun>

#include <map>

namespace pw::ui {

namespace {

QString q(const std::string &s)
{
    return QString::fromStdString(s);
}

// A field of a target as this dialog labels it: its errors name the field the user typed into.
QString fieldLabel(const std::string &field)
{
    static const std::map<std::string, const char *> labels{
        {"name", QT_TRANSLATE_NOOP("pw::ui::TargetsDialog", "Name")},
        {"url", QT_TRANSLATE_NOOP("pw::ui::TargetsDialog", "SSH URL")},
        {"workdir", QT_TRANSLATE_NOOP("pw::ui::TargetsDialog", "Workdir")},
        {"worker", QT_TRANSLATE_NOOP("pw::ui::TargetsDialog", "Worker")},
        {"identity", QT_TRANSLATE_NOOP("pw::ui::TargetsDialog", "Identity")},
        {"partition", QT_TRANSLATE_NOOP("pw::ui::TargetsDialog", "Partition")},
        {"account", QT_TRANSLATE_NOOP("pw::ui::TargetsDialog", "Account")},
        {"qos", QT_TRANSLATE_NOOP("pw::ui::TargetsDialog", "QOS")},
        {"time", QT_TRANSLATE_NOOP("pw::ui::TargetsDialog", "Time limit")},
        {"mem", QT_TRANSLATE_NOOP("pw::ui::TargetsDialog", "Memory per node")},
        {"gpus_per_node", QT_TRANSLATE_NOOP("pw::ui::TargetsDialog", "GPUs per node")},
        {"cpus_per_task", QT_TRANSLATE_NOOP("pw::ui::TargetsDialog", "CPUs per task")},
        {"sbatch_arg", QT_TRANSLATE_NOOP("pw::ui::TargetsDialog", "sbatch option")}};
    const auto it = labels.find(field);
    return it == labels.end() ? q(field) : QCoreApplication::translate("pw::ui::TargetsDialog", it->second);
}

// A reachable target's test in words: the worker, libtorch, CUDA and the devices (and a cluster's backend).
QString reachableText(const QString &name, const QJsonObject &r)
{
    QStringList devices;
    for (const QJsonValue &d : r.value("devices").toArray()) {
        const QJsonObject o = d.toObject();
        devices << o.value("type").toString()
                       + (o.contains("index") ? ":" + QString::number(o.value("index").toInt()) : QString());
    }
    QString text = TargetsDialog::tr("%1 is reachable (%2 s): pipewright-worker %3, libtorch %4, CUDA %5; devices: %6")
                       .arg(name)
                       .arg(r.value("seconds").toDouble(), 0, 'f', 2)
                       .arg(r.value("worker").toString(), r.value("torch").toString(),
                            r.value("cuda").toBool() ? TargetsDialog::tr("yes") : TargetsDialog::tr("no"),
                            devices.join(", "));
    if (r.contains("backend"))
        text += TargetsDialog::tr("; backend %1").arg(r.value("backend").toString());
    return text;
}

// A Slurm cluster's partitions as the test found them ("" for an SSH host).
QString clusterText(const QJsonObject &r)
{
    if (!r.contains("partitions"))
        return {};
    QStringList lines;
    for (const QJsonValue &v : r.value("partitions").toArray()) {
        const QJsonObject p = v.toObject();
        lines << TargetsDialog::tr("partition %1 (%2%3): %4 nodes, %5 idle, %6 allocated%7")
                     .arg(p.value("name").toString(),
                          p.value("default").toBool() ? TargetsDialog::tr("default, ") : QString(),
                          p.value("availability").toString())
                     .arg(p.value("nodes").toInt())
                     .arg(p.value("idle").toInt())
                     .arg(p.value("allocated").toInt())
                     .arg(p.value("gres").toString().isEmpty()
                              ? QString()
                              : TargetsDialog::tr(", gres %1").arg(p.value("gres").toString()));
    }
    return TargetsDialog::tr("\nCluster %1: %2").arg(r.value("cluster").toString(), lines.join("; "));
}

} // namespace

TargetsDialog::TargetsDialog(const QString &workspaceRoot, QWidget *parent)
    : QDialog(parent)
    , m_root(workspaceRoot)
    , m_table(new QTableWidget(0, 6))
    , m_name(new QLineEdit)
    , m_url(new QLineEdit)
    , m_workdir(new QLineEdit)
    , m_worker(new QLineEdit)
    , m_identity(new QLineEdit)
    , m_slurm(new SlurmFields)
    , m_add(new QPushButton(tr("Add")))
    , m_remove(new QPushButton(tr("Remove")))
    , m_test(new QPushButton(tr("Test")))
    , m_status(new QLabel)
{
    setWindowTitle(tr("Compute targets"));
    m_table->setHorizontalHeaderLabels(
        {tr("Name"), tr("URL"), tr("Workdir"), tr("Worker"), tr("Identity"), tr("Slurm options")});
    m_table->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_table->setSelectionMode(QAbstractItemView::SingleSelection);
    m_table->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_table->horizontalHeader()->setStretchLastSection(true);
    m_table->verticalHeader()->hide();

    m_name->setPlaceholderText(tr("gpu"));
    m_url->setPlaceholderText(tr("ssh://user@gpu-box[:port], or slurm://user@login-node[:port] (slurm: for this "
                                 "machine's own sbatch)"));
    m_workdir->setPlaceholderText(tr("/home/user/pipewright (absolute, on the host)"));
    m_worker->setPlaceholderText(tr("pipewright-worker (on the host's PATH, or a path)"));
    m_identity->setPlaceholderText(tr("optional: a private key file for ssh -i"));
    auto *form = new QFormLayout;
    form->addRow(tr("Name:"), m_name);
    form->addRow(tr("URL:"), m_url);
    form->addRow(tr("Workdir:"), m_workdir);
    form->addRow(tr("Worker:"), m_worker);
    form->addRow(tr("Identity:"), m_identity);

    auto *hint = new QLabel(tr("The system's OpenSSH client is used as you have configured it (keys, agent, "
                               "~/.ssh/config). Host keys are always checked: connect once with ssh to accept a new "
                               "host's key."));
    hint->setWordWrap(true);
    m_status->setWordWrap(true);
    m_status->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_status->setObjectName("targetsStatus");

    auto *buttons = new QHBoxLayout;
    buttons->addWidget(m_test);
    buttons->addWidget(m_remove);
    buttons->addStretch(1);
    buttons->addWidget(m_add);
    auto *close = new QDialogButtonBox(QDialogButtonBox::Close);
    connect(close, &QDialogButtonBox::rejected, this, &QDialog::reject);

    auto *layout = new QVBoxLayout(this);
    layout->addWidget(m_table, 1);
    layout->addLayout(form);
    layout->addWidget(m_slurm);
    layout->addWidget(hint);
    layout->addLayout(buttons);
    layout->addWidget(m_status);
    layout->addWidget(close);

    connect(m_add, &QPushButton::clicked, this, [this] { addFromForm(); });
    connect(m_remove, &QPushButton::clicked, this, [this] { removeSelected(); });
    connect(m_test, &QPushButton::clicked, this, [this] { testSelected(); });
    connect(m_table, &QTableWidget::itemSelectionChanged, this, [this] {
        const QString name = selectedName();
        m_remove->setEnabled(!name.isEmpty() && name != "local");
        m_test->setEnabled(!name.isEmpty());
    });
    // The Slurm fields apply to a slurm:// URL only.
    const auto urlChanged = [this] { m_slurm->setEnabled(m_url->text().trimmed().startsWith("slurm:")); };
    connect(m_url, &QLineEdit::textChanged, this, urlChanged);
    urlChanged();
    resize(900, 640);
    reload();
}

void TargetsDialog::reload()
{
    m_table->setRowCount(0);
    try {
        const auto ws = store::Workspace::open(m_root.toStdString());
        auto db = ws.openCatalog();
        for (const auto &t : compute::listTargets(*db)) {
            const int row = m_table->rowCount();
            m_table->insertRow(row);
            const QStringList cells{q(t.name),     q(t.url()),
                                    q(t.workdir),  t.isLocal() ? QString() : q(t.worker),
                                    q(t.identity), t.isSlurm() ? SlurmFields::summary(t.slurm) : QString()};
            for (int c = 0; c < cells.size(); ++c)
                m_table->setItem(row, c, new QTableWidgetItem(cells[c]));
        }
    } catch (const std::exception &e) {
        showError(tr("Cannot read the compute targets: %1").arg(QString::fromUtf8(e.what())));
    }
    m_table->resizeColumnsToContents();
    m_remove->setEnabled(false);
    m_test->setEnabled(false);
}

QString TargetsDialog::selectedName() const
{
    const auto rows = m_table->selectionModel()->selectedRows();
    return rows.isEmpty() ? QString() : m_table->item(rows.first().row(), 0)->text();
}

void TargetsDialog::showError(const QString &message)
{
    m_status->setStyleSheet("color: #b00020");
    m_status->setText(message);
}

bool TargetsDialog::addFromForm()
{
    try {
        const QString url = m_url->text().trimmed();
        const auto t = compute::makeTarget(
            m_name->text().trimmed().toStdString(), url.toStdString(), m_workdir->text().trimmed().toStdString(),
            m_worker->text().trimmed().toStdString(), m_identity->text().trimmed().toStdString(),
            url.startsWith("slurm:") ? m_slurm->options() : compute::SlurmOptions{});
        const auto ws = store::Workspace::open(m_root.toStdString());
        auto db = ws.openCatalog();
        compute::addTarget(*db, t);
        m_status->setStyleSheet({});
        m_status->setText(
            tr("Added %1. Select it and press Test to check the connection and the worker.").arg(q(t.name)));
        for (QLineEdit *e : {m_name, m_url, m_workdir, m_worker, m_identity})
            e->clear();
        m_slurm->clear();
    } catch (const compute::TargetFieldError &e) {
        const QString label = e.field() == "url" && m_url->text().trimmed().startsWith("slurm:")
                                  ? tr("Slurm URL")
                                  : fieldLabel(e.field());
        showError(q(e.describe(label.toStdString())));
        return false;
    } catch (const std::exception &e) {
        showError(QString::fromUtf8(e.what()));
        return false;
    }
    reload();
    return true;
}

bool TargetsDialog::removeSelected()
{
    const QString name = selectedName();
    if (name.isEmpty())
        return false;
    try {
        const auto ws = store::Workspace::open(m_root.toStdString());
        auto db = ws.openCatalog();
        compute::removeTarget(*db, name.toStdString());
        m_status->setStyleSheet({});
        m_status->setText(tr("Removed %1.").arg(name));
    } catch (const std::exception &e) {
        showError(QString::fromUtf8(e.what()));
        return false;
    }
    reload();
    return true;
}

void TargetsDialog::testSelected()
{
    const QString name = selectedName();
    if (name.isEmpty())
        return;
    compute::Target target;
    try {
        const auto ws = store::Workspace::open(m_root.toStdString());
        auto db = ws.openCatalog();
        target = compute::findTarget(*db, name.toStdString());
    } catch (const std::exception &e) {
        showError(QString::fromUtf8(e.what()));
        return;
    }
    m_status->setStyleSheet({});
    m_status->setText(tr("Testing %1…").arg(name));
    ++m_testing;
    whenFinished(this, QtConcurrent::run(workPool(), [target] { return compute::testTarget(target); }),
                 [this, name](const QJsonObject &r) {
                     --m_testing;
                     const QString error = r.value("error").toString();
                     if (!error.isEmpty()) {
                         showError(tr("%1: %2").arg(name, error) + clusterText(r));
                     } else {
                         m_status->setStyleSheet("color: #1b7f3b");
                         m_status->setText(reachableText(name, r) + clusterText(r));
                     }
                     Q_EMIT testFinished(name, error);
                 });
}

} // namespace pw::ui
