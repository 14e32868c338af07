#include "core/export/json.h"

#include <charconv>
#include <cmath>
#include <nlohmann/json.hpp>

#include "core/atomic_file.h"
#include "core/view/attention_reader.h"

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

std::string attention_json(const AttentionTrace& trace) {
  const AttentionReader reader(trace);
  const int t = trace.tokens_count();
  nlohmann::ordered_json head;
  head["format"] = "attnviz-attention";
  head["version"] = 1;
  head["model"] = trace.model_name;
  head["layers"] = trace.layers();
  head["heads"] = trace.heads();
  head["causal"] = trace.causal();
  nlohmann::ordered_json options;
  options["causal_mask"] = trace.options.causal_mask
                               ? nlohmann::ordered_json(*trace.options.causal_mask)
                               : nlohmann::ordered_json(nullptr);
  options["scale_by_sqrt_dk"] = trace.options.scale_by_sqrt_dk;
  options["temperature"] = trace.options.temperature;
  head["options"] = options;
  nlohmann::ordered_json tokens = nlohmann::ordered_json::array();
  for (const Token& token : trace.tokens()) {
    tokens.push_back({{"id", token.id},
                      {"text", token.text},
                      {"start", token.start},
                      {"end", token.end},
                      {"special", token.special}});
  }
  head["tokens"] = tokens;
  head["shape"] = {trace.layers(), trace.heads(), t, t};

  // The tensor is written by hand: nlohmann would widen each float to double and print
  // 17 digits, tripling the file for no information.
  std::string out = head.dump(1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
  out.pop_back();  // the closing brace
  while (!out.empty() && out.back() == '\n') out.pop_back();
  out += ",\n \"attention\": [";
  for (int l = 0; l < trace.layers(); ++l) {
    out += l ? ",\n  [" : "\n  [";
    for (int h = 0; h < trace.heads(); ++h) {
      out += h ? ",\n   [" : "\n   [";
      for (int q = 0; q < t; ++q) {
        out += q ? ",\n    [" : "\n    [";
        // Keys 0..visible-1; the rest are masked zeros.
        reader.visit_row(l, h, q, [&out, t](std::span<const float> row) {
          for (int k = 0; k < t; ++k) {
            if (k) out += ',';
            if (k < static_cast<int>(row.size())) {
              append_float(out, row[k]);
            } else {
              out += '0';
            }
          }
        });
        out += ']';
      }
      out += "]";
    }
    out += "]";
  }
  out += "]\n}\n";
  return out;
}

Status write_attention_json(const AttentionTrace& trace, const std::filesystem::path& path) {
  return write_file_atomic(path, attention_json(trace));
}

}  // namespace attnviz
