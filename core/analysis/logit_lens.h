// The logit lens (nostalgebraist, 2020; issue 14): every layer's residual stream read through
// the model's own final norm and unembedding, as if the model stopped after that layer. Row 0 is
// the embeddings, row l the stream after l layers, and row L the model's real output (the
// Predictions panel's numbers). A cell holds the top next tokens with their probabilities and
// the probability of the token that actually follows, so a person sees at which layer the
// model's answer forms.
//
// It reads a trace that kept its residual stream (RunOptions::keep_hidden_states); the (rows,
// V) logits never exist whole (Model::read_out).
//
// Legend: L layers, T tokens, C width, V vocabulary, P positions shown.
#pragma once

#include <cmath>
#include <utility>
#include <vector>

#include "core/attention_trace.h"
#include "core/model.h"
#include "core/result.h"

namespace attnviz {

struct LensCell {
  std::vector<Prediction> top;  // most likely first
  float next = NAN;             // p(the token that actually follows); NaN at the text's end
};

struct LogitLens {
  int first = 0, last = -1;  // the positions read, [first, last]
  int rows = 0;              // L + 1
  int top_k = 0;
  std::vector<LensCell> cells;  // (rows, P), row after row

  int positions() const { return last - first + 1; }
  const LensCell& at(int row, int position) const {
    return cells[static_cast<size_t>(row) * positions() + (position - first)];
  }
};

// The most positions one lens reads (a window of the text, chosen around the pin), and the most
// top tokens a cell keeps: each position costs (L+1)·V·C multiply-adds.
inline constexpr int kLensMaxPositions = 64;
inline constexpr int kLensMaxTopK = 20;

// The lens of positions [first, last] of `trace`, run by `model` (the trace must have kept its
// hidden states). Errors: a model without an LM head, a trace without its residual stream,
// positions outside the text or more than kLensMaxPositions, top_k outside 1..kLensMaxTopK.
Result<LogitLens> logit_lens(const Model& model, const AttentionTrace& trace, int first, int last,
                             int top_k);

// The window of at most `width` positions of a text of `tokens` tokens that holds `position`
// and, where the text allows, as many positions before it as after ([first, last]).
std::pair<int, int> lens_window(int tokens, int position, int width);

// Whether a run of T tokens keeps its residual stream for the lens: (L+1)·T·C floats within
// kLensHiddenBudget bytes (GPT-2 small at T = 1024: 41 MB). The app's runs of models with an LM
// head keep it then; longer texts get no lens, and the lens says why.
inline constexpr size_t kLensHiddenBudget = size_t{100} * 1000 * 1000;
size_t hidden_states_bytes(const ModelConfig& config, int tokens);

}  // namespace attnviz
