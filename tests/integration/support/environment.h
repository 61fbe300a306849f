// Where the integration tests find the stack: scripts/test exports these.
#pragma once

#include <string>

namespace syn::test {

// Returns the environment variable `name`, or throws naming the variable and
// how to set it when it is missing or empty.
std::string requireEnvironment(const char* name);

// SYN_URL: nginx of the stack under test, e.g. http://127.0.0.1:40000.
std::string stackUrl();
// SYN_DATABASE_URL: the stack's PostgreSQL.
std::string databaseUrl();
// SYN_STACK_DIR: the state directory of scripts/stack.
std::string stackDir();
// SYN_BUILD_DIR: the build tree holding synctl.
std::string buildDir();
// SYN_SOURCE_DIR: the repository, for scripts/ and tests/fixtures/.
std::string sourceDir();

}  // namespace syn::test
