#include "router.h"

#include <array>
#include <string_view>

#include "execute_handler.h"
#include "execution_control_handler.h"
#include "execution_handler.h"
#include "execution_status_handler.h"
#include "handler.h"
#include "json_response.h"
#include "path.h"
#include "statement_error.h"
#include "workflow_create_handler.h"
#include "workflow_handler.h"

namespace syn::fcgi {
namespace {

struct Route {
    std::string_view method;
    // Path segments; "{}" matches any one segment and becomes a parameter.
    std::array<std::string_view, 4> pattern;
    size_t length;
    Handler handler;
};

// Order matters only where a literal segment and a placeholder could both
// match the same path; the literal route comes first.
const Route kRoutes[] = {
    {"GET", {"workflows"}, 1, handleWorkflowList},
    {"POST", {"workflows"}, 1, handleCreateWorkflow},
    {"GET", {"workflows", "executions", "active"}, 3, handleActiveExecutions},
    {"GET", {"workflows", "{}"}, 2, handleWorkflow},
    {"POST", {"workflows", "{}", "execute"}, 3, handleExecute},
    {"GET", {"workflows", "{}", "executions", "{}"}, 4, handleExecutionStatus},
    {"GET", {"executions"}, 1, handleExecutionList},
    {"GET", {"executions", "{}"}, 2, handleExecution},
    {"POST", {"executions", "{}", "cancel"}, 3, handleCancel},
    {"POST", {"executions", "{}", "pause"}, 3, handlePause},
    {"POST", {"executions", "{}", "resume"}, 3, handleResume},
};

bool matches(const Route& route, const std::vector<std::string>& segments,
             PathParameters& parameters) {
    if (segments.size() != route.length) {
        return false;
    }
    parameters.clear();
    for (size_t i = 0; i < route.length; ++i) {
        if (route.pattern[i] == "{}") {
            // A placeholder matches one non-empty segment, as Starlette's [^/]+ does.
            if (segments[i].empty()) {
                return false;
            }
            parameters.push_back(segments[i]);
        } else if (route.pattern[i] != segments[i]) {
            return false;
        }
    }
    return true;
}

// HEAD runs the GET handler, as in Starlette, and the web server drops the body.
bool acceptsMethod(const Route& route, std::string_view method) {
    return method == route.method || (method == "HEAD" && route.method == "GET");
}

void addAllowed(std::string& allow, std::string_view method) {
    std::string_view methods[] = {method, method == "GET" ? "HEAD" : ""};
    for (std::string_view name : methods) {
        if (name.empty() || allow.find(name) != std::string::npos) {
            continue;
        }
        allow += allow.empty() ? "" : ", ";
        allow += name;
    }
}

Response dispatch(const Request& request, Database& database) {
    std::optional<std::vector<std::string>> segments = splitPath(request.target);
    if (!segments) {
        return notFoundResponse();
    }

    std::string allow;
    PathParameters parameters;
    for (const Route& route : kRoutes) {
        if (!matches(route, *segments, parameters)) {
            continue;
        }
        if (acceptsMethod(route, request.method)) {
            return route.handler(request, parameters, database);
        }
        addAllowed(allow, route.method);
    }
    return allow.empty() ? notFoundResponse() : methodNotAllowedResponse(allow);
}

}  // namespace

Response handleRequest(const Request& request, Database& database) {
    try {
        return dispatch(request, database);
    } catch (const pg::Error& error) {
        if (error.isConnectionError()) {
            throw;
        }
        return statementErrorResponse(request, error);
    }
}

}  // namespace syn::fcgi
