// When the derived view changes meaning (words merged or split, tokens hidden or shown), the
// pin follows the raw token it pointed at; the absorbed-share readout names what was hidden.
// (The derived traces themselves are the engine's: test_engine.cpp, test_view_trace.cpp.)
//
// Legend: L layers, H heads, T tokens.
#include <gtest/gtest.h>

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

TEST(ViewOptions, ThePinFollowsItsTokenWhenTheViewChanges) {
  auto raw = pairs_trace(10, 1, 2);
  ViewSpec view;
  Pointer pointer;
  view.pinned_token = 7;  // raw token 7 is in word 3 (tokens 6, 7)
  DerivedTrace before = derive_trace(raw, view.token_view());
  view.merge_words = true;
  DerivedTrace after = derive_trace(raw, view.token_view());
  ASSERT_EQ(after.trace->tokens_count(), 5);
  follow_raw_tokens(before, after, view, pointer);
  EXPECT_EQ(view.pinned_token, 3);
  view.hide_first = true;  // raw token 0 hidden: words {1}, {2,3}, ... -> word 3 = {6, 7}
  before = std::move(after);
  after = derive_trace(raw, view.token_view());
  ASSERT_EQ(after.trace->tokens_count(), 5);
  EXPECT_EQ(after.trace->tokens()[0].text, "b");
  follow_raw_tokens(before, after, view, pointer);
  EXPECT_EQ(view.pinned_token, 3);
  EXPECT_EQ(after.source_first[3], 6);
  view.merge_words = false;
  view.hide_first = false;
  before = std::move(after);
  after = derive_trace(raw, view.token_view());
  EXPECT_EQ(after.trace, raw);
  follow_raw_tokens(before, after, view, pointer);
  EXPECT_EQ(view.pinned_token, 6);  // the word's first token
}

TEST(ViewOptions, TheAbsorbedShareNamesWhatWasHidden) {
  auto raw = pairs_trace(10, 2, 2);
  ViewSpec view;
  view.hide_first = true;
  view.head_mode = HeadMode::kSingleHead;
  const DerivedTrace derived = derive_trace(raw, view.token_view());
  const std::string summary = absorbed_summary(derived, view);
  EXPECT_NE(summary.find("token 0 absorbed"), std::string::npos) << summary;
  EXPECT_NE(summary.find("layer 0 head 0"), std::string::npos) << summary;
  view.hide_first = false;
  EXPECT_EQ(absorbed_summary(derive_trace(raw, view.token_view()), view), "");
}

}  // namespace
}  // namespace attnviz::ui
