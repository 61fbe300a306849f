#include "syn/migrations.h"

#include <algorithm>
#include <cstdio>
#include <map>

namespace syn::migrations {

namespace {

// Key of the session advisory lock that serialises migration runs: the bytes
// of "synmigr" read as a big-endian integer, chosen to stay clear of other keys.
constexpr const char* kLockKey = "32503137510713202";

constexpr const char* kCreateHistoryTable = R"sql(
create schema if not exists syn;

create table if not exists syn.schema_migrations (
    version     integer not null,
    name        text not null,
    checksum    text not null,
    applied_at  timestamptz not null default now(),

    constraint schema_migrations_pkey primary key (version),
    constraint schema_migration_version_positive check (version > 0),
    constraint schema_migration_checksum_format check (checksum ~ '^[0-9a-f]{64}$')
);

comment on table syn.schema_migrations is 'Migrations applied by synctl db migrate, one row per sql/NNN_name.sql file.';
comment on column syn.schema_migrations.version is 'The NNN of the file name.';
comment on column syn.schema_migrations.name is 'The file name between NNN_ and .sql.';
comment on column syn.schema_migrations.checksum is 'SHA-256 of the file as applied, lower-case hex; released files never change.';
comment on column syn.schema_migrations.applied_at is 'When the migration committed.';
)sql";

std::string shortChecksum(const std::string& checksum) {
    return checksum.substr(0, 12);
}

}  // namespace

std::string label(int version, const std::string& name) {
    char digits[16];
    std::snprintf(digits, sizeof digits, "%03d", version);
    return std::string(digits) + "_" + name;
}

Plan plan(const std::vector<Migration>& known, const std::vector<AppliedMigration>& applied) {
    Plan result;
    std::map<int, const AppliedMigration*> appliedByVersion;
    int highestApplied = 0;
    for (const AppliedMigration& row : applied) {
        appliedByVersion[row.version] = &row;
        highestApplied = std::max(highestApplied, row.version);
    }
    int highestKnown = known.empty() ? 0 : known.back().version;
    std::string newestKnown =
        known.empty() ? "none" : label(known.back().version, known.back().name);

    for (const AppliedMigration& row : applied) {
        auto match = std::find_if(known.begin(), known.end(),
                                  [&](const Migration& m) { return m.version == row.version; });
        if (match == known.end()) {
            std::string relation = row.version > highestKnown ? "newer than" : "missing from";
            result.errors.push_back("Database has migration " + label(row.version, row.name) +
                                    ", " + relation + " this synctl (newest known: " + newestKnown +
                                    "); use a synctl built from the same sources.");
        } else if (match->checksum != row.checksum) {
            result.errors.push_back(
                "Migration " + label(row.version, row.name) + " was applied with checksum " +
                shortChecksum(row.checksum) + " but this synctl contains " +
                shortChecksum(match->checksum) +
                "; a released migration was edited, restore it and add a new migration instead.");
        }
    }

    for (const Migration& migration : known) {
        if (appliedByVersion.count(migration.version) != 0) {
            continue;
        }
        if (migration.version < highestApplied) {
            const AppliedMigration* newest = appliedByVersion[highestApplied];
            result.errors.push_back("Migration " + label(migration.version, migration.name) +
                                    " is pending but the later " +
                                    label(newest->version, newest->name) +
                                    " is already applied; renumber it above " +
                                    label(newest->version, newest->name) + ".");
            continue;
        }
        result.pending.push_back(migration);
    }
    return result;
}

Migrator::Migrator(pg::Connection& connection, const std::vector<Migration>& known)
    : connection_(connection), known_(known), logger_(Poco::Logger::get("syn.migrations")) {}

std::vector<AppliedMigration> Migrator::readApplied() {
    pg::Result exists =
        connection_.execute("select to_regclass('syn.schema_migrations') is not null");
    std::vector<AppliedMigration> applied;
    if (!exists.boolean(0, 0)) {
        return applied;
    }

    pg::Result rows = connection_.execute(
        "select version, name, checksum, applied_at::text from syn.schema_migrations"
        " order by version");
    for (int row = 0; row < rows.rows(); ++row) {
        applied.push_back({static_cast<int>(rows.integer(row, 0)), std::string(rows.text(row, 1)),
                           std::string(rows.text(row, 2)), std::string(rows.text(row, 3))});
    }
    return applied;
}

std::vector<Migration> Migrator::migrate() {
    // Keeps "already exists, skipping" notices of idempotent DDL off stderr.
    connection_.execute("set client_min_messages = warning");
    lock();
    std::vector<Migration> appliedNow;
    try {
        createHistoryTable();
        Plan pending = plan(known_, readApplied());
        if (!pending.errors.empty()) {
            std::string message = "No migration was applied:";
            for (const std::string& error : pending.errors) {
                message += "\n  " + error;
            }
            throw MigrationError(message);
        }
        for (const Migration& migration : pending.pending) {
            apply(migration);
            appliedNow.push_back(migration);
        }
    } catch (...) {
        unlock();
        throw;
    }
    unlock();
    return appliedNow;
}

void Migrator::lock() {
    pg::Result taken = connection_.execute("select pg_try_advisory_lock($1::bigint)", {kLockKey});
    if (taken.boolean(0, 0)) {
        return;
    }
    logger_.information("Waiting for another synctl db migrate to finish");
    connection_.execute("select pg_advisory_lock($1::bigint)", {kLockKey});
}

void Migrator::unlock() {
    // A failed unlock is harmless: the server releases the lock when the
    // session ends, which synctl does right after.
    try {
        connection_.execute("select pg_advisory_unlock($1::bigint)", {kLockKey});
    } catch (const pg::Error& error) {
        logger_.warning(std::string("Releasing the migration lock failed: ") + error.what());
    }
}

void Migrator::createHistoryTable() {
    connection_.executeScript(kCreateHistoryTable);
}

void Migrator::apply(const Migration& migration) {
    std::string name = label(migration.version, migration.name);
    logger_.information("Applying migration " + name);

    // NOTE: a script that contains its own begin/commit ends this transaction
    // early, so migration files must not use transaction control statements.
    connection_.execute("begin");
    try {
        connection_.executeScript(migration.sql);
        connection_.execute(
            "insert into syn.schema_migrations (version, name, checksum) values ($1, $2, $3)",
            {std::to_string(migration.version), migration.name, migration.checksum});
        connection_.execute("commit");
    } catch (const pg::Error& error) {
        try {
            connection_.execute("rollback");
        } catch (const pg::Error&) {
            // The connection is gone; the server has rolled back already.
        }
        throw pg::Error("Migration " + name + " failed and was rolled back: " + error.what(),
                        error.sqlstate());
    }
    logger_.information("Applied migration " + name);
}

}  // namespace syn::migrations
