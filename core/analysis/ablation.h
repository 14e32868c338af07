// Head ablation as a person asks for it (issue 14): "1.0,1.3" and zero|mean into the
// RunOptions::ablations a run applies (core/attention_trace.h), and what an ablation does to
// the model's predictions: the probability of the token that actually follows each position,
// read from a trace that kept its hidden states.
//
// Legend: L layers, T tokens, C width, R the induction probe's repeat length.
#pragma once

#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/attention_trace.h"
#include "core/model.h"
#include "core/result.h"

namespace attnviz {

// "zero" / "mean" (the CLI's --ablate-kind, the app's choice); nullopt for anything else.
std::optional<HeadAblation::Kind> ablation_kind_from_key(std::string_view key);
const char* ablation_kind_key(HeadAblation::Kind kind);

// "1.0,1.3" (layer.head, comma-separated) → ablations of `kind`. The Error names the bad item;
// layers and heads are checked against a model by the run (validate_run).
Result<std::vector<HeadAblation>> parse_ablation_list(std::string_view text,
                                                      HeadAblation::Kind kind);

// Adds (layer, head) with `kind`, or removes it when it is already ablated (the app's toggle).
void toggle_ablation(std::vector<HeadAblation>& ablations, int layer, int head,
                     HeadAblation::Kind kind);
bool is_ablated(std::span<const HeadAblation> ablations, int layer, int head);

// p(token q+1 | tokens 0..q) for each q in [first, last], read through the model's LM head
// from the trace's final hidden states (the trace must keep them: RunOptions::
// keep_hidden_states). An error for a model without an LM head or a trace without them.
Result<std::vector<float>> next_token_probabilities(const Model& model, const AttentionTrace& trace,
                                                    int first, int last);

// One next token's probability in two runs of the same text (the model's own and an ablated
// one): the Predictions panel's and `attnviz heads --ablate`'s before → after.
struct PredictionChange {
  int32_t id = 0;
  std::string text;
  float before = 0.0f, after = 0.0f;
};

// At each position of [first, last]: the union of both runs' top_k next tokens (their
// predictions), each with its exact probability in both runs, read through the LM head from
// the traces' final hidden states (both must keep them); most likely after the ablation first.
// One LM head pass per run over the positions.
Result<std::vector<std::vector<PredictionChange>>> prediction_changes(
    const Model& model, const AttentionTrace& before, const AttentionTrace& after, int first,
    int last, int top_k);

// What switching one head off does to one prediction (the head-importance table): p(target |
// tokens 0..position) in the model's own run and with only (layer, head) ablated.
struct HeadImportance {
  int layer = 0, head = 0;
  float before = 0.0f, after = 0.0f;
  // The change in log-probability: negative when the head helped the target.
  double delta_log_p() const;
};

// Called after each run with (runs done, runs in all); false cancels.
using ImportanceProgress = std::function<bool(int done, int total)>;

// Every head of `model` ablated alone (`kind`), in layer-major order: L·H runs of `tokens` plus
// the model's own. Only tokens 0..position are run when that cannot change the answer (a causal
// model and zero ablation; a mean ablation's mean covers the whole text). Errors: no LM head, a
// position or target outside the text or vocabulary, "cancelled".
Result<std::vector<HeadImportance>> head_importance(Model& model, std::span<const Token> tokens,
                                                    int position, int32_t target,
                                                    HeadAblation::Kind kind,
                                                    const ImportanceProgress& progress = {});

// The induction probe's copying positions: q = R+1 .. 2R−1 of the repeat, whose next token is
// a copy of the one that followed the same token in the first half (core/analysis/
// model_input.h's probe: token 0, R random tokens, the same R again).
inline int probe_copy_first(int repeat_length) { return repeat_length + 1; }
inline int probe_copy_last(int repeat_length) { return 2 * repeat_length - 1; }

}  // namespace attnviz
