// The signature every endpoint handler has.
#pragma once

#include <string>
#include <vector>

#include "database.h"
#include "http.h"

namespace syn::fcgi {

// Decoded values of the route's {placeholders}, in path order.
using PathParameters = std::vector<std::string>;

using Handler = Response (*)(const Request& request, const PathParameters& parameters,
                             Database& database);

}  // namespace syn::fcgi
