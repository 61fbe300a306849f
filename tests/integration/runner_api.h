// Helpers for the runner tests that go through the whole deployment. They
// start executions with POST /workflows/it-runner/execute, read progress with
// the GET endpoints and send control requests over HTTP. Each request passes
// nginx and the FastCGI pool to the stack's main database, where a syn-runner
// under test claims the execution.
//
// Other suites leave pending executions of their own workflows behind, since
// no runner serves the stack during the tests. The runners started here are
// dedicated to the workflow it-runner with runner.workflows, so they never
// claim those executions and the other suites' executions do not delay these
// tests. Nothing else may claim it-runner executions: a runner started with
// `scripts/stack up --runner` would take some of them.
#pragma once

#include <Poco/JSON/Object.h>

#include <functional>

#include "runner_harness.h"
#include "support/api_checks.h"
#include "support/http_client.h"
#include "support/stack_control.h"
#include "support/test_database.h"

namespace syn::test::runner {

inline constexpr const char* kApiWorkflowId = "it-runner";

// Returns the URL a runner under test uses for the stack's main database:
// SYN_RUNNER_DATABASE_URL (a member of syn_runner, as in a deployment), or
// SYN_DATABASE_URL when the stack exports no runner role.
inline std::string stackRunnerDatabaseUrl() {
    const char* runnerUrl = std::getenv("SYN_RUNNER_DATABASE_URL");
    return runnerUrl != nullptr && *runnerUrl != '\0' ? std::string(runnerUrl) : databaseUrl();
}

// Installs the workflow it-runner once, and cancels it-runner executions that
// an earlier failed test left unfinished, so that they occupy no slot of this
// test's runner. Only it-runner executions are touched; they are cancelled
// with SQL because the runner that held them may be gone.
inline void prepareApiTest() {
    installFixtureWorkflow(kApiWorkflowId, kApiWorkflowId);
    TestDatabase database;
    database.query(
        "update syn.executions set status = 'cancelled', completed_at = now(), "
        "error = 'Cancelled by the runner tests: left unfinished by an earlier test', "
        "claimed_by = null, lease_token = null, lease_expires_at = null "
        "where workflow_id = $1 and status in ('pending', 'running', 'paused')",
        {kApiWorkflowId});
    std::error_code ignored;
    std::filesystem::remove_all(testRoot() + "/workspaces", ignored);
    std::filesystem::create_directories(testRoot());
}

// Starts a runner that claims only it-runner executions from the stack's database.
inline std::unique_ptr<RunnerProcess> startApiRunner(const std::string& name,
                                                     const std::vector<std::string>& agent) {
    return std::make_unique<RunnerProcess>(
        name, agent, std::vector<std::string>{std::string("runner.workflows=") + kApiWorkflowId},
        stackRunnerDatabaseUrl());
}

// POSTs /workflows/it-runner/execute with `body`; returns the new execution id.
inline std::string executeApiWorkflow(const HttpClient& client, const std::string& body) {
    return startExecution(client, kApiWorkflowId, body);
}

// GET /workflows/it-runner/executions/<id>; throws unless it returns 200.
inline Poco::JSON::Object::Ptr fetchStatus(const HttpClient& client, const std::string& id) {
    std::string path = std::string("/workflows/") + kApiWorkflowId + "/executions/" + id;
    HttpResponse response = client.get(path);
    if (response.status != 200) {
        throw std::runtime_error("GET " + path + " returned " + std::to_string(response.status) +
                                 ": " + response.body);
    }
    return response.json();
}

// GET /executions/<id>, the detail with the phases array; throws unless it returns 200.
inline Poco::JSON::Object::Ptr fetchDetail(const HttpClient& client, const std::string& id) {
    HttpResponse response = client.get("/executions/" + id);
    if (response.status != 200) {
        throw std::runtime_error("GET /executions/" + id + " returned " +
                                 std::to_string(response.status) + ": " + response.body);
    }
    return response.json();
}

// POST /executions/<id>/<action> with {"reason": reason}.
inline HttpResponse postControl(const HttpClient& client, const std::string& id,
                                const std::string& action, const std::string& reason) {
    return client.postJson("/executions/" + id + "/" + action, "{\"reason\": \"" + reason + "\"}");
}

// Returns member `name` as text: "(null)" for JSON null, "(missing)" when absent.
inline std::string field(const Poco::JSON::Object::Ptr& object, const std::string& name) {
    if (!object->has(name)) {
        return "(missing)";
    }
    Poco::Dynamic::Var value = object->get(name);
    return value.isEmpty() ? "(null)" : value.toString();
}

// Returns the entry of the detail's phases array with `phaseId`; throws when there is none.
inline Poco::JSON::Object::Ptr phaseOf(const Poco::JSON::Object::Ptr& detail,
                                       const std::string& phaseId) {
    Poco::JSON::Array::Ptr phases = detail->getArray("phases");
    for (size_t i = 0; phases && i < phases->size(); ++i) {
        Poco::JSON::Object::Ptr phase = phases->getObject(static_cast<unsigned>(i));
        if (phase && field(phase, "phase_id") == phaseId) {
            return phase;
        }
    }
    throw std::runtime_error("GET /executions/<id> has no phase " + phaseId + ": " +
                             toJson(detail));
}

// Polls GET /workflows/it-runner/executions/<id> every 50 ms until `done`
// accepts the object or `limit` passes; returns the last object read.
inline Poco::JSON::Object::Ptr waitForApi(
    const HttpClient& client, const std::string& id,
    const std::function<bool(const Poco::JSON::Object::Ptr&)>& done,
    std::chrono::milliseconds limit = std::chrono::seconds(20)) {
    auto deadline = std::chrono::steady_clock::now() + limit;
    while (true) {
        Poco::JSON::Object::Ptr status = fetchStatus(client, id);
        if (done(status) || std::chrono::steady_clock::now() >= deadline) {
            return status;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
}

// Waits until the API reports `expected` as the status; returns the last object read.
inline Poco::JSON::Object::Ptr waitForApiStatus(
    const HttpClient& client, const std::string& id, const std::string& expected,
    std::chrono::milliseconds limit = std::chrono::seconds(20)) {
    return waitForApi(
        client, id,
        [&](const Poco::JSON::Object::Ptr& status) { return field(status, "status") == expected; },
        limit);
}

// Lets the gate.sh agent of `phaseId` finish.
inline void openGate(const RunnerProcess& runner, const std::string& id,
                     const std::string& phaseId) {
    std::ofstream(runner.workspace(id) + "/proceed-" + phaseId).put('\n');
}

}  // namespace syn::test::runner
