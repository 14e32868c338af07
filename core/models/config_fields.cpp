#include "core/models/config_fields.h"

#include <cmath>

#include "core/json_read.h"

namespace attnviz {

using nlohmann::json;

Error ConfigFields::error(const std::string& field, const std::string& problem) const {
  return make_error(where_ + ": field \"" + field + "\" " + problem);
}

Error ConfigFields::not_divisible(const std::string& field, int value, const std::string& other,
                                  int by) const {
  std::string problem = "is ";
  problem += std::to_string(value);
  problem += ", not divisible by \"";
  problem += other;
  problem += "\" (";
  problem += std::to_string(by);
  problem += ")";
  return error(field, problem);
}

const json* ConfigFields::find(const std::string& field) const {
  const auto found = object_.find(field);
  return found == object_.end() ? nullptr : &*found;
}

bool ConfigFields::present(const std::string& field) const {
  const json* value = find(field);
  return value && !value->is_null();
}

Result<int> ConfigFields::checked_size(const std::string& field, const json& value,
                                       int limit) const {
  if (!value.is_number_integer())
    return error(field, "is " + json_excerpt(value) + ", not a whole number");
  if (!value.is_number_unsigned() || value.get<uint64_t>() == 0)
    return error(field, "is " + json_excerpt(value) + "; it must be positive");
  if (value.get<uint64_t>() > static_cast<uint64_t>(limit))
    return error(field, "is " + json_excerpt(value) + ", more than the limit of " +
                            std::to_string(limit) +
                            "; the config is damaged or not a model attnviz can load");
  return static_cast<int>(value.get<uint64_t>());
}

Result<int> ConfigFields::size(const std::string& field, int limit) const {
  const json* value = find(field);
  if (!value) return error(field, "is missing; the config is incomplete");
  return checked_size(field, *value, limit);
}

Result<int> ConfigFields::size(const std::string& field, int limit, int fallback) const {
  const json* value = find(field);
  if (!value || value->is_null()) return fallback;
  return checked_size(field, *value, limit);
}

Result<std::optional<int>> ConfigFields::optional_size(const std::string& field, int limit) const {
  const json* value = find(field);
  if (!value || value->is_null()) return std::optional<int>{};
  auto checked = checked_size(field, *value, limit);
  if (!checked) return checked.error();
  return std::optional<int>{checked.value()};
}

Result<bool> ConfigFields::flag(const std::string& field, bool fallback) const {
  const json* value = find(field);
  if (!value || value->is_null()) return fallback;
  if (!value->is_boolean())
    return error(field, "is " + json_excerpt(*value) + ", not true or false");
  return value->get<bool>();
}

Result<double> ConfigFields::positive_number(const std::string& field, double fallback) const {
  auto value = optional_positive_number(field);
  if (!value) return value.error();
  return value->value_or(fallback);
}

Result<std::optional<double>> ConfigFields::optional_positive_number(
    const std::string& field) const {
  const json* value = find(field);
  if (!value || value->is_null()) return std::optional<double>{};
  if (!value->is_number()) return error(field, "is " + json_excerpt(*value) + ", not a number");
  const double number = value->get<double>();
  if (!std::isfinite(number) || number <= 0.0 || static_cast<float>(number) <= 0.0f)
    return error(field, "is " + json_excerpt(*value) + "; it must be a positive number");
  return std::optional<double>{number};
}

Result<std::string> ConfigFields::text(const std::string& field,
                                       const std::string& fallback) const {
  const json* value = find(field);
  if (!value || value->is_null()) return fallback;
  if (!value->is_string()) return error(field, "is " + json_excerpt(*value) + ", not a string");
  return value->get<std::string>();
}

}  // namespace attnviz
