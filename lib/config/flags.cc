#include "lib/config/flags.h"

#include <cstdlib>
#include <iostream>
#include <stdexcept>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace p2pims {

Flags::Flags(std::string program, std::string summary)
    : program_(std::move(program)), summary_(std::move(summary)) {}

std::string Flags::EnvName(const std::string& name) {
  std::string env = "P2PIMS_";
  for (char c : name) env.push_back(c == '-' ? '_' : absl::ascii_toupper(c));
  return env;
}

void Flags::Add(const std::string& name, const std::string& default_value,
                const std::string& help) {
  Flag f{default_value, help, default_value, default_value == "true" || default_value == "false"};
  if (const char* env = std::getenv(EnvName(name).c_str()); env != nullptr) f.value = env;
  flags_[name] = std::move(f);
}

absl::Status Flags::Parse(int argc, const char* const* argv) {
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--help" || arg == "-h") {
      help_ = true;
      continue;
    }
    if (arg.rfind("--", 0) != 0) {
      positional_.push_back(arg);
      continue;
    }
    std::string name = arg.substr(2);
    std::string value;
    bool has_value = false;
    if (auto eq = name.find('='); eq != std::string::npos) {
      value = name.substr(eq + 1);
      name = name.substr(0, eq);
      has_value = true;
    }
    auto it = flags_.find(name);
    if (it == flags_.end()) {
      return absl::InvalidArgumentError(absl::StrCat("unknown flag --", name, " (see --help)"));
    }
    if (!has_value) {
      if (it->second.is_bool) {
        value = "true";
      } else if (i + 1 < argc) {
        value = argv[++i];
      } else {
        return absl::InvalidArgumentError(absl::StrCat("flag --", name, " needs a value"));
      }
    }
    it->second.value = value;
  }
  return absl::OkStatus();
}

const std::string& Flags::Get(const std::string& name) const {
  auto it = flags_.find(name);
  if (it == flags_.end()) throw std::logic_error("undeclared flag " + name);  // programming error
  return it->second.value;
}

absl::StatusOr<int64_t> Flags::GetInt(const std::string& name) const {
  int64_t v;
  if (!absl::SimpleAtoi(Get(name), &v)) {
    return absl::InvalidArgumentError(
        absl::StrCat("--", name, "=", Get(name), " is not an integer"));
  }
  return v;
}

absl::StatusOr<bool> Flags::GetBool(const std::string& name) const {
  const std::string v = absl::AsciiStrToLower(Get(name));
  if (v == "true" || v == "1" || v == "yes") return true;
  if (v == "false" || v == "0" || v == "no" || v.empty()) return false;
  return absl::InvalidArgumentError(absl::StrCat("--", name, "=", Get(name), " is not a boolean"));
}

std::optional<int> Flags::ParseCommandLine(int argc, const char* const* argv) {
  if (absl::Status s = Parse(argc, argv); !s.ok()) {
    std::cerr << Usage() << "\nerror: " << s.message() << "\n";
    return 2;
  }
  if (help_) {
    std::cout << Usage();
    return 0;
  }
  return std::nullopt;
}

std::string Flags::Usage() const {
  std::string out = absl::StrCat("Usage: ", program_, " [flags]\n", summary_, "\n\nFlags:\n");
  for (const auto& [name, f] : flags_) {
    absl::StrAppend(&out, "  --", name, "  (env ", EnvName(name), ", default \"", f.default_value,
                    "\")\n      ", f.help, "\n");
  }
  return out;
}

}  // namespace p2pims
