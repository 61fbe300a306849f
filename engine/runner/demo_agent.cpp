// syn-demo-agent: a stand-in for a real agent CLI. It reads the prompt on
// stdin and writes a short, deterministic markdown answer that quotes the
// start of the prompt, so the demo shows phases feeding each other without
// a network or a model.
#include <chrono>
#include <cstdlib>
#include <iostream>
#include <iterator>
#include <sstream>
#include <string>
#include <thread>

namespace {

constexpr size_t kQuotedLines = 6;
constexpr size_t kQuotedLineLength = 120;

std::string environmentValue(const char* name) {
    const char* value = std::getenv(name);
    return value == nullptr ? "(unset)" : value;
}

// Returns the first non-empty lines of the prompt as a markdown quote.
std::string quotePrompt(const std::string& prompt) {
    std::istringstream lines(prompt);
    std::string line;
    std::string quoted;
    size_t count = 0;
    while (count < kQuotedLines && std::getline(lines, line)) {
        if (line.empty()) {
            continue;
        }
        if (line.size() > kQuotedLineLength) {
            line = line.substr(0, kQuotedLineLength) + "...";
        }
        quoted += "> " + line + "\n";
        ++count;
    }
    return quoted.empty() ? "> (empty prompt)\n" : quoted;
}

}  // namespace

int main(int argc, char** argv) {
    if (argc > 1 && std::string(argv[1]) == "--help") {
        std::cout << "Usage: syn-demo-agent [--think-ms N] [ARGS...]\n"
                     "Reads a prompt on stdin and prints a deterministic markdown answer that "
                     "quotes it. --think-ms waits N milliseconds first, as a real agent takes "
                     "time, so that a watcher sees each phase running. Other arguments are "
                     "listed in the answer and otherwise ignored.\n";
        return 0;
    }
    if (argc > 2 && std::string(argv[1]) == "--think-ms") {
        std::this_thread::sleep_for(std::chrono::milliseconds(std::atoi(argv[2])));
        argv += 2;
        argc -= 2;
    }
    std::string prompt((std::istreambuf_iterator<char>(std::cin)),
                       std::istreambuf_iterator<char>());

    std::string phase = environmentValue("SYN_PHASE_ID");
    std::cout << "## Phase " << phase << " (demo agent)\n\n"
              << "This answer comes from syn-demo-agent, a demo agent that calls no model. "
                 "Configure runner.agent_command to run a real agent.\n\n"
              << "Execution " << environmentValue("SYN_EXECUTION_ID") << " of workflow "
              << environmentValue("SYN_WORKFLOW_ID") << ", prompt of " << prompt.size() << " bytes";
    if (argc > 1) {
        std::cout << ", arguments:";
        for (int i = 1; i < argc; ++i) {
            std::cout << ' ' << argv[i];
        }
    }
    std::cout << ".\n\nThe prompt began:\n\n"
              << quotePrompt(prompt) << "\nResult of phase " << phase << ": done.\n";
    return 0;
}
