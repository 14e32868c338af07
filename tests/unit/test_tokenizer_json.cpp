// tokenizer.json pipelines of today's model families (tests/data/tokenizers: the fixtures'
// trimmed Llama 3, Qwen 3, GPT-NeoX, Mistral/Llama 2 SentencePiece, Phi-3 and Gemma 3
// tokenizers) against their reference ids: every text of <style>/reference.json (300 per
// style, with and without special tokens) and every fixture text of fixture_ids.json. Then the
// parts the references do not reach: span and display rules on every text, byte-fallback
// pieces, BOS/EOS as transformers decides them, added-token flags, Metaspace, and messages for
// what is not supported.
#include <gtest/gtest.h>
#include <unistd.h>

#include <array>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "core/tokenizer_loader.h"
#include "core/tokenizers/tokenizer_json.h"
#include "core/unicode.h"

namespace attnviz {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

const fs::path kData = fs::path(ATTNVIZ_TEST_DATA) / "tokenizers";
const char* const kStyles[] = {"gemma", "llama3", "neox", "phi3", "qwen", "spm"};

fs::path scratch_folder(const std::string& name) {
  return fs::temp_directory_path() / (name + "_" + std::to_string(::getpid()));
}

json read_json(const fs::path& path) {
  std::ifstream in(path);
  return json::parse(in);
}

std::unique_ptr<Tokenizer> load_style(const std::string& style) {
  auto tokenizer = load_tokenizer(kData / style, TokenizerKind::kTokenizerJson);
  EXPECT_TRUE(tokenizer.ok()) << tokenizer.error().message;
  return tokenizer.ok() ? std::move(tokenizer).value() : nullptr;
}

std::vector<int32_t> ids_of(const std::vector<Token>& tokens) {
  std::vector<int32_t> ids;
  for (const Token& token : tokens) ids.push_back(token.id);
  return ids;
}

// The ids of `text`; without_special drops the post-processor's tokens (special tokens with
// an empty span at either end), as add_special_tokens=False would.
std::vector<int32_t> encode_ids(const Tokenizer& tokenizer, const std::string& text,
                                bool with_special) {
  auto tokens = tokenizer.encode(text);
  EXPECT_TRUE(tokens.ok()) << tokens.error().message;
  if (!tokens.ok()) return {};
  std::vector<int32_t> ids;
  for (const Token& token : tokens.value()) {
    const bool added_by_post_processor = token.special && token.start == token.end;
    if (with_special || !added_by_post_processor) ids.push_back(token.id);
  }
  return ids;
}

std::string describe(const std::string& text, const std::vector<int32_t>& expected,
                     const std::vector<int32_t>& actual) {
  return json(text).dump() + "\n  expected " + json(expected).dump() + "\n  actual   " +
         json(actual).dump();
}

TEST(TokenizerJson, EveryReferenceTextOfEveryStyle) {
  for (const char* style : kStyles) {
    auto tokenizer = load_style(style);
    ASSERT_TRUE(tokenizer) << style;
    const json reference = read_json(kData / style / "reference.json");
    int failures = 0, total = 0;
    for (const char* set : {"items", "with_special_tokens"}) {
      const bool with_special = std::string(set) == "with_special_tokens";
      for (const json& item : reference[set]) {
        const std::string text = item["text"].get<std::string>();
        const auto expected = item["ids"].get<std::vector<int32_t>>();
        const auto actual = encode_ids(*tokenizer, text, with_special);
        ++total;
        if (actual != expected && ++failures <= 3) {
          ADD_FAILURE() << style << " " << set << ": " << describe(text, expected, actual);
        }
      }
    }
    EXPECT_EQ(failures, 0) << style << ": " << failures << " of " << total << " differ";
    EXPECT_EQ(total, 320) << style;
  }
}

TEST(TokenizerJson, EveryFixtureText) {
  const json fixtures = read_json(kData / "fixture_ids.json")["fixtures"];
  ASSERT_EQ(fixtures.size(), 9u);
  for (const json& fixture : fixtures) {
    auto tokenizer = load_style(fixture["tokenizer_style"].get<std::string>());
    ASSERT_TRUE(tokenizer);
    for (size_t i = 0; i < fixture["texts"].size(); ++i) {
      const std::string text = fixture["texts"][i].get<std::string>();
      const auto expected = fixture["ids"][i].get<std::vector<int32_t>>();
      const auto actual = encode_ids(*tokenizer, text, true);
      EXPECT_EQ(actual, expected) << fixture["fixture"] << ": " << describe(text, expected, actual);
    }
  }
}

// On every reference text: the tokens tile the text (special tokens of the post-processor
// aside, with empty spans at its ends), spans never go back, every display text is valid
// UTF-8 and, for a token holding whole characters, the text the user typed; a token holding
// part of a character shows its bytes as <0xNN> and names the characters' span.
TEST(TokenizerJson, SpansTileTheTextAndShowWhatWasTyped) {
  for (const char* style : kStyles) {
    auto tokenizer = load_style(style);
    ASSERT_TRUE(tokenizer);
    int failures = 0;
    const json reference = read_json(kData / style / "reference.json");
    for (const json& item : reference["items"]) {
      const std::string text = item["text"].get<std::string>();
      auto tokens = tokenizer->encode(text);
      ASSERT_TRUE(tokens.ok());
      std::string problem;
      size_t covered = 0;
      for (size_t i = 0; i < tokens->size() && problem.empty(); ++i) {
        const Token& t = (*tokens)[i];
        const std::string where = "token " + std::to_string(i) + " " + json(t.text).dump();
        if (!unicode::validate_utf8(t.text).ok()) problem = where + " is not valid UTF-8";
        if (t.special && t.start == t.end) continue;
        if (t.start != covered || t.end < t.start || t.end > text.size()) {
          problem = where + " spans [" + std::to_string(t.start) + ", " + std::to_string(t.end) +
                    ") after byte " + std::to_string(covered);
        } else if (!t.partial && t.end > t.start &&
                   t.text != text.substr(t.start, t.end - t.start)) {
          problem = where + " is not the typed text";
        } else if (t.partial &&
                   (t.text.find("<0x") == std::string::npos || t.char_start > t.start ||
                    t.char_end < t.end || t.char_end > text.size())) {
          problem = where + " is a piece of a character but says so wrongly";
        }
        covered = t.end;
      }
      if (problem.empty() && covered != text.size()) {
        problem = "tokens end at byte " + std::to_string(covered);
      }
      if (!problem.empty() && ++failures <= 3) {
        ADD_FAILURE() << style << ": " << json(text).dump() << ": " << problem;
      }
    }
    EXPECT_EQ(failures, 0) << style;
  }
}

TEST(TokenizerJson, ByteFallbackPiecesShowAsBytesAndMergeForDisplay) {
  auto tokenizer = load_style("spm");
  ASSERT_TRUE(tokenizer);
  const std::string text = "a \U0001F600!";  // 😀 is F0 9F 98 80, not in the vocabulary
  auto tokens = tokenizer->encode(text);
  ASSERT_TRUE(tokens.ok());
  // <s>, "▁a", "▁", 4 byte-fallback pieces, "!"
  std::vector<std::string> texts;
  for (const Token& t : tokens.value()) texts.push_back(t.text);
  EXPECT_EQ(texts, (std::vector<std::string>{"<s>", "a", " ", "<0xF0>", "<0x9F>", "<0x98>",
                                             "<0x80>", "!"}));
  for (size_t i = 3; i < 7; ++i) {
    const Token& piece = tokens.value()[i];
    EXPECT_TRUE(piece.partial);
    EXPECT_EQ(piece.start, i - 3 + 2);  // exact bytes: the text was not normalized there
    EXPECT_EQ(piece.end, piece.start + 1);
    EXPECT_EQ(piece.char_start, 2u);
    EXPECT_EQ(piece.char_end, 6u);
    EXPECT_EQ(tokenizer->token_text(piece.id), piece.text);
  }
  const std::vector<TokenGroup> groups = group_character_pieces(tokens.value());
  ASSERT_EQ(groups.size(), 5u);
  EXPECT_EQ(groups[3], (TokenGroup{3, 7}));
  EXPECT_EQ(group_text(tokens.value(), groups[3]), "\U0001F600");
  EXPECT_EQ(group_text(tokens.value(), groups[1]), "a");
  // A group the text cuts short shows its bytes.
  EXPECT_EQ(joined_text(tokens.value(), 3, 5), "<0xF0><0x9F>");
  // The vocabulary's own spelling of ids: "▁" is a space, <0x0A> a line break.
  EXPECT_EQ(tokenizer->token_text(2000), " ");
  EXPECT_EQ(tokenizer->decode(ids_of(tokens.value())), "<s> a \U0001F600!");

  // Byte-level BPE: a character split between tokens shows the same way.
  auto qwen = load_style("qwen");
  ASSERT_TRUE(qwen);
  auto split = qwen->encode("\U0001F600");
  ASSERT_TRUE(split.ok());
  ASSERT_GT(split->size(), 1u);
  for (const Token& t : split.value()) {
    EXPECT_TRUE(t.partial);
    EXPECT_EQ(t.char_start, 0u);
    EXPECT_EQ(t.char_end, 4u);
  }
  EXPECT_EQ(group_character_pieces(split.value()).size(), 1u);
  EXPECT_EQ(qwen->decode(ids_of(split.value())), "\U0001F600");
}

// Every tooltip's line under a token says what share of a character a piece holds (issue 11,
// item 7: byte pieces showed only their id).
TEST(TokenizerJson, TokenDetailsSayAPiecesShareOfItsCharacter) {
  auto tokenizer = load_style("spm");
  ASSERT_TRUE(tokenizer);
  auto tokens = tokenizer->encode("a \U0001F600!");  // <s>, "a", " ", 4 byte pieces, "!"
  ASSERT_TRUE(tokens.ok());
  ASSERT_EQ(tokens->size(), 8u);
  EXPECT_EQ(token_details(tokens.value(), 0), "id 1, bytes 0..0, special");
  EXPECT_EQ(token_details(tokens.value(), 4),
            "id " + std::to_string((*tokens)[4].id) +
                ", bytes 3..4, byte 2 of 4 of \"\U0001F600\" (U+1F600)");
  EXPECT_EQ(token_details(tokens.value(), 7).find("of"), std::string::npos);
  // A text cut inside the character: the pieces it kept cannot spell it.
  EXPECT_NE(token_details(std::span(tokens.value()).first(5), 4).find("byte 2 of 2 of an incomplete character"),
            std::string::npos);

  // Byte-level BPE may put several bytes of one character in one token.
  auto qwen = load_style("qwen");
  ASSERT_TRUE(qwen);
  auto split = qwen->encode("\u65E5");  // 日: E6 97 A5
  ASSERT_TRUE(split.ok());
  ASSERT_GT(split->size(), 1u);
  size_t first_byte = 1;
  for (size_t i = 0; i < split->size(); ++i) {
    const size_t own = (*split)[i].bytes.size();
    const std::string share = own == 1 ? "byte " + std::to_string(first_byte)
                                       : "bytes " + std::to_string(first_byte) + "-" +
                                             std::to_string(first_byte + own - 1);
    EXPECT_NE(token_details(split.value(), i).find(share + " of 3 of \"\u65E5\" (U+65E5)"),
              std::string::npos)
        << token_details(split.value(), i);
    first_byte += own;
  }
}

// NFC composes e + U+0301 + U+0301 into é + U+0301 (one changed run of 5 typed bytes), and
// Qwen's regex then cuts between é (a letter) and U+0301 (a mark): the run belongs to the first
// token; the pieces after it get empty spans at its end, so spans never overlap.
TEST(TokenizerJson, AComposedRunCutByThePreTokenizer) {
  auto qwen = load_style("qwen");
  ASSERT_TRUE(qwen);
  const std::string text = "xe\u0301\u0301y";
  auto tokens = qwen->encode(text);
  ASSERT_TRUE(tokens.ok());
  size_t covered = 0;
  for (const Token& t : tokens.value()) {
    EXPECT_GE(t.start, covered) << t.text;
    EXPECT_LE(t.start, t.end) << t.text;
    covered = t.end;
  }
  EXPECT_EQ(covered, text.size());
  EXPECT_EQ(joined_text(tokens.value(), 0, int(tokens->size())), "x\u00E9\u0301y");
}

TEST(TokenizerJson, SpecialTokenIdsFromTheConfig) {
  const std::pair<const char*, SpecialTokenIds> expected[] = {
      {"gemma", {2, 7, 0, 3}},          {"llama3", {2500, 2501, -1, -1}},
      {"neox", {2500, 2500, -1, 2500}}, {"phi3", {1, 2276, 2276, 0}},
      {"qwen", {-1, 2502, 2500, -1}},   {"spm", {1, 2, -1, 0}},
  };
  for (const auto& [style, ids] : expected) {
    auto tokenizer = load_style(style);
    ASSERT_TRUE(tokenizer);
    EXPECT_EQ(tokenizer->special_token_ids(), ids) << style;
    if (ids.eos >= 0) {
      EXPECT_TRUE(tokenizer->is_special(ids.eos)) << style;
    }
    EXPECT_FALSE(tokenizer->is_special(100)) << style;
  }
}

// A scratch model folder holding one style's files, with tokenizer.json and
// tokenizer_config.json edited.
class EditedTokenizer : public ::testing::Test {
 protected:
  void TearDown() override { fs::remove_all(dir_); }
  void write(
      const std::string& style, const std::function<void(json&)>& edit_tokenizer,
      const std::function<void(json&)>& edit_config = [](json&) {}) {
    dir_ = scratch_folder(std::string("attnviz_test_tokenizer_json_") +
                          ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::create_directories(dir_);
    json tokenizer = read_json(kData / style / "tokenizer.json");
    json config = read_json(kData / style / "tokenizer_config.json");
    edit_tokenizer(tokenizer);
    edit_config(config);
    std::ofstream(dir_ / "tokenizer.json") << tokenizer.dump();
    std::ofstream(dir_ / "tokenizer_config.json") << config.dump();
  }
  Result<std::unique_ptr<Tokenizer>> load() {
    return load_tokenizer(dir_, TokenizerKind::kTokenizerJson);
  }
  std::string error() {
    auto loaded = load();
    return loaded.ok() ? "(loaded)" : loaded.error().message;
  }
  fs::path dir_;
};

// transformers' LlamaTokenizerFast rebuilds the template from add_bos_token / add_eos_token.
TEST_F(EditedTokenizer, LlamaConfigDecidesBosAndEos) {
  write(
      "spm", [](json&) {},
      [](json& config) {
        config["add_bos_token"] = false;
        config["add_eos_token"] = true;
      });
  auto tokenizer = load();
  ASSERT_TRUE(tokenizer.ok()) << tokenizer.error().message;
  auto tokens = tokenizer.value()->encode("Hi");
  ASSERT_TRUE(tokens.ok());
  EXPECT_NE(tokens->front().id, 1);
  EXPECT_EQ(tokens->back(), (Token{2, "</s>", 2, 2, true}));

  // Gemma's default is a BOS even when the config does not say.
  write(
      "gemma", [](json&) {}, [](json& config) { config.erase("add_bos_token"); });
  tokenizer = load();
  ASSERT_TRUE(tokenizer.ok()) << tokenizer.error().message;
  EXPECT_EQ(tokenizer.value()->encode("Hi")->front(), (Token{2, "<bos>", 0, 0, true}));

  write(
      "spm", [](json&) {}, [](json& config) { config["bos_token"] = nullptr; });
  EXPECT_NE(error().find("asks to add the bos_token but names none"), std::string::npos) << error();
}

// Other classes (PreTrainedTokenizerFast here) keep tokenizer.json's post-processor.
TEST_F(EditedTokenizer, OtherClassesKeepThePostProcessor) {
  write("llama3", [](json& t) { t["post_processor"] = nullptr; });
  auto tokenizer = load();
  ASSERT_TRUE(tokenizer.ok()) << tokenizer.error().message;
  EXPECT_NE(tokenizer.value()->encode("Hi")->front().id, 2500);
  write("llama3", [](json& t) {
    t["post_processor"] = {{"type", "BertProcessing"},
                           {"cls", {"<|begin_of_text|>", 2500}},
                           {"sep", {"<|end_of_text|>", 2501}}};
  });
  tokenizer = load();
  ASSERT_TRUE(tokenizer.ok()) << tokenizer.error().message;
  const auto ids = ids_of(tokenizer.value()->encode("Hi").value());
  EXPECT_EQ(ids.front(), 2500);
  EXPECT_EQ(ids.back(), 2501);
}

TEST_F(EditedTokenizer, AddedTokenFlags) {
  write("qwen", [](json& t) {
    auto add = [&](const std::string& content, bool lstrip, bool rstrip, bool single_word,
                   bool normalized) {
      t["added_tokens"].push_back({{"id", 0},
                                   {"content", content},
                                   {"lstrip", lstrip},
                                   {"rstrip", rstrip},
                                   {"single_word", single_word},
                                   {"normalized", normalized},
                                   {"special", false}});
    };
    add("<l>", true, false, false, false);
    add("<r>", false, true, false, false);
    add("wq", false, false, true, false);
    add("caf\u00E9!", false, false, false, true);  // matched after NFC
  });
  auto tokenizer = load();
  ASSERT_TRUE(tokenizer.ok()) << tokenizer.error().message;
  // As in HF's AddedVocabulary, the file's "id" is not used: the new ids follow the
  // vocabulary's 2500 entries in file order (<|endoftext|> ... </think> are 2500-2504).
  auto added = [&](const std::string& text) {
    std::vector<std::tuple<int32_t, size_t, size_t>> found;
    const auto tokens = tokenizer.value()->encode(text);
    for (const Token& t : tokens.value()) {
      if (t.id >= 2505) found.push_back({t.id, t.start, t.end});
    }
    return found;
  };
  using Found = std::vector<std::tuple<int32_t, size_t, size_t>>;
  EXPECT_EQ(added("a  <l>b"), (Found{{2505, 1, 6}}));  // takes the spaces on its left
  EXPECT_EQ(added("a<r>  b"), (Found{{2506, 1, 6}}));  // and on its right
  // Only where no \w character touches it.
  EXPECT_EQ(added("wq wqs awq wq."), (Found{{2507, 0, 2}, {2507, 11, 13}}));
  // Typed decomposed (e + U+0301): NFC makes it the token's spelling; the span is as typed.
  EXPECT_EQ(added("x cafe\u0301!"), (Found{{2508, 2, 9}}));
  write("qwen", [](json& t) {
    t["added_tokens"].push_back({{"id", 0}, {"content", "word"}, {"special", false}});
  });
  tokenizer = load();
  ASSERT_TRUE(tokenizer.ok()) << tokenizer.error().message;
  // A content already in the vocabulary keeps the vocabulary's id.
  EXPECT_EQ(ids_of(tokenizer.value()->encode("aword").value()), (std::vector<int32_t>{64, 1158}));
}

TEST_F(EditedTokenizer, MetaspaceMatchesPrependAndReplace) {
  write("spm", [](json& t) {
    t["normalizer"] = nullptr;
    t["pre_tokenizer"] = {{"type", "Metaspace"},
                          {"replacement", "\u2581"},
                          {"prepend_scheme", "first"},
                          {"split", false}};
  });
  auto metaspace = load();
  ASSERT_TRUE(metaspace.ok()) << metaspace.error().message;
  auto spm = load_style("spm");
  int compared = 0;
  const json reference = read_json(kData / "spm" / "reference.json");
  for (const json& item : reference["items"]) {
    const std::string text = item["text"].get<std::string>();
    // Added tokens restart Prepend, and Metaspace adds no marker before a leading space.
    if (text.find('<') != std::string::npos || text.starts_with(' ')) continue;
    EXPECT_EQ(encode_ids(*metaspace.value(), text, true), encode_ids(*spm, text, true))
        << json(text).dump();
    ++compared;
  }
  EXPECT_GT(compared, 100);
}

TEST_F(EditedTokenizer, UnsupportedPartsAreNamed) {
  write("qwen", [](json& t) { t["model"]["type"] = "Unigram"; });
  EXPECT_NE(error().find("tokenizer.json: model.type 'Unigram' is not supported (attnviz reads "
                         "BPE and WordPiece models)"),
            std::string::npos)
      << error();
  write("qwen", [](json& t) { t["model"] = {{"type", "WordLevel"}, {"vocab", json::object()}}; });
  EXPECT_NE(error().find("model.type 'WordLevel' is not supported"), std::string::npos) << error();
  write("qwen", [](json& t) { t["pre_tokenizer"] = {{"type", "UnicodeScripts"}}; });
  EXPECT_NE(error().find("tokenizer.json: pre_tokenizer: pre-tokenizer type 'UnicodeScripts' is "
                         "not supported (attnviz runs ByteLevel, Split"),
            std::string::npos)
      << error();
  write("qwen", [](json& t) {
    t["normalizer"] = {{"type", "Sequence"},
                       {"normalizers", {{{"type", "NFC"}}, {{"type", "Precompiled"}}}}};
  });
  EXPECT_NE(error().find("normalizer.normalizers[1]: normalizer type 'Precompiled' is not "
                         "supported"),
            std::string::npos)
      << error();
  write("qwen", [](json& t) { t["post_processor"] = {{"type", "Mystery"}}; });
  EXPECT_NE(error().find("post-processor type 'Mystery' is not supported"), std::string::npos)
      << error();
  write("qwen", [](json& t) { t["model"]["dropout"] = 0.1; });
  EXPECT_NE(error().find("model.dropout 0.1: BPE-dropout"), std::string::npos) << error();
  write("qwen", [](json& t) { t["pre_tokenizer"]["pretokenizers"][0]["pattern"]["Regex"] = "(a"; });
  EXPECT_NE(error().find("pattern.Regex '(a': the regex does not compile"), std::string::npos)
      << error();
  write(
      "spm", [](json& t) { t["post_processor"]["single"][0]["SpecialToken"]["id"] = "<x>"; },
      [](json& config) { config["tokenizer_class"] = "PreTrainedTokenizerFast"; });
  EXPECT_NE(error().find("special token '<x>' has no entry"), std::string::npos) << error();
}

// Ids are bounded by the number of entries and by config.json's vocab_size.
TEST_F(EditedTokenizer, IdsAreBounded) {
  write("qwen", [](json& t) { t["model"]["vocab"]["Ġhuge"] = 16777215; });
  EXPECT_NE(error().find("model.vocab: token 'Ġhuge' has id 16777215; ids must be integers "
                         "from 0 to 5257 for a vocabulary of 2501 entries"),
            std::string::npos)
      << error();
  write("qwen", [](json&) {});
  std::ofstream(dir_ / "config.json") << R"({"model_type": "qwen3", "vocab_size": 2504})";
  EXPECT_NE(error().find("the tokenizer has 2505 ids (up to 2504) but"), std::string::npos)
      << error();
  std::ofstream(dir_ / "config.json") << R"({"model_type": "qwen3", "vocab_size": 2560})";
  EXPECT_TRUE(load().ok());
}

// HF keeps a pending unk pending across byte-fallback pieces (models/bpe/model.rs): in a
// vocabulary that lacks <0xE2>, "☃ж☃" is <0xD0> <0xB6> then one fused unk. The ids follow HF;
// the unk's span starts after the bytes so that spans stay in order (found by replaying the
// fuzz_tokenizer_json seeds of the Phi-3 and Llama 2 styles, trimmed to a few byte tokens).
TEST_F(EditedTokenizer, AnUnkKeptPendingAcrossByteFallbackKeepsSpansInOrder) {
  write("spm", [](json& t) { t["model"]["vocab"].erase("<0xE2>"); });
  auto tokenizer = load();
  ASSERT_TRUE(tokenizer.ok()) << tokenizer.error().message;
  const std::string text = "\xE2\x98\x83\xD0\xB6\xE2\x98\x83";  // ☃ж☃
  auto tokens = tokenizer.value()->encode(text);
  ASSERT_TRUE(tokens.ok());
  std::vector<std::array<size_t, 3>> got;  // id, start, end
  for (const Token& t : tokens.value()) got.push_back({size_t(t.id), t.start, t.end});
  // <s>; the prepended ▁; the bytes of ж; one unk for both snowmen, after the bytes as in HF,
  // spanning what is left after them (the second snowman).
  const std::vector<std::array<size_t, 3>> expected = {
      {1, 0, 0}, {2000, 0, 0}, {3 + 0xD0, 3, 4}, {3 + 0xB6, 4, 5}, {0, 5, 8}};
  EXPECT_EQ(got, expected);
}

}  // namespace
}  // namespace attnviz
