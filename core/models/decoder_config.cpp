#include "core/models/decoder_config.h"

#include <string>

#include "core/json_read.h"

namespace attnviz {

Status read_decoder_fields(const ConfigFields& fields, ModelConfig& c, const DecoderDefaults& d) {
  ATTNVIZ_ASSIGN_OR_RETURN(c.width, fields.size("hidden_size", SizeLimits::kWidth, d.hidden_size));
  ATTNVIZ_ASSIGN_OR_RETURN(c.layers,
                           fields.size("num_hidden_layers", SizeLimits::kLayers, d.layers));
  ATTNVIZ_ASSIGN_OR_RETURN(c.heads,
                           fields.size("num_attention_heads", SizeLimits::kHeads, d.heads));
  ATTNVIZ_ASSIGN_OR_RETURN(c.kv_heads, fields.size("num_key_value_heads", SizeLimits::kHeads,
                                                   d.kv_heads > 0 ? d.kv_heads : c.heads));
  // getattr(config, "head_dim", None) or hidden_size // num_attention_heads
  ATTNVIZ_ASSIGN_OR_RETURN(c.head_width, fields.size("head_dim", SizeLimits::kHeadWidth,
                                                     d.head_dim > 0 ? d.head_dim : 0));
  if (c.head_width == 0) {
    if (c.width % c.heads != 0)
      return fields.not_divisible("hidden_size", c.width, "num_attention_heads", c.heads);
    c.head_width = c.width / c.heads;
  }
  ATTNVIZ_ASSIGN_OR_RETURN(
      c.inner, fields.size("intermediate_size", SizeLimits::kInner, d.intermediate_size));
  ATTNVIZ_ASSIGN_OR_RETURN(c.vocab_size,
                           fields.size("vocab_size", SizeLimits::kVocab, d.vocab_size));
  ATTNVIZ_ASSIGN_OR_RETURN(c.max_positions, fields.size("max_position_embeddings",
                                                        SizeLimits::kPositions, d.max_positions));
  double eps = 0.0;
  ATTNVIZ_ASSIGN_OR_RETURN(eps, fields.positive_number(d.norm_eps_field, d.norm_eps));
  c.layer_norm_epsilon = static_cast<float>(eps);
  ATTNVIZ_ASSIGN_OR_RETURN(c.tie_word_embeddings,
                           fields.flag("tie_word_embeddings", d.tie_word_embeddings));
  ATTNVIZ_ASSIGN_OR_RETURN(c.activation, read_activation(fields, d.activation_field, d.activation));
  return Ok{};
}

Result<Activation> read_activation(const ConfigFields& fields, const char* field,
                                   const char* fallback) {
  std::string name;
  ATTNVIZ_ASSIGN_OR_RETURN(name, fields.text(field, fallback));
  // transformers' ACT2FN: these are the tanh approximation, exact erf GELU and SiLU.
  if (name == "gelu_new" || name == "gelu_pytorch_tanh" || name == "gelu_fast")
    return Activation::kGeluTanh;
  if (name == "gelu") return Activation::kGeluExact;
  if (name == "silu" || name == "swish") return Activation::kSilu;
  return fields.error(field, "is \"" + name +
                                 "\", which attnviz does not compute; supported: gelu, gelu_new, "
                                 "gelu_pytorch_tanh, gelu_fast, silu, swish");
}

Result<int> read_window(const ConfigFields& fields, int fallback) {
  const nlohmann::json* value = fields.find("sliding_window");
  if (!value) return fallback;
  if (value->is_null()) return 0;
  return fields.size("sliding_window", SizeLimits::kPositions);
}

void set_uniform_layers(ModelConfig& config, int window) {
  config.sliding_window = window;
  config.layer_kinds.assign(config.layers, window > 0 ? LayerKind::kLocal : LayerKind::kGlobal);
}

Status read_layer_types(const ConfigFields& fields, ModelConfig& config, int window,
                        bool (*derived)(int layer, int parameter), int parameter) {
  config.sliding_window = window;
  config.layer_kinds.assign(config.layers, LayerKind::kGlobal);
  const nlohmann::json* types = fields.find("layer_types");
  const bool listed = types && !types->is_null();
  if (listed && (!types->is_array() || types->size() != static_cast<size_t>(config.layers)))
    return fields.error("layer_types", "is " + json_excerpt(*types) +
                                           "; it must list one type for each of the " +
                                           std::to_string(config.layers) + " layers");
  for (int layer = 0; layer < config.layers; ++layer) {
    bool sliding = false;
    if (listed) {
      const nlohmann::json& type = (*types)[layer];
      const std::string name = type.is_string() ? type.get<std::string>() : std::string();
      if (name == "sliding_attention") {
        sliding = true;
      } else if (name != "full_attention") {
        std::string problem = "has " + json_excerpt(type);
        problem += " for layer ";
        problem += std::to_string(layer);
        problem += "; attnviz knows \"full_attention\" and \"sliding_attention\"";
        return fields.error("layer_types", problem);
      }
    } else {
      sliding = derived(layer, parameter) && window > 0;
    }
    if (sliding && window <= 0) {
      std::string problem = "makes layer ";
      problem += std::to_string(layer);
      problem +=
          " sliding_attention, but there is no sliding_window (null, or use_sliding_window "
          "is false)";
      return fields.error("layer_types", problem);
    }
    if (sliding) config.layer_kinds[layer] = LayerKind::kLocal;
  }
  return Ok{};
}

}  // namespace attnviz
