// Head roles: what kind of attention head each (layer, head) of a trace is. The pattern scores
// follow TransformerLens' head_detector with error_measure "mul" (REFERENCE.md §5); the plain
// statistics (distance, first-token share, entropy) describe heads no pattern fits.
//
// Legend: L layers, H heads, T tokens. Maps are dense (T, T), row-major, rows = queries.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "core/attention_trace.h"

namespace attnviz {

enum class HeadPattern { kPreviousToken, kDuplicateToken, kInduction };

// The 0/1 lower-triangular detection pattern D for the token ids, (T, T):
//   previous-token  D[i][i-1] = 1
//   duplicate-token D[i][j]   = 1 if ids[j] == ids[i] and j < i
//   induction       D[i][j]   = 1 if 1 <= j <= i and ids[j-1] == ids[i] and j-1 < i
std::vector<float> detection_pattern(HeadPattern pattern, std::span<const int32_t> ids);

// TransformerLens' exclude_bos / exclude_current_token: applied to the attention map (not the
// pattern) before both sums of the score.
struct DetectionOptions {
  bool exclude_first_token = false;    // zero column 0
  bool exclude_current_token = false;  // zero the diagonal
};

// sum(A ∘ D) / sum(A) over the whole (T, T) map, in [0, 1]; 0 when the (masked) map sums to 0.
double detection_score(std::span<const float> head_map, std::span<const float> pattern, int tokens,
                       const DetectionOptions& options = {});

// What one head does, all scores in [0, 1] except distance and entropy.
struct HeadRole {
  int layer = 0;
  int head = 0;
  double previous_token = 0.0;     // detection_score with the previous-token pattern
  double duplicate_token = 0.0;    // ... duplicate-token pattern
  double induction = 0.0;          // ... induction pattern (or the probe score, see below)
  double first_token_share = 0.0;  // mean over query rows of A[i][0]
  double self_share = 0.0;         // mean over query rows of A[i][i]
  // Σ_ij A_ij |i − j| / Σ_ij A_ij: the attention-weighted distance over the whole map. With
  // rows that sum to 1 this equals the per-row mean distance averaged over rows.
  double mean_distance = 0.0;
  double mean_entropy = 0.0;  // mean over rows of −Σ_j A_ij ln A_ij, nats
  // Σ row entropies / Σ ln(keys visible to the row): 1 when every row is uniform over the keys
  // it can see, 0 when every row is on one key.
  double normalized_entropy = 0.0;
  std::string label;  // head_role_label(); empty below kMinTokensForLabel tokens
};

// Fewer tokens than this show no pattern (one token attends only to itself): no label.
constexpr int kMinTokensForLabel = 2;

// Thresholds of head_role_label(), kept in one place so the UI can show them.
struct HeadLabelRule {
  double pattern_threshold = 0.4;  // a share of attention mass (prev, dup, induction, first, self)
  double local_distance = 2.0;     // mean distance at or below this, no dominant pattern
  double broad_entropy = 0.8;      // normalized entropy at or above this, no dominant pattern
};

// The strongest role of a head as a short label:
//   1. among prev / dup / induction / first / self, the largest share if it is at least
//      pattern_threshold ("prev", "dup", "induction", "first", "self"); these are all fractions
//      of the head's attention mass, so they compare directly (ties: that order);
//   2. else "local" if mean_distance <= local_distance;
//   3. else "broad" if normalized_entropy >= broad_entropy;
//   4. else "mixed".
std::string head_role_label(const HeadRole& role, const HeadLabelRule& rule = {});

// Statistics of one dense (T, T) head map over the token ids. `causal` says which keys a row
// could see (0..i, or all T), for the normalized entropy only. The detection options apply to
// the three pattern scores; the other statistics always use the whole map.
HeadRole analyze_head(std::span<const float> head_map, std::span<const int32_t> ids, bool causal,
                      const DetectionOptions& options = {}, const HeadLabelRule& rule = {});

// Every head of a trace, sorted by layer then head (index = layer * H + head).
struct HeadRoleTable {
  int layers = 0;
  int heads = 0;
  std::vector<HeadRole> roles;  // (L, H)
  const HeadRole& at(int layer, int head) const {
    return roles[static_cast<size_t>(layer) * heads + head];
  }
};

HeadRoleTable compute_head_roles(const AttentionTrace& trace, const DetectionOptions& options = {},
                                 const HeadLabelRule& rule = {});

// The standard induction probe: first_token_id, then R random ids, then the same R ids again
// (length 1 + 2R). The R ids are distinct and differ from first_token_id (when the vocabulary
// allows), so "the position after i's first occurrence" is unambiguous. mt19937_64 with the
// seed, so the same seed gives the same ids on every platform.
std::vector<int32_t> make_induction_probe(int32_t vocab_size, int repeat_length, uint64_t seed,
                                          int32_t first_token_id);

// Per head (L, H): the mean over the second copy's positions i = R+1+k (k = 0..R−1) of
// A[i][k+2], the position right after the first occurrence of token i. The trace must hold a
// probe (1 + 2R tokens).
std::vector<double> induction_probe_score(const AttentionTrace& trace, int repeat_length);

// Replaces each head's induction column by its probe score and relabels the head.
void set_induction_from_probe(HeadRoleTable& table, std::span<const double> probe_scores,
                              const HeadLabelRule& rule = {});

}  // namespace attnviz
