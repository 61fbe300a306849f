// syn-fcgi: the pre-forking FastCGI server. The master binds or inherits the
// listening socket and forks the workers; each worker serves the HTTP API
// with a fixed number of threads.
#include <Poco/AutoPtr.h>
#include <Poco/ConsoleChannel.h>
#include <Poco/Exception.h>
#include <Poco/FormattingChannel.h>
#include <Poco/Logger.h>
#include <Poco/NumberParser.h>
#include <Poco/PatternFormatter.h>
#include <Poco/Util/Application.h>
#include <Poco/Util/HelpFormatter.h>
#include <Poco/Util/MapConfiguration.h>
#include <Poco/Util/Option.h>
#include <Poco/Util/OptionSet.h>

#include <cstdlib>
#include <iostream>
#include <stdexcept>

#include "listen_socket.h"
#include "pool.h"
#include "router.h"
#include "syn/config.h"
#include "worker.h"

namespace {

using Poco::Util::Application;
using Poco::Util::Option;
using Poco::Util::OptionCallback;

class FcgiServer : public Application {
  public:
    FcgiServer() : overrides_(new Poco::Util::MapConfiguration) { setUnixOptions(true); }

  protected:
    void defineOptions(Poco::Util::OptionSet& options) override;
    void initialize(Application& self) override;
    int main(const std::vector<std::string>& arguments) override;

  private:
    void handleHelp(const std::string& name, const std::string& value);
    void handleConfig(const std::string& name, const std::string& value);
    void handleSet(const std::string& name, const std::string& value);
    void handleShortcut(const std::string& name, const std::string& value);
    void handleBare(const std::string& name, const std::string& value);
    void displayHelp();
    void setUpLogging();
    int serve();

    Poco::AutoPtr<Poco::Util::MapConfiguration> overrides_;
    std::string configPath_ = syn::kDefaultConfigPath;
    bool helpRequested_ = false;
    bool bare_ = false;
};

void FcgiServer::defineOptions(Poco::Util::OptionSet& options) {
    Application::defineOptions(options);
    options.addOption(Option("help", "h", "print the options and settings, then exit")
                          .callback(OptionCallback<FcgiServer>(this, &FcgiServer::handleHelp)));
    options.addOption(Option("config", "c", "read settings from FILE (default /etc/syn/syn.conf)")
                          .argument("FILE")
                          .callback(OptionCallback<FcgiServer>(this, &FcgiServer::handleConfig)));
    options.addOption(
        Option("set", "s", "override a setting, e.g. --set fcgi.workers=4 (repeatable)")
            .argument("KEY=VALUE")
            .repeatable(true)
            .callback(OptionCallback<FcgiServer>(this, &FcgiServer::handleSet)));
    options.addOption(
        Option("listen", "l", "same as --set fcgi.listen=ADDRESS (unix:PATH or HOST:PORT)")
            .argument("ADDRESS")
            .callback(OptionCallback<FcgiServer>(this, &FcgiServer::handleShortcut)));
    options.addOption(Option("workers", "w", "same as --set fcgi.workers=N (worker processes)")
                          .argument("N")
                          .callback(OptionCallback<FcgiServer>(this, &FcgiServer::handleShortcut)));
    options.addOption(Option("threads", "t", "same as --set fcgi.threads=N (threads per worker)")
                          .argument("N")
                          .callback(OptionCallback<FcgiServer>(this, &FcgiServer::handleShortcut)));
    options.addOption(
        Option("bare", "b",
               "benchmark mode: answer every request 200 {\"status\":\"ok\"} without the "
               "database")
            .callback(OptionCallback<FcgiServer>(this, &FcgiServer::handleBare)));
}

void FcgiServer::handleHelp(const std::string&, const std::string&) {
    helpRequested_ = true;
    stopOptionsProcessing();
}

void FcgiServer::handleConfig(const std::string&, const std::string& value) {
    configPath_ = value;
}

void FcgiServer::handleSet(const std::string&, const std::string& value) {
    std::size_t equals = value.find('=');
    if (equals == std::string::npos || equals == 0) {
        throw Poco::InvalidArgumentException("--set expects KEY=VALUE, got \"" + value + "\"");
    }
    overrides_->setString(value.substr(0, equals), value.substr(equals + 1));
}

void FcgiServer::handleShortcut(const std::string& name, const std::string& value) {
    overrides_->setString("fcgi." + name, value);
}

void FcgiServer::handleBare(const std::string&, const std::string&) {
    bare_ = true;
}

void FcgiServer::initialize(Application& self) {
    syn::loadSettings(config(), configPath_);
    // Command-line values win over the environment, which is at -100.
    config().add(overrides_, -200, true);
    Application::initialize(self);
}

void FcgiServer::displayHelp() {
    Poco::Util::HelpFormatter help(options());
    help.setCommand(commandName());
    help.setUsage("[OPTIONS]");
    help.setHeader(
        "Pre-forking FastCGI server for the workflow-execution API. Listens on fcgi.listen, "
        "or on the socket inherited on fd 0 (spawn-fcgi, systemd StandardInput=socket) or "
        "fd 3 (systemd LISTEN_FDS).");
    help.format(std::cout);
    std::cout << "\n" << syn::describeSettings();
}

void FcgiServer::setUpLogging() {
    Poco::AutoPtr<Poco::PatternFormatter> formatter(
        new Poco::PatternFormatter("%Y-%m-%d %H:%M:%S.%i [%P] %p %s: %t"));
    Poco::AutoPtr<Poco::FormattingChannel> channel(
        new Poco::FormattingChannel(formatter, new Poco::ConsoleChannel));
    Poco::Logger::root().setChannel(channel);
    Poco::Logger::root().setLevel(Poco::Message::PRIO_INFORMATION);
}

int FcgiServer::main(const std::vector<std::string>&) {
    if (helpRequested_) {
        displayHelp();
        return EXIT_OK;
    }
    setUpLogging();
    try {
        return serve();
    } catch (const std::exception& error) {
        Poco::Logger::get("syn.fcgi").fatal(std::string("Cannot start: ") + error.what());
        return EXIT_CONFIG;
    }
}

// Reads an integer setting of at least `minimum`; the error names the key and
// the value, which may come from the file, the environment or --set.
Poco::UInt64 integerSetting(const Poco::Util::AbstractConfiguration& config, const std::string& key,
                            Poco::UInt64 minimum) {
    std::string text = config.getString(key);
    Poco::UInt64 value = 0;
    if (!Poco::NumberParser::tryParseUnsigned64(text, value)) {
        throw std::invalid_argument(key + " must be a whole number, got \"" + text + "\"");
    }
    if (value < minimum) {
        throw std::invalid_argument(key + " must be at least " + std::to_string(minimum) +
                                    ", got " + text);
    }
    return value;
}

int positiveSetting(const Poco::Util::AbstractConfiguration& config, const std::string& key) {
    Poco::UInt64 value = integerSetting(config, key, 1);
    if (value > 1'000'000) {
        throw std::invalid_argument(key + " must be at most 1000000, got " + std::to_string(value));
    }
    return static_cast<int>(value);
}

int FcgiServer::serve() {
    const auto& settings = config();
    int workers = positiveSetting(settings, "fcgi.workers");
    syn::fcgi::WorkerOptions options;
    options.threads = positiveSetting(settings, "fcgi.threads");
    options.maxBodyBytes = integerSetting(settings, "fcgi.max_body_bytes", 0);
    options.databaseUrl = settings.getString("database.url");
    options.statementTimeoutMs =
        static_cast<long long>(integerSetting(settings, "fcgi.statement_timeout_ms", 0));
    options.handler = bare_ ? syn::fcgi::answerOk : syn::fcgi::handleRequest;
    auto grace = std::chrono::seconds(positiveSetting(settings, "fcgi.shutdown_grace_seconds"));

    syn::fcgi::ListenSocket socket = syn::fcgi::ListenSocket::inherit();
    if (!socket.valid()) {
        socket = syn::fcgi::ListenSocket::bind(
            syn::fcgi::parseListenAddress(settings.getString("fcgi.listen")),
            positiveSetting(settings, "fcgi.backlog"),
            syn::fcgi::parseSocketMode(settings.getString("fcgi.socket_mode")));
    }
    if (bare_) {
        Poco::Logger::get("syn.fcgi")
            .information("Bare mode: every request gets 200 without the database");
    }

    syn::fcgi::Pool pool(
        std::move(socket), workers, std::chrono::duration_cast<std::chrono::milliseconds>(grace),
        [options](int listenFd) { return syn::fcgi::runWorker(listenFd, options); });
    return pool.run();
}

}  // namespace

POCO_APP_MAIN(FcgiServer)
