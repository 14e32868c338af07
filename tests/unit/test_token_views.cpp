// Word merging, hiding tokens, and the token-aligned diff of two maps.
#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "core/analysis/diff.h"
#include "core/analysis/token_views.h"

namespace attnviz {
namespace {

// Legend: T tokens, W words, K kept tokens. Maps are dense, row-major, rows = queries.

// Tokens with contiguous byte spans over the concatenated texts (as GPT-2 produces).
std::vector<Token> contiguous_tokens(const std::vector<std::string>& texts) {
  std::vector<Token> tokens;
  size_t offset = 0;
  for (size_t i = 0; i < texts.size(); ++i) {
    tokens.push_back(
        {static_cast<int32_t>(100 + i), texts[i], offset, offset + texts[i].size(), false});
    offset += texts[i].size();
  }
  return tokens;
}

std::vector<float> random_causal_map(int t, unsigned seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> dist(0.01f, 1.0f);
  std::vector<float> map(t * t, 0.0f);
  for (int i = 0; i < t; ++i) {
    float sum = 0.0f;
    for (int j = 0; j <= i; ++j) sum += (map[i * t + j] = dist(rng));
    for (int j = 0; j <= i; ++j) map[i * t + j] /= sum;
  }
  return map;
}

std::vector<std::string> word_texts(const std::vector<WordGroup>& words) {
  std::vector<std::string> texts;
  for (const WordGroup& word : words) texts.push_back(word.text);
  return texts;
}

TEST(GroupWords, Gpt2LeadingSpacesAndPunctuation) {
  auto tokens =
      contiguous_tokens({"The", " bank", " was", " ero", "ding", ".", " It", "'s", " ok", "ay"});
  EXPECT_EQ(detect_word_rule(tokens), WordRule::kLeadingSpace);
  auto words = group_words(tokens, WordRule::kLeadingSpace);
  EXPECT_EQ(word_texts(words), (std::vector<std::string>{"The", " bank", " was", " eroding", ".",
                                                         " It", "'s", " okay"}));
  EXPECT_EQ(words[3].first, 3);
  EXPECT_EQ(words[3].end, 5);
}

// Byte pieces of a character (byte fallback <0xC3><0xA9> for "é") continue the word they are
// in, and the word's text puts the character back together.
TEST(GroupWords, PiecesOfACharacterStayInTheirWord) {
  std::vector<Token> tokens = contiguous_tokens({"caf", "<0xC3>", "<0xA9>", " ok", "<0xE2>"});
  auto piece = [&](size_t i, std::string bytes, size_t start, size_t end, size_t char_end) {
    tokens[i].start = start;
    tokens[i].end = end;
    tokens[i].partial = true;
    tokens[i].bytes = std::move(bytes);
    tokens[i].char_start = start - (tokens[i].bytes == "\xA9" ? 1 : 0);
    tokens[i].char_end = char_end;
  };
  piece(1, "\xC3", 3, 4, 5);
  piece(2, "\xA9", 4, 5, 5);
  tokens[3].start = 5;
  tokens[3].end = 8;
  piece(4, "\xE2", 8, 9, 11);  // the text was cut after the first byte of "€"
  auto words = group_words(tokens, WordRule::kLeadingSpace);
  EXPECT_EQ(word_texts(words), (std::vector<std::string>{"caf\u00E9", " ok<0xE2>"}));
}

TEST(GroupWords, BertWordPieceAndSpecialTokens) {
  // "[CLS] the bank ##s , river [SEP]" over the text "the banks, river".
  std::vector<Token> tokens = {{101, "[CLS]", 0, 0, true},  {1996, "the", 0, 3, false},
                               {2924, "bank", 4, 8, false}, {2015, "##s", 8, 9, false},
                               {1010, ",", 9, 10, false},   {2314, "river", 11, 16, false},
                               {102, "[SEP]", 16, 16, true}};
  EXPECT_EQ(detect_word_rule(tokens), WordRule::kWordPiece);
  auto words = group_words(tokens, WordRule::kWordPiece);
  EXPECT_EQ(word_texts(words),
            (std::vector<std::string>{"[CLS]", "the", "banks", ",", "river", "[SEP]"}));
}

TEST(MergeWords, RowsStillSumToOneAndValuesMatchTheDefinition) {
  auto tokens = contiguous_tokens({"A", " un", "believ", "able", " story", ",", " to", "ld"});
  const int t = static_cast<int>(tokens.size());
  auto words = group_words(tokens, WordRule::kLeadingSpace);
  ASSERT_EQ(words.size(), 5u);  // A | unbelievable | story | , | told
  auto map = random_causal_map(t, 3);
  auto merged = merge_words(map, t, words);
  const size_t w = words.size();
  for (size_t a = 0; a < w; ++a) {
    double sum = 0.0;
    for (size_t b = 0; b < w; ++b) {
      sum += merged[a * w + b];
      if (b > a) {
        EXPECT_EQ(merged[a * w + b], 0.0f) << "causal map must stay lower-triangular";
      }
    }
    EXPECT_NEAR(sum, 1.0, 1e-6) << "word row " << a;
  }
  // Word 1 (tokens 1..3) to word 1: mean over the three queries of their keys 1..3.
  double want = 0.0;
  for (int i = 1; i <= 3; ++i)
    for (int j = 1; j <= 3; ++j) want += map[i * t + j];
  EXPECT_NEAR(merged[1 * w + 1], want / 3.0, 1e-6);
  // Word 4 (tokens 6, 7) to word 0 (token 0).
  EXPECT_NEAR(merged[4 * w + 0], (map[6 * t + 0] + map[7 * t + 0]) / 2.0, 1e-6);
}

TEST(MergeWords, WholeTraceOverWords) {
  auto tokens = contiguous_tokens({"He", " re", "ad", " it"});
  AttentionTrace trace(tokens, 2, 2, true);
  const int t = 4;
  for (int l = 0; l < 2; ++l)
    for (int h = 0; h < 2; ++h) {
      auto map = random_causal_map(t, 10 * l + h);
      for (int q = 0; q < t; ++q) {
        auto row = trace.mutable_row(l, h, q);
        for (size_t k = 0; k < row.size(); ++k) row[k] = map[q * t + k];
      }
    }
  trace.model_name = "m";
  trace.predictions = {{{1, "a", 0.5f}}, {{2, "b", 0.5f}}, {{3, "c", 0.5f}}, {{4, "d", 0.5f}}};
  auto words = group_words(tokens, WordRule::kLeadingSpace);
  auto merged = merge_trace_words(trace, words);
  ASSERT_EQ(merged->tokens_count(), 3);
  EXPECT_EQ(merged->tokens()[1].text, " read");
  EXPECT_EQ(merged->tokens()[1].start, 2u);
  EXPECT_EQ(merged->tokens()[1].end, 7u);  // "He" | " re" "ad" | " it"
  EXPECT_TRUE(merged->causal());
  EXPECT_EQ(merged->model_name, "m");
  ASSERT_EQ(merged->predictions.size(), 3u);
  EXPECT_EQ(merged->predictions[1][0].text, "c");  // after " read" comes what followed "ad"
  std::vector<float> head(t * t);
  trace.copy_head(1, 0, head);
  auto want = merge_words(head, t, words);
  for (int a = 0; a < 3; ++a)
    for (int b = 0; b < 3; ++b)
      EXPECT_NEAR(merged->weight(1, 0, a, b), want[a * 3 + b], 1e-7) << a << "," << b;
}

TEST(HideTokens, RenormalizesAndReportsAbsorbedShare) {
  // Token 0 is a sink; hide it.
  const int t = 3;
  std::vector<float> map = {1.0f, 0.0f, 0.0f,  //
                            0.6f, 0.4f, 0.0f,  //
                            0.5f, 0.2f, 0.3f};
  HiddenView view = hide_tokens(map, t, first_token_mask(t));
  EXPECT_EQ(view.kept, (std::vector<int>{1, 2}));
  ASSERT_EQ(view.map.size(), 4u);
  EXPECT_NEAR(view.map[0], 1.0, 1e-7);
  EXPECT_NEAR(view.map[1], 0.0, 1e-7);
  EXPECT_NEAR(view.map[2], 0.4, 1e-6);  // 0.2 / 0.5
  EXPECT_NEAR(view.map[3], 0.6, 1e-6);  // 0.3 / 0.5
  EXPECT_NEAR(view.absorbed[0], 0.6, 1e-6);
  EXPECT_NEAR(view.absorbed[1], 0.5, 1e-6);
}

TEST(HideTokens, RowWithEverythingHiddenIsEmpty) {
  std::vector<float> map = {0.0f, 1.0f,  //
                            0.0f, 1.0f};
  HiddenView view = hide_tokens(map, 2, std::vector<bool>{false, true});
  EXPECT_EQ(view.map[0], 0.0f);
  EXPECT_NEAR(view.absorbed[0], 1.0, 1e-7);
}

TEST(HideTokens, SpecialTokensOfATrace) {
  std::vector<Token> tokens = {{101, "[CLS]", 0, 0, true},
                               {7, "hi", 0, 2, false},
                               {8, "there", 3, 8, false},
                               {102, "[SEP]", 8, 8, true}};
  AttentionTrace trace(tokens, 1, 1, false);
  const int t = 4;
  std::mt19937 rng(9);
  std::uniform_real_distribution<float> dist(0.01f, 1.0f);
  for (int q = 0; q < t; ++q) {
    auto row = trace.mutable_row(0, 0, q);
    float sum = 0.0f;
    for (float& value : row) sum += (value = dist(rng));
    for (float& value : row) value /= sum;
  }
  HiddenTrace hidden = hide_trace_tokens(trace, special_token_mask(tokens));
  ASSERT_EQ(hidden.trace->tokens_count(), 2);
  EXPECT_EQ(hidden.kept, (std::vector<int>{1, 2}));
  ASSERT_EQ(hidden.absorbed.size(), 2u);
  for (int a = 0; a < 2; ++a) {
    const int q = hidden.kept[a];
    const double kept_mass = trace.weight(0, 0, q, 1) + trace.weight(0, 0, q, 2);
    EXPECT_NEAR(hidden.absorbed[a], 1.0 - kept_mass, 1e-6);
    EXPECT_NEAR(hidden.trace->weight(0, 0, a, 0), trace.weight(0, 0, q, 1) / kept_mass, 1e-6);
    EXPECT_NEAR(hidden.trace->weight(0, 0, a, 0) + hidden.trace->weight(0, 0, a, 1), 1.0, 1e-6);
  }
}

std::vector<Token> words_as_tokens(const std::string& text) {
  std::vector<std::string> pieces;
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find(' ', start + 1);
    if (end == std::string::npos) end = text.size();
    pieces.push_back(text.substr(start, end - start));
    start = end;
  }
  return contiguous_tokens(pieces);
}

TEST(Diff, AlignsSharedWords) {
  auto a = words_as_tokens("The cat sat on the mat");
  auto b = words_as_tokens("The old cat sat on a mat");
  auto alignment = align_tokens(a, b);
  ASSERT_TRUE(alignment.ok()) << alignment.error().message;
  const std::vector<std::pair<int, int>> want = {{0, 0}, {1, 2}, {2, 3}, {3, 4}, {5, 6}};
  EXPECT_EQ(alignment->pairs, want);

  // Texts must match exactly: "y" and " y" differ, so only " z" lines up.
  auto middle_only = align_tokens(words_as_tokens("x y z"), words_as_tokens("y q z x"));
  ASSERT_TRUE(middle_only.ok());
  EXPECT_EQ(middle_only->pairs, (std::vector<std::pair<int, int>>{{2, 2}}));
}

TEST(Diff, DifferenceOnAlignedTokens) {
  auto a = words_as_tokens("one two three");
  auto b = words_as_tokens("one and two three");
  const int ta = 3, tb = 4;
  std::vector<float> map_a = random_causal_map(ta, 1), map_b = random_causal_map(tb, 2);
  auto diff = diff_maps(map_a, a, map_b, b);
  ASSERT_TRUE(diff.ok()) << diff.error().message;
  ASSERT_EQ(diff->size, 3);
  const std::vector<std::pair<int, int>> want = {{0, 0}, {1, 2}, {2, 3}};
  EXPECT_EQ(diff->alignment.pairs, want);
  for (int x = 0; x < 3; ++x)
    for (int y = 0; y < 3; ++y) {
      const auto [ax, bx] = want[x];
      const auto [ay, by] = want[y];
      EXPECT_FLOAT_EQ(diff->difference[x * 3 + y], map_b[bx * tb + by] - map_a[ax * ta + ay]);
    }
}

TEST(Diff, RefusesHugeMiddles) {
  auto a = words_as_tokens("a b c d e f");
  auto b = words_as_tokens("a x y z w f");
  auto alignment = align_tokens(a, b, /*max_cells=*/4);
  ASSERT_FALSE(alignment.ok());
  EXPECT_NE(alignment.error().message.find("too many"), std::string::npos);
}

}  // namespace
}  // namespace attnviz
