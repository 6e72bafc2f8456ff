// Word lists: filtering, the vocabulary, encoding with begin / end / padding, the split by
// seed, and the n-gram baselines on a corpus small enough to compute by hand.
#include "redes/text.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <set>

#include "data/data_test_util.hpp"

using namespace redes;
using redes::testing::error_of;
using redes::testing::write_temp;

namespace {

TextSpec spec_for(const std::string& path) {
  TextSpec s;
  s.path = path;
  return s;
}

}  // namespace

TEST(Words, KeepsLowerCaseLettersWithinTheLengthLimits) {
  const auto path = write_temp(
      "w1.txt", "cat\nDog\nit's\ncaf\xc3\xa9\n\nzebra\r\ncat\nabcdefghijklmnopq\nab-c\nx\n");
  TextSpec s = spec_for(path);
  EXPECT_EQ(read_words(s).words, (std::vector<std::string>{"cat", "x", "zebra"}));
  EXPECT_EQ(read_words(s).lines, 10);
  s.lowercase = true;
  EXPECT_EQ(read_words(s).words, (std::vector<std::string>{"cat", "dog", "x", "zebra"}));
  s.apostrophes = true;
  s.min_length = 2;
  EXPECT_EQ(read_words(s).words, (std::vector<std::string>{"cat", "dog", "it's", "zebra"}));
  s.max_length = 17;
  EXPECT_EQ(read_words(s).words.size(), 5u);
}

TEST(Words, EmptyListsAreErrorsNamingTheFile) {
  auto msg = error_of<DataError>([&] { read_words(spec_for(write_temp("w2.txt", "\n\n"))); });
  EXPECT_NE(msg.find("w2.txt: the word list is empty"), std::string::npos) << msg;
  msg = error_of<DataError>([&] { read_words(spec_for(write_temp("w3.txt", "Alice\nBob's\n"))); });
  EXPECT_NE(msg.find("w3.txt: no word left after filtering 2 lines"), std::string::npos) << msg;
  EXPECT_NE(msg.find("lowercase = true"), std::string::npos) << msg;
  msg = error_of<DataError>([&] { read_words(spec_for("/nonexistent/words")); });
  EXPECT_NE(msg.find("/nonexistent/words: cannot open"), std::string::npos) << msg;
}

TEST(Words, VocabularyHasSpecialTokensThenCharacters) {
  const Vocabulary v({"cat", "tea"});
  EXPECT_EQ(v.tokens(), (std::vector<std::string>{"<pad>", "<s>", "</s>", "a", "c", "e", "t"}));
  EXPECT_EQ(v.id('a'), 3);
  EXPECT_EQ(v.id('t'), 6);
  EXPECT_EQ(v.id('z'), -1);
  EXPECT_TRUE(v.is_char(3));
  EXPECT_FALSE(v.is_char(Vocabulary::kEnd));
  EXPECT_EQ(Vocabulary::from_tokens(v.tokens()).id('e'), 5);
  EXPECT_THROW(Vocabulary::from_tokens({"a", "b"}), ModelFileError);
}

TEST(Words, EncodingShiftsTargetsAndPads) {
  const Vocabulary v({"cat"});  // a 3, c 4, t 5
  Tensor x, y;
  encode_words(v, {"cat", "a"}, 4, x, y);
  EXPECT_EQ(x.shape(), Shape({2, 5}));
  EXPECT_EQ(y.shape(), Shape({2, 5}));
  EXPECT_EQ(x.values(), (std::vector<float>{1, 4, 3, 5, 0, /**/ 1, 3, 0, 0, 0}));
  EXPECT_EQ(y.values(), (std::vector<float>{4, 3, 5, 2, -1, /**/ 3, 2, -1, -1, -1}));
  EXPECT_THROW(encode_words(v, {"catcat"}, 4, x, y), Error);
  EXPECT_THROW(encode_words(v, {"dog"}, 4, x, y), Error);
}

TEST(Words, SplitsAreDisjointAndFollowTheSeed) {
  WordList list;
  list.source = "list";
  for (int i = 0; i < 100; ++i)
    list.words.push_back(std::to_string(i).append(1, char('a' + i % 26)));
  TextSpec spec;
  const WordSplits a = split_words(list, spec, 7), b = split_words(list, spec, 7),
                   c = split_words(list, spec, 8);
  EXPECT_EQ(a.train.size(), 80u);
  EXPECT_EQ(a.val.size(), 10u);
  EXPECT_EQ(a.test.size(), 10u);
  EXPECT_EQ(a.test, b.test);
  EXPECT_NE(a.test, c.test);
  std::set<std::string> all(a.train.begin(), a.train.end());
  all.insert(a.val.begin(), a.val.end());
  all.insert(a.test.begin(), a.test.end());
  EXPECT_EQ(all.size(), 100u);
  spec.fraction = 0.5;
  const WordSplits half = split_words(list, spec, 7);
  EXPECT_EQ(half.train.size() + half.val.size() + half.test.size(), 50u);
  spec.fraction = 0.01;  // one word, kept for training: 0.1 of it rounds to no test word
  EXPECT_EQ(split_words(list, spec, 7).train.size(), 1u);
  spec.fraction = 1;
  spec.test_fraction = 0.5;
  spec.validation_fraction = 0.5;
  EXPECT_THROW(split_words(list, spec, 7), DataError);
}

TEST(Words, NgramPerplexitiesMatchHandComputation) {
  // Train on "ab" and "b". Targets: a, b, </s> (S = 3 outcomes).
  //   unigram counts a 1, b 2, </s> 2 of 5:  P = 2/8, 3/8, 3/8 with add-one smoothing.
  //   bigram: <s> -> a 1, b 1 (2);  a -> b 1 (1);  b -> </s> 2 (2).
  const Vocabulary v({"ab", "b"});
  const std::vector<std::string> train = {"ab", "b"}, test = {"ab"};
  const NgramModel uni(v, 1, train), bi(v, 2, train);
  EXPECT_NEAR(uni.perplexity(test), std::cbrt(1.0 / (2.0 / 8 * 3.0 / 8 * 3.0 / 8)), 1e-12);
  // P(a | <s>) = 2/5, P(b | a) = 2/4, P(</s> | b) = 3/5
  EXPECT_NEAR(bi.perplexity(test), std::cbrt(1.0 / (2.0 / 5 * 2.0 / 4 * 3.0 / 5)), 1e-12);
  int64_t n = 0;
  EXPECT_NEAR(bi.nll({"b"}, &n), -std::log(2.0 / 5) - std::log(3.0 / 5), 1e-12);
  EXPECT_EQ(n, 2);
  // An unseen pair still has a probability: P(a | a) = 1/4.
  EXPECT_NEAR(bi.nll({"aa"}, &n), -std::log(2.0 / 5) - std::log(1.0 / 4) - std::log(1.0 / 4),
              1e-12);
}
