// The workbench's icons: the desktop's freedesktop icon theme where it has a fitting one (QIcon::fromTheme), else the
// SVG bundled in resources/icons (compiled into pipewright_ui), so that every page and action has an icon on any
// desktop, offscreen included.
#pragma once

#include <QIcon>
#include <QStringList>

namespace pw::ui {

/** The icon `name` (a name of iconNames(), the file resources/icons/NAME.svg); a null icon for an unknown name. */
QIcon themedIcon(const QString &name);
/** The freedesktop theme name tried first for `name` (empty: the bundled SVG only). */
QString themeIconName(const QString &name);
/** Every icon name the workbench uses: each has its bundled SVG. */
QStringList iconNames();

} // namespace pw::ui
