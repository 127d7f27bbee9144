#include "services/tracker/announce_request.h"

#include <array>

#include <algorithm>
#include <cstring>
#include <limits>

namespace p2pims::tracker {

PeerAddress PeerAddress::V4(const std::array<uint8_t, 4>& a) {
  PeerAddress p;
  std::memcpy(p.bytes.data(), a.data(), 4);
  return p;
}

PeerAddress PeerAddress::V6(const std::array<uint8_t, 16>& a) {
  static constexpr uint8_t kMappedPrefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  if (std::memcmp(a.data(), kMappedPrefix, sizeof kMappedPrefix) == 0) {
    return V4({a[12], a[13], a[14], a[15]});
  }
  PeerAddress p;
  p.v6 = true;
  p.bytes = a;
  return p;
}

namespace {

// Debian's Abseil has its own string_view (ABSL_OPTION_USE_STD_STRING_VIEW 0), so messages
// are joined here rather than with absl::StrCat.
absl::Status Invalid(std::string_view a, std::string_view b = {}) {
  std::string message;
  message.reserve(a.size() + b.size());
  message.append(a).append(b);
  return absl::InvalidArgumentError(message);
}

// Bytes a request target may carry unescaped: visible ASCII (RFC 3986 asks clients to
// percent-encode everything else; a raw space would also split the request line).
bool IsVisibleAscii(char c) { return c > 0x20 && c < 0x7f; }

// URL-safe base64 and '.', as a table: every announce checks a ~265-byte token.
constexpr std::array<bool, 256> kTokenChars = [] {
  std::array<bool, 256> t{};
  for (int c = 0; c < 256; ++c) {
    t[c] = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
           c == '-' || c == '_' || c == '.';
  }
  return t;
}();

bool IsTokenChar(char c) { return kTokenChars[static_cast<unsigned char>(c)]; }

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

enum class Decode { kOk, kBadEscape, kTooLong };

// Percent-decodes `in` into out[0..cap), setting *size. '+' stays '+' (RFC 3986 query
// semantics; BitTorrent clients escape a literal '+' in binary values anyway). The whole input
// is checked for bad escapes even when it does not fit, so that a bad escape is reported as
// such whatever its length.
Decode PercentDecode(std::string_view in, char* out, size_t cap, size_t* size) {
  size_t n = 0;
  bool too_long = false;
  for (size_t i = 0; i < in.size(); ++i) {
    char c = in[i];
    if (!IsVisibleAscii(c)) return Decode::kBadEscape;
    if (c == '%') {
      if (i + 2 >= in.size()) return Decode::kBadEscape;  // truncated escape
      const int hi = HexValue(in[i + 1]);
      const int lo = HexValue(in[i + 2]);
      if (hi < 0 || lo < 0) return Decode::kBadEscape;
      c = static_cast<char>(hi * 16 + lo);
      i += 2;
    }
    if (n < cap) {
      out[n++] = c;
    } else {
      too_long = true;
    }
  }
  *size = n;
  return too_long ? Decode::kTooLong : Decode::kOk;
}

// Decodes a value that must be exactly 20 bytes (info_hash, peer_id).
absl::Status Decode20(std::string_view name, std::string_view raw, std::array<char, 20>* out) {
  size_t n = 0;
  const Decode d = PercentDecode(raw, out->data(), out->size(), &n);
  if (d == Decode::kBadEscape) return Invalid("bad percent-encoding in ", name);
  if (d == Decode::kTooLong || n != out->size()) {
    return Invalid(name, " must be 20 bytes");
  }
  return absl::OkStatus();
}

// Decodes a bounded free-form value (key, trackerid). The stack buffer caps any configured
// bound at 256 bytes, far above what clients send (libtorrent's key is 8 hex digits).
absl::Status DecodeBounded(std::string_view name, std::string_view raw, size_t max,
                           std::string* out) {
  char buf[256];
  const size_t cap = std::min(max, sizeof buf);
  size_t n = 0;
  const Decode d = PercentDecode(raw, buf, cap, &n);
  if (d == Decode::kBadEscape) return Invalid("bad percent-encoding in ", name);
  if (d == Decode::kTooLong) return Invalid(name, " is too long");
  out->assign(buf, n);
  return absl::OkStatus();
}

enum class Number { kOk, kEmpty, kNegative, kNotDecimal, kOverflow };

// A decimal in 0..INT64_MAX; digits only (no sign, no spaces). Over-long digit strings are
// an overflow, not an error of form.
Number ParseNonNegative(std::string_view name_for_errors, std::string_view raw, int64_t* out,
                        absl::Status* bad_encoding) {
  char buf[32];
  size_t n = 0;
  const Decode d = PercentDecode(raw, buf, sizeof buf, &n);
  if (d == Decode::kBadEscape) {
    *bad_encoding = Invalid("bad percent-encoding in ", name_for_errors);
    return Number::kNotDecimal;
  }
  if (d == Decode::kTooLong) {
    // Only an all-digit value can be merely too large.
    for (char c : raw) {
      if (c < '0' || c > '9') return c == '-' ? Number::kNegative : Number::kNotDecimal;
    }
    return Number::kOverflow;
  }
  if (n == 0) return Number::kEmpty;
  if (buf[0] == '-') return Number::kNegative;
  uint64_t v = 0;
  constexpr uint64_t kMax = static_cast<uint64_t>(std::numeric_limits<int64_t>::max());
  for (size_t i = 0; i < n; ++i) {
    if (buf[i] < '0' || buf[i] > '9') return Number::kNotDecimal;
    const uint64_t digit = static_cast<uint64_t>(buf[i] - '0');
    if (v > (kMax - digit) / 10) return Number::kOverflow;
    v = v * 10 + digit;
  }
  *out = static_cast<int64_t>(v);
  return Number::kOk;
}

absl::Status ParseCounter(std::string_view name, std::string_view raw, int64_t* out) {
  absl::Status encoding;
  switch (ParseNonNegative(name, raw, out, &encoding)) {
    case Number::kOk:
      return absl::OkStatus();
    case Number::kNegative:
      return Invalid(name, " must not be negative");
    case Number::kOverflow:
      return Invalid(name, " is out of range");
    case Number::kEmpty:
    case Number::kNotDecimal:
      break;
  }
  if (!encoding.ok()) return encoding;
  return Invalid(name, " must be a decimal integer");
}

// Calls visit(key_raw, key_decoded, value_raw) for each `key=value` of the query. Keys are
// decoded into a small buffer; a key too long for it is no key we know, and is passed as "".
template <typename Visit>
absl::Status ForEachParam(std::string_view query, Visit visit) {
  while (!query.empty()) {
    const size_t amp = query.find('&');
    std::string_view piece = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    if (piece.empty()) continue;  // "a=1&&b=2": tolerated, as browsers and clients produce it
    const size_t eq = piece.find('=');
    std::string_view raw_key = piece.substr(0, eq);
    std::string_view raw_value =
        eq == std::string_view::npos ? std::string_view() : piece.substr(eq + 1);
    char key_buf[16];
    size_t key_size = 0;
    const Decode d = PercentDecode(raw_key, key_buf, sizeof key_buf, &key_size);
    if (d == Decode::kBadEscape) return Invalid("bad percent-encoding in a query key");
    std::string_view key = d == Decode::kOk ? std::string_view(key_buf, key_size) : "";
    absl::Status s = visit(key, raw_value);
    if (!s.ok()) return s;
  }
  return absl::OkStatus();
}

// Checks that a value we do not interpret is well-formed all the same.
absl::Status CheckEncoding(std::string_view raw) {
  for (size_t i = 0; i < raw.size(); ++i) {
    if (!IsVisibleAscii(raw[i])) return Invalid("bad percent-encoding in the query");
    if (raw[i] == '%') {
      if (i + 2 >= raw.size() || HexValue(raw[i + 1]) < 0 || HexValue(raw[i + 2]) < 0) {
        return Invalid("bad percent-encoding in the query");
      }
      i += 2;
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<RequestLine> ParseRequestLine(std::string_view line, const RequestLimits& limits) {
  if (line.size() > limits.max_request_line) return Invalid("request line too long");
  for (char c : line) {
    if (c != ' ' && !IsVisibleAscii(c)) return Invalid("control or non-ASCII byte in request line");
  }
  const size_t first = line.find(' ');
  const size_t last = line.rfind(' ');
  if (first == std::string_view::npos || first == last) return Invalid("malformed request line");
  if (line.substr(0, first) != "GET") return Invalid("only GET is supported");
  RequestLine out;
  const std::string_view version = line.substr(last + 1);
  if (version == "HTTP/1.1") {
    out.http_minor = 1;
  } else if (version == "HTTP/1.0") {
    out.http_minor = 0;
  } else {
    return Invalid("unsupported HTTP version");
  }
  out.target = line.substr(first + 1, last - first - 1);
  if (out.target.empty() || out.target.find(' ') != std::string_view::npos) {
    return Invalid("malformed request line");
  }
  return out;
}

absl::Status ValidateToken(std::string_view token, const RequestLimits& limits) {
  if (token.empty()) return Invalid("missing token");
  if (token.size() > limits.max_token) return Invalid("token too long");
  for (char c : token) {
    if (!IsTokenChar(c)) return Invalid("malformed token");
  }
  return absl::OkStatus();
}

absl::StatusOr<TrackerTarget> ParseTarget(std::string_view target, const RequestLimits& limits) {
  if (target.size() > limits.max_request_line) return Invalid("request too long");
  for (char c : target) {
    if (!IsVisibleAscii(c)) return Invalid("control or non-ASCII byte in request");
    if (c == '#') return Invalid("fragment in request");
  }
  constexpr std::string_view kPrefix = "/a/";
  if (target.substr(0, kPrefix.size()) != kPrefix) {
    // A client given a plain tracker URL: say what is missing rather than "unknown path".
    if (target.starts_with("/announce") || target.starts_with("/scrape")) {
      return Invalid(
          "this tracker needs an access token in the announce URL "
          "(http://host:port/a/<token>/announce)");
    }
    return Invalid("unknown path");
  }
  std::string_view rest = target.substr(kPrefix.size());
  const size_t slash = rest.find('/');
  if (slash == std::string_view::npos) return Invalid("unknown path");
  TrackerTarget out;
  out.token = rest.substr(0, slash);
  if (absl::Status s = ValidateToken(out.token, limits); !s.ok()) return s;
  rest = rest.substr(slash + 1);
  const size_t question = rest.find('?');
  const std::string_view action = rest.substr(0, question);
  if (action == "announce") {
    out.endpoint = TrackerEndpoint::kAnnounce;
  } else if (action == "scrape") {
    out.endpoint = TrackerEndpoint::kScrape;
  } else {
    return Invalid("unknown path");
  }
  if (question != std::string_view::npos) out.query = rest.substr(question + 1);
  return out;
}

absl::StatusOr<AnnounceRequest> ParseAnnounceQuery(std::string_view token, std::string_view query,
                                                   const PeerAddress& remote,
                                                   const RequestLimits& limits) {
  AnnounceRequest r;
  r.token = token;
  r.peer.address = remote;
  r.numwant = limits.default_numwant;
  // One bit per known key: a repeated key would make the request ambiguous.
  enum : unsigned {
    kInfoHash = 1 << 0,
    kPeerId = 1 << 1,
    kPort = 1 << 2,
    kUploaded = 1 << 3,
    kDownloaded = 1 << 4,
    kLeft = 1 << 5,
    kEvent = 1 << 6,
    kNumwant = 1 << 7,
    kCompact = 1 << 8,
    kKey = 1 << 9,
    kTrackerId = 1 << 10,
    kIpv6 = 1 << 11,
  };
  unsigned seen = 0;
  auto first_time = [&seen](unsigned bit, std::string_view name) -> absl::Status {
    if (seen & bit) return Invalid("duplicate ", name);
    seen |= bit;
    return absl::OkStatus();
  };

  absl::Status s =
      ForEachParam(query, [&](std::string_view key, std::string_view raw) -> absl::Status {
        absl::Status st;
        if (key == "info_hash") {
          if (!(st = first_time(kInfoHash, key)).ok()) return st;
          return Decode20(key, raw, &r.info_hash);
        }
        if (key == "peer_id") {
          if (!(st = first_time(kPeerId, key)).ok()) return st;
          return Decode20(key, raw, &r.peer_id);
        }
        if (key == "port") {
          if (!(st = first_time(kPort, key)).ok()) return st;
          int64_t port = 0;
          absl::Status encoding;
          const Number n = ParseNonNegative(key, raw, &port, &encoding);
          if (!encoding.ok()) return encoding;
          if (n != Number::kOk || port < 1 || port > 65535) return Invalid("port must be 1..65535");
          r.peer.port = static_cast<uint16_t>(port);
          return absl::OkStatus();
        }
        if (key == "uploaded") {
          if (!(st = first_time(kUploaded, key)).ok()) return st;
          return ParseCounter(key, raw, &r.uploaded);
        }
        if (key == "downloaded") {
          if (!(st = first_time(kDownloaded, key)).ok()) return st;
          return ParseCounter(key, raw, &r.downloaded);
        }
        if (key == "left") {
          if (!(st = first_time(kLeft, key)).ok()) return st;
          return ParseCounter(key, raw, &r.left);
        }
        if (key == "event") {
          if (!(st = first_time(kEvent, key)).ok()) return st;
          char buf[16];
          size_t n = 0;
          const Decode d = PercentDecode(raw, buf, sizeof buf, &n);
          if (d == Decode::kBadEscape) return Invalid("bad percent-encoding in event");
          const std::string_view ev = d == Decode::kOk ? std::string_view(buf, n) : "?";
          if (ev.empty()) {
            r.event = AnnounceEvent::kNone;
          } else if (ev == "started") {
            r.event = AnnounceEvent::kStarted;
          } else if (ev == "completed") {
            r.event = AnnounceEvent::kCompleted;
          } else if (ev == "stopped") {
            r.event = AnnounceEvent::kStopped;
          } else if (ev == "paused") {
            r.event = AnnounceEvent::kPaused;
          } else {
            return Invalid("unknown event");
          }
          return absl::OkStatus();
        }
        if (key == "numwant") {
          if (!(st = first_time(kNumwant, key)).ok()) return st;
          int64_t want = 0;
          absl::Status encoding;
          switch (ParseNonNegative(key, raw, &want, &encoding)) {
            case Number::kOk:
              r.numwant = want > limits.max_numwant ? limits.max_numwant : static_cast<int>(want);
              return absl::OkStatus();
            case Number::kOverflow:
              r.numwant = limits.max_numwant;
              return absl::OkStatus();
            case Number::kNegative:
              return Invalid("numwant must not be negative");
            case Number::kEmpty:
            case Number::kNotDecimal:
              break;
          }
          if (!encoding.ok()) return encoding;
          return Invalid("numwant must be a decimal integer");
        }
        if (key == "compact") {
          if (!(st = first_time(kCompact, key)).ok()) return st;
          if (raw == "1") {
            r.compact = true;
          } else if (raw == "0") {
            r.compact = false;
          } else {
            return Invalid("compact must be 0 or 1");
          }
          return absl::OkStatus();
        }
        if (key == "key") {
          if (!(st = first_time(kKey, key)).ok()) return st;
          r.has_key = true;
          return DecodeBounded(key, raw, limits.max_key, &r.key);
        }
        if (key == "trackerid") {
          if (!(st = first_time(kTrackerId, key)).ok()) return st;
          r.has_tracker_id = true;
          return DecodeBounded(key, raw, limits.max_tracker_id, &r.tracker_id);
        }
        if (key == "ipv6") {
          if (!(st = first_time(kIpv6, key)).ok()) return st;
          if (raw.size() > limits.max_ipv6_hint) return Invalid("ipv6 is too long");
          if (!(st = CheckEncoding(raw)).ok()) return Invalid("bad percent-encoding in ipv6");
          r.ipv6_hint = raw;
          return absl::OkStatus();
        }
        // ip=, no_peer_id=, supportcrypto=, corrupt=, ...: not used, but must be well-formed.
        return CheckEncoding(raw);
      });
  if (!s.ok()) return s;

  // Reported in this order so a client sees the most basic omission first.
  if (!(seen & kInfoHash)) return Invalid("missing info_hash");
  if (!(seen & kPeerId)) return Invalid("missing peer_id");
  if (!(seen & kPort)) return Invalid("missing port");
  if (!(seen & kUploaded)) return Invalid("missing uploaded");
  if (!(seen & kDownloaded)) return Invalid("missing downloaded");
  if (!(seen & kLeft)) return Invalid("missing left");
  return r;
}

absl::StatusOr<ScrapeRequest> ParseScrapeQuery(std::string_view token, std::string_view query,
                                               const RequestLimits& limits) {
  ScrapeRequest r;
  r.token = token;
  absl::Status s =
      ForEachParam(query, [&](std::string_view key, std::string_view raw) -> absl::Status {
        if (key != "info_hash") return CheckEncoding(raw);
        if (r.info_hashes.size() >= limits.max_scrape_hashes) {
          return Invalid("too many info_hash values in scrape");
        }
        InfoHash h;
        absl::Status st = Decode20(key, raw, &h);
        if (!st.ok()) return st;
        r.info_hashes.push_back(h);
        return absl::OkStatus();
      });
  if (!s.ok()) return s;
  if (r.info_hashes.empty()) return Invalid("scrape needs at least one info_hash");
  return r;
}

}  // namespace p2pims::tracker
