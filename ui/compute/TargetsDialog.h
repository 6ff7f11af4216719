// The workspace's compute targets in the workbench: list, add (with the same checks as `pipewright targets
// add`: SSH hosts and Slurm clusters with their sbatch options), remove, and test one (connects and runs the
// worker's info there, and for a cluster reads its partitions; off the GUI thread).
#pragma once

#include <QDialog>
#include <QString>

class QLabel;
class QLineEdit;
class QPushButton;
class QTableWidget;

namespace pw::ui {

class SlurmFields;

class TargetsDialog : public QDialog
{
    Q_OBJECT
public:
    explicit TargetsDialog(const QString &workspaceRoot, QWidget *parent = nullptr);

    QTableWidget *table() const { return m_table; }
    QLineEdit *nameEdit() const { return m_name; }
    QLineEdit *urlEdit() const { return m_url; }
    QLineEdit *workdirEdit() const { return m_workdir; }
    QLineEdit *workerEdit() const { return m_worker; }
    QLineEdit *identityEdit() const { return m_identity; }
    SlurmFields *slurmFields() const { return m_slurm; }
    QLabel *statusLabel() const { return m_status; }

    /** Adds the target described by the form; false (and the reason shown) when it is refused. */
    bool addFromForm();
    /** Removes the selected target ("local" cannot be). */
    bool removeSelected();
    /** Tests the selected target in the background; testFinished() carries the result. */
    void testSelected();

Q_SIGNALS:
    /** A test ended: `error` is empty when the target is reachable and its worker answered. */
    void testFinished(const QString &name, const QString &error);

private:
    void reload();
    QString selectedName() const;
    void showError(const QString &message);

    QString m_root;
    QTableWidget *m_table;
    QLineEdit *m_name;
    QLineEdit *m_url;
    QLineEdit *m_workdir;
    QLineEdit *m_worker;
    QLineEdit *m_identity;
    SlurmFields *m_slurm;
    QPushButton *m_add;
    QPushButton *m_remove;
    QPushButton *m_test;
    QLabel *m_status;
    int m_testing = 0; // tests in flight
};

} // namespace pw::ui
