// Importing attention saved by other programs: numpy .npy files written by /usr/bin/python3,
// safetensors files, token lists in both JSON forms, and every check on the way.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <random>

#include "core/attention_import.h"
#include "core/export/exporter.h"
#include "core/safetensors.h"

namespace attnviz {
namespace {

namespace fs = std::filesystem;

// Legend: L layers, H heads, T tokens.

class ImportTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    std::random_device random;
    dir_ = fs::temp_directory_path() / ("attnviz_import_" + std::to_string(random()));
    fs::create_directories(dir_);
    // Softmax attention of several shapes, each also saved raw as float32 (NAME.f32) after any
    // float16 rounding, so the test knows what the trace must hold.
    const fs::path script = dir_ / "make.py";
    std::ofstream(script) << R"PY(
import sys, pathlib, json
import numpy as np
D = pathlib.Path(sys.argv[1])
rng = np.random.default_rng(3)
def softmax(x, causal):
    t = x.shape[-1]
    if causal:
        x = np.where(np.tril(np.ones((t, t), bool)), x, -np.inf)
    e = np.exp(x - x.max(-1, keepdims=True))
    return e / e.sum(-1, keepdims=True)
def save(name, a):
    np.save(D / (name + '.npy'), a)
    a.astype('<f4').tofile(D / (name + '.f32'))
save('causal_lhtt', softmax(rng.normal(size=(2, 3, 5, 5)), True).astype(np.float32))
save('bidir_htt', softmax(rng.normal(size=(4, 5, 5)), False).astype(np.float32))
save('half_tt', softmax(rng.normal(size=(5, 5)), True).astype(np.float16))
bad = softmax(rng.normal(size=(5, 5)), False).astype(np.float32)
bad[2, 3] = 1.5
np.save(D / 'above_one.npy', bad)
bad[2, 3] = np.nan
np.save(D / 'nan.npy', bad)
np.save(D / 'scores.npy', rng.normal(size=(5, 5)).astype(np.float32))
np.save(D / 'batched.npy', softmax(rng.normal(size=(2, 1, 3, 5, 5)), True).astype(np.float32))
np.save(D / 'not_square.npy', np.zeros((3, 5, 4), np.float32))
words = ['The', ' cat', ' sat', ' the', ' cat']
(D / 'tokens_list.json').write_text(json.dumps(words))
(D / 'tokens_object.json').write_text(json.dumps({'tokens': [
    {'text': w, 'id': 100 + i, 'start': 4 * i, 'end': 4 * i + 3} for i, w in enumerate(words)]}))
(D / 'tokens_four.json').write_text(json.dumps(words[:4]))
(D / 'tokens_broken.json').write_text('["The", " cat"')
(D / 'tokens_number.json').write_text('["The", 5, " sat", " the", " cat"]')
(D / 'tokens_bad_span.json').write_text(json.dumps([{'text': 'a', 'start': 5, 'end': 2}] * 5))
lhtt = np.fromfile(D / 'causal_lhtt.f32', dtype='<f4').reshape(2, 3, 5, 5)
(D / 'nested.json').write_text(json.dumps(lhtt.tolist()))
(D / 'export_like.json').write_text(json.dumps({'format': 'attnviz-attention', 'shape': [2, 3, 5, 5],
    'tokens': [{'id': 7 + i, 'text': w, 'start': 0, 'end': 0, 'special': False} for i, w in enumerate(words)],
    'attention': lhtt.tolist()}))
ragged = lhtt.tolist(); ragged[1][2][3] = ragged[1][2][3][:4]
(D / 'ragged.json').write_text(json.dumps({'tokens': words, 'attention': ragged}))
(D / 'strings.json').write_text(json.dumps({'tokens': words, 'attention': [['a'] * 5] * 5}))
)PY";
    const std::string command =
        "/usr/bin/python3 '" + script.string() + "' '" + dir_.string() + "'";
    ASSERT_EQ(std::system(command.c_str()), 0) << "numpy could not write the test files";
  }
  static void TearDownTestSuite() {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }

  static std::vector<float> raw(const std::string& name) {
    std::ifstream in(dir_ / name, std::ios::binary);
    std::string bytes(std::istreambuf_iterator<char>(in), {});
    std::vector<float> out(bytes.size() / 4);
    std::memcpy(out.data(), bytes.data(), out.size() * 4);
    return out;
  }

  static void expect_trace_equals(const AttentionTrace& trace, const std::vector<float>& want) {
    const std::vector<float> got = trace.dense();
    ASSERT_EQ(got.size(), want.size());
    double worst = 0.0;
    size_t where = 0;
    for (size_t i = 0; i < got.size(); ++i) {
      const double difference = std::abs(static_cast<double>(got[i]) - want[i]);
      if (difference > worst) worst = difference, where = i;
    }
    EXPECT_EQ(worst, 0.0) << "max difference " << worst << " at flat index " << where;
  }

  static void expect_error(const std::string& attention, const std::string& tokens,
                           const std::string& fragment, const ImportLimits& limits = {}) {
    auto trace =
        load_attention_file(dir_ / attention, tokens.empty() ? fs::path() : dir_ / tokens, limits);
    ASSERT_FALSE(trace.ok()) << attention << " + " << tokens << " should fail";
    EXPECT_NE(trace.error().message.find(fragment), std::string::npos)
        << "message: " << trace.error().message;
  }

  static fs::path dir_;
};

fs::path ImportTest::dir_;

TEST_F(ImportTest, CausalLayersAndHeadsFromNpy) {
  auto trace = load_attention_file(dir_ / "causal_lhtt.npy", dir_ / "tokens_list.json");
  ASSERT_TRUE(trace.ok()) << trace.error().message;
  const AttentionTrace& t = **trace;
  EXPECT_EQ(t.layers(), 2);
  EXPECT_EQ(t.heads(), 3);
  EXPECT_EQ(t.tokens_count(), 5);
  EXPECT_TRUE(t.causal());
  EXPECT_FALSE(t.has_qkv());
  EXPECT_EQ(t.model_name, "causal_lhtt.npy");
  expect_trace_equals(t, raw("causal_lhtt.f32"));
  // Plain strings: spans laid out over the text, equal texts share a stand-in id.
  EXPECT_EQ(t.tokens()[1].text, " cat");
  EXPECT_EQ(t.tokens()[1].start, 3u);
  EXPECT_EQ(t.tokens()[1].end, 7u);
  EXPECT_EQ(t.tokens()[4].id, t.tokens()[1].id);
  EXPECT_NE(t.tokens()[3].id, t.tokens()[1].id);
}

TEST_F(ImportTest, BidirectionalHeadsAndTokenObjects) {
  auto trace = load_attention_file(dir_ / "bidir_htt.npy", dir_ / "tokens_object.json");
  ASSERT_TRUE(trace.ok()) << trace.error().message;
  EXPECT_EQ((*trace)->layers(), 1);
  EXPECT_EQ((*trace)->heads(), 4);
  EXPECT_FALSE((*trace)->causal());
  expect_trace_equals(**trace, raw("bidir_htt.f32"));
  const Token& token = (*trace)->tokens()[2];
  EXPECT_EQ(token.id, 102);
  EXPECT_EQ(token.start, 8u);
  EXPECT_EQ(token.end, 11u);
}

TEST_F(ImportTest, Float16SingleHead) {
  auto trace = load_attention_file(dir_ / "half_tt.npy", dir_ / "tokens_list.json");
  ASSERT_TRUE(trace.ok()) << trace.error().message;
  EXPECT_EQ((*trace)->layers(), 1);
  EXPECT_EQ((*trace)->heads(), 1);
  EXPECT_TRUE((*trace)->causal());
  expect_trace_equals(**trace, raw("half_tt.f32"));
}

TEST_F(ImportTest, RejectsBadAttention) {
  expect_error("causal_lhtt.npy", "tokens_four.json",
               "covers 5 tokens but the tokens file lists 4");
  expect_error("above_one.npy", "tokens_list.json", "layer 0, head 0, query 2, key 3");
  expect_error("nan.npy", "tokens_list.json", "is not an attention weight");
  expect_error("scores.npy", "tokens_list.json", "not the scores");
  expect_error("batched.npy", "tokens_list.json", "drop any batch dimension");
  expect_error("not_square.npy", "tokens_list.json", "is not (L, H, T, T)");
  expect_error("causal_lhtt.npy", "tokens_list.json", "too large",
               ImportLimits{.max_layers = 1024, .max_heads = 2});
  expect_error("causal_lhtt.npy", "tokens_list.json", "MiB allowed",
               ImportLimits{.max_bytes = 100});
  expect_error("causal_lhtt.npy", "", "holds no tokens");
  expect_error("make.py", "tokens_list.json", "unknown attention file type '.py'");
  expect_error("missing.npy", "tokens_list.json", "cannot read");
  // Errors name the file.
  expect_error("above_one.npy", "tokens_list.json", (dir_ / "above_one.npy").string());
}

TEST_F(ImportTest, RejectsBadTokens) {
  expect_error("causal_lhtt.npy", "tokens_broken.json", "not valid JSON");
  expect_error("causal_lhtt.npy", "tokens_number.json", "token 1 is neither a string");
  expect_error("causal_lhtt.npy", "tokens_bad_span.json", "start <= end");
  expect_error("causal_lhtt.npy", "no_such_tokens.json",
               "no_such_tokens.json: cannot read the file");
}

TEST_F(ImportTest, JsonNestedListsAndExports) {
  auto nested = load_attention_file(dir_ / "nested.json", dir_ / "tokens_list.json");
  ASSERT_TRUE(nested.ok()) << nested.error().message;
  EXPECT_EQ((*nested)->layers(), 2);
  EXPECT_TRUE((*nested)->causal());
  expect_trace_equals(**nested, raw("causal_lhtt.f32"));
  // attnviz's own JSON export carries its tokens.
  auto exported = load_attention_file(dir_ / "export_like.json", {});
  ASSERT_TRUE(exported.ok()) << exported.error().message;
  EXPECT_EQ((*exported)->tokens()[2].id, 9);
  expect_trace_equals(**exported, raw("causal_lhtt.f32"));
  // ... and works as a tokens file for another attention file.
  auto tokens = load_tokens_json(dir_ / "export_like.json");
  ASSERT_TRUE(tokens.ok()) << tokens.error().message;
  EXPECT_EQ(tokens->size(), 5u);
  expect_error("ragged.json", "", "not rectangular");
  expect_error("strings.json", "", "other than numbers");
  expect_error("nested.json", "", "holds no tokens");
}

// The JSON attention is streamed into floats (no JSON value is built): each way the lists can
// disagree is caught, members besides "attention" and "tokens" are ignored wherever they are,
// and a tokens list far longer than max_tokens is refused before it is built.
TEST_F(ImportTest, JsonAttentionStreamedWithEveryShapeCheck) {
  const auto write = [&](const std::string& name, const std::string& text) {
    std::ofstream(dir_ / name) << text;
    return name;
  };
  const std::string two = R"(["a", "b"])";
  write("two.json", two);
  const auto loads = [&](const std::string& text) {
    return load_attention_file(dir_ / write("streamed.json", text), dir_ / "two.json");
  };
  auto plain = loads(R"(  [[1, 0], [0.5, 0.5]]  )");
  ASSERT_TRUE(plain.ok()) << plain.error().message;
  EXPECT_EQ((*plain)->dense(), (std::vector<float>{1, 0, 0.5f, 0.5f}));
  auto members = load_attention_file(
      dir_ / write("members.json",
                   R"({"note": {"attention": [1]}, "shape": [1, 2, 2],)"
                   R"( "attention": [[[0.5, 0.5], [0, 1]]], "tokens": ["x", "y"]})"),
      {});
  ASSERT_TRUE(members.ok()) << members.error().message;
  EXPECT_EQ((*members)->heads(), 1);
  EXPECT_EQ((*members)->tokens()[1].text, "y");
  EXPECT_FALSE((*members)->causal());

  const std::pair<const char*, const char*> bad[] = {
      {"[[1, 0], [1]]", "not rectangular (a list at depth 1 should hold 2"},
      {"[[1, 0], 1]", "not rectangular (numbers at depths 1 and 0)"},
      {"[[[1]], [1]]", "not rectangular"},
      {"[[], []]", "must be nested lists"},
      {"[1, 0]", "must be nested lists"},
      {"[[[[[1]]]]]", "must be nested lists"},
      {"[[1, null], [0, 1]]", "other than numbers"},
      {"[[1, {}], [0, 1]]", "other than numbers"},
      {"[[1, 0], [0, 1]", "not valid JSON"},
      {"[[1, 0], [0, 1]] []", "not valid JSON"},
      {R"({"attention": [[1]], "attention": [[1]]})", "has \"attention\" twice"},
      {R"({"tokens": ["a"]})", "no \"attention\""},
      {"[[1, 1e39], [0, 1]]", "is not an attention weight"},
  };
  for (const auto& [text, fragment] : bad) {
    auto trace = loads(text);
    ASSERT_FALSE(trace.ok()) << text;
    EXPECT_NE(trace.error().message.find(fragment), std::string::npos)
        << text << ": " << trace.error().message;
  }
  // A tokens list longer than max_tokens is refused while it is read.
  ImportLimits small;
  small.max_tokens = 4;
  std::string many = "[";
  for (int i = 0; i < 1000; ++i) many += i ? R"(,{"text": "a", "id": 1})" : R"({"text": "a"})";
  auto refused = load_tokens_json(dir_ / write("many.json", many + "]"), small);
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.error().message.find("more than 80 JSON values"), std::string::npos)
      << refused.error().message;
}

TEST_F(ImportTest, SafetensorsRoundTrip) {
  auto original = load_attention_file(dir_ / "causal_lhtt.npy", dir_ / "tokens_object.json");
  ASSERT_TRUE(original.ok()) << original.error().message;
  const fs::path path = dir_ / "round.safetensors";
  ASSERT_TRUE(export_data(**original, ExportFormat::kSafetensors, path).ok());
  // Tokens from the file's own metadata.
  auto back = load_attention_file(path, {});
  ASSERT_TRUE(back.ok()) << back.error().message;
  EXPECT_EQ((*back)->tokens(), (*original)->tokens());
  EXPECT_EQ((*back)->causal(), (*original)->causal());
  EXPECT_EQ((*back)->layers(), 2);
  EXPECT_EQ((*back)->model_name, "round.safetensors");
  expect_trace_equals(**back, (*original)->dense());
  // Or from a tokens file, which wins.
  auto with_file = load_attention_file(path, dir_ / "tokens_list.json");
  ASSERT_TRUE(with_file.ok()) << with_file.error().message;
  EXPECT_EQ((*with_file)->tokens()[0].id, 0);
}

// A byte piece of a character keeps its bytes and its character's span through the JSON and
// safetensors exports and back (issue 11, item 7).
TEST_F(ImportTest, PiecesOfACharacterRoundTrip) {
  // As byte-level BPE cuts "caf é ok": a piece may also hold whole characters (" <0xC3>").
  std::vector<Token> tokens = {{5, "caf", 0, 3}, {6, " <0xC3>", 3, 5}, {7, "<0xA9>", 5, 6},
                               {8, " ok", 6, 9}};
  for (int i : {1, 2}) {
    tokens[i].partial = true;
    tokens[i].bytes = i == 1 ? " \xC3" : "\xA9";
    tokens[i].char_start = i == 1 ? 3 : 4;
    tokens[i].char_end = 6;
  }
  const std::vector<uint64_t> shape = {4, 4};
  std::vector<float> weights(16, 0.0f);
  for (int q = 0; q < 4; ++q)
    for (int k = 0; k <= q; ++k) weights[q * 4 + k] = 1.0f / static_cast<float>(q + 1);
  auto trace = trace_from_dense(tokens, shape, weights, "pieces");
  ASSERT_TRUE(trace.ok()) << trace.error().message;
  for (ExportFormat format : {ExportFormat::kJson, ExportFormat::kSafetensors}) {
    const fs::path path =
        dir_ / (format == ExportFormat::kJson ? "pieces.json" : "pieces.safetensors");
    ASSERT_TRUE(export_data(**trace, format, path).ok());
    auto back = load_attention_file(path, {});
    ASSERT_TRUE(back.ok()) << back.error().message;
    EXPECT_EQ((*back)->tokens(), tokens) << path;
  }
  // A written piece reads back; a piece that cannot be one is refused with its reason.
  auto write = [&](const std::string& name, const std::string& entry) {
    std::ofstream(dir_ / name) << "[" << entry << "]";
    return load_tokens_json(dir_ / name);
  };
  EXPECT_TRUE(write("piece_ok.json", R"({"text": "<0xC3>", "start": 0, "end": 1, "partial": true,
                                         "char_start": 0, "char_end": 2})")
                  .ok());
  for (const auto& [entry, fragment] : std::vector<std::pair<std::string, std::string>>{
           {R"({"text": "\u00e9", "start": 0, "end": 2, "partial": true, "char_start": 0,
                "char_end": 2})",
            "those of no whole character as <0xNN>"},
           {R"({"text": "<0xC3>", "start": 0, "end": 1, "partial": true})", "\"char_start\""},
           {R"({"text": "<0xC3>", "start": 1, "end": 2, "partial": true, "char_start": 2,
                "char_end": 3})",
            "char_start\" <= start"},
           {R"({"text": "<0xC3>", "start": 0, "end": 1, "partial": 1})", "true or false"},
       }) {
    auto refused = write("piece_bad.json", entry);
    ASSERT_FALSE(refused.ok()) << entry;
    EXPECT_NE(refused.error().message.find(fragment), std::string::npos)
        << refused.error().message;
  }
}

TEST_F(ImportTest, SafetensorsFromOtherWriters) {
  const std::vector<float> raw_values = raw("bidir_htt.f32");  // (4, 5, 5)
  TensorToWrite half{"attention", DType::kF16, {4, 5, 5}, {}};
  std::vector<float> rounded;
  for (float value : raw_values) {
    const uint16_t bits = float_to_half(value);
    rounded.push_back(half_to_float(bits));
    half.bytes.push_back(static_cast<uint8_t>(bits & 0xff));
    half.bytes.push_back(static_cast<uint8_t>(bits >> 8));
  }
  TensorToWrite extra{"input_ids", DType::kI64, {5}, std::vector<uint8_t>(40, 0)};
  const std::vector<TensorToWrite> tensors = {extra, half};
  ASSERT_TRUE(write_safetensors(dir_ / "named.safetensors", tensors).ok());
  auto trace = load_attention_file(dir_ / "named.safetensors", dir_ / "tokens_list.json");
  ASSERT_TRUE(trace.ok()) << trace.error().message;
  expect_trace_equals(**trace, rounded);

  TensorToWrite other = half;
  other.name = "scores";
  const std::vector<TensorToWrite> ambiguous = {extra, other};
  ASSERT_TRUE(write_safetensors(dir_ / "ambiguous.safetensors", ambiguous).ok());
  expect_error("ambiguous.safetensors", "tokens_list.json", "none is named \"attentions\"");
  const std::vector<TensorToWrite> ints = {extra};
  ASSERT_TRUE(write_safetensors(dir_ / "ints.safetensors", ints).ok());
  expect_error("ints.safetensors", "tokens_list.json", "is I64");
  expect_error("named.safetensors", "", "no tokens in its metadata");
}

}  // namespace
}  // namespace attnviz
