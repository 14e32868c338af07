// Long texts (issue 13): one forward pass of a random model at T tokens, then what a click and a
// heatmap cost when the weights are recomputed on demand. Not a ctest test: run it through
// tools/bench_longtext.sh, which adds /usr/bin/time -v's peak RSS and the load average.
//
//   bench_longtext smollm2 8192   SmolLM2-135M shape, random BF16 weights
//   bench_longtext gpt2 1024      GPT-2-small shape, random F32 weights
//
// Prints one `name value unit` line per figure:
//   forward_s        the run (all layers, q/k kept, row lse, top-10 predictions)
//   weights          stored or on-demand, as the model chose (RunOptions::Weights::kAuto)
//   held_MB          the trace's bytes (weights or q/k/v, lse) and full_MB what storing would take
//   rss_after_run_MB VmHWM after the run (the process's peak so far)
//   click_ms         one clicked token (the last) of one layer: its row of every head recomputed
//                    through AttentionReader and its top-8 keys picked (best of 5, and the first)
//   pooled_map_s     one head max-pooled to at most 1024 x 1024 texels (the heatmap overview)
//
// Legend: T tokens, L layers, H query heads.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <unistd.h>

#include "core/model_config.h"
#include "core/transformer_model.h"
#include "core/view/attention_reader.h"
#include "core/view/map_geometry.h"

namespace attnviz {
namespace {

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

double peak_rss_mb() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line))
    if (line.rfind("VmHWM:", 0) == 0) return std::stod(line.substr(6)) / 1024.0;
  return -1.0;
}

// SmolLM2-135M's config.json (HuggingFaceTB/SmolLM2-135M) with max_position_embeddings >= T,
// read by the Llama family's own reader.
Result<ModelConfig> smollm2_config(int tokens) {
  const std::filesystem::path path =
      std::filesystem::temp_directory_path() / ("bench_longtext_config_" +
                                                std::to_string(::getpid()) + ".json");
  {
    std::ofstream out(path);
    out << R"({"architectures": ["LlamaForCausalLM"], "model_type": "llama",
      "hidden_size": 576, "intermediate_size": 1536, "num_hidden_layers": 30,
      "num_attention_heads": 9, "num_key_value_heads": 3, "head_dim": 64,
      "hidden_act": "silu", "rms_norm_eps": 1e-05, "rope_theta": 100000,
      "tie_word_embeddings": true, "vocab_size": 49152, "max_position_embeddings": )"
        << std::max(tokens, 8192) << "}";
  }
  auto config = load_model_config(path);
  std::filesystem::remove(path);
  return config;
}

ModelConfig gpt2_small_config() {
  ModelConfig config;
  config.architecture = Architecture::kGpt2;
  config.name = "gpt2-small-random";
  config.vocab_size = 50257;
  config.max_positions = 1024;
  config.width = 768;
  config.layers = 12;
  config.heads = 12;
  config.inner = 3072;
  config.kv_heads = 12;
  config.head_width = 64;
  config.qkv_bias = config.output_bias = config.mlp_bias = true;
  config.layer_kinds.assign(config.layers, LayerKind::kGlobal);
  return config;
}

int run(const std::string& shape, int tokens) {
  ModelConfig config;
  WeightType type = WeightType::kF32;
  if (shape == "smollm2") {
    auto loaded = smollm2_config(tokens);
    if (!loaded.ok()) {
      std::fprintf(stderr, "config: %s\n", loaded.error().message.c_str());
      return 1;
    }
    config = *loaded;
    config.name = "smollm2-135m-random";
    type = WeightType::kBF16;
  } else if (shape == "gpt2") {
    config = gpt2_small_config();
  } else {
    std::fprintf(stderr, "shape must be smollm2 or gpt2, got %s\n", shape.c_str());
    return 2;
  }
  if (tokens < 2 || tokens > config.max_positions) {
    std::fprintf(stderr, "tokens must be 2..%d\n", config.max_positions);
    return 2;
  }
  auto model =
      TransformerModel::random(config, 7, ids_only_tokenizer(config.vocab_size, "benchmark"), type);
  std::printf("model %s L=%d H=%d G=%d D=%d T=%d\n", config.name.c_str(), config.layers,
              config.heads, config.kv_heads, config.head_width, tokens);
  std::printf("rss_model_MB %.0f MB\n", peak_rss_mb());
  std::vector<Token> input(tokens);
  for (int i = 0; i < tokens; ++i) input[i].id = (i * 7919 + 13) % config.vocab_size;

  const auto start = std::chrono::steady_clock::now();
  int layers_done = 0;
  auto result = model->run(input, RunOptions{}, nullptr, [&](float) {
    ++layers_done;
    return true;
  });
  const double forward = seconds_since(start);
  if (!result.ok()) {
    std::fprintf(stderr, "run: %s\n", result.error().message.c_str());
    return 1;
  }
  const AttentionTrace& trace = **result;
  std::printf("forward_s %.2f s\n", forward);
  std::printf("tokens_per_s %.0f tok/s\n", tokens / forward);
  std::printf("weights %s\n", trace.stores_weights() ? "stored" : "on-demand");
  std::printf("held_MB %.0f MB\n", (trace.weight_bytes() + trace.qkv_bytes()) / 1048576.0);
  std::printf("full_MB %.0f MB\n", trace.full_weight_bytes() / 1048576.0);
  std::printf("rss_after_run_MB %.0f MB\n", peak_rss_mb());

  // A click on the last token of a middle layer: every head's row, then its strongest keys.
  const AttentionReader reader(trace);
  const int layer = config.layers / 2, query = tokens - 1;
  std::vector<float> row(static_cast<size_t>(tokens));
  std::vector<int> order(static_cast<size_t>(tokens));
  double best_click = 1e30, first_click = 0.0;
  long checksum = 0;
  for (int rep = 0; rep < 5; ++rep) {
    const auto click = std::chrono::steady_clock::now();
    for (int head = 0; head < config.heads; ++head) {
      reader.row(layer, head, query, row);
      for (int k = 0; k < tokens; ++k) order[k] = k;
      std::partial_sort(order.begin(), order.begin() + 8, order.end(),
                        [&](int a, int b) { return row[a] > row[b]; });
      checksum += order[0];
    }
    const double ms = seconds_since(click) * 1000.0;
    if (rep == 0) first_click = ms;
    best_click = std::min(best_click, ms);
  }
  std::printf("click_ms %.2f ms (first %.2f ms, %d heads, strongest key sum %ld)\n", best_click,
              first_click, config.heads, checksum / 5);

  // One head's heatmap overview, max-pooled to at most 1024 texels a side.
  const Thumbnail layout = thumbnail_layout(tokens, 1024);
  std::vector<float> pooled(static_cast<size_t>(layout.texels) * layout.texels);
  const auto pool = std::chrono::steady_clock::now();
  downsample_max(reader, layer, 0, layout, 1.0f, pooled);
  std::printf("pooled_map_s %.3f s (%d x %d texels, block %d)\n", seconds_since(pool),
              layout.texels, layout.texels, layout.block);
  std::printf("rss_peak_MB %.0f MB\n", peak_rss_mb());
  return 0;
}

}  // namespace
}  // namespace attnviz

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: bench_longtext smollm2|gpt2 TOKENS\n");
    return 2;
  }
  return attnviz::run(argv[1], std::atoi(argv[2]));
}
