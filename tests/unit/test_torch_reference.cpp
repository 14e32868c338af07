// attnviz against its second reference: tests/reference/torch_reference.py, a PyTorch port of
// transformers' modeling code, builds random checkpoints of every decoder family (larger than the
// fixtures, windows shorter than the texts, every RoPE type: yarn, dynamic, llama3, longrope with
// partial rotary; mixed local/global layers; BF16, F16 and F32) and computes their attention,
// hidden states and last logits in float64. attnviz loads each checkpoint from disk and must
// agree: attention within 1e-5, hidden states and logits within 1e-4 relative.
//
// Legend: L layers, H heads, T tokens, C width, V vocabulary.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <iostream>

#include "core/transformer_model.h"
#include "model_test_support.h"

namespace attnviz {
namespace {

namespace fs = std::filesystem;
using test::Worst;

const std::vector<std::string> kCases = {
    "llama-yarn",          "llama-dynamic",         "mistral-window",
    "qwen2-mixed-windows", "qwen3-llama3-rope",     "gemma2-capped",
    "gemma3-pattern",      "phi3-partial-longrope", "gpt-neox-serial"};

class TorchReference : public ::testing::TestWithParam<std::string> {
 protected:
  // One run of the reference for every case (importing torch takes a few seconds).
  static void SetUpTestSuite() {
    folder_ = fs::temp_directory_path() / ("attnviz_torch_" + std::to_string(::getpid()));
    fs::remove_all(folder_);
    const std::string command = std::string(ATTNVIZ_TORCH_PYTHON) +
                                " '" ATTNVIZ_SOURCE_DIR "/tests/reference/torch_reference.py' '" +
                                folder_.string() + "' > '" + folder_.string() + ".log' 2>&1";
    status_ = std::system(command.c_str());
  }
  static void TearDownTestSuite() {
    fs::remove_all(folder_);
    fs::remove(folder_.string() + ".log");
  }
  static fs::path folder_;
  static int status_;
};
fs::path TorchReference::folder_;
int TorchReference::status_ = -1;

// Max |a − b| / max(1, |b|).
Worst relative_difference(std::span<const float> got, const std::vector<float>& want,
                          const char* what) {
  Worst worst;
  if (got.size() != want.size()) {
    worst.update(INFINITY, std::string(what) + " sizes differ");
    return worst;
  }
  for (size_t i = 0; i < want.size(); ++i)
    worst.update(std::abs(got[i] - want[i]) / std::max(1.0f, std::abs(want[i])),
                 std::string(what) + " element " + std::to_string(i));
  return worst;
}

TEST_P(TorchReference, AttnvizAgrees) {
  ASSERT_EQ(status_, 0)
      << "tests/reference/torch_reference.py failed (python3-torch missing?); see "
      << folder_.string() << ".log";
  const fs::path dir = folder_ / GetParam();
  LoadOptions options;
  options.require_tokenizer = false;
  auto loaded = Model::load(dir / "model", options);
  ASSERT_TRUE(loaded.ok()) << loaded.error().message;
  const Model& model = **loaded;
  const auto& transformer = dynamic_cast<const TransformerModel&>(model);
  auto reference = SafetensorsFile::open(dir / "reference.safetensors");
  ASSERT_TRUE(reference.ok()) << reference.error().message;
  RunOptions run_options;
  run_options.keep_hidden_states = true;
  const int texts = test::reference_texts(*reference);
  ASSERT_GE(texts, 1);
  for (int i = 0; i < texts; ++i) {
    SCOPED_TRACE("text " + std::to_string(i));
    const std::vector<Token> tokens = test::reference_tokens(*reference, i);
    auto trace = test::run_ok(*loaded.value(), tokens, run_options);
    ASSERT_TRUE(trace);
    const int t = trace->tokens_count(), c = model.config().width, layers = model.config().layers;
    const std::string prefix = "text" + std::to_string(i);
    const Worst attention = test::attention_difference(
        *trace, test::reference_floats(*reference, prefix + ".attentions"));
    EXPECT_LT(attention.value, 1e-5)
        << "attention max difference " << attention.value << " at " << attention.where;
    const Worst hidden = relative_difference(
        trace->hidden_states, test::reference_floats(*reference, prefix + ".hidden_states"),
        "hidden state");
    EXPECT_LT(hidden.value, 1e-4) << "hidden max relative difference " << hidden.value << " at "
                                  << hidden.where;
    const std::span<const float> final_hidden(
        trace->hidden_states.data() + (static_cast<size_t>(layers) * t + t - 1) * c, c);
    const Worst logits =
        relative_difference(transformer.next_token_logits(final_hidden),
                            test::reference_floats(*reference, prefix + ".logits_last"), "logit");
    EXPECT_LT(logits.value, 1e-4) << "logit max relative difference " << logits.value << " at "
                                  << logits.where;
    std::cout << GetParam() << " text " << i << ": T=" << t << " attention " << attention.value
              << ", hidden " << hidden.value << ", logits " << logits.value << " (relative)\n";
  }
}

INSTANTIATE_TEST_SUITE_P(Families, TorchReference, ::testing::ValuesIn(kCases),
                         test::DashesToUnderscores());

}  // namespace
}  // namespace attnviz
