// The engine's private parts, shared by its source files (engine.cpp: loads, runs, views,
// maps, roles, probe, diff, exports; engine_readouts.cpp: what is read through the LM head, the
// logit lens and an ablation's before -> after): what the UI asked for, under the mutex, and
// what the engine thread owns.
#pragma once

#include <deque>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <utility>

#include "app/engine/engine.h"

namespace attnviz {

struct Engine::Requests {
  bool stop = false;
  std::optional<std::filesystem::path> open;
  std::optional<std::pair<std::shared_ptr<const AttentionTrace>, std::string>> imported;
  struct Run {
    std::string text;
    RunOptions options;
  };
  std::optional<Run> latest_run;  // kept to run again on a new model
  bool run_pending = false;
  ViewRequest view;
  bool probe_pending = false;
  std::optional<DiffRequest> diff;
  std::optional<LensRequest> lens;
  std::optional<int> changes;  // the Predictions tab's position
  std::optional<ImportanceRequest> importance;  // a head-importance table to compute
  bool hash_pending = false;
  struct DataExport {
    uint64_t number = 0;
    std::shared_ptr<const AttentionTrace> trace;
    ExportFormat format = ExportFormat::kNpy;
    std::filesystem::path path;
    TensorSlice slice;
  };
  std::deque<DataExport> data_exports;  // in the order asked
  uint64_t export_numbers = 0;
};

struct Engine::Worker {
  std::shared_ptr<Model> model;                      // runs happen on the engine thread only
  std::shared_ptr<const AttentionTrace> last_trace;  // of `model`, for the prefix cache
  std::shared_ptr<Model> diff_model;                 // the diff's second model
  std::string diff_key;                              // folder + text of diff_raw
  std::shared_ptr<const AttentionTrace> diff_raw;    // the diff's second run
  // The last run without ablations: the "before" of an ablation of the same tokens.
  std::shared_ptr<const AttentionTrace> baseline;
  uint64_t baseline_failed = 0;  // the ablated trace whose baseline run failed (not retried)
};

}  // namespace attnviz
