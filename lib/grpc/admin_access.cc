#include "lib/grpc/admin_access.h"

#include <grpc/grpc_security_constants.h>
#include <sodium.h>

#include <fstream>
#include <sstream>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "lib/encoding/encoding.h"
#include "lib/log/log.h"

namespace p2pims {
namespace {

// Set once in main, before the servers start: afterwards only read.
struct Rules {
  bool configured = false;
  AdminGrants grants;
};
Rules& Current() {
  static Rules rules;
  return rules;
}

std::optional<AdminRole> ParseRole(std::string_view name) {
  if (name == "reader") return AdminRole::kReader;
  if (name == "billing") return AdminRole::kBilling;
  if (name == "operator") return AdminRole::kOperator;
  return std::nullopt;
}

std::string Sha256Hex(std::string_view text) {
  unsigned char digest[crypto_hash_sha256_BYTES];
  crypto_hash_sha256(digest, reinterpret_cast<const unsigned char*>(text.data()), text.size());
  return Hex({reinterpret_cast<const char*>(digest), sizeof digest});
}

std::string Name(AdminRole role) { return std::string(AdminRoleName(role)); }

void Grant(std::map<std::string, AdminRole>& to, const std::string& who, AdminRole role) {
  auto [it, added] = to.try_emplace(who, role);
  if (!added && role > it->second) it->second = role;
}

}  // namespace

std::string_view AdminRoleName(AdminRole role) {
  switch (role) {
    case AdminRole::kReader:
      return "reader";
    case AdminRole::kBilling:
      return "billing";
    case AdminRole::kOperator:
      return "operator";
  }
  return "?";
}

absl::StatusOr<AdminGrants> ParseAdminGrants(std::string_view text) {
  AdminGrants grants;
  int n = 0;
  for (absl::string_view line : absl::StrSplit(absl::string_view(text.data(), text.size()), '\n')) {
    ++n;
    line = line.substr(0, line.find('#'));
    std::vector<absl::string_view> words =
        absl::StrSplit(absl::StripAsciiWhitespace(line), absl::ByAnyChar(" \t"), absl::SkipEmpty());
    if (words.empty()) continue;
    auto role = words.size() == 2 ? ParseRole({words[0].data(), words[0].size()}) : std::nullopt;
    if (!role) {
      return absl::InvalidArgumentError(absl::StrCat(
          "line ", n, ": expected '<reader|billing|operator> cert:<name>' or '... token-sha256:<hex>'"));
    }
    absl::string_view who = words[1];
    if (absl::ConsumePrefix(&who, "cert:") && !who.empty()) {
      Grant(grants.by_certificate_name, std::string(who), *role);
    } else if (absl::ConsumePrefix(&who, "token-sha256:") && who.size() == 64 && Unhex(std::string_view(who.data(), who.size()))) {
      Grant(grants.by_token_sha256, absl::AsciiStrToLower(who), *role);
    } else {
      return absl::InvalidArgumentError(absl::StrCat(
          "line ", n, ": '", words[1], "' is neither cert:<name> nor token-sha256:<64 hex digits>"));
    }
  }
  return grants;
}

std::optional<AdminRole> RoleOf(const AdminGrants& grants,
                                const std::vector<std::string>& certificate_names,
                                std::string_view bearer_token) {
  std::optional<AdminRole> best;
  auto take = [&](const std::map<std::string, AdminRole>& from, const std::string& key) {
    if (auto it = from.find(key); it != from.end() && (!best || it->second > *best)) best = it->second;
  };
  for (const std::string& name : certificate_names) take(grants.by_certificate_name, name);
  if (!bearer_token.empty()) take(grants.by_token_sha256, Sha256Hex(bearer_token));
  return best;
}

void AddAdminAccessFlags(Flags& flags) {
  flags.Add("admin-access-file", "",
            "who may call the admin RPCs: lines '<reader|billing|operator> cert:<name>' or "
            "'<role> token-sha256:<hex>' (empty: anyone; for local development only)");
}

absl::Status ConfigureAdminAccess(const Flags& flags) {
  const std::string file = flags.Get("admin-access-file");
  Rules& rules = Current();
  if (file.empty()) {
    log::Warn("admin RPCs are open to every caller (no --admin-access-file)");
    rules = Rules();
    return absl::OkStatus();
  }
  std::ifstream in(file);
  std::ostringstream text;
  text << in.rdbuf();
  if (!in) return absl::InvalidArgumentError("--admin-access-file: cannot read " + file);
  auto grants = ParseAdminGrants(text.str());
  if (!grants.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("--admin-access-file ", file, ": ",
                                                   grants.status().message()));
  }
  rules.configured = true;
  rules.grants = *std::move(grants);
  log::Info("admin RPCs need a role",
            {{"certificates", static_cast<int64_t>(rules.grants.by_certificate_name.size())},
             {"tokens", static_cast<int64_t>(rules.grants.by_token_sha256.size())}});
  return absl::OkStatus();
}

grpc::Status CheckAdmin(const grpc::ServerContext* ctx, AdminRole needed) {
  const Rules& rules = Current();
  if (!rules.configured) return grpc::Status::OK;
  if (ctx == nullptr) return grpc::Status(grpc::StatusCode::UNAUTHENTICATED, "no caller");
  std::vector<std::string> names;
  if (auto auth = ctx->auth_context(); auth != nullptr) {
    for (const char* property : {GRPC_X509_CN_PROPERTY_NAME, GRPC_X509_SAN_PROPERTY_NAME}) {
      for (const grpc::string_ref& v : auth->FindPropertyValues(property)) {
        names.emplace_back(v.data(), v.size());
      }
    }
  }
  std::string token;
  const auto& md = ctx->client_metadata();
  if (auto it = md.find("authorization"); it != md.end()) {
    absl::string_view value(it->second.data(), it->second.size());
    if (absl::ConsumePrefix(&value, "Bearer ")) token = std::string(value);
  }
  const std::optional<AdminRole> role = RoleOf(rules.grants, names, token);
  if (!role) {
    return grpc::Status(grpc::StatusCode::UNAUTHENTICATED,
                        absl::StrCat("this RPC needs the ", Name(needed),
                                     " role: present a client certificate or a bearer token "
                                     "granted it"));
  }
  if (*role < needed) {
    return grpc::Status(grpc::StatusCode::PERMISSION_DENIED,
                        absl::StrCat("this RPC needs the ", Name(needed),
                                     " role; the caller has ", Name(*role)));
  }
  return grpc::Status::OK;
}

}  // namespace p2pims
