// Memory is correctness: a T = 4096 run of a small random model completes under an address-space
// limit that storing its (L, H, T, T) weights would exceed (the weights are recomputed on demand
// from q, k and each row's log-sum-exp), and a view reads a late row of it. One test in its own
// program, since the limit holds for the rest of the process.
//
// Legend: L layers, H heads, T tokens.
#include <gtest/gtest.h>
#include <sys/resource.h>

#include <fstream>
#include <random>
#include <string>

#include "core/transformer_model.h"
#include "core/view/attention_reader.h"
#include "model_test_support.h"

namespace attnviz {
namespace {

// VmSize of this process in bytes.
size_t address_space_bytes() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line))
    if (line.rfind("VmSize:", 0) == 0) return std::stoull(line.substr(7)) * 1024;
  return 0;
}

TEST(MemoryLimit, LongRunFitsWhereStoredWeightsWouldNot) {
  constexpr int kTokens = 4096;
  constexpr size_t kHeadroom = 256u << 20;
  LoadOptions load;
  load.require_tokenizer = false;
  const std::shared_ptr<Model> fixture = test::fixture_model("modern/llama3-tiny", load);
  ASSERT_TRUE(fixture);
  ModelConfig config = fixture->config();
  config.max_positions = kTokens;
  auto model = TransformerModel::random(config, 2, ids_only_tokenizer(config.vocab_size, "test"));
  std::mt19937 random(1);
  std::vector<Token> tokens(kTokens);
  for (Token& token : tokens) token.id = static_cast<int32_t>(random() % config.vocab_size);
  // Storing the weights needs L·H·T(T+1)/2 floats: more than the headroom the limit leaves.
  const size_t stored_bytes = static_cast<size_t>(config.layers) * config.heads * kTokens *
                              (kTokens + 1) / 2 * sizeof(float);
  ASSERT_GT(stored_bytes, kHeadroom);

  const size_t now = address_space_bytes();
  ASSERT_GT(now, 0u);
  const rlimit limit{now + kHeadroom, now + kHeadroom};
  ASSERT_EQ(setrlimit(RLIMIT_AS, &limit), 0);

  RunOptions options;  // kAuto: too long to store
  auto trace = model->run(tokens, options);
  ASSERT_TRUE(trace.ok()) << trace.error().message;
  const AttentionTrace& run = **trace;
  EXPECT_FALSE(run.stores_weights());
  EXPECT_EQ(run.full_weight_bytes(), stored_bytes);
  // A late token's row, read as a view reads it: a distribution over keys 0..T-1.
  const AttentionReader reader(run);
  std::vector<float> row(kTokens);
  reader.row(config.layers - 1, 0, kTokens - 1, row);
  double sum = 0.0;
  for (float w : row) sum += w;
  EXPECT_NEAR(sum, 1.0, 1e-4);
}

}  // namespace
}  // namespace attnviz
