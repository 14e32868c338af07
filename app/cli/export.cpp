// `attnviz export`: runs the model on a text and writes a figure (PNG, SVG) or the attention
// tensor (JSON, NPY). Every check that needs no model runs first, so a typo fails in
// milliseconds; the file is written atomically, so any failure leaves nothing behind.
//
// Legend: L layers, H heads, T tokens, P positions.
#include <algorithm>
#include <cctype>
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
#include <string_view>
#include <utility>
#include <vector>

#include "app/cli/args.h"
#include "app/cli/commands.h"
#include "core/analysis/ablation.h"
#include "core/analysis/head_roles.h"
#include "core/analysis/model_input.h"
#include "core/atomic_file.h"
#include "core/export/exporter.h"
#include "core/export/figures.h"
#include "core/json_read.h"
#include "core/model.h"
#include "core/models/architecture.h"
#include "core/session.h"
#include "core/trace_cost.h"
#include "core/view/font.h"
#include "core/view/text.h"
#include "core/view/view_weights.h"
#include "core/view_trace.h"

namespace attnviz {
namespace {

constexpr int kExitBadInput = 1;
constexpr int kExitUsage = 2;
// Data exports from this size on are stated before they are written and report progress.
constexpr uint64_t kLargeData = 100'000'000;
// Marks a parse error that is bad input (a damaged session file), not a usage error.
constexpr const char* kBadSessionMark = "\x01session: ";

constexpr const char* kUsage =
    "usage: attnviz export [--model DIR] (--text TEXT | --text-file FILE) --out FILE\n"
    "       attnviz export --session FILE.attnviz --out FILE [options below]\n"
    "                      [--format png|svg|json|npy|safetensors] [--layer L]\n"
    "                      [--head H | --grid]\n"
    "                      [--token I] [--scale 1|2|4] [--theme light|dark] [--timings]\n"
    "                      [--aggregate single|multi|mean|max|all-layers|rollout] [--heads H,H]\n"
    "                      [--min-weight W] [--top-k K] [--columns] [--view VIEW.json]\n"
    "                      [--merge-words] [--hide-first] [--hide-special]\n"
    "                      [--weights raw|value|rollout]\n"
    "                      [--ablate L.H[,L.H...] [--ablate-kind zero|mean]]\n"
    "  --aggregate: the head mode (the app's names): single = the --head (default); multi =\n"
    "    each enabled head in its colour (arcs), their mean (heatmap); mean / max = of the\n"
    "    enabled heads of --layer; all-layers = mean of every layer and head; rollout =\n"
    "    attention rollout across layers. --heads: the enabled heads (default: all)\n"
    "  --weights: raw attention (default); value = value-weighted ||alpha v W_O|| (Kobayashi et\n"
    "    al. 2020), normalized per row; rollout = --aggregate rollout\n"
    "  --ablate: those heads switched off in the model (zero: the head's output before the output\n"
    "    projection is 0; mean: its mean over the text's positions); the title names the what-if\n"
    "  --min-weight, --top-k, --columns: the arcs' filters and two-column layout\n"
    "  --view: a view as the app saves it (core/view/view_spec.h); the other options change it\n"
    "  --session: a session the app saved (File > Save session): its model, text, what-ifs\n"
    "    and view, redrawn as the app exports it; the other options change the view\n"
    "  --merge-words: sub-word tokens merged into words (queries averaged, keys summed)\n"
    "  --hide-first / --hide-special: hide token 0 / special tokens, rows renormalized\n"
    "  --token I counts the model's tokens (as `attnviz tokenize` lists them)\n"
    "  data (json, npy, safetensors): every layer and head, or the slice --layer L|A-B and\n"
    "    --head H|A-B give; written streaming, its size stated first when large, refused when\n"
    "    the disk has no room for it\n";

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
  ViewSpec view;  // what the figure shows (kind, layer, head mode, filters, tokens)
  int scale = 1;
  std::vector<int> heads;  // --heads; empty: every head
  bool layer_given = false, head_given = false, token_given = false;
  int token = 0;  // --token, counted in the model's tokens
  bool aggregate = false;  // --aggregate given (data formats: one pseudo-head)
  TensorSlice slice;       // data formats: --layer / --head as ranges (default: everything)
  bool timings = false;
  std::optional<Session> session;  // --session: model, text, what-ifs and view
  RunOptions run;                  // the what-ifs (a session's; else the model's own math)
  std::vector<HeadAblation> ablations;  // --ablate, --ablate-kind
};

// "1,3" -> {1, 3}.
Result<std::vector<int>> parse_head_list(const std::string& text) {
  std::vector<int> heads;
  size_t start = 0;
  while (start <= text.size()) {
    const size_t comma = std::min(text.find(',', start), text.size());
    const std::string item = text.substr(start, comma - start);
    char* end = nullptr;
    const long value = std::strtol(item.c_str(), &end, 10);
    if (item.empty() || *end != '\0' || value < 0 || value > 4096)
      return make_error("option --heads expects head numbers separated by commas, got '" + text + "'");
    heads.push_back(static_cast<int>(value));
    start = comma + 1;
  }
  return heads;
}

// "3" -> [3, 3]; "2-5" -> [2, 5]: the --layer and --head of a data export.
Result<std::pair<int, int>> parse_index_range(const std::string& option, const std::string& text) {
  const size_t dash = text.find('-', 1);
  const std::string first = text.substr(0, dash),
                    last = dash == std::string::npos ? first : text.substr(dash + 1);
  auto number = [](const std::string& item, long* value) {
    char* end = nullptr;
    *value = std::strtol(item.c_str(), &end, 10);
    return !item.empty() && std::isdigit(static_cast<unsigned char>(item[0])) && *end == '\0' &&
           *value <= 1'000'000;
  };
  long a = 0, b = 0;
  if (!number(first, &a) || !number(last, &b) || a > b)
    return make_error("option --" + option + " expects a number or a range A-B (A <= B), got '" +
                      text + "'");
  return std::pair<int, int>(static_cast<int>(a), static_cast<int>(b));
}

Result<float> parse_fraction(const std::string& option, const std::string& text) {
  char* end = nullptr;
  const float value = std::strtof(text.c_str(), &end);
  if (text.empty() || *end != '\0' || !(value >= 0.0f && value <= 1.0f))
    return make_error("option --" + option + " expects a number from 0 to 1, got '" + text + "'");
  return value;
}

// Parses and checks the options; an Error here is a usage error (exit 2).
Result<ExportRequest> parse_request(const Args& args) {
  auto parsed = CliArgs::parse(
      args,
      {"model", "text", "text-file", "out", "format", "layer", "head", "token", "scale", "theme",
       "aggregate", "heads", "min-weight", "top-k", "view", "weights", "session", "ablate",
       "ablate-kind"},
      {"grid", "timings", "merge-words", "hide-first", "hide-special", "columns"});
  if (!parsed.ok()) return parsed.error();
  const CliArgs& cli = *parsed;
  if (!cli.positional().empty())
    return make_error("unexpected argument '" + cli.positional()[0] + "'");

  ExportRequest request;
  if (auto file = cli.value("session")) {
    for (const char* excluded : {"model", "text", "text-file", "view"})
      if (cli.has(excluded))
        return make_error(std::string("--session holds the model, the text and the view; give it "
                                      "without --") +
                          excluded);
    auto session = load_session(*file);
    // A damaged or newer session is bad input, not a usage error: marked for run_export.
    if (!session) return make_error(kBadSessionMark + session.error().message);
    request.session = std::move(session).value();
    request.text = request.session->text;
    request.run = request.session->run;  // what-ifs and ablations; the rest default
  } else if (cli.has("text") == cli.has("text-file")) {
    return make_error("give exactly one of --text TEXT or --text-file FILE");
  }
  if (!request.session) request.text = cli.value("text");
  if (auto file = cli.value("text-file")) request.text_file = *file;
  const std::optional<std::string> out = cli.value("out");
  if (!out || out->empty()) return make_error("--out FILE is required");
  request.out = *out;

  Result<ExportFormat> format = cli.value("format") ? parse_export_format(*cli.value("format"))
                                                    : export_format_from_path(request.out);
  if (!format.ok()) return format.error();
  request.format = *format;

  ViewSpec& view = request.view;
  view.theme = Theme::kLight;  // figures for papers; --theme dark or a --view changes it
  view.head_mode = HeadMode::kSingleHead;
  if (request.session) {
    view = request.session->view;
    view.diff = {};  // the diff is a window of its own, not part of the figure
  } else if (auto file = cli.value("view")) {
    auto json = read_json_file_bounded(*file, 1u << 20);
    if (!json) return json.error();
    auto loaded = view_spec_from_json(*json, *file);
    if (!loaded) return loaded.error();
    view = std::move(loaded).value();
  }
  // A data export without --aggregate writes a slice: --layer and --head may be ranges.
  const bool data_slice = !is_figure_format(request.format) && !cli.has("aggregate") &&
                          cli.value("weights").value_or("") != "rollout";
  if (data_slice) {
    for (const char* option : {"layer", "head"}) {
      const std::optional<std::string> text = cli.value(option);
      if (!text) continue;
      auto range = parse_index_range(option, *text);
      if (!range) return range.error();
      const bool layers = std::string_view(option) == "layer";
      (layers ? request.slice.layer_first : request.slice.head_first) = range->first;
      (layers ? request.slice.layer_last : request.slice.head_last) = range->second;
    }
  }
  const auto integer_unless_slice = [&](const char* option) -> Result<std::optional<long>> {
    if (data_slice) return std::optional<long>();
    const std::optional<std::string> text = cli.value(option);
    if (text && text->find('-', 1) != std::string::npos)
      return make_error(std::string("--") + option + " " + *text +
                        ": a range is for data exports (json, npy, safetensors); a figure or "
                        "--aggregate takes one " +
                        option);
    return cli.integer(option, 0, INT_MAX);
  };
  auto layer = integer_unless_slice("layer");
  auto head = integer_unless_slice("head");
  auto token = cli.integer("token", 0, INT_MAX);
  auto scale = cli.integer("scale", 1, 4);
  auto top_k = cli.integer("top-k", 1, 4096);
  for (const auto* number : {&layer, &head, &token, &scale, &top_k})
    if (!number->ok()) return number->error();
  if (*scale && **scale == 3) return make_error("option --scale expects 1, 2 or 4, got '3'");
  if (*head && cli.has("grid")) return make_error("--head and --grid exclude each other");
  request.layer_given = layer->has_value();
  request.head_given = head->has_value();
  request.token_given = token->has_value();
  if (*layer) view.layer = static_cast<int>(**layer);
  if (*head) view.head = static_cast<int>(**head);
  if (*top_k) view.arc_top_k = static_cast<int>(**top_k);
  request.token = static_cast<int>(token->value_or(view.pinned_token.value_or(0)));
  request.scale = static_cast<int>(scale->value_or(1));
  const bool grid = cli.has("grid");
  if (request.token_given) {
    view.kind = ViewKind::kArcs;  // --grid with --token: every head's arcs, each its colour
    if (grid) view.head_mode = HeadMode::kMultiHead;
  } else if (grid) {
    view.kind = ViewKind::kGrid;
  } else if (!cli.has("view") && !request.session) {
    view.kind = ViewKind::kHeatmap;
  }
  if (auto theme = cli.value("theme")) {
    if (*theme != "light" && *theme != "dark") {
      return make_error("option --theme expects light or dark, got '" + *theme + "'");
    }
    view.theme = *theme == "dark" ? Theme::kDark : Theme::kLight;
  }
  if (auto name = cli.value("aggregate")) {
    auto mode = head_mode_from_key(*name);
    if (!mode)
      return make_error("option --aggregate expects " + head_mode_key_list() + ", got '" + *name +
                        "'");
    view.head_mode = *mode;
    request.aggregate = *mode != HeadMode::kSingleHead && *mode != HeadMode::kMultiHead;
    if (grid) return make_error("--aggregate draws one map; it excludes --grid (every head)");
    if (request.head_given && *mode != HeadMode::kSingleHead)
      return make_error("--aggregate " + *name + " replaces --head; give one of them");
  }
  if (auto name = cli.value("weights")) {
    auto weights = weights_from_key(*name);
    if (!weights)
      return make_error("option --weights expects raw, value or rollout, got '" + *name + "'");
    if (cli.has("aggregate") &&
        (*weights == Weights::kRollout) != (view.head_mode == HeadMode::kRollout))
      return make_error(
          "--weights rollout is the rollout head mode: give --weights rollout alone, "
          "or --aggregate with --weights raw|value");
    if (*weights == Weights::kRollout && grid)
      return make_error("--weights rollout draws one map; it excludes --grid (every head)");
    if (*weights == Weights::kRollout && request.head_given)
      return make_error("--weights rollout replaces --head; give one of them");
    if (*weights == Weights::kRollout || view.weights() == Weights::kRollout) {
      view.set_weights(*weights);
      request.aggregate = *weights == Weights::kRollout;
    } else {
      view.value_weighted = *weights == Weights::kValue;
    }
  }
  if (auto list = cli.value("heads")) {
    auto heads = parse_head_list(*list);
    if (!heads) return heads.error();
    request.heads = std::move(heads).value();
  }
  if (auto weight = cli.value("min-weight")) {
    auto value = parse_fraction("min-weight", *weight);
    if (!value) return value.error();
    view.arc_min_weight = *value;
  }
  if (cli.has("ablate-kind") && !cli.has("ablate"))
    return make_error("--ablate-kind belongs to --ablate");
  if (auto list = cli.value("ablate")) {
    const std::string kind_key = cli.value("ablate-kind").value_or("zero");
    const auto kind = ablation_kind_from_key(kind_key);
    if (!kind) return make_error("option --ablate-kind expects zero or mean, got '" + kind_key + "'");
    auto ablations = parse_ablation_list(*list, *kind);
    if (!ablations) return make_error("option --ablate: " + ablations.error().message);
    request.ablations = std::move(ablations).value();
  }
  if (cli.has("columns")) view.arcs_layout = ArcsLayout::kTwoColumns;
  request.timings = cli.has("timings");
  view.merge_words = view.merge_words || cli.has("merge-words");
  view.hide_first = view.hide_first || cli.has("hide-first");
  view.hide_special = view.hide_special || cli.has("hide-special");
  request.model_folder = request.session      ? session_model_folder(*request.session)
                         : cli.value("model") ? std::filesystem::path(*cli.value("model"))
                                              : builtin_model_folder();
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
  const bool builtin = std::filesystem::equivalent(folder, builtin_model_folder(), ec);
  return model_identity(config, folder, builtin ? "Built-in model" : "");
}

}  // namespace

int run_export(const Args& args) {
  Result<ExportRequest> parsed = parse_request(args);
  if (!parsed.ok()) {
    const std::string& message = parsed.error().message;
    if (message.rfind(kBadSessionMark, 0) == 0)
      return fail(message.substr(std::strlen(kBadSessionMark)), kExitBadInput);
    return fail(message, kExitUsage);
  }
  const ExportRequest& request = *parsed;
  if (Status writable = check_writable_path(request.out); !writable.ok()) {
    return fail(writable.error().message, kExitBadInput);
  }
  Result<std::string> text = read_text(request);
  if (!text.ok()) return fail(text.error().message, kExitBadInput);
  // Figures need the font; a missing one fails here, before the model is loaded.
  std::optional<Font> font;
  if (is_figure_format(request.format)) {
    Result<Font> loaded = Font::load_default();
    if (!loaded.ok()) return fail(loaded.error().message, kExitBadInput);
    font = std::move(*loaded);
  }

  const auto load_start = Clock::now();
  auto model = Model::load(request.model_folder);
  if (!model.ok()) return fail(model.error().message, kExitBadInput);
  const double load_ms = ms_since(load_start);
  const ModelConfig& config = (*model)->config();
  // A layer, head or token beyond this model or text is bad input (exit 1, with the valid
  // range), not a usage error: the same command is right for another model or text.
  if (Status s = check_range("layer", request.view.layer, config.layers, "layers"); !s.ok()) {
    return fail(s.error().message, kExitBadInput);
  }
  if (Status s = check_range("head", request.view.head, config.heads, "heads"); !s.ok()) {
    return fail(s.error().message, kExitBadInput);
  }
  for (int h : request.heads)
    if (Status s = check_range("heads", h, config.heads, "heads"); !s.ok())
      return fail(s.error().message, kExitBadInput);

  // Tokenize everything, then cut to the model's context (core/analysis/model_input.h: the
  // same rule as the app's).
  const auto tokenize_start = Clock::now();
  auto input = prepare_input((*model)->tokenizer(), config, *text);
  if (!input.ok()) return fail(input.error().message, kExitBadInput);
  if (input->truncated())
    std::fprintf(stderr, "attnviz export: warning: %s\n", truncation_note(*input).c_str());
  const std::vector<Token>& tokens = input->tokens;
  const double tokenize_ms = ms_since(tokenize_start);
  if (tokens.empty()) return fail("the text gives no tokens", kExitBadInput);
  if (Status s = check_range("token", request.token, static_cast<int>(tokens.size()),
                             "tokens of this text");
      !s.ok()) {
    return fail(s.error().message, kExitBadInput);
  }

  // A data export that keeps the model's tokens and heads has its size now: a slice out of
  // range or a disk without room is refused before a long run, not after it.
  const TraceViewOptions token_view = request.view.token_view();
  if (!is_figure_format(request.format) && !request.aggregate && !token_view.merge_words &&
      !token_view.hide_first && !token_view.hide_special) {
    const TensorDims dims{config.layers, config.heads, static_cast<int>(tokens.size())};
    if (Status room = check_room_for_data(request.out, dims, request.format, request.slice);
        !room.ok())
      return fail(room.error().message, kExitBadInput);
  }

  const auto forward_start = Clock::now();
  RunOptions options = request.run;
  options.keep_qkv = false;  // exports need only the weights
  if (!request.ablations.empty()) options.ablations = request.ablations;  // else a session's
  auto trace = (*model)->run(tokens, options);
  if (!trace.ok()) return fail(trace.error().message, kExitBadInput);
  const double forward_ms = ms_since(forward_start);

  const auto export_start = Clock::now();
  ViewSpec view = request.view;
  if (!request.session || !request.heads.empty() ||
      view.enabled_heads.size() != static_cast<size_t>(config.heads)) {
    view.enabled_heads.assign(config.heads, request.heads.empty() ? 1 : 0);
    for (int h : request.heads) view.enabled_heads[h] = 1;
  }
  if (!is_figure_format(request.format)) {
    // Data: the derived trace (words, hidden tokens), or one pseudo-head for a combining mode.
    TraceViewOptions view_options = view.token_view();
    if (request.aggregate)
      view_options.aggregate = aggregate_choice(view, config.layers, config.heads);
    const DerivedTrace derived = derive_trace(*trace, view_options);
    const AttentionTrace& data = *derived.trace;
    if (Status s = check_slice(dims_of(data), request.slice); !s.ok())
      return fail(s.error().message, kExitBadInput);
    // A large tensor is stated before it is written, and its progress told as it goes.
    const bool large =
        data_export_size(dims_of(data), request.format, request.slice).bytes >= kLargeData;
    if (large)
      std::fprintf(stderr, "attnviz export: writing %s to %s\n",
                   data_export_statement(dims_of(data), request.format, request.slice).c_str(),
                   request.out.c_str());
    int told = 0;  // tenths of the rows told so far
    const RowProgress progress = [&told](int64_t done, int64_t total) {
      const int tenths = static_cast<int>(done * 10 / std::max<int64_t>(total, 1));
      if (tenths <= told) return true;
      told = tenths;
      std::fprintf(stderr, "attnviz export: %d%% of the rows written\n", tenths * 10);
      return true;
    };
    if (Status written = export_data(data, request.format, request.out, request.slice,
                                     large ? progress : RowProgress());
        !written.ok())
      return fail(written.error().message, kExitBadInput);
  } else {
    const DerivedTrace derived = derive_trace(*trace, view.token_view());
    // A session's pin counts the tokens of its view (words, hidden tokens), as the app does.
    const std::optional<int> session_pin =
        request.session && !request.token_given ? view.pinned_token : std::nullopt;
    view.pinned_token.reset();
    if (session_pin) {
      if (*session_pin >= derived.trace->tokens_count())
        return fail("the session's pinned token " + std::to_string(*session_pin) +
                        " is not in its text (" + std::to_string(derived.trace->tokens_count()) +
                        " tokens)",
                    kExitBadInput);
      view.pinned_token = session_pin;
    } else if (view.kind == ViewKind::kArcs) {
      const int pinned = derived.derived_index(request.token);
      if (pinned < 0)
        return fail("--token " + std::to_string(request.token) +
                        " is hidden by --hide-first/--hide-special; pick another token",
                    kExitBadInput);
      view.pinned_token = pinned;
    }
    std::vector<float> whole_map;
    if (head_mode_info(view.head_mode).whole_model && view.kind != ViewKind::kGrid) {
      const std::string refusal = whole_model_refusal(head_mode_info(view.head_mode).aggregate,
                                                      (*trace)->tokens_count(), (*trace)->layers());
      if (!refusal.empty()) return fail(refusal, kExitBadInput);
    }
    if (head_mode_info(view.head_mode).whole_model && view.kind != ViewKind::kGrid)
      whole_map =
          whole_model_map(*trace, view.token_view(), head_mode_info(view.head_mode).aggregate);
    FigureSpec spec;
    spec.scale = request.scale;
    spec.model_name = display_name(config, request.model_folder);
    spec.view_note = figure_view_note(derived.derived ? derived.description : "", options);
    if (view.kind == ViewKind::kGrid)  // role labels under the tiles, as the app draws them
      for (const HeadRole& role : compute_head_roles(**trace).roles)
        spec.roles.push_back(role.label);
    if (Status written = export_figure(*derived.trace, view, whole_map, request.format, spec,
                                       request.out, font ? &*font : nullptr);
        !written.ok()) {
      return fail(written.error().message, kExitBadInput);
    }
  }
  const double export_ms = ms_since(export_start);
  if (request.timings) {
    std::fprintf(stderr, "load_ms=%.1f tokenize_ms=%.1f forward_ms=%.1f export_ms=%.1f\n", load_ms,
                 tokenize_ms, forward_ms, export_ms);
    const TraceCost cost = trace_cost(**trace);
    std::fprintf(stderr,
                 "tokens=%d scores_computed=%lld full_weight_bytes=%lld held_bytes=%lld "
                 "weights=%s\n",
                 (*trace)->tokens_count(), static_cast<long long>(cost.scores_computed),
                 static_cast<long long>(cost.full_weight_bytes),
                 static_cast<long long>(cost.held_bytes()),
                 (*trace)->stores_weights() ? "stored" : "on-demand");
  }
  return 0;
}

}  // namespace attnviz
