-- Cluster-level group roles of syn. Not a numbered migration: roles belong
-- to the whole PostgreSQL cluster, and creating them needs a superuser (or
-- CREATEROLE), which migrations should not need.
--
-- Run it as a superuser while connected to the syn database, before or
-- after `synctl db migrate`; it is idempotent:
--
--   psql -v ON_ERROR_STOP=1 -d syn -f /usr/share/syn/sql/roles.sql
--
-- The four roles are NOLOGIN group roles. Login roles inherit one of them,
-- for example:
--
--   create role syn_api_login login in role syn_api;
--   create role syn_runner_login login in role syn_runner;
--   create role alice login password '...' in role syn_readonly;
--
-- syn_admin owns the schema. Migrations and `synctl workflow install` run as
-- it: give an operator's login role membership and let libpq switch to it
-- with `options='-c role=syn_admin'` in the conninfo, so that the objects
-- migrations create are owned by syn_admin rather than by the person.

do $$
begin
    if not exists (select from pg_roles where rolname = 'syn_admin') then
        create role syn_admin nologin;
    end if;
    if not exists (select from pg_roles where rolname = 'syn_api') then
        create role syn_api nologin;
    end if;
    if not exists (select from pg_roles where rolname = 'syn_runner') then
        create role syn_runner nologin;
    end if;
    if not exists (select from pg_roles where rolname = 'syn_readonly') then
        create role syn_readonly nologin;
    end if;
end;
$$;

comment on role syn_admin is 'Owner of schema syn: applies migrations and installs workflows.';
comment on role syn_api is 'FastCGI pool: creates executions and records cancel, pause and resume requests.';
comment on role syn_runner is 'Runner: claims executions and records phase results.';
comment on role syn_readonly is 'Reads every table and view of schema syn; writes nothing.';

-- syn_admin creates schema syn in migration 001, so it needs CREATE on the
-- database it is run in; everyone needs CONNECT.
do $$
begin
    execute format('grant connect, create, temporary on database %I to syn_admin',
                   current_database());
    execute format('grant connect on database %I to syn_api, syn_runner, syn_readonly',
                   current_database());
end;
$$;

-- When the migrations have already run, grant the table privileges now;
-- otherwise migration 002 grants them when it runs.
do $$
begin
    if to_regprocedure('syn.grant_role_privileges()') is not null then
        perform syn.grant_role_privileges();
    end if;
end;
$$;
