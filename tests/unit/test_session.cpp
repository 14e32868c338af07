// Sessions (core/session.h): SHA-256 against FIPS 180-4's test vectors and Python's hashlib, a
// session written and read back field by field, the model files' fingerprints and what changes
// in them, and every way a session file can be wrong (a newer format, damage, wrong types, a
// hostile size) refused with a message naming the file.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

#include "core/model.h"
#include "core/session.h"
#include "core/sha256.h"

namespace attnviz {
namespace {

namespace fs = std::filesystem;

fs::path scratch(const std::string& name) {
  fs::path folder =
      fs::temp_directory_path() / ("attnviz_test_session_" + std::to_string(getpid()));
  fs::create_directories(folder);
  return folder / name;
}

void write(const fs::path& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary) << bytes;
}

TEST(Sha256, MatchesTheStandardsTestVectors) {
  Sha256 empty;
  EXPECT_EQ(empty.hex_digest(), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  Sha256 abc;
  abc.update("abc");
  EXPECT_EQ(abc.hex_digest(), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  Sha256 two_blocks;
  two_blocks.update("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq");
  EXPECT_EQ(two_blocks.hex_digest(),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  // A million 'a's, fed in uneven pieces: the buffering across updates is exercised.
  Sha256 million;
  const std::string piece(997, 'a');
  size_t fed = 0;
  while (fed + piece.size() <= 1000000) {
    million.update(piece);
    fed += piece.size();
  }
  million.update(std::string(1000000 - fed, 'a'));
  EXPECT_EQ(million.hex_digest(),
            "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

TEST(Sha256, AFileHashesAsPythonsHashlibSays) {
  const fs::path config = fs::path(ATTNVIZ_TEST_DATA) / "gpt2-tiny" / "model" / "model.safetensors";
  auto digest = sha256_file(config);
  ASSERT_TRUE(digest.ok()) << digest.error().message;
  const std::string command =
      std::string(ATTNVIZ_TORCH_PYTHON) +
      " -c \"import hashlib,sys; print(hashlib.sha256(open(sys.argv[1],'rb')"
      ".read()).hexdigest())\" " +
      config.string();
  FILE* pipe = popen(command.c_str(), "r");
  ASSERT_NE(pipe, nullptr);
  char line[128] = {};
  ASSERT_NE(fgets(line, sizeof line, pipe), nullptr);
  pclose(pipe);
  EXPECT_EQ(*digest + "\n", std::string(line));
  auto missing = sha256_file(scratch("no-such-file"));
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.error().message.find("no-such-file"), std::string::npos);
}

Session sample_session() {
  Session session;
  session.model.folder = (fs::path(ATTNVIZ_TEST_DATA) / "gpt2-tiny" / "model").string();
  session.model.name = "gpt2-tiny";
  session.model.files = {{"config.json", 10, std::string(64, 'a')}};
  session.text = "The bank by the river was eroding. \xC3\xA9\xE6\x97\xA5";
  session.run.causal_mask = false;
  session.run.scale_by_sqrt_dk = false;
  session.run.temperature = 2.5f;
  session.run.ablations = {{1, 2, HeadAblation::Kind::kMean}, {0, 3, HeadAblation::Kind::kZero}};
  session.view.kind = ViewKind::kHeatmap;
  session.view.layer = 1;
  session.view.head = 3;
  session.view.head_mode = HeadMode::kSingleHead;
  session.view.enabled_heads = {1, 0, 1, 1};
  session.view.pinned_token = 5;
  session.view.value_weighted = true;
  session.view.merge_words = true;
  session.view.heatmap_zoom = 3.0f;
  session.view.heatmap_pan_x = 2.0f;
  session.view.theme = Theme::kLight;
  session.window = {1280, 800, 0.3f, 0.2f, "cost"};
  return session;
}

TEST(Session, ReadsBackWhatItWrote) {
  const Session saved = sample_session();
  const fs::path file = scratch("round.attnviz");
  ASSERT_TRUE(save_session(file, saved).ok());
  auto loaded = load_session(file);
  ASSERT_TRUE(loaded.ok()) << loaded.error().message;
  EXPECT_EQ(loaded->model.folder, saved.model.folder);
  EXPECT_FALSE(loaded->model.builtin);
  EXPECT_EQ(loaded->model.files, saved.model.files);
  EXPECT_EQ(loaded->text, saved.text);
  EXPECT_EQ(loaded->run.causal_mask, std::optional<bool>(false));
  EXPECT_FALSE(loaded->run.scale_by_sqrt_dk);
  EXPECT_FLOAT_EQ(loaded->run.temperature, 2.5f);
  EXPECT_EQ(loaded->run.ablations, saved.run.ablations);
  // The view is the same JSON (every field of ViewSpec goes through view_spec_json).
  EXPECT_EQ(view_spec_json(loaded->view), view_spec_json(saved.view));
  EXPECT_EQ(loaded->window.width, 1280);
  EXPECT_EQ(loaded->window.height, 800);
  EXPECT_FLOAT_EQ(loaded->window.left_column, 0.3f);
  EXPECT_EQ(loaded->window.details_tab, "cost");
  // Saved twice, the same bytes: sessions can be compared and kept in version control.
  const fs::path again = scratch("again.attnviz");
  ASSERT_TRUE(save_session(again, *loaded).ok());
  std::ifstream a(file), b(again);
  EXPECT_EQ(std::string(std::istreambuf_iterator<char>(a), {}),
            std::string(std::istreambuf_iterator<char>(b), {}));
}

TEST(Session, TheBuiltInModelIsFoundWhereverThisInstallationKeepsIt) {
  Session session = sample_session();
  session.model.builtin = true;
  session.model.folder.clear();
  const fs::path file = scratch("builtin.attnviz");
  ASSERT_TRUE(save_session(file, session).ok());
  auto loaded = load_session(file);
  ASSERT_TRUE(loaded.ok()) << loaded.error().message;
  EXPECT_TRUE(loaded->model.builtin);
  EXPECT_EQ(session_model_folder(*loaded), builtin_model_folder());
}

TEST(Session, ModelFilesAreFingerprintedAndChangesNamed) {
  const fs::path folder = scratch("model");
  fs::create_directories(folder);
  write(folder / "config.json", "{}");
  write(folder / "model.safetensors", "weights");
  write(folder / "README.md", "not read by the model");
  auto files = hash_model_files(folder);
  ASSERT_TRUE(files.ok()) << files.error().message;
  ASSERT_EQ(files->size(), 2u);
  EXPECT_EQ((*files)[0].name, "config.json");
  EXPECT_EQ((*files)[1].name, "model.safetensors");
  EXPECT_EQ((*files)[1].bytes, 7u);
  EXPECT_EQ(describe_model_changes(*files, *files), "");

  write(folder / "model.safetensors", "other weights");
  auto changed = hash_model_files(folder);
  ASSERT_TRUE(changed.ok());
  const std::string message = describe_model_changes(*files, *changed);
  EXPECT_NE(message.find("model.safetensors has changed"), std::string::npos) << message;
  EXPECT_NE(message.find((*files)[1].sha256.substr(0, 8)), std::string::npos) << message;
  fs::remove(folder / "config.json");
  auto missing = hash_model_files(folder);
  ASSERT_TRUE(missing.ok());
  EXPECT_NE(describe_model_changes(*files, *missing).find("config.json is missing"),
            std::string::npos);
  EXPECT_FALSE(hash_model_files(scratch("no-such-folder")).ok());
}

// Each damaged session is refused with a message holding `expected` and the file's name.
void expect_refused(const std::string& name, const std::string& content,
                    const std::string& expected) {
  const fs::path file = scratch(name);
  write(file, content);
  auto loaded = load_session(file);
  ASSERT_FALSE(loaded.ok()) << name << " was accepted";
  EXPECT_NE(loaded.error().message.find(expected), std::string::npos)
      << name << ": " << loaded.error().message;
  EXPECT_NE(loaded.error().message.find(name), std::string::npos)
      << name << ": the message does not name the file: " << loaded.error().message;
}

TEST(Session, ABadSessionIsRefusedWithAMessageNamingTheFile) {
  const std::string head = R"({"format": "attnviz-session", "version": 1, )";
  const std::string model = R"("model": {"folder": "/m"}, )";
  expect_refused("future.attnviz", R"({"format": "attnviz-session", "version": 2})",
                 "saved by a newer attnviz (session format 2)");
  expect_refused("version0.attnviz", R"({"format": "attnviz-session", "version": 0})",
                 "\"version\"");
  // Found by fuzz_session: a misspelt "version" key once read past a const object.
  expect_refused("noversion.attnviz", R"({"format": "attnviz-session", "verrion": 2})",
                 "has no \"version\"");
  expect_refused("settings.attnviz", R"({"theme": "dark"})", "not an attnviz session");
  expect_refused("truncated.attnviz", head + model + R"("text": "The ba)", "");
  expect_refused("no_view.attnviz", head + model + R"("text": "x"})", "has no \"view\"");
  expect_refused("no_model.attnviz", head + R"("text": "x", "view": {}})", "has no \"model\"");
  expect_refused("text_number.attnviz", head + model + R"("text": 7, "view": {}})",
                 "\"text\" should be a string");
  expect_refused("bad_kind.attnviz", head + model + R"("text": "x", "view": {"kind": "pie"}})",
                 "\"kind\" is 'pie'");
  expect_refused("bad_hash.attnviz",
                 head + R"("model": {"folder": "/m", "files": [{"name": "a", "sha256": "xyz"}]},
                 "text": "x", "view": {}})",
                 "valid \"sha256\"");
  expect_refused("path_name.attnviz",
                 head + R"("model": {"folder": "/m", "files": [{"name": "../etc/passwd",
                 "sha256": ")" +
                     std::string(64, '0') + R"("}]}, "text": "x", "view": {}})",
                 "should be a file name");
  expect_refused("no_folder.attnviz", head + R"("model": {}, "text": "x", "view": {}})",
                 "neither a \"folder\"");
  expect_refused("temperature.attnviz",
                 head + model + R"("text": "x", "view": {}, "run": {"temperature": 0}})",
                 "\"temperature\"");
  expect_refused("ablated_twice.attnviz",
                 head + model + R"("text": "x", "view": {}, "run": {"ablations": [
                 {"layer": 1, "head": 2}, {"layer": 1, "head": 2, "kind": "mean"}]}})",
                 "ablated twice");
  expect_refused("ablation_kind.attnviz",
                 head + model + R"("text": "x", "view": {}, "run": {"ablations": [
                 {"layer": 1, "head": 2, "kind": "half"}]}})",
                 "zero or mean");
  expect_refused("window.attnviz", head + model + R"("text": "x", "view": {}, "window": 3})",
                 "\"window\" should be an object");
  // Nesting deep enough to overflow a recursive parser's stack.
  expect_refused("deep.attnviz",
                 head + model + R"("text": "x", "view": )" + std::string(100000, '[') +
                     std::string(100000, ']') + "}",
                 "");
}

TEST(Session, AnOversizedFileIsRefusedUnread) {
  const fs::path file = scratch("huge.attnviz");
  {
    std::ofstream out(file, std::ios::binary);
    out.seekp(static_cast<std::streamoff>(kMaxSessionBytes) + 1);
    out.put('x');
  }
  auto loaded = load_session(file);
  ASSERT_FALSE(loaded.ok());
  EXPECT_NE(loaded.error().message.find("huge.attnviz"), std::string::npos);
}

}  // namespace
}  // namespace attnviz
