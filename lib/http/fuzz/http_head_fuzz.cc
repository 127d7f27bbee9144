// Fuzz target for the operator endpoints' request head parser (request_parser.h): what any
// client that reaches a service's metrics/health port sends.
// Invariants: FindHeadEnd ends the head just after its blank line; a parsed request has a token
// method, a target without spaces or control characters starting with '/' (or "*"), lower-case
// token header names and values without CR, LF, NUL or outer blanks; written back as a request head
// it parses to the same request.
#include <cctype>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "lib/fuzzing/fuzz_check.h"
#include "lib/http/request_parser.h"

namespace p2pims::http {
namespace {

bool Token(std::string_view s, bool lower) {
  if (s.empty()) return false;
  for (char c : s) {
    const bool ok = std::isalnum(static_cast<unsigned char>(c)) ||
                    std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
    if (!ok || (lower && std::isupper(static_cast<unsigned char>(c)))) return false;
  }
  return true;
}

bool Visible(std::string_view s) {
  for (char c : s) {
    if (static_cast<unsigned char>(c) <= ' ' || c == 0x7f) return false;
  }
  return true;
}

}  // namespace
}  // namespace p2pims::http

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace p2pims::http;
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const size_t end = FindHeadEnd(input);
  if (end != std::string_view::npos) {
    FUZZ_CHECK(end >= 2 && end <= input.size());
    FUZZ_CHECK(input.substr(end - 2, 2) == "\n\n" ||
               (end >= 4 && input.substr(end - 4, 4) == "\r\n\r\n"));
    // Nothing before it ends a head already.
    FUZZ_CHECK(FindHeadEnd(input.substr(0, end - 1)) == std::string_view::npos);
  }
  const std::string_view head = end == std::string_view::npos ? input : input.substr(0, end);
  absl::StatusOr<Request> r = ParseRequestHead(head);
  if (!r.ok()) {
    FUZZ_CHECK(r.status().code() == absl::StatusCode::kInvalidArgument);
    return 0;
  }
  FUZZ_CHECK(Token(r->method, false));
  FUZZ_CHECK(r->path == "*" || (!r->path.empty() && r->path[0] == '/'));
  FUZZ_CHECK(Visible(r->path) && Visible(r->query));
  FUZZ_CHECK(r->path.find('?') == std::string::npos);
  std::string again = r->method + " " + r->path + (r->query.empty() ? "" : "?" + r->query) +
                      " HTTP/1.1\r\n";
  for (const auto& [name, value] : r->headers) {
    FUZZ_CHECK(Token(name, true));
    FUZZ_CHECK(value.find_first_of(std::string_view("\r\n\0", 3)) == std::string::npos);
    FUZZ_CHECK(value.empty() || (value.front() != ' ' && value.front() != '\t' &&
                                 value.back() != ' ' && value.back() != '\t'));
    again += name + ": " + value + "\r\n";
  }
  again += "\r\n";
  absl::StatusOr<Request> back = ParseRequestHead(again);
  FUZZ_CHECK(back.ok());
  FUZZ_CHECK(back->method == r->method && back->path == r->path && back->headers == r->headers);
  // "/a?" has an empty query that the written form cannot tell from none.
  FUZZ_CHECK(back->query == r->query);
  return 0;
}
