#include "ui/panel_diff.h"

#include <imgui.h>
#include <imgui_stdlib.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <future>

#include "core/analysis/diff.h"
#include "ui/heatmap_math.h"
#include "ui/palette.h"

namespace attnviz::ui {

// ---- DiffRunner ----

DiffRunner::DiffRunner(std::function<void()> wake_ui)
    : wake_ui_(std::move(wake_ui)), thread_([this] { loop(); }) {}

DiffRunner::~DiffRunner() {
  {
    std::lock_guard lock(mutex_);
    stop_ = true;
    pending_.reset();
  }
  wake_.notify_all();
  thread_.join();
}

uint64_t DiffRunner::request(const std::filesystem::path& model_folder, const std::string& text) {
  uint64_t id = 0;
  {
    std::lock_guard lock(mutex_);
    id = ++next_id_;
    newest_id_ = id;
    pending_ = Request{id, model_folder, text};
  }
  wake_.notify_all();
  return id;
}

std::optional<DiffRunner::Result> DiffRunner::take() {
  std::lock_guard lock(mutex_);
  std::optional<Result> result = std::move(result_);
  result_.reset();
  return result;
}

bool DiffRunner::busy() const {
  std::lock_guard lock(mutex_);
  return running_ || pending_.has_value();
}

void DiffRunner::loop() {
  std::unique_lock lock(mutex_);
  while (true) {
    wake_.wait(lock, [this] { return stop_ || pending_.has_value(); });
    if (stop_) return;
    Request request = std::move(*pending_);
    pending_.reset();
    running_ = true;
    lock.unlock();
    Result result = run(request);
    lock.lock();
    running_ = false;
    // A result of a superseded request is dropped; the newer one is already pending.
    if (result.id == newest_id_) result_ = std::move(result);
    lock.unlock();
    if (wake_ui_) wake_ui_();
    lock.lock();
  }
}

DiffRunner::Result DiffRunner::run(const Request& request) {
  Result result;
  result.id = request.id;
  if (!model_ || model_->folder() != request.folder) {
    model_.reset();  // free the old weights before loading new ones
    auto loaded = Model::load(request.folder);
    if (!loaded.ok()) {
      result.error = loaded.error().message;
      return result;
    }
    model_ = std::move(loaded).value();
  }
  auto encoded = model_->tokenizer().encode(request.text);
  if (!encoded.ok()) {
    result.error = encoded.error().message;
    return result;
  }
  std::vector<Token> tokens = std::move(encoded).value();
  if (tokens.empty()) {
    result.error = "the second text gives no tokens";
    return result;
  }
  const size_t limit = static_cast<size_t>(model_->config().max_positions);
  if (tokens.size() > limit) {
    const Token last = tokens.back();  // BERT's closing [SEP] stays last
    tokens.resize(limit);
    if (last.special && limit >= 2) tokens.back() = last;
  }
  RunOptions options;
  options.keep_qkv = false;  // the diff needs the weights only
  const uint64_t id = request.id;
  auto cancelled = [this, id](float) {
    std::lock_guard lock(mutex_);
    return !stop_ && newest_id_ == id;  // false cancels the run
  };
  auto trace = model_->run(tokens, options, nullptr, cancelled);
  if (!trace.ok()) {
    result.error = trace.error().message;
    return result;
  }
  result.trace = std::move(trace).value();
  return result;
}

// ---- maps and images ----

AggregateChoice choice_for_view(const ViewState& view, const AttentionTrace& trace,
                                std::string* note) {
  AggregateChoice choice;
  choice.layer = std::clamp(view.layer, 0, std::max(0, trace.layers() - 1));
  choice.head = std::clamp(view.head, 0, std::max(0, trace.heads() - 1));
  if (note && (choice.layer != view.layer || choice.head != view.head) &&
      view.head_mode != HeadMode::kMeanAllLayers && view.head_mode != HeadMode::kRollout) {
    *note = "the second model has " + std::to_string(trace.layers()) + " layers x " +
            std::to_string(trace.heads()) + " heads: showing layer " +
            std::to_string(choice.layer) + " head " + std::to_string(choice.head);
  }
  // The heatmap's own mapping from the view; heads the view has no toggle for (a second model
  // with more heads) count as enabled.
  MapRequest request = map_request_for(view);
  request.layer = choice.layer;
  request.head = choice.head;
  if (static_cast<int>(request.enabled_heads.size()) < trace.heads())
    request.enabled_heads.resize(trace.heads(), 1);
  return aggregate_choice(request, trace.heads());
}

namespace {

// Fills a size x size RGBA image; colour(value) gives the colour of one cell.
template <class ColourFn>
std::vector<uint8_t> cell_image(const std::vector<float>& map, int cells, int size,
                                ColourFn colour) {
  std::vector<uint8_t> rgba(static_cast<size_t>(size) * size * 4, 0);
  if (cells <= 0) return rgba;
  for (int y = 0; y < size; ++y) {
    const int query = std::min(cells - 1, y * cells / size);
    for (int x = 0; x < size; ++x) {
      const int key = std::min(cells - 1, x * cells / size);
      const Rgba c = colour(map[static_cast<size_t>(query) * cells + key]);
      uint8_t* out = rgba.data() + (static_cast<size_t>(y) * size + x) * 4;
      out[0] = static_cast<uint8_t>(std::lround(255.0f * std::clamp(c.r, 0.0f, 1.0f)));
      out[1] = static_cast<uint8_t>(std::lround(255.0f * std::clamp(c.g, 0.0f, 1.0f)));
      out[2] = static_cast<uint8_t>(std::lround(255.0f * std::clamp(c.b, 0.0f, 1.0f)));
      out[3] = 255;
    }
  }
  return rgba;
}

// Pixels per side of a map's texture: whole blocks per cell up to about 512 pixels.
int texture_size(int cells) {
  if (cells <= 0) return 1;
  if (cells >= 512) return 512;
  return cells * std::max(1, 512 / cells);
}

// The run's text from its tokens; a space where the input had a gap between two tokens
// (WordPiece tokens carry no spaces of their own).
std::string excerpt(const AttentionTrace& trace, size_t max_bytes) {
  std::string text;
  const Token* previous = nullptr;
  for (const Token& token : trace.tokens()) {
    if (text.size() + token.text.size() > max_bytes) return text + "\xE2\x80\xA6";
    const bool gap =
        previous && (token.start > previous->end || token.special || previous->special);
    if (gap && !token.text.empty() && token.text[0] != ' ') text += ' ';
    text += token.text;
    previous = &token;
  }
  return text;
}

// Token texts as two tokenizers may spell the same word: GPT-2's leading space, WordPiece's
// "##" and lower case. Aligning on these lets two models' maps of one text line up.
std::vector<Token> alignment_tokens(std::span<const Token> tokens) {
  std::vector<Token> normalized(tokens.begin(), tokens.end());
  for (Token& token : normalized) {
    std::string& text = token.text;
    if (text.rfind("##", 0) == 0) text.erase(0, 2);
    const size_t first = text.find_first_not_of(" \t\r\n");
    const size_t last = text.find_last_not_of(" \t\r\n");
    text = first == std::string::npos ? std::string() : text.substr(first, last - first + 1);
    for (char& c : text) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  return normalized;
}

// The maps of two traces for a selection (on a background thread: nothing here touches ImGui).
DiffMaps compute_maps(std::shared_ptr<const AttentionTrace> trace_a,
                      std::shared_ptr<const AttentionTrace> trace_b, const ViewState& view) {
  const AttentionTrace& a = *trace_a;
  const AttentionTrace& b = *trace_b;
  DiffMaps maps;
  const AggregateChoice choice_a = choice_for_view(view, a);
  const AggregateChoice choice_b = choice_for_view(view, b, &maps.note);
  maps.tokens_a = a.tokens_count();
  maps.tokens_b = b.tokens_count();
  maps.map_a = aggregate(a, choice_a);
  maps.map_b = aggregate(b, choice_b);
  for (float w : maps.map_a) maps.max_weight = std::max(maps.max_weight, w);
  for (float w : maps.map_b) maps.max_weight = std::max(maps.max_weight, w);
  auto diff =
      diff_maps(maps.map_a, alignment_tokens(a.tokens()), maps.map_b, alignment_tokens(b.tokens()));
  if (!diff.ok()) {
    maps.note = diff.error().message;
  } else {
    maps.aligned = diff->size;
    maps.difference = std::move(diff->difference);
    maps.pairs = std::move(diff->alignment.pairs);
    for (float d : maps.difference) maps.max_change = std::max(maps.max_change, std::fabs(d));
  }
  maps.trace_a = std::move(trace_a);
  maps.trace_b = std::move(trace_b);
  maps.layer = view.layer;
  maps.head = view.head;
  maps.mode = view.head_mode;
  maps.heads = view.enabled_heads;
  maps.textures_stale = true;
  return maps;
}

bool same_selection(const DiffMaps& maps, const std::shared_ptr<const AttentionTrace>& a,
                    const std::shared_ptr<const AttentionTrace>& b, const ViewState& view) {
  return maps.trace_a == a && maps.trace_b == b && maps.layer == view.layer &&
         maps.head == view.head && maps.mode == view.head_mode && maps.heads == view.enabled_heads;
}

// Starts computing the maps for the current selection unless they are on screen or on their
// way; takes finished ones. False while nothing can be drawn yet.
bool update_maps(DiffState& state, const DiffPanelContext& context) {
  const ViewState& view = *context.view;
  if (state.next_maps.valid() &&
      state.next_maps.wait_for(std::chrono::seconds(0)) == std::future_status::ready) {
    state.maps = state.next_maps.get();
  }
  const bool shown = same_selection(state.maps, context.shown_a, state.view_b, view);
  const bool coming = state.next_maps.valid() &&
                      same_selection(state.next_key, context.shown_a, state.view_b, view);
  if (!shown && !coming && !state.next_maps.valid()) {
    state.next_key = DiffMaps{};
    state.next_key.trace_a = context.shown_a;
    state.next_key.trace_b = state.view_b;
    state.next_key.layer = view.layer;
    state.next_key.head = view.head;
    state.next_key.mode = view.head_mode;
    state.next_key.heads = view.enabled_heads;
    state.next_maps = std::async(
        std::launch::async, [a = context.shown_a, b = state.view_b, view, wake = context.wake_ui] {
          DiffMaps maps = compute_maps(a, b, view);
          if (wake) wake();
          return maps;
        });
  }
  if (!shown) ImGui::TextDisabled("computing the maps\xE2\x80\xA6");
  return state.maps.trace_a && state.maps.trace_b;
}

void upload_textures(DiffState& state) {
  DiffMaps& maps = state.maps;
  const float top = maps.max_weight > 0.0f ? maps.max_weight : 1.0f;
  int size = texture_size(maps.tokens_a);
  state.texture_a.upload_rgba8(size, size, sequential_image(maps.map_a, maps.tokens_a, size, top),
                               /*nearest=*/true);
  size = texture_size(maps.tokens_b);
  state.texture_b.upload_rgba8(size, size, sequential_image(maps.map_b, maps.tokens_b, size, top),
                               /*nearest=*/true);
  size = texture_size(maps.aligned);
  const float ends = maps.max_change > 0.0f ? maps.max_change : 1.0f;
  state.texture_diff.upload_rgba8(size, size,
                                  diverging_image(maps.difference, maps.aligned, size, ends),
                                  /*nearest=*/true);
  maps.textures_stale = false;
}

// One map as an image of side `side`, with a tooltip naming the cell under the mouse.
// token_a/token_b give the query and key texts of a cell.
template <class CellText>
void draw_map_image(const GlTexture& texture, int cells, float side, const char* id,
                    CellText cell_text, LayoutRecorder* recorder) {
  if (cells <= 0 || !texture.valid()) {
    ImGui::Dummy({side, side});
    return;
  }
  ImGui::Image(texture.imgui_id(), {side, side});
  const ImVec2 min = ImGui::GetItemRectMin();
  if (recorder) recorder->record(id, {min.x, min.y, min.x + side, min.y + side});
  if (!ImGui::IsItemHovered()) return;
  const ImVec2 mouse = ImGui::GetIO().MousePos;
  const int query = std::clamp(static_cast<int>((mouse.y - min.y) / side * cells), 0, cells - 1);
  const int key = std::clamp(static_cast<int>((mouse.x - min.x) / side * cells), 0, cells - 1);
  ImGui::SetTooltip("%s", cell_text(query, key).c_str());
}

std::string quoted(const std::string& text) {
  return "\xE2\x80\x9C" + text + "\xE2\x80\x9D";
}

std::string number(const char* format, float value) {
  char text[32];
  std::snprintf(text, sizeof text, format, value);
  return text;
}

// Posts the second run when its inputs changed; returns why it cannot run, or "".
std::string post_request(DiffState& state, const DiffPanelContext& context) {
  const bool other_text = state.source == DiffSource::kOtherText;
  const std::string folder = other_text ? context.main_folder : state.model_b;
  const std::string& text = other_text ? state.text_b : context.main_text;
  if (folder.empty()) {
    return other_text
               ? "the diff runs a model: load one (attention imported from a file has none)"
               : "type the second model's folder, or pick it in File > Models on this computer";
  }
  if (text.empty()) return "type the second text";
  const std::string key = folder + '\n' + text;
  if (key == state.requested_key) return "";
  if (!state.runner) state.runner = std::make_unique<DiffRunner>(context.wake_ui);
  state.requested_key = key;
  state.requested_id = state.runner->request(folder, text);
  return "";
}

void take_result(DiffState& state) {
  if (!state.runner) return;
  std::optional<DiffRunner::Result> result = state.runner->take();
  if (!result || result->id != state.requested_id) return;
  state.error = result->error;
  if (result->trace) {
    state.raw_b = std::move(result->trace);
    state.view_b.reset();
  }
}

void record_last_item(LayoutRecorder* recorder, const char* name) {
  if (!recorder) return;
  const ImVec2 min = ImGui::GetItemRectMin(), max = ImGui::GetItemRectMax();
  recorder->record(name, {min.x, min.y, max.x, max.y});
}

void draw_inputs(DiffState& state, const DiffPanelContext& context) {
  int source = static_cast<int>(state.source);
  ImGui::RadioButton("Another text, same model", &source, 0);
  ImGui::SameLine();
  ImGui::RadioButton("Same text, another model", &source, 1);
  record_last_item(context.recorder, "diff_source_model");
  if (source != static_cast<int>(state.source)) {
    state.source = static_cast<DiffSource>(source);
    state.raw_b.reset();
    state.view_b.reset();
    state.error.clear();
  }
  if (state.source == DiffSource::kOtherText) {
    if (state.text_b.empty()) state.text_b = context.main_text;
    ImGui::SetNextItemWidth(-1);
    ImGui::InputTextWithHint("##text_b", "the second text", &state.text_b);
    record_last_item(context.recorder, "diff_text_b");
  } else {
    ImGui::SetNextItemWidth(-1);
    // Enter commits the folder: a half-typed path is not loaded on every keystroke.
    if (ImGui::InputTextWithHint("##model_b", "folder of the second model (config.json inside)",
                                 &state.model_b_input, ImGuiInputTextFlags_EnterReturnsTrue))
      state.model_b = state.model_b_input;
    record_last_item(context.recorder, "diff_model_b");
  }
}

}  // namespace

std::vector<uint8_t> sequential_image(const std::vector<float>& map, int cells, int size,
                                      float max_value) {
  const float scale = max_value > 0.0f ? 1.0f / max_value : 1.0f;
  return cell_image(map, cells, size, [scale](float w) { return weight_color(w * scale); });
}

std::vector<uint8_t> diverging_image(const std::vector<float>& map, int cells, int size,
                                     float max_abs) {
  const Rgba white{0.97f, 0.97f, 0.97f, 1.0f};
  const Rgba blue{0.13f, 0.40f, 0.67f, 1.0f};  // less attention in B than in A
  const Rgba red{0.70f, 0.09f, 0.17f, 1.0f};   // more attention in B than in A
  const float scale = max_abs > 0.0f ? 1.0f / max_abs : 1.0f;
  return cell_image(map, cells, size, [&](float d) {
    const float t = std::clamp(d * scale, -1.0f, 1.0f);
    return t < 0.0f ? mix(white, blue, -t) : mix(white, red, t);
  });
}

void draw_diff_panel(DiffState& state, const DiffPanelContext& context) {
  if (!state.open) return;
  ImGui::SetNextWindowSize({1100, 560}, ImGuiCond_FirstUseEver);
  ImGui::SetNextWindowPos(ImGui::GetMainViewport()->GetCenter(), ImGuiCond_Appearing, {0.5f, 0.5f});
  if (!ImGui::Begin("Diff", &state.open)) {
    ImGui::End();
    return;
  }
  draw_inputs(state, context);
  const std::string blocked = post_request(state, context);
  take_result(state);

  if (state.raw_b && (!state.view_b || !(state.view_b_options == context.view_options))) {
    state.view_b = derive_trace(state.raw_b, context.view_options).trace;
    state.view_b_options = context.view_options;
  }
  const bool running = state.runner && state.runner->busy();
  if (!blocked.empty()) {
    ImGui::TextColored({0.95f, 0.6f, 0.3f, 1}, "%s", blocked.c_str());
  } else if (!state.error.empty()) {
    ImGui::TextColored({0.95f, 0.35f, 0.3f, 1}, "second run failed: %s", state.error.c_str());
  } else if (running) {
    ImGui::TextDisabled("running the second %s\xE2\x80\xA6",
                        state.source == DiffSource::kOtherText ? "text" : "model");
  }
  if (!context.shown_a || !state.view_b || !context.view) {
    ImGui::End();
    return;
  }

  if (!update_maps(state, context)) {
    ImGui::End();
    return;
  }
  // Drawn with the traces the maps were computed from: newer ones may still be on their way.
  DiffMaps& maps = state.maps;
  const AttentionTrace& a = *maps.trace_a;
  const AttentionTrace& b = *maps.trace_b;
  if (maps.textures_stale) upload_textures(state);
  if (!maps.note.empty()) ImGui::TextColored({0.95f, 0.6f, 0.3f, 1}, "%s", maps.note.c_str());

  const ImGuiStyle& style = ImGui::GetStyle();
  const ImVec2 avail = ImGui::GetContentRegionAvail();
  const float caption = ImGui::GetTextLineHeightWithSpacing() * 2;
  const float side = std::max(
      40.0f, std::floor(std::min((avail.x - 2 * style.ItemSpacing.x) / 3, avail.y - caption)));

  auto weight_text = [](const AttentionTrace& trace, const std::vector<float>& map, int cells) {
    return [&trace, &map, cells](int q, int k) {
      return quoted(trace.tokens()[q].text) + " \xE2\x86\x92 " + quoted(trace.tokens()[k].text) +
             "\n" + number("%.4f", map[static_cast<size_t>(q) * cells + k]);
    };
  };
  ImGui::BeginGroup();
  draw_map_image(state.texture_a, maps.tokens_a, side, "diff_map_a",
                 weight_text(a, maps.map_a, maps.tokens_a), context.recorder);
  ImGui::TextUnformatted(("A: " + excerpt(a, 40)).c_str());
  ImGui::TextDisabled("%d tokens", maps.tokens_a);
  ImGui::EndGroup();
  ImGui::SameLine();
  ImGui::BeginGroup();
  draw_map_image(state.texture_b, maps.tokens_b, side, "diff_map_b",
                 weight_text(b, maps.map_b, maps.tokens_b), context.recorder);
  ImGui::TextUnformatted(("B: " + excerpt(b, 40)).c_str());
  ImGui::TextDisabled("%d tokens%s", maps.tokens_b,
                      b.model_name != a.model_name ? (" \xC2\xB7 " + b.model_name).c_str() : "");
  ImGui::EndGroup();
  ImGui::SameLine();
  ImGui::BeginGroup();
  const int k = maps.aligned;
  draw_map_image(
      state.texture_diff, k, side, "diff_map_difference",
      [&](int q, int key) {
        const auto [qa, qb] = maps.pairs[q];
        const auto [ka, kb] = maps.pairs[key];
        const float d = maps.difference[static_cast<size_t>(q) * k + key];
        return quoted(a.tokens()[qa].text) + " \xE2\x86\x92 " + quoted(a.tokens()[ka].text) +
               "\nA " + number("%.4f", maps.map_a[static_cast<size_t>(qa) * maps.tokens_a + ka]) +
               "   B " + number("%.4f", maps.map_b[static_cast<size_t>(qb) * maps.tokens_b + kb]) +
               "   B\xE2\x88\x92"
               "A " +
               number("%+.4f", d);
      },
      context.recorder);
  ImGui::Text("B \xE2\x88\x92 A on %d aligned tokens, \xC2\xB1%.3f", k, maps.max_change);
  ImGui::TextDisabled("red: more attention in B \xC2\xB7 blue: less");
  if (k > 0 && k <= 40) {  // which tokens the rows and columns are, in order
    std::string list = "aligned:";
    for (const auto& pair : maps.pairs) {
      list += ' ';
      list += quoted(a.tokens()[pair.first].text);
    }
    ImGui::PushTextWrapPos(ImGui::GetCursorPosX() + side);
    ImGui::TextDisabled("%s", list.c_str());
    ImGui::PopTextWrapPos();
  }
  ImGui::EndGroup();
  ImGui::End();
}

}  // namespace attnviz::ui
