// The SQL of the runner's path through one execution, declared in one place
// so that the benchmark can run the very same text under pgbench. Each is
// defined next to the code that prepares it.
#pragma once

namespace syn {

// Claims up to $5 pending executions: $1 runner id, $2 lease seconds, $3
// workflow ids to take (empty array for all), $4 actor for the event log.
// One row per phase of each claimed execution.
extern const char* const kClaimSql;

// Marks phase $3 of execution $1 running under lease token $2 with prompt $4;
// $5 actor. Returns the control flags read under the execution's row lock.
extern const char* const kStartPhaseSql;

// Completes phase $3 of execution $1 under lease token $2: $4 output, $5
// truncated, $6 exit code, $7 actor, $8 true when it was the last phase (the
// execution completes too), $9 event detail (jsonb).
extern const char* const kCompletePhaseSql;

}  // namespace syn
