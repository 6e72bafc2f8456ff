// The graph executor. Layers run in the order written (each may read only layers written
// before it, so that order is topological); backward runs it in reverse. Activation and
// gradient buffers grow to the largest batch seen and are reused: no allocation per step.
#include "redes/graph.hpp"

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <iomanip>
#include <optional>
#include <set>
#include <sstream>

#include "redes/error.hpp"
#include "redes/threads.hpp"

namespace redes {

namespace {

std::string place_of(const LayerSpec& s) {
  auto it = s.where.find("");
  return (it != s.where.end() ? it->second + ": " : "") + "layer '" + s.name + "' (" + s.kind +
         "): ";
}

uint64_t physical_memory_bytes() {
  return uint64_t(sysconf(_SC_PHYS_PAGES)) * uint64_t(sysconf(_SC_PAGESIZE));
}

std::string gigabytes(double bytes) {
  std::ostringstream os;
  os << std::fixed << std::setprecision(bytes >= 1e10 ? 0 : 1) << bytes / 1e9 << " GB";
  return os.str();
}

// The number of elements of a shape, or nullopt when it does not fit in 63 bits.
std::optional<uint64_t> elements(const Shape& shape) {
  uint64_t n = 1;
  for (int64_t d : shape.dims())
    if (d < 0 || __builtin_mul_overflow(n, uint64_t(d), &n) || n > uint64_t(INT64_MAX))
      return std::nullopt;
  return n;
}

// A layer whose parameters (values and gradients, with those of the layers before it) or whose
// output for one sample (and its gradient) would not fit in memory is a config error here, not
// std::bad_alloc later: Attrs keeps each size below 2^31, but their products can be anything.
void check_fits_in_memory(const LayerSpec& s, Layer<float>& layer, const Shape& out,
                          uint64_t memory, uint64_t& params_so_far) {
  // what: "its parameters need", ...
  const auto too_large = [&](const std::string& what, std::optional<uint64_t> floats) {
    return ConfigError(
        place_of(s) + what + " " +
        (floats ? gigabytes(8.0 * double(*floats)) : "more bytes than 64 bits count") +
        " (floats and their gradients), more than this machine's " + gigabytes(double(memory)) +
        " of memory");
  };
  uint64_t own = 0;
  for (auto* p : layer.params()) {
    const auto n = elements(p->shape);
    if (!n || __builtin_add_overflow(own, *n, &own)) throw too_large("its parameters need", {});
  }
  if (8.0 * double(own) > double(memory)) throw too_large("its parameters need", own);
  params_so_far += own;
  if (8.0 * double(params_so_far) > double(memory))
    throw too_large(
        "the parameters of the layers up to this one (" + std::to_string(params_so_far) + ") need",
        params_so_far);
  const auto n = elements(out);
  if (!n || 8.0 * double(*n) > double(memory))
    throw too_large("its output for one sample " + out.str() + " needs", n);
}

}  // namespace

Graph::Graph(std::vector<LayerSpec> specs, Shape input)
    : specs_(std::move(specs)), input_(std::move(input)) {
  REDES_CHECK(!specs_.empty(), ConfigError, "the model has no layers");
  std::set<std::string> names;
  for (size_t i = 0; i < specs_.size(); ++i) {
    auto& s = specs_[i];
    if (s.name.empty()) s.name = s.kind + std::to_string(i + 1);
    if (s.name == "input" || !names.insert(s.name).second)
      throw ConfigError(place_of(s) + "the name '" + s.name + "' is already taken");
  }

  std::vector<Param<float>*> all_params, all_buffers;
  const uint64_t memory = physical_memory_bytes();
  uint64_t params_so_far = 0;
  std::vector<NamedParam> named_buffers;
  for (size_t i = 0; i < specs_.size(); ++i) {
    const auto& s = specs_[i];
    Node node;
    if (s.inputs.empty()) {
      node.inputs.push_back(static_cast<int>(i) - 1);  // the previous layer; -1 is the model input
    } else {
      for (const auto& in : s.inputs) {
        if (in == "input") {
          node.inputs.push_back(-1);
          continue;
        }
        auto it = std::find_if(specs_.begin(), specs_.begin() + i,
                               [&](const LayerSpec& o) { return o.name == in; });
        if (it == specs_.begin() + i)
          throw ConfigError(place_of(s) + "input '" + in + "' is not a layer written before it");
        node.inputs.push_back(static_cast<int>(it - specs_.begin()));
      }
    }
    std::vector<Shape> in_shapes;
    for (int j : node.inputs) in_shapes.push_back(j < 0 ? input_ : nodes_[j].shape);
    node.layer = make_layer<float>(s);
    try {
      node.shape = node.layer->setup(in_shapes);
    } catch (const ShapeError& e) {
      throw ConfigError(place_of(s) + e.what());
    }
    check_fits_in_memory(s, *node.layer, node.shape, memory, params_so_far);
    for (auto* p : node.layer->params()) {
      all_params.push_back(p);
      named_.push_back({s.name + "." + p->name, p});
    }
    for (auto* b : node.layer->buffers()) {
      all_buffers.push_back(b);
      named_buffers.push_back({s.name + "." + b->name, b});
    }
    nodes_.push_back(std::move(node));
  }
  arena_.bind(all_params);
  int64_t total = 0;
  for (auto* b : all_buffers) total += b->numel();
  buffer_values_.assign(total, 0.0f);
  total = 0;
  for (auto* b : all_buffers) {
    b->value = buffer_values_.data() + total;
    total += b->numel();
  }
  named_state_ = named_;
  named_state_.insert(named_state_.end(), named_buffers.begin(), named_buffers.end());

  // What each layer can run along with itself: the chain after it in which each
  // layer reads only the one before, and nothing else reads that one.
  std::vector<int> readers(nodes_.size());
  for (const auto& node : nodes_)
    for (int j : node.inputs)
      if (j >= 0) ++readers[j];
  for (size_t i = 0; i < nodes_.size(); ++i) {
    std::vector<Layer<float>*> next;
    for (size_t j = i + 1; j < nodes_.size() && readers[j - 1] == 1 &&
                           nodes_[j].inputs == std::vector<int>{static_cast<int>(j) - 1};
         ++j)
      next.push_back(nodes_[j].layer.get());
    next.resize(nodes_[i].layer->fusable(next));
    nodes_[i].fused = std::move(next);
  }
  for (size_t i = 1; i < nodes_.size(); ++i) {
    Node &before = nodes_[i - 1], &node = nodes_[i];
    const bool before_absorbs = i >= 2 && nodes_[i - 2].absorbed;
    if (node.inputs == std::vector<int>{static_cast<int>(i) - 1} && readers[i - 1] == 1 &&
        before.inputs.size() == 1 && !before_absorbs && node.layer->absorbs_backward(*before.layer))
      before.absorbed = true;
  }
}

std::unique_ptr<Graph> Graph::replica() const {
  REDES_CHECK(buffer_values_.empty(), Error, "a graph with buffers has no replica");
  auto g = std::make_unique<Graph>(specs_, input_);
  // Its layers read this graph's values; its own arena keeps the gradients (and values that
  // nothing reads).
  for (size_t i = 0; i < named_.size(); ++i) g->named_[i].param->value = named_[i].param->value;
  return g;
}

void Graph::init(Rng& rng) {
  for (auto& n : nodes_) n.layer->init(rng);
}

TensorView<const float> Graph::forward(TensorView<const float> x, bool training, Rng& rng,
                                       bool keep_outputs) {
  REDES_CHECK(x.rank() >= 1 && x.shape().sample() == input_, ShapeError,
              "model input must be (N, ...) with per-sample shape " + input_.str() + ", got " +
                  x.shape().str());
  const int64_t n = x.dim(0);
  for (size_t i = 0; i < nodes_.size(); ++i) {
    auto& node = nodes_[i];
    ForwardCtx<float> ctx;
    for (int j : node.inputs)
      ctx.inputs.push_back(j < 0 ? x : TensorView<const float>(nodes_[j].out.view()));
    node.kept = true;
    if (!keep_outputs && !node.fused.empty()) {
      // The layer with the ones after it in one pass; in training their outputs are kept still.
      const size_t k = node.fused.size();
      fused_kept_.clear();
      for (size_t j = i; j < i + k; ++j) {
        nodes_[j].kept = training;
        if (training) {
          nodes_[j].out.resize(nodes_[j].shape.batched(n));
          fused_kept_.push_back(nodes_[j].out.view());
        }
      }
      auto& last = nodes_[i + k];
      last.out.resize(last.shape.batched(n));
      last.kept = true;
      node.layer->forward_fused(node.fused, ctx.inputs[0], last.out.view(), fused_kept_);
      i += k;
      continue;
    }
    node.out.resize(node.shape.batched(n));
    ctx.output = node.out.view();
    ctx.training = training;
    ctx.rng = &rng;
    if (training) ctx.ranks = sync_ranks_;
    node.layer->forward(ctx);
  }
  last_input_ = x;
  last_training_ = training;
  last_kept_all_ = keep_outputs;
  backward_done_ = false;
  return nodes_.back().out.view();
}

void Graph::backward(TensorView<const float> grad_output) {
  REDES_CHECK(grad_output.shape() == nodes_.back().out.shape(), ShapeError,
              "gradient " + grad_output.shape().str() + " does not match the output " +
                  nodes_.back().out.shape().str());
  REDES_CHECK(std::all_of(nodes_.begin(), nodes_.end(), [](const Node& n) { return n.kept; }),
              Error,
              "backward after an inference forward that ran layers together: forward "
              "with training or keep_outputs first");
  // Every gradient starts at zero (the layers add into them), in one pass over the threads:
  // about 2 MB per LeNet-5 step, 3 % of its epoch when one thread did it.
  int64_t total = 0;
  for (auto& node : nodes_) {
    if (absorbed(node)) continue;  // its output's gradient is not needed
    node.grad.resize(node.out.shape());
    total += node.grad.numel();
  }
#pragma omp parallel if (total > (int64_t(1) << 16) && num_threads() > 1) num_threads(num_threads())
  for (auto& node : nodes_) {
    if (absorbed(node)) continue;
    float* g = node.grad.data();
    const int64_t n = node.grad.numel();
#pragma omp for simd schedule(static) nowait
    for (int64_t i = 0; i < n; ++i) g[i] = 0.0f;
  }
  std::copy(grad_output.begin(), grad_output.end(), nodes_.back().grad.data());
  const bool params_zero = arena_.grads_zero();
  arena_.grads_added();
  for (size_t i = nodes_.size(); i-- > 0;) {
    auto& node = nodes_[i];
    if (absorbed(node)) continue;  // in the next one's backward_through
    const bool through = i > 0 && absorbed(nodes_[i - 1]);
    BackwardCtx<float> ctx;
    for (int j : through ? nodes_[i - 1].inputs : node.inputs) {
      ctx.inputs.push_back(j < 0 ? last_input_ : TensorView<const float>(nodes_[j].out.view()));
      ctx.grad_inputs.push_back(j < 0 ? TensorView<float>() : nodes_[j].grad.view());
    }
    ctx.output = node.out.view();
    ctx.grad_output = node.grad.view();
    ctx.training = last_training_;
    ctx.params_zero = params_zero;
    if (last_training_) ctx.ranks = sync_ranks_;
    if (through)
      node.layer->backward_through(*nodes_[i - 1].layer, ctx);
    else
      node.layer->backward(ctx);
  }
  backward_done_ = true;
}

TensorView<const float> Graph::output_of(const std::string& name) const {
  for (size_t i = 0; i < specs_.size(); ++i) {
    if (specs_[i].name != name) continue;
    REDES_CHECK(nodes_[i].kept, Error,
                "layer '" + name + "' ran together with the layers after it in the last " +
                    "forward, which did not keep its output (forward with keep_outputs)");
    return nodes_[i].out.view();
  }
  throw Error("the model has no layer called '" + name + "'");
}

std::string Graph::first_nonfinite() const {
  const auto bad = [](const float* x, int64_t n) {
    return std::any_of(x, x + n, [](float v) { return !std::isfinite(v); });
  };
  const auto layer = [&](size_t i) {
    return "layer '" + specs_[i].name + "' (" + specs_[i].kind + ")";
  };
  for (size_t i = 0; i < nodes_.size(); ++i) {
    for (const auto* p : nodes_[i].layer->params())
      if (bad(p->value, p->numel())) return "the parameter " + specs_[i].name + "." + p->name;
    if (nodes_[i].kept && bad(nodes_[i].out.data(), nodes_[i].out.numel()))
      return "the output of " + layer(i);
  }
  if (!backward_done_) return "";  // the gradients are not of the last forward
  for (size_t i = nodes_.size(); i-- > 0;) {
    if (!absorbed(nodes_[i]) && bad(nodes_[i].grad.data(), nodes_[i].grad.numel()))
      return "the gradient at the output of " + layer(i);
    for (const auto* p : nodes_[i].layer->params())
      if (bad(p->grad, p->numel())) return "the gradient of " + specs_[i].name + "." + p->name;
  }
  return "";
}

std::vector<Graph::LayerRow> Graph::layer_rows() const {
  std::vector<LayerRow> rows;
  for (size_t i = 0; i < nodes_.size(); ++i) {
    LayerRow r{
        specs_[i].name, specs_[i].kind, {}, nodes_[i].shape, 0, nodes_[i].layer->multiply_adds()};
    for (int in : nodes_[i].inputs) r.inputs.push_back(in < 0 ? "input" : specs_[in].name);
    for (auto* p : nodes_[i].layer->params()) r.params += p->numel();
    rows.push_back(std::move(r));
  }
  return rows;
}

std::string Graph::summary() const {
  std::ostringstream os;
  os << "input  " << input_.str() << "\n";
  for (size_t i = 0; i < nodes_.size(); ++i) {
    int64_t count = 0;
    for (auto* p : nodes_[i].layer->params()) count += p->numel();
    os << specs_[i].name << "  " << specs_[i].kind << "  " << nodes_[i].shape.str();
    if (count) os << "  " << count << " params";
    os << "\n";
  }
  os << "total  " << arena_.values().size() << " params";
  return os.str();
}

}  // namespace redes
