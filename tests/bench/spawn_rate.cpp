// Measures how fast this machine can start an agent and collect its output:
// the ceiling for executions completed per second by one runner.
//
// Usage: syn_bench_spawn_rate PARALLEL COUNT PROGRAM [ARG...]
// Runs PROGRAM COUNT times, PARALLEL at once, each with a pipe on stdin
// (a short prompt written, then closed) and on stdout (read to the end), the
// way the runner starts agents but with no process group, timeout or
// database. Prints "SYN_SPAWN_RATE <starts per second>", then
// "SYN_SPAWN_CPU <ms>": the user and system CPU time of this process and
// its agents per start.
#include <fcntl.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

extern char** environ;

namespace {

// Starts the program once, feeds it a prompt, reads stdout to the end and
// reaps it. Returns false when it could not be started or did not exit 0.
bool runOnce(char* const* argv) {
    int input[2];
    int output[2];
    if (pipe2(input, O_CLOEXEC) != 0 || pipe2(output, O_CLOEXEC) != 0) {
        return false;
    }
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, input[0], STDIN_FILENO);
    posix_spawn_file_actions_adddup2(&actions, output[1], STDOUT_FILENO);
    pid_t pid = -1;
    int started = posix_spawnp(&pid, argv[0], &actions, nullptr, argv, environ);
    posix_spawn_file_actions_destroy(&actions);
    close(input[0]);
    close(output[1]);

    static const char kPrompt[] = "Reply to: measure\n";
    if (started == 0) {
        ssize_t ignored = write(input[1], kPrompt, sizeof(kPrompt) - 1);
        (void)ignored;  // an agent that exits without reading closes the pipe
    }
    close(input[1]);
    char buffer[4096];
    while (read(output[0], buffer, sizeof(buffer)) > 0) {
    }
    close(output[0]);
    if (started != 0) {
        return false;
    }
    int status = 0;
    waitpid(pid, &status, 0);
    return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

// Returns the CPU time of this process and of its reaped children, in ms.
double cpuMilliseconds() {
    double total = 0;
    for (int who : {RUSAGE_SELF, RUSAGE_CHILDREN}) {
        rusage usage{};
        getrusage(who, &usage);
        for (const timeval& time : {usage.ru_utime, usage.ru_stime}) {
            total += time.tv_sec * 1000.0 + time.tv_usec / 1000.0;
        }
    }
    return total;
}

}  // namespace

int main(int argc, char** argv) {
    if (argc < 4) {
        std::fprintf(stderr, "usage: syn_bench_spawn_rate PARALLEL COUNT PROGRAM [ARG...]\n");
        return 2;
    }
    int parallel = std::atoi(argv[1]);
    int count = std::atoi(argv[2]);
    if (parallel < 1 || count < 1) {
        std::fprintf(stderr, "syn_bench_spawn_rate: PARALLEL and COUNT must be positive\n");
        return 2;
    }

    // An agent that exits without reading its prompt must not kill us.
    std::signal(SIGPIPE, SIG_IGN);

    std::atomic<int> next{0};
    std::atomic<int> failures{0};
    auto start = std::chrono::steady_clock::now();
    std::vector<std::thread> threads;
    for (int i = 0; i < parallel; ++i) {
        threads.emplace_back([&] {
            while (next.fetch_add(1) < count) {
                if (!runOnce(argv + 3)) {
                    failures.fetch_add(1);
                }
            }
        });
    }
    for (std::thread& thread : threads) {
        thread.join();
    }
    std::chrono::duration<double> elapsed = std::chrono::steady_clock::now() - start;

    if (failures.load() > 0) {
        std::fprintf(stderr, "syn_bench_spawn_rate: %d of %d starts failed\n", failures.load(),
                     count);
        return 1;
    }
    std::printf("SYN_SPAWN_RATE %.0f\n", count / elapsed.count());
    std::printf("SYN_SPAWN_CPU %.3f\n", cpuMilliseconds() / count);
    return 0;
}
