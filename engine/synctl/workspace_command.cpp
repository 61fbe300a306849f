#include "workspace_command.h"

#include <Poco/AutoPtr.h>
#include <Poco/Util/LayeredConfiguration.h>

#include <filesystem>
#include <iostream>

#include "syn/config.h"
#include "syn/pg.h"
#include "syn/workspace_retention.h"

namespace syn::synctl {

namespace {

namespace fs = std::filesystem;

int prune(bool dryRun, const std::string& databaseUrl, const std::string& configPath) {
    Poco::AutoPtr<Poco::Util::LayeredConfiguration> config(new Poco::Util::LayeredConfiguration);
    loadSettings(*config, configPath);
    const fs::path root = config->getString("runner.workspace_root");
    workspace::RetentionPolicy policy = workspace::retentionPolicyFrom(*config);
    if (!fs::is_directory(root)) {
        std::cout << "No workspaces: " << root.string() << " does not exist.\n";
        return kExitOk;
    }

    pg::Connection connection(databaseUrl);
    std::vector<workspace::ExpiredWorkspace> expired =
        workspace::findExpiredWorkspaces(connection, root, policy);

    int failures = 0;
    for (const workspace::ExpiredWorkspace& workspace : expired) {
        if (dryRun) {
            std::cout << "would remove " << workspace.path.string() << ": " << workspace.reason
                      << "\n";
            continue;
        }
        std::error_code error;
        fs::remove_all(workspace.path, error);
        if (error) {
            std::cerr << "synctl: removing " << workspace.path.string()
                      << " failed: " << error.message() << "\n";
            ++failures;
            continue;
        }
        std::cout << "removed " << workspace.path.string() << ": " << workspace.reason << "\n";
    }
    std::cout << (dryRun ? "Would remove " : "Removed ") << expired.size() - failures
              << " workspace(s) under " << root.string() << ".\n";
    return failures == 0 ? kExitOk : kExitFailure;
}

}  // namespace

int runWorkspaceCommand(const std::vector<std::string>& arguments, bool dryRun,
                        const DatabaseUrl& databaseUrl, const std::string& configPath) {
    if (arguments.empty() || arguments[0] != "prune") {
        throw UsageError("usage: synctl workspace prune [--dry-run]");
    }
    expectArguments({arguments.begin() + 1, arguments.end()}, 0,
                    "synctl workspace prune [--dry-run]");
    return prune(dryRun, databaseUrl(), configPath);
}

}  // namespace syn::synctl
