#include "core/export/tensor_data.h"

#include <algorithm>
#include <bit>
#include <cstring>
#include <map>
#include <vector>

#include "core/attention_import.h"
#include "core/safetensors.h"
#include "core/view/attention_reader.h"

namespace attnviz {
namespace {

constexpr size_t kBlockBytes = 1 << 20;  // what a sink receives at a time
constexpr int kBlockRows = 64;           // rows recomputed together (HeadRows::rows)

std::string range_text(int first, int last) {
  return first == last ? std::to_string(first) : std::to_string(first) + "-" + std::to_string(last);
}

Status check_range(const char* what, int first, int last, int count) {
  if (first >= 0 && first <= last && last < count) return Ok{};
  return make_error(std::string(what) + " " + range_text(first, last) +
                    " are out of range: this trace has " + what + " 0 to " +
                    std::to_string(count - 1));
}

void append_f32_le(std::string& out, std::span<const float> values) {
  const size_t at = out.size();
  out.resize(at + values.size() * sizeof(float));
  char* dst = out.data() + at;
  if constexpr (std::endian::native == std::endian::little) {
    std::memcpy(dst, values.data(), values.size() * sizeof(float));
  } else {
    for (size_t k = 0; k < values.size(); ++k) {
      const auto bits = std::bit_cast<uint32_t>(values[k]);
      for (int b = 0; b < 4; ++b) dst[k * 4 + b] = static_cast<char>(bits >> (8 * b));
    }
  }
}

}  // namespace

TensorSlice TensorSlice::resolved(TensorDims dims) const {
  TensorSlice out = *this;
  if (out.layer_last < 0) out.layer_last = dims.layers - 1;
  if (out.head_last < 0) out.head_last = dims.heads - 1;
  return out;
}

bool TensorSlice::is_whole(TensorDims dims) const {
  const TensorSlice r = resolved(dims);
  return r.layer_first == 0 && r.layer_last == dims.layers - 1 && r.head_first == 0 &&
         r.head_last == dims.heads - 1;
}

Status check_slice(TensorDims dims, const TensorSlice& slice) {
  const TensorSlice r = slice.resolved(dims);
  if (Status s = check_range("layers", r.layer_first, r.layer_last, dims.layers); !s.ok()) return s;
  return check_range("heads", r.head_first, r.head_last, dims.heads);
}

std::array<int64_t, 4> slice_shape(TensorDims dims, const TensorSlice& slice) {
  const TensorSlice r = slice.resolved(dims);
  const int64_t t = dims.tokens;
  return {r.layers(), r.heads(), t, t};
}

uint64_t slice_weight_bytes(TensorDims dims, const TensorSlice& slice) {
  uint64_t bytes = sizeof(float);
  for (int64_t size : slice_shape(dims, slice)) bytes *= static_cast<uint64_t>(size);
  return bytes;
}

std::string slice_description(TensorDims dims, const TensorSlice& slice) {
  const TensorSlice r = slice.resolved(dims);
  const auto shape = slice_shape(dims, slice);
  std::string text;
  if (!slice.is_whole(dims)) {
    text = (r.layers() == 1 ? "layer " : "layers ") + range_text(r.layer_first, r.layer_last) +
           (r.heads() == 1 ? ", head " : ", heads ") + range_text(r.head_first, r.head_last) + ": ";
  }
  return text + "the (" + std::to_string(shape[0]) + ", " + std::to_string(shape[1]) + ", " +
         std::to_string(shape[2]) + ", " + std::to_string(shape[3]) + ") float32 tensor";
}

Status visit_slice_rows(const AttentionTrace& trace, const TensorSlice& slice,
                        const std::function<Status(std::span<const float>)>& visit,
                        const RowProgress& progress) {
  if (Status s = check_slice(dims_of(trace), slice); !s.ok()) return s;
  const TensorSlice r = slice.resolved(dims_of(trace));
  const AttentionReader reader(trace);
  const int t = trace.tokens_count();
  const int64_t total = static_cast<int64_t>(r.layers()) * r.heads() * t;
  int64_t done = 0;
  std::vector<float> buffer;
  for (int l = r.layer_first; l <= r.layer_last; ++l) {
    for (int h = r.head_first; h <= r.head_last; ++h) {
      const AttentionReader::HeadReader rows = reader.head_reader(l, h);
      for (int begin = 0; begin < t; begin += kBlockRows) {
        const int end = std::min(t, begin + kBlockRows);
        Status status = Ok{};
        rows.visit_rows(begin, end, buffer, [&](int, std::span<const float> row) {
          if (status.ok()) status = visit(row);
        });
        if (!status.ok()) return status;
        done += end - begin;
        if (progress && !progress(done, total)) return make_error("cancelled");
      }
    }
  }
  return Ok{};
}

Status stream_slice_f32(const AttentionTrace& trace, const TensorSlice& slice, const ByteSink& sink,
                        const RowProgress& progress) {
  const size_t t = static_cast<size_t>(trace.tokens_count());
  const std::vector<float> zeros(t, 0.0f);
  std::string block;
  block.reserve(kBlockBytes + t * sizeof(float));
  Status status = visit_slice_rows(
      trace, slice,
      [&](std::span<const float> row) -> Status {
        append_f32_le(block, row);
        append_f32_le(block, std::span<const float>(zeros).first(t - row.size()));
        if (block.size() < kBlockBytes) return Ok{};
        Status written = sink(block);
        block.clear();
        return written;
      },
      progress);
  if (!status.ok()) return status;
  return block.empty() ? Status(Ok{}) : sink(block);
}

Status write_attention_safetensors(const AttentionTrace& trace, const TensorSlice& slice,
                                   const ByteSink& sink, const RowProgress& progress) {
  if (Status s = check_slice(dims_of(trace), slice); !s.ok()) return s;
  const TensorSlice r = slice.resolved(dims_of(trace));
  TensorToWrite tensor;
  tensor.name = "attentions";
  tensor.dtype = DType::kF32;
  for (int64_t size : slice_shape(dims_of(trace), slice))
    tensor.shape.push_back(static_cast<uint64_t>(size));
  const std::map<std::string, std::string> metadata = {
      {"format", "attnviz-attention"},
      {"tokens", tokens_to_json(trace.tokens())},
      {"model_name", trace.model_name},
      {"causal", trace.causal() ? "true" : "false"},
      {"first_layer", std::to_string(r.layer_first)},
      {"first_head", std::to_string(r.head_first)},
  };
  Result<std::string> prefix = safetensors_prefix("attention.safetensors", {&tensor, 1}, metadata);
  if (!prefix.ok()) return prefix.error();
  if (Status written = sink(*prefix); !written.ok()) return written;
  return stream_slice_f32(trace, slice, sink, progress);
}

}  // namespace attnviz
