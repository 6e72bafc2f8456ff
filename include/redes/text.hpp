// Words for character-level language models: a word list (one word a line), filtered,
// split by seed, encoded as sequences of character ids with begin, end and padding tokens;
// and the n-gram baselines a language model must beat.
//
// A word "cat" becomes inputs  [<s>, c, a, t, <pad>, ...]   (T ids)
//                      targets [c,   a, t, </s>, -1,  ...]   (T ids; -1: ignored)
// with T = max_length + 1, so that position i predicts the character after the first i.
#pragma once
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "redes/tensor.hpp"

namespace redes {

struct TextSpec {
  std::string path;          // one word a line (Debian's wamerican: /usr/share/dict/words)
  bool lowercase = false;    // fold capitals to lower case; false: drop words with capitals
  bool apostrophes = false;  // keep words with apostrophes ("'" joins the vocabulary)
  int64_t min_length = 1, max_length = 16;  // in characters; other words are dropped
  double fraction = 1.0;                    // use this fraction of the kept words (drawn by seed)
  double test_fraction = 0.1, validation_fraction = 0.1;
};

struct WordList {
  std::string source;
  std::vector<std::string> words;  // kept, unique, sorted
  int64_t lines = 0;               // lines read
};

// Reads and filters the word list: words of the letters a-z (and ' with apostrophes) whose
// length is within the limits. An unreadable file, an empty one, or one with no word left is a
// DataError naming the file.
WordList read_words(const TextSpec& spec);

// The tokens: 0 padding, 1 begin of word, 2 end of word, then the characters in byte order.
class Vocabulary {
 public:
  static constexpr int kPad = 0, kBegin = 1, kEnd = 2;
  Vocabulary() = default;
  explicit Vocabulary(const std::vector<std::string>& words);  // every character that occurs
  static Vocabulary from_tokens(const std::vector<std::string>& tokens);

  int64_t size() const { return static_cast<int64_t>(tokens_.size()); }
  const std::vector<std::string>& tokens() const { return tokens_; }
  // The id of a character; -1 when it is not in the vocabulary.
  int id(unsigned char c) const { return ids_[c]; }
  const std::string& token(int64_t id) const { return tokens_[id]; }
  bool is_char(int64_t id) const { return id >= 3 && id < size(); }

 private:
  std::vector<std::string> tokens_;
  int ids_[256];
};

// x and y become (N, T) with T = max_length + 1: input ids and target ids (-1 past the end),
// as floats for the network. A character outside the vocabulary is an Error.
void encode_words(const Vocabulary& vocab, const std::vector<std::string>& words,
                  int64_t max_length, Tensor& x, Tensor& y);

// The train / validation / test split of the words, drawn by seed after keeping
// spec.fraction of them.
struct WordSplits {
  std::vector<std::string> train, val, test;
};
WordSplits split_words(const WordList& list, const TextSpec& spec, uint64_t seed);

// A character n-gram model (n = 1 unigram, 2 bigram) over the targets of the words (the
// characters and the end token), fitted on training words with add-one (Laplace) smoothing:
// P(c | h) = (count(h, c) + 1) / (count(h) + S), S = the number of possible targets.
class NgramModel {
 public:
  NgramModel(const Vocabulary& vocab, int order, const std::vector<std::string>& train);
  // -log P(target | history) summed over every target of the words, and their count.
  double nll(const std::vector<std::string>& words, int64_t* targets) const;
  // exp(mean -log P) over the targets of the words.
  double perplexity(const std::vector<std::string>& words) const;

 private:
  Vocabulary vocab_;
  int order_;
  int64_t V_;                   // vocabulary size; the counts are indexed by token id
  std::vector<double> counts_;  // (V histories, V targets); unigram uses row 0
  std::vector<double> totals_;  // (V)
  double outcomes_;             // S: characters + the end token
};

}  // namespace redes
