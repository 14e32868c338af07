// Sessions: a finished analysis saved as one `.attnviz` file (JSON) and reopened exactly. It
// holds the model reference (its folder, or the built-in model, with the SHA-256 of the files
// the model is read from), the text, the what-ifs of the run, the whole view (core/view/
// view_spec.h) and the window's layout. `attnviz export --session` redraws its figure headless.
//
// The format is versioned ("format": "attnviz-session", "version": 1). A file from a newer
// attnviz, a damaged file, or a field of the wrong type is refused with a message naming the
// file and the problem; nothing in it sizes an allocation before it is checked.
#pragma once

#include <cstdint>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "core/attention_trace.h"
#include "core/result.h"
#include "core/view/view_spec.h"

namespace attnviz {

inline constexpr int kSessionVersion = 1;
inline constexpr const char* kSessionExtension = ".attnviz";
// A session holds the text; texts of a few MB are fine, larger files are refused unread.
inline constexpr uint64_t kMaxSessionBytes = 64ull << 20;

// One file a model is read from, as it was when the session was saved.
struct ModelFile {
  std::string name;  // in the model's folder: "model.safetensors", "config.json"
  uint64_t bytes = 0;
  std::string sha256;  // 64 hex digits
  bool operator==(const ModelFile&) const = default;
};

struct SessionModel {
  bool builtin = false;  // the built-in model (wherever this installation keeps it)
  std::string folder;    // the model's folder, absolute (empty for the built-in model)
  std::string name;      // its name when saved, for messages
  std::vector<ModelFile> files;
};

// The window around the views: its size, the side columns' widths (fractions of the window),
// and the tab of the details column ("predictions", "logit-lens", "head-roles", "cost",
// "export").
struct SessionWindow {
  int width = 0, height = 0;  // 0: leave the window as it is
  float left_column = 0.24f;
  float right_column = 0.27f;
  std::string details_tab = "predictions";
};

struct Session {
  SessionModel model;
  std::string text;
  RunOptions run;  // only the what-ifs are kept: causal mask, √d_k scaling, temperature,
                  // ablated heads
  ViewSpec view;
  SessionWindow window;
};

nlohmann::json session_json(const Session& session);
// Written atomically (core/atomic_file.h): a failure leaves no half-written session.
Status save_session(const std::filesystem::path& file, const Session& session);
// Reads and checks a session; the Error names the file and what is wrong with it.
Result<Session> load_session(const std::filesystem::path& file);

// The model folder a session refers to: its folder, or this installation's built-in model.
std::filesystem::path session_model_folder(const Session& session);

// The files a model is read from, in name order, with their sizes and SHA-256: every
// *.safetensors and *.json file of the folder, and merges.txt, vocab.txt, tokenizer.model.
// Hashing reads every byte (about a second per GB): run it off the UI thread.
Result<std::vector<ModelFile>> hash_model_files(const std::filesystem::path& folder);
// What differs between the files a session was saved with and the files now, for a message
// ("model.safetensors has changed (SHA-256 1a2b3c4d… when saved, 5e6f7a8b… now)"); empty when
// they are the same.
std::string describe_model_changes(const std::vector<ModelFile>& saved,
                                   const std::vector<ModelFile>& now);

}  // namespace attnviz
