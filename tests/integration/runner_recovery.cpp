// Integration tests of syn-runner recovery and sharing: a runner killed with
// SIGKILL, a database restart while a phase ends, and several runners working
// one queue.
#include <cppunit/extensions/HelperMacros.h>

#include <map>

#include "runner_harness.h"
#include "support/stack_control.h"

using namespace syn::test::runner;
using syn::test::sourceDir;

namespace {

std::string column(syn::pg::Connection& db, const std::string& sql, const std::string& id) {
    return queryText(db, sql, {id});
}

// Returns an execution id unique on this host for this test process. A rescue
// kills every process on the host that carries the rescued id, so test runs
// from other build trees must not share these ids.
std::string hostUniqueId(int number) {
    char id[32];
    std::snprintf(id, sizeof id, "exec-%06x%06x", static_cast<unsigned>(::getpid()) & 0xffffff,
                  static_cast<unsigned>(number) & 0xffffff);
    return id;
}

}  // namespace

class RunnerRecoveryTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(RunnerRecoveryTest);
    CPPUNIT_TEST(killedRunnerIsRescued);
    CPPUNIT_TEST(rescuedExecutionWaitsPending);
    CPPUNIT_TEST(releaseKeepsAttemptsForRescues);
    CPPUNIT_TEST(threeRunnersShareQueue);
    CPPUNIT_TEST(heartbeatOutageStopsClaims);
    CPPUNIT_TEST(databaseRestartAtPhaseEnd);
    CPPUNIT_TEST_SUITE_END();

  public:
    void setUp() override { recreateDatabase(); }

    void killedRunnerIsRescued() {
        syn::pg::Connection db(runnerDatabaseUrl());
        const std::string id = hostUniqueId(1);
        const std::vector<std::string> shortLease = {"runner.lease_seconds=2",
                                                     "runner.heartbeat_seconds=1"};
        auto first = std::make_unique<RunnerProcess>(
            "killed", std::vector<std::string>{fixtureAgent("sleep_with_child.sh")}, shortLease);
        insertExecution(db, id, {{"first", "One"}, {"second", "Two"}});
        pid_t agent = waitForPidFile(first->workspace(id) + "/agent-first.pid");
        pid_t child = waitForPidFile(first->workspace(id) + "/child-first.pid");

        first->signal(SIGKILL);
        CPPUNIT_ASSERT(first->waitForExit(std::chrono::seconds(5)) != -1);
        // PR_SET_PDEATHSIG kills the agent with its runner, but not the agent's child.
        std::this_thread::sleep_for(std::chrono::milliseconds(300));
        CPPUNIT_ASSERT(!processAlive(agent));
        CPPUNIT_ASSERT(processAlive(child));

        RunnerProcess second("rescuer", {fixtureAgent("sleep.sh"), "0"}, shortLease);
        CPPUNIT_ASSERT_EQUAL(std::string("completed"), waitForStatus(db, id, "completed"));
        // The rescue killed the child before it committed; SIGKILL may take a moment.
        for (int i = 0; i < 20 && processAlive(child); ++i) {
            std::this_thread::sleep_for(std::chrono::milliseconds(50));
        }
        CPPUNIT_ASSERT(!processAlive(child));
        CPPUNIT_ASSERT(second.log().find("of rescued execution " + id) != std::string::npos);
        CPPUNIT_ASSERT_EQUAL(std::string("2"),
                             column(db, "select attempts from syn.executions where id = $1", id));
        CPPUNIT_ASSERT_EQUAL(std::string("2"), column(db,
                                                      "select runs from syn.execution_phases where "
                                                      "execution_id = $1 and phase_id = 'first'",
                                                      id));
        CPPUNIT_ASSERT_EQUAL(std::string("1"),
                             column(db,
                                    "select count(*) from syn.execution_events where execution_id "
                                    "= $1 and event = 'rescued'",
                                    id));
    }

    // The agent ends while PostgreSQL is down. The runner re-opens its
    // connection and stores the phase end once the database is back, long
    // before the 30 s lease lapses, so the agent runs once.
    void databaseRestartAtPhaseEnd() {
        syn::pg::Connection db(runnerDatabaseUrl());
        const std::string id = hostUniqueId(6);
        RunnerProcess runner(
            "restart",
            {"sh", "-c",
             "echo run >> ../runs-$SYN_EXECUTION_ID; echo $$ > started.pid; sleep 2; "
             "echo done"},
            {"runner.lease_seconds=30", "runner.heartbeat_seconds=10"});
        insertExecution(db, id, {{"only", "One"}});
        waitForPidFile(runner.workspace(id) + "/started.pid");

        syn::test::stopDatabase();
        std::this_thread::sleep_for(std::chrono::seconds(4));
        syn::test::startDatabase();

        syn::pg::Connection after(runnerDatabaseUrl());
        CPPUNIT_ASSERT_EQUAL(std::string("completed"),
                             waitForStatus(after, id, "completed", std::chrono::seconds(15)));
        CPPUNIT_ASSERT_EQUAL(std::string("done\n"),
                             column(after,
                                    "select output from syn.execution_phases "
                                    "where execution_id = $1",
                                    id));
        std::ifstream runs(runner.workspace(id) + "/../runs-" + id);
        std::string line;
        int count = 0;
        while (std::getline(runs, line)) {
            ++count;
        }
        CPPUNIT_ASSERT_EQUAL(1, count);
        CPPUNIT_ASSERT(runner.log().find("re-opening the connection") != std::string::npos);
    }

    void rescuedExecutionWaitsPending() {
        syn::pg::Connection db(runnerDatabaseUrl());
        const std::string id = hostUniqueId(2);
        const std::vector<std::string> shortLease = {"runner.lease_seconds=2",
                                                     "runner.heartbeat_seconds=1"};
        auto first = std::make_unique<RunnerProcess>(
            "lapsed", std::vector<std::string>{fixtureAgent("sleep.sh"), "30"}, shortLease);
        insertExecution(db, id, {{"first", "One"}, {"second", "Two"}});
        waitForPidFile(first->workspace(id) + "/agent-first.pid");
        first->signal(SIGKILL);
        CPPUNIT_ASSERT(first->waitForExit(std::chrono::seconds(5)) != -1);

        // Dedicated to another workflow, this runner rescues the lapsed lease
        // but never claims the execution, so the re-queued state stays visible.
        std::vector<std::string> rescueOnly = shortLease;
        rescueOnly.push_back("runner.workflows=another-workflow");
        RunnerProcess rescuer("rescue-only", {fixtureAgent("sleep.sh"), "0"}, rescueOnly);
        CPPUNIT_ASSERT_EQUAL(
            std::string("1"),
            waitForValue(db,
                         "select count(*) from syn.execution_events where execution_id = $1 "
                         "and event = 'rescued'",
                         {id}, "1", std::chrono::seconds(10)));
        std::this_thread::sleep_for(std::chrono::milliseconds(600));
        CPPUNIT_ASSERT_EQUAL(std::string("pending"),
                             column(db, "select status from syn.executions where id = $1", id));
        CPPUNIT_ASSERT_EQUAL(
            std::string("(null)"),
            column(db, "select current_phase from syn.executions where id = $1", id));
        CPPUNIT_ASSERT_EQUAL(std::string("(null)"),
                             column(db, "select claimed_by from syn.executions where id = $1", id));
        CPPUNIT_ASSERT_EQUAL(std::string("1"),
                             column(db, "select attempts from syn.executions where id = $1", id));
        CPPUNIT_ASSERT_EQUAL(std::string("pending"),
                             column(db,
                                    "select status from syn.execution_phases where execution_id = "
                                    "$1 and phase_id = 'first'",
                                    id));
        CPPUNIT_ASSERT(rescuer.log().find("claiming workflows another-workflow") !=
                       std::string::npos);
    }

    // A clean release at SIGTERM gives its claim back, so with
    // runner.max_attempts = 3 two lost runners after it still leave a third try.
    void releaseKeepsAttemptsForRescues() {
        syn::pg::Connection db(runnerDatabaseUrl());
        const std::string id = hostUniqueId(3);
        const std::vector<std::string> settings = {
            "runner.lease_seconds=2", "runner.heartbeat_seconds=1", "runner.max_attempts=3",
            "runner.shutdown_grace_seconds=1"};
        const std::vector<std::string> slowAgent = {fixtureAgent("sleep.sh"), "30"};
        insertExecution(db, id, {{"first", "One"}});

        RunnerProcess released("released", slowAgent, settings);
        waitForPidFile(released.workspace(id) + "/agent-first.pid");
        released.signal(SIGTERM);
        CPPUNIT_ASSERT(released.waitForExit(std::chrono::seconds(10)) != -1);
        CPPUNIT_ASSERT_EQUAL(std::string("pending"),
                             column(db, "select status from syn.executions where id = $1", id));
        CPPUNIT_ASSERT_EQUAL(std::string("0"),
                             column(db, "select attempts from syn.executions where id = $1", id));

        for (const char* name : {"lost-1", "lost-2"}) {
            RunnerProcess lost(name, slowAgent, settings);
            waitForPidFile(lost.workspace(id) + "/agent-first.pid");
            lost.signal(SIGKILL);
            CPPUNIT_ASSERT(lost.waitForExit(std::chrono::seconds(5)) != -1);
        }
        CPPUNIT_ASSERT_EQUAL(std::string("2"),
                             column(db, "select attempts from syn.executions where id = $1", id));

        RunnerProcess last("last", {fixtureAgent("sleep.sh"), "0"}, settings);
        CPPUNIT_ASSERT_EQUAL(std::string("completed"), waitForStatus(db, id, "completed"));
        CPPUNIT_ASSERT_EQUAL(std::string("3"),
                             column(db, "select attempts from syn.executions where id = $1", id));
        CPPUNIT_ASSERT_EQUAL(std::string("2"),
                             column(db,
                                    "select count(*) from syn.execution_events where execution_id "
                                    "= $1 and event = 'rescued'",
                                    id));
    }

    void threeRunnersShareQueue() {
        syn::pg::Connection db(runnerDatabaseUrl());
        const std::string log = testRoot() + "/shared-queue.log";
        std::remove(log.c_str());
        std::vector<std::unique_ptr<RunnerProcess>> runners;
        for (const char* name : {"shared-a", "shared-b", "shared-c"}) {
            runners.push_back(std::make_unique<RunnerProcess>(
                name, std::vector<std::string>{fixtureAgent("log_append.sh"), log}));
        }

        db.execute("begin");
        for (int i = 0; i < 300; ++i) {
            char id[32];
            std::snprintf(id, sizeof id, "exec-%012x", 0x100000 + i);
            insertExecution(db, id, {{"first", "One"}, {"second", "{{first}} Two"}});
        }
        db.execute("commit");

        std::string completed =
            waitForValue(db, "select count(*) from syn.executions where status = 'completed'", {},
                         "300", std::chrono::seconds(180));
        CPPUNIT_ASSERT_EQUAL(std::string("300"), completed);
        CPPUNIT_ASSERT_EQUAL(std::string("600"),
                             queryText(db,
                                       "select count(*) from syn.execution_phases where runs = 1 "
                                       "and status = 'completed'"));

        std::map<std::string, int> runs;
        std::ifstream file(log);
        std::string execution, phase;
        while (file >> execution >> phase) {
            ++runs[execution + " " + phase];
        }
        CPPUNIT_ASSERT_EQUAL(size_t(600), runs.size());
        for (const auto& [key, count] : runs) {
            CPPUNIT_ASSERT_EQUAL_MESSAGE(key, 1, count);
        }
        CPPUNIT_ASSERT_EQUAL(std::string("3"),
                             queryText(db,
                                       "select count(distinct actor) from syn.execution_events "
                                       "where event = 'claimed'"));
    }

    // A runner whose heartbeat cannot reach the database stops its agent
    // before the lease lapses and claims nothing, even when its slot is idle
    // and work is queued. Once the heartbeat connects again, it claims.
    void heartbeatOutageStopsClaims() {
        syn::pg::Connection admin(runnerDatabaseUrl());
        admin.execute(
            "do $$ begin create role syn_test_heartbeat login in role syn_runner; "
            "exception when duplicate_object then null; end $$");
        admin.execute("alter role syn_test_heartbeat connection limit -1");
        const std::string first = hostUniqueId(40);
        insertExecution(admin, first, {{"work", "Work", 60}});

        RunnerProcess runner(
            "heartbeat-outage", {fixtureAgent("sleep.sh"), "30"},
            {"runner.slots=1", "runner.lease_seconds=4", "runner.heartbeat_seconds=1"},
            runnerDatabaseUrl() + " user=syn_test_heartbeat");
        pid_t agent = waitForPidFile(runner.workspace(first) + "/agent-work.pid");
        std::string heartbeat = waitForHeartbeatBackend(admin);

        // No new connection of the role is allowed once the heartbeat's ends.
        std::string connections = queryText(
            admin, "select count(*) from pg_stat_activity where usename = 'syn_test_heartbeat'");
        admin.execute("alter role syn_test_heartbeat connection limit " +
                      std::to_string(std::stoi(connections) - 1));
        admin.execute("select pg_terminate_backend($1::int)", {heartbeat});
        const std::string second = hostUniqueId(41);
        insertExecution(admin, second, {{"work", "Work", 60}});

        auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
        while (processAlive(agent) && std::chrono::steady_clock::now() < deadline) {
            std::this_thread::sleep_for(std::chrono::milliseconds(100));
        }
        CPPUNIT_ASSERT(!processAlive(agent));
        // The slot is idle now and both executions are pending or about to be.
        std::this_thread::sleep_for(std::chrono::seconds(2));
        const std::string claims =
            "select count(*) from syn.execution_events where event = 'claimed'";
        CPPUNIT_ASSERT_EQUAL(std::string("1"), queryText(admin, claims));
        CPPUNIT_ASSERT(runner.log().find("Leases lapse before the next renewal attempt") !=
                       std::string::npos);

        admin.execute("alter role syn_test_heartbeat connection limit -1");
        CPPUNIT_ASSERT_EQUAL(std::string("2"),
                             waitForValue(admin, claims, {}, "2", std::chrono::seconds(15)));
    }

  private:
    // Returns the pid of the backend whose last statement renewed leases,
    // waiting up to 10 s for the heartbeat to run it.
    static std::string waitForHeartbeatBackend(syn::pg::Connection& db) {
        auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
        while (std::chrono::steady_clock::now() < deadline) {
            std::string pid = queryText(
                db,
                "select coalesce(min(pid), 0) from pg_stat_activity "
                "where usename = 'syn_test_heartbeat' and query like '%as held(id, token)%'");
            if (pid != "0") {
                return pid;
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(100));
        }
        throw std::runtime_error("no backend of syn_test_heartbeat renewed leases within 10 s");
    }
};

CPPUNIT_TEST_SUITE_NAMED_REGISTRATION(RunnerRecoveryTest, "runner_recovery");
