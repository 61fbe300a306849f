#include "syn/orphaned_agents.h"

#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <set>

namespace syn {

namespace {

constexpr std::string_view kExecutionVariable = "SYN_EXECUTION_ID=";

// Returns the value of SYN_EXECUTION_ID in the environment `pid` was started
// with, or an empty string when it has none or the environment is unreadable.
std::string executionIdOf(pid_t pid) {
    std::ifstream environ("/proc/" + std::to_string(pid) + "/environ", std::ios::binary);
    std::string entry;
    while (std::getline(environ, entry, '\0')) {
        if (entry.starts_with(kExecutionVariable)) {
            return entry.substr(kExecutionVariable.size());
        }
    }
    return {};
}

std::vector<pid_t> processIds() {
    std::vector<pid_t> pids;
    std::error_code error;
    for (const auto& entry : std::filesystem::directory_iterator("/proc", error)) {
        std::string name = entry.path().filename().string();
        if (!name.empty() && name.find_first_not_of("0123456789") == std::string::npos) {
            pids.push_back(static_cast<pid_t>(std::stol(name)));
        }
    }
    return pids;
}

// True when process group `group` was made by an agent of `executionId`: its
// leader carries the same SYN_EXECUTION_ID, or the leader is gone, as after a
// runner's death killed the agent that called setpgid. The runner's own group
// never qualifies, so a runner started from an agent does not kill itself.
bool groupOfAgent(pid_t group, const std::string& executionId) {
    if (group <= 1 || group == ::getpgrp()) {
        return false;
    }
    if (!std::filesystem::exists("/proc/" + std::to_string(group))) {
        return true;
    }
    return executionIdOf(group) == executionId;
}

void logKillFailure(Poco::Logger& logger, const std::string& target, const std::string& id) {
    // ESRCH: the process exited between the scan and the signal.
    if (errno != ESRCH) {
        logger.warning("Killing %s of rescued execution %s failed: %s", target, id,
                       std::string(std::strerror(errno)));
    }
}

}  // namespace

int killOrphanedAgents(const std::vector<std::string>& executionIds, Poco::Logger& logger) {
    if (executionIds.empty()) {
        return 0;
    }
    const std::set<std::string> wanted(executionIds.begin(), executionIds.end());
    const pid_t self = ::getpid();
    std::set<pid_t> killedGroups;
    int found = 0;
    for (pid_t pid : processIds()) {
        if (pid == self) {
            continue;
        }
        std::string id = executionIdOf(pid);
        if (id.empty() || wanted.count(id) == 0) {
            continue;
        }
        ++found;

        pid_t group = ::getpgid(pid);
        if (groupOfAgent(group, id)) {
            if (killedGroups.insert(group).second) {
                if (::kill(-group, SIGKILL) == 0) {
                    logger.warning(
                        "Killed process group %d (found process %d) of rescued "
                        "execution %s, left over from its lost runner",
                        static_cast<int>(group), static_cast<int>(pid), id);
                } else {
                    logKillFailure(logger, "process group " + std::to_string(group), id);
                }
            }
            continue;
        }
        if (::kill(pid, SIGKILL) == 0) {
            logger.warning(
                "Killed process %d of rescued execution %s, left over from its lost "
                "runner",
                static_cast<int>(pid), id);
        } else {
            logKillFailure(logger, "process " + std::to_string(pid), id);
        }
    }
    return found;
}

}  // namespace syn
