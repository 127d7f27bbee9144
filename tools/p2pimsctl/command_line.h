// The flags and arguments of one p2pimsctl command (e.g. "content show"). Unlike lib/config's
// Flags, flags may repeat (--territory A --territory B), there is no environment fallback (an
// operator's shell variables must not leak into a licence), and every error is a usage error.
//
//   CommandLine cl("content show", "Prints one content item.");
//   cl.Flag("reason", "TEXT", "why").Arg("ID", "content id");
//   if (absl::Status s = cl.Parse({"x", "--reason", "dup"}); !s.ok()) ...   // exit 2
//   cl.Get("reason");   // "dup"
//   cl.Arg(0);          // "x"
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace p2pims::ctl {

class CommandLine {
 public:
  // `name` is the command as typed after "p2pimsctl", e.g. "content show".
  CommandLine(std::string name, std::string summary);

  // A flag taking a value (`--name VALUE` or `--name=VALUE`), given at most once.
  CommandLine& Flag(const std::string& name, const std::string& value_name,
                    const std::string& help);
  // A flag taking a value that may be given several times.
  CommandLine& RepeatedFlag(const std::string& name, const std::string& value_name,
                            const std::string& help);
  // A flag without value (`--name`).
  CommandLine& Switch(const std::string& name, const std::string& help);
  // A required positional argument, in declaration order.
  CommandLine& Arg(const std::string& value_name, const std::string& help);
  // An optional positional argument; declare these after the required ones.
  CommandLine& OptionalArg(const std::string& value_name, const std::string& help);
  // Flags declared after this call are listed under `title` in the usage (e.g. "global flags").
  CommandLine& Section(const std::string& title);
  // A line of text appended to the usage (examples, rules between flags).
  CommandLine& Note(const std::string& text);

  // Reads the arguments after the command words. `--help`/`-h` anywhere asks for the usage (and
  // skips the checks on arguments); `--` ends the flags. Usage errors: unknown flag, missing
  // value, a single flag given twice, a value that is not UTF-8, a wrong number of arguments.
  absl::Status Parse(const std::vector<std::string>& args);

  bool help_requested() const { return help_; }
  bool Has(absl::string_view name) const;
  // The flag's value, or `fallback` when it was not given.
  std::string Get(absl::string_view name, absl::string_view fallback = "") const;
  // Every value of a repeated flag, in order.
  std::vector<std::string> GetAll(absl::string_view name) const;
  bool GetSwitch(absl::string_view name) const { return Has(name); }
  // The i-th positional argument (Parse checked that it exists, unless it is optional).
  const std::string& Arg(size_t i) const { return args_.at(i); }
  // How many positional arguments were given.
  size_t ArgCount() const { return args_.size(); }

  // Usage error "--name is required" unless the flag was given with a non-empty value.
  absl::Status Require(absl::string_view name) const;
  // Usage error unless exactly one of the flags was given.
  absl::Status RequireExactlyOne(const std::vector<std::string>& names) const;
  // When the flag was given: parses it as an integer in [min, max] into `*out`. Absent flags
  // leave `*out` alone. Usage error naming the flag otherwise.
  absl::Status ReadInt(absl::string_view name, int64_t min, int64_t max, int64_t* out) const;
  // When the flag was given: parses it as a time (see time_arg.h) into `*out`.
  absl::Status ReadTime(absl::string_view name, int64_t* out) const;

  // The --help text: usage line, summary, arguments, flags, notes.
  std::string Usage() const;
  const std::string& name() const { return name_; }

 private:
  enum class Kind { kValue, kRepeated, kSwitch };
  struct Spec {
    Kind kind;
    std::string value_name;
    std::string help;
    std::string section;
  };
  struct Positional {
    std::string value_name;
    std::string help;
    bool optional = false;
  };
  std::string name_;
  std::string summary_;
  std::vector<std::string> order_;  // flags in declaration order, for the usage
  std::map<std::string, Spec, std::less<>> specs_;
  std::vector<Positional> positional_specs_;
  std::vector<std::string> notes_;
  std::string section_ = "flags";

  std::map<std::string, std::vector<std::string>, std::less<>> values_;
  std::vector<std::string> args_;
  bool help_ = false;
};

// Parses a whole decimal integer (optional leading '-', digits only) in [min, max].
absl::Status ParseInteger(absl::string_view text, int64_t min, int64_t max, int64_t* out);

}  // namespace p2pims::ctl
