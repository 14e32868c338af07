// The view-options cache between the worker's raw trace and the panels: built at once for small
// traces, on a thread for large ones (the previous view stays on screen meanwhile), and the pin
// follows its raw token when an option is toggled.
//
// Legend: L layers, H heads, T tokens.
#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "ui/panel_view_options.h"

namespace attnviz::ui {
namespace {

// T tokens "A", "b", "A", "b", ...: every pair is one word (" A" starts a word, "b" continues).
// Uniform causal attention in every head.
std::shared_ptr<const AttentionTrace> pairs_trace(int tokens, int layers, int heads) {
  std::vector<Token> list;
  for (int i = 0; i < tokens; ++i) {
    const std::string text = i % 2 == 0 ? " A" : "b";
    const size_t start = list.empty() ? 0 : list.back().end;
    list.push_back({i, text, start, start + text.size(), false});
  }
  auto trace = std::make_shared<AttentionTrace>(std::move(list), layers, heads, true);
  for (int l = 0; l < layers; ++l)
    for (int h = 0; h < heads; ++h)
      for (int q = 0; q < tokens; ++q)
        for (float& w : trace->mutable_row(l, h, q)) w = 1.0f / (q + 1);
  return trace;
}

TEST(ViewOptions, SmallTraceIsDerivedAtOnceAndThePinFollowsItsToken) {
  auto raw = pairs_trace(10, 1, 2);
  ViewOptionsState state;
  ViewState view;
  view.pinned_token = 7;                                // raw token 7 is in word 3 (tokens 6, 7)
  EXPECT_EQ(update_view_trace(state, raw, view), raw);  // no option: the raw trace itself
  view.merge_subwords = true;
  auto shown = update_view_trace(state, raw, view);
  ASSERT_EQ(shown->tokens_count(), 5);
  EXPECT_EQ(view.pinned_token, 3);
  view.hide_first_token = true;  // raw token 0 hidden: words {1}, {2,3}, ... -> word 3 = {6, 7}
  shown = update_view_trace(state, raw, view);
  ASSERT_EQ(shown->tokens_count(), 5);
  EXPECT_EQ(shown->tokens()[0].text, "b");
  EXPECT_EQ(view.pinned_token, 3);
  EXPECT_EQ(state.derived.source_first[3], 6);
  view.merge_subwords = false;
  view.hide_first_token = false;
  EXPECT_EQ(update_view_trace(state, raw, view), raw);
  EXPECT_EQ(view.pinned_token, 6);  // the word's first token
}

TEST(ViewOptions, LargeTraceIsDerivedOnAThreadWhileTheRawTraceStaysOnScreen) {
  // 400 tokens x 8 layers x 8 heads = 10.2 M weights: above the background threshold.
  auto raw = pairs_trace(400, 8, 8);
  ViewOptionsState state;
  ViewState view;
  view.merge_subwords = true;
  view.pinned_token = 301;
  auto shown = update_view_trace(state, raw, view);
  EXPECT_EQ(shown->tokens_count(), 400);  // the raw tokens until the words are ready
  EXPECT_EQ(view.pinned_token, 301);
  for (int i = 0; i < 600 && shown->tokens_count() == 400; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    shown = update_view_trace(state, raw, view);
  }
  ASSERT_EQ(shown->tokens_count(), 200) << "the words never arrived";
  EXPECT_EQ(view.pinned_token, 150);  // raw 301 is in word 150 (tokens 300, 301)
  for (int q : {0, 99, 199}) {
    double sum = 0.0;
    for (float w : shown->row(7, 7, q)) sum += w;
    EXPECT_NEAR(sum, 1.0, 1e-4) << "query " << q;
  }
}

}  // namespace
}  // namespace attnviz::ui
