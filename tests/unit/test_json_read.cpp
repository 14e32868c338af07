#include "core/json_read.h"

#include <gtest/gtest.h>

#include <string>

namespace attnviz {
namespace {

TEST(JsonRead, DepthCountsBracketsOutsideStrings) {
  EXPECT_EQ(json_nesting_depth(R"({"a": [1, {"b": 2}]})"), 3);
  EXPECT_EQ(json_nesting_depth(R"({"a": "[[[[\"]]]]"})"), 1);
  EXPECT_EQ(json_nesting_depth("42"), 0);
}

TEST(JsonRead, RefusesDeepNestingWithoutRecursing) {
  // 100,000 levels: nlohmann's recursive dump and destructor would overflow the stack.
  const std::string deep =
      R"({"model_type":"gpt2","n_embd":)" + std::string(100000, '[') + std::string(100000, ']') + "}";
  auto parsed = parse_json_bounded(deep, "config.json");
  ASSERT_FALSE(parsed.ok());
  EXPECT_NE(parsed.error().message.find("config.json"), std::string::npos);
  EXPECT_NE(parsed.error().message.find("nested more than 64"), std::string::npos);
}

TEST(JsonRead, ParsesAndReportsBadJson) {
  auto good = parse_json_bounded(R"({"x": [1, 2]})", "f.json");
  ASSERT_TRUE(good.ok());
  EXPECT_EQ((*good)["x"][1], 2);
  auto bad = parse_json_bounded(R"({"x": [1, 2})", "f.json");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().message.find("f.json: not valid JSON"), std::string::npos);
}

TEST(JsonRead, ExcerptIsShort) {
  nlohmann::json big = nlohmann::json::array();
  for (int i = 0; i < 1000; ++i) big.push_back(i);
  const std::string excerpt = json_excerpt(big, 20);
  EXPECT_LE(excerpt.size(), 23u);
  EXPECT_EQ(excerpt.substr(0, 5), "[0,1,");
}

}  // namespace
}  // namespace attnviz
