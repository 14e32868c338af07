// Every modern fixture (tests/data/modern, written from transformers' modeling code: Llama with
// llama3 and linear RoPE, Mistral's window, Qwen 2's biases, Qwen 3's q/k norms, Gemma 2's
// soft-caps and alternating windows, Gemma 3's local/global RoPE, Phi-3's longrope and fused
// projections, GPT-NeoX's per-head fused q/k/v and parallel residual) against its reference:
// attention of every layer and head, every hidden state, the last position's logits and the
// predictions, the RoPE frequencies; and the trace's own recomputation of every row, bit for bit.
//
// Legend: L layers, H query heads, T tokens, C width, V vocabulary.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <numeric>

#include "core/models/rope.h"
#include "core/transformer_model.h"
#include "model_test_support.h"

namespace attnviz {
namespace {

using test::Worst;

class ModernParity : public ::testing::TestWithParam<std::string> {
 protected:
  std::string name() const { return "modern/" + GetParam(); }
  std::shared_ptr<Model> load() const {
    LoadOptions options;
    options.require_tokenizer = false;  // the reference ids are fed directly
    return test::fixture_model(name(), options);
  }
  nlohmann::json reference_json() const {
    std::ifstream in(test::fixture(name()) / "reference.json");
    return nlohmann::json::parse(in);
  }
};

TEST_P(ModernParity, AttentionHiddenStatesAndLogitsMatch) {
  const std::shared_ptr<Model> model = load();
  ASSERT_TRUE(model);
  const auto* transformer = dynamic_cast<const TransformerModel*>(model.get());
  ASSERT_TRUE(transformer);
  const ModelConfig& config = model->config();
  const SafetensorsFile reference = test::open_reference(name());
  const int texts = test::reference_texts(reference);
  ASSERT_GE(texts, 3);
  RunOptions options;
  options.keep_hidden_states = true;
  options.top_predictions = 5;
  for (int i = 0; i < texts; ++i) {
    SCOPED_TRACE("text " + std::to_string(i));
    const std::vector<Token> tokens = test::reference_tokens(reference, i);
    auto trace = test::run_ok(*model, tokens, options);
    ASSERT_TRUE(trace);
    ASSERT_EQ(trace->layers(), config.layers);
    ASSERT_EQ(trace->heads(), config.heads);
    const int t = trace->tokens_count(), c = config.width;
    const std::string prefix = "text" + std::to_string(i);

    const Worst attention = test::attention_difference(
        *trace, test::reference_floats(reference, prefix + ".attentions"));
    EXPECT_LT(attention.value, 1e-5)
        << "attention max difference " << attention.value << " at " << attention.where;
    const Worst hidden = test::hidden_difference(
        trace->hidden_states, test::reference_floats(reference, prefix + ".hidden_states"), t, c);
    EXPECT_LT(hidden.value, 1e-4) << "hidden state max difference " << hidden.value << " at "
                                  << hidden.where;

    // Last position: logits from the engine's LM head, and the predictions' probabilities
    // against the softmax of the reference logits.
    const std::vector<float> want = test::reference_floats(reference, prefix + ".logits_last");
    const std::span<const float> final_hidden(
        trace->hidden_states.data() + (static_cast<size_t>(config.layers) * t + t - 1) * c, c);
    const std::vector<float> logits = transformer->next_token_logits(final_hidden);
    ASSERT_EQ(logits.size(), want.size());
    Worst logit;
    for (size_t v = 0; v < want.size(); ++v)
      logit.update(std::abs(logits[v] - want[v]) / std::max(1.0f, std::abs(want[v])),
                   "id " + std::to_string(v));
    EXPECT_LT(logit.value, 1e-4) << "logit max relative difference " << logit.value << " at "
                                 << logit.where;
    const double max = *std::max_element(want.begin(), want.end());
    double sum = 0;
    for (float l : want) sum += std::exp(l - max);
    Worst probability;
    ASSERT_EQ(trace->predictions[t - 1].size(), 5u);
    for (const Prediction& p : trace->predictions[t - 1])
      probability.update(std::abs(p.probability - std::exp(want[p.id] - max) / sum),
                         "id " + std::to_string(p.id));
    const int best = static_cast<int>(std::max_element(want.begin(), want.end()) - want.begin());
    EXPECT_NEAR(trace->predictions[t - 1][0].probability, std::exp(want[best] - max) / sum, 1e-5);
    EXPECT_LT(probability.value, 1e-5)
        << "probability max difference " << probability.value << " at " << probability.where;
    std::cout << GetParam() << " text " << i << ": T=" << t << " attention " << attention.value
              << ", hidden " << hidden.value << ", logits " << logit.value << " (relative)\n";
  }
}

// What the trace keeps (q and k after norms and RoPE, the rule, the lse) gives every stored
// weight back bit for bit; the inspector's scores are the ones the softmax saw.
TEST_P(ModernParity, TraceRecomputesItsRowsBitForBit) {
  const std::shared_ptr<Model> model = load();
  ASSERT_TRUE(model);
  const SafetensorsFile reference = test::open_reference(name());
  const std::vector<Token> tokens = test::reference_tokens(reference, 2);
  auto trace = test::run_ok(*model, tokens, {});
  ASSERT_TRUE(trace && trace->has_qkv() && trace->has_lse());
  const int t = trace->tokens_count();
  int differing = 0;
  for (int l = 0; l < trace->layers(); ++l)
    for (int h = 0; h < trace->heads(); ++h)
      for (int q = 0; q < t; ++q) {
        std::vector<float> again(trace->row_length(q));
        trace->recompute_row(l, h, q, again);
        const auto stored = trace->row(l, h, q);
        if (!std::equal(stored.begin(), stored.end(), again.begin())) ++differing;
      }
  EXPECT_EQ(differing, 0) << "rows whose recomputation differs from the forward pass";

  Worst softmax;
  for (int l = 0; l < trace->layers(); ++l) {
    const HeadDetail detail = trace->head_detail(l, trace->heads() - 1);
    EXPECT_EQ(detail.kv_head, trace->kv_head_of(trace->heads() - 1));
    EXPECT_EQ(detail.rotary_dims, model->config().rope_of(l).rotary_dims);
    ASSERT_EQ(detail.queries_before_rope.size(), detail.queries.size());
    // Position 0 rotates by angle 0: before and after RoPE agree where the scaling is 1.
    const RopeFrequencies frequencies =
        rope_frequencies(model->config().rope_of(l), model->config().max_positions, t);
    if (frequencies.attention_scaling == 1.0f)
      for (int e = 0; e < detail.head_dim; ++e)
        EXPECT_EQ(detail.queries_before_rope[e], detail.queries[e]) << "layer " << l;
    for (int q = 0; q < t; ++q) {
      double max = -INFINITY, sum = 0;
      for (int k = 0; k < t; ++k) max = std::max<double>(max, detail.scores[q * t + k]);
      for (int k = 0; k < t; ++k) sum += std::exp(detail.scores[q * t + k] - max);
      for (int k = 0; k < t; ++k) {
        const double want = std::exp(detail.scores[q * t + k] - max) / sum;
        softmax.update(std::abs(want - trace->weight(l, detail.head, q, k)),
                       "layer " + std::to_string(l) + " query " + std::to_string(q));
        if (detail.outside_window(q, k)) EXPECT_EQ(trace->weight(l, detail.head, q, k), 0.0f);
      }
    }
  }
  EXPECT_LT(softmax.value, 1e-6) << "softmax(head_detail scores) vs rows at " << softmax.where;
}

// The float32 inverse frequencies and cos/sin scaling the reference used (transformers builds
// them in float32) are the engine's.
TEST_P(ModernParity, RopeFrequenciesAreTransformers) {
  const std::shared_ptr<Model> model = load();
  ASSERT_TRUE(model);
  const nlohmann::json reference = reference_json();
  const nlohmann::json& summary = reference["config_summary"];
  const ModelConfig& config = model->config();
  // The global layers' table of the first text (the summary gives Phi-3's short factors; the
  // long ones are exercised by the texts of 33 and more tokens above).
  const int tokens = reference["num_tokens"][0].get<int>();
  const RopeFrequencies frequencies = rope_frequencies(config.rope, config.max_positions, tokens);
  const std::vector<float> want = summary["rope_inv_freq_float32"].get<std::vector<float>>();
  ASSERT_EQ(frequencies.inverse.size(), want.size());
  for (size_t i = 0; i < want.size(); ++i) {
    const float ulp = std::nextafter(want[i], INFINITY) - want[i];
    EXPECT_LE(std::abs(frequencies.inverse[i] - want[i]), ulp) << "frequency " << i;
  }
  EXPECT_NEAR(frequencies.attention_scaling, summary["rope_attention_scaling"].get<double>(), 1e-6);
}

INSTANTIATE_TEST_SUITE_P(Fixtures, ModernParity,
                         ::testing::Values("llama3-tiny", "llama-linear-tiny", "mistral-tiny",
                                           "qwen2-tiny", "qwen3-tiny", "gemma2-tiny", "gemma3-tiny",
                                           "phi3-tiny", "gpt-neox-tiny"),
                         test::DashesToUnderscores());

}  // namespace
}  // namespace attnviz
