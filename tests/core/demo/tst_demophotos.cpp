// The photo demo set (`pipewright demo-data photos`): crops in their split's part of the photograph, labels that
// name the photograph a crop came from, the same bytes on every run, the CLI's JSON, and a missing package named.
#include "core/demo/DemoPhotos.h"
#include "core/ingest/Ingestor.h"
#include "core/store/Database.h"
#include "core/store/Workspace.h"

#include <QDateTime>
#include <QDir>
#include <QDirIterator>
#include <QFile>
#include <QFileInfo>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QTemporaryDir>
#include <QTest>

#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <set>
#include <stdexcept>

using namespace pw;

namespace {

QByteArray readAll(const QString &path)
{
    QFile f(path);
    return f.open(QIODevice::ReadOnly) ? f.readAll() : QByteArray();
}

bool photosInstalled()
{
    for (const auto &s : demo::photoSources()) {
        if (!QFile::exists(QString::fromStdString(s.path)))
            return false;
    }
    return true;
}

} // namespace

class tst_DemoPhotos : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void cropsStayInTheirSplit_data();
    void cropsStayInTheirSplit();
    void missingPackageIsNamed();
    void cliWritesTheTestSplit();
    void cropsShowTheirPhotograph();
    void sameBytesOnEveryRun();
    void ingestsWithOneLabelPerPhotograph();

private:
    QTemporaryDir m_dir;
    QString m_cliOut; // what cliWritesTheTestSplit wrote
};

void tst_DemoPhotos::initTestCase()
{
    QVERIFY(m_dir.isValid());
    QCOMPARE(demo::photoSources().size(), std::size_t(12));
    std::set<std::string> labels;
    for (const auto &s : demo::photoSources())
        labels.insert(s.label);
    QCOMPARE(labels.size(), std::size_t(12)); // one class per photograph
}

void tst_DemoPhotos::cropsStayInTheirSplit_data()
{
    QTest::addColumn<int>("cols");
    QTest::addColumn<int>("rows");
    QTest::newRow("2560x1600") << 2560 << 1600;
    QTest::newRow("2560x1920") << 2560 << 1920;
    QTest::newRow("1280x1024") << 1280 << 1024;
    QTest::newRow("1600x1203") << 1600 << 1203;
    QTest::newRow("1680x1050") << 1680 << 1050;
}

// Train crops lie in the left 70% of the photograph, test crops in the right 30%: no pixel is in both. The crops
// come at several scales, and none is written larger than kPhotoMaxSide.
void tst_DemoPhotos::cropsStayInTheirSplit()
{
    QFETCH(int, cols);
    QFETCH(int, rows);
    const int boundary = int(cols * 0.7);
    for (const bool test : {false, true}) {
        std::set<int> sizes;
        for (int k = 0; k < 12; ++k) {
            for (int j = 0; j < (test ? demo::kPhotoTestCrops : demo::kPhotoTrainCrops); ++j) {
                const auto c = demo::photoCrop(cols, rows, test, k, j);
                const QString where = QStringLiteral("%1 crop %2 of class %3: %4x%5+%6+%7")
                                          .arg(test ? "test" : "train")
                                          .arg(j)
                                          .arg(k)
                                          .arg(c.width)
                                          .arg(c.height)
                                          .arg(c.x)
                                          .arg(c.y);
                QVERIFY2(c.width > 100 && c.height > 100, qPrintable(where));
                QVERIFY2(c.y >= 0 && c.y + c.height <= rows, qPrintable(where));
                QVERIFY2(test ? c.x >= boundary : (c.x >= 0 && c.x + c.width <= boundary), qPrintable(where));
                QVERIFY2(std::max(c.outCols, c.outRows) <= demo::kPhotoMaxSide, qPrintable(where));
                sizes.insert(std::max(c.width, c.height) / 50);
                const auto again = demo::photoCrop(cols, rows, test, k, j);
                QCOMPARE(again.x, c.x);
                QCOMPARE(again.width, c.width);
            }
        }
        QVERIFY2(sizes.size() >= 4, qPrintable(QStringLiteral("%1 crop sizes").arg(sizes.size())));
    }
}

void tst_DemoPhotos::missingPackageIsNamed()
{
    const std::vector<demo::PhotoSource> sources = {
        {"sea", m_dir.filePath("no-such/Sea.jpg").toStdString(), "some-backgrounds"},
        {"sky", m_dir.filePath("no-such/Sky.jpg").toStdString(), "some-backgrounds"}};
    try {
        demo::writePhotoSet(m_dir.filePath("missing").toStdString(), "train", -1, sources);
        QFAIL("no error for missing photographs");
    } catch (const std::runtime_error &e) {
        const QString message = e.what();
        QVERIFY2(message.contains("apt-get install some-backgrounds"), e.what());
        QVERIFY2(message.contains("no-such/Sea.jpg"), e.what());
        QVERIFY2(message.contains("1 more"), e.what());
    }
    QVERIFY_THROWS_EXCEPTION(std::invalid_argument,
                             demo::writePhotoSet(m_dir.filePath("x").toStdString(), "val", -1, sources));
}

void tst_DemoPhotos::cliWritesTheTestSplit()
{
    m_cliOut = m_dir.filePath("cli");
    QProcess p;
    p.start(PIPEWRIGHT_BIN, {"demo-data", "photos", "--out", m_cliOut, "--split", "test", "--limit", "24", "--json"});
    QVERIFY(p.waitForFinished(120000));
    const QString err = QString::fromUtf8(p.readAllStandardError());
    if (!photosInstalled()) {
        QCOMPARE(p.exitCode(), 1); // a clear failure naming the package
        QVERIFY2(err.contains("apt-get install mate-backgrounds"), qPrintable(err));
        QFAIL("mate-backgrounds is not installed: run packaging/install-deps.sh");
    }
    QVERIFY2(p.exitCode() == 0, qPrintable(err));
    const QJsonObject o = QJsonDocument::fromJson(p.readAllStandardOutput()).object();
    QCOMPARE(o.value("dataset").toString(), "photos");
    QCOMPARE(o.value("split").toString(), "test");
    QCOMPARE(o.value("images").toInteger(), 24);
    QCOMPARE(o.value("classes").toInt(), 12);
    QCOMPARE(o.value("out").toString(), QDir(m_cliOut).absolutePath());
    // Crops go round the classes: two per photograph, crops i and i + 12.
    for (const auto &folder : QDir(m_cliOut).entryList(QDir::Dirs | QDir::NoDotAndDotDot))
        QCOMPARE(QDir(m_cliOut + "/" + folder).entryList({"*.jpg"}, QDir::Files).size(), 2);
    QVERIFY(QFile::exists(m_cliOut + "/000.aqua/00000.jpg"));
    QVERIFY(QFile::exists(m_cliOut + "/000.aqua/00012.jpg"));
    QVERIFY(QFile::exists(m_cliOut + "/011.yellowflower/00023.jpg"));
}

// Each crop is the rectangle photoCrop() names, cut from the photograph its class is named after.
void tst_DemoPhotos::cropsShowTheirPhotograph()
{
    if (m_cliOut.isEmpty() || !QFile::exists(m_cliOut + "/000.aqua/00000.jpg"))
        QFAIL("cliWritesTheTestSplit wrote no crops (this case reads them)");
    const auto &sources = demo::photoSources();
    for (int i = 0; i < 24; ++i) {
        const int k = i % 12;
        const auto &source = sources[std::size_t(k)];
        const QString file = QStringLiteral("%1/%2.%3/%4.jpg")
                                 .arg(m_cliOut)
                                 .arg(k, 3, 10, QChar('0'))
                                 .arg(source.label.c_str())
                                 .arg(i, 5, 10, QChar('0'));
        const cv::Mat crop = cv::imread(file.toStdString(), cv::IMREAD_COLOR);
        QVERIFY2(!crop.empty(), qPrintable(file));
        const cv::Mat photo = cv::imread(source.path, cv::IMREAD_COLOR);
        const auto c = demo::photoCrop(photo.cols, photo.rows, true, k, i / 12);
        QCOMPARE(crop.cols, c.outCols);
        QCOMPARE(crop.rows, c.outRows);
        cv::Mat want;
        cv::resize(photo(cv::Rect(c.x, c.y, c.width, c.height)), want, crop.size(), 0, 0, cv::INTER_AREA);
        cv::Mat diff;
        cv::absdiff(crop, want, diff);
        const cv::Scalar mean = cv::mean(diff);
        const double d = (mean[0] + mean[1] + mean[2]) / 3;
        QVERIFY2(d < 3, qPrintable(QStringLiteral("%1 differs from its rectangle by %2 levels").arg(file).arg(d)));
        // ... and not from another photograph's same rectangle.
        const cv::Mat other = cv::imread(sources[std::size_t((k + 1) % 12)].path, cv::IMREAD_COLOR);
        if (c.x + c.width <= other.cols && c.y + c.height <= other.rows) {
            cv::resize(other(cv::Rect(c.x, c.y, c.width, c.height)), want, crop.size(), 0, 0, cv::INTER_AREA);
            cv::absdiff(crop, want, diff);
            const cv::Scalar m = cv::mean(diff);
            QVERIFY2((m[0] + m[1] + m[2]) / 3 > 3 * d, qPrintable(file));
        }
    }
}

// The library writes the CLI's bytes, and a rerun into the same folder rewrites nothing.
void tst_DemoPhotos::sameBytesOnEveryRun()
{
    if (m_cliOut.isEmpty() || !QFile::exists(m_cliOut + "/000.aqua/00000.jpg"))
        QFAIL("cliWritesTheTestSplit wrote no crops (this case reads them)");
    const QString again = m_dir.filePath("again");
    std::int64_t last = -1;
    const auto set = demo::writePhotoSet(again.toStdString(), "test", 24, demo::photoSources(),
                                         [&](std::int64_t done, std::int64_t total) {
                                             QVERIFY(done <= total);
                                             last = done;
                                         });
    QCOMPARE(set.images, 24);
    QCOMPARE(last, 24);
    QCOMPARE(set.packages, std::vector<std::string>{"mate-backgrounds"});
    int compared = 0;
    for (QDirIterator it(m_cliOut, {"*.jpg"}, QDir::Files, QDirIterator::Subdirectories); it.hasNext();) {
        const QString file = it.next();
        const QString twin = again + "/" + QDir(m_cliOut).relativeFilePath(file);
        QVERIFY2(readAll(file) == readAll(twin), qPrintable(twin));
        ++compared;
    }
    QCOMPARE(compared, 24);
    const QFileInfo before(m_cliOut + "/005.greenmeadow/00005.jpg");
    const QDateTime mtime = before.lastModified();
    {
        QFile f(before.filePath());
        QVERIFY(f.open(QIODevice::ReadWrite));
        QVERIFY(f.setFileTime(mtime.addSecs(-100), QFileDevice::FileModificationTime));
    }
    demo::writePhotoSet(m_cliOut.toStdString(), "test", 24);
    QCOMPARE(QFileInfo(before.filePath()).lastModified(), mtime.addSecs(-100));
}

void tst_DemoPhotos::ingestsWithOneLabelPerPhotograph()
{
    if (m_cliOut.isEmpty() || !QFile::exists(m_cliOut + "/000.aqua/00000.jpg"))
        QFAIL("cliWritesTheTestSplit wrote no crops (this case reads them)");
    const auto ws = store::Workspace::open(m_dir.filePath("ws").toStdString());
    ingest::IngestOptions o;
    o.source = m_cliOut.toStdString();
    o.table = "photos-test";
    const auto r = ingest::ingest(ws, o);
    QCOMPARE(r.added, 24);
    QCOMPARE(r.rejected, 0);
    auto db = ws.openCatalog();
    store::Statement st(*db, "SELECT count(DISTINCT label), count(DISTINCT label_id), min(label_id), max(label_id) "
                             "FROM images WHERE table_name = 'photos-test'");
    QVERIFY(st.step());
    QCOMPARE(st.int64(0), 12);
    QCOMPARE(st.int64(1), 12);
    QCOMPARE(st.int64(2), 0);
    QCOMPARE(st.int64(3), 11);
}

QTEST_GUILESS_MAIN(tst_DemoPhotos)
#include "tst_demophotos.moc"
