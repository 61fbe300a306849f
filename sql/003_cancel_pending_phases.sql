-- Cancelling an execution cancels its pending phases in the database itself,
-- so that the API role needs no update privilege on syn.execution_phases:
-- phase rows are written by runners alone.

create function syn.cancel_pending_phases() returns trigger
    language plpgsql
    security definer
    set search_path = pg_catalog
as $$
begin
    update syn.execution_phases
       set status = 'cancelled', completed_at = now()
     where execution_id = new.id and status = 'pending';
    return null;
end;
$$;

comment on function syn.cancel_pending_phases() is
    'Trigger function: marks the pending phases of an execution cancelled when the execution '
    'becomes cancelled. Runs with its owner''s rights so that the API role needs no update '
    'privilege on syn.execution_phases.';

create trigger executions_cancel_pending_phases
    after update of status on syn.executions
    for each row
    when (new.status = 'cancelled' and old.status is distinct from 'cancelled')
    execute function syn.cancel_pending_phases();

comment on trigger executions_cancel_pending_phases on syn.executions is
    'Cancels the pending phases of an execution that becomes cancelled.';

-- The API role loses its update privilege on phase rows; the function that
-- grants role privileges is re-run so that existing roles follow.
create or replace function syn.revoke_api_phase_updates() returns void
    language plpgsql
as $$
begin
    if exists (select from pg_roles where rolname = 'syn_api') then
        revoke update on syn.execution_phases from syn_api;
    end if;
end;
$$;

select syn.revoke_api_phase_updates();
drop function syn.revoke_api_phase_updates();
