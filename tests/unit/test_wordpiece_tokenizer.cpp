// BERT WordPiece against Hugging Face's ids and token strings for every line of
// tests/data/bert-tiny/tokenizer_reference.json (tokenizer.json and vocab.txt), plus the
// normalizer's rules, sub-word pieces, byte spans into the original text, and loader errors.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "core/tokenizer_loader.h"
#include "core/tokenizers/normalizers.h"

namespace attnviz {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

const fs::path kData = ATTNVIZ_TEST_DATA;
const fs::path kModel = kData / "bert-tiny" / "model";

// A scratch folder of this process (the same tests may run at once in several checkouts).
fs::path scratch_folder(const std::string& name) {
  return fs::temp_directory_path() / (name + "_" + std::to_string(::getpid()));
}

struct ReferenceLine {
  std::string text;
  std::vector<int32_t> ids;
  std::vector<std::string> tokens;
};

std::vector<ReferenceLine> load_reference() {
  std::ifstream in(kData / "bert-tiny" / "tokenizer_reference.json");
  const json root = json::parse(in);
  std::vector<ReferenceLine> lines;
  for (const json& entry : root) {
    lines.push_back({entry["text"].get<std::string>(), entry["ids"].get<std::vector<int32_t>>(),
                     entry["tokens"].get<std::vector<std::string>>()});
  }
  return lines;
}

std::vector<int32_t> ids_of(const std::vector<Token>& tokens) {
  std::vector<int32_t> ids;
  for (const Token& token : tokens) ids.push_back(token.id);
  return ids;
}

std::vector<std::string> texts_of(const std::vector<Token>& tokens) {
  std::vector<std::string> texts;
  for (const Token& token : tokens) texts.push_back(token.text);
  return texts;
}

// Empty when equal, else both lists and the first differing position.
template <class T>
std::string compare_lists(const std::string& text, const std::vector<T>& expected,
                          const std::vector<T>& actual) {
  if (expected == actual) return "";
  size_t first = 0;
  while (first < actual.size() && first < expected.size() && actual[first] == expected[first]) {
    ++first;
  }
  return "text: " + json(text).dump() + "\n  expected: " + json(expected).dump() +
         "\n  actual:   " + json(actual).dump() + "\n  first difference at position " +
         std::to_string(first) + "\n";
}

// [CLS] first with an empty span at 0, [SEP] last with an empty span at the end; in between
// spans are inside the text, in order and never overlapping.
std::string check_spans(std::string_view text, const std::vector<Token>& tokens) {
  if (tokens.size() < 2) return "fewer than 2 tokens";
  const Token& cls = tokens.front();
  const Token& sep = tokens.back();
  if (!cls.special || cls.start != 0 || cls.end != 0) return "[CLS] span is not [0, 0)";
  if (!sep.special || sep.start != text.size() || sep.end != text.size()) {
    return "[SEP] span is not at the end";
  }
  size_t previous_end = 0;
  for (size_t i = 1; i + 1 < tokens.size(); ++i) {
    const Token& t = tokens[i];
    if (t.start < previous_end || t.end < t.start || t.end > text.size() || t.special) {
      return "token " + std::to_string(i) + " " + json(t.text).dump() + " has span [" +
             std::to_string(t.start) + ", " + std::to_string(t.end) + ") after byte " +
             std::to_string(previous_end);
    }
    previous_end = t.end;
  }
  return "";
}

void check_reference(const Tokenizer& tokenizer, const std::string& loader) {
  const std::vector<ReferenceLine> lines = load_reference();
  ASSERT_GT(lines.size(), 1000u);
  int failures = 0;
  for (const ReferenceLine& line : lines) {
    auto tokens = tokenizer.encode(line.text);
    ASSERT_TRUE(tokens.ok()) << loader << ": " << tokens.error().message;
    std::string problem = compare_lists(line.text, line.ids, ids_of(tokens.value()));
    if (problem.empty()) problem = compare_lists(line.text, line.tokens, texts_of(tokens.value()));
    if (problem.empty()) problem = check_spans(line.text, tokens.value());
    if (!problem.empty() && ++failures <= 5) ADD_FAILURE() << loader << ": " << problem;
  }
  EXPECT_EQ(failures, 0) << loader << ": " << failures << " of " << lines.size()
                         << " reference lines differ";
}

TEST(WordPieceTokenizer, TokenizerJsonMatchesHuggingFaceOnEveryReferenceLine) {
  auto tokenizer = load_tokenizer_json_file(kModel / "tokenizer.json");
  ASSERT_TRUE(tokenizer.ok()) << tokenizer.error().message;
  const auto& normalizer = tokenizer.value()->pipeline().normalizer;
  ASSERT_EQ(normalizer.steps.size(), 1u);
  EXPECT_TRUE(normalizer.steps[0].bert_lowercase);
  EXPECT_EQ(tokenizer.value()->vocab_size(), 30522);
  check_reference(*tokenizer.value(), "tokenizer.json");
}

TEST(WordPieceTokenizer, VocabTxtMatchesHuggingFaceOnEveryReferenceLine) {
  auto tokenizer = load_wordpiece_vocab_txt(kModel / "vocab.txt", WordPieceOptions{});
  ASSERT_TRUE(tokenizer.ok()) << tokenizer.error().message;
  check_reference(*tokenizer.value(), "vocab.txt");
}

// A small vocabulary with sub-word pieces, to test what the fixture's vocab (which has no
// "##" entries) cannot.
std::unique_ptr<HfTokenizer> small_tokenizer(WordPieceOptions options = {}) {
  const std::vector<std::string> vocab = {
      "[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "un",     "##aff",    "##able",
      "cafe",  "naive", "!",     ",",     "東",     "\u1112", "##\u1161", "##\u11AB",
      "hello", "Hello", "i",     "##un",  "##u",    "$"};
  const fs::path dir = scratch_folder("attnviz_test_wordpiece_small");
  fs::create_directories(dir);
  {
    std::ofstream out(dir / "vocab.txt");
    for (const std::string& token : vocab) out << token << "\n";
  }
  auto tokenizer = load_wordpiece_vocab_txt(dir / "vocab.txt", options);
  fs::remove_all(dir);
  EXPECT_TRUE(tokenizer.ok()) << tokenizer.error().message;
  return std::move(tokenizer).value();
}

struct Expected {
  std::string text;
  size_t start;
  size_t end;
};

void expect_tokens(const Tokenizer& tokenizer, const std::string& text,
                   const std::vector<Expected>& expected) {
  auto tokens = tokenizer.encode(text);
  ASSERT_TRUE(tokens.ok()) << tokens.error().message;
  std::ostringstream actual;
  for (const Token& t : tokens.value()) actual << t.text << "[" << t.start << "," << t.end << ") ";
  std::ostringstream wanted;
  for (const Expected& e : expected) wanted << e.text << "[" << e.start << "," << e.end << ") ";
  EXPECT_EQ(actual.str(), wanted.str()) << "text: " << json(text).dump();
}

TEST(WordPieceTokenizer, SubwordPiecesAndSpans) {
  auto tokenizer = small_tokenizer();
  expect_tokens(*tokenizer, "Unaffable, hello!",
                {{"[CLS]", 0, 0},
                 {"un", 0, 2},
                 {"##aff", 2, 5},
                 {"##able", 5, 9},
                 {",", 9, 10},
                 {"hello", 11, 16},
                 {"!", 16, 17},
                 {"[SEP]", 17, 17}});
  // No full match for the rest of the word: the whole word is [UNK].
  expect_tokens(*tokenizer, "unaffx", {{"[CLS]", 0, 0}, {"[UNK]", 0, 6}, {"[SEP]", 6, 6}});
  EXPECT_EQ(tokenizer->decode(std::vector<int32_t>{2, 5, 6, 7, 10, 16, 3}),
            "[CLS] unaffable ! hello [SEP]");
}

TEST(WordPieceTokenizer, SpansPointIntoTheOriginalText) {
  auto tokenizer = small_tokenizer();
  // Accents are stripped and case lowered, but spans keep the original bytes:
  // "Café" is 5 bytes, "NAÏVE" 6.
  expect_tokens(*tokenizer, "Café NAÏVE",
                {{"[CLS]", 0, 0}, {"cafe", 0, 5}, {"naive", 6, 12}, {"[SEP]", 12, 12}});
  // A decomposed accent (e + U+0301) belongs to its word too.
  expect_tokens(*tokenizer, "cafe\u0301!",
                {{"[CLS]", 0, 0}, {"cafe", 0, 6}, {"!", 6, 7}, {"[SEP]", 7, 7}});
  // CJK ideographs are words of their own; removed controls (ZWJ) leave gaps.
  expect_tokens(*tokenizer, "東\u200Dhello",
                {{"[CLS]", 0, 0}, {"東", 0, 3}, {"hello", 6, 11}, {"[SEP]", 11, 11}});
  // A Hangul syllable decomposes into three jamo (three pieces): the first piece owns the
  // original character, the others get an empty span at its end.
  expect_tokens(
      *tokenizer, "\uD55C",
      {{"[CLS]", 0, 0}, {"\u1112", 0, 3}, {"##\u1161", 3, 3}, {"##\u11AB", 3, 3}, {"[SEP]", 3, 3}});
  // İ lower-cases to i + U+0307, and the combining dot is stripped.
  expect_tokens(*tokenizer, "\u0130", {{"[CLS]", 0, 0}, {"i", 0, 2}, {"[SEP]", 2, 2}});
}

TEST(WordPieceTokenizer, AddedTokensAreMatchedInTheRawText) {
  auto tokenizer = small_tokenizer();
  auto tokens = tokenizer->encode("hello[MASK]!");
  ASSERT_TRUE(tokens.ok());
  ASSERT_EQ(tokens.value().size(), 5u);
  EXPECT_EQ(tokens.value()[2], (Token{4, "[MASK]", 5, 11, true}));
}

TEST(WordPieceTokenizer, CasedAndNoAccentStripping) {
  WordPieceOptions cased;
  cased.lower_case = false;
  auto tokenizer = small_tokenizer(cased);
  expect_tokens(
      *tokenizer, "Hello hello HELLO",
      {{"[CLS]", 0, 0}, {"Hello", 0, 5}, {"hello", 6, 11}, {"[UNK]", 12, 17}, {"[SEP]", 17, 17}});
  WordPieceOptions lower_keep_accents;
  lower_keep_accents.strip_accents = false;
  tokenizer = small_tokenizer(lower_keep_accents);
  expect_tokens(*tokenizer, "Café Cafe",
                {{"[CLS]", 0, 0}, {"[UNK]", 0, 5}, {"cafe", 6, 10}, {"[SEP]", 10, 10}});
}

TEST(WordPieceTokenizer, LongWordsAndEmptyText) {
  auto tokenizer = small_tokenizer();
  expect_tokens(*tokenizer, "", {{"[CLS]", 0, 0}, {"[SEP]", 0, 0}});
  expect_tokens(*tokenizer, " \t\n", {{"[CLS]", 0, 0}, {"[SEP]", 3, 3}});
  std::string long_word = "un";
  for (int i = 0; i < 48; ++i) long_word += "un";
  long_word += "u";
  // 99 characters is still a word ("un", "##un" x 48, "##u"); 101 is [UNK].
  ASSERT_EQ(long_word.size(), 99u);
  auto tokens = tokenizer->encode(long_word);
  ASSERT_TRUE(tokens.ok());
  EXPECT_EQ(tokens.value().size(), 52u);
  EXPECT_EQ(tokens.value()[50].text, "##u");
  tokens = tokenizer->encode(long_word + "n");  // 100
  ASSERT_TRUE(tokens.ok());
  EXPECT_EQ(tokens.value().size(), 52u);
  EXPECT_EQ(tokens.value()[50].text, "##un");
  tokens = tokenizer->encode(long_word + "un");  // 101
  ASSERT_TRUE(tokens.ok());
  EXPECT_EQ(tokens.value().size(), 3u);
  EXPECT_EQ(tokens.value()[1].text, "[UNK]");
  EXPECT_EQ(tokens.value()[1].end, 101u);
}

// A 1 MB vocabulary line loads, and the longest-match search does not grow with it: a word
// the long entry begins still splits in time bounded by its own length.
TEST(WordPieceTokenizer, LongEntriesAndLongWords) {
  const fs::path dir = scratch_folder("attnviz_test_wordpiece_long");
  fs::create_directories(dir);
  {
    std::ofstream out(dir / "vocab.txt");
    out << "[PAD]\n[UNK]\n[CLS]\n[SEP]\na\n##a\n" << std::string(1 << 20, 'a') << "b\n";
  }
  WordPieceOptions options;
  auto tokenizer = load_wordpiece_vocab_txt(dir / "vocab.txt", options);
  fs::remove_all(dir);
  ASSERT_TRUE(tokenizer.ok()) << tokenizer.error().message;
  auto tokens = tokenizer.value()->encode(std::string(90, 'a'));
  ASSERT_TRUE(tokens.ok());
  ASSERT_EQ(tokens->size(), 92u);  // [CLS] a ##a x 89 [SEP]
  EXPECT_EQ(tokens.value()[2].text, "##a");
}

TEST(WordPieceTokenizer, InvalidUtf8NamesTheByte) {
  auto tokenizer = small_tokenizer();
  auto result = tokenizer->encode("hello wo\xF0\x9F\x98");
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().message, "invalid UTF-8 at byte 8");
}

TEST(WordPieceTokenizer, PunctuationAndCleaning) {
  EXPECT_TRUE(is_bert_chinese_char(U'\u4E00'));
  EXPECT_TRUE(is_bert_chinese_char(U'\U00020000'));
  EXPECT_FALSE(is_bert_chinese_char(U'\u3042'));  // hiragana is not in the ranges
  // HF tokenizers' range (normalizers/bert.rs) starts at 2B920, transformers' Python at 2B820.
  EXPECT_FALSE(is_bert_chinese_char(U'\U0002B820'));
  EXPECT_TRUE(is_bert_chinese_char(U'\U0002B920'));
  auto tokenizer = small_tokenizer();
  // ASCII symbols ($ is not Unicode punctuation) and Unicode P* split words; So does not.
  expect_tokens(*tokenizer, "hello$hello\u2014\u00A9",
                {{"[CLS]", 0, 0},
                 {"hello", 0, 5},
                 {"$", 5, 6},
                 {"hello", 6, 11},
                 {"[UNK]", 11, 14},
                 {"[UNK]", 14, 16},
                 {"[SEP]", 16, 16}});
  // NUL, U+FFFD and controls vanish; a no-break space separates words.
  expect_tokens(*tokenizer, std::string("hel\0lo\uFFFD\u00A0hello", 16),
                {{"[CLS]", 0, 0}, {"hello", 0, 6}, {"hello", 11, 16}, {"[SEP]", 16, 16}});
}

TEST(WordPieceTokenizer, TokenizerConfigLowerCaseIsHonoured) {
  const fs::path dir = scratch_folder("attnviz_test_wordpiece_config");
  fs::create_directories(dir);
  fs::copy_file(kModel / "vocab.txt", dir / "vocab.txt", fs::copy_options::overwrite_existing);
  auto lower = load_tokenizer(dir, TokenizerKind::kWordPiece);
  ASSERT_TRUE(lower.ok()) << lower.error().message;
  std::ofstream(dir / "tokenizer_config.json") << R"({"do_lower_case": false})";
  auto cased = load_tokenizer(dir, TokenizerKind::kWordPiece);
  ASSERT_TRUE(cased.ok()) << cased.error().message;
  auto lower_tokens = lower.value()->encode("The");
  auto cased_tokens = cased.value()->encode("The");
  ASSERT_TRUE(lower_tokens.ok() && cased_tokens.ok());
  EXPECT_EQ(lower_tokens.value()[1].text, "the");
  EXPECT_EQ(cased_tokens.value()[1].text, "[UNK]");  // the vocab has no "The"

  std::ofstream(dir / "tokenizer_config.json") << R"({"do_lower_case": "yes"})";
  auto bad = load_tokenizer(dir, TokenizerKind::kWordPiece);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().message.find("do_lower_case must be true or false"), std::string::npos);
  fs::remove_all(dir);
}

TEST(WordPieceTokenizer, LoaderErrors) {
  const fs::path dir = scratch_folder("attnviz_test_wordpiece_errors");
  fs::create_directories(dir);
  auto missing = load_wordpiece_vocab_txt(dir / "vocab.txt", WordPieceOptions{});
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.error().message.find("vocab.txt: missing file"), std::string::npos);
  auto none = load_tokenizer(dir, TokenizerKind::kWordPiece);
  ASSERT_FALSE(none.ok());
  EXPECT_NE(none.error().message.find("expected tokenizer.json or vocab.txt"), std::string::npos);

  std::ofstream(dir / "vocab.txt") << "[PAD]\n[CLS]\n[SEP]\nhello\n";
  auto no_unk = load_wordpiece_vocab_txt(dir / "vocab.txt", WordPieceOptions{});
  ASSERT_FALSE(no_unk.ok());
  EXPECT_NE(no_unk.error().message.find("no '[UNK]' token"), std::string::npos)
      << no_unk.error().message;

  std::ofstream(dir / "tokenizer.json")
      << R"({"model": {"type": "WordPiece", "vocab": {"a": 0, "b": 0}}})";
  auto duplicate = load_tokenizer_json_file(dir / "tokenizer.json");
  ASSERT_FALSE(duplicate.ok());
  EXPECT_NE(duplicate.error().message.find("duplicate vocab id 0"), std::string::npos)
      << duplicate.error().message;
  // A value of the wrong type is an error, not a crash.
  std::ofstream(dir / "tokenizer.json")
      << R"({"model": {"type": "WordPiece", "vocab": {"[UNK]": 0}},
             "normalizer": {"type": "BertNormalizer", "lowercase": "yes"}})";
  auto wrong_type = load_tokenizer_json_file(dir / "tokenizer.json");
  ASSERT_FALSE(wrong_type.ok());
  EXPECT_NE(
      wrong_type.error().message.find("tokenizer.json: normalizer.lowercase must be true or false"),
      std::string::npos)
      << wrong_type.error().message;
  // One id far beyond the entries would size a table by it (16M rows for a 3 KB file).
  std::ofstream(dir / "tokenizer.json")
      << R"({"model": {"type": "WordPiece", "vocab": {"[UNK]": 0, "a": 16777215}}})";
  auto huge = load_tokenizer_json_file(dir / "tokenizer.json");
  ASSERT_FALSE(huge.ok());
  EXPECT_NE(huge.error().message.find("token 'a' has id 16777215; ids must be integers from 0 to"),
            std::string::npos)
      << huge.error().message;
  std::ofstream(dir / "tokenizer.json") << R"({"model": )";
  auto bad_json = load_tokenizer_json_file(dir / "tokenizer.json");
  ASSERT_FALSE(bad_json.ok());
  EXPECT_NE(bad_json.error().message.find("tokenizer.json: not valid JSON"), std::string::npos);
  fs::remove_all(dir);
}

}  // namespace
}  // namespace attnviz
