// The group roles of sql/roles.sql have exactly the privileges that
// syn.grant_role_privileges() documents: the API role cannot touch phase
// results, the read-only role can write nothing. Every statement runs inside
// one transaction under SET LOCAL ROLE and is rolled back, so the stack's
// data is left as it was.
#include <cppunit/extensions/HelperMacros.h>

#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "support/environment.h"
#include "support/test_database.h"

namespace {

const char* const kPermissionDenied = "42501";

std::string readFile(const std::string& path) {
    std::ifstream in(path);
    if (!in) {
        throw std::runtime_error("cannot read " + path + ": is SYN_SOURCE_DIR the repository?");
    }
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

}  // namespace

class DeployRolesTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(DeployRolesTest);
    CPPUNIT_TEST(testApiCannotUpdatePhaseResults);
    CPPUNIT_TEST(testApiCannotUpdatePhaseStatus);
    CPPUNIT_TEST(testApiCancelCancelsPendingPhases);
    CPPUNIT_TEST(testApiCanRecordCancelRequest);
    CPPUNIT_TEST(testApiCannotChangeExecutionRequest);
    CPPUNIT_TEST(testApiCanCreateExecution);
    CPPUNIT_TEST(testApiAndRunnerCannotDelete);
    CPPUNIT_TEST(testRunnerCanRecordPhaseResult);
    CPPUNIT_TEST(testRunnerCannotCreateExecution);
    CPPUNIT_TEST(testRunnerCannotChangeWorkflows);
    CPPUNIT_TEST(testReadonlyCannotWriteAnyTable);
    CPPUNIT_TEST(testReadonlyCanReadEveryRelation);
    CPPUNIT_TEST_SUITE_END();

  public:
    void setUp() override {
        database_ = std::make_unique<syn::test::TestDatabase>();
        // roles.sql is idempotent and, once migration 002 ran, grants too.
        database_->connection().executeScript(readFile(syn::test::sourceDir() + "/sql/roles.sql"));
        database_->query("begin");
        database_->query(
            "insert into syn.workflows (id, name, definition)"
            " values ('deploy-roles-workflow', 'Roles check', '{}')");
        database_->query(
            "insert into syn.executions (id, workflow_id, total_phases)"
            " values ('exec-d0d0d0d0d001', 'deploy-roles-workflow', 1)");
        database_->query(
            "insert into syn.execution_phases"
            " (execution_id, phase_id, position, name, prompt_template, timeout_seconds)"
            " values ('exec-d0d0d0d0d001', 'plan', 0, 'Plan', 'Plan it', 60)");
    }

    void tearDown() override {
        database_->query("rollback");
        database_.reset();
    }

    void testApiCannotUpdatePhaseResults() {
        for (const char* column :
             {"output", "exit_code", "prompt", "error", "output_truncated", "runs", "started_at"}) {
            std::string sql = std::string("update syn.execution_phases set ") + column + " = " +
                              column + " where execution_id = 'exec-d0d0d0d0d001'";
            CPPUNIT_ASSERT_EQUAL_MESSAGE(std::string("syn_api updating ") + column,
                                         std::string(kPermissionDenied), run("syn_api", sql));
        }
    }

    void testApiCannotUpdatePhaseStatus() {
        CPPUNIT_ASSERT_EQUAL(std::string(kPermissionDenied),
                             run("syn_api",
                                 "update syn.execution_phases"
                                 " set status = 'cancelled', completed_at = now()"
                                 " where execution_id = 'exec-d0d0d0d0d001'"));
    }

    // The trigger of migration 003 cancels the phases on the API's behalf.
    void testApiCancelCancelsPendingPhases() {
        database_->query("savepoint api_cancel");
        database_->query("set local role syn_api");
        database_->query(
            "update syn.executions set status = 'cancelled', completed_at = now()"
            " where id = 'exec-d0d0d0d0d001'");
        database_->query("reset role");
        syn::pg::Result phase = database_->query(
            "select status from syn.execution_phases where execution_id = 'exec-d0d0d0d0d001'");
        std::string status(phase.text(0, 0));
        database_->query("rollback to savepoint api_cancel");
        CPPUNIT_ASSERT_EQUAL(std::string("cancelled"), status);
    }

    void testApiCanRecordCancelRequest() {
        CPPUNIT_ASSERT_EQUAL(std::string(),
                             run("syn_api",
                                 "update syn.executions set cancel_requested_at = now(),"
                                 " control_reason = 'check', updated_at = now()"
                                 " where id = 'exec-d0d0d0d0d001'"));
    }

    void testApiCannotChangeExecutionRequest() {
        for (const char* column : {"task", "inputs", "repos", "workflow_id", "completed_phases",
                                   "attempts", "started_at"}) {
            std::string sql = std::string("update syn.executions set ") + column + " = " + column +
                              " where id = 'exec-d0d0d0d0d001'";
            CPPUNIT_ASSERT_EQUAL_MESSAGE(std::string("syn_api updating ") + column,
                                         std::string(kPermissionDenied), run("syn_api", sql));
        }
    }

    void testApiCanCreateExecution() {
        CPPUNIT_ASSERT_EQUAL(std::string(),
                             run("syn_api",
                                 "insert into syn.executions (id, workflow_id, total_phases)"
                                 " values ('exec-d0d0d0d0d002', 'deploy-roles-workflow', 1)"));
        CPPUNIT_ASSERT_EQUAL(std::string(),
                             run("syn_api",
                                 "insert into syn.execution_events (execution_id, actor, event)"
                                 " values ('exec-d0d0d0d0d001', 'api', 'created')"));
    }

    void testApiAndRunnerCannotDelete() {
        for (const char* role : {"syn_api", "syn_runner"}) {
            for (const std::string& table : tables()) {
                CPPUNIT_ASSERT_EQUAL_MESSAGE(std::string(role) + " deleting from " + table,
                                             std::string(kPermissionDenied),
                                             run(role, "delete from " + table));
            }
        }
    }

    void testRunnerCanRecordPhaseResult() {
        CPPUNIT_ASSERT_EQUAL(std::string(),
                             run("syn_runner",
                                 "update syn.execution_phases set status = 'completed',"
                                 " output = 'done', exit_code = 0, started_at = now(),"
                                 " completed_at = now(), runs = 1"
                                 " where execution_id = 'exec-d0d0d0d0d001'"));
    }

    void testRunnerCannotCreateExecution() {
        CPPUNIT_ASSERT_EQUAL(std::string(kPermissionDenied),
                             run("syn_runner",
                                 "insert into syn.executions (id, workflow_id, total_phases)"
                                 " values ('exec-d0d0d0d0d003', 'deploy-roles-workflow', 1)"));
    }

    void testRunnerCannotChangeWorkflows() {
        CPPUNIT_ASSERT_EQUAL(std::string(kPermissionDenied),
                             run("syn_runner", "update syn.workflows set name = name"));
        CPPUNIT_ASSERT_EQUAL(
            std::string(kPermissionDenied),
            run("syn_runner", "update syn.execution_phases set prompt_template = ''"));
    }

    void testReadonlyCannotWriteAnyTable() {
        for (const std::string& table : tables()) {
            std::string column = firstColumn(table);
            CPPUNIT_ASSERT_EQUAL_MESSAGE(
                "syn_readonly inserting into " + table, std::string(kPermissionDenied),
                run("syn_readonly", "insert into " + table + " default values"));
            CPPUNIT_ASSERT_EQUAL_MESSAGE(
                "syn_readonly updating " + table, std::string(kPermissionDenied),
                run("syn_readonly", "update " + table + " set " + column + " = " + column));
            CPPUNIT_ASSERT_EQUAL_MESSAGE("syn_readonly deleting from " + table,
                                         std::string(kPermissionDenied),
                                         run("syn_readonly", "delete from " + table));
            CPPUNIT_ASSERT_EQUAL_MESSAGE("syn_readonly truncating " + table,
                                         std::string(kPermissionDenied),
                                         run("syn_readonly", "truncate " + table));
        }
    }

    void testReadonlyCanReadEveryRelation() {
        syn::pg::Result relations = database_->query(
            "select format('%I.%I', table_schema, table_name) from information_schema.tables"
            " where table_schema = 'syn' order by 1");
        CPPUNIT_ASSERT(relations.rows() >= 10);
        for (int row = 0; row < relations.rows(); ++row) {
            std::string relation(relations.text(row, 0));
            CPPUNIT_ASSERT_EQUAL_MESSAGE("syn_readonly reading " + relation, std::string(),
                                         run("syn_readonly", "select * from " + relation));
        }
    }

  private:
    // Runs `sql` as `role` inside a savepoint that is always rolled back.
    // Returns the SQLSTATE of the error, or "" when the statement succeeded.
    std::string run(const std::string& role, const std::string& sql) {
        database_->query("savepoint role_check");
        std::string sqlstate;
        try {
            database_->query("set local role " + role);
            database_->query(sql);
        } catch (const syn::pg::Error& error) {
            sqlstate = error.sqlstate();
        }
        database_->query("rollback to savepoint role_check");
        return sqlstate;
    }

    // Base tables of schema syn, including those later migrations add.
    std::vector<std::string> tables() {
        syn::pg::Result result = database_->query(
            "select format('%I.%I', table_schema, table_name) from information_schema.tables"
            " where table_schema = 'syn' and table_type = 'BASE TABLE' order by 1");
        std::vector<std::string> names;
        for (int row = 0; row < result.rows(); ++row) {
            names.emplace_back(result.text(row, 0));
        }
        CPPUNIT_ASSERT(names.size() >= 6);
        return names;
    }

    // First column that an UPDATE may name: identity columns reject any value
    // before privileges are checked.
    std::string firstColumn(const std::string& table) {
        syn::pg::Result result = database_->query(
            "select quote_ident(attname) from pg_attribute where attrelid = $1::regclass"
            " and attnum > 0 and not attisdropped and attidentity = '' and attgenerated = ''"
            " order by attnum limit 1",
            {table});
        return std::string(result.text(0, 0));
    }

    std::unique_ptr<syn::test::TestDatabase> database_;
};

CPPUNIT_TEST_SUITE_NAMED_REGISTRATION(DeployRolesTest, "deploy_roles");
