// Rotary position embeddings as transformers computes them (modeling_rope_utils.py and the
// families' *RotaryEmbedding classes): reading rope_theta / rope_scaling (or transformers 5's
// rope_parameters) from config.json, the float32 inverse frequencies of every rope_type, the
// cos/sin table of a run, and the rotation of q and k (rotate_half over the first rotary_dims
// of each head; the rest pass through).
//
// Legend: T tokens, D head width, R rotary dims (R ≤ D, even), H heads.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "core/model_config.h"
#include "core/models/config_fields.h"

namespace attnviz {

// Where a family keeps its RoPE fields and what transformers defaults them to.
struct RopeFieldNames {
  const char* theta = "rope_theta";
  double theta_default = 10000.0;
  const char* partial = "partial_rotary_factor";  // GPT-NeoX: rotary_pct
  double partial_default = 1.0;
  // Phi-3's config class renames the old "su" and "yarn" types to "longrope" and gives its
  // top-level original_max_position_embeddings priority.
  bool phi3 = false;
  int original_default = 0;  // Phi-3's config class default; 0: max_position_embeddings
  // Gemma 3 (transformers 5): rope_parameters may hold one dict per layer type.
  const char* layer_type = "full_attention";
};

// The RopeConfig of config.json, checked: an unknown rope_type, or one with missing or bad
// fields, is an error naming the file, the field and what is supported.
Result<RopeConfig> read_rope_config(const ConfigFields& fields, const RopeFieldNames& names,
                                    int head_dim, int max_positions);

// "default", "linear", ...
const char* rope_type_name(RopeConfig::Type type);
// "RoPE θ=500000, llama3 ×8 (original 8192)" for the model card.
std::string describe_rope(const RopeConfig& rope);

// What a run rotates with: (R / 2) inverse frequencies and the factor on cos and sin.
struct RopeFrequencies {
  std::vector<float> inverse;  // (R / 2), float32 as transformers builds them
  float attention_scaling = 1.0f;
  int rotary_dims = 0;
  bool operator==(const RopeFrequencies&) const = default;
};

// The frequencies for a run of `tokens` positions. Longrope picks its short factors for
// T <= original_max_positions and its long ones for every position beyond; dynamic NTK grows
// its base past max_positions (which validate_run does not allow, so it equals default).
RopeFrequencies rope_frequencies(const RopeConfig& rope, int max_positions, int tokens);

// cos and sin of positions [0, T) and every frequency, (T, R / 2) each, float32 as
// transformers computes them: angle = inverse[i] · position in float32, then cos and sin
// times the attention scaling. Kept by the model and extended as texts grow.
struct RopeTable {
  RopeFrequencies frequencies;
  int positions = 0;
  std::vector<float> cos, sin;  // (T, R / 2)
};
// Makes `table` hold positions [0, positions) of `frequencies`, reusing what it has.
void build_rope_table(RopeTable& table, const RopeFrequencies& frequencies, int positions);

// Rotates `heads` heads of width D in `count` rows (row stride `stride` floats, head h at h·D)
// in place; row r is position first_position + r: x[i] ← x[i]·cos − x[i + R/2]·sin and
// x[i + R/2] ← x[i + R/2]·cos + x[i]·sin for i < R/2, dims R..D−1 unchanged.
void rotate_heads(float* rows, int count, size_t stride, int heads, int head_dim,
                  const RopeTable& table, int first_position);

}  // namespace attnviz
