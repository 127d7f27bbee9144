#include "lib/http/message.h"

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace p2pims::http {

const char* ReasonPhrase(int status) {
  switch (status) {
    case 200:
      return "OK";
    case 204:
      return "No Content";
    case 400:
      return "Bad Request";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 408:
      return "Request Timeout";
    case 431:
      return "Request Header Fields Too Large";
    case 500:
      return "Internal Server Error";
    case 503:
      return "Service Unavailable";
    case 505:
      return "HTTP Version Not Supported";
  }
  if (status >= 200 && status < 300) return "Success";
  if (status >= 300 && status < 400) return "Redirection";
  if (status >= 400 && status < 500) return "Client Error";
  return "Server Error";
}

std::string SerializeResponse(const Response& response, bool head_only) {
  std::string out =
      absl::StrCat("HTTP/1.1 ", response.status, " ", ReasonPhrase(response.status),
                   "\r\nContent-Type: ", response.content_type,
                   "\r\nContent-Length: ", response.body.size(), "\r\nConnection: close\r\n");
  for (const auto& [name, value] : response.headers) {
    const std::string lower = absl::AsciiStrToLower(name);
    if (lower == "content-type" || lower == "content-length" || lower == "connection") continue;
    if (absl::StrContains(name, '\r') || absl::StrContains(name, '\n') ||
        absl::StrContains(value, '\r') || absl::StrContains(value, '\n')) {
      continue;
    }
    absl::StrAppend(&out, name, ": ", value, "\r\n");
  }
  out += "\r\n";
  if (!head_only) out += response.body;
  return out;
}

Response TextResponse(int status) {
  Response response;
  response.status = status;
  response.body = absl::StrCat(ReasonPhrase(status), "\n");
  return response;
}

}  // namespace p2pims::http
