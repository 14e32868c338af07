// GPT-2 forward pass against Hugging Face on the gpt2-tiny fixture: every text's attention
// (all layers and heads), every hidden state, and the next-token predictions.
//
// Legend: L layers, H heads, T tokens, C width, V vocabulary.
#include <gtest/gtest.h>

#include <algorithm>
#include <iostream>
#include <numeric>

#include "core/safetensors.h"
#include "model_test_support.h"

namespace attnviz {
namespace {

using test::Worst;

class Gpt2Parity : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { model_ = test::fixture_model("gpt2-tiny"); }
  static void TearDownTestSuite() { model_.reset(); }
  static std::shared_ptr<Model> model_;
};
std::shared_ptr<Model> Gpt2Parity::model_;

TEST_F(Gpt2Parity, AttentionAndHiddenStatesMatchHuggingFace) {
  ASSERT_TRUE(model_);
  const SafetensorsFile reference = test::open_reference("gpt2-tiny");
  const int texts = test::reference_texts(reference);
  ASSERT_GE(texts, 5);
  const ModelConfig& config = model_->config();
  RunOptions options;
  options.keep_hidden_states = true;
  for (int i = 0; i < texts; ++i) {
    SCOPED_TRACE("text " + std::to_string(i));
    const std::vector<Token> tokens = test::reference_tokens(reference, i);
    auto trace = test::run_ok(*model_, tokens, options);
    ASSERT_TRUE(trace);
    ASSERT_TRUE(trace->causal());
    ASSERT_EQ(trace->layers(), config.layers);
    ASSERT_EQ(trace->heads(), config.heads);
    const std::string prefix = "text" + std::to_string(i);
    const Worst attention = test::attention_difference(
        *trace, test::reference_floats(reference, prefix + ".attentions"));
    EXPECT_LT(attention.value, 1e-5)
        << "attention max difference " << attention.value << " at " << attention.where;
    const Worst hidden = test::hidden_difference(
        trace->hidden_states, test::reference_floats(reference, prefix + ".hidden_states"),
        trace->tokens_count(), config.width);
    EXPECT_LT(hidden.value, 1e-4) << "hidden state max difference " << hidden.value << " at "
                                  << hidden.where;
    std::cout << "text " << i << ": T=" << tokens.size() << " attention max diff "
              << attention.value << ", hidden max diff " << hidden.value << "\n";
  }
}

// Predictions against a softmax over (reference final hidden state) · wteᵀ in double.
TEST_F(Gpt2Parity, PredictionsMatchSoftmaxOfTiedHead) {
  ASSERT_TRUE(model_);
  const SafetensorsFile reference = test::open_reference("gpt2-tiny");
  auto weights = SafetensorsFile::open(test::fixture("gpt2-tiny") / "model" / "model.safetensors");
  ASSERT_TRUE(weights.ok()) << weights.error().message;
  auto wte = weights->read_floats(*weights->find("wte.weight"));
  ASSERT_TRUE(wte.ok());
  const ModelConfig& config = model_->config();
  const int c = config.width, v = config.vocab_size, k = 5;
  RunOptions options;
  options.top_predictions = k;
  const std::vector<Token> tokens = test::reference_tokens(reference, 1);
  const int t = static_cast<int>(tokens.size());
  auto trace = test::run_ok(*model_, tokens, options);
  ASSERT_TRUE(trace);
  ASSERT_EQ(trace->predictions.size(), tokens.size());
  const std::vector<float> hidden = test::reference_floats(reference, "text1.hidden_states");
  const float* final_hidden = hidden.data() + static_cast<size_t>(config.layers) * t * c;
  Worst worst;
  for (int q = 0; q < t; ++q) {
    std::vector<double> logits(v);
    for (int id = 0; id < v; ++id) {
      double dot = 0;
      for (int j = 0; j < c; ++j)
        dot +=
            static_cast<double>(final_hidden[q * c + j]) * (*wte)[static_cast<size_t>(id) * c + j];
      logits[id] = dot;
    }
    const double max = *std::max_element(logits.begin(), logits.end());
    double sum = 0;
    for (double l : logits) sum += std::exp(l - max);
    std::vector<int> order(v);
    std::iota(order.begin(), order.end(), 0);
    std::partial_sort(order.begin(), order.begin() + k, order.end(),
                      [&](int a, int b) { return logits[a] > logits[b]; });
    ASSERT_EQ(trace->predictions[q].size(), static_cast<size_t>(k));
    auto probability = [&](int id) { return std::exp(logits[id] - max) / sum; };
    for (int r = 0; r < k; ++r) {
      // Ranks are compared through probabilities, so two logits closer than float rounding
      // may come in either order.
      const Prediction& p = trace->predictions[q][r];
      const std::string place = "position " + std::to_string(q) + " rank " + std::to_string(r);
      ASSERT_TRUE(p.id >= 0 && p.id < v) << place;
      EXPECT_EQ(p.text, model_->tokenizer().token_text(p.id)) << place;
      worst.update(std::abs(p.probability - probability(p.id)), place + " (own id)");
      worst.update(std::abs(p.probability - probability(order[r])), place + " (rank)");
      if (r > 0) {
        EXPECT_LE(p.probability, trace->predictions[q][r - 1].probability) << place;
      }
    }
  }
  EXPECT_LT(worst.value, 1e-5) << "prediction probability max difference " << worst.value << " at "
                               << worst.where;
}

}  // namespace
}  // namespace attnviz
