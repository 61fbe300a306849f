#include "support/test_database.h"

#include <stdexcept>

#include "support/environment.h"

namespace syn::test {

TestDatabase::TestDatabase() : connection_(databaseUrl()) {}

pg::Result TestDatabase::query(const std::string& sql, const std::vector<pg::Param>& params) {
    return connection_.execute(sql, params);
}

long long TestDatabase::scalar(const std::string& sql, const std::vector<pg::Param>& params) {
    pg::Result result = connection_.execute(sql, params);
    if (result.rows() != 1) {
        throw std::runtime_error("expected one row, got " + std::to_string(result.rows()) +
                                 " from: " + sql);
    }
    return result.integer(0, 0);
}

TestDatabase::Snapshot TestDatabase::snapshot() {
    pg::Result result = connection_.execute(
        "select (select count(*) from syn.workflows), (select count(*) from syn.workflow_inputs),"
        " (select count(*) from syn.workflow_phases), (select count(*) from syn.executions),"
        " (select count(*) from syn.execution_phases),"
        " (select count(*) from syn.execution_events)");
    return Snapshot{result.integer(0, 0), result.integer(0, 1), result.integer(0, 2),
                    result.integer(0, 3), result.integer(0, 4), result.integer(0, 5)};
}

std::string TestDatabase::Snapshot::describe() const {
    return "workflows=" + std::to_string(workflows) +
           " workflow_inputs=" + std::to_string(workflowInputs) +
           " workflow_phases=" + std::to_string(workflowPhases) +
           " executions=" + std::to_string(executions) +
           " execution_phases=" + std::to_string(executionPhases) +
           " execution_events=" + std::to_string(events);
}

}  // namespace syn::test
