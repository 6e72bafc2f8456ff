// The layer registry: every kind a config or a model file may name, with the attributes it
// reads. Adding a layer is one row in kind_table() below.
#include <algorithm>
#include <cmath>

#include "layers/activations.hpp"
#include "layers/dropout.hpp"
#include "layers/linear.hpp"
#include "redes/init.hpp"
#include "redes/layer.hpp"

namespace redes {
namespace {

template <class T>
using LayerPtr = std::unique_ptr<Layer<T>>;

template <class T>
struct KindEntry {
  std::string_view kind;
  LayerPtr<T> (*build)(Attrs& a);  // reads the attributes and constructs the layer
};

std::string join(const std::vector<std::string>& names) {
  std::string s;
  for (const auto& n : names) s += (s.empty() ? "" : ", ") + n;
  return s;
}

// Builders check each attribute's value here, where a bad one can be named with its place;
// the constructors check again for callers that build layers directly.
template <class T>
LayerPtr<T> build_linear(Attrs& a) {
  const int64_t units = a.integer("units");
  if (units <= 0) a.fail("units", "'units' must be positive, got " + std::to_string(units));
  const bool bias = a.boolean("bias", true);
  const std::string init = a.string("init", "torch");
  const auto schemes = init_schemes();
  if (std::find(schemes.begin(), schemes.end(), init) == schemes.end())
    a.fail("init", "unknown init '" + init + "' (known: " + join(schemes) + ")");
  return std::make_unique<Linear<T>>(units, bias, init);
}

template <class T>
LayerPtr<T> build_leaky_relu(Attrs& a) {
  const double slope = a.number("negative_slope", 0.01);
  if (!std::isfinite(slope)) a.fail("negative_slope", "'negative_slope' must be finite");
  return std::make_unique<LeakyReLU<T>>(slope);
}

template <class T>
LayerPtr<T> build_gelu(Attrs& a) {
  const std::string approximate = a.string("approximate", "none");
  if (approximate != "none" && approximate != "tanh")
    a.fail("approximate",
           "'approximate' must be \"none\" or \"tanh\", got \"" + approximate + "\"");
  return std::make_unique<GELU<T>>(approximate);
}

template <class T>
LayerPtr<T> build_dropout(Attrs& a) {
  const double rate = a.number("rate", 0.5);
  if (!(rate >= 0.0 && rate < 1.0))
    a.fail("rate", "'rate' must be in [0, 1), got " + std::to_string(rate));
  return std::make_unique<Dropout<T>>(rate);
}

template <class T, class L>
LayerPtr<T> build_plain(Attrs&) {
  return std::make_unique<L>();
}

// kind: attributes (default)
template <class T>
const std::vector<KindEntry<T>>& kind_table() {
  static const std::vector<KindEntry<T>> table = {
      {"linear", build_linear<T>},              // units, bias (true), init ("torch")
      {"relu", build_plain<T, ReLU<T>>},        // (none)
      {"leaky_relu", build_leaky_relu<T>},      // negative_slope (0.01)
      {"sigmoid", build_plain<T, Sigmoid<T>>},  // (none)
      {"tanh", build_plain<T, Tanh<T>>},        // (none)
      {"gelu", build_gelu<T>},                  // approximate ("none" | "tanh")
      {"softmax", build_plain<T, Softmax<T>>},  // over the last dimension
      {"dropout", build_dropout<T>},            // rate (0.5)
  };
  return table;
}

}  // namespace

std::vector<std::string> layer_kinds() {
  std::vector<std::string> kinds;
  for (const auto& e : kind_table<float>()) kinds.emplace_back(e.kind);
  return kinds;
}

template <class T>
std::unique_ptr<Layer<T>> make_layer(const LayerSpec& spec) {
  Attrs a(spec);
  const auto& table = kind_table<T>();
  auto it = std::find_if(table.begin(), table.end(),
                         [&](const KindEntry<T>& e) { return e.kind == spec.kind; });
  if (it == table.end()) {
    throw ConfigError(a.where() + "unknown layer kind '" + spec.kind +
                      "' (known: " + join(layer_kinds()) + ")");
  }
  auto layer = it->build(a);
  a.finish();  // rejects keys the builder did not read
  return layer;
}

template std::unique_ptr<Layer<float>> make_layer<float>(const LayerSpec&);
template std::unique_ptr<Layer<double>> make_layer<double>(const LayerSpec&);

}  // namespace redes
