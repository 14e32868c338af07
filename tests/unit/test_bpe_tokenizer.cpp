// GPT-2 byte-level BPE against Hugging Face's ids for every line of
// tests/data/gpt2-tiny/tokenizer_reference.json, with both file formats, plus the
// pre-tokenizer's regex semantics, byte spans, decode and loader errors.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "core/tokenizer_loader.h"
#include "core/tokenizers/bpe_model.h"
#include "core/tokenizers/pattern.h"
#include "core/unicode.h"

namespace attnviz {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

const fs::path kData = ATTNVIZ_TEST_DATA;
const fs::path kModel = kData / "gpt2-tiny" / "model";

// A scratch folder of this process (the same tests may run at once in several checkouts).
fs::path scratch_folder(const std::string& name) {
  return fs::temp_directory_path() / (name + "_" + std::to_string(::getpid()));
}

struct ReferenceLine {
  std::string text;
  std::vector<int32_t> ids;
};

std::vector<ReferenceLine> load_reference() {
  std::ifstream in(kData / "gpt2-tiny" / "tokenizer_reference.json");
  const json root = json::parse(in);
  std::vector<ReferenceLine> lines;
  for (const json& entry : root) {
    lines.push_back({entry["text"].get<std::string>(), entry["ids"].get<std::vector<int32_t>>()});
  }
  return lines;
}

std::string list(const std::vector<int32_t>& ids) {
  std::ostringstream out;
  out << "[";
  for (size_t i = 0; i < ids.size(); ++i) out << (i ? ", " : "") << ids[i];
  out << "]";
  return out.str();
}

std::vector<int32_t> ids_of(const std::vector<Token>& tokens) {
  std::vector<int32_t> ids;
  for (const Token& token : tokens) ids.push_back(token.id);
  return ids;
}

// Empty when the ids match, else the text, both id lists and where they first differ.
std::string compare_ids(const ReferenceLine& line, const std::vector<int32_t>& actual) {
  if (actual == line.ids) return "";
  size_t first = 0;
  while (first < actual.size() && first < line.ids.size() && actual[first] == line.ids[first]) {
    ++first;
  }
  return "text: " + json(line.text).dump() + "\n  expected: " + list(line.ids) +
         "\n  actual:   " + list(actual) + "\n  first difference at position " +
         std::to_string(first) + "\n";
}

// BPE tokens tile the text: consecutive, non-empty, covering every byte, each token's display
// text being exactly its bytes (those of a character split between tokens as <0xNN>), and a
// token holding part of a character says which characters.
std::string check_spans(std::string_view text, const std::vector<Token>& tokens) {
  size_t expected_start = 0;
  for (size_t i = 0; i < tokens.size(); ++i) {
    const Token& t = tokens[i];
    if (t.start != expected_start || t.end <= t.start || t.end > text.size()) {
      return "token " + std::to_string(i) + " has span [" + std::to_string(t.start) + ", " +
             std::to_string(t.end) + "), expected to start at " + std::to_string(expected_start);
    }
    const std::string bytes = std::string(text.substr(t.start, t.end - t.start));
    const std::string bytes_shown = unicode::display_bytes(bytes);
    if (t.text != bytes_shown) {
      return "token " + std::to_string(i) + " text " + json(t.text).dump() +
             " but its bytes show " + json(bytes_shown).dump();
    }
    const bool whole = unicode::validate_utf8(bytes).ok();
    if (t.partial == whole || (t.partial && (t.char_start > t.start || t.char_end < t.end))) {
      return "token " + std::to_string(i) + " " + json(t.text).dump() + " partial " +
             std::to_string(t.partial) + " with characters [" + std::to_string(t.char_start) +
             ", " + std::to_string(t.char_end) + ")";
    }
    expected_start = t.end;
  }
  if (expected_start != text.size()) return "tokens end at byte " + std::to_string(expected_start);
  return "";
}

void check_reference(const Tokenizer& tokenizer, const std::string& loader) {
  const std::vector<ReferenceLine> lines = load_reference();
  ASSERT_GT(lines.size(), 1000u);
  int failures = 0;
  for (const ReferenceLine& line : lines) {
    auto tokens = tokenizer.encode(line.text);
    ASSERT_TRUE(tokens.ok()) << loader << ": " << tokens.error().message;
    std::string problem = compare_ids(line, ids_of(tokens.value()));
    if (problem.empty()) problem = check_spans(line.text, tokens.value());
    const std::string decoded = tokenizer.decode(ids_of(tokens.value()));
    if (problem.empty() && decoded != line.text) {
      problem = "decode(encode(text)) = " + json(decoded).dump() + " for " + json(line.text).dump();
    }
    if (!problem.empty() && ++failures <= 5) ADD_FAILURE() << loader << ": " << problem;
  }
  EXPECT_EQ(failures, 0) << loader << ": " << failures << " of " << lines.size()
                         << " reference lines differ";
}

TEST(BpeTokenizer, VocabAndMergesMatchHuggingFaceOnEveryReferenceLine) {
  auto tokenizer = load_bpe_vocab_merges(kModel / "vocab.json", kModel / "merges.txt");
  ASSERT_TRUE(tokenizer.ok()) << tokenizer.error().message;
  EXPECT_EQ(tokenizer.value()->vocab_size(), 50257);
  check_reference(*tokenizer.value(), "vocab.json + merges.txt");
}

TEST(BpeTokenizer, TokenizerJsonMatchesHuggingFaceOnEveryReferenceLine) {
  auto tokenizer = load_tokenizer_json_file(kModel / "tokenizer.json");
  ASSERT_TRUE(tokenizer.ok()) << tokenizer.error().message;
  EXPECT_EQ(tokenizer.value()->vocab_size(), 50257);
  check_reference(*tokenizer.value(), "tokenizer.json");
}

// The folder loader (tokenizer.json preferred) on the fixture, and the built-in model's own
// 4096-token vocabulary (vocab.json + merges.txt), whose ids the recipe's Python tokenizer gave.
TEST(BpeTokenizer, LoadTokenizerFromFolders) {
  const std::string text = "The bank by the river was eroding.";
  struct Case {
    fs::path folder;
    std::vector<int32_t> ids;
  };
  const Case cases[] = {
      {kModel, {464, 3331, 416, 262, 7850, 373, 1931, 7656, 13}},
      {fs::path(ATTNVIZ_TEST_DATA) / ".." / ".." / "assets" / "model",
       {477, 270, 2077, 416, 260, 2938, 413, 3763, 3318, 13}},
  };
  for (const Case& c : cases) {
    auto tokenizer = load_tokenizer(c.folder, TokenizerKind::kByteLevelBpe);
    ASSERT_TRUE(tokenizer.ok()) << tokenizer.error().message;
    auto tokens = tokenizer.value()->encode(text);
    ASSERT_TRUE(tokens.ok());
    EXPECT_EQ(ids_of(tokens.value()), c.ids) << c.folder;
    EXPECT_EQ(tokenizer.value()->decode(ids_of(tokens.value())), text) << c.folder;
  }
}

// Legacy tokenizer.json files store merges as "A B" strings.
TEST(BpeTokenizer, TokenizerJsonWithLegacyMergeStrings) {
  std::ifstream in(kModel / "tokenizer.json");
  json root = json::parse(in);
  json legacy = json::array();
  for (const json& pair : root["model"]["merges"]) {
    legacy.push_back(pair[0].get<std::string>() + " " + pair[1].get<std::string>());
  }
  root["model"]["merges"] = legacy;
  const fs::path dir = scratch_folder("attnviz_test_bpe_legacy");
  fs::create_directories(dir);
  std::ofstream(dir / "tokenizer.json") << root.dump();
  auto tokenizer = load_tokenizer_json_file(dir / "tokenizer.json");
  ASSERT_TRUE(tokenizer.ok()) << tokenizer.error().message;
  const std::vector<ReferenceLine> lines = load_reference();
  for (size_t i = 0; i < lines.size(); i += 37) {
    auto tokens = tokenizer.value()->encode(lines[i].text);
    ASSERT_TRUE(tokens.ok());
    EXPECT_EQ(compare_ids(lines[i], ids_of(tokens.value())), "");
  }
  fs::remove_all(dir);
}

TEST(BpeTokenizer, ByteTable) {
  EXPECT_EQ(gpt2_byte_to_char(' '), U'\u0120');   // Ġ
  EXPECT_EQ(gpt2_byte_to_char('\n'), U'\u010A');  // Ċ
  EXPECT_EQ(gpt2_byte_to_char(0x00), U'\u0100');
  EXPECT_EQ(gpt2_byte_to_char('!'), U'!');
  EXPECT_EQ(gpt2_byte_to_char('~'), U'~');
  EXPECT_EQ(gpt2_byte_to_char(0x7F), U'\u0121');
  EXPECT_EQ(gpt2_byte_to_char(0xA1), U'\u00A1');
  EXPECT_EQ(gpt2_byte_to_char(0xAD), U'\u0143');  // the 68th and last remapped byte
  EXPECT_EQ(gpt2_byte_to_char(0xFF), U'\u00FF');
  std::set<char32_t> distinct;
  for (int b = 0; b < 256; ++b) distinct.insert(gpt2_byte_to_char(uint8_t(b)));
  EXPECT_EQ(distinct.size(), 256u);
}

std::vector<std::string> pieces(std::string_view text) {
  auto pattern = TextPattern::regex(std::string(kGpt2Pattern));
  EXPECT_TRUE(pattern.ok());
  EXPECT_EQ(pattern->engine(), TextPattern::Engine::kGpt2Scanner);
  std::vector<TextRange> matches;
  pattern->find_all(text, matches);
  std::vector<std::string> out;
  for (TextRange range : matches)
    out.emplace_back(text.substr(range.begin, range.end - range.begin));
  return out;
}

using Pieces = std::vector<std::string>;

TEST(Gpt2Pretokenize, RegexSemantics) {
  EXPECT_EQ(pieces("Hello world"), (Pieces{"Hello", " world"}));
  // \s+(?!\S): a run before a word leaves its last space to the word.
  EXPECT_EQ(pieces("a   b"), (Pieces{"a", "  ", " b"}));
  EXPECT_EQ(pieces("a \n b"), (Pieces{"a", " \n", " b"}));
  // A single whitespace that is not a space before a word stands alone (\s+).
  EXPECT_EQ(pieces("a\tb"), (Pieces{"a", "\t", "b"}));
  EXPECT_EQ(pieces("a\n\nb"), (Pieces{"a", "\n", "\n", "b"}));
  // Trailing whitespace is one piece.
  EXPECT_EQ(pieces("end   "), (Pieces{"end", "   "}));
  EXPECT_EQ(pieces(" "), (Pieces{" "}));
  // Contractions are case-sensitive and come before letters.
  EXPECT_EQ(pieces("I'm you'll it's"), (Pieces{"I", "'m", " you", "'ll", " it", "'s"}));
  EXPECT_EQ(pieces("I'M"), (Pieces{"I", "'", "M"}));
  EXPECT_EQ(pieces("we're they've he'd"), (Pieces{"we", "'re", " they", "'ve", " he", "'d"}));
  // Punctuation runs swallow an apostrophe that follows them.
  EXPECT_EQ(pieces("!!'s"), (Pieces{"!!'", "s"}));
  EXPECT_EQ(pieces(" 's"), (Pieces{" '", "s"}));
  // Numbers and letters are separate classes; the optional space goes with either.
  EXPECT_EQ(pieces("abc123 456def"), (Pieces{"abc", "123", " 456", "def"}));
  EXPECT_EQ(pieces("3.14"), (Pieces{"3", ".", "14"}));
  // Unicode letters and numbers: é is \p{L}, ² is \p{N}, — is neither.
  EXPECT_EQ(pieces("café x² —ok"), (Pieces{"café", " x", "²", " —", "ok"}));
  // A no-break space is \s but not the optional ' '.
  EXPECT_EQ(pieces("a\u00A0b"), (Pieces{"a", "\u00A0", "b"}));
  EXPECT_EQ(pieces(""), (Pieces{}));
}

TEST(BpeTokenizer, SpecialTokensAndSpans) {
  auto tokenizer = load_bpe_vocab_merges(kModel / "vocab.json", kModel / "merges.txt");
  ASSERT_TRUE(tokenizer.ok()) << tokenizer.error().message;
  const std::string text = "Hi<|endoftext|> 東";
  auto tokens = tokenizer.value()->encode(text);
  ASSERT_TRUE(tokens.ok());
  const std::vector<Token>& t = tokens.value();
  ASSERT_GE(t.size(), 3u);
  EXPECT_EQ(t[0], (Token{17250, "Hi", 0, 2, false}));
  EXPECT_EQ(t[1], (Token{50256, "<|endoftext|>", 2, 15, true}));
  // " 東" is 4 bytes split over several tokens; each span covers exactly its bytes.
  EXPECT_EQ(check_spans(text, t), "");
  EXPECT_EQ(t.back().end, text.size());
  EXPECT_EQ(tokenizer.value()->decode(ids_of(t)), text);
}

TEST(BpeTokenizer, EmptyTextAndDecode) {
  auto tokenizer = load_bpe_vocab_merges(kModel / "vocab.json", kModel / "merges.txt");
  ASSERT_TRUE(tokenizer.ok());
  auto empty = tokenizer.value()->encode("");
  ASSERT_TRUE(empty.ok());
  EXPECT_TRUE(empty.value().empty());
  // 0xE6 alone is a partial UTF-8 sequence: shown as its byte, decoded as U+FFFD.
  const int32_t e6 = 162;  // "æ" in the byte table = byte 0xE6
  EXPECT_EQ(tokenizer.value()->token_text(e6), "<0xE6>");
  EXPECT_EQ(tokenizer.value()->decode(std::vector<int32_t>{e6, 40}), "\uFFFDI");
  EXPECT_EQ(tokenizer.value()->token_text(220), " ");
  EXPECT_EQ(tokenizer.value()->decode(std::vector<int32_t>{-1}), "\uFFFD");
}

TEST(BpeTokenizer, InvalidUtf8NamesTheByte) {
  auto tokenizer = load_bpe_vocab_merges(kModel / "vocab.json", kModel / "merges.txt");
  ASSERT_TRUE(tokenizer.ok());
  auto result = tokenizer.value()->encode("The bank by the \xC3(river");
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().message, "invalid UTF-8 at byte 16");
  result = tokenizer.value()->encode("surrogate \xED\xA0\x80");
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().message, "invalid UTF-8 at byte 10");
}

// A scratch folder with a copy of the fixture's vocab.json and a merges.txt to break.
class BpeLoaderErrors : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = scratch_folder(
        "attnviz_test_bpe_" +
        std::string(::testing::UnitTest::GetInstance()->current_test_info()->name()));
    fs::create_directories(dir_);
    fs::copy_file(kModel / "vocab.json", dir_ / "vocab.json", fs::copy_options::overwrite_existing);
  }
  void TearDown() override { fs::remove_all(dir_); }
  void write(const std::string& name, const std::string& content) {
    std::ofstream(dir_ / name, std::ios::binary) << content;
  }
  std::string load_error() {
    auto loaded = load_bpe_vocab_merges(dir_ / "vocab.json", dir_ / "merges.txt");
    return loaded.ok() ? "(loaded)" : loaded.error().message;
  }
  fs::path dir_;
};

TEST_F(BpeLoaderErrors, MissingFiles) {
  EXPECT_NE(load_error().find("merges.txt: missing file"), std::string::npos) << load_error();
  auto folder = load_tokenizer(dir_ / "nothing-here", TokenizerKind::kByteLevelBpe);
  ASSERT_FALSE(folder.ok());
  EXPECT_NE(folder.error().message.find("nothing-here"), std::string::npos);
  fs::remove(dir_ / "vocab.json");
  auto none = load_tokenizer(dir_, TokenizerKind::kByteLevelBpe);
  ASSERT_FALSE(none.ok());
  EXPECT_NE(none.error().message.find("vocab.json + merges.txt"), std::string::npos);
}

TEST_F(BpeLoaderErrors, MalformedMergeLine) {
  write("merges.txt", "#version: 0.2\nĠ t\nĠta\n");
  EXPECT_NE(load_error().find("merge line malformed at line 3"), std::string::npos) << load_error();
}

TEST_F(BpeLoaderErrors, MergeOutsideVocabulary) {
  write("merges.txt", "#version: 0.2\nĠ t\nq zzzz\n");
  const std::string error = load_error();
  EXPECT_NE(error.find("line 3"), std::string::npos) << error;
  EXPECT_NE(error.find("'zzzz', which is not in the vocabulary"), std::string::npos) << error;
}

TEST_F(BpeLoaderErrors, BadVocabJson) {
  write("merges.txt", "#version: 0.2\n");
  write("vocab.json", "{\"a\": 0, ");
  EXPECT_NE(load_error().find("vocab.json: not valid JSON"), std::string::npos) << load_error();
  write("vocab.json", "{\"a\": 0, \"b\": 0}");
  EXPECT_NE(load_error().find("duplicate vocab id 0"), std::string::npos) << load_error();
  write("vocab.json", "{\"a\": -4}");
  EXPECT_NE(load_error().find("token 'a' has id -4; ids must be integers from 0 to 257"),
            std::string::npos)
      << load_error();
  write("vocab.json", "{\"a\": \"zero\"}");
  EXPECT_NE(load_error().find("ids must be integers"), std::string::npos) << load_error();
  // An id far beyond the entries would size tables by it (a 3.5 KB file asking for 16M rows).
  write("vocab.json", "{\"a\": 16777215}");
  EXPECT_NE(load_error().find("has id 16777215"), std::string::npos) << load_error();
  // As in HF, a byte the vocabulary cannot spell (no unk token) is dropped, not an error.
  write("vocab.json", "{\"a\": 0}");
  auto partial = load_bpe_vocab_merges(dir_ / "vocab.json", dir_ / "merges.txt");
  ASSERT_TRUE(partial.ok()) << partial.error().message;
  auto tokens = partial.value()->encode("ab");
  ASSERT_TRUE(tokens.ok());
  ASSERT_EQ(tokens->size(), 1u);
  EXPECT_EQ(tokens.value()[0], (Token{0, "a", 0, 1, false}));
}

// Sizes from a file are bounded before anything is built from them: far more merge lines than
// a vocabulary can use (a 10-million-line merges.txt is refused in about a second, measured by
// hand), JSON nested past 64 levels.
TEST_F(BpeLoaderErrors, SizesAreBoundedBeforeAllocation) {
  write("vocab.json", R"({"\u0120": 0, "t": 1, "\u0120t": 2})");
  std::string lines = "#version: 0.2\n";
  for (int i = 0; i < 2000; ++i) lines += "\u0120 t\n";
  write("merges.txt", lines);
  EXPECT_NE(load_error().find("merges.txt: 2002 lines for a vocabulary of 3 entries"),
            std::string::npos)
      << load_error();
  write("merges.txt", "#version: 0.2\n\u0120 t\n");
  EXPECT_EQ(load_error(), "(loaded)");
  write("tokenizer.json", std::string(100, '[') + std::string(100, ']'));
  auto nested = load_tokenizer_json_file(dir_ / "tokenizer.json");
  ASSERT_FALSE(nested.ok());
  EXPECT_NE(nested.error().message.find("nested more than 64 levels"), std::string::npos)
      << nested.error().message;
}

TEST_F(BpeLoaderErrors, TokenizerJsonFieldsNamed) {
  auto error_of = [&](const std::string& content) {
    write("tokenizer.json", content);
    auto loaded = load_tokenizer_json_file(dir_ / "tokenizer.json");
    return loaded.ok() ? std::string("(loaded)") : loaded.error().message;
  };
  std::string error = error_of(R"({"model": {"type": "BPE", "vocab": {}, "merges": []},
                                   "pre_tokenizer": ["ByteLevel"]})");
  EXPECT_NE(error.find("tokenizer.json: pre_tokenizer must be an object"), std::string::npos)
      << error;
  error = error_of(R"({"model": {"type": "BPE", "vocab": {}, "merges": [],
                       "ignore_merges": "no"}, "pre_tokenizer": {"type": "ByteLevel"}})");
  EXPECT_NE(error.find("tokenizer.json: model.ignore_merges must be true or false"),
            std::string::npos)
      << error;
  error = error_of(R"({"model": {"type": "BPE", "vocab": {}, "merges": [["a"]]},
                       "pre_tokenizer": {"type": "ByteLevel"}})");
  EXPECT_NE(error.find("model.merges[0] is malformed"), std::string::npos) << error;
  error = error_of(R"({"model": {"type": "BPE", "vocab": {"a": 0}, "merges": [["a", "b"]]}})");
  EXPECT_NE(error.find("model.merges[0]: merge 'a b' uses 'b', which is not in the vocabulary"),
            std::string::npos)
      << error;
}

}  // namespace
}  // namespace attnviz
