// The layer registry: every kind a config or a model file may name, with the attributes it
// reads. Adding a layer is one row in kind_table() below.
#include <algorithm>
#include <array>
#include <cmath>
#include <type_traits>

#include "layers/activations.hpp"
#include "layers/batchnorm.hpp"
#include "layers/conv2d.hpp"
#include "layers/dropout.hpp"
#include "layers/embedding.hpp"
#include "layers/gru.hpp"
#include "layers/linear.hpp"
#include "layers/lrn.hpp"
#include "layers/lstm.hpp"
#include "layers/mask.hpp"
#include "layers/merge.hpp"
#include "layers/pooling.hpp"
#include "layers/shape_ops.hpp"
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
LayerPtr<T> build_elu(Attrs& a) {
  const double alpha = a.number("alpha", 1.0);
  if (!std::isfinite(alpha)) a.fail("alpha", "'alpha' must be finite");
  return std::make_unique<ELU<T>>(alpha);
}

template <class T>
LayerPtr<T> build_softplus(Attrs& a) {
  const double beta = a.number("beta", 1.0);
  if (!(std::isfinite(beta) && beta > 0.0))
    a.fail("beta", "'beta' must be positive and finite, got " + std::to_string(beta));
  const double threshold = a.number("threshold", 20.0);
  if (!std::isfinite(threshold)) a.fail("threshold", "'threshold' must be finite");
  return std::make_unique<Softplus<T>>(beta, threshold);
}

template <class T>
LayerPtr<T> build_hard_sigmoid(Attrs& a) {
  const double alpha = a.number("alpha", 1.0 / 6), beta = a.number("beta", 0.5);
  if (!std::isfinite(alpha)) a.fail("alpha", "'alpha' must be finite");
  if (!std::isfinite(beta)) a.fail("beta", "'beta' must be finite");
  return std::make_unique<HardSigmoid<T>>(alpha, beta);
}

template <class T>
LayerPtr<T> build_hardtanh(Attrs& a) {
  const double lo = a.number("min", -1.0), hi = a.number("max", 1.0);
  if (!std::isfinite(lo)) a.fail("min", "'min' must be finite");
  if (!std::isfinite(hi)) a.fail("max", "'max' must be finite");
  if (lo > hi)
    a.fail("max", "'max' (" + std::to_string(hi) + ") must be at least 'min' (" +
                      std::to_string(lo) + ")");
  return std::make_unique<Hardtanh<T>>(lo, hi);
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

// Convolutional layers -----------------------------------------------------------------------

// Attrs reads lists only as optional keys: a missing required one fails here as a missing
// integer would, with the same typo hint.
void require_key(Attrs& a, const std::string& key) {
  if (!a.has(key)) a.integer(key);
}

// An integer (the same on both axes) or a pair [h, w], each at least `min`.
std::array<int64_t, 2> pair_attr(Attrs& a, const std::string& key, int64_t fallback, int64_t min) {
  const auto v = a.integers(key, {fallback, fallback});
  if (v.size() != 2)
    a.fail(key, "'" + key + "' must be an integer or a pair [h, w], got " +
                    std::to_string(v.size()) + " values");
  if (v[0] < min || v[1] < min)
    a.fail(key, "'" + key + "' must be at least " + std::to_string(min) + ", got [" +
                    std::to_string(v[0]) + ", " + std::to_string(v[1]) + "]");
  return {v[0], v[1]};
}

std::string init_attr(Attrs& a) {
  const std::string init = a.string("init", "torch");
  const auto schemes = init_schemes();
  if (std::find(schemes.begin(), schemes.end(), init) == schemes.end())
    a.fail("init", "unknown init '" + init + "' (known: " + join(schemes) + ")");
  return init;
}

template <class T>
LayerPtr<T> build_conv2d(Attrs& a) {
  Conv2dOptions o;
  o.filters = a.integer("filters");
  if (o.filters <= 0)
    a.fail("filters", "'filters' must be positive, got " + std::to_string(o.filters));
  require_key(a, "kernel");
  o.kernel = pair_attr(a, "kernel", 1, 1);
  o.stride = pair_attr(a, "stride", 1, 1);
  o.dilation = pair_attr(a, "dilation", 1, 1);
  // padding: an integer, a pair [h, w], four sizes [top, left, bottom, right] (ONNX's order),
  // "same" or "valid". Attrs reads one type per key, so the
  // string form is tried first.
  if (a.has("padding")) {
    bool is_string = true;
    try {
      o.padding_mode = a.string("padding", "");
    } catch (const ConfigError&) {
      is_string = false;
    }
    const std::string forms =
        "'padding' must be an integer, a pair [h, w], [top, left, bottom, right], \"same\" or "
        "\"valid\"";
    if (is_string) {
      if (o.padding_mode != "same" && o.padding_mode != "valid")
        a.fail("padding", forms + ", got \"" + o.padding_mode + "\"");
    } else {
      o.padding_mode = "explicit";
      std::vector<int64_t> p;
      try {
        p = a.integers("padding", {});
      } catch (const ConfigError&) {
        a.fail("padding", forms + " of sizes >= 0");
      }
      if (p.size() == 1) p = {p[0], p[0]};
      if ((p.size() != 2 && p.size() != 4) ||
          std::any_of(p.begin(), p.end(), [](int64_t v) { return v < 0; }))
        a.fail("padding", forms + " of sizes >= 0");
      o.padding = {p[0], p[1]};
      if (p.size() == 4) o.padding_end = {p[2], p[3]};
    }
  }
  if (o.padding_mode == "same" && (o.stride[0] != 1 || o.stride[1] != 1))
    a.fail("padding", "padding \"same\" needs stride 1 (as PyTorch)");
  o.groups = a.integer("groups", 1);
  if (o.groups <= 0) a.fail("groups", "'groups' must be positive, got " + std::to_string(o.groups));
  if (o.filters % o.groups != 0)
    a.fail("groups", "'filters' (" + std::to_string(o.filters) +
                         ") must be divisible by 'groups' (" + std::to_string(o.groups) + ")");
  o.bias = a.boolean("bias", true);
  o.init = init_attr(a);
  return std::make_unique<Conv2d<T>>(o);
}

template <class T, class L>
LayerPtr<T> build_pool2d(Attrs& a) {
  Pool2dOptions o;
  require_key(a, "kernel");
  o.kernel = pair_attr(a, "kernel", 1, 1);
  o.stride = a.has("stride") ? pair_attr(a, "stride", 1, 1) : o.kernel;
  constexpr bool max = std::is_same_v<L, MaxPool2d<T>>;
  if constexpr (max) o.dilation = pair_attr(a, "dilation", 1, 1);  // nn.AvgPool2d has none
  // padding: an integer, a pair [h, w] or four sizes [top, left, bottom, right] (ONNX's order).
  auto p = a.integers("padding", {0, 0});
  if ((p.size() != 2 && p.size() != 4) ||
      std::any_of(p.begin(), p.end(), [](int64_t v) { return v < 0; }))
    a.fail("padding",
           "'padding' must be an integer, a pair [h, w] or [top, left, bottom, right] of sizes "
           ">= 0");
  if (p.size() == 2) p = {p[0], p[1], p[0], p[1]};
  o.padding = {p[0], p[1]};
  o.padding_end = {p[2], p[3]};
  for (int i = 0; i < 2; ++i) {
    // PyTorch's limit where both sides match; asymmetric pads against the dilated kernel.
    const int64_t span = o.dilation[i] * (o.kernel[i] - 1) + 1;
    if (p[i] == p[i + 2] ? 2 * p[i] > o.kernel[i] : 2 * std::max(p[i], p[i + 2]) > span)
      a.fail("padding", p[i] == p[i + 2]
                            ? "'padding' must be at most half the kernel (as PyTorch)"
                            : "asymmetric 'padding' must be at most half the dilated kernel (" +
                                  std::to_string(span) + ") on each side");
  }
  o.ceil_mode = a.boolean("ceil_mode", false);
  if constexpr (!max) o.count_include_pad = a.boolean("count_include_pad", true);
  return std::make_unique<L>(o);
}

template <class T, int Dims>
LayerPtr<T> build_batchnorm(Attrs& a) {
  const double momentum = a.number("momentum", 0.1);
  if (!(momentum >= 0.0 && momentum <= 1.0))
    a.fail("momentum", "'momentum' must be in [0, 1], got " + std::to_string(momentum));
  const double eps = a.number("eps", 1e-5);
  if (!(eps > 0.0 && std::isfinite(eps))) a.fail("eps", "'eps' must be positive");
  const bool affine = a.boolean("affine", true);
  return std::make_unique<BatchNorm<T>>(Dims, momentum, eps, affine);
}

template <class T>
LayerPtr<T> build_lrn(Attrs& a) {
  const int64_t size = a.integer("size");
  if (size < 1) a.fail("size", "'size' must be positive, got " + std::to_string(size));
  const double alpha = a.number("alpha", 1e-4), beta = a.number("beta", 0.75);
  const double k = a.number("k", 1.0);
  if (!(std::isfinite(alpha) && alpha >= 0.0)) a.fail("alpha", "'alpha' must be finite and >= 0");
  if (!std::isfinite(beta)) a.fail("beta", "'beta' must be finite");
  if (!(std::isfinite(k) && k > 0.0)) a.fail("k", "'k' must be positive");
  return std::make_unique<LocalResponseNorm<T>>(size, alpha, beta, k);
}

template <class T>
LayerPtr<T> build_reshape(Attrs& a) {
  require_key(a, "shape");
  const auto shape = a.integers("shape", {});
  const auto unknown = std::count(shape.begin(), shape.end(), int64_t(-1));
  const bool ok =
      !shape.empty() && unknown <= 1 &&
      std::all_of(shape.begin(), shape.end(), [](int64_t d) { return d > 0 || d == -1; });
  if (!ok) a.fail("shape", "'shape' must be a list of positive sizes with at most one -1");
  return std::make_unique<Reshape<T>>(shape);
}

template <class T>
LayerPtr<T> build_slice(Attrs& a) {
  const int64_t axis = a.integer("axis", 0);
  const int64_t start = a.integer("start", 0);
  const int64_t end = a.integer("end", (int64_t{1} << 31) - 1);
  return std::make_unique<Slice<T>>(axis, start, end);
}

template <class T>
LayerPtr<T> build_permute(Attrs& a) {
  require_key(a, "dims");
  std::vector<int64_t> dims = a.integers("dims", {}), sorted = dims;
  std::sort(sorted.begin(), sorted.end());
  for (size_t k = 0; k < sorted.size(); ++k)
    if (sorted[k] != int64_t(k)) a.fail("dims", "'dims' must be a permutation of 0, 1, ...");
  if (dims.empty()) a.fail("dims", "'dims' must be a permutation of 0, 1, ...");
  return std::make_unique<Permute<T>>(std::move(dims));
}

template <class T>
LayerPtr<T> build_concat(Attrs& a) {
  return std::make_unique<Concat<T>>(a.integer("axis", 0));
}

// Recurrent and text layers ------------------------------------------------------------------

// The options lstm and gru share (layers/recurrent.hpp).
RecurrentOptions recurrent_attrs(Attrs& a) {
  RecurrentOptions o;
  o.units = a.integer("units");
  if (o.units <= 0) a.fail("units", "'units' must be positive, got " + std::to_string(o.units));
  o.layers = a.integer("layers", 1);
  if (o.layers < 1) a.fail("layers", "'layers' must be >= 1, got " + std::to_string(o.layers));
  o.dropout = a.number("dropout", 0.0);
  if (!(o.dropout >= 0.0 && o.dropout < 1.0))
    a.fail("dropout", "'dropout' must be in [0, 1), got " + std::to_string(o.dropout));
  if (o.dropout > 0.0 && o.layers == 1)
    a.fail("dropout",
           "'dropout' acts between stacked layers and needs layers >= 2 (for dropout "
           "on the output, add a dropout layer)");
  o.return_sequences = a.boolean("return_sequences", false);
  o.bidirectional = a.boolean("bidirectional", false);
  o.initial_state = a.boolean("initial_state", false);
  o.masked = a.boolean("masked", false);
  o.init = init_attr(a);
  return o;
}

template <class T>
LayerPtr<T> build_lstm(Attrs& a) {
  RecurrentOptions o = recurrent_attrs(a);
  const double forget_bias = a.number("forget_bias", 1.0);
  if (!std::isfinite(forget_bias)) a.fail("forget_bias", "'forget_bias' must be finite");
  return std::make_unique<LSTM<T>>(std::move(o), forget_bias);
}

template <class T>
LayerPtr<T> build_gru(Attrs& a) {
  return std::make_unique<GRU<T>>(recurrent_attrs(a));
}

template <class T>
LayerPtr<T> build_embedding(Attrs& a) {
  const int64_t vocab = a.integer("vocab");
  if (vocab <= 0) a.fail("vocab", "'vocab' must be positive, got " + std::to_string(vocab));
  const int64_t dim = a.integer("dim");
  if (dim <= 0) a.fail("dim", "'dim' must be positive, got " + std::to_string(dim));
  std::optional<int64_t> padding_idx;
  if (a.has("padding_idx")) {
    padding_idx = a.integer("padding_idx");
    if (*padding_idx < 0 || *padding_idx >= vocab)
      a.fail("padding_idx", "'padding_idx' must be in [0, vocab = " + std::to_string(vocab) +
                                "), got " + std::to_string(*padding_idx));
  }
  return std::make_unique<Embedding<T>>(vocab, dim, padding_idx);
}

template <class T>
LayerPtr<T> build_mask(Attrs& a) {
  return std::make_unique<Mask<T>>(a.integer("pad", 0));
}

// kind: attributes (default)
template <class T>
const std::vector<KindEntry<T>>& kind_table() {
  static const std::vector<KindEntry<T>> table = {
      {"linear", build_linear<T>},                     // units, bias (true), init ("torch")
      {"relu", build_plain<T, ReLU<T>>},               // (none)
      {"leaky_relu", build_leaky_relu<T>},             // negative_slope (0.01)
      {"sigmoid", build_plain<T, Sigmoid<T>>},         // (none)
      {"tanh", build_plain<T, Tanh<T>>},               // (none)
      {"gelu", build_gelu<T>},                         // approximate ("none" | "tanh")
      {"elu", build_elu<T>},                           // alpha (1.0)
      {"selu", build_plain<T, SELU<T>>},               // (none)
      {"softplus", build_softplus<T>},                 // beta (1.0, > 0), threshold (20.0)
      {"softsign", build_plain<T, Softsign<T>>},       // (none)
      {"hard_sigmoid", build_hard_sigmoid<T>},         // alpha (1/6), beta (0.5)
      {"hardtanh", build_hardtanh<T>},                 // min (-1.0), max (1.0), min <= max
      {"softmax", build_plain<T, Softmax<T>>},         // over the last dimension
      {"log_softmax", build_plain<T, LogSoftmax<T>>},  // over the last dimension
      {"dropout", build_dropout<T>},                   // rate (0.5)
      // conv2d: filters, kernel (int or [kh, kw]), stride (1), padding (0 | [ph, pw] | [top,
      // left, bottom, right] | "same" | "valid"), dilation (1), groups (1), bias (true), init
      // ("torch")
      {"conv2d", build_conv2d<T>},
      // max_pool2d: kernel, stride (= kernel), padding (0 | [ph, pw] | [top, left, bottom,
      // right]; at most kernel / 2 each), dilation (1), ceil_mode (false)
      {"max_pool2d", build_pool2d<T, MaxPool2d<T>>},
      // avg_pool2d: kernel, stride (= kernel), padding (as max_pool2d), ceil_mode (false),
      // count_include_pad (true)
      {"avg_pool2d", build_pool2d<T, AvgPool2d<T>>},
      {"global_avg_pool2d", build_plain<T, GlobalAvgPool2d<T>>},  // (C, H, W) -> (C)
      {"flatten", build_plain<T, Flatten<T>>},                    // (...) -> (numel)
      {"reshape", build_reshape<T>},                              // shape (one entry may be -1)
      {"slice", build_slice<T>},      // axis (0), start (0), end (the axis' end): x[:, start:end]
      {"permute", build_permute<T>},  // dims: the per-sample axes reordered
      {"batchnorm1d", build_batchnorm<T, 1>},  // momentum (0.1), eps (1e-5), affine (true)
      {"batchnorm2d", build_batchnorm<T, 2>},  // momentum (0.1), eps (1e-5), affine (true)
      {"local_response_norm", build_lrn<T>},   // size, alpha (1e-4), beta (0.75), k (1.0)
      {"add", build_plain<T, Add<T>>},         // 2+ inputs of one shape
      {"concat", build_concat<T>},             // 2+ inputs; axis (0: the channel axis)
      // units, layers (1), dropout (0, between layers), return_sequences (false),
      // bidirectional (false), initial_state (false: inputs x[, h0, c0][, mask]), masked
      // (false), forget_bias (1.0), init ("torch"); see layers/recurrent.hpp
      {"lstm", build_lstm<T>},
      {"gru", build_gru<T>},              // as lstm without forget_bias; inputs x[, h0][, mask]
      {"embedding", build_embedding<T>},  // vocab, dim, padding_idx (none)
      {"mask", build_mask<T>},            // pad (0): 0 where the id is pad, else 1
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
