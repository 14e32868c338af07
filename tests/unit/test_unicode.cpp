// UTF-8 decoding (strictness, byte offsets, replacement of maximal subparts), code-point
// classes, case mapping and canonical decomposition, checked against values from the Unicode
// standard (Table 3-7, UnicodeData.txt, SpecialCasing.txt).
#include <gtest/gtest.h>

#include "core/unicode.h"

namespace attnviz::unicode {
namespace {

TEST(Utf8, DecodesWithByteSpans) {
  auto chars = decode_utf8("aé東🚀");
  ASSERT_TRUE(chars.ok());
  ASSERT_EQ(chars.value().size(), 4u);
  const std::vector<std::tuple<char32_t, size_t, size_t>> expected = {
      {U'a', 0, 1}, {U'é', 1, 3}, {U'東', 3, 6}, {U'\U0001F680', 6, 10}};
  for (size_t i = 0; i < expected.size(); ++i) {
    EXPECT_EQ(chars.value()[i].code_point, std::get<0>(expected[i])) << i;
    EXPECT_EQ(chars.value()[i].start, std::get<1>(expected[i])) << i;
    EXPECT_EQ(chars.value()[i].end, std::get<2>(expected[i])) << i;
  }
  EXPECT_TRUE(decode_utf8("").ok());
  EXPECT_TRUE(validate_utf8("\U0010FFFF\u0800\u0080").ok());
}

TEST(Utf8, RejectsInvalidSequencesNamingTheByte) {
  const std::vector<std::pair<std::string, size_t>> cases = {
      {"ab\x80", 2},                // lone continuation byte
      {"abc\xC0\xAF", 3},           // overlong '/'
      {"\xE0\x80\xAF", 0},          // overlong 3-byte form
      {"x\xED\xA0\x80", 1},         // UTF-16 surrogate D800
      {"xy\xF4\x90\x80\x80", 2},    // above U+10FFFF
      {"\xF5\x80\x80\x80", 0},      // never a lead byte
      {"hello \xE6\x9D", 6},        // truncated at the end
      {"hello \xE6\x9D world", 6},  // truncated in the middle
      {"12345678901234567\xFF", 17},
  };
  for (const auto& [text, offset] : cases) {
    const std::string expected = "invalid UTF-8 at byte " + std::to_string(offset);
    auto decoded = decode_utf8(text);
    ASSERT_FALSE(decoded.ok()) << expected;
    EXPECT_EQ(decoded.error().message, expected);
    Status valid = validate_utf8(text);
    ASSERT_FALSE(valid.ok()) << expected;
    EXPECT_EQ(valid.error().message, expected);
  }
}

TEST(Utf8, ReplacesEachMaximalSubpartWithOneReplacementCharacter) {
  // Unicode §3.9 "U+FFFD Substitution of Maximal Subparts" examples.
  EXPECT_EQ(replace_invalid_utf8("a\xE6\x9D"
                                 "b"),
            "a\uFFFD"
            "b");                                                         // one truncated sequence
  EXPECT_EQ(replace_invalid_utf8("\xF0\x80\x80"), "\uFFFD\uFFFD\uFFFD");  // F0 80 is not a prefix
  EXPECT_EQ(replace_invalid_utf8("\xF1\x80\x80\x41"),
            "\uFFFD"
            "A");
  EXPECT_EQ(replace_invalid_utf8("\xED\xA0\x80"), "\uFFFD\uFFFD\uFFFD");
  EXPECT_EQ(replace_invalid_utf8("\xC0\xAF"), "\uFFFD\uFFFD");
  EXPECT_EQ(replace_invalid_utf8("ok é"), "ok é");
  EXPECT_EQ(replace_invalid_utf8(""), "");
}

TEST(Utf8, EncodesCodePoints) {
  EXPECT_EQ(to_utf8(U"aé東🚀"), "aé東🚀");
  std::string out;
  append_utf8(out, 0x7F);
  append_utf8(out, 0x80);
  append_utf8(out, 0xFFFF);
  append_utf8(out, 0x10000);
  EXPECT_EQ(out, "\x7F\xC2\x80\xEF\xBF\xBF\xF0\x90\x80\x80");
}

TEST(Classes, LettersNumbersPunctuation) {
  for (char32_t c : {U'a', U'Z', U'é', U'ß', U'Ω', U'東', U'ª', U'ǅ', U'ʰ'}) {
    EXPECT_TRUE(is_letter(c)) << std::hex << uint32_t(c);
  }
  for (char32_t c : {U'1', U'٣', U'²', U'Ⅻ', U'½'}) {
    EXPECT_TRUE(is_number(c)) << std::hex << uint32_t(c);
    EXPECT_FALSE(is_letter(c)) << std::hex << uint32_t(c);
  }
  for (char32_t c : {U' ', U'!', U'\u0301', U'€', U'🚀', U'_'}) {
    EXPECT_FALSE(is_letter(c)) << std::hex << uint32_t(c);
    EXPECT_FALSE(is_number(c)) << std::hex << uint32_t(c);
  }
  for (char32_t c : {U'!', U'_', U'—', U'«', U'¿', U'、', U'(', U'\''}) {
    EXPECT_TRUE(is_punctuation(c)) << std::hex << uint32_t(c);
  }
  for (char32_t c : {U'$', U'+', U'€', U'©', U'a'}) {  // symbols are not P*
    EXPECT_FALSE(is_punctuation(c)) << std::hex << uint32_t(c);
  }
}

TEST(Classes, WhitespaceIsTheWhiteSpaceProperty) {
  for (char32_t c : {0x09, 0x0A, 0x0B, 0x0C, 0x0D, 0x20, 0x85, 0xA0, 0x1680, 0x2000, 0x200A, 0x2028,
                     0x2029, 0x202F, 0x205F, 0x3000}) {
    EXPECT_TRUE(is_whitespace(c)) << std::hex << uint32_t(c);
  }
  for (char32_t c : {0x00, 0x1C, 0x200B, 0x180E, 0xFEFF, 0x61, 0x5F}) {
    EXPECT_FALSE(is_whitespace(c)) << std::hex << uint32_t(c);
  }
}

TEST(Classes, OtherAndMarks) {
  for (char32_t c : {0x00, 0x07, 0x7F, 0x85, 0x200D, 0xFEFF, 0xE000, 0x0378}) {
    EXPECT_TRUE(is_other(c)) << std::hex << uint32_t(c);  // Cc, Cf, Co, Cn
  }
  EXPECT_FALSE(is_other(U'a'));
  EXPECT_TRUE(is_nonspacing_mark(0x0301));
  EXPECT_TRUE(is_nonspacing_mark(0x0308));
  EXPECT_FALSE(is_nonspacing_mark(0x0903));  // Devanagari visarga is Mc
  EXPECT_FALSE(is_nonspacing_mark(U'e'));
}

TEST(Normalization, CanonicalDecomposition) {
  EXPECT_EQ(canonical_decomposition(U'é'), U"e\u0301");
  EXPECT_EQ(canonical_decomposition(U'Ǖ'), U"U\u0308\u0304");        // recursive
  EXPECT_EQ(canonical_decomposition(U'한'), U"\u1112\u1161\u11AB");  // Hangul, algorithmic
  EXPECT_EQ(canonical_decomposition(U'ﬁ'), U"ﬁ");  // compatibility only: NFD keeps it
  EXPECT_EQ(canonical_decomposition(U'a'), U"a");
  EXPECT_EQ(combining_class(0x0301), 230);
  EXPECT_EQ(combining_class(0x0323), 220);
  EXPECT_EQ(combining_class(U'a'), 0);
}

TEST(Normalization, LowerCaseWithoutContext) {
  EXPECT_EQ(to_lower(U'A'), U"a");
  EXPECT_EQ(to_lower(U'É'), U"é");
  EXPECT_EQ(to_lower(U'İ'), U"i\u0307");  // SpecialCasing: expands
  EXPECT_EQ(to_lower(U'Σ'), U"σ");        // no final-sigma context per character
  EXPECT_EQ(to_lower(U'ß'), U"ß");
  EXPECT_EQ(to_lower(U'Ω'), U"ω");
  EXPECT_EQ(to_lower(U'東'), U"東");
}

}  // namespace
}  // namespace attnviz::unicode
