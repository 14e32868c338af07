#include "app/engine/engine.h"
#include "app/engine/engine_internal.h"

#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <deque>
#include <system_error>

#include "core/analysis/diff.h"
#include "core/attention_import.h"
#include "core/session.h"
#include "core/view/attention_reader.h"

namespace attnviz {

bool is_attention_file(const std::filesystem::path& path) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) return false;
  const std::string extension = path.extension().string();
  return extension == ".npy" || extension == ".safetensors" || extension == ".json";
}

std::string tokens_beside(const std::filesystem::path& attention) {
  std::error_code ec;
  std::filesystem::path named = attention;
  named.replace_extension(".tokens.json");
  if (std::filesystem::is_regular_file(named, ec)) return named.string();
  const std::filesystem::path plain = attention.parent_path() / "tokens.json";
  if (plain != attention && std::filesystem::is_regular_file(plain, ec)) return plain.string();
  return {};
}

namespace {

ModelInfo model_info(const Model& model) {
  ModelInfo info;
  info.config = model.config();
  info.card = model.card();
  info.folder = model.folder();
  std::error_code ec;
  info.builtin = std::filesystem::equivalent(info.folder, builtin_model_folder(), ec);
  info.display_name =
      model_identity(info.config, info.folder, info.builtin ? "Built-in model" : "");
  return info;
}

}  // namespace

bool DiffRequest::operator==(const DiffRequest& o) const {
  return source == o.source && text_b == o.text_b && model_b == o.model_b &&
         main_text == o.main_text && token_view == o.token_view && choice == o.choice;
}

Engine::Engine(std::function<void()> wake_ui)
    : wake_ui_(std::move(wake_ui)),
      requests_(std::make_unique<Requests>()),
      worker_(std::make_unique<Worker>()),
      published_(std::make_shared<const EngineState>()),
      thread_([this] { loop(); }) {}

Engine::~Engine() {
  {
    std::lock_guard lock(mutex_);
    requests_->stop = true;
    stopping_ = true;
  }
  wake_.notify_all();
  thread_.join();
}

void Engine::open(const std::filesystem::path& path) {
  {
    std::lock_guard lock(mutex_);
    requests_->open = path;
    load_waiting_ = true;
  }
  wake_.notify_all();
}

void Engine::hash_model_files() {
  {
    std::lock_guard lock(mutex_);
    requests_->hash_pending = true;
  }
  wake_.notify_all();
}

bool Engine::hash_step(std::unique_lock<std::mutex>& lock) {
  if (!requests_->hash_pending) return false;
  requests_->hash_pending = false;
  const uint64_t model_id = published_->model_id;
  if (!worker_->model || (published_->model_files && published_->model_files->model_id == model_id))
    return true;
  const std::filesystem::path folder = worker_->model->folder();
  lock.unlock();
  auto result = std::make_shared<ModelFilesResult>();
  result->model_id = model_id;
  auto files = attnviz::hash_model_files(folder);
  if (files) result->files = std::move(files).value();
  if (!files) result->error = files.error().message;
  lock.lock();
  publish([&](EngineState& s) { s.model_files = std::move(result); });
  return true;
}

uint64_t Engine::export_data(std::shared_ptr<const AttentionTrace> trace, ExportFormat format,
                             const std::filesystem::path& path, const TensorSlice& slice) {
  uint64_t number = 0;
  {
    std::lock_guard lock(mutex_);
    number = ++requests_->export_numbers;
    requests_->data_exports.push_back({number, std::move(trace), format, path, slice});
  }
  wake_.notify_all();
  return number;
}

bool Engine::export_step(std::unique_lock<std::mutex>& lock) {
  if (requests_->data_exports.empty()) return false;
  Requests::DataExport job = std::move(requests_->data_exports.front());
  requests_->data_exports.pop_front();
  lock.unlock();
  auto result = std::make_shared<DataExportResult>();
  result->number = job.number;
  result->path = job.path;
  result->statement = data_export_statement(dims_of(*job.trace), job.format, job.slice);
  export_cancel_ = false;
  export_done_ = 0;
  export_total_ = 1;
  const auto start = std::chrono::steady_clock::now();
  auto last_wake = start;
  const Status written = attnviz::export_data(
      *job.trace, job.format, job.path, job.slice, [&](int64_t done, int64_t total) {
        export_done_ = done;
        export_total_ = total;
        // The UI draws the progress bar: wake it a few times a second.
        const auto now = std::chrono::steady_clock::now();
        if (wake_ui_ && now - last_wake > std::chrono::milliseconds(200)) {
          last_wake = now;
          wake_ui_();
        }
        return !export_cancel_.load() && !stopping_.load();
      });
  result->seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (!written.ok()) result->error = written.error().message;
  export_total_ = 0;
  export_done_ = 0;
  lock.lock();
  publish([&](EngineState& s) { s.data_export = std::move(result); });
  return true;
}

void Engine::show_imported(std::shared_ptr<const AttentionTrace> trace, const std::string& source) {
  {
    std::lock_guard lock(mutex_);
    requests_->imported.emplace(std::move(trace), source);
  }
  wake_.notify_all();
}

void Engine::run_text(const std::string& text, const RunOptions& options) {
  {
    std::lock_guard lock(mutex_);
    requests_->latest_run = Requests::Run{text, options};
    requests_->run_pending = true;
    ++run_generation_;
    // Running from the request on: the trace on screen is the old text's until the new one is
    // published (a run waits for a model; none runs while imported attention is shown).
    if (published_->model && !published_->imported && !published_->running)
      publish([](EngineState& s) {
        s.running = true;
        s.run_started = std::chrono::steady_clock::now();
      });
  }
  wake_.notify_all();
}

void Engine::cancel_run() {
  {
    std::lock_guard lock(mutex_);
    if (!requests_->run_pending && !published_->running) return;
    requests_->run_pending = false;
    ++run_generation_;  // the run in progress sees it at the end of its layer and stops
    const RunProgress where = run_progress();
    std::string note = "run cancelled";
    if (where.running && where.layers > 0)
      note += " at layer " + std::to_string(where.layers_done) + " of " +
              std::to_string(where.layers);
    if (published_->raw) note += "; the view shows the last finished run";
    publish([&](EngineState& s) {
      s.running = false;
      s.run_note = note;
    });
  }
  wake_.notify_all();
  if (wake_ui_) wake_ui_();
}

RunProgress Engine::run_progress() const {
  RunProgress out;
  out.running = forward_running_.load();
  out.layers = progress_layers_.load();
  out.tokens = progress_tokens_.load();
  out.layers_done = static_cast<int>(std::lround(progress_.load() * out.layers));
  const int64_t now = std::chrono::duration_cast<std::chrono::nanoseconds>(
                          std::chrono::steady_clock::now().time_since_epoch())
                          .count();
  if (out.running) out.elapsed_s = static_cast<double>(now - progress_start_.load()) * 1e-9;
  return out;
}

void Engine::set_view(const ViewRequest& view) {
  {
    std::lock_guard lock(mutex_);
    if (requests_->view == view) return;
    requests_->view = view;
  }
  wake_.notify_all();
}

void Engine::run_probe() {
  {
    std::lock_guard lock(mutex_);
    requests_->probe_pending = true;
  }
  wake_.notify_all();
}

void Engine::set_diff(std::optional<DiffRequest> request) {
  {
    std::lock_guard lock(mutex_);
    if (requests_->diff == request) return;
    requests_->diff = std::move(request);
  }
  wake_.notify_all();
}

std::shared_ptr<const EngineState> Engine::state() const {
  std::lock_guard lock(mutex_);
  return published_;
}

void Engine::publish(const std::function<void(EngineState&)>& edit) {
  auto next = std::make_shared<EngineState>(*published_);
  edit(*next);
  next->id = next_id();
  published_ = std::move(next);
}

void Engine::loop() {
  // Below the UI thread: a long run or role table must not slow the frames drawn meanwhile.
  setpriority(PRIO_PROCESS, static_cast<id_t>(gettid()), 10);
  std::unique_lock lock(mutex_);
  while (!requests_->stop) {
    // A data export waits for the run and the view on screen, then goes before the rest.
    const bool worked = load_step(lock) || run_step(lock) || view_step(lock) ||
                        overview_step(lock) || export_step(lock) || grid_step(lock) ||
                        whole_map_step(lock) || baseline_step(lock) || changes_step(lock) ||
                        importance_step(lock) ||
                        roles_step(lock) || lens_step(lock) ||
                        probe_step(lock) || diff_step(lock) || hash_step(lock);
    if (worked) {
      lock.unlock();
      if (wake_ui_) wake_ui_();
      lock.lock();
    } else {
      wake_.wait(lock);
    }
  }
}

bool Engine::load_step(std::unique_lock<std::mutex>& lock) {
  if (requests_->imported) {
    auto [trace, source] = std::move(*requests_->imported);
    requests_->imported.reset();
    publish([&, id = next_id()](EngineState& s) {
      s.imported = true;
      s.running = false;
      s.imported_source = source;
      s.raw = {id, id, trace};
      s.input = {};
      s.run_error.clear();
      s.open_error.clear();
    });
    return true;
  }
  if (!requests_->open) return false;
  const std::filesystem::path path = *requests_->open;
  requests_->open.reset();
  load_waiting_ = false;
  publish([&](EngineState& s) { s.loading = path; });
  lock.unlock();
  if (wake_ui_) wake_ui_();
  std::string error;
  std::shared_ptr<const AttentionTrace> imported;
  std::shared_ptr<Model> model;
  if (is_attention_file(path)) {
    auto loaded = load_attention_file(path, tokens_beside(path));
    if (loaded) imported = std::move(loaded).value();
    if (!loaded) error = loaded.error().message;
  } else {
    auto loaded = Model::load(path);
    if (loaded) model = std::move(loaded).value();
    if (!loaded) error = loaded.error().message;
  }
  lock.lock();
  if (!error.empty()) {
    publish([&](EngineState& s) {
      s.loading.clear();
      s.open_error = error;
      ++s.open_error_id;
    });
    return true;
  }
  if (imported) {
    publish([&, id = next_id()](EngineState& s) {
      s.loading.clear();
      s.open_error.clear();
      s.imported = true;
      s.running = false;
      s.imported_source = path.string();
      s.raw = {id, id, imported};
      s.input = {};
      s.run_error.clear();
    });
    return true;
  }
  worker_->model = model;
  worker_->last_trace.reset();
  worker_->baseline.reset();  // the old model's run is no "before" for the new one
  publish([&](EngineState& s) {
    s.loading.clear();
    s.open_error.clear();
    s.model = model_info(*model);
    ++s.model_id;
    s.baseline = {};
    // The model's runs are on screen again (after an imported file, too).
    s.imported = false;
    s.imported_source.clear();
  });
  // The text on screen belongs to the new model now.
  if (requests_->latest_run) {
    requests_->run_pending = true;
    publish([](EngineState& s) {
      s.running = true;
      s.run_started = std::chrono::steady_clock::now();
    });
  }
  return true;
}

bool Engine::run_step(std::unique_lock<std::mutex>& lock) {
  if (!requests_->run_pending || !worker_->model || published_->imported) return false;
  requests_->run_pending = false;
  const Requests::Run request = *requests_->latest_run;
  const uint64_t generation = run_generation_.load();
  std::shared_ptr<Model> model = worker_->model;
  std::shared_ptr<const AttentionTrace> previous = worker_->last_trace;
  publish([](EngineState& s) {
    s.running = true;
    s.run_started = std::chrono::steady_clock::now();
    s.run_note.clear();
  });
  progress_ = 0.0f;
  lock.unlock();
  if (wake_ui_) wake_ui_();

  ModelInput input;
  Result<std::shared_ptr<const AttentionTrace>> result = make_error("");
  auto prepared = prepare_input(model->tokenizer(), model->config(), request.text);
  if (!prepared) {
    result = prepared.error();
  } else if (prepared->tokens.empty()) {
    input = std::move(prepared).value();
    const ModelConfig& config = model->config();
    auto empty = std::make_shared<AttentionTrace>(std::vector<Token>{}, config.layers, config.heads,
                                                  config.causal());
    empty->model_name = config.name;
    empty->options = request.options;
    result = std::shared_ptr<const AttentionTrace>(std::move(empty));
  } else {
    input = std::move(prepared).value();
    // A stale run stops early: a newer request, a load, or shutdown is waiting.
    ProgressFn progress = [this, generation](float fraction) {
      progress_ = fraction;
      return run_generation_.load() == generation && !load_waiting_ && !stopping_;
    };
    progress_layers_ = model->config().layers;
    progress_tokens_ = static_cast<int>(input.tokens.size());
    progress_start_ = std::chrono::duration_cast<std::chrono::nanoseconds>(
                          std::chrono::steady_clock::now().time_since_epoch())
                          .count();
    forward_running_ = true;
    // The attention goes on screen first; the predictions follow.
    RunOptions options = request.options;
    options.defer_predictions = true;
    // The logit lens reads the residual stream: kept while it is small (kLensHiddenBudget).
    options.keep_hidden_states =
        model->has_lm_head() &&
        hidden_states_bytes(model->config(), static_cast<int>(input.tokens.size())) <=
            kLensHiddenBudget;
    result = model->run(input.tokens, options, previous.get(), progress);
    forward_running_ = false;
  }

  lock.lock();
  // Still running when a newer request is queued (it runs next).
  publish([&](EngineState& s) { s.running = requests_->run_pending; });
  if (run_generation_.load() != generation) return true;  // stale: a newer request is queued
  if (!result && load_waiting_) {
    requests_->run_pending = true;  // cancelled for a load; if the load fails, run again
    return true;
  }
  if (!result) {
    publish([&](EngineState& s) { s.run_error = result.error().message; });
    return true;
  }
  std::shared_ptr<const AttentionTrace> trace = result.value();
  worker_->last_trace = trace;
  if (request.options.ablations.empty()) worker_->baseline = trace;
  const uint64_t id = next_id();
  publish([&](EngineState& s) {
    s.raw = {id, id, trace};
    if (request.options.ablations.empty()) s.baseline = {};
    s.input = input;
    s.run_error.clear();
    s.run_note.clear();
  });
  if (!trace->predictions_pending()) return true;
  // The predictions: a few milliseconds, not cancelled (the next run reuses this trace's prefix
  // only once its predictions are complete).
  lock.unlock();
  if (wake_ui_) wake_ui_();
  std::shared_ptr<const AttentionTrace> completed = model->complete_predictions(trace);
  lock.lock();
  worker_->last_trace = completed;
  if (published_->raw.trace != trace) return true;  // a load or an import replaced it meanwhile
  publish([&, object = next_id()](EngineState& s) { s.raw = {object, id, completed}; });
  return true;
}

bool Engine::view_step(std::unique_lock<std::mutex>& lock) {
  const TraceRef raw = published_->raw;
  if (!raw) return false;
  const TraceViewOptions options = requests_->view.token_view;
  const auto& current = published_->view;
  if (current && current->raw_id == raw.id && current->options == options) return false;
  lock.unlock();
  DerivedTrace derived = derive_trace(raw.trace, options);
  lock.lock();
  if (published_->raw.id != raw.id) return true;  // a newer trace: derive that one
  auto view = std::make_shared<ViewResult>();
  view->raw_id = raw.id;
  view->options = options;
  view->trace = derived.derived ? TraceRef{next_id(), 0, derived.trace} : raw;
  view->derived = std::move(derived);
  publish([&](EngineState& s) { s.view = std::move(view); });
  return true;
}

bool Engine::whole_map_step(std::unique_lock<std::mutex>& lock) {
  const HeadMode mode = requests_->view.head_mode;
  const TraceRef raw = published_->raw;
  const auto& view = published_->view;
  if (!head_mode_info(mode).whole_model || !raw || !view || view->raw_id != raw.id) return false;
  const auto& have = published_->whole_map;
  if (have && have->attention_id == raw.attention_id && have->options == view->options &&
      have->mode == mode)
    return false;
  const TraceViewOptions options = view->options;
  lock.unlock();
  auto map = std::make_shared<WholeMap>();
  map->attention_id = raw.attention_id;
  map->options = options;
  map->mode = mode;
  const AggregateMode aggregate = head_mode_info(mode).aggregate;
  map->refusal = whole_model_refusal(aggregate, raw.trace->tokens_count(), raw.trace->layers());
  if (map->refusal.empty()) map->values = whole_model_map(raw.trace, options, aggregate);
  lock.lock();
  publish([&](EngineState& s) { s.whole_map = std::move(map); });
  return true;
}

bool Engine::overview_step(std::unique_lock<std::mutex>& lock) {
  const ViewRequest& request = requests_->view;
  const auto& view = published_->view;
  if (!request.heatmap || !view || !view->trace || view->raw_id != published_->raw.id ||
      !overview_on_engine(*view->trace.trace, request.head_mode))
    return false;
  const AttentionTrace& trace = *view->trace.trace;
  if (request.layer < 0 || request.layer >= trace.layers() || request.head < 0 ||
      request.head >= trace.heads())
    return false;  // a request of the previous model: the next frame sends this one's
  ViewSpec spec;
  spec.head_mode = request.head_mode;
  spec.layer = request.layer;
  spec.head = request.head;
  spec.enabled_heads = request.enabled_heads;
  spec.enabled_heads.resize(static_cast<size_t>(trace.heads()), 1);
  const MapKey key = map_key(view->trace.id, spec, false);
  if (published_->overview_for(key)) return false;
  const TraceRef shown = view->trace;
  lock.unlock();
  auto overview = std::make_shared<HeatmapOverview>();
  overview->key = key;
  overview->values = heatmap_overview(*shown.trace, spec, {});
  lock.lock();
  publish([&](EngineState& s) { s.overview = std::move(overview); });
  return true;
}

bool Engine::grid_step(std::unique_lock<std::mutex>& lock) {
  const ViewRequest& request = requests_->view;
  const auto& view = published_->view;
  if (!request.grid || !view || !view->trace || view->raw_id != published_->raw.id ||
      !grid_on_engine(*view->trace.trace))
    return false;
  const bool contrast = request.grid_per_head_contrast;
  if (published_->grid_for(view->trace.id, contrast)) return false;
  const TraceRef trace = view->trace;
  lock.unlock();
  auto grid = std::make_shared<GridThumbnails>();
  grid->trace_id = trace.id;
  grid->per_head_contrast = contrast;
  grid->values = grid_atlas(*trace.trace, contrast, kGridMaxTexels, grid->head_max);
  lock.lock();
  publish([&](EngineState& s) { s.grid = std::move(grid); });
  return true;
}

bool Engine::roles_step(std::unique_lock<std::mutex>& lock) {
  const TraceRef raw = published_->raw;
  if (!raw) return false;
  const auto& probe = published_->probe;
  const bool probe_fits =
      probe && !published_->imported && probe->model_id == published_->model_id &&
      static_cast<int>(probe->scores.size()) == raw.trace->layers() * raw.trace->heads();
  const uint64_t probe_model = probe_fits ? probe->model_id : 0;
  const auto& have = published_->roles;
  if (have && have->attention_id == raw.attention_id && have->probe_model_id == probe_model)
    return false;
  auto roles = std::make_shared<RolesResult>();
  roles->attention_id = raw.attention_id;
  roles->probe_model_id = probe_model;
  if (have && have->attention_id == raw.attention_id) {
    roles->table = have->table;  // only the probe's scores are new
  } else {
    lock.unlock();
    roles->table = compute_head_roles(*raw.trace);
    lock.lock();
  }
  if (probe_fits) set_induction_from_probe(roles->table, probe->scores);
  publish([&](EngineState& s) { s.roles = std::move(roles); });
  return true;
}

bool Engine::probe_step(std::unique_lock<std::mutex>& lock) {
  if (!requests_->probe_pending || !worker_->model) return false;
  requests_->probe_pending = false;
  std::shared_ptr<Model> model = worker_->model;
  const uint64_t model_id = published_->model_id;
  lock.unlock();
  const ProbeInput input = make_probe_input(model->tokenizer(), model->config());
  RunOptions options;
  options.keep_qkv = false;
  auto result = model->run(input.tokens, options, nullptr,
                           [this](float) { return !load_waiting_ && !stopping_; });
  lock.lock();
  if (!result || published_->model_id != model_id) return true;
  auto probe = std::make_shared<ProbeResult>();
  probe->model_id = model_id;
  const uint64_t id = next_id();
  probe->trace = {id, id, result.value()};
  probe->repeat_length = input.repeat_length;
  probe->seed = input.seed;
  probe->scores = induction_probe_score(*probe->trace.trace, input.repeat_length);
  publish([&](EngineState& s) { s.probe = std::move(probe); });
  return true;
}

bool Engine::diff_step(std::unique_lock<std::mutex>& lock) {
  if (!requests_->diff) {
    if (!published_->diff) return false;
    publish([](EngineState& s) { s.diff.reset(); });
    return true;
  }
  const DiffRequest request = *requests_->diff;
  const auto& view = published_->view;
  if (!view || !view->trace) return false;
  const TraceRef a = view->trace;
  const auto& have = published_->diff;
  if (have && have->request == request && have->view_a_id == a.id) return false;
  const bool other_model = request.source == DiffSpec::Source::kOtherModel;
  std::shared_ptr<Model> main_model = worker_->model;
  const std::string main_folder = main_model ? main_model->folder().string() : "";
  auto result = std::make_shared<DiffResult>();
  result->id = next_id();
  result->request = request;
  result->view_a_id = a.id;
  result->trace_a = a;
  const std::string folder = other_model ? request.model_b.string() : main_folder;
  const std::string& text = other_model ? request.main_text : request.text_b;
  const std::string key = folder + '\n' + text;
  lock.unlock();

  // The second run: the other text with the main model, or the text with the second model.
  std::string error;
  if (folder.empty()) {
    error = other_model ? "type the second model's folder"
                        : "the diff runs a model: load one (imported attention has none)";
  } else if (text.empty()) {
    error = "type the second text";
  } else if (key != worker_->diff_key || !worker_->diff_raw) {
    std::shared_ptr<Model> model = main_model;
    if (other_model) {
      if (!worker_->diff_model || worker_->diff_model->folder() != request.model_b) {
        worker_->diff_model.reset();  // free the old weights before loading new ones
        auto loaded = Model::load(request.model_b);
        if (loaded) worker_->diff_model = std::move(loaded).value();
        if (!loaded) error = loaded.error().message;
      }
      model = worker_->diff_model;
    }
    if (error.empty()) {
      auto input = prepare_input(model->tokenizer(), model->config(), text);
      if (!input) {
        error = input.error().message;
      } else if (input->tokens.empty()) {
        error = "the second text gives no tokens";
      } else {
        RunOptions options;
        options.keep_qkv = false;  // the diff needs the weights only
        auto run = model->run(input->tokens, options, nullptr,
                              [this](float) { return !load_waiting_ && !stopping_; });
        if (run) {
          worker_->diff_raw = std::move(run).value();
          worker_->diff_key = key;
        } else {
          error = run.error().message;
        }
      }
    }
  }
  if (error.empty() && worker_->diff_raw) {
    const DerivedTrace b = derive_trace(worker_->diff_raw, request.token_view);
    const AttentionTrace& ta = *a.trace;
    const AttentionTrace& tb = *b.trace;
    const int listed = static_cast<int>(ta.heads());
    const AggregateChoice choice_a = choice_within(request.choice, listed, ta.layers(), ta.heads());
    const AggregateChoice choice_b =
        choice_within(request.choice, listed, tb.layers(), tb.heads(), &result->note);
    result->trace_b = {result->id, result->id, b.trace};
    result->tokens_a = ta.tokens_count();
    result->tokens_b = tb.tokens_count();
    result->map_a = aggregate(ta, choice_a);
    result->map_b = aggregate(tb, choice_b);
    for (float w : result->map_a) result->max_weight = std::max(result->max_weight, w);
    for (float w : result->map_b) result->max_weight = std::max(result->max_weight, w);
    auto diff = diff_maps(result->map_a, alignment_tokens(ta.tokens()), result->map_b,
                          alignment_tokens(tb.tokens()));
    if (!diff) {
      result->note = diff.error().message;
    } else {
      result->aligned = diff->size;
      result->difference = std::move(diff->difference);
      result->pairs = std::move(diff->alignment.pairs);
      for (float d : result->difference)
        result->max_change = std::max(result->max_change, std::fabs(d));
    }
  }
  result->error = error;
  lock.lock();
  publish([&](EngineState& s) { s.diff = std::move(result); });
  return true;
}

}  // namespace attnviz
