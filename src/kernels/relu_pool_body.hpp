// The hot loops of ReLU, of tanh and of 2x2 max pooling (layers/activations.cpp,
// layers/pooling.cpp), plain C++ that vectorises, compiled once per tier like rnn_rows_body.hpp:
// tier_avx512.cpp and tier_avx2.cpp include this file with REDES_TIER their target attribute, the
// layers with REDES_TIER empty (the scalar tier, and double). Measured on LeNet-5's inference at
// batch 256 (Xeon, 2 threads): 12 % more throughput with AVX-512 than the baseline's SSE2, the data
// being in L2. Every tier computes the same values (max and compare only; tanh below).
// No include guard, on purpose.

// y = max(x, 0) over n values.
template <class T>
REDES_TIER void relu_forward(int64_t n, const T* x, T* y) {
#pragma omp simd
  for (int64_t i = 0; i < n; ++i) y[i] = x[i] > T(0) ? x[i] : T(0);
}

// y = tanh(x) over n values: rnn_math's, branch-free (the includer includes rnn_math.hpp). Every
// tier computes the same bits (contraction is off); double calls std::tanh. The cars network's
// inference at batch 256 (Zen 5, bench/run): 0.74M cars/s with libm's tanhf, 2.5M with this loop
// in SSE2, 7.1M with AVX-512 (its epoch, one step of the full batch: 640 to 260 µs).
template <class T>
REDES_TIER void tanh_forward(int64_t n, const T* x, T* y) {
#pragma omp simd
  for (int64_t i = 0; i < n; ++i) y[i] = rnn_math::tanh(x[i]);
}

// dx += dy where x > 0; dy[i] is read whatever the sign (a load under the condition would keep
// the branch).
template <class T>
REDES_TIER void relu_backward(int64_t n, const T* x, const T* dy, T* dx) {
#pragma omp simd
  for (int64_t i = 0; i < n; ++i) {
    const T g = dy[i];
    dx[i] += x[i] > T(0) ? g : T(0);
  }
}

// x replaces the running maximum m when x > m or x is NaN (PyTorch's rule). The outcome is a
// coin flip on real data: | rather than || and selects rather than ifs, which the compiler
// turns into blends in vectorised loops.
template <class T>
REDES_TIER __attribute__((always_inline)) inline void take_if_larger(T x, int32_t at, T& m,
                                                                     int32_t& arg) {
  const bool take = (x > m) | (x != x);
  m = take ? x : m;
  arg = take ? at : arg;
}

// B outputs of a 2x2 window at stride 2 from the input rows r0 and r1 (2 * B values each);
// `at` is the plane index of r0[0]. A fixed count vectorises without a scalar tail, whose
// branches would mispredict half the time on real data.
template <int64_t B, class T>
REDES_TIER __attribute__((always_inline)) inline void max_pool_2x2_block(const T* r0, const T* r1,
                                                                         int32_t at, int32_t W,
                                                                         T* out, int32_t* am) {
#pragma omp simd
  for (int64_t j = 0; j < B; ++j) {
    const int32_t a = at + static_cast<int32_t>(2 * j);
    // Row-major window order: (0, 0), (0, 1), (1, 0), (1, 1).
    T m = r0[2 * j];
    int32_t arg = a;
    take_if_larger(r0[2 * j + 1], a + 1, m, arg);
    take_if_larger(r1[2 * j], a + W, m, arg);
    take_if_larger(r1[2 * j + 1], a + W + 1, m, arg);
    out[j] = m;
    am[j] = arg;
  }
}

// One output row in blocks of B; a last partial block is done as the full block that ends at
// the row's end, recomputing (identically) a few outputs of the block before.
template <int64_t B, class T>
REDES_TIER void max_pool_2x2_row(const T* r0, const T* r1, int32_t at, int32_t W, int64_t OW,
                                 T* out, int32_t* am) {
  int64_t ow = 0;
  for (; ow + B <= OW; ow += B)
    max_pool_2x2_block<B>(r0 + 2 * ow, r1 + 2 * ow, at + static_cast<int32_t>(2 * ow), W, out + ow,
                          am + ow);
  if (ow < OW) {
    ow = OW - B;
    max_pool_2x2_block<B>(r0 + 2 * ow, r1 + 2 * ow, at + static_cast<int32_t>(2 * ow), W, out + ow,
                          am + ow);
  }
}

// The common 2x2 window with stride 2 and no padding: every window lies inside the plane.
template <class T>
REDES_TIER void max_pool_2x2(const T* in, int64_t W, int64_t OH, int64_t OW, T* out, int32_t* am) {
  const int32_t w = static_cast<int32_t>(W);
  for (int64_t oh = 0; oh < OH; ++oh) {
    const T* r0 = in + 2 * oh * W;  // the window's two input rows
    const T* r1 = r0 + W;
    const int32_t at = static_cast<int32_t>(2 * oh * W);
    if (OW >= 8) {
      max_pool_2x2_row<8>(r0, r1, at, w, OW, out + oh * OW, am + oh * OW);
    } else if (OW >= 4) {
      max_pool_2x2_row<4>(r0, r1, at, w, OW, out + oh * OW, am + oh * OW);
    } else {
      max_pool_2x2_row<1>(r0, r1, at, w, OW, out + oh * OW, am + oh * OW);
    }
  }
}
