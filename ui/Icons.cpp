// The workbench's icons (see Icons.h).
#include "ui/Icons.h"

#include <QFile>

#include <utility>

namespace pw::ui {

namespace {
// Our name, then the freedesktop Icon Naming Specification name tried first ("" where the specification has none
// that fits: the bundled SVG only).
constexpr std::pair<const char *, const char *> kIcons[] = {
    {"pipelines", ""},
    {"images", "image-x-generic"},
    {"review", ""},
    {"experiments", ""},
    {"models", "package-x-generic"},
    {"refresh", "view-refresh"},
    {"preview", ""},
    {"promote", "go-up"},
    {"archive", ""},
    {"alias", ""},
    {"remove", "list-remove"},
    {"label", ""},
    {"accept", ""},
    {"skip", "media-skip-forward"},
    {"commit", "document-save"},
    {"grid", ""},
    {"keys", "input-keyboard"},
    {"export", "document-save-as"},
    {"import", "document-open"},
    {"new", "document-new"},
    {"open", "document-open"},
    {"save", "document-save"},
    {"save-as", "document-save-as"},
    {"undo", "edit-undo"},
    {"redo", "edit-redo"},
    {"layout", ""},
    {"fit", "zoom-fit-best"},
    {"run", "media-playback-start"},
    {"run-selected", ""},
    {"run-to", ""},
    {"cancel", "process-stop"},
    {"repair", ""},
    {"exchange", ""},
    {"train", ""},
    {"resume", ""},
};
} // namespace

QString themeIconName(const QString &name)
{
    for (const auto &[ours, theme] : kIcons)
        if (name == QLatin1String(ours))
            return QString::fromLatin1(theme);
    return {};
}

QStringList iconNames()
{
    QStringList names;
    for (const auto &entry : kIcons)
        names << QString::fromLatin1(entry.first);
    return names;
}

QIcon themedIcon(const QString &name)
{
    const QString file = QStringLiteral(":/icons/%1.svg").arg(name);
    if (!iconNames().contains(name) || !QFile::exists(file))
        return {};
    const QIcon bundled(file);
    const QString theme = themeIconName(name);
    return theme.isEmpty() ? bundled : QIcon::fromTheme(theme, bundled);
}

} // namespace pw::ui
