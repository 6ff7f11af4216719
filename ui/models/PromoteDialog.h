// The confirmation dialog of a stage change on the Models page: the target stage, what happens to the versions
// already there, a comment, and for Production a comparison with the current Production version on a table (the
// promotion gate of `pipewright models transition --gate-table`, with per-class differences), held-out by default;
// promoting without one takes an explicit override with a reason, recorded in the stage history.
#pragma once

#include "ui/models/ModelsSnapshot.h"

#include <QDialog>

#include <atomic>
#include <memory>

class QCheckBox;
class QComboBox;
class QDialogButtonBox;
class QLabel;
class QLineEdit;
class QPushButton;
class QTableView;
class QVBoxLayout;

namespace pw::ui {

class ClassComparisonModel;

class PromoteDialog : public QDialog
{
    Q_OBJECT
public:
    /**
     * `version` moves to `to`; `siblings` are the model's versions as shown (to say which are archived);
     * `tables` the workspace's tables a Production promotion can be compared on.
     */
    PromoteDialog(const QString &workspaceRoot, const registry::ModelVersion &version, registry::Stage to,
                  const std::vector<registry::ModelVersion> &siblings, const std::vector<std::string> &tables,
                  QWidget *parent = nullptr);
    ~PromoteDialog() override;

    /** Chooses the comparison table ("" for none). */
    void setComparisonTable(const QString &table);
    /** The comparison table chosen ("" for none). */
    QString comparisonTable() const;
    /** The workspace's registry.gate_table (empty: none): chosen, and named as the workspace's rule. */
    void setWorkspaceGateTable(const QString &table);
    /** Promoting to Production without a comparison: allowed only with this checked and a reason given. */
    QCheckBox *skipComparison() const { return m_skip; }
    QLineEdit *skipReason() const { return m_reason; }
    /** Starts the comparison off the GUI thread; comparisonFinished() tells when it is shown. */
    void compare();
    /**
     * Compares first when a table is chosen and no comparison is shown, then refuses a candidate less accurate
     * than Production (the reason in words) or moves the version; promotionFinished() tells either way.
     */
    void promote();

    QString verdictText() const;
    const PromotionComparison *comparison() const { return m_comparison.get(); }
    ClassComparisonModel *classModel() const { return m_classModel; }
    QCheckBox *archiveExisting() const { return m_archive; }
    QLineEdit *commentEdit() const { return m_comment; }

Q_SIGNALS:
    void comparisonFinished(const QString &error);
    /** `error` is empty when the version moved; the dialog is then accepted. */
    void promotionFinished(const QString &error);

private:
    void showComparison(const PromotionComparison &c);
    void transition();
    void setBusy(bool busy);
    void buildComparison(QVBoxLayout *layout, const std::vector<std::string> &tables);
    /** The override's controls follow the table: enabled only while "(no comparison)" is chosen. */
    void updateOverride();

    QString m_root;
    registry::ModelVersion m_version;
    registry::Stage m_to;
    std::unique_ptr<PromotionComparison> m_comparison;
    std::shared_ptr<std::atomic<bool>> m_cancel = std::make_shared<std::atomic<bool>>(false);
    bool m_busy = false;
    bool m_promoteAfterCompare = false;
    QCheckBox *m_archive = nullptr;
    QLineEdit *m_comment;
    QComboBox *m_table = nullptr;
    QCheckBox *m_skip = nullptr;
    QLineEdit *m_reason = nullptr;
    QLabel *m_rule = nullptr;
    QPushButton *m_compare = nullptr;
    QLabel *m_accuracies = nullptr;
    QTableView *m_classView = nullptr;
    ClassComparisonModel *m_classModel;
    QLabel *m_verdict;
    QDialogButtonBox *m_buttons;
};

} // namespace pw::ui
