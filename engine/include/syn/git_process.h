// Runs one git command without a shell, in its own process group, with a
// deadline after which the whole group is killed, and a stop request that
// kills it sooner.
#pragma once

#include <atomic>
#include <chrono>
#include <string>
#include <vector>

#include "syn/agent_process.h"

namespace syn::workspace {

struct GitResult {
    int exitCode = -1;      // git's exit status; -1 when it was killed by a signal
    bool timedOut = false;  // true when the deadline passed and the group was killed
    // The stop request that killed the group; none when git ran to its end or timed out.
    StopRequest stoppedBy = StopRequest::none;
    std::string output;  // the last bytes of git's combined stdout and stderr
};

// Runs `git arguments...` with the runner's environment minus variables that
// would redirect git (GIT_DIR, GIT_CONFIG_*, askpass helpers), plus
// GIT_TERMINAL_PROMPT=0 and `extraEnvironment` ("KEY=VALUE" entries). Standard
// input is /dev/null and no other descriptor of the caller is inherited.
// When `deadline` passes, SIGKILL goes to git's process group, which also ends
// the transport helpers and index-pack that git started. `stop`, when given,
// is read every 50 ms. Any value but none kills the group the same way, and
// git does not start when the value is already set.
// Throws std::system_error when git cannot be started at all.
GitResult runGit(const std::vector<std::string>& arguments,
                 const std::vector<std::string>& extraEnvironment,
                 std::chrono::steady_clock::time_point deadline,
                 const std::atomic<StopRequest>* stop = nullptr);

}  // namespace syn::workspace
