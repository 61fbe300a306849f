# The stack's pool, nginx and runner: start in the background, stop by pid.

# Waits up to `seconds` for `condition` (a command) to succeed while the
# process `pid` lives.
wait_until() {
    local seconds=$1 pid=$2
    shift 2
    local waited=0
    until "$@"; do
        kill -0 "$pid" 2>/dev/null || return 1
        ((waited < seconds * 10)) || return 1
        sleep 0.1
        waited=$((waited + 1))
    done
}

fcgi_start() {
    if live_pid fcgi >/dev/null; then
        return 0
    fi
    local binary=$BUILD_DIR/fcgi/syn-fcgi
    require_binary "$binary"

    # A socket file left by a pool that was killed would make bind fail.
    rm -f "$FCGI_SOCKET"
    # The pool logs in as a member of syn_api (see stack_roles.sh).
    SYN_DATABASE_URL=$(api_database_url) "${AS_SERVICE_USER[@]}" setsid "$binary" \
        --listen "unix:$FCGI_SOCKET" --workers "${SYN_FCGI_WORKERS:-2}" \
        --threads "${SYN_FCGI_THREADS:-4}" </dev/null >>"$STATE_DIR/fcgi.log" 2>&1 &
    local pid=$!
    echo "$pid" >"$STATE_DIR/fcgi.pid"

    wait_until 15 "$pid" test -S "$FCGI_SOCKET" ||
        die "syn-fcgi did not create $FCGI_SOCKET: see $STATE_DIR/fcgi.log"
    log "syn-fcgi running (pid $pid) on $FCGI_SOCKET"
}

fcgi_stop() {
    # SIGTERM lets the workers finish the requests they are serving.
    stop_service fcgi TERM 20
    rm -f "$FCGI_SOCKET"
}

# True when some socket on the machine listens on TCP port $1.
port_in_use() {
    local hex
    hex=$(printf '%04X' "$1")
    awk -v port="$hex" 'NR > 1 { split($2, a, ":"); if (a[2] == port && $4 == "0A") found = 1 }
        END { exit !found }' /proc/net/tcp /proc/net/tcp6 2>/dev/null
}

render_nginx_config() {
    local port=$1
    local user_directive=
    if [[ -n $SERVICE_USER ]]; then
        user_directive="user $SERVICE_USER;"
    fi
    sed -e "s|@USER_DIRECTIVE@|$user_directive|" \
        -e "s|@STATE_DIR@|$STATE_DIR|g" \
        -e "s|@FCGI_SOCKET@|$FCGI_SOCKET|g" \
        -e "s|@PORT@|$port|g" \
        -e "s|@LOCATIONS@|$REPO_DIR/nginx/syn-locations.conf|g" \
        "$REPO_DIR/nginx/test-server.conf.in" >"$STATE_DIR/nginx.conf"
}

nginx_start() {
    if live_pid nginx >/dev/null; then
        return 0
    fi
    command -v nginx >/dev/null || die "nginx not found: install nginx-light"
    # Relative includes in the snippet resolve against the directory of
    # nginx.conf, as they would next to /etc/nginx/nginx.conf.
    cp /etc/nginx/fastcgi_params "$STATE_DIR/fastcgi_params" ||
        die "cannot copy /etc/nginx/fastcgi_params: reinstall nginx-light"

    # Another program can take the port between the check and the bind, so a
    # failed bind tries the next candidate.
    local attempt port
    for attempt in $(seq 1 20); do
        port=$((20000 + RANDOM % 40000))
        port_in_use "$port" && continue
        render_nginx_config "$port"
        if nginx -p "$STATE_DIR/" -c "$STATE_DIR/nginx.conf" 2>>"$STATE_DIR/nginx-error.log"; then
            echo "$port" >"$STATE_DIR/port"
            log "nginx running on 127.0.0.1:$port"
            return 0
        fi
        grep -q 'Address already in use' "$STATE_DIR/nginx-error.log" ||
            die "nginx did not start: see $STATE_DIR/nginx-error.log"
    done
    die "nginx found no free loopback port after 20 attempts"
}

nginx_stop() {
    # SIGQUIT is nginx's graceful shutdown.
    stop_service nginx QUIT 10
}

runner_start() {
    if live_pid runner >/dev/null; then
        return 0
    fi
    local binary=$BUILD_DIR/engine/runner/syn-runner
    require_binary "$binary"

    # The runner logs in as a member of syn_runner (see stack_roles.sh).
    SYN_DATABASE_URL=$(runner_database_url) \
        SYN_RUNNER_WORKSPACE_ROOT=${SYN_RUNNER_WORKSPACE_ROOT:-$STATE_DIR/workspaces} \
        "${AS_SERVICE_USER[@]}" setsid "$binary" </dev/null >>"$STATE_DIR/runner.log" 2>&1 &
    local pid=$!
    echo "$pid" >"$STATE_DIR/runner.pid"
    sleep 0.5
    kill -0 "$pid" 2>/dev/null || die "syn-runner exited at start: see $STATE_DIR/runner.log"
    log "syn-runner running (pid $pid)"
}

runner_stop() {
    # The runner's own shutdown grace (SYN_RUNNER_SHUTDOWN_GRACE_SECONDS,
    # default 30) comes first.
    stop_service runner TERM 45
}

# Succeeds when GET /workflows through nginx returns 200.
api_answers() {
    local port status
    port=$(cat "$STATE_DIR/port")
    exec 3<>"/dev/tcp/127.0.0.1/$port" || return 1
    printf 'GET /workflows HTTP/1.0\r\nHost: localhost\r\n\r\n' >&3
    read -r -t 5 _ status _ <&3 || status=
    exec 3<&-
    [[ $status == 200 ]]
}

wait_for_api() {
    local nginx_pid
    nginx_pid=$(live_pid nginx) || die "nginx is not running"
    if ! wait_until 30 "$nginx_pid" api_answers 2>/dev/null; then
        tail -n 20 "$STATE_DIR/fcgi.log" >&2 || true
        die "GET /workflows did not return 200 within 30 s: see $STATE_DIR/fcgi.log" \
            "and $STATE_DIR/nginx-error.log"
    fi
}
