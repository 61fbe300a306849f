// Installed workflows in syn.workflows and their inputs and phases, written
// and read through Poco::Data's PostgreSQL connector.
#pragma once

#include <Poco/Data/Session.h>

#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "syn/workflow_package.h"

namespace syn {

// Opens a Poco::Data session on a libpq conninfo string or postgresql:// URL,
// registering the PostgreSQL connector on first use.
Poco::Data::Session openDataSession(const std::string& databaseUrl);

struct WorkflowSummary {
    std::string id;
    std::string name;
    int phases = 0;
    std::optional<std::string> archivedAt;  // RFC 3339 UTC, or none
};

// A workflow id that matches no row.
class WorkflowNotFound : public std::runtime_error {
  public:
    using std::runtime_error::runtime_error;
};

class WorkflowStore {
  public:
    enum class InstallResult { created, updated, updatedArchived };
    enum class ArchiveResult { archived, alreadyArchived };
    enum class RestoreResult { restored, notArchived };

    explicit WorkflowStore(Poco::Data::Session& session) : session_(session) {}

    // Inserts the workflow, or replaces the definition, inputs and phases of
    // the one with the same id, in one transaction. An update keeps
    // created_at and archived_at and sets updated_at. The result
    // updatedArchived means that the workflow stays archived.
    InstallResult install(const package::WorkflowDefinition& workflow);

    // Lists every workflow, archived ones included, ordered by id.
    std::vector<WorkflowSummary> list();

    // Sets archived_at, or throws WorkflowNotFound for an unknown id.
    ArchiveResult archive(const std::string& id);

    // Clears archived_at, so that the workflow can be executed again, or
    // throws WorkflowNotFound for an unknown id.
    RestoreResult restore(const std::string& id);

  private:
    InstallResult writeWorkflow(const package::WorkflowDefinition& workflow);
    void requireWorkflow(const std::string& id);
    void writeInputs(const package::WorkflowDefinition& workflow);
    void writePhases(const package::WorkflowDefinition& workflow);

    Poco::Data::Session& session_;
};

}  // namespace syn
