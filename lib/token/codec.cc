#include "lib/token/codec.h"

#include <cstring>

#include "absl/strings/str_cat.h"

namespace p2pims::token {
namespace {

constexpr uint8_t kVersion = 1;

bool PutString(std::string& out, std::string_view s) {
  if (s.size() > 255) return false;
  out.push_back(static_cast<char>(s.size()));
  out.append(s);
  return true;
}

void PutU32(std::string& out, uint32_t v) {
  for (int shift = 24; shift >= 0; shift -= 8)
    out.push_back(static_cast<char>((v >> shift) & 0xff));
}

// Reads fields front to back; any overrun marks the whole decode as failed.
class Reader {
 public:
  explicit Reader(std::string_view in) : in_(in) {}
  bool ok() const { return ok_; }
  bool done() const { return in_.empty(); }
  uint8_t U8() {
    if (in_.empty()) return Fail(), 0;
    uint8_t v = static_cast<uint8_t>(in_[0]);
    in_.remove_prefix(1);
    return v;
  }
  uint32_t U32() {
    uint32_t v = 0;
    for (int i = 0; i < 4; ++i) v = (v << 8) | U8();
    return v;
  }
  std::string String() {
    size_t n = U8();
    return std::string(Bytes(n));
  }
  template <size_t N>
  void Fixed(std::array<uint8_t, N>& out) {
    std::string_view b = Bytes(N);
    if (b.size() == N) std::memcpy(out.data(), b.data(), N);
  }

 private:
  std::string_view Bytes(size_t n) {
    if (!ok_ || in_.size() < n) return Fail(), std::string_view();
    std::string_view b = in_.substr(0, n);
    in_.remove_prefix(n);
    return b;
  }
  void Fail() {
    ok_ = false;
    in_ = {};
  }
  std::string_view in_;
  bool ok_ = true;
};

}  // namespace

absl::StatusOr<std::string> EncodeClaims(const Claims& c) {
  std::string out;
  out.reserve(96 + c.subject.size() + c.session_id.size() + c.locality.size());
  out.push_back(static_cast<char>(kVersion));
  bool ok = PutString(out, c.kid) && PutString(out, c.subject);
  out.append(reinterpret_cast<const char*>(c.info_hash.data()), c.info_hash.size());
  ok = ok && PutString(out, c.session_id) && PutString(out, c.locality);
  if (!ok) return absl::InvalidArgumentError("token claim longer than 255 bytes");
  out.push_back(static_cast<char>(c.role));
  out.push_back(static_cast<char>(c.caps));
  out.push_back(static_cast<char>(c.rate_class));
  PutU32(out, c.issued_at);
  PutU32(out, c.expires_at);
  out.append(reinterpret_cast<const char*>(c.token_id.data()), c.token_id.size());
  return out;
}

absl::StatusOr<Claims> DecodeClaims(std::string_view bytes) {
  Reader r(bytes);
  if (r.U8() != kVersion) return absl::InvalidArgumentError("unsupported token version");
  Claims c;
  c.kid = r.String();
  c.subject = r.String();
  r.Fixed(c.info_hash);
  c.session_id = r.String();
  c.locality = r.String();
  uint8_t role = r.U8();
  c.caps = r.U8();
  c.rate_class = r.U8();
  c.issued_at = r.U32();
  c.expires_at = r.U32();
  r.Fixed(c.token_id);
  if (!r.ok() || !r.done()) return absl::InvalidArgumentError("malformed token claims");
  if (role > static_cast<uint8_t>(Role::kOrigin)) {
    return absl::InvalidArgumentError(absl::StrCat("unknown token role ", role));
  }
  c.role = static_cast<Role>(role);
  return c;
}

bool ParseRole(const std::string& name, Role* role) {
  if (name == "leech")
    *role = Role::kLeech;
  else if (name == "seed")
    *role = Role::kSeed;
  else if (name == "origin")
    *role = Role::kOrigin;
  else
    return false;
  return true;
}

const char* RoleName(Role role) {
  switch (role) {
    case Role::kLeech:
      return "leech";
    case Role::kSeed:
      return "seed";
    case Role::kOrigin:
      return "origin";
  }
  return "leech";
}

}  // namespace p2pims::token
