#include "syn/config.h"

#include <Poco/AutoPtr.h>
#include <Poco/File.h>
#include <Poco/Util/MapConfiguration.h>
#include <Poco/Util/PropertyFileConfiguration.h>

#include <cstdlib>
#include <sstream>

namespace syn {

const std::vector<Setting>& settings() {
    static const std::vector<Setting> table = {
        {"database.url", "SYN_DATABASE_URL", "dbname=syn", "libpq conninfo or URL",
         "PostgreSQL database holding schema syn"},

        {"fcgi.listen", "SYN_FCGI_LISTEN", "unix:/run/syn/fcgi.sock", "unix:PATH or HOST:PORT",
         "FastCGI listening socket; ignored when a socket is inherited on fd 0"},
        {"fcgi.workers", "SYN_FCGI_WORKERS", "2", "processes", "FastCGI worker processes"},
        {"fcgi.threads", "SYN_FCGI_THREADS", "4", "threads", "accept threads per worker"},
        {"fcgi.backlog", "SYN_FCGI_BACKLOG", "1024", "connections", "listen(2) backlog"},
        {"fcgi.max_body_bytes", "SYN_FCGI_MAX_BODY_BYTES", "1048576", "bytes",
         "largest request body accepted; larger bodies get 413"},

        {"runner.id", "SYN_RUNNER_ID", "", "text",
         "runner id recorded in claims; default host:pid"},
        {"runner.slots", "SYN_RUNNER_SLOTS", "4", "executions", "executions run at once"},
        {"runner.poll_interval_ms", "SYN_RUNNER_POLL_INTERVAL_MS", "2000", "milliseconds",
         "how often to look for work when no notification arrives"},
        {"runner.notifications", "SYN_RUNNER_NOTIFICATIONS", "true", "true or false",
         "wake on the API's NOTIFY; false leaves only polling, for measuring it"},
        {"runner.lease_seconds", "SYN_RUNNER_LEASE_SECONDS", "30", "seconds",
         "lease length; another runner rescues an execution whose lease lapsed"},
        {"runner.heartbeat_seconds", "SYN_RUNNER_HEARTBEAT_SECONDS", "10", "seconds",
         "how often a runner renews its leases"},
        {"runner.max_attempts", "SYN_RUNNER_MAX_ATTEMPTS", "3", "count",
         "claims that lose their runner before the execution fails; releases and pauses "
         "do not count"},
        {"runner.agent_command", "SYN_RUNNER_AGENT_COMMAND", "[\"syn-demo-agent\"]",
         "JSON array of strings",
         "agent argv; {model}, {phase_id} and {workspace} are expanded, no shell is used"},
        {"runner.default_model", "SYN_RUNNER_DEFAULT_MODEL", "", "text",
         "model substituted for {model} when a phase names none"},
        {"runner.workspace_root", "SYN_RUNNER_WORKSPACE_ROOT", "/var/lib/syn/workspaces", "path",
         "directory under which each execution gets its workspace"},
        {"runner.output_max_bytes", "SYN_RUNNER_OUTPUT_MAX_BYTES", "1048576", "bytes",
         "phase output stored in the database; the rest is cut with a marker"},
        {"runner.stderr_tail_bytes", "SYN_RUNNER_STDERR_TAIL_BYTES", "4096", "bytes",
         "tail of agent stderr kept for the phase error"},
        {"runner.kill_grace_seconds", "SYN_RUNNER_KILL_GRACE_SECONDS", "5", "seconds",
         "time between SIGTERM and SIGKILL when stopping an agent"},
        {"runner.shutdown_grace_seconds", "SYN_RUNNER_SHUTDOWN_GRACE_SECONDS", "30", "seconds",
         "time running phases get to finish after SIGTERM before they are stopped"},

        {"git.url_template", "SYN_GIT_URL_TEMPLATE", "https://github.com/{owner}/{name}.git",
         "template", "clone URL for an owner/name slug"},
        {"git.depth", "SYN_GIT_DEPTH", "1", "commits", "clone depth; 0 clones full history"},
        {"git.timeout_seconds", "SYN_GIT_TIMEOUT_SECONDS", "300", "seconds",
         "time one clone may take"},
        {"git.token_file", "SYN_GIT_TOKEN_FILE", "", "path",
         "file holding an HTTPS token for clones; empty for none"},

        {"workspace.keep_completed_days", "SYN_WORKSPACE_KEEP_COMPLETED_DAYS", "0", "days",
         "days a completed or cancelled execution's workspace is kept; 0 deletes it at once"},
        {"workspace.keep_failed_days", "SYN_WORKSPACE_KEEP_FAILED_DAYS", "7", "days",
         "days a failed execution's workspace is kept for inspection"},

        {"fcgi.socket_mode", "SYN_FCGI_SOCKET_MODE", "0660", "octal mode",
         "permissions of the unix socket syn-fcgi binds itself; the web server must be able to "
         "connect"},
        {"fcgi.shutdown_grace_seconds", "SYN_FCGI_SHUTDOWN_GRACE_SECONDS", "20", "seconds",
         "time workers get to finish requests in flight after SIGTERM before they are killed"},
        {"runner.workflows", "SYN_RUNNER_WORKFLOWS", "", "comma-separated workflow ids",
         "claim only executions of these workflows, for runners dedicated to them; empty "
         "claims every workflow"},
        {"fcgi.statement_timeout_ms", "SYN_FCGI_STATEMENT_TIMEOUT_MS", "5000", "milliseconds",
         "longest time one API statement may run or wait for a lock before it is cancelled "
         "and the request gets 503; 0 means no limit"},
        {"runner.output_flush_ms", "SYN_RUNNER_OUTPUT_FLUSH_MS", "1000", "milliseconds",
         "how often the output of a running phase is stored in the database and the workspace "
         "while it grows; 0 stores it only when the phase ends"},
    };
    return table;
}

void loadSettings(Poco::Util::LayeredConfiguration& config, const std::string& path) {
    Poco::AutoPtr<Poco::Util::MapConfiguration> defaults(new Poco::Util::MapConfiguration);
    Poco::AutoPtr<Poco::Util::MapConfiguration> environment(new Poco::Util::MapConfiguration);
    for (const Setting& setting : settings()) {
        defaults->setString(setting.key, setting.defaultValue);
        if (const char* value = std::getenv(setting.environment)) {
            environment->setString(setting.key, value);
        }
    }
    // Priorities: lower numbers win. Command-line --set values are added by
    // the applications at -200, above the environment.
    config.add(defaults, 1000, false);
    if (!path.empty() && Poco::File(path).exists()) {
        Poco::AutoPtr<Poco::Util::PropertyFileConfiguration> file(
            new Poco::Util::PropertyFileConfiguration(path));
        config.add(file, 0, false);
    }
    config.add(environment, -100, false);
}

std::string describeSettings() {
    std::ostringstream out;
    out << "Settings (config file key, environment variable, unit, default):\n";
    for (const Setting& setting : settings()) {
        out << "  " << setting.key << " (" << setting.environment << ", " << setting.unit
            << ", default \"" << setting.defaultValue << "\")\n      " << setting.description
            << "\n";
    }
    return out.str();
}

}  // namespace syn
