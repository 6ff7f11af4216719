// Desktop notifications over D-Bus.
#include "ui/notify/DesktopNotify.h"

#include <QDBusConnection>
#include <QDBusInterface>
#include <QStringList>
#include <QVariantMap>

#include <iostream>

namespace pw::notify {

void desktopNotify(const std::string &title, const std::string &body)
{
    const QDBusConnection bus = QDBusConnection::sessionBus();
    if (bus.isConnected()) {
        QDBusInterface iface("org.freedesktop.Notifications", "/org/freedesktop/Notifications",
                             "org.freedesktop.Notifications", bus);
        if (iface.isValid()) {
            // Notify(app_name, replaces_id, app_icon, summary, body, actions, hints, expire_timeout)
            iface.call("Notify", QString("Pipewright"), 0u, QString("pipewright"), QString::fromStdString(title),
                       QString::fromStdString(body), QStringList(), QVariantMap(), 10000);
            return;
        }
    }
    std::cerr << "[notification] " << title << ": " << body << "\n";
}

} // namespace pw::notify
