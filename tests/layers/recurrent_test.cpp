// LSTM and GRU: gradient checks over every feature (steps, stacking, directions, both output
// modes, padding masks, initial states, dropout between layers), and the padding semantics of
// pack_padded_sequence, on both cells.
#include <gtest/gtest.h>

#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include "layers/gru.hpp"
#include "layers/lstm.hpp"
#include "redes/threads.hpp"
#include "support/gradcheck.hpp"

namespace redes {
namespace {

template <class T>
std::unique_ptr<Recurrent<T>> make_rnn(const std::string& kind, const RecurrentOptions& o) {
  if (kind == "lstm") return std::make_unique<LSTM<T>>(o, 0.5);
  return std::make_unique<GRU<T>>(o);
}

int states_of(const std::string& kind) { return kind == "lstm" ? 2 : 1; }

// Per-sample input shapes: x (T, F), [h0 (L*D, H), c0], [mask (T)].
std::vector<Shape> input_shapes(const std::string& kind, const RecurrentOptions& o, int64_t T,
                                int64_t F) {
  std::vector<Shape> s{Shape{T, F}};
  const int64_t D = o.bidirectional ? 2 : 1;
  if (o.initial_state)
    for (int i = 0; i < states_of(kind); ++i) s.push_back(Shape{o.layers * D, o.units});
  if (o.masked) s.push_back(Shape{T});
  return s;
}

// Fills the mask input with 1 for the first lengths[n] steps of sample n and 0 after; every
// other input N(0, 1).
test::GradcheckOptions with_lengths(const std::string& kind, const RecurrentOptions& o,
                                    std::vector<int64_t> lengths) {
  test::GradcheckOptions g;
  const size_t mask_input = o.masked ? 1 + (o.initial_state ? states_of(kind) : 0) : size_t(-1);
  g.fill_input = [=](size_t i, TensorView<double> x, Rng& rng) {
    if (i != mask_input) {
      for (double& v : x) v = rng.normal();
      return;
    }
    const int64_t N = x.dim(0), T = x.dim(1);
    for (int64_t n = 0; n < N; ++n)
      for (int64_t t = 0; t < T; ++t) x[n * T + t] = t < lengths[n % lengths.size()] ? 1.0 : 0.0;
  };
  return g;
}

struct Case {
  std::string name;
  int64_t T, layers;
  bool bidirectional, return_sequences, initial_state;
  std::vector<int64_t> lengths;  // empty: no mask
  double dropout = 0.0;
};

class RecurrentGradients : public ::testing::TestWithParam<std::string> {};

TEST_P(RecurrentGradients, MatchCentralDifferences) {
  const std::string kind = GetParam();
  const int64_t N = 3, F = 2, H = 3;
  const std::vector<Case> cases = {
      {"T1_last", 1, 1, false, false, false, {}},
      {"T1_seq", 1, 1, false, true, false, {}},
      {"T3_last", 3, 1, false, false, false, {}},
      {"T3_seq", 3, 1, false, true, false, {}},
      {"stacked_last", 3, 2, false, false, false, {}},
      {"stacked_seq", 3, 2, false, true, false, {}},
      {"bidir_last", 3, 1, true, false, false, {}},
      {"bidir_seq", 3, 1, true, true, false, {}},
      {"bidir_stacked_seq", 3, 2, true, true, false, {}},
      {"masked_last", 4, 1, false, false, false, {4, 2, 1}},
      {"masked_seq", 4, 1, false, true, false, {4, 2, 1}},
      {"masked_bidir_last", 4, 1, true, false, false, {2, 4, 1}},
      {"masked_bidir_stacked_seq", 4, 2, true, true, false, {1, 3, 4}},
      {"masked_empty_sequence", 3, 1, true, true, false, {3, 0, 2}},
      {"h0_T1", 1, 1, false, false, true, {}},
      {"h0_bidir_stacked_last", 3, 2, true, false, true, {}},
      {"h0_masked_bidir_seq", 4, 2, true, true, true, {3, 1, 0}},
      {"h0_masked_last", 4, 1, false, false, true, {4, 2, 1}},
  };
  for (const auto& c : cases) {
    RecurrentOptions o;
    o.units = H;
    o.layers = c.layers;
    o.bidirectional = c.bidirectional;
    o.return_sequences = c.return_sequences;
    o.initial_state = c.initial_state;
    o.masked = !c.lengths.empty();
    auto layer = make_rnn<double>(kind, o);
    auto opts = with_lengths(kind, o, c.lengths);
    EXPECT_TRUE(test::check_layer_gradients(*layer, input_shapes(kind, o, c.T, F), N, opts))
        << kind << " " << c.name;
  }
}

TEST_P(RecurrentGradients, DropoutBetweenLayersInTraining) {
  const std::string kind = GetParam();
  for (bool bidirectional : {false, true}) {
    RecurrentOptions o;
    o.units = 3;
    o.layers = 3;
    o.dropout = 0.4;
    o.bidirectional = bidirectional;
    o.return_sequences = true;
    auto layer = make_rnn<double>(kind, o);
    test::GradcheckOptions opts;
    opts.training = true;  // one fixed generator: the same mask in every forward
    EXPECT_TRUE(test::check_layer_gradients(*layer, {Shape{3, 2}}, 2, opts))
        << kind << " bidirectional " << bidirectional;
  }
}

TEST_P(RecurrentGradients, OtherInitSchemes) {
  const std::string kind = GetParam();
  RecurrentOptions o;
  o.units = 2;
  o.init = "glorot_uniform";
  auto layer = make_rnn<double>(kind, o);
  EXPECT_TRUE(test::check_layer_gradients(*layer, {Shape{2, 3}}, 2));
}

INSTANTIATE_TEST_SUITE_P(Cells, RecurrentGradients, ::testing::Values("lstm", "gru"));

// Forward and backward of a double layer on given inputs, for the semantic tests below.
struct RunResult {
  TensorD out;
  std::vector<TensorD> din;   // per input
  std::vector<double> grads;  // every parameter gradient, in order
  TensorD h_n;
};

class Harness {
 public:
  Harness(const std::string& kind, const RecurrentOptions& o, int64_t T, int64_t F, int64_t N,
          uint64_t seed = 3)
      : layer_(make_rnn<double>(kind, o)), shapes_(input_shapes(kind, o, T, F)), N_(N) {
    out_shape_ = layer_->setup(shapes_).batched(N);
    arena_.bind(layer_->params());
    Rng rng(seed);
    layer_->init(rng);
  }
  Recurrent<double>& layer() { return *layer_; }
  ParamArena<double>& arena() { return arena_; }
  const Shape& out_shape() const { return out_shape_; }

  RunResult run(const std::vector<TensorD>& inputs, const TensorD& dout) {
    RunResult r;
    r.out = TensorD(out_shape_, -7.0);
    ForwardCtx<double> f;
    for (const auto& x : inputs) f.inputs.push_back(x.view());
    f.output = r.out.view();
    layer_->forward(f);
    arena_.zero_grad();
    BackwardCtx<double> b;
    for (const auto& x : inputs) {
      b.inputs.push_back(x.view());
      r.din.emplace_back(x.shape(), 0.0);
    }
    for (auto& d : r.din) b.grad_inputs.push_back(d.view());
    b.output = r.out.view();
    b.grad_output = dout.view();
    layer_->backward(b);
    r.grads.assign(arena_.grads().begin(), arena_.grads().end());
    r.h_n = layer_->final_hidden();
    return r;
  }

 private:
  std::unique_ptr<Recurrent<double>> layer_;
  std::vector<Shape> shapes_;
  int64_t N_;
  Shape out_shape_;
  ParamArena<double> arena_;
};

TensorD random_tensor(Shape s, uint64_t seed) {
  TensorD t(std::move(s));
  Rng rng(seed);
  for (auto& v : t.values()) v = rng.normal();
  return t;
}

TensorD mask_of(const std::vector<int64_t>& lengths, int64_t T) {
  TensorD m(Shape{static_cast<int64_t>(lengths.size()), T}, 0.0);
  for (size_t n = 0; n < lengths.size(); ++n)
    for (int64_t t = 0; t < lengths[n]; ++t) m[n * T + t] = 1.0;
  return m;
}

class RecurrentPadding : public ::testing::TestWithParam<std::string> {};

// Changing what sits in the padded steps changes no output and no gradient, and padded steps
// output 0 and receive a zero input gradient.
TEST_P(RecurrentPadding, PaddedInputsChangeNothing) {
  const std::string kind = GetParam();
  const int64_t T = 5, F = 3, N = 3;
  const std::vector<int64_t> lengths = {5, 2, 3};
  for (bool seq : {false, true}) {
    RecurrentOptions o;
    o.units = 4;
    o.layers = 2;
    o.bidirectional = true;
    o.return_sequences = seq;
    o.masked = true;
    Harness h(kind, o, T, F, N);
    TensorD x = random_tensor(Shape{N, T, F}, 1);
    const TensorD mask = mask_of(lengths, T);
    const TensorD dout = random_tensor(h.out_shape(), 2);
    const RunResult a = h.run({x, mask}, dout);
    Rng rng(9);
    for (int64_t n = 0; n < N; ++n)
      for (int64_t t = lengths[n]; t < T; ++t)
        for (int64_t f = 0; f < F; ++f) x[(n * T + t) * F + f] = 100.0 * rng.normal();
    const RunResult b = h.run({x, mask}, dout);
    EXPECT_EQ(a.out.values(), b.out.values()) << kind << " seq " << seq;
    EXPECT_EQ(a.grads, b.grads) << kind << " seq " << seq;
    EXPECT_EQ(a.din[0].values(), b.din[0].values()) << kind << " seq " << seq;
    EXPECT_EQ(a.h_n.values(), b.h_n.values()) << kind << " seq " << seq;
    for (int64_t n = 0; n < N; ++n) {
      for (int64_t t = lengths[n]; t < T; ++t) {
        for (int64_t f = 0; f < F; ++f) EXPECT_EQ(b.din[0][(n * T + t) * F + f], 0.0);
        if (seq) {
          for (int64_t j = 0; j < 8; ++j) EXPECT_EQ(b.out[(n * T + t) * 8 + j], 0.0);
        }
      }
    }
  }
}

// A padded sample gives exactly what the layer gives on that sample alone, cut to its length
// (pack_padded_sequence semantics, the backward direction included).
TEST_P(RecurrentPadding, PaddedSampleEqualsTheShortSequenceAlone) {
  const std::string kind = GetParam();
  const int64_t T = 5, F = 2, H = 3, N = 3;
  const std::vector<int64_t> lengths = {5, 2, 4};
  RecurrentOptions o;
  o.units = H;
  o.layers = 2;
  o.bidirectional = true;
  o.return_sequences = true;
  o.masked = true;
  Harness padded(kind, o, T, F, N);
  const TensorD x = random_tensor(Shape{N, T, F}, 4);
  const RunResult full = padded.run({x, mask_of(lengths, T)}, TensorD(padded.out_shape(), 1.0));
  for (int64_t n = 0; n < N; ++n) {
    const int64_t len = lengths[n];
    RecurrentOptions u = o;
    u.masked = false;
    Harness alone(kind, u, len, F, 1);
    std::copy(padded.arena().values().begin(), padded.arena().values().end(),
              alone.arena().values().begin());
    TensorD xs(Shape{1, len, F});
    std::copy(x.data() + n * T * F, x.data() + (n * T + len) * F, xs.data());
    const RunResult r = alone.run({xs}, TensorD(alone.out_shape(), 1.0));
    for (int64_t i = 0; i < len * 2 * H; ++i)
      EXPECT_NEAR(r.out[i], full.out[n * T * 2 * H + i], 1e-14) << kind << " sample " << n;
    for (int64_t i = 0; i < r.h_n.numel(); ++i)
      EXPECT_NEAR(r.h_n[i], full.h_n[n * r.h_n.numel() + i], 1e-14) << kind << " h_n " << n;
    for (int64_t i = 0; i < len * F; ++i)
      EXPECT_NEAR(r.din[0][i], full.din[0][n * T * F + i], 1e-12) << kind << " dx " << n;
  }
}

// Without return_sequences the output is the final state of each direction: the forward
// direction's output at the last real step and the backward direction's at step 0.
TEST_P(RecurrentPadding, LastStepIsTheLastRealStep) {
  const std::string kind = GetParam();
  const int64_t T = 4, F = 2, H = 3, N = 3;
  const std::vector<int64_t> lengths = {4, 1, 3};
  RecurrentOptions o;
  o.units = H;
  o.bidirectional = true;
  o.masked = true;
  o.return_sequences = true;
  Harness seq(kind, o, T, F, N);
  o.return_sequences = false;
  Harness last(kind, o, T, F, N);
  std::copy(seq.arena().values().begin(), seq.arena().values().end(),
            last.arena().values().begin());
  const TensorD x = random_tensor(Shape{N, T, F}, 5), mask = mask_of(lengths, T);
  const RunResult s = seq.run({x, mask}, TensorD(seq.out_shape(), 0.0));
  const RunResult l = last.run({x, mask}, TensorD(last.out_shape(), 0.0));
  for (int64_t n = 0; n < N; ++n) {
    for (int64_t j = 0; j < H; ++j) {
      EXPECT_EQ(l.out[n * 2 * H + j], s.out[(n * T + lengths[n] - 1) * 2 * H + j]);
      EXPECT_EQ(l.out[n * 2 * H + H + j], s.out[(n * T + 0) * 2 * H + H + j]);
      EXPECT_EQ(l.out[n * 2 * H + j], l.h_n[n * 2 * H + j]);  // h_n is (N, L*D, H)
    }
  }
}

// A mask of all ones is the same as no mask.
TEST_P(RecurrentPadding, FullMaskEqualsNoMask) {
  const std::string kind = GetParam();
  RecurrentOptions o;
  o.units = 3;
  o.bidirectional = true;
  o.return_sequences = true;
  Harness plain(kind, o, 4, 2, 2);
  o.masked = true;
  Harness masked(kind, o, 4, 2, 2);
  std::copy(plain.arena().values().begin(), plain.arena().values().end(),
            masked.arena().values().begin());
  const TensorD x = random_tensor(Shape{2, 4, 2}, 6);
  const TensorD dout = random_tensor(plain.out_shape(), 7);
  const RunResult a = plain.run({x}, dout);
  const RunResult b = masked.run({x, mask_of({4, 4}, 4)}, dout);
  EXPECT_EQ(a.out.values(), b.out.values());
  EXPECT_EQ(a.grads, b.grads);
  EXPECT_EQ(a.din[0].values(), b.din[0].values());
}

// A sequence of length 0 outputs zeros at every step, and its final state is the initial one.
TEST_P(RecurrentPadding, EmptySequenceKeepsTheInitialState) {
  const std::string kind = GetParam();
  const int64_t T = 3, F = 2, H = 2, N = 2;
  RecurrentOptions o;
  o.units = H;
  o.bidirectional = true;
  o.return_sequences = true;
  o.initial_state = true;
  o.masked = true;
  Harness h(kind, o, T, F, N);
  std::vector<TensorD> inputs = {random_tensor(Shape{N, T, F}, 1)};
  for (int s = 0; s < states_of(kind); ++s) inputs.push_back(random_tensor(Shape{N, 2, H}, 2 + s));
  inputs.push_back(mask_of({3, 0}, T));
  const RunResult r = h.run(inputs, random_tensor(h.out_shape(), 5));
  for (int64_t i = T * 2 * H; i < 2 * T * 2 * H; ++i) EXPECT_EQ(r.out[i], 0.0);
  for (int64_t i = 2 * H; i < 4 * H; ++i) EXPECT_EQ(r.h_n[i], inputs[1][i]);  // sample 1
  for (int64_t i = 0; i < 2 * H; ++i) EXPECT_NE(r.h_n[i], inputs[1][i]);      // sample 0 moved
  // Its initial state receives no gradient from its (constant) outputs.
  for (int64_t i = 2 * H; i < 4 * H; ++i) EXPECT_EQ(r.din[1][i], 0.0);
}

TEST_P(RecurrentPadding, RejectsPaddingBeforeARealStep) {
  const std::string kind = GetParam();
  RecurrentOptions o;
  o.units = 2;
  o.masked = true;
  Harness h(kind, o, 3, 1, 1);
  TensorD mask(Shape{1, 3}, {1, 0, 1});
  try {
    h.run({random_tensor(Shape{1, 3, 1}, 1), mask}, TensorD(h.out_shape(), 0.0));
    FAIL() << "no ShapeError";
  } catch (const ShapeError& e) {
    EXPECT_NE(std::string(e.what()).find("padding must come only at the end"), std::string::npos)
        << e.what();
  }
}

INSTANTIATE_TEST_SUITE_P(Cells, RecurrentPadding, ::testing::Values("lstm", "gru"));

// Shapes, parameter names (PyTorch's) and input conventions.
TEST(Recurrent, ShapesAndParameterNamesAsPyTorch) {
  RecurrentOptions o;
  o.units = 5;
  o.layers = 2;
  o.bidirectional = true;
  LSTM<float> lstm(o);
  const Shape in[] = {Shape{7, 3}};
  EXPECT_EQ(lstm.setup(in), (Shape{10}));
  std::vector<std::string> names;
  std::vector<Shape> shapes;
  for (auto* p : lstm.params()) {
    names.push_back(p->name);
    shapes.push_back(p->shape);
  }
  EXPECT_EQ(names,
            (std::vector<std::string>{
                "weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0", "weight_ih_l0_reverse",
                "weight_hh_l0_reverse", "bias_ih_l0_reverse", "bias_hh_l0_reverse", "weight_ih_l1",
                "weight_hh_l1", "bias_ih_l1", "bias_hh_l1", "weight_ih_l1_reverse",
                "weight_hh_l1_reverse", "bias_ih_l1_reverse", "bias_hh_l1_reverse"}));
  EXPECT_EQ(shapes[0], (Shape{20, 3}));
  EXPECT_EQ(shapes[1], (Shape{20, 5}));
  EXPECT_EQ(shapes[2], (Shape{20}));
  EXPECT_EQ(shapes[8], (Shape{20, 10}));  // layer 1 reads both directions of layer 0
  o.return_sequences = true;
  GRU<float> gru(o);
  EXPECT_EQ(gru.setup(in), (Shape{7, 10}));
  EXPECT_EQ(gru.params()[0]->shape, (Shape{15, 3}));
}

TEST(Recurrent, InputConventions) {
  RecurrentOptions o;
  o.units = 4;
  o.layers = 2;
  o.initial_state = true;
  o.masked = true;
  LSTM<float> lstm(o);
  EXPECT_EQ(lstm.num_inputs(), 4u);  // x, h0, c0, mask
  const Shape good[] = {Shape{6, 3}, Shape{2, 4}, Shape{2, 4}, Shape{6}};
  EXPECT_NO_THROW(lstm.setup(good));
  const Shape bad_state[] = {Shape{6, 3}, Shape{1, 4}, Shape{2, 4}, Shape{6}};
  EXPECT_THROW(lstm.setup(bad_state), ShapeError);
  const Shape bad_mask[] = {Shape{6, 3}, Shape{2, 4}, Shape{2, 4}, Shape{5}};
  EXPECT_THROW(lstm.setup(bad_mask), ShapeError);
  GRU<float> gru(o);
  EXPECT_EQ(gru.num_inputs(), 3u);  // x, h0, mask
  try {
    gru.setup(good);
    FAIL() << "no ShapeError";
  } catch (const ShapeError& e) {
    EXPECT_NE(std::string(e.what()).find("x, h0, mask"), std::string::npos) << e.what();
  }
  const Shape gru_in[] = {Shape{6, 3}, Shape{2, 4}, Shape{6}};
  EXPECT_NO_THROW(gru.setup(gru_in));
  EXPECT_THROW(LSTM<float>(RecurrentOptions{}), ConfigError);  // units 0
}

// Float against double on the same parameters: the fast float kernels (polynomial exp) stay
// within float rounding of the double computation.
TEST(Recurrent, FloatAgreesWithDouble) {
  for (const std::string kind : {"lstm", "gru"}) {
    RecurrentOptions o;
    o.units = 16;
    o.layers = 2;
    o.bidirectional = true;
    o.return_sequences = true;
    o.masked = true;
    auto ld = make_rnn<double>(kind, o);
    auto lf = make_rnn<float>(kind, o);
    const int64_t N = 4, T = 9, F = 5;
    const Shape in[] = {Shape{T, F}, Shape{T}};
    const Shape out = ld->setup(in).batched(N);
    lf->setup(in);
    ParamArena<double> ad;
    ParamArena<float> af;
    ad.bind(ld->params());
    af.bind(lf->params());
    Rng rng(1);
    ld->init(rng);
    for (size_t i = 0; i < ad.values().size(); ++i) af.values()[i] = float(ad.values()[i]);
    TensorD xd = random_tensor(Shape{N, T, F}, 2), md = mask_of({9, 3, 1, 6}, T);
    Tensor xf(xd.shape()), mf(md.shape());
    for (int64_t i = 0; i < xd.numel(); ++i) xd[i] = xf[i] = float(xd[i]);
    for (int64_t i = 0; i < md.numel(); ++i) mf[i] = float(md[i]);
    TensorD yd(out);
    Tensor yf(out);
    ForwardCtx<double> fd;
    fd.inputs = {xd.view(), md.view()};
    fd.output = yd.view();
    ld->forward(fd);
    ForwardCtx<float> ff;
    ff.inputs = {xf.view(), mf.view()};
    ff.output = yf.view();
    lf->forward(ff);
    for (int64_t i = 0; i < yd.numel(); ++i) EXPECT_NEAR(yf[i], yd[i], 2e-6) << kind << " " << i;
  }
}

// The threads split the samples (and the big gemms) between them: any team size, including
// one thread inside someone else's parallel region, gives the same numbers.
TEST(Recurrent, ThreadCountDoesNotChangeResults) {
  for (const std::string kind : {"lstm", "gru"}) {
    RecurrentOptions o;
    o.units = 64;  // enough work for both cells to take the threaded path
    o.layers = 2;
    o.bidirectional = true;
    o.return_sequences = true;
    o.masked = true;
    const int64_t N = 37, T = 6, F = 8;
    auto run = [&](int threads, bool nested) {
      auto layer = make_rnn<float>(kind, o);
      const Shape in[] = {Shape{T, F}, Shape{T}};
      const Shape out = layer->setup(in).batched(N);
      ParamArena<float> arena;
      arena.bind(layer->params());
      Rng rng(3);
      layer->init(rng);
      Tensor x(Shape{N, T, F}), mask(Shape{N, T}, 1.0f), y(out), dy(out), dx(x.shape(), 0.0f);
      for (auto& v : x.values()) v = float(rng.normal());
      for (auto& v : dy.values()) v = float(rng.normal());
      for (int64_t n = 0; n < N; ++n)
        for (int64_t t = 1 + n % T; t < T; ++t) mask[n * T + t] = 0.0f;
      set_num_threads(threads);
      auto pass = [&] {
        ForwardCtx<float> f;
        f.inputs = {x.view(), mask.view()};
        f.output = y.view();
        layer->forward(f);
        BackwardCtx<float> b;
        b.inputs = f.inputs;
        b.output = y.view();
        b.grad_output = dy.view();
        b.grad_inputs = {dx.view(), TensorView<float>()};
        layer->backward(b);
      };
      if (nested) {
#pragma omp parallel num_threads(2)
        {
#pragma omp single
          pass();
        }
      } else {
        pass();
      }
      set_num_threads(0);
      std::vector<float> all = y.values();
      all.insert(all.end(), dx.values().begin(), dx.values().end());
      all.insert(all.end(), arena.grads().begin(), arena.grads().end());
      return all;
    };
    const auto one = run(1, false);
    const auto two = run(2, false);
    const auto nested = run(2, true);
    ASSERT_EQ(one.size(), two.size());
    for (size_t i = 0; i < one.size(); ++i) {
      ASSERT_NEAR(two[i], one[i], 1e-5 * (1 + std::abs(one[i]))) << kind << " " << i;
      ASSERT_NEAR(nested[i], one[i], 1e-5 * (1 + std::abs(one[i]))) << kind << " " << i;
    }
  }
}

}  // namespace
}  // namespace redes
