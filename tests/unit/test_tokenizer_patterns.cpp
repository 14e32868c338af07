// The Split/Replace patterns and the split behaviours of the tokenizer pipeline:
// - the hand-written scanners for the GPT-2, Llama 3 and Qwen 2/3 regexes against ICU running
//   the same regex, on every reference text and on 30,000 random texts built from the
//   characters where the regexes' classes disagree (apostrophes and case, ſ, digits of every
//   kind, every sort of space, marks, emoji);
// - ICU's translation of Oniguruma's classes (\s with U+000B and U+0085, \w, \h, ^);
// - HF's SplitDelimiterBehavior on its documentation's example.
// (Both engines were also compared with Oniguruma 6.9.8 itself, HF's regex engine, on 200,000
// texts and on every code point; the only differences are code points new in Unicode 15.)
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <random>

#include "core/tokenizers/pattern.h"
#include "core/tokenizers/pre_tokenizers.h"

namespace attnviz {
namespace {

namespace fs = std::filesystem;

const char* const kLlama3 =
    R"((?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+)";
const char* const kQwen2 =
    R"((?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+)";

std::vector<std::string> matched(const TextPattern& pattern, std::string_view text) {
  std::vector<TextRange> ranges;
  pattern.find_all(text, ranges);
  std::vector<std::string> out;
  for (TextRange r : ranges) out.emplace_back(text.substr(r.begin, r.end - r.begin));
  return out;
}

std::vector<std::string> test_texts() {
  std::vector<std::string> texts;
  for (const char* style : {"gemma", "llama3", "neox", "phi3", "qwen", "spm"}) {
    std::ifstream in(fs::path(ATTNVIZ_TEST_DATA) / "tokenizers" / style / "reference.json");
    const nlohmann::json reference = nlohmann::json::parse(in);
    for (const auto& item : reference["items"]) texts.push_back(item["text"].get<std::string>());
  }
  const std::vector<std::string> alphabet = {
      "a",      "Z",      "S",      "T",          "R",         "e",      "L",      "d",
      "'",      "\u2019", " ",      "  ",         "\t",        "\n",     "\r",     "\r\n",
      "\v",     "\f",     ".",      ",",          "!",         "-",      "_",      "/",
      "0",      "7",      "123",    "\u00E9",     "\u00DF",    "\u017F", "\uFB05", "\u0130",
      "\u03A3", "\u6771", "\uD55C", "\U0001F600", "\u0301",    "\u00A0", "\u3000", "\u0085",
      "\u2028", "\uFEFF", "\u200D", "\u0661",     "\u00B2",    "\u216B", "\u20AC", "\u2014",
      "\u201C", "\u01C5", "\u02B0", "\u0903",     "\U0001F3FD"};
  std::mt19937 random(20240601);
  for (int i = 0; i < 30000; ++i) {
    std::string text;
    for (int k = 1 + int(random() % 20); k > 0; --k) text += alphabet[random() % alphabet.size()];
    texts.push_back(text);
  }
  return texts;
}

TEST(TextPattern, ScannersMatchIcuOnTheSameRegex) {
  const std::vector<std::string> texts = test_texts();
  const std::pair<std::string, TextPattern::Engine> cases[] = {
      {std::string(kGpt2Pattern), TextPattern::Engine::kGpt2Scanner},
      {kLlama3, TextPattern::Engine::kWordsScanner},
      {kQwen2, TextPattern::Engine::kWordsScanner},
  };
  for (const auto& [source, engine] : cases) {
    auto scanner = TextPattern::regex(source);
    auto icu = TextPattern::icu_regex(source);
    ASSERT_TRUE(scanner.ok() && icu.ok()) << source;
    EXPECT_EQ(scanner->engine(), engine);
    int failures = 0;
    for (const std::string& text : texts) {
      const auto expected = matched(*icu, text);
      const auto actual = matched(*scanner, text);
      if (expected != actual && ++failures <= 3) {
        ADD_FAILURE() << source << "\n text " << nlohmann::json(text).dump() << "\n icu     "
                      << nlohmann::json(expected).dump() << "\n scanner "
                      << nlohmann::json(actual).dump();
      }
    }
    EXPECT_EQ(failures, 0) << source << ": " << failures << " of " << texts.size();
  }
}

TEST(TextPattern, Llama3RegexSemantics) {
  auto pattern = TextPattern::regex(kLlama3);
  ASSERT_TRUE(pattern.ok());
  using Pieces = std::vector<std::string>;
  // Case-insensitive contractions, long s folding to s; digits in threes.
  EXPECT_EQ(matched(*pattern, "I'M WE'RE it\u2019s 'S '\u017F"),
            (Pieces{"I", "'M", " WE", "'RE", " it", "\u2019s", " '", "S", " '", "\u017F"}));
  EXPECT_EQ(matched(*pattern, "1234567 \u0661\u0662"),
            (Pieces{"123", "456", "7", " ", "\u0661\u0662"}));
  // A non-letter, non-digit, non-line-break before letters joins them; punctuation runs take
  // the line breaks after them; a space run before a word leaves its last space to it.
  EXPECT_EQ(matched(*pattern, ".abc\tdef!!\n\nx   y"),
            (Pieces{".abc", "\tdef", "!!\n\n", "x", "  ", " y"}));
  // U+0085 and U+000B are \s in Oniguruma (not in ICU's own \s).
  EXPECT_EQ(matched(*pattern, "a\u0085b\v"), (Pieces{"a", "\u0085b", "\v"}));
  EXPECT_EQ(matched(*pattern, "  \n  x"), (Pieces{"  \n", " ", " x"}));
}

TEST(TextPattern, IcuTranslatesOnigurumaClasses) {
  auto spaces = TextPattern::icu_regex(R"(\s+)");
  ASSERT_TRUE(spaces.ok());
  EXPECT_EQ(matched(*spaces, "a\u0085\u000B\u2028b"),
            (std::vector<std::string>{"\u0085\u000B\u2028"}));
  auto words = TextPattern::icu_regex(R"(\w+|[^\s\w]+)");
  ASSERT_TRUE(words.ok());
  // Outside a set \w takes Latin-1's ²; inside [^\s\w] it does not (Oniguruma's tables).
  EXPECT_EQ(matched(*words, "x\u00B2 !\u00B2"), (std::vector<std::string>{"x\u00B2", "!\u00B2"}));
  auto hex = TextPattern::icu_regex(R"(\h+)");
  ASSERT_TRUE(hex.ok());
  EXPECT_EQ(matched(*hex, "ff 0x1A"), (std::vector<std::string>{"ff", "0", "1A"}));
  // ^ is a line start, but not the end of a text ending in a line break.
  auto starts = TextPattern::icu_regex(R"(^)");
  ASSERT_TRUE(starts.ok());
  std::vector<TextRange> ranges;
  starts->find_all("a\nb\n", ranges);
  EXPECT_EQ(ranges, (std::vector<TextRange>{{0, 0}, {2, 2}}));
  auto broken = TextPattern::regex("(a");
  ASSERT_FALSE(broken.ok());
  EXPECT_NE(broken.error().message.find("does not compile"), std::string::npos);
  // A literal is searched as written, a regex special character included.
  EXPECT_EQ(matched(TextPattern::literal("a.b"), "a.b axb a.b"),
            (std::vector<std::string>{"a.b", "a.b"}));
  EXPECT_TRUE(matched(TextPattern::literal(""), "abc").empty());
}

// A regex that backtracks exponentially stops instead of hanging.
TEST(TextPattern, CatastrophicBacktrackingIsBounded) {
  auto pattern = TextPattern::regex("(a+)+b");
  ASSERT_TRUE(pattern.ok());
  std::vector<TextRange> ranges;
  pattern->find_all(std::string(40, 'a') + "c", ranges);
  EXPECT_TRUE(ranges.empty());
}

// HF's NormalizedString::split documentation: "the-final--countdown" split on '-'.
TEST(SplitBehavior, TheDocumentedExample) {
  const std::string text = "the-final--countdown";
  const TextPattern dash = TextPattern::literal("-");
  std::vector<TextRange> matches;
  dash.find_all(text, matches);
  std::vector<SplitPart> parts;
  size_t previous = 0;
  for (TextRange m : matches) {
    if (m.begin > previous) parts.push_back({{previous, m.begin}, false});
    parts.push_back({m, true});
    previous = m.end;
  }
  parts.push_back({{previous, text.size()}, false});
  auto split = [&](SplitBehavior behavior) {
    std::vector<NormalizedText> pieces;
    split_by_parts(NormalizedText(text, 0), parts, behavior, pieces);
    std::vector<std::string> out;
    for (const NormalizedText& p : pieces) out.push_back(p.text());
    return out;
  };
  using Pieces = std::vector<std::string>;
  EXPECT_EQ(split(SplitBehavior::kRemoved), (Pieces{"the", "final", "countdown"}));
  EXPECT_EQ(split(SplitBehavior::kIsolated), (Pieces{"the", "-", "final", "-", "-", "countdown"}));
  EXPECT_EQ(split(SplitBehavior::kMergedWithPrevious),
            (Pieces{"the-", "final-", "-", "countdown"}));
  EXPECT_EQ(split(SplitBehavior::kMergedWithNext), (Pieces{"the", "-final", "-", "-countdown"}));
  EXPECT_EQ(split(SplitBehavior::kContiguous), (Pieces{"the", "-", "final", "--", "countdown"}));
}

}  // namespace
}  // namespace attnviz
