// Small pieces the workbench pages share: a titled box, a read-only table view, texts for times and run ids,
// and a message box that does not block the event loop.
#pragma once

#include <QString>

#include <cstdint>
#include <string>

class QAbstractItemModel;
class QAction;
class QDateTime;
class QLabel;
class QTableView;
class QToolBar;
class QWidget;

namespace pw::ui {

/** `content` under a bold title; the title label is returned through `titleLabel` when given. */
QWidget *titledBox(const QString &title, QWidget *content, QLabel **titleLabel = nullptr);
/** A table view of whole-row selections, compact rows and no vertical header. */
QTableView *makeTableView(QAbstractItemModel *model);
/** A page's own toolbar (small icons beside the text; text alone for actions without an icon). */
QToolBar *makePageToolBar();
/** Shows `action` of `bar` as its icon alone (its text becomes the tooltip's start): for actions known by their icon,
 *  such as Refresh, so that the toolbar keeps its room for the others. */
void showIconOnly(QToolBar *bar, QAction *action);

/** An ISO 8601 UTC time (the core's timestamps); invalid when it does not parse. */
QDateTime parseIsoTime(const std::string &iso);
/** The local time "yyyy-MM-dd HH:mm" of an ISO 8601 UTC time, or the text itself when it does not parse. */
QString localTimeText(const std::string &iso);
/** "42s", "3m 05s", "1h 02m", "2d 3h"; empty for a negative duration. */
QString durationText(std::int64_t ms);
/** "1 run", "1,234 runs": a count and the noun that fits it (no translations are loaded, so no "run(s)"). */
QString countText(std::int64_t n, const QString &one, const QString &many);
/** The first 8 characters of a run id, as git shows hashes. */
QString shortRunId(const std::string &runId);

/** Shows `text` in a warning box that is window-modal but does not block (open(), not exec()). */
void showError(QWidget *parent, const QString &title, const QString &text);

} // namespace pw::ui
