// Diff of two attention maps over different token lists (two versions of a text, or two models
// with the same tokenizer): tokens are aligned by a longest common subsequence of their texts,
// and the maps are compared on the aligned tokens only.
//
// Legend: T_a, T_b tokens of the two maps, K aligned tokens. Maps are dense, row-major,
// rows = queries.
#pragma once

#include <span>
#include <utility>
#include <vector>

#include "core/analysis/aggregate.h"
#include "core/result.h"
#include "core/tokenizer.h"

namespace attnviz {

// Pairs (index in a, index in b) of tokens with the same text, increasing in both, as many as
// possible (a longest common subsequence of the token texts; among equally long ones, the
// earliest matches). The common prefix and suffix are matched directly, so
// an edit in the middle of a long text costs only the middle's size.
struct TokenAlignment {
  std::vector<std::pair<int, int>> pairs;
};

// The dynamic program needs (middle of a) × (middle of b) cells; above max_cells it is an Error
// rather than gigabytes of memory.
Result<TokenAlignment> align_tokens(std::span<const Token> a, std::span<const Token> b,
                                    size_t max_cells = size_t{1} << 26);

struct AttentionDiff {
  TokenAlignment alignment;
  int size = 0;                   // K = alignment.pairs.size()
  std::vector<float> difference;  // (K, K): B[b_x][b_y] − A[a_x][a_y] (second minus first)
};

// map_a is (T_a, T_a) over tokens_a, map_b is (T_b, T_b) over tokens_b.
Result<AttentionDiff> diff_maps(std::span<const float> map_a, std::span<const Token> tokens_a,
                                std::span<const float> map_b, std::span<const Token> tokens_b);

// Token texts as two tokenizers may spell the same word (GPT-2's leading space, WordPiece's
// "##", upper and lower case) made alike, so two models' maps of one text line up.
std::vector<Token> alignment_tokens(std::span<const Token> tokens);

// `wanted` (made for a model of `listed_heads` heads) as it exists in a model of `layers` x
// `heads`: layer and head clamped, heads beyond the first model's enabled. `note` (optional)
// says what had to change.
AggregateChoice choice_within(const AggregateChoice& wanted, int listed_heads, int layers,
                              int heads, std::string* note = nullptr);

}  // namespace attnviz
