// The thread pool of the workbench's background work (page loads, queries, writes), apart from Qt's global pool.
#pragma once

class QThreadPool;

namespace pw::ui {

/**
 * The pool every page runs its background reads and writes on (QtConcurrent::run(workPool(), ...)). Not
 * QThreadPool::globalInstance(): Qt 6.4's raster paint engine splits large fills and image scaling over the global
 * pool and waits for them on the GUI thread, so a query of seconds there (counting a catalog of a million images)
 * froze every repaint until it ended. At least 4 threads, since most of the work waits on SQLite and the disk.
 * Created on first use, owned by the application (waited for when it ends).
 */
QThreadPool *workPool();

/**
 * The pool of long reads that what a person waits for must not share the CPU with equally: whole-table counts and
 * the catalog's summary (seconds at a million images). Each job calls lowerThreadPriority() first, so that the
 * listing's pages and thumbnails get the CPU before them; on an idle machine they run at full speed.
 */
QThreadPool *slowReadPool();

/**
 * What a workbench process sets before it opens a workspace: SQLite connections with a 64 MiB memory map instead of
 * 256 MiB (store::setConnectionMmapBytes), since the workbench holds several at once. Called by the workbench's main
 * and by the benchmarks that measure its pages.
 */
void configureWorkbenchProcess();

/** Lowers the calling thread's priority (Linux: nice 10 for this thread alone); once lowered it stays so. */
void lowerThreadPriority();

} // namespace pw::ui
