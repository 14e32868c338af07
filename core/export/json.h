// JSON export of a trace: what was run and the full attention tensor.
//
//   {"format": "attnviz-attention", "version": 1, "model": name,
//    "layers": L, "heads": H, "causal": bool,
//    "options": {"causal_mask": null|bool, "scale_by_sqrt_dk": bool, "temperature": float},
//    "tokens": [{"id", "text", "start", "end", "special"}, …],
//    "shape": [L, H, T, T],
//    "attention": (L, H, T, T) nested lists of float32 (shortest round-trip form), rows = queries}
//
// "start"/"end" are byte offsets into the input text; masked weights are 0.
#pragma once

#include <filesystem>
#include <string>

#include "core/attention_trace.h"
#include "core/result.h"

namespace attnviz {

std::string attention_json(const AttentionTrace& trace);

Status write_attention_json(const AttentionTrace& trace, const std::filesystem::path& path);

}  // namespace attnviz
