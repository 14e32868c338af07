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

TEST(JsonRead, DuplicateKeysAreRefusedWhenAsked) {
  JsonReadOptions strict;
  strict.reject_duplicate_keys = true;
  const std::string text = R"({"a": {"x": 1, "y": 2}, "b": [{"x": 1, "x": 2}]})";
  auto refused = parse_json_bounded(text, "f.json", strict);
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.error().message.find("f.json: has the key 'x' twice"), std::string::npos)
      << refused.error().message;
  auto lenient = parse_json_bounded(text, "f.json");
  ASSERT_TRUE(lenient.ok());
  EXPECT_EQ((*lenient)["b"][0]["x"], 2) << "nlohmann's rule: the last one wins";
}

TEST(JsonRead, SkipsOneTopLevelMember) {
  JsonReadOptions options;
  options.skip_top_level_member = "attention";
  auto parsed = parse_json_bounded(
      R"({"tokens": ["a", {"attention": 1}], "attention": [[[1, {"x": []}]]], "n": 2})", "f.json",
      options);
  ASSERT_TRUE(parsed.ok()) << parsed.error().message;
  EXPECT_EQ(parsed->dump(), R"({"n":2,"tokens":["a",{"attention":1}]})");
  // The skipped member is still checked for syntax.
  EXPECT_FALSE(parse_json_bounded(R"({"attention": [1,, 2]})", "f.json", options).ok());
}

TEST(JsonRead, BuildsTheSameValueAsNlohmann) {
  const std::string text =
      R"({"a": [1, -2, 3.5, 1e300, 18446744073709551615, true, null, "s\u00e9"], "b": {},)"
      R"( "c": [[], [[]], {"d": [{}]}], "e": "café"})";
  auto parsed = parse_json_bounded(text, "f.json");
  ASSERT_TRUE(parsed.ok()) << parsed.error().message;
  EXPECT_EQ(*parsed, nlohmann::json::parse(text));
  for (const char* bad : {"", "[", "[1]]", "{\"a\"}", "[1] 2", "\"\xff\""})
    EXPECT_FALSE(parse_json_bounded(bad, "f.json").ok()) << bad;
}

}  // namespace
}  // namespace attnviz
