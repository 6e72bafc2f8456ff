// The generic gradient checkers (GUIDE, "Tests that prove the maths"), in double precision.
//
// check_layer_gradients: with f = <layer(x), g> for a random g, compares backward's
// d f / d param and d f / d x with central differences (f(v + eps) - f(v - eps)) / (2 eps)
// on every parameter and every input element. Gradients are pre-filled with random values c
// that are subtracted afterwards: an entry backward forgets reads 0 instead of the derivative,
// and a backward that overwrites instead of adding leaves -c behind; both fail.
// The output is pre-filled with NaN before each forward, so a forward that leaves an entry
// unwritten (or reads its output) fails too.
//
// check_loss_gradients: the same for d loss / d pred, with a scale != 1.
#pragma once
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <limits>
#include <sstream>
#include <string>
#include <vector>

#include "redes/layer.hpp"
#include "redes/loss.hpp"

namespace redes::test {

struct GradcheckOptions {
  double eps = 1e-6;   // central-difference step
  double rtol = 1e-5;  // |analytic - numeric| <= atol + rtol * max(|analytic|, |numeric|)
  double atol = 1e-6;
  bool training = false;  // forward/backward in training mode (dropout)
  uint64_t seed = 1;      // parameters, inputs, g and the pre-fill values
  int max_reports = 8;    // mismatches listed in the failure message
  // Fills input i (N, ...) before the check; the default is N(0, 1) per element. Use it to keep
  // inputs away from kinks (ReLU at 0) where a central difference is meaningless.
  std::function<void(size_t i, TensorView<double> x, Rng& rng)> fill_input;
};

namespace detail {

inline bool close(double analytic, double numeric, const GradcheckOptions& o) {
  if (!std::isfinite(analytic) || !std::isfinite(numeric)) return false;
  return std::abs(analytic - numeric) <=
         o.atol + o.rtol * std::max(std::abs(analytic), std::abs(numeric));
}

// Collects mismatches into one readable failure message.
struct Report {
  explicit Report(const GradcheckOptions& o) : opts(o) {}
  const GradcheckOptions& opts;
  int failures = 0;
  int64_t checked = 0;
  std::ostringstream msg;

  void compare(const std::string& what, int64_t index, double analytic, double numeric) {
    ++checked;
    if (close(analytic, numeric, opts)) return;
    if (failures++ < opts.max_reports) {
      msg << "\n  " << what << "[" << index << "]: backward " << analytic << ", numeric " << numeric
          << " (diff " << analytic - numeric << ")";
    }
  }
  ::testing::AssertionResult result(const std::string& header) const {
    if (checked == 0) return ::testing::AssertionFailure() << header << ": nothing was checked";
    if (failures == 0) return ::testing::AssertionSuccess();
    return ::testing::AssertionFailure()
           << header << ": " << failures << " of " << checked << " gradients differ" << msg.str();
  }
};

inline void fill_normal(std::vector<double>& v, Rng& rng) {
  for (double& x : v) x = rng.normal();
}

}  // namespace detail

// layer must be fresh (not yet set up). input_shapes are per sample; the batch is N.
inline ::testing::AssertionResult check_layer_gradients(Layer<double>& layer,
                                                        const std::vector<Shape>& input_shapes,
                                                        int64_t N,
                                                        const GradcheckOptions& opts = {}) {
  std::ostringstream header;
  header << layer.kind() << " with inputs";
  for (const auto& s : input_shapes) header << " " << s.batched(N).str();

  const Shape out_sample = layer.setup(input_shapes);
  const Shape out_shape = out_sample.batched(N);
  auto params = layer.params();
  ParamArena<double> arena;
  arena.bind(params);
  Rng rng(opts.seed);
  layer.init(rng);

  std::vector<TensorD> inputs;
  for (size_t i = 0; i < input_shapes.size(); ++i) {
    inputs.emplace_back(input_shapes[i].batched(N));
    if (opts.fill_input) {
      opts.fill_input(i, inputs.back().view(), rng);
    } else {
      detail::fill_normal(inputs.back().values(), rng);
    }
  }
  TensorD output(out_shape);
  std::vector<double> g(out_shape.numel());
  detail::fill_normal(g, rng);
  // Every forward, stochastic or not, starts from the same generator state.
  const Rng forward_rng = rng.split();

  auto run_forward = [&]() {
    ForwardCtx<double> ctx;
    for (auto& x : inputs) ctx.inputs.push_back(x.view());
    output.fill(std::numeric_limits<double>::quiet_NaN());
    ctx.output = output.view();
    ctx.training = opts.training;
    Rng r = forward_rng;
    ctx.rng = &r;
    layer.forward(ctx);
    double f = 0;
    for (int64_t j = 0; j < output.numel(); ++j) f += output[j] * g[j];
    return f;
  };

  // Analytic gradients, on top of known pre-fill values.
  const double f0 = run_forward();
  if (!std::isfinite(f0)) {
    return ::testing::AssertionFailure()
           << header.str() << ": forward left a non-finite output (f = " << f0 << ")";
  }
  std::vector<double> param_prefill(arena.grads().size());
  detail::fill_normal(param_prefill, rng);
  std::copy(param_prefill.begin(), param_prefill.end(), arena.grads().begin());
  std::vector<TensorD> grad_inputs;
  std::vector<std::vector<double>> input_prefill;
  for (auto& x : inputs) {
    input_prefill.emplace_back(x.numel());
    detail::fill_normal(input_prefill.back(), rng);
    grad_inputs.emplace_back(x.shape(), input_prefill.back());
  }
  {
    BackwardCtx<double> ctx;
    for (auto& x : inputs) ctx.inputs.push_back(x.view());
    ctx.output = output.view();
    ctx.grad_output = TensorView<const double>(g.data(), out_shape);
    for (auto& gx : grad_inputs) ctx.grad_inputs.push_back(gx.view());
    ctx.training = opts.training;
    layer.backward(ctx);
  }

  detail::Report report(opts);
  auto numeric = [&](double& v) {
    const double saved = v;
    v = saved + opts.eps;
    const double fp = run_forward();
    v = saved - opts.eps;
    const double fm = run_forward();
    v = saved;
    return (fp - fm) / (2 * opts.eps);
  };
  for (auto* p : params) {
    for (int64_t j = 0; j < p->numel(); ++j) {
      const double analytic = p->grad[j] - param_prefill[(p->grad + j) - arena.grads().data()];
      report.compare(p->name, j, analytic, numeric(p->value[j]));
    }
  }
  for (size_t i = 0; i < inputs.size(); ++i) {
    for (int64_t j = 0; j < inputs[i].numel(); ++j) {
      const double analytic = grad_inputs[i][j] - input_prefill[i][j];
      report.compare("input" + std::to_string(i), j, analytic, numeric(inputs[i][j]));
    }
  }
  // The forward after the checks reproduces the first: the layer keeps no hidden state that
  // drifts between calls with the same generator.
  const double f1 = run_forward();
  if (f1 != f0) {
    return ::testing::AssertionFailure()
           << header.str() << ": forward is not repeatable (" << f0 << " then " << f1 << ")";
  }
  return report.result(header.str());
}

// d loss / d pred: backward(scale) must add scale * (numeric derivative) onto a pre-filled
// gradient.
inline ::testing::AssertionResult check_loss_gradients(Loss<double>& loss, const TensorD& pred,
                                                       const TensorD& target, double scale = 0.37,
                                                       const GradcheckOptions& opts = {}) {
  const std::string header = std::string(loss.kind()) + " on " + pred.shape().str();
  TensorD x = pred;
  Rng rng(opts.seed);
  std::vector<double> prefill(x.numel());
  detail::fill_normal(prefill, rng);
  TensorD grad(x.shape(), prefill);
  const double l0 = loss.forward(x, target);
  if (!std::isfinite(l0)) return ::testing::AssertionFailure() << header << ": loss " << l0;
  loss.backward(x, target, scale, grad.view());

  detail::Report report(opts);
  for (int64_t j = 0; j < x.numel(); ++j) {
    const double saved = x[j];
    x[j] = saved + opts.eps;
    const double lp = loss.forward(x, target);
    x[j] = saved - opts.eps;
    const double lm = loss.forward(x, target);
    x[j] = saved;
    report.compare("pred", j, grad[j] - prefill[j], scale * (lp - lm) / (2 * opts.eps));
  }
  return report.result(header);
}

}  // namespace redes::test
