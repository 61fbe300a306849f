# Least-privilege roles of the stack, set up as docs/deployment.md does.
# The pool connects as a member of syn_api and the runner as a member of
# syn_runner, so a grant that migration 002 lacks fails the tests here first.
# The superuser role $DATABASE_ROLE still migrates and sets up test data.

API_LOGIN_ROLE=syn_api_login
RUNNER_LOGIN_ROLE=syn_runner_login
READONLY_LOGIN_ROLE=syn_readonly_login

# Prints a conninfo like database_url that logs in as `role`. The stack's
# PostgreSQL trusts every local connection, so no password is needed.
role_database_url() {
    local role=$1
    echo "host=$RUN_DIR dbname=$DATABASE_NAME user=$role"
}

api_database_url() {
    role_database_url "$API_LOGIN_ROLE"
}

runner_database_url() {
    role_database_url "$RUNNER_LOGIN_ROLE"
}

# Applies sql/roles.sql, which also grants the table privileges once the
# migrations ran, and creates one login role per group role. Idempotent.
apply_roles() {
    local bin
    bin=$(pg_bin_dir)
    local psql=("$bin/psql" -h "$RUN_DIR" -U "$DATABASE_ROLE" -d "$DATABASE_NAME" -X -q
        -v ON_ERROR_STOP=1)

    "${psql[@]}" -f "$REPO_DIR/sql/roles.sql" >>"$STATE_DIR/migrate.log" 2>&1 ||
        die "applying sql/roles.sql failed: see $STATE_DIR/migrate.log"

    local pair login group
    for pair in "$API_LOGIN_ROLE:syn_api" "$RUNNER_LOGIN_ROLE:syn_runner" \
        "$READONLY_LOGIN_ROLE:syn_readonly"; do
        login=${pair%%:*}
        group=${pair#*:}
        "${psql[@]}" >>"$STATE_DIR/migrate.log" 2>&1 <<SQL ||
do \$\$
begin
    if not exists (select from pg_roles where rolname = '$login') then
        create role $login login in role $group;
    end if;
end;
\$\$;
SQL
            die "creating login role $login failed: see $STATE_DIR/migrate.log"
    done
    log "login roles $API_LOGIN_ROLE, $RUNNER_LOGIN_ROLE and $READONLY_LOGIN_ROLE ready"
}

# Appends the login roles' URLs to the env file that write_env_file wrote.
# SYN_DATABASE_URL there stays the superuser's, for test setup.
write_role_env_lines() {
    {
        echo "SYN_API_DATABASE_URL='$(api_database_url)'"
        echo "SYN_RUNNER_DATABASE_URL='$(runner_database_url)'"
        echo "SYN_READONLY_DATABASE_URL='$(role_database_url "$READONLY_LOGIN_ROLE")'"
    } >>"$STATE_DIR/env"
}
