// Adam's update of one range of parameters (optim/adam.cpp has the equations), a plain C++ loop
// that vectorises, compiled once per tier like rnn_rows_body.hpp: tier_avx512.cpp and
// tier_avx2.cpp include this file with REDES_TIER their target attribute, optim/adam.cpp with
// REDES_TIER empty (the scalar tier). Square roots and divisions round exactly in every ISA and
// contraction is off, so every tier computes the same bits.
// No include guard, on purpose.

REDES_TIER void adam_update(int64_t n, float* __restrict w, const float* __restrict g,
                            float* __restrict m, float* __restrict v, const AdamStep& s) {
#pragma omp simd
  for (int64_t i = 0; i < n; ++i) {
    w[i] *= s.shrink;
    const float gi = g[i] + s.l2 * w[i];
    m[i] = m[i] * s.b1 + s.one_minus_b1 * gi;
    v[i] = v[i] * s.b2 + s.one_minus_b2 * gi * gi;
    const float denom = std::sqrt(v[i]) / s.bias_correction2_sqrt + s.eps;
    w[i] += s.neg_step_size * m[i] / denom;
  }
}
