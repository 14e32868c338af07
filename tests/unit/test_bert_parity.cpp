// BERT forward pass against Hugging Face on the bert-tiny fixture: every text's attention (all
// layers and heads, bidirectional) and every hidden state (the last = last encoder layer).
//
// Legend: L layers, H heads, T tokens, C width.
#include <gtest/gtest.h>

#include <iostream>

#include "core/safetensors.h"
#include "model_test_support.h"

namespace attnviz {
namespace {

using test::Worst;

TEST(BertParity, AttentionAndHiddenStatesMatchHuggingFace) {
  std::shared_ptr<Model> model = test::fixture_model("bert-tiny");
  ASSERT_TRUE(model);
  ASSERT_EQ(model->config().architecture, Architecture::kBert);
  const SafetensorsFile reference = test::open_reference("bert-tiny");
  const int texts = test::reference_texts(reference);
  ASSERT_GE(texts, 5);
  const ModelConfig& config = model->config();
  RunOptions options;
  options.keep_hidden_states = true;
  for (int i = 0; i < texts; ++i) {
    SCOPED_TRACE("text " + std::to_string(i));
    const std::vector<Token> tokens = test::reference_tokens(reference, i);
    auto trace = test::run_ok(*model, tokens, options);
    ASSERT_TRUE(trace);
    EXPECT_FALSE(trace->causal());
    EXPECT_TRUE(trace->predictions.empty()) << "BERT has no LM head";
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

}  // namespace
}  // namespace attnviz
