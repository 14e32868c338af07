#include "core/analysis/model_input.h"

#include <algorithm>

#include "core/analysis/head_roles.h"

namespace attnviz {

ModelInput truncate_to_context(std::vector<Token> tokens, int max_positions) {
  ModelInput input;
  input.had_tokens = static_cast<int>(tokens.size());
  input.max_positions = max_positions;
  const size_t limit = static_cast<size_t>(std::max(max_positions, 0));
  if (max_positions > 0 && tokens.size() > limit) {
    const Token last = tokens.back();
    tokens.resize(limit);
    if (last.special && limit >= 2) tokens.back() = last;
  }
  input.tokens = std::move(tokens);
  return input;
}

Result<ModelInput> prepare_input(const Tokenizer& tokenizer, const ModelConfig& config,
                                 std::string_view text) {
  auto tokens = tokenizer.encode(text);
  if (!tokens) return tokens.error();
  return truncate_to_context(std::move(tokens).value(), config.max_positions);
}

std::string truncation_note(const ModelInput& input) {
  if (!input.truncated()) return "";
  const int dropped = input.had_tokens - static_cast<int>(input.tokens.size());
  return "the text has " + std::to_string(input.had_tokens) + " tokens; the model reads at most " +
         std::to_string(input.max_positions) + ": the last " + std::to_string(dropped) +
         (dropped == 1 ? " was" : " were") + " dropped";
}

int32_t probe_first_token(const Tokenizer& tokenizer) {
  if (auto eos = tokenizer.encode("<|endoftext|>");
      eos.ok() && eos->size() == 1 && (*eos)[0].special)
    return (*eos)[0].id;
  if (auto empty = tokenizer.encode(""); empty.ok() && !empty->empty() && (*empty)[0].special)
    return (*empty)[0].id;
  return 0;
}

ProbeInput make_probe_input(const Tokenizer& tokenizer, const ModelConfig& config,
                            int repeat_length, uint64_t seed) {
  ProbeInput probe;
  probe.seed = seed;
  probe.repeat_length = repeat_length;
  if (config.max_positions > 0)
    probe.repeat_length = std::min(repeat_length, (config.max_positions - 1) / 2);
  probe.repeat_length = std::max(probe.repeat_length, 1);
  const int32_t first = probe_first_token(tokenizer);
  size_t offset = 0;
  for (int32_t id : make_induction_probe(config.vocab_size, probe.repeat_length, seed, first)) {
    Token token{id, tokenizer.token_text(id), offset, offset, probe.tokens.empty()};
    offset += token.text.size();
    token.end = offset;
    probe.tokens.push_back(std::move(token));
  }
  return probe;
}

}  // namespace attnviz
