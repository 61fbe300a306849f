# Shared by scripts/stack and scripts/test: paths, the service user, pid files.
# Expects REPO_DIR to be set by the caller.

STATE_DIR=${SYN_STACK_DIR:-$REPO_DIR/.stack}
BUILD_DIR=${SYN_BUILD_DIR:-$REPO_DIR/build}
RUN_DIR=$STATE_DIR/run
PG_DATA=$STATE_DIR/pgdata
FCGI_SOCKET=$RUN_DIR/fcgi.sock
DATABASE_NAME=syn
DATABASE_ROLE=syn

die() {
    echo "scripts/stack: $*" >&2
    exit 1
}

log() {
    echo "scripts/stack: $*" >&2
}

# PostgreSQL refuses to run as root, so as root every service runs as an
# unprivileged user instead; otherwise as the invoking user.
if [[ $(id -u) == 0 ]]; then
    SERVICE_USER=${SYN_STACK_USER:-syn}
else
    SERVICE_USER=
fi

ensure_service_user() {
    [[ -n $SERVICE_USER ]] || return 0
    if ! id -u "$SERVICE_USER" >/dev/null 2>&1; then
        log "creating system user $SERVICE_USER"
        useradd --system --no-create-home --home-dir /nonexistent \
            --shell /usr/sbin/nologin "$SERVICE_USER"
    fi
}

# The command prefix that runs a program as the service user, keeping the
# environment. setpriv execs the program in place, so $! of a background
# "${AS_SERVICE_USER[@]}" call is the service's own pid.
if [[ -n $SERVICE_USER ]]; then
    AS_SERVICE_USER=(setpriv --reuid="$SERVICE_USER" --regid="$SERVICE_USER" --init-groups --)
else
    AS_SERVICE_USER=()
fi

# Prints the pid of a running service of this stack, or fails. A pid file can
# outlive its process and the pid be reused, so the process name must match.
live_pid() {
    local name=$1
    local pid_file expected_name
    case "$name" in
        postgres) pid_file=$PG_DATA/postmaster.pid expected_name=postgres ;;
        fcgi) pid_file=$STATE_DIR/fcgi.pid expected_name=syn-fcgi ;;
        nginx) pid_file=$STATE_DIR/nginx.pid expected_name=nginx ;;
        runner) pid_file=$STATE_DIR/runner.pid expected_name=syn-runner ;;
        *) die "unknown service $name" ;;
    esac

    [[ -r $pid_file ]] || return 1
    local pid
    pid=$(head -n 1 "$pid_file" 2>/dev/null | tr -d '[:space:]')
    [[ $pid =~ ^[0-9]+$ ]] || return 1
    [[ -r /proc/$pid/comm ]] || return 1
    [[ $(cat "/proc/$pid/comm" 2>/dev/null) == "$expected_name" ]] || return 1
    echo "$pid"
}

# Sends `signal` to the service and waits up to `seconds` for it to exit,
# then kills it and whatever children it left.
stop_service() {
    local name=$1 signal=$2 seconds=$3
    local pid
    pid=$(live_pid "$name") || return 0

    log "stopping $name (pid $pid)"
    kill "-$signal" "$pid" 2>/dev/null || true
    local waited=0
    while kill -0 "$pid" 2>/dev/null && ((waited < seconds * 10)); do
        sleep 0.1
        waited=$((waited + 1))
    done
    if kill -0 "$pid" 2>/dev/null; then
        log "$name (pid $pid) still running after ${seconds}s: sending SIGKILL"
        pkill -KILL -P "$pid" 2>/dev/null || true
        kill -KILL "$pid" 2>/dev/null || true
    fi
}

require_binary() {
    local path=$1
    [[ -x $path ]] || die "$path not found or not executable: build first with" \
        "cmake -S $REPO_DIR -B $BUILD_DIR && cmake --build $BUILD_DIR -j2"
}

prepare_state_dir() {
    # A unix socket path is limited to 107 bytes; PostgreSQL's is the longest.
    local socket_path=$RUN_DIR/.s.PGSQL.5432
    ((${#socket_path} <= 100)) || die "state directory path too long for a unix socket" \
        "($socket_path): set SYN_STACK_DIR to a shorter path"
    # The path goes into a database URL and nginx.conf unquoted.
    [[ $STATE_DIR =~ ^/[A-Za-z0-9._/-]+$ ]] || die "state directory $STATE_DIR must be an" \
        "absolute path of letters, digits, '.', '_', '-' and '/'"

    ensure_service_user
    mkdir -p "$STATE_DIR" "$RUN_DIR" "$STATE_DIR/nginx-temp" "$STATE_DIR/workspaces"
    if [[ -n $SERVICE_USER ]]; then
        chown "$SERVICE_USER:" "$STATE_DIR" "$RUN_DIR" "$STATE_DIR/nginx-temp" \
            "$STATE_DIR/workspaces"
        "${AS_SERVICE_USER[@]}" test -w "$STATE_DIR" || die "user $SERVICE_USER cannot write" \
            "$STATE_DIR: every parent directory must be searchable by it (chmod o+x)"
    fi
}

# A key=value conninfo rather than a postgresql:// URL, because Poco's
# PostgreSQL connector (Poco 1.11) passes its string to libpq as key=value
# pairs only.
database_url() {
    echo "host=$RUN_DIR dbname=$DATABASE_NAME user=$DATABASE_ROLE"
}

api_url() {
    [[ -r $STATE_DIR/port ]] || die "no nginx port recorded in $STATE_DIR/port"
    echo "http://127.0.0.1:$(cat "$STATE_DIR/port")"
}

write_env_file() {
    {
        # Quoted, so that the file can be sourced by a shell.
        echo "SYN_URL='$(api_url)'"
        echo "SYN_DATABASE_URL='$(database_url)'"
        echo "SYN_STACK_DIR='$STATE_DIR'"
    } >"$STATE_DIR/env.tmp"
    mv "$STATE_DIR/env.tmp" "$STATE_DIR/env"
}
