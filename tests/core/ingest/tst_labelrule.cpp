// Tests of the label rules (core/ingest/LabelRule.h): parsing a rule's name and reading a label
// from an image's path relative to its ingest source.
#include "core/ingest/LabelRule.h"

#include <QTest>

#include <optional>
#include <string>

using pw::ingest::LabelRule;

Q_DECLARE_METATYPE(LabelRule)

class tst_LabelRule : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void parseLabelRule_data();
    void parseLabelRule();
    void labelRuleNameRoundTrip_data();
    void labelRuleNameRoundTrip();
    void labelFromPath_data();
    void labelFromPath();
};

void tst_LabelRule::parseLabelRule_data()
{
    QTest::addColumn<QByteArray>("text");
    QTest::addColumn<bool>("valid");
    QTest::addColumn<LabelRule>("rule");
    QTest::newRow("caltech") << QByteArray("caltech") << true << LabelRule::Caltech;
    QTest::newRow("folder") << QByteArray("folder") << true << LabelRule::Folder;
    QTest::newRow("none") << QByteArray("none") << true << LabelRule::None;
    QTest::newRow("Caltech (case-sensitive)") << QByteArray("Caltech") << false << LabelRule::None;
    QTest::newRow("FOLDER") << QByteArray("FOLDER") << false << LabelRule::None;
    QTest::newRow("empty") << QByteArray("") << false << LabelRule::None;
    QTest::newRow("leading space") << QByteArray(" caltech") << false << LabelRule::None;
    QTest::newRow("trailing space") << QByteArray("caltech ") << false << LabelRule::None;
    QTest::newRow("prefix") << QByteArray("calt") << false << LabelRule::None;
    QTest::newRow("trailing nul") << QByteArray("none\0", 5) << false << LabelRule::None;
    QTest::newRow("other word") << QByteArray("imagenet") << false << LabelRule::None;
}

void tst_LabelRule::parseLabelRule()
{
    QFETCH(QByteArray, text);
    QFETCH(bool, valid);
    QFETCH(LabelRule, rule);
    const auto parsed = pw::ingest::parseLabelRule(std::string_view(text.constData(), std::size_t(text.size())));
    QCOMPARE(parsed.has_value(), valid);
    if (valid)
        QCOMPARE(*parsed, rule);
}

void tst_LabelRule::labelRuleNameRoundTrip_data()
{
    QTest::addColumn<LabelRule>("rule");
    QTest::addColumn<QString>("name");
    QTest::newRow("caltech") << LabelRule::Caltech << "caltech";
    QTest::newRow("folder") << LabelRule::Folder << "folder";
    QTest::newRow("none") << LabelRule::None << "none";
}

void tst_LabelRule::labelRuleNameRoundTrip()
{
    QFETCH(LabelRule, rule);
    QFETCH(QString, name);
    QCOMPARE(QString::fromUtf8(pw::ingest::labelRuleName(rule)), name);
    QCOMPARE(pw::ingest::parseLabelRule(pw::ingest::labelRuleName(rule)), std::optional<LabelRule>(rule));
}

void tst_LabelRule::labelFromPath_data()
{
    QTest::addColumn<LabelRule>("rule");
    QTest::addColumn<QString>("path");
    QTest::addColumn<bool>("labeled");
    QTest::addColumn<QString>("name");
    QTest::addColumn<int>("id"); // -1: no id

    const auto unlabeled = [](const char *row, LabelRule rule, const QString &path) {
        QTest::newRow(row) << rule << path << false << QString() << -1;
    };

    // caltech: the top folder is NNN.name
    QTest::newRow("caltech 001.ak47") << LabelRule::Caltech << "001.ak47/x.jpg" << true << "ak47" << 1;
    QTest::newRow("caltech nested 257.clutter")
        << LabelRule::Caltech << "257.clutter/a/b.png" << true << "clutter" << 257;
    QTest::newRow("caltech id 0") << LabelRule::Caltech << "000.zero/x.png" << true << "zero" << 0;
    QTest::newRow("caltech one digit") << LabelRule::Caltech << "7.seven/x.png" << true << "seven" << 7;
    QTest::newRow("caltech dot in name") << LabelRule::Caltech << "012.ak.47/x.jpg" << true << "ak.47" << 12;
    QTest::newRow("caltech name with spaces") << LabelRule::Caltech << "003.t shirt/x.jpg" << true << "t shirt" << 3;
    QTest::newRow("caltech unicode name")
        << LabelRule::Caltech << QStringLiteral("012.日本語/写真.jpg") << true << QStringLiteral("日本語") << 12;
    QTest::newRow("caltech accented name")
        << LabelRule::Caltech << QStringLiteral("004.café/x.jpg") << true << QStringLiteral("café") << 4;
    unlabeled("caltech no number", LabelRule::Caltech, "ak47/x.jpg");
    unlabeled("caltech empty name", LabelRule::Caltech, "001./x.jpg");
    unlabeled("caltech empty number", LabelRule::Caltech, ".ak47/x");
    unlabeled("caltech letters before dot", LabelRule::Caltech, "abc.def/x");
    unlabeled("caltech digits then letters", LabelRule::Caltech, "12a.def/x");
    unlabeled("caltech leading space", LabelRule::Caltech, " 12.def/x");
    unlabeled("caltech plus sign", LabelRule::Caltech, "+12.def/x");
    // "digits, a dot, then a name": a minus sign is not a digit.
    unlabeled("caltech minus sign", LabelRule::Caltech, "-1.neg/x.jpg");
    unlabeled("caltech number too big", LabelRule::Caltech, "99999999999.big/x.jpg");
    unlabeled("caltech unicode digits", LabelRule::Caltech, QStringLiteral("١٢.arabic/x.jpg"));
    unlabeled("caltech file in source", LabelRule::Caltech, "x.jpg");
    unlabeled("caltech file named like a class", LabelRule::Caltech, "001.ak47");
    unlabeled("caltech leading slash", LabelRule::Caltech, "/001.ak47/x.jpg");
    unlabeled("caltech empty path", LabelRule::Caltech, "");

    // folder: the top folder's name, whatever it is
    QTest::newRow("folder plain") << LabelRule::Folder << "ak47/x.jpg" << true << "ak47" << -1;
    QTest::newRow("folder caltech-style name kept whole")
        << LabelRule::Folder << "001.ak47/x.jpg" << true << "001.ak47" << -1;
    QTest::newRow("folder nested") << LabelRule::Folder << "cats/2024/x.png" << true << "cats" << -1;
    QTest::newRow("folder unicode") << LabelRule::Folder << QStringLiteral("Ünïcødé 🙂/x.png") << true
                                    << QStringLiteral("Ünïcødé 🙂") << -1;
    unlabeled("folder file in source", LabelRule::Folder, "x.png");
    unlabeled("folder leading slash", LabelRule::Folder, "/x.png");
    unlabeled("folder empty path", LabelRule::Folder, "");

    // none: never a label
    unlabeled("none caltech-style", LabelRule::None, "001.ak47/x.jpg");
    unlabeled("none folder", LabelRule::None, "ak47/x.jpg");
    unlabeled("none file in source", LabelRule::None, "x.jpg");
}

void tst_LabelRule::labelFromPath()
{
    QFETCH(LabelRule, rule);
    QFETCH(QString, path);
    QFETCH(bool, labeled);
    QFETCH(QString, name);
    QFETCH(int, id);

    const std::string utf8 = path.toStdString();
    const pw::ingest::PathLabel label = pw::ingest::labelFromPath(rule, utf8);
    QCOMPARE(label.name.has_value(), labeled);
    if (labeled)
        QCOMPARE(QString::fromStdString(*label.name), name);
    QCOMPARE(label.id.has_value(), id >= 0);
    if (id >= 0)
        QCOMPARE(*label.id, id);
}

QTEST_GUILESS_MAIN(tst_LabelRule)
#include "tst_labelrule.moc"
