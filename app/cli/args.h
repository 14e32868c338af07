// A small command-line parser for the attnviz subcommands: `--name value`, `--flag`, and
// positional words. Unknown options are errors, so a typo never silently changes a run.
#pragma once

#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "core/result.h"

namespace attnviz {

class CliArgs {
 public:
  // value_options take a value (--model DIR); flag_options do not (--json).
  static Result<CliArgs> parse(const std::vector<std::string>& words,
                               const std::set<std::string>& value_options,
                               const std::set<std::string>& flag_options);

  bool has(const std::string& name) const { return values_.count(name) || flags_.count(name); }
  std::optional<std::string> value(const std::string& name) const;
  const std::vector<std::string>& positional() const { return positional_; }
  // Integer option; an Error names the option when the value is not an integer in [lo, hi].
  Result<std::optional<long>> integer(const std::string& name, long lo, long hi) const;

 private:
  std::map<std::string, std::string> values_;
  std::set<std::string> flags_;
  std::vector<std::string> positional_;
};

}  // namespace attnviz
