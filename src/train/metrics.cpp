// Metrics of each task, computed from the network's raw outputs.
#include <algorithm>
#include <cmath>
#include <numeric>
#include <optional>

#include "redes/train.hpp"
#include "tensor/json_integers.hpp"

namespace redes {

nlohmann::json Metrics::to_json() const {
  nlohmann::json j = {{"loss", loss}};
  for (const auto& [k, v] : values) j[k] = v;
  if (!confusion.empty()) j["confusion"] = confusion;
  return j;
}

Metrics Metrics::from_json(const nlohmann::json& j) {
  Metrics m;
  for (const auto& [k, v] : j.items()) {
    if (k == "loss")
      m.loss = v.get<double>();
    else if (k == "confusion")
      m.confusion = json_integer_rows<int64_t>(v);
    else if (v.is_number())
      m.values[k] = v.get<double>();
  }
  return m;
}

nlohmann::json EpochLog::to_json() const {
  return {{"epoch", epoch},
          {"train", train.to_json()},
          {"val", val ? val->to_json() : nlohmann::json()},
          {"lr", lr},
          {"seconds", seconds}};
}

EpochLog EpochLog::from_json(const nlohmann::json& j) {
  EpochLog l;
  l.epoch = json_integer<int>(j.at("epoch"));
  l.train = Metrics::from_json(j.at("train"));
  if (!j.at("val").is_null()) l.val = Metrics::from_json(j.at("val"));
  l.lr = j.at("lr").get<double>();
  l.seconds = j.at("seconds").get<double>();
  return l;
}

nlohmann::json MetricsAccumulator::to_json() const {
  return {{"confusion", confusion_}, {"scores", scores_},     {"labels", labels_},
          {"squared", squared_},     {"absolute", absolute_}, {"nll", nll_},
          {"count", count_},         {"correct", correct_}};
}

MetricsAccumulator MetricsAccumulator::from_json(Task task, const nlohmann::json& j) {
  MetricsAccumulator a(task);
  a.confusion_ = json_integer_rows<int64_t>(j.at("confusion"));
  a.scores_ = j.at("scores").get<std::vector<float>>();
  a.labels_ = json_integers<int>(j.at("labels"));
  a.squared_ = j.at("squared").get<double>();
  a.absolute_ = j.at("absolute").get<double>();
  a.nll_ = j.at("nll").get<double>();
  a.count_ = json_integer<int64_t>(j.at("count"));
  a.correct_ = json_integer<int64_t>(j.at("correct"));
  return a;
}

void MetricsAccumulator::merge(const MetricsAccumulator& o) {
  if (confusion_.size() < o.confusion_.size()) confusion_.resize(o.confusion_.size());
  for (size_t i = 0; i < o.confusion_.size(); ++i) {
    if (confusion_[i].size() < o.confusion_[i].size()) confusion_[i].resize(o.confusion_[i].size());
    for (size_t j = 0; j < o.confusion_[i].size(); ++j) confusion_[i][j] += o.confusion_[i][j];
  }
  scores_.insert(scores_.end(), o.scores_.begin(), o.scores_.end());
  labels_.insert(labels_.end(), o.labels_.begin(), o.labels_.end());
  squared_ += o.squared_, absolute_ += o.absolute_, nll_ += o.nll_;
  count_ += o.count_, correct_ += o.correct_;
}

namespace {

// Area under the ROC curve as the Mann-Whitney statistic: the probability that a random
// positive scores above a random negative, ties counting one half.
std::optional<double> roc_auc(const std::vector<float>& score, const std::vector<int>& label) {
  const int64_t n = static_cast<int64_t>(score.size());
  std::vector<int64_t> order(n);
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(), [&](int64_t a, int64_t b) { return score[a] < score[b]; });
  double rank_sum = 0;
  int64_t pos = 0;
  for (int64_t i = 0; i < n;) {
    int64_t j = i;
    while (j < n && score[order[j]] == score[order[i]]) ++j;
    const double avg_rank = 0.5 * (i + 1 + j);  // ranks i+1 .. j share their mean
    for (int64_t k = i; k < j; ++k)
      if (label[order[k]]) rank_sum += avg_rank, ++pos;
    i = j;
  }
  const int64_t neg = n - pos;
  if (pos == 0 || neg == 0) return std::nullopt;
  return (rank_sum - 0.5 * pos * (pos + 1)) / (static_cast<double>(pos) * neg);
}

void classification_scores(Metrics& m) {
  const auto& c = m.confusion;
  const size_t k = c.size();
  int64_t total = 0, correct = 0;
  double p_sum = 0, r_sum = 0, f_sum = 0;
  std::vector<double> precision(k), recall(k), f1(k);
  for (size_t i = 0; i < k; ++i) {
    int64_t tp = c[i][i], pred = 0, actual = 0;
    for (size_t j = 0; j < k; ++j) pred += c[j][i], actual += c[i][j], total += c[i][j];
    correct += tp;
    precision[i] = pred ? double(tp) / pred : 0.0;
    recall[i] = actual ? double(tp) / actual : 0.0;
    f1[i] = precision[i] + recall[i] > 0 ? 2 * precision[i] * recall[i] / (precision[i] + recall[i])
                                         : 0.0;
    p_sum += precision[i], r_sum += recall[i], f_sum += f1[i];
  }
  m.values["accuracy"] = total ? double(correct) / total : 0.0;
  if (k == 2) {  // binary: the scores of the positive class
    m.values["precision"] = precision[1];
    m.values["recall"] = recall[1];
    m.values["f1"] = f1[1];
  } else {  // multiclass: macro averages
    m.values["precision"] = p_sum / k;
    m.values["recall"] = r_sum / k;
    m.values["f1"] = f_sum / k;
  }
}

}  // namespace

void MetricsAccumulator::add(TensorView<const float> outputs, TensorView<const float> y) {
  const int64_t n = outputs.dim(0);
  REDES_CHECK(y.rank() >= 1 && y.dim(0) == n, ShapeError,
              "metrics: outputs " + outputs.shape().str() + " and targets " + y.shape().str() +
                  " differ in N");
  switch (task_) {
    case Task::regression:
    case Task::forecast: {  // forecast: in the scaled units the network sees
      REDES_CHECK(outputs.numel() == y.numel(), ShapeError,
                  "metrics: outputs " + outputs.shape().str() + " and targets " + y.shape().str() +
                      " differ");
      for (int64_t i = 0; i < outputs.numel(); ++i) {
        const double d = double(outputs[i]) - y[i];
        squared_ += d * d, absolute_ += std::abs(d);
      }
      count_ += outputs.numel();
      break;
    }
    case Task::binary: {
      REDES_CHECK(outputs.numel() == n && y.numel() == n, ShapeError,
                  "binary metrics need one logit per sample, got " + outputs.shape().str());
      confusion_.resize(2, std::vector<int64_t>(2, 0));
      for (int64_t i = 0; i < n; ++i) {
        const int label = y[i] > 0.5f;
        confusion_[label][outputs[i] >= 0.0f] += 1;  // logit >= 0 <=> probability >= 0.5
        scores_.push_back(outputs[i]);
        labels_.push_back(label);
      }
      break;
    }
    case Task::multiclass: {
      const int64_t k = outputs.numel() / std::max<int64_t>(n, 1);
      REDES_CHECK(confusion_.empty() || static_cast<int64_t>(confusion_.size()) == k, ShapeError,
                  "metrics: " + std::to_string(k) + " class scores per sample after " +
                      std::to_string(confusion_.size()));
      confusion_.resize(k, std::vector<int64_t>(k, 0));
      for (int64_t i = 0; i < n; ++i) {
        const float* row = outputs.data() + i * k;
        const int64_t pred = std::max_element(row, row + k) - row;
        const auto truth = static_cast<int64_t>(y[i]);
        REDES_CHECK(
            truth >= 0 && truth < k, ShapeError,
            "class index " + std::to_string(truth) + " outside 0.." + std::to_string(k - 1));
        confusion_[truth][pred] += 1;
      }
      break;
    }
    case Task::language_model: {
      // outputs (N, T, V) logits, y (N, T) target ids, -1 at padding: accuracy of the most
      // likely token and perplexity exp(mean cross-entropy) over the steps with a target.
      const int64_t steps = y.numel(), v = steps ? outputs.numel() / steps : 0;
      REDES_CHECK(steps == 0 || outputs.numel() == steps * v, ShapeError,
                  "metrics: outputs " + outputs.shape().str() +
                      " do not hold one logit per token for targets " + y.shape().str());
      for (int64_t i = 0; i < steps; ++i) {
        if (y[i] < 0) continue;
        const float* row = outputs.data() + i * v;
        const auto truth = static_cast<int64_t>(y[i]);
        REDES_CHECK(truth < v, ShapeError,
                    "token id " + std::to_string(truth) + " outside 0.." + std::to_string(v - 1));
        const float top = *std::max_element(row, row + v);
        double z = 0;
        for (int64_t j = 0; j < v; ++j) z += std::exp(double(row[j]) - top);
        nll_ += top + std::log(z) - row[truth];
        correct_ += std::max_element(row, row + v) - row == truth;
        ++count_;
      }
      break;
    }
  }
}

Metrics MetricsAccumulator::result(double loss) const {
  Metrics m;
  m.loss = loss;
  switch (task_) {
    case Task::regression:
    case Task::forecast: {
      const double count = std::max<int64_t>(count_, 1);
      m.values["rmse"] = std::sqrt(squared_ / count);
      m.values["mae"] = absolute_ / count;
      break;
    }
    case Task::binary:
      m.confusion = confusion_.empty() ? std::vector<std::vector<int64_t>>(2, {0, 0}) : confusion_;
      classification_scores(m);
      if (auto auc = roc_auc(scores_, labels_)) m.values["roc_auc"] = *auc;
      break;
    case Task::multiclass:
      m.confusion = confusion_;
      classification_scores(m);
      break;
    case Task::language_model:
      m.values["accuracy"] = count_ ? double(correct_) / count_ : 0.0;
      m.values["perplexity"] = count_ ? std::exp(nll_ / count_) : 0.0;
      break;
  }
  return m;
}

Metrics compute_metrics(Task task, TensorView<const float> outputs, TensorView<const float> y,
                        double loss) {
  MetricsAccumulator all(task);
  all.add(outputs, y);
  return all.result(loss);
}

}  // namespace redes
