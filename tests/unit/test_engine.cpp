// The engine headless: it loads the fixture model and runs a text like a direct run, the view it
// derives and the whole-model map follow the request, the role table gets the probe's scores
// (the same numbers as `attnviz heads --probe induction`), a model picked after an imported file
// brings the model's runs back, and the diff's second run equals a direct run.
//
// Legend: L layers, H heads, T tokens.
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <fstream>
#include <functional>
#include <iterator>
#include <thread>

#include "app/engine/engine.h"
#include "core/analysis/head_roles.h"
#include "core/attention_import.h"
#include "core/export/exporter.h"
#include "core/model_config.h"
#include "core/safetensors.h"
#include "core/view/attention_reader.h"
#include "core/view/heatmap_values.h"
#include "core/view/map_picture.h"
#include "core/view_trace.h"
#include "core/weight_registry.h"

namespace attnviz {
namespace {

const std::filesystem::path kGpt2 =
    std::filesystem::path(ATTNVIZ_TEST_DATA) / "gpt2-tiny" / "model";
const char* kText = "The bank by the river was eroding.";

// The engine's newest state once `ready` holds (a minute at most on a loaded machine).
// Waits up to `seconds` (a bound against hangs, not a speed: sanitizer builds are many times
// slower) for a state that is ready.
std::shared_ptr<const EngineState> wait_for(const Engine& engine,
                                            const std::function<bool(const EngineState&)>& ready,
                                            int seconds = 60) {
  for (int i = 0; i < seconds * 20; ++i) {
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

// The Logit lens tab's request: the engine reads the raw trace's kept residual stream, the same
// cells as a direct logit_lens; a new window or a new text gets a new lens; BERT gets a note.
TEST(Engine, TheLensReadsTheRunOnScreenAndNamesWhyWhenItCannot) {
  Engine engine({});
  engine.open(kGpt2);
  engine.run_text(kText, {});
  ASSERT_TRUE(wait_for(engine, [](const EngineState& s) { return s.raw && !s.running; }));
  const LensRequest request{3, 5, 10};
  engine.set_lens(request);
  auto state = wait_for(engine, [&](const EngineState& s) { return s.lens_for(request); });
  ASSERT_TRUE(state) << "no lens from the engine";
  const LensResult& result = *state->lens_for(request);
  ASSERT_TRUE(result.lens) << result.note;
  EXPECT_EQ(result.lens->first, 1);
  EXPECT_EQ(result.lens->last, 5);
  ASSERT_FALSE(state->raw.trace->hidden_states.empty()) << "the app's runs keep the stream";
  auto model = Model::load(kGpt2);
  ASSERT_TRUE(model.ok());
  auto direct = logit_lens(**model, *state->raw.trace, 1, 5, 10);
  ASSERT_TRUE(direct.ok());
  for (int row = 0; row < direct->rows; ++row)
    for (int q = 1; q <= 5; ++q) {
      EXPECT_EQ(result.lens->at(row, q).top[0].id, direct->at(row, q).top[0].id);
      EXPECT_FLOAT_EQ(result.lens->at(row, q).next, direct->at(row, q).next);
    }

  engine.run_text("Another text entirely, for the lens.", {});
  state = wait_for(engine, [&](const EngineState& s) {
    return s.raw && s.raw.trace->tokens()[0].text == "Another" && s.lens_for(request);
  });
  ASSERT_TRUE(state) << "no lens for the new text";

  engine.open(std::filesystem::path(ATTNVIZ_TEST_DATA) / "bert-tiny" / "model");
  state = wait_for(engine, [&](const EngineState& s) {
    return s.model && s.model->config.model_type == "bert" && s.raw && !s.running &&
           s.raw.trace->hidden_states.empty() && s.lens_for(request);
  });
  ASSERT_TRUE(state) << "no note for BERT";
  EXPECT_FALSE(state->lens_for(request)->lens);
  EXPECT_NE(state->lens_for(request)->note.find("no language-model head"), std::string::npos)
      << state->lens_for(request)->note;
  engine.set_lens(std::nullopt);
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
  ASSERT_TRUE(
      export_data(*imported, ExportFormat::kSafetensors, dir / "imported.safetensors").ok());

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

// A Llama-family folder with random weights, big enough that a run of a long text takes a few
// seconds (16 layers, width 256, 4 heads over 2 kv heads, up to 4096 positions), with the
// llama3-tiny fixture's tokenizer.
std::filesystem::path write_long_model(const std::filesystem::path& folder) {
  namespace fs = std::filesystem;
  const fs::path fixture = fs::path(ATTNVIZ_TEST_DATA) / "modern" / "llama3-tiny" / "model";
  fs::remove_all(folder);
  fs::create_directories(folder);
  for (const char* name : {"tokenizer.json", "tokenizer_config.json"})
    fs::copy_file(fixture / name, folder / name);
  {
    std::ofstream out(folder / "config.json");
    out << R"({"architectures": ["LlamaForCausalLM"], "model_type": "llama", "hidden_size": 256,
      "intermediate_size": 512, "num_hidden_layers": 16, "num_attention_heads": 4,
      "num_key_value_heads": 2, "head_dim": 64, "hidden_act": "silu", "rms_norm_eps": 1e-05,
      "rope_theta": 100000, "tie_word_embeddings": true, "vocab_size": 2560,
      "bos_token_id": 2500, "eos_token_id": 2501, "max_position_embeddings": 4096})";
  }
  auto config = load_model_config(folder / "config.json");
  EXPECT_TRUE(config.ok()) << config.error().message;
  if (!config.ok()) return folder;
  RawWeights raw = random_weights(*config, 5);
  std::vector<TensorToWrite> tensors;
  for (const WeightSpec& spec : weight_specs(*config)) {
    const WeightTensor& tensor = raw.at(spec.name);
    const auto* bytes = static_cast<const uint8_t*>(tensor.data());
    tensors.push_back({checkpoint_name(spec, *config), DType::kF32, tensor.shape,
                       std::vector<uint8_t>(bytes, bytes + tensor.bytes.size())});
  }
  const Status written = write_safetensors(folder / "model.safetensors", tensors);
  EXPECT_TRUE(written.ok()) << written.error().message;
  return folder;
}

// Rank heads on the long model (64 runs of a long text): the progress counts runs, Cancel stops
// it with a note and no table; a second ranking of a short text completes with every head.
TEST(Engine, RankingHeadsShowsProgressAndStopsWhenCancelled) {
  const auto folder = write_long_model(std::filesystem::temp_directory_path() /
                                       ("attnviz_engine_rank_" + std::to_string(::getpid())));
  std::string text;
  for (int i = 0; i < 40; ++i) text += "The bank by the river was eroding, said " + std::to_string(i) + ". ";
  Engine engine({});
  engine.open(folder);
  engine.run_text(text, {});
  auto state = wait_for(engine, [](const EngineState& s) {
    return s.raw && !s.running && !s.raw.trace->predictions_pending();
  }, 600);
  ASSERT_TRUE(state) << "no run of the long text";
  const int t = state->raw.trace->tokens_count();
  ImportanceRequest request{t - 2, state->raw.trace->tokens()[t - 1].id, "", HeadAblation::Kind::kMean};
  engine.rank_heads(request);
  std::pair<int, int> progress{0, 0};
  for (int i = 0; i < 600000 && progress.first < 1; ++i) {
    progress = engine.rank_progress();
    std::this_thread::sleep_for(std::chrono::microseconds(100));
  }
  ASSERT_GE(progress.first, 1) << "no run of the ranking within a minute";
  EXPECT_EQ(progress.second, 16 * 4);
  engine.cancel_rank_heads();
  state = wait_for(engine, [](const EngineState& s) { return s.importance != nullptr; }, 600);
  ASSERT_TRUE(state) << "the cancelled ranking never reported";
  EXPECT_EQ(state->importance->note, "cancelled");
  EXPECT_TRUE(state->importance->heads.empty());
  EXPECT_EQ(engine.rank_progress().second, 0);

  engine.run_text("The bank by the river.", {});
  state = wait_for(engine, [](const EngineState& s) {
    return s.raw && !s.running && s.raw.trace->tokens_count() < 12;
  }, 600);
  ASSERT_TRUE(state);
  const int short_t = state->raw.trace->tokens_count();
  request = {short_t - 2, state->raw.trace->tokens()[short_t - 1].id, "", HeadAblation::Kind::kZero};
  engine.rank_heads(request);
  state = wait_for(engine, [&](const EngineState& s) {
    return s.importance && s.importance->request == request;
  }, 600);
  ASSERT_TRUE(state);
  EXPECT_EQ(state->importance->heads.size(), 64u) << state->importance->note;
  std::filesystem::remove_all(folder);
}

// A long run shows where it is (layer k of L, tokens per second, time left); cancelling it stops
// it before its last layer, keeps nothing of it on screen, and the next run completes with the
// weights a direct run of the same model computes.
TEST(Engine, ACancelledLongRunStopsAndTheNextRunIsCorrect) {
  const auto folder = write_long_model(std::filesystem::temp_directory_path() /
                                       ("attnviz_engine_long_" + std::to_string(::getpid())));
  std::string text;
  for (int i = 0; i < 120; ++i) text += "The bank by the river was eroding, said " + std::to_string(i) + ". ";
  Engine engine({});
  engine.open(folder);
  ASSERT_TRUE(wait_for(engine, [](const EngineState& s) { return s.model.has_value(); }))
      << "the random model did not load";

  engine.run_text(text, {});
  // Wait for the first layer, then cancel.
  RunProgress seen;
  for (int i = 0; i < 600000 && seen.layers_done < 1; ++i) {
    seen = engine.run_progress();
    std::this_thread::sleep_for(std::chrono::microseconds(100));
  }
  ASSERT_GE(seen.layers_done, 1) << "no layer done within a minute";
  ASSERT_LT(seen.layers_done, seen.layers) << "the run ended before it could be cancelled";
  engine.cancel_run();
  EXPECT_EQ(seen.layers, 16);
  EXPECT_GT(seen.tokens, 1000);
  EXPECT_GT(seen.elapsed_s, 0.0);
  EXPECT_GT(seen.tokens_per_second(), 0.0);
  EXPECT_GE(seen.seconds_left(), 0.0);
  const std::string label = run_progress_label(seen);
  EXPECT_NE(label.find("layer " + std::to_string(seen.layers_done) + " of 16"), std::string::npos)
      << label;
  EXPECT_NE(label.find("tokens/s"), std::string::npos) << label;
  EXPECT_NE(label.find("s left"), std::string::npos) << label;

  auto state = engine.state();
  EXPECT_FALSE(state->running);
  EXPECT_NE(state->run_note.find("run cancelled at layer"), std::string::npos) << state->run_note;
  // The forward pass stops at the end of its layer.
  for (int i = 0; i < 6000 && engine.run_progress().running; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  EXPECT_FALSE(engine.run_progress().running) << "the cancelled run goes on";
  EXPECT_LT(engine.progress(), 1.0f) << "the cancelled run finished its layers";
  state = engine.state();
  EXPECT_FALSE(state->raw) << "a cancelled run published a trace";

  // The engine runs the next text (here the same) to the end, correctly.
  engine.run_text(text, {});
  // 16 layers of 1,000+ tokens: over a minute under ASan + UBSan on 2 cores.
  state = wait_for(
      engine,
      [](const EngineState& s) {
        return s.raw && !s.running && !s.raw.trace->predictions_pending();
      },
      900);
  ASSERT_TRUE(state) << "no trace after the cancelled run";
  EXPECT_TRUE(state->run_note.empty()) << state->run_note;
  const AttentionTrace& got = *state->raw.trace;
  EXPECT_FALSE(got.stores_weights()) << "expected a long text's on-demand trace";
  auto model = Model::load(folder);
  ASSERT_TRUE(model.ok()) << model.error().message;
  auto want = (*model)->run(got.tokens(), RunOptions{});
  ASSERT_TRUE(want.ok()) << want.error().message;
  const AttentionReader a(got), b(**want);
  const int t = got.tokens_count();
  std::vector<float> row_a(t), row_b(t);
  float worst = 0.0f;
  for (int layer = 0; layer < got.layers(); layer += 5)
    for (int head = 0; head < got.heads(); ++head)
      for (int query : {0, t / 3, t - 2, t - 1}) {
        a.row(layer, head, query, row_a);
        b.row(layer, head, query, row_b);
        for (int k = 0; k < t; ++k) worst = std::max(worst, std::fabs(row_a[k] - row_b[k]));
      }
  EXPECT_LE(worst, 1e-6f);

  // The grid of this on-demand trace: its thumbnails come from the engine, equal to pooling it
  // directly.
  ASSERT_TRUE(grid_on_engine(got));
  ViewRequest grid_view;
  grid_view.grid = true;
  engine.set_view(grid_view);
  state = wait_for(
      engine, [](const EngineState& s) { return s.shown() && s.grid_for(s.shown()->id, false); },
      600);
  ASSERT_TRUE(state) << "no grid thumbnails from the engine";
  std::vector<float> head_max;
  const MapAtlas direct = grid_atlas(*state->shown()->trace, false, kGridMaxTexels, head_max);
  const GridThumbnails* grid = state->grid_for(state->shown()->id, false);
  EXPECT_EQ(grid->values.width, direct.width);
  EXPECT_TRUE(grid->values.values == direct.values) << "the engine's thumbnails differ";
  EXPECT_TRUE(grid->head_max == head_max);

  // The heatmap's pooled overview of one head, from the engine: equal to pooling it directly.
  ViewRequest heatmap_view;
  heatmap_view.heatmap = true;
  heatmap_view.head_mode = HeadMode::kSingleHead;
  heatmap_view.layer = 3;
  heatmap_view.head = 2;
  engine.set_view(heatmap_view);
  ViewSpec spec;
  spec.head_mode = HeadMode::kSingleHead;
  spec.layer = 3;
  spec.head = 2;
  spec.enabled_heads.assign(static_cast<size_t>(got.heads()), 1);
  const MapKey key = map_key(state->shown()->id, spec, false);
  state = wait_for(engine, [&key](const EngineState& s) { return s.overview_for(key) != nullptr; },
                   600);
  ASSERT_TRUE(state) << "no heatmap overview from the engine";
  const HeatmapValues pooled = heatmap_overview(*state->shown()->trace, spec, {});
  EXPECT_TRUE(state->overview_for(key)->atlas.values == pooled.atlas.values);
  EXPECT_EQ(state->overview_for(key)->max_value, pooled.max_value);

  // A data export through the engine: the same bytes as export_data, its number in the state.
  const std::filesystem::path npy = folder / "slice.npy", direct_npy = folder / "direct.npy";
  const uint64_t number =
      engine.export_data(state->shown()->trace, ExportFormat::kNpy, npy, {2, 3, 1, 1});
  state = wait_for(
      engine,
      [number](const EngineState& s) { return s.data_export && s.data_export->number == number; },
      600);
  ASSERT_TRUE(state) << "the engine did not finish the export";
  EXPECT_EQ(state->data_export->error, "");
  EXPECT_NE(state->data_export->statement.find("layers 2-3, head 1"), std::string::npos)
      << state->data_export->statement;
  ASSERT_TRUE(export_data(got, ExportFormat::kNpy, direct_npy, {2, 3, 1, 1}).ok());
  auto bytes = [](const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  };
  EXPECT_TRUE(bytes(npy) == bytes(direct_npy));
  std::filesystem::remove_all(folder);
}

}  // namespace
}  // namespace attnviz
