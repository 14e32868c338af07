// What the libFuzzer harnesses share: a scratch folder per process, writing the input as files
// without ever following a link, splitting one input into several files, a small language that
// lays out a folder (files, links, loops, folders) for the model-folder and hub-cache harnesses,
// and a tiny valid GPT-2 checkpoint to point links at.
//
// Every harness reads from outside bytes only through the public entry points of core/, exactly
// as the app does; nothing here is compiled into attnviz.
#pragma once

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "core/safetensors.h"

namespace attnviz::fuzz {

namespace fs = std::filesystem;

inline fs::path test_data() {
  return fs::path(ATTNVIZ_TEST_DATA);
}

// Removes the scratch folders of harness processes that are gone: libFuzzer ends some runs
// with _Exit (a crash, -merge), which skips the atexit cleanup below.
inline void remove_stale_scratch() {
  std::error_code ec;
  for (fs::directory_iterator it(fs::temp_directory_path(), ec), end; !ec && it != end;
       it.increment(ec)) {
    const std::string name = it->path().filename().string();
    const std::string prefix = "attnviz_fuzz_";
    if (name.rfind(prefix, 0) != 0) continue;
    const long pid = std::strtol(name.c_str() + prefix.size(), nullptr, 10);
    if (pid > 0 && ::kill(static_cast<pid_t>(pid), 0) != 0 && errno == ESRCH) {
      std::error_code ignored;
      fs::remove_all(it->path(), ignored);
    }
  }
}

// A fresh folder under the temp directory for this process (libFuzzer's -fork and -jobs run
// separate processes), removed at exit.
inline const fs::path& scratch() {
  static const fs::path path = [] {
    remove_stale_scratch();
    const fs::path made =
        fs::temp_directory_path() / ("attnviz_fuzz_" + std::to_string(::getpid()) + "_" +
                                     std::to_string(reinterpret_cast<uintptr_t>(&made) & 0xFFFF));
    fs::remove_all(made);
    fs::create_directories(made);
    std::atexit([] {
      std::error_code ec;
      fs::remove_all(scratch(), ec);
    });
    return made;
  }();
  return path;
}

// Empties `folder` (links are removed, never followed) and creates it again.
inline void reset_folder(const fs::path& folder) {
  std::error_code ec;
  fs::remove_all(folder, ec);
  fs::create_directories(folder);
}

// Writes `bytes` to `path` as a new regular file. Whatever was at `path` (a link a script made,
// say to /etc/passwd) is removed first, and O_NOFOLLOW | O_EXCL make sure no link is followed.
inline bool write_file(const fs::path& path, std::string_view bytes) {
  std::error_code ec;
  fs::remove(path, ec);
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
  if (fd < 0) return false;
  size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n <= 0) break;
    done += static_cast<size_t>(n);
  }
  ::close(fd);
  return done == bytes.size();
}

// The separator between the files of one input ("\n--8<--\n"), in the dictionaries too.
inline constexpr std::string_view kFileSeparator = "\n--8<--\n";

inline std::vector<std::string_view> split_files(const uint8_t* data, size_t size) {
  std::string_view rest(reinterpret_cast<const char*>(data), size);
  std::vector<std::string_view> parts;
  for (size_t at = rest.find(kFileSeparator); at != std::string_view::npos;
       at = rest.find(kFileSeparator)) {
    parts.push_back(rest.substr(0, at));
    rest.remove_prefix(at + kFileSeparator.size());
  }
  parts.push_back(rest);
  return parts;
}

// A relative path inside the scratch folder: no empty, ".", ".." or absolute components, and
// (when allow_subfolders is false) a single component.
inline bool safe_relative(std::string_view name, bool allow_subfolders) {
  if (name.empty() || name.front() == '/' || name.find('\0') != std::string_view::npos)
    return false;
  if (!allow_subfolders && name.find('/') != std::string_view::npos) return false;
  for (const fs::path& part : fs::path(name))
    if (part.empty() || part == "." || part == "..") return false;
  return true;
}

// True when no folder between root and root/name (name excluded) is a link: creating or
// writing root/name then cannot land outside root.
inline bool no_link_on_the_way(const fs::path& root, const fs::path& name) {
  fs::path at = root;
  const fs::path parent = name.parent_path();
  for (const fs::path& part : parent) {
    at /= part;
    std::error_code ec;
    const fs::file_status status = fs::symlink_status(at, ec);
    if (fs::is_symlink(status)) return false;
    if (!ec && fs::exists(status) && !fs::is_directory(status)) return false;
  }
  return true;
}

// Lays out a folder from a script, one command a line, then the files' contents:
//   good NAME         a link to the file NAME of `good_files` (a working model's files)
//   copy NAME         a copy of that file
//   bytes NAME        a file holding the next part of `contents`
//   link NAME TARGET  a symbolic link with any target ("..", "/", "NAME", "../../blobs/x")
//   loop NAME         a link to itself
//   dir NAME          a folder
//   fifo NAME         a named pipe (reading one would block: a loader must not open it)
// NAME is relative to `root` (with "/" only when allow_subfolders); a command that would reach
// outside `root` is ignored.
inline void apply_folder_script(const fs::path& root, std::string_view script,
                                const std::vector<std::string_view>& contents,
                                const std::map<std::string, fs::path>& good_files,
                                bool allow_subfolders) {
  size_t next_content = 0;
  size_t commands = 0;
  while (!script.empty() && commands++ < 64) {
    const size_t end = script.find('\n');
    std::string_view line = script.substr(0, end);
    script = end == std::string_view::npos ? std::string_view() : script.substr(end + 1);
    const size_t space = line.find(' ');
    if (space == std::string_view::npos) continue;
    const std::string_view verb = line.substr(0, space);
    std::string_view name = line.substr(space + 1);
    std::string_view target;
    if (verb == "link") {
      const size_t second = name.find(' ');
      if (second == std::string_view::npos) continue;
      target = name.substr(second + 1);
      name = name.substr(0, second);
    }
    if (!safe_relative(name, allow_subfolders) || !no_link_on_the_way(root, fs::path(name)))
      continue;
    const fs::path path = root / fs::path(name);
    std::error_code ec;
    fs::create_directories(path.parent_path(), ec);
    if (!no_link_on_the_way(root, fs::path(name))) continue;
    fs::remove(path, ec);  // a folder with contents stays; the command below then fails
    const std::string base = fs::path(name).filename().string();
    if (verb == "good" || verb == "copy") {
      auto found = good_files.find(base);
      if (found == good_files.end()) continue;
      if (verb == "good")
        fs::create_symlink(found->second, path, ec);
      else
        fs::copy_file(found->second, path, ec);
    } else if (verb == "bytes") {
      write_file(path, next_content < contents.size() ? contents[next_content++] : "");
    } else if (verb == "link") {
      if (target.find('\0') == std::string_view::npos)
        fs::create_symlink(fs::path(target), path, ec);
    } else if (verb == "loop") {
      fs::create_symlink(path.filename(), path, ec);
    } else if (verb == "dir") {
      fs::create_directories(path, ec);
    } else if (verb == "fifo") {
      ::mkfifo(path.c_str(), 0644);
    }
  }
}

// ---- a tiny valid GPT-2 checkpoint (V = 256 byte tokens + 3 merges + <|endoftext|>, C = 4) ----

// The JSON text of a string (GPT-2's byte characters are all printable UTF-8; only " and \
// need escaping).
inline std::string json_string(const std::string& text) {
  std::string out = "\"";
  for (char c : text) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

// GPT-2's byte -> character table (REFERENCE.md §3) written out here, so that the harnesses do
// not depend on the tokenizer code they test: printable bytes map to themselves, the other 68
// to U+0100, U+0101, … in increasing order; the result as UTF-8.
inline std::string byte_token(uint8_t byte) {
  const auto printable = [](int b) {
    return (b >= 0x21 && b <= 0x7E) || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
  };
  uint32_t code_point = byte;
  if (!printable(byte)) {
    code_point = 0x100;
    for (int b = 0; b < byte; ++b)
      if (!printable(b)) ++code_point;
  }
  std::string text;
  if (code_point < 0x80) {
    text += static_cast<char>(code_point);
  } else {
    text += static_cast<char>(0xC0 | (code_point >> 6));
    text += static_cast<char>(0x80 | (code_point & 0x3F));
  }
  return text;
}

// Writes config.json, vocab.json, merges.txt and model.safetensors of a 1-layer GPT-2 with
// C = 4, H = 2, P = 16 into `folder`; Model::load accepts it. Returns the files by name.
inline std::map<std::string, fs::path> make_tiny_gpt2(const fs::path& folder) {
  fs::create_directories(folder);
  std::vector<std::string> vocab;
  for (int byte = 0; byte < 256; ++byte) vocab.push_back(byte_token(static_cast<uint8_t>(byte)));
  const std::vector<std::pair<std::string, std::string>> merges = {
      {byte_token(' '), "t"}, {"h", "e"}, {byte_token(' ') + "t", "he"}};
  for (const auto& [a, b] : merges) vocab.push_back(a + b);
  vocab.push_back("<|endoftext|>");
  const int v = static_cast<int>(vocab.size()), c = 4, p = 16;

  std::string vocab_json = "{";
  for (int id = 0; id < v; ++id)
    vocab_json += (id ? "," : "") + json_string(vocab[id]) + ":" + std::to_string(id);
  vocab_json += "}";
  std::string merges_txt = "#version: 0.2\n";
  for (const auto& [a, b] : merges) merges_txt += a + " " + b + "\n";
  const std::string config =
      R"({"model_type": "gpt2", "architectures": ["GPT2LMHeadModel"], "vocab_size": )" +
      std::to_string(v) + R"(, "n_positions": )" + std::to_string(p) + R"(, "n_embd": )" +
      std::to_string(c) +
      R"(, "n_layer": 1, "n_head": 2, "n_inner": null, "activation_function": "gelu_new",)"
      R"( "layer_norm_epsilon": 1e-05, "bos_token_id": )" +
      std::to_string(v - 1) + R"(, "eos_token_id": )" + std::to_string(v - 1) + "}";

  std::vector<TensorToWrite> tensors;
  const auto add = [&](const std::string& name, std::vector<uint64_t> shape, float fill) {
    uint64_t count = 1;
    for (uint64_t dim : shape) count *= dim;
    std::vector<float> values(count);
    for (uint64_t i = 0; i < count; ++i) values[i] = fill * static_cast<float>((i * 7) % 11) / 11;
    TensorToWrite tensor{name, DType::kF32, std::move(shape), {}};
    tensor.bytes.resize(count * sizeof(float));
    std::memcpy(tensor.bytes.data(), values.data(), tensor.bytes.size());
    tensors.push_back(std::move(tensor));
  };
  const uint64_t uv = v, uc = c, up = p;
  add("wte.weight", {uv, uc}, 0.1f);
  add("wpe.weight", {up, uc}, 0.1f);
  add("h.0.ln_1.weight", {uc}, 1.0f);
  add("h.0.ln_1.bias", {uc}, 0.0f);
  add("h.0.attn.c_attn.weight", {uc, 3 * uc}, 0.2f);
  add("h.0.attn.c_attn.bias", {3 * uc}, 0.0f);
  add("h.0.attn.c_proj.weight", {uc, uc}, 0.2f);
  add("h.0.attn.c_proj.bias", {uc}, 0.0f);
  add("h.0.ln_2.weight", {uc}, 1.0f);
  add("h.0.ln_2.bias", {uc}, 0.0f);
  add("h.0.mlp.c_fc.weight", {uc, 4 * uc}, 0.2f);
  add("h.0.mlp.c_fc.bias", {4 * uc}, 0.0f);
  add("h.0.mlp.c_proj.weight", {4 * uc, uc}, 0.2f);
  add("h.0.mlp.c_proj.bias", {uc}, 0.0f);
  add("ln_f.weight", {uc}, 1.0f);
  add("ln_f.bias", {uc}, 0.0f);

  write_file(folder / "config.json", config);
  write_file(folder / "vocab.json", vocab_json);
  write_file(folder / "merges.txt", merges_txt);
  (void)write_safetensors(folder / "model.safetensors", tensors);
  std::map<std::string, fs::path> files;
  for (const char* name : {"config.json", "vocab.json", "merges.txt", "model.safetensors"})
    files[name] = folder / name;
  return files;
}

}  // namespace attnviz::fuzz
