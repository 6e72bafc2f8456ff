// Word lists for the run pipeline: each word a sequence of character ids predicting the next
// character; a report with the n-gram baselines and a few sampled words.
#include <algorithm>

#include "train/loaded_data.hpp"
#include "train/words.hpp"

namespace redes {

LoadedData load_text_data(const Config& config) {
  const TextSpec& spec = config.words;
  const WordList list = read_words(spec);
  const Vocabulary vocab(list.words);
  auto splits = std::make_shared<const WordSplits>(split_words(list, spec, config.seed));

  LoadedData d;
  const auto dataset = [&](const std::vector<std::string>& words) {
    Tensor x, y;  // (N, T) input ids, (N, T) target ids (-1: ignored)
    encode_words(vocab, words, spec.max_length, x, y);
    return std::make_unique<TensorDataset>(std::move(x), std::move(y));
  };
  d.train = dataset(splits->train);
  if (!splits->val.empty()) d.val = dataset(splits->val);
  d.test = dataset(splits->test);
  d.test_inputs = [vocab, splits, max_length = spec.max_length] {
    LoadedData::TestInputs in;
    encode_words(vocab, splits->test, max_length, in.x, in.truth);
    return in;
  };
  d.classes = vocab.tokens();  // each step is classified into the vocabulary
  d.meta = text_meta(spec, vocab);
  d.rows = {{"lines", list.lines},
            {"words", static_cast<int64_t>(list.words.size())},
            {"train", splits->train.size()},
            {"validation", splits->val.size()},
            {"test", splits->test.size()}};
  d.splits = {{"data", spec.path}, {"validation", splits->val}, {"test", splits->test}};
  d.description =
      spec.path + ": " + std::to_string(list.words.size()) + " words kept of " +
      std::to_string(list.lines) + " lines; train " + std::to_string(splits->train.size()) +
      ", validation " + std::to_string(splits->val.size()) + ", test " +
      std::to_string(splits->test.size()) + "; vocabulary " + std::to_string(vocab.size()) +
      " tokens, sequences of " + std::to_string(spec.max_length + 1) + " steps";

  // After training: the baselines the perplexity is read against, and a few samples (how many
  // of them are not in the word list says whether the model invents or recites).
  auto known = std::make_shared<const std::vector<std::string>>(list.words);
  d.report = [splits, vocab, known, meta = d.meta, seed = config.seed](
                 Graph& graph, nlohmann::json& summary, const std::string&) {
    summary["baselines"] = ngram_baselines(vocab, splits->train, splits->val, splits->test);
    const auto samples = sample_words(graph, meta, 20, 0.8, seed);
    int64_t novel = 0;
    for (const auto& w : samples) novel += !std::binary_search(known->begin(), known->end(), w);
    summary["samples"] = {{"temperature", 0.8}, {"words", samples}, {"not_in_word_list", novel}};
  };
  return d;
}

}  // namespace redes
