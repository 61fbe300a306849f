// The DBA views of migration 002 return the right rows for a known set of
// executions. The rows are inserted in one transaction that is rolled back,
// and every query filters on the test's own workflow, so the stack's data
// neither disturbs nor sees them.
#include <cppunit/extensions/HelperMacros.h>

#include <memory>
#include <string>

#include "support/test_database.h"

namespace {

// One workflow with two phases and executions in every interesting state.
// Times are relative to now(), which is fixed for the whole transaction.
const char* const kFixtureRows = R"SQL(
insert into syn.workflows (id, name, definition) values ('deploy-views-workflow', 'Views', '{}');

insert into syn.executions
    (id, workflow_id, status, total_phases, completed_phases, current_phase, error,
     created_at, started_at, completed_at, claimed_by, lease_token, lease_expires_at, attempts)
values
    ('exec-e0e0e0e0e001', 'deploy-views-workflow', 'pending', 2, 0, null, null,
     now() - interval '10 minutes', null, null, null, null, null, 0),
    ('exec-e0e0e0e0e002', 'deploy-views-workflow', 'running', 2, 0, 'plan', null,
     now() - interval '20 minutes', now() - interval '5 minutes', null,
     'runner-a', gen_random_uuid(), now() + interval '20 seconds', 1),
    ('exec-e0e0e0e0e003', 'deploy-views-workflow', 'running', 2, 1, 'build', null,
     now() - interval '30 minutes', now() - interval '25 minutes', null,
     'runner-b', gen_random_uuid(), now() - interval '1 minute', 1),
    ('exec-e0e0e0e0e004', 'deploy-views-workflow', 'paused', 2, 1, 'build', null,
     now() - interval '40 minutes', now() - interval '35 minutes', null, null, null, null, 1),
    ('exec-e0e0e0e0e005', 'deploy-views-workflow', 'failed', 2, 0, 'plan',
     'Phase plan failed: agent exited with status 3',
     now() - interval '3 hours', now() - interval '3 hours', now() - interval '2 hours',
     null, null, null, 1),
    ('exec-e0e0e0e0e006', 'deploy-views-workflow', 'failed', 2, 0, 'plan',
     'Phase plan failed: agent exited with status 1',
     now() - interval '3 days', now() - interval '3 days', now() - interval '2 days',
     null, null, null, 1),
    ('exec-e0e0e0e0e007', 'deploy-views-workflow', 'completed', 2, 2, null, null,
     now() - interval '1 hour', now() - interval '1 hour', now() - interval '50 minutes',
     null, null, null, 1);

insert into syn.execution_phases
    (execution_id, phase_id, position, name, prompt_template, timeout_seconds,
     status, exit_code, error, started_at, completed_at, runs)
values
    ('exec-e0e0e0e0e001', 'plan', 0, 'Plan', 't', 60, 'pending', null, null, null, null, 0),
    ('exec-e0e0e0e0e002', 'plan', 0, 'Plan', 't', 60, 'running', null, null,
     now() - interval '4 minutes', null, 1),
    ('exec-e0e0e0e0e003', 'plan', 0, 'Plan', 't', 60, 'completed', 0, null,
     now() - interval '25 minutes', now() - interval '24 minutes', 1),
    ('exec-e0e0e0e0e003', 'build', 1, 'Build', 't', 60, 'running', null, null,
     now() - interval '24 minutes', null, 1),
    ('exec-e0e0e0e0e005', 'plan', 0, 'Plan', 't', 60, 'failed', 3, 'stderr: no plan',
     now() - interval '2 hours 5 minutes', now() - interval '2 hours', 1),
    ('exec-e0e0e0e0e005', 'build', 1, 'Build', 't', 60, 'skipped', null, null, null,
     now() - interval '2 hours', 0),
    ('exec-e0e0e0e0e007', 'plan', 0, 'Plan', 't', 60, 'completed', 0, null,
     now() - interval '60 minutes', now() - interval '59 minutes', 1),
    ('exec-e0e0e0e0e007', 'build', 1, 'Build', 't', 60, 'completed', 0, null,
     now() - interval '59 minutes', now() - interval '58 minutes 30 seconds', 1);
)SQL";

}  // namespace

class DeployViewsTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(DeployViewsTest);
    CPPUNIT_TEST(testActiveExecutionsListsLiveOnes);
    CPPUNIT_TEST(testActiveExecutionsShowsCurrentPhase);
    CPPUNIT_TEST(testActiveExecutionsFlagsLapsedLease);
    CPPUNIT_TEST(testPhaseDurationsOfStartedPhases);
    CPPUNIT_TEST(testRecentFailuresOfLastDay);
    CPPUNIT_TEST(testExecutionCountsPerStatus);
    CPPUNIT_TEST(testViewsHaveComments);
    CPPUNIT_TEST_SUITE_END();

  public:
    void setUp() override {
        database_ = std::make_unique<syn::test::TestDatabase>();
        database_->query("begin");
        database_->connection().executeScript(kFixtureRows);
    }

    void tearDown() override {
        database_->query("rollback");
        database_.reset();
    }

    void testActiveExecutionsListsLiveOnes() {
        CPPUNIT_ASSERT_EQUAL(std::string("exec-e0e0e0e0e001,exec-e0e0e0e0e002,"
                                         "exec-e0e0e0e0e003,exec-e0e0e0e0e004"),
                             text("select string_agg(id, ',' order by id)"
                                  " from syn.active_executions"
                                  " where workflow_id = 'deploy-views-workflow'"));
    }

    void testActiveExecutionsShowsCurrentPhase() {
        CPPUNIT_ASSERT_EQUAL(std::string("plan|Plan|240|1200"),
                             text("select concat_ws('|', current_phase, current_phase_name,"
                                  " extract(epoch from current_phase_running_for)::int,"
                                  " extract(epoch from age)::int)"
                                  " from syn.active_executions where id = 'exec-e0e0e0e0e002'"));
        CPPUNIT_ASSERT_EQUAL(std::string("pending|600"),
                             text("select concat_ws('|', status, extract(epoch from age)::int,"
                                  " current_phase_name)"
                                  " from syn.active_executions where id = 'exec-e0e0e0e0e001'"));
    }

    void testActiveExecutionsFlagsLapsedLease() {
        CPPUNIT_ASSERT_EQUAL(std::string("exec-e0e0e0e0e003"),
                             text("select string_agg(id, ',' order by id)"
                                  " from syn.active_executions"
                                  " where workflow_id = 'deploy-views-workflow' and lease_lapsed"));
        CPPUNIT_ASSERT_EQUAL(std::string("f"),
                             text("select lease_lapsed::text::char from syn.active_executions"
                                  " where id = 'exec-e0e0e0e0e002'"));
    }

    void testPhaseDurationsOfStartedPhases() {
        // Pending and skipped phases never started, so they are absent; running
        // phases have no duration yet.
        CPPUNIT_ASSERT_EQUAL(
            std::string("exec-e0e0e0e0e002/plan=-,exec-e0e0e0e0e003/build=-,"
                        "exec-e0e0e0e0e003/plan=60,exec-e0e0e0e0e005/plan=300,"
                        "exec-e0e0e0e0e007/build=30,exec-e0e0e0e0e007/plan=60"),
            text("select string_agg(execution_id || '/' || phase_id || '='"
                 " || coalesce(duration_seconds::int::text, '-'),"
                 " ',' order by execution_id, phase_id)"
                 " from syn.phase_durations where workflow_id = 'deploy-views-workflow'"));
    }

    void testRecentFailuresOfLastDay() {
        database_->query(
            "insert into syn.execution_events (execution_id, actor, event)"
            " values ('exec-e0e0e0e0e005', 'runner:host-a:1', 'claimed'),"
            " ('exec-e0e0e0e0e005', 'runner:host-b:2', 'claimed')");
        CPPUNIT_ASSERT_EQUAL(std::string("host-b:2"),
                             text("select claimed_by from syn.recent_failures"
                                  " where id = 'exec-e0e0e0e0e005'"));
        CPPUNIT_ASSERT_EQUAL(std::string("exec-e0e0e0e0e005|plan|3|stderr: no plan|"
                                         "Phase plan failed: agent exited with status 3"),
                             text("select string_agg(concat_ws('|', id, failed_phase,"
                                  " phase_exit_code, phase_error, error), ',')"
                                  " from syn.recent_failures"
                                  " where workflow_id = 'deploy-views-workflow'"));
    }

    void testExecutionCountsPerStatus() {
        CPPUNIT_ASSERT_EQUAL(std::string("completed=1,failed=2,paused=1,pending=1,running=2"),
                             text("select string_agg(status || '=' || executions, ','"
                                  " order by status) from syn.execution_counts"
                                  " where workflow_id = 'deploy-views-workflow'"));
        CPPUNIT_ASSERT_EQUAL(std::string("259200"),
                             text("select extract(epoch from now() - oldest_created_at)::int"
                                  " from syn.execution_counts"
                                  " where workflow_id = 'deploy-views-workflow'"
                                  " and status = 'failed'"));
    }

    void testViewsHaveComments() {
        for (const char* view : {"syn.active_executions", "syn.phase_durations",
                                 "syn.recent_failures", "syn.execution_counts"}) {
            CPPUNIT_ASSERT_MESSAGE(std::string(view) + " has no comment",
                                   database_->scalar("select count(*) from pg_description"
                                                     " where objoid = $1::regclass"
                                                     " and objsubid = 0",
                                                     {view}) == 1);
            CPPUNIT_ASSERT_EQUAL_MESSAGE(std::string("uncommented columns of ") + view,
                                         std::string(""),
                                         text("select coalesce(string_agg(attname, ','), '')"
                                              " from pg_attribute where attrelid = '" +
                                              std::string(view) +
                                              "'::regclass and attnum > 0"
                                              " and col_description(attrelid, attnum) is null"));
        }
    }

  private:
    std::string text(const std::string& sql) {
        syn::pg::Result result = database_->query(sql);
        CPPUNIT_ASSERT_EQUAL_MESSAGE("rows of: " + sql, 1, result.rows());
        return result.isNull(0, 0) ? std::string("<null>") : std::string(result.text(0, 0));
    }

    std::unique_ptr<syn::test::TestDatabase> database_;
};

CPPUNIT_TEST_SUITE_NAMED_REGISTRATION(DeployViewsTest, "deploy_views");
