// `attnviz heads [--model DIR] [--text TEXT | --probe induction] [--ablate L.H,...] [--json]`:
// what every head of a model does, as a table of role scores (core/analysis/head_roles.h) on a
// text or on the standard induction probe; with --ablate, of the model with those heads switched
// off, and what that does to its predictions (before → after).
#include <cstdio>
#include <memory>
#include <optional>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "app/cli/args.h"
#include "app/cli/commands.h"
#include "core/analysis/ablation.h"
#include "core/analysis/head_roles.h"
#include "core/analysis/model_input.h"
#include "core/model.h"

namespace attnviz {
namespace {

constexpr const char* kUsage =
    "usage: attnviz heads [--model DIR] [--text TEXT | --probe induction] [--repeat R] [--seed S]\n"
    "                     [--exclude-first-token] [--exclude-current-token] [--json]\n"
    "                     [--ablate L.H[,L.H...] [--ablate-kind zero|mean]]\n"
    "Without --text, the induction probe is used: a first token, R random tokens (default 20),\n"
    "then the same R again; its induction column is the probe score (the app's Head roles table\n"
    "shows the same numbers). A text longer than the model's context is cut, as the app cuts it.\n"
    "--ablate: switch those heads off in the model (zero: the head's output before the output\n"
    "projection is 0; mean: it is its mean over the text's positions); the table is then the\n"
    "ablated model's, and the predictions are shown before -> after: the mean probability of the\n"
    "token that actually follows (on the probe: over the repeat, which induction copies) and the\n"
    "top tokens at the last position.\n";

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

// What the ablation did to the predictions: the mean p(next token) over [first, last] and the
// top tokens of the last position, before and after.
struct AblationEffect {
  std::vector<HeadAblation> ablations;
  bool has_lm_head = false;
  std::string no_predictions;  // why there are none (no LM head)
  int first = 0, last = 0;
  double mean_before = 0.0, mean_after = 0.0;
  int position = 0;  // the last token
  std::vector<PredictionChange> changes;
};

double mean_of(const std::vector<float>& values) {
  double sum = 0.0;
  for (float v : values) sum += v;
  return values.empty() ? 0.0 : sum / values.size();
}

Result<AblationEffect> ablation_effect(Model& model, const std::vector<Token>& tokens,
                                       const std::vector<HeadAblation>& ablations,
                                       int repeat_length,
                                       std::shared_ptr<const AttentionTrace>& ablated) {
  AblationEffect effect;
  effect.ablations = ablations;
  RunOptions options;
  options.keep_qkv = false;
  options.keep_hidden_states = true;
  auto before = model.run(tokens, options);
  if (!before) return before.error();
  options.ablations = ablations;
  auto after = model.run(tokens, options);
  if (!after) return after.error();
  ablated = *after;
  effect.position = static_cast<int>(tokens.size()) - 1;
  if ((*before)->predictions.empty()) {
    effect.no_predictions = "the model " + model.config().name + " has no LM head: no predictions";
    return effect;
  }
  effect.has_lm_head = true;
  effect.first = repeat_length > 0 ? probe_copy_first(repeat_length) : 0;
  effect.last = repeat_length > 0 ? probe_copy_last(repeat_length) : effect.position - 1;
  if (effect.last >= effect.first) {
    auto p_before = next_token_probabilities(model, **before, effect.first, effect.last);
    auto p_after = next_token_probabilities(model, **after, effect.first, effect.last);
    if (!p_before) return p_before.error();
    if (!p_after) return p_after.error();
    effect.mean_before = mean_of(*p_before);
    effect.mean_after = mean_of(*p_after);
  }
  auto changes = prediction_changes(model, **before, **after, effect.position, effect.position, 5);
  if (!changes) return changes.error();
  effect.changes = std::move(changes->front());
  return effect;
}

void print_effect(const AblationEffect& effect, const std::vector<Token>& tokens, bool probe) {
  RunOptions options;
  options.ablations = effect.ablations;
  std::printf("# %s\n", what_if_description(options).c_str());
  if (!effect.has_lm_head) {
    std::printf("# %s\n", effect.no_predictions.c_str());
    return;
  }
  if (effect.last >= effect.first)
    std::printf("# p(next token), mean over positions %d..%d%s: %.4f before, %.4f after (%+.4f)\n",
                effect.first, effect.last, probe ? " (the repeat, which induction copies)" : "",
                effect.mean_before, effect.mean_after, effect.mean_after - effect.mean_before);
  std::printf("# next token at position %d ('%s'): before -> after\n", effect.position,
              tokens[effect.position].text.c_str());
  for (const PredictionChange& change : effect.changes)
    std::printf("#   %-16s %.4f -> %.4f (%+.4f)\n", ("'" + change.text + "'").c_str(),
                change.before, change.after, change.after - change.before);
}

nlohmann::json effect_json(const AblationEffect& effect) {
  nlohmann::json heads = nlohmann::json::array();
  for (const HeadAblation& a : effect.ablations)
    heads.push_back({{"layer", a.layer}, {"head", a.head}, {"kind", ablation_kind_key(a.kind)}});
  RunOptions options;
  options.ablations = effect.ablations;
  nlohmann::json out = {{"heads", heads}, {"what_if", what_if_description(options)}};
  if (!effect.has_lm_head) {
    out["predictions"] = nullptr;
    out["no_predictions"] = effect.no_predictions;
    return out;
  }
  if (effect.last >= effect.first)
    out["next_token_probability"] = {{"first", effect.first},
                                     {"last", effect.last},
                                     {"before", effect.mean_before},
                                     {"after", effect.mean_after}};
  nlohmann::json changes = nlohmann::json::array();
  for (const PredictionChange& change : effect.changes)
    changes.push_back({{"id", change.id},
                       {"text", change.text},
                       {"before", change.before},
                       {"after", change.after}});
  out["last_position"] = {{"position", effect.position}, {"tokens", changes}};
  return out;
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
  auto args = CliArgs::parse(words, {"model", "text", "probe", "repeat", "seed", "ablate", "ablate-kind"},
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
  std::vector<HeadAblation> ablations;
  if (args->has("ablate-kind") && !args->has("ablate"))
    return usage_error("--ablate-kind belongs to --ablate");
  if (auto list = args->value("ablate")) {
    const std::string kind_key = args->value("ablate-kind").value_or("zero");
    const auto kind = ablation_kind_from_key(kind_key);
    if (!kind) return usage_error("--ablate-kind expects zero or mean, got '" + kind_key + "'");
    auto parsed = parse_ablation_list(*list, *kind);
    if (!parsed) return usage_error("--ablate: " + parsed.error().message);
    ablations = std::move(parsed).value();
  }
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

  std::shared_ptr<const AttentionTrace> trace;
  std::optional<AblationEffect> effect;
  if (!ablations.empty()) {
    auto measured = ablation_effect(**model, input.tokens, ablations, input.repeat_length, trace);
    if (!measured) {
      std::fprintf(stderr, "attnviz heads: --ablate: %s\n", measured.error().message.c_str());
      return 1;
    }
    effect = std::move(measured).value();
  } else {
    RunOptions run_options;
    run_options.keep_qkv = false;
    auto run = (*model)->run(input.tokens, run_options);
    if (!run) {
      std::fprintf(stderr, "attnviz heads: %s\n", run.error().message.c_str());
      return 1;
    }
    trace = *run;
  }
  HeadRoleTable table = compute_head_roles(*trace, options);
  if (input.repeat_length > 0)
    set_induction_from_probe(table, induction_probe_score(*trace, input.repeat_length));

  if (args->has("json")) {
    nlohmann::json document = table_json(table, **model, input, probe_seed, options);
    if (effect) document["ablation"] = effect_json(*effect);
    std::printf("%s\n",
                document.dump(2, ' ', false, nlohmann::json::error_handler_t::replace).c_str());
    return 0;
  }
  if (input.repeat_length > 0) {
    std::printf("# %s: induction probe, first token %d + %d random tokens twice (seed %llu)\n",
                folder.c_str(), input.tokens.front().id, input.repeat_length,
                static_cast<unsigned long long>(probe_seed));
  } else {
    std::printf("# %s: %zu tokens of the text\n", folder.c_str(), input.tokens.size());
  }
  if (effect) print_effect(*effect, input.tokens, input.repeat_length > 0);
  print_table(table, input.repeat_length > 0);
  return 0;
}

}  // namespace attnviz
