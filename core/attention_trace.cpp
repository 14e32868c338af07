#include "core/attention_trace.h"

#include <cstdio>

#include <algorithm>
#include <cassert>
#include <cmath>
#include <limits>

#include "core/head_rows.h"

namespace attnviz {
namespace {

size_t head_floats(bool causal, int positions) {
  const size_t p = static_cast<size_t>(positions);
  return causal ? p * (p + 1) / 2 : p * p;
}

}  // namespace

size_t AttentionTrace::weight_buffer_floats(const TraceShape& shape, int positions) {
  const size_t heads = static_cast<size_t>(shape.layers) * shape.heads;
  const size_t weights = shape.stores_weights ? head_floats(shape.causal, positions) : 0;
  return heads * weights + heads * positions;  // weights, then lse
}

size_t AttentionTrace::qkv_buffer_floats(const TraceShape& shape, int positions) {
  return static_cast<size_t>(shape.layers) * positions * shape.qkv_floats();
}

size_t AttentionTrace::pre_rope_buffer_floats(const TraceShape& shape, int positions) {
  return static_cast<size_t>(shape.layers) * positions * shape.pre_rope_floats();
}

AttentionTrace::AttentionTrace(std::vector<Token> tokens, int layers, int heads, bool causal,
                               Fill fill)
    : tokens_(std::move(tokens)) {
  assert(layers >= 0 && heads >= 0 && "AttentionTrace: negative sizes");
  shape_ = TraceShape{layers, heads, heads, 0, causal};
  positions_ = tokens_count();
  const size_t n = weight_buffer_floats(shape_, positions_);
  if (fill == Fill::kZeros)
    weights_->floats.assign(n, 0.0f);
  else
    weights_->floats.resize(n);
}

AttentionTrace::AttentionTrace(std::vector<Token> tokens, const TraceShape& shape,
                               TraceStorage storage)
    : tokens_(std::move(tokens)),
      shape_(shape),
      positions_(storage.positions),
      weights_(std::move(storage.weights)),
      qkv_(std::move(storage.qkv)),
      pre_rope_(std::move(storage.pre_rope)),
      has_lse_(true) {
  assert(shape.heads > 0 && shape.kv_heads > 0 && shape.heads % shape.kv_heads == 0 &&
         "AttentionTrace: kv heads must divide the query heads");
  assert(positions_ >= tokens_count() && weights_ &&
         weights_->floats.size() >= weight_buffer_floats(shape_, positions_) &&
         "AttentionTrace: storage too small");
  assert((shape.stores_weights || qkv_) && "AttentionTrace: weights on demand need q and k");
  assert((!qkv_ || qkv_->floats.size() >= qkv_buffer_floats(shape_, positions_)) &&
         (!pre_rope_ || pre_rope_->floats.size() >= pre_rope_buffer_floats(shape_, positions_)) &&
         "AttentionTrace: q/k/v storage too small");
}

size_t AttentionTrace::head_stride() const {
  return stores_weights() ? head_floats(causal(), positions_) : 0;
}

size_t AttentionTrace::lse_offset() const {
  return static_cast<size_t>(shape_.layers) * shape_.heads * head_stride();
}

size_t AttentionTrace::weight_bytes() const {
  return stores_weights() ? full_weight_bytes() : 0;
}

size_t AttentionTrace::full_weight_bytes() const {
  return static_cast<size_t>(shape_.layers) * shape_.heads * head_floats(causal(), tokens_count()) *
         sizeof(float);
}

size_t AttentionTrace::qkv_bytes() const {
  size_t floats = 0;
  if (has_qkv()) floats += static_cast<size_t>(tokens_count()) * shape_.qkv_floats();
  if (has_pre_rope()) floats += static_cast<size_t>(tokens_count()) * shape_.pre_rope_floats();
  return floats * shape_.layers * sizeof(float);
}

size_t AttentionTrace::row_offset(int layer, int head, int query) const {
  assert(layer >= 0 && layer < shape_.layers && head >= 0 && head < shape_.heads &&
         "trace: bad layer/head");
  assert(query >= 0 && query < tokens_count() && "trace: bad query");
  assert(stores_weights() && "trace: weights are recomputed on demand (use AttentionReader)");
  const size_t q = static_cast<size_t>(query);
  const size_t within = causal() ? q * (q + 1) / 2 : q * tokens_.size();
  return (static_cast<size_t>(layer) * shape_.heads + head) * head_stride() + within;
}

std::span<const float> AttentionTrace::row(int layer, int head, int query) const {
  return {weights_->floats.data() + row_offset(layer, head, query),
          static_cast<size_t>(row_length(query))};
}

std::span<float> AttentionTrace::mutable_row(int layer, int head, int query) {
  return {weights_->floats.data() + row_offset(layer, head, query),
          static_cast<size_t>(row_length(query))};
}

float AttentionTrace::weight(int layer, int head, int query, int key) const {
  assert(key >= 0 && key < tokens_count() && "trace: bad key");
  if (key >= row_length(query)) return 0.0f;
  if (stores_weights()) return weights_->floats[row_offset(layer, head, query) + key];
  // One key through the same lane-wise arithmetic as a whole row: the same bits.
  const ScoreRule& r = rule(layer);
  if (!r.visible(query, key)) return 0.0f;
  const int d = shape_.head_dim, lanes = score_lanes();
  const size_t stride = static_cast<size_t>(shape_.qkv_floats());
  const float* rows = qkv(layer).data();
  const float* q = rows + query * stride + static_cast<size_t>(head) * d;
  const float* k = rows + key * stride + static_cast<size_t>(shape_.heads + kv_head_of(head)) * d;
  const size_t keys_stride = static_cast<size_t>(2 * lanes);
  thread_local std::vector<float> keys_t;
  keys_t.resize(keys_stride * d);
  float* buffer = keys_t.data();
  transpose_keys(buffer, keys_stride, k, stride, 1, d);
  float score = 0.0f;
  score_keys(&score, q, buffer, keys_stride, 0, 1, d, r);
  float w = 0.0f;
  weights_from_lse(&w, &score, 1, row_lse(layer, head, query));
  return w;
}

void AttentionTrace::copy_head(int layer, int head, std::span<float> out) const {
  const int t = tokens_count();
  assert(out.size() >= static_cast<size_t>(t) * t && "copy_head: output too small");
  if (!stores_weights()) {
    const HeadRows rows(*this, layer, head);
#pragma omp parallel for schedule(dynamic, 64) if (t >= 256)
    for (int q = 0; q < t; ++q) {
      float* dst = out.data() + static_cast<size_t>(q) * t;
      const int n = row_length(q);
      rows.row(q, {dst, static_cast<size_t>(n)});
      std::fill(dst + n, dst + t, 0.0f);
    }
    return;
  }
  for (int q = 0; q < t; ++q) {
    auto r = row(layer, head, q);
    float* dst = out.data() + static_cast<size_t>(q) * t;
    std::copy(r.begin(), r.end(), dst);
    std::fill(dst + r.size(), dst + t, 0.0f);
  }
}

std::vector<float> AttentionTrace::dense() const {
  const size_t t = tokens_.size();
  std::vector<float> out(static_cast<size_t>(shape_.layers) * shape_.heads * t * t);
  for (int l = 0; l < shape_.layers; ++l)
    for (int h = 0; h < shape_.heads; ++h)
      copy_head(l, h, {out.data() + (static_cast<size_t>(l) * shape_.heads + h) * t * t, t * t});
  return out;
}

const ScoreRule& AttentionTrace::rule(int layer) const {
  static const ScoreRule kPlainCausal{}, kPlainBidirectional{1.0f, 0.0f, 1.0f, 0, false};
  if (rules_.empty()) return causal() ? kPlainCausal : kPlainBidirectional;
  return rules_[layer];
}

void AttentionTrace::set_score_scales(const std::vector<float>& scales) {
  rules_.assign(scales.size(), ScoreRule{});
  for (size_t l = 0; l < scales.size(); ++l) {
    rules_[l].scale = scales[l];
    rules_[l].causal = causal();
  }
}

void AttentionTrace::set_qkv_shape(int width) {
  assert(shape_.heads > 0 && width % shape_.heads == 0 && "qkv: width must divide into heads");
  shape_.kv_heads = shape_.heads;
  shape_.head_dim = width / shape_.heads;
  qkv_ = std::make_shared<TraceBuffer>();
  qkv_->floats.assign(qkv_buffer_floats(shape_, positions_), 0.0f);
  pre_rope_.reset();
}

std::span<const float> AttentionTrace::qkv(int layer) const {
  const size_t row = static_cast<size_t>(shape_.qkv_floats());
  return {qkv_->floats.data() + layer * positions_ * row, tokens_.size() * row};
}

std::span<float> AttentionTrace::mutable_qkv(int layer) {
  const size_t row = static_cast<size_t>(shape_.qkv_floats());
  return {qkv_->floats.data() + layer * positions_ * row, tokens_.size() * row};
}

std::span<const float> AttentionTrace::pre_rope(int layer) const {
  const size_t row = static_cast<size_t>(shape_.pre_rope_floats());
  return {pre_rope_->floats.data() + layer * positions_ * row, tokens_.size() * row};
}

std::span<float> AttentionTrace::mutable_pre_rope(int layer) {
  const size_t row = static_cast<size_t>(shape_.pre_rope_floats());
  return {pre_rope_->floats.data() + layer * positions_ * row, tokens_.size() * row};
}

float AttentionTrace::row_lse(int layer, int head, int query) const {
  assert(has_lse_ && query >= 0 && query < tokens_count() && "trace: no lse for this row");
  return weights_->floats[lse_offset() +
                          (static_cast<size_t>(layer) * shape_.heads + head) * positions_ + query];
}

std::span<float> AttentionTrace::mutable_lse(int layer, int head) {
  return {weights_->floats.data() + lse_offset() +
              (static_cast<size_t>(layer) * shape_.heads + head) * positions_,
          tokens_.size()};
}

void AttentionTrace::recompute_row(int layer, int head, int query, std::span<float> out) const {
  assert(has_qkv() && has_lse_ && out.size() == static_cast<size_t>(row_length(query)) &&
         "recompute_row needs q, k and the lse");
  const ScoreRule& r = rule(layer);
  const int t = tokens_count(), d = shape_.head_dim;
  const int first = r.first_key(query), last = r.last_key(query, t), count = last - first + 1;
  const size_t stride = static_cast<size_t>(shape_.qkv_floats());
  const float* rows = qkv(layer).data();
  const float* q = rows + query * stride + static_cast<size_t>(head) * d;
  const float* k = rows + first * stride + static_cast<size_t>(shape_.heads + kv_head_of(head)) * d;
  const int lanes = score_lanes();
  const size_t keys_stride = static_cast<size_t>((count + lanes - 1) / lanes * lanes + lanes);
  std::vector<float> keys_t(keys_stride * d), scores(count);
  transpose_keys(keys_t.data(), keys_stride, k, stride, count, d);
  score_keys(scores.data(), q, keys_t.data(), keys_stride, 0, count, d, r);
  std::fill(out.begin(), out.end(), 0.0f);
  weights_from_lse(out.data() + first, scores.data(), count, row_lse(layer, head, query));
}

HeadRows::HeadRows(const AttentionTrace& trace, int layer, int head)
    : trace_(&trace), layer_(layer), head_(head) {
  assert(trace.has_qkv() && trace.has_lse() && "HeadRows needs q, k and the lse");
  const int t = trace.tokens_count(), d = trace.head_dim(), lanes = score_lanes();
  keys_stride_ = static_cast<size_t>((t + lanes - 1) / lanes * lanes + 2 * lanes);
  keys_t_.resize(keys_stride_ * d);
  const size_t stride = static_cast<size_t>(trace.shape().qkv_floats());
  transpose_keys(keys_t_.data(), keys_stride_,
                 trace.qkv(layer).data() +
                     static_cast<size_t>(trace.heads() + trace.kv_head_of(head)) * d,
                 stride, t, d);
}

void HeadRows::row(int query, std::span<float> out) const {
  assert(out.size() == static_cast<size_t>(trace_->row_length(query)) && "HeadRows: row size");
  const ScoreRule& r = trace_->rule(layer_);
  const int t = trace_->tokens_count(), d = trace_->head_dim();
  const int first = r.first_key(query), count = r.last_key(query, t) - first + 1;
  const size_t stride = static_cast<size_t>(trace_->shape().qkv_floats());
  const float* q = trace_->qkv(layer_).data() + query * stride + static_cast<size_t>(head_) * d;
  std::fill(out.begin(), out.begin() + first, 0.0f);
  std::fill(out.begin() + first + count, out.end(), 0.0f);
  float* scores = out.data() + first;  // scored in place, then exp(score − lse) over them
  score_keys(scores, q, keys_t_.data(), keys_stride_, first, count, d, r);
  weights_from_lse(scores, scores, count, trace_->row_lse(layer_, head_, query));
}

size_t HeadRows::rows(int begin, int end, std::vector<float>& out) const {
  assert(begin >= 0 && begin < end && end <= trace_->tokens_count() && "HeadRows: rows");
  const ScoreRule& r = trace_->rule(layer_);
  const int t = trace_->tokens_count(), d = trace_->head_dim(), lanes = score_lanes();
  const int block_first = r.first_key(begin), block_last = r.last_key(end - 1, t);
  const int span = block_last - block_first + 1;
  // Keys 0..block_last of every row, whole packets past the block's last key.
  const size_t pitch = static_cast<size_t>(block_first + (span + lanes - 1) / lanes * lanes);
  out.resize(pitch * (end - begin));
  const size_t stride = static_cast<size_t>(trace_->shape().qkv_floats());
  const float* q = trace_->qkv(layer_).data() + begin * stride + static_cast<size_t>(head_) * d;
  score_block(out.data() + block_first, pitch, q, stride, end - begin, keys_t_.data(),
              keys_stride_, block_first, span, d, r);
  for (int query = begin; query < end; ++query) {
    float* row = out.data() + (query - begin) * pitch;
    const int first = r.first_key(query), count = r.last_key(query, t) - first + 1;
    std::fill(row, row + first, 0.0f);
    weights_from_lse(row + first, row + first, count, trace_->row_lse(layer_, head_, query));
    std::fill(row + first + count, row + trace_->row_length(query), 0.0f);
  }
  return pitch;
}

HeadDetail AttentionTrace::head_detail(int layer, int head) const {
  return head_detail_rows(layer, head, 0, tokens_count());
}

HeadDetail AttentionTrace::head_detail(int layer, int head, int query) const {
  assert(query >= 0 && query < tokens_count() && "head_detail: query out of range");
  return head_detail_rows(layer, head, query, query + 1);
}

HeadDetail AttentionTrace::head_detail_rows(int layer, int head, int row_begin,
                                            int row_end) const {
  assert(has_qkv() && "head_detail needs Q, K, V");
  const int t = tokens_count(), d = shape_.head_dim;
  const size_t stride = static_cast<size_t>(shape_.qkv_floats());
  HeadDetail detail;
  detail.layer = layer;
  detail.head = head;
  detail.kv_head = kv_head_of(head);
  detail.tokens = t;
  detail.head_dim = d;
  detail.rotary_dims = rotary_dims(layer);
  detail.rule = rule(layer);
  detail.score_scale = detail.rule.scale;
  const size_t q_column = static_cast<size_t>(head) * d;
  const size_t k_column = static_cast<size_t>(shape_.heads + detail.kv_head) * d;
  const size_t v_column = static_cast<size_t>(shape_.heads + shape_.kv_heads + detail.kv_head) * d;
  auto gather = [&](std::vector<float>& out, const float* rows, size_t row_stride, size_t column) {
    out.resize(static_cast<size_t>(t) * d);
    for (int i = 0; i < t; ++i)
      std::copy_n(rows + i * row_stride + column, d, out.data() + static_cast<size_t>(i) * d);
  };
  const float* rows = qkv(layer).data();
  gather(detail.queries, rows, stride, q_column);
  gather(detail.keys, rows, stride, k_column);
  gather(detail.values, rows, stride, v_column);
  if (has_pre_rope()) {
    const size_t pre_stride = static_cast<size_t>(shape_.pre_rope_floats());
    gather(detail.queries_before_rope, pre_rope(layer).data(), pre_stride, q_column);
    gather(detail.keys_before_rope, pre_rope(layer).data(), pre_stride, k_column);
  }

  // Scores through the forward pass's own arithmetic, so they are the ones the softmax saw.
  const int lanes = score_lanes();
  const size_t keys_stride = static_cast<size_t>((t + lanes - 1) / lanes * lanes + lanes);
  std::vector<float> keys_t(keys_stride * d);
  transpose_keys(keys_t.data(), keys_stride, detail.keys.data(), d, t, d);
  const float minus_infinity = -std::numeric_limits<float>::infinity();
  detail.first_row = row_begin;
  detail.scores.assign(static_cast<size_t>(row_end - row_begin) * t, minus_infinity);
  ScoreRule uncapped = detail.rule;
  uncapped.softcap = 0.0f;
  if (detail.rule.softcap > 0.0f) detail.scores_before_cap = detail.scores;
  for (int i = row_begin; i < row_end; ++i) {
    const int first = detail.rule.first_key(i), last = detail.rule.last_key(i, t);
    const float* q = detail.queries.data() + static_cast<size_t>(i) * d;
    const size_t at = static_cast<size_t>(i - row_begin) * t + first;
    score_keys(detail.scores.data() + at, q, keys_t.data(), keys_stride, first, last - first + 1,
               d, detail.rule);
    if (!detail.scores_before_cap.empty())
      score_keys(detail.scores_before_cap.data() + at, q, keys_t.data(), keys_stride, first,
                 last - first + 1, d, uncapped);
  }
  return detail;
}

std::string ablation_description(const std::vector<HeadAblation>& ablations) {
  std::string text;
  for (const HeadAblation::Kind kind : {HeadAblation::Kind::kZero, HeadAblation::Kind::kMean}) {
    std::string heads;
    int count = 0;
    for (const HeadAblation& ablation : ablations) {
      if (ablation.kind != kind) continue;
      heads += (count++ ? ", " : "") + std::to_string(ablation.layer) + "." +
               std::to_string(ablation.head);
    }
    if (count == 0) continue;
    text += (text.empty() ? "" : ", ") + std::string(count == 1 ? "head " : "heads ") + heads +
            " ablated (" + (kind == HeadAblation::Kind::kZero ? "zero" : "mean") + ")";
  }
  return text;
}

std::string what_if_description(const RunOptions& options) {
  if (options.reproduces_model()) return {};
  std::string parts;
  auto add = [&parts](const std::string& part) { parts += (parts.empty() ? "" : ", ") + part; };
  if (options.causal_mask) add(*options.causal_mask ? "causal mask on" : "causal mask off");
  if (!options.scale_by_sqrt_dk) add("scores not divided by sqrt(d_k)");
  if (options.temperature != 1.0f) {
    char text[32];
    std::snprintf(text, sizeof text, "temperature %.2f", static_cast<double>(options.temperature));
    add(text);
  }
  if (!options.ablations.empty()) add(ablation_description(options.ablations));
  return "what-if: " + parts;
}

std::string mask_description(const AttentionTrace& trace) {
  if (trace.options.causal_mask)
    return *trace.options.causal_mask ? "causal mask on (what-if)" : "causal mask off (what-if)";
  return trace.causal() ? "causal (decoder)" : "bidirectional (encoder)";
}

}  // namespace attnviz
