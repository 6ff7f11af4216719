// Desktop notifications through the freedesktop notification service (org.freedesktop.Notifications on the
// session bus), used by pipeline notifications ({"desktop": true}) from the workbench and the CLI scheduler.
#pragma once

#include <string>

namespace pw::notify {

/** Shows a notification; where there is no session bus or service, writes it to stderr instead. */
void desktopNotify(const std::string &title, const std::string &body);

} // namespace pw::notify
