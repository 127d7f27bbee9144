// HTTP/1.1 request and response as the operator endpoint server sees them, and the handler type
// that maps one to the other.
//
//   Handler hello = [](const Request& request) {
//     return Response{.body = "hello " + request.query + "\n"};
//   };
#pragma once

#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace p2pims::http {

struct Request {
  std::string method;  // as sent, e.g. "GET"
  std::string path;    // the request target up to '?', not percent-decoded, e.g. "/metrics"
  std::string query;   // after '?', without it; empty when absent
  // Header names lower-cased; repeated headers joined with ", ".
  std::map<std::string, std::string> headers;
};

struct Response {
  int status = 200;
  std::string content_type = "text/plain; charset=utf-8";
  std::string body;
  // Extra headers. Content-Type, Content-Length and Connection are always set by the server and
  // any given here are dropped, as are headers containing CR or LF.
  std::vector<std::pair<std::string, std::string>> headers;
};

using Handler = std::function<Response(const Request&)>;

// "OK", "Not Found", ...; a generic phrase for codes without a specific one.
const char* ReasonPhrase(int status);

// The response on the wire: status line, headers (with Content-Length of the full body and
// "Connection: close"), blank line, and the body unless `head_only` (answer to HEAD).
std::string SerializeResponse(const Response& response, bool head_only);

// A plain-text response with `status` and body "<reason phrase>\n".
Response TextResponse(int status);

}  // namespace p2pims::http
