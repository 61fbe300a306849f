#include <Poco/Data/Statement.h>
#include <Poco/Nullable.h>

#include <iomanip>
#include <iostream>

#include "commands.h"
#include "syn/workflow_store.h"

using namespace Poco::Data::Keywords;

namespace syn::synctl {

namespace {

Poco::Nullable<std::string> nullable(const std::optional<std::string>& value) {
    return value ? Poco::Nullable<std::string>(*value) : Poco::Nullable<std::string>();
}

int list(const ExecutionFilter& filter, const std::string& databaseUrl) {
    Poco::Data::Session session = openDataSession(databaseUrl);
    Poco::Nullable<std::string> status = nullable(filter.status);
    Poco::Nullable<std::string> workflowId = nullable(filter.workflowId);
    int limit = filter.limit;

    std::vector<std::string> ids;
    std::vector<std::string> workflows;
    std::vector<std::string> statuses;
    std::vector<std::string> progress;
    std::vector<Poco::Nullable<std::string>> currentPhases;
    std::vector<std::string> createdAt;
    session << "select id, workflow_id, status,"
               " completed_phases || '/' || total_phases, current_phase,"
               " to_char(created_at at time zone 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')"
               " from syn.executions"
               " where ($1::text is null or status = $1::text)"
               " and ($2::text is null or workflow_id = $2::text)"
               " order by created_at desc, id limit $3",
        use(status), use(workflowId), use(limit), into(ids), into(workflows), into(statuses),
        into(progress), into(currentPhases), into(createdAt), now;

    size_t workflowWidth = 8;
    for (const std::string& workflow : workflows) {
        workflowWidth = std::max(workflowWidth, workflow.size());
    }
    std::cout << std::left << std::setw(17) << "ID"
              << "  " << std::setw(workflowWidth) << "WORKFLOW"
              << "  " << std::setw(9) << "STATUS"
              << "  " << std::setw(7) << "PHASES"
              << "  " << std::setw(20) << "CREATED"
              << "  CURRENT PHASE\n";
    for (size_t i = 0; i < ids.size(); ++i) {
        std::string current = currentPhases[i].isNull() ? "-" : currentPhases[i].value();
        std::cout << std::left << std::setw(17) << ids[i] << "  " << std::setw(workflowWidth)
                  << workflows[i] << "  " << std::setw(9) << statuses[i] << "  " << std::setw(7)
                  << progress[i] << "  " << std::setw(20) << createdAt[i] << "  " << current
                  << "\n";
    }
    return kExitOk;
}

}  // namespace

int runExecutionCommand(const std::vector<std::string>& arguments, const ExecutionFilter& filter,
                        const DatabaseUrl& databaseUrl) {
    if (arguments.empty() || arguments[0] != "list") {
        throw UsageError("usage: synctl execution list [--status S] [--workflow ID] [--limit N]");
    }
    expectArguments({arguments.begin() + 1, arguments.end()}, 0, "synctl execution list");
    return list(filter, databaseUrl());
}

}  // namespace syn::synctl
