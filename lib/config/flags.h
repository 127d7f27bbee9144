// Configuration from command-line flags and the environment, in that order of precedence, then
// the declared default. Every flag `--grpc-listen` also reads `P2PIMS_GRPC_LISTEN`.
//
//   Flags flags("rights", "content licences and access tokens");
//   flags.Add("grpc-listen", "127.0.0.1:50051", "gRPC listen address");
//   if (auto s = flags.Parse(argc, argv); !s.ok()) { ...exit 2... }
//   std::string addr = flags.Get("grpc-listen");
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace p2pims {

// Declared flags and their resolved values. Parse once at start-up, then read from any thread.
class Flags {
 public:
  Flags(std::string program, std::string summary);

  // Declares a flag. A flag whose default is "true" or "false" is boolean: `--name` alone sets it.
  void Add(const std::string& name, const std::string& default_value, const std::string& help);

  // Reads `--name=value`, `--name value` and `--help`; anything not starting with `--` is
  // positional. Unknown flags and missing values are InvalidArgument errors.
  absl::Status Parse(int argc, const char* const* argv);

  const std::string& Get(const std::string& name) const;
  // Integer and boolean views; InvalidArgument with the flag's name when the value does not parse.
  absl::StatusOr<int64_t> GetInt(const std::string& name) const;
  absl::StatusOr<bool> GetBool(const std::string& name) const;

  bool help_requested() const { return help_; }
  const std::vector<std::string>& positional() const { return positional_; }
  // A --help text listing every flag with its environment variable and default.
  std::string Usage() const;

  // The environment variable consulted for `name`: P2PIMS_ + upper case, '-' becomes '_'.
  static std::string EnvName(const std::string& name);

  // Parse() for a main(): prints the usage for --help (exit code 0) or the usage and the error
  // for bad flags (exit code 2); nullopt when the program should go on.
  std::optional<int> ParseCommandLine(int argc, const char* const* argv);

 private:
  struct Flag {
    std::string default_value;
    std::string help;
    std::string value;
    bool is_bool = false;
  };
  std::string program_;
  std::string summary_;
  std::map<std::string, Flag> flags_;
  std::vector<std::string> positional_;
  bool help_ = false;
};

}  // namespace p2pims
