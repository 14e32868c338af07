// The data exports' one walk over a trace's weights: a slice of layers and heads (the whole
// (L, H, T, T) tensor by default), its shape and its size on disk, and its rows streamed in
// order through a sink a megabyte at a time. Nothing here holds more than one block of rows, so a
// tensor far larger than memory (72.5 GB at T = 8192 on a 30-layer, 9-head model) is written
// with the memory of a click.
//
// Legend: L layers, H heads, T tokens; rows are queries, masked keys are 0.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <string_view>

#include "core/attention_trace.h"
#include "core/result.h"

namespace attnviz {

// The sizes a slice is cut from: a trace's, or a model's and a text's before the run.
struct TensorDims {
  int layers = 0, heads = 0, tokens = 0;
};
inline TensorDims dims_of(const AttentionTrace& trace) {
  return {trace.layers(), trace.heads(), trace.tokens_count()};
}

// Layers [layer_first, layer_last] and heads [head_first, head_last], both inclusive, as the
// command line writes them ("--layer 2-5"); a negative last means "through the last one".
struct TensorSlice {
  int layer_first = 0, layer_last = -1;
  int head_first = 0, head_last = -1;

  // The same slice with every bound made explicit.
  TensorSlice resolved(TensorDims dims) const;
  bool is_whole(TensorDims dims) const;
  int layers() const { return layer_last - layer_first + 1; }  // of a resolved slice
  int heads() const { return head_last - head_first + 1; }
};

// An Error naming the bad bound and the valid range when the slice does not lie in `dims`.
Status check_slice(TensorDims dims, const TensorSlice& slice);

// (L', H', T, T) of the slice.
std::array<int64_t, 4> slice_shape(TensorDims dims, const TensorSlice& slice);
// The float32 bytes of the slice's weights: L' * H' * T * T * 4.
uint64_t slice_weight_bytes(TensorDims dims, const TensorSlice& slice);
// "the (30, 9, 8192, 8192) float32 tensor" or "layers 2-3, head 0: the (2, 1, 8192, 8192)
// float32 tensor", for size statements and refusals.
std::string slice_description(TensorDims dims, const TensorSlice& slice);

// Takes the next bytes of a file; an Error (disk full) stops the export.
using ByteSink = std::function<Status(std::string_view)>;
// Told (rows written, rows in all) after each block of rows; returning false stops the export
// with the Error "cancelled" (the app's Cancel button).
using RowProgress = std::function<bool(int64_t done, int64_t total)>;

// Calls visit(visible weights of one row) for every row of the slice in (layer, head, query)
// order; visible weights are keys 0..row_length(query)-1, the rest of the row is 0. Rows come
// from AttentionReader (stored, or recomputed in blocks: the same bits). Stops at the first
// Error visit returns.
Status visit_slice_rows(const AttentionTrace& trace, const TensorSlice& slice,
                        const std::function<Status(std::span<const float>)>& visit,
                        const RowProgress& progress = {});

// The slice's rows as float32 little-endian, each padded with zeros to T keys, into `sink` in
// blocks of about 1 MB: the data of an NPY or safetensors file.
Status stream_slice_f32(const AttentionTrace& trace, const TensorSlice& slice, const ByteSink& sink,
                        const RowProgress& progress = {});

// A safetensors file of one F32 tensor "attentions" (L', H', T, T) with the metadata the
// importer reads back (format, tokens, model_name, causal, and the slice's first layer and
// head), written through `sink`.
Status write_attention_safetensors(const AttentionTrace& trace, const TensorSlice& slice,
                                   const ByteSink& sink, const RowProgress& progress = {});

}  // namespace attnviz
