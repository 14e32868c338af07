// Attention from anywhere: an attention tensor saved by another program (numpy .npy or
// safetensors) plus its tokens, turned into an AttentionTrace that every panel can show.
//
// Legend: L layers, H heads, T tokens.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <nlohmann/json_fwd.hpp>
#include <span>
#include <string>
#include <vector>

#include "core/attention_trace.h"
#include "core/result.h"

namespace attnviz {

// Sizes accepted before anything is allocated.
struct ImportLimits {
  uint64_t max_layers = 1024;
  uint64_t max_heads = 1024;
  uint64_t max_tokens = 65536;
  uint64_t max_bytes = uint64_t{4} << 30;  // of the float32 (L, H, T, T) tensor
};

// Reads a tokens file: a JSON list, or an object whose "tokens" is the list (the JSON that
// `attnviz export` writes qualifies; its "attention" is skipped while reading). Entries are
// strings, or objects with "text" and optional "id", "start", "end", "special".
//   - id: when absent, a stand-in shared by equal texts (the index of the first token with
//     that text), so duplicate and induction detectors still see repeats;
//   - start/end: used when every entry has both, else spans are laid out over the
//     concatenated texts;
//   - special: when absent, true for texts like "[CLS]", "<|endoftext|>", "<s>";
//   - partial, char_start, char_end: a piece of a character, its text the bytes it holds as
//     "<0xE6><0x97>", [char_start, char_end) the whole characters (kept only with spans).
// At most limits.max_tokens tokens' worth of JSON values are read (an export's "attention" is
// skipped, not built).
Result<std::vector<Token>> load_tokens_json(const std::filesystem::path& path,
                                            const ImportLimits& limits = {});

// Loads `attention` of shape (L, H, T, T), (H, T, T) or (T, T), rows = queries:
//   .npy          float32 or float16 (numpy.save);
//   .safetensors  the one tensor, or the one named "attentions" / "attention"; F32, F16, BF16;
//   .json         nested lists, alone or as "attention" of an object (attnviz's JSON export);
// with the tokens of `tokens_json`. An empty `tokens_json` takes the tokens from the file itself
// (the safetensors metadata export_data writes, or the JSON's "tokens"). Checks: T
// equals the number of tokens, sizes within `limits` before reading the data, every value finite
// and in [0, 1 + 1e-3]. The trace is causal when every weight above the diagonal is 0; it has no
// Q/K/V and its model_name is the attention file's name.
Result<std::shared_ptr<AttentionTrace>> load_attention_file(
    const std::filesystem::path& attention, const std::filesystem::path& tokens_json,
    const ImportLimits& limits = {});

// Builds a trace from a dense tensor after the checks above (exposed for other importers and
// tests). `shape` is one of the three accepted shapes; `origin` names the file in messages.
Result<std::shared_ptr<AttentionTrace>> trace_from_dense(std::vector<Token> tokens,
                                                         std::span<const uint64_t> shape,
                                                         std::span<const float> values,
                                                         const std::string& origin,
                                                         const ImportLimits& limits = {});

// One token as every writer spells it (JSON and safetensors exports, `tokenize --json`):
// {"id", "text", "start", "end", "special"}, plus for a piece of a character "partial": true,
// "char_start", "char_end". load_tokens_json reads it back to the same Token.
nlohmann::ordered_json token_to_json(const Token& token);

// The tokens as the JSON list load_tokens_json reads (shared with the writers).
std::string tokens_to_json(std::span<const Token> tokens);

}  // namespace attnviz
