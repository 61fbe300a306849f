// syn-runner: claims pending executions from PostgreSQL and runs their phases.
#include <Poco/AutoPtr.h>
#include <Poco/Exception.h>
#include <Poco/TaskManager.h>
#include <Poco/ThreadPool.h>
#include <Poco/Util/HelpFormatter.h>
#include <Poco/Util/MapConfiguration.h>
#include <Poco/Util/Option.h>
#include <Poco/Util/OptionSet.h>
#include <Poco/Util/ServerApplication.h>
#include <signal.h>
#include <systemd/sd-daemon.h>

#include <chrono>
#include <iostream>
#include <thread>

#include "runner_tasks.h"
#include "syn/config.h"

namespace syn::runner {

using Poco::Util::Option;
using Poco::Util::OptionCallback;

class RunnerApplication : public Poco::Util::ServerApplication {
  public:
    RunnerApplication() : overrides_(new Poco::Util::MapConfiguration) { setUnixOptions(true); }

  protected:
    void defineOptions(Poco::Util::OptionSet& options) override {
        ServerApplication::defineOptions(options);
        auto add = [&](const char* name, const char* argument, const char* description) {
            options.addOption(Option(name, "", description)
                                  .required(false)
                                  .repeatable(true)
                                  .argument(argument, argument[0] != '\0')
                                  .callback(OptionCallback<RunnerApplication>(
                                      this, &RunnerApplication::handleSettingOption)));
        };
        options.addOption(
            Option("help", "h", "print this help with every setting and exit")
                .callback(OptionCallback<RunnerApplication>(this, &RunnerApplication::handleHelp)));
        add("config", "FILE", "read settings from FILE (default /etc/syn/syn.conf)");
        add("set", "KEY=VALUE", "override one setting, e.g. --set runner.slots=8");
        add("slots", "N", "executions run at once (runner.slots)");
        add("agent-command", "JSON", "agent argv as a JSON array (runner.agent_command)");
        add("runner-id", "ID", "runner id recorded in claims (runner.id)");
        add("workspace-root", "DIR", "parent of execution workspaces (runner.workspace_root)");
        add("database-url", "URL", "libpq conninfo or URL (database.url)");
    }

    // Not named handleOption: that would override Application::handleOption,
    // which Poco calls for every option, --help included.
    void handleSettingOption(const std::string& name, const std::string& value) {
        static const std::map<std::string, std::string> keys = {
            {"slots", "runner.slots"},
            {"agent-command", "runner.agent_command"},
            {"runner-id", "runner.id"},
            {"workspace-root", "runner.workspace_root"},
            {"database-url", "database.url"}};
        if (name == "config") {
            configPath_ = value;
        } else if (name == "set") {
            size_t equals = value.find('=');
            if (equals == std::string::npos || equals == 0) {
                throw Poco::InvalidArgumentException("--set expects KEY=VALUE, got " + value);
            }
            overrides_->setString(value.substr(0, equals), value.substr(equals + 1));
        } else {
            overrides_->setString(keys.at(name), value);
        }
    }

    void handleHelp(const std::string&, const std::string&) {
        Poco::Util::HelpFormatter help(options());
        help.setCommand(commandName());
        help.setUsage("[OPTIONS]");
        help.setHeader(
            "Claims pending executions from PostgreSQL and runs each phase with the agent "
            "command.");
        help.setFooter(describeSettings());
        help.format(std::cout);
        helpRequested_ = true;
        stopOptionsProcessing();
    }

    void initialize(Poco::Util::Application& self) override {
        ServerApplication::initialize(self);
        if (helpRequested_) {
            return;
        }
        loadSettings(config(), configPath_);
        // Command-line values win over the file and the environment.
        config().add(overrides_, -200, false);
    }

    int main(const std::vector<std::string>&) override {
        if (helpRequested_) {
            return EXIT_OK;
        }
        // An agent that closes stdin early must not kill the runner with SIGPIPE.
        ::signal(SIGPIPE, SIG_IGN);

        RunnerSettings settings;
        try {
            settings = readRunnerSettings(config());
        } catch (const Poco::Exception& error) {
            logger().fatal("Invalid configuration: %s", error.message());
            return EXIT_CONFIG;
        }
        RunnerContext context{config().getString("database.url"), settings,
                              SlotPool(settings.slots), logger()};
        return serve(context);
    }

  private:
    int serve(RunnerContext& context) {
        const RunnerSettings& settings = context.settings;
        Poco::ThreadPool threads(settings.slots + 2, settings.slots + 2);
        Poco::TaskManager tasks(threads);
        tasks.start(new ListenerTask(context));
        tasks.start(new HeartbeatTask(context));
        for (int i = 0; i < settings.slots; ++i) {
            tasks.start(new SlotTask(context, i));
        }
        std::string workflows = config().getString("runner.workflows", "");
        logger().information(
            "Runner %s started: %d slots, agent %s, workspaces under %s, claiming %s",
            settings.runnerId, settings.slots, config().getString("runner.agent_command"),
            settings.workspaceRoot,
            settings.workflows.empty() ? std::string("every workflow") : "workflows " + workflows);
        sd_notify(0, "READY=1");

        waitForTerminationRequest();
        sd_notify(0, "STOPPING=1");
        shutDown(context);
        tasks.cancelAll();
        tasks.joinAll();
        logger().information("Runner %s stopped", settings.runnerId);
        return EXIT_OK;
    }

    // Stops claiming, gives running phases the grace period, then stops their
    // agents; the slots release those executions to pending for other runners.
    void shutDown(RunnerContext& context) {
        int graceSeconds = context.settings.shutdownGraceSeconds;
        logger().information("Runner stopping: no new claims; %d running executions get %d s",
                             context.pool.activeCount(), graceSeconds);
        context.pool.beginStopping();

        auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(graceSeconds);
        while (context.pool.activeCount() > 0 && std::chrono::steady_clock::now() < deadline) {
            std::this_thread::sleep_for(std::chrono::milliseconds(100));
        }
        int remaining = context.pool.activeCount();
        if (remaining > 0) {
            logger().warning(
                "Grace period over: stopping %d agents and releasing their "
                "executions",
                remaining);
            context.pool.requestStopAll(StopRequest::shutdown);
        }
        while (context.pool.activeCount() > 0) {
            std::this_thread::sleep_for(std::chrono::milliseconds(50));
        }
    }

    Poco::AutoPtr<Poco::Util::MapConfiguration> overrides_;
    std::string configPath_ = kDefaultConfigPath;
    bool helpRequested_ = false;
};

}  // namespace syn::runner

POCO_SERVER_MAIN(syn::runner::RunnerApplication)
