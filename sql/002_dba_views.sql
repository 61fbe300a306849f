-- Views for DBAs and the privileges of the group roles.
--
-- The views answer the everyday questions (what runs now, how long phases
-- take, what failed lately, how many executions each workflow has) without
-- the reader knowing which columns the runner and the API maintain.
--
-- syn.grant_role_privileges() grants the group roles created by
-- sql/roles.sql exactly what each component needs. It skips roles that do
-- not exist, so this migration also runs on a database without them, and
-- sql/roles.sql calls it again after creating them. A later migration that
-- adds a table or a column a component writes must replace this function
-- with one that covers it and call it at its end.

-- Active executions ---------------------------------------------------------

create view syn.active_executions as
select
    e.id,
    e.workflow_id,
    e.status,
    e.current_phase,
    p.name                                  as current_phase_name,
    p.started_at                            as current_phase_started_at,
    now() - p.started_at                    as current_phase_running_for,
    e.completed_phases,
    e.total_phases,
    e.created_at,
    e.started_at,
    now() - e.created_at                    as age,
    e.claimed_by,
    e.lease_expires_at,
    (e.status = 'running' and e.lease_expires_at < now()) as lease_lapsed,
    e.attempts,
    e.cancel_requested_at,
    e.pause_requested_at
from syn.executions e
left join syn.execution_phases p
    on p.execution_id = e.id and p.phase_id = e.current_phase
where e.status in ('pending', 'running', 'paused');

comment on view syn.active_executions is 'Pending, running and paused executions with their current phase and age; oldest first is order by created_at.';
comment on column syn.active_executions.id is 'Execution id.';
comment on column syn.active_executions.workflow_id is 'Workflow being executed.';
comment on column syn.active_executions.status is 'pending, running or paused.';
comment on column syn.active_executions.current_phase is 'Phase running now, or on paused the next phase to run; null while pending.';
comment on column syn.active_executions.current_phase_name is 'Name of current_phase; null when there is none.';
comment on column syn.active_executions.current_phase_started_at is 'When the agent of current_phase was last started; null when it has not started.';
comment on column syn.active_executions.current_phase_running_for is 'Time since current_phase_started_at; meaningful while running.';
comment on column syn.active_executions.completed_phases is 'Phases that finished successfully.';
comment on column syn.active_executions.total_phases is 'Phases the execution runs in all.';
comment on column syn.active_executions.created_at is 'When the API accepted the execution.';
comment on column syn.active_executions.started_at is 'When a runner first claimed it; null while never claimed.';
comment on column syn.active_executions.age is 'Time since created_at.';
comment on column syn.active_executions.claimed_by is 'Runner holding the lease; null when unclaimed.';
comment on column syn.active_executions.lease_expires_at is 'When the lease lapses unless renewed.';
comment on column syn.active_executions.lease_lapsed is 'True when running with a lease in the past: the runner stopped renewing it and a rescuer should act.';
comment on column syn.active_executions.attempts is 'Times a runner claimed the execution.';
comment on column syn.active_executions.cancel_requested_at is 'When a client asked to cancel; null when nobody did.';
comment on column syn.active_executions.pause_requested_at is 'When a client asked to pause; null when nobody did.';

-- Phase durations -----------------------------------------------------------

create view syn.phase_durations as
select
    p.execution_id,
    e.workflow_id,
    p.phase_id,
    p.position,
    p.status,
    p.started_at,
    p.completed_at,
    p.completed_at - p.started_at                              as duration,
    extract(epoch from p.completed_at - p.started_at)::numeric as duration_seconds,
    p.timeout_seconds,
    p.exit_code,
    p.runs
from syn.execution_phases p
join syn.executions e on e.id = p.execution_id
where p.started_at is not null;

comment on view syn.phase_durations is 'Every phase that started, with how long its last run took; running phases have a null duration.';
comment on column syn.phase_durations.execution_id is 'Execution the phase belongs to.';
comment on column syn.phase_durations.workflow_id is 'Workflow of the execution, for grouping durations per workflow.';
comment on column syn.phase_durations.phase_id is 'Phase id.';
comment on column syn.phase_durations.position is 'Order of the phase within the execution.';
comment on column syn.phase_durations.status is 'Phase status: running, completed, failed or cancelled.';
comment on column syn.phase_durations.started_at is 'When the agent was last started for the phase.';
comment on column syn.phase_durations.completed_at is 'When the phase ended; null while it runs.';
comment on column syn.phase_durations.duration is 'completed_at - started_at; null while the phase runs.';
comment on column syn.phase_durations.duration_seconds is 'duration in seconds, for averages and percentiles.';
comment on column syn.phase_durations.timeout_seconds is 'Seconds the agent was allowed to run.';
comment on column syn.phase_durations.exit_code is 'Agent exit status; null when killed by a signal or still running.';
comment on column syn.phase_durations.runs is 'Times an agent was started for the phase; above 1 after a rescue.';

-- Recent failures -----------------------------------------------------------

create view syn.recent_failures as
select
    e.id,
    e.workflow_id,
    e.completed_at                  as failed_at,
    e.current_phase                 as failed_phase,
    e.error,
    p.exit_code                     as phase_exit_code,
    p.error                         as phase_error,
    e.attempts,
    -- A finished execution's lease columns are cleared, so the runner comes
    -- from its last claim event.
    (select substr(ev.actor, length('runner:') + 1)
       from syn.execution_events ev
      where ev.execution_id = e.id and ev.event = 'claimed'
      order by ev.id desc
      limit 1)                      as claimed_by
from syn.executions e
left join syn.execution_phases p
    on p.execution_id = e.id and p.phase_id = e.current_phase
where e.status = 'failed'
  and e.completed_at >= now() - interval '1 day';

comment on view syn.recent_failures is 'Executions that failed in the last 24 hours, with the failed phase and both error texts.';
comment on column syn.recent_failures.id is 'Execution id.';
comment on column syn.recent_failures.workflow_id is 'Workflow being executed.';
comment on column syn.recent_failures.failed_at is 'When the execution reached failed.';
comment on column syn.recent_failures.failed_phase is 'Phase that failed; null when the execution failed outside a phase, such as a clone.';
comment on column syn.recent_failures.error is 'Execution error: what failed and where.';
comment on column syn.recent_failures.phase_exit_code is 'Exit status of the failed phase''s agent; null when killed by a signal or never started.';
comment on column syn.recent_failures.phase_error is 'Phase error with the tail of the agent stderr; null when no phase failed.';
comment on column syn.recent_failures.attempts is 'Claims that lost their runner; runner.max_attempts here means the runner was lost each time.';
comment on column syn.recent_failures.claimed_by is 'Runner id of the last claim, from the claimed event; null when no runner claimed it.';

-- Execution counts ----------------------------------------------------------

create view syn.execution_counts as
select
    workflow_id,
    status,
    count(*)        as executions,
    min(created_at) as oldest_created_at,
    max(created_at) as newest_created_at
from syn.executions
group by workflow_id, status;

comment on view syn.execution_counts is 'Number of executions per workflow and status; a full scan of syn.executions, so not for hot loops.';
comment on column syn.execution_counts.workflow_id is 'Workflow id.';
comment on column syn.execution_counts.status is 'Execution status.';
comment on column syn.execution_counts.executions is 'Number of executions of the workflow in the status.';
comment on column syn.execution_counts.oldest_created_at is 'Creation time of the oldest of them.';
comment on column syn.execution_counts.newest_created_at is 'Creation time of the newest of them.';

-- Role privileges -----------------------------------------------------------

create function syn.grant_role_privileges() returns void
    language plpgsql as $$
begin
    if exists (select from pg_roles where rolname = 'syn_readonly') then
        revoke all on all tables in schema syn from syn_readonly;
        grant usage on schema syn to syn_readonly;
        grant select on all tables in schema syn to syn_readonly;
        -- Tables and views that later migrations create, as syn_admin or as
        -- the role running this, become readable without another grant.
        alter default privileges in schema syn grant select on tables to syn_readonly;
        if pg_has_role(current_user, 'syn_admin', 'usage') then
            alter default privileges for role syn_admin in schema syn
                grant select on tables to syn_readonly;
        end if;
    end if;

    if exists (select from pg_roles where rolname = 'syn_api') then
        revoke all on all tables in schema syn from syn_api;
        grant usage on schema syn to syn_api;
        -- POST /workflows inserts a definition; a duplicate id is a 409, so
        -- workflows are never updated through the API.
        grant select, insert on syn.workflows, syn.workflow_inputs, syn.workflow_phases
            to syn_api;
        grant select, insert on syn.executions, syn.execution_phases, syn.execution_events
            to syn_api;
        -- Cancel, pause and resume change the status and control columns,
        -- and clear the lease of an execution they finish or re-queue.
        grant update (status, current_phase, error, updated_at, completed_at,
                      cancel_requested_at, pause_requested_at, control_reason,
                      claimed_by, lease_token, lease_expires_at)
            on syn.executions to syn_api;
        -- No update on syn.execution_phases: phase rows belong to the runner,
        -- and the trigger of migration 003 cancels pending phases when the
        -- API cancels an execution.
    end if;

    if exists (select from pg_roles where rolname = 'syn_runner') then
        revoke all on all tables in schema syn from syn_runner;
        grant usage on schema syn to syn_runner;
        grant select on syn.workflows, syn.workflow_inputs, syn.workflow_phases,
                        syn.executions, syn.execution_phases, syn.execution_events
            to syn_runner;
        -- Everything but the identity, the request (workflow, task, inputs,
        -- repos, idempotency key), total_phases and created_at.
        grant update (status, current_phase, completed_phases, error,
                      updated_at, started_at, completed_at, claimed_by, lease_token,
                      lease_expires_at, attempts, cancel_requested_at, pause_requested_at,
                      control_reason)
            on syn.executions to syn_runner;
        grant update (status, prompt, output, output_truncated, exit_code, error, started_at,
                      completed_at, runs)
            on syn.execution_phases to syn_runner;
        grant insert on syn.execution_events to syn_runner;
    end if;
end;
$$;

comment on function syn.grant_role_privileges() is 'Grants syn_api, syn_runner and syn_readonly their privileges on schema syn, skipping roles that do not exist; idempotent.';

revoke all on function syn.grant_role_privileges() from public;

select syn.grant_role_privileges();
