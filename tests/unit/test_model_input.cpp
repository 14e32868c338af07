// One rule for what a model reads (core/analysis/model_input.h): truncation to the context
// keeps a closing special token last and says what was dropped; the induction probe starts
// with the tokenizer's special token and is the same for every caller.
#include <gtest/gtest.h>

#include "core/analysis/model_input.h"
#include "core/model.h"

namespace attnviz {
namespace {

const std::filesystem::path kData = ATTNVIZ_TEST_DATA;

std::vector<Token> tokens(int count, bool closing_special) {
  std::vector<Token> list;
  for (int i = 0; i < count; ++i) list.push_back({i, "t", 0, 0, false});
  if (closing_special) list.back() = {102, "[SEP]", 0, 0, true};
  return list;
}

TEST(Truncation, KeepsTheClosingSpecialTokenAndCountsTheDropped) {
  ModelInput input = truncate_to_context(tokens(10, true), 4);
  ASSERT_EQ(input.tokens.size(), 4u);
  EXPECT_EQ(input.tokens.back().id, 102) << "[SEP] stays last";
  EXPECT_EQ(input.tokens[2].id, 2);
  EXPECT_TRUE(input.truncated());
  EXPECT_EQ(input.had_tokens, 10);
  EXPECT_EQ(truncation_note(input),
            "the text has 10 tokens; the model reads at most 4: the last 6 were dropped");
  input = truncate_to_context(tokens(10, false), 4);
  EXPECT_EQ(input.tokens.back().id, 3) << "GPT-2: the first P tokens";
  input = truncate_to_context(tokens(3, true), 4);
  EXPECT_FALSE(input.truncated());
  EXPECT_EQ(truncation_note(input), "");
  EXPECT_EQ(truncate_to_context(tokens(5, false), 0).tokens.size(), 5u) << "no limit";
}

TEST(Probe, OneProbeForEveryCaller) {
  auto gpt2 = Model::load(kData / "gpt2-tiny" / "model");
  ASSERT_TRUE(gpt2.ok()) << gpt2.error().message;
  const ProbeInput probe = make_probe_input((*gpt2)->tokenizer(), (*gpt2)->config());
  ASSERT_EQ(probe.tokens.size(), 1u + 2 * kProbeRepeat);
  EXPECT_EQ(probe.tokens.front().id, 50256) << "<|endoftext|>";
  EXPECT_TRUE(probe.tokens.front().special);
  for (int k = 0; k < kProbeRepeat; ++k)
    EXPECT_EQ(probe.tokens[1 + k].id, probe.tokens[1 + kProbeRepeat + k].id);
  for (size_t i = 1; i < probe.tokens.size(); ++i)
    EXPECT_EQ(probe.tokens[i].start, probe.tokens[i - 1].end) << "consecutive byte spans";
  EXPECT_EQ(make_probe_input((*gpt2)->tokenizer(), (*gpt2)->config()).tokens, probe.tokens);
  EXPECT_EQ(make_probe_input((*gpt2)->tokenizer(), (*gpt2)->config(), 500).repeat_length, 63)
      << "cut to the 128 positions";

  auto bert = Model::load(kData / "bert-tiny" / "model");
  ASSERT_TRUE(bert.ok()) << bert.error().message;
  EXPECT_EQ(probe_first_token((*bert)->tokenizer()), 101) << "[CLS]";
}

}  // namespace
}  // namespace attnviz
