// Direct access to the stack's PostgreSQL, to check what the API stored and
// to set up rows the API cannot create (ambiguous ids, archived workflows).
#pragma once

#include <syn/pg.h>

#include <string>
#include <vector>

namespace syn::test {

class TestDatabase {
  public:
    // Connects to SYN_DATABASE_URL.
    TestDatabase();

    pg::Connection& connection() { return connection_; }

    pg::Result query(const std::string& sql, const std::vector<pg::Param>& params = {});
    // Returns the first column of the single row that `sql` returns as an integer.
    long long scalar(const std::string& sql, const std::vector<pg::Param>& params = {});

    // Row counts of every table the API writes, to prove a request changed nothing.
    struct Snapshot {
        long long workflows, workflowInputs, workflowPhases, executions, executionPhases, events;
        bool operator==(const Snapshot&) const = default;
        std::string describe() const;
    };
    Snapshot snapshot();

  private:
    pg::Connection connection_;
};

}  // namespace syn::test
