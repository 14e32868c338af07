// attend_layer() and predict_next_tokens() of core/forward_pass.h.
//
// Legend: H query heads, G key/value heads, D head width, T tokens, N rows computed, B query
// block, K keys a block sees, S padded key count, V vocabulary, k top predictions.
#include <Eigen/Core>
#include <algorithm>
#include <cassert>
#include <cmath>
#include <limits>

#include "core/attention_math.h"
#include "core/forward_pass.h"
#include "core/ops.h"

#ifdef _OPENMP
#include <omp.h>
#endif

namespace attnviz {
namespace {

using RowMatrix = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
using StridedMap = Eigen::Map<RowMatrix, 0, Eigen::OuterStride<>>;
using ConstStridedMap = Eigen::Map<const RowMatrix, 0, Eigen::OuterStride<>>;

int thread_index() {
#ifdef _OPENMP
  return omp_get_thread_num();
#else
  return 0;
#endif
}

}  // namespace

void attend_layer(float* context, AttentionTrace& trace, const float* qkv, int layer,
                  const ModelConfig& config, const RunPlan& plan, ForwardScratch& scratch) {
  const int t = plan.tokens, d = config.head_width, heads = config.heads;
  const int kv_heads = config.kv_heads, groups = config.kv_groups();
  const size_t stride = static_cast<size_t>(config.query_width() + 2 * config.kv_width());
  const size_t keys_stride = static_cast<size_t>(t + 2 * score_lanes());
  const ScoreRule& rule = plan.rules[layer];
  const bool stores = trace.stores_weights();

  // Pass 1: each kv head's keys transposed (D, S), shared by its group of query heads.
#pragma omp parallel for schedule(static) if (kv_heads > 1 && t >= 256)
  for (int g = 0; g < kv_heads; ++g)
    transpose_keys(scratch.keys_t.data() + static_cast<size_t>(g) * d * keys_stride, keys_stride,
                   qkv + static_cast<size_t>(heads + g) * d, stride, t, d);

  const int blocks = (plan.rows() + kQueryBlock - 1) / kQueryBlock;
#pragma omp parallel for schedule(dynamic, 1)
  for (int task = 0; task < heads * blocks; ++task) {
    const int head = task / blocks, g = head / groups;
    const int begin = plan.first + (task % blocks) * kQueryBlock;
    const int end = std::min(begin + kQueryBlock, t);
    const float* keys_t = scratch.keys_t.data() + static_cast<size_t>(g) * d * keys_stride;
    // The block's keys: [lowest first key, highest last key].
    const int block_first = rule.first_key(begin), block_last = rule.last_key(end - 1, t);
    const int span = block_last - block_first + 1;
    float* probs =
        scratch.probs.data() + static_cast<size_t>(thread_index()) * kQueryBlock * keys_stride;
    // Rows `pitch` apart, a whole number of packets: score_block writes whole packets.
    const size_t pitch = static_cast<size_t>((span + score_lanes() - 1) / score_lanes()) *
                         score_lanes();
    StridedMap weights(probs, end - begin, span, Eigen::OuterStride<>(pitch));  // (B, K)
    std::span<float> lse = trace.mutable_lse(layer, head);

    // Pass 2: the block's scores through the rule, keys [block_first, block_last] for every
    // row (keys a row does not see are computed, then zeroed).
    score_block(probs, pitch, qkv + begin * stride + static_cast<size_t>(head) * d, stride,
                end - begin, keys_t, keys_stride, block_first, span, d, rule);
    for (int q = begin; q < end; ++q) {
      // Passes 3-4: the row's log-sum-exp over the keys it sees, weights exp(s − lse).
      const int first = rule.first_key(q), last = rule.last_key(q, t), count = last - first + 1;
      float* row = probs + static_cast<size_t>(q - begin) * pitch;
      float* visible = row + (first - block_first);
      lse[q] = log_sum_exp(visible, count);
      weights_from_lse(visible, visible, count, lse[q]);
      std::fill(row, visible, 0.0f);
      std::fill(visible + count, row + span, 0.0f);
      // The trace's row, when it stores weights: keys 0..row_length−1, exact zeros outside the
      // window. Otherwise the lse alone lets any reader recompute it (recompute_row).
      if (!stores) continue;
      std::span<float> stored = trace.mutable_row(layer, head, q);
      std::fill(stored.begin(), stored.begin() + first, 0.0f);
      std::copy(visible, visible + count, stored.begin() + first);
      std::fill(stored.begin() + first + count, stored.end(), 0.0f);
    }

    // Pass 5: the weighted sum of values, into this head's columns of the context.
    ConstStridedMap values(
        qkv + block_first * stride + static_cast<size_t>(heads + kv_heads + g) * d, span, d,
        Eigen::OuterStride<>(stride));  // (K, D)
    StridedMap out(context + static_cast<size_t>(begin - plan.first) * config.query_width() +
                       static_cast<size_t>(head) * d,
                   end - begin, d, Eigen::OuterStride<>(config.query_width()));
    out.noalias() = weights * values;
  }
}

namespace {

// The k best (logit, id) so far of one row, a min-heap on the logit (ties: the lower id wins).
struct TopK {
  static bool worse(const std::pair<float, int32_t>& a, const std::pair<float, int32_t>& b) {
    return a.first > b.first || (a.first == b.first && a.second < b.second);
  }
  void offer(float logit, int32_t id, int k) {
    if (static_cast<int>(best.size()) < k) {
      best.push_back({logit, id});
      std::push_heap(best.begin(), best.end(), worse);
    } else if (logit > best.front().first) {
      std::pop_heap(best.begin(), best.end(), worse);
      best.back() = {logit, id};
      std::push_heap(best.begin(), best.end(), worse);
    }
  }
  std::vector<std::pair<float, int32_t>> best;
};

// A row's softmax normalizer over the vocabulary, merged panel by panel (online softmax).
struct RowNormalizer {
  float max = -std::numeric_limits<float>::infinity();
  double sum = 0.0;  // Σ exp(logit − max)
  void add(float panel_max, double panel_sum) {
    if (panel_max > max) {
      sum = sum * std::exp(static_cast<double>(max) - panel_max) + panel_sum;
      max = panel_max;
    } else {
      sum += panel_sum * std::exp(static_cast<double>(panel_max) - max);
    }
  }
};

// Vocabulary rows per panel: the (N, panel) logits of a few rows stay in cache.
constexpr int kVocabPanel = 512;

// Rows predicted at once: each thread's (rows, kVocabPanel) logits stay a few MB at any T.
constexpr int kPredictRows = 1024;

void predict_rows(std::vector<std::vector<Prediction>>& predictions, int first_row,
                  const float* final_hidden, int rows, const WeightTensor& head,
                  const ModelConfig& config, const Tokenizer& tokenizer, int top_k,
                  std::span<const int32_t> targets, float* target_probabilities) {
  const int k = std::min(top_k, config.vocab_size);
  const size_t per_row = targets.size() / rows;  // M
  // Each target's logit, written by the one thread whose panel holds it.
  std::vector<float> target_logits(targets.size(), 0.0f);
  const int c = config.width, v = config.vocab_size;
  const int panels = (v + kVocabPanel - 1) / kVocabPanel;
  const int threads = std::max(1, std::min(max_threads(), panels));
  const size_t row_bytes = static_cast<size_t>(c) * weight_type_bytes(head.type);
  // Per thread: each row's running top-k and normalizer.
  std::vector<std::vector<TopK>> tops(threads, std::vector<TopK>(rows));
  std::vector<std::vector<RowNormalizer>> normalizers(threads, std::vector<RowNormalizer>(rows));
  const bool few_rows = rows < 16;
#pragma omp parallel num_threads(threads) if (threads > 1)
  {
    const int thread = thread_index();
#ifdef _OPENMP
    const int team = omp_get_num_threads();
#else
    const int team = 1;
#endif
    std::vector<float> logits(static_cast<size_t>(rows) * kVocabPanel);
    // Few rows (typing): each thread reads its own contiguous share of the head once.
    const int share = (panels + team - 1) / team;
    const int from = few_rows ? thread * share : 0;
    const int to = few_rows ? std::min(panels, from + share) : panels;
    auto panel_work = [&](int panel) {
      const int first_id = panel * kVocabPanel, count = std::min(kVocabPanel, v - first_id);
      const DenseWeights weights{static_cast<const uint8_t*>(head.data()) + first_id * row_bytes,
                                 nullptr,
                                 c,
                                 count,
                                 /*out_major=*/true,
                                 head.type};
      // Inside a parallel region dense() and Eigen run on this thread only.
      dense(logits.data(), final_hidden, rows, weights);
      for (int r = 0; r < rows; ++r) {
        float* row = logits.data() + static_cast<size_t>(r) * count;
        if (config.final_softcap > 0.0f) softcap_in_place(row, count, config.final_softcap);
        const Eigen::Map<const Eigen::ArrayXf> values(row, count);
        const float panel_max = values.maxCoeff();
        normalizers[thread][r].add(panel_max, (values - panel_max).exp().sum());
        for (int i = 0; k > 0 && i < count; ++i) tops[thread][r].offer(row[i], first_id + i, k);
        for (size_t i = r * per_row; i < (r + 1) * per_row; ++i)
          if (targets[i] >= first_id && targets[i] < first_id + count)
            target_logits[i] = row[targets[i] - first_id];
      }
    };
    if (few_rows) {
      for (int panel = from; panel < to; ++panel) panel_work(panel);
    } else {
#pragma omp for schedule(dynamic, 1)
      for (int panel = 0; panel < panels; ++panel) panel_work(panel);
    }
  }
  for (int r = 0; r < rows; ++r) {
    RowNormalizer total;
    TopK best;
    for (int thread = 0; thread < threads; ++thread) {
      if (normalizers[thread][r].sum > 0.0)
        total.add(normalizers[thread][r].max, normalizers[thread][r].sum);
      for (const auto& [logit, id] : tops[thread][r].best) best.offer(logit, id, k);
    }
    std::sort_heap(best.best.begin(), best.best.end(), TopK::worse);
    for (size_t i = r * per_row; i < (r + 1) * per_row; ++i)
      target_probabilities[i] = static_cast<float>(
          std::exp(static_cast<double>(target_logits[i]) - total.max) / total.sum);
    std::vector<Prediction>& out = predictions[first_row + r];
    out.resize(best.best.size());
    for (size_t i = 0; i < best.best.size(); ++i) {
      const auto& [logit, id] = best.best[i];
      const float probability =
          static_cast<float>(std::exp(static_cast<double>(logit) - total.max) / total.sum);
      out[i] = Prediction{id, tokenizer.token_text(id), probability};
    }
  }
}

}  // namespace

void predict_next_tokens(std::vector<std::vector<Prediction>>& predictions, int first_row,
                         const float* final_hidden, int rows, const WeightTensor& head,
                         const ModelConfig& config, const Tokenizer& tokenizer, int top_k,
                         std::span<const int32_t> targets, float* target_probabilities) {
  if ((std::min(top_k, config.vocab_size) <= 0 && targets.empty()) || rows <= 0) return;
  const size_t per_row = targets.size() / rows;  // M
  assert((targets.empty() || (targets.size() == per_row * rows && per_row > 0 &&
                              target_probabilities)) &&
         "M targets per row, and where to put their probabilities");
  for (int from = 0; from < rows; from += kPredictRows) {
    const int count = std::min(kPredictRows, rows - from);
    predict_rows(predictions, first_row + from,
                 final_hidden + static_cast<size_t>(from) * config.width, count, head, config,
                 tokenizer, top_k, targets.subspan(from * per_row, count * per_row),
                 target_probabilities ? target_probabilities + from * per_row : nullptr);
  }
}

}  // namespace attnviz
