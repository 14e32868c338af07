#include "core/attention_trace.h"

#include <algorithm>
#include <cassert>
#include <cmath>
#include <limits>

namespace attnviz {

std::shared_ptr<TraceFloats> TraceStoragePool::take(size_t n) {
  if (n * sizeof(float) > kMaxBuffer) {
    // A long text, where memory peaks: its buffers are not kept, and idle ones go first.
    std::erase_if(buffers_, [](const auto& buffer) { return buffer.use_count() == 1; });
    auto buffer = std::make_shared<TraceFloats>();
    buffer->resize(n);
    return buffer;
  }
  std::shared_ptr<TraceFloats> chosen;
  size_t idle = 0;
  // Idle buffers are those only the pool holds; the smallest that fits is taken.
  for (const auto& buffer : buffers_) {
    if (buffer.use_count() != 1) continue;
    idle += buffer->capacity() * sizeof(float);
    if (buffer->capacity() >= n && (!chosen || buffer->capacity() < chosen->capacity()))
      chosen = buffer;
  }
  if (!chosen) {
    // A quarter more than asked, so the next traces of a growing text (typing) fit too; pages
    // nobody touches cost nothing.
    chosen = std::make_shared<TraceFloats>();
    chosen->reserve(n + n / 4);
    buffers_.push_back(chosen);
  } else {
    idle -= chosen->capacity() * sizeof(float);
  }
  // Past the budget, the largest idle buffers go back to the system.
  while (idle > kMaxIdle) {
    auto largest = buffers_.end();
    for (auto it = buffers_.begin(); it != buffers_.end(); ++it)
      if (it->use_count() == 1 && *it != chosen &&
          (largest == buffers_.end() || (*it)->capacity() > (*largest)->capacity()))
        largest = it;
    if (largest == buffers_.end()) break;
    idle -= (*largest)->capacity() * sizeof(float);
    buffers_.erase(largest);
  }
  chosen->resize(n);
  return chosen;
}

std::shared_ptr<TraceFloats> AttentionTrace::allocate(size_t n, Fill fill, TraceStoragePool* pool) {
  if (fill == Fill::kUnwritten && pool) return pool->take(n);
  auto buffer = std::make_shared<TraceFloats>();
  if (fill == Fill::kZeros) {
    buffer->assign(n, 0.0f);
  } else {
    buffer->resize(n);
  }
  return buffer;
}

AttentionTrace::AttentionTrace(std::vector<Token> tokens, int layers, int heads, bool causal,
                               Fill fill, TraceStoragePool* pool)
    : tokens_(std::move(tokens)), layers_(layers), heads_(heads), causal_(causal) {
  assert(layers >= 0 && heads >= 0 && "AttentionTrace: negative sizes");
  const size_t t = tokens_.size();
  head_stride_ = causal_ ? t * (t + 1) / 2 : t * t;
  weights_ = allocate(static_cast<size_t>(layers_) * heads_ * head_stride_, fill, pool);
}

size_t AttentionTrace::row_offset(int layer, int head, int query) const {
  assert(layer >= 0 && layer < layers_ && head >= 0 && head < heads_ && "trace: bad layer/head");
  assert(query >= 0 && query < tokens_count() && "trace: bad query");
  const size_t q = static_cast<size_t>(query);
  const size_t within = causal_ ? q * (q + 1) / 2 : q * tokens_.size();
  return (static_cast<size_t>(layer) * heads_ + head) * head_stride_ + within;
}

std::span<const float> AttentionTrace::row(int layer, int head, int query) const {
  return {weights_->data() + row_offset(layer, head, query),
          static_cast<size_t>(row_length(query))};
}

std::span<float> AttentionTrace::mutable_row(int layer, int head, int query) {
  return {weights_->data() + row_offset(layer, head, query),
          static_cast<size_t>(row_length(query))};
}

float AttentionTrace::weight(int layer, int head, int query, int key) const {
  assert(key >= 0 && key < tokens_count() && "trace: bad key");
  if (key >= row_length(query)) return 0.0f;
  return (*weights_)[row_offset(layer, head, query) + key];
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
  qkv_ = allocate(static_cast<size_t>(layers_) * tokens_.size() * 3 * width, fill, pool);
}

void AttentionTrace::copy_prefix(const AttentionTrace& previous, int queries) {
  assert(causal_ && previous.causal_ && layers_ == previous.layers_ && heads_ == previous.heads_ &&
         queries <= tokens_count() && queries <= previous.tokens_count() &&
         "copy_prefix: needs a causal trace of the same shape");
  // Causal rows are packed, so the rows of queries 0..p-1 are the first p(p+1)/2 floats of a head.
  const size_t q = static_cast<size_t>(queries);
  const size_t rows = q * (q + 1) / 2;
  const int heads = layers_ * heads_;
#pragma omp parallel for schedule(static)
  for (int head = 0; head < heads; ++head)
    std::copy_n(previous.weights_->data() + head * previous.head_stride_, rows,
                weights_->data() + head * head_stride_);
  if (qkv_->empty() || previous.qkv_->empty()) return;
  assert(width_ == previous.width_ && "copy_prefix: Q/K/V of another width");
  const size_t row = 3 * static_cast<size_t>(width_);
#pragma omp parallel for schedule(static)
  for (int layer = 0; layer < layers_; ++layer)
    std::copy_n(previous.qkv(layer).data(), q * row, mutable_qkv(layer).data());
}

std::span<const float> AttentionTrace::qkv(int layer) const {
  const size_t n = tokens_.size() * 3 * width_;
  return {qkv_->data() + layer * n, n};
}

std::span<float> AttentionTrace::mutable_qkv(int layer) {
  const size_t n = tokens_.size() * 3 * width_;
  return {qkv_->data() + layer * n, n};
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
