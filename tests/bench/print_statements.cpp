// Prints the SQL the hot endpoints and the runner prepare, one statement per
// file, so that scripts/bench can run exactly that text under pgbench.
//
// Usage: syn_bench_statements DIRECTORY
// Writes DIRECTORY/<name>.sql for execute_workflow, create_execution,
// find_execution, active_executions, claim_executions, start_phase and
// complete_phase, with $N parameters as written.
#include <fstream>
#include <iostream>
#include <string>

#include "statements.h"
#include "syn/runner_statements.h"

namespace {

bool writeStatement(const std::string& directory, const std::string& name, const std::string& sql) {
    std::ofstream out(directory + "/" + name + ".sql");
    out << sql << ";\n";
    return static_cast<bool>(out);
}

}  // namespace

int main(int argc, char** argv) {
    if (argc != 2) {
        std::cerr << "usage: syn_bench_statements DIRECTORY\n";
        return 2;
    }
    const std::string directory = argv[1];
    bool written =
        writeStatement(directory, "execute_workflow", syn::fcgi::kExecuteWorkflowSql) &&
        writeStatement(directory, "create_execution", syn::fcgi::kCreateExecutionSql) &&
        writeStatement(directory, "find_execution", syn::fcgi::findExecutionSql()) &&
        writeStatement(directory, "active_executions", syn::fcgi::activeExecutionsSql()) &&
        writeStatement(directory, "claim_executions", syn::kClaimSql) &&
        writeStatement(directory, "start_phase", syn::kStartPhaseSql) &&
        writeStatement(directory, "complete_phase", syn::kCompletePhaseSql);
    if (!written) {
        std::cerr << "syn_bench_statements: cannot write into " << directory << "\n";
        return 1;
    }
    return 0;
}
