// The built-in model (assets/model, trained by recipe/) against the recipe's own PyTorch
// dump (tests/data/builtin, written by recipe/dump_reference.py):
//   - it is the trained 4 × 4 × 128 GPT-2 with a 4096-token vocabulary, not a placeholder;
//   - the C++ tokenizer reproduces the recipe's Python tokenizer ids;
//   - the C++ forward pass reproduces PyTorch's attention and hidden states;
//   - the heads the model card names do what it says, scored by the C++ analysis functions:
//     a previous-token head on natural text and induction heads on the standard probe.
//
// Legend: L layers, H heads, T tokens, C width, R probe repeat length.
#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>

#include "core/analysis/head_roles.h"
#include "model_test_support.h"

namespace attnviz {
namespace {

using test::Worst;

std::filesystem::path builtin_source_folder() {
  return std::filesystem::path(ATTNVIZ_SOURCE_DIR) / "assets" / "model";
}

std::filesystem::path builtin_data() {
  return test::fixture("builtin");
}

nlohmann::json read_json(const std::filesystem::path& path) {
  std::ifstream in(path);
  EXPECT_TRUE(in) << "cannot open " << path;
  return nlohmann::json::parse(in);
}

std::vector<Token> tokens_from_ids(const std::vector<int32_t>& ids) {
  std::vector<Token> tokens(ids.size());
  for (size_t i = 0; i < ids.size(); ++i) tokens[i].id = ids[i];
  return tokens;
}

std::vector<int32_t> ids_of(const std::vector<Token>& tokens) {
  std::vector<int32_t> ids;
  for (const Token& token : tokens) ids.push_back(token.id);
  return ids;
}

// First index where two id lists differ, as text for failure messages.
std::string first_difference(const std::vector<int32_t>& got, const std::vector<int32_t>& want) {
  size_t i = 0;
  while (i < got.size() && i < want.size() && got[i] == want[i]) ++i;
  return "first difference at token " + std::to_string(i) + " of " + std::to_string(got.size()) +
         " (C++) / " + std::to_string(want.size()) + " (Python)";
}

// The heads the model card (recipe/MODEL.md) names.
constexpr int kPreviousTokenLayer = 0, kPreviousTokenHead = 1;
constexpr int kInductionLayer = 2, kInductionHeads[] = {1, 2};

class BuiltinModel : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    auto loaded = Model::load(builtin_source_folder());
    ASSERT_TRUE(loaded.ok()) << loaded.error().message;
    model_ = *loaded;
  }
  static void TearDownTestSuite() { model_.reset(); }
  static std::shared_ptr<Model> model_;
};
std::shared_ptr<Model> BuiltinModel::model_;

TEST_F(BuiltinModel, IsTheTrainedModelOfTheModelCard) {
  ASSERT_TRUE(model_);
  const ModelConfig& config = model_->config();
  EXPECT_EQ(config.layers, 4);
  EXPECT_EQ(config.heads, 4);
  EXPECT_EQ(config.width, 128);
  EXPECT_EQ(config.vocab_size, 4096);
  EXPECT_EQ(config.max_positions, 1024);
  EXPECT_EQ(model_->tokenizer().vocab_size(), 4096);
  EXPECT_EQ(model_->tokenizer().token_text(4095), "<|endoftext|>");
  // The folder the app uses by default is this one (unless ATTNVIZ_MODEL_DIR overrides it).
  if (!std::getenv("ATTNVIZ_MODEL_DIR")) {
    auto builtin = Model::load(builtin_model_folder());
    ASSERT_TRUE(builtin.ok()) << builtin.error().message;
    EXPECT_EQ((*builtin)->config().vocab_size, 4096) << builtin_model_folder();
  }
}

TEST_F(BuiltinModel, TokenizerMatchesTheRecipesPythonTokenizer) {
  ASSERT_TRUE(model_);
  const nlohmann::json cases = read_json(builtin_data() / "tokenizer_reference.json");
  ASSERT_GE(cases.size(), 100u);
  int mismatches = 0;
  for (const auto& entry : cases) {
    const std::string text = entry["text"];
    const std::vector<int32_t> want = entry["ids"];
    auto tokens = model_->tokenizer().encode(text);
    ASSERT_TRUE(tokens.ok()) << tokens.error().message;
    const std::vector<int32_t> got = ids_of(*tokens);
    if (got != want) {
      ++mismatches;
      ADD_FAILURE() << "text \"" << text.substr(0, 80) << "\": " << first_difference(got, want);
    }
    EXPECT_EQ(model_->tokenizer().decode(got), text);
  }
  std::cout << cases.size() << " texts, " << mismatches << " tokenization mismatches\n";
}

TEST_F(BuiltinModel, ForwardPassMatchesPyTorch) {
  ASSERT_TRUE(model_);
  auto reference = SafetensorsFile::open(builtin_data() / "reference.safetensors");
  ASSERT_TRUE(reference.ok()) << reference.error().message;
  const int texts = test::reference_texts(*reference);
  ASSERT_GE(texts, 3);
  RunOptions options;
  options.keep_hidden_states = true;
  for (int i = 0; i < texts; ++i) {
    SCOPED_TRACE("text " + std::to_string(i));
    const std::string prefix = "text" + std::to_string(i);
    const std::vector<Token> tokens = test::reference_tokens(*reference, i);
    auto trace = test::run_ok(*model_, tokens, options);
    ASSERT_TRUE(trace);
    const Worst attention = test::attention_difference(
        *trace, test::reference_floats(*reference, prefix + ".attentions"));
    EXPECT_LT(attention.value, 1e-4)
        << "attention max difference " << attention.value << " at " << attention.where;
    const Worst hidden = test::hidden_difference(
        trace->hidden_states, test::reference_floats(*reference, prefix + ".hidden_states"),
        trace->tokens_count(), model_->config().width);
    EXPECT_LT(hidden.value, 1e-3) << "hidden state max difference " << hidden.value << " at "
                                  << hidden.where;
    std::cout << prefix << ": T=" << tokens.size() << " attention max diff " << attention.value
              << ", hidden max diff " << hidden.value << "\n";
  }
}

// The previous-token head of the model card on natural text, and the C++
// detector's score against the recipe's PyTorch score of the same text.
TEST_F(BuiltinModel, HasAPreviousTokenHeadOnNaturalText) {
  ASSERT_TRUE(model_);
  const nlohmann::json reference = read_json(builtin_data() / "reference.json");
  for (const auto& entry : reference["texts"]) {
    const std::string text = entry["text"];
    SCOPED_TRACE(text);
    auto tokens = model_->tokenizer().encode(text);
    ASSERT_TRUE(tokens.ok()) << tokens.error().message;
    auto trace = test::run_ok(*model_, *tokens, RunOptions{});
    ASSERT_TRUE(trace);
    const HeadRoleTable table = compute_head_roles(*trace);
    const auto python_scores =
        entry["scores"]["previous_token"].get<std::vector<std::vector<double>>>();  // (L, H)
    const HeadRole* best = &table.roles.front();
    for (const HeadRole& role : table.roles) {
      if (role.previous_token > best->previous_token) best = &role;
      EXPECT_NEAR(role.previous_token, python_scores[role.layer][role.head], 1e-4)
          << "L" << role.layer << "H" << role.head << " previous-token score, C++ vs PyTorch";
    }
    std::cout << "T=" << tokens->size() << ": best previous-token head L" << best->layer << "H"
              << best->head << " score " << best->previous_token << " (" << best->label << ")\n";
    EXPECT_EQ(best->layer, kPreviousTokenLayer);
    EXPECT_EQ(best->head, kPreviousTokenHead);
    // Short texts lose a larger share to row 0, which can only attend to itself.
    const double floor = tokens->size() >= 50 ? 0.9 : 0.85;
    EXPECT_GE(best->previous_token, floor);
  }
  // The prose paragraph of the model card: at least 0.8.
  const std::string prose = reference["texts"][3]["text"];
  auto tokens = model_->tokenizer().encode(prose);
  ASSERT_TRUE(tokens.ok());
  auto trace = test::run_ok(*model_, *tokens, RunOptions{});
  ASSERT_TRUE(trace);
  EXPECT_GE(compute_head_roles(*trace).at(kPreviousTokenLayer, kPreviousTokenHead).previous_token,
            0.8);
}

// The standard probe: first token + R random tokens repeated twice. Induction heads in a layer
// >= 1 attend from each second-copy token to the token after its first occurrence.
TEST_F(BuiltinModel, HasInductionHeadsOnTheProbe) {
  ASSERT_TRUE(model_);
  const int repeat = 50;
  const int32_t end_of_text = 4095;
  const int layers = model_->config().layers, heads = model_->config().heads;
  std::vector<double> mean(static_cast<size_t>(layers) * heads, 0.0);
  const int seeds = 4;
  for (uint64_t seed = 1; seed <= seeds; ++seed) {
    const std::vector<int32_t> probe =
        make_induction_probe(model_->config().vocab_size, repeat, seed, end_of_text);
    ASSERT_EQ(probe.size(), static_cast<size_t>(1 + 2 * repeat));
    auto trace = test::run_ok(*model_, tokens_from_ids(probe), RunOptions{});
    ASSERT_TRUE(trace);
    const std::vector<double> scores = induction_probe_score(*trace, repeat);
    ASSERT_EQ(scores.size(), mean.size());
    for (size_t i = 0; i < scores.size(); ++i) mean[i] += scores[i] / seeds;
  }
  int strong = 0;
  for (int l = 0; l < layers; ++l) {
    for (int h = 0; h < heads; ++h) {
      const double score = mean[static_cast<size_t>(l) * heads + h];
      std::cout << "L" << l << "H" << h << " induction probe score " << score << "\n";
      if (score >= 0.5) {
        EXPECT_GE(l, 1) << "an induction head needs an earlier previous-token head";
        ++strong;
      }
    }
  }
  EXPECT_GE(strong, 1) << "no head with induction probe score >= 0.5";
  for (int head : kInductionHeads)
    EXPECT_GE(mean[kInductionLayer * heads + head], 0.5)
        << "L" << kInductionLayer << "H" << head << ", an induction head in the model card";
}

// The C++ probe scorer on the recipe's own probe row gives PyTorch's per-head scores.
TEST_F(BuiltinModel, ProbeScoresMatchPyTorchOnTheSameProbe) {
  ASSERT_TRUE(model_);
  const nlohmann::json probe = read_json(builtin_data() / "reference.json")["induction_probe"];
  const int repeat = probe["repeat_length"];
  const std::vector<int32_t> ids = probe["row0_ids"];
  const auto want = probe["row0_scores"].get<std::vector<std::vector<double>>>();
  auto trace = test::run_ok(*model_, tokens_from_ids(ids), RunOptions{});
  ASSERT_TRUE(trace);
  const std::vector<double> got = induction_probe_score(*trace, repeat);
  Worst worst;
  for (int l = 0; l < trace->layers(); ++l)
    for (int h = 0; h < trace->heads(); ++h)
      worst.update(std::abs(got[static_cast<size_t>(l) * trace->heads() + h] - want[l][h]),
                   "L" + std::to_string(l) + "H" + std::to_string(h));
  EXPECT_LT(worst.value, 1e-4) << "probe score max difference " << worst.value << " at "
                               << worst.where;
}

}  // namespace
}  // namespace attnviz
