#include "tools/p2pimsctl/command_line.h"

#include <limits>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "lib/encoding/encoding.h"
#include "tools/p2pimsctl/cli_error.h"
#include "tools/p2pimsctl/time_arg.h"

namespace p2pims::ctl {

CommandLine::CommandLine(std::string name, std::string summary)
    : name_(std::move(name)), summary_(std::move(summary)) {}

CommandLine& CommandLine::Flag(const std::string& name, const std::string& value_name,
                               const std::string& help) {
  order_.push_back(name);
  specs_[name] = {Kind::kValue, value_name, help, section_};
  return *this;
}

CommandLine& CommandLine::RepeatedFlag(const std::string& name, const std::string& value_name,
                                       const std::string& help) {
  order_.push_back(name);
  specs_[name] = {Kind::kRepeated, value_name, help, section_};
  return *this;
}

CommandLine& CommandLine::Switch(const std::string& name, const std::string& help) {
  order_.push_back(name);
  specs_[name] = {Kind::kSwitch, "", help, section_};
  return *this;
}

CommandLine& CommandLine::Arg(const std::string& value_name, const std::string& help) {
  positional_specs_.push_back({value_name, help});
  return *this;
}

CommandLine& CommandLine::OptionalArg(const std::string& value_name, const std::string& help) {
  positional_specs_.push_back({value_name, help, true});
  return *this;
}

CommandLine& CommandLine::Section(const std::string& title) {
  section_ = title;
  return *this;
}

CommandLine& CommandLine::Note(const std::string& text) {
  notes_.push_back(text);
  return *this;
}

absl::Status CommandLine::Parse(const std::vector<std::string>& args) {
  const std::string see_help = absl::StrCat(" (see 'p2pimsctl ", name_, " --help')");
  bool flags_done = false;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (SanitizeUtf8(arg) != arg) return UsageError("an argument is not valid UTF-8");
    if (!flags_done && (arg == "--help" || arg == "-h")) {
      help_ = true;
      continue;
    }
    if (!flags_done && arg == "--") {
      flags_done = true;
      continue;
    }
    if (flags_done || arg.size() < 2 || arg[0] != '-') {
      args_.push_back(arg);
      continue;
    }
    if (arg.rfind("--", 0) != 0) return UsageError(absl::StrCat("unknown flag ", arg, see_help));
    std::string name = arg.substr(2);
    std::string value;
    bool has_value = false;
    if (auto eq = name.find('='); eq != std::string::npos) {
      value = name.substr(eq + 1);
      name.resize(eq);
      has_value = true;
    }
    auto spec = specs_.find(name);
    if (spec == specs_.end()) {
      return UsageError(absl::StrCat("unknown flag --", name, " for '", name_, "'", see_help));
    }
    if (spec->second.kind == Kind::kSwitch) {
      if (has_value) return UsageError(absl::StrCat("flag --", name, " takes no value"));
    } else if (!has_value) {
      // A missing value must not swallow the next flag: `--reason --json` is an error.
      if (i + 1 >= args.size() || args[i + 1].rfind("--", 0) == 0) {
        return UsageError(absl::StrCat("flag --", name, " needs a value (--", name, "=", "VALUE",
                                       " for values starting with --)"));
      }
      value = args[++i];
      if (SanitizeUtf8(value) != value) return UsageError("an argument is not valid UTF-8");
    }
    std::vector<std::string>& slot = values_[name];
    if (spec->second.kind != Kind::kRepeated && !slot.empty()) {
      return UsageError(absl::StrCat("flag --", name, " given more than once"));
    }
    slot.push_back(std::move(value));
  }
  if (help_) return absl::OkStatus();
  size_t required = 0;
  for (const auto& p : positional_specs_) required += p.optional ? 0 : 1;
  if (args_.size() < required || args_.size() > positional_specs_.size()) {
    if (positional_specs_.empty()) {
      return UsageError(absl::StrCat("unexpected argument '", args_.front(), "'", see_help));
    }
    std::vector<std::string> names;
    for (const auto& p : positional_specs_) {
      names.push_back(p.optional ? absl::StrCat("[", p.value_name, "]") : p.value_name);
    }
    return UsageError(absl::StrCat("'", name_, "' takes ", absl::StrJoin(names, " "), see_help));
  }
  return absl::OkStatus();
}

bool CommandLine::Has(absl::string_view name) const { return values_.contains(name); }

std::string CommandLine::Get(absl::string_view name, absl::string_view fallback) const {
  auto it = values_.find(name);
  if (it == values_.end()) return std::string(fallback);
  return it->second.back();
}

std::vector<std::string> CommandLine::GetAll(absl::string_view name) const {
  auto it = values_.find(name);
  if (it == values_.end()) return {};
  return it->second;
}

absl::Status CommandLine::Require(absl::string_view name) const {
  if (Get(name).empty()) return UsageError(absl::StrCat("--", name, " is required"));
  return absl::OkStatus();
}

absl::Status CommandLine::RequireExactlyOne(const std::vector<std::string>& names) const {
  int given = 0;
  for (const auto& name : names) given += Has(name) ? 1 : 0;
  if (given == 1) return absl::OkStatus();
  std::vector<std::string> flags;
  for (const auto& name : names) flags.push_back(absl::StrCat("--", name));
  return UsageError(
      absl::StrCat(given == 0 ? "give one of " : "give only one of ", absl::StrJoin(flags, ", ")));
}

absl::Status CommandLine::ReadInt(absl::string_view name, int64_t min, int64_t max,
                                  int64_t* out) const {
  if (!Has(name)) return absl::OkStatus();
  absl::Status s = ParseInteger(Get(name), min, max, out);
  if (!s.ok()) return UsageError(absl::StrCat("--", name, ": ", s.message()));
  return absl::OkStatus();
}

absl::Status CommandLine::ReadTime(absl::string_view name, int64_t* out) const {
  if (!Has(name)) return absl::OkStatus();
  absl::StatusOr<int64_t> t = ParseTimeArg(Get(name));
  if (!t.ok()) return UsageError(absl::StrCat("--", name, ": ", t.status().message()));
  *out = *t;
  return absl::OkStatus();
}

std::string CommandLine::Usage() const {
  std::string out = absl::StrCat("usage: p2pimsctl ", name_);
  if (!order_.empty()) absl::StrAppend(&out, " [flags]");
  for (const auto& p : positional_specs_) {
    absl::StrAppend(&out, " ", p.optional ? absl::StrCat("[", p.value_name, "]") : p.value_name);
  }
  absl::StrAppend(&out, "\n\n", summary_, "\n");
  if (!positional_specs_.empty()) {
    absl::StrAppend(&out, "\narguments:\n");
    for (const auto& p : positional_specs_) {
      absl::StrAppend(&out, "  ", p.value_name, p.optional ? " (optional)" : "", "\n      ", p.help,
                      "\n");
    }
  }
  std::string section;
  for (const auto& name : order_) {
    const Spec& spec = specs_.at(name);
    if (spec.section != section) {
      section = spec.section;
      absl::StrAppend(&out, "\n", section, ":\n");
    }
    absl::StrAppend(&out, "  --", name);
    if (!spec.value_name.empty()) absl::StrAppend(&out, " ", spec.value_name);
    if (spec.kind == Kind::kRepeated) absl::StrAppend(&out, " (repeatable)");
    absl::StrAppend(&out, "\n      ", spec.help, "\n");
  }
  for (const auto& note : notes_) absl::StrAppend(&out, "\n", note, "\n");
  return out;
}

absl::Status ParseInteger(absl::string_view text, int64_t min, int64_t max, int64_t* out) {
  absl::string_view digits = text;
  const bool negative = !digits.empty() && digits.front() == '-';
  if (negative) digits.remove_prefix(1);
  if (digits.empty() || digits.size() > 19) {
    return absl::InvalidArgumentError(absl::StrCat("'", text, "' is not a whole number"));
  }
  uint64_t magnitude = 0;
  for (char c : digits) {
    if (c < '0' || c > '9') {
      return absl::InvalidArgumentError(absl::StrCat("'", text, "' is not a whole number"));
    }
    magnitude = magnitude * 10 + static_cast<uint64_t>(c - '0');  // < 10^19 fits in uint64
  }
  constexpr uint64_t kMaxMagnitude = uint64_t{std::numeric_limits<int64_t>::max()};
  if (magnitude > kMaxMagnitude + (negative ? 1 : 0)) {
    return absl::InvalidArgumentError(absl::StrCat("'", text, "' is out of range"));
  }
  const int64_t value = negative ? static_cast<int64_t>(0 - magnitude)  // two's complement
                                 : static_cast<int64_t>(magnitude);
  if (value < min || value > max) {
    return absl::InvalidArgumentError(absl::StrCat("'", text, "' is outside ", min, "..", max));
  }
  *out = value;
  return absl::OkStatus();
}

}  // namespace p2pims::ctl
