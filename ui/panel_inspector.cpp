#include "ui/panel_inspector.h"

#include <imgui.h>

#include <algorithm>
#include <cassert>
#include <cmath>
#include <cstdio>
#include <limits>
#include <string>

#include "core/view/attention_reader.h"
#include "core/view/map_geometry.h"
#include "ui/draw_helpers.h"
#include "ui/layout_hook.h"

namespace attnviz::ui {

ScoreArithmetic score_arithmetic(const AttentionTrace& trace, const HeadDetail& detail, int query,
                                 int key) {
  ScoreArithmetic result;
  const int t = detail.tokens, d = detail.head_dim;
  result.query = query;
  result.key = key;
  result.head_dim = d;
  result.score_scale = detail.score_scale;
  const float* q = detail.queries.data() + static_cast<size_t>(query) * d;
  const float* k = detail.keys.data() + static_cast<size_t>(key) * d;
  for (int i = 0; i < d; ++i) result.dot += q[i] * k[i];
  const AttentionReader reader(trace);
  result.outside_window = detail.outside_window(query, key);
  result.masked = detail.causally_masked(query, key) || result.outside_window;
  result.window = detail.rule.window;
  assert(detail.has_scores(query) && "score_arithmetic: the detail lacks the query's scores");
  const float* scores = detail.score_row(detail.scores, query);
  result.score = result.masked ? -std::numeric_limits<float>::infinity() : scores[key];
  result.softcap = detail.rule.softcap;
  result.score_before_cap = detail.scores_before_cap.empty()
                                ? result.dot * detail.score_scale
                                : detail.score_row(detail.scores_before_cap, query)[key];
  result.rotary_dims = detail.rotary_dims;
  result.position_difference = detail.position_difference(query, key);
  const auto norm = [d](const float* v) {
    double sum = 0.0;
    for (int i = 0; i < d; ++i) sum += static_cast<double>(v[i]) * v[i];
    return static_cast<float>(std::sqrt(sum));
  };
  result.q_norm_after = norm(q);
  result.k_norm_after = norm(k);
  if (!detail.queries_before_rope.empty() && !detail.keys_before_rope.empty()) {
    result.q_norm_before = norm(detail.queries_before_rope.data() + static_cast<size_t>(query) * d);
    result.k_norm_before = norm(detail.keys_before_rope.data() + static_cast<size_t>(key) * d);
  }
  result.kv_head = detail.kv_head;
  result.group_size = std::max(1, trace.heads() / std::max(1, trace.kv_heads()));
  result.group_first = detail.kv_head * result.group_size;
  result.weight = reader.weight(detail.layer, detail.head, query, key);
  std::vector<float> weights(static_cast<size_t>(t));  // (T)
  reader.row(detail.layer, detail.head, query, weights);
  const std::span<const float> row(weights.data(), static_cast<size_t>(reader.visible_keys(query)));
  result.entropy = entropy(row);
  if (!detail.values.empty())
    result.value_norm = norm(detail.values.data() + static_cast<size_t>(key) * d);
  if (trace.has_value_norms()) {
    result.has_value_norms = true;
    result.moved_norm = trace.value_norm(detail.layer, detail.head, key);
    result.moved_weight = result.weight * result.moved_norm;
    double sum = 0.0;
    for (size_t j = 0; j < row.size(); ++j)
      sum += static_cast<double>(row[j]) * trace.value_norm(detail.layer, detail.head, static_cast<int>(j));
    result.value_weight = sum > 0.0 ? static_cast<float>(result.moved_weight / sum) : 0.0f;
  }
  result.max_entropy = std::log(static_cast<float>(row.size()));
  // Raw dot products of the row (-inf stays -inf where masked), then both scalings.
  std::vector<float> dots(static_cast<size_t>(t));
  const float unscale = detail.score_scale != 0.0f ? 1.0f / detail.score_scale : 1.0f;
  for (int j = 0; j < t; ++j) dots[j] = scores[j] * unscale;
  result.entropy_scaled = entropy(softmax(dots, 1.0f / std::sqrt(static_cast<float>(d))));
  result.entropy_unscaled = entropy(softmax(dots, 1.0f));
  return result;
}

namespace {

const ImU32 kWhatIfColour = IM_COL32(200, 90, 30, 255);
const ImU32 kKeyColour = IM_COL32(255, 190, 60, 255);

// D values as bars around a zero line (blue positive, red negative), scaled to the largest
// magnitude; hovering a bar shows its index and value.
void draw_vector_strip(const char* id, const float* values, int count, float height) {
  const ImVec2 at = ImGui::GetCursorScreenPos();
  const float width = std::max(ImGui::GetContentRegionAvail().x, 40.0f);
  ImGui::InvisibleButton(id, ImVec2(width, height));
  ImDrawList* draw_list = ImGui::GetWindowDrawList();
  draw_list->AddRectFilled(at, ImVec2(at.x + width, at.y + height), IM_COL32(30, 30, 36, 255));
  float largest = 1e-12f;
  for (int i = 0; i < count; ++i) largest = std::max(largest, std::abs(values[i]));
  const float mid = at.y + height * 0.5f;
  const float bar = width / static_cast<float>(count);
  for (int i = 0; i < count; ++i) {
    const float extent = values[i] / largest * (height * 0.5f - 1.0f);
    const float x0 = at.x + i * bar, x1 = x0 + std::max(bar - 1.0f, 1.0f);
    draw_list->AddRectFilled(
        ImVec2(x0, std::min(mid, mid - extent)), ImVec2(x1, std::max(mid, mid - extent)),
        values[i] >= 0.0f ? IM_COL32(90, 150, 240, 255) : IM_COL32(230, 90, 80, 255));
  }
  draw_list->AddLine(ImVec2(at.x, mid), ImVec2(at.x + width, mid), IM_COL32(120, 120, 130, 255));
  if (ImGui::IsItemHovered()) {
    const int i =
        std::clamp(static_cast<int>((ImGui::GetIO().MousePos.x - at.x) / bar), 0, count - 1);
    ImGui::SetTooltip("dimension %d: %.4f", i, static_cast<double>(values[i]));
  }
}

void draw_numbers(const float* values, int count) {
  std::string line;
  char number[24];
  for (int i = 0; i < count; ++i) {
    std::snprintf(number, sizeof number, "%s%.3f", i == 0 ? "" : "  ",
                  static_cast<double>(values[i]));
    line += number;
  }
  ImGui::PushTextWrapPos(0.0f);
  ImGui::TextDisabled("%s", line.c_str());
  ImGui::PopTextWrapPos();
}

// The softmax row as bars over the keys the query sees (a causal row stops at the query);
// the inspected key highlighted. A click on a bar inspects that key and returns it.
std::optional<int> draw_softmax_row(const AttentionTrace& trace, std::span<const float> row,
                                    int key) {
  const ImVec2 at = ImGui::GetCursorScreenPos();
  const float width = std::max(ImGui::GetContentRegionAvail().x, 40.0f);
  const float height = 64.0f;
  const bool clicked = ImGui::InvisibleButton("##softmax_row", ImVec2(width, height));
  ImDrawList* draw_list = ImGui::GetWindowDrawList();
  draw_list->AddRectFilled(at, ImVec2(at.x + width, at.y + height), IM_COL32(30, 30, 36, 255));
  const int keys = static_cast<int>(row.size());
  const float bar = width / static_cast<float>(std::max(keys, 1));
  float largest = 1e-12f;
  for (float w : row) largest = std::max(largest, w);
  for (int j = 0; j < keys; ++j) {
    const float x0 = at.x + j * bar, x1 = x0 + std::max(bar - (bar > 3.0f ? 1.0f : 0.0f), 1.0f);
    const float top = at.y + height - row[j] / largest * (height - 2.0f);
    draw_list->AddRectFilled(ImVec2(x0, top), ImVec2(x1, at.y + height),
                             viridis_colour(row[j] / largest));
  }
  if (key < keys) {  // the inspected key: an outlined column, visible even at weight ~0
    const float x0 = at.x + key * bar;
    draw_list->AddRect(ImVec2(x0 - 1.0f, at.y),
                       ImVec2(x0 + std::max(bar, 2.0f) + 1.0f, at.y + height), kKeyColour, 0.0f, 0,
                       2.0f);
  }
  if (ImGui::IsItemHovered() && keys > 0) {
    const int j =
        std::clamp(static_cast<int>((ImGui::GetIO().MousePos.x - at.x) / bar), 0, keys - 1);
    const std::string label = token_label(trace.tokens()[j].text, 24);
    ImGui::SetTooltip("key \"%s\" (%d): %.4f\nclick to inspect this key", label.c_str(), j,
                      static_cast<double>(row[j]));
    if (clicked) return j;
  }
  return std::nullopt;
}

void draw_banner(const char* text) {
  const ImVec2 at = ImGui::GetCursorScreenPos();
  const float width = ImGui::GetContentRegionAvail().x;
  const float height = ImGui::GetTextLineHeightWithSpacing() + 4.0f;
  ImGui::GetWindowDrawList()->AddRectFilled(at, ImVec2(at.x + width, at.y + height), kWhatIfColour,
                                            3.0f);
  ImGui::SetCursorScreenPos(ImVec2(at.x + 6.0f, at.y + 3.0f));
  ImGui::TextUnformatted(text);
  ImGui::SetCursorScreenPos(ImVec2(at.x, at.y + height + 4.0f));
}

// The what-if switches; true when the person changed one. `model_causal` is the model's own
// mask, so that choosing it again clears the what-if instead of pinning it.
bool draw_what_ifs(bool model_causal, RunOptions& options) {
  bool changed = false;
  ImGui::Separator();
  if (!options.reproduces_model()) draw_banner("What-if: not the model's real computation");
  ImGui::TextDisabled("What-ifs (re-run the model with changed math)");
  bool causal = options.causal_mask.value_or(model_causal);
  if (ImGui::Checkbox("causal mask", &causal)) {
    options.causal_mask = causal;
    if (causal == model_causal) options.causal_mask.reset();
    changed = true;
  }
  name_item("what_if_causal_mask");
  ImGui::SameLine();
  if (ImGui::Checkbox("divide by sqrt(d_k)", &options.scale_by_sqrt_dk)) changed = true;
  name_item("what_if_sqrt_dk");
  ImGui::SetNextItemWidth(std::min(260.0f, ImGui::GetContentRegionAvail().x));
  if (ImGui::SliderFloat("temperature", &options.temperature, 0.05f, 5.0f, "%.2f",
                         ImGuiSliderFlags_Logarithmic | ImGuiSliderFlags_AlwaysClamp))
    changed = true;
  ImGui::SameLine();
  if (ImGui::Button("Reset")) {
    RunOptions defaults;
    options.causal_mask = defaults.causal_mask;
    options.scale_by_sqrt_dk = defaults.scale_by_sqrt_dk;
    options.temperature = defaults.temperature;
    changed = true;
  }
  return changed;
}

void draw_arithmetic(const AttentionTrace& trace, const HeadDetail& detail,
                     const ScoreArithmetic& math, bool show_numbers) {
  const int d = detail.head_dim;
  const float* q = detail.queries.data() + static_cast<size_t>(math.query) * d;
  const float* k = detail.keys.data() + static_cast<size_t>(math.key) * d;
  ImGui::Text("q (query %d, %d numbers)", math.query, d);
  draw_vector_strip("##q", q, d, 34.0f);
  if (show_numbers) draw_numbers(q, d);
  ImGui::Text("k (key %d)", math.key);
  draw_vector_strip("##k", k, d, 34.0f);
  if (show_numbers) draw_numbers(k, d);
  if (math.group_size > 1) {
    std::string heads;
    for (int h = math.group_first; h < math.group_first + math.group_size; ++h)
      heads += " h" + std::to_string(h);
    ImGui::Text("k is kv head %d, shared by query heads%s", math.kv_head, heads.c_str());
  }
  if (math.rotary_dims > 0 && !detail.queries_before_rope.empty()) {
    const float* q0 = detail.queries_before_rope.data() + static_cast<size_t>(math.query) * d;
    const float* k0 = detail.keys_before_rope.data() + static_cast<size_t>(math.key) * d;
    ImGui::Text("RoPE: q rotated by position %d, k by position %d: difference %d", math.query,
                math.key, math.position_difference);
    ImGui::TextDisabled("(first %d of %d dims rotated)", math.rotary_dims, d);
    const auto dims = [d](const char* name, const float* v, float norm) {
      std::string line = name;
      char buffer[32];
      for (int i = 0; i < std::min(d, 4); ++i) {
        std::snprintf(buffer, sizeof buffer, " %+.4f", static_cast<double>(v[i]));
        line += buffer;
      }
      std::snprintf(buffer, sizeof buffer, " ... |%.4f|", static_cast<double>(norm));
      ImGui::TextUnformatted((line + buffer).c_str());
    };
    dims("q before:", q0, math.q_norm_before);
    dims("q after: ", q, math.q_norm_after);
    dims("k before:", k0, math.k_norm_before);
    dims("k after: ", k, math.k_norm_after);
    ImGui::TextDisabled("the score below uses the rotated q and k");
  } else if (math.rotary_dims > 0) {
    ImGui::Text("RoPE: q rotated by position %d, k by position %d: difference %d", math.query,
                math.key, math.position_difference);
    ImGui::TextDisabled("(q and k before RoPE are not kept for a long text; q and k above are "
                        "after RoPE, as the score uses them)");
  }
  std::vector<float> products(static_cast<size_t>(d));
  for (int i = 0; i < d; ++i) products[i] = q[i] * k[i];
  ImGui::TextDisabled("q_i \xC2\xB7 k_i per dimension (their sum is q\xC2\xB7k)");
  draw_vector_strip("##qk", products.data(), d, 28.0f);

  ImGui::Text("q\xC2\xB7k = %.4f", static_cast<double>(math.dot));
  const float root = std::sqrt(static_cast<float>(d));
  const float sqrt_part = trace.options.scale_by_sqrt_dk ? 1.0f / root : 1.0f;
  const float temperature = trace.options.temperature;
  if (trace.options.scale_by_sqrt_dk)
    ImGui::Text("q\xC2\xB7k / sqrt(%d) = %.4f / %.3f = %.4f", d, static_cast<double>(math.dot),
                static_cast<double>(root), static_cast<double>(math.dot / root));
  else
    ImGui::TextColored(ImVec4(0.95f, 0.55f, 0.3f, 1.0f), "no division by sqrt(d_k) (what-if)");
  if (temperature != 1.0f)
    ImGui::TextColored(ImVec4(0.95f, 0.55f, 0.3f, 1.0f), "/ temperature %.2f (what-if)",
                       static_cast<double>(temperature));
  const float other = math.score_scale / (sqrt_part / temperature);
  if (std::abs(other - 1.0f) > 1e-4f)  // e.g. GPT-2's scale_attn_by_inverse_layer_idx
    ImGui::Text("\xC3\x97 %.4f (the model's extra scaling of this layer)",
                static_cast<double>(other));
  if (detail.rule.scale != 0.0f &&
      std::abs(detail.rule.scale * root - 1.0f) > 1e-4f && math.softcap > 0.0f)
    ImGui::Text("scale %.4f = query_pre_attn_scalar^-1/2 (replaces 1/sqrt(d_k))",
                static_cast<double>(detail.rule.scale));
  if (math.outside_window) {
    ImGui::TextColored(ImVec4(0.6f, 0.6f, 0.65f, 1.0f),
                       "masked: outside the window (%d keys) -> score = -inf, weight 0",
                       math.window);
  } else if (math.masked) {
    ImGui::TextColored(ImVec4(0.6f, 0.6f, 0.65f, 1.0f),
                       "masked: key after query -> score = -inf, weight 0");
  } else {
    if (math.softcap > 0.0f)
      ImGui::Text("soft-cap: %.1f * tanh(%.4f / %.1f) = %.4f", static_cast<double>(math.softcap),
                  static_cast<double>(math.score_before_cap), static_cast<double>(math.softcap),
                  static_cast<double>(math.score));
    ImGui::Text("score = %.4f  -> softmax weight = %.4f", static_cast<double>(math.score),
                static_cast<double>(math.weight));
  }
  ImGui::TextDisabled("what the head moves from key %d (value-weighted attention):", math.key);
  ImGui::Text("\xE2\x80\x96v_j\xE2\x80\x96 = %.4f", static_cast<double>(math.value_norm));
  name_item("inspector_value_norm");
  if (math.has_value_norms) {
    ImGui::Text("\xE2\x80\x96v_j W_O^h\xE2\x80\x96 = %.4f   \xCE\xB1\xC2\xB7\xE2\x80\x96v_j W_O^h\xE2\x80\x96 = %.4f",
                static_cast<double>(math.moved_norm), static_cast<double>(math.moved_weight));
    name_item("inspector_moved_norm");
    ImGui::Text("value-weighted (normalized per row) = %.4f", static_cast<double>(math.value_weight));
    name_item("inspector_value_weight");
  }
}

// Which query the inspector explains: the pinned token, else the last one.
int inspected_query(const AttentionTrace& trace, const ViewSpec& view) {
  if (view.pinned_token && *view.pinned_token < trace.tokens_count()) return *view.pinned_token;
  return trace.tokens_count() - 1;
}

int argmax(std::span<const float> row) {
  return static_cast<int>(std::max_element(row.begin(), row.end()) - row.begin());
}

}  // namespace

void draw_inspector_contents(const InspectorInput& in, InspectorState& state, Actions& out) {
  const AttentionTrace& trace = *in.trace;
  const ViewSpec& view = *in.spec;
  if (trace.tokens_count() == 0 || trace.layers() == 0 || trace.heads() == 0) {
    ImGui::TextDisabled("No attention yet: type some text.");
    return;
  }
  const int layer = std::clamp(view.layer, 0, trace.layers() - 1);
  const int head = std::clamp(view.head, 0, trace.heads() - 1);
  const int query = inspected_query(trace, view);
  const AttentionReader reader(trace);
  std::vector<float> weights(static_cast<size_t>(trace.tokens_count()));  // (T)
  reader.row(layer, head, query, weights);
  const std::span<const float> row(weights.data(), static_cast<size_t>(reader.visible_keys(query)));
  const std::vector<Token>& tokens = trace.tokens();
  if (in.pointer->hovered_key && *in.pointer->hovered_key < trace.tokens_count()) {
    state.key = in.pointer->hovered_key;
  } else if (state.key && (*state.key >= trace.tokens_count() || state.key_query != query ||
                           tokens[*state.key].id != state.key_token_id ||
                           tokens[*state.key].start != state.key_token_start)) {
    state.key.reset();
  }
  if (!state.key) state.key = argmax(row);
  const int key = *state.key;
  state.key_query = query;
  state.key_token_id = tokens[key].id;
  state.key_token_start = tokens[key].start;

  const std::string query_label = token_label(trace.tokens()[query].text, 20);
  const std::string key_label = token_label(trace.tokens()[key].text, 20);
  ImGui::Text("layer %d \xC2\xB7 head %d:  \"%s\" (%d) -> \"%s\" (%d)", layer, head,
              query_label.c_str(), query, key_label.c_str(), key);
  if (!view.pinned_token)
    ImGui::TextDisabled("Showing the last token; click a token or heatmap row to pin another.");
  if (view.head_mode != HeadMode::kSingleHead)
    ImGui::TextDisabled("The arithmetic is per head: showing head %d of the aggregate.", head);
  if (!trace.options.reproduces_model()) draw_banner("What-if: not the model's real computation");

  if (!trace.has_qkv()) {
    ImGui::TextWrapped(
        "This attention was imported: it has no queries, keys or values, so only "
        "the weights are shown.");
  } else {
    if (!state.has_detail || state.detail_trace != in.trace_id || state.detail_layer != layer ||
        state.detail_head != head || state.detail_query != query) {
      // The query's row of scores only (O(T·D)): no (T, T) block at a long text.
      state.detail = trace.head_detail(layer, head, query);
      state.detail_trace = in.trace_id;
      state.detail_layer = layer;
      state.detail_head = head;
      state.detail_query = query;
      state.has_detail = true;
    }
    const ScoreArithmetic math = score_arithmetic(trace, state.detail, query, key);
    ImGui::Checkbox("numbers", &state.show_numbers);
    draw_arithmetic(trace, state.detail, math, state.show_numbers);
    ImGui::Spacing();
    ImGui::TextDisabled(
        "Why divide by sqrt(d_k): q\xC2\xB7k grows with D, and large scores saturate "
        "the softmax onto one key.");
    ImGui::Text("this row's entropy at temperature 1: / sqrt(%d) %.3f nats, unscaled %.3f nats",
                math.head_dim, static_cast<double>(math.entropy_scaled),
                static_cast<double>(math.entropy_unscaled));
  }
  ImGui::Separator();
  ImGui::Text(
      "softmax row of query %d (%zu keys%s)", query, row.size(),
      row.size() < static_cast<size_t>(trace.tokens_count()) ? "; later keys are masked" : "");
  if (std::optional<int> clicked = draw_softmax_row(trace, row, key)) {
    state.key = clicked;
    state.key_token_id = tokens[*clicked].id;
    state.key_token_start = tokens[*clicked].start;
  }
  const float row_entropy = entropy(row);
  ImGui::Text("entropy %.3f nats (uniform over %zu keys: %.3f)", static_cast<double>(row_entropy),
              row.size(), std::log(static_cast<double>(row.size())));

  if (!trace.options.causal_mask) state.model_causal = trace.causal();
  RunOptions options = *in.options;
  if (draw_what_ifs(state.model_causal, options)) out.push_back(action::SetRunOptions{options});
}

void draw_inspector_panel(const InspectorInput& input, InspectorState& state, Actions& out) {
  if (ImGui::Begin("Inspector")) {
    // Every line wraps at the column's edge: the teaching lines were clipped (issue 11).
    ImGui::PushTextWrapPos(0.0f);
    draw_inspector_contents(input, state, out);
    ImGui::PopTextWrapPos();
  }
  ImGui::End();
}

}  // namespace attnviz::ui
