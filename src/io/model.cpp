// What a Model is (redes/model.hpp): its task, kind of data, shapes and classes, read from the
// model file's meta; loading and saving. Running it (predict, fit, evaluate) is in
// src/train/model.cpp.
#include "redes/model.hpp"

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <limits>

#include "redes/model_file.hpp"
#include "redes/series.hpp"

namespace redes {

namespace {

std::string text_of(const nlohmann::json& meta, const char* key) {
  const auto it = meta.find(key);
  return it != meta.end() && it->is_string() ? it->get<std::string>() : "";
}

const nlohmann::json& data_meta(const nlohmann::json& meta) {
  static const nlohmann::json none = nlohmann::json::object();
  const auto it = meta.find("data");
  return it != meta.end() && it->is_object() ? *it : none;
}

}  // namespace

LayerSpec layer(std::string kind, nlohmann::json attrs, std::string name,
                std::vector<std::string> inputs) {
  LayerSpec s;
  s.kind = std::move(kind);
  s.name = std::move(name);
  s.inputs = std::move(inputs);
  s.attrs = attrs.is_null() ? nlohmann::json::object() : std::move(attrs);
  return s;
}

Task Model::task() const {
  const std::string t = text_of(meta, "task");
  const auto task = task_named(t);
  if (!task)
    throw Error("the model's task '" + t + "' is not one of " + [] {
      std::string s;
      for (const auto& n : task_names()) s += (s.empty() ? "" : ", ") + n;
      return s;
    }());
  return *task;
}

DataKind Model::kind() const {
  const std::string k = text_of(meta, "kind");
  const auto kind = data_kind_named(k);
  if (!kind)
    throw Error("the model's kind of data '" + k + "' is not table, images, series or text");
  if (const std::string problem = mismatch(*kind, task()); !problem.empty())
    throw Error("the model's " + problem);
  return *kind;
}

Shape Model::input_shape() const {
  REDES_CHECK(graph != nullptr, Error, "the model has no network");
  if (kind() == DataKind::series) {
    // predict() takes the rows the codec reads: one more than the look-back for diff.
    const SeriesCodec codec = SeriesCodec::from_json(data_meta(meta).at("codec"));
    return Shape{codec.warmup(), codec.channels()};
  }
  return graph->input_shape();
}

Shape Model::output_shape() const {
  REDES_CHECK(graph != nullptr, Error, "the model has no network");
  return graph->output_shape();
}

std::vector<std::string> Model::classes() const {
  if (!is_classifier(task())) return {};
  if (!prep.classes.empty()) return prep.classes;
  const auto& d = data_meta(meta);
  for (const char* key : {"classes", "tokens"})
    if (d.contains(key) && d[key].is_array()) return d[key].get<std::vector<std::string>>();
  if (meta.contains("classes") && meta["classes"].is_array())
    return meta["classes"].get<std::vector<std::string>>();
  return {};
}

std::string Model::summary() const {
  REDES_CHECK(graph != nullptr, Error, "the model has no network");
  std::string s = std::string(name(task())) + " model on " + std::string(name(kind())) +
                  " data, samples of " + input_shape().str() + "\n" + graph->summary();
  const auto cs = classes();
  if (!cs.empty() && kind() != DataKind::text) {
    s += "\nclasses ";
    for (size_t i = 0; i < cs.size(); ++i) s += (i ? ", " : "") + cs[i];
  }
  return s;
}

LossSpec Model::loss() const {
  LossSpec ls;
  ls.kind = meta.value("loss", std::string(default_loss(task())));
  return ls;
}

namespace {

// Floats as the fewest decimal digits that read back as the same float (at most 9), rather than
// the 17 a double needs: a logistic regression on Fashion-MNIST keeps 7,850 of them.
nlohmann::json shortest(const std::vector<float>& v) {
  nlohmann::json a = nlohmann::json::array();
  char buf[32];
  for (float x : v) {
    for (int digits = 6; digits <= 9; ++digits) {
      std::snprintf(buf, sizeof buf, "%.*g", digits, double(x));
      if (static_cast<float>(std::strtod(buf, nullptr)) == x) break;  // as baselines() reads it
    }
    a.push_back(std::strtod(buf, nullptr));
  }
  return a;
}

}  // namespace

nlohmann::json Baseline::to_json() const {
  nlohmann::json j = {{"bias", shortest(bias)}};
  if (!weight.empty()) j["weight"] = shortest(weight);
  return j;
}

std::vector<Baseline> Model::baselines() const {
  const auto it = meta.find("baselines");
  if (it == meta.end()) return {};
  REDES_CHECK(it->is_object(), Error, "the model's baselines must be an object");
  const int64_t outputs = output_shape().numel(), inputs = graph->input_shape().numel();
  std::vector<Baseline> all;
  for (const auto& item : it->items()) {
    const std::string name = item.key();
    const nlohmann::json& j = item.value();
    const std::string what = "the model's baseline '" + one_line(name) + "'";
    REDES_CHECK(j.is_object() && j.contains("bias"), Error,
                what + " must be an object with a 'bias'");
    // Numbers a float holds (a cast of a larger double is undefined behaviour).
    const auto floats = [&](const char* key, int64_t count) {
      const nlohmann::json& v = j[key];
      REDES_CHECK(v.is_array() && static_cast<int64_t>(v.size()) == count, Error,
                  what + ": '" + key + "' must be a list of " + std::to_string(count) + " numbers");
      std::vector<float> out;
      out.reserve(v.size());
      for (const auto& x : v) {
        REDES_CHECK(x.is_number() && std::isfinite(x.get<double>()) &&
                        std::abs(x.get<double>()) <= std::numeric_limits<float>::max(),
                    Error,
                    what + ": '" + key + "' holds " + one_line(x.dump()) + ", not a finite float");
        out.push_back(static_cast<float>(x.get<double>()));
      }
      return out;
    };
    Baseline b;
    b.name = name;
    b.bias = floats("bias", outputs);
    if (j.contains("weight")) {
      REDES_CHECK(inputs == 0 || outputs <= std::numeric_limits<int64_t>::max() / inputs, Error,
                  what + ": the model's input and output are too large for a weight");
      b.weight = floats("weight", outputs * inputs);
    }
    all.push_back(std::move(b));
  }
  return all;
}

Model Model::load(const std::string& path) { return load_model(path); }

void Model::save(const std::string& path) const { save_model(path, *this); }

}  // namespace redes
