// `attnviz export`: runs the model on a text and writes a figure (PNG, SVG) or the attention
// tensor (JSON, NPY). Every check that needs no model runs first, so a typo fails in
// milliseconds; the file is written atomically, so any failure leaves nothing behind.
//
// Legend: L layers, H heads, T tokens, P positions.
#include <algorithm>
#include <cerrno>
#include <chrono>
#include <climits>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <optional>
#include <string>
#include <vector>

#include "app/cli_args.h"
#include "app/commands.h"
#include "core/atomic_file.h"
#include "core/export/exporter.h"
#include "core/export/font.h"
#include "core/export/text.h"
#include "core/model.h"
#include "core/view_trace.h"

namespace attnviz {
namespace {

constexpr int kExitBadInput = 1;
constexpr int kExitUsage = 2;

constexpr const char* kUsage =
    "usage: attnviz export [--model DIR] (--text TEXT | --text-file FILE) --out FILE\n"
    "                      [--format png|svg|json|npy] [--layer L] [--head H | --grid]\n"
    "                      [--token I] [--scale 1|2|4] [--theme light|dark] [--timings]\n"
    "                      [--aggregate one|mean|max|layer-mean|rollout] [--merge-words]\n"
    "                      [--hide-first] [--hide-special]\n"
    "  --aggregate: one = the --head (default); mean / max = of the heads of --layer;\n"
    "    layer-mean = of every layer and head; rollout = attention rollout across layers\n"
    "  --merge-words: sub-word tokens merged into words (queries averaged, keys summed)\n"
    "  --hide-first / --hide-special: hide token 0 / special tokens, rows renormalized\n"
    "  --token I counts the model's tokens (as `attnviz tokenize` lists them)\n";

int fail(const std::string& message, int code) {
  std::fprintf(stderr, "attnviz export: %s\n", message.c_str());
  if (code == kExitUsage) std::fputs(kUsage, stderr);
  return code;
}

using Clock = std::chrono::steady_clock;
double ms_since(Clock::time_point start) {
  return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

// What the command line asks for, checked before the model is loaded.
struct ExportRequest {
  std::filesystem::path model_folder;
  std::optional<std::string> text;
  std::optional<std::filesystem::path> text_file;
  std::filesystem::path out;
  ExportFormat format = ExportFormat::kPng;
  FigureSpec spec;
  bool layer_given = false, head_given = false, token_given = false;
  bool timings = false;
  TraceViewOptions view;  // words, hidden tokens, aggregate: the figure draws the derived map
};

// --aggregate NAME for the heads of `layer` (the heads are filled in once the model is loaded).
Result<std::optional<AggregateChoice>> parse_aggregate(const std::optional<std::string>& name,
                                                       int layer) {
  if (!name || *name == "one") return std::optional<AggregateChoice>();
  AggregateChoice choice;
  choice.layer = layer;
  if (*name == "mean") {
    choice.mode = AggregateMode::kLayerMean;
  } else if (*name == "max") {
    choice.mode = AggregateMode::kLayerMax;
  } else if (*name == "layer-mean") {
    choice.mode = AggregateMode::kAllMean;
  } else if (*name == "rollout") {
    choice.mode = AggregateMode::kRollout;
  } else {
    return make_error("option --aggregate expects one, mean, max, layer-mean or rollout, got '" +
                      *name + "'");
  }
  return std::optional<AggregateChoice>(choice);
}

// Parses and checks the options; an Error here is a usage error (exit 2).
Result<ExportRequest> parse_request(const Args& args) {
  auto parsed = CliArgs::parse(
      args,
      {"model", "text", "text-file", "out", "format", "layer", "head", "token", "scale", "theme",
       "aggregate"},
      {"grid", "timings", "merge-words", "hide-first", "hide-special"});
  if (!parsed.ok()) return parsed.error();
  const CliArgs& cli = *parsed;
  if (!cli.positional().empty())
    return make_error("unexpected argument '" + cli.positional()[0] + "'");

  ExportRequest request;
  if (cli.has("text") == cli.has("text-file")) {
    return make_error("give exactly one of --text TEXT or --text-file FILE");
  }
  request.text = cli.value("text");
  if (auto file = cli.value("text-file")) request.text_file = *file;
  const std::optional<std::string> out = cli.value("out");
  if (!out || out->empty()) return make_error("--out FILE is required");
  request.out = *out;

  Result<ExportFormat> format = cli.value("format") ? parse_export_format(*cli.value("format"))
                                                    : export_format_from_path(request.out);
  if (!format.ok()) return format.error();
  request.format = *format;

  auto layer = cli.integer("layer", 0, INT_MAX);
  auto head = cli.integer("head", 0, INT_MAX);
  auto token = cli.integer("token", 0, INT_MAX);
  auto scale = cli.integer("scale", 1, 4);
  for (const auto* number : {&layer, &head, &token, &scale})
    if (!number->ok()) return number->error();
  if (*scale && **scale == 3) return make_error("option --scale expects 1, 2 or 4, got '3'");
  if (*head && cli.has("grid")) return make_error("--head and --grid exclude each other");

  FigureSpec& spec = request.spec;
  spec.layer = static_cast<int>(layer->value_or(0));
  spec.head = static_cast<int>(head->value_or(0));
  spec.token = static_cast<int>(token->value_or(0));
  spec.scale = static_cast<int>(scale->value_or(1));
  request.layer_given = layer->has_value();
  request.head_given = head->has_value();
  request.token_given = token->has_value();
  const bool grid = cli.has("grid");
  spec.kind = request.token_given ? (grid ? FigureKind::kArcsAllHeads : FigureKind::kArcs)
                                  : (grid ? FigureKind::kGrid : FigureKind::kHeatmap);
  if (auto theme = cli.value("theme")) {
    if (*theme != "light" && *theme != "dark") {
      return make_error("option --theme expects light or dark, got '" + *theme + "'");
    }
    spec.theme = *theme == "dark" ? Theme::kDark : Theme::kLight;
  }
  request.timings = cli.has("timings");
  auto aggregate = parse_aggregate(cli.value("aggregate"), spec.layer);
  if (!aggregate.ok()) return aggregate.error();
  request.view.aggregate = *aggregate;
  request.view.merge_words = cli.has("merge-words");
  request.view.hide_first = cli.has("hide-first");
  request.view.hide_special = cli.has("hide-special");
  if (request.view.aggregate && grid) {
    return make_error("--aggregate draws one map; it excludes --grid (every head)");
  }
  if (request.view.aggregate && request.head_given) {
    return make_error("--aggregate " + *cli.value("aggregate") + " replaces --head; give one of them");
  }
  request.model_folder =
      cli.value("model") ? std::filesystem::path(*cli.value("model")) : builtin_model_folder();
  return request;
}

Result<std::string> read_text(const ExportRequest& request) {
  std::string text;
  if (request.text) {
    text = *request.text;
  } else {
    const std::filesystem::path& file = *request.text_file;
    std::error_code ec;
    if (std::filesystem::is_directory(file, ec)) {
      return make_error("cannot read the text file '" + file.string() + "': it is a folder");
    }
    std::ifstream in(file, std::ios::binary);
    if (!in)
      return make_error("cannot read the text file '" + file.string() +
                        "': " + std::strerror(errno));
    text.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
    if (in.bad()) return make_error("cannot read the text file '" + file.string() + "'");
  }
  if (text.empty()) return make_error("text is empty: give some text to run the model on");
  if (auto offset = find_invalid_utf8(text)) {
    char byte[8];
    std::snprintf(byte, sizeof byte, "0x%02x", static_cast<unsigned char>(text[*offset]));
    return make_error("the text is not valid UTF-8: byte " + std::string(byte) +
                      " at byte offset " + std::to_string(*offset) + "; save it as UTF-8");
  }
  return text;
}

// Keeps the first P tokens (P = the model's positions). For BERT, the closing [SEP] stays last.
std::vector<Token> truncate_tokens(std::vector<Token> tokens, int max_positions) {
  const size_t limit = static_cast<size_t>(max_positions);
  if (tokens.size() <= limit) return tokens;
  const size_t dropped = tokens.size() - limit;
  std::fprintf(stderr,
               "attnviz export: warning: the text has %zu tokens but the model reads at most %d; "
               "the last %zu tokens were dropped\n",
               tokens.size(), max_positions, dropped);
  const bool keep_last = tokens.back().special && limit >= 2;
  Token last = tokens.back();
  tokens.resize(limit);
  if (keep_last) tokens.back() = last;
  return tokens;
}

Status check_range(const char* option, int value, int count, const char* things) {
  if (value < count) return Ok{};
  return make_error(
      std::string("--") + option + " " + std::to_string(value) + " is out of range: " +
      (count > 0 ? std::string("valid ") + things + " are 0 to " + std::to_string(count - 1)
                 : std::string("there are no ") + things));
}

// The model's name for figure titles. Hugging Face folders are often called "model" inside a
// folder that carries the real name (tests/data/gpt2-tiny/model); the built-in one says so.
std::string display_name(const ModelConfig& config, const std::filesystem::path& folder) {
  std::error_code ec;
  if (std::filesystem::equivalent(folder, builtin_model_folder(), ec)) {
    return std::string("built-in ") +
           (config.architecture == Architecture::kGpt2 ? "GPT-2" : "BERT");
  }
  if (config.name != "model") return config.name;
  std::filesystem::path normal = std::filesystem::absolute(folder, ec).lexically_normal();
  if (!normal.has_filename()) normal = normal.parent_path();  // "…/model/"
  const std::string parent = normal.parent_path().filename().string();
  return parent.empty() ? config.name : parent;
}

// The figure of a derived view: the map it shows and the query among the view's tokens.
// An Error when the --token asked for was hidden.
Result<FigureSpec> derived_spec(const ExportRequest& request, FigureSpec spec,
                                const DerivedTrace& view) {
  if (!view.derived) return spec;
  const AttentionTrace& trace = *view.trace;
  std::string where =
      "layer " + std::to_string(spec.layer) + " \u00B7 head " + std::to_string(spec.head);
  if (request.view.aggregate) {
    spec.layer = 0;  // the pseudo-head is the derived trace's only layer and head
    spec.head = 0;
    where.clear();
  }
  if (request.token_given) {
    spec.token = view.derived_index(request.spec.token);
    if (spec.token < 0) {
      return make_error("--token " + std::to_string(request.spec.token) +
                        " is hidden by --hide-first/--hide-special; pick another token");
    }
  }
  std::string title = !spec.model_name.empty() ? spec.model_name
                      : trace.model_name.empty() ? "attention"
                                                 : trace.model_name;
  if (!where.empty() && spec.kind != FigureKind::kGrid) title += " \u00B7 " + where;
  title += " \u00B7 " + view.description;
  if (request.token_given) {
    const std::string& word = trace.tokens()[spec.token].text;
    const size_t first = std::min(word.find_first_not_of(" \t\n"), word.size());
    title += " \u00B7 from \u201C" + word.substr(first) + "\u201D";
  }
  spec.title = title;
  return spec;
}

}  // namespace

int run_export(const Args& args) {
  Result<ExportRequest> parsed = parse_request(args);
  if (!parsed.ok()) return fail(parsed.error().message, kExitUsage);
  const ExportRequest& request = *parsed;
  if (Status writable = check_writable_path(request.out); !writable.ok()) {
    return fail(writable.error().message, kExitBadInput);
  }
  Result<std::string> text = read_text(request);
  if (!text.ok()) return fail(text.error().message, kExitBadInput);
  // Figures need the font; a missing one fails here, before the model is loaded.
  std::optional<Font> font;
  if (request.format == ExportFormat::kPng || request.format == ExportFormat::kSvg) {
    Result<Font> loaded = Font::load_default();
    if (!loaded.ok()) return fail(loaded.error().message, kExitBadInput);
    font = std::move(*loaded);
  }

  const auto load_start = Clock::now();
  auto model = Model::load(request.model_folder);
  if (!model.ok()) return fail(model.error().message, kExitBadInput);
  const double load_ms = ms_since(load_start);
  const ModelConfig& config = (*model)->config();
  if (Status s = check_range("layer", request.spec.layer, config.layers, "layers"); !s.ok()) {
    return fail(s.error().message, kExitUsage);
  }
  if (Status s = check_range("head", request.spec.head, config.heads, "heads"); !s.ok()) {
    return fail(s.error().message, kExitUsage);
  }

  // Tokenize everything, then truncate: cutting the text first could split a word or a
  // multi-byte character and change the last tokens.
  const auto tokenize_start = Clock::now();
  auto encoded = (*model)->tokenizer().encode(*text);
  if (!encoded.ok()) return fail(encoded.error().message, kExitBadInput);
  std::vector<Token> tokens = truncate_tokens(std::move(*encoded), config.max_positions);
  const double tokenize_ms = ms_since(tokenize_start);
  if (tokens.empty()) return fail("the text gives no tokens", kExitBadInput);
  if (Status s = check_range("token", request.spec.token, static_cast<int>(tokens.size()),
                             "tokens of this text");
      !s.ok()) {
    return fail(s.error().message, kExitUsage);
  }

  const auto forward_start = Clock::now();
  RunOptions options;
  options.keep_qkv = false;  // exports need only the weights
  auto trace = (*model)->run(tokens, options);
  if (!trace.ok()) return fail(trace.error().message, kExitBadInput);
  const double forward_ms = ms_since(forward_start);

  const auto export_start = Clock::now();
  TraceViewOptions view_options = request.view;
  if (view_options.aggregate) {  // mean and max take every head of the layer
    for (int h = 0; h < config.heads; ++h) view_options.aggregate->heads.push_back(h);
  }
  const DerivedTrace view = derive_trace(*trace, view_options);
  FigureSpec base_spec = request.spec;
  base_spec.model_name = display_name(config, request.model_folder);
  Result<FigureSpec> spec = derived_spec(request, base_spec, view);
  if (!spec.ok()) return fail(spec.error().message, kExitUsage);
  if (Status written =
          export_trace(*view.trace, request.format, *spec, request.out, font ? &*font : nullptr);
      !written.ok()) {
    return fail(written.error().message, kExitBadInput);
  }
  const double export_ms = ms_since(export_start);
  if (request.timings) {
    std::fprintf(stderr, "load_ms=%.1f tokenize_ms=%.1f forward_ms=%.1f export_ms=%.1f\n", load_ms,
                 tokenize_ms, forward_ms, export_ms);
  }
  return 0;
}

}  // namespace attnviz
