// One forward and one backward of a one-input layer, as the graph runs them, for tests that
// check a layer's outputs and gradients by hand.
#pragma once
#include "redes/layer.hpp"
#include "redes/rng.hpp"
#include "redes/tensor.hpp"

namespace redes::test {

// y = layer(x), then the backward for the output gradient dy: dx (when not null) and the
// parameters' gradients are ADDED to. Both passes see `training`; rng serves dropout.
template <class T>
void forward_backward(Layer<T>& layer, const BasicTensor<T>& x, BasicTensor<T>& y,
                      const BasicTensor<T>& dy, BasicTensor<T>* dx, bool training = false,
                      Rng* rng = nullptr) {
  ForwardCtx<T> f;
  f.inputs = {x.view()};
  f.output = y.view();
  f.training = training;
  f.rng = rng;
  layer.forward(f);
  BackwardCtx<T> b;
  b.inputs = {x.view()};
  b.output = y.view();
  b.grad_output = dy.view();
  b.grad_inputs = {dx ? dx->view() : TensorView<T>()};
  b.training = training;
  layer.backward(b);
}

}  // namespace redes::test
