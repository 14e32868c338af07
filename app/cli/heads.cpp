// `attnviz heads [--model DIR] [--text TEXT | --probe induction] [--json]`: what every head of a
// model does, as a table of role scores (core/analysis/head_roles.h) on a text or on the
// standard induction probe.
#include <cstdio>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "app/cli/args.h"
#include "app/cli/commands.h"
#include "core/analysis/head_roles.h"
#include "core/analysis/model_input.h"
#include "core/model.h"

namespace attnviz {
namespace {

constexpr const char* kUsage =
    "usage: attnviz heads [--model DIR] [--text TEXT | --probe induction] [--repeat R] [--seed S]\n"
    "                     [--exclude-first-token] [--exclude-current-token] [--json]\n"
    "Without --text, the induction probe is used: a first token, R random tokens (default 20),\n"
    "then the same R again; its induction column is the probe score (the app's Head roles table\n"
    "shows the same numbers). A text longer than the model's context is cut, as the app cuts it.\n";

int usage_error(const std::string& message) {
  std::fprintf(stderr, "attnviz heads: %s\n%s", message.c_str(), kUsage);
  return 2;
}

struct HeadsInput {
  std::vector<Token> tokens;
  int had_tokens = 0;     // before truncation
  int repeat_length = 0;  // > 0 for the probe
};

void print_table(const HeadRoleTable& table, bool probe) {
  std::printf("%5s %4s %7s %7s %9s %7s %8s %8s  %s\n", "layer", "head", "prev", "dup",
              probe ? "induct*" : "induct", "first", "distance", "entropy", "label");
  for (const HeadRole& role : table.roles)
    std::printf("%5d %4d %7.3f %7.3f %9.3f %7.3f %8.2f %8.3f  %s\n", role.layer, role.head,
                role.previous_token, role.duplicate_token, role.induction, role.first_token_share,
                role.mean_distance, role.mean_entropy, role.label.c_str());
  if (probe)
    std::printf(
        "# induct*: induction probe score (mean attention to the next token's first copy)\n");
}

nlohmann::json table_json(const HeadRoleTable& table, const Model& model, const HeadsInput& input,
                          uint64_t seed, const DetectionOptions& options) {
  const HeadLabelRule rule;
  nlohmann::json heads = nlohmann::json::array();
  for (const HeadRole& role : table.roles)
    heads.push_back({{"layer", role.layer},
                     {"head", role.head},
                     {"previous_token", role.previous_token},
                     {"duplicate_token", role.duplicate_token},
                     {"induction", role.induction},
                     {"first_token_share", role.first_token_share},
                     {"self_share", role.self_share},
                     {"mean_distance", role.mean_distance},
                     {"mean_entropy", role.mean_entropy},
                     {"normalized_entropy", role.normalized_entropy},
                     {"label", role.label}});
  nlohmann::json ids = nlohmann::json::array();
  for (const Token& token : input.tokens) ids.push_back(token.id);
  nlohmann::json document = {{"model", model.config().name},
                             {"layers", table.layers},
                             {"heads_per_layer", table.heads},
                             {"tokens", input.tokens.size()},
                             {"token_ids", ids},
                             {"text_tokens", input.had_tokens},
                             {"input", input.repeat_length > 0 ? "induction_probe" : "text"},
                             {"options",
                              {{"exclude_first_token", options.exclude_first_token},
                               {"exclude_current_token", options.exclude_current_token}}},
                             {"label_rule",
                              {{"pattern_threshold", rule.pattern_threshold},
                               {"local_distance", rule.local_distance},
                               {"broad_entropy", rule.broad_entropy}}},
                             {"heads", heads}};
  if (input.repeat_length > 0)
    document["probe"] = {{"repeat_length", input.repeat_length},
                         {"seed", seed},
                         {"first_token_id", input.tokens.front().id}};
  return document;
}

}  // namespace

int run_heads(const Args& words) {
  auto args = CliArgs::parse(words, {"model", "text", "probe", "repeat", "seed"},
                             {"json", "exclude-first-token", "exclude-current-token"});
  if (!args) return usage_error(args.error().message);
  if (!args->positional().empty())
    return usage_error("unexpected argument '" + args->positional().front() + "'");
  if (args->has("text") && args->has("probe"))
    return usage_error("give --text or --probe, not both");
  if (auto probe = args->value("probe"); probe && *probe != "induction")
    return usage_error("--probe knows only 'induction', got '" + *probe + "'");
  auto repeat = args->integer("repeat", 1, 10000);
  if (!repeat) return usage_error(repeat.error().message);
  auto seed = args->integer("seed", 0, 1L << 62);
  if (!seed) return usage_error(seed.error().message);
  if (args->has("text") && (repeat->has_value() || seed->has_value()))
    return usage_error("--repeat and --seed belong to the probe, not to --text");
  const DetectionOptions options{.exclude_first_token = args->has("exclude-first-token"),
                                 .exclude_current_token = args->has("exclude-current-token")};

  const std::filesystem::path folder =
      args->value("model").value_or(builtin_model_folder().string());
  auto model = Model::load(folder);
  if (!model) {
    std::fprintf(stderr, "attnviz heads: %s\n", model.error().message.c_str());
    return 1;
  }
  const Tokenizer& tokenizer = (*model)->tokenizer();
  const int max_tokens = (*model)->config().max_positions;

  HeadsInput input;
  const uint64_t probe_seed = static_cast<uint64_t>(seed->value_or(kProbeSeed));
  if (auto text = args->value("text")) {
    auto prepared = prepare_input(tokenizer, (*model)->config(), *text);
    if (!prepared) {
      std::fprintf(stderr, "attnviz heads: --text: %s\n", prepared.error().message.c_str());
      return 1;
    }
    if (prepared->truncated())
      std::fprintf(stderr, "attnviz heads: warning: %s\n", truncation_note(*prepared).c_str());
    input.tokens = std::move(prepared->tokens);
    input.had_tokens = prepared->had_tokens;
    if (input.tokens.empty()) {
      std::fprintf(stderr, "attnviz heads: --text gives no tokens; type some words\n");
      return 1;
    }
  } else {
    const int repeat_length = static_cast<int>(repeat->value_or(kProbeRepeat));
    if (1 + 2 * repeat_length > max_tokens) {
      std::fprintf(stderr, "attnviz heads: --repeat %d needs %d positions; the model has %d\n",
                   repeat_length, 1 + 2 * repeat_length, max_tokens);
      return 1;
    }
    ProbeInput probe =
        make_probe_input(tokenizer, (*model)->config(), repeat_length, probe_seed);
    input.tokens = std::move(probe.tokens);
    input.repeat_length = probe.repeat_length;
    input.had_tokens = static_cast<int>(input.tokens.size());
  }

  RunOptions run_options;
  run_options.keep_qkv = false;
  auto trace = (*model)->run(input.tokens, run_options);
  if (!trace) {
    std::fprintf(stderr, "attnviz heads: %s\n", trace.error().message.c_str());
    return 1;
  }
  HeadRoleTable table = compute_head_roles(**trace, options);
  if (input.repeat_length > 0)
    set_induction_from_probe(table, induction_probe_score(**trace, input.repeat_length));

  if (args->has("json")) {
    std::printf("%s\n", table_json(table, **model, input, probe_seed, options)
                            .dump(2, ' ', false, nlohmann::json::error_handler_t::replace)
                            .c_str());
    return 0;
  }
  if (input.repeat_length > 0) {
    std::printf("# %s: induction probe, first token %d + %d random tokens twice (seed %llu)\n",
                folder.c_str(), input.tokens.front().id, input.repeat_length,
                static_cast<unsigned long long>(probe_seed));
  } else {
    std::printf("# %s: %zu tokens of the text\n", folder.c_str(), input.tokens.size());
  }
  print_table(table, input.repeat_length > 0);
  return 0;
}

}  // namespace attnviz
