#include "core/analysis/head_roles.h"

#include <array>
#include <cassert>
#include <cmath>
#include <cstdlib>
#include <random>
#include <unordered_set>

namespace attnviz {
namespace {

// Whether the detection options hide key j of query i.
bool masked(int query, int key, const DetectionOptions& options) {
  return (options.exclude_first_token && key == 0) ||
         (options.exclude_current_token && key == query);
}

bool in_pattern(HeadPattern pattern, std::span<const int32_t> ids, int i, int j) {
  switch (pattern) {
    case HeadPattern::kPreviousToken:
      return j == i - 1;
    case HeadPattern::kDuplicateToken:
      return j < i && ids[j] == ids[i];
    case HeadPattern::kInduction:
      return j >= 1 && j <= i && ids[j - 1] == ids[i] && j - 1 < i;
  }
  return false;
}

// Everything analyze_head needs from one head, whatever the storage: row(i) holds keys
// 0..row(i).size()-1, later keys are 0; visible(i) is how many keys query i could see.
template <class RowFn>
HeadRole analyze_rows(RowFn row, int tokens, bool causal, std::span<const int32_t> ids,
                      const DetectionOptions& options, const HeadLabelRule& rule) {
  assert(static_cast<int>(ids.size()) == tokens && "analyze_head: one id per token");
  HeadRole role;
  double masked_total = 0.0, total = 0.0, distance = 0.0, entropy = 0.0, max_entropy = 0.0;
  std::array<double, 3> pattern_mass{};
  constexpr std::array<HeadPattern, 3> kPatterns = {
      HeadPattern::kPreviousToken, HeadPattern::kDuplicateToken, HeadPattern::kInduction};
  for (int i = 0; i < tokens; ++i) {
    std::span<const float> weights = row(i);
    double row_entropy = 0.0;
    for (int j = 0; j < static_cast<int>(weights.size()); ++j) {
      const double a = weights[j];
      total += a;
      distance += a * std::abs(i - j);
      if (a > 0.0) row_entropy -= a * std::log(a);
      if (masked(i, j, options)) continue;
      masked_total += a;
      for (size_t p = 0; p < kPatterns.size(); ++p)
        if (in_pattern(kPatterns[p], ids, i, j)) pattern_mass[p] += a;
    }
    if (!weights.empty()) {
      role.first_token_share += weights[0];
      if (i < static_cast<int>(weights.size())) role.self_share += weights[i];
    }
    entropy += row_entropy;
    max_entropy += std::log(static_cast<double>(causal ? i + 1 : tokens));
  }
  if (tokens > 0) {
    role.first_token_share /= tokens;
    role.self_share /= tokens;
    role.mean_entropy = entropy / tokens;
  }
  if (masked_total > 0.0) {
    role.previous_token = pattern_mass[0] / masked_total;
    role.duplicate_token = pattern_mass[1] / masked_total;
    role.induction = pattern_mass[2] / masked_total;
  }
  if (total > 0.0) role.mean_distance = distance / total;
  if (max_entropy > 0.0) role.normalized_entropy = entropy / max_entropy;
  // One token attends only to itself: no pattern to name (an empty text was labelled "local").
  if (tokens >= kMinTokensForLabel) role.label = head_role_label(role, rule);
  return role;
}

}  // namespace

std::vector<float> detection_pattern(HeadPattern pattern, std::span<const int32_t> ids) {
  const int t = static_cast<int>(ids.size());
  std::vector<float> out(static_cast<size_t>(t) * t, 0.0f);  // (T, T)
  for (int i = 0; i < t; ++i)
    for (int j = 0; j <= i; ++j)
      if (in_pattern(pattern, ids, i, j)) out[static_cast<size_t>(i) * t + j] = 1.0f;
  return out;
}

double detection_score(std::span<const float> head_map, std::span<const float> pattern, int tokens,
                       const DetectionOptions& options) {
  assert(head_map.size() >= static_cast<size_t>(tokens) * tokens &&
         pattern.size() >= static_cast<size_t>(tokens) * tokens && "detection_score: too small");
  double numerator = 0.0, denominator = 0.0;
  for (int i = 0; i < tokens; ++i) {
    for (int j = 0; j < tokens; ++j) {
      if (masked(i, j, options)) continue;
      const size_t at = static_cast<size_t>(i) * tokens + j;
      numerator += static_cast<double>(head_map[at]) * pattern[at];
      denominator += head_map[at];
    }
  }
  return denominator > 0.0 ? numerator / denominator : 0.0;
}

std::string head_role_label(const HeadRole& role, const HeadLabelRule& rule) {
  const std::array<std::pair<const char*, double>, 5> shares = {{
      {"prev", role.previous_token},
      {"dup", role.duplicate_token},
      {"induction", role.induction},
      {"first", role.first_token_share},
      {"self", role.self_share},
  }};
  const std::pair<const char*, double>* best = nullptr;
  for (const auto& share : shares)
    if (share.second >= rule.pattern_threshold && (!best || share.second > best->second))
      best = &share;
  if (best) return best->first;
  if (role.mean_distance <= rule.local_distance) return "local";
  if (role.normalized_entropy >= rule.broad_entropy) return "broad";
  return "mixed";
}

HeadRole analyze_head(std::span<const float> head_map, std::span<const int32_t> ids, bool causal,
                      const DetectionOptions& options, const HeadLabelRule& rule) {
  const int t = static_cast<int>(ids.size());
  assert(head_map.size() >= static_cast<size_t>(t) * t && "analyze_head: map too small");
  return analyze_rows(
      [&](int i) { return head_map.subspan(static_cast<size_t>(i) * t, static_cast<size_t>(t)); },
      t, causal, ids, options, rule);
}

HeadRoleTable compute_head_roles(const AttentionTrace& trace, const DetectionOptions& options,
                                 const HeadLabelRule& rule) {
  HeadRoleTable table;
  table.layers = trace.layers();
  table.heads = trace.heads();
  std::vector<int32_t> ids;
  ids.reserve(trace.tokens().size());
  for (const Token& token : trace.tokens()) ids.push_back(token.id);
  for (int l = 0; l < trace.layers(); ++l) {
    for (int h = 0; h < trace.heads(); ++h) {
      // Rows stored, or recomputed into one buffer valid until the next row is asked for.
      auto row = [&, buffer = std::vector<float>()](int i) mutable -> std::span<const float> {
        if (trace.stores_weights()) return trace.row(l, h, i);
        buffer.resize(static_cast<size_t>(trace.row_length(i)));
        trace.recompute_row(l, h, i, buffer);
        return buffer;
      };
      HeadRole role =
          analyze_rows(row, trace.tokens_count(), trace.causal(), ids, options, rule);
      role.layer = l;
      role.head = h;
      table.roles.push_back(std::move(role));
    }
  }
  return table;
}

std::vector<int32_t> make_induction_probe(int32_t vocab_size, int repeat_length, uint64_t seed,
                                          int32_t first_token_id) {
  assert(vocab_size > 0 && repeat_length >= 0 && "make_induction_probe: bad sizes");
  std::mt19937_64 generator(seed);
  // Distinct ids are only possible when the vocabulary has room for them besides the first.
  const bool distinct = static_cast<int64_t>(vocab_size) - 1 >= repeat_length;
  std::unordered_set<int32_t> used;
  std::vector<int32_t> ids = {first_token_id};
  while (static_cast<int>(ids.size()) < 1 + repeat_length) {
    const auto id = static_cast<int32_t>(generator() % static_cast<uint64_t>(vocab_size));
    if (distinct && (id == first_token_id || !used.insert(id).second)) continue;
    ids.push_back(id);
  }
  for (int k = 0; k < repeat_length; ++k) ids.push_back(ids[1 + k]);
  return ids;
}

std::vector<double> induction_probe_score(const AttentionTrace& trace, int repeat_length) {
  assert(repeat_length > 0 && trace.tokens_count() == 1 + 2 * repeat_length &&
         "induction_probe_score: the trace must hold a probe of 1 + 2R tokens");
  std::vector<double> scores;  // (L, H)
  for (int l = 0; l < trace.layers(); ++l) {
    for (int h = 0; h < trace.heads(); ++h) {
      double sum = 0.0;
      for (int k = 0; k < repeat_length; ++k)
        sum += trace.weight(l, h, repeat_length + 1 + k, k + 2);
      scores.push_back(sum / repeat_length);
    }
  }
  return scores;
}

void set_induction_from_probe(HeadRoleTable& table, std::span<const double> probe_scores,
                              const HeadLabelRule& rule) {
  assert(probe_scores.size() == table.roles.size() && "set_induction_from_probe: one per head");
  for (size_t i = 0; i < table.roles.size(); ++i) {
    table.roles[i].induction = probe_scores[i];
    if (!table.roles[i].label.empty()) table.roles[i].label = head_role_label(table.roles[i], rule);
  }
}

}  // namespace attnviz
