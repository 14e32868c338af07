// The Selection reducer (pin, hover, arrows, Esc) and the head-bar actions, headless.
#include <gtest/gtest.h>

#include "core/attention_trace.h"
#include <algorithm>

#include "ui/panel_heads.h"
#include "ui/selection.h"
#include "core/view/view_weights.h"

namespace attnviz::ui {
namespace {

using K = SelectionEventKind;

Selection run(std::initializer_list<SelectionEvent> events, int tokens, Selection start = {}) {
  for (const SelectionEvent& e : events) start = reduce_selection(start, e, tokens);
  return start;
}

TEST(Selection, ClickPinsAndClickAgainUnpins) {
  Selection s = run({{K::kClick, 3}}, 8);
  EXPECT_EQ(s.pinned, 3);
  EXPECT_FALSE(s.hovered);
  s = run({{K::kClick, 3}}, 8, s);
  EXPECT_FALSE(s.pinned);
  s = run({{K::kClick, 2}, {K::kClick, 5}}, 8);
  EXPECT_EQ(s.pinned, 5) << "clicking another token moves the pin";
}

TEST(Selection, HoverPreviewsWithoutPinning) {
  Selection s = run({{K::kHover, 4}}, 8);
  EXPECT_EQ(s.hovered, 4);
  EXPECT_FALSE(s.pinned);
  s = run({{K::kHoverEnd}}, 8, s);
  EXPECT_FALSE(s.hovered);
  s = run({{K::kClick, 1}, {K::kHover, 6}}, 8);
  EXPECT_EQ(s.pinned, 1) << "hover never moves the pin";
}

TEST(Selection, ArrowsMoveThePinAndStopAtTheEnds) {
  EXPECT_EQ(run({{K::kNext}}, 8).pinned, 0) << "Right with nothing pinned pins the first token";
  EXPECT_EQ(run({{K::kPrevious}}, 8).pinned, 7) << "Left with nothing pinned pins the last token";
  EXPECT_EQ(run({{K::kClick, 3}, {K::kNext}, {K::kNext}}, 8).pinned, 5);
  EXPECT_EQ(run({{K::kClick, 3}, {K::kPrevious}}, 8).pinned, 2);
  EXPECT_EQ(run({{K::kClick, 7}, {K::kNext}}, 8).pinned, 7);
  EXPECT_EQ(run({{K::kClick, 0}, {K::kPrevious}}, 8).pinned, 0);
  EXPECT_FALSE(run({{K::kNext}}, 0).pinned) << "no tokens, nothing to pin";
}

TEST(Selection, EscClearsEverything) {
  const Selection s = run({{K::kClick, 2}, {K::kHover, 3}, {K::kClear}}, 8);
  EXPECT_EQ(s, Selection{});
}

TEST(Selection, OutOfRangeEventsAreIgnoredAndResetDropsStaleTokens) {
  EXPECT_FALSE(run({{K::kClick, 8}}, 8).pinned);
  EXPECT_FALSE(run({{K::kHover, -1}}, 8).hovered);
  Selection s = run({{K::kClick, 6}, {K::kHover, 2}}, 8);
  s = reduce_selection(s, {K::kReset}, 4);  // the text got shorter
  EXPECT_FALSE(s.pinned);
  EXPECT_EQ(s.hovered, 2);
}

TEST(Selection, ViewSpecBridge) {
  ViewSpec view;
  Pointer pointer;
  apply_selection(view, pointer, {K::kClick, 2}, 5);
  EXPECT_EQ(view.pinned_token, 2);
  EXPECT_EQ(active_query(view, pointer), 2);
  apply_selection(view, pointer, {K::kHover, 4}, 5);
  EXPECT_EQ(active_query(view, pointer), 4) << "a hover previews over the pin";
}

TEST(HeadBar, ToggleSoloAndSingleHeadSelection) {
  ViewSpec view;
  view.head_mode = HeadMode::kMultiHead;
  view.enabled_heads.assign(4, 1);
  click_head(view, 2, 4);
  EXPECT_EQ(view.enabled_heads, (std::vector<char>{1, 1, 0, 1}));
  solo_head(view, 1, 4);
  EXPECT_EQ(view.enabled_heads, (std::vector<char>{0, 1, 0, 0}));
  EXPECT_EQ(view.head, 1);
  EXPECT_EQ(series_heads(view, 4), (std::vector<int>{1}));
  view.head_mode = HeadMode::kSingleHead;
  click_head(view, 3, 4);
  EXPECT_EQ(view.head, 3);
  EXPECT_EQ(view.enabled_heads, (std::vector<char>{0, 1, 0, 0})) << "single-head clicks only select";
  click_head(view, 9, 4);  // a digit key past the last head
  EXPECT_EQ(view.head, 3);
  step_layer(view, 3, +5);
  EXPECT_EQ(view.layer, 2);
  step_layer(view, 3, -1);
  EXPECT_EQ(view.layer, 1);
  cycle_head_mode(view);
  EXPECT_EQ(view.head_mode, HeadMode::kMultiHead);
  // M goes through every mode of the table, rollout included, and back.
  std::vector<HeadMode> seen;
  for (size_t i = 0; i < head_modes().size(); ++i) {
    seen.push_back(view.head_mode);
    cycle_head_mode(view);
  }
  EXPECT_EQ(view.head_mode, HeadMode::kMultiHead);
  EXPECT_NE(std::find(seen.begin(), seen.end(), HeadMode::kRollout), seen.end());
}

// A causal trace with known rows: head h, query q puts weight on keys 0..q as given.
AttentionTrace small_trace() {
  std::vector<Token> tokens(3);
  AttentionTrace trace(tokens, 1, 2, /*causal=*/true);
  const float head0[3][3] = {{1, 0, 0}, {0.25f, 0.75f, 0}, {0.5f, 0.25f, 0.25f}};
  const float head1[3][3] = {{1, 0, 0}, {0.5f, 0.5f, 0}, {0.1f, 0.1f, 0.8f}};
  for (int q = 0; q < 3; ++q)
    for (int k = 0; k <= q; ++k) {
      trace.mutable_row(0, 0, q)[k] = head0[q][k];
      trace.mutable_row(0, 1, q)[k] = head1[q][k];
    }
  return trace;
}

TEST(ViewWeights, ModesCombineHeadsAsLabelled) {
  const AttentionTrace trace = small_trace();
  ViewSpec view;
  view.enabled_heads.assign(2, 1);
  std::vector<float> row(3);
  view.head_mode = HeadMode::kSingleHead;
  query_weights(trace, view, {}, 2, 1, row);
  EXPECT_EQ(row, (std::vector<float>{0.1f, 0.1f, 0.8f}));
  view.head_mode = HeadMode::kMeanOfHeads;
  query_weights(trace, view, {}, 2, 0, row);
  EXPECT_FLOAT_EQ(row[0], 0.3f);
  EXPECT_FLOAT_EQ(row[2], 0.525f);
  view.head_mode = HeadMode::kMaxOfHeads;
  query_weights(trace, view, {}, 1, 0, row);
  EXPECT_EQ(row, (std::vector<float>{0.5f, 0.75f, 0.0f})) << "masked keys stay 0";
  view.enabled_heads = {0, 1};
  view.head_mode = HeadMode::kMeanOfHeads;
  query_weights(trace, view, {}, 1, 0, row);
  EXPECT_EQ(row, (std::vector<float>{0.5f, 0.5f, 0.0f})) << "disabled heads are left out";
  // The whole-model modes read their query's row of the map the engine computed.
  const std::vector<float> rollout = {1, 0, 0, 0.6f, 0.4f, 0, 0.2f, 0.3f, 0.5f};
  view.head_mode = HeadMode::kRollout;
  query_weights(trace, view, rollout, 2, 0, row);
  EXPECT_EQ(row, (std::vector<float>{0.2f, 0.3f, 0.5f}));
  query_weights(trace, view, {}, 2, 0, row);
  EXPECT_EQ(row, (std::vector<float>{0, 0, 0})) << "no map yet: nothing drawn, not a stand-in";
}

TEST(ViewWeights, ReceivedAttentionIsTheMeanOverReaders) {
  const AttentionTrace trace = small_trace();
  ViewSpec view;
  view.head_mode = HeadMode::kSingleHead;
  view.head = 0;
  view.enabled_heads.assign(2, 1);
  std::vector<float> received(3);
  received_attention(trace, view, received);
  // Key 0 is read by queries 0, 1, 2: (1 + 0.25 + 0.5) / 3; key 2 only by query 2.
  EXPECT_FLOAT_EQ(received[0], 1.75f / 3);
  EXPECT_FLOAT_EQ(received[1], 1.0f / 2);
  EXPECT_FLOAT_EQ(received[2], 0.25f);
}

TEST(PinnedRawToken, AMergedWordReadsFromItsLastPieceAndNoPinIsTheLastToken) {
  EXPECT_EQ(pinned_raw_token(std::nullopt, nullptr, 6), 5);
  EXPECT_EQ(pinned_raw_token(2, nullptr, 6), 2);
  EXPECT_EQ(pinned_raw_token(9, nullptr, 6), 5);
  DerivedTrace words;
  words.derived = true;
  words.raw_tokens = false;
  words.source_first = {0, 1, 4};  // "The" | "b"+"ank"+"s" | "."
  words.source_end = {1, 4, 5};
  EXPECT_EQ(pinned_raw_token(1, &words, 5), 3);
  EXPECT_EQ(pinned_raw_token(2, &words, 5), 4);
  EXPECT_EQ(pinned_raw_token(7, &words, 5), 4) << "a stale pin reads the last token";
  DerivedTrace weighted;  // value weights derive a trace but keep the raw tokens
  weighted.derived = true;
  EXPECT_EQ(pinned_raw_token(1, &weighted, 5), 1);
}

}  // namespace
}  // namespace attnviz::ui
