// Helpers shared by the model tests: fixture paths, token ids from reference.safetensors, and
// comparisons that report the largest difference and where it is.
//
// Legend: L layers, H heads, T tokens, C width.
#pragma once

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "core/attention_trace.h"
#include "core/model.h"
#include "core/safetensors.h"

namespace attnviz::test {

inline std::filesystem::path fixture(const std::string& name) {
  return std::filesystem::path(ATTNVIZ_TEST_DATA) / name;
}

// A JSON file of expected values in tests/data (written by a tests/reference script), parsed.
inline nlohmann::json read_fixture_json(const std::string& name) {
  std::ifstream in(fixture(name));
  return nlohmann::json::parse(in);
}

// Tokens for a list of ids (the reference scripts' "input_ids"); the text is the id.
inline std::vector<Token> tokens_of(const nlohmann::json& ids) {
  std::vector<Token> tokens;
  for (const auto& id : ids)
    tokens.push_back(Token{id.get<int32_t>(), std::to_string(id.get<int>())});
  return tokens;
}

// Loads a fixture model once per test program (loading the GPT-2 vocabulary takes a moment).
inline std::shared_ptr<Model> fixture_model(const std::string& name,
                                            const LoadOptions& options = {}) {
  auto loaded = Model::load(fixture(name) / "model", options);
  EXPECT_TRUE(loaded.ok()) << (loaded.ok() ? "" : loaded.error().message);
  return loaded.ok() ? *loaded : nullptr;
}

inline SafetensorsFile open_reference(const std::string& name) {
  auto file = SafetensorsFile::open(fixture(name) / "reference.safetensors");
  EXPECT_TRUE(file.ok()) << (file.ok() ? "" : file.error().message);
  return std::move(file).value();
}

// Number of texts in a reference file (text0, text1, ... until one is missing).
inline int reference_texts(const SafetensorsFile& reference) {
  int n = 0;
  while (reference.find("text" + std::to_string(n) + ".input_ids")) ++n;
  return n;
}

// Tokens of reference text i (ids only; the forward pass needs nothing else).
inline std::vector<Token> reference_tokens(const SafetensorsFile& reference, int text) {
  const TensorInfo* info = reference.find("text" + std::to_string(text) + ".input_ids");
  EXPECT_TRUE(info && info->dtype == DType::kI64);
  auto bytes = reference.read_bytes(*info);
  EXPECT_TRUE(bytes.ok());
  std::vector<Token> tokens(info->elements());
  for (size_t i = 0; i < tokens.size(); ++i) {
    int64_t id = 0;
    std::memcpy(&id, bytes->data() + 8 * i, 8);
    tokens[i].id = static_cast<int32_t>(id);
    tokens[i].text = std::to_string(id);  // display only; the ids are what is compared
  }
  return tokens;
}

inline std::vector<float> reference_floats(const SafetensorsFile& reference,
                                           const std::string& name) {
  const TensorInfo* info = reference.find(name);
  EXPECT_TRUE(info) << "reference tensor " << name << " missing";
  if (!info) return {};
  auto values = reference.read_floats(*info);
  EXPECT_TRUE(values.ok());
  return values.ok() ? std::move(values).value() : std::vector<float>{};
}

// The largest difference found and where, as text for failure messages.
struct Worst {
  double value = 0.0;
  std::string where = "nowhere";
  void update(double diff, const std::string& place) {
    if (!(diff <= value)) {  // NaN counts as worst
      value = std::isnan(diff) ? INFINITY : diff;
      where = place;
    }
  }
};

inline std::string attention_place(int l, int h, int q, int k) {
  std::ostringstream out;
  out << "(layer " << l << ", head " << h << ", query " << q << ", key " << k << ")";
  return out.str();
}

// Max |a − b| over all (layer, head, query, key) of two traces of the same shape.
inline Worst attention_difference(const AttentionTrace& a, const AttentionTrace& b) {
  Worst worst;
  const int t = a.tokens_count();
  for (int l = 0; l < a.layers(); ++l)
    for (int h = 0; h < a.heads(); ++h)
      for (int q = 0; q < t; ++q)
        for (int k = 0; k < t; ++k)
          worst.update(std::abs(a.weight(l, h, q, k) - b.weight(l, h, q, k)),
                       attention_place(l, h, q, k));
  return worst;
}

// Max |trace − reference| over a dense (L, H, T, T) reference.
inline Worst attention_difference(const AttentionTrace& trace, const std::vector<float>& dense) {
  Worst worst;
  const int t = trace.tokens_count();
  size_t i = 0;
  for (int l = 0; l < trace.layers(); ++l)
    for (int h = 0; h < trace.heads(); ++h)
      for (int q = 0; q < t; ++q)
        for (int k = 0; k < t; ++k, ++i)
          worst.update(std::abs(trace.weight(l, h, q, k) - dense[i]), attention_place(l, h, q, k));
  return worst;
}

// Max |a − b| over (L+1, T, C) hidden states.
inline Worst hidden_difference(const std::vector<float>& a, const std::vector<float>& b, int t,
                               int c) {
  Worst worst;
  if (a.size() != b.size()) {
    worst.update(INFINITY, "sizes " + std::to_string(a.size()) + " vs " + std::to_string(b.size()));
    return worst;
  }
  for (size_t i = 0; i < a.size(); ++i) {
    const size_t per_layer = static_cast<size_t>(t) * c;
    worst.update(std::abs(a[i] - b[i]), "(hidden state " + std::to_string(i / per_layer) +
                                            ", token " + std::to_string(i % per_layer / c) +
                                            ", channel " + std::to_string(i % c) + ")");
  }
  return worst;
}

// A GoogleTest parameter name from a fixture or case name ("llama3-tiny" → "llama3_tiny").
struct DashesToUnderscores {
  template <class Info>
  std::string operator()(const Info& info) const {
    std::string name = info.param;
    for (char& c : name)
      if (c == '-' || c == '.') c = '_';
    return name;
  }
};

inline std::shared_ptr<const AttentionTrace> run_ok(Model& model, const std::vector<Token>& tokens,
                                                    const RunOptions& options,
                                                    const AttentionTrace* previous = nullptr) {
  auto trace = model.run(tokens, options, previous);
  EXPECT_TRUE(trace.ok()) << (trace.ok() ? "" : trace.error().message);
  return trace.ok() ? *trace : nullptr;
}

}  // namespace attnviz::test
