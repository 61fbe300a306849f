#include "support/stack_control.h"

#include <Poco/Pipe.h>
#include <Poco/PipeStream.h>
#include <Poco/Process.h>
#include <Poco/StreamCopier.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "support/environment.h"
#include "support/test_database.h"

namespace syn::test {

int runCommand(const std::vector<std::string>& argv, std::string& output) {
    Poco::Pipe outputPipe;
    std::vector<std::string> arguments(argv.begin() + 1, argv.end());
    Poco::ProcessHandle process =
        Poco::Process::launch(argv.front(), arguments, nullptr, &outputPipe, &outputPipe);
    Poco::PipeInputStream in(outputPipe);
    std::ostringstream text;
    Poco::StreamCopier::copyStream(in, text);
    output = text.str();
    return process.wait();
}

void installFixtureWorkflow(const std::string& name, const std::string& workflowId) {
    TestDatabase database;
    if (database.scalar("select count(*) from syn.workflows where id = $1", {workflowId}) > 0) {
        return;
    }

    std::string path = sourceDir() + "/tests/fixtures/workflows/" + name + ".yaml";
    std::string output;
    int status = runCommand({buildDir() + "/engine/synctl/synctl", "workflow", "install", path,
                             "--database", databaseUrl()},
                            output);
    if (status != 0) {
        throw std::runtime_error("synctl workflow install " + path + " exited with " +
                                 std::to_string(status) + ": " + output);
    }
}

static void runStackCommand(const std::string& command) {
    std::string output;
    int status = runCommand({sourceDir() + "/scripts/stack", command}, output);
    if (status != 0) {
        throw std::runtime_error("scripts/stack " + command + " exited with " +
                                 std::to_string(status) + ": " + output);
    }
}

void stopDatabase() {
    runStackCommand("db-stop");
}
void startDatabase() {
    runStackCommand("db-start");
}

pid_t poolMasterPid() {
    std::string path = stackDir() + "/fcgi.pid";
    std::ifstream in(path);
    pid_t pid = 0;
    if (!(in >> pid) || pid <= 0) {
        throw std::runtime_error("no pool pid in " + path + ": is the stack up?");
    }
    return pid;
}

// Returns the parent pid from /proc/<pid>/stat, or 0 when the process is gone.
static pid_t parentPid(const std::filesystem::path& statPath) {
    // A process that exits while its stat file is read makes the read fail
    // with ESRCH, which libstdc++ raises from the stream buffer.
    std::string stat;
    try {
        std::ifstream in(statPath);
        stat.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
    } catch (const std::exception&) {
        return 0;
    }
    // The command name in parentheses may contain spaces; fields after it are
    // the state, then the parent pid.
    size_t end = stat.rfind(')');
    if (end == std::string::npos) {
        return 0;
    }
    std::istringstream fields(stat.substr(end + 1));
    std::string state;
    pid_t parent = 0;
    fields >> state >> parent;
    return state == "Z" ? 0 : parent;
}

std::vector<pid_t> poolWorkerPids() {
    pid_t master = poolMasterPid();
    std::vector<pid_t> workers;
    for (const auto& entry : std::filesystem::directory_iterator("/proc")) {
        std::string name = entry.path().filename();
        if (name.empty() || !std::all_of(name.begin(), name.end(), ::isdigit)) {
            continue;
        }
        if (parentPid(entry.path() / "stat") == master) {
            workers.push_back(static_cast<pid_t>(std::stoi(name)));
        }
    }
    std::sort(workers.begin(), workers.end());
    return workers;
}

}  // namespace syn::test
