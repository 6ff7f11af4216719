// The promotion dialog. The comparison and the stage change run on a pool thread (the worker evaluates both
// models; a transition waits for other writers of catalog.db); continuations are tied to the dialog, so
// closing it drops them, and closing sets the cancel flag the evaluations watch.
#include "ui/models/PromoteDialog.h"

#include "core/requests/KeyValues.h"

#include "ui/PageParts.h"
#include "ui/WorkPool.h"
#include "ui/models/ClassComparisonModel.h"
#include "ui/images/WhenFinished.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDialogButtonBox>
#include <QFormLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QTableView>
#include <QVBoxLayout>
#include <QtConcurrent/QtConcurrentRun>

#include <algorithm>
#include <optional>

namespace pw::ui {

namespace {
QString pct(double v)
{
    return QStringLiteral("%1%").arg(v * 100, 0, 'f', 2);
}

QString versionList(const std::vector<std::int64_t> &versions)
{
    QStringList parts;
    for (std::int64_t v : versions)
        parts << QStringLiteral("v%1").arg(v);
    return parts.join(QStringLiteral(", "));
}
} // namespace

PromoteDialog::PromoteDialog(const QString &workspaceRoot, const registry::ModelVersion &version, registry::Stage to,
                             const std::vector<registry::ModelVersion> &siblings,
                             const std::vector<std::string> &tables, QWidget *parent)
    : QDialog(parent)
    , m_root(workspaceRoot)
    , m_version(version)
    , m_to(to)
    , m_comment(new QLineEdit)
    , m_classModel(new ClassComparisonModel(this))
    , m_verdict(new QLabel)
    , m_buttons(new QDialogButtonBox(QDialogButtonBox::Cancel))
{
    const QString name = QString::fromStdString(version.name);
    const QString stage = QString::fromLatin1(registry::stageName(to));
    setWindowTitle(tr("Move %1 version %2 to %3").arg(name).arg(version.version).arg(stage));

    auto *form = new QFormLayout;
    form->addRow(tr("Version:"), new QLabel(tr("%1 version %2 (now %3)")
                                                .arg(name)
                                                .arg(version.version)
                                                .arg(QString::fromLatin1(registry::stageName(version.stage)))));
    form->addRow(tr("Target stage:"), new QLabel(QStringLiteral("<b>%1</b>").arg(stage)));

    std::vector<std::int64_t> inTarget;
    for (const registry::ModelVersion &s : siblings)
        if (s.name == version.name && s.stage == to && s.version != version.version)
            inTarget.push_back(s.version);
    if (to == registry::Stage::Staging) {
        m_archive = new QCheckBox(inTarget.empty()
                                      ? tr("Archive the other Staging versions (there are none)")
                                      : tr("Archive the other Staging versions (%1)").arg(versionList(inTarget)));
        m_archive->setEnabled(!inTarget.empty());
        form->addRow(tr("Existing:"), m_archive);
    } else if (to == registry::Stage::Production) {
        // At most one Production version: the current one is always archived (Existing::Default).
        form->addRow(tr("Existing:"),
                     new QLabel(inTarget.empty()
                                    ? tr("Nothing is in Production now.")
                                    : tr("Version %1, in Production now, is archived.").arg(versionList(inTarget))));
    }
    m_comment->setPlaceholderText(tr("Why (recorded in the stage history)"));
    form->addRow(tr("Comment:"), m_comment);

    auto *layout = new QVBoxLayout(this);
    layout->addLayout(form);

    if (to == registry::Stage::Production)
        buildComparison(layout, tables);
    m_verdict->setWordWrap(true);
    m_verdict->setTextInteractionFlags(Qt::TextSelectableByMouse);
    layout->addWidget(m_verdict);
    QPushButton *ok = m_buttons->addButton(
        to == registry::Stage::Archived ? tr("Archive") : tr("Move to %1").arg(stage), QDialogButtonBox::AcceptRole);
    ok->setDefault(true);
    layout->addWidget(m_buttons);
    // Not QDialog::accept: promote() accepts once the stage change is made, and not when it is refused.
    connect(m_buttons, &QDialogButtonBox::accepted, this, &PromoteDialog::promote);
    connect(m_buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
}

void PromoteDialog::buildComparison(QVBoxLayout *layout, const std::vector<std::string> &tables)
{
    m_table = new QComboBox;
    m_table->addItem(tr("(no comparison)"), QString());
    for (const std::string &t : tables)
        m_table->addItem(QString::fromStdString(t), QString::fromStdString(t));
    // A held-out table by default (one the version was not trained on; `tables` come newest first), else the
    // training table: a comparison is the norm, skipping it the exception.
    const auto heldOut = std::find_if(tables.begin(), tables.end(),
                                      [&](const std::string &t) { return t != m_version.dataTable; });
    const std::string first = heldOut != tables.end() ? *heldOut : m_version.dataTable;
    m_table->setCurrentIndex(std::max(0, m_table->findData(QString::fromStdString(first))));
    m_compare = new QPushButton(tr("Compare"));
    auto *row = new QHBoxLayout;
    row->addWidget(new QLabel(tr("Compare with Production on table:")));
    row->addWidget(m_table, 1);
    row->addWidget(m_compare);
    layout->addLayout(row);
    m_rule = new QLabel;
    m_rule->setWordWrap(true);
    m_rule->setVisible(false);
    layout->addWidget(m_rule);
    m_skip = new QCheckBox(tr("Promote without comparison (an override: the reason is recorded in the stage history)"));
    m_reason = new QLineEdit;
    m_reason->setPlaceholderText(tr("Why no comparison (recorded as \"promoted without comparison: …\")"));
    layout->addWidget(m_skip);
    layout->addWidget(m_reason);
    m_accuracies = new QLabel;
    m_accuracies->setWordWrap(true);
    layout->addWidget(m_accuracies);
    m_classView = makeTableView(m_classModel);
    m_classView->setMinimumHeight(160);
    layout->addWidget(m_classView, 1);
    connect(m_compare, &QPushButton::clicked, this, &PromoteDialog::compare);
    connect(m_table, &QComboBox::currentIndexChanged, this, [this] {
        m_comparison.reset();
        m_classModel->clear();
        m_accuracies->clear();
        m_verdict->clear();
        m_compare->setEnabled(!m_busy && !comparisonTable().isEmpty());
        updateOverride();
    });
    connect(m_skip, &QCheckBox::toggled, this, &PromoteDialog::updateOverride);
    m_compare->setEnabled(!comparisonTable().isEmpty());
    updateOverride();
}

void PromoteDialog::updateOverride()
{
    const bool none = comparisonTable().isEmpty();
    m_skip->setEnabled(none && !m_busy);
    if (!none)
        m_skip->setChecked(false);
    m_reason->setEnabled(none && m_skip->isChecked() && !m_busy);
}

QString PromoteDialog::comparisonTable() const
{
    return m_table ? m_table->currentData().toString() : QString();
}

void PromoteDialog::setWorkspaceGateTable(const QString &table)
{
    if (!m_table || table.isEmpty())
        return;
    setComparisonTable(table);
    m_rule->setText(tr("This workspace compares every promotion to Production on <b>%1</b> (pipewright config set "
                       "registry.gate_table).")
                        .arg(table.toHtmlEscaped()));
    m_rule->setVisible(true);
}

PromoteDialog::~PromoteDialog()
{
    m_cancel->store(true);
}

void PromoteDialog::setComparisonTable(const QString &table)
{
    if (m_table)
        m_table->setCurrentIndex(std::max(0, m_table->findData(table)));
}

QString PromoteDialog::verdictText() const
{
    return m_verdict->text();
}

void PromoteDialog::setBusy(bool busy)
{
    m_busy = busy;
    for (QAbstractButton *b : m_buttons->buttons())
        if (m_buttons->buttonRole(b) == QDialogButtonBox::AcceptRole)
            b->setEnabled(!busy);
    if (m_compare)
        m_compare->setEnabled(!busy && !comparisonTable().isEmpty());
    if (m_table) {
        m_table->setEnabled(!busy);
        updateOverride();
    }
}

void PromoteDialog::compare()
{
    const QString table = comparisonTable();
    if (m_busy || table.isEmpty())
        return;
    setBusy(true);
    m_verdict->setText(tr("Evaluating version %1 and the Production version on %2…").arg(m_version.version).arg(table));
    const std::string root = m_root.toStdString();
    const std::string model = m_version.name;
    const std::int64_t version = m_version.version;
    const std::string t = table.toStdString();
    auto cancel = m_cancel;
    whenFinished(this,
                 QtConcurrent::run(workPool(), [=] { return comparePromotion(root, model, version, t, cancel.get()); }),
                 [this](const PromotionComparison &c) {
                     setBusy(false);
                     showComparison(c);
                     Q_EMIT comparisonFinished(c.error);
                     if (m_promoteAfterCompare) {
                         m_promoteAfterCompare = false;
                         if (c.error.isEmpty())
                             promote();
                         else
                             Q_EMIT promotionFinished(c.error);
                     }
                 });
}

void PromoteDialog::showComparison(const PromotionComparison &c)
{
    if (!c.error.isEmpty()) {
        m_comparison.reset();
        m_classModel->clear();
        m_accuracies->clear();
        m_verdict->setText(tr("The comparison failed: %1").arg(c.error));
        return;
    }
    m_comparison = std::make_unique<PromotionComparison>(c);
    const registry::GateResult &g = c.gate;
    const QString table = QString::fromStdString(g.table);
    if (!g.productionVersion) {
        m_accuracies->setText(tr("Candidate version %1: <b>%2</b> on %3 (catalog version %4, %5 images). Nothing is in "
                                 "Production to compare with.")
                                  .arg(g.candidateVersion)
                                  .arg(pct(g.candidateAccuracy), table)
                                  .arg(g.dataVersion)
                                  .arg(c.candidate.images));
    } else {
        m_accuracies->setText(tr("Candidate version %1: <b>%2</b> · Production version %3: <b>%4</b> on %5 (catalog "
                                 "version %6, %7 images)")
                                  .arg(g.candidateVersion)
                                  .arg(pct(g.candidateAccuracy))
                                  .arg(g.productionVersion)
                                  .arg(pct(g.productionAccuracy), table)
                                  .arg(g.dataVersion)
                                  .arg(c.candidate.images));
    }
    m_classModel->setComparison(c.candidate, c.production);
    m_classView->resizeColumnsToContents();
    if (g.passed)
        m_verdict->setText(g.productionVersion
                               ? tr("The candidate is at least as accurate as Production: it may be promoted.")
                               : tr("Nothing is in Production: it may be promoted."));
    else
        m_verdict->setText(
            tr("<span style='color:#c01c28'>Refused: the candidate (version %1, %2) is less accurate than "
               "the Production version %3 (%4) on %5 at catalog version %6.</span>")
                .arg(g.candidateVersion)
                .arg(pct(g.candidateAccuracy))
                .arg(g.productionVersion)
                .arg(pct(g.productionAccuracy), table)
                .arg(g.dataVersion));
}

void PromoteDialog::promote()
{
    if (m_busy)
        return;
    const QString table = comparisonTable();
    if (!table.isEmpty() && !m_comparison) {
        m_promoteAfterCompare = true;
        compare();
        return;
    }
    if (m_to == registry::Stage::Production && table.isEmpty()
        && (!m_skip->isChecked() || m_reason->text().trimmed().isEmpty())) {
        const QString why = tr("Choose a table to compare with Production on, or check \"Promote without "
                               "comparison\" and give the reason (it is recorded in the stage history).");
        m_verdict->setText(why);
        Q_EMIT promotionFinished(why);
        return;
    }
    if (m_comparison && !m_comparison->gate.passed) {
        // As `pipewright models transition --gate-table` does: no override, the reason stays on screen.
        Q_EMIT promotionFinished(
            QString::fromStdString("promotion refused: " + m_comparison->gate.summary()
                                   + ": the candidate is less accurate than the Production version"));
        return;
    }
    transition();
}

void PromoteDialog::transition()
{
    // The one parser of a promotion (as `models transition` and promote tasks use) and registry::promote(), which
    // records what was compared, or the override's reason; the comparison made here is not evaluated again.
    requests::KeyValues values{{"name", m_version.name},
                               {"version", std::to_string(m_version.version)},
                               {"stage", registry::stageName(m_to)},
                               {"archive_existing", m_archive && m_archive->isChecked() ? "true" : "false"},
                               {"comment", m_comment->text().trimmed().toStdString()}};
    if (const QString table = comparisonTable(); !table.isEmpty()) {
        values.set("gate_table", table.toStdString());
    } else if (m_to == registry::Stage::Production) {
        values.set("no_gate", "true");
        values.set("reason", m_reason->text().trimmed().toStdString());
    }
    registry::PromoteRequest request;
    try {
        request = registry::parsePromoteRequest(values);
    } catch (const requests::RequestError &e) {
        m_verdict->setText(QString::fromUtf8(e.what()));
        Q_EMIT promotionFinished(QString::fromUtf8(e.what()));
        return;
    }
    std::optional<registry::GateResult> made;
    if (m_comparison)
        made = m_comparison->gate;
    setBusy(true);
    const std::string root = m_root.toStdString();
    whenFinished(this, QtConcurrent::run(workPool(), [=] { return promoteVersion(root, request, made); }),
                 [this](const TransitionOutcome &out) {
                     setBusy(false);
                     if (!out.error.isEmpty()) {
                         m_verdict->setText(tr("The stage change failed: %1").arg(out.error));
                         Q_EMIT promotionFinished(out.error);
                         return;
                     }
                     Q_EMIT promotionFinished(QString());
                     accept();
                 });
}

} // namespace pw::ui
