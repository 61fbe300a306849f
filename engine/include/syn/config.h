// Settings shared by every binary: one table of keys, read from the config
// file, overridden by SYN_* environment variables and then by command-line
// options (--set key=value).
#pragma once

#include <Poco/Util/LayeredConfiguration.h>

#include <string>
#include <vector>

namespace syn {

struct Setting {
    const char* key;           // e.g. "runner.slots"
    const char* environment;   // e.g. "SYN_RUNNER_SLOTS"
    const char* defaultValue;  // as text, "" when unset
    const char* unit;          // e.g. "seconds", "bytes", "count", "path"
    const char* description;
};

// Every setting the product reads, in the order --help and syn.conf list them.
const std::vector<Setting>& settings();

// Default location of the shared config file.
inline constexpr const char* kDefaultConfigPath = "/etc/syn/syn.conf";

// Adds the settings' defaults (lowest priority), the config file at `path`
// when it exists, and the environment overrides (highest priority) to
// `config`. Throws Poco::Exception when the file exists but cannot be parsed.
void loadSettings(Poco::Util::LayeredConfiguration& config, const std::string& path);

// Formats the settings table for --help: key, environment variable, unit and default.
std::string describeSettings();

}  // namespace syn
