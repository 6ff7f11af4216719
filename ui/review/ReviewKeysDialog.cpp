// The number-key bindings of the Review page.
#include "ui/review/ReviewKeysDialog.h"

#include <QComboBox>
#include <QDialogButtonBox>
#include <QFormLayout>
#include <QSettings>

namespace pw::ui {

QString reviewKeyName(int i)
{
    return QString::number((i + 1) % 10);
}

ReviewKeysDialog::ReviewKeysDialog(const QStringList &classes, const QStringList &bindings, QWidget *parent)
    : QDialog(parent)
{
    setWindowTitle(tr("Review keys"));
    auto *form = new QFormLayout(this);
    for (int i = 0; i < kReviewKeyCount; ++i) {
        auto *combo = new QComboBox;
        combo->addItem(tr("(none)"), QString());
        for (const QString &c : classes)
            combo->addItem(c, c);
        const int at = combo->findData(bindings.value(i));
        combo->setCurrentIndex(at < 0 ? 0 : at);
        combo->setObjectName(QStringLiteral("key%1").arg(reviewKeyName(i)));
        form->addRow(tr("Key %1").arg(reviewKeyName(i)), combo);
        m_combos << combo;
    }
    auto *buttons = new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel);
    connect(buttons, &QDialogButtonBox::accepted, this, &QDialog::accept);
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
    form->addRow(buttons);
}

QStringList ReviewKeysDialog::bindings() const
{
    QStringList out;
    for (const QComboBox *c : m_combos)
        out << c->currentData().toString();
    return out;
}

QStringList ReviewKeysDialog::loadBindings(const QString &modelName, const QStringList &classes)
{
    const QStringList saved = QSettings().value(QStringLiteral("review/keys/") + modelName).toStringList();
    QStringList out;
    for (int i = 0; i < kReviewKeyCount; ++i) {
        // A saved class the model no longer has falls back to the default.
        const QString s = saved.value(i);
        out << (saved.size() == kReviewKeyCount && (s.isEmpty() || classes.contains(s)) ? s : classes.value(i));
    }
    return out;
}

void ReviewKeysDialog::saveBindings(const QString &modelName, const QStringList &bindings)
{
    QSettings().setValue(QStringLiteral("review/keys/") + modelName, bindings);
}

} // namespace pw::ui
