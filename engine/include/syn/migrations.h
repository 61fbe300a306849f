// Schema migrations: the numbered scripts sql/NNN_name.sql, compiled into the
// binary, applied in order and recorded in syn.schema_migrations.
#pragma once

#include <Poco/Logger.h>

#include <stdexcept>
#include <string>
#include <vector>

#include "syn/pg.h"

namespace syn::migrations {

// One script from sql/. `checksum` is the SHA-256 of the file, in lower-case hex.
struct Migration {
    int version;
    std::string name;
    std::string checksum;
    std::string sql;
};

// A row of syn.schema_migrations. `appliedAt` is the server's text form.
struct AppliedMigration {
    int version;
    std::string name;
    std::string checksum;
    std::string appliedAt;
};

// The migrations in sql/ when the binary was built, in ascending version.
// Defined in the source that engine/synctl/embed_migrations.cmake generates,
// so only binaries that link syn_embedded_migrations can call it.
const std::vector<Migration>& embedded();

// Formats a migration as the file name stem, such as "001_initial".
std::string label(int version, const std::string& name);

// The outcome of comparing binary and database: the pending migrations in
// order, and the errors, each naming the versions involved, that stop a run.
struct Plan {
    std::vector<Migration> pending;
    std::vector<std::string> errors;
};

// Compares the migrations a binary contains (`known`, ascending) with those a
// database has applied. Errors: an applied version the binary lacks (the
// database is newer), an applied checksum that differs from the file, and a
// pending version lower than the highest applied one.
Plan plan(const std::vector<Migration>& known, const std::vector<AppliedMigration>& applied);

// A migration run that must not proceed. The message names the versions and the reason.
class MigrationError : public std::runtime_error {
  public:
    using std::runtime_error::runtime_error;
};

class Migrator {
  public:
    Migrator(pg::Connection& connection, const std::vector<Migration>& known);

    // Reads syn.schema_migrations; empty when the table does not exist yet.
    std::vector<AppliedMigration> readApplied();

    // Applies every pending migration, each in its own transaction, while
    // holding a session advisory lock so that concurrent runs apply each
    // migration once. Returns the migrations applied by this call. Throws
    // MigrationError when plan() reports errors, pg::Error when a script fails.
    std::vector<Migration> migrate();

  private:
    void lock();
    void unlock();
    void createHistoryTable();
    void apply(const Migration& migration);

    pg::Connection& connection_;
    const std::vector<Migration>& known_;
    Poco::Logger& logger_;
};

}  // namespace syn::migrations
