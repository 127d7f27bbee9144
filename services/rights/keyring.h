// Rights' signing keys, read from a key file (a plain file or a mounted Kubernetes Secret) and
// re-read when it changes, so keys rotate without a restart:
//   1. add the new key as the file's first line: it signs from the next reload on;
//   2. give the old key retire=<now + token lifetime>: it still verifies until then;
//   3. remove it once retired.
// A reload that fails (unreadable file, bad line, signing key already retired) keeps the keys in
// use and is reported. Seeds stay in memory only; they are never logged.
#pragma once

#include <atomic>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "lib/token/signer.h"

namespace p2pims::rights {

// One loaded key file: the signing key first, then the keys that only verify.
struct KeySet {
  std::vector<token::KeyPair> keys;
  std::unique_ptr<token::Signer> signer;  // keys[0]
  std::string fingerprint;                // of the file's contents, to notice changes
};

// Thread-safe; current() takes no lock.
class Keyring {
 public:
  // Keys given directly (tests); Reload() then does nothing.
  explicit Keyring(std::vector<token::KeyPair> keys);
  // Loads `path`. InvalidArgument / NotFound as token::LoadKeyFile, FailedPrecondition when the
  // signing key has retired at `now`.
  static absl::StatusOr<std::unique_ptr<Keyring>> FromFile(const std::string& path, int64_t now);

  std::shared_ptr<const KeySet> current() const { return current_.load(); }
  // Re-reads the file when its contents changed; true when new keys were taken into use.
  absl::StatusOr<bool> Reload(int64_t now);

 private:
  Keyring() = default;
  static absl::StatusOr<std::shared_ptr<const KeySet>> Load(const std::string& path, int64_t now);

  std::string path_;
  std::atomic<std::shared_ptr<const KeySet>> current_;
};

}  // namespace p2pims::rights
