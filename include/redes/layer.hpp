// The layer contract. Each layer's forward and backward sit together in one file under
// src/layers/, templated on the float type (float for training, double for gradient checks).
//
// Shapes given to setup() are per sample (no batch dimension); the tensors given to
// forward() and backward() carry the batch as their first dimension N.
// backward() ADDS into the input gradients and the parameter gradients: branches then just
// work, and the executor zeroes the gradients once per step.
#pragma once
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "redes/rng.hpp"
#include "redes/tensor.hpp"

namespace redes {

class Communicator;  // redes/distributed.hpp

// A learnable tensor. value and grad point into a contiguous arena owned by the graph
// (or by a test), bound after setup() has fixed the shape.
template <class T>
struct Param {
  std::string name;  // "weight", "bias", ...
  Shape shape;
  T* value = nullptr;
  T* grad = nullptr;

  explicit Param(std::string n = "") : name(std::move(n)) {}
  int64_t numel() const { return shape.numel(); }
  TensorView<T> values() const { return {value, shape}; }
  TensorView<T> grads() const { return {grad, shape}; }
};

// Values and gradients of many parameters in two contiguous arrays, so that an optimizer
// step is one flat loop.
template <class T>
class ParamArena {
 public:
  void bind(const std::vector<Param<T>*>& params) {
    int64_t total = 0;
    for (auto* p : params) total += p->numel();
    values_.assign(total, T(0));
    grads_.assign(total, T(0));
    int64_t off = 0;
    for (auto* p : params) {
      p->value = values_.data() + off;
      p->grad = grads_.data() + off;
      off += p->numel();
    }
  }
  std::span<T> values() { return values_; }
  // Writing through it may end the zeros zero_grad left: grads_zero() is false from then on.
  std::span<T> grads() {
    zeros_ = false;
    return grads_;
  }
  std::span<const T> values() const { return values_; }
  void zero_grad() {
    std::fill(grads_.begin(), grads_.end(), T(0));
    zeros_ = true;
  }
  // Whether every gradient is zero (zero_grad, and nothing written since), and a backward
  // about to add into them, which ends it.
  bool grads_zero() const { return zeros_; }
  void grads_added() { zeros_ = false; }

 private:
  std::vector<T> values_, grads_;
  bool zeros_ = false;
};

template <class T>
struct ForwardCtx {
  std::vector<TensorView<const T>> inputs;  // each (N, ...)
  TensorView<T> output;                     // (N, output shape), to be overwritten
  bool training = false;
  Rng* rng = nullptr;  // for stochastic layers (dropout) in training
  // In training under MPI with [train] sync_batchnorm: the ranks whose shares of the batch
  // make up the batch (batch statistics are summed over them); else null.
  Communicator* ranks = nullptr;

  const TensorView<const T>& in(size_t i = 0) const { return inputs[i]; }
  const TensorView<T>& out() const { return output; }
};

template <class T>
struct BackwardCtx {
  std::vector<TensorView<const T>> inputs;  // forward's inputs
  TensorView<const T> output;               // forward's output
  TensorView<const T> grad_output;          // d loss / d output
  std::vector<TensorView<T>> grad_inputs;   // d loss / d input, ADDED into; empty() when not needed
  bool training = true;
  // Whether the parameters' gradients are all zero before this backward (the trainer's step):
  // then a layer whose gradients only its one product writes may write them instead of adding
  // (beta = 0: the product need not read them).
  bool params_zero = false;
  Communicator* ranks = nullptr;  // as the forward's

  const TensorView<const T>& in(size_t i = 0) const { return inputs[i]; }
  const TensorView<const T>& out() const { return output; }
  const TensorView<const T>& dout() const { return grad_output; }
  const TensorView<T>& din(size_t i = 0) const { return grad_inputs[i]; }
  // Whether input i's gradient is wanted (a model's first layer gets none).
  bool wants_din(size_t i = 0) const { return i < grad_inputs.size() && !grad_inputs[i].empty(); }
};

template <class T>
class Layer {
 public:
  virtual ~Layer() = default;
  virtual std::string_view kind() const = 0;
  // Checks the per-sample input shapes, fixes the parameter shapes, returns the per-sample
  // output shape. Throws ShapeError for shapes the layer cannot take.
  virtual Shape setup(std::span<const Shape> inputs) = 0;
  // Initialises the parameters once they are bound to storage.
  virtual void init(Rng& rng) {}
  virtual void forward(const ForwardCtx<T>& ctx) = 0;
  virtual void backward(const BackwardCtx<T>& ctx) = 0;
  virtual std::vector<Param<T>*> params() { return {}; }
  // Multiply-adds per sample of a forward pass, once setup() has fixed the shapes (0 for the
  // layers whose cost is a few operations per value: activations, pooling, shapes).
  virtual int64_t multiply_adds() const { return 0; }
  // State that is saved with the model but not trained (BatchNorm's running statistics):
  // bound like the parameters, never given to the optimizer; grad stays null.
  virtual std::vector<Param<T>*> buffers() { return {}; }
  // How many of the layers `next` (the ones after this one, each reading only the one before
  // it) this layer can run together with itself in one pass, forward_fused, with the same
  // results bit for bit; 0: none (the default).
  virtual int fusable(std::span<Layer<T>* const> next) const { return 0; }
  // Runs this layer and the first k = fusable(next) layers of next on x as one pass, y being the
  // last one's output. In inference (kept empty) the outputs between are not kept; in training
  // kept holds k views, this layer's output and those of the fused layers but the last, which it
  // fills, and the fused layers get what their backward reads, as from their own forward.
  virtual void forward_fused(std::span<Layer<T>* const> next, TensorView<const T> x,
                             TensorView<T> y, std::span<const TensorView<T>> kept = {}) {}
  // Whether this layer's backward can take in that of `before`, the layer whose output it
  // reads and nothing else reads (a max pooling after a ReLU): backward_through then does both
  // at once, without before's output gradient. false: the default.
  virtual bool absorbs_backward(const Layer<T>& before) const { return false; }
  // backward of `before` and this layer in one pass: ctx as for backward, but its input and
  // input gradient are before's (the same shape as before's output). Adds the same values into
  // before's input gradient as the two backward passes one after the other.
  virtual void backward_through(const Layer<T>& before, const BackwardCtx<T>& ctx) {}
};

// A layer as written in a config or a model file: its kind, its name, the names of the
// layers it reads (empty: the previous layer, or the model input for the first), and its
// attributes. `where` maps each attribute key (and "" for the layer itself) to the place it
// was written, "file:line", for error messages.
struct LayerSpec {
  std::string kind;
  std::string name;
  std::vector<std::string> inputs;
  nlohmann::json attrs = nlohmann::json::object();
  std::map<std::string, std::string> where;

  nlohmann::json to_json() const;
  static LayerSpec from_json(const nlohmann::json& j);
};

// Reads a layer's attributes, checking types, and rejects keys nobody asked for:
//   Attrs a(spec); int64_t units = a.integer("units"); double p = a.number("rate", 0.5);
//   a.finish();  // throws ConfigError "file:line: layer 'fc1' (linear): unknown key 'unit'"
class Attrs {
 public:
  explicit Attrs(const LayerSpec& spec) : spec_(spec) {}
  int64_t integer(const std::string& key);  // required
  int64_t integer(const std::string& key, int64_t fallback);
  double number(const std::string& key);
  double number(const std::string& key, double fallback);
  bool boolean(const std::string& key, bool fallback);
  std::string string(const std::string& key, const std::string& fallback);
  std::vector<int64_t> integers(const std::string& key, std::vector<int64_t> fallback);
  bool has(const std::string& key) const { return spec_.attrs.contains(key); }
  void finish() const;
  // "file:line: layer 'name' (kind): " for messages about this layer or one of its keys.
  std::string where(const std::string& key = "") const;
  [[noreturn]] void fail(const std::string& key, const std::string& problem) const;

 private:
  const nlohmann::json& get(const std::string& key);
  int64_t checked(const std::string& key, const nlohmann::json& integer) const;
  void require(const std::string& key);  // a missing required key, or a typo of it, fails
  const LayerSpec& spec_;
  std::vector<std::string> used_;
};

// Builds a layer from its spec (src/graph/registry.cpp lists every kind).
template <class T>
std::unique_ptr<Layer<T>> make_layer(const LayerSpec& spec);
std::vector<std::string> layer_kinds();

}  // namespace redes
