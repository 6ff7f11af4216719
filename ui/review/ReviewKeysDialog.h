// Rebinds the Review page's number keys: which class each of 1–9 and 0 assigns. Saved in QSettings per model.
#pragma once

#include <QDialog>
#include <QStringList>

class QComboBox;

namespace pw::ui {

class ReviewKeysDialog : public QDialog
{
    Q_OBJECT
public:
    /** `bindings`: the class of keys 1, 2, … 9, 0 (empty: unbound); `classes`: the model's classes. */
    ReviewKeysDialog(const QStringList &classes, const QStringList &bindings, QWidget *parent = nullptr);
    QStringList bindings() const;

    /** The saved bindings of `modelName`, else its first ten classes. */
    static QStringList loadBindings(const QString &modelName, const QStringList &classes);
    static void saveBindings(const QString &modelName, const QStringList &bindings);

private:
    QList<QComboBox *> m_combos;
};

/** The key of binding `i` (0 → "1", …, 8 → "9", 9 → "0"). */
QString reviewKeyName(int i);
constexpr int kReviewKeyCount = 10;

} // namespace pw::ui
