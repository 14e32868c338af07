// `attnviz tokenize [--model DIR] --text TEXT [--json]`: shows how a model's tokenizer splits a
// text, with each token's byte span. Loads only config.json and the tokenizer files.
#include <cstdio>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>

#include "core/attention_import.h"
#include "app/cli/args.h"
#include "app/cli/commands.h"
#include "core/json_read.h"
#include "core/model.h"
#include "core/model_config.h"
#include "core/models/architecture.h"
#include "core/tokenizer_loader.h"
#include "core/tokenizers/tokenizer_json.h"

namespace attnviz {
namespace {

constexpr const char* kUsage = "usage: attnviz tokenize [--model DIR] --text TEXT [--json]\n";

// Token text on one line of the plain listing: backslash, tab and line breaks escaped.
std::string escape_for_listing(const std::string& text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\r':
        out += "\\r";
        break;
      default:
        out.push_back(c);
    }
  }
  return out;
}

std::string plain_listing(const std::vector<Token>& tokens) {
  std::string out;
  for (size_t i = 0; i < tokens.size(); ++i) {
    const Token& t = tokens[i];
    out += std::to_string(i) + '\t' + std::to_string(t.id) + '\t' + std::to_string(t.start) + '\t' +
           std::to_string(t.end) + '\t' + escape_for_listing(t.text) + '\n';
  }
  return out;
}

std::string json_listing(const std::string& model_name, const std::vector<Token>& tokens) {
  nlohmann::ordered_json list = nlohmann::ordered_json::array();
  // A token holding some bytes of a character also gives the span of the whole character.
  for (const Token& t : tokens) list.push_back(token_to_json(t));
  // A folder name with bytes that are not UTF-8 is written escaped ("\\xFF"); token texts are
  // UTF-8 already, and anything that is not is replaced by U+FFFD rather than thrown.
  const nlohmann::ordered_json root = {{"model", escape_invalid_utf8(model_name)}, {"tokens", list}};
  return root.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace) + "\n";
}

int fail(const std::string& message, int code) {
  std::fprintf(stderr, "attnviz tokenize: %s\n", message.c_str());
  if (code == 2) std::fputs(kUsage, stderr);
  return code;
}

}  // namespace

int run_tokenize(const Args& args) {
  auto parsed = CliArgs::parse(args, {"model", "text"}, {"json"});
  if (!parsed.ok()) return fail(parsed.error().message, 2);
  const CliArgs& cli = parsed.value();
  if (!cli.positional().empty())
    return fail("unexpected argument '" + cli.positional()[0] + "'", 2);
  const std::optional<std::string> text = cli.value("text");
  if (!text) return fail("--text is required", 2);

  const std::filesystem::path folder =
      cli.value("model") ? std::filesystem::path(*cli.value("model")) : builtin_model_folder();
  std::error_code ec;
  if (!std::filesystem::is_directory(folder, ec)) {
    return fail("model folder '" + display_path(folder) + "' does not exist or is not a folder", 1);
  }
  auto config = load_model_config(folder / "config.json");
  if (!config.ok()) return fail(config.error().message, 1);
  auto tokenizer = load_tokenizer(folder, architecture_row(config->architecture).tokenizer);
  if (!tokenizer.ok()) return fail(tokenizer.error().message, 1);
  auto tokens = tokenizer.value()->encode(*text);
  if (!tokens.ok()) return fail("--text: " + tokens.error().message, 1);

  const std::string out =
      cli.has("json") ? json_listing(config->name, tokens.value()) : plain_listing(tokens.value());
  if (std::fwrite(out.data(), 1, out.size(), stdout) != out.size() || std::fflush(stdout) != 0) {
    return fail("could not write to standard output", 1);
  }
  return 0;
}

}  // namespace attnviz
