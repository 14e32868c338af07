// Every crash, hang, runaway allocation or sanitizer report found by fuzzing or by hand (issue
// 16) replayed from its minimized input in tests/data/fuzz-regressions/ (its README says what
// each input did and what fixed it). This suite also runs under ASan + UBSan (build-asan).
//
// A finding in code that another part of the project owns is kept here as a DISABLED_ test
// naming the finding, until its owner's fix lands; run them with
// --gtest_also_run_disabled_tests.
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <ctime>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <random>
#include <string>

#include "core/attention_import.h"
#include "core/json_read.h"
#include "core/model_config.h"
#include "core/model_discovery.h"
#include "core/npy.h"
#include "core/safetensors.h"
#include "core/session.h"
#include "core/tokenizer_loader.h"

namespace attnviz {
namespace {

namespace fs = std::filesystem;

fs::path regression(const std::string& name) {
  return fs::path(ATTNVIZ_TEST_DATA) / "fuzz-regressions" / name;
}

// Peak resident memory of this process in kB since the last reset_peak_rss() (VmHWM).
long peak_rss_kb() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line))
    if (line.rfind("VmHWM:", 0) == 0) return std::stol(line.substr(6));
  return -1;
}

// Lets VmHWM start again from the current RSS (Linux >= 4.0), so that a test sees its own peak
// and not the peak of a test before it.
void reset_peak_rss() {
  std::ofstream("/proc/self/clear_refs") << "5";
}

// A scratch folder per test, removed afterwards.
class Scratch {
 public:
  Scratch() {
    std::random_device random;
    path_ = fs::temp_directory_path() /
            ("attnviz_regress_" + std::to_string(::getpid()) + "_" + std::to_string(random()));
    fs::create_directories(path_);
  }
  ~Scratch() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  fs::path write(const std::string& name, const std::string& bytes) const {
    const fs::path path = path_ / name;
    fs::create_directories(path.parent_path());
    std::ofstream(path, std::ios::binary).write(bytes.data(), std::streamsize(bytes.size()));
    return path;
  }
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

std::string nested(int depth) {
  return std::string(depth, '[') + std::string(depth, ']');
}

std::string safetensors_bytes(const std::string& header) {
  std::string bytes(8, '\0');
  for (int i = 0; i < 8; ++i) bytes[i] = static_cast<char>((header.size() >> (8 * i)) & 0xFF);
  return bytes + header;
}

#define EXPECT_ERROR_MENTIONS(result, phrase)                                            \
  do {                                                                                   \
    const auto& r_ = (result);                                                           \
    ASSERT_FALSE(r_.ok()) << "accepted";                                                 \
    EXPECT_NE(r_.error().message.find(phrase), std::string::npos) << r_.error().message; \
  } while (0)

// Issue 16, by hand: "[[[[0,0,…],0,…],0,…],0,…]" of 3 KB promised a (401, 401, 401, 400)
// tensor; flatten_nested reserved ~100 GB and `attnviz view-data` aborted with bad_alloc.
// Fix: the attention is streamed from the JSON (nothing is reserved from a promise), and the
// second list of depth 2 is caught holding a number where lists were.
TEST(FuzzRegressions, AttentionJsonPromisingHugeTensor) {
  reset_peak_rss();
  const long before = peak_rss_kb();
  auto trace = load_attention_file(regression("attention-huge-promise.json"), {});
  EXPECT_ERROR_MENTIONS(trace, "\"attention\" is not rectangular");
  EXPECT_LT(peak_rss_kb() - before, 64 * 1024) << "kB of peak memory for a 3 KB file";
}

// Deep nesting (issue 16): each reader of outside JSON that hardening owns refuses 100,000
// levels through core/json_read with a message naming the file, without recursing.
TEST(FuzzRegressions, DeepNestingInImportDiscoveryAndSafetensors) {
  Scratch scratch;
  const std::string deep = nested(100000);
  const fs::path attention =
      scratch.write("deep_attention.json", R"({"tokens": ["a"], "attention": )" + deep + "}");
  EXPECT_ERROR_MENTIONS(load_attention_file(attention, {}), "nested more than");
  const fs::path tokens = scratch.write("deep_tokens.json", R"({"tokens": )" + deep + "}");
  EXPECT_ERROR_MENTIONS(load_tokens_json(tokens), "deep_tokens.json: JSON nested more than");

  const fs::path header =
      scratch.write("deep.safetensors", safetensors_bytes("{\"w\":" + deep + "}"));
  EXPECT_ERROR_MENTIONS(SafetensorsFile::open(header), "nested more than 16 levels");
  scratch.write("sharded/model.safetensors.index.json", R"({"weight_map": )" + deep + "}");
  EXPECT_ERROR_MENTIONS(TensorStore::open_folder(scratch.path() / "sharded"), "nested more than");

  scratch.write("models/deep/config.json", R"({"model_type": "gpt2", "n_embd": )" + deep + "}");
  const DiscoveredModel model = classify_model_folder(scratch.path() / "models" / "deep");
  EXPECT_FALSE(model.supported);
  EXPECT_NE(model.reason.find("nested more than"), std::string::npos) << model.reason;
}

// The tokens of an attnviz .safetensors attention file live in its metadata as JSON text: the
// same bounds apply to it.
TEST(FuzzRegressions, DeepTokensInSafetensorsMetadata) {
  Scratch scratch;
  const std::string header = R"({"__metadata__": {"tokens": ")" + nested(1000) +
                             R"("}, "attentions": {"dtype": "F32", "shape": [1, 1], )"
                             R"("data_offsets": [0, 4]}})";
  const fs::path path =
      scratch.write("meta.safetensors", safetensors_bytes(header) + std::string(4, '\0'));
  EXPECT_ERROR_MENTIONS(load_attention_file(path, {}), "(metadata \"tokens\"): JSON nested");
}

// The CPU time this thread spent: unlike wall time, it does not grow when a loaded machine
// deschedules the test (a wall-clock ratio failed once at 34.9x under a load of 10 on 2 cores).
namespace {
double thread_cpu_seconds() {
  timespec now{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &now);
  return static_cast<double>(now.tv_sec) + 1e-9 * static_cast<double>(now.tv_nsec);
}
}  // namespace

// Found while measuring caps (issue 16): nlohmann's callback parser, which the tokens reader
// used to skip "attention", scans the parent for a discarded value at every object's end, so a
// tokens list of n objects took O(n^2): 80,000 {"text": "a"} took 3.2 s, 1,000,000 would take
// minutes. json_read now builds the value in one linear SAX pass. Checked as a ratio of CPU time
// (8x the entries must take far less than the 64x time of a quadratic), not as a speed. The
// small file is 40,000 objects and the bound 40x: with 20,000 (6.5 ms) and 24x, page faults and
// cache misses under a load of fuzzers made a linear parse read 34x once.
TEST(FuzzRegressions, TokensListOfObjectsParsesInLinearTime) {
  Scratch scratch;
  const auto tokens_file = [&](int count) {
    std::string text = "[";
    for (int i = 0; i < count; ++i) text += i ? R"(,{"text":"a"})" : R"({"text":"a"})";
    return scratch.write("tokens" + std::to_string(count) + ".json", text + "]");
  };
  const auto seconds = [](const fs::path& path) {
    double best = 1e9;
    for (int run = 0; run < 3; ++run) {
      const double start = thread_cpu_seconds();
      auto tokens = load_tokens_json(path);
      EXPECT_TRUE(tokens.ok());
      best = std::min(best, thread_cpu_seconds() - start);
    }
    return best;
  };
  const double small = seconds(tokens_file(40000)), large = seconds(tokens_file(320000));
  std::cout << "  40,000 objects: " << small << " s of CPU, 320,000: " << large << " s\n";
  EXPECT_LT(large, 40 * small + 0.05) << "8x the entries took " << large / small << "x the time";
}

// The same parser served the safetensors header's duplicate-key check: a 99 MB header of
// 1,668,519 empty tensors did not open within 10 minutes (now 6.5 s of CPU, linear).
TEST(FuzzRegressions, SafetensorsHeaderOfManyTensorsOpensInLinearTime) {
  Scratch scratch;
  const auto header_file = [&](int count) {
    std::string header = "{";
    for (int i = 0; i < count; ++i)
      header += (i ? ",\"t" : "\"t") + std::to_string(i) +
                R"(":{"dtype":"F32","shape":[0],"data_offsets":[0,0]})";
    return scratch.write("many" + std::to_string(count) + ".safetensors",
                         safetensors_bytes(header + "}"));
  };
  const auto seconds = [](const fs::path& path, size_t tensors) {
    double best = 1e9;
    for (int run = 0; run < 3; ++run) {
      const double start = thread_cpu_seconds();
      auto file = SafetensorsFile::open(path);
      EXPECT_TRUE(file.ok() && file->tensors().size() == tensors);
      best = std::min(best, thread_cpu_seconds() - start);
    }
    return best;
  };
  const double small = seconds(header_file(10000), 10000);
  const double large = seconds(header_file(80000), 80000);
  std::cout << "  10,000 tensors: " << small << " s of CPU, 80,000: " << large << " s\n";
  EXPECT_LT(large, 24 * small + 0.05) << "8x the tensors took " << large / small << "x the time";
}

// Issue 16: a model folder named "\xFF\xFEmodel" made `tokenize --json` throw nlohmann's
// type_error 316. Names shown to people are escaped; the path keeps its bytes.
TEST(FuzzRegressions, NonUtf8NamesAreEscaped) {
  EXPECT_EQ(escape_invalid_utf8("\xFF\xFEmodel"), "\\xFF\\xFEmodel");
  EXPECT_EQ(escape_invalid_utf8("caf\xC3\xA9 \xE2\x82"), "caf\xC3\xA9 \\xE2\\x82");
  EXPECT_EQ(escape_invalid_utf8("plain"), "plain");

  Scratch scratch;
  scratch.write("\xFF\xFEmodel/config.json", R"({"model_type": "gpt2"})");
  const DiscoveredModel model = classify_model_folder(scratch.path() / "\xFF\xFEmodel");
  EXPECT_EQ(model.name, "\\xFF\\xFEmodel");
  EXPECT_EQ(model.path.filename().string(), "\xFF\xFEmodel");

  // Messages name such files escaped, so that they are valid UTF-8 wherever they are shown.
  const fs::path weights = scratch.write("\xFF.safetensors", "short");
  EXPECT_ERROR_MENTIONS(SafetensorsFile::open(weights), "\\xFF.safetensors: the file is 5 bytes");
  const fs::path npy = scratch.write("\xFF.npy", "short");
  EXPECT_ERROR_MENTIONS(read_npy_info(npy), "\\xFF.npy: not a .npy file");
  EXPECT_ERROR_MENTIONS(load_attention_file(scratch.path() / "\xFF.json", {}), "\\xFF.json");
}

// Issue 16, by hand: a config.json nested 100,000 levels crashed with a stack overflow in
// nlohmann's recursive dump, called for the error message ("n_embd is [[[[…"); `attnviz
// tokenize` on it: SIGSEGV (exit 139). load_model_config reads through json_read's depth bound.
TEST(FuzzRegressions, ConfigJsonNested100000Levels) {
  auto config = load_model_config(regression("config-deep-nesting") / "config.json");
  EXPECT_ERROR_MENTIONS(config, "nested");
  EXPECT_ERROR_MENTIONS(config, "config.json");
}

// Found by fuzz_model_config (a 30-minute run, 1.45 M executions): a llama3 rope_scaling whose
// original_max_position_embeddings is 81e92 was converted to int, undefined behaviour (UBSan:
// "8.1e+93 is outside the range of representable values of type 'int'"). It is refused now.
TEST(FuzzRegressions, RopeOriginalPositionsBeyondInt) {
  auto config = load_model_config(regression("config-rope-original-81e92") / "config.json");
  EXPECT_ERROR_MENTIONS(config, "original_max_position_embeddings");
  EXPECT_ERROR_MENTIONS(config, "whole number from 1 to 1048576");
  EXPECT_ERROR_MENTIONS(config, "config.json");
}

// Issue 16, by hand: a tokenizer.json whose normalizer is nested 100,000 levels deep crashed
// in normalizer.dump().substr(0, 80) for the error message (`attnviz tokenize`: SIGSEGV). The
// tokenizer loader now reads through core/json_read.h, which refuses the nesting.
TEST(FuzzRegressions, TokenizerJsonNested100000Levels) {
  auto tokenizer =
      load_tokenizer(regression("tokenizer-deep-normalizer"), TokenizerKind::kWordPiece);
  EXPECT_ERROR_MENTIONS(tokenizer, "tokenizer.json: JSON nested more than");
}

// Issue 16, by hand: a 3.5 KB WordPiece tokenizer.json with one id of 16,777,215 took 674 MB
// of RSS in `attnviz tokenize` (a table sized by the largest id). Ids are now bounded by the
// number of entries before any table is made, and the file is refused naming the field.
TEST(FuzzRegressions, WordPieceIdOf16777215) {
  reset_peak_rss();
  const long before = peak_rss_kb();
  auto tokenizer = load_tokenizer(regression("wordpiece-id-16777215"), TokenizerKind::kWordPiece);
  EXPECT_ERROR_MENTIONS(tokenizer, "tokenizer.json: model.vocab: token 'hello' has id 16777215");
  EXPECT_LT(peak_rss_kb() - before, 64 * 1024) << "kB of peak memory for a 3.5 KB file";
}

// Found by fuzz_bpe_files running at 36 executions/s: a 24-byte vocab.json
// {"a": 0, "b": 16777215} made two tables of 16,777,216 entries before anything else was
// checked (`attnviz tokenize` peaked at 1.19 GB and took 20 s to refuse the file). Same fix as
// the WordPiece case: refused, naming vocab.json, before a table is made.
TEST(FuzzRegressions, BpeVocabIdOf16777215) {
  reset_peak_rss();
  const long before = peak_rss_kb();
  auto tokenizer = load_tokenizer(regression("bpe-id-16777215"), TokenizerKind::kByteLevelBpe);
  EXPECT_ERROR_MENTIONS(tokenizer, "vocab.json: token 'b' has id 16777215");
  EXPECT_LT(peak_rss_kb() - before, 64 * 1024) << "kB of peak memory for a 24-byte vocab.json";
}

// Found by fuzz_session in CI's smoke run (seed 1, 1,806 executions): a session whose "version"
// key is misspelt made load_session read document["version"] of a const object, a heap read
// past nlohmann's map node (ASan heap-buffer-overflow). Fix: the key is looked up with find()
// and its absence refused by name.
TEST(FuzzRegressions, SessionWithoutVersion) {
  auto session = load_session(regression("session-no-version.attnviz"));
  EXPECT_ERROR_MENTIONS(session, "session-no-version.attnviz: the session has no \"version\"");
}

}  // namespace
}  // namespace attnviz
