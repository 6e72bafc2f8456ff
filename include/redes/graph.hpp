// The graph executor: layers wired by name, run in topological order over activation
// buffers planned once per batch size. Parameters of all layers share one arena.
#pragma once
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "redes/layer.hpp"

namespace redes {

class Graph {
 public:
  // input is the per-sample input shape. Throws ConfigError naming the layer (and the place
  // it was written) for an unknown kind, a bad attribute, an unknown input or a shape that
  // does not fit.
  Graph(std::vector<LayerSpec> specs, Shape input);

  // Initialises every parameter from rng (layer by layer, in order).
  void init(Rng& rng);

  // x is (N, input...). Returns the last layer's output (N, output...), valid until the
  // next forward. The layers that can run as one pass with the ones after them (Layer::fusable:
  // a convolution with its ReLU and 2x2 max pooling) do, with the same results, unless
  // keep_outputs: then each layer runs alone. An inference forward keeps only the last output
  // of such a pass for output_of, a training forward (or keep_outputs) every layer's.
  TensorView<const float> forward(TensorView<const float> x, bool training, Rng& rng,
                                  bool keep_outputs = false);
  // grad_output is d loss / d output of the last forward. Adds into the parameter gradients.
  // A layer whose backward can take in the one before it (Layer::absorbs_backward: a max
  // pooling after a ReLU) does, with the same results, unless the forward kept its outputs.
  void backward(TensorView<const float> grad_output);
  void zero_grad() { arena_.zero_grad(); }
  // A graph of the same layers that reads this one's parameter values (which it never writes)
  // and has gradients and activations of its own: the trainer runs each thread's share of a
  // batch through one (Trainer::thread_shares). Only for graphs without buffers (BatchNorm's
  // batch statistics would be the share's). Its values() are not the parameters its layers read.
  std::unique_ptr<Graph> replica() const;
  // Training forwards and backwards from now on take batch statistics over these ranks (MPI,
  // [train] sync_batchnorm); null: over this process's batch.
  void sync_batch_statistics(Communicator* ranks) { sync_ranks_ = ranks; }
  // The output of the layer called name in the last forward, (N, shape...); throws Error for
  // an unknown name, or a layer whose output that forward did not keep (fused).
  TensorView<const float> output_of(const std::string& name) const;
  // Where a NaN or an infinity first appears after a forward (and a backward): the first
  // layer, in forward order, whose parameters or output hold one, else the first, in backward
  // order, whose output's gradient or parameters' gradient does (when backward has run since
  // the forward); as "the output of layer 'conv1' (conv2d)", "the gradient of hidden2.weight",
  // ...; "" when every number is finite.
  std::string first_nonfinite() const;

  std::span<float> values() { return arena_.values(); }
  std::span<float> grads() { return arena_.grads(); }
  // The buffers of every layer, in state() order (BatchNorm's running statistics).
  std::span<float> buffers() { return buffer_values_; }
  struct NamedParam {
    std::string name;  // "layer.param"
    Param<float>* param;
  };
  const std::vector<NamedParam>& params() const { return named_; }
  // What a model file stores: the parameters, then the buffers (running statistics).
  const std::vector<NamedParam>& state() const { return named_state_; }
  int64_t num_params() const { return static_cast<int64_t>(arena_.values().size()); }

  const std::vector<LayerSpec>& specs() const { return specs_; }
  // The layers in order (as specs()), and the layers each reads (-1: the model input).
  const Layer<float>& layer(size_t i) const { return *nodes_[i].layer; }
  const std::vector<int>& inputs_of(size_t i) const { return nodes_[i].inputs; }
  const Shape& input_shape() const { return input_; }
  const Shape& output_shape() const { return nodes_.back().shape; }
  // A row per layer: what Keras' model.summary() shows.
  struct LayerRow {
    std::string name, kind;
    std::vector<std::string> inputs;  // the layers it reads ("input": the model input)
    Shape output;                     // per sample
    int64_t params = 0;
    int64_t multiply_adds = 0;  // per sample, in a forward pass
  };
  std::vector<LayerRow> layer_rows() const;
  // One line per layer: name, kind, output shape, parameter count.
  std::string summary() const;

 private:
  struct Node {
    std::unique_ptr<Layer<float>> layer;
    std::vector<int> inputs;  // node indices; -1 is the model input
    Shape shape;              // per sample
    Tensor out, grad;         // (N, shape...)
    // The layers after it that it runs along with itself (Layer::fusable).
    std::vector<Layer<float>*> fused;
    bool kept = true;  // whether out is this layer's output in the last forward
    // Whether the next layer's backward takes in this one's (Layer::absorbs_backward), so that
    // this one's output gradient is not needed.
    bool absorbed = false;
  };
  std::vector<LayerSpec> specs_;
  Shape input_;
  std::vector<Node> nodes_;
  ParamArena<float> arena_;
  std::vector<float> buffer_values_;
  std::vector<NamedParam> named_, named_state_;
  TensorView<const float> last_input_;
  bool last_training_ = false, last_kept_all_ = false;  // of the last forward
  // Whether the last backward ran node's in the next one's (Node::absorbed, and the last
  // forward did not keep every output), leaving its output's gradient unset.
  bool absorbed(const Node& node) const { return node.absorbed && !last_kept_all_; }
  Communicator* sync_ranks_ = nullptr;
  bool backward_done_ = false;                 // since the last forward
  std::vector<TensorView<float>> fused_kept_;  // a training forward's outputs within a pass
};

}  // namespace redes
