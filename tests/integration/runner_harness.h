// Helpers for the runner integration tests: a private database on the
// stack's PostgreSQL, executions inserted the way the API inserts them, and
// syn-runner processes started with per-test settings. The tests that need
// no HTTP use the private database; runner_api.h serves those that go
// through the API.
#pragma once

#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "support/environment.h"
#include "syn/pg.h"

namespace syn::test::runner {

inline constexpr const char* kDatabaseName = "syn_runner_test";
// Directory of this test process's runner logs and workspaces; the pid keeps
// test runs from different build trees on one machine apart.
inline std::string testRoot() {
    return "/tmp/syn-runner-test-" + std::to_string(::getpid());
}

// Returns SYN_DATABASE_URL aimed at the runner tests' own database; libpq
// takes the last dbname of a conninfo string.
inline std::string runnerDatabaseUrl() {
    std::string url = databaseUrl();
    if (url.starts_with("postgres")) {
        throw std::runtime_error("SYN_DATABASE_URL must be a conninfo string for the runner tests");
    }
    return url + " dbname=" + kDatabaseName;
}

// Returns the URL the runners under test log in with: SYN_RUNNER_DATABASE_URL
// (a member of syn_runner, as in a deployment) aimed at the runner tests'
// database, or runnerDatabaseUrl() when the stack exports no runner role.
inline std::string runnerLoginDatabaseUrl() {
    const char* runnerUrl = std::getenv("SYN_RUNNER_DATABASE_URL");
    if (runnerUrl == nullptr || *runnerUrl == '\0') {
        return runnerDatabaseUrl();
    }
    return std::string(runnerUrl) + " dbname=" + kDatabaseName;
}

// Drops and recreates the runner tests' database with every migration
// applied, so the runners under test see no executions but their own, and
// empties the workspace root so that no pid file of an earlier run is read.
inline void recreateDatabase() {
    // Errors are ignored: a process of the previous test that is still dying
    // may add a file meanwhile, and each runner uses its own subdirectory anyway.
    std::error_code ignored;
    std::filesystem::remove_all(testRoot() + "/workspaces", ignored);
    std::filesystem::create_directories(testRoot());
    {
        pg::Connection admin(databaseUrl());
        admin.execute(std::string("drop database if exists ") + kDatabaseName + " with (force)");
        admin.execute(std::string("create database ") + kDatabaseName);
    }
    pg::Connection db(runnerDatabaseUrl());
    std::vector<std::filesystem::path> migrations;
    for (const auto& entry : std::filesystem::directory_iterator(sourceDir() + "/sql")) {
        std::string name = entry.path().filename().string();
        if (name.size() > 4 && std::isdigit(static_cast<unsigned char>(name[0])) &&
            name.ends_with(".sql")) {
            migrations.push_back(entry.path());
        }
    }
    std::sort(migrations.begin(), migrations.end());
    for (const auto& path : migrations) {
        std::ifstream file(path);
        std::stringstream text;
        text << file.rdbuf();
        db.executeScript(text.str());
    }
    db.execute(
        "insert into syn.workflows (id, name, definition) values ('runner-test', 'Runner test', "
        "'{}')");
}

struct PhaseSpec {
    std::string id;
    std::string promptTemplate;
    int timeoutSeconds = 60;
};

// Inserts a pending execution with its phase rows in one transaction, as
// the API does, and sends the queued notification. Inside a transaction the
// caller already opened, the rows become visible when the caller commits.
inline void insertExecution(pg::Connection& db, const std::string& executionId,
                            const std::vector<PhaseSpec>& phases,
                            const std::string& inputsJson = "{}") {
    bool ownTransaction = PQtransactionStatus(db.handle()) == PQTRANS_IDLE;
    if (ownTransaction) {
        db.execute("begin");
    }
    db.execute(
        "insert into syn.executions (id, workflow_id, task, inputs, total_phases) "
        "values ($1, 'runner-test', 'the test task', $2::jsonb, $3::int)",
        {executionId, inputsJson, std::to_string(phases.size())});
    for (size_t i = 0; i < phases.size(); ++i) {
        db.execute(
            "insert into syn.execution_phases "
            "(execution_id, phase_id, position, name, prompt_template, timeout_seconds) "
            "values ($1, $2, $3::int, $2, $4, $5::int)",
            {executionId, phases[i].id, std::to_string(i), phases[i].promptTemplate,
             std::to_string(phases[i].timeoutSeconds)});
    }
    db.execute("select pg_notify('syn_execution_queued', $1)", {executionId});
    if (ownTransaction) {
        db.execute("commit");
    }
}

inline std::string fixtureAgent(const std::string& name) {
    return sourceDir() + "/tests/fixtures/agents/" + name;
}

// Returns a JSON array literal for runner.agent_command.
inline std::string agentCommand(const std::vector<std::string>& argv) {
    std::string json = "[";
    for (size_t i = 0; i < argv.size(); ++i) {
        json += (i > 0 ? ", \"" : "\"") + argv[i] + "\"";
    }
    return json + "]";
}

// Returns the first column of the first row as text, "(null)" for SQL NULL
// and "(no row)" when there is none.
inline std::string queryText(pg::Connection& db, const std::string& sql,
                             const std::vector<pg::Param>& params = {}) {
    pg::Result result = db.execute(sql, params);
    if (result.rows() == 0) {
        return "(no row)";
    }
    return result.isNull(0, 0) ? "(null)" : std::string(result.text(0, 0));
}

// True when `pid` runs. A zombie counts as gone: it runs nothing and only
// waits for its parent (after a runner's death, the container's init) to reap it.
inline bool processAlive(pid_t pid) {
    if (pid <= 0 || ::kill(pid, 0) != 0) {
        return false;
    }
    std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
    std::string line;
    std::getline(stat, line);
    size_t close = line.rfind(')');
    return close == std::string::npos || close + 2 >= line.size() || line[close + 2] != 'Z';
}

// Reads a pid that a fixture agent wrote into its workspace, waiting up to 10 s.
inline pid_t waitForPidFile(const std::string& path) {
    for (int i = 0; i < 200; ++i) {
        std::ifstream file(path);
        pid_t pid = 0;
        if (file >> pid && pid > 0) {
            return pid;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    throw std::runtime_error("Agent did not write " + path + " within 10 s");
}

// Waits until `sql` (one row, one column) returns `expected`; returns the last value.
inline std::string waitForValue(pg::Connection& db, const std::string& sql,
                                const std::vector<pg::Param>& params, const std::string& expected,
                                std::chrono::milliseconds limit) {
    auto deadline = std::chrono::steady_clock::now() + limit;
    std::string value;
    while (true) {
        pg::Result result = db.execute(sql, params);
        value = result.rows() == 0 ? "(no row)" : std::string(result.text(0, 0));
        if (value == expected || std::chrono::steady_clock::now() >= deadline) {
            return value;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
}

inline std::string waitForStatus(pg::Connection& db, const std::string& executionId,
                                 const std::string& expected,
                                 std::chrono::milliseconds limit = std::chrono::seconds(20)) {
    return waitForValue(db, "select status from syn.executions where id = $1", {executionId},
                        expected, limit);
}

// One syn-runner process with its own workspace root and log file, both
// named after `name`. It uses the runner tests' database unless
// `databaseUrl` names another.
class RunnerProcess {
  public:
    RunnerProcess(const std::string& name, const std::vector<std::string>& agent,
                  const std::vector<std::string>& settings = {},
                  const std::string& databaseUrl = runnerLoginDatabaseUrl())
        : log_(testRoot() + "/" + name + ".log"),
          workspaceRoot_(testRoot() + "/workspaces/" + name) {
        std::vector<std::string> argv = {
            buildDir() + "/engine/runner/syn-runner", "--config", "/nonexistent/syn.conf",
            "--database-url", databaseUrl, "--runner-id", name, "--agent-command",
            agentCommand(agent), "--set", "runner.workspace_root=" + workspaceRoot_, "--set",
            "runner.poll_interval_ms=200", "--set", "runner.kill_grace_seconds=1", "--set",
            // Kept so that tests can read artifacts and pid files.
            "workspace.keep_completed_days=1"};
        for (const std::string& setting : settings) {
            argv.push_back("--set");
            argv.push_back(setting);
        }
        start(argv);
    }

    ~RunnerProcess() {
        if (pid_ > 0) {
            ::kill(pid_, SIGKILL);
            ::waitpid(pid_, nullptr, 0);
        }
    }

    pid_t pid() const { return pid_; }
    const std::string& workspaceRoot() const { return workspaceRoot_; }
    std::string workspace(const std::string& executionId) const {
        return workspaceRoot_ + "/" + executionId;
    }

    void signal(int number) { ::kill(pid_, number); }

    // Waits up to `limit` for the runner to exit; returns its wait status, or -1.
    int waitForExit(std::chrono::milliseconds limit) {
        auto deadline = std::chrono::steady_clock::now() + limit;
        while (std::chrono::steady_clock::now() < deadline) {
            int status = 0;
            if (::waitpid(pid_, &status, WNOHANG) == pid_) {
                pid_ = -1;
                return status;
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(50));
        }
        return -1;
    }

    std::string log() const {
        std::ifstream file(log_);
        std::stringstream text;
        text << file.rdbuf();
        return text.str();
    }

  private:
    void start(const std::vector<std::string>& argv) {
        std::vector<char*> pointers;
        for (const std::string& item : argv) {
            pointers.push_back(const_cast<char*>(item.c_str()));
        }
        pointers.push_back(nullptr);
        pid_ = ::fork();
        if (pid_ == 0) {
            FILE* out = std::fopen(log_.c_str(), "w");
            if (out != nullptr) {
                ::dup2(fileno(out), 1);
                ::dup2(fileno(out), 2);
            }
            ::execv(pointers[0], pointers.data());
            ::_exit(127);
        }
        // Give the runner time to connect and LISTEN before the test acts.
        std::this_thread::sleep_for(std::chrono::milliseconds(500));
    }

    std::string log_;
    std::string workspaceRoot_;
    pid_t pid_ = -1;
};

}  // namespace syn::test::runner
