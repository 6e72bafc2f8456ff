// The element-wise rows of the LSTM and GRU cells (kernels/lstm_cell.hpp, gru_cell.hpp), plain
// C++ loops that vectorise, compiled once per tier: tier_avx512.cpp and tier_avx2.cpp include
// this file in their namespace with REDES_TIER their target attribute, and lstm_cell.cpp and
// gru_cell.cpp once more with REDES_TIER empty, for the scalar tier (baseline x86-64) and for
// double. Floating-point contraction stays off (ISO C++ mode), so every tier computes the same
// bits. The float rows of the active tier come from the kernel table (kernels/kernel_table.hpp).
// No include guard, on purpose.

namespace rm = rnn_math;

// One active row: gates (4H) in place, the rest (H).
template <class T>
REDES_TIER void lstm_forward_row(int64_t H, T* a, const T* c_prev, T* c, T* tanh_c, T* h, T* y) {
  T* ai = a;
  T* af = a + H;
  T* ag = a + 2 * H;
  T* ao = a + 3 * H;
#pragma omp simd
  for (int64_t j = 0; j < H; ++j) {
    const T i = rm::sigmoid(ai[j]), f = rm::sigmoid(af[j]);
    const T g = rm::tanh(ag[j]), o = rm::sigmoid(ao[j]);
    ai[j] = i;
    af[j] = f;
    ag[j] = g;
    ao[j] = o;
    const T cj = f * c_prev[j] + i * g;
    const T tc = rm::tanh(cj);
    c[j] = cj;
    tanh_c[j] = tc;
    h[j] = o * tc;
    y[j] = o * tc;
  }
}

template <class T>
REDES_TIER void lstm_backward_row(int64_t H, const T* a, const T* c_prev, const T* tanh_c,
                                  const T* dh, const T* dy, T* dc, T* da) {
  const T* ai = a;
  const T* af = a + H;
  const T* ag = a + 2 * H;
  const T* ao = a + 3 * H;
#pragma omp simd
  for (int64_t j = 0; j < H; ++j) {
    const T i = ai[j], f = af[j], g = ag[j], o = ao[j], tc = tanh_c[j];
    const T dht = dh[j] + dy[j];
    const T dct = dc[j] + dht * o * (T(1) - tc * tc);
    da[j] = dct * g * i * (T(1) - i);              // d a_i
    da[H + j] = dct * c_prev[j] * f * (T(1) - f);  // d a_f
    da[2 * H + j] = dct * i * (T(1) - g * g);      // d a_g
    da[3 * H + j] = dht * tc * o * (T(1) - o);     // d a_o
    dc[j] = dct * f;
  }
}

// The same for a step without an output gradient (a layer whose model reads only its last
// step): its own loop rather than a buffer of zeros to read (one loop with dy ? dy[j] : 0 made
// an epoch of the row-sequence LSTM 1.2x slower).
template <class T>
REDES_TIER void lstm_backward_row_no_dy(int64_t H, const T* a, const T* c_prev, const T* tanh_c,
                                        const T* dh, T* dc, T* da) {
  const T* ai = a;
  const T* af = a + H;
  const T* ag = a + 2 * H;
  const T* ao = a + 3 * H;
#pragma omp simd
  for (int64_t j = 0; j < H; ++j) {
    const T i = ai[j], f = af[j], g = ag[j], o = ao[j], tc = tanh_c[j];
    const T dht = dh[j];
    const T dct = dc[j] + dht * o * (T(1) - tc * tc);
    da[j] = dct * g * i * (T(1) - i);
    da[H + j] = dct * c_prev[j] * f * (T(1) - f);
    da[2 * H + j] = dct * i * (T(1) - g * g);
    da[3 * H + j] = dht * tc * o * (T(1) - o);
    dc[j] = dct * f;
  }
}

template <class T>
REDES_TIER void gru_forward_row(int64_t H, T* a, const T* gh, const T* b, T* hn, const T* h_prev,
                                T* h, T* y) {
#pragma omp simd
  for (int64_t j = 0; j < H; ++j) {
    const T r = rm::sigmoid(a[j] + gh[j] + b[j]);
    const T z = rm::sigmoid(a[H + j] + gh[H + j] + b[H + j]);
    const T hnj = gh[2 * H + j] + b[2 * H + j];
    const T n = rm::tanh(a[2 * H + j] + r * hnj);
    a[j] = r;
    a[H + j] = z;
    a[2 * H + j] = n;
    hn[j] = hnj;
    const T hj = (T(1) - z) * n + z * h_prev[j];
    h[j] = hj;
    y[j] = hj;
  }
}

template <class T>
REDES_TIER void gru_backward_row(int64_t H, const T* a, const T* hn, const T* h_prev, const T* dh,
                                 const T* dy, T* dgi, T* dgh, T* dh_prev) {
#pragma omp simd
  for (int64_t j = 0; j < H; ++j) {
    const T r = a[j], z = a[H + j], n = a[2 * H + j];
    const T dht = dh[j] + (dy ? dy[j] : T(0));
    const T dan = dht * (T(1) - z) * (T(1) - n * n);
    const T dar = dan * hn[j] * r * (T(1) - r);
    const T daz = dht * (h_prev[j] - n) * z * (T(1) - z);
    dgi[j] = dar;
    dgi[H + j] = daz;
    dgi[2 * H + j] = dan;
    dgh[j] = dar;
    dgh[H + j] = daz;
    dgh[2 * H + j] = dan * r;
    dh_prev[j] = dht * z;
  }
}
