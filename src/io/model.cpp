// What a Model is (redes/model.hpp): its task, kind of data, shapes and classes, read from the
// model file's meta; loading and saving. Running it (predict, fit, evaluate) is in
// src/train/model.cpp.
#include "redes/model.hpp"

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

Model Model::load(const std::string& path) { return load_model(path); }

void Model::save(const std::string& path) const { save_model(path, *this); }

}  // namespace redes
