// The modern families' configs and checkpoints: each fixture's config read with transformers'
// meanings (windows per layer, RoPE per layer kind, soft-caps, biases), the defaults of
// transformers' config classes for what a config.json leaves out, transformers 5's
// rope_parameters, multimodal Gemma 3 checkpoints; and every way a config or checkpoint can be
// wrong, each refused with a message naming the file and the field or tensor.
//
// Legend: L layers, H query heads, G key/value heads, D head width.
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "core/models/architecture.h"
#include "core/weight_registry.h"
#include "model_test_support.h"

namespace attnviz {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using test::Worst;

// A scratch folder, removed afterwards.
class Scratch {
 public:
  explicit Scratch(const std::string& name)
      : path_(fs::temp_directory_path() /
              ("attnviz_families_" + name + "_" + std::to_string(::getpid()))) {
    fs::remove_all(path_);
    fs::create_directories(path_);
  }
  ~Scratch() { fs::remove_all(path_); }
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

fs::path modern(const std::string& name) {
  return test::fixture("modern/" + name) / "model";
}

json read_json(const fs::path& path) {
  std::ifstream in(path);
  return json::parse(in);
}

void write_json(const fs::path& path, const json& value) {
  std::ofstream(path) << value.dump(2);
}

Result<ModelConfig> config_of(const json& value, const Scratch& scratch) {
  write_json(scratch.path() / "config.json", value);
  return load_model_config(scratch.path() / "config.json");
}

void expect_error(const json& value, std::initializer_list<std::string> phrases) {
  Scratch scratch("config");
  auto config = config_of(value, scratch);
  ASSERT_FALSE(config.ok()) << "accepted: " << value.dump();
  const std::string& message = config.error().message;
  EXPECT_NE(message.find((scratch.path() / "config.json").string()), std::string::npos) << message;
  for (const std::string& phrase : phrases)
    EXPECT_NE(message.find(phrase), std::string::npos) << "\"" << phrase << "\" not in " << message;
}

std::vector<int> windows(const ModelConfig& config) {
  std::vector<int> out;
  for (int layer = 0; layer < config.layers; ++layer) out.push_back(config.window(layer));
  return out;
}

ModelConfig fixture_config(const std::string& name) {
  auto config = load_model_config(modern(name) / "config.json");
  EXPECT_TRUE(config.ok()) << (config.ok() ? "" : config.error().message);
  return config.ok() ? *config : ModelConfig{};
}

TEST(FamilyConfigs, FixturesReadAsTransformersReadsThem) {
  using T = RopeConfig::Type;
  ModelConfig c = fixture_config("llama3-tiny");
  EXPECT_EQ(c.architecture, Architecture::kLlama);
  EXPECT_EQ(c.kv_heads, 2);
  EXPECT_EQ(c.kv_groups(), 2);
  EXPECT_TRUE(c.tie_word_embeddings);
  EXPECT_EQ(c.rope.type, T::kLlama3);
  EXPECT_EQ(c.rope.original_max_positions, 64);
  EXPECT_EQ(c.rope.theta, 500000.0);
  EXPECT_EQ(windows(c), std::vector<int>(3, 0));

  c = fixture_config("llama-linear-tiny");  // the legacy key "type", head_dim from 48 / 4
  EXPECT_EQ(c.rope.type, T::kLinear);
  EXPECT_EQ(c.rope.factor, 2.0);
  EXPECT_EQ(c.head_dim(), 12);
  EXPECT_FALSE(c.tie_word_embeddings);

  EXPECT_EQ(windows(fixture_config("mistral-tiny")), std::vector<int>(3, 8));

  c = fixture_config("qwen2-tiny");  // a sliding_window value, but use_sliding_window false
  EXPECT_EQ(windows(c), std::vector<int>(2, 0));
  EXPECT_TRUE(c.qkv_bias);
  EXPECT_FALSE(c.output_bias);

  c = fixture_config("qwen3-tiny");
  EXPECT_EQ(c.head_dim(), 24);
  EXPECT_EQ(c.query_width(), 96);
  EXPECT_EQ(c.kv_width(), 48);

  c = fixture_config("gemma2-tiny");
  EXPECT_EQ(windows(c), (std::vector<int>{8, 0, 8, 0}));
  EXPECT_FLOAT_EQ(c.attn_softcap, 3.8f);
  EXPECT_FLOAT_EQ(c.final_softcap, 4.3f);
  EXPECT_EQ(c.query_pre_attn_scalar, 20.0);
  EXPECT_EQ(c.activation, Activation::kGeluTanh);

  c = fixture_config("gemma3-tiny");
  EXPECT_EQ(windows(c), (std::vector<int>{8, 8, 8, 8, 8, 0}));
  EXPECT_EQ(c.rope.type, T::kLinear);
  EXPECT_EQ(c.rope.theta, 1e6);
  ASSERT_TRUE(c.rope_local);
  EXPECT_EQ(c.rope_local->type, T::kDefault);
  EXPECT_EQ(c.rope_local->theta, 1e4);
  EXPECT_EQ(c.rope_of(0).theta, 1e4);
  EXPECT_EQ(c.rope_of(5).theta, 1e6);
  EXPECT_EQ(c.attn_softcap, 0.0f) << "Gemma 3 never soft-caps its scores";

  c = fixture_config("phi3-tiny");
  EXPECT_EQ(c.rope.type, T::kLongRope);
  EXPECT_EQ(c.rope.original_max_positions, 32);
  EXPECT_EQ(c.rope.short_factor.size(), 8u);
  EXPECT_EQ(windows(c), std::vector<int>(2, 262144));

  c = fixture_config("gpt-neox-tiny");
  EXPECT_EQ(c.rope.rotary_dims, 4);  // rotary_pct 0.25 of 16
  EXPECT_TRUE(c.parallel_residual);
  EXPECT_EQ(c.activation, Activation::kGeluExact);
  EXPECT_EQ(c.kv_heads, c.heads);
}

// What a config.json leaves out takes the config class's default.
TEST(FamilyConfigs, DefaultsOfTransformersConfigClasses) {
  Scratch scratch("defaults");
  auto llama = config_of({{"model_type", "llama"}}, scratch);
  ASSERT_TRUE(llama.ok()) << llama.error().message;
  EXPECT_EQ(llama->width, 4096);
  EXPECT_EQ(llama->kv_heads, 32);
  EXPECT_EQ(llama->head_dim(), 128);
  EXPECT_EQ(llama->vocab_size, 32000);
  EXPECT_EQ(llama->max_positions, 2048);
  EXPECT_FLOAT_EQ(llama->layer_norm_epsilon, 1e-6f);

  auto qwen3 = config_of({{"model_type", "qwen3"}, {"hidden_size", 1024}}, scratch);
  ASSERT_TRUE(qwen3.ok()) << qwen3.error().message;
  EXPECT_EQ(qwen3->head_dim(), 128) << "Qwen3Config's head_dim, not hidden / heads";

  auto gemma2 = config_of({{"model_type", "gemma2"}}, scratch);
  ASSERT_TRUE(gemma2.ok()) << gemma2.error().message;
  EXPECT_EQ(gemma2->window(0), 4096);
  EXPECT_EQ(gemma2->window(1), 0);
  EXPECT_FLOAT_EQ(gemma2->attn_softcap, 50.0f);
  EXPECT_FLOAT_EQ(gemma2->final_softcap, 30.0f);
  auto uncapped =
      config_of({{"model_type", "gemma2"}, {"attn_logit_softcapping", nullptr}}, scratch);
  ASSERT_TRUE(uncapped.ok());
  EXPECT_EQ(uncapped->attn_softcap, 0.0f) << "null turns soft-capping off";

  auto mistral = config_of({{"model_type", "mistral"}}, scratch);
  ASSERT_TRUE(mistral.ok());
  EXPECT_EQ(mistral->window(31), 4096);
  EXPECT_EQ(mistral->kv_heads, 8);
  auto no_window = config_of({{"model_type", "mistral"}, {"sliding_window", nullptr}}, scratch);
  ASSERT_TRUE(no_window.ok());
  EXPECT_EQ(no_window->window(0), 0);

  // Qwen 2: with use_sliding_window, the layers from max_window_layers on slide.
  auto qwen2 = config_of({{"model_type", "qwen2"},
                          {"num_hidden_layers", 4},
                          {"use_sliding_window", true},
                          {"sliding_window", 100},
                          {"max_window_layers", 2}},
                         scratch);
  ASSERT_TRUE(qwen2.ok()) << qwen2.error().message;
  EXPECT_EQ(windows(*qwen2), (std::vector<int>{0, 0, 100, 100}));

  auto gemma3 = config_of({{"model_type", "gemma3_text"}, {"num_hidden_layers", 12}}, scratch);
  ASSERT_TRUE(gemma3.ok());
  EXPECT_EQ(gemma3->window(5), 0);
  EXPECT_EQ(gemma3->window(11), 0);
  EXPECT_EQ(gemma3->window(6), 4096);

  auto neox = config_of({{"model_type", "gpt_neox"}}, scratch);
  ASSERT_TRUE(neox.ok());
  EXPECT_EQ(neox->rope.rotary_dims, 24);  // 0.25 of 6144 / 64
}

TEST(FamilyConfigs, RopeParametersOfTransformers5AndPhi3Aliases) {
  Scratch scratch("rope");
  auto flat = config_of(
      {{"model_type", "llama"},
       {"rope_parameters", {{"rope_type", "linear"}, {"factor", 2.0}, {"rope_theta", 5000.0}}}},
      scratch);
  ASSERT_TRUE(flat.ok()) << flat.error().message;
  EXPECT_EQ(flat->rope.type, RopeConfig::Type::kLinear);
  EXPECT_EQ(flat->rope.theta, 5000.0);
  auto nested = config_of(
      {{"model_type", "gemma3_text"},
       {"rope_parameters",
        {{"full_attention", {{"rope_type", "linear"}, {"factor", 8.0}, {"rope_theta", 1e6}}},
         {"sliding_attention", {{"rope_type", "default"}, {"rope_theta", 12345.0}}}}}},
      scratch);
  ASSERT_TRUE(nested.ok()) << nested.error().message;
  EXPECT_EQ(nested->rope.factor, 8.0);
  EXPECT_EQ(nested->rope_local->theta, 12345.0);
  auto su = config_of({{"model_type", "phi3"},
                       {"hidden_size", 256},
                       {"num_attention_heads", 4},
                       {"rope_scaling",
                        {{"type", "su"},
                         {"short_factor", std::vector<double>(32, 1.0)},
                         {"long_factor", std::vector<double>(32, 2.0)}}}},
                      scratch);
  ASSERT_TRUE(su.ok()) << su.error().message;
  EXPECT_EQ(su->rope.type, RopeConfig::Type::kLongRope);
  EXPECT_EQ(su->rope.original_max_positions, 4096) << "Phi3Config's default";
  // yarn: transformers 5 keeps an explicit factor (4.50-4.57 replaced it by max / original).
  auto yarn = config_of(
      {{"model_type", "qwen2"},
       {"max_position_embeddings", 32768},
       {"rope_scaling",
        {{"type", "yarn"}, {"factor", 4.0}, {"original_max_position_embeddings", 32768}}}},
      scratch);
  ASSERT_TRUE(yarn.ok()) << yarn.error().message;
  EXPECT_EQ(yarn->rope.factor, 4.0);
}

TEST(FamilyConfigs, MultimodalGemma3ReadsItsTextConfig) {
  json config = read_json(modern("gemma3-tiny") / "config.json");
  json wrapped = {
      {"model_type", "gemma3"}, {"text_config", config}, {"vision_config", {{"hidden_size", 32}}}};
  wrapped["text_config"]["model_type"] = "gemma3_text";
  Scratch scratch("multimodal");
  auto read = config_of(wrapped, scratch);
  ASSERT_TRUE(read.ok()) << read.error().message;
  EXPECT_EQ(read->architecture, Architecture::kGemma3);
  EXPECT_EQ(read->model_type, "gemma3");
  EXPECT_EQ(windows(*read), (std::vector<int>{8, 8, 8, 8, 8, 0}));
  expect_error({{"model_type", "gemma3"}}, {"\"text_config\""});
  json bad = wrapped;
  bad["text_config"]["num_key_value_heads"] = 3;
  expect_error(bad, {"(text_config)", "\"num_key_value_heads\"", "divide"});
}

TEST(FamilyConfigs, BadConfigsNameTheFieldAndWhatIsSupported) {
  const json llama = read_json(modern("llama3-tiny") / "config.json");
  auto with = [&](const json& patch) {
    json out = llama;
    out.merge_patch(patch);
    return out;
  };
  expect_error(with({{"model_type", "mamba"}}), {"\"model_type\"", "\"mamba\"", "\"qwen3\""});
  expect_error(with({{"num_key_value_heads", 3}}), {"\"num_key_value_heads\"", "3", "divide"});
  expect_error(with({{"rope_scaling", {{"rope_type", "mrope"}, {"factor", 2.0}}}}),
               {"\"rope_scaling\"", "\"mrope\"", "\"llama3\"", "\"longrope\""});
  json linear = llama;
  linear["rope_scaling"] = {{"type", "linear"}};  // the legacy key, without its factor
  expect_error(linear, {"\"rope_scaling\"", "\"linear\"", "\"factor\""});
  expect_error(with({{"rope_scaling", {{"low_freq_factor", nullptr}}}}),
               {"\"rope_scaling\"", "\"llama3\"", "\"low_freq_factor\""});
  expect_error(with({{"rope_scaling", {{"factor", -8.0}}}}), {"\"factor\"", "positive"});
  expect_error(with({{"rope_scaling", "yes"}}), {"\"rope_scaling\"", "not an object"});
  expect_error(with({{"hidden_act", "relu"}}), {"\"hidden_act\"", "\"relu\"", "silu"});
  expect_error(with({{"head_dim", 0}}), {"\"head_dim\"", "positive"});
  const json phi3 = read_json(modern("phi3-tiny") / "config.json");
  json short_list = phi3;
  short_list["rope_scaling"]["short_factor"] = {1.0, 1.0};
  expect_error(short_list, {"\"short_factor\"", "8 numbers"});
  json no_long = phi3;
  no_long["rope_scaling"].erase("long_factor");
  expect_error(no_long, {"\"long_factor\"", "\"longrope\""});
  json types = read_json(modern("gemma2-tiny") / "config.json");
  types["layer_types"] = {"sliding_attention", "full_attention"};
  expect_error(types, {"\"layer_types\"", "4 layers"});
  types["layer_types"] = {"sliding_attention", "chunked_attention", "full_attention",
                          "full_attention"};
  expect_error(types, {"\"layer_types\"", "chunked_attention", "layer 1"});
  json qwen2 = read_json(modern("qwen2-tiny") / "config.json");
  qwen2["layer_types"] = {"sliding_attention", "full_attention"};
  expect_error(qwen2, {"\"layer_types\"", "layer 0", "sliding_window"});
  json gemma3 = read_json(modern("gemma3-tiny") / "config.json");
  gemma3["use_bidirectional_attention"] = true;
  expect_error(gemma3, {"\"use_bidirectional_attention\""});
}

// ---- checkpoints

// The fixture's tensors as stored (dtype and bytes unchanged).
std::vector<TensorToWrite> stored_tensors(const std::string& name) {
  auto file = SafetensorsFile::open(modern(name) / "model.safetensors");
  EXPECT_TRUE(file.ok());
  std::vector<TensorToWrite> out;
  for (const TensorInfo& info : file->tensors()) {
    auto bytes = file->read_bytes(info);
    EXPECT_TRUE(bytes.ok());
    out.push_back({info.name, info.dtype, info.shape, std::move(bytes).value()});
  }
  return out;
}

void copy_config(const std::string& name, const fs::path& folder) {
  fs::copy_file(modern(name) / "config.json", folder / "config.json");
}

std::shared_ptr<Model> load_ok(const fs::path& folder) {
  LoadOptions options;
  options.require_tokenizer = false;
  auto loaded = Model::load(folder, options);
  EXPECT_TRUE(loaded.ok()) << (loaded.ok() ? "" : loaded.error().message);
  return loaded.ok() ? *loaded : nullptr;
}

std::string load_error(const fs::path& folder) {
  LoadOptions options;
  options.require_tokenizer = false;
  auto loaded = Model::load(folder, options);
  EXPECT_FALSE(loaded.ok()) << folder << " loaded although it is broken";
  return loaded.ok() ? "" : loaded.error().message;
}

// The attention of text 1 of the fixture from `folder` equals the fixture model's, bit for bit.
void expect_same_model(const std::string& name, const fs::path& folder) {
  auto model = load_ok(folder);
  auto original = load_ok(modern(name));
  ASSERT_TRUE(model && original);
  const auto tokens = test::reference_tokens(test::open_reference("modern/" + name), 1);
  auto a = test::run_ok(*model, tokens, {});
  auto b = test::run_ok(*original, tokens, {});
  ASSERT_TRUE(a && b);
  const Worst diff = test::attention_difference(*a, *b);
  EXPECT_EQ(diff.value, 0.0) << "max difference " << diff.value << " at " << diff.where;
}

void write(const fs::path& path, const std::vector<TensorToWrite>& tensors) {
  Status written = write_safetensors(path, tensors);
  ASSERT_TRUE(written.ok()) << written.error().message;
}

TEST(FamilyCheckpoints, WithoutTheModelPrefix) {
  Scratch folder("no_prefix");
  copy_config("llama3-tiny", folder.path());
  auto tensors = stored_tensors("llama3-tiny");
  for (TensorToWrite& t : tensors)
    if (t.name.rfind("model.", 0) == 0) t.name = t.name.substr(6);
  write(folder.path() / "model.safetensors", tensors);
  expect_same_model("llama3-tiny", folder.path());
}

TEST(FamilyCheckpoints, ShardedWithAnIndex) {
  Scratch folder("shards");
  copy_config("mistral-tiny", folder.path());
  auto tensors = stored_tensors("mistral-tiny");
  std::vector<TensorToWrite> shards[2];
  json weight_map;
  for (size_t i = 0; i < tensors.size(); ++i) {
    const std::string file =
        i % 2 ? "model-00002-of-00002.safetensors" : "model-00001-of-00002.safetensors";
    weight_map[tensors[i].name] = file;
    shards[i % 2].push_back(tensors[i]);
  }
  write(folder.path() / "model-00001-of-00002.safetensors", shards[0]);
  write(folder.path() / "model-00002-of-00002.safetensors", shards[1]);
  write_json(folder.path() / "model.safetensors.index.json",
             {{"metadata", {{"total_size", 0}}}, {"weight_map", weight_map}});
  expect_same_model("mistral-tiny", folder.path());
}

// Tied: a stored lm_head (some checkpoints keep it) is not read, the embedding is the head.
TEST(FamilyCheckpoints, TiedHeadIgnoresAStoredLmHead) {
  Scratch folder("tied");
  copy_config("qwen2-tiny", folder.path());
  auto tensors = stored_tensors("qwen2-tiny");
  TensorToWrite head = tensors.front();
  for (const TensorToWrite& t : tensors)
    if (t.name == "model.embed_tokens.weight") head = t;
  head.name = "lm_head.weight";
  std::fill(head.bytes.begin(), head.bytes.end(), 0);
  tensors.push_back(head);
  write(folder.path() / "model.safetensors", tensors);
  auto model = load_ok(folder.path());
  ASSERT_TRUE(model);
  const auto tokens = test::reference_tokens(test::open_reference("modern/qwen2-tiny"), 0);
  auto trace = test::run_ok(*model, tokens, {});
  ASSERT_TRUE(trace);
  EXPECT_GT(trace->predictions.back().front().probability, 0.01f) << "a zero head would be flat";
}

// Gemma 3's multimodal checkpoints keep the text model under language_model, in two spellings
// (transformers 4.50-4.51 and 4.52 on), beside a vision tower attnviz does not read.
TEST(FamilyCheckpoints, MultimodalGemma3TextPart) {
  for (const auto& [label, layers, head] :
       {std::tuple<std::string, std::string, std::string>{"new", "model.language_model.",
                                                          "lm_head.weight"},
        {"old", "language_model.model.", "language_model.lm_head.weight"}}) {
    SCOPED_TRACE(label);
    Scratch folder("gemma3_" + label);
    json text = read_json(modern("gemma3-tiny") / "config.json");
    write_json(
        folder.path() / "config.json",
        {{"model_type", "gemma3"}, {"text_config", text}, {"vision_config", json::object()}});
    auto tensors = stored_tensors("gemma3-tiny");
    TensorToWrite embed;
    for (TensorToWrite& t : tensors) {
      if (t.name == "model.embed_tokens.weight") embed = t;
      t.name = layers + t.name.substr(6);
    }
    embed.name = head;  // stored although tied
    tensors.push_back(embed);
    tensors.push_back({"model.vision_tower.vision_model.post_layernorm.weight",
                       DType::kBF16,
                       {4},
                       std::vector<uint8_t>(8, 0)});
    tensors.push_back({"model.multi_modal_projector.mm_input_projection_weight",
                       DType::kBF16,
                       {2, 2},
                       std::vector<uint8_t>(8, 0)});
    write(folder.path() / "model.safetensors", tensors);
    expect_same_model("gemma3-tiny", folder.path());
  }
}

TEST(FamilyCheckpoints, BadCheckpointsNameTheFileAndTheTensor) {
  {  // only pytorch_model.bin
    Scratch folder("pickle");
    copy_config("llama3-tiny", folder.path());
    std::ofstream(folder.path() / "pytorch_model.bin") << "not read";
    const std::string message = load_error(folder.path());
    EXPECT_NE(message.find("pytorch_model.bin"), std::string::npos) << message;
    EXPECT_NE(message.find("safetensors"), std::string::npos) << message;
  }
  {  // untied without lm_head
    Scratch folder("no_head");
    copy_config("llama-linear-tiny", folder.path());
    auto tensors = stored_tensors("llama-linear-tiny");
    std::erase_if(tensors, [](const TensorToWrite& t) { return t.name == "lm_head.weight"; });
    write(folder.path() / "model.safetensors", tensors);
    const std::string message = load_error(folder.path());
    EXPECT_NE(message.find("'lm_head.weight'"), std::string::npos) << message;
    EXPECT_NE(message.find("tie_word_embeddings"), std::string::npos) << message;
  }
  {  // a missing per-head norm
    Scratch folder("no_norm");
    copy_config("qwen3-tiny", folder.path());
    auto tensors = stored_tensors("qwen3-tiny");
    std::erase_if(tensors, [](const TensorToWrite& t) {
      return t.name == "model.layers.1.self_attn.k_norm.weight";
    });
    write(folder.path() / "model.safetensors", tensors);
    const std::string message = load_error(folder.path());
    EXPECT_NE(message.find("'model.layers.1.self_attn.k_norm.weight' (shape [24]) is missing"),
              std::string::npos)
        << message;
  }
  {  // heads × head_dim that the weights do not have
    Scratch folder("head_dim");
    json config = read_json(modern("qwen3-tiny") / "config.json");
    config["head_dim"] = 16;
    write_json(folder.path() / "config.json", config);
    write(folder.path() / "model.safetensors", stored_tensors("qwen3-tiny"));
    const std::string message = load_error(folder.path());
    for (const char* phrase : {"model.safetensors", "q_proj.weight", "[96, 64]", "[64, 64]",
                               "num_attention_heads 4 x head_dim 16"})
      EXPECT_NE(message.find(phrase), std::string::npos) << phrase << " not in " << message;
  }
  {  // key/value heads that the weights do not have
    Scratch folder("kv_heads");
    json config = read_json(modern("llama3-tiny") / "config.json");
    config["num_key_value_heads"] = 4;
    write_json(folder.path() / "config.json", config);
    write(folder.path() / "model.safetensors", stored_tensors("llama3-tiny"));
    const std::string message = load_error(folder.path());
    for (const char* phrase : {"k_proj.weight", "num_key_value_heads 4"})
      EXPECT_NE(message.find(phrase), std::string::npos) << phrase << " not in " << message;
  }
}

// The architecture table is the one place a family is described.
TEST(ArchitectureTable, EveryModelTypeHasARowAndARecipe) {
  for (const char* type : {"gpt2", "bert", "llama", "mistral", "qwen2", "qwen3", "gemma2",
                           "gemma3_text", "phi3", "gpt_neox"}) {
    const ArchitectureRow* row = find_architecture(type);
    ASSERT_TRUE(row) << type;
    EXPECT_EQ(&architecture_row(row->architecture), row);
    EXPECT_TRUE(row->recipe && row->read_config) << type;
    EXPECT_FALSE(row->names[static_cast<int>(TensorRole::kTokenEmbedding)].empty()) << type;
  }
  EXPECT_EQ(find_architecture("llama4"), nullptr);
  EXPECT_NE(supported_model_types().find("\"gpt_neox\""), std::string::npos);
}

}  // namespace
}  // namespace attnviz
