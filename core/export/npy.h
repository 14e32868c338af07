// NPY export of attention: format version 1.0, float32 little-endian, C order, shape
// (L, H, T, T) or a slice of it, rows = queries; masked weights are 0. numpy.load reads it
// directly.
#pragma once

#include <cstdint>
#include <filesystem>
#include <span>
#include <string>

#include "core/attention_trace.h"
#include "core/export/tensor_data.h"
#include "core/result.h"

namespace attnviz {

// The NPY v1.0 header for a little-endian float32 C-order array: magic, version, header length
// and the dict, padded with spaces and a final newline so the data starts on a multiple of 64
// bytes (numpy's ARRAY_ALIGN).
std::string npy_header_f32(std::span<const int64_t> shape);

// An .npy file of a slice's (L', H', T, T) weights, streamed through `sink`.
Status write_attention_npy(const AttentionTrace& trace, const TensorSlice& slice,
                           const ByteSink& sink, const RowProgress& progress = {});

// A whole .npy file of the trace's (L, H, T, T) weights, in memory (small traces, tests).
std::string attention_npy(const AttentionTrace& trace);

}  // namespace attnviz
