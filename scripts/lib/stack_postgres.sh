# The stack's private PostgreSQL: initdb on first use, unix socket only.

pg_bin_dir() {
    if [[ -n ${SYN_PG_BIN:-} ]]; then
        echo "$SYN_PG_BIN"
        return
    fi
    local dir
    dir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
    [[ -n $dir ]] || die "no PostgreSQL server binaries under /usr/lib/postgresql:" \
        "install the postgresql package or set SYN_PG_BIN"
    echo "$dir"
}

postgres_init() {
    [[ -f $PG_DATA/PG_VERSION ]] && return 0

    local bin
    bin=$(pg_bin_dir)
    log "initializing PostgreSQL in $PG_DATA"
    "${AS_SERVICE_USER[@]}" "$bin/initdb" -D "$PG_DATA" -U "$DATABASE_ROLE" -A trust -E UTF8 \
        --no-locale >"$STATE_DIR/initdb.log" 2>&1 ||
        die "initdb failed: see $STATE_DIR/initdb.log"

    # Only the unix socket in the state directory, so nothing else on the
    # machine can reach this server and several stacks can coexist. fsync and
    # synchronous_commit keep their defaults: the tests check that a 200
    # means the rows are durable, which a server that skips flushes would not
    # prove.
    cat >>"$PG_DATA/postgresql.conf" <<CONF

# Added by scripts/stack.
listen_addresses = ''
unix_socket_directories = '$RUN_DIR'
max_connections = 200
shared_buffers = 128MB
timezone = 'UTC'
log_timezone = 'UTC'
log_line_prefix = '%m [%p] %q%u@%d '
log_min_duration_statement = 1000
CONF
}

postgres_start() {
    if live_pid postgres >/dev/null; then
        return 0
    fi
    postgres_init

    local bin
    bin=$(pg_bin_dir)
    "${AS_SERVICE_USER[@]}" "$bin/pg_ctl" -D "$PG_DATA" -l "$STATE_DIR/postgres.log" -w -t 60 \
        start >/dev/null || die "PostgreSQL did not start: see $STATE_DIR/postgres.log"
    log "PostgreSQL running on $RUN_DIR"
}

postgres_stop() {
    live_pid postgres >/dev/null || return 0
    local bin
    bin=$(pg_bin_dir)
    # Fast mode ends open sessions (the pool's connections) instead of
    # waiting for them to disconnect.
    "${AS_SERVICE_USER[@]}" "$bin/pg_ctl" -D "$PG_DATA" -m fast -w -t 60 stop >/dev/null ||
        die "PostgreSQL did not stop: see $STATE_DIR/postgres.log"
    log "PostgreSQL stopped"
}

postgres_create_database() {
    local bin exists
    bin=$(pg_bin_dir)
    exists=$("$bin/psql" -h "$RUN_DIR" -U "$DATABASE_ROLE" -d postgres -XtAc \
        "select 1 from pg_database where datname = '$DATABASE_NAME'")
    if [[ $exists != 1 ]]; then
        "$bin/createdb" -h "$RUN_DIR" -U "$DATABASE_ROLE" "$DATABASE_NAME"
        log "created database $DATABASE_NAME"
    fi
}

migrate_database() {
    local synctl=$BUILD_DIR/engine/synctl/synctl
    require_binary "$synctl"
    (cd "$REPO_DIR" && "$synctl" db migrate --database "$(database_url)") \
        >>"$STATE_DIR/migrate.log" 2>&1 ||
        die "synctl db migrate failed: see $STATE_DIR/migrate.log"
}
