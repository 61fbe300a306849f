// synctl: applies schema migrations, installs and validates workflow
// packages, and lists workflows and executions.
#include <Poco/Exception.h>
#include <Poco/File.h>
#include <Poco/NumberParser.h>
#include <Poco/Util/Application.h>
#include <Poco/Util/HelpFormatter.h>
#include <Poco/Util/Option.h>
#include <Poco/Util/OptionException.h>
#include <Poco/Util/OptionSet.h>

#include <iostream>
#include <set>

#include "commands.h"
#include "syn/config.h"
#include "workspace_command.h"

namespace syn::synctl {

namespace {

const std::set<std::string> kExecutionStatuses = {"pending",   "running", "paused",
                                                  "completed", "failed",  "cancelled"};

constexpr const char* kCommands = R"(Commands:
  db migrate                  apply the pending migrations compiled into synctl
  db status                   list applied and pending migrations; exit 1 on a mismatch
  workflow validate PATH      check a workflow .yaml file or package directory
  workflow install PATH       validate, then install or update the workflow
  workflow list               list workflows: id, name, phase count, archive time
  workflow archive ID         archive a workflow so that it can no longer be executed
  workflow restore ID         undo the archive; an install keeps a workflow archived
  execution list              list executions, newest first
  workspace prune             delete workspaces kept longer than workspace.keep_*_days;
                              --dry-run lists them and deletes nothing

The database is --database, else SYN_DATABASE_URL, else database.url in the
config file. Exit codes: 0 success, 1 failure, 2 command-line mistake.
)";

class SynctlApplication : public Poco::Util::Application {
  protected:
    void defineOptions(Poco::Util::OptionSet& options) override {
        Application::defineOptions(options);
        options.addOption(Poco::Util::Option("help", "h", "print this help and exit"));
        options.addOption(
            Poco::Util::Option("database", "d", "PostgreSQL conninfo or postgresql:// URL")
                .argument("URL"));
        options.addOption(
            Poco::Util::Option("config", "c",
                               std::string("config file to read; default ") + kDefaultConfigPath)
                .argument("FILE"));
        options.addOption(Poco::Util::Option("status", "s", "execution list: only this status")
                              .argument("STATUS"));
        options.addOption(Poco::Util::Option("workflow", "w", "execution list: only this workflow")
                              .argument("ID"));
        options.addOption(Poco::Util::Option(
                              "limit", "n", "execution list: at most N rows, 1 to 1000; default 20")
                              .argument("N"));
        options.addOption(Poco::Util::Option(
            "dry-run", "", "workspace prune: list expired workspaces, delete nothing"));
    }

    void handleOption(const std::string& name, const std::string& value) override {
        Application::handleOption(name, value);
        if (name == "help") {
            helpRequested_ = true;
            stopOptionsProcessing();
        } else if (name == "database") {
            databaseUrl_ = value;
        } else if (name == "config") {
            configPath_ = value;
            configGiven_ = true;
        } else if (name == "status") {
            filter_.status = value;
        } else if (name == "workflow") {
            filter_.workflowId = value;
        } else if (name == "limit") {
            limit_ = value;
        } else if (name == "dry-run") {
            dryRun_ = true;
        }
    }

    int main(const ArgVec& arguments) override {
        if (helpRequested_) {
            printHelp();
            return kExitOk;
        }
        try {
            return dispatch(arguments);
        } catch (const UsageError& error) {
            std::cerr << "synctl: " << error.what() << "\nRun synctl --help for usage.\n";
            return kExitUsage;
        } catch (const Poco::Exception& error) {
            std::cerr << "synctl: " << error.displayText() << "\n";
            return kExitFailure;
        } catch (const std::exception& error) {
            std::cerr << "synctl: " << error.what() << "\n";
            return kExitFailure;
        }
    }

  private:
    int dispatch(const ArgVec& arguments) {
        checkFilter();
        if (arguments.empty()) {
            throw UsageError("missing command");
        }
        std::vector<std::string> rest(arguments.begin() + 1, arguments.end());
        DatabaseUrl databaseUrl = [this] { return resolveDatabaseUrl(); };
        if (arguments[0] == "db") {
            return runDatabaseCommand(rest, databaseUrl);
        }
        if (arguments[0] == "workflow") {
            return runWorkflowCommand(rest, databaseUrl);
        }
        if (arguments[0] == "execution") {
            return runExecutionCommand(rest, filter_, databaseUrl);
        }
        if (arguments[0] == "workspace") {
            return runWorkspaceCommand(rest, dryRun_, databaseUrl, configPath_);
        }
        throw UsageError("unknown command '" + arguments[0] + "'");
    }

    void checkFilter() {
        if (filter_.status && kExecutionStatuses.count(*filter_.status) == 0) {
            throw UsageError("invalid --status '" + *filter_.status +
                             "'; use pending, running, paused, completed, failed or cancelled");
        }
        if (limit_) {
            int limit = 0;
            if (!Poco::NumberParser::tryParse(*limit_, limit) || limit < 1 || limit > 1000) {
                throw UsageError("invalid --limit '" + *limit_ +
                                 "'; use an integer from 1 to 1000");
            }
            filter_.limit = limit;
        }
    }

    // --database wins; otherwise loadSettings layers SYN_DATABASE_URL over the
    // config file over the built-in default.
    std::string resolveDatabaseUrl() {
        if (databaseUrl_) {
            return *databaseUrl_;
        }
        // loadSettings skips a missing file, which suits the default path only.
        if (configGiven_ && !Poco::File(configPath_).exists()) {
            throw Poco::FileNotFoundException("config file " + configPath_ +
                                              " does not exist; check --config");
        }
        loadSettings(config(), configPath_);
        return config().getString("database.url");
    }

    void printHelp() {
        Poco::Util::HelpFormatter formatter(options());
        formatter.setUnixStyle(true);
        formatter.setCommand("synctl");
        formatter.setUsage("[OPTIONS] COMMAND [ARGUMENTS]");
        formatter.setHeader("Administers the syn database: migrations, workflows, executions.");
        formatter.format(std::cout);
        std::cout << "\n" << kCommands << "\n" << describeSettings();
    }

    bool helpRequested_ = false;
    std::optional<std::string> databaseUrl_;
    std::string configPath_ = kDefaultConfigPath;
    bool configGiven_ = false;
    std::optional<std::string> limit_;
    ExecutionFilter filter_;
    bool dryRun_ = false;
};

}  // namespace

void expectArguments(const std::vector<std::string>& arguments, size_t count,
                     const std::string& usage) {
    if (arguments.size() != count) {
        throw UsageError("wrong number of arguments; usage: " + usage);
    }
}

}  // namespace syn::synctl

int main(int argc, char** argv) {
    syn::synctl::SynctlApplication application;
    try {
        application.init(argc, argv);
    } catch (const Poco::Util::OptionException& error) {
        std::cerr << "synctl: " << error.displayText() << "\nRun synctl --help for usage.\n";
        return syn::synctl::kExitUsage;
    }
    return application.run();
}
