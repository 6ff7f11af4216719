// The strict JSON checker: raw control characters inside strings and duplicate keys, each reported with its
// line, column and key path; what JSON allows (escapes, the same key in sibling objects) is not reported.
#include "core/store/JsonCheck.h"

#include <QStringList>
#include <QTest>

using namespace pw;

class tst_JsonCheck : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void issues_data();
    void issues();
    void issuesTextJoinsAll();
};

void tst_JsonCheck::issues_data()
{
    QTest::addColumn<QByteArray>("json");
    QTest::addColumn<QStringList>("expected"); // JsonIssue::text() of every issue, in order

    QTest::newRow("raw NUL in a string")
        << QByteArray("{\"a\": \"x\0y\"}", 12)
        << QStringList{"line 1, column 9: raw control character U+0000 inside the string a (JSON allows it only "
                       "escaped, as \\u0000)"};
    QTest::newRow("raw tab in a string on line 2")
        << QByteArray("{\n  \"name\": \"a\tb\"\n}")
        << QStringList{"line 2, column 13: raw control character U+0009 inside the string name (JSON allows it only "
                       "escaped, as \\u0009)"};
    QTest::newRow("raw newline in a key")
        << QByteArray("{\"tasks\": [{\"a\nb\": 1}]}")
        << QStringList{"line 1, column 15: raw control character U+000A inside a key of tasks[0] (JSON allows it only "
                       "escaped, as \\u000a)"};
    QTest::newRow("duplicate key at the top level")
        << QByteArray("{\"epochs\": 1,\n \"epochs\": 2}")
        << QStringList{"line 2, column 2: duplicate key 'epochs' in the top-level object (first at line 1, column 2; "
                       "a parser keeps only one of them)"};
    QTest::newRow("duplicate key nested")
        << QByteArray(R"({"tasks": [{"params": {"epochs": 1, "epochs": 2}}]})")
        << QStringList{"line 1, column 37: duplicate key 'epochs' in tasks[0].params (first at line 1, column 24; "
                       "a parser keeps only one of them)"};
    QTest::newRow("keys equal once escapes are decoded")
        << QByteArray(R"({"a": 1, "\u0061": 2})")
        << QStringList{"line 1, column 10: duplicate key 'a' in the top-level object (first at line 1, column 2; "
                       "a parser keeps only one of them)"};
    QTest::newRow("columns count characters, not bytes")
        << QByteArray("{\"\xC3\xA9\": \"\t\"}")
        << QStringList{"line 1, column 8: raw control character U+0009 inside the string \xC3\xA9 (JSON allows it "
                       "only escaped, as \\u0009)"};
    QTest::newRow("two faults, in text order")
        << QByteArray("{\"a\": \"\x01\", \"a\": 2}")
        << QStringList{"line 1, column 8: raw control character U+0001 inside the string a (JSON allows it only "
                       "escaped, as \\u0001)",
                       "line 1, column 12: duplicate key 'a' in the top-level object (first at line 1, column 2; "
                       "a parser keeps only one of them)"};
    QTest::newRow("escaped \\u0000 is fine") << QByteArray(R"({"a": "x\u0000y", "b": "\t\n\"\\"})") << QStringList{};
    QTest::newRow("same key in sibling objects is fine")
        << QByteArray(R"({"a": {"k": 1}, "b": {"k": 2}, "c": [{"k": 1}, {"k": [1, true, null, -2.5e3]}]})")
        << QStringList{};
    QTest::newRow("byte order mark") << QByteArray("\xEF\xBB\xBF{\"k\": 1, \"k\": 2}")
                                     << QStringList{
                                            "line 1, column 10: duplicate key 'k' in the top-level object (first "
                                            "at line 1, column 2; a parser keeps only one of them)"};
    // Syntax errors are the parser's to report: the scan stops there, keeping what it found before.
    QTest::newRow("malformed after a fault")
        << QByteArray(R"({"a": 1, "a": 2, )")
        << QStringList{"line 1, column 10: duplicate key 'a' in the top-level object (first at line 1, column 2; "
                       "a parser keeps only one of them)"};
    QTest::newRow("unterminated string") << QByteArray(R"({"a": "x)") << QStringList{};
    QTest::newRow("bad escape") << QByteArray(R"({"a": "\q", "a": 1})") << QStringList{};
    QTest::newRow("empty text") << QByteArray() << QStringList{};
}

void tst_JsonCheck::issues()
{
    QFETCH(QByteArray, json);
    QFETCH(QStringList, expected);
    QStringList got;
    for (const store::JsonIssue &issue : store::checkJson(std::string_view(json.constData(), std::size_t(json.size()))))
        got << QString::fromStdString(issue.text());
    QCOMPARE(got, expected);
}

void tst_JsonCheck::issuesTextJoinsAll()
{
    const auto issues = store::checkJson(R"({"x": {"k": 1, "k": 2}, "y": {"k": 1, "k": 2}})");
    QCOMPARE(issues.size(), std::size_t(2));
    QCOMPARE(issues[1].path, std::string("y"));
    const std::string text = store::jsonIssuesText(issues);
    QCOMPARE(text, issues[0].text() + "; " + issues[1].text());
    QVERIFY(store::jsonIssuesText({}).empty());
}

QTEST_GUILESS_MAIN(tst_JsonCheck)
#include "tst_jsoncheck.moc"
