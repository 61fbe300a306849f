#include "syn/workflow_store.h"

#include <Poco/Data/PostgreSQL/Connector.h>
#include <Poco/Data/Statement.h>
#include <Poco/Nullable.h>

#include <mutex>

#include "syn/pg.h"

using namespace Poco::Data::Keywords;

namespace syn {

namespace {

Poco::Nullable<std::string> nullable(const std::optional<std::string>& value) {
    return value ? Poco::Nullable<std::string>(*value) : Poco::Nullable<std::string>();
}

Poco::Nullable<int> nullable(const std::optional<int>& value) {
    return value ? Poco::Nullable<int>(*value) : Poco::Nullable<int>();
}

// Timestamps leave the database as text so that no time zone conversion
// happens on the client.
constexpr const char* kUtcFormat = R"('YYYY-MM-DD"T"HH24:MI:SS.US"Z"')";

}  // namespace

Poco::Data::Session openDataSession(const std::string& databaseUrl) {
    static std::once_flag registered;
    std::call_once(registered, [] { Poco::Data::PostgreSQL::Connector::registerConnector(); });
    return Poco::Data::Session("PostgreSQL", databaseUrl);
}

WorkflowStore::InstallResult WorkflowStore::install(const package::WorkflowDefinition& workflow) {
    session_.begin();
    try {
        std::string id = workflow.id;
        InstallResult result = writeWorkflow(workflow);
        session_ << "delete from syn.workflow_inputs where workflow_id = $1", use(id), now;
        session_ << "delete from syn.workflow_phases where workflow_id = $1", use(id), now;
        writeInputs(workflow);
        writePhases(workflow);
        session_.commit();
        return result;
    } catch (...) {
        session_.rollback();
        throw;
    }
}

// Tells an insert from an update by created_at: an insert sets it to this
// transaction's now(), an update keeps the earlier value.
WorkflowStore::InstallResult WorkflowStore::writeWorkflow(
    const package::WorkflowDefinition& workflow) {
    std::string id = workflow.id;
    std::string name = workflow.name;
    std::string description = workflow.description;
    std::string type = workflow.type;
    std::string classification = workflow.classification;
    Poco::Nullable<std::string> repositoryUrl = nullable(workflow.repositoryUrl);
    Poco::Nullable<std::string> repositoryRef = nullable(workflow.repositoryRef);
    std::string repos = pg::arrayLiteral(workflow.repos);
    bool requiresRepos = workflow.requiresRepos;
    std::string definition = package::toJson(workflow);
    bool created = false;
    bool archived = false;

    session_ << "insert into syn.workflows (id, name, description, type, classification,"
                " repository_url, repository_ref, repos, requires_repos, definition)"
                " values ($1, $2, $3, $4, $5, $6, $7, $8::text[], $9, $10::jsonb)"
                " on conflict (id) do update set name = excluded.name,"
                " description = excluded.description, type = excluded.type,"
                " classification = excluded.classification,"
                " repository_url = excluded.repository_url,"
                " repository_ref = excluded.repository_ref, repos = excluded.repos,"
                " requires_repos = excluded.requires_repos, definition = excluded.definition,"
                " updated_at = now()"
                " returning created_at = now(), archived_at is not null",
        use(id), use(name), use(description), use(type), use(classification), use(repositoryUrl),
        use(repositoryRef), use(repos), use(requiresRepos), use(definition), into(created),
        into(archived), now;
    if (created) {
        return InstallResult::created;
    }
    return archived ? InstallResult::updatedArchived : InstallResult::updated;
}

void WorkflowStore::writeInputs(const package::WorkflowDefinition& workflow) {
    std::string id = workflow.id;
    for (size_t position = 0; position < workflow.inputs.size(); ++position) {
        const package::InputDefinition& input = workflow.inputs[position];
        std::string name = input.name;
        int index = static_cast<int>(position);
        std::string description = input.description;
        bool required = input.required;
        Poco::Nullable<std::string> defaultValue = nullable(input.defaultValue);
        session_ << "insert into syn.workflow_inputs (workflow_id, name, position, description,"
                    " required, default_value) values ($1, $2, $3, $4, $5, $6)",
            use(id), use(name), use(index), use(description), use(required), use(defaultValue), now;
    }
}

void WorkflowStore::writePhases(const package::WorkflowDefinition& workflow) {
    std::string id = workflow.id;
    for (const package::PhaseDefinition& phase : workflow.phases) {
        std::string phaseId = phase.id;
        int position = phase.order;
        std::string name = phase.name;
        std::string description = phase.description;
        std::string promptTemplate = phase.promptTemplate;
        Poco::Nullable<std::string> model = nullable(phase.model);
        int timeoutSeconds = phase.timeoutSeconds;
        Poco::Nullable<int> maxTokens = nullable(phase.maxTokens);
        std::string allowedTools = pg::arrayLiteral(phase.allowedTools);
        Poco::Nullable<std::string> argumentHint = nullable(phase.argumentHint);
        session_ << "insert into syn.workflow_phases (workflow_id, phase_id, position, name,"
                    " description, prompt_template, model, timeout_seconds, max_tokens,"
                    " allowed_tools, argument_hint)"
                    " values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10::text[], $11)",
            use(id), use(phaseId), use(position), use(name), use(description), use(promptTemplate),
            use(model), use(timeoutSeconds), use(maxTokens), use(allowedTools), use(argumentHint),
            now;
    }
}

std::vector<WorkflowSummary> WorkflowStore::list() {
    std::vector<std::string> ids;
    std::vector<std::string> names;
    std::vector<int> phaseCounts;
    std::vector<Poco::Nullable<std::string>> archived;
    session_ << "select w.id, w.name,"
                " (select count(*)::integer from syn.workflow_phases p where p.workflow_id = w.id),"
                " to_char(w.archived_at at time zone 'UTC', " +
                    std::string(kUtcFormat) +
                    ")"
                    " from syn.workflows w order by w.id",
        into(ids), into(names), into(phaseCounts), into(archived), now;

    std::vector<WorkflowSummary> summaries;
    for (size_t i = 0; i < ids.size(); ++i) {
        WorkflowSummary summary{ids[i], names[i], phaseCounts[i], std::nullopt};
        if (!archived[i].isNull()) {
            summary.archivedAt = archived[i].value();
        }
        summaries.push_back(summary);
    }
    return summaries;
}

WorkflowStore::ArchiveResult WorkflowStore::archive(const std::string& id) {
    std::string key = id;
    Poco::Data::Statement update(session_);
    update << "update syn.workflows set archived_at = now(), updated_at = now()"
              " where id = $1 and archived_at is null",
        use(key);
    if (update.execute() > 0) {
        return ArchiveResult::archived;
    }
    requireWorkflow(id);
    return ArchiveResult::alreadyArchived;
}

WorkflowStore::RestoreResult WorkflowStore::restore(const std::string& id) {
    std::string key = id;
    Poco::Data::Statement update(session_);
    update << "update syn.workflows set archived_at = null, updated_at = now()"
              " where id = $1 and archived_at is not null",
        use(key);
    if (update.execute() > 0) {
        return RestoreResult::restored;
    }
    requireWorkflow(id);
    return RestoreResult::notArchived;
}

void WorkflowStore::requireWorkflow(const std::string& id) {
    std::string key = id;
    int exists = 0;
    session_ << "select count(*)::integer from syn.workflows where id = $1", use(key), into(exists),
        now;
    if (exists == 0) {
        throw WorkflowNotFound("Workflow " + id +
                               " not found; run synctl workflow list to see installed ids");
    }
}

}  // namespace syn
