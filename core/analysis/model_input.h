// What a model reads, by one rule for the command line and the app: a text's tokens cut to the
// model's context (the closing special token, BERT's [SEP], stays last), and the standard
// induction probe (a first special token, R random tokens, the same R again).
//
// Legend: P positions (the model's context), R the probe's repeat length.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/model_config.h"
#include "core/result.h"
#include "core/tokenizer.h"

namespace attnviz {

struct ModelInput {
  std::vector<Token> tokens;  // at most P
  int had_tokens = 0;         // before truncation
  int max_positions = 0;      // P
  bool truncated() const { return had_tokens > static_cast<int>(tokens.size()); }
};

// Keeps the first P tokens; when the last token is special (BERT's [SEP]) it stays last, in
// place of the P-th token. P <= 0: no limit.
ModelInput truncate_to_context(std::vector<Token> tokens, int max_positions);

// Tokenizes `text` and cuts it to the model's context. Tokenize first, then cut: cutting the
// text could split a word or a character and change the last tokens.
Result<ModelInput> prepare_input(const Tokenizer& tokenizer, const ModelConfig& config,
                                 std::string_view text);

// "the text has 1481 tokens; the model reads at most 1024: the last 457 were dropped" (empty
// when nothing was cut), for the app's status and the CLI's warning.
std::string truncation_note(const ModelInput& input);

// The standard induction probe, the same for `attnviz heads --probe induction` and the app.
inline constexpr int kProbeRepeat = 20;
inline constexpr uint64_t kProbeSeed = 0;

struct ProbeInput {
  std::vector<Token> tokens;  // 1 + 2R: the first token, R random tokens, the same R again
  int repeat_length = 0;      // R (smaller than asked when the context is short)
  uint64_t seed = 0;
};

// The probe's first token: <|endoftext|> when the tokenizer reads it as one special token
// (GPT-2), else the first special token of an empty text ([CLS]), else id 0.
int32_t probe_first_token(const Tokenizer& tokenizer);

// The probe for this model: R is cut to fit the context ((P - 1) / 2). Token texts are the
// tokenizer's, byte spans consecutive, the first token special.
ProbeInput make_probe_input(const Tokenizer& tokenizer, const ModelConfig& config,
                            int repeat_length = kProbeRepeat, uint64_t seed = kProbeSeed);

}  // namespace attnviz
