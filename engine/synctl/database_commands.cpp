#include <iomanip>
#include <iostream>

#include "commands.h"
#include "syn/migrations.h"
#include "syn/pg.h"

namespace syn::synctl {

namespace {

int migrate(const std::string& databaseUrl) {
    pg::Connection connection(databaseUrl);
    migrations::Migrator migrator(connection, migrations::embedded());
    // The migrator logs each migration on stderr as it commits.
    std::vector<migrations::Migration> applied = migrator.migrate();
    const migrations::Migration& newest = migrations::embedded().back();
    std::cout << "Applied " << applied.size() << " migration" << (applied.size() == 1 ? "" : "s")
              << "; the database is at " << migrations::label(newest.version, newest.name) << "\n";
    return kExitOk;
}

// Prints one line per migration, known or applied, then the plan's errors.
// Exits 1 when there are errors, so that scripts can test the result.
int status(const std::string& databaseUrl) {
    pg::Connection connection(databaseUrl);
    const std::vector<migrations::Migration>& known = migrations::embedded();
    migrations::Migrator migrator(connection, known);
    std::vector<migrations::AppliedMigration> applied = migrator.readApplied();
    migrations::Plan plan = migrations::plan(known, applied);

    for (const migrations::AppliedMigration& row : applied) {
        std::cout << std::left << std::setw(32) << migrations::label(row.version, row.name)
                  << "  applied " << row.appliedAt << "\n";
    }
    for (const migrations::Migration& migration : plan.pending) {
        std::cout << std::left << std::setw(32)
                  << migrations::label(migration.version, migration.name) << "  pending\n";
    }
    for (const std::string& error : plan.errors) {
        std::cerr << "synctl: " << error << "\n";
    }
    return plan.errors.empty() ? kExitOk : kExitFailure;
}

}  // namespace

int runDatabaseCommand(const std::vector<std::string>& arguments, const DatabaseUrl& databaseUrl) {
    const std::string usage = "synctl db migrate | synctl db status";
    if (arguments.empty()) {
        throw UsageError("missing db command; usage: " + usage);
    }
    std::vector<std::string> rest(arguments.begin() + 1, arguments.end());
    if (arguments[0] == "migrate") {
        expectArguments(rest, 0, "synctl db migrate");
        return migrate(databaseUrl());
    }
    if (arguments[0] == "status") {
        expectArguments(rest, 0, "synctl db status");
        return status(databaseUrl());
    }
    throw UsageError("unknown db command '" + arguments[0] + "'; usage: " + usage);
}

}  // namespace syn::synctl
