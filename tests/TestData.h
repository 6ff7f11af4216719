// Builders of test data: encoded images of every accepted format, broken files, folder trees.
#pragma once

#include "core/compute/Training.h"

#include <QByteArray>
#include <QString>

#include <memory>
#include <string>

class QAbstractItemModel;
class QAbstractItemModelTester;

namespace pw::test {

/**
 * An image of w x h pixels with `channels` (1, 3 or 4) encoded in the format of `ext`
 * ("png", "jpg", "bmp", "tif", "webp"); its pixels depend on `seed`, so different seeds give different bytes.
 */
QByteArray encodeImage(const QString &ext, int w, int h, int channels = 3, int seed = 0);

/** A PNG whose header claims w x h pixels but which holds no pixel data (a decompression bomb's header). */
QByteArray pngHeaderOnly(long long w, long long h);

/** Writes `bytes` to `path`, creating parent folders; fails the calling test (QVERIFY) on error. */
bool writeFile(const QString &path, const QByteArray &bytes);

/** Writes encodeImage(suffix of path, ...) to `path`. */
bool writeImage(const QString &path, int w, int h, int channels = 3, int seed = 0);

/** Sets a file's modification time `secondsAgo` seconds in the past (to make a change visible to ingest). */
bool touchFile(const QString &path, int secondsAgo);

/**
 * Writes a small classification set under `dir` in Caltech layout: 3 classes (001.top, 002.left, 003.centre)
 * of `perClass` 16x16 gray PNGs each (a bright top half, a bright left half, a bright centre square), with
 * noise drawn from `seed`. Fails the calling test on error.
 */
bool writeShapeClasses(const QString &dir, int perClass, unsigned seed);

/** A QAbstractItemModelTester of `model` that reports through QtTest (a broken invariant fails the test). */
std::unique_ptr<QAbstractItemModelTester> modelTester(QAbstractItemModel *model);

/**
 * A training of the "shapes" table (writeShapeClasses() ingested under that name) small enough for a test:
 * 16 px, 1 epoch, a fifth held out, on the CPU.
 */
compute::TrainRequest shapesTraining();

/** Runs `request` to its end: the run id, or empty (with a warning naming the status and message) when it did not
 * finish. */
std::string trainToEnd(const store::Workspace &ws, const compute::TrainRequest &request);

} // namespace pw::test
