#include "core/forward_pass.h"

#include <Eigen/Core>
#include <algorithm>
#include <cassert>
#include <cmath>
#include <string>

#include "core/ops.h"

#ifdef _OPENMP
#include <omp.h>
#endif

namespace attnviz {
namespace {

using RowMatrix = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

// The thread count the process started with (OMP_NUM_THREADS or the cores), read when the
// program loads, so neither a ThreadLimit in force nor run_serially_on_this_thread() on the
// thread that asks first lowers it.
const int kStartThreads = max_threads();

int default_threads() {
  return kStartThreads;
}

int thread_index() {
#ifdef _OPENMP
  return omp_get_thread_num();
#else
  return 0;
#endif
}

// Grows a buffer to n floats; never shrinks, so later shorter runs reuse the memory.
template <class Vector>
void grow(Vector& buffer, size_t n) {
  if (buffer.size() < n) buffer.resize(n);
}

// The k best (logit, id) of one row, best first, by a bounded min-heap scan over V.
void top_k_of_row(std::pair<float, int32_t>* out, const float* logits, int vocab, int k) {
  auto worse = [](const std::pair<float, int32_t>& a, const std::pair<float, int32_t>& b) {
    return a.first > b.first || (a.first == b.first && a.second < b.second);
  };
  int size = 0;
  for (int id = 0; id < vocab; ++id) {
    if (size < k) {
      out[size++] = {logits[id], id};
      std::push_heap(out, out + size, worse);
    } else if (logits[id] > out[0].first) {
      std::pop_heap(out, out + size, worse);
      out[size - 1] = {logits[id], id};
      std::push_heap(out, out + size, worse);
    }
  }
  std::sort_heap(out, out + size, worse);
}

}  // namespace

void ForwardScratch::reserve(const ModelConfig& config, int tokens, int rows, bool own_qkv,
                             int top_k) {
  const size_t n = static_cast<size_t>(rows), c = static_cast<size_t>(config.width);
  grow(residual, n * c);
  grow(normed, n * c);
  grow(context, n * c);
  grow(mlp, n * static_cast<size_t>(config.inner));
  if (own_qkv) grow(qkv, static_cast<size_t>(tokens) * 3 * c);
  grow(probs, static_cast<size_t>(max_threads()) * kQueryBlock * static_cast<size_t>(tokens));
  if (top_k > 0 && config.architecture == Architecture::kGpt2) {
    grow(logits, static_cast<size_t>(kLogitRows) * static_cast<size_t>(config.vocab_size));
    grow(top, static_cast<size_t>(kLogitRows) * static_cast<size_t>(top_k));
  }
}

Status validate_run(const ModelConfig& config, std::span<const Token> tokens,
                    const RunOptions& options) {
  if (tokens.empty()) return make_error("no tokens: the text is empty, nothing to run");
  if (tokens.size() > static_cast<size_t>(config.max_positions))
    return make_error(std::to_string(tokens.size()) + " tokens, but the model " + config.name +
                      " reads at most " + std::to_string(config.max_positions) +
                      " (max_positions); shorten the text");
  for (size_t i = 0; i < tokens.size(); ++i) {
    if (tokens[i].id < 0 || tokens[i].id >= config.vocab_size)
      return make_error("token " + std::to_string(i) + " has id " + std::to_string(tokens[i].id) +
                        ", outside the vocabulary of " + std::to_string(config.vocab_size));
  }
  if (!(options.temperature > 0.0f) || !std::isfinite(options.temperature))
    return make_error("softmax temperature must be a number > 0, got " +
                      std::to_string(options.temperature));
  if (options.top_predictions < 0)
    return make_error("top_predictions must be >= 0, got " +
                      std::to_string(options.top_predictions));
  return Ok{};
}

std::vector<float> score_scales(const ModelConfig& config, const RunOptions& options) {
  std::vector<float> scales(config.layers);
  for (int layer = 0; layer < config.layers; ++layer) {
    double scale = 1.0;
    if (options.scale_by_sqrt_dk && config.scale_attn_weights)
      scale /= std::sqrt(static_cast<double>(config.head_dim()));
    if (config.scale_attn_by_inverse_layer_idx) scale /= layer + 1;
    scale /= options.temperature;
    scales[layer] = static_cast<float>(scale);
  }
  return scales;
}

int reusable_prefix(std::span<const Token> tokens, const RunOptions& options, bool causal,
                    const AttentionTrace* previous) {
  if (!previous || !causal || !previous->causal()) return 0;
  if (!options.same_math(previous->options) || !options.keep_qkv || !previous->has_qkv()) return 0;
  if (options.top_predictions != previous->options.top_predictions) return 0;
  if (options.keep_hidden_states && previous->hidden_states.empty()) return 0;
  int limit = std::min<int>(static_cast<int>(tokens.size()) - 1, previous->tokens_count());
  if (previous->predictions_pending()) limit = std::min(limit, previous->pending_from);
  int p = 0;
  while (p < limit && tokens[p].id == previous->tokens()[p].id) ++p;
  return p;
}

int threads_for_work(const ModelConfig& config, double multiply_adds) {
  // One thread for small runs (below ~5 ms of one core) of small models: on a machine doing
  // other work every parallel region can wait a scheduler slice for a descheduled helper
  // thread, which made 4 ms runs of the built-in model take 100-300 ms on two threads. Big
  // models keep every core even for one appended token: it is bound by reading the weights,
  // and two cores read them faster.
  const double c = config.width;
  const double weight_bytes =
      4.0 * (config.vocab_size * c + config.max_positions * c + config.layers * 12.0 * c * c);
  constexpr double kWorkPerThread = 200e6, kBigWeights = 64e6;
  return multiply_adds >= kWorkPerThread || weight_bytes >= kBigWeights ? default_threads() : 1;
}

RunPlan plan_run(const ModelConfig& config, std::span<const Token> tokens,
                 const RunOptions& options, const AttentionTrace* previous) {
  RunPlan plan;
  plan.tokens = static_cast<int>(tokens.size());
  plan.causal = options.causal_mask.value_or(config.causal());
  plan.score_scales = score_scales(config, options);
  if (previous && (previous->layers() != config.layers || previous->heads() != config.heads ||
                   previous->width() != config.width))
    previous = nullptr;
  plan.first = reusable_prefix(tokens, options, plan.causal, previous);
  // Multiply-adds of the run: projections and MLP (12·C² per row and layer), attention
  // (2·T·C per row and layer), and the LM head (V·C per row, GPT-2 only).
  const double rows = plan.rows(), c = config.width, t = plan.tokens;
  const double lm_head = config.architecture == Architecture::kGpt2 ? config.vocab_size * c : 0.0;
  const double work = rows * (config.layers * (12.0 * c * c + 2.0 * t * c) + lm_head);
  plan.threads = threads_for_work(config, work);
  return plan;
}

ThreadLimit::ThreadLimit(int threads) {
#ifdef _OPENMP
  saved_ = omp_get_max_threads();
  omp_set_num_threads(threads);
#else
  (void)threads;
#endif
}

ThreadLimit::~ThreadLimit() {
#ifdef _OPENMP
  omp_set_num_threads(saved_);
#endif
}

std::shared_ptr<AttentionTrace> start_trace(const ModelConfig& config,
                                            std::span<const Token> tokens,
                                            const RunOptions& options, const RunPlan& plan,
                                            const AttentionTrace* previous,
                                            TraceStoragePool& pool) {
  // Every value of the trace is written below: the prefix from the previous trace, the rest by
  // the layers.
  // The storage may already hold some of the prefix's rows (typing: those of the trace before
  // the previous one); copy_prefix copies only the rest.
  auto trace = AttentionTrace::for_run(std::vector<Token>(tokens.begin(), tokens.end()),
                                       config.layers, config.heads, plan.causal, options,
                                       options.keep_qkv ? config.width : 0, plan.first, pool);
  trace->model_name = config.name;
  trace->options = options;
  trace->set_score_scales(plan.score_scales);
  const size_t t = static_cast<size_t>(plan.tokens), c = static_cast<size_t>(config.width);
  if (options.keep_hidden_states) trace->hidden_states.assign((config.layers + 1) * t * c, 0.0f);
  const bool predicts = config.architecture == Architecture::kGpt2 && options.top_predictions > 0;
  if (predicts) trace->predictions.resize(t);
  trace->timings.reused_positions = plan.first;
  if (plan.first == 0) return trace;

  assert(previous && "a reused prefix needs the previous trace");
  const size_t p = static_cast<size_t>(plan.first);
  const size_t previous_t = static_cast<size_t>(previous->tokens_count());
  trace->timings.copied_positions = plan.first - trace->kept_rows();  // kept <= plan.first
  trace->copy_prefix(*previous, plan.first);
  if (options.keep_hidden_states) {
    for (int index = 0; index <= config.layers; ++index)
      std::copy_n(previous->hidden_states.begin() + index * previous_t * c, p * c,
                  trace->hidden_states.begin() + index * t * c);
  }
  if (predicts) std::copy_n(previous->predictions.begin(), p, trace->predictions.begin());
  return trace;
}

float* layer_qkv(AttentionTrace& trace, ForwardScratch& scratch, int layer) {
  return trace.has_qkv() ? trace.mutable_qkv(layer).data() : scratch.qkv.data();
}

void attend_layer(float* context, AttentionTrace& trace, const float* qkv, int layer,
                  const ModelConfig& config, const RunPlan& plan, ForwardScratch& scratch) {
  const int t = plan.tokens, c = config.width, d = config.head_dim();
  const float scale = plan.score_scales[layer];
#pragma omp parallel for schedule(dynamic, 1)
  for (int head = 0; head < config.heads; ++head) {
    float* probs = scratch.probs.data() + static_cast<size_t>(thread_index()) * kQueryBlock * t;
    for (int begin = plan.first; begin < t; begin += kQueryBlock) {
      AttentionHeadArgs args;
      args.qkv = qkv;
      args.tokens = t;
      args.width = c;
      args.head = head;
      args.head_dim = d;
      args.first_query = begin;
      args.end_query = std::min(begin + kQueryBlock, t);
      args.score_scale = scale;
      args.causal = plan.causal;
      const int keys = attention_block_keys(args);
      attention_head(probs, context + static_cast<size_t>(begin - plan.first) * c, args);
      for (int q = args.first_query; q < args.end_query; ++q) {
        const float* from = probs + static_cast<size_t>(q - begin) * keys;
        auto to = trace.mutable_row(layer, head, q);
        std::copy(from, from + to.size(), to.begin());
      }
    }
  }
}

void predict_next_tokens(AttentionTrace& trace, const float* final_hidden, const float* embedding,
                         const ModelConfig& config, const Tokenizer& tokenizer, const RunPlan& plan,
                         ForwardScratch& scratch) {
  const int k = std::min(trace.options.top_predictions, config.vocab_size);
  if (k <= 0 || trace.predictions.empty()) return;
  const int c = config.width, v = config.vocab_size, n = plan.rows();
  // The LM head is the token embedding (V, C) used as an nn.Linear-style (out, in) layer.
  const DenseWeights head{embedding, nullptr, c, v, /*out_major=*/true};
  for (int chunk = 0; chunk < n; chunk += kLogitRows) {
    const int rows = std::min(kLogitRows, n - chunk);
    Eigen::Map<RowMatrix> logits(scratch.logits.data(), rows, v);  // (rows, V)
    dense(logits.data(), final_hidden + static_cast<size_t>(chunk) * c, rows, head);
#pragma omp parallel for schedule(static)
    for (int r = 0; r < rows; ++r) {
      auto row = logits.row(r).array();
      const float row_max = row.maxCoeff();
      const float sum = (row - row_max).exp().sum();
      std::pair<float, int32_t>* best = scratch.top.data() + static_cast<size_t>(r) * k;
      top_k_of_row(best, logits.row(r).data(), v, k);
      // Keep the probability, not the logit, in the pair: the texts are filled in serially.
      for (int i = 0; i < k; ++i) best[i].first = std::exp(best[i].first - row_max) / sum;
    }
    for (int r = 0; r < rows; ++r) {
      std::vector<Prediction>& out = trace.predictions[plan.first + chunk + r];
      out.resize(k);
      const std::pair<float, int32_t>* best = scratch.top.data() + static_cast<size_t>(r) * k;
      for (int i = 0; i < k; ++i)
        out[i] = Prediction{best[i].second, tokenizer.token_text(best[i].second), best[i].first};
    }
  }
}

void store_hidden_state(AttentionTrace& trace, int index, const float* rows,
                        const ModelConfig& config, const RunPlan& plan) {
  if (trace.hidden_states.empty()) return;
  const size_t c = static_cast<size_t>(config.width);
  std::copy_n(
      rows, static_cast<size_t>(plan.rows()) * c,
      trace.hidden_states.begin() + (static_cast<size_t>(index) * plan.tokens + plan.first) * c);
}

void TraceHistory::remember(const std::shared_ptr<const AttentionTrace>& trace) {
  std::erase_if(traces_, [](const auto& weak) { return weak.expired(); });
  traces_.push_back(trace);
}

bool TraceHistory::produced(const AttentionTrace* trace) const {
  if (!trace) return false;
  for (const auto& weak : traces_) {
    auto live = weak.lock();
    if (live && live.get() == trace) return true;
  }
  return false;
}

}  // namespace attnviz
