-- Workflows, executions, their phases and the event log.
--
-- Every status column is a small closed set enforced by a named CHECK, and every
-- table and column carries a COMMENT so that psql's \d+ explains the schema.

create schema if not exists syn;
comment on schema syn is 'Workflow definitions and their executions, shared by the API pool and the runners.';

-- Workflows -----------------------------------------------------------------

create table syn.workflows (
    id              text collate "C" not null,
    name            text not null,
    description     text not null default '',
    type            text not null default 'custom',
    classification  text not null default 'standard',
    repository_url  text,
    repository_ref  text,
    repos           text[] not null default '{}',
    requires_repos  boolean not null default false,
    definition      jsonb not null,
    created_at      timestamptz not null default now(),
    updated_at      timestamptz not null default now(),
    archived_at     timestamptz,

    constraint workflows_pkey primary key (id),
    constraint workflow_id_format check (id ~ '^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$'),
    constraint workflow_name_not_empty check (length(name) > 0)
);

comment on table syn.workflows is 'Installed workflow definitions; one row per workflow id.';
comment on column syn.workflows.id is 'Workflow id chosen by its author, used in API paths.';
comment on column syn.workflows.name is 'Human-readable name.';
comment on column syn.workflows.description is 'What the workflow does; empty when the author gave none.';
comment on column syn.workflows.type is 'Free-form kind, such as implementation or research.';
comment on column syn.workflows.classification is 'Free-form classification such as standard.';
comment on column syn.workflows.repository_url is 'Default repository URL, may contain {{input}} placeholders; null when none.';
comment on column syn.workflows.repository_ref is 'Branch, tag or commit to check out after cloning; null for the remote default.';
comment on column syn.workflows.repos is 'Default repositories (owner/name or URL) used when a request names none.';
comment on column syn.workflows.requires_repos is 'True when an execution needs at least one repository.';
comment on column syn.workflows.definition is 'The definition as installed, after front matter was merged, as JSON.';
comment on column syn.workflows.created_at is 'When the workflow was first installed.';
comment on column syn.workflows.updated_at is 'When the workflow was last installed or changed.';
comment on column syn.workflows.archived_at is 'When the workflow was archived; archived workflows cannot be executed.';

create table syn.workflow_inputs (
    workflow_id     text collate "C" not null,
    name            text not null,
    position        integer not null,
    description     text not null default '',
    required        boolean not null default true,
    default_value   text,

    constraint workflow_inputs_pkey primary key (workflow_id, name),
    constraint workflow_inputs_workflow_fkey foreign key (workflow_id)
        references syn.workflows (id) on delete cascade,
    constraint workflow_input_name_not_empty check (length(name) > 0)
);

comment on table syn.workflow_inputs is 'Inputs a workflow declares; merged with request inputs at execution.';
comment on column syn.workflow_inputs.workflow_id is 'Workflow that declares the input.';
comment on column syn.workflow_inputs.name is 'Input name, used as {{name}} in prompt templates.';
comment on column syn.workflow_inputs.position is 'Declaration order, from 0.';
comment on column syn.workflow_inputs.description is 'What the input means.';
comment on column syn.workflow_inputs.required is 'True when an execution must supply the input unless it has a default.';
comment on column syn.workflow_inputs.default_value is 'Value used when the request omits the input; null for none.';

create table syn.workflow_phases (
    workflow_id      text collate "C" not null,
    phase_id         text not null,
    position         integer not null,
    name             text not null,
    description      text not null default '',
    prompt_template  text not null,
    model            text,
    timeout_seconds  integer not null default 300,
    max_tokens       integer,
    allowed_tools    text[] not null default '{}',
    argument_hint    text,

    constraint workflow_phases_pkey primary key (workflow_id, phase_id),
    constraint workflow_phases_position_key unique (workflow_id, position),
    constraint workflow_phases_workflow_fkey foreign key (workflow_id)
        references syn.workflows (id) on delete cascade,
    constraint phase_id_format check (phase_id ~ '^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$'),
    constraint phase_timeout_positive check (timeout_seconds > 0),
    constraint phase_max_tokens_positive check (max_tokens is null or max_tokens > 0)
);

comment on table syn.workflow_phases is 'Ordered phases of a workflow, each run by one agent process.';
comment on column syn.workflow_phases.workflow_id is 'Workflow the phase belongs to.';
comment on column syn.workflow_phases.phase_id is 'Phase id, unique within the workflow; {{phase_id}} in later prompts inserts its output.';
comment on column syn.workflow_phases.position is 'The order value from the definition; phases run in ascending position.';
comment on column syn.workflow_phases.name is 'Human-readable phase name.';
comment on column syn.workflow_phases.description is 'What the phase does.';
comment on column syn.workflow_phases.prompt_template is 'Prompt with $ARGUMENTS and {{placeholders}}, rendered when the phase starts.';
comment on column syn.workflow_phases.model is 'Model name passed to the agent command as {model}; null for the agent default.';
comment on column syn.workflow_phases.timeout_seconds is 'Seconds the agent may run before it is terminated.';
comment on column syn.workflow_phases.max_tokens is 'Token budget hint for the agent; null for none.';
comment on column syn.workflow_phases.allowed_tools is 'Tools the agent may use, as named by the agent.';
comment on column syn.workflow_phases.argument_hint is 'Hint shown to users about what the task argument should be.';

-- Executions ----------------------------------------------------------------

create table syn.executions (
    id                  text collate "C" not null,
    workflow_id         text collate "C" not null,
    status              text not null default 'pending',
    task                text,
    inputs              jsonb not null default '{}',
    repos               text[] not null default '{}',
    current_phase       text,
    completed_phases    integer not null default 0,
    total_phases        integer not null,
    error               text,
    idempotency_key     text,
    created_at          timestamptz not null default now(),
    updated_at          timestamptz not null default now(),
    started_at          timestamptz,
    completed_at        timestamptz,

    -- Lease columns: set by the claim, renewed by the heartbeat, cleared on release.
    claimed_by          text,
    lease_token         uuid,
    lease_expires_at    timestamptz,
    attempts            integer not null default 0,

    -- Control requests: the API sets them, the owning runner acts on them.
    cancel_requested_at timestamptz,
    pause_requested_at  timestamptz,
    control_reason      text,

    constraint executions_pkey primary key (id),
    constraint executions_workflow_fkey foreign key (workflow_id)
        references syn.workflows (id) on delete restrict,
    constraint execution_id_format check (id ~ '^exec-[0-9a-f]{12}$'),
    constraint execution_status_valid
        check (status in ('pending', 'running', 'paused', 'completed', 'failed', 'cancelled')),
    constraint finished_iff_completed_at
        check ((status in ('completed', 'failed', 'cancelled')) = (completed_at is not null)),
    constraint running_has_lease
        check (status <> 'running' or (lease_token is not null and lease_expires_at is not null)),
    constraint completed_phases_in_range
        check (completed_phases >= 0 and completed_phases <= total_phases),
    constraint total_phases_positive check (total_phases > 0),
    constraint attempts_not_negative check (attempts >= 0),
    constraint inputs_is_object check (jsonb_typeof(inputs) = 'object'),
    constraint idempotency_key_length
        check (idempotency_key is null or length(idempotency_key) between 1 and 255)
);

comment on table syn.executions is 'One run of a workflow, from the API request to a final state.';
comment on column syn.executions.id is 'exec- followed by 12 lower-case hex digits from a cryptographic random source.';
comment on column syn.executions.workflow_id is 'Workflow being executed.';
comment on column syn.executions.status is 'pending (queued), running, paused, completed, failed or cancelled.';
comment on column syn.executions.task is 'Primary task, substituted for $ARGUMENTS; null when none.';
comment on column syn.executions.inputs is 'Merged inputs: declared defaults, then request inputs, then task.';
comment on column syn.executions.repos is 'Repositories to clone into the workspace, as owner/name slugs.';
comment on column syn.executions.current_phase is 'Phase running now; the failed phase on failed; the next phase on paused; else null.';
comment on column syn.executions.completed_phases is 'Number of phases that finished successfully.';
comment on column syn.executions.total_phases is 'Number of phases the workflow had when the execution was created.';
comment on column syn.executions.error is 'What failed and where; null unless failed or cancelled.';
comment on column syn.executions.idempotency_key is 'Idempotency-Key header of the creating request; unique per workflow.';
comment on column syn.executions.created_at is 'When the API accepted the execution.';
comment on column syn.executions.updated_at is 'When any column last changed.';
comment on column syn.executions.started_at is 'When a runner first claimed the execution; null until then.';
comment on column syn.executions.completed_at is 'When the execution reached completed, failed or cancelled.';
comment on column syn.executions.claimed_by is 'Id of the runner holding the lease (host:pid:slot style); null when unclaimed.';
comment on column syn.executions.lease_token is 'Random token of the current claim; every runner write is conditional on it.';
comment on column syn.executions.lease_expires_at is 'Database time at which the lease lapses unless the heartbeat renews it.';
comment on column syn.executions.attempts is 'Claims not given back by a release or a pause: those whose runner was lost plus the current or last one. A rescue fails the execution once it reaches runner.max_attempts.';
comment on column syn.executions.cancel_requested_at is 'When a client asked to cancel a running execution; the runner acts on it.';
comment on column syn.executions.pause_requested_at is 'When a client asked to pause; the runner pauses at the next phase boundary.';
comment on column syn.executions.control_reason is 'Reason given with the last cancel, pause or resume request.';

-- The claim takes the oldest pending execution; this index keeps it an index scan.
create index executions_pending_idx on syn.executions (created_at) where status = 'pending';

-- The active list reads newest first among pending, running and paused only.
create index executions_active_idx on syn.executions (created_at desc)
    where status in ('pending', 'running', 'paused');

-- The rescuer looks for running executions whose lease lapsed.
create index executions_lease_idx on syn.executions (lease_expires_at) where status = 'running';

create index executions_workflow_idx on syn.executions (workflow_id, created_at desc);
create index executions_status_idx on syn.executions (status, created_at desc);

-- A repeated Idempotency-Key for the same workflow finds the first execution.
create unique index executions_idempotency_key on syn.executions (workflow_id, idempotency_key)
    where idempotency_key is not null;

create table syn.execution_phases (
    execution_id     text collate "C" not null,
    phase_id         text not null,
    position         integer not null,
    name             text not null,
    status           text not null default 'pending',
    prompt_template  text not null,
    model            text,
    timeout_seconds  integer not null,
    prompt           text,
    output           text,
    output_truncated boolean not null default false,
    exit_code        integer,
    error            text,
    started_at       timestamptz,
    completed_at     timestamptz,
    runs             integer not null default 0,

    constraint execution_phases_pkey primary key (execution_id, phase_id),
    constraint execution_phases_position_key unique (execution_id, position),
    constraint execution_phases_execution_fkey foreign key (execution_id)
        references syn.executions (id) on delete cascade,
    constraint execution_phase_status_valid
        check (status in ('pending', 'running', 'completed', 'failed', 'skipped', 'cancelled')),
    constraint execution_phase_timeout_positive check (timeout_seconds > 0),
    constraint execution_phase_runs_not_negative check (runs >= 0)
);

comment on table syn.execution_phases is 'Snapshot of each phase an execution runs, with its rendered prompt and result.';
comment on column syn.execution_phases.execution_id is 'Execution the phase belongs to.';
comment on column syn.execution_phases.phase_id is 'Phase id copied from the workflow.';
comment on column syn.execution_phases.position is 'Order copied from the workflow; phases run in ascending position.';
comment on column syn.execution_phases.name is 'Phase name copied from the workflow.';
comment on column syn.execution_phases.status is 'pending, running, completed, failed, skipped (after a failure) or cancelled.';
comment on column syn.execution_phases.prompt_template is 'Template copied from the workflow when the execution was created.';
comment on column syn.execution_phases.model is 'Model copied from the workflow; null for the agent default.';
comment on column syn.execution_phases.timeout_seconds is 'Seconds the agent may run, copied from the workflow.';
comment on column syn.execution_phases.prompt is 'Prompt as rendered when the phase started; null before.';
comment on column syn.execution_phases.output is 'Agent stdout, capped at the configured size; null before the phase ends.';
comment on column syn.execution_phases.output_truncated is 'True when output was cut at the cap and ends with a truncation marker.';
comment on column syn.execution_phases.exit_code is 'Agent exit status; null when it was killed by a signal or never ran.';
comment on column syn.execution_phases.error is 'Why the phase failed, with the tail of the agent stderr; null otherwise.';
comment on column syn.execution_phases.started_at is 'When the agent was last started for this phase.';
comment on column syn.execution_phases.completed_at is 'When the phase reached completed, failed, skipped or cancelled.';
comment on column syn.execution_phases.runs is 'Number of times an agent was started for this phase.';

-- Events --------------------------------------------------------------------

create table syn.execution_events (
    id            bigint generated always as identity,
    execution_id  text collate "C" not null,
    occurred_at   timestamptz not null default now(),
    actor         text not null,
    event         text not null,
    phase_id      text,
    from_status   text,
    to_status     text,
    detail        jsonb not null default '{}',

    constraint execution_events_pkey primary key (id),
    constraint execution_events_execution_fkey foreign key (execution_id)
        references syn.executions (id) on delete cascade,
    constraint execution_event_actor_not_empty check (length(actor) > 0),
    constraint execution_event_name_not_empty check (length(event) > 0)
);

comment on table syn.execution_events is 'Append-only audit log of what happened to each execution, and who did it.';
comment on column syn.execution_events.id is 'Monotonic event number.';
comment on column syn.execution_events.execution_id is 'Execution the event concerns.';
comment on column syn.execution_events.occurred_at is 'Database time of the event.';
comment on column syn.execution_events.actor is 'Who acted: api, or runner:<runner id>.';
comment on column syn.execution_events.event is 'What happened, such as created, claimed, phase_started, phase_completed, cancelled.';
comment on column syn.execution_events.phase_id is 'Phase the event concerns; null for execution-level events.';
comment on column syn.execution_events.from_status is 'Execution status before the event; null when unchanged or new.';
comment on column syn.execution_events.to_status is 'Execution status after the event; null when unchanged.';
comment on column syn.execution_events.detail is 'Event-specific facts, such as exit code, reason or error.';

create index execution_events_execution_idx on syn.execution_events (execution_id, id);

-- Events are history: rows may be deleted with their execution when archiving,
-- never rewritten.
create function syn.reject_event_update() returns trigger
    language plpgsql as $$
begin
    raise exception 'syn.execution_events is append-only: update of event % rejected', old.id;
end;
$$;

comment on function syn.reject_event_update() is 'Trigger function that keeps syn.execution_events append-only.';

create trigger execution_events_append_only before update on syn.execution_events
    for each row execute function syn.reject_event_update();
