// Head role detectors on hand-built attention patterns with scores worked out by hand.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "core/analysis/head_roles.h"
#include "core/attention_import.h"
#include "core/safetensors.h"

namespace attnviz {
namespace {

// Legend: T tokens. Maps are dense (T, T), rows = queries.
std::vector<Token> tokens_from_ids(const std::vector<int32_t>& ids) {
  std::vector<Token> tokens;
  for (int32_t id : ids) tokens.push_back({id, std::to_string(id), 0, 0, false});
  return tokens;
}

// A one-layer trace whose heads are the given dense (T, T) maps.
AttentionTrace trace_from_maps(const std::vector<int32_t>& ids,
                               const std::vector<std::vector<float>>& maps, bool causal) {
  AttentionTrace trace(tokens_from_ids(ids), 1, static_cast<int>(maps.size()), causal);
  const int t = static_cast<int>(ids.size());
  for (size_t h = 0; h < maps.size(); ++h)
    for (int q = 0; q < t; ++q) {
      auto row = trace.mutable_row(0, static_cast<int>(h), q);
      for (size_t k = 0; k < row.size(); ++k) row[k] = maps[h][q * t + k];
    }
  return trace;
}

std::vector<float> uniform_causal(int t) {
  std::vector<float> map(t * t, 0.0f);
  for (int i = 0; i < t; ++i)
    for (int j = 0; j <= i; ++j) map[i * t + j] = 1.0f / (i + 1);
  return map;
}

// Row 0 on itself, every other row on the token before it.
std::vector<float> perfect_previous(int t) {
  std::vector<float> map(t * t, 0.0f);
  map[0] = 1.0f;
  for (int i = 1; i < t; ++i) map[i * t + i - 1] = 1.0f;
  return map;
}

TEST(DetectionPattern, MatchesTheDefinitionsOnASmallSequence) {
  const std::vector<int32_t> ids = {7, 1, 2, 7, 1, 1};
  const int t = 6;
  auto prev = detection_pattern(HeadPattern::kPreviousToken, ids);
  auto dup = detection_pattern(HeadPattern::kDuplicateToken, ids);
  auto induction = detection_pattern(HeadPattern::kInduction, ids);
  for (int i = 0; i < t; ++i) {
    for (int j = 0; j < t; ++j) {
      const float want_prev = j == i - 1 ? 1.0f : 0.0f;
      const float want_dup = (j < i && ids[j] == ids[i]) ? 1.0f : 0.0f;
      const float want_induction = (j >= 1 && j <= i && ids[j - 1] == ids[i]) ? 1.0f : 0.0f;
      EXPECT_EQ(prev[i * t + j], want_prev) << "prev at " << i << "," << j;
      EXPECT_EQ(dup[i * t + j], want_dup) << "dup at " << i << "," << j;
      EXPECT_EQ(induction[i * t + j], want_induction) << "induction at " << i << "," << j;
    }
  }
  // Spot checks written out: ids[5] == ids[4] == ids[1] == 1.
  EXPECT_EQ(dup[5 * t + 4], 1.0f);
  EXPECT_EQ(dup[5 * t + 1], 1.0f);
  EXPECT_EQ(induction[5 * t + 5], 1.0f);  // ids[4] == ids[5]: j = i counts (j − 1 < i)
  EXPECT_EQ(induction[5 * t + 2], 1.0f);  // ids[1] == ids[5]
  EXPECT_EQ(induction[3 * t + 1], 1.0f);  // ids[0] == ids[3]
}

TEST(DetectionScore, PerfectPreviousTokenHead) {
  const int t = 5;
  auto map = perfect_previous(t);
  auto pattern = detection_pattern(HeadPattern::kPreviousToken, std::vector<int32_t>(t, 3));
  // Row 0 has no previous token: 4 of 5 units of attention are on the pattern.
  EXPECT_NEAR(detection_score(map, pattern, t), 4.0 / 5.0, 1e-12);
  EXPECT_NEAR(detection_score(map, pattern, t, {.exclude_current_token = true}), 1.0, 1e-12);
  // Column 0 holds row 0's and row 1's weight: 3 / 3 left.
  EXPECT_NEAR(detection_score(map, pattern, t, {.exclude_first_token = true}), 1.0, 1e-12);
}

TEST(DetectionScore, UniformCausalHeadByHand) {
  const int t = 4;
  auto map = uniform_causal(t);
  auto pattern = detection_pattern(HeadPattern::kPreviousToken, std::vector<int32_t>{1, 2, 3, 4});
  // Pattern mass 1/2 + 1/3 + 1/4 = 13/12 of a total of 4.
  EXPECT_NEAR(detection_score(map, pattern, t), 13.0 / 48.0, 1e-7);
  // Column 0 holds 1 + 1/2 + 1/3 + 1/4 = 25/12, of it 1/2 on the pattern: (7/12) / (23/12).
  EXPECT_NEAR(detection_score(map, pattern, t, {.exclude_first_token = true}), 7.0 / 23.0, 1e-7);
  // The diagonal holds 25/12 as well, none on the pattern: (13/12) / (23/12).
  EXPECT_NEAR(detection_score(map, pattern, t, {.exclude_current_token = true}), 13.0 / 23.0, 1e-7);
  // Both: remove column 0 and the diagonal (overlap at (0, 0) = 1): 4 − 25/12 − 25/12 + 1 =
  // 5/6 left, pattern mass 1/3 + 1/4 = 7/12.
  EXPECT_NEAR(detection_score(map, pattern, t,
                              {.exclude_first_token = true, .exclude_current_token = true}),
              (7.0 / 12.0) / (5.0 / 6.0), 1e-7);
}

TEST(DetectionScore, InductionHeadOnARepeatedSequence) {
  // BOS, a b c, a b c: rows of the second copy attend to the token after the first occurrence.
  const std::vector<int32_t> ids = {0, 11, 12, 13, 11, 12, 13};
  const int t = 7;
  std::vector<float> map(t * t, 0.0f);
  for (int i = 0; i <= 3; ++i) map[i * t + 0] = 1.0f;  // first copy: nothing to copy, sink on BOS
  map[4 * t + 2] = 1.0f;
  map[5 * t + 3] = 1.0f;
  map[6 * t + 4] = 1.0f;
  auto induction = detection_pattern(HeadPattern::kInduction, ids);
  EXPECT_NEAR(detection_score(map, induction, t), 3.0 / 7.0, 1e-12);
  EXPECT_NEAR(detection_score(map, induction, t, {.exclude_first_token = true}), 1.0, 1e-12);
  auto duplicate = detection_pattern(HeadPattern::kDuplicateToken, ids);
  EXPECT_NEAR(detection_score(map, duplicate, t, {.exclude_first_token = true}), 0.0, 1e-12);
}

TEST(DetectionScore, EmptyMapScoresZero) {
  std::vector<float> map = {1.0f};
  auto pattern = detection_pattern(HeadPattern::kPreviousToken, std::vector<int32_t>{5});
  EXPECT_EQ(detection_score(map, pattern, 1, {.exclude_current_token = true}), 0.0);
}

TEST(AnalyzeHead, StatisticsOfAUniformCausalHead) {
  const int t = 4;
  auto role = analyze_head(uniform_causal(t), std::vector<int32_t>{1, 2, 3, 4}, true);
  EXPECT_NEAR(role.previous_token, 13.0 / 48.0, 1e-7);
  EXPECT_NEAR(role.duplicate_token, 0.0, 1e-12);
  EXPECT_NEAR(role.first_token_share, 25.0 / 48.0, 1e-7);  // (1 + 1/2 + 1/3 + 1/4) / 4
  EXPECT_NEAR(role.self_share, 25.0 / 48.0, 1e-7);
  // Σ A|i − j| = 1/2 + (2 + 1)/3 + (3 + 2 + 1)/4 = 3 over a total of 4.
  EXPECT_NEAR(role.mean_distance, 0.75, 1e-7);
  EXPECT_NEAR(role.mean_entropy, (std::log(2.0) + std::log(3.0) + std::log(4.0)) / 4.0, 1e-6);
  EXPECT_NEAR(role.normalized_entropy, 1.0, 1e-6);
  EXPECT_EQ(role.label, "first");  // 25/48 > 0.4 and the first of equal shares in label order
}

TEST(AnalyzeHead, LabelsFollowTheDocumentedRule) {
  const int t = 8;
  std::vector<int32_t> ids(t);
  for (int i = 0; i < t; ++i) ids[i] = 100 + i;
  EXPECT_EQ(analyze_head(perfect_previous(t), ids, true).label, "prev");

  // A long uniform head has small shares everywhere and high entropy.
  const int long_t = 40;
  std::vector<int32_t> long_ids(long_t);
  for (int i = 0; i < long_t; ++i) long_ids[i] = i;
  EXPECT_EQ(analyze_head(uniform_causal(long_t), long_ids, true).label, "broad");

  std::vector<float> sink(t * t, 0.0f);
  for (int i = 0; i < t; ++i) sink[i * t] = 1.0f;
  EXPECT_EQ(analyze_head(sink, ids, true).label, "first");

  std::vector<float> self(t * t, 0.0f);
  for (int i = 0; i < t; ++i) self[i * t + i] = 1.0f;
  EXPECT_EQ(analyze_head(self, ids, true).label, "self");

  // Each row split over itself and the two tokens before it: no share reaches 0.4, but the
  // attention stays within about one token.
  const int local_t = 16;
  std::vector<float> local(local_t * local_t, 0.0f);
  for (int i = 0; i < local_t; ++i) {
    const int n = std::min(i + 1, 3);
    for (int k = 0; k < n; ++k) local[i * local_t + i - k] += 1.0f / n;
  }
  HeadRole local_role =
      analyze_head(local, std::vector<int32_t>(long_ids.begin(), long_ids.begin() + local_t), true);
  EXPECT_LT(local_role.previous_token, 0.4);
  EXPECT_LT(local_role.self_share, 0.4);
  EXPECT_EQ(local_role.label, "local");
}

TEST(HeadRoleTable, TraceScoresMatchDenseAnalysis) {
  const std::vector<int32_t> ids = {0, 11, 12, 11, 12, 13};
  const int t = 6;
  std::vector<float> mixed(t * t, 0.0f);
  for (int i = 0; i < t; ++i)
    for (int j = 0; j <= i; ++j)
      mixed[i * t + j] = static_cast<float>(j + 1) / ((i + 1) * (i + 2) / 2);
  auto trace = trace_from_maps(ids, {uniform_causal(t), perfect_previous(t), mixed}, true);
  const DetectionOptions options{.exclude_first_token = true};
  HeadRoleTable table = compute_head_roles(trace, options);
  ASSERT_EQ(table.roles.size(), 3u);
  const std::vector<std::vector<float>> maps = {uniform_causal(t), perfect_previous(t), mixed};
  for (int h = 0; h < 3; ++h) {
    HeadRole want = analyze_head(maps[h], ids, true, options);
    const HeadRole& got = table.at(0, h);
    EXPECT_EQ(got.layer, 0);
    EXPECT_EQ(got.head, h);
    EXPECT_NEAR(got.previous_token, want.previous_token, 1e-9) << "head " << h;
    EXPECT_NEAR(got.duplicate_token, want.duplicate_token, 1e-9) << "head " << h;
    EXPECT_NEAR(got.induction, want.induction, 1e-9) << "head " << h;
    EXPECT_NEAR(got.mean_distance, want.mean_distance, 1e-9) << "head " << h;
    EXPECT_NEAR(got.mean_entropy, want.mean_entropy, 1e-9) << "head " << h;
    EXPECT_EQ(got.label, want.label);
    // And the three scores against detection_score itself.
    EXPECT_NEAR(
        got.duplicate_token,
        detection_score(maps[h], detection_pattern(HeadPattern::kDuplicateToken, ids), t, options),
        1e-6);
  }
}

TEST(InductionProbe, LayoutAndDeterminism) {
  const int r = 20;
  auto ids = make_induction_probe(50257, r, 1234, 50256);
  ASSERT_EQ(ids.size(), 1u + 2 * r);
  EXPECT_EQ(ids[0], 50256);
  std::set<int32_t> distinct;
  for (int k = 0; k < r; ++k) {
    EXPECT_EQ(ids[1 + k], ids[1 + r + k]) << "position " << k;
    EXPECT_GE(ids[1 + k], 0);
    EXPECT_LT(ids[1 + k], 50257);
    EXPECT_NE(ids[1 + k], 50256);
    distinct.insert(ids[1 + k]);
  }
  EXPECT_EQ(distinct.size(), static_cast<size_t>(r));
  EXPECT_EQ(ids, make_induction_probe(50257, r, 1234, 50256));
  EXPECT_NE(ids, make_induction_probe(50257, r, 1235, 50256));
  // A vocabulary too small for distinct ids still gives a probe of the right length.
  EXPECT_EQ(make_induction_probe(3, 5, 1, 0).size(), 11u);
}

TEST(InductionProbe, PerfectAndUniformHeads) {
  const int r = 6;
  auto ids = make_induction_probe(1000, r, 42, 999);
  const int t = 1 + 2 * r;
  std::vector<float> perfect(t * t, 0.0f);
  for (int i = 0; i < t; ++i) {
    if (i >= r + 1) {
      perfect[i * t + (i - r + 1)] = 1.0f;  // k = i − R − 1, target k + 2
    } else {
      perfect[i * t] = 1.0f;
    }
  }
  auto trace = trace_from_maps(ids, {perfect, uniform_causal(t)}, true);
  auto scores = induction_probe_score(trace, r);
  ASSERT_EQ(scores.size(), 2u);
  EXPECT_NEAR(scores[0], 1.0, 1e-12);
  double uniform = 0.0;
  for (int k = 0; k < r; ++k) uniform += 1.0 / (r + 2 + k);  // row R+1+k sees R+2+k keys
  EXPECT_NEAR(scores[1], uniform / r, 1e-7);

  HeadRoleTable table = compute_head_roles(trace);
  set_induction_from_probe(table, scores);
  EXPECT_NEAR(table.at(0, 0).induction, 1.0, 1e-12);
  EXPECT_EQ(table.at(0, 0).label, "induction");
}

}  // namespace
}  // namespace attnviz

// ---- Against TransformerLens' own code on the fixtures' reference attention ----
// The Python below is TransformerLens' head_detector.py (patterns and the "mul" score), in numpy,
// run on the attention that Hugging Face computed for the fixture texts.
namespace attnviz {
namespace {

const char* kTransformerLensScript = R"PY(
import json, sys, struct
import numpy as np
data, out = sys.argv[1], sys.argv[2]
def read_safetensors(path):
    raw = open(path, 'rb').read()
    n = struct.unpack('<Q', raw[:8])[0]
    header = json.loads(raw[8:8 + n])
    tensors = {}
    for name, info in header.items():
        if name == '__metadata__': continue
        b, e = info['data_offsets']
        dtype = {'F32': '<f4', 'I64': '<i8'}[info['dtype']]
        tensors[name] = np.frombuffer(raw[8 + n + b:8 + n + e], dtype=dtype).reshape(info['shape'])
    return tensors
def previous(tokens):
    t = len(tokens); d = np.zeros((t, t)); d[1:, :-1] = np.eye(t - 1); return np.tril(d)
def duplicate(tokens):
    p = np.tile(tokens, (len(tokens), 1)); eq = np.equal(p, p.T).astype(int)
    np.fill_diagonal(eq, 0); return np.tril(eq).astype(float)
def induction(tokens):
    dup = duplicate(tokens); shifted = np.roll(dup, 1, axis=1)
    return np.tril(np.concatenate([np.zeros((dup.shape[0], 1)), shifted[:, 1:]], axis=1))
def score(a, d, exclude_bos, exclude_current):
    a = a.astype(np.float64).copy()
    if exclude_bos: a[:, 0] = 0
    if exclude_current: np.fill_diagonal(a, 0)
    return float((a * d).sum() / a.sum())
results = []
for model in ['gpt2-tiny', 'bert-tiny']:
    tensors = read_safetensors(f'{data}/{model}/reference.safetensors')
    i = 0
    while f'text{i}.attentions' in tensors:
        ids = tensors[f'text{i}.input_ids'].astype(np.int64)
        att = tensors[f'text{i}.attentions']
        for bos, cur in [(False, False), (True, False), (False, True), (True, True)]:
            for l in range(att.shape[0]):
                for h in range(att.shape[1]):
                    results.append(dict(model=model, text=i, layer=l, head=h, bos=bos, cur=cur,
                        prev=score(att[l, h], previous(ids), bos, cur),
                        dup=score(att[l, h], duplicate(ids), bos, cur),
                        induction=score(att[l, h], induction(ids), bos, cur)))
        i += 1
json.dump(results, open(out, 'w'))
)PY";

TEST(HeadRolesReference, MatchesTransformerLensOnFixtureAttention) {
  namespace fs = std::filesystem;
  const fs::path data = ATTNVIZ_TEST_DATA;
  const fs::path dir = fs::temp_directory_path() / ("attnviz_tl_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  std::ofstream(dir / "tl.py") << kTransformerLensScript;
  const std::string command = "/usr/bin/python3 '" + (dir / "tl.py").string() + "' '" +
                              data.string() + "' '" + (dir / "tl.json").string() + "'";
  ASSERT_EQ(std::system(command.c_str()), 0) << "the TransformerLens reference script failed";
  std::ifstream in(dir / "tl.json");
  const nlohmann::json expected = nlohmann::json::parse(in);
  fs::remove_all(dir);
  ASSERT_GT(expected.size(), 100u);

  std::map<std::pair<std::string, int>, std::shared_ptr<AttentionTrace>> traces;
  double worst = 0.0;
  std::string worst_where;
  for (const auto& row : expected) {
    const std::string model = row["model"];
    const int text = row["text"];
    auto& trace = traces[{model, text}];
    if (!trace) {
      auto file = SafetensorsFile::open(data / model / "reference.safetensors");
      ASSERT_TRUE(file.ok()) << file.error().message;
      const std::string prefix = "text" + std::to_string(text);
      auto bytes = file->read_bytes(*file->find(prefix + ".input_ids"));
      ASSERT_TRUE(bytes.ok());
      std::vector<Token> tokens;
      for (size_t i = 0; i + 8 <= bytes->size(); i += 8) {
        int64_t id;
        std::memcpy(&id, bytes->data() + i, 8);
        tokens.push_back({static_cast<int32_t>(id), std::to_string(id), 0, 0, false});
      }
      const TensorInfo& info = *file->find(prefix + ".attentions");
      auto values = file->read_floats(info);
      ASSERT_TRUE(values.ok());
      auto built = trace_from_dense(tokens, info.shape, *values, "reference");
      ASSERT_TRUE(built.ok()) << built.error().message;
      trace = *built;
    }
    const DetectionOptions options{.exclude_first_token = row["bos"],
                                   .exclude_current_token = row["cur"]};
    const HeadRole role = compute_head_roles(*trace, options).at(row["layer"], row["head"]);
    const std::pair<double, double> pairs[] = {{role.previous_token, row["prev"]},
                                               {role.duplicate_token, row["dup"]},
                                               {role.induction, row["induction"]}};
    for (const auto& [got, want] : pairs) {
      if (std::abs(got - want) > worst) {
        worst = std::abs(got - want);
        worst_where = row.dump();
      }
    }
  }
  EXPECT_LT(worst, 1e-6) << "max difference " << worst << " at " << worst_where;
}

}  // namespace
}  // namespace attnviz
