#include "core/attention_trace.h"

#include <algorithm>
#include <cassert>
#include <cmath>
#include <limits>

namespace attnviz {

std::shared_ptr<TraceBuffer> TraceStoragePool::take(size_t n) {
  if (n * sizeof(float) > kMaxBuffer) {
    // A long text, where memory peaks: its buffers are not kept, and idle ones go first.
    std::erase_if(buffers_, [](const auto& buffer) { return buffer.use_count() == 1; });
    auto buffer = std::make_shared<TraceBuffer>();
    buffer->floats.resize(n);
    return buffer;
  }
  std::shared_ptr<TraceBuffer> chosen;
  size_t idle = 0;
  // Idle buffers are those only the pool holds; the smallest that fits is taken.
  for (const auto& buffer : buffers_) {
    if (buffer.use_count() != 1) continue;
    const size_t room = buffer->floats.capacity();
    idle += room * sizeof(float);
    if (room >= n && (!chosen || room < chosen->floats.capacity())) chosen = buffer;
  }
  if (!chosen) {
    // A quarter more than asked, so the next traces of a growing text (typing) fit too; pages
    // nobody touches cost nothing.
    chosen = std::make_shared<TraceBuffer>();
    chosen->floats.reserve(n + n / 4);
    buffers_.push_back(chosen);
  } else {
    idle -= chosen->floats.capacity() * sizeof(float);
  }
  // Past the budget, the largest idle buffers go back to the system.
  while (idle > kMaxIdle) {
    auto largest = buffers_.end();
    for (auto it = buffers_.begin(); it != buffers_.end(); ++it)
      if (it->use_count() == 1 && *it != chosen &&
          (largest == buffers_.end() || (*it)->floats.capacity() > (*largest)->floats.capacity()))
        largest = it;
    if (largest == buffers_.end()) break;
    idle -= (*largest)->floats.capacity() * sizeof(float);
    buffers_.erase(largest);
  }
  chosen->floats.resize(n);
  chosen->tag.reset();
  chosen->ids.clear();
  return chosen;
}

std::shared_ptr<TraceBuffer> TraceStoragePool::take_rows(size_t n, const RowsTag& tag,
                                                         std::span<const Token> tokens, int limit,
                                                         int* kept) {
  std::shared_ptr<TraceBuffer> best;
  size_t best_rows = 0;
  for (const auto& buffer : buffers_) {
    if (buffer.use_count() != 1 || !buffer->tag || !buffer->tag->matches(tag)) continue;
    const size_t most = std::min({buffer->ids.size(), tokens.size(), static_cast<size_t>(limit)});
    size_t rows = 0;
    while (rows < most && buffer->ids[rows] == tokens[rows].id) ++rows;
    if (!best || rows > best_rows) best = buffer, best_rows = rows;
  }
  // The same tag means the same layout, so the buffer has exactly n floats.
  if (best && best->floats.size() == n) {
    best->ids.resize(best_rows);
  } else {
    best = take(n);
    best_rows = 0;
  }
  best->tag = tag;
  *kept = static_cast<int>(best_rows);
  return best;
}

std::shared_ptr<TraceBuffer> AttentionTrace::allocate(size_t n, Fill fill, TraceStoragePool* pool) {
  if (fill == Fill::kUnwritten && pool) return pool->take(n);
  auto buffer = std::make_shared<TraceBuffer>();
  if (fill == Fill::kZeros) {
    buffer->floats.assign(n, 0.0f);
  } else {
    buffer->floats.resize(n);
  }
  return buffer;
}

AttentionTrace::AttentionTrace(NoStorage, std::vector<Token> tokens, int layers, int heads,
                               bool causal)
    : tokens_(std::move(tokens)), layers_(layers), heads_(heads), causal_(causal) {
  assert(layers >= 0 && heads >= 0 && "AttentionTrace: negative sizes");
  positions_ = tokens_count();
}

AttentionTrace::AttentionTrace(std::vector<Token> tokens, int layers, int heads, bool causal,
                               Fill fill, TraceStoragePool* pool)
    : AttentionTrace(NoStorage{}, std::move(tokens), layers, heads, causal) {
  head_stride_ = head_floats(positions_);
  weights_ = allocate(weight_floats(positions_), fill, pool);
}

size_t AttentionTrace::head_floats(int positions) const {
  const size_t p = static_cast<size_t>(positions);
  return causal_ ? p * (p + 1) / 2 : p * p;
}

size_t AttentionTrace::weight_floats(int positions) const {
  return static_cast<size_t>(layers_) * heads_ * head_floats(positions);
}

size_t AttentionTrace::qkv_floats(int positions, int width) const {
  return static_cast<size_t>(layers_) * positions * 3 * width;
}

std::shared_ptr<AttentionTrace> AttentionTrace::for_run(std::vector<Token> tokens, int layers,
                                                        int heads, bool causal,
                                                        const RunOptions& options, int qkv_width,
                                                        int reuse_limit, TraceStoragePool& pool) {
  if (!causal) {
    auto trace = std::make_shared<AttentionTrace>(std::move(tokens), layers, heads, false,
                                                  Fill::kUnwritten, &pool);
    if (qkv_width > 0) trace->set_qkv_shape(qkv_width, Fill::kUnwritten, &pool);
    return trace;
  }
  std::shared_ptr<AttentionTrace> trace(
      new AttentionTrace(NoStorage{}, std::move(tokens), layers, heads, true));
  // Room for 31 more positions, unless the buffers are too big for the pool to keep anyway.
  const int t = trace->tokens_count();
  const int roomy = (t + 31) / 32 * 32;
  const size_t biggest = std::max(trace->weight_floats(roomy), trace->qkv_floats(roomy, qkv_width));
  trace->positions_ = biggest * sizeof(float) <= TraceStoragePool::kMaxBuffer ? roomy : t;
  const int p = trace->positions_;
  trace->head_stride_ = trace->head_floats(p);
  RowsTag tag{RowsTag::Part::kAttention, p, options};
  trace->weights_ = pool.take_rows(trace->weight_floats(p), tag, trace->tokens_, reuse_limit,
                                   &trace->weights_kept_);
  if (qkv_width > 0) {
    assert(heads > 0 && qkv_width % heads == 0 && "qkv: width must divide into heads");
    trace->width_ = qkv_width;
    tag.part = RowsTag::Part::kQkv;
    trace->qkv_ = pool.take_rows(trace->qkv_floats(p, qkv_width), tag, trace->tokens_, reuse_limit,
                                 &trace->qkv_kept_);
  }
  return trace;
}

void AttentionTrace::mark_rows_final() {
  if (!causal_) return;
  for (TraceBuffer* buffer : {weights_.get(), qkv_.get()}) {
    if (!buffer || !buffer->tag) continue;
    buffer->ids.resize(tokens_.size());
    for (size_t i = 0; i < tokens_.size(); ++i) buffer->ids[i] = tokens_[i].id;
  }
}

size_t AttentionTrace::weight_bytes() const {
  return weight_floats(tokens_count()) * sizeof(float);
}

size_t AttentionTrace::row_offset(int layer, int head, int query) const {
  assert(layer >= 0 && layer < layers_ && head >= 0 && head < heads_ && "trace: bad layer/head");
  assert(query >= 0 && query < tokens_count() && "trace: bad query");
  const size_t q = static_cast<size_t>(query);
  const size_t within = causal_ ? q * (q + 1) / 2 : q * tokens_.size();
  return (static_cast<size_t>(layer) * heads_ + head) * head_stride_ + within;
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
  return weights_->floats[row_offset(layer, head, query) + key];
}

void AttentionTrace::copy_head(int layer, int head, std::span<float> out) const {
  const int t = tokens_count();
  assert(out.size() >= static_cast<size_t>(t) * t && "copy_head: output too small");
  for (int q = 0; q < t; ++q) {
    auto r = row(layer, head, q);
    float* dst = out.data() + static_cast<size_t>(q) * t;
    std::copy(r.begin(), r.end(), dst);
    std::fill(dst + r.size(), dst + t, 0.0f);
  }
}

std::vector<float> AttentionTrace::dense() const {
  const size_t t = tokens_.size();
  std::vector<float> out(static_cast<size_t>(layers_) * heads_ * t * t);
  for (int l = 0; l < layers_; ++l)
    for (int h = 0; h < heads_; ++h)
      copy_head(l, h, {out.data() + (static_cast<size_t>(l) * heads_ + h) * t * t, t * t});
  return out;
}

void AttentionTrace::set_qkv_shape(int width, Fill fill, TraceStoragePool* pool) {
  assert(heads_ > 0 && width % heads_ == 0 && "qkv: width must divide into heads");
  width_ = width;
  qkv_ = allocate(qkv_floats(positions_, width), fill, pool);
  qkv_kept_ = 0;
}

void AttentionTrace::copy_prefix(const AttentionTrace& previous, int queries) {
  assert(causal_ && previous.causal_ && layers_ == previous.layers_ && heads_ == previous.heads_ &&
         queries <= tokens_count() && queries <= previous.tokens_count() &&
         "copy_prefix: needs a causal trace of the same shape");
  // Causal rows are packed, so the rows of queries k..p-1 are floats k(k+1)/2..p(p+1)/2 of a head.
  auto packed = [](size_t q) { return q * (q + 1) / 2; };
  const size_t q = static_cast<size_t>(queries);
  const size_t from = std::min(static_cast<size_t>(weights_kept_), q);
  const int heads = layers_ * heads_;
  if (from < q) {
#pragma omp parallel for schedule(static)
    for (int head = 0; head < heads; ++head)
      std::copy(previous.weights_->floats.data() + head * previous.head_stride_ + packed(from),
                previous.weights_->floats.data() + head * previous.head_stride_ + packed(q),
                weights_->floats.data() + head * head_stride_ + packed(from));
  }
  if (!has_qkv() || !previous.has_qkv()) return;
  assert(width_ == previous.width_ && "copy_prefix: Q/K/V of another width");
  const size_t row = 3 * static_cast<size_t>(width_);
  const size_t qkv_from = std::min(static_cast<size_t>(qkv_kept_), q);
  if (qkv_from >= q) return;
#pragma omp parallel for schedule(static)
  for (int layer = 0; layer < layers_; ++layer)
    std::copy(previous.qkv(layer).data() + qkv_from * row, previous.qkv(layer).data() + q * row,
              mutable_qkv(layer).data() + qkv_from * row);
}

std::span<const float> AttentionTrace::qkv(int layer) const {
  const size_t row = 3 * static_cast<size_t>(width_);
  return {qkv_->floats.data() + layer * positions_ * row, tokens_.size() * row};
}

std::span<float> AttentionTrace::mutable_qkv(int layer) {
  const size_t row = 3 * static_cast<size_t>(width_);
  return {qkv_->floats.data() + layer * positions_ * row, tokens_.size() * row};
}

HeadDetail AttentionTrace::head_detail(int layer, int head) const {
  assert(has_qkv() && "head_detail needs Q, K, V");
  const int t = tokens_count(), d = head_dim(), c = width_;
  HeadDetail detail;
  detail.layer = layer;
  detail.head = head;
  detail.tokens = t;
  detail.head_dim = d;
  detail.score_scale = score_scale(layer);
  detail.queries.resize(static_cast<size_t>(t) * d);
  detail.keys.resize(static_cast<size_t>(t) * d);
  detail.values.resize(static_cast<size_t>(t) * d);
  auto layer_qkv = qkv(layer);
  for (int i = 0; i < t; ++i) {
    const float* src = layer_qkv.data() + static_cast<size_t>(i) * 3 * c + head * d;
    std::copy(src, src + d, detail.queries.data() + static_cast<size_t>(i) * d);
    std::copy(src + c, src + c + d, detail.keys.data() + static_cast<size_t>(i) * d);
    std::copy(src + 2 * c, src + 2 * c + d, detail.values.data() + static_cast<size_t>(i) * d);
  }
  detail.scores.assign(static_cast<size_t>(t) * t, -std::numeric_limits<float>::infinity());
  for (int i = 0; i < t; ++i) {
    for (int j = 0; j < row_length(i); ++j) {
      float dot = 0.0f;
      for (int k = 0; k < d; ++k)
        dot += detail.queries[static_cast<size_t>(i) * d + k] *
               detail.keys[static_cast<size_t>(j) * d + k];
      detail.scores[static_cast<size_t>(i) * t + j] = dot * detail.score_scale;
    }
  }
  return detail;
}

}  // namespace attnviz
