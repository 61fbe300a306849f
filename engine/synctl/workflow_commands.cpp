#include <iomanip>
#include <iostream>

#include "commands.h"
#include "syn/workflow_package.h"
#include "syn/workflow_store.h"

namespace syn::synctl {

namespace {

// Formats "1 phase", "3 phases".
std::string count(size_t number, const std::string& noun) {
    return std::to_string(number) + " " + noun + (number == 1 ? "" : "s");
}

// Loads a package, printing every problem on stderr when it is invalid.
std::optional<package::WorkflowDefinition> load(const std::string& path) {
    try {
        return package::loadPackage(path);
    } catch (const package::PackageError& error) {
        for (const package::Problem& problem : error.problems()) {
            std::cerr << problem.describe() << "\n";
        }
        std::cerr << "synctl: " << path << " is not a valid workflow package ("
                  << error.problems().size() << " problem"
                  << (error.problems().size() == 1 ? "" : "s") << ")\n";
        return std::nullopt;
    }
}

int validate(const std::string& path) {
    std::optional<package::WorkflowDefinition> workflow = load(path);
    if (!workflow) {
        return kExitFailure;
    }
    std::cout << path << ": workflow " << workflow->id << " is valid ("
              << count(workflow->phases.size(), "phase") << ", "
              << count(workflow->inputs.size(), "input") << ")\n";
    return kExitOk;
}

int install(const std::string& path, const std::string& databaseUrl) {
    std::optional<package::WorkflowDefinition> workflow = load(path);
    if (!workflow) {
        return kExitFailure;
    }
    Poco::Data::Session session = openDataSession(databaseUrl);
    WorkflowStore store(session);
    WorkflowStore::InstallResult result = store.install(*workflow);
    std::cout << (result == WorkflowStore::InstallResult::created ? "Installed" : "Updated")
              << " workflow " << workflow->id << " (" << count(workflow->phases.size(), "phase")
              << ")\n";
    if (result == WorkflowStore::InstallResult::updatedArchived) {
        std::cout << "Workflow " << workflow->id
                  << " stays archived and cannot be executed; run synctl workflow restore "
                  << workflow->id << " to allow executions again\n";
    }
    return kExitOk;
}

int list(const std::string& databaseUrl) {
    Poco::Data::Session session = openDataSession(databaseUrl);
    WorkflowStore store(session);
    std::vector<WorkflowSummary> workflows = store.list();

    size_t idWidth = 2;
    size_t nameWidth = 4;
    for (const WorkflowSummary& workflow : workflows) {
        idWidth = std::max(idWidth, workflow.id.size());
        nameWidth = std::max(nameWidth, workflow.name.size());
    }
    std::cout << std::left << std::setw(idWidth) << "ID"
              << "  " << std::setw(nameWidth) << "NAME"
              << "  PHASES  ARCHIVED\n";
    for (const WorkflowSummary& workflow : workflows) {
        std::cout << std::left << std::setw(idWidth) << workflow.id << "  " << std::setw(nameWidth)
                  << workflow.name << "  " << std::setw(6) << workflow.phases << "  "
                  << workflow.archivedAt.value_or("-") << "\n";
    }
    return kExitOk;
}

int archive(const std::string& id, const std::string& databaseUrl) {
    Poco::Data::Session session = openDataSession(databaseUrl);
    WorkflowStore store(session);
    try {
        if (store.archive(id) == WorkflowStore::ArchiveResult::archived) {
            std::cout << "Archived workflow " << id << "\n";
        } else {
            std::cout << "Workflow " << id << " was already archived\n";
        }
        return kExitOk;
    } catch (const WorkflowNotFound& error) {
        std::cerr << "synctl: " << error.what() << "\n";
        return kExitFailure;
    }
}

int restore(const std::string& id, const std::string& databaseUrl) {
    Poco::Data::Session session = openDataSession(databaseUrl);
    WorkflowStore store(session);
    try {
        if (store.restore(id) == WorkflowStore::RestoreResult::restored) {
            std::cout << "Restored workflow " << id << "; it can be executed again\n";
        } else {
            std::cout << "Workflow " << id << " is not archived\n";
        }
        return kExitOk;
    } catch (const WorkflowNotFound& error) {
        std::cerr << "synctl: " << error.what() << "\n";
        return kExitFailure;
    }
}

}  // namespace

int runWorkflowCommand(const std::vector<std::string>& arguments, const DatabaseUrl& databaseUrl) {
    const std::string usage =
        "synctl workflow install PATH | validate PATH | list | archive ID | restore ID";
    if (arguments.empty()) {
        throw UsageError("missing workflow command; usage: " + usage);
    }
    const std::string& command = arguments[0];
    std::vector<std::string> rest(arguments.begin() + 1, arguments.end());
    if (command == "install") {
        expectArguments(rest, 1, "synctl workflow install PATH");
        return install(rest[0], databaseUrl());
    }
    if (command == "validate") {
        expectArguments(rest, 1, "synctl workflow validate PATH");
        return validate(rest[0]);
    }
    if (command == "list") {
        expectArguments(rest, 0, "synctl workflow list");
        return list(databaseUrl());
    }
    if (command == "archive") {
        expectArguments(rest, 1, "synctl workflow archive ID");
        return archive(rest[0], databaseUrl());
    }
    if (command == "restore") {
        expectArguments(rest, 1, "synctl workflow restore ID");
        return restore(rest[0], databaseUrl());
    }
    throw UsageError("unknown workflow command '" + command + "'; usage: " + usage);
}

}  // namespace syn::synctl
