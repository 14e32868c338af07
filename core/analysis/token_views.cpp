#include "core/analysis/token_views.h"

#include <algorithm>
#include <cassert>

#include "core/unicode.h"

namespace attnviz {
namespace {

bool is_ascii_punctuation(unsigned char c) {
  return (c >= 33 && c <= 47) || (c >= 58 && c <= 64) || (c >= 91 && c <= 96) ||
         (c >= 123 && c <= 126);
}

bool is_space(unsigned char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

bool punctuation_only(const std::string& text) {
  if (text.empty()) return false;
  for (unsigned char c : text)
    if (!is_ascii_punctuation(c)) return false;
  return true;
}

bool starts_word(std::span<const Token> tokens, size_t i, WordRule rule) {
  if (i == 0) return true;
  const Token& token = tokens[i];
  const Token& previous = tokens[i - 1];
  if (token.special || previous.special) return true;
  // Imported tokens may have no spans (all 0); only a real gap counts.
  if (token.start > previous.end) return true;
  // A piece of a character another token began (byte fallback, byte-level BPE) continues it.
  if (token.partial && token.char_start < previous.end) return false;
  if (rule == WordRule::kWordPiece) return token.text.rfind("##", 0) != 0;
  // A piece of a character shows "<0xNN>"; its bytes say what it holds.
  const std::string& text = token.partial ? token.bytes : token.text;
  if (text.empty()) return false;
  const auto first = static_cast<unsigned char>(text[0]);
  return is_space(first) || is_ascii_punctuation(first) ||
         punctuation_only(previous.partial ? previous.bytes : previous.text);
}

void write_dense_head(std::span<const float> map, AttentionTrace& trace, int layer, int head) {
  const int t = trace.tokens_count();
  for (int q = 0; q < t; ++q) {
    std::span<float> row = trace.mutable_row(layer, head, q);
    const float* src = map.data() + static_cast<size_t>(q) * t;
    std::copy(src, src + row.size(), row.begin());
  }
}

}  // namespace

WordRule detect_word_rule(std::span<const Token> tokens) {
  for (const Token& token : tokens)
    if (token.text.rfind("##", 0) == 0 || token.text == "[CLS]" || token.text == "[SEP]")
      return WordRule::kWordPiece;
  return WordRule::kLeadingSpace;
}

std::vector<WordGroup> group_words(std::span<const Token> tokens, WordRule rule) {
  std::vector<WordGroup> words;
  for (size_t i = 0; i < tokens.size(); ++i) {
    if (starts_word(tokens, i, rule)) {
      words.push_back({static_cast<int>(i), static_cast<int>(i), ""});
    }
    WordGroup& word = words.back();
    word.end = static_cast<int>(i) + 1;
    const std::string& text = tokens[i].text;
    const bool continuation = rule == WordRule::kWordPiece && word.first != static_cast<int>(i) &&
                              text.rfind("##", 0) == 0;
    word.text += continuation ? text.substr(2) : tokens[i].partial ? tokens[i].bytes : text;
  }
  // Pieces of one character are joined above; what no token completes shows as <0xNN>.
  for (WordGroup& word : words) word.text = unicode::display_bytes(word.text);
  return words;
}

std::vector<float> merge_words(std::span<const float> map, int tokens,
                               std::span<const WordGroup> words) {
  assert(map.size() >= static_cast<size_t>(tokens) * tokens && "merge_words: map too small");
  const size_t w = words.size();
  std::vector<int> word_of(tokens, -1);
  for (size_t a = 0; a < w; ++a)
    for (int i = words[a].first; i < words[a].end; ++i) word_of[i] = static_cast<int>(a);
  std::vector<float> merged(w * w, 0.0f);  // (W, W)
  std::vector<double> row_sum(w);
  for (size_t a = 0; a < w; ++a) {
    std::fill(row_sum.begin(), row_sum.end(), 0.0);
    for (int i = words[a].first; i < words[a].end; ++i) {
      const float* src = map.data() + static_cast<size_t>(i) * tokens;
      for (int j = 0; j < tokens; ++j) {
        assert(word_of[j] >= 0 && "merge_words: the words must cover every token");
        row_sum[word_of[j]] += src[j];
      }
    }
    const double queries = words[a].end - words[a].first;
    for (size_t b = 0; b < w; ++b) merged[a * w + b] = static_cast<float>(row_sum[b] / queries);
  }
  return merged;
}

std::shared_ptr<AttentionTrace> merge_trace_words(const AttentionTrace& trace,
                                                  std::span<const WordGroup> words) {
  const auto& tokens = trace.tokens();
  std::vector<Token> word_tokens;
  for (const WordGroup& word : words) {
    assert(word.first < word.end && word.end <= trace.tokens_count() && "merge: bad word");
    Token token;
    token.id = tokens[word.first].id;
    token.text = word.text;
    token.start = tokens[word.first].start;
    token.end = tokens[word.end - 1].end;
    token.special = word.end - word.first == 1 && tokens[word.first].special;
    word_tokens.push_back(std::move(token));
  }
  auto merged = std::make_shared<AttentionTrace>(std::move(word_tokens), trace.layers(),
                                                 trace.heads(), trace.causal());
  merged->model_name = trace.model_name;
  merged->options = trace.options;
  const int t = trace.tokens_count();
  std::vector<float> head(static_cast<size_t>(t) * t);  // (T, T)
  for (int l = 0; l < trace.layers(); ++l) {
    for (int h = 0; h < trace.heads(); ++h) {
      trace.copy_head(l, h, head);
      write_dense_head(merge_words(head, t, words), *merged, l, h);
    }
  }
  if (trace.predictions.size() == tokens.size()) {
    for (const WordGroup& word : words)
      merged->predictions.push_back(trace.predictions[word.end - 1]);
  }
  return merged;
}

std::vector<bool> first_token_mask(int tokens) {
  std::vector<bool> hidden(tokens, false);
  if (tokens > 0) hidden[0] = true;
  return hidden;
}

std::vector<bool> special_token_mask(std::span<const Token> tokens) {
  std::vector<bool> hidden;
  for (const Token& token : tokens) hidden.push_back(token.special);
  return hidden;
}

HiddenView hide_tokens(std::span<const float> map, int tokens, const std::vector<bool>& hidden) {
  assert(map.size() >= static_cast<size_t>(tokens) * tokens && "hide_tokens: map too small");
  assert(hidden.size() == static_cast<size_t>(tokens) && "hide_tokens: one flag per token");
  HiddenView view;
  for (int i = 0; i < tokens; ++i)
    if (!hidden[i]) view.kept.push_back(i);
  const size_t k = view.kept.size();
  view.map.assign(k * k, 0.0f);
  view.absorbed.assign(k, 0.0f);
  for (size_t a = 0; a < k; ++a) {
    const float* src = map.data() + static_cast<size_t>(view.kept[a]) * tokens;
    double total = 0.0, kept_mass = 0.0;
    for (int j = 0; j < tokens; ++j) {
      total += src[j];
      if (!hidden[j]) kept_mass += src[j];
    }
    if (total > 0.0) view.absorbed[a] = static_cast<float>((total - kept_mass) / total);
    if (kept_mass <= 0.0) continue;  // everything went to hidden tokens: an empty row
    for (size_t b = 0; b < k; ++b)
      view.map[a * k + b] = static_cast<float>(src[view.kept[b]] / kept_mass);
  }
  return view;
}

HiddenTrace hide_trace_tokens(const AttentionTrace& trace, const std::vector<bool>& hidden) {
  const int t = trace.tokens_count();
  assert(hidden.size() == static_cast<size_t>(t) && "hide_trace_tokens: one flag per token");
  HiddenTrace result;
  std::vector<Token> kept_tokens;
  for (int i = 0; i < t; ++i) {
    if (hidden[i]) continue;
    result.kept.push_back(i);
    kept_tokens.push_back(trace.tokens()[i]);
  }
  // Dropping rows and columns of a lower-triangular map keeps it lower-triangular.
  result.trace = std::make_shared<AttentionTrace>(std::move(kept_tokens), trace.layers(),
                                                  trace.heads(), trace.causal());
  result.trace->model_name = trace.model_name;
  result.trace->options = trace.options;
  std::vector<float> head(static_cast<size_t>(t) * t);  // (T, T)
  for (int l = 0; l < trace.layers(); ++l) {
    for (int h = 0; h < trace.heads(); ++h) {
      trace.copy_head(l, h, head);
      HiddenView view = hide_tokens(head, t, hidden);
      write_dense_head(view.map, *result.trace, l, h);
      result.absorbed.insert(result.absorbed.end(), view.absorbed.begin(), view.absorbed.end());
    }
  }
  if (trace.predictions.size() == static_cast<size_t>(t))
    for (int i : result.kept) result.trace->predictions.push_back(trace.predictions[i]);
  return result;
}

}  // namespace attnviz
