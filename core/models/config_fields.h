// Typed reads of one config.json object for the families' config readers: every error names the
// file and the field; absent or null fields take the default the family's transformers config
// class gives them.
#pragma once

#include <filesystem>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "core/result.h"

namespace attnviz {

// Upper bounds far above any released checkpoint, low enough to reject garbage before anything
// is sized by it.
struct SizeLimits {
  static constexpr int kLayers = 512;
  static constexpr int kHeads = 1024;
  static constexpr int kWidth = 65536;
  static constexpr int kHeadWidth = 4096;
  static constexpr int kInner = 1 << 20;
  static constexpr int kVocab = 10'000'000;
  static constexpr int kPositions = 1 << 20;
  static constexpr int kTokenTypes = 65536;
};

class ConfigFields {
 public:
  // `where` names the object in messages: "…/config.json" or "…/config.json (text_config)".
  ConfigFields(std::string where, const nlohmann::json& object)
      : where_(std::move(where)), object_(object) {}

  Error error(const std::string& field, const std::string& problem) const;
  // "field (value) is not divisible by other (by)".
  Error not_divisible(const std::string& field, int value, const std::string& other, int by) const;

  // A positive whole number no larger than `limit`: required, or with a default.
  Result<int> size(const std::string& field, int limit) const;
  Result<int> size(const std::string& field, int limit, int fallback) const;
  // Absent or null: std::nullopt.
  Result<std::optional<int>> optional_size(const std::string& field, int limit) const;
  Result<bool> flag(const std::string& field, bool fallback) const;
  // A positive, finite number.
  Result<double> positive_number(const std::string& field, double fallback) const;
  Result<std::optional<double>> optional_positive_number(const std::string& field) const;
  Result<std::string> text(const std::string& field, const std::string& fallback) const;

  // The raw value, or nullptr when absent (null counts as present: check is_null()).
  const nlohmann::json* find(const std::string& field) const;
  bool present(const std::string& field) const;  // present and not null
  const std::string& where() const { return where_; }
  const nlohmann::json& object() const { return object_; }

 private:
  Result<int> checked_size(const std::string& field, const nlohmann::json& value, int limit) const;

  std::string where_;
  const nlohmann::json& object_;
};

// Assigns a Result's value to `target` or returns its error from the enclosing function.
#define ATTNVIZ_ASSIGN_OR_RETURN(target, expression) \
  do {                                               \
    auto result_ = (expression);                     \
    if (!result_) return result_.error();            \
    target = std::move(result_.value());             \
  } while (false)

}  // namespace attnviz
