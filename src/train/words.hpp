// Character-level word models after training: the n-gram baselines beside the network's
// perplexity, and sampling new words (`redes sample`).
#pragma once
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "redes/graph.hpp"
#include "redes/text.hpp"

namespace redes {

// What the model file keeps to encode and decode words (meta["data"]).
nlohmann::json text_meta(const TextSpec& spec, const Vocabulary& vocab);

// Unigram and bigram perplexities (fitted on train, add-one smoothed) of the validation and
// test words: {"unigram": {"validation_perplexity", "test_perplexity"}, "bigram": {...}}.
nlohmann::json ngram_baselines(const Vocabulary& vocab, const std::vector<std::string>& train,
                               const std::vector<std::string>& val,
                               const std::vector<std::string>& test);

// Generates `count` words with the network: each step runs it on the prefixes so far (begin
// token, then the characters drawn), divides the logits at the last position by the
// temperature and draws the next character from their softmax, until the end token or the
// model's max_length. temperature 0: always the most likely character. The first step never
// ends the word. data_meta is the model file's meta["data"].
std::vector<std::string> sample_words(Graph& graph, const nlohmann::json& data_meta, int64_t count,
                                      double temperature, uint64_t seed);

}  // namespace redes
