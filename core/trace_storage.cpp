#include "core/trace_storage.h"

#include <algorithm>
#include <cassert>

namespace attnviz {

std::shared_ptr<TraceBuffer> TraceStoragePool::take(size_t n) {
  auto idle = [](const Entry& entry) { return entry.buffer.use_count() == 1; };
  if (n * sizeof(float) > kMaxBuffer) {
    // A long text, where memory peaks: its buffers are not kept, and idle ones go first.
    std::erase_if(entries_, idle);
    auto buffer = std::make_shared<TraceBuffer>();
    buffer->floats.resize(n);
    return buffer;
  }
  Entry* chosen = nullptr;
  size_t idle_bytes = 0;
  // Idle buffers are those only the pool holds; the smallest that fits is taken.
  for (Entry& entry : entries_) {
    if (!idle(entry)) continue;
    const size_t room = entry.buffer->floats.capacity();
    idle_bytes += room * sizeof(float);
    if (room >= n && (!chosen || room < chosen->buffer->floats.capacity())) chosen = &entry;
  }
  std::shared_ptr<TraceBuffer> buffer;
  if (!chosen) {
    // A quarter more than asked, so the next traces of a growing text (typing) fit too; pages
    // nobody touches cost nothing.
    buffer = std::make_shared<TraceBuffer>();
    buffer->floats.reserve(n + n / 4);
    entries_.push_back({buffer, std::nullopt, {}});
  } else {
    buffer = chosen->buffer;
    idle_bytes -= buffer->floats.capacity() * sizeof(float);
    chosen->tag.reset();
    chosen->ids.clear();
  }
  // Past the budget, the largest idle buffers go back to the system.
  while (idle_bytes > kMaxIdle) {
    auto largest = entries_.end();
    for (auto it = entries_.begin(); it != entries_.end(); ++it)
      if (idle(*it) && (largest == entries_.end() ||
                        it->buffer->floats.capacity() > largest->buffer->floats.capacity()))
        largest = it;
    if (largest == entries_.end()) break;
    idle_bytes -= largest->buffer->floats.capacity() * sizeof(float);
    entries_.erase(largest);
  }
  buffer->floats.resize(n);
  return buffer;
}

TraceStoragePool::Entry* TraceStoragePool::find(const TraceBuffer* buffer) {
  for (Entry& entry : entries_)
    if (entry.buffer.get() == buffer) return &entry;
  return nullptr;
}

std::shared_ptr<TraceBuffer> TraceStoragePool::take_rows(size_t n, const RowsTag& tag,
                                                         std::span<const Token> tokens, int limit,
                                                         int* kept) {
  Entry* best = nullptr;
  size_t best_rows = 0;
  for (Entry& entry : entries_) {
    if (entry.buffer.use_count() != 1 || !entry.tag || !entry.tag->matches(tag)) continue;
    const size_t most = std::min({entry.ids.size(), tokens.size(), static_cast<size_t>(limit)});
    size_t rows = 0;
    while (rows < most && entry.ids[rows] == tokens[rows].id) ++rows;
    if (!best || rows > best_rows) best = &entry, best_rows = rows;
  }
  std::shared_ptr<TraceBuffer> buffer;
  // The same tag means the same layout, so the buffer has exactly n floats.
  if (best && best->buffer->floats.size() == n) {
    best->ids.resize(best_rows);
    buffer = best->buffer;
  } else {
    buffer = take(n);
    best_rows = 0;
  }
  if (Entry* entry = find(buffer.get())) entry->tag = tag;
  *kept = static_cast<int>(best_rows);
  return buffer;
}

void TraceStoragePool::mark_final(const TraceBuffer* buffer, std::span<const Token> tokens) {
  Entry* entry = buffer ? find(buffer) : nullptr;
  if (!entry || !entry->tag) return;
  entry->ids.resize(tokens.size());
  for (size_t i = 0; i < tokens.size(); ++i) entry->ids[i] = tokens[i].id;
}

const std::vector<int32_t>* TraceStoragePool::final_ids(const TraceBuffer* buffer) const {
  for (const Entry& entry : entries_)
    if (entry.buffer.get() == buffer) return &entry.ids;
  return nullptr;
}

RunStorage take_run_storage(TraceStoragePool& pool, std::span<const Token> tokens,
                            const TraceShape& shape, const RunOptions& options, bool keep_qkv,
                            bool keep_pre_rope, int rope_variant, int reuse_limit) {
  RunStorage run;
  TraceStorage& storage = run.storage;
  const int t = static_cast<int>(tokens.size());
  if (!shape.causal) {
    storage.positions = t;
    storage.weights = pool.take(AttentionTrace::weight_buffer_floats(shape, t));
    if (keep_qkv) storage.qkv = pool.take(AttentionTrace::qkv_buffer_floats(shape, t));
    if (keep_qkv && keep_pre_rope)
      storage.pre_rope = pool.take(AttentionTrace::pre_rope_buffer_floats(shape, t));
    return run;
  }
  // Room for 31 more positions, unless the buffers are too big for the pool to keep anyway.
  const int roomy = (t + 31) / 32 * 32;
  const size_t biggest = std::max(AttentionTrace::weight_buffer_floats(shape, roomy),
                                  keep_qkv ? AttentionTrace::qkv_buffer_floats(shape, roomy) : 0);
  const int p = biggest * sizeof(float) <= TraceStoragePool::kMaxBuffer ? roomy : t;
  storage.positions = p;
  RowsTag tag{RowsTag::Part::kAttention, p, options, rope_variant};
  int kept = 0;
  storage.weights = pool.take_rows(AttentionTrace::weight_buffer_floats(shape, p), tag, tokens,
                                   reuse_limit, &kept);
  run.kept_rows = kept;
  if (keep_qkv) {
    tag.part = RowsTag::Part::kQkv;
    storage.qkv = pool.take_rows(AttentionTrace::qkv_buffer_floats(shape, p), tag, tokens,
                                 reuse_limit, &kept);
    run.kept_rows = std::min(run.kept_rows, kept);
  }
  if (keep_qkv && keep_pre_rope) {
    tag.part = RowsTag::Part::kPreRope;
    storage.pre_rope = pool.take_rows(AttentionTrace::pre_rope_buffer_floats(shape, p), tag, tokens,
                                      reuse_limit, &kept);
    run.kept_rows = std::min(run.kept_rows, kept);
  }
  return run;
}

void copy_prefix(AttentionTrace& to, const AttentionTrace& from, int from_row, int rows) {
  assert(to.causal() && from.causal() && to.layers() == from.layers() &&
         to.heads() == from.heads() && rows <= to.tokens_count() && rows <= from.tokens_count() &&
         "copy_prefix: needs a causal trace of the same shape");
  if (from_row >= rows) return;
  // Causal rows are packed, so the rows of queries k..p-1 of a head are contiguous.
  const int heads = to.layers() * to.heads();
#pragma omp parallel for schedule(static)
  for (int index = 0; index < heads; ++index) {
    const int layer = index / to.heads(), head = index % to.heads();
    if (to.stores_weights() && from.stores_weights()) {
      const float* begin = from.row(layer, head, from_row).data();
      const float* end = from.row(layer, head, rows - 1).data() + rows;
      std::copy(begin, end, to.mutable_row(layer, head, from_row).data());
    } else if (to.stores_weights()) {
      for (int q = from_row; q < rows; ++q)
        from.recompute_row(layer, head, q, to.mutable_row(layer, head, q));
    }
    if (from.has_lse() && to.has_lse()) {
      for (int q = from_row; q < rows; ++q)
        to.mutable_lse(layer, head)[q] = from.row_lse(layer, head, q);
    }
  }
  auto copy_rows = [&](std::span<const float> source, std::span<float> target, int width) {
    std::copy(source.begin() + static_cast<size_t>(from_row) * width,
              source.begin() + static_cast<size_t>(rows) * width,
              target.begin() + static_cast<size_t>(from_row) * width);
  };
  if (to.has_qkv() && from.has_qkv()) {
    assert(to.shape().qkv_floats() == from.shape().qkv_floats() && "copy_prefix: other q/k/v");
    for (int layer = 0; layer < to.layers(); ++layer)
      copy_rows(from.qkv(layer), to.mutable_qkv(layer), to.shape().qkv_floats());
  }
  if (to.has_pre_rope() && from.has_pre_rope()) {
    for (int layer = 0; layer < to.layers(); ++layer)
      copy_rows(from.pre_rope(layer), to.mutable_pre_rope(layer), to.shape().pre_rope_floats());
  }
}

void mark_rows_final(TraceStoragePool& pool, const AttentionTrace& trace,
                     const TraceStorage& storage) {
  if (!trace.causal()) return;
  for (const TraceBuffer* buffer :
       {storage.weights.get(), storage.qkv.get(), storage.pre_rope.get()})
    pool.mark_final(buffer, trace.tokens());
}

}  // namespace attnviz
