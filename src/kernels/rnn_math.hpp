// Element-wise maths of the recurrent cells (LSTM, GRU) and the Tanh layer, written so that loops
// over them vectorise: no branches and, for float, no libm call (glibc's expf has no vector variant
// unless -ffast-math). The double versions call libm: they serve the gradient checks, where
// accuracy matters more than speed.
#pragma once
#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdint>

namespace redes::rnn_math {

// |x| clamped to at most 88 (sign kept; NaN passes through), on the bits: an integer compare
// cannot trap, so loops over it vectorise without AVX-512 masks (a float compare may raise
// an exception under the default -ftrapping-math, and GCC then keeps the branch).
inline float clamp_magnitude_88(float x) {
  constexpr uint32_t kSign = 0x80000000u, kInf = 0x7f800000u, k88 = 0x42b00000u;  // 88.0f
  const uint32_t u = std::bit_cast<uint32_t>(x);
  const uint32_t mag = u & ~kSign;
  const uint32_t clamped = mag > kInf ? mag : std::min(mag, k88);
  return std::bit_cast<float>((u & kSign) | clamped);
}

// exp(x) for float (Cephes expf): exp(x) = 2^k exp(r) with k = round(x / ln 2) and
// r = x - k ln 2 in [-ln2 / 2, ln2 / 2]; exp(r) by its degree-7 minimax polynomial, 2^k by
// writing k + 127 into the exponent bits. Relative error within 2 ulp of expf for
// |x| < 87.3. x is clamped to [-88, 88] so that k + 127 stays in [0, 254]: exp(88) is finite
// (1.65e38) and exp(-88) gives 0 (where expf gives a subnormal 6e-39), which only matters as
// 1 / (1 + e).
inline float exp_approx(float x) {
  x = clamp_magnitude_88(x);
  // Adding 1.5 * 2^23 rounds to an integer (round-to-nearest-even); subtracting it back
  // leaves k as a float.
  constexpr float kShift = 12582912.0f;
  const float k = (x * 1.44269504088896341f + kShift) - kShift;
  // r = x - k ln 2 in two steps (Cody-Waite): ln 2 = 0.693359375 - 2.12194440e-4, the first
  // part exact in few bits so that k * 0.693359375 has no rounding error.
  float r = x - k * 0.693359375f;
  r = r + k * 2.12194440e-4f;
  float p = 1.9875691500e-4f;
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  const float e = p * r * r + r + 1.0f;
  const int32_t bits = (static_cast<int32_t>(k) + 127) << 23;
  return e * std::bit_cast<float>(bits);
}

// The logistic sigmoid s(x) = 1 / (1 + exp(-x)), in (0, 1) for every float x.
inline float sigmoid(float x) { return 1.0f / (1.0f + exp_approx(-x)); }
inline double sigmoid(double x) { return 1.0 / (1.0 + std::exp(-x)); }

// tanh(x) as Cephes tanhf: for |x| < 0.625 the odd polynomial x + x^3 P(x^2) (a relative
// error of about 1e-7 down to 0), else 1 - 2 / (1 + exp(2x)) (exact limits -1 and 1 for large
// |x|, an absolute error of about 1e-7). Both are computed and one kept by an integer compare
// on the bits, so that loops vectorise (the Tanh layer's and the recurrent cells').
inline float tanh(float x) {
  const float s = x * x;
  float p = -5.70498872745e-3f;
  p = p * s + 2.06390887954e-2f;
  p = p * s - 5.37397155531e-2f;
  p = p * s + 1.33314422036e-1f;
  p = p * s - 3.33332819422e-1f;
  const float small = std::copysign(p * s * x + x, x);  // tanh(-0) is -0
  const float large = 1.0f - 2.0f / (1.0f + exp_approx(2.0f * x));
  return (std::bit_cast<uint32_t>(x) & 0x7fffffffu) < 0x3f200000u ? small : large;  // 0.625f
}
inline double tanh(double x) { return std::tanh(x); }

}  // namespace redes::rnn_math
