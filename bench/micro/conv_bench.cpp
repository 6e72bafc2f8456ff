// Convolution and pooling layers (src/layers/conv2d.cpp, pooling.cpp) on the shapes of the
// example models, forward and backward separately, through the layers themselves: im2col,
// the GEMMs, col2im, the split of the batch over threads and the columns kept between the two
// passes all count.
//
//   conv/<model>/<layer>.forward    a training forward (it keeps the columns for backward)
//   conv/<model>/<layer>.backward   the backward that follows it (dW, db and, except for a
//                                   model's first layer, dx)
//   pool/<model>/<layer>.forward / .backward
//
// GFLOP/s counts the multiply-adds of the products (2 per multiply-add), as gemm_bench.cpp does.
#include <benchmark/benchmark.h>

#include <memory>
#include <string>
#include <vector>

#include "conv_shapes.hpp"
#include "peak.hpp"
#include "redes/rng.hpp"

namespace redes::bench {
namespace {

// LayerData with the contexts of a step; the first forward has run (so backward has its
// columns and argmax).
struct Bench : LayerData {
  ForwardCtx<float> fwd;
  BackwardCtx<float> bwd;
  double macs = 0;  // multiply-adds of one forward

  explicit Bench(const LayerShape& s) : LayerData(s) {
    fwd.inputs = {x.view()};
    fwd.output = y.view();
    fwd.training = true;
    fwd.rng = &rng;
    bwd.inputs = {x.view()};
    bwd.output = y.view();
    bwd.grad_output = dy.view();
    bwd.grad_inputs = {s.first ? TensorView<float>() : dx.view()};
    bwd.training = true;
    layer->forward(fwd);
    if (s.filters > 0) macs = double(y.numel()) * s.input[0] * s.kernel * s.kernel;
  }
};

void bm_forward(benchmark::State& state, LayerShape s) {
  Bench b(s);
  for (auto _ : state) {
    b.layer->forward(b.fwd);
    benchmark::ClobberMemory();
  }
  if (b.macs > 0) report_flops(state, 2.0 * b.macs);
  state.SetItemsProcessed(state.iterations() * s.batch);  // images
}

void bm_backward(benchmark::State& state, LayerShape s) {
  Bench b(s);
  for (auto _ : state) {
    b.layer->backward(b.bwd);  // adds into the same gradients every time: the work is the same
    benchmark::ClobberMemory();
  }
  // dW and, when there is an input gradient, dx: one product each of the forward's size.
  if (b.macs > 0) report_flops(state, 2.0 * b.macs * (s.first ? 1 : 2));
  state.SetItemsProcessed(state.iterations() * s.batch);
}

const bool registered = [] {
  for (const auto& s : shapes()) {
    const std::string base = std::string(s.filters ? "conv/" : "pool/") + s.model + "/" + s.name;
    benchmark::RegisterBenchmark((base + ".forward").c_str(), bm_forward, s)->UseRealTime();
    benchmark::RegisterBenchmark((base + ".backward").c_str(), bm_backward, s)->UseRealTime();
  }
  return true;
}();

}  // namespace
}  // namespace redes::bench
