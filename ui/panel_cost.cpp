#include "ui/panel_cost.h"

#include <imgui.h>

#include <algorithm>
#include <cstdio>
#include <string>
#include <vector>

namespace attnviz::ui {

AttentionCost attention_cost(const AttentionTrace& trace) {
  AttentionCost cost;
  const int64_t t = trace.tokens_count();
  cost.scores_per_head = t * t;
  cost.visible_per_head = trace.causal() ? t * (t + 1) / 2 : t * t;
  cost.scores_per_layer = cost.scores_per_head * trace.heads();
  cost.scores_total = cost.scores_per_layer * trace.layers();
  cost.memory = trace_cost(trace);
  cost.score_flops = 2 * static_cast<int64_t>(trace.head_dim()) * cost.visible_per_head *
                     trace.heads() * trace.layers();
  return cost;
}

std::string format_bytes(int64_t bytes) {
  const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  double value = static_cast<double>(bytes);
  int unit = 0;
  while (value >= 1024.0 && unit < 4) {
    value /= 1024.0;
    ++unit;
  }
  char text[32];
  std::snprintf(text, sizeof text, unit == 0 ? "%.0f %s" : "%.1f %s", value, units[unit]);
  return text;
}

std::string format_count(int64_t count) {
  std::string digits = std::to_string(count < 0 ? -count : count);
  std::string out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return count < 0 ? "-" + out : out;
}

namespace {

void row(const char* name, const std::string& value, const char* note = nullptr) {
  ImGui::TableNextRow();
  ImGui::TableNextColumn();
  ImGui::TextUnformatted(name);
  ImGui::TableNextColumn();
  ImGui::TextUnformatted(value.c_str());
  ImGui::TableNextColumn();
  if (note != nullptr) ImGui::TextDisabled("%s", note);
}

}  // namespace

void draw_cost_contents(const AttentionTrace& trace) {
  const AttentionCost cost = attention_cost(trace);
  const int t = trace.tokens_count();
  if (ImGui::BeginTable("##cost", 3, ImGuiTableFlags_SizingFixedFit | ImGuiTableFlags_RowBg)) {
    char text[96];
    std::snprintf(text, sizeof text, "%d", t);
    row("tokens T", text);
    std::snprintf(text, sizeof text, "%d x %d (D = %d)", trace.layers(), trace.heads(),
                  trace.head_dim());
    row("layers x heads", text);
    row("scores per head", format_count(cost.scores_per_head), "T\xC2\xB2");
    if (trace.causal())
      row("  of which visible", format_count(cost.visible_per_head),
          "T(T+1)/2 with the causal mask");
    row("scores per layer", format_count(cost.scores_per_layer), "H\xC2\xB7T\xC2\xB2");
    row("scores in all", format_count(cost.scores_total), "L\xC2\xB7H\xC2\xB7T\xC2\xB2");
    if (cost.score_flops > 0)
      row("q\xC2\xB7k arithmetic", format_count(cost.score_flops) + " flops",
          "2\xC2\xB7"
          "D per visible score");
    row("scores computed", format_count(cost.memory.scores_computed),
        "visible keys of every row (mask, windows)");
    row("weights, full storage", format_bytes(cost.memory.full_weight_bytes),
        "L\xC2\xB7H\xC2\xB7T\xC2\xB2 float32 (causal: rows 0..q)");
    row("weights held", trace.stores_weights() ? format_bytes(cost.memory.weight_bytes)
                                               : std::string("none: recomputed on demand"),
        trace.stores_weights() ? "stored rows" : "from q, k and each row's log-sum-exp");
    if (cost.memory.lse_bytes > 0)
      row("row log-sum-exp", format_bytes(cost.memory.lse_bytes), "L\xC2\xB7H\xC2\xB7T");
    row("Q, K, V", trace.has_qkv() ? format_bytes(cost.memory.qkv_bytes) : std::string("not stored"),
        "per layer and position, q/k after RoPE");
    row("held in all", format_bytes(cost.memory.held_bytes()), "weights + log-sum-exp + Q, K, V");
    std::snprintf(text, sizeof text, "%.1f ms", trace.timings.forward_ms);
    row("last forward pass", text);
    std::snprintf(text, sizeof text, "%.2f ms", trace.timings.tokenize_ms);
    row("tokenizing", text);
    std::snprintf(text, sizeof text, "%d of %d", trace.timings.reused_positions, t);
    row("reused from cache", text, "prefix positions whose keys and values were kept");
    ImGui::EndTable();
  }
  ImGui::Spacing();
  ImGui::PushTextWrapPos(0.0f);
  ImGui::TextDisabled(
      "Attention is O(T\xC2\xB2): every token scores every token it may see, in every head of "
      "every layer. Twice the text means four times the scores and the memory of the weights; "
      "the rest of the model (projections, MLP) grows only linearly with T.");
  ImGui::PopTextWrapPos();
  // Scores per head against T, up to twice the current length, with this text marked.
  constexpr int kPoints = 48;
  const int span = std::max(2 * t, 16);
  std::vector<float> curve(kPoints);
  for (int i = 0; i < kPoints; ++i) {
    const float tokens = static_cast<float>(span) * i / (kPoints - 1);
    curve[i] = tokens * tokens;
  }
  char overlay[64];
  std::snprintf(overlay, sizeof overlay, "T\xC2\xB2 for T = 0..%d (this text: middle)", span);
  ImGui::PlotLines("##t_squared", curve.data(), kPoints, 0, overlay, 0.0f,
                   static_cast<float>(span) * span,
                   ImVec2(ImGui::GetContentRegionAvail().x, 60.0f));
}

void draw_cost_panel(const AttentionTrace& trace) {
  if (ImGui::Begin("Cost")) {
    ImGui::PushTextWrapPos(0.0f);  // lines wrap at the column's edge
    draw_cost_contents(trace);
    ImGui::PopTextWrapPos();
  }
  ImGui::End();
}

}  // namespace attnviz::ui
