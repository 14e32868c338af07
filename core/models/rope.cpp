#include "core/models/rope.h"

#include <cassert>
#include <cmath>
#include <cstdio>
#include <numbers>

#include "core/json_read.h"

namespace attnviz {
namespace {

using nlohmann::json;
using Type = RopeConfig::Type;

constexpr const char* kSupportedTypes =
    "\"default\", \"linear\", \"dynamic\", \"yarn\", \"longrope\", \"llama3\"";

struct TypeName {
  const char* name;
  Type type;
};
constexpr TypeName kTypeNames[] = {{"default", Type::kDefault},   {"linear", Type::kLinear},
                                   {"dynamic", Type::kDynamic},   {"yarn", Type::kYarn},
                                   {"longrope", Type::kLongRope}, {"llama3", Type::kLlama3}};

// Reads the fields of one rope dict (rope_scaling, or a rope_parameters entry) with the same
// messages as the top-level fields.
class RopeDict {
 public:
  RopeDict(const ConfigFields& top, const std::string& name, const json* dict)
      : top_(top), name_(name), dict_(dict) {}

  Error error(const std::string& problem) const { return top_.error(name_, problem); }
  bool has(const char* key) const {
    return dict_ && dict_->contains(key) && !(*dict_)[key].is_null();
  }
  const json& at(const char* key) const { return (*dict_)[key]; }

  // A positive number; `required` makes its absence an error naming the rope type.
  Result<std::optional<double>> number(const char* key, bool required,
                                       const std::string& type) const {
    if (!has(key)) {
      if (required)
        return error("has rope_type \"" + type + "\" but no \"" + key +
                     "\", which that type needs");
      return std::optional<double>{};
    }
    const json& value = at(key);
    if (!value.is_number() || !std::isfinite(value.get<double>()) || value.get<double>() <= 0.0)
      return error("has \"" + std::string(key) + "\": " + json_excerpt(value) +
                   "; it must be a positive number");
    return std::optional<double>{value.get<double>()};
  }

  Result<std::vector<double>> factors(const char* key, int count, const std::string& type) const {
    if (!has(key))
      return error("has rope_type \"" + type + "\" but no \"" + key + "\", which that type needs");
    const json& value = at(key);
    if (!value.is_array() || value.size() != static_cast<size_t>(count))
      return error("has \"" + std::string(key) + "\": " + json_excerpt(value) +
                   "; it must be a list of " + std::to_string(count) +
                   " numbers (rotary dims / 2)");
    std::vector<double> out;
    for (const json& item : value) {
      if (!item.is_number() || !std::isfinite(item.get<double>()) || item.get<double>() <= 0.0)
        return error("has \"" + std::string(key) + "\" with " + json_excerpt(item) +
                     "; every factor must be a positive number");
      out.push_back(item.get<double>());
    }
    return out;
  }

 private:
  const ConfigFields& top_;
  std::string name_;
  const json* dict_;
};

// The dict that holds the scaling: transformers 5's rope_parameters (flat, or one dict per layer
// type), else rope_scaling; nullptr when neither is given.
Result<const json*> scaling_dict(const ConfigFields& fields, const RopeFieldNames& names,
                                 std::string* field_name) {
  for (const char* field : {"rope_parameters", "rope_scaling"}) {
    const json* value = fields.find(field);
    if (!value || value->is_null()) continue;
    *field_name = field;
    if (!value->is_object())
      return fields.error(field, "is " + json_excerpt(*value) + ", not an object of settings");
    bool per_layer_type = !value->empty();
    for (const auto& [key, entry] : value->items())
      per_layer_type &= (key == "full_attention" || key == "sliding_attention");
    if (!per_layer_type) return value;
    const auto entry = value->find(names.layer_type);
    if (entry == value->end() || !entry->is_object())
      return fields.error(field, std::string("has no object for \"") + names.layer_type + "\"");
    *field_name = std::string(field) + "." + names.layer_type;
    return &*entry;
  }
  return static_cast<const json*>(nullptr);
}

// float32 arithmetic as torch does it on float32 tensors with Python scalars.
float f32(double value) {
  return static_cast<float>(value);
}

// 1 / (base ** (arange(0, R, 2).float() / R)) in float32.
std::vector<float> default_inverse(double base, int rotary_dims) {
  std::vector<float> inverse(rotary_dims / 2);
  const float base_f = f32(base);
  for (int i = 0; i < rotary_dims / 2; ++i) {
    const float exponent = static_cast<float>(2 * i) / static_cast<float>(rotary_dims);
    inverse[i] = 1.0f / std::pow(base_f, exponent);
  }
  return inverse;
}

}  // namespace

const char* rope_type_name(Type type) {
  for (const TypeName& entry : kTypeNames)
    if (entry.type == type) return entry.name;
  return "default";
}

Result<RopeConfig> read_rope_config(const ConfigFields& fields, const RopeFieldNames& names,
                                    int head_dim, int max_positions) {
  RopeConfig rope;
  std::string field = "rope_scaling";
  const json* dict = nullptr;
  ATTNVIZ_ASSIGN_OR_RETURN(dict, scaling_dict(fields, names, &field));
  const RopeDict scaling(fields, field, dict);

  std::string type = "default";
  for (const char* key : {"rope_type", "type"}) {
    if (!scaling.has(key)) continue;
    if (!scaling.at(key).is_string())
      return scaling.error(std::string("has \"") + key + "\": " + json_excerpt(scaling.at(key)) +
                           ", not a string");
    type = scaling.at(key).get<std::string>();
    break;
  }
  // configuration_phi3.py, _rope_scaling_adjustment: "For backward compatibility if previous
  // version used "su" or "yarn"" both become longrope.
  if (names.phi3 && (type == "su" || type == "yarn")) type = "longrope";
  bool known = false;
  for (const TypeName& entry : kTypeNames)
    if (type == entry.name) rope.type = entry.type, known = true;
  if (!known)
    return scaling.error("has rope_type \"" + type + "\", which attnviz does not support; " +
                         "supported: " + kSupportedTypes);

  std::optional<double> value;
  ATTNVIZ_ASSIGN_OR_RETURN(value, scaling.number("rope_theta", false, type));
  if (value) {
    rope.theta = *value;
  } else {
    ATTNVIZ_ASSIGN_OR_RETURN(rope.theta, fields.positive_number(names.theta, names.theta_default));
  }
  double partial = names.partial_default;
  ATTNVIZ_ASSIGN_OR_RETURN(value, scaling.number("partial_rotary_factor", false, type));
  if (value) {
    partial = *value;
  } else {
    ATTNVIZ_ASSIGN_OR_RETURN(partial, fields.positive_number(names.partial, names.partial_default));
  }
  if (partial > 1.0)
    return fields.error(names.partial, "is " + std::to_string(partial) + "; it must be at most 1");
  rope.rotary_dims = static_cast<int>(head_dim * partial);  // Python int(): truncation
  if (rope.rotary_dims < 2 || rope.rotary_dims % 2 != 0)
    return fields.error(names.partial, "gives " + std::to_string(rope.rotary_dims) +
                                           " rotary dims of a head of " + std::to_string(head_dim) +
                                           "; RoPE needs an even number, at least 2");

  // original_max_position_embeddings: the dict's, else (Phi-3 first) the top-level field, else
  // max_position_embeddings (transformers 5's standardize_rope_params).
  std::optional<int> top_original;
  ATTNVIZ_ASSIGN_OR_RETURN(top_original, fields.optional_size("original_max_position_embeddings",
                                                              SizeLimits::kPositions));
  std::optional<double> dict_original;
  ATTNVIZ_ASSIGN_OR_RETURN(dict_original,
                           scaling.number("original_max_position_embeddings", false, type));
  rope.original_max_positions = max_positions;
  // A whole number of positions within the positions cap, checked before the conversion (81e92
  // would not fit an int: found by fuzz_model_config, undefined behaviour under UBSan).
  if (dict_original && !(*dict_original >= 1.0 && *dict_original <= SizeLimits::kPositions &&
                         *dict_original == std::floor(*dict_original)))
    return scaling.error("has original_max_position_embeddings " +
                         json_excerpt(scaling.at("original_max_position_embeddings")) +
                         "; it must be a whole number from 1 to " +
                         std::to_string(SizeLimits::kPositions));
  if (dict_original) rope.original_max_positions = static_cast<int>(*dict_original);
  if (top_original && !dict_original) rope.original_max_positions = *top_original;
  // Phi3Config always has original_max_position_embeddings (4096 by default), and
  // standardize_rope_params gives it priority over the dict's.
  if (names.phi3) rope.original_max_positions = top_original.value_or(names.original_default);

  const bool needs_factor =
      rope.type == Type::kLinear || rope.type == Type::kDynamic || rope.type == Type::kLlama3;
  std::optional<double> factor;
  ATTNVIZ_ASSIGN_OR_RETURN(factor, scaling.number("factor", needs_factor, type));
  ATTNVIZ_ASSIGN_OR_RETURN(rope.attention_factor, scaling.number("attention_factor", false, type));
  switch (rope.type) {
    case Type::kDefault:
      break;
    case Type::kLinear:
    case Type::kDynamic:
      rope.factor = *factor;
      break;
    case Type::kLlama3: {
      rope.factor = *factor;
      std::optional<double> low, high;
      ATTNVIZ_ASSIGN_OR_RETURN(low, scaling.number("low_freq_factor", true, type));
      ATTNVIZ_ASSIGN_OR_RETURN(high, scaling.number("high_freq_factor", true, type));
      rope.low_freq_factor = *low;
      rope.high_freq_factor = *high;
      if (!(rope.high_freq_factor > rope.low_freq_factor))
        return scaling.error("has high_freq_factor " + std::to_string(*high) +
                             " not above low_freq_factor " + std::to_string(*low));
      break;
    }
    case Type::kYarn: {
      // transformers 5: an explicit factor wins; without one, max / original positions. (4.50
      // to 4.57 replaced the factor by that ratio whenever the dict named an original length.)
      rope.factor =
          factor ? *factor : static_cast<double>(max_positions) / rope.original_max_positions;
      ATTNVIZ_ASSIGN_OR_RETURN(rope.mscale, scaling.number("mscale", false, type));
      ATTNVIZ_ASSIGN_OR_RETURN(rope.mscale_all_dim, scaling.number("mscale_all_dim", false, type));
      std::optional<double> beta;
      ATTNVIZ_ASSIGN_OR_RETURN(beta, scaling.number("beta_fast", false, type));
      rope.beta_fast = beta.value_or(32.0);
      ATTNVIZ_ASSIGN_OR_RETURN(beta, scaling.number("beta_slow", false, type));
      rope.beta_slow = beta.value_or(1.0);
      if (scaling.has("truncate")) {
        if (!scaling.at("truncate").is_boolean())
          return scaling.error("has \"truncate\": " + json_excerpt(scaling.at("truncate")) +
                               ", not true or false");
        rope.truncate = scaling.at("truncate").get<bool>();
      }
      break;
    }
    case Type::kLongRope: {
      ATTNVIZ_ASSIGN_OR_RETURN(rope.short_factor,
                               scaling.factors("short_factor", rope.rotary_dims / 2, type));
      ATTNVIZ_ASSIGN_OR_RETURN(rope.long_factor,
                               scaling.factors("long_factor", rope.rotary_dims / 2, type));
      rope.factor =
          factor ? *factor : static_cast<double>(max_positions) / rope.original_max_positions;
      break;
    }
  }
  return rope;
}

std::string describe_rope(const RopeConfig& rope) {
  char text[160];
  std::snprintf(text, sizeof text, "RoPE base %.10g", rope.theta);
  std::string out = text;
  switch (rope.type) {
    case Type::kDefault:
      break;
    case Type::kLinear:
    case Type::kDynamic:
      std::snprintf(text, sizeof text, ", %s scaling x%g", rope_type_name(rope.type), rope.factor);
      out += text;
      break;
    case Type::kYarn:
    case Type::kLlama3:
    case Type::kLongRope:
      std::snprintf(text, sizeof text, ", %s scaling x%g from %d positions",
                    rope_type_name(rope.type), rope.factor, rope.original_max_positions);
      out += text;
      break;
  }
  return out;
}

RopeFrequencies rope_frequencies(const RopeConfig& rope, int max_positions, int tokens) {
  RopeFrequencies out;
  const int r = rope.rotary_dims;
  out.rotary_dims = r;
  switch (rope.type) {
    case Type::kDefault:
      out.inverse = default_inverse(rope.theta, r);
      break;
    case Type::kLinear:  // _compute_linear_scaling_rope_parameters: inv_freq /= factor
      out.inverse = default_inverse(rope.theta, r);
      for (float& f : out.inverse) f /= f32(rope.factor);
      break;
    case Type::kDynamic: {  // _compute_dynamic_ntk_parameters with seq_len = max(T, P)
      const double seq_len = std::max(tokens, max_positions);
      const double base =
          rope.theta * std::pow(rope.factor * seq_len / max_positions - (rope.factor - 1.0),
                                static_cast<double>(r) / (r - 2));
      out.inverse = default_inverse(base, r);
      break;
    }
    case Type::kLlama3: {  // _compute_llama3_parameters, float32 tensor arithmetic
      out.inverse = default_inverse(rope.theta, r);
      const double old_context = rope.original_max_positions;
      const float low_wavelength = f32(old_context / rope.low_freq_factor);
      const float high_wavelength = f32(old_context / rope.high_freq_factor);
      const float factor = f32(rope.factor);
      for (float& f : out.inverse) {
        const float wavelength = f32(2.0 * std::numbers::pi) / f;
        const float scaled = wavelength > low_wavelength ? f / factor : f;
        const float smooth = (f32(old_context) / wavelength - f32(rope.low_freq_factor)) /
                             f32(rope.high_freq_factor - rope.low_freq_factor);
        const float smoothed = (1.0f - smooth) * scaled / factor + smooth * scaled;
        const bool medium = !(wavelength < high_wavelength) && !(wavelength > low_wavelength);
        f = medium ? smoothed : scaled;
      }
      break;
    }
    case Type::kYarn: {  // _compute_yarn_parameters
      const double factor = rope.factor;
      auto mscale = [](double scale, double m) {
        return scale <= 1.0 ? 1.0 : 0.1 * m * std::log(scale) + 1.0;
      };
      double attention = 0.0;
      if (rope.attention_factor)
        attention = *rope.attention_factor;
      else if (rope.mscale && rope.mscale_all_dim)
        attention = mscale(factor, *rope.mscale) / mscale(factor, *rope.mscale_all_dim);
      else
        attention = mscale(factor, 1.0);
      out.attention_scaling = f32(attention);
      auto correction_dim = [&](double rotations) {
        return (r * std::log(rope.original_max_positions / (rotations * 2.0 * std::numbers::pi))) /
               (2.0 * std::log(rope.theta));
      };
      double low = correction_dim(rope.beta_fast), high = correction_dim(rope.beta_slow);
      if (rope.truncate) low = std::floor(low), high = std::ceil(high);
      low = std::max(low, 0.0);
      high = std::min(high, static_cast<double>(r - 1));
      if (low == high) high += 0.001;  // "Prevent singularity"
      const float base_f = f32(rope.theta);
      out.inverse.resize(r / 2);
      for (int i = 0; i < r / 2; ++i) {
        const float pos_freq = std::pow(base_f, static_cast<float>(2 * i) / static_cast<float>(r));
        const float extrapolation = 1.0f / pos_freq;
        const float interpolation = 1.0f / (f32(factor) * pos_freq);
        const float ramp =
            std::clamp((static_cast<float>(i) - f32(low)) / f32(high - low), 0.0f, 1.0f);
        const float extrapolation_factor = 1.0f - ramp;
        out.inverse[i] =
            interpolation * (1.0f - extrapolation_factor) + extrapolation * extrapolation_factor;
      }
      break;
    }
    case Type::kLongRope: {  // _compute_longrope_parameters, factors chosen by the run's length
      const double factor = rope.factor;
      double attention = 1.0;
      if (rope.attention_factor)
        attention = *rope.attention_factor;
      else if (factor > 1.0)
        attention = std::sqrt(1.0 + std::log(factor) / std::log(rope.original_max_positions));
      out.attention_scaling = f32(attention);
      const std::vector<double>& extension =
          tokens > rope.original_max_positions ? rope.long_factor : rope.short_factor;
      const float base_f = f32(rope.theta);
      out.inverse.resize(r / 2);
      for (int i = 0; i < r / 2; ++i) {
        const float shape = static_cast<float>(2 * i) / static_cast<float>(r);
        out.inverse[i] = 1.0f / (f32(extension[i]) * std::pow(base_f, shape));
      }
      break;
    }
  }
  return out;
}

void build_rope_table(RopeTable& table, const RopeFrequencies& frequencies, int positions) {
  const int half = frequencies.rotary_dims / 2;
  if (!(table.frequencies == frequencies)) {
    table.frequencies = frequencies;
    table.positions = 0;
  }
  if (table.positions >= positions) return;
  table.cos.resize(static_cast<size_t>(positions) * half);
  table.sin.resize(static_cast<size_t>(positions) * half);
  const float scaling = frequencies.attention_scaling;
  for (int p = table.positions; p < positions; ++p) {
    for (int i = 0; i < half; ++i) {
      const float angle = frequencies.inverse[i] * static_cast<float>(p);
      float c = static_cast<float>(std::cos(static_cast<double>(angle)));
      float s = static_cast<float>(std::sin(static_cast<double>(angle)));
      if (scaling != 1.0f) c *= scaling, s *= scaling;
      table.cos[static_cast<size_t>(p) * half + i] = c;
      table.sin[static_cast<size_t>(p) * half + i] = s;
    }
  }
  table.positions = positions;
}

void rotate_heads(float* rows, int count, size_t stride, int heads, int head_dim,
                  const RopeTable& table, int first_position) {
  const int half = table.frequencies.rotary_dims / 2;
  assert(first_position + count <= table.positions && "rotate_heads: table too short");
  for (int r = 0; r < count; ++r) {
    const float* cos = table.cos.data() + static_cast<size_t>(first_position + r) * half;
    const float* sin = table.sin.data() + static_cast<size_t>(first_position + r) * half;
    for (int h = 0; h < heads; ++h) {
      float* x = rows + r * stride + static_cast<size_t>(h) * head_dim;
      for (int i = 0; i < half; ++i) {
        const float first = x[i], second = x[i + half];
        // q·cos + rotate_half(q)·sin, each product rounded before the sum as torch does.
        const float a = first * cos[i], b = second * sin[i];
        const float c = second * cos[i], d = first * sin[i];
        x[i] = a - b;
        x[i + half] = c + d;
      }
    }
  }
}

}  // namespace attnviz
