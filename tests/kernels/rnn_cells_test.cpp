// The fast LSTM and GRU cell kernels (vectorised, polynomial exp for float, rows over threads)
// against their scalar references, on awkward sizes, saturated gates and padding rows; and the
// vectorisable exp, sigmoid and tanh against libm.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <vector>

#include "kernels/gru_cell.hpp"
#include "kernels/lstm_cell.hpp"
#include "kernels/rnn_math.hpp"
#include "redes/rng.hpp"

namespace redes {
namespace {

TEST(RnnMath, ExpSigmoidTanhAgainstLibm) {
  double worst_exp = 0, worst_sig = 0, worst_tanh = 0;
  for (int i = 0; i <= 2000000; ++i) {
    const float x = -87.0f + 175.0f * float(i) / 2000000.0f;
    const double e = std::exp(double(x));
    worst_exp = std::max(worst_exp, std::abs(rnn_math::exp_approx(x) - e) / e);
    const float s = -20.0f + 40.0f * float(i) / 2000000.0f;
    worst_sig =
        std::max(worst_sig, std::abs(rnn_math::sigmoid(s) - 1.0 / (1.0 + std::exp(-double(s)))));
    worst_tanh = std::max(worst_tanh, std::abs(rnn_math::tanh(s) - std::tanh(double(s))));
  }
  EXPECT_LT(worst_exp, 3 * 0x1p-24) << "relative error of exp_approx";  // within ~3 ulp
  EXPECT_LT(worst_sig, 2e-7);
  EXPECT_LT(worst_tanh, 3e-7);
  // Finite and exact at the extremes.
  EXPECT_EQ(rnn_math::sigmoid(-1000.0f) >= 0.0f && rnn_math::sigmoid(-1000.0f) < 1e-37f, true);
  EXPECT_EQ(rnn_math::sigmoid(1000.0f), 1.0f);
  EXPECT_EQ(rnn_math::tanh(1000.0f), 1.0f);
  EXPECT_EQ(rnn_math::tanh(-1000.0f), -1.0f);
  EXPECT_EQ(rnn_math::tanh(0.0f), 0.0f);
}

template <class T>
std::vector<T> random_vec(int64_t n, Rng& rng, double scale) {
  std::vector<T> v(n);
  for (auto& x : v) x = static_cast<T>(scale * rng.normal());
  return v;
}

template <class T>
void expect_close(const std::vector<T>& a, const std::vector<T>& b, double tol, const char* what,
                  int64_t N, int64_t H) {
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i)
    ASSERT_NEAR(a[i], b[i], tol * (1 + std::abs(double(b[i]))))
        << what << " [" << i << "] N " << N << " H " << H;
}

template <class T>
void check_lstm(int64_t N, int64_t H, double tol, uint64_t seed) {
  Rng rng(seed);
  // Pre-activations up to ~+-12: saturated gates as well as the linear range.
  const auto a0 = random_vec<T>(N * 4 * H, rng, 4.0);
  const auto c_prev = random_vec<T>(N * H, rng, 1.5), h_prev = random_vec<T>(N * H, rng, 1.0);
  std::vector<uint8_t> active(N);
  for (int64_t n = 0; n < N; ++n) active[n] = n % 3 != 1;
  const int64_t ldy = H + 3;
  for (const uint8_t* act : std::vector<const uint8_t*>{nullptr, active.data()}) {
    auto run = [&](bool fast) {
      std::vector<T> a = a0, c(N * H), tc(N * H), h(N * H), y(N * ldy, T(9));
      (fast ? lstm_cell_forward<T>
            : lstm_cell_forward_reference<T>)(N, H, a.data(), c_prev.data(), h_prev.data(),
                                              c.data(), tc.data(), h.data(), y.data(), ldy, act);
      return std::vector<std::vector<T>>{a, c, tc, h, y};
    };
    const auto f = run(true), r = run(false);
    const char* names[] = {"gates", "c", "tanh_c", "h", "y"};
    for (int i = 0; i < 5; ++i) expect_close(f[i], r[i], tol, names[i], N, H);

    const auto dh = random_vec<T>(N * H, rng, 1.0), dy = random_vec<T>(N * ldy, rng, 1.0);
    const auto dc0 = random_vec<T>(N * H, rng, 1.0);
    for (const T* dyp : {static_cast<const T*>(nullptr), dy.data()}) {
      auto back = [&](bool fast) {
        std::vector<T> dc = dc0, da(N * 4 * H, T(9)), dh_prev(N * H, T(9));
        (fast ? lstm_cell_backward<T>
              : lstm_cell_backward_reference<T>)(N, H, r[0].data(), c_prev.data(), r[2].data(),
                                                 dh.data(), dyp, ldy, dc.data(), da.data(),
                                                 dh_prev.data(), act);
        return std::vector<std::vector<T>>{dc, da, dh_prev};
      };
      const auto fb = back(true), rb = back(false);
      const char* bnames[] = {"dc", "dgates", "dh_prev"};
      for (int i = 0; i < 3; ++i) expect_close(fb[i], rb[i], tol, bnames[i], N, H);
    }
  }
}

template <class T>
void check_gru(int64_t N, int64_t H, double tol, uint64_t seed) {
  Rng rng(seed);
  const auto gi0 = random_vec<T>(N * 3 * H, rng, 3.0), gh = random_vec<T>(N * 3 * H, rng, 3.0);
  const auto b = random_vec<T>(3 * H, rng, 1.0), h_prev = random_vec<T>(N * H, rng, 1.0);
  std::vector<uint8_t> active(N);
  for (int64_t n = 0; n < N; ++n) active[n] = n % 3 != 2;
  const int64_t ldy = 2 * H;
  for (const uint8_t* act : std::vector<const uint8_t*>{nullptr, active.data()}) {
    auto run = [&](bool fast) {
      std::vector<T> a = gi0, hn(N * H), h(N * H), y(N * ldy, T(9));
      (fast ? gru_cell_forward<T>
            : gru_cell_forward_reference<T>)(N, H, a.data(), gh.data(), b.data(), hn.data(),
                                             h_prev.data(), h.data(), y.data(), ldy, act);
      return std::vector<std::vector<T>>{a, hn, h, y};
    };
    const auto f = run(true), r = run(false);
    const char* names[] = {"gates", "hn", "h", "y"};
    for (int i = 0; i < 4; ++i) expect_close(f[i], r[i], tol, names[i], N, H);

    const auto dh = random_vec<T>(N * H, rng, 1.0), dy = random_vec<T>(N * ldy, rng, 1.0);
    for (const T* dyp : {static_cast<const T*>(nullptr), dy.data()}) {
      auto back = [&](bool fast) {
        std::vector<T> dgi(N * 3 * H, T(9)), dgh(N * 3 * H, T(9)), dh_prev(N * H, T(9));
        (fast ? gru_cell_backward<T>
              : gru_cell_backward_reference<T>)(N, H, r[0].data(), r[1].data(), h_prev.data(),
                                                dh.data(), dyp, ldy, dgi.data(), dgh.data(),
                                                dh_prev.data(), act);
        return std::vector<std::vector<T>>{dgi, dgh, dh_prev};
      };
      const auto fb = back(true), rb = back(false);
      const char* bnames[] = {"dgi", "dgh", "dh_prev"};
      for (int i = 0; i < 3; ++i) expect_close(fb[i], rb[i], tol, bnames[i], N, H);
    }
  }
}

// Sizes around the vector widths (4, 8, 16 floats) and one above the parallel threshold.
const int64_t kSizes[][2] = {{1, 1}, {3, 5}, {7, 16}, {2, 33}, {5, 17}, {130, 128}};

TEST(LstmCell, FastMatchesReference) {
  uint64_t seed = 1;
  for (const auto& s : kSizes) {
    check_lstm<float>(s[0], s[1], 2e-6, seed++);
    check_lstm<double>(s[0], s[1], 1e-14, seed++);
  }
}

TEST(GruCell, FastMatchesReference) {
  uint64_t seed = 100;
  for (const auto& s : kSizes) {
    check_gru<float>(s[0], s[1], 2e-6, seed++);
    check_gru<double>(s[0], s[1], 1e-14, seed++);
  }
}

}  // namespace
}  // namespace redes
