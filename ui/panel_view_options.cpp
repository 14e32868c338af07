#include "ui/panel_view_options.h"

#include <imgui.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <optional>
#include <vector>

namespace attnviz::ui {
namespace {

// The derived token that now shows raw token `raw`: the one containing it, else (it is hidden)
// the next one, else the last one.
int follow_raw_token(const DerivedTrace& derived, int raw) {
  const int index = derived.derived_index(raw);
  if (index >= 0) return index;
  const int count = static_cast<int>(derived.source_first.size());
  for (int i = 0; i < count; ++i)
    if (derived.source_end[i] > raw) return i;
  return count - 1;
}

void remap_token(std::optional<int>& token, const DerivedTrace& before, const DerivedTrace& after) {
  if (!token) return;
  if (*token < 0 || *token >= static_cast<int>(before.source_first.size())) {
    token.reset();
    return;
  }
  const int next = follow_raw_token(after, before.source_first[*token]);
  if (next < 0) {
    token.reset();
  } else {
    token = next;
  }
}

// The heads whose absorbed share the readout averages: the selected head in single-head mode,
// the enabled heads of the layer in the layer modes, every head of every layer across layers.
struct AbsorbedScope {
  std::vector<std::pair<int, int>> heads;  // (layer, head)
  std::string label;
};

AbsorbedScope absorbed_scope(const AttentionTrace& trace, const ViewState& view) {
  AbsorbedScope scope;
  const int layer = std::min(view.layer, trace.layers() - 1);
  switch (view.head_mode) {
    case HeadMode::kSingleHead:
      scope.heads.emplace_back(layer, std::min(view.head, trace.heads() - 1));
      scope.label = "layer " + std::to_string(layer) + " head " + std::to_string(view.head);
      break;
    case HeadMode::kMultiHead:
    case HeadMode::kMeanOfHeads:
    case HeadMode::kMaxOfHeads:
      for (int h = 0; h < trace.heads(); ++h)
        if (view.head_enabled(h)) scope.heads.emplace_back(layer, h);
      scope.label = "layer " + std::to_string(layer) + ", enabled heads";
      break;
    case HeadMode::kMeanAllLayers:
    case HeadMode::kRollout:
      for (int l = 0; l < trace.layers(); ++l)
        for (int h = 0; h < trace.heads(); ++h) scope.heads.emplace_back(l, h);
      scope.label = "all layers and heads";
      break;
  }
  return scope;
}

// Who was hidden, for the readout: "token 0", "the hidden token", "the 2 hidden tokens".
std::string hidden_label(const DerivedTrace& derived) {
  const bool first_hidden = derived.source_first.empty() || derived.source_first.front() != 0;
  if (derived.hidden_count == 1) return first_hidden ? "token 0" : "the hidden token";
  return "the " + std::to_string(derived.hidden_count) + " hidden tokens";
}

void record_item(const ViewOptionsContext& context, const char* name) {
  if (!context.recorder) return;
  const ImVec2 min = ImGui::GetItemRectMin(), max = ImGui::GetItemRectMax();
  context.recorder->record(name, {min.x, min.y, max.x, max.y});
}

std::string trimmed(const std::string& text) {
  const size_t first = text.find_first_not_of(" \t\r\n");
  return first == std::string::npos ? text : text.substr(first);
}

std::string percent(double share) {
  char text[32];
  std::snprintf(text, sizeof text, "%.1f%%", 100.0 * share);
  return text;
}

}  // namespace

TraceViewOptions trace_view_options(const ViewState& view, const ViewOptionsState& state) {
  TraceViewOptions options;
  options.merge_words = view.merge_subwords;
  options.hide_first = view.hide_first_token;
  options.hide_special = state.hide_special;
  return options;
}

namespace {

// Makes `next` the view on screen. Only an option toggle (same raw trace) changes what an index
// means; a new trace keeps the indices the person was looking at (the text panel handles edits).
void apply_derived(ViewOptionsState& state, DerivedTrace next, const TraceViewOptions& options,
                   ViewState& view) {
  if (next.source == state.raw && state.derived.trace) {
    remap_token(view.pinned_token, state.derived, next);
    remap_token(view.hovered_token, state.derived, next);
    remap_token(view.hovered_key, state.derived, next);
  }
  state.raw = next.source;
  state.built_with = options;
  state.derived = std::move(next);
  const AttentionTrace& shown = *state.derived.trace;
  view.clamp_to(shown.layers(), shown.heads(), shown.tokens_count());
}

// Weights a derived view reads: above this, it is built on a thread (about a second at
// T = 1024 with 144 heads) while the previous view stays on screen.
constexpr double kBackgroundWeights = 8.0e6;

}  // namespace

std::shared_ptr<const AttentionTrace> update_view_trace(ViewOptionsState& state,
                                                        std::shared_ptr<const AttentionTrace> raw,
                                                        ViewState& view) {
  if (!raw) {
    state.raw.reset();
    state.derived = DerivedTrace{};
    return nullptr;
  }
  const TraceViewOptions options = trace_view_options(view, state);
  if (state.pending.valid() &&
      state.pending.wait_for(std::chrono::seconds(0)) == std::future_status::ready) {
    DerivedTrace built = state.pending.get();
    // A build for inputs that changed meanwhile is dropped; the newest starts below.
    if (state.pending_raw == raw && state.pending_options == options)
      apply_derived(state, std::move(built), options, view);
  }
  const bool current = raw == state.raw && options == state.built_with && state.derived.trace;
  const bool in_flight =
      state.pending.valid() && raw == state.pending_raw && options == state.pending_options;
  if (current || in_flight) return state.derived.trace ? state.derived.trace : raw;

  const double t = raw->tokens_count();
  const bool large = options.any() && t * t * raw->layers() * raw->heads() > kBackgroundWeights;
  if (!large) {
    apply_derived(state, derive_trace(raw, options), options, view);
    return state.derived.trace;
  }
  // Nothing on screen yet: the raw trace as an identity view until its view is ready, so the
  // pin keeps its meaning.
  if (!state.derived.trace) apply_derived(state, derive_trace(raw, {}), {}, view);
  // One build at a time: the newest inputs start when the one in flight lands (polled per frame).
  if (state.pending.valid()) return state.derived.trace;
  state.pending_raw = raw;
  state.pending_options = options;
  state.pending =
      std::async(std::launch::async, [raw, options] { return derive_trace(raw, options); });
  return state.derived.trace;
}

std::string absorbed_summary(const DerivedTrace& derived, const ViewState& view) {
  if (derived.absorbed.empty() || !derived.trace || derived.trace->tokens_count() == 0) return "";
  const AttentionTrace& trace = *derived.trace;
  const AbsorbedScope scope = absorbed_scope(trace, view);
  if (scope.heads.empty()) return "";
  double sum = 0.0;
  for (auto [l, h] : scope.heads) sum += derived.mean_absorbed(l, h);
  return hidden_label(derived) + " absorbed " + percent(sum / scope.heads.size()) +
         " of attention on average (" + scope.label + ")";
}

bool draw_view_options_bar(ViewOptionsState& state, ViewState& view,
                           const ViewOptionsContext& context) {
  bool changed = false;
  changed |= ImGui::Checkbox("Merge sub-words into words", &view.merge_subwords);
  record_item(context, "view_merge_words");
  ImGui::SameLine();
  changed |= ImGui::Checkbox("Hide first token", &view.hide_first_token);
  record_item(context, "view_hide_first");
  ImGui::SameLine();
  changed |= ImGui::Checkbox("Hide special tokens", &state.hide_special);
  record_item(context, "view_hide_special");

  // Below: where the hidden tokens' attention went, then what the view changed (on the same
  // line when it fits).
  const DerivedTrace& derived = state.derived;
  bool line_started = false;
  if (!derived.absorbed.empty() && derived.trace) {
    ImGui::TextUnformatted(absorbed_summary(derived, view).c_str());
    line_started = true;
    if (auto query = view.active_query(); query && *query < derived.trace->tokens_count()) {
      const AbsorbedScope scope = absorbed_scope(*derived.trace, view);
      double sum = 0.0;
      for (auto [l, h] : scope.heads) sum += derived.absorbed_share(l, h, *query);
      if (!scope.heads.empty()) {
        ImGui::SameLine(0, 12);
        ImGui::Text("\xC2\xB7 from \xE2\x80\x9C%s\xE2\x80\x9D: %s",
                    trimmed(derived.trace->tokens()[*query].text).c_str(),
                    percent(sum / scope.heads.size()).c_str());
      }
    }
  }
  // What the view changed: a tooltip of the absorbed line, or the second line itself when
  // nothing is hidden (the bar keeps to two lines).
  if (derived.derived) {
    const std::string note = "view: " + derived.description + " (words and kept tokens only)";
    if (line_started) {
      if (ImGui::IsItemHovered()) ImGui::SetTooltip("%s", note.c_str());
    } else {
      ImGui::TextDisabled("%s", note.c_str());
    }
  }
  return changed;
}

bool draw_view_options_window(ViewOptionsState& state, ViewState& view,
                              const ViewOptionsContext& context) {
  const ImGuiWindowFlags flags = ImGuiWindowFlags_NoDecoration | ImGuiWindowFlags_NoMove |
                                 ImGuiWindowFlags_NoSavedSettings |
                                 ImGuiWindowFlags_NoScrollWithMouse;
  bool changed = false;
  if (ImGui::Begin("##view_options", nullptr, flags))
    changed = draw_view_options_bar(state, view, context);
  ImGui::End();
  return changed;
}

void draw_inspector_needs_raw_tokens(ViewOptionsState& state, ViewState& view) {
  if (ImGui::Begin("Inspector", nullptr, ImGuiWindowFlags_NoMove | ImGuiWindowFlags_NoResize)) {
    ImGui::TextWrapped(
        "The inspector shows the arithmetic of one score (q \xC2\xB7 k, softmax) on the model's "
        "own tokens. The view now shows %s, which the model never computed as such.",
        state.derived.description.c_str());
    if (ImGui::Button("Show the raw tokens")) {
      view.merge_subwords = false;
      view.hide_first_token = false;
      state.hide_special = false;
    }
  }
  ImGui::End();
}

bool draw_view_options_menu(ViewOptionsState& state, ViewState& view) {
  bool changed = false;
  changed |= ImGui::MenuItem("Merge sub-words into words", "W", &view.merge_subwords);
  changed |= ImGui::MenuItem("Hide first token", nullptr, &view.hide_first_token);
  changed |= ImGui::MenuItem("Hide special tokens", nullptr, &state.hide_special);
  return changed;
}

}  // namespace attnviz::ui
