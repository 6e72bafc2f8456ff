// The parts of a golden layer test that every layer shares: the fixture's parameters put into
// the layer, and the backward pass checked against the fixture's gradients.
#pragma once
#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "redes/layer.hpp"
#include "support/golden.hpp"

namespace redes::golden {

// Binds params to `arena` (gradients start at 0: backward adds into them) and copies each one's
// "param.<name>" from the fixture; the names must be exactly the fixture's. Fails the test
// (fatally) otherwise.
inline void set_params(const Fixture& fx, const std::string& what,
                       const std::vector<Param<float>*>& params, ParamArena<float>& arena) {
  std::vector<std::string> ours, theirs = fx.names_with_prefix("param.");
  for (auto* p : params) ours.push_back(p->name);
  std::sort(ours.begin(), ours.end());
  std::sort(theirs.begin(), theirs.end());
  ASSERT_EQ(ours, theirs) << "parameter names of " << what;
  arena.bind(params);
  for (auto* p : params) {
    const Tensor& value = fx.at("param." + p->name);
    ASSERT_EQ(p->shape, value.shape()) << "parameter " << p->name;
    std::copy(value.values().begin(), value.values().end(), p->value);
  }
}

// The backward of `layer` after its forward of the fixture's "input" gave `out`, for the
// fixture's "grad_output": d input against "grad_input", each parameter's gradient against
// "grad.<name>".
inline void check_backward(Layer<float>& layer, const Fixture& fx, const std::string& what,
                           const Tensor& out, const std::vector<Param<float>*>& params,
                           bool training, double abs_tol, double rel_tol) {
  const Tensor& input = fx.at("input");
  Tensor din(input.shape(), 0.0f);
  BackwardCtx<float> bwd;
  bwd.inputs = {input.view()};
  bwd.output = out.view();
  bwd.grad_output = fx.at("grad_output").view();
  bwd.grad_inputs = {din.view()};
  bwd.training = training;
  layer.backward(bwd);
  std::string msg =
      compare(what + " grad_input", fx.at("grad_input"), din.view(), abs_tol, rel_tol);
  EXPECT_TRUE(msg.empty()) << msg;
  for (auto* p : params) {
    msg =
        compare(what + " grad." + p->name, fx.at("grad." + p->name), p->grads(), abs_tol, rel_tol);
    EXPECT_TRUE(msg.empty()) << msg;
  }
}

}  // namespace redes::golden
