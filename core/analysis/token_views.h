// Token views: the same attention seen over words instead of sub-word tokens, or with the
// tokens that soak up attention (the first token, [CLS]/[SEP]) hidden.
//
// Legend: L layers, H heads, T tokens, W words, K kept tokens. Maps are dense, row-major,
// rows = queries.
#pragma once

#include <memory>
#include <span>
#include <string>
#include <vector>

#include "core/attention_trace.h"

namespace attnviz {

// How sub-word tokens show that they continue a word.
enum class WordRule {
  kLeadingSpace,  // GPT-2 byte-level BPE: a token starting with a space or punctuation starts a
                  // word
  kWordPiece,     // BERT: a token starting with "##" continues the previous word
};

// kWordPiece when any token starts with "##" or is [CLS]/[SEP], else kLeadingSpace.
WordRule detect_word_rule(std::span<const Token> tokens);

// Tokens [first, end) that form one word.
struct WordGroup {
  int first = 0;
  int end = 0;
  std::string text;  // the tokens' texts joined ("##" dropped for WordPiece)
};

// Groups tokens into words. Under both rules a special token is a word of its own, and a token
// whose byte span does not touch the previous token's span (whitespace between them in the
// input) starts a word. kLeadingSpace: a token whose text starts with whitespace or ASCII
// punctuation starts a word, and so does a token after a punctuation-only token.
std::vector<WordGroup> group_words(std::span<const Token> tokens, WordRule rule);

// Merges a (T, T) map into a (W, W) map: M[a][b] = mean over queries i in word a of the sum over
// keys j in word b of A[i][j]. Queries are averaged (a word asks what its tokens ask, on
// average) and keys summed (a word receives what all its tokens receive), so rows that summed to
// 1 still sum to 1, and a causal map stays lower-triangular.
std::vector<float> merge_words(std::span<const float> map, int tokens,
                               std::span<const WordGroup> words);

// The whole trace over words: one Token per word (id of its first token, the words' joined text,
// the span from its first token's start to its last token's end, special if the one token is),
// every head merged with merge_words, predictions of each word's last token. No Q/K/V.
std::shared_ptr<AttentionTrace> merge_trace_words(const AttentionTrace& trace,
                                                  std::span<const WordGroup> words);

// Which tokens to hide: true = hidden.
std::vector<bool> first_token_mask(int tokens);
std::vector<bool> special_token_mask(std::span<const Token> tokens);

// A (T, T) map with hidden tokens removed (rows and columns) and each kept row renormalized.
struct HiddenView {
  std::vector<int> kept;        // (K) the original index of each kept token
  std::vector<float> map;       // (K, K) rows sum to 1 (0 where a row had nothing left)
  std::vector<float> absorbed;  // (K) share of the row's attention that was on hidden tokens
};

HiddenView hide_tokens(std::span<const float> map, int tokens, const std::vector<bool>& hidden);

// The same for every head of a trace: a trace over the kept tokens (rows renormalized) and the
// absorbed share per head and kept query.
struct HiddenTrace {
  std::shared_ptr<AttentionTrace> trace;
  std::vector<int> kept;        // (K)
  std::vector<float> absorbed;  // (L, H, K)
};

HiddenTrace hide_trace_tokens(const AttentionTrace& trace, const std::vector<bool>& hidden);

}  // namespace attnviz
