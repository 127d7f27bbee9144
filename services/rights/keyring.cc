#include "services/rights/keyring.h"

#include <sodium.h>

#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "lib/encoding/encoding.h"

namespace p2pims::rights {
namespace {

std::shared_ptr<const KeySet> MakeSet(std::vector<token::KeyPair> keys, std::string fingerprint) {
  auto set = std::make_shared<KeySet>();
  set->keys = std::move(keys);
  set->signer = std::make_unique<token::Signer>(set->keys.at(0));
  set->fingerprint = std::move(fingerprint);
  return set;
}

}  // namespace

Keyring::Keyring(std::vector<token::KeyPair> keys) { current_.store(MakeSet(std::move(keys), "")); }

absl::StatusOr<std::shared_ptr<const KeySet>> Keyring::Load(const std::string& path,
                                                            int64_t now) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot read signing key file ", path));
  std::stringstream contents;
  contents << in.rdbuf();
  const std::string text = contents.str();
  std::array<unsigned char, crypto_generichash_BYTES> digest;
  crypto_generichash(digest.data(), digest.size(), reinterpret_cast<const unsigned char*>(text.data()),
                     text.size(), nullptr, 0);
  auto keys = token::LoadKeyFile(path);
  if (!keys.ok()) return keys.status();
  const token::KeyPair& signing = keys->front();
  if (signing.retire_at != 0 && signing.retire_at <= now) {
    return absl::FailedPreconditionError(absl::StrCat(
        path, ": the signing key ", signing.kid, " (first line) retired at ", signing.retire_at,
        "; put a current key first"));
  }
  return MakeSet(std::move(*keys), Hex({reinterpret_cast<const char*>(digest.data()), digest.size()}));
}

absl::StatusOr<std::unique_ptr<Keyring>> Keyring::FromFile(const std::string& path, int64_t now) {
  auto set = Load(path, now);
  if (!set.ok()) return set.status();
  std::unique_ptr<Keyring> ring(new Keyring());
  ring->path_ = path;
  ring->current_.store(*set);
  return ring;
}

absl::StatusOr<bool> Keyring::Reload(int64_t now) {
  if (path_.empty()) return false;
  auto set = Load(path_, now);
  if (!set.ok()) return set.status();
  if ((*set)->fingerprint == current()->fingerprint) return false;
  current_.store(*set);
  return true;
}

}  // namespace p2pims::rights
