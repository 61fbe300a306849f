// The start of an agent process: the child's environment and arguments, and
// a clone that shares the runner's memory until execve.
#pragma once

#include <sys/types.h>

#include <map>
#include <string>
#include <vector>

namespace syn::agent_child {

// Returns the runner's environment without the variables that configure the
// runner itself (SYN_*, libpq's PG*), with `extra` added ("NAME=value").
std::vector<std::string> mergedEnvironment(const std::map<std::string, std::string>& extra);

// Returns pointers into `strings`, ending with nullptr, as execve takes them.
// They stay valid while `strings` is unchanged.
std::vector<char*> pointers(std::vector<std::string>& strings);

// Arguments of the child, in memory it shares with the parent until execve.
struct ChildStart {
    const char* path;
    char* const* argv;
    char* const* envp;
    const char* directory;
    int in, out, err;
    pid_t parent;
    int error = 0;  // errno of the step that failed; written by the child
};

// Starts the child in a new process group with stdin, stdout and stderr
// from `start`, in its directory. Returns the pid, or -1 with errno set;
// start.error is set when the child could not change directory or exec.
pid_t cloneChild(ChildStart& start);

}  // namespace syn::agent_child
