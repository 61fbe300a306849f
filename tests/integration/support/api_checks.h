// Steps and checks that several API suites share.
#pragma once

#include <string>

#include "support/http_client.h"

namespace syn::test {

// Installs every workflow of tests/fixtures/workflows that is not installed yet:
// it-basic, it-simple, it-repos and it-archived.
void installFixtureWorkflows();

// POSTs `body` to /workflows/<workflowId>/execute and returns the new
// execution id; throws with the response when the status is not 200.
std::string startExecution(const HttpClient& client, const std::string& workflowId,
                           const std::string& body = "{}", const Headers& headers = {});

// Returns "" when `response` is a 422 in the list form with an entry of
// `type`, whose loc serializes to `locJson` (e.g. ["body","task"]) and whose
// msg is the one FastAPI pairs with that type; else a description of what
// differs, for the assertion message.
std::string findValidationError(const HttpResponse& response, const std::string& type,
                                const std::string& locJson);

// Returns "" when `response` has `status` and a body that is exactly the JSON
// object {"detail": detail}, whatever its whitespace; else what differs.
std::string checkDetail(const HttpResponse& response, int status, const std::string& detail);

// Asserts checkDetail with the description as the failure message.
#define SYN_ASSERT_DETAIL(response, status, detail)                                \
    do {                                                                           \
        std::string difference = syn::test::checkDetail(response, status, detail); \
        CPPUNIT_ASSERT_MESSAGE(difference, difference.empty());                    \
    } while (false)

// The msg FastAPI pairs with a validation error type, or "" for an unknown type.
std::string validationMessage(const std::string& type);

}  // namespace syn::test
