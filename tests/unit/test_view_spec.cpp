// The one view description, headless: the head-mode table (every mode once, keys and labels
// unique, M cycles through all), the ViewSpec as JSON (round trip, defaults for what is
// missing, errors that name the field), and the colour registry (one head palette, the
// diverging map's ends).
#include <gtest/gtest.h>

#include <set>

#include "core/view/colors.h"
#include "core/view/head_modes.h"
#include "core/view/view_spec.h"

namespace attnviz {
namespace {

TEST(HeadModes, OneRowPerModeWithUniqueNames) {
  std::set<std::string> keys, labels;
  std::set<HeadMode> modes;
  for (const HeadModeInfo& mode : head_modes()) {
    EXPECT_TRUE(keys.insert(mode.key).second) << mode.key;
    EXPECT_TRUE(labels.insert(mode.label).second) << mode.label;
    EXPECT_TRUE(modes.insert(mode.mode).second);
    EXPECT_EQ(head_mode_from_key(mode.key), mode.mode);
    EXPECT_EQ(&head_mode_info(mode.mode), &mode);
  }
  EXPECT_EQ(modes.size(), 6u);
  EXPECT_FALSE(head_mode_from_key("layer-mean")) << "one spelling per mode";
  EXPECT_EQ(head_mode_key_list(), "single, multi, mean, max, all-layers or rollout");
  EXPECT_EQ(head_mode_info(HeadMode::kRollout).aggregate, AggregateMode::kRollout);
  EXPECT_TRUE(head_mode_info(HeadMode::kRollout).whole_model);
  HeadMode mode = HeadMode::kSingleHead;
  for (size_t i = 0; i < head_modes().size(); ++i) mode = next_head_mode(mode);
  EXPECT_EQ(mode, HeadMode::kSingleHead) << "M comes back after every mode";
}

TEST(ViewSpecJson, RoundTripsEveryField) {
  ViewSpec spec;
  spec.kind = ViewKind::kHeatmap;
  spec.layer = 2;
  spec.head = 1;
  spec.head_mode = HeadMode::kMaxOfHeads;
  spec.enabled_heads = {0, 1, 1, 0};
  spec.pinned_token = 17;
  spec.arcs_layout = ArcsLayout::kTwoColumns;
  spec.arc_min_weight = 0.2f;
  spec.arc_top_k = 3;
  spec.merge_words = spec.hide_special = true;
  spec.heatmap_sqrt = true;
  spec.heatmap_to_max = false;
  spec.heatmap_zoom = 2.5f;
  spec.heatmap_pan_x = 3.0f;
  spec.heatmap_pan_y = 4.0f;
  spec.grid_per_head_contrast = false;
  spec.theme = Theme::kLight;
  spec.picture_width = 800;
  spec.picture_height = 600;
  spec.diff.open = true;
  spec.diff.source = DiffSpec::Source::kOtherModel;
  spec.diff.model_b = "/models/bert";
  const nlohmann::json json = view_spec_json(spec);
  EXPECT_EQ(json["head_mode"], "max");
  EXPECT_EQ(json["enabled_heads"], nlohmann::json({1, 2}));
  auto back = view_spec_from_json(json, "view.json");
  ASSERT_TRUE(back.ok()) << back.error().message;
  EXPECT_EQ(view_spec_json(*back), json);
  EXPECT_EQ(back->enabled_heads, spec.enabled_heads);
  EXPECT_EQ(back->pinned_token, 17);
}

TEST(ViewSpecJson, MissingFieldsKeepDefaultsAndBadOnesAreNamed) {
  auto empty = view_spec_from_json(nlohmann::json::object(), "view.json");
  ASSERT_TRUE(empty.ok());
  EXPECT_EQ(view_spec_json(*empty), view_spec_json(ViewSpec{}));
  auto clamped = view_spec_from_json({{"arc_min_weight", 7.0}, {"arc_top_k", -3}}, "v.json");
  ASSERT_TRUE(clamped.ok());
  EXPECT_EQ(clamped->arc_min_weight, 1.0f);
  EXPECT_EQ(clamped->arc_top_k, 1);
  for (const auto& [bad, field] : std::vector<std::pair<nlohmann::json, std::string>>{
           {{{"head_mode", "layer-mean"}}, "head_mode"},
           {{{"layer", "two"}}, "layer"},
           {{{"theme", "blue"}}, "theme"},
           {{{"heads", 2}, {"enabled_heads", {0, 5}}}, "enabled_heads"},
           {{{"picture", {1}}}, "picture"},
           {{{"diff", {{"source", "other"}}}}, "source"}}) {
    auto parsed = view_spec_from_json(bad, "my_view.json");
    ASSERT_FALSE(parsed.ok()) << bad.dump();
    EXPECT_NE(parsed.error().message.find("my_view.json"), std::string::npos)
        << parsed.error().message;
    EXPECT_NE(parsed.error().message.find(field), std::string::npos) << parsed.error().message;
  }
  EXPECT_FALSE(view_spec_from_json(nlohmann::json::array(), "v.json").ok());
}

TEST(ViewSpec, ClampKeepsIndicesInTheTrace) {
  ViewSpec spec;
  spec.layer = 9;
  spec.head = 9;
  spec.pinned_token = 40;
  spec.clamp_to(4, 3, 10);
  EXPECT_EQ(spec.layer, 3);
  EXPECT_EQ(spec.head, 2);
  EXPECT_EQ(spec.enabled_heads, (std::vector<char>{1, 1, 1}));
  EXPECT_FALSE(spec.pinned_token);
  spec.enabled_heads = {0, 1, 0};
  EXPECT_EQ(spec.enabled_head_list(3), (std::vector<int>{1}));
}

TEST(Colors, OnePaletteAndADivergingMapForDifferences) {
  // Heads: distinct colours; the light theme's are darker, for a white background.
  std::set<uint32_t> seen;
  for (int h = 0; h < 12; ++h) {
    const Rgba dark = head_color(h, 12, Theme::kDark), light = head_color(h, 12, Theme::kLight);
    seen.insert(dark.r << 16 | dark.g << 8 | dark.b);
    EXPECT_LT(luminance(light), luminance(dark)) << h;
  }
  EXPECT_EQ(seen.size(), 12u);
  EXPECT_NE(head_color(3, 40, Theme::kDark), head_color(4, 40, Theme::kDark));
  EXPECT_EQ(diverging(0.0f), (Rgba{247, 247, 247, 255}));
  EXPECT_GT(diverging(1.0f).r, diverging(1.0f).b) << "more attention: red";
  EXPECT_GT(diverging(-1.0f).b, diverging(-1.0f).r) << "less: blue";
  EXPECT_EQ(diverging(5.0f), diverging(1.0f));
  EXPECT_EQ(mix(Rgba{0, 0, 0, 255}, Rgba{255, 255, 255, 255}, 0.5f), (Rgba{128, 128, 128, 255}));
  EXPECT_NE(theme_colors(Theme::kDark).background, theme_colors(Theme::kLight).background);
}

}  // namespace
}  // namespace attnviz
