// JSON export of a trace: what was run and the full attention tensor.
//
//   {"format": "attnviz-attention", "version": 1, "model": name,
//    "layers": L, "heads": H, "first_layer": l0, "first_head": h0, "causal": bool,
//    "options": {"causal_mask": null|bool, "scale_by_sqrt_dk": bool, "temperature": float},
//    "tokens": [{"id", "text", "start", "end", "special"}, …],
//    "shape": [L, H, T, T],
//    "attention": (L, H, T, T) nested lists of float32 (shortest round-trip form), rows = queries}
//
// L and H count the layers and heads written: all of them, or the slice that starts at layer
// l0 and head h0 (--layer/--head ranges). "start"/"end" are byte offsets into the input text;
// masked weights are 0.
#pragma once

#include <filesystem>
#include <string>

#include "core/attention_trace.h"
#include "core/export/tensor_data.h"
#include "core/result.h"

namespace attnviz {

// The JSON of a slice, streamed through `sink`.
Status write_attention_json(const AttentionTrace& trace, const TensorSlice& slice,
                            const ByteSink& sink, const RowProgress& progress = {});

// The whole trace's JSON in memory (small traces, tests).
std::string attention_json(const AttentionTrace& trace);

}  // namespace attnviz
