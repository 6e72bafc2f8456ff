// Word lists for character-level language models: reading and filtering, the vocabulary,
// encoding with begin / end / padding tokens, the split by seed and the n-gram baselines.
#include "redes/text.hpp"

#include <algorithm>
#include <cmath>

#include "redes/error.hpp"
#include "redes/files.hpp"
#include "redes/rng.hpp"

namespace redes {

WordList read_words(const TextSpec& spec) {
  const std::string text = read_file<DataError>(spec.path, uint64_t(256) << 20, "a word list");
  WordList list;
  list.source = spec.path;
  size_t pos = 0;
  bool any = false;
  while (pos < text.size()) {
    size_t end = text.find('\n', pos);
    if (end == std::string::npos) end = text.size();
    std::string w = text.substr(pos, end - pos);
    pos = end + 1;
    ++list.lines;
    while (!w.empty() && (w.back() == '\r' || w.back() == ' ' || w.back() == '\t')) w.pop_back();
    if (w.empty()) continue;
    any = true;
    if (spec.lowercase)
      for (char& c : w)
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    const bool letters = std::all_of(w.begin(), w.end(), [&](char c) {
      return (c >= 'a' && c <= 'z') || (spec.apostrophes && c == '\'');
    });
    const auto len = static_cast<int64_t>(w.size());
    if (letters && len >= spec.min_length && len <= spec.max_length)
      list.words.push_back(std::move(w));
  }
  if (!any) throw DataError(spec.path + ": the word list is empty");
  std::sort(list.words.begin(), list.words.end());
  list.words.erase(std::unique(list.words.begin(), list.words.end()), list.words.end());
  if (list.words.empty())
    throw DataError(
        spec.path + ": no word left after filtering " + std::to_string(list.lines) +
        " lines (kept: words of the letters a-z" + (spec.apostrophes ? " and '" : "") + ", " +
        std::to_string(spec.min_length) + " to " + std::to_string(spec.max_length) + " long" +
        (spec.lowercase ? "" : ", without capitals: set lowercase = true to fold them") + ")");
  return list;
}

// ---- vocabulary ---------------------------------------------------------------------------

Vocabulary::Vocabulary(const std::vector<std::string>& words) {
  bool seen[256] = {};
  for (const auto& w : words)
    for (unsigned char c : w) seen[c] = true;
  std::vector<std::string> tokens = {"<pad>", "<s>", "</s>"};
  for (int c = 0; c < 256; ++c)
    if (seen[c]) tokens.push_back(std::string(1, static_cast<char>(c)));
  *this = from_tokens(tokens);
}

Vocabulary Vocabulary::from_tokens(const std::vector<std::string>& tokens) {
  REDES_CHECK(tokens.size() >= 3 && tokens[kPad] == "<pad>" && tokens[kBegin] == "<s>" &&
                  tokens[kEnd] == "</s>",
              ModelFileError, "a vocabulary starts with <pad>, <s>, </s>");
  Vocabulary v;
  v.tokens_ = tokens;
  std::fill(std::begin(v.ids_), std::end(v.ids_), -1);
  for (size_t i = 3; i < tokens.size(); ++i) {
    REDES_CHECK(tokens[i].size() == 1, ModelFileError,
                "vocabulary token '" + tokens[i] + "' is not one character");
    v.ids_[static_cast<unsigned char>(tokens[i][0])] = static_cast<int>(i);
  }
  return v;
}

void encode_words(const Vocabulary& vocab, const std::vector<std::string>& words,
                  int64_t max_length, Tensor& x, Tensor& y) {
  const int64_t n = static_cast<int64_t>(words.size()), T = max_length + 1;
  x = Tensor(Shape{n, T}, float(Vocabulary::kPad));
  y = Tensor(Shape{n, T}, -1.0f);
  for (int64_t i = 0; i < n; ++i) {
    const std::string& w = words[i];
    const auto m = static_cast<int64_t>(w.size());
    REDES_CHECK(m <= max_length, Error,
                "word '" + w + "' is longer than max_length " + std::to_string(max_length));
    float* xi = x.data() + i * T;
    float* yi = y.data() + i * T;
    xi[0] = Vocabulary::kBegin;
    for (int64_t j = 0; j < m; ++j) {
      const int id = vocab.id(static_cast<unsigned char>(w[j]));
      REDES_CHECK(id >= 0, Error, "word '" + w + "' has a character outside the vocabulary");
      xi[j + 1] = static_cast<float>(id);
      yi[j] = static_cast<float>(id);
    }
    yi[m] = Vocabulary::kEnd;
  }
}

WordSplits split_words(const WordList& list, const TextSpec& spec, uint64_t seed) {
  Rng rng(seed ^ 0x770da5ULL);
  const auto order = rng.permutation(static_cast<int64_t>(list.words.size()));
  const auto keep = std::max<int64_t>(1, std::llround(double(order.size()) * spec.fraction));
  const auto n_test = std::llround(keep * spec.test_fraction),
             n_val = std::llround(keep * spec.validation_fraction);
  REDES_CHECK(keep - n_test - n_val >= 1, DataError,
              list.source + ": " + std::to_string(keep) +
                  " words leave none to train on after the test and validation "
                  "splits");
  WordSplits s;
  for (int64_t i = 0; i < keep; ++i) {
    auto& dst = i < n_test ? s.test : i < n_test + n_val ? s.val : s.train;
    dst.push_back(list.words[order[i]]);
  }
  std::sort(s.train.begin(), s.train.end());
  std::sort(s.val.begin(), s.val.end());
  std::sort(s.test.begin(), s.test.end());
  return s;
}

// ---- n-gram baselines ---------------------------------------------------------------------

NgramModel::NgramModel(const Vocabulary& vocab, int order, const std::vector<std::string>& train)
    : vocab_(vocab), order_(order), V_(vocab.size()) {
  REDES_CHECK(order == 1 || order == 2, Error, "n-gram baselines are unigram or bigram");
  counts_.assign(V_ * V_, 0.0);
  totals_.assign(V_, 0.0);
  outcomes_ = static_cast<double>(V_ - 2);  // every token but <pad> and <s> can be a target
  for (const auto& w : train) {
    int prev = Vocabulary::kBegin;
    for (size_t j = 0; j <= w.size(); ++j) {
      const int c = j < w.size() ? vocab.id(static_cast<unsigned char>(w[j])) : Vocabulary::kEnd;
      REDES_CHECK(c >= 0, Error, "word '" + w + "' has a character outside the vocabulary");
      const int h = order_ == 1 ? 0 : prev;
      counts_[h * V_ + c] += 1;
      totals_[h] += 1;
      prev = c;
    }
  }
}

double NgramModel::nll(const std::vector<std::string>& words, int64_t* targets) const {
  double sum = 0;
  int64_t count = 0;
  for (const auto& w : words) {
    int prev = Vocabulary::kBegin;
    for (size_t j = 0; j <= w.size(); ++j) {
      const int c = j < w.size() ? vocab_.id(static_cast<unsigned char>(w[j])) : Vocabulary::kEnd;
      REDES_CHECK(c >= 0, Error, "word '" + w + "' has a character outside the vocabulary");
      const int h = order_ == 1 ? 0 : prev;
      sum -= std::log((counts_[h * V_ + c] + 1) / (totals_[h] + outcomes_));
      ++count;
      prev = c;
    }
  }
  if (targets) *targets = count;
  return sum;
}

double NgramModel::perplexity(const std::vector<std::string>& words) const {
  int64_t n = 0;
  const double s = nll(words, &n);
  return n ? std::exp(s / n) : 0.0;
}

}  // namespace redes
