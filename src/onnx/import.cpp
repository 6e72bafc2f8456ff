// ONNX import (redes/onnx.hpp): an onnx::ModelProto, parsed by the protobuf classes of Debian's
// libonnx-dev, as a redes Model.
//
// The nodes are read in order (ONNX requires them sorted). Every value is either a constant
// (an initializer, a Constant node, or shape arithmetic folded at import) or the output of a
// redes layer, with its per-sample shape: ONNX's first dimension is the batch, which redes
// layers never see. Each node becomes the layer that computes the same, or nothing (Dropout,
// Identity, a Reshape to the shape it has), or is folded into the layer before it (an Add of a
// bias after a MatMul). What redes cannot compute exactly is an OnnxUnsupported error naming
// the node, never an approximation. The file is hostile input: sizes are checked before any
// allocation, and protobuf's parser bounds its own.
#include <onnx/onnx_pb.h>

#include <algorithm>
#include <bit>
#include <cctype>
#include <cmath>
#include <cstring>
#include <functional>
#include <limits>
#include <map>
#include <set>
#include <type_traits>

#include "redes/error.hpp"
#include "redes/files.hpp"
#include "redes/onnx.hpp"
#include "redes/task.hpp"

namespace redes {

namespace {

using onnx::TensorProto;

// The batch dimension, where folded shape arithmetic holds it (Shape(x)[0]).
constexpr int64_t kBatch = std::numeric_limits<int64_t>::min() + 1;
// No tensor of a model redes imports comes near this many values.
constexpr int64_t kMaxValues = int64_t{1} << 31;
constexpr uint64_t kMaxFileBytes = uint64_t{2} << 30;
// Constants the import makes itself (folded shape arithmetic, ConstantOfShape, copies by
// Identity or Concat) are not bounded by the file's size: at most this many values in all.
constexpr int64_t kMaxFoldedValues = int64_t{1} << 26;

// A constant tensor: floats, or integers of any width (and booleans) as int64.
// A ConstantOfShape whose shape holds the batch (the zero initial states PyTorch's exporter
// writes for recurrent nodes) is a fill: no values, only `fill`, and dims with kBatch.
struct Const {
  bool is_float = true;
  std::vector<int64_t> dims;
  std::vector<float> f;
  std::vector<int64_t> i;
  bool is_fill = false;
  float fill = 0;
  int64_t numel() const { return is_float ? int64_t(f.size()) : int64_t(i.size()); }
  // Whether every value is 0 (a fill of 0, or values that are all 0).
  bool all_zero() const {
    if (is_fill) return fill == 0.0f;
    return std::all_of(f.begin(), f.end(), [](float v) { return v == 0.0f; }) &&
           std::all_of(i.begin(), i.end(), [](int64_t v) { return v == 0; });
  }
};

// A value of the graph: a constant, or the output of layer `layer` (-1: the model input).
struct Value {
  bool is_const = false;
  Const c;
  int layer = -1;
  // Per sample. It may differ from the layer's output shape in the dimensions only (a view: a
  // Reshape, Flatten or Squeeze costs nothing until a layer needs the shape, see emit()).
  Shape shape;
  // Where the batch is among ONNX's dimensions: the shape with N inserted at batch_axis. Not 0
  // around recurrent nodes, whose sequences are (T, N, F).
  int64_t batch_axis = 0;
  bool affine = false;  // the model input after the scale and shift in front (Importer::affine_)
  // A step of the patterns that stand for one redes layer or input:
  //   ids:     the model input's token ids, rounded or cast (Round, Cast), before an embedding;
  //   is_pad, not_pad: whether each id is `pad` (Equal), or is not (Not), before a Cast to float
  //            that is the mask layer;
  //   pad_steps, real_steps: a mask's steps below 0.5 (Less), or not (GreaterOrEqual, Not; Cast);
  //   lengths: the real steps of each sample (ReduceSum), a recurrent node's sequence_lens, which
  //            is redes' mask input;
  //   gelu_*:  GELU as ONNX writes it below opset 20, x (1 + erf(x / sqrt 2)) / 2: the steps Div,
  //            Erf, Add 1, Mul by x (the value itself), Mul by 0.5.
  enum class Ids {
    none,
    ids,
    is_pad,
    not_pad,
    pad_steps,
    real_steps,
    lengths,
    gelu_arg,
    gelu_erf,
    gelu_onep,
    gelu_half
  } ids = Ids::none;
  int64_t pad = 0;
};

std::string dims_str(const std::vector<int64_t>& d) {
  std::string s = "(";
  for (size_t k = 0; k < d.size(); ++k)
    s += (k ? ", " : "") + (d[k] == kBatch ? std::string("N") : std::to_string(d[k]));
  return s + ")";
}

int64_t checked_numel(const std::vector<int64_t>& dims,
                      const std::function<void(std::string)>& bad) {
  int64_t n = 1;
  for (int64_t d : dims) {
    if (d < 0) bad("a negative dimension in " + dims_str(dims));
    if (d > kMaxValues || (d > 0 && n > kMaxValues / d))
      bad("dimensions " + dims_str(dims) + " too large");
    n *= d;
  }
  return n;
}

// The tensor's values, checked against its dimensions.
Const read_tensor(const TensorProto& t, const std::function<void(std::string)>& bad,
                  const std::function<void(std::string)>& unsupported) {
  Const c;
  for (int64_t d : t.dims()) c.dims.push_back(d);
  const int64_t n = checked_numel(c.dims, bad);
  if (t.data_location() == TensorProto::EXTERNAL || t.external_data_size() > 0)
    unsupported("tensor '" + t.name() + "' keeps its data in an external file");
  const std::string& raw = t.raw_data();
  const auto count = [&](int64_t got, const char* field) {
    if (got != n)
      bad("tensor '" + t.name() + "' has " + std::to_string(got) + " values in " + field +
          " for dimensions " + dims_str(c.dims));
  };
  static_assert(std::endian::native == std::endian::little, "raw_data is little-endian");
  // The raw bytes as values of type E into `out`, reserved only once the bytes are known to
  // hold n values (the dimensions alone could ask for gigabytes).
  const auto from_raw = [&](auto sample, auto& out) {
    using E = decltype(sample);
    if (raw.size() != size_t(n) * sizeof(E))
      bad("tensor '" + t.name() + "' has " + std::to_string(raw.size()) + " bytes for " +
          std::to_string(n) + " values of " + std::to_string(sizeof(E)) + " bytes");
    out.reserve(size_t(n));
    for (int64_t k = 0; k < n; ++k) {
      E e;
      std::memcpy(&e, raw.data() + k * sizeof(E), sizeof(E));
      out.push_back(static_cast<typename std::remove_reference_t<decltype(out)>::value_type>(e));
    }
  };
  const bool has_raw = t.has_raw_data();
  switch (t.data_type()) {
    case TensorProto::FLOAT:
      if (has_raw) {
        from_raw(float{}, c.f);
      } else {
        count(t.float_data_size(), "float_data");
        c.f.assign(t.float_data().begin(), t.float_data().end());
      }
      break;
    case TensorProto::DOUBLE:
      if (has_raw) {
        from_raw(double{}, c.f);
      } else {
        count(t.double_data_size(), "double_data");
        c.f.reserve(size_t(n));
        for (double v : t.double_data()) c.f.push_back(float(v));
      }
      break;
    case TensorProto::INT64:
      c.is_float = false;
      if (has_raw) {
        from_raw(int64_t{}, c.i);
      } else {
        count(t.int64_data_size(), "int64_data");
        c.i.assign(t.int64_data().begin(), t.int64_data().end());
      }
      break;
    case TensorProto::INT32:
    case TensorProto::INT16:
    case TensorProto::INT8:
    case TensorProto::UINT8:
    case TensorProto::UINT16:
    case TensorProto::BOOL: {
      c.is_float = false;
      if (has_raw) {
        switch (t.data_type()) {
          case TensorProto::INT32:
            from_raw(int32_t{}, c.i);
            break;
          case TensorProto::INT16:
            from_raw(int16_t{}, c.i);
            break;
          case TensorProto::INT8:
            from_raw(int8_t{}, c.i);
            break;
          case TensorProto::UINT16:
            from_raw(uint16_t{}, c.i);
            break;
          default:
            from_raw(uint8_t{}, c.i);
            break;
        }
      } else {
        count(t.int32_data_size(), "int32_data");
        c.i.assign(t.int32_data().begin(), t.int32_data().end());
      }
      break;
    }
    default:
      unsupported("tensor '" + t.name() + "' has data type " + std::to_string(t.data_type()) +
                  " (redes reads floats and integers)");
  }
  return c;
}

// redes layer names: letters, digits and '_' ("/conv1/Conv" -> "conv1_Conv").
std::string layer_name(const std::string& onnx_name) {
  std::string s;
  for (char ch : onnx_name) {
    const bool ok = std::isalnum(static_cast<unsigned char>(ch)) || ch == '_';
    if (ok)
      s += ch;
    else if (!s.empty() && s.back() != '_')
      s += '_';
  }
  while (!s.empty() && s.back() == '_') s.pop_back();
  return s.empty() ? "node" : s;
}

// The attributes of a node, each read once with its type checked; any left unread is an
// attribute redes does not implement.
class NodeAttrs {
 public:
  NodeAttrs(const onnx::NodeProto& n, std::function<void(std::string)> bad,
            std::function<void(std::string)> unsupported)
      : n_(n), bad_(std::move(bad)), unsupported_(std::move(unsupported)) {}

  int64_t i(const std::string& name, int64_t fallback) {
    const auto* a = take(name, onnx::AttributeProto::INT);
    return a ? a->i() : fallback;
  }
  float f(const std::string& name, float fallback) {
    const auto* a = take(name, onnx::AttributeProto::FLOAT);
    return a ? a->f() : fallback;
  }
  std::string s(const std::string& name, const std::string& fallback) {
    const auto* a = take(name, onnx::AttributeProto::STRING);
    return a ? a->s() : fallback;
  }
  std::vector<int64_t> ints(const std::string& name, std::vector<int64_t> fallback) {
    const auto* a = take(name, onnx::AttributeProto::INTS);
    if (!a) return fallback;
    return {a->ints().begin(), a->ints().end()};
  }
  std::vector<float> floats(const std::string& name) {
    const auto* a = take(name, onnx::AttributeProto::FLOATS);
    if (!a) return {};
    return {a->floats().begin(), a->floats().end()};
  }
  std::vector<std::string> strings(const std::string& name) {
    const auto* a = take(name, onnx::AttributeProto::STRINGS);
    if (!a) return {};
    return {a->strings().begin(), a->strings().end()};
  }
  const onnx::TensorProto* tensor(const std::string& name) {
    const auto* a = take(name, onnx::AttributeProto::TENSOR);
    return a ? &a->t() : nullptr;
  }
  bool has(const std::string& name) const {
    for (const auto& a : n_.attribute())
      if (a.name() == name) return true;
    return false;
  }
  // Rejects the attributes nobody read.
  void finish() const {
    for (const auto& a : n_.attribute())
      if (std::find(read_.begin(), read_.end(), a.name()) == read_.end())
        unsupported_("attribute '" + a.name() + "' is not supported");
  }

 private:
  const onnx::AttributeProto* take(const std::string& name, onnx::AttributeProto::AttributeType t) {
    for (const auto& a : n_.attribute()) {
      if (a.name() != name) continue;
      read_.push_back(name);
      // Files from old exporters leave the type unset.
      if (a.type() != t && a.type() != onnx::AttributeProto::UNDEFINED)
        bad_("attribute '" + name + "' has the wrong type");
      return &a;
    }
    return nullptr;
  }
  const onnx::NodeProto& n_;
  std::function<void(std::string)> bad_, unsupported_;
  std::vector<std::string> read_;
};

class Importer {
 public:
  Importer(const onnx::ModelProto& m, std::string path, const OnnxImportOptions& options)
      : m_(m), path_(std::move(path)), options_(options) {}

  Model run() {
    const onnx::GraphProto& g = m_.graph();
    for (const auto& op : m_.opset_import())
      if (op.domain().empty() || op.domain() == "ai.onnx") opset_ = op.version();
    if (opset_ == 0)
      throw OnnxUnsupported(path_ + ": no operator of the default ONNX domain (no opset of it)");
    for (const auto& t : g.initializer()) {
      Value v;
      v.is_const = true;
      v.c = read_tensor(t, bad_here(), unsupported_here());
      values_[t.name()] = std::move(v);
    }
    read_input(g);
    for (const auto& n : g.node())
      for (const auto& in : n.input()) ++uses_[in];
    if (g.output_size() != 1)
      throw OnnxUnsupported(path_ + ": the graph has " + std::to_string(g.output_size()) +
                            " outputs (redes models have one)");
    ++uses_[g.output(0).name()];
    for (const auto& n : g.node()) {
      node_ = &n;
      convert(n);
    }
    node_ = nullptr;
    return finish(g.output(0).name());
  }

 private:
  // Messages ------------------------------------------------------------------------------------
  std::string where() const {
    if (!node_) return path_ + ": ";
    const std::string name =
        node_->name().empty() && node_->output_size() > 0 ? node_->output(0) : node_->name();
    return path_ + ": node '" + one_line(name) + "' (" + one_line(node_->op_type()) + "): ";
  }
  [[noreturn]] void bad_file(const std::string& problem) const {
    throw ModelFileError(where() + one_line(problem));
  }
  [[noreturn]] void unsupported(const std::string& problem) const {
    throw OnnxUnsupported(where() + one_line(problem));
  }
  std::function<void(std::string)> bad_here() const {
    return [this](const std::string& p) { bad_file(p); };
  }
  std::function<void(std::string)> unsupported_here() const {
    return [this](const std::string& p) { unsupported(p); };
  }

  // The graph's input ----------------------------------------------------------------------
  void read_input(const onnx::GraphProto& g) {
    const onnx::ValueInfoProto* input = nullptr;
    for (const auto& in : g.input()) {
      if (values_.count(in.name())) continue;  // an initializer listed as an input
      if (input)
        throw OnnxUnsupported(path_ + ": inputs '" + one_line(input->name()) + "' and '" +
                              one_line(in.name()) +
                              "' have no values (redes models take one input; give the others "
                              "as initializers)");
      input = &in;
    }
    if (!input) bad_file("the graph has no input");
    const auto& type = input->type();
    if (!type.has_tensor_type())
      throw OnnxUnsupported(path_ + ": input '" + one_line(input->name()) + "' is not a tensor");
    const int elem = type.tensor_type().elem_type();
    if (elem != TensorProto::FLOAT && elem != TensorProto::DOUBLE && elem != TensorProto::INT64 &&
        elem != TensorProto::INT32)
      throw OnnxUnsupported(path_ + ": input '" + one_line(input->name()) + "' has data type " +
                            std::to_string(elem) +
                            " (redes takes floats, or integer ids for an embedding)");
    std::vector<int64_t> dims;
    bool known = type.tensor_type().has_shape();
    if (known) {
      const auto& shape = type.tensor_type().shape();
      const int64_t b = options_.input_batch_axis;
      if (b < 0 || b >= shape.dim_size())
        throw OnnxUnsupported(path_ + ": input '" + one_line(input->name()) + "' has " +
                              std::to_string(shape.dim_size()) + " dimensions, no batch axis " +
                              std::to_string(b));
      if (shape.dim(int(b)).has_dim_value()) batch_ = shape.dim(int(b)).dim_value();
      for (int k = 0; k < shape.dim_size(); ++k) {
        if (k == b) continue;
        if (!shape.dim(k).has_dim_value() || shape.dim(k).dim_value() <= 0) known = false;
        dims.push_back(shape.dim(k).dim_value());
      }
    }
    if (!options_.input_shape.empty()) {
      if (type.tensor_type().has_shape() && dims.size() != options_.input_shape.size())
        throw OnnxUnsupported(path_ + ": input '" + one_line(input->name()) + "' has " +
                              std::to_string(dims.size()) +
                              " dimensions after the batch, the given input shape " +
                              std::to_string(options_.input_shape.size()));
      dims = options_.input_shape;
    } else if (!known) {
      throw OnnxUnsupported(path_ + ": input '" + one_line(input->name()) +
                            "' has dimensions that are not numbers; give the per-sample shape "
                            "(--input-shape)");
    }
    for (int64_t d : dims)
      if (d <= 0 || d > kMaxValues) bad_file("input dimension " + std::to_string(d));
    checked_numel(dims, bad_here());
    input_ = Shape(dims);
    Value v;
    v.shape = input_;
    v.batch_axis = options_.input_batch_axis;
    if (v.batch_axis > input_.rank()) bad_file("the input's batch axis is past its dimensions");
    values_[input->name()] = v;
  }

  // Values ---------------------------------------------------------------------------------
  bool present(const onnx::NodeProto& n, int k) const {
    return k < n.input_size() && !n.input(k).empty();
  }
  const Value& value(const std::string& name) const {
    auto it = values_.find(name);
    if (it == values_.end()) bad_file("input '" + name + "' is not produced before this node");
    return it->second;
  }
  const Value& in(const onnx::NodeProto& n, int k) const {
    if (!present(n, k)) bad_file("input " + std::to_string(k) + " is missing");
    return value(n.input(k));
  }
  // A value computed from the model's input, with the batch first (runtime_any: anywhere).
  const Value& runtime_any(const onnx::NodeProto& n, int k) const {
    const Value& v = in(n, k);
    if (v.is_const)
      unsupported("input '" + n.input(k) +
                  "' is a constant (redes computes this operator on the model's data only)");
    if (v.ids != Value::Ids::none && v.ids != Value::Ids::ids)
      unsupported("input '" + n.input(k) +
                  "' is a step of a padding mask, which redes reads only in the whole pattern");
    return v;
  }
  const Value& runtime(const onnx::NodeProto& n, int k) const {
    const Value& v = runtime_any(n, k);
    if (v.batch_axis != 0)
      unsupported("input '" + n.input(k) + "' has the batch on axis " +
                  std::to_string(v.batch_axis) + ", and redes computes this with the batch first");
    return v;
  }
  // A constant input (constant_any: a fill too).
  const Const& constant_any(const onnx::NodeProto& n, int k) const {
    const Value& v = in(n, k);
    if (!v.is_const)
      unsupported("input '" + n.input(k) +
                  "' is computed from the model's input; redes needs it constant (an "
                  "initializer)");
    return v.c;
  }
  const Const& constant(const onnx::NodeProto& n, int k) const {
    const Const& c = constant_any(n, k);
    if (c.is_fill) unsupported("input '" + n.input(k) + "' is a constant of the batch's size");
    return c;
  }
  const Const& floats(const onnx::NodeProto& n, int k) const {
    const Const& c = constant(n, k);
    if (!c.is_float) bad_file("input '" + n.input(k) + "' must hold floats");
    return c;
  }
  std::vector<int64_t> ints_of(const onnx::NodeProto& n, int k) const {
    const Const& c = constant(n, k);
    if (c.is_float) bad_file("input '" + n.input(k) + "' must hold integers");
    return c.i;
  }
  void set(const std::string& name, Value v) {
    if (v.is_const) {
      room_for(v.c.numel());
      folded_ += v.c.numel();
    }
    values_[name] = std::move(v);
  }
  // Refuses a folded constant of `count` values beyond kMaxFoldedValues (checked before it is
  // made where the count is known first).
  void room_for(int64_t count) const {
    if (count > kMaxFoldedValues - folded_)
      bad_file("constants folded at import would hold more than " +
               std::to_string(kMaxFoldedValues) + " values");
  }
  void alias(const onnx::NodeProto& n, const Value& v) { set(n.output(0), v); }
  void only_first_output(const onnx::NodeProto& n) const {
    for (int k = 1; k < n.output_size(); ++k)
      if (!n.output(k).empty() && uses_.count(n.output(k)))
        unsupported("output " + std::to_string(k) + " ('" + n.output(k) +
                    "') is used, and redes computes only the first");
  }
  // An ONNX axis (the batch counts) as a per-sample one, for a value of per-sample rank r.
  int64_t sample_axis(int64_t axis, int64_t r) const {
    const int64_t full = r + 1;
    if (axis < -full || axis >= full) bad_file("axis " + std::to_string(axis) + " out of range");
    if (axis < 0) axis += full;
    if (axis == 0) unsupported("it works along the batch axis 0");
    return axis - 1;
  }

  // Layers ---------------------------------------------------------------------------------
  // Adds a layer reading the runtime values ins; its output becomes the value `out` (default: the
  // node's first output), with the batch at batch_axis. weights: the parameters as "weight",
  // "bias", ... with their values. An input that is a view of another shape is reshaped first.
  int emit(const onnx::NodeProto& n, const std::string& kind, nlohmann::json attrs,
           const std::vector<const Value*>& ins,
           std::map<std::string, std::vector<float>> weights = {}, std::string out = "",
           int64_t batch_axis = 0) {
    std::vector<Value> inputs;
    for (const Value* v : ins) inputs.push_back(materialised(n, *v));
    LayerSpec s;
    s.kind = kind;
    s.name = fresh_name(n.name().empty() ? n.output(0) : n.name());
    std::vector<Shape> shapes;
    for (const Value& v : inputs) {
      s.inputs.push_back(v.layer < 0 ? "input" : specs_[size_t(v.layer)].name);
      shapes.push_back(v.shape);
      if (v.layer < 0 && !affine_.scale.empty() && !v.affine)
        unsupported("it reads the model input without the scale in front of the others");
      if (v.affine) affine_.readers.push_back(int(specs_.size()));
    }
    s.attrs = attrs.is_null() ? nlohmann::json::object() : std::move(attrs);
    Value result;
    try {
      auto layer = make_layer<float>(s);
      result.shape = layer->setup(shapes);
    } catch (const Error& e) {
      bad_file(std::string("does not fit its input: ") + e.what());
    }
    for (auto& [param, values] : weights) weights_[s.name + "." + param] = std::move(values);
    specs_.push_back(std::move(s));
    shapes_.push_back(result.shape);
    result.layer = int(specs_.size()) - 1;
    result.batch_axis = batch_axis;
    set(out.empty() ? n.output(0) : out, result);
    return result.layer;
  }
  std::string fresh_name(const std::string& onnx_name) {
    const std::string base = layer_name(onnx_name);
    std::string name = base;
    for (int k = 2; name == "input" || names_.count(name); ++k)
      name = base + "_" + std::to_string(k);
    names_.insert(name);
    return name;
  }
  // The value as a layer's output of its own shape: a view gets a reshape layer.
  Value materialised(const onnx::NodeProto& n, const Value& v) {
    const Shape& real = v.layer < 0 ? input_ : shapes_[size_t(v.layer)];
    if (v.shape == real) return v;
    LayerSpec s;
    s.kind = "reshape";
    s.name = fresh_name((n.name().empty() ? n.output(0) : n.name()) + "_reshape");
    s.inputs = {v.layer < 0 ? "input" : specs_[size_t(v.layer)].name};
    s.attrs = {{"shape", v.shape.dims()}};
    if (v.affine) affine_.readers.push_back(int(specs_.size()));
    specs_.push_back(std::move(s));
    shapes_.push_back(v.shape);
    Value out = v;
    out.layer = int(specs_.size()) - 1;
    out.affine = false;
    return out;
  }
  // A layer output is used once, by this node: its layer may take the node's work in.
  bool used_once(const std::string& name) const {
    auto it = uses_.find(name);
    return it != uses_.end() && it->second == 1;
  }
  bool used(const onnx::NodeProto& n, int k) const {
    return k < n.output_size() && !n.output(k).empty() && uses_.count(n.output(k)) > 0;
  }
  // x seen as another per-sample shape of as many values: a view, no layer.
  void reshape(const onnx::NodeProto& n, const Value& x, std::vector<int64_t> sample,
               int64_t batch_axis = 0) {
    if (Shape(sample).numel() != x.shape.numel())
      bad_file("cannot reshape " + x.shape.str() + " to " + dims_str(sample) + " per sample");
    Value out = x;
    out.shape = Shape(std::move(sample));
    out.batch_axis = batch_axis;
    set(n.output(0), out);
  }
  // ONNX's dimensions of a runtime value, with kBatch where the batch is.
  static std::vector<int64_t> full_dims(const Value& v) {
    std::vector<int64_t> d = v.shape.dims();
    d.insert(d.begin() + v.batch_axis, kBatch);
    return d;
  }
  // The value x seen with ONNX dimensions d (one of them kBatch).
  void set_full(const onnx::NodeProto& n, const Value& x, std::vector<int64_t> d) {
    const auto at = std::find(d.begin(), d.end(), kBatch);
    const int64_t axis = at - d.begin();
    d.erase(at);
    reshape(n, x, std::move(d), axis);
  }

  // Nodes ----------------------------------------------------------------------------------
  void convert(const onnx::NodeProto& n) {
    if (!n.domain().empty() && n.domain() != "ai.onnx")
      unsupported("the operator domain '" + n.domain() + "' is not ONNX's own");
    if (n.output_size() == 0) bad_file("the node has no output");
    NodeAttrs a(n, bad_here(), unsupported_here());
    const std::string& op = n.op_type();
    if (n.output(0).empty() && op != "LSTM" && op != "GRU")
      unsupported("output 0 is left out (redes computes output 0)");
    // Constants and the shape arithmetic around Reshape.
    if (op == "Constant") return constant_node(n, a);
    if (op == "ConstantOfShape") return constant_of_shape(n, a);
    if (op == "LSTM" || op == "GRU") return recurrent(n, a);
    if (op == "Shape" || op == "Gather" || op == "Unsqueeze" || op == "Squeeze" || op == "Concat" ||
        op == "Cast" || op == "Identity" || op == "Slice" || op == "Transpose") {
      bool all_const = n.input_size() > 0;
      for (int k = 0; k < n.input_size(); ++k)
        if (present(n, k) && !value(n.input(k)).is_const) all_const = false;
      if (all_const || op == "Shape") return fold(n, a);
    }
    if (op == "Gemm") return gemm(n, a);
    if (op == "MatMul") return matmul(n, a);
    if (op == "Add") return add(n, a);
    if (op == "Mul") return mul(n, a);
    if (op == "Div" || op == "Erf") {
      a.finish();
      if (gelu_step(n, in(n, 0), op == "Div" ? in(n, 1) : in(n, 0))) return;
      unsupported("a " + op + " other than a step of GELU");
    }
    if (op == "Conv") return conv(n, a);
    if (op == "MaxPool" || op == "AveragePool") return pool(n, a);
    if (op == "GlobalAveragePool" || op == "GlobalMaxPool") {
      a.finish();
      const Value& x = runtime(n, 0);
      if (x.shape.rank() != 3) unsupported("input " + x.shape.str() + " is not (C, H, W)");
      const std::vector<int64_t> k{x.shape[1], x.shape[2]};
      emit(n, op == "GlobalAveragePool" ? "avg_pool2d" : "max_pool2d", {{"kernel", k}}, {&x});
      return;
    }
    if (op == "BatchNormalization") return batchnorm(n, a);
    if (op == "LRN") return lrn(n, a);
    if (op == "Relu" || op == "Sigmoid" || op == "Tanh") {
      a.finish();
      emit(n, op == "Relu" ? "relu" : op == "Sigmoid" ? "sigmoid" : "tanh", {}, {&runtime(n, 0)});
      return;
    }
    if (op == "LeakyRelu") {
      const double alpha = a.f("alpha", 0.01f);
      a.finish();
      emit(n, "leaky_relu", {{"negative_slope", alpha}}, {&runtime(n, 0)});
      return;
    }
    if (op == "Softmax") return softmax(n, a, "softmax");
    if (op == "LogSoftmax") return softmax(n, a, "log_softmax");
    if (op == "Elu") {
      const double alpha = a.f("alpha", 1.0f);
      a.finish();
      emit(n, "elu", {{"alpha", alpha}}, {&runtime(n, 0)});
      return;
    }
    if (op == "Selu") {  // with its own constants only
      const double alpha = a.f("alpha", 1.67326319217681884765625f);
      const double gamma = a.f("gamma", 1.05070102214813232421875f);
      a.finish();
      if (std::abs(alpha - 1.6732632423543772) > 1e-6 ||
          std::abs(gamma - 1.0507009873554805) > 1e-6)
        unsupported("alpha and gamma other than SELU's own (redes' selu has no attributes)");
      emit(n, "selu", {}, {&runtime(n, 0)});
      return;
    }
    if (op == "Softplus" || op == "Softsign") {
      a.finish();
      emit(n, op == "Softplus" ? "softplus" : "softsign", {}, {&runtime(n, 0)});
      return;
    }
    if (op == "HardSigmoid") {
      const double alpha = a.f("alpha", 0.2f), beta = a.f("beta", 0.5f);
      a.finish();
      emit(n, "hard_sigmoid", {{"alpha", alpha}, {"beta", beta}}, {&runtime(n, 0)});
      return;
    }
    if (op == "Clip") return clip(n, a);
    if (op == "Dropout") return dropout(n, a);
    if (op == "Identity") {
      a.finish();
      return alias(n, runtime_any(n, 0));
    }
    if (op == "Cast" || op == "Round" || op == "Equal" || op == "Not" || op == "Less" ||
        op == "GreaterOrEqual" || op == "ReduceSum")
      return ids_step(n, a);
    if (op == "Flatten") {
      const Value& x = runtime(n, 0);
      const int64_t axis = a.i("axis", 1);
      a.finish();
      if (sample_axis(axis, x.shape.rank()) != 0)
        unsupported("axis " + std::to_string(axis) + " would merge the batch with other axes");
      return reshape(n, x, {x.shape.numel()});
    }
    if (op == "Reshape") return reshape_node(n, a);
    if (op == "Squeeze" || op == "Unsqueeze") return squeeze(n, a);
    if (op == "Transpose") return transpose(n, a);
    if (op == "Slice") return slice(n, a);
    if (op == "Concat") {
      const int64_t axis = a.i("axis", 0);
      a.finish();
      std::vector<const Value*> ins;
      for (int k = 0; k < n.input_size(); ++k) ins.push_back(&runtime(n, k));
      if (ins.size() == 1) return alias(n, *ins[0]);
      emit(n, "concat", {{"axis", sample_axis(axis, ins[0]->shape.rank())}}, ins);
      return;
    }
    if (op == "Gather") return gather(n, a);
    unsupported("the operator is not one redes imports");
  }

  void constant_node(const onnx::NodeProto& n, NodeAttrs& a) {
    Value v;
    v.is_const = true;
    if (const auto* t = a.tensor("value")) {
      v.c = read_tensor(*t, bad_here(), unsupported_here());
    } else if (a.has("value_float")) {
      v.c.f = {a.f("value_float", 0)};
    } else if (a.has("value_floats")) {
      v.c.f = a.floats("value_floats");
      v.c.dims = {int64_t(v.c.f.size())};
    } else if (a.has("value_int")) {
      v.c.is_float = false;
      v.c.i = {a.i("value_int", 0)};
    } else if (a.has("value_ints")) {
      v.c.is_float = false;
      v.c.i = a.ints("value_ints", {});
      v.c.dims = {int64_t(v.c.i.size())};
    } else {
      a.finish();
      bad_file("a Constant without a value");
    }
    a.finish();
    set(n.output(0), std::move(v));
  }

  // Shape arithmetic on constants (and Shape of a layer's output: (N, per-sample dims...)).
  void fold(const onnx::NodeProto& n, NodeAttrs& a) {
    const std::string& op = n.op_type();
    Value v;
    v.is_const = true;
    Const& c = v.c;
    if (op == "Shape") {
      const int64_t start = a.i("start", 0), end = a.i("end", std::numeric_limits<int64_t>::max());
      a.finish();
      const Value& x = in(n, 0);
      std::vector<int64_t> dims;
      if (x.is_const) {
        dims = x.c.dims;
      } else {
        dims.push_back(kBatch);
        for (int64_t d : x.shape.dims()) dims.push_back(d);
      }
      const auto r = int64_t(dims.size());
      const auto clamp = [&](int64_t k) { return std::clamp(k < 0 ? k + r : k, int64_t{0}, r); };
      c.is_float = false;
      c.i.assign(dims.begin() + clamp(start), dims.begin() + std::max(clamp(start), clamp(end)));
      c.dims = {int64_t(c.i.size())};
    } else if (op == "Identity") {
      a.finish();
      c = constant(n, 0);
    } else if (op == "Cast") {
      const int64_t to = a.i("to", 0);
      a.finish();
      c = constant(n, 0);
      const bool to_float = to == TensorProto::FLOAT || to == TensorProto::DOUBLE;
      if (to_float && !c.is_float) {
        for (int64_t x : c.i) c.f.push_back(float(x));
        c.i.clear();
      } else if (!to_float && c.is_float) {
        for (float x : c.f) c.i.push_back(int64_t(x));
        c.f.clear();
      }
      c.is_float = to_float;
    } else if (op == "Unsqueeze" || op == "Squeeze") {
      std::vector<int64_t> axes = a.ints("axes", {});
      a.finish();
      if (present(n, 1)) axes = ints_of(n, 1);
      c = constant(n, 0);
      c.dims = squeezed(c.dims, axes, op == "Unsqueeze");
    } else if (op == "Concat") {
      const int64_t axis = a.i("axis", 0);
      a.finish();
      c = constant(n, 0);
      if (c.dims.size() != 1 || (axis != 0 && axis != -1))
        unsupported("constants concatenated other than as lists");
      for (int k = 1; k < n.input_size(); ++k) {
        const Const& o = constant(n, k);
        if (o.is_float != c.is_float || o.dims.size() != 1) unsupported("mixed constants");
        room_for(c.numel() + o.numel());
        c.f.insert(c.f.end(), o.f.begin(), o.f.end());
        c.i.insert(c.i.end(), o.i.begin(), o.i.end());
      }
      c.dims = {c.numel()};
    } else if (op == "Gather") {
      const int64_t axis = a.i("axis", 0);
      a.finish();
      const Const& data = constant(n, 0);
      const std::vector<int64_t> idx = ints_of(n, 1);
      const Const& ic = constant(n, 1);
      if (data.dims.size() != 1 || axis != 0) unsupported("a gather from constants not lists");
      c.is_float = data.is_float;
      for (int64_t k : idx) {
        const int64_t m = data.numel();
        if (k < -m || k >= m) bad_file("index " + std::to_string(k) + " out of range");
        if (k < 0) k += m;
        if (c.is_float)
          c.f.push_back(data.f[size_t(k)]);
        else
          c.i.push_back(data.i[size_t(k)]);
      }
      c.dims = ic.dims;
    } else if (op == "Transpose") {  // a weight transposed before a MatMul
      const Const& x = constant(n, 0);
      const auto r = int64_t(x.dims.size());
      std::vector<int64_t> perm(static_cast<size_t>(r));
      for (int64_t k = 0; k < r; ++k) perm[size_t(k)] = r - 1 - k;
      perm = a.ints("perm", perm);
      a.finish();
      std::vector<int64_t> sorted = perm;
      std::sort(sorted.begin(), sorted.end());
      for (int64_t k = 0; k < r; ++k)
        if (int64_t(sorted.size()) != r || sorted[size_t(k)] != k)
          bad_file("perm " + dims_str(perm));
      c.is_float = x.is_float;
      for (int64_t k = 0; k < r; ++k) c.dims.push_back(x.dims[size_t(perm[size_t(k)])]);
      // Output element o (row-major over c.dims) reads the input at the permuted index.
      std::vector<int64_t> in_stride(static_cast<size_t>(r), 1), idx(static_cast<size_t>(r), 0);
      for (int64_t k = r - 2; k >= 0; --k)
        in_stride[size_t(k)] = in_stride[size_t(k + 1)] * x.dims[size_t(k + 1)];
      for (int64_t o = 0; o < x.numel(); ++o) {
        int64_t at = 0;
        for (int64_t k = 0; k < r; ++k) at += idx[size_t(k)] * in_stride[size_t(perm[size_t(k)])];
        if (c.is_float)
          c.f.push_back(x.f[size_t(at)]);
        else
          c.i.push_back(x.i[size_t(at)]);
        for (int64_t k = r - 1; k >= 0 && ++idx[size_t(k)] == c.dims[size_t(k)]; --k)
          idx[size_t(k)] = 0;
      }
    } else if (op == "Slice" && constant_any(n, 0).is_fill) {  // part of a fill: a fill
      a.finish();
      c = constant_any(n, 0);
      const std::vector<int64_t> starts = ints_of(n, 1), ends = ints_of(n, 2);
      std::vector<int64_t> axes(starts.size());
      for (size_t k = 0; k < axes.size(); ++k) axes[k] = int64_t(k);
      if (present(n, 3)) axes = ints_of(n, 3);
      if (present(n, 4)) unsupported("a slice with steps of a constant of the batch's size");
      if (axes.size() != starts.size() || ends.size() != starts.size())
        bad_file("starts, ends and axes differ in length");
      const auto r = int64_t(c.dims.size());
      for (size_t k = 0; k < axes.size(); ++k) {
        const int64_t ax = axes[k] < 0 ? axes[k] + r : axes[k];
        if (ax < 0 || ax >= r) bad_file("axis " + std::to_string(axes[k]) + " out of range");
        const int64_t m = c.dims[size_t(ax)];
        if (m == kBatch) unsupported("a slice of the batch");
        const auto clamp = [&](int64_t v) { return std::clamp(v < 0 ? v + m : v, int64_t{0}, m); };
        c.dims[size_t(ax)] = std::max<int64_t>(0, clamp(ends[k]) - clamp(starts[k]));
      }
    } else if (op == "Slice") {
      a.finish();
      const Const& data = constant(n, 0);
      if (data.dims.size() != 1) unsupported("a slice of constants not lists");
      const std::vector<int64_t> starts = ints_of(n, 1), ends = ints_of(n, 2);
      if (starts.size() != 1 || ends.size() != 1) bad_file("a slice of a list takes one axis");
      if (present(n, 3) && ints_of(n, 3) != std::vector<int64_t>{0})
        bad_file("a slice of a list is along axis 0");
      const int64_t step = present(n, 4) ? ints_of(n, 4).at(0) : 1;
      if (step != 1) unsupported("a slice with step " + std::to_string(step));
      const int64_t m = data.numel();
      const auto clamp = [&](int64_t k) { return std::clamp(k < 0 ? k + m : k, int64_t{0}, m); };
      const int64_t b = clamp(starts[0]), e = std::max(b, clamp(ends[0]));
      c.is_float = data.is_float;
      if (c.is_float)
        c.f.assign(data.f.begin() + b, data.f.begin() + e);
      else
        c.i.assign(data.i.begin() + b, data.i.begin() + e);
      c.dims = {e - b};
    }
    set(n.output(0), std::move(v));
  }

  std::vector<int64_t> squeezed(std::vector<int64_t> dims, std::vector<int64_t> axes,
                                bool unsqueeze) const {
    const auto r = int64_t(dims.size() + (unsqueeze ? axes.size() : 0));
    for (auto& ax : axes) {
      if (ax < -r || ax >= r) bad_file("axis " + std::to_string(ax) + " out of range");
      if (ax < 0) ax += r;
    }
    std::sort(axes.begin(), axes.end());
    if (std::adjacent_find(axes.begin(), axes.end()) != axes.end()) bad_file("repeated axes");
    if (unsqueeze) {
      for (int64_t ax : axes) dims.insert(dims.begin() + ax, 1);
      return dims;
    }
    if (axes.empty()) {  // every dimension of size 1
      std::erase(dims, int64_t{1});
      return dims;
    }
    for (auto it = axes.rbegin(); it != axes.rend(); ++it) {
      if (dims[size_t(*it)] != 1)
        bad_file("squeezes axis " + std::to_string(*it) + " of size " +
                 std::to_string(dims[size_t(*it)]));
      dims.erase(dims.begin() + *it);
    }
    return dims;
  }

  void squeeze(const onnx::NodeProto& n, NodeAttrs& a) {
    std::vector<int64_t> axes = a.ints("axes", {});
    a.finish();
    if (present(n, 1)) axes = ints_of(n, 1);
    const Value& x = runtime_any(n, 0);
    const bool un = n.op_type() == "Unsqueeze";
    if (!un && axes.empty()) unsupported("a Squeeze without axes (it may drop a batch of one)");
    std::vector<int64_t> d = full_dims(x);
    const auto r = int64_t(d.size() + (un ? axes.size() : 0));
    for (int64_t ax : axes)
      if (!un && (ax == x.batch_axis || ax == x.batch_axis - r))
        unsupported("it squeezes the batch axis " + std::to_string(x.batch_axis));
    set_full(n, x, squeezed(d, axes, un));
  }

  // A reordering of the axes: of the batch's place only, a view; of the others, a permute layer.
  void transpose(const onnx::NodeProto& n, NodeAttrs& a) {
    const Value& x = runtime_any(n, 0);
    const std::vector<int64_t> d = full_dims(x);
    const auto r = int64_t(d.size());
    std::vector<int64_t> perm(static_cast<size_t>(r));
    for (int64_t k = 0; k < r; ++k) perm[size_t(k)] = r - 1 - k;
    perm = a.ints("perm", perm);
    a.finish();
    std::vector<int64_t> sorted = perm;
    std::sort(sorted.begin(), sorted.end());
    for (int64_t k = 0; k < r; ++k)
      if (int64_t(sorted.size()) != r || sorted[size_t(k)] != k) bad_file("perm " + dims_str(perm));
    std::vector<int64_t> out, sample_perm;
    int64_t batch = 0;
    for (int64_t k = 0; k < r; ++k) {
      const int64_t p = perm[size_t(k)];
      out.push_back(d[size_t(p)]);
      if (p == x.batch_axis)
        batch = k;
      else
        sample_perm.push_back(p - (p > x.batch_axis ? 1 : 0));
    }
    bool identity = true;
    for (size_t k = 0; k < sample_perm.size(); ++k)
      identity = identity && sample_perm[k] == int64_t(k);
    if (identity) return set_full(n, x, out);
    emit(n, "permute", {{"dims", sample_perm}}, {&x}, {}, "", batch);
  }

  // Entries [begin, end) of ONNX axis `axis` of x into the value `out` (a view when it is all).
  void slice_axis(const onnx::NodeProto& n, const Value& x, int64_t axis, int64_t begin,
                  int64_t end, const std::string& out) {
    if (axis == x.batch_axis) unsupported("it slices the batch axis");
    const int64_t s_axis = axis - (axis > x.batch_axis ? 1 : 0);
    const int64_t size = x.shape[s_axis];
    const auto clamp = [&](int64_t v) {
      return std::clamp(v < 0 ? v + size : v, int64_t{0}, size);
    };
    begin = clamp(begin);
    end = std::max(begin, clamp(end));
    if (begin == end) unsupported("an empty slice");
    if (begin == 0 && end == size) return set(out, x);
    emit(n, "slice", {{"axis", s_axis}, {"start", begin}, {"end", end}}, {&x}, {}, out,
         x.batch_axis);
  }

  // Gather by constant indices along an axis of the model's data: a slice (indices in a row),
  // without that axis for a single index.
  void gather_rows(const onnx::NodeProto& n, int64_t axis) {
    const Value& x = runtime_any(n, 0);
    const Const& ic = constant(n, 1);
    if (ic.is_float) bad_file("indices must be integers");
    const auto r = int64_t(x.shape.rank() + 1);
    if (axis < -r || axis >= r) bad_file("axis " + std::to_string(axis) + " out of range");
    if (axis < 0) axis += r;
    if (axis == x.batch_axis) unsupported("it gathers along the batch axis");
    const int64_t size = x.shape[axis - (axis > x.batch_axis ? 1 : 0)];
    std::vector<int64_t> idx = ic.i;
    for (auto& k : idx) {
      if (k < -size || k >= size) bad_file("index " + std::to_string(k) + " out of range");
      if (k < 0) k += size;
    }
    if (idx.empty() || ic.dims.size() > 1) unsupported("indices that are not a scalar or a list");
    for (size_t k = 1; k < idx.size(); ++k)
      if (idx[k] != idx[0] + int64_t(k)) unsupported("indices that are not consecutive");
    const std::string part = n.output(0) + "/slice";
    slice_axis(n, x, axis, idx[0], idx.back() + 1, part);
    if (!ic.dims.empty()) return alias(n, value(part));
    const Value& sl = value(part);
    std::vector<int64_t> d = full_dims(sl);
    d.erase(d.begin() + axis);
    set_full(n, sl, d);
  }

  void slice(const onnx::NodeProto& n, NodeAttrs& a) {
    std::vector<int64_t> starts = a.ints("starts", {}), ends = a.ints("ends", {}),
                         axes = a.ints("axes", {});  // before opset 10
    a.finish();
    const Value& x = runtime_any(n, 0);
    if (present(n, 1)) starts = ints_of(n, 1);
    if (present(n, 2)) ends = ints_of(n, 2);
    if (present(n, 3)) axes = ints_of(n, 3);
    if (present(n, 4))
      for (int64_t step : ints_of(n, 4))
        if (step != 1) unsupported("a slice with step " + std::to_string(step));
    if (axes.empty())
      for (size_t k = 0; k < starts.size(); ++k) axes.push_back(int64_t(k));
    if (starts.size() != ends.size() || axes.size() != starts.size() || starts.empty())
      bad_file("starts, ends and axes differ in length");
    const auto r = int64_t(x.shape.rank() + 1);
    const auto bound = [](int64_t v) {
      return std::clamp(v, -kMaxValues, kMaxValues);  // ONNX writes INT64_MAX for "to the end"
    };
    Value cur = x;
    for (size_t k = 0; k < axes.size(); ++k) {
      int64_t ax = axes[k];
      if (ax < -r || ax >= r) bad_file("axis " + std::to_string(ax) + " out of range");
      if (ax < 0) ax += r;
      const std::string out =
          k + 1 == axes.size() ? n.output(0) : n.output(0) + "/" + std::to_string(k);
      slice_axis(n, cur, ax, bound(starts[k]), bound(ends[k]), out);
      cur = value(out);
    }
  }

  void constant_of_shape(const onnx::NodeProto& n, NodeAttrs& a) {
    Const fill;
    fill.f = {0.0f};
    if (const auto* t = a.tensor("value")) fill = read_tensor(*t, bad_here(), unsupported_here());
    a.finish();
    if (fill.numel() != 1) bad_file("a value of more than one element");
    const std::vector<int64_t> dims = ints_of(n, 0);
    Value v;
    v.is_const = true;
    v.c.is_float = fill.is_float;
    v.c.dims = dims;
    if (std::find(dims.begin(), dims.end(), kBatch) != dims.end()) {
      v.c.is_fill = true;
      v.c.fill = fill.is_float ? fill.f[0] : float(fill.i[0]);
    } else {
      const int64_t count = checked_numel(dims, bad_here());
      room_for(count);
      if (fill.is_float)
        v.c.f.assign(size_t(count), fill.f[0]);
      else
        v.c.i.assign(size_t(count), fill.i[0]);
    }
    set(n.output(0), std::move(v));
  }

  // LSTM and GRU as redes' lstm and gru: PyTorch's equations, gates reordered from ONNX's
  // (LSTM: i, o, f, c; GRU: z, r, h) to redes' (LSTM: i, f, g, o; GRU: r, z, n).
  void recurrent(const onnx::NodeProto& n, NodeAttrs& a) {
    const bool lstm = n.op_type() == "LSTM";
    int64_t hidden = a.i("hidden_size", 0);
    const std::string direction = a.s("direction", "forward");
    const int64_t layout = a.i("layout", 0);
    const std::vector<std::string> acts = a.strings("activations");
    if (!a.floats("activation_alpha").empty() || !a.floats("activation_beta").empty())
      unsupported("activation_alpha or activation_beta (redes' cells use sigmoid and tanh)");
    if (a.has("clip")) {
      a.f("clip", 0);
      unsupported("clip (redes' cells do not clip)");
    }
    if (lstm && a.i("input_forget", 0) != 0) unsupported("input_forget = 1");
    const int64_t before_reset = lstm ? 1 : a.i("linear_before_reset", 0);
    a.finish();
    if (before_reset != 1)
      unsupported(
          "linear_before_reset = 0 (redes' GRU is PyTorch's, which applies the reset "
          "gate after the hidden product: linear_before_reset = 1)");
    if (direction == "reverse")
      unsupported("direction 'reverse' (redes runs forward or both ways)");
    if (direction != "forward" && direction != "bidirectional")
      bad_file("direction '" + direction + "'");
    const int64_t D = direction == "bidirectional" ? 2 : 1, G = lstm ? 4 : 3;
    for (size_t k = 0; k < acts.size(); ++k) {
      const std::string want = k % (lstm ? 3 : 2) == 0 ? "Sigmoid" : "Tanh";
      if (acts[k] != want)
        unsupported("activations other than " +
                    std::string(lstm ? "Sigmoid, Tanh, Tanh" : "Sigmoid, Tanh"));
    }
    if (layout != 0 && layout != 1) bad_file("layout " + std::to_string(layout));
    const int64_t batch_axis = layout == 0 ? 1 : 0;  // X (T, N, F) or (N, T, F)
    const Value& x = runtime_any(n, 0);
    if (x.shape.rank() != 2 || x.batch_axis != batch_axis)
      unsupported(std::string("input X is not ") + (layout == 0 ? "(T, N, F)" : "(N, T, F)") +
                  " with the batch at axis " + std::to_string(batch_axis) +
                  (layout == 0 && x.batch_axis == 0
                       ? " (a model that takes (T, N, F) sequences imports with the input's "
                         "batch axis set to 1)"
                       : ""));
    const int64_t T = x.shape[0], F = x.shape[1];
    const Const& w = floats(n, 1);
    const Const& r = floats(n, 2);
    if (r.dims.size() == 3 && hidden == 0) hidden = r.dims[2];
    if (hidden < 1 || hidden > kMaxValues) bad_file("hidden_size " + std::to_string(hidden));
    const int64_t H = hidden;
    if (w.dims != std::vector<int64_t>{D, G * H, F} || r.dims != std::vector<int64_t>{D, G * H, H})
      bad_file("W " + dims_str(w.dims) + " and R " + dims_str(r.dims) + " do not fit " +
               std::to_string(D) + " direction(s) of hidden_size " + std::to_string(H) + " over " +
               std::to_string(F) + " features");
    std::vector<float> bias(size_t(D * 2 * G * H), 0.0f);
    if (present(n, 3)) {
      const Const& b = floats(n, 3);
      if (b.dims != std::vector<int64_t>{D, 2 * G * H}) bad_file("B " + dims_str(b.dims));
      bias = b.f;
    }
    // sequence_lens: the whole sequence (nothing to do), or the lengths of a mask (its input).
    const Value* mask = nullptr;
    if (present(n, 4)) {
      const Value& lv = value(n.input(4));
      if (!lv.is_const && lv.ids == Value::Ids::lengths && lv.shape == Shape{T}) {
        mask = &lv;
      } else {
        const Const& lens = constant_any(n, 4);
        const bool full =
            !lens.is_fill && !lens.is_float &&
            std::all_of(lens.i.begin(), lens.i.end(), [&](int64_t l) { return l == T; });
        if (!full)
          unsupported(
              "sequence_lens other than the whole sequence or a mask's lengths (redes "
              "marks padding with a mask input)");
      }
    }
    // The initial states: none (absent or zero), or values of the model (then inputs).
    std::vector<const Value*> ins{&x};
    const int states = lstm ? 2 : 1;
    int given = 0, zero = 0;
    for (int k = 0; k < states; ++k) {
      if (!present(n, 5 + k) ||
          (value(n.input(5 + k)).is_const && constant_any(n, 5 + k).all_zero())) {
        ++zero;
        continue;
      }
      const Value& h = runtime_any(n, 5 + k);
      if (h.shape != Shape{D, H} || h.batch_axis != batch_axis)
        unsupported("an initial state that is not (D, N, H) in the layout of X");
      ins.push_back(&h);
      ++given;
    }
    if (given > 0 && zero > 0)
      unsupported("an initial hidden state without an initial cell state, or the other way");
    if (lstm && present(n, 7) && !constant_any(n, 7).all_zero())
      unsupported("peepholes P (redes' LSTM has none)");
    Value mask_input;
    if (mask) {  // the mask itself, as the layer reads it
      mask_input = *mask;
      mask_input.ids = Value::Ids::none;
      ins.push_back(&mask_input);
    }
    if (!used(n, 0) && !used(n, 1)) return;  // nothing reads it
    if (used(n, 0) && used(n, 1))
      unsupported("both Y and Y_h are read (redes' layer gives the sequence or its last state)");
    if (lstm && used(n, 2)) unsupported("Y_c is read (redes' LSTM gives no cell state)");
    // redes' gate j is ONNX's gate order[j].
    const std::vector<int64_t> order =
        lstm ? std::vector<int64_t>{0, 2, 3, 1} : std::vector<int64_t>{1, 0, 2};
    const auto gates = [&](const float* src, int64_t cols) {
      std::vector<float> out(size_t(G * H * cols));
      for (int64_t j = 0; j < G; ++j)
        std::copy(src + order[size_t(j)] * H * cols, src + (order[size_t(j)] + 1) * H * cols,
                  out.begin() + j * H * cols);
      return out;
    };
    std::map<std::string, std::vector<float>> weights;
    for (int64_t d = 0; d < D; ++d) {
      const std::string suffix = d ? "_l0_reverse" : "_l0";
      weights["weight_ih" + suffix] = gates(w.f.data() + d * G * H * F, F);
      weights["weight_hh" + suffix] = gates(r.f.data() + d * G * H * H, H);
      weights["bias_ih" + suffix] = gates(bias.data() + d * 2 * G * H, 1);
      weights["bias_hh" + suffix] = gates(bias.data() + d * 2 * G * H + G * H, 1);
    }
    const bool sequences = used(n, 0);
    const std::string out = n.output(sequences ? 0 : 1);
    emit(n, lstm ? "lstm" : "gru",
         {{"units", H},
          {"bidirectional", D == 2},
          {"return_sequences", sequences},
          {"initial_state", given > 0},
          {"masked", mask != nullptr}},
         ins, std::move(weights), out + "/redes");
    // Y (T, D, N, H) or (N, T, D, H); Y_h (D, N, H) or (N, D, H).
    const Value& y = value(out + "/redes");
    Value v = y;
    v.shape = sequences ? Shape{T, D, H} : Shape{D, H};
    v.batch_axis = sequences ? (layout == 0 ? 2 : 0) : batch_axis;
    set(out, v);
  }

  // A reshape that keeps the batch where it is (at axis b, after dimensions of the same
  // product): a view of the per-sample values.
  void reshape_node(const onnx::NodeProto& n, NodeAttrs& a) {
    const bool allowzero = a.i("allowzero", 0) != 0;
    std::vector<int64_t> t = a.ints("shape", {});  // opset 1-4
    a.finish();
    const Value& x = runtime_any(n, 0);
    if (present(n, 1)) t = ints_of(n, 1);
    const std::vector<int64_t> shape = t, in = full_dims(x);
    const auto b = size_t(x.batch_axis);
    if (t.size() <= b)
      unsupported("the shape " + dims_str(shape) + " does not keep the batch at axis " +
                  std::to_string(b));
    for (size_t k = 0; k < t.size(); ++k) {
      if (t[k] == 0 && !allowzero) {
        if (k >= in.size()) bad_file("a 0 in " + dims_str(shape) + " past the input's rank");
        t[k] = in[k];
      }
      if (t[k] == kBatch && k != b)
        unsupported("the batch moves to axis " + std::to_string(k) + " in " + dims_str(shape));
      if (k != b && (t[k] == 0 || t[k] < -1))
        unsupported("dimension " + std::to_string(t[k]) + " in " + dims_str(shape));
      if (t[k] > kMaxValues) bad_file("dimension " + std::to_string(t[k]) + " too large");
    }
    std::vector<int64_t> sample = t;
    sample.erase(sample.begin() + int64_t(b));
    const int64_t unknown = std::count(sample.begin(), sample.end(), int64_t{-1});
    if (unknown > 1) bad_file("more than one -1 in " + dims_str(shape));
    std::vector<int64_t> known_dims;  // the sizes given (not -1), checked for overflow
    for (int64_t d : sample)
      if (d != -1) known_dims.push_back(d);
    const int64_t known = checked_numel(known_dims, bad_here());
    bool keeps_batch = t[b] == kBatch || (batch_ > 0 && t[b] == batch_);
    if (t[b] == -1 && unknown == 0) keeps_batch = known == x.shape.numel();
    // The dimensions in front of the batch hold as many entries as before.
    const std::vector<int64_t> front(t.begin(), t.begin() + int64_t(b)),
        front_in(in.begin(), in.begin() + int64_t(b));
    if (std::count(front.begin(), front.end(), int64_t{-1}))
      unsupported("a -1 in front of the batch in " + dims_str(shape));
    const int64_t before = checked_numel(front, bad_here()),
                  before_in = checked_numel(front_in, bad_here());
    if (!keeps_batch || before != before_in)
      unsupported("the shape " + dims_str(shape) + " does not keep the batch dimension " +
                  (b ? "at axis " + std::to_string(b) : std::string("first")));
    if (unknown == 1) {
      if (known == 0 || x.shape.numel() % known != 0)
        bad_file("cannot reshape " + x.shape.str() + " to " + dims_str(shape));
      for (auto& d : sample)
        if (d == -1) d = x.shape.numel() / known;
    }
    reshape(n, x, sample, x.batch_axis);
  }

  void gemm(const onnx::NodeProto& n, NodeAttrs& a) {
    const float alpha = a.f("alpha", 1.0f), beta = a.f("beta", 1.0f);
    const int64_t trans_a = a.i("transA", 0), trans_b = a.i("transB", 0);
    if (a.i("broadcast", 1) != 1) unsupported("broadcast = 0");  // opsets 1-6
    a.finish();
    const Value& x = runtime(n, 0);
    if (trans_a) unsupported("transA = 1 (it would transpose the batch)");
    const Const& b = floats(n, 1);
    if (x.shape.rank() != 1) unsupported("input " + x.shape.str() + " is not a vector per sample");
    if (b.dims.size() != 2) bad_file("B is not a matrix");
    const int64_t units = trans_b ? b.dims[0] : b.dims[1], f = trans_b ? b.dims[1] : b.dims[0];
    if (f != x.shape[0]) bad_file("B " + dims_str(b.dims) + " does not fit input " + x.shape.str());
    std::vector<float> w(static_cast<size_t>(units * f));
    for (int64_t u = 0; u < units; ++u)
      for (int64_t k = 0; k < f; ++k)
        w[size_t(u * f + k)] =
            alpha * (trans_b ? b.f[size_t(u * f + k)] : b.f[size_t(k * units + u)]);
    std::map<std::string, std::vector<float>> weights{{"weight", std::move(w)}};
    if (present(n, 2)) {
      const Const& c = floats(n, 2);
      std::vector<float> bias(static_cast<size_t>(units));
      const bool one_row =
          c.dims.empty() || (c.dims.size() == 1) || (c.dims.size() == 2 && c.dims[0] == 1);
      if (c.numel() == 1) {
        std::fill(bias.begin(), bias.end(), c.f[0]);
      } else if (one_row && c.numel() == units) {
        bias = c.f;
      } else {
        unsupported("a bias C of shape " + dims_str(c.dims) +
                    " (redes adds one value per "
                    "output unit)");
      }
      for (float& v : bias) v *= beta;
      weights["bias"] = std::move(bias);
    }
    const bool bias = weights.count("bias") > 0;
    emit(n, "linear", {{"units", units}, {"bias", bias}}, {&x}, std::move(weights));
  }

  void matmul(const onnx::NodeProto& n, NodeAttrs& a) {
    a.finish();
    const Value& x = runtime(n, 0);
    const Const& b = floats(n, 1);
    if (b.dims.size() != 2) unsupported("B " + dims_str(b.dims) + " is not a matrix");
    if (x.shape.rank() < 1 || x.shape.dims().back() != b.dims[0])
      bad_file("B " + dims_str(b.dims) + " does not fit input " + x.shape.str());
    const int64_t f = b.dims[0], units = b.dims[1];
    std::vector<float> w(static_cast<size_t>(units * f));
    for (int64_t u = 0; u < units; ++u)
      for (int64_t k = 0; k < f; ++k) w[size_t(u * f + k)] = b.f[size_t(k * units + u)];
    emit(n, "linear", {{"units", units}, {"bias", false}}, {&x}, {{"weight", std::move(w)}});
  }

  // x + y of one shape, or a layer's output plus a bias it does not have yet (MatMul + Add,
  // Conv + Add, as exporters write them).
  void add(const onnx::NodeProto& n, NodeAttrs& a) {
    a.finish();
    const Value& x = in(n, 0);
    const Value& y = in(n, 1);
    if (gelu_step(n, x, y)) return;
    if (!x.is_const && !y.is_const) {
      if (x.shape != y.shape)
        unsupported("inputs " + x.shape.str() + " and " + y.shape.str() +
                    " differ (redes adds values of one shape)");
      emit(n, "add", {}, {&x, &y});
      return;
    }
    if (x.is_const && y.is_const) unsupported("an Add of two constants");
    const Value& v = x.is_const ? y : x;
    const Const& c = x.is_const ? x.c : y.c;
    const std::string& vname = x.is_const ? n.input(1) : n.input(0);
    if (!c.is_float) bad_file("a bias of integers");
    if (v.affine && affine_.shift.empty() && used_once(vname))
      if (auto shift = per_channel(c, v.shape); !shift.empty()) {
        affine_.shift = std::move(shift);
        return alias(n, v);
      }
    if (v.layer >= 0 && used_once(vname)) {
      LayerSpec& s = specs_[size_t(v.layer)];
      const bool no_bias = s.attrs.contains("bias") && s.attrs["bias"] == false;
      const int64_t units = s.kind == "linear"   ? v.shape.dims().back()
                            : s.kind == "conv2d" ? v.shape[0]
                                                 : 0;
      // The constant's dimensions past those of size 1 must be (units) where the layer's
      // units are: the last axis for linear, the channel axis for conv2d.
      std::vector<int64_t> d = c.dims;
      while (!d.empty() && d.front() == 1 && int64_t(d.size()) > (s.kind == "conv2d" ? 3 : 1))
        d.erase(d.begin());
      const bool fits = s.kind == "linear"
                            ? (d.size() == 1 && d[0] == units)
                            : (d.size() == 3 && d[0] == units && d[1] == 1 && d[2] == 1);
      if (no_bias && units > 0 && fits && c.numel() == units) {
        s.attrs["bias"] = true;
        weights_[s.name + ".bias"] = c.f;
        alias(n, v);
        return;
      }
    }
    unsupported("an Add of a constant that is not the bias of the layer before");
  }

  // The values of a constant that broadcasts as one per channel (images (C, H, W)) or per
  // feature (vectors (F)) over a per-sample shape, or {} if it does not.
  std::vector<float> per_channel(const Const& c, const Shape& shape) const {
    const int64_t ch = shape.rank() == 3 ? shape[0] : shape.rank() == 1 ? shape[0] : 0;
    std::vector<int64_t> d = c.dims;
    const size_t r = shape.rank() == 3 ? 3 : 1;
    while (d.size() > r && d.front() == 1) d.erase(d.begin());
    if (ch == 0 || !c.is_float) return {};
    if (c.numel() == 1) return std::vector<float>(static_cast<size_t>(ch), c.f[0]);
    const bool fits = r == 3 ? d == std::vector<int64_t>{ch, 1, 1} : d == std::vector<int64_t>{ch};
    return fits ? c.f : std::vector<float>{};
  }

  // A step of GELU's expansion (Value::Ids); false when the node is not one.
  bool gelu_step(const onnx::NodeProto& n, const Value& x, const Value& y) {
    using Ids = Value::Ids;
    const std::string& op = n.op_type();
    const auto scalar = [](const Value& v, double want) {
      return v.is_const && !v.c.is_fill && v.c.is_float && v.c.numel() == 1 &&
             std::abs(v.c.f[0] - want) <= 1e-6 * std::abs(want);
    };
    const auto same = [](const Value& a, const Value& b) {  // one value of the model
      return !a.is_const && !b.is_const && a.layer == b.layer && a.shape == b.shape &&
             a.batch_axis == b.batch_axis && a.affine == b.affine;
    };
    const auto step = [&](const Value& from, Ids to) {
      Value v = from;
      v.ids = to;
      set(n.output(0), v);
      return true;
    };
    if (op == "Div" && !x.is_const && x.ids == Ids::none && scalar(y, std::sqrt(2.0)))
      return step(x, Ids::gelu_arg);
    if (op == "Erf" && !x.is_const && x.ids == Ids::gelu_arg) return step(x, Ids::gelu_erf);
    const Value& p = x.is_const ? y : x;  // the patterned operand, when the other is a constant
    const Value& c = x.is_const ? x : y;
    if (op == "Add" && p.ids == Ids::gelu_erf && scalar(c, 1.0)) return step(p, Ids::gelu_onep);
    if (op == "Mul" && !x.is_const && !y.is_const) {
      const Value& onep = x.ids == Ids::gelu_onep ? x : y;
      const Value& v = x.ids == Ids::gelu_onep ? y : x;
      if (onep.ids == Ids::gelu_onep && v.ids == Ids::none && same(onep, v))
        return step(v, Ids::gelu_half);
    }
    if (op == "Mul" && p.ids == Ids::gelu_half && scalar(c, 0.5)) {
      Value v = p;
      v.ids = Ids::none;
      emit(n, "gelu", {{"approximate", "none"}}, {&v});
      return true;
    }
    return false;
  }

  // The model input times a constant, in front of the network: the normalisation of an image
  // model, or a scaling of a table's features folded into the first linear layer (finish()).
  void mul(const onnx::NodeProto& n, NodeAttrs& a) {
    a.finish();
    const Value& x = in(n, 0);
    const Value& y = in(n, 1);
    if (gelu_step(n, x, y)) return;
    const Value& v = x.is_const ? y : x;
    if (x.is_const != y.is_const && v.layer < 0 && !v.affine &&
        used_once(x.is_const ? n.input(1) : n.input(0))) {
      if (auto scale = per_channel(x.is_const ? x.c : y.c, v.shape); !scale.empty()) {
        affine_.scale = std::move(scale);
        Value out = v;
        out.affine = true;
        return set(n.output(0), out);
      }
    }
    unsupported("a Mul other than a scale of the model input per channel or feature");
  }

  // ONNX pads [top, left, bottom, right], or those auto_pad asks for, of a window over x.
  std::vector<int64_t> pads(NodeAttrs& a, const Shape& x, const std::vector<int64_t>& kernel,
                            const std::vector<int64_t>& strides,
                            const std::vector<int64_t>& dilations) {
    const std::string auto_pad = a.s("auto_pad", "NOTSET");
    std::vector<int64_t> p = a.ints("pads", {0, 0, 0, 0});
    if (p.size() != 4) unsupported("pads " + dims_str(p) + " (redes pads two axes)");
    for (int64_t v : p)
      if (v < 0 || v > kMaxValues) unsupported("negative or huge pads " + dims_str(p));
    if (auto_pad == "NOTSET") return p;
    if (auto_pad == "VALID") return {0, 0, 0, 0};
    if (auto_pad != "SAME_UPPER" && auto_pad != "SAME_LOWER")
      bad_file("auto_pad '" + auto_pad + "'");
    for (int ax = 0; ax < 2; ++ax) {
      const int64_t size = x[1 + ax], out = (size + strides[ax] - 1) / strides[ax];
      const int64_t span = dilations[ax] * (kernel[ax] - 1) + 1;
      const int64_t total = std::max<int64_t>(0, (out - 1) * strides[ax] + span - size);
      const int64_t small = total / 2, large = total - small;
      p[ax] = auto_pad == "SAME_UPPER" ? small : large;
      p[ax + 2] = auto_pad == "SAME_UPPER" ? large : small;
    }
    return p;
  }

  std::vector<int64_t> pair(NodeAttrs& a, const std::string& key, int64_t fallback) {
    const auto v = a.ints(key, {fallback, fallback});
    if (v.size() != 2) unsupported("'" + key + "' " + dims_str(v) + " (redes works on 2-d images)");
    for (int64_t d : v)
      if (d < 1 || d > kMaxValues) bad_file("'" + key + "' " + dims_str(v));
    return v;
  }

  void conv(const onnx::NodeProto& n, NodeAttrs& a) {
    const Value& x = runtime(n, 0);
    const Const& w = floats(n, 1);
    if (w.dims.size() != 4) unsupported("weights " + dims_str(w.dims) + " (redes has conv2d)");
    if (x.shape.rank() != 3) bad_file("input " + x.shape.str() + " is not (C, H, W)");
    const std::vector<int64_t> kernel = pair(a, "kernel_shape", 0);
    if (kernel != std::vector<int64_t>{w.dims[2], w.dims[3]})
      bad_file("kernel_shape " + dims_str(kernel) + " differs from the weights " +
               dims_str(w.dims));
    const auto strides = pair(a, "strides", 1), dilations = pair(a, "dilations", 1);
    const int64_t group = a.i("group", 1);
    const std::vector<int64_t> p = pads(a, x.shape, kernel, strides, dilations);
    a.finish();
    if (group < 1 || w.dims[0] % group != 0 || x.shape[0] != w.dims[1] * group)
      bad_file("weights " + dims_str(w.dims) + " with group " + std::to_string(group) +
               " do not fit input " + x.shape.str());
    std::map<std::string, std::vector<float>> weights{{"weight", w.f}};
    if (present(n, 2)) {
      const Const& b = floats(n, 2);
      if (b.numel() != w.dims[0]) bad_file("bias " + dims_str(b.dims) + " is not one per filter");
      weights["bias"] = b.f;
    }
    const bool bias = weights.count("bias") > 0;
    emit(n, "conv2d",
         {{"filters", w.dims[0]},
          {"kernel", kernel},
          {"stride", strides},
          {"dilation", dilations},
          {"padding", p},
          {"groups", group},
          {"bias", bias}},
         {&x}, std::move(weights));
  }

  void pool(const onnx::NodeProto& n, NodeAttrs& a) {
    const bool max = n.op_type() == "MaxPool";
    only_first_output(n);
    const Value& x = runtime(n, 0);
    const std::vector<int64_t> kernel = a.ints("kernel_shape", {});
    if (kernel.size() != 2)
      unsupported("kernel_shape " + dims_str(kernel) + " (redes pools 2-d images)");
    for (int64_t k : kernel)
      if (k < 1 || k > kMaxValues) bad_file("kernel_shape " + dims_str(kernel));
    if (x.shape.rank() != 3) bad_file("input " + x.shape.str() + " is not (C, H, W)");
    const auto strides = pair(a, "strides", 1), dilations = pair(a, "dilations", 1);
    if (!max && dilations != std::vector<int64_t>{1, 1})
      unsupported("dilations " + dims_str(dilations) + " (redes' average pooling has none)");
    const std::vector<int64_t> p = pads(a, x.shape, kernel, strides, dilations);
    const bool ceil = a.i("ceil_mode", 0) != 0;
    const bool count_pad = !max && a.i("count_include_pad", 0) != 0;  // ONNX's default is 0
    if (max) a.i("storage_order", 0);  // only the unused indices depend on it
    a.finish();
    for (int ax = 0; ax < 2; ++ax) {
      // PyTorch's limits, which redes keeps: half the kernel where both sides match, half the
      // dilated kernel each where they differ.
      const int64_t span = dilations[ax] * (kernel[ax] - 1) + 1;
      const int64_t lo = p[ax], hi = p[ax + 2];
      if (lo == hi ? 2 * lo > kernel[ax] : 2 * std::max(lo, hi) > span)
        unsupported("pads " + dims_str(p) + " above half the kernel (PyTorch's limit)");
      // With ceil_mode, PyTorch (and redes) drop a last window that would start in the padding
      // at the end; ONNX keeps it.
      const int64_t size = x.shape[1 + ax], room = size + lo + hi - span;
      if (ceil && room >= 0 && (room + strides[ax] - 1) / strides[ax] * strides[ax] >= size + lo)
        unsupported(
            "ceil_mode = 1 with a last window in the end padding (redes drops it, as "
            "PyTorch)");
    }
    nlohmann::json attrs = {{"kernel", kernel},
                            {"stride", strides},
                            {"padding", {p[0], p[1], p[2], p[3]}},
                            {"ceil_mode", ceil}};
    if (max)
      attrs["dilation"] = dilations;
    else
      attrs["count_include_pad"] = count_pad;
    emit(n, max ? "max_pool2d" : "avg_pool2d", attrs, {&x});
  }

  void batchnorm(const onnx::NodeProto& n, NodeAttrs& a) {
    only_first_output(n);
    const Value& x = runtime(n, 0);
    const double eps = a.f("epsilon", 1e-5f), momentum = a.f("momentum", 0.9f);
    if (a.i("training_mode", 0) != 0) unsupported("training_mode = 1 (import reads inference)");
    if (a.i("spatial", 1) != 1) unsupported("spatial = 0");
    a.i("is_test", 1);
    a.ints("consumed_inputs", {});
    a.finish();
    const int64_t r = x.shape.rank();
    if (r != 1 && r != 2 && r != 3)
      unsupported("input " + x.shape.str() + " (redes has 1-d and 2-d)");
    const int64_t ch = x.shape[0];
    std::map<std::string, std::vector<float>> weights;
    const char* names[] = {"weight", "bias", "running_mean", "running_var"};
    for (int k = 0; k < 4; ++k) {
      const Const& c = floats(n, k + 1);
      if (c.numel() != ch) bad_file(std::string(names[k]) + " is not one value per channel");
      weights[names[k]] = c.f;
    }
    emit(n, r == 3 ? "batchnorm2d" : "batchnorm1d",
         {{"eps", eps}, {"momentum", std::clamp(1.0 - momentum, 0.0, 1.0)}}, {&x},
         std::move(weights));
  }

  void lrn(const onnx::NodeProto& n, NodeAttrs& a) {
    const int64_t size = a.i("size", 0);
    const double alpha = a.f("alpha", 1e-4f), beta = a.f("beta", 0.75f), bias = a.f("bias", 1.0f);
    a.finish();
    const Value& x = runtime(n, 0);
    if (size < 1) bad_file("size " + std::to_string(size));
    if (size % 2 == 0)
      unsupported("an even size (" + std::to_string(size) +
                  "): ONNX centres its window one channel later than redes");
    emit(n, "local_response_norm", {{"size", size}, {"alpha", alpha}, {"beta", beta}, {"k", bias}},
         {&x});
  }

  // Softmax and LogSoftmax (kind softmax or log_softmax) over the last axis, or before opset 13
  // over the axes from `axis` on, flattened.
  void softmax(const onnx::NodeProto& n, NodeAttrs& a, const std::string& kind) {
    const Value& x = runtime(n, 0);
    const int64_t r = x.shape.rank();
    const int64_t axis = sample_axis(a.i("axis", opset_ >= 13 ? -1 : 1), r);
    a.finish();
    if (axis == r - 1) {
      emit(n, kind, {}, {&x});
      return;
    }
    if (opset_ >= 13) {  // another axis: permuted to the end and back
      std::vector<int64_t> there, back(static_cast<size_t>(r));
      for (int64_t k = 0; k < r; ++k)
        if (k != axis) there.push_back(k);
      there.push_back(axis);
      for (int64_t k = 0; k < r; ++k) back[size_t(there[size_t(k)])] = k;
      const std::string base = n.output(0) + "/";
      emit(n, "permute", {{"dims", there}}, {&x}, {}, base + "there");
      emit(n, kind, {}, {&value(base + "there")}, {}, base + kind);
      emit(n, "permute", {{"dims", back}}, {&value(base + kind)});
      return;
    }
    std::vector<int64_t> flat(x.shape.dims().begin(), x.shape.dims().begin() + axis);
    flat.push_back(x.shape.numel() / Shape(flat).numel());
    Value f = x;
    f.shape = Shape(flat);
    emit(n, kind, {}, {&f}, {}, n.output(0) + "/" + kind);
    reshape(n, value(n.output(0) + "/" + kind), x.shape.dims());
  }

  // Clip as hardtanh; an open side becomes the largest float.
  void clip(const onnx::NodeProto& n, NodeAttrs& a) {
    double lo = a.f("min", -std::numeric_limits<float>::max());  // before opset 11
    double hi = a.f("max", std::numeric_limits<float>::max());
    a.finish();
    const Value& x = runtime(n, 0);
    const auto bound = [&](int k, double& v) {
      if (!present(n, k)) return;
      const Const& c = floats(n, k);
      if (c.numel() != 1) bad_file("input " + std::to_string(k) + " is not one value");
      v = c.f[0];
    };
    bound(1, lo);
    bound(2, hi);
    if (!(lo <= hi) || !std::isfinite(lo) || !std::isfinite(hi))
      unsupported("min " + std::to_string(lo) + " above max " + std::to_string(hi));
    emit(n, "hardtanh", {{"min", lo}, {"max", hi}}, {&x});
  }

  // A dropout layer of the same rate: the identity in inference, dropout again in fine-tuning.
  void dropout(const onnx::NodeProto& n, NodeAttrs& a) {
    double rate = a.f("ratio", 0.5f);  // before opset 12
    a.i("seed", 0);
    a.i("is_test", 0);
    a.ints("consumed_inputs", {});
    a.finish();
    only_first_output(n);
    const auto scalar = [&](int k) {
      const Const& c = constant(n, k);
      if (c.numel() != 1) bad_file("input " + std::to_string(k) + " is not one value");
      return c.is_float ? double(c.f[0]) : double(c.i[0]);
    };
    if (present(n, 1)) rate = scalar(1);
    if (present(n, 2) && scalar(2) != 0) unsupported("training_mode = true");
    if (!(rate >= 0.0 && rate < 1.0)) bad_file("ratio " + std::to_string(rate));
    emit(n, "dropout", {{"rate", rate}}, {&runtime(n, 0)});
  }

  // The steps of the patterns of Value::Ids: around token ids (the embedding layer rounds them
  // itself), a mask layer (Equal to the pad id, Not, Cast to float), and the sequence lengths a
  // mask stands for (GreaterOrEqual 0.5, Cast, ReduceSum over the steps).
  void ids_step(const onnx::NodeProto& n, NodeAttrs& a) {
    using Ids = Value::Ids;
    const std::string& op = n.op_type();
    const int64_t to = op == "Cast" ? a.i("to", 0) : 0;
    const std::vector<int64_t> sum_axes =
        op == "ReduceSum" ? a.ints("axes", {}) : std::vector<int64_t>{};
    const int64_t keepdims = op == "ReduceSum" ? a.i("keepdims", 1) : 0;
    if (op == "ReduceSum") a.i("noop_with_empty_axes", 0);
    a.finish();
    const Value& x = in(n, 0);
    if (x.is_const) unsupported("input '" + n.input(0) + "' is a constant");
    if (x.batch_axis != 0) unsupported("the batch is not the first axis");
    Value v = x;
    const auto is = [&](Ids p) { return x.ids == p; };
    const bool input = x.layer < 0 && x.shape == input_ && !x.affine;
    const bool int_type = to == TensorProto::INT64 || to == TensorProto::INT32;
    const bool float_type = to == TensorProto::FLOAT || to == TensorProto::DOUBLE;
    const auto scalar = [&] {
      const Const& c = constant(n, 1);
      if (c.numel() != 1) unsupported("a comparison with more than one value");
      return c.is_float ? double(c.f[0]) : double(c.i[0]);
    };
    const auto step = [&](Ids p) {
      v.ids = p;
      alias(n, v);
    };
    if (op == "Cast" && float_type && is(Ids::not_pad)) {
      v.ids = Ids::none;
      emit(n, "mask", {{"pad", x.pad}}, {&v});
      return;
    }
    if (op == "Cast" && float_type && (is(Ids::none) || is(Ids::ids))) return alias(n, x);
    if ((op == "Round" || (op == "Cast" && int_type)) && (input || is(Ids::ids)))
      return step(Ids::ids);
    if (op == "Equal" && (input || is(Ids::ids))) {
      v.pad = int64_t(std::lround(scalar()));
      return step(Ids::is_pad);
    }
    if (op == "Not" && is(Ids::is_pad)) return step(Ids::not_pad);
    // redes' mask: a step is real where the mask is at least 0.5.
    if ((op == "GreaterOrEqual" || op == "Less") && is(Ids::none) && x.shape.rank() == 1 &&
        scalar() == 0.5)
      return step(op == "Less" ? Ids::pad_steps : Ids::real_steps);
    if (op == "Not" && is(Ids::pad_steps)) return step(Ids::real_steps);
    if (op == "Cast" && int_type && is(Ids::real_steps)) return step(Ids::real_steps);
    if (op == "ReduceSum" && is(Ids::real_steps) && keepdims == 0) {
      std::vector<int64_t> axes = sum_axes;
      if (present(n, 1)) axes = ints_of(n, 1);  // opset 13
      if (axes == std::vector<int64_t>{1} || axes == std::vector<int64_t>{-1})
        return step(Ids::lengths);
    }
    unsupported("a " + op + " other than a step of token ids, of a padding mask or of its lengths");
  }

  // An embedding: rows of a constant table picked by the model's ids.
  void gather(const onnx::NodeProto& n, NodeAttrs& a) {
    const int64_t axis = a.i("axis", 0);
    a.finish();
    const Value& data = in(n, 0);
    if (!data.is_const) {
      if (in(n, 1).is_const) return gather_rows(n, axis);
      unsupported("a gather from the model's data by computed indices");
    }
    const Const& table = floats(n, 0);
    const Value& ids = runtime(n, 1);
    if (table.dims.size() != 2 || axis != 0)
      unsupported("a gather other than rows of a matrix (an embedding)");
    if (ids.layer >= 0)
      unsupported("a gather by values other than the model's input (its token ids)");
    emit(n, "embedding", {{"vocab", table.dims[0]}, {"dim", table.dims[1]}}, {&ids},
         {{"weight", table.f}});
  }

  // The model ------------------------------------------------------------------------------
  Model finish(const std::string& output) {
    if (value(output).is_const)
      unsupported("the graph's output '" + output + "' is a constant (folded at import)");
    // The output as redes gives it: the batch first, in the shape of the view.
    onnx::NodeProto last_node;
    last_node.set_name("output");
    last_node.add_output("output");
    const Value out = materialised(last_node, value(output));
    output_batch_axis_ = out.batch_axis;
    if (specs_.empty()) unsupported("the graph computes nothing (its output is its input)");
    if (out.layer != int(specs_.size()) - 1)
      unsupported("the graph's output '" + output + "' is not computed by its last node");
    // The task, and a classifier's last activation left out.
    std::string task = options_.task;
    const std::string last = specs_.back().kind;
    const auto rank_before = [&] {
      return specs_.size() > 1 ? shapes_[specs_.size() - 2].rank() : input_.rank();
    };
    if (task.empty()) {
      if ((last == "softmax" || last == "log_softmax") && rank_before() == 1 && specs_.size() > 1)
        task = "multiclass";
      else if (last == "sigmoid" && shapes_.back() == Shape{1} && specs_.size() > 1)
        task = "binary";
      else
        task = "regression";
    }
    if (task != "binary" && task != "multiclass" && task != "regression")
      throw OnnxUnsupported(path_ + ": task '" + task +
                            "' (import makes binary, multiclass and "
                            "regression models)");
    if ((task == "multiclass" && (last == "softmax" || last == "log_softmax")) ||
        (task == "binary" && last == "sigmoid")) {
      if (specs_.size() == 1) unsupported("the model is only its activation");
      specs_.pop_back();
      shapes_.pop_back();
    }
    const Shape out_shape = shapes_.back();
    if (task == "multiclass" && out_shape.rank() != 1)
      throw OnnxUnsupported(path_ + ": a multiclass model's output " + out_shape.str() +
                            " is not one score per class");
    if (task == "binary" && out_shape != Shape{1})
      throw OnnxUnsupported(path_ + ": a binary model's output " + out_shape.str() +
                            " is not one value");

    const Task t = *task_named(task);
    const DataKind kind =
        t == Task::multiclass && input_.rank() == 3 ? DataKind::images : DataKind::table;
    nlohmann::json data = nlohmann::json::object();
    if (kind == DataKind::images) data["shape"] = input_.dims();
    if (!affine_.scale.empty()) apply_affine(kind, data);

    Model m;
    m.graph = std::make_unique<Graph>(specs_, input_);
    for (const auto& p : m.graph->state()) {
      auto it = weights_.find(p.name);
      if (it == weights_.end()) {  // never: every layer with parameters is given them
        throw Error(path_ + ": no values for " + p.name);
      }
      if (int64_t(it->second.size()) != p.param->numel())
        bad_file(p.name + " has " + std::to_string(it->second.size()) + " values, not " +
                 std::to_string(p.param->numel()));
      std::copy(it->second.begin(), it->second.end(), p.param->value);
    }
    m.meta = {{"task", task},
              {"kind", name(kind)},
              {"loss", default_loss(t)},
              {"name", m_.graph().name().empty() ? "imported" : one_line(m_.graph().name())},
              {"imported_from",
               {{"format", "onnx"},
                {"producer", one_line(m_.producer_name() + " " + m_.producer_version())},
                {"opset", opset_}}}};
    if (options_.input_batch_axis != 0)
      m.meta["imported_from"]["input_batch_axis"] = options_.input_batch_axis;
    if (output_batch_axis_ != 0) m.meta["imported_from"]["output_batch_axis"] = output_batch_axis_;
    if (!data.empty()) m.meta["data"] = data;
    if (is_classifier(t)) {
      std::vector<std::string> names;
      for (int64_t c = 0; c < (t == Task::binary ? 2 : out_shape[0]); ++c)
        names.push_back(std::to_string(c));
      m.meta["classes"] = names;
    }
    return m;
  }

  // x * scale + shift in front of the network: an image model's normalisation, (x - mean) / std
  // on its input; for vectors, folded into the linear layers that read it:
  // W (x a + b) + c = (W diag a) x + (W b + c).
  void apply_affine(DataKind kind, nlohmann::json& data) {
    const std::vector<float>& a = affine_.scale;
    std::vector<float> b = affine_.shift;
    if (b.empty()) b.assign(a.size(), 0.0f);
    const std::string what = path_ + ": the scale and shift of the input in front of the network";
    if (input_.rank() == 3) {
      if (kind != DataKind::images)
        throw OnnxUnsupported(what + " (an image normalisation) needs a multiclass model");
      std::vector<double> mean, std;
      for (size_t c = 0; c < a.size(); ++c) {
        if (!(a[c] > 0.0f)) throw OnnxUnsupported(what + ": a scale that is not positive");
        std.push_back(1.0 / a[c]);
        mean.push_back(-double(b[c]) / a[c]);
      }
      data["mean"] = mean;
      data["std"] = std;
      return;
    }
    for (int k : affine_.readers)
      if (specs_[size_t(k)].kind != "linear")
        throw OnnxUnsupported(what + " is read by layer '" + specs_[size_t(k)].name + "' (" +
                              specs_[size_t(k)].kind + "), which cannot take it in");
    for (int k : affine_.readers) {
      LayerSpec& s = specs_[size_t(k)];
      std::vector<float>& w = weights_[s.name + ".weight"];
      const auto f = int64_t(a.size()), units = int64_t(w.size()) / f;
      std::vector<float>& bias = weights_[s.name + ".bias"];
      if (bias.empty()) bias.assign(static_cast<size_t>(units), 0.0f);
      s.attrs["bias"] = true;
      for (int64_t u = 0; u < units; ++u) {
        double extra = 0;
        for (int64_t i = 0; i < f; ++i) {
          extra += double(w[size_t(u * f + i)]) * b[size_t(i)];
          w[size_t(u * f + i)] *= a[size_t(i)];
        }
        bias[size_t(u)] += float(extra);
      }
    }
  }

  const onnx::ModelProto& m_;
  const std::string path_;
  const OnnxImportOptions& options_;
  int64_t opset_ = 0;
  int64_t batch_ = 0;  // the input's declared batch size, when it has one
  int64_t output_batch_axis_ = 0;
  Shape input_;
  const onnx::NodeProto* node_ = nullptr;  // the node being converted
  std::map<std::string, Value> values_;
  int64_t folded_ = 0;               // values of the constants set() has taken (see room_for)
  std::map<std::string, int> uses_;  // how many nodes (and graph outputs) read each value
  std::vector<LayerSpec> specs_;
  std::vector<Shape> shapes_;  // each layer's per-sample output
  std::set<std::string> names_;
  std::map<std::string, std::vector<float>> weights_;  // "layer.param" -> values
  struct {
    std::vector<float> scale, shift;  // per channel or feature; empty: none
    std::vector<int> readers;         // the layers that read the scaled input
  } affine_;
};

}  // namespace

Model import_onnx_bytes(const std::string& bytes, const std::string& path,
                        const OnnxImportOptions& options) {
  onnx::ModelProto m;
  if (bytes.size() > kMaxFileBytes || !m.ParseFromString(bytes))
    throw ModelFileError(path + ": not an ONNX model (the protobuf does not parse)");
  if (!m.has_graph()) throw ModelFileError(path + ": an ONNX model without a graph");
  return Importer(m, path, options).run();
}

Model import_onnx(const std::string& path, const OnnxImportOptions& options) {
  return import_onnx_bytes(read_file<ModelFileError>(path, kMaxFileBytes, "an ONNX model"), path,
                           options);
}

}  // namespace redes
