// The engine headless: it loads the fixture model and runs a text like a direct run, the view it
// derives and the whole-model map follow the request, the role table gets the probe's scores
// (the same numbers as `attnviz heads --probe induction`), a model picked after an imported file
// brings the model's runs back, and the diff's second run equals a direct run.
//
// Legend: L layers, H heads, T tokens.
#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <functional>
#include <thread>

#include "app/engine/engine.h"
#include "core/analysis/head_roles.h"
#include "core/attention_import.h"
#include "core/view/attention_reader.h"
#include "core/view_trace.h"

namespace attnviz {
namespace {

const std::filesystem::path kGpt2 =
    std::filesystem::path(ATTNVIZ_TEST_DATA) / "gpt2-tiny" / "model";
const char* kText = "The bank by the river was eroding.";

// The engine's newest state once `ready` holds (a minute at most on a loaded machine).
std::shared_ptr<const EngineState> wait_for(const Engine& engine,
                                            const std::function<bool(const EngineState&)>& ready) {
  for (int i = 0; i < 1200; ++i) {
    auto state = engine.state();
    if (ready(*state)) return state;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return nullptr;
}

float max_difference(const AttentionTrace& a, const AttentionTrace& b) {
  const std::vector<float> x = AttentionReader(a).dense(), y = AttentionReader(b).dense();
  EXPECT_EQ(x.size(), y.size());
  float worst = 0.0f;
  for (size_t i = 0; i < std::min(x.size(), y.size()); ++i)
    worst = std::max(worst, std::fabs(x[i] - y[i]));
  return worst;
}

std::shared_ptr<const AttentionTrace> direct_run(const std::string& text) {
  auto model = Model::load(kGpt2);
  EXPECT_TRUE(model.ok()) << model.error().message;
  auto tokens = (*model)->tokenizer().encode(text);
  RunOptions options;
  options.keep_qkv = false;
  auto trace = (*model)->run(*tokens, options);
  EXPECT_TRUE(trace.ok());
  return *trace;
}

TEST(Engine, RunsTheTextDerivesTheViewAndComputesRollout) {
  Engine engine({});
  engine.open(kGpt2);
  engine.run_text(kText, {});
  auto state = wait_for(engine, [](const EngineState& s) {
    return s.raw && !s.raw.trace->predictions_pending() && s.roles_table() && s.shown();
  });
  ASSERT_TRUE(state) << "no trace from the engine";
  EXPECT_LE(max_difference(*state->raw.trace, *direct_run(kText)), 1e-6f);
  EXPECT_EQ(state->shown()->trace, state->raw.trace) << "no option: the view is the raw trace";

  ViewRequest request;
  request.token_view.hide_first = true;
  request.head_mode = HeadMode::kRollout;
  engine.set_view(request);
  state = wait_for(engine, [](const EngineState& s) {
    return s.view && s.view->options.hide_first && !s.whole_map_for(HeadMode::kRollout).empty();
  });
  ASSERT_TRUE(state) << "no derived view or rollout";
  const int t = state->shown()->trace->tokens_count();
  EXPECT_EQ(t, state->raw.trace->tokens_count() - 1);
  const std::vector<float> expected =
      whole_model_map(state->raw.trace, request.token_view, AggregateMode::kRollout);
  const std::span<const float> got = state->whole_map_for(HeadMode::kRollout);
  ASSERT_EQ(got.size(), expected.size());
  for (size_t i = 0; i < got.size(); ++i) EXPECT_FLOAT_EQ(got[i], expected[i]) << i;
}

// Whoever reads the state between a request and its trace (the frame, --dump-layout, a typing
// benchmark) sees it running, never the old text's trace as if it were the new one's.
TEST(Engine, ARunIsRunningFromItsRequestUntilItsTraceIsOut) {
  Engine engine({});
  engine.open(kGpt2);
  engine.run_text(kText, {});
  ASSERT_TRUE(wait_for(engine, [](const EngineState& s) { return s.raw && !s.running; }));
  const std::string texts[] = {"The bank by the river", "The bank by the river was",
                               "A different text altogether, longer than the others."};
  for (const std::string& text : texts) {
    const auto want = direct_run(text);
    engine.run_text(text, {});
    const auto state = engine.state();
    if (!state->running) {
      EXPECT_EQ(state->raw.trace->tokens(), want->tokens()) << "not running, but the old trace";
    }
    const auto done = wait_for(engine, [](const EngineState& s) { return !s.running; });
    ASSERT_TRUE(done) << "still running after a minute";
    EXPECT_EQ(done->raw.trace->tokens(), want->tokens()) << text;
  }
  // No model runs while imported attention is shown: nothing waits for one.
  const auto imported = direct_run("Imported.");
  engine.show_imported(imported, "imported.npy");
  ASSERT_TRUE(wait_for(engine, [](const EngineState& s) { return s.imported; }));
  engine.run_text("Typed while the file is shown.", {});
  EXPECT_FALSE(engine.state()->running);
}

TEST(Engine, TheProbeFillsTheRoleTableWithTheCommandLinesScores) {
  Engine engine({});
  engine.open(kGpt2);
  engine.run_text(kText, {});
  engine.run_probe();
  auto state = wait_for(engine, [](const EngineState& s) {
    return s.probe && s.roles && s.roles->probe_model_id == s.model_id && s.roles_table();
  });
  ASSERT_TRUE(state) << "no probe scores in the role table";
  // The probe of `attnviz heads --probe induction`: one rule (core/analysis/model_input.h).
  auto model = Model::load(kGpt2);
  const ProbeInput probe = make_probe_input((*model)->tokenizer(), (*model)->config());
  EXPECT_EQ(state->probe->trace.trace->tokens(), probe.tokens);
  RunOptions options;
  options.keep_qkv = false;
  auto trace = (*model)->run(probe.tokens, options);
  const std::vector<double> scores = induction_probe_score(**trace, probe.repeat_length);
  const HeadRoleTable& table = *state->roles_table();
  ASSERT_EQ(table.roles.size(), scores.size());
  for (size_t i = 0; i < scores.size(); ++i)
    EXPECT_NEAR(table.roles[i].induction, scores[i], 1e-6) << i;
}

TEST(Engine, AModelOpenedAfterAnImportedFileShowsItsRunsAgain) {
  const std::filesystem::path dir =
      std::filesystem::temp_directory_path() / ("attnviz_engine_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const auto imported = direct_run("Imported attention, five tokens.");
  ASSERT_TRUE(save_attention_safetensors(*imported, dir / "imported.safetensors").ok());

  Engine engine({});
  engine.open(kGpt2);
  engine.run_text(kText, {});
  ASSERT_TRUE(wait_for(engine, [](const EngineState& s) { return s.raw && !s.imported; }));
  engine.open(dir / "imported.safetensors");
  auto state = wait_for(engine, [](const EngineState& s) { return s.imported && s.raw; });
  ASSERT_TRUE(state) << "the imported file never showed";
  EXPECT_EQ(state->raw.trace->tokens_count(), imported->tokens_count());
  engine.open(kGpt2);  // File ▸ Recent models, the picker, the path box: all the same request
  state = wait_for(engine, [](const EngineState& s) {
    return !s.imported && s.raw && s.raw.trace->tokens_count() == 9;
  });
  ASSERT_TRUE(state) << "after the import, the model's run never came back";
  EXPECT_LE(max_difference(*state->raw.trace, *direct_run(kText)), 1e-6f);
  std::filesystem::remove_all(dir);
}

TEST(Engine, TheDiffsSecondRunIsADirectRunAndABadFolderIsNamed) {
  Engine engine({});
  engine.open(kGpt2);
  engine.run_text(kText, {});
  ASSERT_TRUE(wait_for(engine, [](const EngineState& s) { return s.shown() != nullptr; }));
  DiffRequest request;
  request.source = DiffSpec::Source::kOtherModel;
  request.model_b = kGpt2;
  request.main_text = kText;
  request.choice.mode = AggregateMode::kHead;
  engine.set_diff(request);
  auto state = wait_for(engine, [](const EngineState& s) { return s.diff && s.diff->trace_b; });
  ASSERT_TRUE(state) << "no diff";
  EXPECT_LE(max_difference(*state->diff->trace_b.trace, *direct_run(kText)), 1e-6f);
  EXPECT_EQ(state->diff->aligned, 9);
  EXPECT_LE(state->diff->max_change, 1e-6f) << "the same text on the same model";

  request.model_b = "/nonexistent/model/folder";
  engine.set_diff(request);
  state = wait_for(engine, [](const EngineState& s) { return s.diff && !s.diff->error.empty(); });
  ASSERT_TRUE(state);
  EXPECT_NE(state->diff->error.find("/nonexistent/model/folder"), std::string::npos)
      << state->diff->error;
}

}  // namespace
}  // namespace attnviz
