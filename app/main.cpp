// pipewright: with a command it runs headless (no display needed); without one it opens the workbench.
#include "app/cli/Cli.h"
#include "core/store/Workspace.h"
#include "ui/MainWindow.h"
#include "ui/WorkPool.h"
#include "ui/pipelines/PipelinesPage.h"

#include <QApplication>
#include <QCommandLineParser>
#include <QDir>
#include <QFileInfo>
#include <QTimer>

#include <cstdio>
#include <iostream>

static void setIdentity()
{
    QCoreApplication::setOrganizationName("Pipewright");
    QCoreApplication::setApplicationName("pipewright");
    QCoreApplication::setApplicationVersion(PIPEWRIGHT_VERSION);
}

// "1366x768" as a size; an empty size for anything else (or below 320x240).
static QSize parseSize(const QString &text)
{
    const QStringList parts = text.toLower().split('x');
    bool okW = false, okH = false;
    const int w = parts.size() == 2 ? parts[0].toInt(&okW) : 0, h = parts.size() == 2 ? parts[1].toInt(&okH) : 0;
    return okW && okH && w >= 320 && h >= 240 ? QSize(w, h) : QSize();
}

static int runGui(int argc, char **argv)
{
    QApplication app(argc, argv);
    setIdentity();
    QApplication::setApplicationDisplayName("Pipewright");
    QCommandLineParser parser;
    parser.setApplicationDescription("Pipewright workbench. Run `pipewright help` for the commands.");
    parser.addHelpOption();
    parser.addVersionOption();
    parser.addOption({"workspace", "Open the workspace folder DIR.", "DIR"});
    for (const pw::cli::Option &o : pw::cli::workbenchOptions()) // the same options `pipewright help` lists
        parser.addOption({QString::fromUtf8(o.name), QString::fromUtf8(o.help), QString::fromUtf8(o.value)});
    if (!parser.parse(QApplication::arguments())) {
        std::cerr << "pipewright: " << parser.errorText().toStdString() << "\nsee `pipewright help`\n";
        return pw::cli::kUsage;
    }
    if (parser.isSet("help")) {
        std::cout << pw::cli::helpText().toStdString();
        return 0;
    }
    if (parser.isSet("version")) {
        std::cout << "pipewright " << PIPEWRIGHT_VERSION << "\n";
        return 0;
    }
    const QStringList positional = parser.positionalArguments();
    if (positional.size() > 1
        || (positional.size() == 1 && (parser.isSet("workspace") || !QFileInfo(positional.front()).isDir()))) {
        std::cerr << "pipewright: unknown command '" << positional.first().toStdString()
                  << "'; see `pipewright help`\n";
        return pw::cli::kUsage;
    }

    const QString root = parser.isSet("workspace") ? parser.value("workspace")
                         : positional.size() == 1  ? positional.front()
                                                   : QString::fromStdString(pw::store::Workspace::defaultRoot());
    QSize size(1600, 1000);
    if (parser.isSet("size")) {
        size = parseSize(parser.value("size"));
        if (size.isEmpty()) {
            std::cerr << "pipewright: --size: '" << parser.value("size").toStdString()
                      << "' is not a size WIDTHxHEIGHT of at least 320x240 (e.g. 1366x768)\n";
            return pw::cli::kUsage;
        }
    }
    pw::ui::configureWorkbenchProcess();
    pw::ui::MainWindow window;
    if (parser.isSet("screenshot") || parser.isSet("size"))
        window.resize(size);
    // First run: no folder named and no default workspace yet, so the welcome page offers the choices.
    const bool named = parser.isSet("workspace") || positional.size() == 1 || parser.isSet("pipeline");
    const bool welcome = !named && !QFileInfo::exists(root + "/catalog.db");
    if (!welcome)
        window.openWorkspace(root);
    if (parser.isSet("page") && !window.showPage(parser.value("page"))) {
        std::cerr << "pipewright: --page: unknown page '" << parser.value("page").toStdString() << "' ("
                  << window.pageNames().join(", ").toStdString() << ")\n";
        return pw::cli::kUsage;
    }
    if (parser.isSet("pipeline")) {
        window.showPage("pipelines");
        const QString error = window.pipelinesPage()->openFile(parser.value("pipeline"));
        if (!error.isEmpty()) {
            std::cerr << "pipewright: --pipeline: " << error.toStdString() << "\n";
            return pw::cli::kFailure;
        }
    }
    window.show();

    if (parser.isSet("screenshot")) {
        const QString file = parser.value("screenshot");
        auto grab = [&window, file] {
            // One more turn of the event loop so that layouts settle before the grab.
            QTimer::singleShot(200, &window, [&window, file] {
                const bool ok = window.grab().save(file, "PNG");
                std::cerr << (ok ? "screenshot saved: " : "cannot save screenshot: ") << file.toStdString() << "\n";
                QApplication::exit(ok ? 0 : 1);
            });
        };
        // The welcome page has no data to wait for.
        if (welcome)
            grab();
        else
            QObject::connect(&window, &pw::ui::MainWindow::workspaceLoaded, &window, grab);
    }
    return QApplication::exec();
}

int main(int argc, char **argv)
{
    QStringList args;
    for (int i = 0; i < argc; ++i)
        args << QString::fromLocal8Bit(argv[i]);
    const QString command = pw::cli::findCommand(args);
    if (command.isEmpty() && (args.contains("--version") || args.contains("-v"))) {
        std::cout << "pipewright " << PIPEWRIGHT_VERSION << "\n";
        return 0;
    }
    // Help needs no display: answered before the workbench's QApplication (which would abort without one).
    if (command.isEmpty() && (args.contains("--help") || args.contains("-h") || args.contains("-help"))) {
        std::cout << pw::cli::helpText().toStdString();
        return 0;
    }
    // `pipewright DIR` (how the desktop entry opens a folder) opens the workbench on that workspace.
    if (command.isEmpty() || (!pw::cli::isCommand(command) && QFileInfo(command).isDir()))
        return runGui(argc, argv);
    QCoreApplication app(argc, argv);
    setIdentity();
    return pw::cli::run(args);
}
