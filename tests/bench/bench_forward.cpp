// Speed of the forward pass at GPT-2-small shape (random weights built in memory, no files),
// against this machine's single-precision GEMM peak measured the same way (Eigen sgemm).
//
//   bench_forward --benchmark_min_time=0.5
//
// Counters: GFLOP/s = 2·(multiply-adds) of every matmul (projections, MLP, causal attention
// scores and weighted values, LM head) per second of wall time; peak_fraction = GFLOP/s over
// the best GEMM rate; peak_rss_MB = VmHWM after a T=1024 run (weights + trace + scratch).
//
// Legend: T tokens, C width, L layers, H heads, I MLP width, V vocabulary.
#include <benchmark/benchmark.h>

#include <chrono>
#include <fstream>
#include <memory>
#include <string>

#include "core/models/architecture.h"
#include "core/ops.h"
#include "core/transformer_model.h"

namespace attnviz {
namespace {

ModelConfig gpt2_small() {
  ModelConfig config;
  config.architecture = Architecture::kGpt2;
  config.name = "gpt2-small-random";
  config.vocab_size = 50257;
  config.max_positions = 1024;
  config.width = 768;
  config.layers = 12;
  config.heads = 12;
  config.inner = 3072;
  config.layer_norm_epsilon = 1e-5f;
  config.kv_heads = 12;
  config.head_width = 64;
  config.qkv_bias = config.output_bias = config.mlp_bias = true;
  config.layer_kinds.assign(config.layers, LayerKind::kGlobal);
  return config;
}

TransformerModel& model() {
  static std::unique_ptr<TransformerModel> instance =
      TransformerModel::random(gpt2_small(), 7, ids_only_tokenizer(50257, "benchmark"));
  return *instance;
}

std::vector<Token> tokens(int t, int salt = 0) {
  std::vector<Token> out(t);
  for (int i = 0; i < t; ++i) out[i].id = (i * 7919 + salt * 104729 + 13) % 50257;
  return out;
}

// Multiply-adds ×2 of one forward over positions [first, T) of a T-token causal run.
double forward_flops(const ModelConfig& c, int t, int first = 0) {
  const double n = t - first;
  const double dense = 2.0 * n * c.width * (3.0 * c.width + c.width + 2.0 * c.inner);
  // Causal: query q sees q + 1 keys; scores and weighted values both cost D per (q, k) per head.
  const double pairs =
      (static_cast<double>(t) * (t + 1) - static_cast<double>(first) * (first + 1)) / 2;
  const double attention = 2.0 * 2.0 * pairs * c.width;
  const double lm_head = 2.0 * n * c.width * c.vocab_size;
  return c.layers * (dense + attention) + lm_head;
}

// An (m, k)·(k, n) sgemm through ops' dense(): the same Eigen product the model runs.
struct Gemm {
  std::vector<float> a, b, c;
  int m, k, n;
  Gemm(int m, int k, int n)
      : a(static_cast<size_t>(m) * k, 0.5f),
        b(static_cast<size_t>(k) * n, 0.25f),
        c(static_cast<size_t>(m) * n),
        m(m),
        k(k),
        n(n) {}
  void run() {
    dense(c.data(), a.data(), m, DenseWeights{b.data(), nullptr, k, n, /*out_major=*/false});
    benchmark::DoNotOptimize(c.data());
  }
  double flops() const { return 2.0 * m * k * n; }
};

double gemm_seconds(int m, int k, int n) {
  Gemm gemm(m, k, n);
  double best = 1e30;
  for (int rep = 0; rep < 5; ++rep) {
    const auto start = std::chrono::steady_clock::now();
    gemm.run();
    best = std::min(
        best, std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  }
  return best;
}

// Best sgemm rate over the shapes the model uses most, in GFLOP/s (measured once).
double gemm_peak_gflops() {
  static const double peak = [] {
    const double a = 2.0 * 1024 * 768 * 3072 / gemm_seconds(1024, 768, 3072);
    const double b = 2.0 * 2048 * 2048 * 2048 / gemm_seconds(2048, 2048, 2048);
    return std::max(a, b) / 1e9;
  }();
  return peak;
}

long peak_rss_kb() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line))
    if (line.rfind("VmHWM:", 0) == 0) return std::stol(line.substr(6));
  return -1;
}

void report_rate(benchmark::State& state, double flops) {
  state.counters["GFLOP/s"] =
      benchmark::Counter(flops / 1e9, benchmark::Counter::kIsIterationInvariantRate);
  state.counters["GFLOP"] = flops / 1e9;
}

void BM_GemmPeak(benchmark::State& state) {
  Gemm gemm(state.range(0), state.range(1), state.range(2));
  for (auto _ : state) gemm.run();
  report_rate(state, gemm.flops());
}
BENCHMARK(BM_GemmPeak)
    ->Args({1024, 768, 3072})
    ->Args({2048, 2048, 2048})
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);

// One dense layer of the Qwen2.5-0.5B shape (rows 512 or 1: a full run or an appended token),
// weights (out, in) stored as F32 (0) or BF16 (1): the cost of widening 16-bit weights.
void BM_Dense(benchmark::State& state) {
  const int rows = state.range(0), in = state.range(1), out = state.range(2);
  const bool bf16 = state.range(3) != 0;
  std::vector<float> x(static_cast<size_t>(rows) * in, 0.5f), y(static_cast<size_t>(rows) * out);
  std::vector<float> w32(static_cast<size_t>(in) * out, 0.25f);
  std::vector<uint16_t> w16(w32.size(), 0x3E80);  // 0.25 in bfloat16
  const DenseWeights weights{bf16 ? static_cast<const void*>(w16.data()) : w32.data(),
                             nullptr,
                             in,
                             out,
                             /*out_major=*/true,
                             bf16 ? WeightType::kBF16 : WeightType::kF32};
  for (auto _ : state) {
    dense(y.data(), x.data(), rows, weights);
    benchmark::DoNotOptimize(y.data());
  }
  report_rate(state, 2.0 * rows * in * out);
  state.counters["GB/s"] = benchmark::Counter(static_cast<double>(in) * out * (bf16 ? 2 : 4) / 1e9,
                                              benchmark::Counter::kIsIterationInvariantRate);
}
BENCHMARK(BM_Dense)
    ->Args({512, 896, 4864, 0})
    ->Args({512, 896, 4864, 1})
    ->Args({512, 4864, 896, 0})
    ->Args({512, 4864, 896, 1})
    ->Args({1, 896, 4864, 0})
    ->Args({1, 896, 4864, 1})
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);

void BM_Forward(benchmark::State& state) {
  TransformerModel& gpt2 = model();
  const int t = state.range(0);
  const auto input = tokens(t);
  RunOptions options;              // defaults: keep Q/K/V, top-10 predictions
  (void)gpt2.run(input, options);  // warm-up: scratch buffers, thread pool, page mappings
  for (auto _ : state) {
    auto trace = gpt2.run(input, options);
    if (!trace.ok()) state.SkipWithError(trace.error().message.c_str());
    benchmark::DoNotOptimize(trace);
  }
  const double flops = forward_flops(gpt2.config(), t);
  report_rate(state, flops);
  state.counters["peak_fraction"] = benchmark::Counter(
      flops / 1e9 / gemm_peak_gflops(), benchmark::Counter::kIsIterationInvariantRate);
  state.counters["gemm_peak_GFLOP/s"] = gemm_peak_gflops();
  if (t == 1024) state.counters["peak_rss_MB"] = peak_rss_kb() / 1024.0;
}
BENCHMARK(BM_Forward)
    ->Arg(128)
    ->Arg(256)
    ->Arg(512)
    ->Arg(1024)
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);

// Appending one token to a 255-token run: positions 0..254 come from the previous trace.
// Second argument: next-token predictions per position (10 in the app, 0 = attention only).
void BM_AppendOneToken(benchmark::State& state) {
  TransformerModel& gpt2 = model();
  const int t = state.range(0);
  RunOptions options;
  options.top_predictions = static_cast<int>(state.range(1));
  const auto input = tokens(t);
  const std::vector<Token> before(input.begin(), input.end() - 1);
  auto previous = gpt2.run(before, options);
  if (!previous.ok()) {
    state.SkipWithError(previous.error().message.c_str());
    return;
  }
  (void)gpt2.run(input, options, previous->get());  // warm-up
  int reused = 0, copied = 0;
  for (auto _ : state) {
    auto trace = gpt2.run(input, options, previous->get());
    if (!trace.ok()) state.SkipWithError(trace.error().message.c_str());
    reused = (*trace)->timings.reused_positions;
    copied = (*trace)->timings.copied_positions;
  }
  state.counters["reused"] = reused;
  // Reused rows copied from the previous trace: 0 here, as the last iteration's storage already
  // holds them (typing in the app copies the one or two rows it changed since the trace before).
  state.counters["copied"] = copied;
  report_rate(state, forward_flops(gpt2.config(), t, reused));
}
BENCHMARK(BM_AppendOneToken)
    ->Args({256, 10})
    ->Args({256, 0})
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace attnviz

BENCHMARK_MAIN();
