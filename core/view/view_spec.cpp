#include "core/view/view_spec.h"

#include <algorithm>
#include <cmath>

#include "core/json_fields.h"
#include "core/json_read.h"

namespace attnviz {

using nlohmann::json;

namespace {

const char* layout_key(ArcsLayout layout) {
  return layout == ArcsLayout::kTwoColumns ? "columns" : "line";
}

const char* theme_key(Theme theme) {
  return theme == Theme::kLight ? "light" : "dark";
}

const char* diff_source_key(DiffSpec::Source source) {
  return source == DiffSpec::Source::kOtherModel ? "other-model" : "other-text";
}

}  // namespace

std::vector<int> ViewSpec::enabled_head_list(int heads) const {
  std::vector<int> list;
  for (int h = 0; h < heads; ++h)
    if (enabled_heads.empty() || head_enabled(h)) list.push_back(h);
  return list;
}

void ViewSpec::set_weights(Weights weights) {
  if (weights == Weights::kRollout) {
    head_mode = HeadMode::kRollout;
    value_weighted = false;
    return;
  }
  if (head_mode == HeadMode::kRollout) head_mode = HeadMode::kMultiHead;
  value_weighted = weights == Weights::kValue;
}

const char* weights_key(Weights weights) {
  switch (weights) {
    case Weights::kValue:
      return "value";
    case Weights::kRollout:
      return "rollout";
    case Weights::kRaw:
      break;
  }
  return "raw";
}

std::optional<Weights> weights_from_key(const std::string& key) {
  for (Weights weights : {Weights::kRaw, Weights::kValue, Weights::kRollout})
    if (key == weights_key(weights)) return weights;
  return std::nullopt;
}

std::string weights_legend(const ViewSpec& spec) {
  switch (spec.weights()) {
    case Weights::kValue:
      return kValueWeightedLegend;
    case Weights::kRollout:
      return spec.value_weighted
                 ? std::string("attention rollout of value-weighted \u2016\u03B1\u00B7vW_O\u2016")
                 : std::string("attention rollout");
    case Weights::kRaw:
      break;
  }
  return "raw attention \u03B1";
}

TraceViewOptions ViewSpec::token_view() const {
  TraceViewOptions options;
  options.value_weighted = value_weighted;
  options.merge_words = merge_words;
  options.hide_first = hide_first;
  options.hide_special = hide_special;
  return options;
}

void ViewSpec::clamp_to(int layers, int heads, int tokens) {
  layer = std::clamp(layer, 0, std::max(0, layers - 1));
  head = std::clamp(head, 0, std::max(0, heads - 1));
  if (static_cast<int>(enabled_heads.size()) != heads) enabled_heads.assign(heads, 1);
  if (pinned_token && (*pinned_token < 0 || *pinned_token >= tokens)) pinned_token.reset();
}

MaskKind mask_kind(bool causal, int window, int query, int key) {
  if (causal && key > query) return MaskKind::kCausal;
  ScoreRule rule;
  rule.causal = causal;
  rule.window = window;
  return rule.visible(query, key) ? MaskKind::kNone : MaskKind::kOutsideWindow;
}

const char* mask_label(MaskKind kind) {
  switch (kind) {
    case MaskKind::kCausal:
      return "masked (causal)";
    case MaskKind::kOutsideWindow:
      return "outside the window";
    case MaskKind::kNone:
      break;
  }
  return "";
}

const char* view_kind_key(ViewKind kind) {
  switch (kind) {
    case ViewKind::kHeatmap:
      return "heatmap";
    case ViewKind::kGrid:
      return "grid";
    case ViewKind::kArcs:
      break;
  }
  return "arcs";
}

std::optional<ViewKind> view_kind_from_key(const std::string& key) {
  for (ViewKind kind : {ViewKind::kArcs, ViewKind::kHeatmap, ViewKind::kGrid})
    if (key == view_kind_key(kind)) return kind;
  return std::nullopt;
}

json view_spec_json(const ViewSpec& spec) {
  json enabled = json::array();
  for (size_t h = 0; h < spec.enabled_heads.size(); ++h)
    if (spec.enabled_heads[h]) enabled.push_back(h);
  return {
      {"kind", view_kind_key(spec.kind)},
      {"layer", spec.layer},
      {"head", spec.head},
      {"head_mode", head_mode_info(spec.head_mode).key},
      {"heads", spec.enabled_heads.size()},
      {"enabled_heads", enabled},
      {"pinned_token", spec.pinned_token ? json(*spec.pinned_token) : json(nullptr)},
      {"weights", weights_key(spec.weights())},
      {"value_weighted", spec.value_weighted},
      {"arcs_layout", layout_key(spec.arcs_layout)},
      {"arc_min_weight", spec.arc_min_weight},
      {"arc_top_k", spec.arc_top_k},
      {"merge_words", spec.merge_words},
      {"hide_first", spec.hide_first},
      {"hide_special", spec.hide_special},
      {"heatmap_to_max", spec.heatmap_to_max},
      {"heatmap_sqrt", spec.heatmap_sqrt},
      {"heatmap_labels", spec.heatmap_labels},
      {"heatmap_zoom", spec.heatmap_zoom},
      {"heatmap_pan", {spec.heatmap_pan_x, spec.heatmap_pan_y}},
      {"grid_per_head_contrast", spec.grid_per_head_contrast},
      {"grid_tile", spec.grid_tile},
      {"theme", theme_key(spec.theme)},
      {"picture", {spec.picture_width, spec.picture_height}},
      {"diff",
       {{"open", spec.diff.open},
        {"source", diff_source_key(spec.diff.source)},
        {"text_b", spec.diff.text_b},
        {"model_b", spec.diff.model_b}}},
  };
}

Result<ViewSpec> view_spec_from_json(const json& object, const std::string& source) {
  if (!object.is_object()) return make_error(source + ": a view spec is a JSON object");
  ViewSpec spec;
  FieldReader field(object, source);
  field.read_key("kind", spec.kind, view_kind_from_key, "arcs, heatmap or grid");
  field.read("layer", spec.layer);
  field.read("head", spec.head);
  field.read_key("head_mode", spec.head_mode, head_mode_from_key, head_mode_key_list());
  int heads = 0;
  field.read("heads", heads);
  heads = std::clamp(heads, 0, 4096);
  if (const json* enabled = field.list("enabled_heads")) {
    spec.enabled_heads.assign(heads, 0);
    for (const json& h : *enabled) {
      if (!h.is_number_integer() || h.get<long long>() < 0 || h.get<long long>() >= heads)
        return make_error(source + ": \"enabled_heads\" lists " + json_excerpt(h, 20) +
                          ", not a head of 0.." + std::to_string(heads - 1));
      spec.enabled_heads[h.get<size_t>()] = 1;
    }
  }
  field.read("value_weighted", spec.value_weighted);
  std::optional<Weights> weights;
  field.read_key(
      "weights", weights,
      [](const std::string& key) -> std::optional<std::optional<Weights>> {
        if (auto w = weights_from_key(key)) return std::optional<Weights>(*w);
        return std::nullopt;
      },
      "raw, value or rollout");
  // "weights" wins over the head mode it implies: rollout sets it, raw/value leave rollout.
  if (weights && *weights != spec.weights()) {
    const bool value = spec.value_weighted;
    spec.set_weights(*weights);
    if (*weights == Weights::kRollout) spec.value_weighted = value;
  }
  int pinned = -1;
  field.read("pinned_token", pinned);
  if (pinned >= 0) spec.pinned_token = pinned;
  field.read_key(
      "arcs_layout", spec.arcs_layout,
      [](const std::string& key) -> std::optional<ArcsLayout> {
        if (key == "line") return ArcsLayout::kLine;
        if (key == "columns") return ArcsLayout::kTwoColumns;
        return std::nullopt;
      },
      "line or columns");
  field.read("arc_min_weight", spec.arc_min_weight);
  field.read("arc_top_k", spec.arc_top_k);
  field.read("merge_words", spec.merge_words);
  field.read("hide_first", spec.hide_first);
  field.read("hide_special", spec.hide_special);
  field.read("heatmap_to_max", spec.heatmap_to_max);
  field.read("heatmap_sqrt", spec.heatmap_sqrt);
  field.read("heatmap_labels", spec.heatmap_labels);
  field.read("heatmap_zoom", spec.heatmap_zoom);
  field.read("grid_per_head_contrast", spec.grid_per_head_contrast);
  field.read("grid_tile", spec.grid_tile);
  field.read_key(
      "theme", spec.theme,
      [](const std::string& key) -> std::optional<Theme> {
        if (key == "dark") return Theme::kDark;
        if (key == "light") return Theme::kLight;
        return std::nullopt;
      },
      "dark or light");
  for (const char* pair : {"heatmap_pan", "picture"}) {
    const json* values = field.list(pair);
    if (!values) continue;
    if (values->size() != 2 || !(*values)[0].is_number() || !(*values)[1].is_number())
      return make_error(source + ": \"" + pair + "\" should be two numbers");
    float& x = pair[0] == 'h' ? spec.heatmap_pan_x : spec.picture_width;
    float& y = pair[0] == 'h' ? spec.heatmap_pan_y : spec.picture_height;
    x = (*values)[0].get<float>();
    y = (*values)[1].get<float>();
  }
  if (auto diff = object.find("diff"); diff != object.end() && diff->is_object()) {
    FieldReader diff_field(*diff, source + " (diff)");
    diff_field.read("open", spec.diff.open);
    diff_field.read("text_b", spec.diff.text_b);
    diff_field.read("model_b", spec.diff.model_b);
    diff_field.read_key(
        "source", spec.diff.source,
        [](const std::string& key) -> std::optional<DiffSpec::Source> {
          if (key == "other-text") return DiffSpec::Source::kOtherText;
          if (key == "other-model") return DiffSpec::Source::kOtherModel;
          return std::nullopt;
        },
        "other-text or other-model");
    if (!diff_field.error().empty()) return make_error(diff_field.error());
  }
  if (!field.error().empty()) return make_error(field.error());

  spec.layer = std::max(0, spec.layer);
  spec.head = std::max(0, spec.head);
  spec.arc_min_weight = std::clamp(spec.arc_min_weight, 0.0f, 1.0f);
  spec.arc_top_k = std::clamp(spec.arc_top_k, 1, 4096);
  spec.heatmap_zoom = std::clamp(spec.heatmap_zoom, 1.0f, 4096.0f);
  spec.grid_tile = std::clamp(spec.grid_tile, 16.0f, 512.0f);
  spec.picture_width = std::clamp(spec.picture_width, 0.0f, 16384.0f);
  spec.picture_height = std::clamp(spec.picture_height, 0.0f, 16384.0f);
  if (!std::isfinite(spec.heatmap_pan_x) || !std::isfinite(spec.heatmap_pan_y))
    spec.heatmap_pan_x = spec.heatmap_pan_y = 0.0f;
  return spec;
}

}  // namespace attnviz
