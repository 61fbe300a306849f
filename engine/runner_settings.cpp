#include "syn/runner_settings.h"

#include <Poco/Environment.h>
#include <Poco/Exception.h>
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Parser.h>
#include <Poco/Process.h>

#include <regex>
#include <sstream>

namespace syn {

namespace {

int wholeNumber(const Poco::Util::AbstractConfiguration& config, const std::string& key) {
    try {
        return config.getInt(key);
    } catch (const Poco::SyntaxException&) {
        throw Poco::InvalidArgumentException(key + " must be a whole number, got \"" +
                                             config.getString(key) + "\"");
    }
}

int positiveInt(const Poco::Util::AbstractConfiguration& config, const std::string& key) {
    int value = wholeNumber(config, key);
    if (value <= 0) {
        throw Poco::InvalidArgumentException(key + " must be greater than 0, got " +
                                             std::to_string(value));
    }
    return value;
}

int nonNegativeInt(const Poco::Util::AbstractConfiguration& config, const std::string& key) {
    int value = wholeNumber(config, key);
    if (value < 0) {
        throw Poco::InvalidArgumentException(key + " must be 0 or greater, got " +
                                             std::to_string(value));
    }
    return value;
}

}  // namespace

std::vector<std::string> parseAgentCommand(const std::string& json) {
    const std::string expected =
        "runner.agent_command must be a non-empty JSON array of strings such as "
        "[\"syn-demo-agent\"], got " +
        json;
    Poco::JSON::Array::Ptr array;
    try {
        array = Poco::JSON::Parser().parse(json).extract<Poco::JSON::Array::Ptr>();
    } catch (const Poco::Exception&) {
        throw Poco::InvalidArgumentException(expected);
    }
    if (array.isNull() || array->size() == 0) {
        throw Poco::InvalidArgumentException(expected);
    }
    std::vector<std::string> argv;
    for (size_t i = 0; i < array->size(); ++i) {
        Poco::Dynamic::Var item = array->get(static_cast<unsigned>(i));
        if (!item.isString()) {
            throw Poco::InvalidArgumentException(expected);
        }
        argv.push_back(item.extract<std::string>());
    }
    return argv;
}

std::vector<std::string> parseWorkflowList(const std::string& text) {
    // The same form as workflow ids that synctl and POST /workflows accept.
    static const std::regex idPattern("[A-Za-z0-9][A-Za-z0-9._-]{0,127}");
    std::vector<std::string> ids;
    if (text.find_first_not_of(" \t") == std::string::npos) {
        return ids;
    }
    // getline yields no item after a trailing comma, so it is caught here.
    if (text.find_last_not_of(" \t") == text.rfind(',')) {
        throw Poco::InvalidArgumentException("runner.workflows ends with a comma: \"" + text +
                                             "\"");
    }
    std::istringstream items(text);
    for (std::string item; std::getline(items, item, ',');) {
        size_t first = item.find_first_not_of(" \t");
        size_t last = item.find_last_not_of(" \t");
        std::string id = first == std::string::npos ? "" : item.substr(first, last - first + 1);
        if (!std::regex_match(id, idPattern)) {
            throw Poco::InvalidArgumentException(
                "runner.workflows must list workflow ids separated by commas, such as "
                "\"review,triage\"; \"" +
                id + "\" in \"" + text + "\" is not a workflow id");
        }
        ids.push_back(id);
    }
    return ids;
}

RunnerSettings readRunnerSettings(const Poco::Util::AbstractConfiguration& config) {
    RunnerSettings settings;
    settings.runnerId = config.getString("runner.id", "");
    if (settings.runnerId.empty()) {
        settings.runnerId =
            Poco::Environment::nodeName() + ":" + std::to_string(Poco::Process::id());
    }
    settings.slots = positiveInt(config, "runner.slots");
    settings.workflows = parseWorkflowList(config.getString("runner.workflows", ""));
    settings.pollIntervalMs = positiveInt(config, "runner.poll_interval_ms");
    settings.notifications = config.getBool("runner.notifications");
    settings.leaseSeconds = positiveInt(config, "runner.lease_seconds");
    settings.heartbeatSeconds = positiveInt(config, "runner.heartbeat_seconds");
    if (settings.heartbeatSeconds >= settings.leaseSeconds) {
        throw Poco::InvalidArgumentException(
            "runner.heartbeat_seconds (" + std::to_string(settings.heartbeatSeconds) +
            ") must be less than runner.lease_seconds (" + std::to_string(settings.leaseSeconds) +
            "), or leases lapse between renewals");
    }
    settings.maxAttempts = positiveInt(config, "runner.max_attempts");
    settings.shutdownGraceSeconds = positiveInt(config, "runner.shutdown_grace_seconds");
    settings.agentCommand = parseAgentCommand(config.getString("runner.agent_command"));
    settings.defaultModel = config.getString("runner.default_model", "");
    settings.workspaceRoot = config.getString("runner.workspace_root");
    settings.limits.outputMaxBytes = positiveInt(config, "runner.output_max_bytes");
    settings.limits.stderrTailBytes = positiveInt(config, "runner.stderr_tail_bytes");
    settings.limits.killGrace =
        std::chrono::seconds(positiveInt(config, "runner.kill_grace_seconds"));
    settings.outputFlushInterval =
        std::chrono::milliseconds(nonNegativeInt(config, "runner.output_flush_ms"));
    settings.git = workspace::gitSettingsFrom(config);
    settings.retention = workspace::retentionPolicyFrom(config);
    return settings;
}

}  // namespace syn
