// ONNX export (redes/onnx.hpp): a Model as an onnx::ModelProto, built with the protobuf classes
// of Debian's libonnx-dev.
//
// Each layer is read from the layer object itself (its resolved options and geometry: "same"
// padding as the pads it became, a pooling stride of 0 as the kernel), never from the config's
// attributes, so that a default is written once, in the layer. A layer whose computation ONNX
// cannot state exactly is an error naming it, not an approximation.
#include <onnx/onnx_pb.h>

#include <bit>
#include <cmath>
#include <cstring>
#include <map>

#include "layers/activations.hpp"
#include "layers/batchnorm.hpp"
#include "layers/conv2d.hpp"
#include "layers/dropout.hpp"
#include "layers/embedding.hpp"
#include "layers/linear.hpp"
#include "layers/lrn.hpp"
#include "layers/mask.hpp"
#include "layers/merge.hpp"
#include "layers/pooling.hpp"
#include "layers/recurrent.hpp"
#include "layers/shape_ops.hpp"
#include "redes/error.hpp"
#include "redes/files.hpp"
#include "redes/onnx.hpp"
#include "redes/version.hpp"

namespace redes {

namespace {

// Builds the graph: names values, adds nodes and initializers.
class GraphWriter {
 public:
  explicit GraphWriter(onnx::GraphProto& g) : g_(g) {}

  // A float initializer of the given dims; returns its name.
  std::string floats(const std::string& name, const std::vector<int64_t>& dims,
                     const float* values) {
    static_assert(std::endian::native == std::endian::little, "raw_data is little-endian");
    onnx::TensorProto* t = g_.add_initializer();
    t->set_name(name);
    t->set_data_type(onnx::TensorProto::FLOAT);
    int64_t n = 1;
    for (int64_t d : dims) t->add_dims(d), n *= d;
    t->set_raw_data(std::string(reinterpret_cast<const char*>(values), 4 * size_t(n)));
    return name;
  }
  std::string floats(const std::string& name, const std::vector<int64_t>& dims,
                     const std::vector<float>& values) {
    return floats(name, dims, values.data());
  }
  std::string scalar(const std::string& name, float v) { return floats(name, {}, &v); }
  std::string int64s(const std::string& name, const std::vector<int64_t>& values) {
    onnx::TensorProto* t = g_.add_initializer();
    t->set_name(name);
    t->set_data_type(onnx::TensorProto::INT64);
    t->add_dims(static_cast<int64_t>(values.size()));
    for (int64_t v : values) t->add_int64_data(v);
    return name;
  }

  onnx::NodeProto* last() { return g_.mutable_node(g_.node_size() - 1); }
  // A node of op over inputs, named after the layer; returns its output's name.
  onnx::NodeProto& node(const std::string& op, const std::vector<std::string>& inputs,
                        const std::string& output) {
    onnx::NodeProto* n = g_.add_node();
    n->set_op_type(op);
    n->set_name(output);
    for (const auto& in : inputs) n->add_input(in);
    n->add_output(output);
    return *n;
  }

 private:
  onnx::GraphProto& g_;
};

void attr(onnx::NodeProto& n, const std::string& name, int64_t v) {
  auto* a = n.add_attribute();
  a->set_name(name);
  a->set_type(onnx::AttributeProto::INT);
  a->set_i(v);
}
void attr(onnx::NodeProto& n, const std::string& name, double v) {
  auto* a = n.add_attribute();
  a->set_name(name);
  a->set_type(onnx::AttributeProto::FLOAT);
  a->set_f(static_cast<float>(v));
}
void attr(onnx::NodeProto& n, const std::string& name, const std::vector<int64_t>& v) {
  auto* a = n.add_attribute();
  a->set_name(name);
  a->set_type(onnx::AttributeProto::INTS);
  for (int64_t x : v) a->add_ints(x);
}

void attr(onnx::NodeProto& n, const std::string& name, const std::string& v) {
  auto* a = n.add_attribute();
  a->set_name(name);
  a->set_type(onnx::AttributeProto::STRING);
  a->set_s(v);
}

void set_shape(onnx::ValueInfoProto& v, const std::string& name, const Shape& sample) {
  v.set_name(name);
  auto* t = v.mutable_type()->mutable_tensor_type();
  t->set_elem_type(onnx::TensorProto::FLOAT);
  auto* s = t->mutable_shape();
  s->add_dim()->set_dim_param("N");
  for (int64_t d : sample.dims()) s->add_dim()->set_dim_value(d);
}

std::string batched(const Shape& sample) {
  std::string s = "(N";
  for (int64_t d : sample.dims()) s += ", " + std::to_string(d);
  return s + ")";
}

// Writes the layers of the graph, one or a few nodes each.
class LayerWriter {
 public:
  LayerWriter(const Graph& graph, GraphWriter& w, int opset)
      : graph_(graph), w_(w), rows_(graph.layer_rows()), opset_(opset) {
    for (const auto& p : graph.state()) params_[p.name] = p.param;
  }

  // Writes layer i reading the values `in`; returns the name of its output.
  std::string write(size_t i, const std::vector<std::string>& in) {
    const LayerSpec& spec = graph_.specs()[i];
    const Layer<float>& layer = graph_.layer(i);
    const std::string kind(layer.kind());
    // Values are named after the layers; "output" is the graph's own.
    const std::string out = spec.name == "output" ? "output/" + kind : spec.name;
    // The per-sample shape this layer reads (its first input).
    const int j = graph_.inputs_of(i).front();
    const Shape in_shape = j < 0 ? graph_.input_shape() : rows_[j].output;
    const auto fail = [&](const std::string& why) {
      auto it = spec.where.find("");
      return Error((it != spec.where.end() ? it->second + ": " : "") + "layer '" + spec.name +
                   "' (" + kind + "): " + why);
    };

    if (const auto* l = dynamic_cast<const Linear<float>*>(&layer)) {
      const Param<float>& weight = param(spec, "weight");
      const int64_t units = l->units(), f = l->in_features();
      if (in_shape.rank() == 1) {  // (N, F): Gemm, y = x W^T + b
        std::vector<std::string> ins{in[0], w_.floats(out + ".weight", {units, f}, weight.value)};
        if (l->has_bias())
          ins.push_back(w_.floats(out + ".bias", {units}, param(spec, "bias").value));
        attr(w_.node("Gemm", ins, out), "transB", int64_t{1});
        return out;
      }
      // (N, ..., F): MatMul by W^T, then Add b.
      std::vector<float> wt(static_cast<size_t>(units * f));
      for (int64_t u = 0; u < units; ++u)
        for (int64_t k = 0; k < f; ++k) wt[k * units + u] = weight.value[u * f + k];
      const std::string mm = l->has_bias() ? out + "/matmul" : out;
      w_.node("MatMul", {in[0], w_.floats(out + ".weight_t", {f, units}, wt)}, mm);
      if (l->has_bias())
        w_.node("Add", {mm, w_.floats(out + ".bias", {units}, param(spec, "bias").value)}, out);
      return out;
    }
    if (const auto* c = dynamic_cast<const Conv2d<float>*>(&layer)) {
      const Conv2dOptions& o = c->options();
      const Conv2dGeometry& g = c->geometry();
      const int64_t in_per_group = g.channels / o.groups;
      std::vector<std::string> ins{
          in[0], w_.floats(out + ".weight", {o.filters, in_per_group, g.kernel_h, g.kernel_w},
                           param(spec, "weight").value)};
      if (o.bias) ins.push_back(w_.floats(out + ".bias", {o.filters}, param(spec, "bias").value));
      auto& n = w_.node("Conv", ins, out);
      attr(n, "kernel_shape", std::vector<int64_t>{g.kernel_h, g.kernel_w});
      attr(n, "strides", std::vector<int64_t>{g.stride_h, g.stride_w});
      attr(n, "pads", std::vector<int64_t>{g.pad_top, g.pad_left, g.pad_bottom, g.pad_right});
      attr(n, "dilations", std::vector<int64_t>{g.dilation_h, g.dilation_w});
      attr(n, "group", o.groups);
      return out;
    }
    if (const auto* p = dynamic_cast<const Pool2d<float>*>(&layer)) {
      const Pool2dOptions& o = p->options();  // resolved: stride and padding_end filled in
      const bool max = kind == "max_pool2d";
      auto& n = w_.node(max ? "MaxPool" : "AveragePool", {in[0]}, out);
      attr(n, "kernel_shape", std::vector<int64_t>{o.kernel[0], o.kernel[1]});
      attr(n, "strides", std::vector<int64_t>{o.stride[0], o.stride[1]});
      attr(n, "pads",
           std::vector<int64_t>{o.padding[0], o.padding[1], o.padding_end[0], o.padding_end[1]});
      if (max && (o.dilation[0] != 1 || o.dilation[1] != 1))
        attr(n, "dilations", std::vector<int64_t>{o.dilation[0], o.dilation[1]});
      if (!max) attr(n, "count_include_pad", int64_t{o.count_include_pad ? 1 : 0});
      if (o.ceil_mode) {
        // ONNX rounds up without PyTorch's rule that drops a last window starting in the end
        // padding: where that rule acts, the two differ.
        const Conv2dGeometry& g = p->geometry();
        if (p->out_h() !=
                (g.height + g.pad_top + g.pad_bottom - g.span_h() + g.stride_h - 1) / g.stride_h +
                    1 ||
            p->out_w() !=
                (g.width + g.pad_left + g.pad_right - g.span_w() + g.stride_w - 1) / g.stride_w + 1)
          throw fail(
              "ceil_mode drops a last window that starts in the padding (PyTorch's rule), "
              "which ONNX's ceil_mode keeps");
        attr(n, "ceil_mode", int64_t{1});
      }
      return out;
    }
    if (kind == "global_avg_pool2d") {  // (N, C, H, W) -> (N, C, 1, 1) -> (N, C)
      w_.node("GlobalAveragePool", {in[0]}, out + "/pool");
      attr(w_.node("Flatten", {out + "/pool"}, out), "axis", int64_t{1});
      return out;
    }
    if (const auto* b = dynamic_cast<const BatchNorm<float>*>(&layer)) {
      const int64_t ch = in_shape[0];
      std::vector<float> ones(static_cast<size_t>(ch), 1.0f), zeros(static_cast<size_t>(ch), 0.0f);
      const std::string gamma = b->affine()
                                    ? w_.floats(out + ".weight", {ch}, param(spec, "weight").value)
                                    : w_.floats(out + ".weight", {ch}, ones);
      const std::string beta = b->affine()
                                   ? w_.floats(out + ".bias", {ch}, param(spec, "bias").value)
                                   : w_.floats(out + ".bias", {ch}, zeros);
      auto& n = w_.node("BatchNormalization",
                        {in[0], gamma, beta,
                         w_.floats(out + ".running_mean", {ch}, param(spec, "running_mean").value),
                         w_.floats(out + ".running_var", {ch}, param(spec, "running_var").value)},
                        out);
      attr(n, "epsilon", b->eps());
      return out;
    }
    if (const auto* l = dynamic_cast<const LocalResponseNorm<float>*>(&layer)) {
      // ONNX centres an even window one channel later than PyTorch and redes do.
      if (l->size() % 2 == 0)
        throw fail("an even size (" + std::to_string(l->size()) +
                   ") has no ONNX LRN: ONNX centres its window one channel later");
      auto& n = w_.node("LRN", {in[0]}, out);
      attr(n, "size", l->size());
      attr(n, "alpha", l->alpha());
      attr(n, "beta", l->beta());
      attr(n, "bias", l->k());
      return out;
    }
    if (kind == "relu" || kind == "sigmoid" || kind == "tanh") {
      w_.node(kind == "relu" ? "Relu" : kind == "sigmoid" ? "Sigmoid" : "Tanh", {in[0]}, out);
      return out;
    }
    if (const auto* l = dynamic_cast<const LeakyReLU<float>*>(&layer)) {
      attr(w_.node("LeakyRelu", {in[0]}, out), "alpha", l->negative_slope());
      return out;
    }
    if (const auto* l = dynamic_cast<const GELU<float>*>(&layer)) return gelu(in[0], out, *l);
    if (const auto* l = dynamic_cast<const ELU<float>*>(&layer)) {
      attr(w_.node("Elu", {in[0]}, out), "alpha", l->alpha());
      return out;
    }
    if (kind == "selu" || kind == "softsign") {
      w_.node(kind == "selu" ? "Selu" : "Softsign", {in[0]}, out);
      return out;
    }
    if (const auto* l = dynamic_cast<const Softplus<float>*>(&layer)) {
      // PyTorch's: log(1 + exp(beta x)) / beta, and x itself where beta x > threshold. The two
      // differ there by log(1 + exp(-beta x)) / beta: below float precision for a threshold of
      // 17 or more (PyTorch's default is 20), where Softplus alone is exact; else a Where.
      const bool plain = l->threshold() >= 17.0;
      const auto k = [&](const std::string& what, float v) {
        return w_.scalar(out + "." + what, v);
      };
      if (plain && l->beta() == 1.0) {
        w_.node("Softplus", {in[0]}, out);
        return out;
      }
      w_.node("Mul", {in[0], k("beta", float(l->beta()))}, out + "/bx");
      w_.node("Softplus", {out + "/bx"}, out + "/softplus");
      w_.node("Div", {out + "/softplus", out + ".beta"}, plain ? out : out + "/smooth");
      if (plain) return out;
      w_.node("Greater", {out + "/bx", k("threshold", float(l->threshold()))}, out + "/linear");
      w_.node("Where", {out + "/linear", in[0], out + "/smooth"}, out);
      return out;
    }
    if (const auto* l = dynamic_cast<const HardSigmoid<float>*>(&layer)) {
      auto& n = w_.node("HardSigmoid", {in[0]}, out);
      attr(n, "alpha", l->alpha());
      attr(n, "beta", l->beta());
      return out;
    }
    if (const auto* l = dynamic_cast<const Hardtanh<float>*>(&layer)) {
      w_.node("Clip",
              {in[0], w_.scalar(out + ".min", float(l->min())),
               w_.scalar(out + ".max", float(l->max()))},
              out);
      return out;
    }
    if (kind == "log_softmax") {
      attr(w_.node("LogSoftmax", {in[0]}, out), "axis", int64_t{in_shape.rank()});
      return out;
    }
    if (kind == "softmax") {  // over the last axis (the batch counts in ONNX's axes)
      attr(w_.node("Softmax", {in[0]}, out), "axis", int64_t{in_shape.rank()});
      return out;
    }
    if (const auto* d = dynamic_cast<const Dropout<float>*>(&layer)) {
      // The identity at inference; the rate stays for a framework that trains the model further.
      if (opset_ >= 12) {
        w_.node("Dropout", {in[0], w_.scalar(out + ".ratio", float(d->rate()))}, out);
      } else {
        attr(w_.node("Dropout", {in[0]}, out), "ratio", d->rate());
      }
      return out;
    }
    if (kind == "flatten") {
      attr(w_.node("Flatten", {in[0]}, out), "axis", int64_t{1});
      return out;
    }
    if (kind == "reshape") {  // 0 keeps the batch dimension
      std::vector<int64_t> dims{0};
      for (int64_t d : rows_[i].output.dims()) dims.push_back(d);
      w_.node("Reshape", {in[0], w_.int64s(out + ".shape", dims)}, out);
      return out;
    }
    if (kind == "add") {
      std::string acc = in[0];
      for (size_t k = 1; k < in.size(); ++k) {
        const std::string o = k + 1 == in.size() ? out : out + "/" + std::to_string(k);
        w_.node("Add", {acc, in[k]}, o);
        acc = o;
      }
      return out;
    }
    if (const auto* c = dynamic_cast<const Concat<float>*>(&layer)) {
      attr(w_.node("Concat", in, out), "axis", c->axis() + 1);
      return out;
    }
    if (const auto* r = dynamic_cast<const Recurrent<float>*>(&layer)) {
      return recurrent(spec, *r, in, out, in_shape[1]);
    }
    if (const auto* e = dynamic_cast<const Embedding<float>*>(&layer)) {
      // The ids (float, as redes takes them) rounded and cast, then rows of the table.
      w_.node("Round", {in[0]}, out + "/round");
      attr(w_.node("Cast", {out + "/round"}, out + "/ids"), "to",
           int64_t{onnx::TensorProto::INT64});
      w_.node("Gather",
              {w_.floats(out + ".weight", {e->vocab(), e->dim()}, param(spec, "weight").value),
               out + "/ids"},
              out);
      return out;
    }
    if (const auto* m = dynamic_cast<const Mask<float>*>(&layer)) {  // 1 where id != pad
      w_.node("Round", {in[0]}, out + "/round");
      w_.node("Equal", {out + "/round", w_.scalar(out + ".pad", float(m->pad()))}, out + "/is_pad");
      w_.node("Not", {out + "/is_pad"}, out + "/real");
      attr(w_.node("Cast", {out + "/real"}, out), "to", int64_t{onnx::TensorProto::FLOAT});
      return out;
    }
    if (const auto* sl = dynamic_cast<const Slice<float>*>(&layer)) {
      const int64_t axis = sl->axis() < 0 ? sl->axis() + in_shape.rank() : sl->axis();
      w_.node("Slice",
              {in[0], w_.int64s(out + ".starts", {sl->begin()}),
               w_.int64s(out + ".ends", {sl->end()}), w_.int64s(out + ".axes", {axis + 1})},
              out);
      return out;
    }
    if (const auto* p = dynamic_cast<const Permute<float>*>(&layer)) {
      std::vector<int64_t> perm{0};
      for (int64_t d : p->dims()) perm.push_back(d + 1);
      attr(w_.node("Transpose", {in[0]}, out), "perm", perm);
      return out;
    }
    throw fail(
        "not written to ONNX yet (export writes linear, conv2d, pooling, batchnorm, "
        "local_response_norm, the activations, dropout, flatten, reshape, slice, permute, add, "
        "concat, lstm, gru, embedding and mask)");
  }

 private:
  const Param<float>& param(const LayerSpec& spec, const std::string& name) const {
    return *params_.at(spec.name + "." + name);
  }

  // One ONNX LSTM or GRU node per stacked layer, time-major as ONNX has them (layout 0, which
  // every runtime reads): x (N, T, F) -> (T, N, F); Y (T, D, N, H) -> (T, N, D*H) between
  // layers; the top layer's Y as (N, T, D*H), or its Y_h (D, N, H) as (N, D*H). redes' gates
  // (LSTM i, f, g, o; GRU r, z, n) are reordered to ONNX's (LSTM i, o, f, c; GRU z, r, h), and
  // the GRU is PyTorch's (linear_before_reset = 1). Initial states (N, L*D, H) become ONNX's
  // (L*D, N, H), sliced per layer.
  std::string recurrent(const LayerSpec& spec, const Recurrent<float>& r,
                        const std::vector<std::string>& in, const std::string& out,
                        int64_t features) {
    const RecurrentOptions& o = r.options();
    const bool lstm = r.kind() == "lstm";
    const int64_t D = r.directions(), H = o.units, G = lstm ? 4 : 3;
    const std::vector<int64_t> order = lstm ? std::vector<int64_t>{0, 3, 1, 2}  // ONNX block k
                                            : std::vector<int64_t>{1, 0, 2};    // = redes block
    const auto gates = [&](const Param<float>& p, int64_t cols, std::vector<float>& dst) {
      for (int64_t k = 0; k < G; ++k)
        dst.insert(dst.end(), p.value + order[size_t(k)] * H * cols,
                   p.value + (order[size_t(k)] + 1) * H * cols);
    };
    std::string x = out + "/x";
    attr(w_.node("Transpose", {in[0]}, x), "perm", std::vector<int64_t>{1, 0, 2});
    // A mask (N, T) becomes sequence_lens (N): its steps of at least 0.5, counted.
    std::string lengths;
    const size_t last_state = o.masked ? in.size() - 1 : in.size();
    if (o.masked) {
      const std::string m = in.back(), half = w_.scalar(out + ".half", 0.5f);
      if (opset_ >= 12) {
        w_.node("GreaterOrEqual", {m, half}, out + "/real");
      } else {
        w_.node("Less", {m, half}, out + "/padding");
        w_.node("Not", {out + "/padding"}, out + "/real");
      }
      attr(w_.node("Cast", {out + "/real"}, out + "/steps"), "to",
           int64_t{onnx::TensorProto::INT32});
      lengths = out + "/lengths";
      if (opset_ >= 13) {
        w_.node("ReduceSum", {out + "/steps", w_.int64s(out + ".axes", {1})}, lengths);
      } else {
        attr(w_.node("ReduceSum", {out + "/steps"}, lengths), "axes", std::vector<int64_t>{1});
      }
      attr(*(w_.last()), "keepdims", int64_t{0});
    }
    std::vector<std::string> states;  // (L*D, N, H) each
    for (size_t k = 1; k < last_state; ++k) {
      const std::string st = out + "/state" + std::to_string(k);
      attr(w_.node("Transpose", {in[k]}, st), "perm", std::vector<int64_t>{1, 0, 2});
      states.push_back(st);
    }
    std::string result;
    for (int64_t l = 0; l < o.layers; ++l) {
      const std::string node = out + "/l" + std::to_string(l);
      const int64_t f = l == 0 ? features : D * H;
      std::vector<float> W, R, B;
      for (int64_t d = 0; d < D; ++d) {
        const std::string suffix = "_l" + std::to_string(l) + (d ? "_reverse" : "");
        gates(param(spec, "weight_ih" + suffix), f, W);
        gates(param(spec, "weight_hh" + suffix), H, R);
      }
      for (int64_t d = 0; d < D; ++d) {
        const std::string suffix = "_l" + std::to_string(l) + (d ? "_reverse" : "");
        gates(param(spec, "bias_ih" + suffix), 1, B);
        gates(param(spec, "bias_hh" + suffix), 1, B);
      }
      std::vector<std::string> ins{x, w_.floats(node + ".W", {D, G * H, f}, W),
                                   w_.floats(node + ".R", {D, G * H, H}, R),
                                   w_.floats(node + ".B", {D, 2 * G * H}, B), lengths};
      for (size_t k = 0; k < states.size(); ++k) {
        const std::string part = node + "/initial" + std::to_string(k);
        w_.node("Slice",
                {states[k], w_.int64s(part + ".starts", {l * D}),
                 w_.int64s(part + ".ends", {(l + 1) * D}), w_.int64s(part + ".axes", {0})},
                part);
        ins.push_back(part);
      }
      const bool top = l + 1 == o.layers;
      onnx::NodeProto& n = w_.node(lstm ? "LSTM" : "GRU", ins, node + "/Y");
      n.add_output(node + "/Y_h");
      attr(n, "hidden_size", H);
      if (D == 2) attr(n, "direction", std::string("bidirectional"));
      if (!lstm) attr(n, "linear_before_reset", int64_t{1});
      if (top && !o.return_sequences) {  // Y_h (D, N, H) -> (N, D*H)
        attr(w_.node("Transpose", {node + "/Y_h"}, node + "/h"), "perm",
             std::vector<int64_t>{1, 0, 2});
        w_.node("Reshape", {node + "/h", w_.int64s(node + ".shape", {0, -1})}, out);
        result = out;
        break;
      }
      // Y (T, D, N, H) -> (T, N, D, H) or, at the top, (N, T, D, H); then D*H merged.
      const std::string t = node + "/t";
      attr(w_.node("Transpose", {node + "/Y"}, t), "perm",
           top ? std::vector<int64_t>{2, 0, 1, 3} : std::vector<int64_t>{0, 2, 1, 3});
      x = top ? out : node + "/seq";
      w_.node("Reshape", {t, w_.int64s(node + ".shape", {0, 0, -1})}, x);
      result = x;
    }
    return result;
  }

  // 0.5 x (1 + erf(x / sqrt 2)), or the tanh form: ONNX has Gelu only from opset 20.
  std::string gelu(const std::string& x, const std::string& out, const GELU<float>& l) {
    const auto k = [&](const std::string& what, float v) { return w_.scalar(out + "." + what, v); };
    std::string inner;
    if (l.tanh_approximation()) {  // tanh(sqrt(2 / pi) (x + 0.044715 x^3))
      w_.node("Mul", {x, x}, out + "/x2");
      w_.node("Mul", {out + "/x2", x}, out + "/x3");
      w_.node("Mul", {out + "/x3", k("c", 0.044715f)}, out + "/cx3");
      w_.node("Add", {x, out + "/cx3"}, out + "/sum");
      w_.node("Mul", {out + "/sum", k("sqrt_2_over_pi", float(std::sqrt(2.0 / M_PI)))},
              out + "/arg");
      inner = w_.node("Tanh", {out + "/arg"}, out + "/tanh").output(0);
    } else {
      w_.node("Div", {x, k("sqrt2", float(std::sqrt(2.0)))}, out + "/arg");
      inner = w_.node("Erf", {out + "/arg"}, out + "/erf").output(0);
    }
    w_.node("Add", {inner, k("one", 1.0f)}, out + "/onep");
    w_.node("Mul", {x, out + "/onep"}, out + "/xp");
    w_.node("Mul", {out + "/xp", k("half", 0.5f)}, out);
    return out;
  }

  const Graph& graph_;
  GraphWriter& w_;
  std::map<std::string, const Param<float>*> params_;
  const std::vector<Graph::LayerRow> rows_;  // (each layer's per-sample output shape)
  const int opset_;
};

}  // namespace

OnnxSummary export_onnx(const Model& model, const std::string& path, int opset) {
  REDES_CHECK(opset >= kOnnxOpsetMin && opset <= kOnnxOpsetMax, Error,
              "ONNX opset " + std::to_string(opset) + " is not one export writes (" +
                  std::to_string(kOnnxOpsetMin) + " to " + std::to_string(kOnnxOpsetMax) + ")");
  const Graph& graph = *model.graph;
  onnx::ModelProto m;
  m.set_ir_version(opset <= 13 ? 7 : 8);  // the IR versions of ONNX 1.8 and 1.10-1.12
  m.set_producer_name("redes");
  m.set_producer_version(kVersion);
  auto* op = m.add_opset_import();
  op->set_domain("");
  op->set_version(opset);
  onnx::GraphProto& g = *m.mutable_graph();
  g.set_name(model.meta.value("name", std::string("redes")));
  GraphWriter w(g);
  OnnxSummary summary;

  // What the user gives, and the nodes that turn it into the network's input.
  // (A series model's ONNX input is the network's: the encoding of the rows stays outside.)
  const Shape input = model.kind() == DataKind::series ? graph.input_shape() : model.input_shape();
  set_shape(*g.add_input(), "input", input);
  std::string x = "input";
  switch (model.kind()) {
    case DataKind::images: {
      std::vector<float> scale, shift;
      model.image_normalisation(scale, shift);
      const int64_t ch = input[0];
      w.node("Mul", {x, w.floats("input.scale", {ch, 1, 1}, scale)}, "input/scaled");
      x = w.node("Add", {"input/scaled", w.floats("input.shift", {ch, 1, 1}, shift)},
                 "input/normalised")
              .output(0);
      summary.input = "input 'input' " + batched(input) + ": pixels in [0, 1]";
      break;
    }
    case DataKind::table: {
      // Numeric columns standardised here; one-hot inputs as they are.
      std::vector<float> a, b;
      model.prep.input_affine(a, b);
      std::string names;
      for (const auto& name : model.prep.input_names()) names += (names.empty() ? "" : ", ") + name;
      if (!model.prep.columns.empty()) {
        const int64_t f = input[0];
        w.node("Mul", {x, w.floats("input.scale", {f}, a)}, "input/scaled");
        x = w.node("Add", {"input/scaled", w.floats("input.shift", {f}, b)}, "input/standardised")
                .output(0);
        summary.input = "input 'input' " + batched(input) +
                        ": the feature values, categorical ones one-hot (" + names + ")";
      } else {
        summary.input = "input 'input' " + batched(input) + ": the network's inputs";
      }
      break;
    }
    case DataKind::series:
      summary.input = "input 'input' " + batched(input) +
                      ": the network's inputs (the series encoded as in training), not rows";
      break;
    case DataKind::text:
      summary.input = "input 'input' " + batched(input) + ": token ids";
      break;
  }

  LayerWriter layers(graph, w, opset);
  std::vector<std::string> outputs(graph.specs().size());
  for (size_t i = 0; i < outputs.size(); ++i) {
    std::vector<std::string> in;
    for (int j : graph.inputs_of(i)) in.push_back(j < 0 ? x : outputs[j]);
    outputs[i] = layers.write(i, in);
  }

  // What predict returns.
  const std::string last = outputs.back();
  const Shape out_shape = graph.output_shape();
  std::string what;
  switch (model.task()) {
    case Task::binary:
      w.node("Sigmoid", {last}, "output");
      what = "the probability of class 1";
      break;
    case Task::multiclass:
    case Task::language_model:
      attr(w.node("Softmax", {last}, "output"), "axis", int64_t{out_shape.rank()});
      what = "class probabilities";
      break;
    case Task::regression:
    case Task::forecast:
      w.node("Identity", {last}, "output");
      what = model.kind() == DataKind::series ? "the network's outputs (encoded as in training)"
                                              : "values";
      break;
  }
  set_shape(*g.add_output(), "output", out_shape);
  summary.output = "output 'output' " + batched(out_shape) + ": " + what;
  summary.nodes = g.node_size();
  summary.initializers = g.initializer_size();
  g.set_doc_string(summary.input + "; " + summary.output);

  std::string bytes;
  REDES_CHECK(m.SerializeToString(&bytes), Error, path + ": the ONNX model could not be encoded");
  write_file_atomic(path, bytes);
  return summary;
}

}  // namespace redes
