// What the engine publishes and what it is asked for: plain, immutable data the UI draws from.
//
// Legend: L layers, H heads, T tokens, T' tokens of the derived view, K aligned tokens.
#pragma once

#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "core/analysis/ablation.h"
#include "core/analysis/aggregate.h"
#include "core/analysis/head_roles.h"
#include "core/analysis/logit_lens.h"
#include "core/analysis/model_input.h"
#include "core/attention_trace.h"
#include "core/model_card.h"
#include "core/model_config.h"
#include "core/session.h"
#include "core/view/heatmap_values.h"
#include "core/view/map_picture.h"
#include "core/view/view_spec.h"
#include "core/view_trace.h"

namespace attnviz {

// A published trace with the ids the engine gave it: ids, not addresses, tell traces apart.
// `attention_id` stays the same when only the predictions of a trace arrive (the trace object
// changes, its attention does not), so work on the weights is not done twice.
struct TraceRef {
  uint64_t id = 0;
  uint64_t attention_id = 0;
  std::shared_ptr<const AttentionTrace> trace;
  explicit operator bool() const { return trace != nullptr; }
};

struct ModelInfo {
  ModelConfig config;
  ModelCard card;  // family, sizes, positions, windows, precision (Model::card)
  std::filesystem::path folder;
  std::string display_name;  // "Built-in model" or the model's name
  bool builtin = false;
};

// What the view needs from the engine, from the ViewSpec.
struct ViewRequest {
  TraceViewOptions token_view;  // words, hidden tokens
  HeadMode head_mode = HeadMode::kMultiHead;
  bool grid = false;  // the model grid is on screen: its thumbnails (recomputed weights)
  bool grid_per_head_contrast = false;
  // The heatmap is on screen: its pooled overview (recomputed weights), of this layer, head and
  // enabled heads.
  bool heatmap = false;
  int layer = 0, head = 0;
  std::vector<char> enabled_heads;
  bool operator==(const ViewRequest& o) const {
    return token_view == o.token_view && head_mode == o.head_mode && grid == o.grid &&
           grid_per_head_contrast == o.grid_per_head_contrast && heatmap == o.heatmap &&
           layer == o.layer && head == o.head && enabled_heads == o.enabled_heads;
  }
};

// The heatmap's pooled overview of a view trace whose weights are recomputed on demand, for a
// one-layer head mode: every row of the head(s) recomputed, seconds at 32k tokens, so on the
// engine thread (core/view heatmap_overview). Stored weights and whole-model maps (already
// dense) are pooled in the frame.
struct HeatmapOverview {
  MapKey key;  // the view trace's id and what the mode reads of the spec
  HeatmapValues values;
};
inline bool overview_on_engine(const AttentionTrace& trace, HeadMode mode) {
  return !trace.stores_weights() && !head_mode_info(mode).whole_model;
}

// The model grid's thumbnails of a view trace whose weights are recomputed on demand (a long
// text): every head's rows recomputed and pooled, seconds at 8k tokens, so on the engine thread
// (core/view grid_atlas). Stored weights pool in milliseconds and are done in the frame.
struct GridThumbnails {
  uint64_t trace_id = 0;  // the TraceRef::id of the view trace
  bool per_head_contrast = false;
  MapAtlas values;
  std::vector<float> head_max;  // (L, H)
};
inline bool grid_on_engine(const AttentionTrace& trace) {
  return !trace.stores_weights();
}

// The view of the raw trace: the derived trace (words, hidden tokens) and, for a whole-model
// head mode, its (T', T') map.
struct ViewResult {
  uint64_t raw_id = 0;  // the raw trace it was derived from
  TraceViewOptions options;
  TraceRef trace;        // what the panels draw (the raw trace itself when nothing is derived)
  DerivedTrace derived;  // the mapping back to raw tokens, absorbed shares, description
};

struct WholeMap {
  uint64_t attention_id = 0;  // of the raw trace it was computed from
  TraceViewOptions options;   // the view's words and hidden tokens
  HeadMode mode = HeadMode::kRollout;
  std::vector<float> values;  // (T', T'), empty when refused
  std::string refusal;        // whole_model_refusal's reason when the map is not computed
};

struct ProbeResult {
  uint64_t model_id = 0;  // the model it ran on
  TraceRef trace;
  int repeat_length = 0;
  uint64_t seed = 0;
  std::vector<double> scores;  // (L, H) induction probe score of each head
};

// The role table of a raw trace, with the probe's scores in its induction column once the
// probe has run on the same model.
struct RolesResult {
  uint64_t attention_id = 0;    // of the raw trace
  uint64_t probe_model_id = 0;  // the model whose probe scores are in it (0: none)
  HeadRoleTable table;
};

// The logit lens of a window of the raw trace on screen (core/analysis/logit_lens.h): the
// positions around `position` (a raw token), `width` of them, `top_k` tokens a cell.
struct LensRequest {
  int position = 0;
  int width = 5;
  int top_k = 10;
  bool operator==(const LensRequest&) const = default;
};

struct LensResult {
  uint64_t attention_id = 0;  // of the raw trace it read
  LensRequest request;
  std::optional<LogitLens> lens;
  std::string note;  // why there is no lens (no LM head, a text too long to keep the stream)
  double ms = 0.0;   // the read-outs' time
};

// What the heads switched off on screen do to the next token at one position: each of both
// runs' top tokens with its probability in the model's own run (before) and in the ablated run
// on screen (after), read through the LM head (core/analysis/ablation.h prediction_changes).
struct ChangesResult {
  uint64_t attention_id = 0;  // of the ablated raw trace
  int position = 0;           // a raw token
  std::vector<PredictionChange> changes;  // most likely after the ablation first
  std::string note;                       // why there are none
};

// The head-importance table's question: every head ablated alone (`kind`), what happens to
// p(target | tokens 0..position) of the raw trace on screen.
struct ImportanceRequest {
  int position = 0;  // a raw token
  int32_t target = 0;
  std::string target_text;
  HeadAblation::Kind kind = HeadAblation::Kind::kZero;
  bool operator==(const ImportanceRequest&) const = default;
};

struct ImportanceResult {
  uint64_t attention_id = 0;  // of the raw trace it ran the text of
  ImportanceRequest request;
  std::vector<HeadImportance> heads;  // (L·H) layer-major; empty when cancelled or refused
  std::string note;                   // "cancelled", or why not
  double seconds = 0.0;
};

// The diff: the view on screen (A) against a second text with the same model, or the same
// text with a second model (B), for the maps the spec selects.
struct DiffRequest {
  DiffSpec::Source source = DiffSpec::Source::kOtherText;
  std::string text_b;             // kOtherText
  std::filesystem::path model_b;  // kOtherModel
  std::string main_text;          // kOtherModel runs this
  TraceViewOptions token_view;    // the second run is derived like the first
  AggregateChoice choice;         // the map of each side (layer, head, mode, enabled heads)
  bool operator==(const DiffRequest& o) const;
};

struct DiffResult {
  uint64_t id = 0;
  DiffRequest request;
  uint64_t view_a_id = 0;
  std::string error;  // the second run failed, or why nothing can be compared
  std::string note;   // what could not be matched (the second model's layers and heads)
  TraceRef trace_a, trace_b;
  int tokens_a = 0, tokens_b = 0, aligned = 0;
  std::vector<float> map_a;                // (T_a, T_a)
  std::vector<float> map_b;                // (T_b, T_b)
  std::vector<float> difference;           // (K, K) B − A on aligned tokens
  std::vector<std::pair<int, int>> pairs;  // (K) aligned (index in a, index in b)
  float max_weight = 0.0f;                 // of A and B together
  float max_change = 0.0f;                 // largest |difference|
};

// Where the run in progress is, for the status bar: layers done, its speed and the time left.
struct RunProgress {
  bool running = false;  // a run's forward pass is under way
  int layers_done = 0;   // k of L
  int layers = 0;        // L
  int tokens = 0;        // T of the text being run
  double elapsed_s = 0.0;
  // Tokens through all layers per second so far (T · k / L over the time), 0 before a layer.
  double tokens_per_second() const {
    return layers > 0 && elapsed_s > 0.0 && layers_done > 0
               ? static_cast<double>(tokens) * layers_done / layers / elapsed_s
               : 0.0;
  }
  // Seconds left at the pace so far; negative while unknown (no layer done yet).
  double seconds_left() const {
    return layers_done > 0 ? elapsed_s * (layers - layers_done) / layers_done : -1.0;
  }
};

// "layer 3 of 30 · 812 tokens/s · about 41 s left" (the start of a run: "layer 0 of 30").
inline std::string run_progress_label(const RunProgress& progress) {
  std::string label = "layer " + std::to_string(progress.layers_done) + " of " +
                      std::to_string(progress.layers);
  char buffer[64];
  if (const double rate = progress.tokens_per_second(); rate > 0.0) {
    std::snprintf(buffer, sizeof buffer, " \xC2\xB7 %.0f tokens/s", rate);
    label += buffer;
  }
  if (const double left = progress.seconds_left(); left >= 0.0) {
    std::snprintf(buffer, sizeof buffer, " \xC2\xB7 about %.0f s left", std::ceil(left));
    label += buffer;
  }
  return label;
}

// The fingerprints of a model's files (core/session.h), for saving and checking sessions.
struct ModelFilesResult {
  uint64_t model_id = 0;  // the EngineState::model_id they were computed for
  std::vector<ModelFile> files;
  std::string error;  // hashing failed (a file unreadable): the message
};

// The last data export the engine finished (Engine::export_data), written or not.
struct DataExportResult {
  uint64_t number = 0;  // what Engine::export_data returned
  std::filesystem::path path;
  std::string statement;  // "layer 3, head 2: the (1, 1, T, T) float32 tensor: 268 MB"
  std::string error;      // empty: written; "cancelled", or why not (no room, disk full)
  double seconds = 0.0;
};

struct EngineState {
  uint64_t id = 0;  // +1 per publish

  std::optional<ModelInfo> model;  // the loaded model (it stays when a load fails)
  uint64_t model_id = 0;           // +1 per successful load
  std::filesystem::path loading;   // non-empty while a model or file loads
  std::string open_error;          // the last failed open (model or attention file)
  uint64_t open_error_id = 0;

  // What is on screen comes from the model's runs, or from an imported attention file.
  bool imported = false;
  std::string imported_source;

  TraceRef raw;      // the newest finished trace (raw tokens)
  ModelInput input;  // its tokens and how many the text had before truncation
  std::string run_error;
  std::string run_note;  // "run cancelled at layer 3 of 30": cleared by the next run's trace
  bool running = false;
  std::chrono::steady_clock::time_point run_started;

  std::shared_ptr<const ViewResult> view;     // of `raw`, for the latest ViewRequest
  std::shared_ptr<const WholeMap> whole_map;  // of `view`, for a whole-model head mode
  std::shared_ptr<const RolesResult> roles;   // of `raw`
  std::shared_ptr<const ProbeResult> probe;   // of the current model
  std::shared_ptr<const DiffResult> diff;     // null: no diff requested
  std::shared_ptr<const ModelFilesResult> model_files;  // once asked for (hash_model_files)
  std::shared_ptr<const DataExportResult> data_export;  // the last one finished
  std::shared_ptr<const GridThumbnails> grid;           // of `view`, when the grid asks
  std::shared_ptr<const HeatmapOverview> overview;      // of `view`, when the heatmap asks
  std::shared_ptr<const LensResult> lens;               // of `raw`, when the lens tab asks
  // While `raw` runs with heads ablated: the model's own run of the same tokens, and the
  // change of the predictions at the position the Predictions tab shows.
  TraceRef baseline;
  std::shared_ptr<const ChangesResult> changes;
  std::shared_ptr<const ImportanceResult> importance;  // the last head-importance table

  // The before → after of `position` for the ablated raw trace on screen, null when not (yet).
  const ChangesResult* changes_for(int position) const {
    return changes && raw && changes->attention_id == raw.attention_id &&
                   changes->position == position
               ? changes.get()
               : nullptr;
  }

  // The lens of the raw trace on screen for `request`, null when not (yet) computed.
  const LensResult* lens_for(const LensRequest& request) const {
    return lens && raw && lens->attention_id == raw.attention_id && lens->request == request
               ? lens.get()
               : nullptr;
  }

  // The heatmap's overview for `key`, null when not (yet) computed.
  const HeatmapValues* overview_for(const MapKey& key) const {
    return overview && overview->key == key ? &overview->values : nullptr;
  }

  // The grid's thumbnails of the view on screen, null when not (yet) computed.
  const GridThumbnails* grid_for(uint64_t trace_id, bool per_head_contrast) const {
    return grid && grid->trace_id == trace_id && grid->per_head_contrast == per_head_contrast
               ? grid.get()
               : nullptr;
  }

  // The view trace on screen (null before the first trace).
  const TraceRef* shown() const { return view && view->trace ? &view->trace : nullptr; }
  // The role table of the raw trace on screen, null while it is being computed.
  const HeadRoleTable* roles_table() const {
    return roles && raw && roles->attention_id == raw.attention_id ? &roles->table : nullptr;
  }
  // The whole-model map of the view on screen for `mode`, empty when not (yet) computed.
  std::span<const float> whole_map_for(HeadMode mode) const {
    if (!whole_map || !view || !raw || whole_map->attention_id != raw.attention_id ||
        view->raw_id != raw.id || !(whole_map->options == view->options) || whole_map->mode != mode)
      return {};
    return whole_map->values;
  }
  // Why the whole-model map of `mode` is not computed for the view on screen (too many tokens),
  // empty otherwise.
  std::string_view whole_map_refusal(HeadMode mode) const {
    if (!whole_map || !view || !raw || whole_map->attention_id != raw.attention_id ||
        view->raw_id != raw.id || !(whole_map->options == view->options) || whole_map->mode != mode)
      return {};
    return whole_map->refusal;
  }
};

}  // namespace attnviz
