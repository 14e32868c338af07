// `attnviz lens [--model DIR] --text TEXT [--position I] [--width W] [--top-k K] [--json]`: the
// logit lens of a window of the text (core/analysis/logit_lens.h), the numbers the app's Logit
// lens tab shows: per layer's residual stream and position, the top next tokens and the
// probability of the token that actually follows.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "app/cli/args.h"
#include "app/cli/commands.h"
#include "core/analysis/logit_lens.h"
#include "core/analysis/model_input.h"
#include "core/attention_import.h"
#include "core/model.h"
#include "core/view/map_geometry.h"

namespace attnviz {
namespace {

constexpr const char* kUsage =
    "usage: attnviz lens [--model DIR] --text TEXT [--position I] [--width W] [--top-k K] [--json]\n"
    "The logit lens: each layer's residual stream read through the model's final norm and\n"
    "unembedding, as if the model stopped there. Rows: the embeddings, the stream after each\n"
    "layer, and the model's output (its real predictions). Columns: W positions (default 8, at\n"
    "most 64) around position I (default the last token). Each cell: the top next token and its\n"
    "probability; 'next' is the probability of the token that actually follows. --top-k: tokens\n"
    "per cell in the JSON (default 5, at most 20). Models without an LM head (BERT) have no lens.\n";

int usage_error(const std::string& message) {
  std::fprintf(stderr, "attnviz lens: %s\n%s", message.c_str(), kUsage);
  return 2;
}

int fail(const std::string& message) {
  std::fprintf(stderr, "attnviz lens: %s\n", message.c_str());
  return 1;
}

std::string row_name(int row, int rows) {
  if (row == 0) return "embeddings";
  if (row == rows - 1) return "layer " + std::to_string(row) + " (output)";
  return "layer " + std::to_string(row);
}

void print_lens(const LogitLens& lens, const std::vector<Token>& tokens) {
  constexpr int kColumn = 16;
  std::printf("%-18s", "");
  for (int q = lens.first; q <= lens.last; ++q) {
    const std::string head = std::to_string(q) + " '" + token_label(tokens[q].text, 9) + "'";
    std::printf(" %-*s", kColumn, head.c_str());
  }
  std::printf("\n");
  for (int row = lens.rows - 1; row >= 0; --row) {
    std::printf("%-18s", row_name(row, lens.rows).c_str());
    for (int q = lens.first; q <= lens.last; ++q) {
      const Prediction& top = lens.at(row, q).top.front();
      char cell[64];
      std::snprintf(cell, sizeof cell, "'%s' %.0f%%", token_label(top.text, 8).c_str(),
                    100.0 * top.probability);
      std::printf(" %-*s", kColumn, cell);
    }
    std::printf("\n");
  }
  std::printf("%-18s", "p(next), output");
  for (int q = lens.first; q <= lens.last; ++q) {
    const float next = lens.at(lens.rows - 1, q).next;
    char cell[32];
    if (std::isnan(next)) {
      std::snprintf(cell, sizeof cell, "-");
    } else {
      std::snprintf(cell, sizeof cell, "%.4f '%s'", next, token_label(tokens[q + 1].text, 6).c_str());
    }
    std::printf(" %-*s", kColumn, cell);
  }
  std::printf("\n");
}

nlohmann::ordered_json lens_json(const LogitLens& lens, const Model& model,
                                 const std::vector<Token>& tokens, const ModelInput& input) {
  nlohmann::ordered_json rows = nlohmann::ordered_json::array();
  for (int row = 0; row < lens.rows; ++row) {
    nlohmann::ordered_json cells = nlohmann::ordered_json::array();
    for (int q = lens.first; q <= lens.last; ++q) {
      const LensCell& cell = lens.at(row, q);
      nlohmann::ordered_json top = nlohmann::ordered_json::array();
      for (const Prediction& p : cell.top)
        top.push_back({{"id", p.id}, {"text", p.text}, {"probability", p.probability}});
      cells.push_back({{"position", q},
                       {"top", top},
                       {"next", std::isnan(cell.next) ? nlohmann::ordered_json(nullptr)
                                                      : nlohmann::ordered_json(cell.next)}});
    }
    rows.push_back({{"row", row}, {"name", row_name(row, lens.rows)}, {"cells", cells}});
  }
  nlohmann::ordered_json token_list = nlohmann::ordered_json::array();
  for (const Token& token : tokens) token_list.push_back(token_to_json(token));
  nlohmann::ordered_json document = {{"model", model.config().name},
                                     {"folder", model.folder().string()},
                                     {"tokens", token_list},
                                     {"text_tokens", input.had_tokens},
                                     {"first", lens.first},
                                     {"last", lens.last},
                                     {"top_k", lens.top_k},
                                     {"rows", rows}};
  if (input.truncated()) document["truncated"] = truncation_note(input);
  return document;
}

}  // namespace

int run_lens(const Args& words) {
  auto args = CliArgs::parse(words, {"model", "text", "position", "width", "top-k"}, {"json"});
  if (!args) return usage_error(args.error().message);
  if (!args->positional().empty())
    return usage_error("unexpected argument '" + args->positional().front() + "'");
  const auto text = args->value("text");
  if (!text) return usage_error("--text is required");
  auto position = args->integer("position", 0, 1L << 30);
  if (!position) return usage_error(position.error().message);
  auto width = args->integer("width", 1, kLensMaxPositions);
  if (!width) return usage_error(width.error().message);
  auto top_k = args->integer("top-k", 1, kLensMaxTopK);
  if (!top_k) return usage_error(top_k.error().message);

  const std::filesystem::path folder =
      args->value("model").value_or(builtin_model_folder().string());
  auto model = Model::load(folder);
  if (!model) return fail(model.error().message);
  auto prepared = prepare_input((*model)->tokenizer(), (*model)->config(), *text);
  if (!prepared) return fail("--text: " + prepared.error().message);
  if (prepared->truncated())
    std::fprintf(stderr, "attnviz lens: warning: %s\n", truncation_note(*prepared).c_str());
  const std::vector<Token>& tokens = prepared->tokens;
  const int t = static_cast<int>(tokens.size());
  if (t == 0) return fail("--text gives no tokens; type some words");
  if (position->value_or(t - 1) >= t)
    return fail("--position " + std::to_string(**position) + " is outside the text's " +
                std::to_string(t) + " tokens (0.." + std::to_string(t - 1) + ")");

  RunOptions options;
  options.keep_hidden_states = true;
  options.keep_qkv = false;
  options.top_predictions = 0;
  auto trace = (*model)->run(tokens, options);
  if (!trace) return fail(trace.error().message);
  const auto [first, last] =
      lens_window(t, static_cast<int>(position->value_or(t - 1)), static_cast<int>(width->value_or(8)));
  auto lens = logit_lens(**model, **trace, first, last, static_cast<int>(top_k->value_or(5)));
  if (!lens) return fail(lens.error().message);

  if (args->has("json")) {
    std::printf("%s\n", lens_json(*lens, **model, tokens, *prepared)
                            .dump(2, ' ', false, nlohmann::json::error_handler_t::replace)
                            .c_str());
    return 0;
  }
  std::printf("# logit lens of %s: positions %d..%d of %d; each cell: the top next token and its "
              "probability at that layer's residual stream\n",
              folder.string().c_str(), first, last, t);
  print_lens(*lens, tokens);
  return 0;
}

}  // namespace attnviz
