// Test data builders (OpenCV encodes the images).
#include "tests/TestData.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>

#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>

#include <sys/stat.h>
#include <sys/time.h>
#include <ctime>
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
    auto be32 = [&](quint32 v) {
        b.append(char(v >> 24)).append(char(v >> 16)).append(char(v >> 8)).append(char(v));
    };
    be32(13);
    b.append("IHDR");
    be32(quint32(w));
    be32(quint32(h));
    b.append(char(8)).append(char(0)).append(char(0)).append(char(0)).append(char(0)); // 8-bit gray
    be32(0);                                                                          // CRC (not checked)
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

} // namespace pw::test
