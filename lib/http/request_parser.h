// Parsing an HTTP/1.x request head (request line and header fields), enough for operator
// endpoints: origin-form targets split into path and query, header names lower-cased.
//
//   size_t end = FindHeadEnd(buffer);          // npos until the blank line has arrived
//   absl::StatusOr<Request> request = ParseRequestHead(buffer.substr(0, end));
#pragma once

#include <cstddef>
#include <string_view>

#include "absl/status/statusor.h"
#include "lib/http/message.h"

namespace p2pims::http {

// The offset just past the blank line ending the head ("\r\n\r\n", or "\n\n" from lax
// clients), or std::string_view::npos when it has not arrived yet.
size_t FindHeadEnd(std::string_view buffer);

// Parses "METHOD target HTTP/1.x" and the header lines. Absolute-form targets
// ("http://host/path") are reduced to their path. InvalidArgument on anything malformed.
absl::StatusOr<Request> ParseRequestHead(std::string_view head);

}  // namespace p2pims::http
