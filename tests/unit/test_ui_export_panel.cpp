// The export panel's decisions, headless: which figure shows what is on screen, file names that
// never overwrite, and an unwritable folder is an error message (not a crash, no file).
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <unistd.h>

#include "core/export/exporter.h"
#include "ui/panel_export.h"

namespace attnviz::ui {
namespace {

namespace fs = std::filesystem;

AttentionTrace small_trace() {
  std::vector<Token> tokens = {{1, "The", 0, 3, false}, {2, " cat", 3, 7, false}, {3, " sat", 7, 11, false}};
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

TEST(ExportPanel, FigureFollowsTheView) {
  const AttentionTrace trace = small_trace();
  ViewState view;
  view.layer = 1;
  view.head = 2;
  view.enabled_heads.assign(3, 1);
  view.head_mode = HeadMode::kMultiHead;
  auto arcs = figure_spec_for_view(trace, view, ExportView::kArcs, 2);
  ASSERT_FALSE(arcs.ok()) << "arcs need a pinned token";
  EXPECT_NE(arcs.error().message.find("pin a token"), std::string::npos) << arcs.error().message;
  view.pinned_token = 2;
  arcs = figure_spec_for_view(trace, view, ExportView::kArcs, 2);
  ASSERT_TRUE(arcs.ok()) << arcs.error().message;
  EXPECT_EQ(arcs->kind, FigureKind::kArcsAllHeads);
  EXPECT_EQ(arcs->token, 2);
  EXPECT_EQ(arcs->layer, 1);
  EXPECT_EQ(arcs->scale, 2);
  view.head_mode = HeadMode::kSingleHead;
  EXPECT_EQ(figure_spec_for_view(trace, view, ExportView::kArcs, 1)->kind, FigureKind::kArcs);
  auto heatmap = figure_spec_for_view(trace, view, ExportView::kHeatmap, 4);
  ASSERT_TRUE(heatmap.ok());
  EXPECT_EQ(heatmap->kind, FigureKind::kHeatmap);
  EXPECT_EQ(heatmap->head, 2);
  EXPECT_EQ(figure_spec_for_view(trace, view, ExportView::kModelGrid, 1)->kind, FigureKind::kGrid);
  EXPECT_FALSE(figure_spec_for_view(trace, view, ExportView::kHeatmap, 3).ok()) << "scale 3";
}

TEST(ExportPanel, FigureDrawsOnlyWhatIsOnScreen) {
  AttentionTrace trace = small_trace();
  // Distinct heads of layer 1, so the mean and max differ from any one head.
  for (int h = 0; h < 3; ++h) {
    auto row = trace.mutable_row(1, h, 2);
    std::fill(row.begin(), row.end(), 0.0f);
    row[h] = 1.0f;
  }
  ViewState view;
  view.layer = 1;
  view.pinned_token = 2;
  view.enabled_heads = {1, 0, 1};
  view.head_mode = HeadMode::kMultiHead;
  auto multi = figure_for_view(trace, view, ExportView::kArcs, 1, "words");
  ASSERT_TRUE(multi.ok()) << multi.error().message;
  EXPECT_EQ(multi->aggregate, nullptr);
  EXPECT_EQ(multi->spec.kind, FigureKind::kArcsAllHeads);
  EXPECT_EQ(multi->spec.heads, (std::vector<int>{0, 2})) << "head 1 is disabled on screen";
  EXPECT_EQ(multi->spec.view_note, "words");

  view.head_mode = HeadMode::kMeanOfHeads;
  auto mean = figure_for_view(trace, view, ExportView::kArcs, 1);
  ASSERT_TRUE(mean.ok()) << mean.error().message;
  ASSERT_NE(mean->aggregate, nullptr);
  EXPECT_EQ(mean->spec.kind, FigureKind::kArcs);
  ASSERT_EQ(mean->aggregate->layers(), 1);
  ASSERT_EQ(mean->aggregate->heads(), 1);
  const float expected[3] = {0.5f, 0.0f, 0.5f};  // mean of heads 0 and 2 only
  for (int k = 0; k < 3; ++k)
    EXPECT_FLOAT_EQ(mean->aggregate->weight(0, 0, 2, k), expected[k]) << "key " << k;
  EXPECT_NE(mean->spec.source_label.find("mean"), std::string::npos) << mean->spec.source_label;

  view.head_mode = HeadMode::kMaxOfHeads;
  auto max = figure_for_view(trace, view, ExportView::kHeatmap, 1);
  ASSERT_TRUE(max.ok()) << max.error().message;
  ASSERT_NE(max->aggregate, nullptr);
  EXPECT_EQ(max->spec.kind, FigureKind::kHeatmap);
  EXPECT_FLOAT_EQ(max->aggregate->weight(0, 0, 2, 1), 0.0f) << "disabled head 1 leaked into the max";

  view.enabled_heads = {0, 0, 0};
  view.head_mode = HeadMode::kMultiHead;
  EXPECT_FALSE(figure_for_view(trace, view, ExportView::kArcs, 1).ok()) << "no head enabled";
}

TEST(ExportPanel, NamesNeverOverwriteAndUnwritableFoldersAreErrors) {
  const fs::path folder = fs::temp_directory_path() / ("attnviz_export_" + std::to_string(::getpid()));
  fs::remove_all(folder);
  fs::create_directories(folder);
  const AttentionTrace trace = small_trace();
  ExportUiState state;
  state.folder = folder.string();
  state.file_stem = "fig";
  FigureSpec spec;
  spec.kind = FigureKind::kHeatmap;
  spec.layer = 1;
  spec.head = 0;
  spec.scale = 2;
  const fs::path first = export_path_for(state, spec, ExportFormat::kPng);
  EXPECT_EQ(first.filename(), "fig-heatmap-L1-H0@2x.png");
  std::ofstream(first) << "the person's own file";
  const fs::path second = export_path_for(state, spec, ExportFormat::kPng);
  EXPECT_EQ(second.filename(), "fig-heatmap-L1-H0@2x-2.png");
  EXPECT_EQ(export_path_for(state, spec, ExportFormat::kNpy).filename(), "fig.npy");

  ASSERT_TRUE(export_trace(trace, ExportFormat::kNpy, spec, folder / "data.npy").ok());
  EXPECT_GT(fs::file_size(folder / "data.npy"), 0u);
  state.folder = (folder / "missing" / "deeper").string();
  const fs::path unwritable = export_path_for(state, spec, ExportFormat::kJson);
  const Status status = export_trace(trace, ExportFormat::kJson, spec, unwritable);
  EXPECT_FALSE(status.ok());
  EXPECT_FALSE(fs::exists(unwritable));
  fs::remove_all(folder);
}

}  // namespace
}  // namespace attnviz::ui
