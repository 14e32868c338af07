// Typed reads of JSON object fields whose errors name the field: "tokenizer.json:
// pre_tokenizer.pretokenizers[0].invert must be true or false". Absent and null fields take
// the fallback, as HF's deserializers treat Option fields.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "core/json_read.h"
#include "core/result.h"
#include "core/unicode.h"

namespace attnviz {

class JsonFields {
 public:
  // `where` names the object in messages, e.g. "tokenizer.json: model".
  JsonFields(const nlohmann::json& object, std::string where)
      : object_(object), where_(std::move(where)) {}

  const std::string& where() const { return where_; }
  // "file: model.vocab", or "file: key" for a file's top-level object (where ends with ':').
  std::string field(const std::string& key) const {
    return where_.ends_with(':') ? where_ + " " + key : where_ + "." + key;
  }
  bool has(const char* key) const {
    return object_.is_object() && object_.contains(key) && !object_[key].is_null();
  }
  const nlohmann::json& operator[](const char* key) const { return object_[key]; }

  Result<bool> boolean(const char* key, bool fallback) const {
    if (!has(key)) return fallback;
    if (!object_[key].is_boolean()) return make_error(field(key) + " must be true or false");
    return object_[key].get<bool>();
  }
  Result<std::optional<std::string>> optional_string(const char* key) const {
    if (!has(key)) return std::optional<std::string>();
    if (!object_[key].is_string()) {
      return make_error(field(key) + " must be a string, not " + json_excerpt(object_[key], 40));
    }
    return std::optional<std::string>(object_[key].get<std::string>());
  }
  Result<std::string> string(const char* key) const {
    auto value = optional_string(key);
    if (!value.ok()) return value.error();
    if (!*value) return make_error(field(key) + " is missing");
    return **value;
  }
  Result<int64_t> integer(const char* key, int64_t fallback, int64_t lowest,
                          int64_t highest) const {
    if (!has(key)) return fallback;
    const nlohmann::json& value = object_[key];
    if (!value.is_number_integer() || value.get<int64_t>() < lowest ||
        value.get<int64_t>() > highest) {
      return make_error(field(key) + " must be an integer from " + std::to_string(lowest) + " to " +
                        std::to_string(highest) + ", not " + json_excerpt(value, 40));
    }
    return value.get<int64_t>();
  }
  // The "type" tag; an error when it is missing or not a string.
  Result<std::string> type() const {
    if (!object_.is_object()) {
      return make_error(where_ + " must be an object, not " + json_excerpt(object_, 40));
    }
    if (!has("type") || !object_["type"].is_string()) {
      return make_error(where_ + " has no \"type\" string");
    }
    return object_["type"].get<std::string>();
  }

 private:
  const nlohmann::json& object_;
  std::string where_;
};

// A token named by a string or by an AddedToken object {"content": ...}; nullopt otherwise.
inline std::optional<std::string> token_content(const nlohmann::json& value) {
  if (value.is_string()) return value.get<std::string>();
  if (value.is_object() && value.contains("content") && value["content"].is_string()) {
    return value["content"].get<std::string>();
  }
  return std::nullopt;
}

}  // namespace attnviz
