// Test data builders (OpenCV encodes the images).
#include "tests/TestData.h"

#include <QAbstractItemModelTester>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QTest>

#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>

#include <sys/stat.h>
#include <sys/time.h>
#include <ctime>
#include <random>
#include <vector>

namespace pw::test {

QByteArray encodeImage(const QString &ext, int w, int h, int channels, int seed)
{
    cv::Mat m(h, w, CV_8UC(channels));
    for (int y = 0; y < h; ++y) {
        for (int x = 0; x < w * channels; ++x)
            m.ptr<unsigned char>(y)[x] = static_cast<unsigned char>((x * 7 + y * 13 + seed * 31 + (x * y) % 17) & 0xFF);
    }
    std::vector<unsigned char> out;
    cv::imencode(("." + ext).toStdString(), m, out);
    return QByteArray(reinterpret_cast<const char *>(out.data()), qsizetype(out.size()));
}

QByteArray pngHeaderOnly(long long w, long long h)
{
    QByteArray b("\x89PNG\r\n\x1a\n", 8);
    auto be32 = [&](quint32 v) { b.append(char(v >> 24)).append(char(v >> 16)).append(char(v >> 8)).append(char(v)); };
    be32(13);
    b.append("IHDR");
    be32(quint32(w));
    be32(quint32(h));
    b.append(char(8)).append(char(0)).append(char(0)).append(char(0)).append(char(0)); // 8-bit gray
    be32(0); // CRC (not checked)
    be32(0);
    b.append("IEND");
    be32(0xAE426082u);
    return b;
}

bool writeFile(const QString &path, const QByteArray &bytes)
{
    QDir().mkpath(QFileInfo(path).absolutePath());
    QFile f(path);
    if (!f.open(QIODevice::WriteOnly | QIODevice::Truncate))
        return false;
    return f.write(bytes) == bytes.size();
}

bool writeImage(const QString &path, int w, int h, int channels, int seed)
{
    const QByteArray bytes = encodeImage(QFileInfo(path).suffix().toLower(), w, h, channels, seed);
    return !bytes.isEmpty() && writeFile(path, bytes);
}

bool touchFile(const QString &path, int secondsAgo)
{
    struct timeval times[2];
    const time_t t = std::time(nullptr) - secondsAgo;
    times[0] = {t, 0};
    times[1] = {t, 0};
    return utimes(QFile::encodeName(path).constData(), times) == 0;
}

bool writeShapeClasses(const QString &dir, int perClass, unsigned seed)
{
    std::mt19937 rng(seed);
    std::uniform_int_distribution<int> noise(0, 50);
    const char *folders[] = {"001.top", "002.left", "003.centre"};
    for (int c = 0; c < 3; ++c) {
        for (int i = 0; i < perClass; ++i) {
            cv::Mat m(16, 16, CV_8U);
            for (int y = 0; y < 16; ++y)
                for (int x = 0; x < 16; ++x) {
                    const bool on = c == 0 ? y < 8 : c == 1 ? x < 8 : (x >= 5 && x < 11 && y >= 5 && y < 11);
                    m.at<unsigned char>(y, x) = static_cast<unsigned char>((on ? 190 : 30) + noise(rng));
                }
            const QString path = QString("%1/%2/%3.png").arg(dir, folders[c]).arg(i);
            if (!QDir().mkpath(QFileInfo(path).absolutePath()) || !cv::imwrite(path.toStdString(), m)) {
                QTest::qFail(qPrintable("cannot write " + path), __FILE__, __LINE__);
                return false;
            }
        }
    }
    return true;
}

std::unique_ptr<QAbstractItemModelTester> modelTester(QAbstractItemModel *model)
{
    return std::make_unique<QAbstractItemModelTester>(model, QAbstractItemModelTester::FailureReportingMode::QtTest);
}

compute::TrainRequest shapesTraining()
{
    compute::TrainRequest r;
    r.table = "shapes";
    r.imageSize = 16;
    r.epochs = 1;
    r.valFraction = 0.2;
    r.device = pw::compute::Device::Cpu;
    return r;
}

std::string trainToEnd(const store::Workspace &ws, const compute::TrainRequest &request)
{
    const auto outcome = compute::runTraining(ws, request);
    if (outcome.status != "FINISHED")
        qWarning("training ended %s: %s", outcome.status.c_str(), outcome.message.c_str());
    return outcome.status == "FINISHED" ? outcome.runId : std::string();
}

} // namespace pw::test
