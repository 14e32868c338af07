#include "core/session.h"

#include <algorithm>
#include <map>

#include "core/analysis/ablation.h"
#include "core/atomic_file.h"
#include "core/json_fields.h"
#include "core/json_read.h"
#include "core/model.h"
#include "core/sha256.h"

namespace attnviz {

using nlohmann::json;
namespace fs = std::filesystem;

namespace {

constexpr const char* kFormat = "attnviz-session";
constexpr size_t kMaxModelFiles = 1024;
constexpr size_t kMaxAblations = 65536;

bool is_model_file(const std::string& name) {
  auto ends_with = [&](const std::string& tail) {
    return name.size() >= tail.size() &&
           name.compare(name.size() - tail.size(), tail.size(), tail) == 0;
  };
  return ends_with(".safetensors") || ends_with(".json") || name == "merges.txt" ||
         name == "vocab.txt" || name == "tokenizer.model";
}

bool is_hex_digest(const std::string& text) {
  return text.size() == 64 && std::all_of(text.begin(), text.end(), [](char c) {
           return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
         });
}

json run_json(const RunOptions& run) {
  json ablations = json::array();
  for (const HeadAblation& a : run.ablations)
    ablations.push_back(
        {{"layer", a.layer}, {"head", a.head}, {"kind", ablation_kind_key(a.kind)}});
  return {{"causal_mask", run.causal_mask ? json(*run.causal_mask) : json(nullptr)},
          {"scale_by_sqrt_dk", run.scale_by_sqrt_dk},
          {"temperature", run.temperature},
          {"ablations", ablations}};
}

Status read_run(const json& object, const std::string& source, RunOptions& run) {
  if (!object.is_object()) return make_error(source + ": \"run\" should be an object");
  FieldReader field(object, source + " (run)");
  if (auto mask = object.find("causal_mask"); mask != object.end() && !mask->is_null()) {
    bool causal = true;
    field.read("causal_mask", causal);
    run.causal_mask = causal;
  }
  field.read("scale_by_sqrt_dk", run.scale_by_sqrt_dk);
  field.read("temperature", run.temperature);
  const json* ablations = field.list("ablations");
  if (!field.error().empty()) return make_error(field.error());
  if (ablations && ablations->size() > kMaxAblations)
    return make_error(source + ": \"ablations\" lists " + std::to_string(ablations->size()) +
                      " heads; at most " + std::to_string(kMaxAblations));
  if (ablations) {
    for (const json& entry : *ablations) {
      if (!entry.is_object()) return make_error(source + ": an ablation should be an object");
      HeadAblation a;
      FieldReader ablation(entry, source + " (run ablations)");
      ablation.read("layer", a.layer);
      ablation.read("head", a.head);
      ablation.read_key("kind", a.kind, ablation_kind_from_key, "zero or mean");
      if (!ablation.error().empty()) return make_error(ablation.error());
      if (a.layer < 0 || a.head < 0 || a.layer > 4096 || a.head > 4096)
        return make_error(source + ": an ablation names layer " + std::to_string(a.layer) +
                          ", head " + std::to_string(a.head));
      if (std::any_of(run.ablations.begin(), run.ablations.end(), [&](const HeadAblation& b) {
            return b.layer == a.layer && b.head == a.head;
          }))
        return make_error(source + ": head " + std::to_string(a.layer) + "." +
                          std::to_string(a.head) + " is ablated twice");
      run.ablations.push_back(a);
    }
  }
  if (!(run.temperature >= 0.05f && run.temperature <= 20.0f))
    return make_error(source + ": \"temperature\" " + std::to_string(run.temperature) +
                      " is outside 0.05 to 20");
  return Ok{};
}

Status read_model(const json& object, const std::string& source, SessionModel& model) {
  if (!object.is_object()) return make_error(source + ": \"model\" should be an object");
  FieldReader field(object, source + " (model)");
  field.read("builtin", model.builtin);
  field.read("folder", model.folder);
  field.read("name", model.name);
  const json* files = field.list("files");
  if (!field.error().empty()) return make_error(field.error());
  if (!model.builtin && model.folder.empty())
    return make_error(source + ": the model has neither a \"folder\" nor \"builtin\": true");
  if (!files) return Ok{};
  if (files->size() > kMaxModelFiles)
    return make_error(source + ": \"files\" lists " + std::to_string(files->size()) +
                      " files; a model has at most " + std::to_string(kMaxModelFiles));
  for (const json& entry : *files) {
    if (!entry.is_object()) return make_error(source + ": a model file should be an object");
    ModelFile file;
    FieldReader file_field(entry, source + " (model files)");
    file_field.read("name", file.name);
    file_field.read("bytes", file.bytes);
    file_field.read("sha256", file.sha256);
    if (!file_field.error().empty()) return make_error(file_field.error());
    if (file.name.empty() || file.name.find('/') != std::string::npos)
      return make_error(source + ": a model file's \"name\" should be a file name, got " +
                        json_excerpt(entry, 60));
    if (!is_hex_digest(file.sha256))
      return make_error(source + ": \"" + file.name + "\" has no valid \"sha256\" (64 hex digits)");
    model.files.push_back(std::move(file));
  }
  return Ok{};
}

}  // namespace

json session_json(const Session& session) {
  json files = json::array();
  for (const ModelFile& file : session.model.files)
    files.push_back({{"name", file.name}, {"bytes", file.bytes}, {"sha256", file.sha256}});
  json model = {{"builtin", session.model.builtin}, {"name", session.model.name}, {"files", files}};
  if (!session.model.builtin) model["folder"] = session.model.folder;
  return {{"format", kFormat},
          {"version", kSessionVersion},
          {"saved_by", std::string("attnviz ") + ATTNVIZ_VERSION},
          {"model", model},
          {"text", session.text},
          {"run", run_json(session.run)},
          {"view", view_spec_json(session.view)},
          {"window",
           {{"width", session.window.width},
            {"height", session.window.height},
            {"left_column", session.window.left_column},
            {"right_column", session.window.right_column},
            {"details_tab", session.window.details_tab}}}};
}

Status save_session(const fs::path& file, const Session& session) {
  return write_file_atomic(file, session_json(session).dump(2) + "\n");
}

Result<Session> load_session(const fs::path& file) {
  const std::string source = file.string();
  auto parsed = read_json_file_bounded(file, kMaxSessionBytes);
  if (!parsed) return parsed.error();
  const json& document = *parsed;
  if (!document.is_object() || !document.contains("format") || document["format"] != json(kFormat))
    return make_error(source + ": not an attnviz session (it has no \"format\": \"" + kFormat +
                      "\")");
  const auto version_it = document.find("version");
  if (version_it == document.end())
    return make_error(source + ": the session has no \"version\"; it is damaged");
  const json& version = *version_it;
  if (!version.is_number_integer() || version.get<long long>() < 1)
    return make_error(source + ": the session's \"version\" should be a whole number from 1, got " +
                      json_excerpt(version, 20));
  if (version.get<long long>() > kSessionVersion)
    return make_error(source + ": saved by a newer attnviz (session format " +
                      std::to_string(version.get<long long>()) + "); this attnviz " +
                      ATTNVIZ_VERSION + " reads format " + std::to_string(kSessionVersion) +
                      ". Open it with a newer attnviz");
  for (const char* required : {"model", "text", "view"})
    if (!document.contains(required))
      return make_error(source + ": the session has no \"" + required + "\"; it is damaged");

  Session session;
  if (Status ok = read_model(document["model"], source, session.model); !ok) return ok.error();
  if (!document["text"].is_string())
    return make_error(source + ": \"text\" should be a string, got " +
                      json_excerpt(document["text"], 40));
  session.text = document["text"].get<std::string>();
  if (document.contains("run"))
    if (Status ok = read_run(document["run"], source, session.run); !ok) return ok.error();
  auto view = view_spec_from_json(document["view"], source + " (view)");
  if (!view) return view.error();
  session.view = std::move(view).value();
  if (auto window = document.find("window"); window != document.end() && !window->is_null()) {
    if (!window->is_object()) return make_error(source + ": \"window\" should be an object");
    FieldReader field(*window, source + " (window)");
    SessionWindow& w = session.window;
    field.read("width", w.width);
    field.read("height", w.height);
    field.read("left_column", w.left_column);
    field.read("right_column", w.right_column);
    field.read("details_tab", w.details_tab);
    if (!field.error().empty()) return make_error(field.error());
    w.width = std::clamp(w.width, 0, 16384);
    w.height = std::clamp(w.height, 0, 16384);
    w.left_column = std::clamp(w.left_column, 0.0f, 1.0f);
    w.right_column = std::clamp(w.right_column, 0.0f, 1.0f);
  }
  return session;
}

fs::path session_model_folder(const Session& session) {
  return session.model.builtin ? builtin_model_folder() : fs::path(session.model.folder);
}

Result<std::vector<ModelFile>> hash_model_files(const fs::path& folder) {
  std::error_code ec;
  std::vector<ModelFile> files;
  fs::directory_iterator it(folder, ec);
  if (ec) return make_error(folder.string() + ": cannot list the model's files: " + ec.message());
  for (const fs::directory_entry& entry : it) {
    const std::string name = entry.path().filename().string();
    if (!is_model_file(name) || !fs::is_regular_file(entry.path(), ec)) continue;
    if (files.size() == kMaxModelFiles)
      return make_error(folder.string() + ": more than " + std::to_string(kMaxModelFiles) +
                        " model files");
    ModelFile file;
    file.name = name;
    file.bytes = fs::file_size(entry.path(), ec);
    auto digest = sha256_file(entry.path());
    if (!digest) return digest.error();
    file.sha256 = std::move(digest).value();
    files.push_back(std::move(file));
  }
  std::sort(files.begin(), files.end(),
            [](const ModelFile& a, const ModelFile& b) { return a.name < b.name; });
  return files;
}

std::string describe_model_changes(const std::vector<ModelFile>& saved,
                                   const std::vector<ModelFile>& now) {
  std::map<std::string, const ModelFile*> current;
  for (const ModelFile& file : now) current[file.name] = &file;
  std::vector<std::string> changes;
  for (const ModelFile& file : saved) {
    auto found = current.find(file.name);
    if (found == current.end()) {
      changes.push_back(file.name + " is missing");
      continue;
    }
    if (found->second->sha256 != file.sha256)
      changes.push_back(file.name + " has changed (SHA-256 " + file.sha256.substr(0, 8) +
                        "… when saved, " + found->second->sha256.substr(0, 8) + "… now)");
    current.erase(found);
  }
  for (const auto& [name, file] : current)
    if (name.size() > 12 && name.compare(name.size() - 12, 12, ".safetensors") == 0)
      changes.push_back(name + " is new");
  std::string text;
  for (const std::string& change : changes) text += (text.empty() ? "" : "; ") + change;
  return text;
}

}  // namespace attnviz
