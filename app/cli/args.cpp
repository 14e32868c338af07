#include "app/cli/args.h"

#include <cerrno>
#include <cstdlib>

namespace attnviz {

Result<CliArgs> CliArgs::parse(const std::vector<std::string>& words,
                               const std::set<std::string>& value_options,
                               const std::set<std::string>& flag_options) {
  CliArgs args;
  for (size_t i = 0; i < words.size(); ++i) {
    const std::string& word = words[i];
    if (word.rfind("--", 0) != 0 || word == "--") {
      args.positional_.push_back(word);
      continue;
    }
    std::string name = word.substr(2);
    std::optional<std::string> inline_value;
    if (auto eq = name.find('='); eq != std::string::npos) {
      inline_value = name.substr(eq + 1);
      name = name.substr(0, eq);
    }
    if (value_options.count(name)) {
      if (inline_value) {
        args.values_[name] = *inline_value;
      } else if (i + 1 < words.size()) {
        args.values_[name] = words[++i];
      } else {
        return make_error("option --" + name + " needs a value");
      }
    } else if (flag_options.count(name)) {
      if (inline_value) return make_error("option --" + name + " takes no value");
      args.flags_.insert(name);
    } else {
      return make_error("unknown option --" + name + " (see attnviz --help)");
    }
  }
  return args;
}

std::optional<std::string> CliArgs::value(const std::string& name) const {
  auto it = values_.find(name);
  if (it == values_.end()) return std::nullopt;
  return it->second;
}

Result<std::optional<long>> CliArgs::integer(const std::string& name, long lo, long hi) const {
  auto text = value(name);
  if (!text) return std::optional<long>{};
  errno = 0;
  char* end = nullptr;
  long number = std::strtol(text->c_str(), &end, 10);
  if (text->empty() || *end != '\0' || errno != 0 || number < lo || number > hi) {
    return make_error("option --" + name + " expects an integer from " + std::to_string(lo) +
                      " to " + std::to_string(hi) + ", got '" + *text + "'");
  }
  return std::optional<long>{number};
}

}  // namespace attnviz
