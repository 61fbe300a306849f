# The runner half of scripts/bench: dispatch latency from the execute call to
# the phase's start, and executions completed per second against the rate at
# which this machine can start the same agent and the rate at which pgbench
# runs the runner's own SQL. Expects the variables and helpers of
# scripts/bench (BUILD_DIR, BENCH_DIR, API_PORT, SYN_DATABASE_URL, say, ratio).

RUNNER_PID=
DISPATCH_COUNT=${SYN_BENCH_DISPATCH_COUNT:-200}
THROUGHPUT_COUNT=${SYN_BENCH_THROUGHPUT_COUNT:-1000}
RUNNER_SLOTS=${SYN_BENCH_RUNNER_SLOTS:-8}
# The trivial agent: reads nothing, prints nothing, exits 0.
TRIVIAL_AGENT=${SYN_BENCH_AGENT:-true}

bench_runner_cleanup() {
    stop_bench_runner
}

# Starts one runner with RUNNER_SLOTS slots; extra VAR=value arguments are
# added to its environment.
start_bench_runner() {
    mkdir -p "$BENCH_DIR/workspaces"
    env "$@" SYN_DATABASE_URL="$SYN_DATABASE_URL" \
        SYN_RUNNER_WORKSPACE_ROOT="$BENCH_DIR/workspaces" \
        SYN_RUNNER_SLOTS="$RUNNER_SLOTS" \
        SYN_RUNNER_AGENT_COMMAND="[\"$TRIVIAL_AGENT\"]" \
        SYN_WORKSPACE_KEEP_COMPLETED_DAYS=0 \
        "$BUILD_DIR/engine/runner/syn-runner" >>"$BENCH_DIR/runner.log" 2>&1 &
    RUNNER_PID=$!
    sleep 1
    kill -0 "$RUNNER_PID" 2>/dev/null || {
        say "syn-runner exited at start: see $BENCH_DIR/runner.log"
        exit 1
    }
}

stop_bench_runner() {
    [[ -n $RUNNER_PID ]] || return 0
    kill "$RUNNER_PID" 2>/dev/null || true
    wait "$RUNNER_PID" 2>/dev/null || true
    RUNNER_PID=
}

sql_value() {
    psql -X -q -t -A -d "$SYN_DATABASE_URL" -c "$1"
}

# Waits until no execution with this task is pending or running. One psql
# session runs every check, because starting psql and a server backend ten
# times a second took about 6% of this machine's CPU away from the runner
# under measurement (perf record -a, 2 cores).
wait_until_done() {
    local task=$1 pending
    coproc WAIT_PSQL { psql -X -q -t -A -v ON_ERROR_STOP=1 -d "$SYN_DATABASE_URL"; }
    for _ in $(seq 1 1200); do
        echo "select count(*) from syn.executions
              where task = '$task' and status in ('pending', 'running');" >&"${WAIT_PSQL[1]}"
        read -r pending <&"${WAIT_PSQL[0]}" || break
        if [[ $pending == 0 ]]; then
            close_wait_session
            return 0
        fi
        # psql writes nothing more, so this read is a 100 ms sleep without a process.
        read -r -t 0.1 -u "${WAIT_PSQL[0]}" || true
    done
    close_wait_session
    say "executions with task $task did not finish within 120 s"
    exit 1
}

close_wait_session() {
    local pid=$WAIT_PSQL_PID input=${WAIT_PSQL[1]}
    eval "exec $input>&-"
    wait "$pid" 2>/dev/null || true
}

# Sends DISPATCH_COUNT execute calls one after another (syn_bench_dispatch),
# spaced so that none waits for a busy slot, and prints "p50_ms p99_ms" of the time from each
# response's arrival (this host's clock) to its phase's started_at (the
# database's clock on this same host).
measure_dispatch() {
    local task=$1
    local arrivals=$BENCH_DIR/arrivals-$task
    "$BUILD_DIR/tests/syn_bench_dispatch" 127.0.0.1 "$API_PORT" bench-one-phase \
        "$DISPATCH_COUNT" "$task" >"$arrivals"
    wait_until_done "$task"
    psql -X -q -t -A -d "$SYN_DATABASE_URL" <<SQL | tr '|' ' '
create temporary table arrivals (execution_id text, arrived double precision);
\\copy arrivals from '$arrivals' with (delimiter ' ')
select round(percentile_cont(0.5) within group (order by ms)::numeric, 2),
       round(percentile_cont(0.99) within group (order by ms)::numeric, 2)
from (select (extract(epoch from p.started_at) - a.arrived) * 1000 as ms
      from arrivals a
      join syn.executions e on e.id = a.execution_id
      join syn.execution_phases p on p.execution_id = e.id
      where e.status = 'completed') latencies;
SQL
}

# Prints the CPU time of process $1 and of its children it reaped, in ms.
process_cpu_ms() {
    awk -v hz="$(getconf CLK_TCK)" '{ printf "%.0f", ($14 + $15 + $16 + $17) * 1000 / hz }' \
        "/proc/$1/stat"
}

# Queues THROUGHPUT_COUNT one-phase executions with the API's own SQL while
# no runner runs, then starts one runner. Prints the executions completed per
# second from the first claim to the last completion. Then prints two CPU
# times per execution in ms: of the PostgreSQL backends that exited meanwhile
# (the runner's connections and any autovacuum worker), and of the runner
# with its agents.
measure_throughput() {
    local task=throughput-$RANDOM
    local sql=$BENCH_DIR/sql
    local postmaster postgres_before runner_ms
    postmaster=$(head -1 "$SYN_STACK_DIR/pgdata/postmaster.pid")
    (cd "$BENCH_DIR" && pgbench -n -M prepared -c 4 -j 2 -t $((THROUGHPUT_COUNT / 4)) \
        -D p1=bench-one-phase -D "p3=$task" -D "p4={\"task\": \"$task\"}" -D 'p5={}' \
        -f "$sql/execute.pgbench" "$SYN_DATABASE_URL" >/dev/null)
    # The backends that queued the executions count once the postmaster reaps them.
    sleep 0.5
    postgres_before=$(process_cpu_ms "$postmaster")
    start_bench_runner
    wait_until_done "$task"
    runner_ms=$(process_cpu_ms "$RUNNER_PID")
    stop_bench_runner
    # The postmaster adds a backend's CPU time to its own once it reaps it.
    sleep 0.5
    local completed postgres_ms
    completed=$(sql_value "select round(count(*) /
                   extract(epoch from max(completed_at) - min(started_at)))
               from syn.executions where task = '$task' and status = 'completed'")
    postgres_ms=$(($(process_cpu_ms "$postmaster") - postgres_before))
    awk -v rate="$completed" -v postgres="$postgres_ms" -v runner="$runner_ms" \
        -v count="$THROUGHPUT_COUNT" \
        'BEGIN { printf "%s %.2f %.2f\n", rate, postgres / count, runner / count }'
}

# Writes $BENCH_DIR/sql/runner_cycle.pgbench: the runner's claim, phase start
# and phase end as syn_bench_statements printed them, for one execution of
# one phase per pgbench transaction, with no agent between them.
write_runner_cycle_script() {
    local sql=$BENCH_DIR/sql claim
    # \gset keeps the claimed id, lease token and phase for the two later
    # statements; it needs column names of its own.
    claim=$(sed -E -e 's/\$1\b/'"'bench-sql'"'/g' -e 's/\$2\b/30/g' -e "s/\\\$3\\b/'{}'/g" \
        -e 's/\$4\b/'"'bench-sql'"'/g' -e 's/\$5\b/1/g' \
        -e 's/select c\.id, c\.lease_token,/select c.id as claimed_id, c.lease_token as token,/' \
        -e 's/p\.phase_id, p\.position/p.phase_id as claimed_phase, p.position/' \
        -e 's/;$/ \\gset/' "$sql/claim_executions.sql")
    if ! grep -q 'claimed_id' <<<"$claim" || ! grep -q 'claimed_phase' <<<"$claim"; then
        say "the claim's column list changed; update write_runner_cycle_script"
        exit 1
    fi
    {
        echo "$claim"
        sed -E -e 's/\$1\b/:claimed_id/g' -e 's/\$2\b/:token/g' -e 's/\$3\b/:claimed_phase/g' \
            -e "s/\\\$4\\b/'the prompt'/g" -e "s/\\\$5\\b/'bench-sql'/g" "$sql/start_phase.sql"
        sed -E -e 's/\$1\b/:claimed_id/g' -e 's/\$2\b/:token/g' -e 's/\$3\b/:claimed_phase/g' \
            -e "s/\\\$4\\b/''/g" -e 's/\$5\b/false/g' -e 's/\$6\b/0/g' \
            -e "s/\\\$7\\b/'bench-sql'/g" -e 's/\$8\b/true/g' \
            -e "s/\\\$9\\b/'{\"exit_code\": 0}'/g" "$sql/complete_phase.sql"
    } >"$sql/runner_cycle.pgbench"
}

# Queues THROUGHPUT_COUNT one-phase executions and works them off with
# pgbench running the runner's SQL on RUNNER_SLOTS connections. Prints the
# executions per second and the CPU time of PostgreSQL per execution in ms.
measure_runner_sql() {
    local task=runner-sql-$RANDOM
    local sql=$BENCH_DIR/sql
    local postmaster before output rate
    postmaster=$(head -1 "$SYN_STACK_DIR/pgdata/postmaster.pid")
    (cd "$BENCH_DIR" && pgbench -n -M prepared -c 4 -j 2 -t $((THROUGHPUT_COUNT / 4)) \
        -D p1=bench-one-phase -D "p3=$task" -D "p4={\"task\": \"$task\"}" -D 'p5={}' \
        -f "$sql/execute.pgbench" "$SYN_DATABASE_URL" >/dev/null)
    sleep 0.5
    before=$(process_cpu_ms "$postmaster")
    output=$(cd "$BENCH_DIR" && pgbench -n -M prepared -c "$RUNNER_SLOTS" -j 2 \
        -t $((THROUGHPUT_COUNT / RUNNER_SLOTS)) -f "$sql/runner_cycle.pgbench" \
        "$SYN_DATABASE_URL" 2>&1) || {
        say "pgbench of the runner's SQL failed: $output"
        exit 1
    }
    sleep 0.5
    rate=$(echo "$output" | awk '/^tps = / { printf "%.0f", $3; exit }')
    awk -v rate="$rate" -v spent=$(($(process_cpu_ms "$postmaster") - before)) \
        -v count=$((THROUGHPUT_COUNT / RUNNER_SLOTS * RUNNER_SLOTS)) \
        'BEGIN { printf "%s %.2f\n", rate, spent / count }'
}

# Deletes the executions the API benchmark left pending (tens of thousands),
# so that the runner measures only the executions queued below instead of
# working through those first.
clear_pending_executions() {
    sql_value "delete from syn.executions where status = 'pending'" >/dev/null
    sql_value "vacuum analyze syn.executions" >/dev/null
}

# Prints the executions per second that CPU time $1 (ms per execution, an awk
# expression) allows on this machine's cores, divided by the rate $2.
runner_ceiling() {
    awk -v cores="$(nproc)" -v against="$2" "BEGIN {
        ms = $1
        printf \"%.2f\", (ms > 0 && against > 0 ? cores * 1000 / ms / against : 0)
    }"
}

bench_runner() {
    say "measuring the runner"
    stop_bench_runner
    clear_pending_executions
    start_bench_runner
    local notified
    notified=$(measure_dispatch dispatch-notify)
    stop_bench_runner

    start_bench_runner SYN_RUNNER_NOTIFICATIONS=false
    local polled poll_interval
    polled=$(measure_dispatch dispatch-poll)
    stop_bench_runner
    poll_interval=${SYN_RUNNER_POLL_INTERVAL_MS:-2000}

    local throughput completed spawn spawned spawn_cpu
    throughput=$(measure_throughput)
    completed=${throughput%% *}
    spawn=$("$BUILD_DIR/tests/syn_bench_spawn_rate" "$RUNNER_SLOTS" "$THROUGHPUT_COUNT" \
        "$TRIVIAL_AGENT")
    spawned=$(awk '/^SYN_SPAWN_RATE/ { print $2 }' <<<"$spawn")
    spawn_cpu=$(awk '/^SYN_SPAWN_CPU/ { print $2 }' <<<"$spawn")
    local postgres_cpu runner_cpu
    read -r _ postgres_cpu runner_cpu <<<"$throughput"
    write_runner_cycle_script
    local runner_sql sql_rate sql_postgres_cpu
    runner_sql=$(measure_runner_sql)
    read -r sql_rate sql_postgres_cpu <<<"$runner_sql"

    echo
    echo "Runner benchmark: agent '$TRIVIAL_AGENT', one runner of $RUNNER_SLOTS slots"
    printf '%-52s %9s %9s\n' "dispatch, execute to phase start" "p50 ms" "p99 ms"
    printf '%-52s %9s %9s\n' "  with notifications ($DISPATCH_COUNT executions)" $notified
    printf '%-52s %9s %9s\n' "  polling alone, every ${poll_interval} ms" $polled
    printf '%-52s %9s\n' "one-phase executions completed per second" "$completed"
    printf '%-52s %9s\n' "agent starts per second, same agent, $RUNNER_SLOTS at once" "$spawned"
    printf '%-52s %9s\n' "pgbench: the runner's claim, phase start, phase end" "$sql_rate"
    printf '%-52s\n' "  (executions per second, $RUNNER_SLOTS clients, no agent)"
    echo "CPU time per execution, ms (what limits the rate on a busy machine):"
    printf '%-52s %9s\n' "  PostgreSQL backends" "$postgres_cpu"
    printf '%-52s %9s\n' "  PostgreSQL backends, the runner's SQL under pgbench" "$sql_postgres_cpu"
    printf '%-52s %9s\n' "  syn-runner with its agents" "$runner_cpu"
    printf '%-52s %9.2f\n' "  syn_bench_spawn_rate with its agents, per start" "$spawn_cpu"
    echo
    echo "ratios (target in brackets):"
    echo "  dispatch with notifications p50 / p99   ${notified% *} / ${notified#* } ms" \
        " [<= 5 / <= 50 ms]"
    echo "  completed / spawn rate                  $(ratio "$completed" "$spawned")  [>= 0.5]"
    echo "  runner's SQL under pgbench / spawn rate $(ratio "$sql_rate" "$spawned")"
    echo
    echo "ceilings: completed / spawn rate if the CPU time per execution were only"
    echo "  PostgreSQL's plus one start by syn_bench_spawn_rate  $(runner_ceiling \
        "$postgres_cpu + $spawn_cpu" "$spawned")"
    echo "  the same, PostgreSQL's as under pgbench              $(runner_ceiling \
        "$sql_postgres_cpu + $spawn_cpu" "$spawned")"
    echo "  syn-runner's with its agents (PostgreSQL free)       $(runner_ceiling \
        "$runner_cpu" "$spawned")"
}
