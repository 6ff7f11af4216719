// The Models page; data comes from loadModelsSnapshot() and stage changes from transitionVersion(), both on a
// pool thread (a transition waits for other writers of catalog.db).
#include "ui/models/ModelsPage.h"

#include "ui/PageParts.h"
#include "ui/WorkPool.h"
#include "ui/models/ModelVersionsModel.h"
#include "ui/models/PreviewDialog.h"
#include "ui/models/PromoteDialog.h"
#include "ui/models/StageBadgeDelegate.h"
#include "ui/models/TransitionsModel.h"
#include "ui/images/WhenFinished.h"

#include <QAction>
#include <QDropEvent>
#include <QMimeData>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QInputDialog>
#include <QItemSelectionModel>
#include <QLabel>
#include <QLineEdit>
#include <QSplitter>
#include <QTableView>
#include <QToolBar>
#include <QVBoxLayout>
#include <QtConcurrent/QtConcurrentRun>

namespace pw::ui {

ModelsPage::ModelsPage(QWidget *parent)
    : Page(parent)
    , m_summary(new QLabel)
    , m_versionsModel(new ModelVersionsModel(this))
    , m_details(new QLabel)
    , m_historyModel(new TransitionsModel(this))
    , m_comment(new QLineEdit)
    , m_loader(
          this, [this] { return loadJob(); }, [this](ModelsSnapshot s) { showSnapshot(s); },
          [this](bool loading) { Q_EMIT loadingChanged(loading); })
{
    auto *bar = makePageToolBar();
    QAction *refresh = bar->addAction(themedIcon("refresh"), tr("Refresh"), this, &ModelsPage::reload);
    refresh->setToolTip(tr("Refresh: read the registry again (View → Refresh)"));
    showIconOnly(bar, refresh);
    bar->addSeparator();
    // Every stage change is confirmed in a dialog (target, archive choice, comment, comparison with Production).
    m_toStaging = bar->addAction(themedIcon("promote"), tr("Promote to Staging…"), this,
                                 [this] { openPromoteDialog(registry::Stage::Staging); });
    m_toProduction = bar->addAction(themedIcon("promote"), tr("Promote to Production…"), this,
                                    [this] { openPromoteDialog(registry::Stage::Production); });
    m_toArchived = bar->addAction(themedIcon("archive"), tr("Archive…"), this,
                                  [this] { openPromoteDialog(registry::Stage::Archived); });
    m_setAlias = bar->addAction(themedIcon("alias"), tr("Set alias…"), this, [this] {
        bool ok = false;
        const QString alias = QInputDialog::getText(this, tr("Set alias"),
                                                    tr("Alias for the selected version (e.g. champion):"),
                                                    QLineEdit::Normal, QString(), &ok)
                                  .trimmed();
        if (ok && !alias.isEmpty())
            changeSelectedAlias(alias, true);
    });
    m_deleteAlias = bar->addAction(themedIcon("remove"), tr("Delete alias…"), this, [this] {
        const registry::ModelVersion *v = selectedVersion();
        if (!v || v->aliases.empty())
            return;
        QStringList aliases;
        for (const std::string &a : v->aliases)
            aliases << QString::fromStdString(a);
        bool ok = false;
        const QString alias = QInputDialog::getItem(this, tr("Delete alias"), tr("Alias to delete:"), aliases, 0, false,
                                                    &ok);
        if (ok)
            changeSelectedAlias(alias, false);
    });
    bar->addSeparator();
    m_preview = bar->addAction(themedIcon("preview"), tr("Preview…"), this, [this] { openPreview(); });
    m_preview->setToolTip(tr("See what the selected version predicts for image files you drop or pick (nothing is "
                             "written); or drop image files on a version"));
    m_toStaging->setToolTip(tr("Move the selected version to Staging (other Staging versions stay)"));
    m_toArchived->setToolTip(tr("Move the selected version to Archived"));
    bar->addSeparator();
    m_comment->setPlaceholderText(tr("Comment for the stage history (optional)"));
    m_comment->setMinimumWidth(260);
    m_comment->setClearButtonEnabled(true);
    bar->addWidget(m_comment);
    auto *top = new QHBoxLayout;
    top->addWidget(bar);
    top->addWidget(m_summary, 1);

    m_versionsView = makeTableView(m_versionsModel);
    m_versionsView->setSelectionMode(QAbstractItemView::SingleSelection);
    m_versionsView->setItemDelegateForColumn(ModelVersionsModel::StageColumn,
                                             new StageBadgeDelegate(ModelVersionsModel::StageRole, this));
    m_versionsView->verticalHeader()->setDefaultSectionSize(m_versionsView->fontMetrics().height() + 10);
    m_versionsView->viewport()->setAcceptDrops(true);
    m_versionsView->viewport()->installEventFilter(this);
    m_historyView = makeTableView(m_historyModel);
    m_details->setTextFormat(Qt::RichText);
    m_details->setWordWrap(true);
    m_details->setTextInteractionFlags(Qt::TextSelectableByMouse);

    auto *versionsBox = new QWidget;
    auto *versionsLayout = new QVBoxLayout(versionsBox);
    versionsLayout->setContentsMargins(0, 0, 0, 0);
    versionsLayout->addWidget(titledBox(tr("Registered versions"), m_versionsView), 1);
    versionsLayout->addWidget(m_details);
    auto *split = new QSplitter(Qt::Vertical);
    split->addWidget(versionsBox);
    split->addWidget(titledBox(tr("Stage history"), m_historyView, &m_historyTitle));
    split->setStretchFactor(0, 3);
    split->setStretchFactor(1, 2);

    auto *layout = new QVBoxLayout(this);
    layout->addLayout(top);
    layout->addWidget(split, 1);

    connect(m_versionsView->selectionModel(), &QItemSelectionModel::selectionChanged, this, &ModelsPage::showSelection);
    connect(m_versionsView, &QTableView::clicked, this, [this](const QModelIndex &index) {
        const registry::ModelVersion *v = m_versionsModel->version(index.row());
        if (index.column() == ModelVersionsModel::RunColumn && v && !v->runId.empty())
            Q_EMIT runActivated(QString::fromStdString(v->runId));
    });
    connect(this, &ModelsPage::runActivated, this,
            [this](const QString &runId) { Q_EMIT linkActivated(QStringLiteral("experiments"), runId); });
    updateActions();
}

void ModelsPage::setWorkspace(const QString &root)
{
    m_root = root;
    m_summary->setText(tr("Loading the model registry of %1…").arg(root));
    reload();
}

void ModelsPage::reload()
{
    m_loader.reload();
}

SnapshotLoader<ModelsSnapshot>::Job ModelsPage::loadJob()
{
    if (m_root.isEmpty())
        return {};
    const std::string root = m_root.toStdString();
    return [root] { return loadModelsSnapshot(root); };
}

const registry::ModelVersion *ModelsPage::selectedVersion() const
{
    const QModelIndexList rows = m_versionsView->selectionModel()->selectedRows();
    return rows.isEmpty() ? nullptr : m_versionsModel->version(rows.first().row());
}

bool ModelsPage::selectVersion(const QString &model, qint64 version)
{
    const int row = m_versionsModel->rowOf(model.toStdString(), version);
    if (row < 0)
        return false;
    m_versionsView->selectRow(row);
    return true;
}

void ModelsPage::showSnapshot(const ModelsSnapshot &s)
{
    if (!s.error.isEmpty()) {
        m_summary->setText(tr("Cannot read the model registry: %1").arg(s.error));
        Q_EMIT loaded();
        return;
    }
    const registry::ModelVersion *current = selectedVersion();
    const std::string model = current ? current->name : std::string();
    const std::int64_t version = current ? current->version : 0;

    if (s.versions.empty()) {
        m_summary->setText(tr("No registered models yet. Register a finished run: pipewright models register RUN "
                              "--name NAME --workspace %1")
                               .arg(m_root));
    } else {
        QStringList production;
        for (const registry::ModelVersion &v : s.versions)
            if (v.stage == registry::Stage::Production)
                production << QStringLiteral("%1 v%2").arg(QString::fromStdString(v.name)).arg(v.version);
        m_summary->setText(
            tr("%1 · %2").arg(countText(std::int64_t(s.models.size()), tr("registered model"), tr("registered models")),
                              countText(std::int64_t(s.versions.size()), tr("version"), tr("versions")))
            + (production.isEmpty() ? tr(" · nothing in Production")
                                    : tr(" · in Production: %1").arg(production.join(QStringLiteral(", ")))));
    }
    m_history = s.history;
    m_tables = s.tables;
    m_gateTable = QString::fromStdString(s.gateTable);
    m_versionsModel->setVersions(s.versions, s.runValAccuracy);
    m_versionsView->resizeColumnsToContents();
    int row = m_versionsModel->rowOf(model, version);
    if (row < 0 && m_versionsModel->rowCount() > 0)
        row = 0;
    if (row >= 0)
        m_versionsView->selectRow(row);
    showSelection();
    Q_EMIT loaded();
}

void ModelsPage::showSelection()
{
    const registry::ModelVersion *v = selectedVersion();
    if (!v) {
        m_details->clear();
        m_historyModel->setHistory({});
        m_historyTitle->setText(tr("Stage history"));
        updateActions();
        return;
    }
    QStringList classes;
    for (const std::string &c : v->classes)
        classes << QString::fromStdString(c);
    QString text = QStringLiteral(
                       "<b>%1:%2</b> · %3 · %4×%4 px × %5 · %6 classes: %7<br><span style='color:gray'>%8</span>")
                       .arg(QString::fromStdString(v->name).toHtmlEscaped())
                       .arg(v->version)
                       .arg(QString::fromLatin1(registry::stageName(v->stage)))
                       .arg(v->imageSize)
                       .arg(v->channels)
                       .arg(classes.size())
                       .arg(classes.join(QStringLiteral(", ")).toHtmlEscaped(),
                            QString::fromStdString(v->artifact).toHtmlEscaped());
    if (!v->description.empty())
        text += QStringLiteral("<br>") + QString::fromStdString(v->description).toHtmlEscaped();
    m_details->setText(text);
    const auto it = m_history.find(v->name);
    m_historyModel->setHistory(it == m_history.end() ? std::vector<registry::Transition>{} : it->second);
    m_historyView->resizeColumnsToContents();
    m_historyTitle->setText(tr("Stage history of %1 (%2, newest first)")
                                .arg(QString::fromStdString(v->name),
                                     countText(m_historyModel->rowCount(), tr("transition"), tr("transitions"))));
    updateActions();
}

PreviewDialog *ModelsPage::openPreview(const QStringList &files)
{
    const registry::ModelVersion *v = selectedVersion();
    if (!v)
        return nullptr;
    auto *dialog = new PreviewDialog(*v, this);
    dialog->setAttribute(Qt::WA_DeleteOnClose);
    dialog->show();
    dialog->addFiles(files);
    return dialog;
}

bool ModelsPage::eventFilter(QObject *watched, QEvent *event)
{
    if (watched != m_versionsView->viewport())
        return Page::eventFilter(watched, event);
    const auto type = event->type();
    if (type != QEvent::DragEnter && type != QEvent::DragMove && type != QEvent::Drop)
        return false;
    auto *drop = static_cast<QDropEvent *>(event);
    const QModelIndex index = m_versionsView->indexAt(drop->position().toPoint());
    const QStringList files = drop->mimeData()->hasUrls() ? PreviewDialog::localFiles(drop->mimeData()->urls())
                                                          : QStringList();
    // Entering anywhere is accepted (moves follow); a move or a drop only over a version.
    if (files.isEmpty() || (type != QEvent::DragEnter && !index.isValid())) {
        event->ignore();
        return true;
    }
    drop->acceptProposedAction();
    if (type == QEvent::Drop) {
        m_versionsView->selectRow(index.row());
        openPreview(files);
    }
    return true;
}

void ModelsPage::updateActions()
{
    const registry::ModelVersion *v = selectedVersion();
    const bool can = v && !m_busy;
    m_preview->setEnabled(v != nullptr);
    m_toStaging->setEnabled(can && v->stage != registry::Stage::Staging);
    m_toProduction->setEnabled(can && v->stage != registry::Stage::Production);
    m_toArchived->setEnabled(can && v->stage != registry::Stage::Archived);
    m_setAlias->setEnabled(can);
    m_deleteAlias->setEnabled(can && !v->aliases.empty());
    QString productionTip = tr("Move the selected version to Production");
    if (v) {
        for (int r = 0; r < m_versionsModel->rowCount(); ++r) {
            const registry::ModelVersion *o = m_versionsModel->version(r);
            if (o->name == v->name && o->stage == registry::Stage::Production && o->version != v->version)
                productionTip += tr("; version %1, in Production now, is archived").arg(o->version);
        }
    }
    m_toProduction->setToolTip(productionTip);
}

PromoteDialog *ModelsPage::openPromoteDialog(registry::Stage to)
{
    const registry::ModelVersion *v = selectedVersion();
    if (!v || m_root.isEmpty())
        return nullptr;
    std::vector<registry::ModelVersion> siblings;
    for (int r = 0; r < m_versionsModel->rowCount(); ++r)
        if (m_versionsModel->version(r)->name == v->name)
            siblings.push_back(*m_versionsModel->version(r));
    auto *dialog = new PromoteDialog(m_root, *v, to, siblings, m_tables, this);
    dialog->setWorkspaceGateTable(m_gateTable);
    dialog->setAttribute(Qt::WA_DeleteOnClose);
    dialog->commentEdit()->setText(m_comment->text());
    connect(dialog, &PromoteDialog::promotionFinished, this, [this](const QString &error) {
        if (error.isEmpty()) {
            m_comment->clear();
            reload();
        }
        Q_EMIT message(error.isEmpty() ? tr("Stage changed") : error);
        Q_EMIT actionFinished(error);
    });
    dialog->open();
    return dialog;
}

void ModelsPage::changeSelectedAlias(const QString &alias, bool set)
{
    const registry::ModelVersion *v = selectedVersion();
    if (!v || m_root.isEmpty())
        return;
    const std::string root = m_root.toStdString();
    const std::string model = v->name;
    const std::int64_t version = v->version;
    const std::string a = alias.toStdString();
    whenFinished(this, QtConcurrent::run(workPool(), [=] { return changeAlias(root, model, a, version, set); }),
                 [this, alias, set](const QString &error) {
                     if (!error.isEmpty())
                         showError(this, tr("Alias"), error);
                     else
                         Q_EMIT message(set ? tr("Alias %1 set").arg(alias) : tr("Alias %1 deleted").arg(alias));
                     reload();
                     Q_EMIT actionFinished(error);
                 });
}

void ModelsPage::transitionSelected(registry::Stage to)
{
    const registry::ModelVersion *v = selectedVersion();
    if (!v || m_busy || m_root.isEmpty()) {
        const QString why = !v ? tr("Select a model version first.") : tr("Another stage change is running.");
        Q_EMIT actionFinished(why);
        return;
    }
    m_busy = true;
    updateActions();
    const std::string root = m_root.toStdString();
    const std::string model = v->name;
    const std::int64_t version = v->version;
    const std::string comment = m_comment->text().trimmed().toStdString();
    whenFinished(this,
                 QtConcurrent::run(workPool(), [=] { return transitionVersion(root, model, version, to, comment); }),
                 [this, model, version, to](const TransitionOutcome &out) {
                     m_busy = false;
                     updateActions();
                     if (!out.error.isEmpty()) {
                         showError(this, tr("Stage change"),
                                   tr("%1 version %2 could not move to %3:\n%4")
                                       .arg(QString::fromStdString(model))
                                       .arg(version)
                                       .arg(QString::fromLatin1(registry::stageName(to)), out.error));
                         Q_EMIT actionFinished(out.error);
                         return;
                     }
                     m_comment->clear();
                     QStringList moved;
                     for (const registry::Transition &t : out.transitions)
                         moved << tr("%1 v%2 %3 → %4")
                                      .arg(QString::fromStdString(t.name))
                                      .arg(t.version)
                                      .arg(QString::fromStdString(t.from), QString::fromStdString(t.to));
                     Q_EMIT message(moved.join(QStringLiteral("; ")));
                     reload();
                     Q_EMIT actionFinished(QString());
                 });
}

} // namespace pw::ui
