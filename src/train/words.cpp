// Word models after training: n-gram baselines and sampling.
#include "train/words.hpp"

#include <algorithm>
#include <cmath>

#include "redes/error.hpp"
#include "redes/rng.hpp"
#include "tensor/json_integers.hpp"

namespace redes {

nlohmann::json text_meta(const TextSpec& spec, const Vocabulary& vocab) {
  return {{"tokens", vocab.tokens()},
          {"max_length", spec.max_length},
          {"lowercase", spec.lowercase},
          {"apostrophes", spec.apostrophes}};
}

nlohmann::json ngram_baselines(const Vocabulary& vocab, const std::vector<std::string>& train,
                               const std::vector<std::string>& val,
                               const std::vector<std::string>& test) {
  nlohmann::json j;
  for (int order : {1, 2}) {
    const NgramModel m(vocab, order, train);
    nlohmann::json part;
    if (!val.empty()) part["validation_perplexity"] = m.perplexity(val);
    if (!test.empty()) part["test_perplexity"] = m.perplexity(test);
    j[order == 1 ? "unigram" : "bigram"] = part;
  }
  return j;
}

std::vector<std::string> sample_words(Graph& graph, const nlohmann::json& data_meta, int64_t count,
                                      double temperature, uint64_t seed) {
  REDES_CHECK(data_meta.is_object() && data_meta.contains("tokens"), Error,
              "this model was not trained on words (train one with [data] kind = \"text\")");
  REDES_CHECK(count >= 0, Error, "--count must not be negative");
  REDES_CHECK(temperature >= 0 && std::isfinite(temperature), Error,
              "--temperature must be 0 or more");
  const Vocabulary vocab =
      Vocabulary::from_tokens(data_meta.at("tokens").get<std::vector<std::string>>());
  const int64_t max_length = json_integer<int64_t>(data_meta.at("max_length")), T = max_length + 1,
                V = vocab.size();
  REDES_CHECK(graph.input_shape() == Shape({T}) && graph.output_shape() == Shape({T, V}),
              ModelFileError,
              "a word model reads " + Shape({T}).str() + " and gives " + Shape({T, V}).str() +
                  ", this one " + graph.input_shape().str() + " -> " + graph.output_shape().str());
  std::vector<std::string> words(count);
  if (count == 0) return words;
  // x (count, T): the begin token, the characters drawn so far, padding after them. The layers
  // are causal (a unidirectional LSTM), so the padding never changes the logits read here.
  Tensor x(Shape{count, T}, float(Vocabulary::kPad));
  for (int64_t i = 0; i < count; ++i) x[i * T] = Vocabulary::kBegin;
  std::vector<bool> done(count, false);
  std::vector<double> p(V);
  Rng rng(seed), unused(0);
  for (int64_t pos = 0; pos < max_length; ++pos) {
    auto out = graph.forward(x.view(), false, unused);  // (count, T, V) logits
    bool any = false;
    for (int64_t i = 0; i < count; ++i) {
      if (done[i]) continue;
      const float* logits = out.data() + (i * T + pos) * V;
      // Only characters and (after the first) the end token can follow.
      double best = -HUGE_VAL;
      int64_t argmax = -1;
      for (int64_t c = 0; c < V; ++c) {
        const bool allowed = vocab.is_char(c) || (c == Vocabulary::kEnd && pos > 0);
        p[c] = allowed ? double(logits[c]) : -HUGE_VAL;
        if (p[c] > best) best = p[c], argmax = c;
      }
      int64_t next = argmax;
      if (temperature > 0) {
        double z = 0;
        for (int64_t c = 0; c < V; ++c)
          z += p[c] = std::isinf(p[c]) ? 0.0 : std::exp((p[c] - best) / temperature);
        double u = rng.uniform() * z;
        for (next = 0; next < V - 1; ++next) {
          if (u < p[next]) break;
          u -= p[next];
        }
        while (p[next] == 0) --next;  // rounding at the top end: the last allowed token
      }
      if (next == Vocabulary::kEnd) {
        done[i] = true;
        continue;
      }
      words[i] += vocab.token(next);
      if (pos + 1 < T) x[i * T + pos + 1] = static_cast<float>(next);
      any = true;
    }
    if (!any) break;
  }
  return words;
}

}  // namespace redes
