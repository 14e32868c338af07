#include "core/export/json.h"

#include <array>
#include <charconv>
#include <cmath>
#include <nlohmann/json.hpp>

#include "core/attention_import.h"

namespace attnviz {
namespace {

// Shortest text that reads back as the same float32; JSON has no NaN or infinity: null.
void append_float(std::string& out, float value) {
  if (!std::isfinite(value)) {
    out += "null";
    return;
  }
  char buffer[32];
  const auto result = std::to_chars(buffer, buffer + sizeof buffer, value);
  out.append(buffer, result.ptr);
}

}  // namespace

Status write_attention_json(const AttentionTrace& trace, const TensorSlice& slice,
                            const ByteSink& sink, const RowProgress& progress) {
  if (Status s = check_slice(dims_of(trace), slice); !s.ok()) return s;
  const TensorSlice r = slice.resolved(dims_of(trace));
  const std::array<int64_t, 4> shape = slice_shape(dims_of(trace), slice);
  nlohmann::ordered_json head;
  head["format"] = "attnviz-attention";
  head["version"] = 1;
  head["model"] = trace.model_name;
  head["layers"] = shape[0];
  head["heads"] = shape[1];
  head["first_layer"] = r.layer_first;
  head["first_head"] = r.head_first;
  head["causal"] = trace.causal();
  nlohmann::ordered_json options;
  options["causal_mask"] = trace.options.causal_mask
                               ? nlohmann::ordered_json(*trace.options.causal_mask)
                               : nlohmann::ordered_json(nullptr);
  options["scale_by_sqrt_dk"] = trace.options.scale_by_sqrt_dk;
  options["temperature"] = trace.options.temperature;
  head["options"] = options;
  nlohmann::ordered_json tokens = nlohmann::ordered_json::array();
  for (const Token& token : trace.tokens()) tokens.push_back(token_to_json(token));
  head["tokens"] = tokens;
  head["shape"] = shape;

  // The tensor is written by hand: nlohmann would widen each float to double and print
  // 17 digits, tripling the file for no information. Rows go to the sink in blocks of ~1 MB.
  std::string out = head.dump(1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
  out.pop_back();  // the closing brace
  while (!out.empty() && out.back() == '\n') out.pop_back();
  out += ",\n \"attention\": [";
  const int t = trace.tokens_count();
  int64_t row = 0;
  const int64_t rows_per_head = t, rows_per_layer = static_cast<int64_t>(r.heads()) * t;
  Status status = visit_slice_rows(
      trace, slice,
      [&](std::span<const float> weights) -> Status {
        // Opening brackets of a new layer, head and row.
        if (row % rows_per_layer == 0) out += row ? ",\n  [" : "\n  [";
        if (row % rows_per_head == 0) out += row % rows_per_layer ? ",\n   [" : "\n   [";
        out += row % rows_per_head ? ",\n    [" : "\n    [";
        for (int k = 0; k < t; ++k) {  // keys 0..visible-1; the rest are masked zeros
          if (k) out += ',';
          if (k < static_cast<int>(weights.size())) {
            append_float(out, weights[k]);
          } else {
            out += '0';
          }
        }
        out += ']';
        ++row;
        if (row % rows_per_head == 0) out += ']';
        if (row % rows_per_layer == 0) out += ']';
        if (out.size() < (1u << 20)) return Ok{};
        Status written = sink(out);
        out.clear();
        return written;
      },
      progress);
  if (!status.ok()) return status;
  out += "]\n}\n";
  return sink(out);
}

std::string attention_json(const AttentionTrace& trace) {
  std::string file;
  const Status done = write_attention_json(trace, {}, [&file](std::string_view bytes) -> Status {
    file.append(bytes);
    return Ok{};
  });
  (void)done;  // the whole slice is always valid, and appending cannot fail
  return file;
}

}  // namespace attnviz
