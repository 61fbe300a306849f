#include "support/environment.h"

#include <cstdlib>
#include <stdexcept>

namespace syn::test {

std::string requireEnvironment(const char* name) {
    const char* value = std::getenv(name);
    if (value == nullptr || *value == '\0') {
        throw std::runtime_error(std::string(name) +
                                 " is not set: run the integration tests through scripts/test, "
                                 "or export the output of scripts/stack env");
    }
    return value;
}

std::string stackUrl() {
    return requireEnvironment("SYN_URL");
}
std::string databaseUrl() {
    return requireEnvironment("SYN_DATABASE_URL");
}
std::string stackDir() {
    return requireEnvironment("SYN_STACK_DIR");
}
std::string buildDir() {
    return requireEnvironment("SYN_BUILD_DIR");
}
std::string sourceDir() {
    return requireEnvironment("SYN_SOURCE_DIR");
}

}  // namespace syn::test
