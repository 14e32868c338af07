#include "core/forward_pass.h"

#include <algorithm>
#include <atomic>
#include <cassert>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <string>

#include "core/ops.h"

#ifdef _OPENMP
#include <omp.h>
#endif

namespace attnviz {
namespace {

using RowMatrix = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
using MatrixMap = Eigen::Map<RowMatrix>;
using ConstStridedMap = Eigen::Map<const RowMatrix, 0, Eigen::OuterStride<>>;

// The thread count the process started with (OMP_NUM_THREADS or the cores), read when the
// program loads, so neither a ThreadLimit in force nor run_serially_on_this_thread() on the
// thread that asks first lowers it.
const int kStartThreads = max_threads();

// Grows a buffer to n floats; never shrinks, so later shorter runs reuse the memory.
template <class Vector>
void grow(Vector& buffer, size_t n) {
  if (buffer.size() < n) buffer.resize(n);
}

}  // namespace

void ForwardScratch::reserve(const ModelConfig& config, int tokens, int rows, bool own_qkv) {
  const size_t n = static_cast<size_t>(rows), c = static_cast<size_t>(config.width);
  grow(residual, n * c);
  grow(normed, n * c);
  grow(attention, n * c);
  grow(mlp, n * c);
  grow(moved, std::min<size_t>(n, kMlpRows) * c);
  grow(context, n * static_cast<size_t>(config.query_width()));
  grow(mlp_hidden, std::min<size_t>(n, kMlpRows) * 2 * static_cast<size_t>(config.inner));
  const size_t qkv_floats = static_cast<size_t>(config.query_width() + 2 * config.kv_width());
  if (own_qkv) grow(qkv, static_cast<size_t>(tokens) * qkv_floats);
  const size_t keys = static_cast<size_t>(tokens + 2 * score_lanes());
  grow(keys_t, static_cast<size_t>(config.kv_heads) * config.head_width * keys);
  grow(probs, static_cast<size_t>(max_threads()) * kQueryBlock * keys);
}

Status validate_run(const ModelConfig& config, std::span<const Token> tokens,
                    const RunOptions& options) {
  if (tokens.empty()) return make_error("no tokens: the text is empty, nothing to run");
  if (tokens.size() > static_cast<size_t>(config.max_positions))
    return make_error(std::to_string(tokens.size()) + " tokens, but the model " + config.name +
                      " reads at most " + std::to_string(config.max_positions) +
                      " (max_positions); shorten the text");
  for (size_t i = 0; i < tokens.size(); ++i) {
    if (tokens[i].id < 0 || tokens[i].id >= config.vocab_size)
      return make_error("token " + std::to_string(i) + " has id " + std::to_string(tokens[i].id) +
                        ", outside the vocabulary of " + std::to_string(config.vocab_size));
  }
  if (!(options.temperature > 0.0f) || !std::isfinite(options.temperature))
    return make_error("softmax temperature must be a number > 0, got " +
                      std::to_string(options.temperature));
  for (size_t i = 0; i < options.ablations.size(); ++i) {
    const HeadAblation& a = options.ablations[i];
    if (a.layer < 0 || a.layer >= config.layers || a.head < 0 || a.head >= config.heads)
      return make_error("ablated head " + std::to_string(a.layer) + "." + std::to_string(a.head) +
                        " is outside the model " + config.name + " (layers 0-" +
                        std::to_string(config.layers - 1) + ", heads 0-" +
                        std::to_string(config.heads - 1) + ")");
    for (size_t j = 0; j < i; ++j)
      if (options.ablations[j].layer == a.layer && options.ablations[j].head == a.head)
        return make_error("head " + std::to_string(a.layer) + "." + std::to_string(a.head) +
                          " is ablated twice");
  }
  if (options.top_predictions < 0)
    return make_error("top_predictions must be >= 0, got " +
                      std::to_string(options.top_predictions));
  return Ok{};
}

std::vector<ScoreRule> score_rules(const ModelConfig& config, const RunOptions& options,
                                   bool causal) {
  std::vector<ScoreRule> rules(config.layers);
  for (int layer = 0; layer < config.layers; ++layer) {
    double scale = 1.0;
    if (options.scale_by_sqrt_dk && config.scale_attn_weights)
      scale = config.query_pre_attn_scalar ? std::pow(*config.query_pre_attn_scalar, -0.5)
                                           : std::pow(static_cast<double>(config.head_width), -0.5);
    if (config.scale_attn_by_inverse_layer_idx) scale /= layer + 1;
    ScoreRule& rule = rules[layer];
    rule.causal = causal;
    rule.window = config.window(layer);
    rule.softcap = config.attn_softcap;
    // Soft-capping bends the scaled score; the temperature divides what the softmax sees.
    if (rule.softcap > 0.0f)
      rule.after_cap = static_cast<float>(1.0 / options.temperature);
    else
      scale /= options.temperature;
    rule.scale = static_cast<float>(scale);
  }
  return rules;
}

int rope_variant(const ModelConfig& config, int tokens) {
  const RopeConfig& rope = config.rope;
  if (!config.rotary || rope.type != RopeConfig::Type::kLongRope) return 0;
  return tokens > rope.original_max_positions ? 1 : 0;
}

int reusable_prefix(std::span<const Token> tokens, const RunOptions& options, bool causal,
                    const AttentionTrace* previous, bool same_rope) {
  if (!previous || !causal || !previous->causal() || !same_rope) return 0;
  if (!options.same_math(previous->options) || !options.keep_qkv || !previous->has_qkv()) return 0;
  // A mean-ablated head's output at every position depends on the whole text.
  for (const HeadAblation& ablation : options.ablations)
    if (ablation.kind == HeadAblation::Kind::kMean) return 0;
  if (options.top_predictions != previous->options.top_predictions) return 0;
  if (options.keep_hidden_states && previous->hidden_states.empty()) return 0;
  int limit = std::min<int>(static_cast<int>(tokens.size()) - 1, previous->tokens_count());
  if (previous->predictions_pending()) limit = std::min(limit, previous->pending_from);
  int p = 0;
  while (p < limit && tokens[p].id == previous->tokens()[p].id) ++p;
  return p;
}

double load_average() {
  // Read at most once a second: a keystroke's run must not wait on /proc.
  static std::atomic<int64_t> read_at{-1};
  static std::atomic<double> load{0.0};
  const int64_t now = std::chrono::duration_cast<std::chrono::seconds>(
                          std::chrono::steady_clock::now().time_since_epoch())
                          .count();
  if (read_at.exchange(now) != now) {
    double value = 0.0;
    if (std::FILE* file = std::fopen("/proc/loadavg", "r")) {
      if (std::fscanf(file, "%lf", &value) != 1) value = 0.0;
      std::fclose(file);
    }
    load = value;
  }
  return load;
}

int threads_for_work(double weight_bytes, double multiply_adds, int rows) {
  // One thread for small runs (below ~5 ms of one core) of small models: on a machine doing
  // other work every parallel region can wait a scheduler slice for a descheduled helper
  // thread, which made 4 ms runs of the built-in model take 100-300 ms on two threads. Big
  // models keep every core, even for one appended token (bound by reading the weights, which
  // two cores do faster), unless the machine's cores are all taken: then an appended token's
  // hundred short parallel products each wait for a descheduled thread (Qwen2.5-0.5B at
  // T = 256 under a load of 7 on 2 cores: 540-1060 ms on two threads, 50-65 ms on one).
  constexpr double kWorkPerThread = 200e6, kBigWeights = 64e6;
  constexpr int kFewRows = 16;
  if (multiply_adds < kWorkPerThread && weight_bytes < kBigWeights) return 1;
  if (rows < kFewRows && load_average() >= kStartThreads) return 1;
  return kStartThreads;
}

ThreadLimit::ThreadLimit(int threads) {
#ifdef _OPENMP
  saved_ = omp_get_max_threads();
  omp_set_num_threads(threads);
#else
  (void)threads;
#endif
}

ThreadLimit::~ThreadLimit() {
#ifdef _OPENMP
  omp_set_num_threads(saved_);
#endif
}

ForwardPass::ForwardPass(const ModelConfig& config, const ModelWeights& weights,
                         const RunPlan& plan, AttentionTrace& trace, ForwardScratch& scratch,
                         const RopeTables& rope, std::span<const Token> tokens)
    : config_(config),
      row_(architecture_row(config.architecture)),
      weights_(weights),
      plan_(plan),
      trace_(trace),
      scratch_(scratch),
      rope_(rope),
      tokens_(tokens) {}

void norm_rows(float* out, const float* in, int rows, NormKind kind, const NormWeights& w,
               const ModelConfig& config) {
  assert(w.present() && "norm: the family has no such norm");
  const int c = config.width;
  const float eps = config.layer_norm_epsilon;
  switch (kind) {
    case NormKind::kLayerNorm:
      layer_norm(out, in, w.gain.data(), w.bias.data(), rows, c, eps);
      break;
    case NormKind::kRmsNorm:
    case NormKind::kRmsNormPlusOne:
      rms_norm(out, in, w.gain.data(), rows, c, eps, kind == NormKind::kRmsNormPlusOne, c);
      break;
  }
}

void ForwardPass::norm(float* out, const float* in, const NormWeights& w) {
  norm_rows(out, in, rows(), row_.norm, w, config_);
}

void ForwardPass::self_attention(float* out, const float* in, int layer) {
  const LayerWeights& w = weights_.layers[layer];
  const int n = rows(), p = plan_.first, d = config_.head_width;
  const int heads = config_.heads, kv_heads = config_.kv_heads;
  const size_t stride = static_cast<size_t>(config_.query_width() + 2 * config_.kv_width());
  float* qkv = trace_.has_qkv() ? trace_.mutable_qkv(layer).data() : scratch_.qkv.data();
  float* rows_qkv = qkv + static_cast<size_t>(p) * stride;  // (N, (H + 2G)·D), rows p..T−1
  float* keys = rows_qkv + static_cast<size_t>(heads) * d;

  dense(rows_qkv, in, n, w.qkv);  // [q | k | v]
  const bool plus_one = row_.norm == NormKind::kRmsNormPlusOne;
  const float eps = config_.layer_norm_epsilon;
  if (w.query_norm.present())  // per head, over D, before RoPE (Qwen 3, Gemma 3)
    for (int h = 0; h < heads; ++h)
      rms_norm(rows_qkv + h * d, rows_qkv + h * d, w.query_norm.gain.data(), n, d, eps, plus_one,
               stride);
  if (w.key_norm.present())
    for (int g = 0; g < kv_heads; ++g)
      rms_norm(keys + g * d, keys + g * d, w.key_norm.gain.data(), n, d, eps, plus_one, stride);
  if (config_.rotary) {
    if (trace_.has_pre_rope()) {
      const size_t pre_stride = static_cast<size_t>(config_.query_width() + config_.kv_width());
      float* pre = trace_.mutable_pre_rope(layer).data() + static_cast<size_t>(p) * pre_stride;
      for (int r = 0; r < n; ++r)
        std::copy_n(rows_qkv + r * stride, pre_stride, pre + r * pre_stride);
    }
    const RopeTable& table = rope_.of(config_, layer);
    rotate_heads(rows_qkv, n, stride, heads, d, table, p);
    rotate_heads(keys, n, stride, kv_heads, d, table, p);
  }
  attend_layer(scratch_.context.data(), trace_, qkv, layer, config_, plan_, scratch_);
  if (!plan_.ablations.empty()) ablate_heads(scratch_.context.data(), layer);
  dense(out, scratch_.context.data(), n, w.attention_output);
  if (trace_.has_value_norms()) value_norms(qkv, layer);
}

void ForwardPass::value_norms(const float* qkv, int layer) {
  const DenseWeights& w = weights_.layers[layer].attention_output;  // H·D → C
  const int n = rows(), p = plan_.first, t = plan_.tokens, d = config_.head_width;
  const int heads = config_.heads, kv_heads = config_.kv_heads, groups = config_.kv_groups();
  const int c = config_.width, in = config_.query_width();
  const size_t stride = static_cast<size_t>(config_.query_width() + 2 * config_.kv_width());
  const float* weight = static_cast<const float*>(w.weight);
  if (w.type != WeightType::kF32) {
    scratch_.output_weights.resize(static_cast<size_t>(in) * c);
    widen(scratch_.output_weights.data(), w.weight, scratch_.output_weights.size(), w.type);
    weight = scratch_.output_weights.data();
  }
  // Rows in chunks of kMlpRows: one chunk's (rows, C) product at a time, not (N, C).
  for (int h = 0; h < heads; ++h) {
    const int g = h / groups;
    float* norms = trace_.value_norms.data() + (static_cast<size_t>(layer) * heads + h) * t + p;
    for (int from = 0; from < n; from += kMlpRows) {
      const int count = std::min(kMlpRows, n - from);
      ConstStridedMap values(qkv + static_cast<size_t>(p + from) * stride +
                                 static_cast<size_t>(heads + kv_heads + g) * d,
                             count, d, Eigen::OuterStride<>(stride));  // with the value bias
      MatrixMap moved(scratch_.moved.data(), count, c);              // v_j W_O^h
      if (w.out_major) {  // (C, H·D): head h's columns, transposed
        ConstStridedMap slice(weight + static_cast<size_t>(h) * d, c, d, Eigen::OuterStride<>(in));
        moved.noalias() = values * slice.transpose();
      } else {  // (H·D, C): head h's rows
        ConstStridedMap slice(weight + static_cast<size_t>(h) * d * c, d, c,
                              Eigen::OuterStride<>(c));
        moved.noalias() = values * slice;
      }
      for (int r = 0; r < count; ++r) {
        double sum = 0.0;
        for (int i = 0; i < c; ++i) sum += static_cast<double>(moved(r, i)) * moved(r, i);
        norms[from + r] = static_cast<float>(std::sqrt(sum));
      }
    }
  }
}

void ForwardPass::ablate_heads(float* context, int layer) {
  const int n = rows(), d = config_.head_width;
  const size_t stride = static_cast<size_t>(config_.query_width());
  for (const HeadAblation& ablation : plan_.ablations) {
    if (ablation.layer != layer) continue;
    float* column = context + static_cast<size_t>(ablation.head) * d;  // (N, D) at stride H·D
    if (ablation.kind == HeadAblation::Kind::kZero) {
      for (int r = 0; r < n; ++r) std::fill_n(column + r * stride, d, 0.0f);
      continue;
    }
    assert(plan_.first == 0 && "mean ablation needs every position of the text");
    std::vector<double> sum(static_cast<size_t>(d), 0.0);
    for (int r = 0; r < n; ++r)
      for (int i = 0; i < d; ++i) sum[i] += column[r * stride + i];
    for (int r = 0; r < n; ++r)
      for (int i = 0; i < d; ++i) column[r * stride + i] = static_cast<float>(sum[i] / n);
  }
}

void ForwardPass::mlp(float* out, const float* in, int layer) {
  // In chunks of kMlpRows rows: the (rows, 2I) hidden activations of a long text need not exist
  // whole (SmolLM2-135M at T = 8192: 100 MB).
  const size_t c = width();
  for (int first = 0; first < rows(); first += kMlpRows) {
    const int n = std::min(kMlpRows, rows() - first);
    mlp_rows(out + first * c, in + first * c, n, layer);
  }
}

void ForwardPass::mlp_rows(float* out, const float* in, int n, int layer) {
  const LayerWeights& w = weights_.layers[layer];
  const int inner = config_.inner;
  float* hidden = scratch_.mlp_hidden.data();
  dense(hidden, in, n, w.mlp_in);
  auto activate = [&](float* values, size_t count) {
    switch (config_.activation) {
      case Activation::kGeluTanh:
        gelu_new(values, count);
        break;
      case Activation::kGeluExact:
        gelu_exact(values, count);
        break;
      case Activation::kSilu:
        silu(values, count);
        break;
    }
  };
  if (row_.mlp == MlpKind::kGated) {
    // [gate | up] per row → act(gate) · up, packed into the first I floats of each row.
    const size_t row = 2 * static_cast<size_t>(inner);
#pragma omp parallel for schedule(static) if (n >= 16)
    for (int r = 0; r < n; ++r) {
      float* gate = hidden + r * row;
      activate(gate, inner);
      multiply_in_place(gate, gate + inner, inner);
    }
    for (int r = 1; r < n; ++r)
      std::copy_n(hidden + r * row, inner, hidden + static_cast<size_t>(r) * inner);
  } else {
    activate(hidden, static_cast<size_t>(n) * inner);
  }
  dense(out, hidden, n, w.mlp_out);
}

void ForwardPass::add(float* x, const float* branch) {
  add_in_place(x, branch, static_cast<size_t>(rows()) * config_.width);
}

void ForwardPass::embed_tokens(float* out) {
  const WeightTensor& table = *weights_.token_embedding;
  const size_t c = width(), row_bytes = c * weight_type_bytes(table.type);
  for (int r = 0; r < rows(); ++r) {
    const size_t id = static_cast<size_t>(tokens_[plan_.first + r].id);
    widen(out + r * c, static_cast<const uint8_t*>(table.data()) + id * row_bytes, c, table.type);
  }
}

void ForwardPass::add_positions(float* out, const WeightTensor& table) {
  // Rows p..T−1 of the table are contiguous: widen them at once into a free (N, C) buffer.
  const size_t c = width(), n = static_cast<size_t>(rows()) * c;
  const size_t row_bytes = c * weight_type_bytes(table.type);
  float* positions = scratch_.mlp.data();
  widen(positions, static_cast<const uint8_t*>(table.data()) + plan_.first * row_bytes, n,
        table.type);
  add_in_place(out, positions, n);
}

}  // namespace attnviz
