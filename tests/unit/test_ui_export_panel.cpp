// The export of a view, headless: it needs what the screen needs (a pinned token for arcs, an
// enabled head for the modes that draw them), it draws what the view selects (the enabled
// heads only, their mean or max), file names say what the view is and never overwrite, and an
// unwritable folder is an error message (not a crash, no file).
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "core/export/exporter.h"
#include "core/view/view_weights.h"
#include "ui/panel_export.h"

namespace attnviz::ui {
namespace {

namespace fs = std::filesystem;

AttentionTrace small_trace() {
  std::vector<Token> tokens = {
      {1, "The", 0, 3, false}, {2, " cat", 3, 7, false}, {3, " sat", 7, 11, false}};
  AttentionTrace trace(tokens, 2, 3, /*causal=*/true);
  for (int l = 0; l < 2; ++l)
    for (int h = 0; h < 3; ++h)
      for (int q = 0; q < 3; ++q) {
        auto row = trace.mutable_row(l, h, q);
        for (float& w : row) w = 1.0f / row.size();
      }
  trace.model_name = "test";
  return trace;
}

const Font& font() {
  static const Font kFont = *Font::load_default();
  return kFont;
}

TEST(ExportPanel, FigureFollowsTheView) {
  const AttentionTrace trace = small_trace();
  ViewSpec view;
  view.kind = ViewKind::kArcs;
  view.layer = 1;
  view.head = 2;
  view.enabled_heads.assign(3, 1);
  view.head_mode = HeadMode::kMultiHead;
  Status arcs = validate_view(trace, view);
  ASSERT_FALSE(arcs.ok()) << "arcs need a pinned token";
  EXPECT_NE(arcs.error().message.find("pin a token"), std::string::npos) << arcs.error().message;
  view.pinned_token = 2;
  ASSERT_TRUE(validate_view(trace, view).ok());
  FigureSpec spec;
  spec.scale = 2;
  Rect picture;
  auto figure = build_figure(trace, view, {}, spec, font(), &picture);
  ASSERT_TRUE(figure.ok()) << figure.error().message;
  EXPECT_EQ(series_heads(view, 3), (std::vector<int>{0, 1, 2})) << "multi-head: every enabled head";
  EXPECT_NE(figure_title(trace, view, spec).find("from token 2"), std::string::npos);
  EXPECT_NE(figure_title(trace, view, spec).find("layer 1"), std::string::npos);
  view.head_mode = HeadMode::kSingleHead;
  EXPECT_EQ(series_heads(view, 3), (std::vector<int>{2}));
  view.kind = ViewKind::kHeatmap;
  EXPECT_NE(figure_title(trace, view, spec).find("head 2"), std::string::npos);
  view.kind = ViewKind::kGrid;
  EXPECT_TRUE(build_figure(trace, view, {}, spec, font()).ok());
  spec.scale = 3;
  EXPECT_FALSE(build_figure(trace, view, {}, spec, font()).ok()) << "scale 3";
}

TEST(ExportPanel, FigureDrawsOnlyWhatIsOnScreen) {
  AttentionTrace trace = small_trace();
  // Distinct heads of layer 1, so the mean and max differ from any one head.
  for (int h = 0; h < 3; ++h) {
    auto row = trace.mutable_row(1, h, 2);
    std::fill(row.begin(), row.end(), 0.0f);
    row[h] = 1.0f;
  }
  ViewSpec view;
  view.kind = ViewKind::kArcs;
  view.layer = 1;
  view.pinned_token = 2;
  view.enabled_heads = {1, 0, 1};
  view.head_mode = HeadMode::kMultiHead;
  EXPECT_EQ(series_heads(view, 3), (std::vector<int>{0, 2})) << "head 1 is disabled on screen";
  FigureSpec spec;
  spec.view_note = "words";
  EXPECT_NE(figure_title(trace, view, spec).find("words"), std::string::npos);

  view.head_mode = HeadMode::kMeanOfHeads;
  std::vector<float> row(3);
  query_weights(trace, view, {}, 2, -1, row);
  const float expected[3] = {0.5f, 0.0f, 0.5f};  // mean of heads 0 and 2 only
  for (int k = 0; k < 3; ++k) EXPECT_FLOAT_EQ(row[k], expected[k]) << "key " << k;
  EXPECT_NE(figure_title(trace, view, {}).find("mean"), std::string::npos);

  view.head_mode = HeadMode::kMaxOfHeads;
  view.kind = ViewKind::kHeatmap;
  std::vector<float> map;
  view_map(trace, view, {}, map);
  EXPECT_FLOAT_EQ(map[2 * 3 + 1], 0.0f) << "disabled head 1 leaked into the max";

  view.enabled_heads = {0, 0, 0};
  view.head_mode = HeadMode::kMultiHead;
  view.kind = ViewKind::kArcs;
  EXPECT_FALSE(validate_view(trace, view).ok()) << "no head enabled";
}

TEST(ExportPanel, NamesNeverOverwriteAndUnwritableFoldersAreErrors) {
  const fs::path folder =
      fs::temp_directory_path() / ("attnviz_export_" + std::to_string(::getpid()));
  fs::remove_all(folder);
  fs::create_directories(folder);
  const AttentionTrace trace = small_trace();
  ExportUiState state;
  state.folder = folder.string();
  state.file_stem = "fig";
  state.scale = 2;
  ViewSpec view;
  view.kind = ViewKind::kHeatmap;
  view.head_mode = HeadMode::kSingleHead;
  view.layer = 1;
  view.head = 0;
  const fs::path first = export_path_for(state, view, 3, ExportFormat::kPng);
  EXPECT_EQ(first.filename(), "fig-heatmap-L1-H0@2x.png");
  std::ofstream(first) << "the person's own file";
  const fs::path second = export_path_for(state, view, 3, ExportFormat::kPng);
  EXPECT_EQ(second.filename(), "fig-heatmap-L1-H0@2x-2.png");
  EXPECT_EQ(export_path_for(state, view, 3, ExportFormat::kNpy).filename(), "fig.npy");
  // The name says which heads are drawn (issue 11: "all-heads" when 2 of 4 were on).
  view.kind = ViewKind::kArcs;
  view.head_mode = HeadMode::kMultiHead;
  view.pinned_token = 2;
  view.enabled_heads = {0, 1, 1};
  state.scale = 1;
  EXPECT_EQ(export_path_for(state, view, 3, ExportFormat::kPng).filename(),
            "fig-arcs-L1-heads-1-2-t2.png");
  view.enabled_heads = {1, 1, 1};
  EXPECT_EQ(export_path_for(state, view, 3, ExportFormat::kSvg).filename(),
            "fig-arcs-L1-all-heads-t2.svg");
  view.head_mode = HeadMode::kRollout;
  EXPECT_EQ(export_path_for(state, view, 3, ExportFormat::kPng).filename(),
            "fig-arcs-rollout-t2.png");

  ASSERT_TRUE(export_data(trace, ExportFormat::kNpy, folder / "data.npy").ok());
  EXPECT_GT(fs::file_size(folder / "data.npy"), 0u);
  state.folder = (folder / "missing" / "deeper").string();
  const fs::path unwritable = export_path_for(state, view, 3, ExportFormat::kJson);
  const Status status = export_data(trace, ExportFormat::kJson, unwritable);
  EXPECT_FALSE(status.ok());
  EXPECT_FALSE(fs::exists(unwritable));
  fs::remove_all(folder);
}

}  // namespace
}  // namespace attnviz::ui
