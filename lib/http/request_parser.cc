#include "lib/http/request_parser.h"

#include <cctype>
#include <string>
#include <vector>

#include "absl/status/status.h"

namespace p2pims::http {
namespace {

// (Debian's Abseil has its own string_view, so this file sticks to the standard library.)

// RFC 9110 token characters, used by methods and header names.
bool IsToken(std::string_view text) {
  if (text.empty()) return false;
  for (char c : text) {
    if (std::isalnum(static_cast<unsigned char>(c))) continue;
    if (std::string_view("!#$%&'*+-.^_`|~").find(c) == std::string_view::npos) return false;
  }
  return true;
}

std::vector<std::string_view> Split(std::string_view text, char separator) {
  std::vector<std::string_view> parts;
  for (size_t start = 0;;) {
    const size_t end = text.find(separator, start);
    parts.push_back(text.substr(start, end - start));
    if (end == std::string_view::npos) return parts;
    start = end + 1;
  }
}

std::string ToLower(std::string_view text) {
  std::string lower(text);
  for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return lower;
}

absl::Status Invalid(std::string_view what, std::string_view text) {
  return absl::InvalidArgumentError(std::string(what) + " \"" + std::string(text) + "\"");
}

std::string_view TrimSpaceAndTab(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

absl::Status ParseTarget(std::string_view target, Request& request) {
  for (std::string_view scheme : {"http://", "https://"}) {
    if (ToLower(target.substr(0, scheme.size())) == scheme) {
      target.remove_prefix(scheme.size());
      const size_t slash = target.find_first_of("/?");
      target = slash == std::string_view::npos ? std::string_view("/") : target.substr(slash);
      break;
    }
  }
  if (target.empty() || (target.front() != '/' && target != "*")) {
    return Invalid("bad request target", target);
  }
  for (char c : target) {
    if (static_cast<unsigned char>(c) <= ' ' || c == 0x7f) {
      return absl::InvalidArgumentError("control character or space in request target");
    }
  }
  const size_t question = target.find('?');
  request.path = std::string(target.substr(0, question));
  if (question != std::string_view::npos) request.query = std::string(target.substr(question + 1));
  if (request.path.empty()) request.path = "/";
  return absl::OkStatus();
}

}  // namespace

size_t FindHeadEnd(std::string_view buffer) {
  const size_t crlf = buffer.find("\r\n\r\n");
  const size_t lf = buffer.find("\n\n");
  if (crlf == std::string_view::npos && lf == std::string_view::npos) {
    return std::string_view::npos;
  }
  if (lf == std::string_view::npos || (crlf != std::string_view::npos && crlf < lf)) {
    return crlf + 4;
  }
  return lf + 2;
}

absl::StatusOr<Request> ParseRequestHead(std::string_view head) {
  std::vector<std::string_view> lines = Split(head, '\n');
  for (std::string_view& line : lines) {
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  }
  while (!lines.empty() && lines.back().empty()) lines.pop_back();
  if (lines.empty()) return absl::InvalidArgumentError("empty request");

  const std::vector<std::string_view> parts = Split(lines[0], ' ');
  if (parts.size() != 3) return absl::InvalidArgumentError("malformed request line");
  if (!IsToken(parts[0])) return absl::InvalidArgumentError("malformed method");
  if (parts[2].size() != 8 || parts[2].substr(0, 7) != "HTTP/1." ||
      !std::isdigit(static_cast<unsigned char>(parts[2][7]))) {
    return Invalid("unsupported version", parts[2]);
  }
  Request request;
  request.method = std::string(parts[0]);
  if (absl::Status status = ParseTarget(parts[1], request); !status.ok()) return status;

  for (size_t i = 1; i < lines.size(); ++i) {
    const std::string_view line = lines[i];
    const size_t colon = line.find(':');
    // No obsolete line folding and no whitespace before the colon (RFC 9112 section 5).
    if (colon == std::string_view::npos || !IsToken(line.substr(0, colon))) {
      return absl::InvalidArgumentError("malformed header field");
    }
    const std::string name = ToLower(line.substr(0, colon));
    const std::string_view value = TrimSpaceAndTab(line.substr(colon + 1));
    // A bare CR or a NUL inside a value (RFC 9110 section 5.5).
    if (value.find_first_of(std::string_view("\r\0", 2)) != std::string_view::npos) {
      return absl::InvalidArgumentError("CR or NUL in a header field value");
    }
    auto [it, inserted] = request.headers.emplace(name, std::string(value));
    // Repeated fields join as one list; an empty one adds no element (RFC 9110 section 5.3),
    // so the joined value has no dangling ", " (found by http_head_fuzz).
    if (!inserted && !value.empty()) {
      if (!it->second.empty()) it->second.append(", ");
      it->second.append(value);
    }
  }
  return request;
}

}  // namespace p2pims::http
