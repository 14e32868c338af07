// Speed and memory on real model shapes with random weights read from disk, the figures of
// issue 12, to set beside PyTorch's on the same checkpoint in the same minutes:
//
//   python3 tools/bench_checkpoints.py /tmp/attnviz_bench     # once: the checkpoints
//   ATTNVIZ_BENCH_MODELS=/tmp/attnviz_bench bench_checkpoints --benchmark_filter=Qwen
//   /usr/bin/python3 tools/torch_forward_bench.py /tmp/attnviz_bench/qwen2.5-0.5b --tokens 512
//
// Benchmarks (each loads its checkpoint once, without a tokenizer):
//   Forward/<model>/T/top      a full run of T tokens with `top` predictions per position (0:
//                              attention, Q/K/V and hidden states only, as an export needs)
//   Append/<model>/T/top       one token appended to a T − 1 token run (the prefix cache)
//   TopK/<model>               the LM head and top-10 of one row (typing's predictions)
// Time is wall time; CPU is the whole process's (every thread), less sensitive to a busy machine.
// Counters: peak_rss_MB = VmHWM of the process so far (run one model per process for the
// memory figure), file_MB = the checkpoint, attention_MB = the trace's stored weights.
//
// Legend: T tokens, C width, V vocabulary.
#include <benchmark/benchmark.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <string>

#include "core/transformer_model.h"

namespace attnviz {
namespace {

namespace fs = std::filesystem;

fs::path models_folder() {
  const char* folder = std::getenv("ATTNVIZ_BENCH_MODELS");
  return folder ? fs::path(folder) : fs::path();
}

long peak_rss_kb() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line))
    if (line.rfind("VmHWM:", 0) == 0) return std::stol(line.substr(6));
  return -1;
}

// The checkpoint of `name`, loaded once; nullptr (and the reason) when it cannot be.
Model* checkpoint(const std::string& name, std::string* why) {
  static std::map<std::string, std::shared_ptr<Model>> loaded;
  if (auto found = loaded.find(name); found != loaded.end()) return found->second.get();
  if (models_folder().empty()) {
    *why = "set ATTNVIZ_BENCH_MODELS to the folder of tools/bench_checkpoints.py";
    return nullptr;
  }
  LoadOptions options;
  options.require_tokenizer = false;
  auto model = Model::load(models_folder() / name, options);
  if (!model.ok()) {
    *why = model.error().message;
    return nullptr;
  }
  return (loaded[name] = *model).get();
}

std::vector<Token> tokens(int t, int vocab) {
  std::vector<Token> out(t);
  for (int i = 0; i < t; ++i) out[i].id = (i * 7919 + 13) % vocab;
  return out;
}

void counters(benchmark::State& state, const std::string& name, const AttentionTrace* trace) {
  state.counters["peak_rss_MB"] = peak_rss_kb() / 1024.0;
  std::error_code ec;
  state.counters["file_MB"] = fs::file_size(models_folder() / name / "model.safetensors", ec) / 1e6;
  if (trace) state.counters["attention_MB"] = trace->weight_bytes() / 1e6;
}

void forward(benchmark::State& state, const std::string& name) {
  std::string why;
  Model* model = checkpoint(name, &why);
  if (!model) return state.SkipWithError(why.c_str());
  const int t = static_cast<int>(state.range(0));
  RunOptions options;
  options.top_predictions = static_cast<int>(state.range(1));
  const auto input = tokens(t, model->config().vocab_size);
  std::shared_ptr<const AttentionTrace> last;
  for (auto _ : state) {
    last.reset();  // as the app: the previous trace is gone before the next full run
    auto trace = model->run(input, options);
    if (!trace.ok()) return state.SkipWithError(trace.error().message.c_str());
    last = *trace;
  }
  counters(state, name, last.get());
}

void append(benchmark::State& state, const std::string& name) {
  std::string why;
  Model* model = checkpoint(name, &why);
  if (!model) return state.SkipWithError(why.c_str());
  const int t = static_cast<int>(state.range(0));
  RunOptions options;
  options.top_predictions = static_cast<int>(state.range(1));
  const auto input = tokens(t, model->config().vocab_size);
  const std::vector<Token> before(input.begin(), input.end() - 1);
  auto previous = model->run(before, options);
  if (!previous.ok()) return state.SkipWithError(previous.error().message.c_str());
  int reused = 0;
  for (auto _ : state) {
    auto trace = model->run(input, options, previous->get());
    if (!trace.ok()) return state.SkipWithError(trace.error().message.c_str());
    reused = (*trace)->timings.reused_positions;
  }
  state.counters["reused"] = reused;
  counters(state, name, previous->get());
}

void top_k(benchmark::State& state, const std::string& name) {
  std::string why;
  Model* model = checkpoint(name, &why);
  if (!model) return state.SkipWithError(why.c_str());
  const auto& transformer = dynamic_cast<const TransformerModel&>(*model);
  const ModelConfig& config = model->config();
  std::vector<float> hidden(config.width);
  for (int i = 0; i < config.width; ++i) hidden[i] = 0.01f * ((i * 37) % 101 - 50);
  std::vector<std::vector<Prediction>> predictions(1);
  for (auto _ : state)
    predict_next_tokens(predictions, 0, hidden.data(), 1, *transformer.weights().lm_head, config,
                        model->tokenizer(), 10);
  state.counters["vocabulary"] = config.vocab_size;
  counters(state, name, nullptr);
}

void register_benchmarks() {
  for (const char* name : {"qwen2.5-0.5b", "gpt2-small", "gemma3-270m"}) {
    benchmark::RegisterBenchmark((std::string("Forward/") + name).c_str(), forward, name)
        ->Args({512, 0})
        ->Args({512, 10})
        ->MeasureProcessCPUTime()
        ->UseRealTime()
        ->Unit(benchmark::kMillisecond)
        ->MinTime(2.0);
    benchmark::RegisterBenchmark((std::string("Append/") + name).c_str(), append, name)
        ->Args({256, 0})
        ->Args({256, 10})
        ->MeasureProcessCPUTime()
        ->UseRealTime()
        ->Unit(benchmark::kMillisecond);
    benchmark::RegisterBenchmark((std::string("TopK/") + name).c_str(), top_k, name)
        ->UseRealTime()
        ->Unit(benchmark::kMillisecond);
  }
}

}  // namespace
}  // namespace attnviz

int main(int argc, char** argv) {
  attnviz::register_benchmarks();
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
