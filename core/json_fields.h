// FieldReader: reads the optional fields of a JSON object that came from outside (a view spec,
// a session), each with a type check; the first error names the source and the field, and the
// fields after it are left alone.
#pragma once

#include <algorithm>
#include <cmath>
#include <nlohmann/json.hpp>
#include <string>
#include <type_traits>

#include "core/json_read.h"

namespace attnviz {

// Reads one optional field with a type check; the error names the source and the field.
class FieldReader {
 public:
  FieldReader(const nlohmann::json& object, const std::string& source)
      : object_(object), source_(source) {}

  template <class T>
  void read(const char* name, T& out) {
    if (!error_.empty()) return;
    auto it = object_.find(name);
    if (it == object_.end() || it->is_null()) return;
    if constexpr (std::is_same_v<T, bool>) {
      if (!it->is_boolean()) return fail(name, "true or false");
      out = it->get<bool>();
    } else if constexpr (std::is_integral_v<T>) {
      if (!it->is_number_integer()) return fail(name, "a whole number");
      const long long value = it->get<long long>();
      out = static_cast<T>(std::clamp<long long>(value, -1000000000LL, 1000000000LL));
    } else if constexpr (std::is_floating_point_v<T>) {
      if (!it->is_number()) return fail(name, "a number");
      const double value = it->get<double>();
      if (!std::isfinite(value)) return fail(name, "a finite number");
      out = static_cast<T>(value);
    } else {
      if (!it->is_string()) return fail(name, "a string");
      out = it->get<std::string>();
    }
  }
  // A name from a fixed list, turned into its value by `parse`.
  template <class T, class Parse>
  void read_key(const char* name, T& out, Parse parse, const std::string& choices) {
    std::string key;
    read(name, key);
    if (!error_.empty() || key.empty()) return;
    if (auto value = parse(key)) {
      out = *value;
    } else {
      error_ = source_ + ": \"" + name + "\" is '" + key + "'; expected " + choices;
    }
  }
  const nlohmann::json* list(const char* name) {
    if (!error_.empty()) return nullptr;
    auto it = object_.find(name);
    if (it == object_.end() || it->is_null()) return nullptr;
    if (!it->is_array()) {
      fail(name, "a list");
      return nullptr;
    }
    return &*it;
  }
  void fail(const char* name, const char* expected) {
    error_ = source_ + ": \"" + name + "\" should be " + expected + ", got " +
             json_excerpt(object_.at(name), 40);
  }
  const std::string& error() const { return error_; }

 private:
  const nlohmann::json& object_;
  std::string source_;
  std::string error_;
};

}  // namespace attnviz
