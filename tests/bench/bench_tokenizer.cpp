// Tokenizer speed: loading the fixture tokenizers, and encoding 1 MB of English text (the
// fixture's reference lines repeated) with a warm and a cold BPE piece cache.
// Run: build/tests/bench_tokenizer   (Release build)
#include <benchmark/benchmark.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "core/tokenizer_loader.h"

namespace attnviz {
namespace {

namespace fs = std::filesystem;
const fs::path kData = ATTNVIZ_TEST_DATA;

// About 1 MB of English: the reference lines, one per line, repeated.
const std::string& english_megabyte() {
  static const std::string text = [] {
    std::ifstream in(kData / "gpt2-tiny" / "tokenizer_reference.json");
    const nlohmann::json lines = nlohmann::json::parse(in);
    std::string corpus;
    while (corpus.size() < (1u << 20)) {
      for (const auto& line : lines) corpus += line["text"].get<std::string>() + "\n";
    }
    return corpus.substr(0, 1u << 20);
  }();
  return text;
}

void set_throughput(benchmark::State& state, size_t tokens) {
  state.SetBytesProcessed(int64_t(state.iterations()) * int64_t(english_megabyte().size()));
  state.counters["tokens"] = double(tokens);
}

template <class Load>
void load_benchmark(benchmark::State& state, Load load) {
  for (auto _ : state) {
    auto tokenizer = load();
    if (!tokenizer.ok()) state.SkipWithError(tokenizer.error().message.c_str());
    benchmark::DoNotOptimize(tokenizer);
  }
}

void BM_LoadGpt2VocabMerges(benchmark::State& state) {
  const fs::path model = kData / "gpt2-tiny" / "model";
  load_benchmark(state,
                 [&] { return load_bpe_vocab_merges(model / "vocab.json", model / "merges.txt"); });
}
BENCHMARK(BM_LoadGpt2VocabMerges)->Unit(benchmark::kMillisecond);

void BM_LoadGpt2TokenizerJson(benchmark::State& state) {
  const fs::path model = kData / "gpt2-tiny" / "model";
  load_benchmark(state, [&] { return load_tokenizer_json_file(model / "tokenizer.json"); });
}
BENCHMARK(BM_LoadGpt2TokenizerJson)->Unit(benchmark::kMillisecond);

void BM_LoadBertTokenizerJson(benchmark::State& state) {
  const fs::path model = kData / "bert-tiny" / "model";
  load_benchmark(state, [&] {
    return load_tokenizer_json_file(model / "tokenizer.json");
  });
}
BENCHMARK(BM_LoadBertTokenizerJson)->Unit(benchmark::kMillisecond);

// Encoding with the piece cache already filled by an earlier call (the interactive case: a
// person edits a text and it is tokenized again).
void BM_EncodeGpt2Megabyte(benchmark::State& state) {
  const fs::path model = kData / "gpt2-tiny" / "model";
  auto tokenizer = load_bpe_vocab_merges(model / "vocab.json", model / "merges.txt");
  if (!tokenizer.ok()) return state.SkipWithError(tokenizer.error().message.c_str());
  size_t tokens = 0;
  for (auto _ : state) {
    auto result = tokenizer.value()->encode(english_megabyte());
    tokens = result.ok() ? result.value().size() : 0;
  }
  set_throughput(state, tokens);
}
BENCHMARK(BM_EncodeGpt2Megabyte)->Unit(benchmark::kMillisecond);

// A fresh tokenizer every time: every distinct piece goes through BPE once.
void BM_EncodeGpt2MegabyteColdCache(benchmark::State& state) {
  const fs::path model = kData / "gpt2-tiny" / "model";
  size_t tokens = 0;
  for (auto _ : state) {
    state.PauseTiming();
    auto tokenizer = load_bpe_vocab_merges(model / "vocab.json", model / "merges.txt");
    if (!tokenizer.ok()) return state.SkipWithError(tokenizer.error().message.c_str());
    state.ResumeTiming();
    auto result = tokenizer.value()->encode(english_megabyte());
    tokens = result.ok() ? result.value().size() : 0;
  }
  set_throughput(state, tokens);
}
BENCHMARK(BM_EncodeGpt2MegabyteColdCache)->Unit(benchmark::kMillisecond)->Iterations(3);

void BM_EncodeBertMegabyte(benchmark::State& state) {
  const fs::path model = kData / "bert-tiny" / "model";
  auto tokenizer = load_tokenizer_json_file(model / "tokenizer.json");
  if (!tokenizer.ok()) return state.SkipWithError(tokenizer.error().message.c_str());
  size_t tokens = 0;
  for (auto _ : state) {
    auto result = tokenizer.value()->encode(english_megabyte());
    tokens = result.ok() ? result.value().size() : 0;
  }
  set_throughput(state, tokens);
}
BENCHMARK(BM_EncodeBertMegabyte)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace attnviz

BENCHMARK_MAIN();
