// Embedding and Mask: the lookup, its scatter-add gradient, padding_idx, id checks, and the
// mask a recurrent layer reads.
#include "layers/embedding.hpp"

#include <gtest/gtest.h>

#include <string>

#include "layers/lstm.hpp"
#include "layers/mask.hpp"
#include "support/gradcheck.hpp"

namespace redes {
namespace {

// Ids 0..vocab-1 drawn uniformly, except `skip`: the checker then perturbs them by eps, which
// must change nothing (the numeric derivative 0 matches the untouched input gradient).
test::GradcheckOptions random_ids(int64_t vocab, int64_t skip = -1) {
  test::GradcheckOptions o;
  o.fill_input = [vocab, skip](size_t, TensorView<double> x, Rng& rng) {
    for (double& v : x) {
      do v = static_cast<double>(rng.below(vocab));
      while (v == skip);
    }
  };
  return o;
}

TEST(Embedding, GradientsMatchCentralDifferences) {
  for (int64_t T : {1, 6}) {
    Embedding<double> plain(5, 3);
    EXPECT_TRUE(test::check_layer_gradients(plain, {Shape{T}}, 3, random_ids(5))) << T;
    // The padding row's gradient is withheld on purpose (it is not the derivative), so the
    // check reads the other rows; PaddingRowStartsAtZeroAndGetsNoGradient covers that row.
    Embedding<double> padded(5, 3, 2);
    EXPECT_TRUE(test::check_layer_gradients(padded, {Shape{T}}, 3, random_ids(5, 2))) << T;
  }
  Embedding<double> matrix(4, 2);
  EXPECT_TRUE(test::check_layer_gradients(matrix, {Shape{2, 3}}, 2, random_ids(4)));
}

struct Lookup {
  Embedding<double> layer;
  ParamArena<double> arena;
  Lookup(int64_t vocab, int64_t dim, std::optional<int64_t> pad, const Shape& ids)
      : layer(vocab, dim, pad) {
    const Shape in[] = {ids};
    layer.setup(in);
    arena.bind(layer.params());
    Rng rng(1);
    layer.init(rng);
  }
};

TEST(Embedding, LooksUpRowsAndScatterAddsGradients) {
  Lookup e(4, 2, std::nullopt, Shape{3});
  double* w = e.layer.params()[0]->value;
  for (int i = 0; i < 8; ++i) w[i] = i;  // row r is (2r, 2r + 1)
  const TensorD ids(Shape{2, 3}, {3, 0, 3, 1, 1, 2});
  TensorD y(Shape{2, 3, 2});
  ForwardCtx<double> f;
  f.inputs = {ids.view()};
  f.output = y.view();
  e.layer.forward(f);
  EXPECT_EQ(y.values(), (std::vector<double>{6, 7, 0, 1, 6, 7, 2, 3, 2, 3, 4, 5}));
  TensorD dy(y.shape());
  for (int64_t i = 0; i < dy.numel(); ++i) dy[i] = i + 1;
  TensorD din(ids.shape(), 5.0);
  BackwardCtx<double> b;
  b.inputs = {ids.view()};
  b.grad_output = dy.view();
  b.grad_inputs = {din.view()};
  e.layer.backward(b);
  const double* g = e.layer.params()[0]->grad;
  // Row 3 is read at elements 0 and 2: (1 + 5, 2 + 6); row 1 at 3 and 4: (7 + 9, 8 + 10).
  EXPECT_EQ(std::vector<double>(g, g + 8), (std::vector<double>{3, 4, 16, 18, 11, 12, 6, 8}));
  for (double v : din.values()) EXPECT_EQ(v, 5.0);  // the ids get no gradient
}

TEST(Embedding, PaddingRowStartsAtZeroAndGetsNoGradient) {
  Lookup e(6, 3, 4, Shape{5});
  const double* w = e.layer.params()[0]->value;
  for (int j = 0; j < 3; ++j) EXPECT_EQ(w[4 * 3 + j], 0.0);
  double nonzero = 0;
  for (int i = 0; i < 18; ++i) nonzero += w[i] != 0.0;
  EXPECT_EQ(nonzero, 15);
  const TensorD ids(Shape{1, 5}, {4, 1, 4, 4, 0});
  TensorD y(Shape{1, 5, 3});
  ForwardCtx<double> f;
  f.inputs = {ids.view()};
  f.output = y.view();
  e.layer.forward(f);
  TensorD dy(y.shape(), 1.0);
  BackwardCtx<double> b;
  b.inputs = {ids.view()};
  b.grad_output = dy.view();
  e.layer.backward(b);  // no input gradients wanted
  const double* g = e.layer.params()[0]->grad;
  for (int j = 0; j < 3; ++j) {
    EXPECT_EQ(g[4 * 3 + j], 0.0);  // padding
    EXPECT_EQ(g[1 * 3 + j], 1.0);
    EXPECT_EQ(g[0 * 3 + j], 1.0);
  }
}

TEST(Embedding, RejectsBadIdsAndOptions) {
  Lookup e(3, 2, std::nullopt, Shape{2});
  TensorD y(Shape{1, 2, 2});
  auto forward = [&](std::vector<double> ids) {
    const TensorD x(Shape{1, 2}, std::move(ids));
    ForwardCtx<double> f;
    f.inputs = {x.view()};
    f.output = y.view();
    e.layer.forward(f);
  };
  EXPECT_NO_THROW(forward({0, 2}));
  try {
    forward({1, 3});
    FAIL() << "no ShapeError";
  } catch (const ShapeError& err) {
    EXPECT_NE(std::string(err.what()).find("token id 3 at element 1 is outside [0, 3)"),
              std::string::npos)
        << err.what();
  }
  EXPECT_THROW(forward({-1, 0}), ShapeError);
  EXPECT_THROW(forward({0.5, 0}), ShapeError);
  EXPECT_THROW(forward({1e30, 0}), ShapeError);
  EXPECT_THROW(Embedding<float>(0, 2), ConfigError);
  EXPECT_THROW(Embedding<float>(3, 0), ConfigError);
  EXPECT_THROW(Embedding<float>(3, 2, 3), ConfigError);
}

TEST(Mask, ZeroWherePadAndNoGradient) {
  Mask<double> m(0);
  const Shape in[] = {Shape{5}};
  EXPECT_EQ(m.setup(in), (Shape{5}));
  const TensorD ids(Shape{2, 5}, {4, 2, 7, 0, 0, 1, 0, 0, 0, 0});
  TensorD y(ids.shape());
  ForwardCtx<double> f;
  f.inputs = {ids.view()};
  f.output = y.view();
  m.forward(f);
  EXPECT_EQ(y.values(), (std::vector<double>{1, 1, 1, 0, 0, 1, 0, 0, 0, 0}));
  Mask<double> other(-1);
  const TensorD neg(Shape{1, 3}, {-1, 0, 3});
  TensorD y2(neg.shape());
  f.inputs = {neg.view()};
  f.output = y2.view();
  const Shape in3[] = {Shape{3}};
  other.setup(in3);
  other.forward(f);
  EXPECT_EQ(y2.values(), (std::vector<double>{0, 1, 1}));
  Mask<double> fresh(0);
  EXPECT_TRUE(test::check_layer_gradients(fresh, {Shape{4}}, 2, random_ids(3)));
}

// embedding + mask -> lstm(masked) as a config wires them: padding tokens change nothing.
TEST(Mask, DrivesTheLstmMask) {
  Embedding<double> emb(6, 3, 0);
  Mask<double> mask(0);
  RecurrentOptions o;
  o.units = 2;
  o.masked = true;
  LSTM<double> lstm(o);
  const Shape ids_shape[] = {Shape{4}};
  const Shape e_out = emb.setup(ids_shape);
  const Shape m_out = mask.setup(ids_shape);
  const Shape l_in[] = {e_out, m_out};
  lstm.setup(l_in);
  ParamArena<double> arena;
  std::vector<Param<double>*> params = emb.params();
  for (auto* p : lstm.params()) params.push_back(p);
  arena.bind(params);
  Rng rng(2);
  emb.init(rng);
  lstm.init(rng);
  auto run = [&](std::vector<double> ids) {
    const TensorD x(Shape{1, 4}, std::move(ids));
    TensorD e(Shape{1, 4, 3}), m(Shape{1, 4}), y(Shape{1, 2});
    ForwardCtx<double> f;
    f.inputs = {x.view()};
    f.output = e.view();
    emb.forward(f);
    f.output = m.view();
    mask.forward(f);
    ForwardCtx<double> fl;
    fl.inputs = {e.view(), m.view()};
    fl.output = y.view();
    lstm.forward(fl);
    return y.values();
  };
  const auto short_seq = run({3, 5, 0, 0});
  EXPECT_NE(short_seq, run({3, 5, 1, 0}));  // a real third token changes the last state
  EXPECT_NE(short_seq, run({3, 2, 0, 0}));
  EXPECT_EQ(short_seq, run({3, 5, 0, 0}));
}

}  // namespace
}  // namespace redes
