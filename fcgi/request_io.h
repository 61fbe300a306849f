// Reads a FastCGI request into a Request and writes a Response back, reusing
// the caller's buffers so that a thread allocates little per request.
#pragma once

#include <fcgiapp.h>

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "http.h"

namespace syn::fcgi {

// Returns the path part of a REQUEST_URI, still percent-encoded.
std::string_view pathOfUri(std::string_view uri);

// Parses CONTENT_LENGTH. Returns nothing when it is absent, empty or not a
// decimal number, in which case the body is read until the stream ends.
std::optional<std::size_t> parseContentLength(const char* text);

// Fills every field of `request` but the body from the FastCGI params.
void readParams(char** envp, Request& request);

enum class BodyOutcome { Complete, TooLarge };

// Reads the body from `in` into `request.body` and sets `hasBody`. Returns
// TooLarge, leaving the body empty, when the declared length or the bytes
// sent exceed `maxBytes`; the rest of the body is then read and discarded
// so that the web server can deliver the 413.
BodyOutcome readBody(FCGX_Stream* in, std::optional<std::size_t> contentLength,
                     std::size_t maxBytes, Request& request);

// Returns the standard reason phrase for an HTTP status, e.g. "Not Found".
const char* reasonPhrase(int status);

// Formats the CGI response header block (Status, Content-Type unless the
// response sets its own, Content-Length, the extra headers, blank line) into
// `head`, replacing its contents.
void formatResponseHead(const Response& response, std::string& head);

// Writes `response` to `out`, using `head` as scratch space.
void writeResponse(FCGX_Stream* out, const Response& response, std::string& head);

}  // namespace syn::fcgi
