// The model file: a tagged file (io/tagged_file.hpp) "REDESMDL" whose floats are the weights
// and buffers in Graph::state() order. The container's checks come first (magic, version,
// truncation, corruption), then the meaning of the header.
#include "redes/model_file.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <memory>

#include "io/tagged_file.hpp"
#include "redes/error.hpp"
#include "redes/files.hpp"

namespace redes {

namespace {

constexpr tagged::Kind kModelFile = {{'R', 'E', 'D', 'E', 'S', 'M', 'D', 'L'},
                                     kModelFormatVersion,
                                     "a redes model file",
                                     "model format"};

// numel that saturates at UINT64_MAX instead of overflowing (the dims come from a file).
uint64_t numel_saturating(const Shape& s) {
  uint64_t n = 1;
  for (int64_t d : s.dims()) {
    if (d <= 0) return 0;
    if (n > UINT64_MAX / static_cast<uint64_t>(d)) return UINT64_MAX;
    n *= static_cast<uint64_t>(d);
  }
  return n;
}

// A header field that must be there with the right JSON type.
const nlohmann::json& field(const std::string& path, const nlohmann::json& h, const char* key,
                            nlohmann::json::value_t type, const char* type_name) {
  auto it = h.find(key);
  if (it == h.end()) throw ModelFileError(path + ": bad header: no '" + key + "' field");
  if (it->type() != type)
    throw ModelFileError(path + ": bad header: '" + key + "' must be " + type_name);
  return *it;
}

// A shape from the header: a list of positive integers of modest size.
Shape shape_from_json(const std::string& path, const nlohmann::json& j, const std::string& what) {
  auto bad = [&] {
    return ModelFileError(path + ": bad header: " + what + " must be a list of positive integers");
  };
  if (!j.is_array() || j.size() > 16) throw bad();
  std::vector<int64_t> dims;
  for (const auto& d : j) {
    if (!d.is_number_integer()) throw bad();
    const int64_t v = d.get<int64_t>();
    if (v < 1) throw bad();
    dims.push_back(v);
  }
  // Anything bigger than 2^40 elements is no tensor this library could hold; bounding it
  // keeps every later numel() from overflowing.
  Shape shape(std::move(dims));
  if (numel_saturating(shape) > (uint64_t(1) << 40))
    throw ModelFileError(path + ": bad header: " + what + " " + shape.str() + " is too large");
  return shape;
}

struct ParamEntry {
  std::string name;
  Shape shape;
};

// How many weights the layers would allocate, found by setting them up without binding any
// storage. Graph's constructor allocates the whole arena at once; asking first keeps a header
// whose layer sizes disagree with its weights (units = 10^12) from allocating them. Wiring
// errors are left for the Graph to report: this returns what it found so far.
uint64_t weights_needed(const std::vector<LayerSpec>& specs, const Shape& input) {
  std::vector<std::pair<std::string, Shape>> outputs;
  uint64_t total = 0;
  for (size_t i = 0; i < specs.size(); ++i) {
    const LayerSpec& s = specs[i];
    std::vector<Shape> in;
    if (s.inputs.empty()) in.push_back(i == 0 ? input : outputs.back().second);
    for (const auto& name : s.inputs) {
      if (name == "input") {
        in.push_back(input);
        continue;
      }
      auto it = std::find_if(outputs.begin(), outputs.end(),
                             [&](const auto& o) { return o.first == name; });
      if (it == outputs.end()) return total;
      in.push_back(it->second);
    }
    auto layer = make_layer<float>(s);
    Shape out = layer->setup(in);
    auto state = layer->params();
    for (auto* b : layer->buffers()) state.push_back(b);
    for (auto* p : state) {
      const uint64_t n = numel_saturating(p->shape);
      total = n > UINT64_MAX - total ? UINT64_MAX : total + n;
    }
    outputs.emplace_back(s.name.empty() ? s.kind + std::to_string(i + 1) : s.name, std::move(out));
  }
  return total;
}

}  // namespace

void save_model(const std::string& path, const Model& model) {
  REDES_CHECK(model.graph != nullptr, Error, path + ": cannot save a model without a graph");
  model.task(), model.kind();  // throw for a model that does not say what it is
  const Graph& g = *model.graph;

  nlohmann::json header;
  header["format"] = "redes-model";
  header["input_shape"] = g.input_shape().dims();
  header["layers"] = nlohmann::json::array();
  for (const auto& s : g.specs()) header["layers"].push_back(s.to_json());
  header["params"] = nlohmann::json::array();
  uint64_t count = 0;
  for (const auto& p : g.state()) {
    header["params"].push_back({{"name", p.name}, {"shape", p.param->shape.dims()}});
    count += static_cast<uint64_t>(p.param->numel());
  }
  header["preprocessing"] = model.prep.columns.empty() ? nlohmann::json() : model.prep.to_json();
  header["meta"] = model.meta;
  // Parameter by parameter through their own pointers, in state() order; the loader fills
  // them the same way, so the file does not depend on how the arena is laid out.
  std::vector<std::span<const float>> blocks;
  for (const auto& p : g.state())
    blocks.emplace_back(p.param->value, static_cast<size_t>(p.param->numel()));
  write_file_atomic(path, tagged::pack(kModelFile, header, blocks));
}

Model load_model(const std::string& path) {
  const std::string bytes =
      read_file<ModelFileError>(path, tagged::kMaxFileBytes, "a redes model file");
  const tagged::Sections sec = tagged::check_layout(path, bytes, kModelFile);
  const nlohmann::json h = tagged::parse_header(path, sec.header);
  using vt = nlohmann::json::value_t;
  const auto& format = field(path, h, "format", vt::string, "a string");
  if (format.get<std::string>() != "redes-model")
    throw ModelFileError(path + ": bad header: format is '" + format.get<std::string>() +
                         "', not 'redes-model'");
  const Shape input =
      shape_from_json(path, field(path, h, "input_shape", vt::array, "a list"), "'input_shape'");
  const auto& layers_j = field(path, h, "layers", vt::array, "a list");
  const auto& params_j = field(path, h, "params", vt::array, "a list");
  const auto prep_it = h.find("preprocessing");
  if (prep_it == h.end()) throw ModelFileError(path + ": bad header: no 'preprocessing' field");
  const nlohmann::json& prep_j = *prep_it;
  if (!prep_j.is_null() && !prep_j.is_object())
    throw ModelFileError(path + ": bad header: 'preprocessing' must be an object or null");
  const auto& meta_j = field(path, h, "meta", vt::object, "an object");

  std::vector<LayerSpec> specs;
  for (size_t i = 0; i < layers_j.size(); ++i) {
    try {
      specs.push_back(LayerSpec::from_json(layers_j[i]));
    } catch (const std::exception& e) {
      throw ModelFileError(path + ": bad header: layer " + std::to_string(i + 1) + ": " +
                           one_line(e.what()));
    }
  }

  // The parameter list must account for exactly the weights stored; checking it before the
  // graph exists keeps a header that lies about its sizes from allocating more than the file
  // could hold.
  std::vector<ParamEntry> entries;
  uint64_t listed = 0;
  for (size_t i = 0; i < params_j.size(); ++i) {
    const auto& p = params_j[i];
    const std::string what = "params[" + std::to_string(i) + "]";
    if (!p.is_object() || !p.contains("name") || !p["name"].is_string() || !p.contains("shape"))
      throw ModelFileError(path + ": bad header: " + what +
                           " must be {\"name\": ..., \"shape\": [...]}");
    ParamEntry e{p["name"].get<std::string>(), shape_from_json(path, p["shape"], what + ".shape")};
    const uint64_t n = numel_saturating(e.shape);
    if (n > sec.count - listed)
      throw ModelFileError(path + ": bad header: the parameters listed need more than the " +
                           std::to_string(sec.count) + " weights stored");
    listed += n;
    entries.push_back(std::move(e));
  }
  if (listed != sec.count)
    throw ModelFileError(path + ": bad header: the parameters listed need " +
                         std::to_string(listed) + " weights, the file stores " +
                         std::to_string(sec.count));

  Model model;
  try {
    const uint64_t needed = weights_needed(specs, input);
    if (needed > sec.count)
      throw ModelFileError(path + ": the layers need " + std::to_string(needed) +
                           " weights, the file stores " + std::to_string(sec.count));
    model.graph = std::make_unique<Graph>(std::move(specs), input);
  } catch (const ModelFileError&) {
    throw;
  } catch (const std::bad_alloc&) {
    throw ModelFileError(path + ": the layers described need more memory than there is");
  } catch (const std::exception& e) {
    throw ModelFileError(path + ": " + one_line(e.what()));
  }
  const auto& params = model.graph->state();
  if (params.size() != entries.size())
    throw ModelFileError(path + ": the layers have " + std::to_string(params.size()) +
                         " parameters, the file stores " + std::to_string(entries.size()));
  for (size_t i = 0; i < params.size(); ++i) {
    const auto& want = params[i];
    if (want.name != entries[i].name || want.param->shape != entries[i].shape)
      throw ModelFileError(path + ": parameter " + std::to_string(i + 1) + " is " +
                           one_line(want.name) + " " + want.param->shape.str() +
                           " in the layers but " + one_line(entries[i].name) + " " +
                           entries[i].shape.str() + " in the file");
  }
  const char* src = sec.floats;
  for (const auto& p : params) {
    const size_t n = static_cast<size_t>(p.param->numel());
    tagged::floats_from_le(src, n, p.param->value);
    src += 4 * n;
  }

  if (!prep_j.is_null()) {
    try {
      model.prep = Preprocessor::from_json(prep_j);
    } catch (const std::exception& e) {
      throw ModelFileError(path + ": bad preprocessing in the header: " + one_line(e.what()));
    }
  }
  model.meta = meta_j;
  // What the model says of itself from meta is read once here (the task, the kind, the input
  // shape, a series' codec, the classes), so that a malformed meta fails to load, naming the
  // file, rather than later in summary or predict with an error that does not.
  try {
    // Version 1 recorded the kind only for images, series and text (in meta.data).
    if (!model.meta.contains("kind")) {
      const auto& data = model.meta.value("data", nlohmann::json::object());
      model.meta["kind"] = data.is_object() ? data.value("kind", "table") : "table";
    }
    if (!model.meta.contains("task") && !model.prep.columns.empty())
      model.meta["task"] = name(model.prep.task);
    model.input_shape(), model.classes(), model.baselines();
  } catch (const std::exception& e) {
    throw ModelFileError(path + ": bad header: " + one_line(e.what()));
  }
  return model;
}

}  // namespace redes
